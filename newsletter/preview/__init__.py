"""The local preview: a server on 127.0.0.1 that renders the issue on request and reloads as the editor works.

server.py  the server: routing, safety (loopback, Host check, CSP, per-run nonce), the file watcher
pages.py   the pages it shows: index, issue views, failures, the reload script
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import _lazy_exports

__all__, __getattr__, __dir__ = _lazy_exports(
    __name__,
    {".server": ("PreviewServer", "serve", "is_loopback")},
)

if TYPE_CHECKING:
    from .server import PreviewServer, is_loopback, serve
