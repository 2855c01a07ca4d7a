"""The SQLite store: items fetched, source health, the editor's label overrides, clustering's facts.

All SQL lives in this package.

schema.py      every migration in order, and SCHEMA_VERSION
connection.py  the file opened (checked, created whole, migrated), transactions, failures as one line
queries.py     `Store`: every read and write the pipeline makes, table by table
rows.py        rows to and from Python: timestamps, items, JSON lists
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import _lazy_exports

__all__, __getattr__, __dir__ = _lazy_exports(
    __name__,
    {
        ".queries": ("Store", "Override", "OneOffSource"),
        ".schema": ("MIGRATIONS", "SCHEMA_VERSION"),
    },
)

if TYPE_CHECKING:
    from .queries import OneOffSource, Override, Store
    from .schema import MIGRATIONS, SCHEMA_VERSION
