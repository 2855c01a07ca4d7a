"""The local preview: a server on 127.0.0.1 that renders the issue on request and reloads as the editor works.

server.py  the server: start, stop, the file watcher, `serve` for the command line
routes.py  each request: pages, raw views, built files, the reload stream, and the safety checks
pages.py   the pages it shows: index, issue views, failures, the reload script
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import _lazy_exports

__all__, __getattr__, __dir__ = _lazy_exports(
    __name__,
    {".server": ("PreviewServer", "serve"), ".routes": ("is_loopback",)},
)

if TYPE_CHECKING:
    from .routes import is_loopback
    from .server import PreviewServer, serve
