"""`Store`: every read and write the pipeline makes of the store, table by table: items, clustering's
facts, the editor's overrides, source health and one-off sources. Opened as connection.py opens it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import sqlite3
from collections.abc import Iterable, Sequence

from ..errors import ItemNotFound
from ..models import Item, SourceHealth
from .connection import Database, guard
from .rows import ITEM_COLUMNS, chunks, item_of, json_list, marks, moment, ts, ts_or_none

# A GUID shorter than this ("1", "42") is only unique within its own feed, so it never merges across feeds.
_MIN_GLOBAL_GUID = 8

_HEALTH_TIMES = ("last_attempt", "last_success", "failing_since")


@dataclasses.dataclass(frozen=True)
class Override:
    """An editor's label for one item: region and/or themes; None leaves that part to the classifier."""

    item_id: str
    region: str | None
    themes: tuple[str, ...] | None


@dataclasses.dataclass(frozen=True)
class OneOffSource:
    """What the store remembers of a source that is not in sources.toml (a one-off ingest)."""

    source_id: str
    name: str  # given with --source-name, else ""
    feed_title: str
    link: str  # the feed's site link, or its first item's
    language: str  # the feed's declared language ("zh-cn"), or ""


class Store(Database):
    """The store: one SQLite file (see Database), read and written only through these methods."""

    # -- items ---------------------------------------------------------------------------------

    @guard
    def save_fetch(
        self, source_id: str, items: Iterable[Item], health: SourceHealth, now: dt.datetime
    ) -> int:
        """Store one source's items and its health in one transaction; returns how many items were new.

        An item whose id, or whose long GUID, is already stored (from any feed) updates that row:
        the same article fetched on seven days, or from two feeds, stays one item.
        """
        seen = ts(now)
        batch = list(items)
        with self._transaction() as db:
            # Look existing rows up in bulk: one query per few hundred items, not one per item.
            known = {
                row[0]: row[0]
                for chunk in chunks([i.id for i in batch])
                for row in db.execute(f"SELECT id FROM items WHERE id IN ({marks(chunk)})", chunk)
            }
            guids = [i.guid for i in batch if len(i.guid) >= _MIN_GLOBAL_GUID]
            by_guid = {
                row[0]: row[1]
                for chunk in chunks(guids)
                # "guid != ''" lets SQLite use the partial index items_guid instead of scanning the table.
                for row in db.execute(
                    f"SELECT guid, id FROM items WHERE guid IN ({marks(chunk)}) AND guid != ''", chunk
                )
            }
            inserts, updates = [], []
            for item in batch:
                target = known.get(item.id)
                if target is None and len(item.guid) >= _MIN_GLOBAL_GUID:
                    target = by_guid.get(item.guid)
                authors = json_list(item.authors)
                tags = json_list(item.tags)
                if target is None:
                    known[item.id] = item.id
                    if len(item.guid) >= _MIN_GLOBAL_GUID:
                        by_guid[item.guid] = item.id
                    inserts.append(
                        (item.id, source_id, item.guid, item.url, item.title, item.summary, item.content_html)
                        + (authors, tags, item.image, ts_or_none(item.published), item.dated, seen, seen)
                    )
                else:
                    updates.append(
                        (item.title, item.summary, item.content_html, authors, tags, item.image, seen)
                        + (target, source_id)
                    )
            db.executemany(
                "INSERT INTO items (id, source_id, guid, url, title, summary, content_html, authors,"
                " tags, image, published, dated, first_seen, last_seen)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                inserts,
            )
            # Refresh the text (feeds fix typos) but keep the first source and publication
            # time, so an item never jumps between weeks or outlets.
            db.executemany(
                "UPDATE items SET title = ?, summary = ?, content_html = ?, authors = ?, tags = ?,"
                " image = ?, last_seen = ? WHERE id = ? AND source_id = ?",
                updates,
            )
            self._write_health(db, dataclasses.replace(health, last_new=len(inserts)))
        return len(inserts)

    @guard
    def save_health(self, health: SourceHealth) -> None:
        with self._transaction() as db:
            self._write_health(db, health)

    @guard
    def items_between(self, start: dt.datetime, end: dt.datetime) -> list[Item]:
        """Items published in [start, end), newest first; answered from the publication-time index."""
        rows = self._db.execute(
            f"SELECT {ITEM_COLUMNS} FROM items WHERE published >= ? AND published < ?"
            " ORDER BY published DESC, id",
            (ts(start), ts(end)),
        )
        return [item_of(r) for r in rows]

    @guard
    def all_items(self) -> list[Item]:
        """Every item, newest first, the undated ones last."""
        rows = self._db.execute(
            f"SELECT {ITEM_COLUMNS} FROM items ORDER BY published IS NULL, published DESC, id"
        )
        return [item_of(r) for r in rows]

    @guard
    def count_between(self, start: dt.datetime, end: dt.datetime) -> int:
        row = self._db.execute(
            "SELECT count(*) FROM items WHERE published >= ? AND published < ?", (ts(start), ts(end))
        )
        return int(row.fetchone()[0])

    @guard
    def week_signature(self, start: dt.datetime, end: dt.datetime) -> tuple[int, str]:
        """How many items [start, end) holds and when one was last written: changes whenever a fetch or
        ingest adds or refreshes one of them (each refresh stamps last_seen)."""
        row = self._db.execute(
            "SELECT count(*), coalesce(max(last_seen), '') FROM items WHERE published >= ? AND published < ?",
            (ts(start), ts(end)),
        ).fetchone()
        return int(row[0]), str(row[1])

    @guard
    def data_version(self) -> int:
        """A number that changes when another connection (another command) commits to the store; this
        connection's own writes leave it as it is (SQLite's PRAGMA data_version)."""
        return int(self._db.execute("PRAGMA data_version").fetchone()[0])

    @guard
    def get_item(self, item_id: str) -> Item:
        row = self._db.execute(f"SELECT {ITEM_COLUMNS} FROM items WHERE id = ?", (item_id,)).fetchone()
        if row is None:
            raise ItemNotFound(f"no item with id {item_id!r}: `newsletter items --all` lists them")
        return item_of(row)

    @guard
    def find_items(self, prefix: str) -> list[str]:
        """Ids starting with a prefix, so an editor can type the first few characters."""
        pattern = prefix.replace("\\", "").replace("%", "").replace("_", "") + "%"
        return [r[0] for r in self._db.execute("SELECT id FROM items WHERE id LIKE ? LIMIT 5", (pattern,))]

    @guard
    def latest_published(self, before: dt.datetime) -> dt.datetime | None:
        """The newest publication time not after `before` (feeds with future dates are ignored)."""
        row = self._db.execute("SELECT max(published) FROM items WHERE published <= ?", (ts(before),))
        return moment(row.fetchone()[0])

    @guard
    def count_items(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM items").fetchone()[0])

    @guard
    def item_counts(self) -> dict[str, int]:
        rows = self._db.execute("SELECT source_id, count(*) FROM items GROUP BY source_id")
        return {r[0]: int(r[1]) for r in rows}

    # -- facts: what clustering reads of each item's text (sort/facts.py); only ever a cache ------------

    @guard
    def facts(self, item_ids: Iterable[str], version: int) -> dict[str, tuple[int, str, str | None]]:
        """Stored facts of these items in this version: text key, shingle counts, statements or None."""
        rows = self._db.execute(
            "SELECT item_id, text_key, counts, stated FROM facts"
            " WHERE version = ? AND item_id IN (SELECT value FROM json_each(?))",
            (version, json.dumps(list(item_ids))),
        )
        return {row[0]: (row[1], row[2], row[3]) for row in rows}

    def save_facts(self, rows: Sequence[tuple[str, int, int, str, str | None]]) -> bool:
        """Keep facts a build read (of stored items only); False when the store is busy or read-only,
        which loses nothing: the next build reads those texts again."""
        if not rows:
            return True
        try:
            with self._transaction() as db:
                db.executemany(
                    "INSERT OR REPLACE INTO facts (item_id, version, text_key, counts, stated)"
                    " SELECT ?1, ?2, ?3, ?4, ?5 WHERE EXISTS (SELECT 1 FROM items WHERE id = ?1)",
                    rows,
                )
        except sqlite3.Error:  # read-only, busy, full: a cache not written is no failure
            return False
        return True

    # -- overrides -----------------------------------------------------------------------------

    @guard
    def set_override(
        self, item_id: str, region: str | None, themes: tuple[str, ...] | None, now: dt.datetime
    ) -> Override:
        """Record the editor's labels; parts left as None keep an earlier override of that part."""
        with self._transaction() as db:
            if db.execute("SELECT 1 FROM items WHERE id = ?", (item_id,)).fetchone() is None:
                raise ItemNotFound(f"no item with id {item_id!r}: `newsletter items --all` lists them")
            old = db.execute("SELECT region, themes FROM overrides WHERE item_id = ?", (item_id,)).fetchone()
            if old is not None:
                region = region if region is not None else old[0]
                if themes is None and old[1] is not None:
                    themes = tuple(json.loads(old[1]))
            db.execute(
                "INSERT OR REPLACE INTO overrides (item_id, region, themes, updated) VALUES (?, ?, ?, ?)",
                (item_id, region, None if themes is None else json.dumps(list(themes)), ts(now)),
            )
        return Override(item_id, region, themes)

    @guard
    def clear_override(self, item_id: str) -> bool:
        with self._transaction() as db:
            return db.execute("DELETE FROM overrides WHERE item_id = ?", (item_id,)).rowcount > 0

    @guard
    def overrides(self) -> dict[str, Override]:
        rows = self._db.execute("SELECT item_id, region, themes FROM overrides")
        return {r[0]: Override(r[0], r[1], None if r[2] is None else tuple(json.loads(r[2]))) for r in rows}

    # -- source health -------------------------------------------------------------------------

    @guard
    def health(self) -> dict[str, SourceHealth]:
        """Every source's health, with the store's item count for it."""
        counts = self.item_counts()
        cols = [f.name for f in dataclasses.fields(SourceHealth) if f.name != "item_count"]
        out: dict[str, SourceHealth] = {}
        for row in self._db.execute(f"SELECT {', '.join(cols)} FROM source_health"):
            values = dict(zip(cols, row, strict=True))
            for key in _HEALTH_TIMES:
                values[key] = moment(values[key])
            out[row[0]] = SourceHealth(**values, item_count=counts.get(row[0], 0))
        for source_id, count in counts.items():
            out.setdefault(source_id, SourceHealth(source_id, item_count=count))
        return out

    @guard
    def remember_source(
        self, source_id: str, *, name: str, feed_title: str, link: str, language: str
    ) -> None:
        """Keep what describes a source that is not in sources.toml (a one-off ingest): the name given,
        if any, the feed's own title, its site link and its declared language."""
        with self._transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO source_names (source_id, name, feed_title, link, language)"
                " VALUES (?, ?, ?, ?, ?)",
                (source_id, name, feed_title, link, language),
            )

    @guard
    def one_off_sources(self) -> list[OneOffSource]:
        rows = self._db.execute(
            "SELECT source_id, name, feed_title, link, language FROM source_names ORDER BY source_id"
        )
        return [OneOffSource(*row) for row in rows]

    @guard
    def forget_health(self, source_id: str) -> None:
        """Drop a source's fetch state (its items stay): a re-enabled 'gone' source starts afresh."""
        with self._transaction() as db:
            db.execute("DELETE FROM source_health WHERE source_id = ?", (source_id,))

    @staticmethod
    def _write_health(db: sqlite3.Connection, health: SourceHealth) -> None:
        cols = [f.name for f in dataclasses.fields(SourceHealth) if f.name != "item_count"]
        values = []
        for name in cols:
            value = getattr(health, name)
            values.append(ts(value) if isinstance(value, dt.datetime) else value)
        db.execute(
            f"INSERT OR REPLACE INTO source_health ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
            values,
        )
