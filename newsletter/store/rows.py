"""Rows to and from Python: timestamps that sort as text, items read fast, JSON lists, parameter slices."""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Iterator

from ..models import UTC, Item


def ts(moment: dt.datetime) -> str:
    """UTC ISO 8601 with a fixed width, so text order is time order and the index answers ranges."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def ts_or_none(moment: dt.datetime | None) -> str | None:
    return ts(moment) if moment is not None else None


def moment(text: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(text) if text else None


ITEM_COLUMNS = (
    "id, source_id, guid, url, title, summary, content_html, authors, tags, image, published, dated"
)


def chunks(values: list[str], size: int = 500) -> Iterator[list[str]]:
    """Slices small enough for SQLite's limit on bound parameters."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


def marks(values: list[str]) -> str:
    return ", ".join("?" * len(values))


def item_of(row: tuple) -> Item:
    # The fields set directly (as models.evolve does), not through the frozen dataclass's __init__, which
    # sets them one by one: a week is read 100,000 rows at a time.
    item = object.__new__(Item)
    item.__dict__.update(
        id=row[0],
        source_id=sys.intern(row[1]),  # a week's 100,000 items come from a few hundred sources
        url=row[3],
        title=row[4],
        summary=row[5],
        published=moment(row[10]),
        content_html=row[6],
        guid=row[2],
        authors=strings(row[7]),
        tags=strings(row[8]),
        image=row[9],
        dated=sys.intern(row[11]),
        labels=None,
        verdict=None,
        story_id=None,
    )
    return item


def json_list(values: tuple[str, ...]) -> str:
    return json.dumps(list(values), ensure_ascii=False) if values else "[]"


def strings(text: str) -> tuple[str, ...]:
    """A stored JSON list of strings (authors, tags) as a tuple; most are empty, read without a parse."""
    return () if text == "[]" else tuple(json.loads(text))
