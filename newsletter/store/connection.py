"""The store's SQLite file opened: checked before SQLite touches it, created whole, brought up to the
schema (schema.py), in WAL mode; transactions; and SQLite's failures as one StoreError line that says
what to do next.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Self, TypeVar, cast

from ..errors import StoreError
from .schema import MIGRATIONS, SCHEMA_VERSION

F = TypeVar("F", bound=Callable[..., Any])


def guard(method: F) -> F:
    """SQLite's failures (read-only, damaged, busy, disk full) as one StoreError line that says what to do."""

    @functools.wraps(method)
    def guarded(self: Database, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except sqlite3.Error as exc:
            raise self._failure(exc) from None

    return cast(F, guarded)


class Database:
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

    def __enter__(self) -> Self:
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
