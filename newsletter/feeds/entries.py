"""One feed entry's fields into an Item: the part RSS/Atom (parse.py) and JSON Feed (jsonfeed.py) share.

Stable ids (a hash of the canonical URL), plain titles, clean summary text, sanitized HTML, UTC times.
"""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
import html
import time
from collections.abc import Iterable
from typing import Any
from urllib.parse import urljoin

from ..models import UNDATED, UTC, Item
from .feedtext import clean_summary, cut, plain_title, sanitize_html
from .urls import canonical_url

EARLIEST = dt.datetime(1990, 1, 1, tzinfo=UTC)
"""Dates before this are placeholders (1970-01-01, 0001-01-01) and count as missing."""
LATEST_AHEAD = dt.timedelta(days=1)
"""Dates further than this past the present are a feed's mistake and count as missing too."""
TAGS_MAX = 100  # tags kept per entry (real feeds give a handful; hostile ones 100,000)
AUTHORS_MAX = 20  # authors kept per entry


def item_id(canonical: str) -> str:
    """16 hex characters naming an article: the same canonical URL from any feed gives the same id."""
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


def to_utc(value: Any, now: dt.datetime | None = None) -> dt.datetime | None:
    """An aware UTC datetime from a struct_time, datetime or ISO 8601 string.

    None when missing, unreadable, before 1990, or (given `now`) more than a day in the future.
    """
    moment: dt.datetime | None = None
    try:
        if isinstance(value, time.struct_time):
            moment = dt.datetime.fromtimestamp(calendar.timegm(value), UTC)
        elif isinstance(value, dt.datetime):
            moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        elif isinstance(value, str) and value.strip():
            moment = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
            moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    except (ValueError, OverflowError, OSError, TypeError):
        return None
    if moment is None:
        return None
    moment = moment.astimezone(UTC)
    if moment < EARLIEST or (now is not None and moment > now + LATEST_AHEAD):
        return None
    return moment


def _http_url(url: str, base: str) -> str:
    """An absolute http(s) URL kept as written (images keep their query), else ""."""
    if not url or not isinstance(url, str):
        return ""
    canonical = canonical_url(url, base)  # validates scheme and host
    if not canonical:
        return ""
    return urljoin(base, url.strip()) if base else url.strip()


def _unique(values: Iterable[str], limit: int) -> tuple[str, ...]:
    seen: dict[str, str] = {}
    for value in values:
        clean = plain_title(value) if isinstance(value, str) else ""
        if clean and clean.casefold() not in seen:
            seen[clean.casefold()] = clean
            if len(seen) == limit:
                break
    return tuple(seen.values())


def make_item(
    *,
    source_id: str,
    link: str,
    guid: str,
    title: str,
    summary_html: str,
    content_html: str,
    authors: Iterable[str],
    tags: Iterable[str],
    published: dt.datetime | None,
    image: str,
    base: str,
) -> Item | None:
    """One Item from an entry's fields (both RSS/Atom and JSON Feed come through here); None if no URL.

    An entry without a usable date comes back undated (published None): intake dates it.
    """
    url = canonical_url(link, base)
    guid = guid.strip() if isinstance(guid, str) else ""
    if not url and guid:
        url = canonical_url(guid)  # an http(s) GUID is the article's address (RSS isPermaLink)
    if not url:
        return None
    summary = clean_summary(summary_html or content_html)
    plain = plain_title(title)
    if not plain:
        plain = cut(summary, 80) if summary else url
    return Item(
        id=item_id(url),
        source_id=source_id,
        url=url,
        title=plain,
        summary=summary,
        published=published,
        dated="entry" if published else UNDATED,
        content_html=sanitize_html(content_html or summary_html, base or url),
        guid=guid,
        authors=_unique(authors, AUTHORS_MAX),
        tags=_unique(tags, TAGS_MAX),
        image=_http_url(image, base or url),
    )


def unique_items(items: Iterable[Item | None]) -> tuple[tuple[Item, ...], int]:
    """The items once each (first wins: feeds repeat entries), and how many were None (no URL)."""
    seen: dict[str, Item] = {}
    dropped = 0
    for item in items:
        if item is None:
            dropped += 1
        else:
            seen.setdefault(item.id, item)
    return tuple(seen.values()), dropped


def text_as_html(text: str) -> str:
    """Plain text as HTML (escaped, blank lines as paragraphs): RSS/Atom text/plain and JSON Feed text."""
    return html.escape(text).replace("\n\n", "<p>") if text else ""
