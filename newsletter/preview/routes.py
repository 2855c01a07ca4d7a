"""What the preview answers to each request: its pages, raw views, built files and the reload stream.

Safety lives here: only loopback Host headers on a loopback server, a Content-Security-Policy on
every answer (a per-request nonce for our own script), no path that smells of traversal, and
nothing outside issues/ (never the store, never seeds, never a draft's source as a file).
"""

from __future__ import annotations

import ipaddress
import re
import secrets
import sys
import traceback
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from ..models import Week
from .pages import RAW_VIEWS, VIEWS, Failure, failure_page

if TYPE_CHECKING:
    from .server import PreviewServer, _Server
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


def is_loopback(host: str) -> bool:
    """Whether binding host keeps the preview on this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    csp = "default-src 'none'"

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
