"""A local preview server: renders issues on request and pushes a reload when a watched file changes.

Only rendered views and built files inside issues/ are ever served; the store and seeds never are.
The live-reload script lives here and is injected into the preview's own pages only, never into
what `build` writes, so the raw views are byte for byte the built outputs.
"""

from __future__ import annotations

import errno
import ipaddress
import re
import secrets
import socket
import sys
import threading
import time
import traceback
import webbrowser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

import watchfiles

from ..errors import PortInUse, PreviewError
from ..models import Week
from .pages import RAW_VIEWS, VIEWS, Failure, PreviewApp, Views, failure_page

# Built files a browser may fetch from issues/<week>/; drafts (.md) and data files are not among them.
STATIC_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".svg": "image/svg+xml",
}
_SEGMENT_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
# Rendered issues may carry inline styles and remote images (as they will in readers' inboxes),
# but never run a script, even inside the preview.
RAW_CSP = (
    "default-src 'none'; script-src 'none'; style-src 'unsafe-inline' https:; "
    "img-src 'self' https: http: data:; font-src https: data:; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'self'"
)


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


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # event streams never hold up shutdown
    # Connections waiting to be accepted. socketserver's 5 made the 200 requests of a page with
    # many images (or a reload storm) wait for SYN retries, up to 14 s; the kernel caps it anyway.
    request_queue_size = 1024
    preview: PreviewServer


class _Server6(_Server):
    address_family = socket.AF_INET6


class PreviewServer:
    """The preview as an object: start() binds and watches, stop() ends both; port 0 picks a free port."""

    def __init__(
        self,
        app: PreviewApp,
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
        self.views = Views(app)

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
            httpd = cls((self.host, self.port), _Handler)
        except OverflowError:  # what socket.bind raises for a port outside 0-65535
            msg = f"port {self.port} is outside 0-65535: try `newsletter preview --port 8000`"
            raise PreviewError(msg) from None
        except OSError as exc:
            raise _bind_error(exc, self.host, self.port) from None
        httpd.preview = self
        self._httpd = httpd
        self.port = httpd.server_address[1]
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

    def __enter__(self) -> PreviewServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _spawn(self, target: object, name: str) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)  # type: ignore[arg-type]
        thread.start()
        self._threads.append(thread)

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


def is_loopback(host: str) -> bool:
    """Whether binding host keeps the preview on this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


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
    app: PreviewApp,
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
        app.ensure_draft(server.week, server.style)
        if server.note:
            print(server.note, file=sys.stderr)
        if not is_loopback(host):
            print(
                f"warning: preview listens on {host or 'every address'}, so other machines can read your "
                "drafts; use --host 127.0.0.1 to keep it local",
                file=sys.stderr,
            )
        where = f"previewing {server.week} {server.style} at {server.issue_url}"
        print(f"{where} (Ctrl-C to stop)", file=sys.stderr)
        if open_browser:
            webbrowser.open(server.issue_url)
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        print("preview stopped", file=sys.stderr)
    finally:
        server.stop()


# ---------------------------------------------------------------------------------------- requests


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    csp = "default-src 'none'"
    # Seconds a connection may sit silent (Apache's keep-alive default): each holds a thread, and one
    # that never finishes its request (a slowloris, an HTTP/0.9 line) would hold it forever. Event
    # streams are not cut: they write a comment every 15 s and never wait on the browser.
    timeout = 5

    def version_string(self) -> str:
        return "newsletter-preview"

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        pass  # one line per request would drown the note that matters; errors are printed instead

    def end_headers(self) -> None:
        self.send_header("Content-Security-Policy", self.csp)
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def do_HEAD(self) -> None:
        self._dispatch(head=True)

    def do_GET(self) -> None:
        self._dispatch(head=False)

    def _dispatch(self, head: bool) -> None:
        self.head = head
        self.csp = "default-src 'none'"
        preview = self.server.preview
        if not self._host_allowed(preview.host):
            return self._send(403, "text/plain; charset=utf-8", b"forbidden host\n")
        parts = urlsplit(self.path)
        segments = _segments(parts.path)
        try:
            if parts.path == "/__events":
                return self._events(preview)
            if segments is None:
                return self._not_found()
            if not segments:
                weeks = preview.known_weeks()
                return self._page(200, preview.views.index(weeks, preview.week, self._nonce()))
            week = Week.from_name(segments[0])
            if week is not None and len(segments) <= 2 and week in preview.known_weeks():
                return self._route(preview, week, segments[1:], parts.query)
            self._static(preview, segments)
        except (BrokenPipeError, ConnectionResetError):
            pass
        except Exception:  # a bug: say so on stderr, answer 500, keep serving
            traceback.print_exc(file=sys.stderr)
            self._send(500, "text/plain; charset=utf-8", b"preview failed: see the terminal\n")

    def _route(self, preview: PreviewServer, week: Week, rest: list[str], query: str) -> None:
        styles = preview.views.styles()
        if not rest:
            return self._redirect(f"/{week}/{preview.style if preview.style in styles else styles[0]}")
        if len(rest) == 1 and rest[0] in styles:
            return self._page(200, preview.views.issue(week, rest[0], _view(query), self._nonce()))
        if len(rest) == 1:
            for suffix, (fmt, ctype) in RAW_VIEWS.items():
                style = rest[0].removesuffix(suffix)
                if rest[0].endswith(suffix) and style in styles:
                    return self._raw(preview, week, style, fmt, ctype)
        self._static(preview, [str(week), *rest])

    def _raw(self, preview: PreviewServer, week: Week, style: str, fmt: str, ctype: str) -> None:
        result = preview.views.render(week, style, fmt)
        self.csp = RAW_CSP
        if isinstance(result, Failure):
            return self._send(500, "text/html; charset=utf-8", failure_page(result).encode())
        self._send(200, ctype, result.encode("utf-8"))

    def _static(self, preview: PreviewServer, segments: list[str]) -> None:
        """A built file under issues/ (pages, images, styles); nothing else, and never a folder."""
        root = preview.app.ws.issues.resolve()
        path = root.joinpath(*segments)
        ctype = STATIC_TYPES.get(path.suffix.lower())
        if ctype is None:
            return self._not_found()
        try:
            real = path.resolve(strict=True)
            real.relative_to(root)  # a symlink that leads out of issues/ is not served
            if not real.is_file():
                return self._not_found()
            data = real.read_bytes()
        except (OSError, ValueError):
            return self._not_found()
        self.csp = RAW_CSP
        self._send(200, ctype, data)

    def _events(self, preview: PreviewServer) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        if self.head:
            return
        seen = preview.changes.version
        self.wfile.write(b"retry: 500\n: connected\n\n")
        self.wfile.flush()
        while not preview.changes.closed:
            now = preview.changes.wait(seen, timeout=15)
            if preview.changes.closed:
                break
            # A comment every 15 s notices a closed tab, so its thread ends.
            self.wfile.write(f"data: {now}\n\n".encode() if now != seen else b": ping\n\n")
            self.wfile.flush()
            seen = now

    def _host_allowed(self, bound: str) -> bool:
        # Refuse foreign Host headers on loopback so a page elsewhere cannot DNS-rebind onto drafts.
        if not is_loopback(bound):
            return True
        host = (self.headers.get("Host") or "").rsplit(":", 1)[0].strip("[]").lower()
        return host in ("127.0.0.1", "localhost", "::1", "")

    def _nonce(self) -> str:
        nonce = secrets.token_urlsafe(18)
        self.csp = (
            f"default-src 'none'; script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; "
            "connect-src 'self'; frame-src 'self'; img-src 'self' data:; base-uri 'none'; "
            "form-action 'none'; frame-ancestors 'none'"
        )
        return nonce

    def _page(self, status: int, body: str) -> None:
        self._send(status, "text/html; charset=utf-8", body.encode("utf-8"))

    def _not_found(self) -> None:
        self.csp = "default-src 'none'"
        self._send(404, "text/plain; charset=utf-8", b"not found\n")

    def _redirect(self, location: str) -> None:
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _send(self, status: int, ctype: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not self.head:
            self.wfile.write(body)


def _segments(raw_path: str) -> list[str] | None:
    """The path's segments, or None for anything that smells of traversal or encoding tricks."""
    if not raw_path.startswith("/") or raw_path.startswith("//"):
        return None
    try:
        decoded = unquote(raw_path, errors="strict") if "%" in raw_path else raw_path
    except UnicodeDecodeError:
        return None
    # A '%' left after one decoding is a double-encoded path; nothing we serve needs one.
    if any(ch in decoded for ch in "%\\\x00") or any(ord(ch) < 32 for ch in decoded):
        return None
    parts = decoded.strip("/").split("/") if decoded != "/" else []
    if any(not _SEGMENT_RE.match(p) for p in parts):
        return None  # also refuses '.', '..', hidden names (.newsletter) and empty segments
    return parts


def _view(query: str) -> str:
    for pair in query.split("&"):
        key, _, value = pair.partition("=")
        if key == "view" and value in dict(VIEWS):
            return value
    return "web"
