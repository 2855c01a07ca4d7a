"""The common case fast: a well-formed UTF-8 RSS 2.0 document read with lxml, giving what feedparser gives.

feedparser reads a feed through hundreds of Python calls per entry; lxml builds the tree in C. This reads
the tree into the same entries and feed fields parse.py takes from feedparser, reproducing feedparser's
rules for each (which element wins, how text is cleaned, tags, authors, links, dates through feedparser's
own date parser), for the elements it knows how to. Anything else returns None and parse.py hands the
bytes to feedparser, the reference: another encoding, a DOCTYPE, xml:base, markup inside a text element,
a repeated element whose winner depends on feedparser's state, or any element feedparser would read into
a field parse.py uses that this module does not reproduce. tests/test_fastrss.py checks that both give
the same items on every file of the shared corpus.

Entities are never resolved and nothing is fetched: a document declaring any (a DOCTYPE) is not read here.
"""

from __future__ import annotations

import contextlib
import re
from typing import Any

from feedparser.api import StrictFeedParser
from feedparser.datetimes import _parse_date
from feedparser.html import _cp1252
from feedparser.mixin import _FeedParserMixin
from lxml import etree

from ..errors import NewsletterError

_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_comments=False
)
_ENCODING_RE = re.compile(rb"""^<\?xml[^>]*?\bencoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_NAMESPACES = {uri.lower(): prefix for uri, prefix in _FeedParserMixin.namespaces.items()}
_XML_NS = "{http://www.w3.org/XML/1998/namespace}"
_LINK_FIX_RE = re.compile("&([A-Za-z0-9_]+);")
_URI_FIX_RE = re.compile("^([A-Za-z][A-Za-z0-9+-.]*://)(/*)(.*?)")
_EMAIL_RE = re.compile(
    r"""(([a-zA-Z0-9\_\-\.\+]+)@((\[[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.)|(([a-zA-Z0-9\-]+\.)+))"""
    r"""([a-zA-Z]{2,4}|[0-9]{1,3})(\]?))(\?subject=\S+)?"""
)
_HTML_TYPES = ("application/xhtml+xml", "text/html")
_CONTENT_TYPES = {
    "text": "text/plain",
    "plain": "text/plain",
    "html": "text/html",
    "xhtml": "application/xhtml+xml",
}
TAGS_MAX = 100  # as parse.py bounds feedparser's tags

# Channel elements that never write the feed's title, link, language or dates (nor any entry): skipped.
_CHANNEL_SKIP = frozenset(
    {
        "description", "generator", "copyright", "cloud", "webmaster", "managingeditor", "category",
        "author", "dc:creator", "dc:rights", "dc:publisher", "image", "textinput",
    }
)  # fmt: skip
# Elements whose content may sit inside media:content without writing a field parse.py reads.
_MEDIA_CHILDREN = frozenset(["media:thumbnail", "media:credit"])


class _Unsupported(NewsletterError):
    """Something feedparser would read in a way this module does not reproduce (never leaves this module)."""


def parse_rss(data: bytes) -> dict[str, Any] | None:
    """feedparser's result for a plain RSS 2.0 document ({"feed", "entries", "version", "bozo"}), or None."""
    body = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    if not body.startswith((b"<?xml", b"<rss")) or b"<!DOCTYPE" in body[:4096] or b"<!doctype" in body[:4096]:
        return None
    declared = _ENCODING_RE.match(body)
    if declared and declared.group(1).lower() not in (b"utf-8", b"utf8"):
        return None
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return None
    try:
        root = etree.fromstring(body, _PARSER)
    except (etree.XMLSyntaxError, ValueError):
        return None
    try:
        return _read(root)
    except _Unsupported:
        return None


def _name(el: Any) -> str:
    """The name feedparser gives an element: its known prefix for the namespace, then the local name."""
    tag = el.tag
    if not isinstance(tag, str):
        return ""  # a comment or processing instruction
    if tag[0] != "{":
        return tag.lower()
    uri, local = tag[1:].split("}", 1)
    lowered = uri.lower()
    if "backend.userland.com/rss" in lowered:
        lowered = "http://backend.userland.com/rss"
    prefix = _NAMESPACES.get(lowered, el.prefix)
    return f"{prefix}:{local}".lower() if prefix else local.lower()


def _handled(name: str) -> bool:
    method = name.replace(":", "_")
    return hasattr(StrictFeedParser, "_start_" + method) or hasattr(StrictFeedParser, "_end_" + method)


def _attrs(el: Any) -> dict[str, str]:
    """Attributes as feedparser keeps them: names lower-cased, rel and type values too."""
    out: dict[str, str] = {}
    for key, value in el.attrib.items():
        if key.startswith("{"):
            if key.startswith(_XML_NS):
                raise _Unsupported("xml:base or xml:lang")  # feedparser tracks both
            raise _Unsupported("a namespaced attribute")
        key = key.lower()
        out[key] = value.lower() if key in ("rel", "type") else value
    return out


def _text(el: Any, *, uri: bool = False) -> str:
    """A text element's text as feedparser's pop() leaves it; markup or attributes in it are not read here."""
    if len(el) or el.attrib:
        raise _Unsupported("markup or attributes inside a text element")
    return _text_of(el, uri=uri)


def _no_handled_inside(el: Any) -> None:
    for child in el.iterdescendants():
        if _handled(_name(child)):
            raise _Unsupported("a known element inside an unknown one")


def _read(root: Any) -> dict[str, Any]:
    if root.tag != "rss" or set(root.attrib.keys()) - {"version"}:
        raise _Unsupported("not a plain rss root")
    channels = [c for c in root if isinstance(c.tag, str)]
    if len(channels) != 1 or channels[0].tag != "channel" or channels[0].attrib:
        raise _Unsupported("not one channel")
    feed: dict[str, Any] = {}
    links: list[dict[str, str]] = []
    entries: list[dict[str, Any]] = []
    titled = False
    for el in channels[0]:
        name = _name(el)
        if not name:
            continue
        if name == "item":
            entries.append(_item(el))
        elif name == "title":
            if titled or entries:
                raise _Unsupported("a second channel title, or one after the items")
            feed["title"] = _text(el)
            titled = True
        elif name == "link":
            attrs = _link_attrs(el)
            links.append(attrs)
            if "href" in attrs:
                if attrs["rel"] == "alternate" and _html_type(attrs["type"]):
                    feed["link"] = attrs["href"]
            else:
                value = _LINK_FIX_RE.sub(r"&\g<1>", _text(el, uri=True))
                feed["link"] = value
                links[-1]["href"] = value
        elif name == "language":
            feed["language"] = _text(el)
        elif name == "lastbuilddate" or name == "dc:date":
            feed["updated_parsed"] = _parse_date(_text(el))
        elif name == "pubdate":
            feed["published_parsed"] = _parse_date(_text(el))
        elif name in _CHANNEL_SKIP:
            continue
        elif _handled(name):
            raise _Unsupported(f"channel element {name}")
        else:
            _no_handled_inside(el)
    version = root.get("version", "")
    known = {"0.91": "rss091u", "0.92": "rss092", "0.93": "rss093", "0.94": "rss094"}
    return {
        "feed": feed,
        "entries": entries,
        "version": known.get(version) or ("rss20" if version.startswith("2.") else "rss"),
        "bozo": 0,
    }


def _link_attrs(el: Any) -> dict[str, str]:
    attrs = _attrs(el)
    attrs.setdefault("rel", "alternate")
    attrs.setdefault("type", "application/atom+xml" if attrs["rel"] == "self" else "text/html")
    _enforce_href(attrs)
    if "href" in attrs:
        attrs["href"] = _URI_FIX_RE.sub(r"\1\3", attrs["href"])
    return attrs


def _enforce_href(attrs: dict[str, str]) -> None:
    href = attrs.get("url", attrs.get("uri", attrs.get("href")))
    if href:
        attrs.pop("url", None)
        attrs.pop("uri", None)
        attrs["href"] = href


def _html_type(kind: str) -> bool:
    kind = {
        "text": "text/plain",
        "plain": "text/plain",
        "html": "text/html",
        "xhtml": "application/xhtml+xml",
    }.get(kind, kind)
    return kind in _HTML_TYPES


def _item(item: Any) -> dict[str, Any]:
    if item.attrib:
        raise _Unsupported("item attributes")
    entry: dict[str, Any] = {}
    seen: set[str] = set()
    has_content = False
    for el in item:
        name = _name(el)
        if not name:
            continue
        if name in ("title", "description", "guid", "source") and name in seen:
            raise _Unsupported(f"a second {name}")
        if name == "title" and "source" in seen:
            raise _Unsupported("a title after a source")
        seen.add(name)
        if name == "title":
            entry["title"] = _text(el)
        elif name == "link":
            attrs = _link_attrs(el)
            entry.setdefault("links", []).append(attrs)
            if "href" in attrs:
                if attrs["rel"] == "alternate" and _html_type(attrs["type"]):
                    entry["link"] = attrs["href"]
            else:
                value = _text(el, uri=True).replace("&amp;", "&")
                value = _LINK_FIX_RE.sub(r"&\g<1>", value)
                entry["link"] = value
                if value:
                    entry["links"][-1]["href"] = value
        elif name == "description":
            if "summary" in entry and not has_content:
                raise _Unsupported("a description read as content")
            entry["summary"] = _text(el)
            entry["summary_detail"] = {"type": "text/html"}
        elif name == "content:encoded":
            has_content = True
            value = _text(el)
            entry.setdefault("content", []).append({"type": "text/html", "value": value})
            entry.setdefault("summary", value)
        elif name == "guid":
            is_link = el.get("isPermaLink", el.get("ispermalink", "true")) == "true"
            if len(el.attrib) > (1 if ("isPermaLink" in el.attrib or "ispermalink" in el.attrib) else 0):
                raise _Unsupported("guid attributes")
            value = _guid_text(el, is_link)
            entry["id"] = value
            entry.setdefault("guidislink", is_link and "link" not in entry)
            if is_link:
                entry.setdefault("link", value)
        elif name == "pubdate":
            entry["published_parsed"] = _parse_date(_text(el))
        elif name == "dc:date":
            entry["updated_parsed"] = _parse_date(_text(el))
        elif name in ("author", "dc:creator"):
            _author(entry, _text(el))
        elif name == "category":
            _category(entry, el)
        elif name == "enclosure":
            attrs = _attrs(el)
            _enforce_href(attrs)
            attrs["rel"] = "enclosure"
            entry.setdefault("links", []).append(attrs)
        elif name == "media:content":
            for child in el:
                child_name = _name(child)
                if child_name == "media:title" and item.find("title") is None:
                    raise _Unsupported("media:title as the only title")  # else the item's title wins
                if child_name in _MEDIA_CHILDREN or child_name == "media:title":
                    continue
                if _handled(child_name):
                    raise _Unsupported(f"{child_name} inside media:content")
                _no_handled_inside(child)
            entry.setdefault("media_content", []).append(_attrs(el))
            for child in el:
                if _name(child) == "media:thumbnail":
                    _thumbnail(entry, child)
        elif name == "media:thumbnail":
            _thumbnail(entry, el)
        elif name in ("comments", "source", "media:credit"):
            if len(el):
                raise _Unsupported(f"markup inside {name}")
        elif _handled(name):
            raise _Unsupported(f"item element {name}")
        else:
            _no_handled_inside(el)
    return entry


def _guid_text(el: Any, is_link: bool) -> str:
    if len(el):
        raise _Unsupported("markup inside a guid")
    return _text_of(el, uri=is_link)


def _text_of(el: Any, *, uri: bool) -> str:
    """Stripped, a relative-URI fix where feedparser resolves one, mis-decoded UTF-8 mended, cp1252 mapped."""
    out = (el.text or "").strip()
    if uri and out:
        out = _URI_FIX_RE.sub(r"\1\3", out)
    if out.isascii():
        return out  # both steps below leave ASCII as it is
    with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
        out = out.encode("iso-8859-1").decode("utf-8")
    return out.translate(_cp1252)


def _author(entry: dict[str, Any], value: str) -> None:
    """feedparser's _end_author and _sync_author_detail for a text author (RSS author, dc:creator)."""
    authors = entry.setdefault("authors", [])
    detail: dict[str, str] = {}
    authors.append(detail)
    entry["author"] = value
    author, email = value, None
    if not author:
        return
    match = _EMAIL_RE.search(author)
    if match:
        email = match.group(0)
        author = author.replace(email, "").replace("()", "").replace("<>", "").replace("&lt;&gt;", "").strip()
        if author and author[0] == "(":
            author = author[1:]
        if author and author[-1] == ")":
            author = author[:-1]
        author = author.strip()
    if author:
        detail["name"] = author
    if email:
        detail["email"] = email


def _category(entry: dict[str, Any], el: Any) -> None:
    """feedparser's _start_category, _end_category and _add_tag (bounded as parse.py bounds it)."""
    if len(el):
        raise _Unsupported("markup inside a category")
    attrs = {key.lower(): value for key, value in el.attrib.items()}
    if any(key.startswith("{") for key in attrs):
        raise _Unsupported("a namespaced category attribute")
    tags = entry.setdefault("tags", [])
    _add_tag(tags, attrs.get("term"), attrs.get("scheme", attrs.get("domain")), attrs.get("label"))
    value = _text_of(el, uri=False)
    if not value:
        return
    if tags and not tags[-1]["term"]:
        tags[-1]["term"] = value
    else:
        _add_tag(tags, value, None, None)


def _add_tag(tags: list[dict[str, Any]], term: str | None, scheme: str | None, label: str | None) -> None:
    if len(tags) >= TAGS_MAX or (not term and not scheme and not label):
        return
    value = {"term": term, "scheme": scheme, "label": label}
    if value not in tags:
        tags.append(value)


def _thumbnail(entry: dict[str, Any], el: Any) -> None:
    thumbs = entry.setdefault("media_thumbnail", [])
    attrs = _attrs(el)
    thumbs.append(attrs)
    if len(el):
        raise _Unsupported("markup inside media:thumbnail")
    url = _text_of(el, uri=True)
    if url.strip() and "url" not in attrs:
        attrs["url"] = url
