"""The local preview: a server on 127.0.0.1 that renders the issue on request and reloads as the editor works.

server.py       the server object, the file watcher, the start-up warm-up
routes.py       every request: routing, safety (loopback, Host check, CSP, per-response nonce), the
                desk's endpoints and the checks on every POST (per-run token, same origin, JSON)
pages.py        the pages it shows: index, issue views, failures, the reload script
weeks.py        the ranked week and plans, kept between requests and updated, not rebuilt
desk.py         the desk: the draft's state, the actions, undo, conflicts
candidates.py   every story of the week, filtered and paged for the desk
desk_page.py    the desk's HTML (desk.js and desk.css are its script and style)
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
