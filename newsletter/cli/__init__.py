"""The `newsletter` command: parses options, calls `Newsletter`, prints. No work happens here.

entry.py       the `newsletter` group, its global options, `init`, and `main(argv)`
options.py     what every command shares: the Context (the app, made on first use), --week, --style
sources.py     `sources list|add|remove|enable|disable|import-opml|export-opml`
fetching.py    `fetch` and `ingest`
items.py       `items` and `label`
classify.py    `classify`: JSON lines in, labels out, as they arrive
issues.py      `draft`, `build`, `send` and `preview`
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import _lazy_exports

__all__, __getattr__, __dir__ = _lazy_exports(__name__, {".entry": ("cli", "main")})

if TYPE_CHECKING:
    from .entry import cli, main
