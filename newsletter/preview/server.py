"""A local preview server: renders issues on request and pushes a reload when a watched file changes.

Only rendered views and built files inside issues/ are ever served; the store and seeds never are.
The live-reload script lives here and is injected into the preview's own pages only, never into
what `build` writes, so the raw views are byte for byte the built outputs.
"""

from __future__ import annotations

import contextlib
import errno
import secrets
import socket
import sys
import threading
import time
import webbrowser
from pathlib import Path
from typing import TYPE_CHECKING

import watchfiles

from ..errors import NewsletterError, PortInUse, PreviewError
from ..models import Week
from .desk import Desk, DeskApp
from .pages import Views
from .routes import Handler, Server, is_loopback
from .weeks import WeekCache

if TYPE_CHECKING:
    from ..sort.ahead import HeadStart


class _Changes:
    """A counter that file changes bump and event streams wait on."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self.version = 0
        self.closed = False

    def bump(self) -> None:
        with self._cond:
            self.version += 1
            self._cond.notify_all()

    def close(self) -> None:
        with self._cond:
            self.closed = True
            self._cond.notify_all()

    def wait(self, seen: int, timeout: float) -> int:
        with self._cond:
            self._cond.wait_for(lambda: self.closed or self.version != seen, timeout)
            return self.version


_Server = Server
_Handler = Handler


class _Server6(Server):
    address_family = socket.AF_INET6


class PreviewServer:
    """The preview as an object: start() binds and watches, stop() ends both; port 0 picks a free port."""

    def __init__(
        self,
        app: DeskApp,
        *,
        host: str = "127.0.0.1",
        port: int = 8000,
        week: Week | None = None,
        style: str | None = None,
        watch: bool = True,
    ) -> None:
        self.app = app
        self.host = host
        self.port = port
        self.week = week
        self.note: str | None = None
        self.style = style
        self.watch = watch
        self.changes = _Changes()
        self._httpd: _Server | None = None
        self._threads: list[threading.Thread] = []
        self._stop = threading.Event()
        self._watching = threading.Event()
        self._head: HeadStart | None = None
        self.cache = WeekCache(app)
        self.views = Views(app, self.cache)
        self.desk = Desk(app, self.cache, self.views.lock)
        self.token = secrets.token_urlsafe(32)  # made for this run: every desk POST must carry it

    @property
    def url(self) -> str:
        # A wildcard bind is reachable on loopback too, and that is the address a browser here wants.
        host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(self.host, self.host)
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{self.port}"

    @property
    def issue_url(self) -> str:
        return f"{self.url}/{self.week}/{self.style}"

    def start(self) -> PreviewServer:
        if self.week is None:
            self.week, self.note = self.app.resolve_week(None)
        self.style = self.style or self.app.settings().default_style
        cls = _Server6 if ":" in self.host else _Server
        try:
            httpd = cls((self.host, self.port), Handler)
        except OverflowError:  # what socket.bind raises for a port outside 0-65535
            msg = f"port {self.port} is outside 0-65535: try `newsletter preview --port 8000`"
            raise PreviewError(msg) from None
        except OSError as exc:
            raise _bind_error(exc, self.host, self.port) from None
        httpd.preview = self
        self._httpd = httpd
        self.port = httpd.server_address[1]
        with contextlib.suppress(NewsletterError):  # reported by the ranking itself
            self._head = self.app.sort_ahead(self.week)  # only while no thread runs: forks
        self._spawn(lambda: httpd.serve_forever(poll_interval=0.05), "preview-http")
        if self.watch:
            self._spawn(self._watch_files, "preview-watch")
            # A save made right after start() must not slip past a watcher still setting up.
            self._watching.wait(5)
        return self

    def stop(self) -> None:
        self._stop.set()
        self.changes.close()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        for thread in self._threads:
            thread.join(5)
        self._threads.clear()
        if self._head is not None:
            self._head.close()  # the worker ends if no ranking took it

    def __enter__(self) -> PreviewServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _spawn(self, target: object, name: str) -> threading.Thread:
        thread = threading.Thread(target=target, name=name, daemon=True)  # type: ignore[arg-type]
        thread.start()
        self._threads.append(thread)
        return thread

    def warm(self) -> threading.Thread:
        """Rank the week in the background, so the desk opens at once (a draft on disk needs no ranking
        to render, so the preview never waits for this)."""

        def rank() -> None:
            assert self.week is not None
            with self.views.lock, contextlib.suppress(NewsletterError):
                self.cache.ranked(self.week)

        return self._spawn(rank, "preview-warm")

    def watched(self) -> list[Path]:
        ws = self.app.ws
        ws.issues.mkdir(parents=True, exist_ok=True)
        return [p for p in (ws.issues, ws.templates, ws.seeds) if p.is_dir()]

    def _watch_files(self) -> None:
        try:
            self._watch(force_polling=False)
        except (OSError, RuntimeError) as exc:
            # inotify can run out of watches on big trees; polling is slower but still under a second.
            print(f"preview: file events unavailable ({exc}); polling instead", file=sys.stderr)
            try:
                self._watch(force_polling=True)
            except (OSError, RuntimeError) as again:
                print(f"preview: cannot watch files ({again}); reload the page by hand", file=sys.stderr)
                self._watching.set()

    def _watch(self, force_polling: bool) -> None:
        # Short debounce: an editor's save should show within a second, not watchfiles' default 1.6 s.
        for changes in watchfiles.watch(
            *self.watched(),
            watch_filter=_relevant,
            debounce=100,
            step=30,
            rust_timeout=50,
            yield_on_timeout=True,
            stop_event=self._stop,
            raise_interrupt=False,
            force_polling=force_polling,
            poll_delay_ms=250,
        ):
            self._watching.set()
            if changes:
                self.changes.bump()

    def known_weeks(self) -> list[Week]:
        """Weeks with a folder in issues/, plus the week preview opened on, newest first."""
        weeks = {self.week} if self.week else set()
        weeks.update(w for folder in self.app.ws.week_folders() if (w := Week.from_name(folder.name)))
        return sorted(weeks, reverse=True)


def _relevant(change: watchfiles.Change, path: str) -> bool:
    name = Path(path).name
    # atomic_write's temp files come and go on every save; the rename that follows is the event.
    if name.startswith(".") and name.endswith(".tmp"):
        return False
    return watchfiles.DefaultFilter()(change, path)


def _bind_error(exc: OSError, host: str, port: int) -> PreviewError:
    if exc.errno == errno.EADDRINUSE:
        return PortInUse(
            f"port {port} on {host} is already in use: try `newsletter preview --port {port + 1}`", port
        )
    if exc.errno == errno.EACCES:
        return PreviewError(f"not allowed to listen on port {port}: try `newsletter preview --port 8000`")
    if isinstance(exc, socket.gaierror) or exc.errno == errno.EADDRNOTAVAIL:
        return PreviewError(f"cannot listen on host {host!r}: try `--host 127.0.0.1`")
    return PreviewError(f"cannot listen on {host}:{port} ({exc.strerror or exc}): try another --port")


def serve(
    app: DeskApp,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    week: Week | None = None,
    style: str | None = None,
    open_browser: bool = True,
) -> None:
    """Run the preview until Ctrl-C: draft the issue if missing, open a browser, reload on saves."""
    server = PreviewServer(app, host=host, port=port, week=week, style=style)
    server.start()  # first, so a port in use is reported before anything is drafted; picks week and style
    assert server.week is not None and server.style is not None
    try:  # from here on Ctrl-C is how the editor stops the preview, not an interruption
        with server.views.lock:
            server.cache.ensure_draft(server.week, server.style)
        server.warm()
        if server.note:
            print(server.note, file=sys.stderr)
        if not is_loopback(host):
            print(
                f"warning: preview listens on {host or 'every address'}, so other machines can read your "
                "drafts; use --host 127.0.0.1 to keep it local",
                file=sys.stderr,
            )
        where = f"previewing {server.week} {server.style} at {server.issue_url}"
        print(f"{where} (Ctrl-C to stop); the desk is at {server.issue_url}/desk", file=sys.stderr)
        if open_browser:
            webbrowser.open(server.issue_url)
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        print("preview stopped", file=sys.stderr)
    finally:
        server.stop()
