"""The SQLite store: items fetched, source health, and the editor's label overrides. All SQL lives here."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import functools
import json
import os
import sqlite3
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar, cast

from ..errors import ItemNotFound, StoreError
from ..models import UTC, Item, SourceHealth

# Each migration runs in one transaction and bumps PRAGMA user_version to its index + 1.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE items (
        id TEXT PRIMARY KEY,
        source_id TEXT NOT NULL,
        guid TEXT NOT NULL DEFAULT '',
        url TEXT NOT NULL,
        title TEXT NOT NULL,
        summary TEXT NOT NULL,
        content_html TEXT NOT NULL DEFAULT '',
        authors TEXT NOT NULL DEFAULT '[]',
        tags TEXT NOT NULL DEFAULT '[]',
        image TEXT NOT NULL DEFAULT '',
        published TEXT NOT NULL,
        first_seen TEXT NOT NULL,
        last_seen TEXT NOT NULL
    );
    CREATE INDEX items_published ON items (published);
    CREATE INDEX items_source ON items (source_id);
    CREATE INDEX items_guid ON items (guid) WHERE guid != '';
    CREATE INDEX items_url ON items (url);
    CREATE TABLE overrides (
        item_id TEXT PRIMARY KEY,
        region TEXT,
        themes TEXT,
        updated TEXT NOT NULL
    );
    CREATE TABLE source_health (
        source_id TEXT PRIMARY KEY,
        status TEXT NOT NULL DEFAULT 'never',
        last_attempt TEXT,
        last_success TEXT,
        failing_since TEXT,
        consecutive_failures INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        http_status INTEGER,
        etag TEXT,
        last_modified TEXT,
        moved_to TEXT,
        redirect_streak INTEGER NOT NULL DEFAULT 0,
        last_new INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE source_names (
        source_id TEXT PRIMARY KEY,
        name TEXT NOT NULL
    );
    """,
    # 2: undated items (published NULL: filed under no week) and how each date was chosen; a one-off
    # source's feed title and site link beside the name given on the command line (outlets.py names it).
    """
    CREATE TABLE items_new (
        id TEXT PRIMARY KEY,
        source_id TEXT NOT NULL,
        guid TEXT NOT NULL DEFAULT '',
        url TEXT NOT NULL,
        title TEXT NOT NULL,
        summary TEXT NOT NULL,
        content_html TEXT NOT NULL DEFAULT '',
        authors TEXT NOT NULL DEFAULT '[]',
        tags TEXT NOT NULL DEFAULT '[]',
        image TEXT NOT NULL DEFAULT '',
        published TEXT,
        dated TEXT NOT NULL DEFAULT 'entry',
        first_seen TEXT NOT NULL,
        last_seen TEXT NOT NULL
    );
    INSERT INTO items_new (id, source_id, guid, url, title, summary, content_html, authors, tags, image,
        published, first_seen, last_seen)
        SELECT id, source_id, guid, url, title, summary, content_html, authors, tags, image,
        published, first_seen, last_seen FROM items;
    DROP TABLE items;
    ALTER TABLE items_new RENAME TO items;
    CREATE INDEX items_published ON items (published);
    CREATE INDEX items_source ON items (source_id);
    CREATE INDEX items_guid ON items (guid) WHERE guid != '';
    CREATE INDEX items_url ON items (url);
    ALTER TABLE source_names ADD COLUMN feed_title TEXT NOT NULL DEFAULT '';
    ALTER TABLE source_names ADD COLUMN link TEXT NOT NULL DEFAULT '';
    ALTER TABLE source_names ADD COLUMN language TEXT NOT NULL DEFAULT '';
    UPDATE source_names SET feed_title = name, name = ''
    """,
    # 3: what clustering reads of each item (sort/facts.py), kept so a build reads each text once. A cache:
    # rows of another version, or whose text_key no longer matches the item's text, are read again.
    """
    CREATE TABLE facts (
        item_id TEXT PRIMARY KEY REFERENCES items (id) ON DELETE CASCADE,
        version INTEGER NOT NULL,
        text_key INTEGER NOT NULL,
        counts TEXT NOT NULL,
        stated TEXT
    )
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)

# A GUID shorter than this ("1", "42") is only unique within its own feed, so it never merges across feeds.
_MIN_GLOBAL_GUID = 8

_HEALTH_TIMES = ("last_attempt", "last_success", "failing_since")

F = TypeVar("F", bound=Callable[..., Any])


def _ts(moment: dt.datetime) -> str:
    """UTC ISO 8601 with a fixed width, so text order is time order and the index answers ranges."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def _ts_or_none(moment: dt.datetime | None) -> str | None:
    return _ts(moment) if moment is not None else None


def _dt(text: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(text) if text else None


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


def _guard(method: F) -> F:
    """SQLite's failures (read-only, damaged, busy, disk full) as one StoreError line that says what to do."""

    @functools.wraps(method)
    def guarded(self: Store, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except sqlite3.Error as exc:
            raise self._failure(exc) from None

    return cast(F, guarded)


class Store:
    """One SQLite file in WAL mode, schema versioned with PRAGMA user_version."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._check_files()
        try:
            if not self.path.exists():
                self._create()
            self._db = self._connect(self.path)
            self._migrate()
        except sqlite3.DatabaseError as exc:
            raise self._failure(exc, "cannot open the store") from None
        except OSError as exc:
            raise StoreError(f"cannot create the store {self.path}: {exc.strerror}") from None

    @staticmethod
    def _connect(path: Path) -> sqlite3.Connection:
        db = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("PRAGMA foreign_keys=ON")
        return db

    def _create(self) -> None:
        """Make a new store beside its place and link it in whole, so a store file is never half made.

        A zero-byte store is then never ours (a kill between create and first write would leave one),
        and can be refused rather than silently started afresh without the editor's overrides.
        """
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.new")
        try:
            db = self._connect(tmp)
            self._db = db
            self._migrate()
            db.close()
            with contextlib.suppress(FileExistsError):  # another command made it at that moment: use theirs
                os.link(tmp, self.path)
        finally:
            for leftover in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
                leftover.unlink(missing_ok=True)

    def _check_files(self) -> None:
        """Refuse what SQLite would fail on deep inside a command, before it touches anything.

        A read-only store is refused before SQLite opens it: opening it would leave read-only
        -wal and -shm files behind that break every later run even once the store is writable.
        """
        path = self.path
        if not path.exists():
            return
        if not path.is_file():
            raise StoreError(f"the store {path} is not a file: point --db at a store file (or a new name)")
        if path.stat().st_size == 0:
            raise StoreError(
                f"the store {path} is empty (0 bytes), cut short by a full disk or a failed copy: restore "
                "it from a backup, or delete it to start a new store (your label overrides were in it)"
            )
        if not os.access(path, os.R_OK | os.W_OK):
            raise StoreError(
                f"the store {path} is read-only: make it writable (chmod u+rw {path}) "
                "or point --db at another file"
            )
        for side in (Path(f"{path}-wal"), Path(f"{path}-shm")):
            if side.exists() and not os.access(side, os.R_OK | os.W_OK):
                try:
                    # Left read-only by an earlier run on a read-only store; the store itself is ours again.
                    side.chmod(path.stat().st_mode & 0o777)
                except OSError:
                    raise StoreError(
                        f"{side} is read-only, left by a run on a read-only store: make it writable "
                        f"(chmod u+rw {side})"
                    ) from None
        if not os.access(path.parent, os.W_OK | os.X_OK):
            raise StoreError(
                f"the store's folder {path.parent} is read-only: SQLite needs to write beside the store; "
                "make it writable or point --db elsewhere"
            )

    def _failure(self, exc: sqlite3.Error, doing: str = "") -> StoreError:
        text = " ".join(str(exc).split())
        low = text.lower()
        path = self.path
        if "readonly" in low or "read-only" in low:
            return StoreError(
                f"the store {path} is read-only ({text}): make it and its folder writable, "
                "or point --db at another file"
            )
        if "locked" in low or "busy" in low:
            return StoreError(
                f"the store {path} is busy: another newsletter command is writing it; run this again when "
                "it is done"
            )
        if "full" in low:
            return StoreError(
                f"the disk holding the store {path} is full: free some space and run this again"
            )
        if isinstance(exc, sqlite3.DatabaseError) and ("malformed" in low or "not a database" in low):
            what = "is not a store, or is damaged" if "not a database" in low else "is damaged"
            return StoreError(
                f"the store {path} {what} ({text}): keep a copy and try `sqlite3 {path} .recover`, or move "
                "it aside and run `newsletter fetch` for a new one (your label overrides are in the old)"
            )
        if doing == "cannot open the store":
            return StoreError(f"cannot open the store {path}: {text}")
        return StoreError(f"the store {path} failed: {text}")

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _migrate(self) -> None:
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"the store {self.path} has schema version {version}, newer than this newsletter "
                f"({SCHEMA_VERSION}): upgrade newsletter, or point --db at another file"
            )
        for index in range(version, SCHEMA_VERSION):
            with self._transaction():
                for statement in MIGRATIONS[index].split(";"):
                    if statement.strip():
                        self._db.execute(statement)
                self._db.execute(f"PRAGMA user_version = {index + 1}")

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        else:
            self._db.execute("COMMIT")

    # -- items ---------------------------------------------------------------------------------

    @_guard
    def save_fetch(
        self, source_id: str, items: Iterable[Item], health: SourceHealth, now: dt.datetime
    ) -> int:
        """Store one source's items and its health in one transaction; returns how many items were new.

        An item whose id, or whose long GUID, is already stored (from any feed) updates that row:
        the same article fetched on seven days, or from two feeds, stays one item.
        """
        seen = _ts(now)
        batch = list(items)
        with self._transaction() as db:
            # Look existing rows up in bulk: one query per few hundred items, not one per item.
            known = {
                row[0]: row[0]
                for chunk in _chunks([i.id for i in batch])
                for row in db.execute(f"SELECT id FROM items WHERE id IN ({_marks(chunk)})", chunk)
            }
            guids = [i.guid for i in batch if len(i.guid) >= _MIN_GLOBAL_GUID]
            by_guid = {
                row[0]: row[1]
                for chunk in _chunks(guids)
                # "guid != ''" lets SQLite use the partial index items_guid instead of scanning the table.
                for row in db.execute(
                    f"SELECT guid, id FROM items WHERE guid IN ({_marks(chunk)}) AND guid != ''", chunk
                )
            }
            inserts, updates = [], []
            for item in batch:
                target = known.get(item.id)
                if target is None and len(item.guid) >= _MIN_GLOBAL_GUID:
                    target = by_guid.get(item.guid)
                authors = _json_list(item.authors)
                tags = _json_list(item.tags)
                if target is None:
                    known[item.id] = item.id
                    if len(item.guid) >= _MIN_GLOBAL_GUID:
                        by_guid[item.guid] = item.id
                    inserts.append(
                        (item.id, source_id, item.guid, item.url, item.title, item.summary, item.content_html)
                        + (authors, tags, item.image, _ts_or_none(item.published), item.dated, seen, seen)
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

    @_guard
    def save_health(self, health: SourceHealth) -> None:
        with self._transaction() as db:
            self._write_health(db, health)

    @_guard
    def items_between(self, start: dt.datetime, end: dt.datetime) -> list[Item]:
        """Items published in [start, end), newest first; answered from the publication-time index."""
        rows = self._db.execute(
            f"SELECT {_ITEM_COLUMNS} FROM items WHERE published >= ? AND published < ?"
            " ORDER BY published DESC, id",
            (_ts(start), _ts(end)),
        )
        return [_item(r) for r in rows]

    @_guard
    def all_items(self) -> list[Item]:
        """Every item, newest first, the undated ones last."""
        rows = self._db.execute(
            f"SELECT {_ITEM_COLUMNS} FROM items ORDER BY published IS NULL, published DESC, id"
        )
        return [_item(r) for r in rows]

    @_guard
    def count_between(self, start: dt.datetime, end: dt.datetime) -> int:
        row = self._db.execute(
            "SELECT count(*) FROM items WHERE published >= ? AND published < ?", (_ts(start), _ts(end))
        )
        return int(row.fetchone()[0])

    @_guard
    def week_signature(self, start: dt.datetime, end: dt.datetime) -> tuple[int, str]:
        """How many items [start, end) holds and when one was last written: changes whenever a fetch or
        ingest adds or refreshes one of them (each refresh stamps last_seen)."""
        row = self._db.execute(
            "SELECT count(*), coalesce(max(last_seen), '') FROM items WHERE published >= ? AND published < ?",
            (_ts(start), _ts(end)),
        ).fetchone()
        return int(row[0]), str(row[1])

    @_guard
    def data_version(self) -> int:
        """A number that changes when another connection (another command) commits to the store; this
        connection's own writes leave it as it is (SQLite's PRAGMA data_version)."""
        return int(self._db.execute("PRAGMA data_version").fetchone()[0])

    @_guard
    def get_item(self, item_id: str) -> Item:
        row = self._db.execute(f"SELECT {_ITEM_COLUMNS} FROM items WHERE id = ?", (item_id,)).fetchone()
        if row is None:
            raise ItemNotFound(f"no item with id {item_id!r}: `newsletter items --all` lists them")
        return _item(row)

    @_guard
    def find_items(self, prefix: str) -> list[str]:
        """Ids starting with a prefix, so an editor can type the first few characters."""
        pattern = prefix.replace("\\", "").replace("%", "").replace("_", "") + "%"
        return [r[0] for r in self._db.execute("SELECT id FROM items WHERE id LIKE ? LIMIT 5", (pattern,))]

    @_guard
    def latest_published(self, before: dt.datetime) -> dt.datetime | None:
        """The newest publication time not after `before` (feeds with future dates are ignored)."""
        row = self._db.execute("SELECT max(published) FROM items WHERE published <= ?", (_ts(before),))
        return _dt(row.fetchone()[0])

    @_guard
    def count_items(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM items").fetchone()[0])

    @_guard
    def item_counts(self) -> dict[str, int]:
        rows = self._db.execute("SELECT source_id, count(*) FROM items GROUP BY source_id")
        return {r[0]: int(r[1]) for r in rows}

    # -- facts: what clustering reads of each item's text (sort/facts.py); only ever a cache ------------

    @_guard
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

    @_guard
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
                (item_id, region, None if themes is None else json.dumps(list(themes)), _ts(now)),
            )
        return Override(item_id, region, themes)

    @_guard
    def clear_override(self, item_id: str) -> bool:
        with self._transaction() as db:
            return db.execute("DELETE FROM overrides WHERE item_id = ?", (item_id,)).rowcount > 0

    @_guard
    def overrides(self) -> dict[str, Override]:
        rows = self._db.execute("SELECT item_id, region, themes FROM overrides")
        return {r[0]: Override(r[0], r[1], None if r[2] is None else tuple(json.loads(r[2]))) for r in rows}

    # -- source health -------------------------------------------------------------------------

    @_guard
    def health(self) -> dict[str, SourceHealth]:
        """Every source's health, with the store's item count for it."""
        counts = self.item_counts()
        cols = [f.name for f in dataclasses.fields(SourceHealth) if f.name != "item_count"]
        out: dict[str, SourceHealth] = {}
        for row in self._db.execute(f"SELECT {', '.join(cols)} FROM source_health"):
            values = dict(zip(cols, row, strict=True))
            for key in _HEALTH_TIMES:
                values[key] = _dt(values[key])
            out[row[0]] = SourceHealth(**values, item_count=counts.get(row[0], 0))
        for source_id, count in counts.items():
            out.setdefault(source_id, SourceHealth(source_id, item_count=count))
        return out

    @_guard
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

    @_guard
    def one_off_sources(self) -> list[OneOffSource]:
        rows = self._db.execute(
            "SELECT source_id, name, feed_title, link, language FROM source_names ORDER BY source_id"
        )
        return [OneOffSource(*row) for row in rows]

    @_guard
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
            values.append(_ts(value) if isinstance(value, dt.datetime) else value)
        db.execute(
            f"INSERT OR REPLACE INTO source_health ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
            values,
        )


_ITEM_COLUMNS = (
    "id, source_id, guid, url, title, summary, content_html, authors, tags, image, published, dated"
)


def _chunks(values: list[str], size: int = 500) -> Iterator[list[str]]:
    """Slices small enough for SQLite's limit on bound parameters."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _marks(values: list[str]) -> str:
    return ", ".join("?" * len(values))


def _item(row: tuple) -> Item:
    # The fields set directly (as models.evolve does), not through the frozen dataclass's __init__, which
    # sets them one by one: a week is read 100,000 rows at a time.
    item = object.__new__(Item)
    item.__dict__.update(
        id=row[0],
        source_id=sys.intern(row[1]),  # a week's 100,000 items come from a few hundred sources
        url=row[3],
        title=row[4],
        summary=row[5],
        published=_dt(row[10]),
        content_html=row[6],
        guid=row[2],
        authors=_strings(row[7]),
        tags=_strings(row[8]),
        image=row[9],
        dated=sys.intern(row[11]),
        labels=None,
        verdict=None,
        story_id=None,
    )
    return item


def _json_list(values: tuple[str, ...]) -> str:
    return json.dumps(list(values), ensure_ascii=False) if values else "[]"


def _strings(text: str) -> tuple[str, ...]:
    """A stored JSON list of strings (authors, tags) as a tuple; most are empty, read without a parse."""
    return () if text == "[]" else tuple(json.loads(text))
