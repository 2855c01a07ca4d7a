"""JSON Feed 1.0 and 1.1 into the same Items as RSS/Atom: PyPI's feedparser cannot read JSON Feed."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

from ..errors import FeedParseError
from ..models import UTC, Item, ParsedFeed
from .entries import make_item, text_as_html, to_utc, unique_items
from .feedtext import plain_title
from .urls import canonical_url, check_hint


def _text(value: Any) -> str:
    """A JSON value as a string; numbers (some feeds use numeric ids) become text, the rest ""."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            # JSON may escape lone surrogates ("\\ud800"); they cannot be stored or printed as UTF-8.
            return value.encode("utf-8", "replace").decode("utf-8")
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return ""


def _authors(obj: Mapping[str, Any]) -> list[str]:
    """Author names: 1.1's "authors" list, else 1.0's "author" object."""
    found = obj.get("authors")
    people = found if isinstance(found, list) else [obj.get("author")]
    return [_text(p.get("name")) for p in people if isinstance(p, Mapping) and _text(p.get("name"))]


def _image(obj: Mapping[str, Any]) -> str:
    for key in ("image", "banner_image"):
        if _text(obj.get(key)):
            return _text(obj[key])
    attachments = obj.get("attachments")
    for att in attachments if isinstance(attachments, list) else ():
        if isinstance(att, Mapping) and _text(att.get("mime_type")).startswith("image/"):
            return _text(att.get("url"))
    return ""


def _item(
    obj: Mapping[str, Any], feed_authors: list[str], source_id: str, base: str, now: dt.datetime
) -> Item | None:
    content_html = _text(obj.get("content_html")) or text_as_html(_text(obj.get("content_text")))
    tags = obj.get("tags")
    return make_item(
        source_id=source_id,
        link=_text(obj.get("url")) or _text(obj.get("external_url")),
        guid=_text(obj.get("id")),
        title=_text(obj.get("title")),
        summary_html=text_as_html(_text(obj.get("summary"))),
        content_html=content_html,
        authors=_authors(obj) or feed_authors,
        tags=[_text(t) for t in tags] if isinstance(tags, list) else [],
        published=to_utc(_text(obj.get("date_published")), now)
        or to_utc(_text(obj.get("date_modified")), now),
        image=_image(obj),
        base=base,
    )


def parse_jsonfeed(
    data: bytes, *, source_id: str, url: str = "", now: dt.datetime | None = None
) -> ParsedFeed:
    """Parse JSON Feed bytes (UTF-8/16/32, BOM allowed) into Items; FeedParseError when it is not one."""
    now = (now or dt.datetime.now(UTC)).astimezone(UTC)
    where = f"{url}: " if url else ""
    try:
        # strict=False: real feeds carry raw control characters (tabs, newlines) inside strings.
        doc = json.loads(data, strict=False)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        reason = " ".join(str(exc).split())[:120]
        raise FeedParseError(f"{where}not valid JSON ({reason}): {check_hint(url)}", url) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("items", []), list):
        raise FeedParseError(f"{where}JSON but not a JSON Feed (no items list): {check_hint(url)}", url)
    version = _text(doc.get("version"))
    if "jsonfeed.org/version/" not in version and "items" not in doc:
        raise FeedParseError(
            f"{where}JSON but not a JSON Feed (no version, no items): {check_hint(url)}", url
        )
    is_http = url.startswith(("http://", "https://"))
    home = canonical_url(_text(doc.get("home_page_url")), url if is_http else "")
    feed_url = _text(doc.get("feed_url"))
    base = url if is_http else (canonical_url(feed_url) or home)
    feed_authors = _authors(doc)
    items, dropped = unique_items(
        _item(obj, feed_authors, source_id, base, now) if isinstance(obj, Mapping) else None
        for obj in doc.get("items", [])
    )
    problem = f"{dropped} entries without an http(s) url or id dropped" if dropped else None
    return ParsedFeed(title=plain_title(_text(doc.get("title"))), link=home, items=items, problem=problem)
