"""OPML import/export: nested folders become categories, hostile files are refused with one line."""

from __future__ import annotations

import pytest

from newsletter.errors import ConfigError
from newsletter.feeds.opml import OpmlOutline, read_opml, write_opml
from newsletter.models import Source

NESTED = b"""<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0"><head><title>Feeds</title></head><body>
  <outline text="Asia">
    <outline text="Japan">
      <outline type="rss" text="Nikkei Tech" xmlUrl="https://nikkei.example/tech.rss"
       category="ai, chips/semis"/>
    </outline>
    <outline type="rss" title="Only title" xmlurl="https://only.example/feed"/>
  </outline>
  <outline type="rss" text="Top level" xmlUrl="https://top.example/rss"/>
  <outline type="rss" text="Duplicate" xmlUrl="https://top.example/rss"/>
  <outline text="Empty folder"/>
</body></opml>"""


def test_nested_outlines_become_categories() -> None:
    assert read_opml(NESTED) == [
        OpmlOutline(
            "https://nikkei.example/tech.rss", "Nikkei Tech", ("Asia", "Japan", "ai", "chips", "semis")
        ),
        OpmlOutline("https://only.example/feed", "Only title", ("Asia",)),
        OpmlOutline("https://top.example/rss", "Top level", ()),
    ]


def test_round_trip_escapes_everything() -> None:
    sources = [
        Source(
            id="a",
            name='A & <B> "quoted" \x01',
            url="https://a.example/f?x=1&y=2",
            region="japan",
            themes=("ai", "funding"),
        ),
        Source(id="b", name="本地", url="feeds/local.xml"),
    ]
    text = write_opml(sources, title="Mine </title><script>")
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<opml version="2.0">')
    assert "<script>" not in text
    assert read_opml(text.encode()) == [
        OpmlOutline("https://a.example/f?x=1&y=2", 'A & <B> "quoted"', ("japan", "ai", "funding")),
        OpmlOutline("feeds/local.xml", "本地", ()),
    ]


def test_five_hundred_outlines() -> None:
    sources = [Source(id=f"s{i}", name=f"Source {i}", url=f"https://s{i}.example/feed") for i in range(500)]
    outlines = read_opml(write_opml(sources, "big").encode())
    assert len(outlines) == 500 and outlines[499].url == "https://s499.example/feed"


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b"", "not a valid OPML"),
        (b"<opml><body><outline", "not a valid OPML"),
        (b"<rss version='2.0'><channel/></rss>", "root element <rss>"),
        (b"<opml version='2.0'><head/></opml>", "no <body>"),
        (
            b'<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
            b'<opml><body><outline text="&b;" xmlUrl="https://x.example/"/></body></opml>',
            "entities",
        ),
        (
            b'<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            b'<opml><body><outline text="&x;" xmlUrl="https://x.example/"/></body></opml>',
            "entities",
        ),
        (b'<?xml version="1.0" encoding="no-such-codec"?><opml><body/></opml>', "unknown encoding"),
        (b"<opml><body>" + b'<outline text="f">' * 5000 + b"</outline>" * 5000 + b"</body></opml>", "nest"),
    ],
)
def test_bad_opml_raises_one_line(body: bytes, words: str) -> None:
    with pytest.raises(ConfigError) as info:
        read_opml(body)
    assert words in str(info.value) and "\n" not in str(info.value)


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_opml_with_a_plain_doctype_is_read(codec: str) -> None:
    # A DOCTYPE without entities is harmless; in UTF-16 either byte order it must not be refused.
    text = (
        '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE opml><opml version="2.0"><head/><body>'
        '<outline text="Tech" xmlUrl="https://tech.example/feed"/></body></opml>'
    )
    bom = "\ufeff".encode(codec)
    assert read_opml(bom + text.encode(codec)) == [OpmlOutline("https://tech.example/feed", "Tech")]
