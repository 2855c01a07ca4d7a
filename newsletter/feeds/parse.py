"""Turn the bytes of a feed into Items: stable ids, canonical URLs, plain titles, clean text, UTC times.

feedparser is only ever handed bytes in a BytesIO (given bytes or a str it would open them as a
path or URL), with its own sanitizer and URI resolution off: we sanitize once with nh3, which is
several times faster, and resolve links ourselves.
"""

from __future__ import annotations

import codecs
import contextlib
import dataclasses
import datetime as dt
import io
import os
import re
import signal
import threading
from collections.abc import Iterable, Mapping
from multiprocessing.connection import Connection
from typing import Any

import feedparser
import feedparser.mixin
import feedparser.namespaces.mediarss

from ..errors import FeedParseError
from ..models import UTC, Item, ParsedFeed
from . import fastrss
from .entries import TAGS_MAX, make_item, text_as_html, to_utc, unique_items
from .feedtext import plain_title
from .jsonfeed import parse_jsonfeed
from .safetext import printable
from .urls import canonical_url, check_hint

_HTML_TYPES = ("text/html", "application/xhtml+xml", "html", "xhtml")
_DOCTYPE_RE = re.compile(rb"<!DOCTYPE\b", re.IGNORECASE)
_FIRST_ELEMENT_RE = re.compile(rb"<[A-Za-z_]")
# Tokens inside a DOCTYPE: quoted strings and comments may hold '[', ']' or '>' that mean nothing.
_DOCTYPE_TOKEN_RE = re.compile(rb"\"[^\"]*\"|'[^']*'|<!--.*?-->|[\[\]>]", re.DOTALL)
_ENTITY_DECL_RE = re.compile(rb"<!ENTITY\b", re.IGNORECASE)
# An entity we keep: a general entity whose short value is plain text or one character reference,
# so it cannot refer to another entity (no nesting, hence no billion laughs) nor to a file or URL.
_SAFE_ENTITY_RE = re.compile(
    rb"<!ENTITY\s+([A-Za-z_][\w.-]{0,40})\s+\"(&#x?[0-9A-Fa-f]{1,6};|[^&%<\"]{0,64})\"\s*>"
)
_ROOT_NAME_RE = re.compile(rb"<!DOCTYPE\s+([A-Za-z_][\w.:-]*)", re.IGNORECASE)


def _add_tag_bounded(self: Any, term: str, scheme: str, label: str) -> None:
    """feedparser's _add_tag, which checks each new tag against every earlier one (quadratic), bounded."""
    if len(self._get_context().get("tags") or ()) < TAGS_MAX:
        _add_tag(self, term, scheme, label)


# 100,000 <category> elements in one entry (or terms in one <media:keywords>) took five minutes.
_add_tag = feedparser.mixin._FeedParserMixin._add_tag
feedparser.mixin._FeedParserMixin._add_tag = _add_tag_bounded


_MediaRss = feedparser.namespaces.mediarss.Namespace
_media_description = (_MediaRss._start_media_description, _MediaRss._end_media_description)


def _start_media_description(self: Any, attrs_d: Any) -> None:
    """feedparser writes a media:description (an image's caption) over the entry's own description, so a
    photo caption became the summary (kurtmckee/feedparser#53): it is kept apart once the entry has one."""
    caption = "summary" in self._get_context()
    self._media_captions = [*getattr(self, "_media_captions", []), caption]
    if caption:
        self.push("media_description", 1)
    else:
        _media_description[0](self, attrs_d)  # the only description there is (a video's, say)


def _end_media_description(self: Any) -> None:
    captions = getattr(self, "_media_captions", None) or [False]
    if captions.pop():
        self.pop("media_description")
    else:
        _media_description[1](self)


_MediaRss._start_media_description = _start_media_description
_MediaRss._end_media_description = _end_media_description


def _defuse_ascii(data: bytes) -> bytes:
    """Replace a DOCTYPE that declares entities by one declaring only flat, short, text entities."""
    first = _FIRST_ELEMENT_RE.search(data)
    limit = first.start() if first else len(data)
    m = _DOCTYPE_RE.search(data, 0, limit)
    if not m:
        return data
    depth, end = 0, -1
    for tok in _DOCTYPE_TOKEN_RE.finditer(data, m.end()):
        t = tok.group()
        if t == b"[":
            depth += 1
        elif t == b"]":
            depth = max(0, depth - 1)
        elif t == b">" and depth == 0:
            end = tok.end()
            break
    if end < 0:  # an unterminated DOCTYPE: drop everything from it, nothing after it can be a feed root
        end = len(data)
    doctype = data[m.start() : end]
    if not _ENTITY_DECL_RE.search(doctype):
        return data  # e.g. Netscape's RSS 0.91 DOCTYPE, which feedparser reads for the version
    root = _ROOT_NAME_RE.match(doctype)
    safe = _SAFE_ENTITY_RE.findall(doctype)
    replacement = b""
    if safe:
        decls = b"".join(b'<!ENTITY %s "%s">\n' % pair for pair in safe)
        # Own lines, so feedparser's line-anchored DOCTYPE handling sees and keeps them.
        replacement = b"\n<!DOCTYPE " + (root.group(1) if root else b"feed") + b" [\n" + decls + b"]>\n"
    return data[: m.start()] + replacement + data[end:]


def _wide_codec(data: bytes) -> str | None:
    """The codec of a UTF-16/32 body (whose bytes an ASCII regex cannot read), else None."""
    if data.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        return "utf-32"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    return {
        b"\x00\x00\x00<": "utf-32-be",
        b"<\x00\x00\x00": "utf-32-le",
        b"\x00<\x00?": "utf-16-be",
        b"<\x00?\x00": "utf-16-le",
    }.get(data[:4])


def defuse_doctype(data: bytes) -> bytes:
    """Bytes with entity declarations that could expand or read files taken out of the DOCTYPE.

    feedparser strips such declarations only when each sits at the start of a line; on one line
    they reach expat, whose amplification limit still lets ~8 MB through. External entities are
    never fetched (feedparser turns external general entities off), but we drop them anyway.
    """
    codec = _wide_codec(data)
    if codec is None:
        return _defuse_ascii(data)
    try:
        text = data.decode(codec)
    except UnicodeDecodeError:
        return data
    utf8 = text.encode("utf-8")
    fixed = _defuse_ascii(utf8)
    # Unchanged bytes go back as they came: re-encoding may swap the byte order ("utf-16" writes the
    # machine's), and callers such as read_opml compare the result to the input.
    return data if fixed == utf8 else fixed.decode("utf-8").encode(codec)


def _as_html(detail: Mapping[str, Any] | None, value: str) -> str:
    """Entry text as HTML: text/plain escaped so that '<' in prose is not read as a tag."""
    kind = str((detail or {}).get("type") or "text/html").lower()
    if kind in _HTML_TYPES or "html" in kind:
        return value
    return text_as_html(value)


def _entry_link(entry: Mapping[str, Any], base: str) -> str:
    link = entry.get("link") or ""
    if canonical_url(link, base):
        return str(link)
    for candidate in entry.get("links") or ():
        href = candidate.get("href") or ""
        if candidate.get("rel", "alternate") == "alternate" and canonical_url(href, base):
            return str(href)
    return str(link)


def _entry_image(entry: Mapping[str, Any]) -> str:
    for media in entry.get("media_content") or ():
        kind = str(media.get("medium") or media.get("type") or "image")
        if media.get("url") and (kind == "image" or kind.startswith("image/")):
            return str(media["url"])
    for link in entry.get("links") or ():
        if link.get("rel") == "enclosure" and str(link.get("type", "")).startswith("image/"):
            return str(link.get("href") or "")
    for thumb in entry.get("media_thumbnail") or ():
        if thumb.get("url"):
            return str(thumb["url"])
    image = entry.get("image")
    return str(image.get("href") or "") if isinstance(image, Mapping) else ""


def _entry_item(entry: Mapping[str, Any], source_id: str, base: str, now: dt.datetime) -> Item | None:
    summary = entry.get("summary") or ""
    summary_html = _as_html(entry.get("summary_detail"), summary) if summary else ""
    content_html = ""
    contents = entry.get("content") or ()
    if contents:
        best = next((c for c in contents if "html" in str(c.get("type", ""))), contents[0])
        content_html = _as_html(best, str(best.get("value") or ""))
    published = None
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        # dict.get: FeedParserDict's own get maps updated_parsed onto published_parsed, with a warning.
        published = to_utc(dict.get(entry, key), now)  # type: ignore[call-overload]
        if published:
            break
    authors = [a.get("name") or "" for a in entry.get("authors") or () if isinstance(a, Mapping)]
    if not any(authors) and entry.get("author"):
        authors = [str(entry["author"])]
    tags = [t.get("label") or t.get("term") or "" for t in entry.get("tags") or ()]
    return make_item(
        source_id=source_id,
        link=_entry_link(entry, base),
        guid=str(entry.get("id") or ""),
        title=str(entry.get("title") or ""),
        summary_html=summary_html,
        content_html=content_html,
        authors=authors,
        tags=tags,
        published=published,
        image=_entry_image(entry),
        base=base,
    )


def _utf8_xml(content_type: str) -> bool:
    """Whether feedparser reads a body served with this Content-Type as it reads one served with none:
    an XML media type declaring UTF-8 (feedparser's encodings.convert_to_utf8, whose parsing this repeats)."""
    mime, *params = (part.strip() for part in content_type.split(";"))
    charset = ""
    for param in params:
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset":
            charset = value.strip().strip("\"'")
    xml = mime in ("application/xml", "application/xml-dtd", "application/xml-external-parsed-entity")
    xml = xml or mime in ("text/xml", "text/xml-external-parsed-entity")
    xml = xml or (mime.startswith(("application/", "text/")) and mime.endswith("+xml"))
    try:
        return xml and codecs.lookup(charset).name == "utf-8"
    except LookupError:
        return False


def feedparser_result(data: bytes, headers: Mapping[str, str]) -> Any:
    """feedparser's reading of the bytes (the reference, and the fallback for all fastrss.py leaves)."""
    return feedparser.parse(
        io.BytesIO(defuse_doctype(data)),
        sanitize_html=False,
        resolve_relative_uris=False,
        response_headers=dict(headers),
    )


def _not_a_feed(data: bytes, url: str) -> FeedParseError:
    head = data[:2048].lstrip().lower()
    where = f"{url}: " if url else ""
    if not head:
        what = "the body" if url.startswith(("http://", "https://")) else "it"
        return FeedParseError(f"{where}{what} is empty: {check_hint(url)}", url)
    if b"<html" in head or b"<!doctype html" in head:
        return FeedParseError(
            f"{where}this is an HTML page, not a feed: use the page's RSS/Atom link instead", url
        )
    return FeedParseError(f"{where}not an RSS, Atom or JSON feed: {check_hint(url)}", url)


def parse_feed(
    data: bytes,
    *,
    source_id: str,
    url: str = "",
    content_type: str | None = None,
    now: dt.datetime | None = None,
) -> ParsedFeed:
    """Parse RSS, Atom, RDF or JSON Feed bytes into Items; raise FeedParseError for a body that is no feed."""
    now = (now or dt.datetime.now(UTC)).astimezone(UTC)
    stripped = data.lstrip(b"\xef\xbb\xbf \t\r\n\x00")
    if not stripped:
        raise _not_a_feed(b"", url)
    if stripped.startswith(b"{") or (content_type and "json" in content_type.lower()):
        return parse_jsonfeed(data, source_id=source_id, url=url, now=now)
    # Only a declared charset is worth passing on: feedparser reads a bare text/xml as US-ASCII
    # (RFC 3023) and a wrong text/html as a reason to distrust a well-formed feed.
    headers = {}
    if content_type and "charset=" in content_type.lower():
        headers["content-type"] = content_type
    # Plain UTF-8 RSS 2.0 is read with lxml (fastrss.py gives what feedparser would); the rest by feedparser.
    result = fastrss.parse_rss(data) if not headers or _utf8_xml(headers["content-type"]) else None
    if result is None:
        result = feedparser_result(data, headers)
    entries = result.get("entries") or []
    if not entries and not result.get("version"):
        raise _not_a_feed(stripped, url)
    feed = result.get("feed") or {}
    is_http = url.startswith(("http://", "https://"))
    feed_link = canonical_url(str(feed.get("link") or ""), url if is_http else "")
    # Relative links resolve against the document's own address (XML base), else the site's link.
    base = url if is_http else feed_link
    items, dropped = unique_items(_entry_item(entry, source_id, base, now) for entry in entries)
    problems = []
    if result.get("bozo") and entries:
        exc = result.get("bozo_exception")
        # The parser's message may quote the feed (a declared charset, say): printable, as feed text is.
        detail = " ".join(printable(str(exc)).split())[:160] if exc else "unknown problem"
        problems.append(f"ill-formed feed ({type(exc).__name__}: {detail}); {len(items)} items recovered")
    if dropped:
        problems.append(f"{dropped} entries without an http(s) link or GUID dropped")
    updated = None
    for key in ("updated_parsed", "published_parsed"):
        updated = to_utc(dict.get(feed, key), now)
        if updated:
            break
    return ParsedFeed(
        title=plain_title(str(feed.get("title") or "")),
        link=feed_link,
        items=items,
        problem="; ".join(problems) or None,
        updated=updated,
        language=feed_language(str(feed.get("language") or ""), items),
    )


_KANA_RE = re.compile(r"[\u3040-\u30ff]")
_HANGUL_RE = re.compile(r"[\uac00-\ud7af]")
_HAN_RE = re.compile(r"[\u3400-\u9fff]")


def feed_language(declared: str, items: Iterable[Item]) -> str:
    """The feed's language, lower-case: as declared, unless most titles are written in a CJK script
    the declaration does not name (feeds say "en-US" by default)."""
    declared = declared.strip().lower().replace("_", "-")[:20]
    counts = {"ja": 0, "ko": 0, "zh": 0}
    total = 0
    for item in items:
        total += 1
        title = item.title
        if title.isascii():
            continue
        if _KANA_RE.search(title):
            counts["ja"] += 1
        elif _HANGUL_RE.search(title):
            counts["ko"] += 1
        elif len(_HAN_RE.findall(title)) * 3 >= len(title):
            counts["zh"] += 1
    script, n = max(counts.items(), key=lambda kv: kv[1])
    if total and n * 2 > total and not declared.startswith(script):
        return script
    return declared


def date_items(feed: ParsedFeed, first_seen: dt.datetime | None) -> tuple[Item, ...]:
    """The feed's items with a date each can be filed under, and how it was chosen (Item.dated).

    A fetched source's undated entry is dated when first seen (`first_seen`); a one-off
    ingest borrows the feed's own date, else its newest dated entry's, else stays undated.
    """
    if all(item.published for item in feed.items):
        return feed.items
    if first_seen is not None:
        when, how = first_seen, "first-seen"
    elif feed.updated is not None:
        when, how = feed.updated, "feed-date"
    else:
        dated = [item.published for item in feed.items if item.published]
        if not dated:
            return feed.items
        when, how = max(dated), "newest-item"
    return tuple(i if i.published else dataclasses.replace(i, published=when, dated=how) for i in feed.items)


def parse_or_reason(
    data: bytes, source_id: str, url: str, content_type: str | None, now: dt.datetime
) -> ParsedFeed | str:
    """parse_feed for a batch fetch: a body that is no feed comes back as its one-line reason.

    Worker processes run this (it lives here, not in app.py, so a worker imports only this module).
    Any other exception is a parser bug on odd input; it fails that one source, never the run.
    """
    try:
        return parse_feed(data, source_id=source_id, url=url, content_type=content_type, now=now)
    except FeedParseError as exc:
        return str(exc)
    except Exception as exc:  # noqa: BLE001 - one hostile feed must not stop a fetch
        detail = " ".join(printable(str(exc)).split())[:120]
        where = f"{url}: " if url else ""
        return f"{where}could not parse this feed ({type(exc).__name__}: {detail}); please report it"


def worker_init(lifeline: Connection) -> None:
    """Start of each parse worker process: it ends when the command that started it ends, however.

    lifeline is the read end of a pipe whose only write end the command holds: when the command
    exits, is killed (even by SIGKILL) or crashes, the kernel closes that end, the read below
    returns, and the worker exits. Without it workers (and so the forkserver) would wait forever
    for jobs. Ctrl-C reaches the whole process group; the command handles it, the workers ignore it.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_with, args=(lifeline,), name="lifeline", daemon=True).start()


def _exit_with(lifeline: Connection) -> None:
    with contextlib.suppress(EOFError, OSError):
        lifeline.recv_bytes()  # nothing is ever sent: this returns only at end of file
    os._exit(0)
