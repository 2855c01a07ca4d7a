"""The lxml fast path gives exactly what feedparser gives, on every file of the shared corpus.

parse_feed reads plain UTF-8 RSS 2.0 with fastrss.py and everything else with feedparser, the reference.
Each corpus file the fast path takes is parsed both ways here and the two results must be equal: the feed's
title, link, language, date and problem, and every item field for field.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from newsletter.errors import FeedParseError
from newsletter.feeds import fastrss, parse
from newsletter.models import UTC, ParsedFeed
from tests.test_corpus import CORPUS, needs_corpus

NOW = dt.datetime(2026, 6, 1, tzinfo=UTC)


def both_ways(
    data: bytes, monkeypatch: pytest.MonkeyPatch, content_type: str | None = None
) -> tuple[object, object]:
    def parsed() -> ParsedFeed | str:
        try:
            return parse.parse_feed(
                data, source_id="corpus", url="https://example.com/feed", now=NOW, content_type=content_type
            )
        except FeedParseError as exc:
            return str(exc)

    fast = parsed()
    with monkeypatch.context() as m:
        m.setattr(fastrss, "parse_rss", lambda data: None)
        reference = parsed()
    return fast, reference


def corpus_files(folder: str) -> list[Path]:
    root = CORPUS / folder
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else []


@needs_corpus
@pytest.mark.parametrize("folder", ["feedparser-tests", "jsonfeed", "real-feeds", "stress"])
def test_the_fast_path_gives_what_feedparser_gives(folder: str, monkeypatch: pytest.MonkeyPatch) -> None:
    files = corpus_files(folder)
    assert files, f"{folder} is empty"
    taken, differ = 0, []
    for path in files:
        data = path.read_bytes()
        if fastrss.parse_rss(data) is None:
            continue  # feedparser reads it, both ways
        taken += 1
        fast, reference = both_ways(data, monkeypatch)
        if fast != reference:
            differ.append(str(path.relative_to(CORPUS)))
    assert not differ, f"{len(differ)} files differ: {differ[:10]}"
    if folder in ("real-feeds", "stress"):
        feeds = sum(1 for p in files if p.suffix in (".xml", ".rss", ""))
        assert taken >= 0.5 * feeds, taken  # most of the rest is Atom, which feedparser reads


@needs_corpus
@pytest.mark.parametrize(
    "content_type",
    ["application/rss+xml; charset=utf-8", "text/xml; charset=UTF-8", "text/html; charset=utf-8"],
)
def test_served_with_a_content_type_the_fast_path_still_gives_what_feedparser_gives(
    content_type: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = [p for p in corpus_files("real-feeds") if fastrss.parse_rss(p.read_bytes()) is not None]
    assert len(files) >= 20
    for path in files:
        fast, reference = both_ways(path.read_bytes(), monkeypatch, content_type)
        assert fast == reference, path.name
    assert parse._utf8_xml("application/rss+xml; charset=utf-8")
    assert not parse._utf8_xml("text/html; charset=utf-8")  # feedparser distrusts it: feedparser reads it
    assert not parse._utf8_xml("application/xml; charset=iso-8859-1")


def test_what_the_fast_path_leaves_to_feedparser() -> None:
    plain = (
        b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>T</title>'
        b"<item><title>A</title><link>https://example.com/a</link></item></channel></rss>"
    )
    assert fastrss.parse_rss(plain) is not None
    refused = {
        "another encoding": plain.replace(b"utf-8", b"iso-8859-1"),
        "a DOCTYPE": plain.replace(b"<rss", b'<!DOCTYPE rss [<!ENTITY e "x">]><rss'),
        "not well-formed": plain.replace(b"</item>", b""),
        "markup in a title": plain.replace(b"<title>A</title>", b"<title>A <b>bold</b></title>"),
        "a second title": plain.replace(b"<title>A</title>", b"<title>A</title><title>B</title>"),
        "xml:base": plain.replace(b"<item>", b'<item xml:base="https://example.org/">'),
        "Atom": b'<feed xmlns="http://www.w3.org/2005/Atom"><title>T</title></feed>',
        "an element feedparser reads into a field": plain.replace(
            b"<title>A</title>", b'<title>A</title><summary xmlns="http://www.w3.org/2005/Atom">S</summary>'
        ),
        "whitespace before the declaration": b"\n " + plain,
        "not UTF-8": plain.replace(b"<title>A", b"<title>\xe9"),
    }
    for why, data in refused.items():
        assert fastrss.parse_rss(data) is None, why


def test_hostile_rss_is_read_the_same_both_ways(monkeypatch: pytest.MonkeyPatch) -> None:
    data = (
        '<?xml version="1.0"?><rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"'
        ' xmlns:media="http://search.yahoo.com/mrss/"><channel><title> Wire \u0085</title>'
        "<link>https://example.com/?a=1&amp;b=2</link><language>zh-CN</language>"
        "<item><title>\u00c3\u00a9t\u00c3\u00a9 \x80 ok</title><link>https://example.com/x?utm_source=a&amp;amp;id=3"
        '</link><guid isPermaLink="true">https://example.com/g</guid><category domain="d">C</category>'
        "<category>C</category><category>D</category><dc:creator>a@b.com (Ana)</dc:creator>"
        "<author></author><description>&lt;p&gt;Hi &lt;script&gt;x&lt;/script&gt;&lt;/p&gt;</description>"
        '<media:content url="https://example.com/i.jpg" medium="image"><media:title>M</media:title>'
        "</media:content><pubDate>Tue, 03 Mar 2026 10:00:00 +0800</pubDate></item>"
        "<item><guid>https://example.com/only-guid</guid><description>No title</description></item>"
        "</channel></rss>"
    ).encode()
    assert fastrss.parse_rss(data) is not None
    fast, reference = both_ways(data, monkeypatch)
    assert isinstance(fast, ParsedFeed) and len(fast.items) == 2
    assert fast == reference
