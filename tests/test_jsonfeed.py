"""JSON Feed 1.0 and 1.1 parse into the same Items as RSS (fixtures are checked in test_parse.py)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from newsletter.errors import FeedParseError
from newsletter.feeds.entries import item_id
from newsletter.feeds.jsonfeed import parse_jsonfeed
from newsletter.feeds.parse import parse_feed
from newsletter.models import UTC, SourceHealth
from newsletter.store import Store

FEEDS = Path(__file__).parent / "data" / "feeds"
NOW = dt.datetime(2026, 11, 27, tzinfo=UTC)


def test_v11_fields() -> None:
    feed = parse_jsonfeed((FEEDS / "v11.json").read_bytes(), source_id="j", url="", now=NOW)
    first, text_only, external = feed.items
    assert feed.title == "JSON Feed 1.1 sample" and feed.link == "https://json.example.com/"
    assert first.url == "https://json.example.com/posts/vinfast" and first.id == item_id(first.url)
    assert first.summary == "First batch of cars shipped."
    assert "<script" not in first.content_html and "first batch" in first.content_html
    assert first.published == dt.datetime(2026, 11, 23, 20, tzinfo=UTC)
    assert first.authors == ("Linh Tran",) and first.tags == ("mobility", "Vietnam")
    assert first.image == "https://json.example.com/vf.jpg"
    assert text_only.url == "https://json.example.com/posts/text-only"  # an http(s) id is the address
    assert "&lt;angle&gt;" in text_only.content_html and text_only.authors == ("Desk",)
    assert text_only.published == dt.datetime(2026, 11, 25, tzinfo=UTC)  # date_modified
    assert external.url == "https://elsewhere.example/story" and external.guid == "3"
    assert feed.problem == "2 entries without an http(s) url or id dropped"


def test_v10_author_bom_and_placeholder_date() -> None:
    data = (FEEDS / "v10.json").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    feed = parse_feed(data, source_id="j", now=NOW)
    assert [i.authors for i in feed.items] == [("Item Author",), ("Feed Author",)]
    assert feed.items[1].published is None  # 1970 counts as missing


def test_utf16_and_control_characters() -> None:
    doc = {
        "version": "https://jsonfeed.org/version/1",
        "items": [{"id": "x", "url": "https://u.example/1", "title": "五月天"}],
    }
    body = json.dumps(doc, ensure_ascii=False).replace("五月天", "五月\t天").encode("utf-16")
    assert parse_jsonfeed(body, source_id="j", now=NOW).items[0].title == "五月 天"


@pytest.mark.parametrize(
    "body",
    [
        b"{",
        b"[1, 2]",
        b'{"items": 3}',
        b'{"title": "api error"}',
        b"[" * 100000,
        b'{"a": 1' + b"9" * 5000 + b"}",
        b"\xff\xfe\x00{",
    ],
)
def test_garbage_raises_feed_parse_error(body: bytes) -> None:
    with pytest.raises(FeedParseError) as info:
        parse_jsonfeed(body, source_id="j", url="https://x.example/feed.json")
    assert "\n" not in str(info.value) and "https://x.example/feed.json" in str(info.value)


def test_lone_surrogates_are_replaced_so_the_item_can_be_stored(tmp_path: Path) -> None:
    data = (
        b'{"version": "https://jsonfeed.org/version/1.1", "title": "S", "items": [{"id": "1",'
        b' "url": "https://e.example/a\\ud800", "title": "Bad \\ud800 title", "content_text": "x \\udfff"}]}'
    )
    [item] = parse_jsonfeed(data, source_id="s", url="https://e.example/feed.json").items
    assert "\ud800" not in item.title and item.title.startswith("Bad")
    item.title.encode("utf-8")
    with Store(tmp_path / "s.sqlite3") as store:
        now = dt.datetime(2026, 11, 20, tzinfo=UTC)
        assert store.save_fetch("s", [item], SourceHealth("s"), now) == 1
