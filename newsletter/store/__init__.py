"""The SQLite store: items fetched, source health, the editor's label overrides, clustering's facts.

All SQL lives in this package.

queries.py     `Store`: every read and write the pipeline makes, table by table
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import _lazy_exports

__all__, __getattr__, __dir__ = _lazy_exports(
    __name__,
    {
        ".queries": ("Store", "Override", "OneOffSource", "MIGRATIONS", "SCHEMA_VERSION"),
    },
)

if TYPE_CHECKING:
    from .queries import MIGRATIONS, SCHEMA_VERSION, OneOffSource, Override, Store
