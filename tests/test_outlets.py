"""Outlets named as readers know them: known addresses first, then feed titles without their taglines."""

from __future__ import annotations

import dataclasses
import html
import re
from pathlib import Path

import pytest

from newsletter.errors import ConfigError
from newsletter.feeds.outlets import (
    clean_feed_title,
    display_name,
    host_of,
    is_tech_feed,
    is_world_feed,
    load_outlets,
    one_off_source,
    with_outlet,
)
from newsletter.feeds.parse import parse_feed
from newsletter.models import Source
from newsletter.store import OneOffSource
from newsletter.workspace import packaged_defaults
from tests.test_corpus import CORPUS, needs_corpus

OUTLETS = load_outlets(packaged_defaults() / "seeds" / "outlets.toml")
# What an outlet name must never hold: the hook an editor would spot in a published issue.
TAGLINE = re.compile(r"RSS|\bFeed\b|Records Found|\s[–|>-]\s|Breaking News|Category|^[\s|:>–-]|[\s|:>–-]$")


@pytest.mark.parametrize(
    ("title", "host", "want"),
    [
        ("Example Daily - Category World", "exampledaily.com", "Example Daily"),
        ("AI News & Artificial Intelligence | Crunchy", "crunchy.com", "Crunchy"),
        ("AI | The Ledger", "theledger.com", "The Ledger"),
        ("Wirehouse – Breaking News, World News and Video from Wirehouse", "wirehouse.com", "Wirehouse"),
        ("Sentinel News Search Records Found 1000", "sentinel.in", "Sentinel"),
        ("Sentinel News", "sentinel.in", "Sentinel"),
        ("Harbor News", "newsroom.example", "Harbor News"),  # "News" is part of the name here
        ("Gazette > World News", "gazette.com", "Gazette"),
        ("Tech – WEEKLY", "weekly.com", "WEEKLY"),
        ("Pebble Engadget RSS Feed", "pebble.com", "Pebble Engadget"),
        ("Rest of Things -", "restofthings.org", "Rest of Things"),
        ("Monsoon Today - Category World", "monsoontoday.com", "Monsoon Today"),
        ("China Ledger", "chinaledger.cn", "China Ledger"),
        ("最新更新 – 奇客", "qike.org", "奇客"),
        ("极客-Geeks", "geeks.net", "Geeks"),
        ("码农资讯频道", "manong.com", "码农"),
        ("Sound Notes - Ana Lee's Blog", "analee.net", "Ana Lee's Blog"),
        ("Pixel Blog", "pixel.dev", "Pixel"),
        ("Feed 0 & <Co>", "f0.example", "Feed 0 & <Co>"),
    ],
)
def test_clean_feed_title(title: str, host: str, want: str) -> None:
    assert clean_feed_title(title, host) == want


@pytest.mark.parametrize(
    "title", ["Asia", "World", "Top Stories", "Tech", "Category Business", "RSS", "互联网"]
)
def test_generic_titles_are_never_a_name(title: str) -> None:
    assert clean_feed_title(title, "example.com") == ""
    assert display_name(title, "https://www.example.com/feed", OUTLETS) == "example.com"


def test_known_outlet_by_address_wins_over_the_feed_title() -> None:
    assert display_name("Asia", "https://www.economist.com/asia/", OUTLETS) == "The Economist"
    assert display_name("AI | The Verge", "https://www.theverge.com/ai", OUTLETS) == "The Verge"
    assert display_name("互联网", "http://tech.qq.com/", OUTLETS) == "Tencent Tech"
    assert OUTLETS.for_url("https://asia.nikkei.com/x").name == "Nikkei Asia"  # the longer domain first
    assert OUTLETS.for_url("https://www.nikkei.com/x").name == "Nikkei"
    assert OUTLETS.for_url("https://notnikkei.com/x") is None
    assert OUTLETS.for_url("javascript:alert(1)") is None and host_of("not a url") == ""


def test_tech_sections_and_outlets() -> None:
    assert is_tech_feed("Tech – WEEKLY") and is_tech_feed("AI | The Ledger")
    assert is_tech_feed("Ledger", "https://ledger.example/rss/technology")
    assert not is_tech_feed("Ledger - World") and not is_tech_feed("Technocrat Weekly")
    assert OUTLETS.for_url("https://techcrunch.com/feed").tech
    assert not OUTLETS.for_url("https://www.bbc.co.uk/news").tech


def test_a_national_outlet_has_a_home_but_not_its_world_section() -> None:
    def home(title: str, link: str) -> str | None:
        return one_off_source(OneOffSource("x", "", title, link, ""), OUTLETS).home

    assert home("The Straits Times Singapore News", "https://www.straitstimes.com/") == "southeast-asia"
    assert home("State News | The Hindu", "https://www.thehindu.com/news/states/") == "india"
    assert home("Dawn - World", "https://www.dawn.com/") is None
    assert home("Japan Today - Category World", "https://japantoday.com/category/world") is None
    assert home("BBC News", "https://www.bbc.co.uk/news") is None  # no home: it reports from everywhere
    assert home("Global Times", "https://www.globaltimes.cn/") == "china"  # its name, not a world section
    assert home("World - Global Times", "https://www.globaltimes.cn/") is None
    assert home("Rest of World", "https://restofworld.org") is None  # an outlet, not a world section
    st = Source(
        id="st", name="The Straits Times", url="https://www.straitstimes.com/news/tech/rss.xml", tech=True
    )
    assert (
        with_outlet(st, OUTLETS).home == "southeast-asia" and with_outlet(st, OUTLETS).tech
    )  # as configured
    world = dataclasses.replace(st, url="https://www.straitstimes.com/news/world/rss.xml")
    assert with_outlet(world, OUTLETS).home is None
    assert is_world_feed("News", "https://example.com/international/rss")
    assert not is_world_feed("Worldly Tech", "https://example.com/worldwide")


def test_a_bad_outlets_file_names_the_key(tmp_path: Path) -> None:
    path = tmp_path / "outlets.toml"
    path.write_text('[[outlet]]\nname = "X"\ndomains = ["x.com"]\ncolour = "red"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="unknown key 'colour'"):
        load_outlets(path)
    path.write_text('[[outlet]]\nname = "X"\ndomains = []\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="'domains' must list"):
        load_outlets(path)
    path.write_text('[[outlet]]\nname = "X"\ndomains = ["x.com"]\nhome = "South Korea"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="'home' must be a region id"):
        load_outlets(path)


@needs_corpus
def test_no_real_feed_is_named_by_a_tagline() -> None:
    """Every real feed of the corpus, and every titled feed of the stress set, gets a clean name."""
    named = []
    for path in sorted((CORPUS / "real-feeds").iterdir()):
        if path.suffix == ".md":
            continue
        feed = parse_feed(path.read_bytes(), source_id="x")
        link = feed.link or (feed.items[0].url if feed.items else "")
        named.append((feed.title, display_name(feed.title, link, OUTLETS)))
    index = CORPUS / "stress" / "fastfeedparser-benchmark" / "INDEX.tsv"
    for line in index.read_text(encoding="utf-8").splitlines()[1:]:
        cols = line.split("\t")
        named.append((cols[9], display_name(html.unescape(cols[9]), cols[10], OUTLETS)))
    assert len(named) > 200
    bad = [(title, name) for title, name in named if TAGLINE.search(name) or not name.strip()]
    assert not bad, bad
