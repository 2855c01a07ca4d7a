"""The `newsletter` command: parses options, calls `Newsletter`, prints. No work happens here.

entry.py       the `newsletter` group, its global options, `init`, and `main(argv)`
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import _lazy_exports

__all__, __getattr__, __dir__ = _lazy_exports(__name__, {".entry": ("cli", "main")})

if TYPE_CHECKING:
    from .entry import cli, main
