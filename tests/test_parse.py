"""parse_feed: fixtures with their expected result beside them, safety against hostile bytes, errors.

The expected files are golden files: regenerate them after a deliberate change, then review the diff:
    NEWSLETTER_REGEN_GOLDEN=1 .venv/bin/python -m pytest tests/test_parse.py -k fixture
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

import pytest
from golden.check import assert_golden_json

from newsletter.errors import FeedParseError
from newsletter.feeds.entries import AUTHORS_MAX, TAGS_MAX, item_id
from newsletter.feeds.parse import date_items, defuse_doctype, parse_feed
from newsletter.models import UTC, ParsedFeed

FEEDS = Path(__file__).parent / "data" / "feeds"
NOW = dt.datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
FIXTURES = sorted(p for p in FEEDS.iterdir() if not p.name.endswith(".expected.json"))


def as_json(feed: ParsedFeed) -> dict:
    data = dataclasses.asdict(feed)
    for item in data["items"]:
        item["published"] = item["published"] and item["published"].isoformat()
    data["updated"] = data["updated"] and data["updated"].isoformat()
    return json.loads(json.dumps(data))  # tuples become lists, as in the expected file


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.name)
def test_fixture_parses_to_expected(path: Path) -> None:
    base_url = "https://news.example.com/feed.xml" if path.name == "full.rss" else ""
    got = as_json(parse_feed(path.read_bytes(), source_id="src", url=base_url, now=NOW))
    assert_golden_json(path.with_name(path.name + ".expected.json"), got)


def full() -> ParsedFeed:
    return parse_feed((FEEDS / "full.rss").read_bytes(), source_id="src", url="", now=NOW)


def test_ids_are_hashes_of_canonical_urls_and_duplicates_collapse() -> None:
    feed = full()
    first = feed.items[0]
    assert first.url == "https://news.example.com/2026/11/tsmc-capex?id=7"
    assert first.id == item_id(first.url) and len(first.id) == 16
    # The fifth entry is the same article with other tracking parameters and host case: one item.
    assert [i.url for i in feed.items].count(first.url) == 1
    assert "1 entries without an http(s) link or GUID dropped" in (feed.problem or "")


def test_title_summary_and_times() -> None:
    first, untitled, guid_only = full().items[:3]
    assert first.title == "TSMC lifts capex & guidance"
    assert first.summary.count("The chipmaker raised its spending plan for next year.") == 1
    assert "appeared first" not in first.summary and "alert" not in first.summary
    assert first.published == dt.datetime(2026, 11, 24, 0, 30, tzinfo=UTC)
    assert first.authors == ("Mei Lin",) and first.tags == ("Semiconductors", "Taiwan")
    assert first.image == "https://img.example.com/tsmc.jpg"
    assert untitled.title.startswith("Sony said its image sensor unit")
    assert not untitled.summary.endswith("Read more")
    assert untitled.published is None and untitled.dated == "undated"  # 1970 is a placeholder, not a date
    assert guid_only.url == "https://news.example.com/2026/11/guid-only"


def test_content_html_is_sanitized() -> None:
    html = full().items[0].content_html
    for bad in ("onclick", "javascript:", "<iframe", "<form", "<input", "onerror", "data:image", "<script"):
        assert bad not in html
    assert 'href="https://news.example.com/related"' in html
    assert 'rel="noopener noreferrer"' in html
    assert '<img src="https://img.example.com/chart.png">' in html


def test_illformed_feed_keeps_items_and_records_problem() -> None:
    feed = parse_feed((FEEDS / "illformed.rss").read_bytes(), source_id="b", now=NOW)
    assert [i.title for i in feed.items] == ["First & only", "Second"]
    assert feed.problem and feed.problem.startswith("ill-formed feed")


def test_gb2312_feed_decodes() -> None:
    feed = parse_feed((FEEDS / "gb2312.xml").read_bytes(), source_id="qq", now=NOW)
    assert feed.title == "腾讯科技"
    assert feed.items[0].title == "华为发布新款芯片"
    assert feed.items[0].summary.count("华为周二发布新款人工智能芯片。") == 1


def test_relative_links_resolve_against_feed_url_then_site_link() -> None:
    body = b"""<rss version="2.0"><channel><title>t</title><link>https://site.example/</link>
    <item><title>a</title><link>posts/a</link></item></channel></rss>"""
    assert parse_feed(body, source_id="s", now=NOW).items[0].url == "https://site.example/posts/a"
    fed = parse_feed(body, source_id="s", url="https://cdn.example/feeds/rss.xml", now=NOW)
    assert fed.items[0].url == "https://cdn.example/feeds/posts/a"


def test_zero_item_feed_is_not_an_error() -> None:
    feed = parse_feed(b'<rss version="2.0"><channel><title>Quiet</title></channel></rss>', source_id="s")
    assert feed.title == "Quiet" and feed.items == ()


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b"", "empty"),
        (b"  \n\t ", "empty"),
        (b"<!DOCTYPE html><html><head><title>Home</title></head><body><p>Hi</p></body></html>", "HTML page"),
        (bytes(range(256)) * 8, "not an RSS"),
        (b"just some words", "not an RSS"),
        (b"{not json", "not valid JSON"),
    ],
)
def test_not_a_feed_raises_one_line_error(body: bytes, words: str) -> None:
    with pytest.raises(FeedParseError) as info:
        parse_feed(body, source_id="s", url="https://x.example/feed")
    assert words in str(info.value) and "\n" not in str(info.value)


def test_content_type_json_routes_to_jsonfeed() -> None:
    body = b'\n {"version": "https://jsonfeed.org/version/1.1", "items": [{"id": "1", "url": "https://j.example/1"}]}'
    assert (
        parse_feed(body, source_id="s", content_type="application/feed+json").items[0].url
        == "https://j.example/1"
    )


def test_bytes_that_look_like_a_path_are_never_opened(tmp_path: Path) -> None:
    secret = tmp_path / "secret.xml"
    secret.write_bytes(
        b'<rss version="2.0"><channel><item><link>https://leak.example/x</link></item></channel></rss>'
    )
    # Handed bytes directly, feedparser would open() them as a file name.
    with pytest.raises(FeedParseError):
        parse_feed(str(secret).encode(), source_id="s")


LOL = b"".join(b'<!ENTITY l%d "%s">' % (i, (b"&l%d;" % (i - 1)) * 10) for i in range(1, 10))
ATTACKS = {
    # One line: feedparser's own DOCTYPE stripping only sees declarations at the start of a line.
    "billion_laughs_one_line": b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY l0 "lollollollol">'
    + LOL
    + b"]>"
    b'<rss version="2.0"><channel><title>t</title><item><title>x &l5;</title>'
    b"<link>https://a.example/1</link><description>&l9;&l5;</description></item></channel></rss>",
    "billion_laughs_lines": b'<?xml version="1.0"?>\n<!DOCTYPE rss [\n<!ENTITY l0 "lol">\n'
    + LOL.replace(b"><", b">\n<")
    + b'\n]>\n<rss version="2.0"><channel><item><title>&l8;</title><link>https://a.example/1</link>'
    b"</item></channel></rss>",
    "external_file": b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    b'<rss version="2.0"><channel><item><title>x &x;</title><link>https://a.example/1</link>'
    b"<description>&x;</description></item></channel></rss>",
    "parameter_entity": b'<?xml version="1.0"?>\n<!DOCTYPE rss [\n<!ENTITY % p SYSTEM "file:///etc/passwd">\n%p;\n'
    b"<!-- > tricky ] comment -->\n]>\n"
    b'<rss version="2.0"><channel><item><title>x</title><link>https://a.example/1</link></item></channel></rss>',
    "utf16_billion_laughs": (
        '<?xml version="1.0" encoding="utf-16"?><!DOCTYPE rss [<!ENTITY l0 "lollollollol">'
        + LOL.decode()
        + ']><rss version="2.0"><channel><item><title>&l6;</title><link>https://a.example/1</link>'
        "</item></channel></rss>"
    ).encode("utf-16"),
}


@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_entity_attacks_neither_expand_nor_read_files(name: str) -> None:
    feed = parse_feed(ATTACKS[name], source_id="s", now=NOW)
    for item in feed.items:
        blob = item.title + item.summary + item.content_html
        assert len(blob) < 2000, "entities expanded"
        assert "root:" not in blob
    assert feed.items and feed.items[0].url == "https://a.example/1"


def test_safe_text_entities_survive_defusing() -> None:
    body = (
        b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY co "Acme Corp"><!ENTITY bad "&co;&co;">]>'
        b'<rss version="2.0"><channel><item><title>&co; news</title><link>https://a.example/1</link>'
        b"</item></channel></rss>"
    )
    assert b"bad" not in defuse_doctype(body)
    assert parse_feed(body, source_id="s").items[0].title == "Acme Corp news"


def test_netscape_doctype_is_left_alone() -> None:
    body = (
        b'<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" "x.dtd">\n<rss version="0.91">'
    )
    assert defuse_doctype(body) == body


def _dated_feed(channel_date: str = "", *entry_dates: str) -> ParsedFeed:
    entries = "".join(
        f"<item><link>https://a.example/{n}</link>{f'<pubDate>{d}</pubDate>' if d else ''}</item>"
        for n, d in enumerate(entry_dates)
    )
    channel = f"<pubDate>{channel_date}</pubDate>" if channel_date else ""
    return parse_feed(f"<rss><channel>{channel}{entries}</channel></rss>".encode(), source_id="s", now=NOW)


def test_undated_entries_take_first_seen_on_fetch() -> None:
    feed = _dated_feed("Mon, 23 Nov 2026 08:00:00 GMT", "", "Tue, 24 Nov 2026 09:00:00 GMT")
    undated, dated = date_items(feed, first_seen=NOW)
    assert (undated.published, undated.dated) == (NOW, "first-seen")
    assert (dated.published, dated.dated) == (dt.datetime(2026, 11, 24, 9, tzinfo=UTC), "entry")


def test_undated_entries_on_ingest_borrow_the_feed_date_then_the_newest_entry() -> None:
    channel = _dated_feed("Mon, 23 Nov 2026 08:00:00 GMT", "", "Tue, 24 Nov 2026 09:00 GMT")
    with_channel = date_items(channel, None)
    assert (with_channel[0].published, with_channel[0].dated) == (
        dt.datetime(2026, 11, 23, 8, tzinfo=UTC),
        "feed-date",
    )
    newest = date_items(_dated_feed("", "", "Tue, 24 Nov 2026 09:00 GMT", "Sun, 22 Nov 2026 09:00 GMT"), None)
    assert (newest[0].published, newest[0].dated) == (dt.datetime(2026, 11, 24, 9, tzinfo=UTC), "newest-item")
    alone = date_items(_dated_feed("", "", ""), None)
    assert [(i.published, i.dated) for i in alone] == [(None, "undated")] * 2


@pytest.mark.parametrize(
    "date",
    [
        "Thu, 01 Jan 1970 00:00:00 GMT",
        "Sun, 31 Dec 1989 23:00:00 GMT",
        "Sun, 29 Nov 2026 12:00:01 GMT",
        "Fri, 31 Dec 9999 23:59:59 GMT",  # stored, it broke week arithmetic in `items --all`
    ],
)
def test_placeholder_and_future_dates_count_as_missing(date: str) -> None:
    (item,) = _dated_feed("", date).items
    assert item.published is None  # before 1990, or more than a day after NOW


def test_dates_just_inside_the_bounds_are_kept() -> None:
    early, ahead = _dated_feed("", "Mon, 01 Jan 1990 00:00:00 GMT", "Sat, 28 Nov 2026 11:59:00 GMT").items
    assert early.published == dt.datetime(1990, 1, 1, tzinfo=UTC)
    assert ahead.published == dt.datetime(2026, 11, 28, 11, 59, tzinfo=UTC)


def test_hostile_text_is_clean_at_parse_time() -> None:
    esc = "&#27;[2J&#27;]0;owned&#7;"
    body = f"""<rss version="2.0"><channel><title>Wire{esc}\u202eTech</title>
    <item><title>Grab{esc} buys \u200bGoTo</title><link>https://x.example/a</link>
    <author>Mei\x1b[31m Lin</author><category>Deals\x1b]52;c;aGk=\x07</category>
    <description>Talks {esc}resume.</description></item></channel></rss>""".encode()
    for data in (body, body.replace(b"&#27;", b"\x1b").replace(b"&#7;", b"\x07")):
        feed = parse_feed(data, source_id="s", now=NOW)
        item = feed.items[0]
        assert (feed.title, item.title) == ("WireTech", "Grab buys GoTo")
        assert item.summary == "Talks resume."
        assert item.tags == ("Deals",)
        for text in (feed.title, item.title, item.summary, item.content_html, *item.authors, *item.tags):
            assert not any(c in text for c in "\x1b\x07\u202e\u200b"), text


def test_a_parser_message_quoting_the_feed_is_clean() -> None:
    body = b'<rss version="2.0"><channel><title>T</title><item><link>https://x.example/a</link></item></channel></rss>'
    feed = parse_feed(body, source_id="s", content_type="text/xml; charset=bogus\x1b[2J\x9b1m", now=NOW)
    assert feed.problem and "bogus" in feed.problem and "\x1b" not in feed.problem, feed.problem


def test_hostile_json_feed_text_is_clean_and_a_huge_title_is_cut() -> None:
    doc = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "Feed\u001b]0;x\u0007 name",
        "items": [
            {
                "id": "1",
                "url": "https://j.example/1",
                "title": "Big " * 300_000,
                "content_text": "x\u009b2Jy",
            },
            {"id": "2", "url": "https://j.example/2", "title": "\u202eevil\u202c \u2066title\u2069"},
        ],
    }
    feed = parse_feed(json.dumps(doc).encode(), source_id="s", now=NOW)
    big, evil = feed.items
    assert feed.title == "Feed name"
    assert len(big.title) < 1000 and big.title.endswith("…")
    assert "\x9b" not in big.content_html and "\x9b" not in big.summary
    assert evil.title == "evil title"


def test_tags_and_authors_are_bounded_per_entry() -> None:
    # feedparser compares each new tag with every earlier one: 100,000 <category> elements in one
    # entry took five minutes, and one <media:keywords> can list as many. Past a bound they are dropped.
    many = "".join(f"<category>c{i}</category>" for i in range(3000))
    keywords = ",".join(f"k{i}" for i in range(3000))
    authors = "".join(f"<author>a{i}@x.example (A{i})</author>" for i in range(3000))
    body = f"""<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"><channel><title>T</title>
    <item><title>a</title><link>https://x.example/a</link>{many}{authors}</item>
    <item><title>b</title><link>https://x.example/b</link><media:keywords>{keywords}</media:keywords></item>
    </channel></rss>""".encode()
    a, b = parse_feed(body, source_id="s", now=NOW).items
    assert a.tags[:3] == ("c0", "c1", "c2") and len(a.tags) == TAGS_MAX
    assert b.tags[:2] == ("k0", "k1") and len(b.tags) == TAGS_MAX
    assert len(a.authors) == AUTHORS_MAX


def test_an_images_caption_never_stands_for_the_entrys_description() -> None:
    # feedparser writes media:description over the description (kurtmckee/feedparser#53): Rest of World's
    # book review was summarised by the caption of its photo of Nairobi students.
    media = 'xmlns:media="http://search.yahoo.com/mrss/"'
    content = 'xmlns:content="http://purl.org/rss/1.0/modules/content/"'
    data = f"""<?xml version="1.0" encoding="utf-8"?><rss version="2.0" {media} {content}>
    <channel><title>W</title><item><title>How phones reached Kenya</title><link>https://example.com/kenya</link>
    <description>A new book charts Chinese investment in Nairobi.</description>
    <content:encoded><![CDATA[<p>When I first embarked on the project...</p>]]></content:encoded>
    <media:content url="https://example.com/k.jpg" medium="image"/>
    <media:description>Students take pictures in Nairobi on April 16, 2024. (Photo by AFP)</media:description>
    </item>
    <item><title>A video</title><link>https://example.com/video</link>
    <media:group><media:description>The only description this entry has.</media:description></media:group>
    </item></channel></rss>""".encode()
    feed = parse_feed(data, source_id="w")
    assert [it.summary for it in feed.items] == [
        "A new book charts Chinese investment in Nairobi.",
        "The only description this entry has.",
    ]
