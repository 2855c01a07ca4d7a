"""The bundled seeds: settings and sources load, and the offline sample feeds make a full week 2026-W47."""

from __future__ import annotations

import calendar
import datetime as dt
import re
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import feedparser
import pytest

from newsletter.config import load_settings
from newsletter.feeds.sources import load_sources
from newsletter.models import Source, Week
from newsletter.workspace import Workspace

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
REGIONS = {"china", "india", "japan", "south-korea", "taiwan", "southeast-asia", "rest-of-asia"}
THEMES = {
    "ai-chips", "ipo", "ai", "funding", "m-and-a", "ecommerce",
    "fintech", "mobility", "space", "telecom", "policy", "geopolitics",
}  # fmt: skip
ISSUE_WEEK = Week(2026, 47)
OLDER_WEEK = Week(2026, 46)
TZ = ZoneInfo("Asia/Singapore")

# Stories told by more than one sample feed: a phrase every telling shares (a figure or a name),
# and the feeds that tell it. Other tests (cluster, curate) may lean on these.
CROSS_FEED = {
    "spacex-ipo": ("$2tn", {"asia-tech-wire", "pacific-ledger"}),
    "chinese-models-trained-in-sea": ("ByteDance", {"asia-tech-wire", "chip-street", "monsoon-markets"}),
    "cxmt-prospectus": ("1,688%", {"chip-street", "pacific-ledger"}),
    "nvidia-record-quarter": ("$81.6bn", {"asia-tech-wire", "chip-street"}),
    "grab-goto-merger": ("$7.2bn", {"asia-tech-wire", "pacific-ledger", "monsoon-markets"}),
    "meituan-q3": ("Rmb102.3bn", {"asia-tech-wire", "pacific-ledger"}),
    "zepto-listing": ("Rs 501.5", {"pacific-ledger", "bharat-startup-daily"}),
    "sk-hynix-yongin": ("Yongin", {"chip-street", "seoul-bytes"}),
    "foxconn-q3": ("NT$57.8bn", {"asia-tech-wire", "chip-street"}),
    "toss-nasdaq": ("Viva Republica", {"pacific-ledger", "seoul-bytes"}),
    "samsung-hbm4": ("Vera Rubin", {"chip-street", "seoul-bytes"}),
}


@pytest.fixture(scope="module")
def sources() -> list[Source]:
    return load_sources(SEEDS / "sources.toml")


@pytest.fixture(scope="module")
def feeds(sources: list[Source]) -> dict[str, Any]:
    """Each enabled sample source parsed by feedparser from its bytes, as fetch + parse would."""
    ws = Workspace.open(ROOT)
    return {s.id: feedparser.parse(ws.resolve_local(s.url).read_bytes()) for s in sources if s.enabled}


def published(entry: Any) -> dt.datetime:
    stamp = entry.get("published_parsed") or entry.get("updated_parsed")
    assert stamp is not None, f"entry without a date: {entry.get('title')!r}"
    return dt.datetime.fromtimestamp(calendar.timegm(stamp), dt.UTC)


def all_entries(feeds: dict[str, Any]) -> list[tuple[str, Any]]:
    return [(sid, e) for sid, parsed in feeds.items() for e in parsed.entries]


def entry_text(entry: Any) -> str:
    parts = [entry.get("title", ""), entry.get("summary", "")]
    parts += [c.value for c in entry.get("content", [])]
    return " ".join(parts)


def test_settings_load_with_both_styles() -> None:
    settings = load_settings(SEEDS / "newsletter.toml")
    assert settings.name == "Asia Tech Review"
    assert settings.timezone == "Asia/Singapore"
    assert settings.default_style == "atr"
    assert set(settings.styles) == {"atr", "techasia"}
    assert len(settings.editor.split()) >= 2, "editor needs a full name: the first name signs the letter"
    assert settings.base_url.startswith("https://") and settings.base_url.endswith("/")
    atr = settings.style_settings("atr")
    assert atr.sections == (
        "china", "india", "southeast-asia", "south-korea", "japan", "taiwan", "rest-of-asia",
    )  # fmt: skip
    assert atr.section_titles == {"rest-of-asia": "RoA"}
    assert atr.leads == 3 and atr.per_section == 8
    tech = settings.style_settings("techasia")
    assert tech.name == "#techAsia" and tech.host and tech.city == "Tokyo"
    assert tech.footer and tech.signup and re.fullmatch(r"[\w.+-]+@[\w-]+\.example\.com", tech.contact)
    assert set(settings.ranking.theme_priority) <= THEMES
    assert settings.ranking.theme_priority["ai-chips"] == max(settings.ranking.theme_priority.values())
    assert 0 < settings.ranking.cluster_threshold < 1


def test_enabled_sources_are_the_offline_samples(sources: list[Source]) -> None:
    enabled = [s for s in sources if s.enabled]
    assert len(enabled) == 6
    ws = Workspace.open(ROOT)
    for src in enabled:
        assert not src.is_remote, f"{src.id}: the first run must not need the network"
        assert ws.resolve_local(src.url).is_file(), f"{src.id}: {src.url} is missing"


def test_real_sources_are_disabled_http_feeds(sources: list[Source]) -> None:
    real = [s for s in sources if not s.enabled]
    assert len(real) >= 30
    for src in real:
        parts = urlsplit(src.url)
        assert parts.scheme in ("http", "https") and parts.netloc, src.url
        assert not parts.netloc.endswith(".example"), f"{src.id} looks fictional but is listed as real"
    ids = [s.id for s in sources]
    assert len(ids) == len(set(ids))
    assert len({s.url for s in sources}) == len(sources)


def test_source_priors_use_known_ids(sources: list[Source]) -> None:
    for src in sources:
        assert src.region is None or src.region in REGIONS, src.id
        assert set(src.themes) <= THEMES, src.id
        assert 0.5 <= src.weight <= 2.0, src.id


def test_every_sample_feed_is_well_formed(feeds: dict[str, Any], sources: list[Source]) -> None:
    ws = Workspace.open(ROOT)
    for src in (s for s in sources if s.enabled):
        ET.parse(ws.resolve_local(src.url))  # strict XML, not just what feedparser forgives
        parsed = feeds[src.id]
        assert not parsed.bozo, f"{src.id}: {parsed.get('bozo_exception')}"
        assert len(parsed.entries) >= 10, src.id


def test_both_rss_and_atom_are_present(feeds: dict[str, Any]) -> None:
    versions = Counter(parsed.version for parsed in feeds.values())
    assert versions["rss20"] >= 2 and versions["atom10"] >= 2, versions


def test_issue_week_is_full_and_the_latest(feeds: dict[str, Any]) -> None:
    weeks = Counter(Week.of(published(e), TZ) for _, e in all_entries(feeds))
    assert weeks[ISSUE_WEEK] >= 80
    assert weeks[OLDER_WEEK] >= 5, "an older week lets archive and week choice be tried"
    # Nothing after W47: `newsletter build` with no --week must land on the sample week.
    assert max(weeks) == ISSUE_WEEK and min(weeks) == OLDER_WEEK, weeks
    days = {published(e).astimezone(TZ).date() for _, e in all_entries(feeds)}
    assert {ISSUE_WEEK.monday + dt.timedelta(days=n) for n in range(7)} <= days, "spread over the whole week"


def test_some_items_fall_in_different_weeks_by_time_zone(feeds: dict[str, Any]) -> None:
    utc = dt.UTC
    edge = [e.title for _, e in all_entries(feeds) if Week.of(published(e), utc) != Week.of(published(e), TZ)]
    assert edge, "week bounds must be tried in the newsletter's zone, not UTC"


def test_entries_have_https_links_titles_summaries(feeds: dict[str, Any]) -> None:
    for sid, entry in all_entries(feeds):
        parts = urlsplit(entry.link)
        assert parts.scheme == "https" and parts.netloc.endswith(".example"), (sid, entry.link)
        assert entry.title.strip() and entry.get("summary", "").strip(), (sid, entry.link)
    links = [e.link for _, e in all_entries(feeds)]
    assert len(links) == len(set(links))


def test_headlines_differ_even_for_the_same_story(feeds: dict[str, Any]) -> None:
    titles = [e.title for _, e in all_entries(feeds)]
    assert len(titles) == len(set(titles))


@pytest.mark.parametrize("story", sorted(CROSS_FEED))
def test_cross_feed_story_is_told_by_its_feeds(feeds: dict[str, Any], story: str) -> None:
    phrase, expected = CROSS_FEED[story]
    tellers = {sid for sid, e in all_entries(feeds) if phrase in entry_text(e)}
    assert tellers == expected, f"{story}: {phrase!r} found in {sorted(tellers)}"


def test_hostile_but_realistic_material_is_present(feeds: dict[str, Any]) -> None:
    entries = [e for _, e in all_entries(feeds)]
    titles = [e.title for e in entries]
    texts = [entry_text(e) for e in entries]
    assert any("&" in t for t in titles)
    assert any("*" in t for t in titles)
    assert any(t.startswith("[") for t in titles)
    assert any("<b>" in t for t in titles)
    assert sum("utm_source=" in e.link for e in entries) >= 2
    assert any("appeared first on" in t for t in texts)
    assert any(re.search(r"Read more|Continue reading", t) for t in texts)
    assert any(e.get("author") for e in entries) and any(e.get("tags") for e in entries)
    bodies = [e.content[0].value if e.get("content") else e.get("summary", "") for e in entries]
    assert any(any(n > 1 for n in Counter(re.findall(r"<p>(.*?)</p>", body)).values()) for body in bodies), (
        "one item repeats a paragraph, as some CMSs do"
    )
    assert not any("<script" in t.lower() for t in texts + titles)
