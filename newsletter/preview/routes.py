"""The preview's requests: what each path serves, what is refused, and the desk's endpoints.

GET  /                                    the index: weeks, styles, a Desk link for each
GET  /<week>/<style>[?view=web|email|side|md]   the issue page (frames the raw views)
GET  /<week>/<style>.html|.email.html|.md|.txt  a raw view, as `build` writes it
GET  /<week>/<style>/desk[?filters]       the desk
GET  /<week>/<style>/desk/candidates?...  one page of candidates (HTML)
GET  /<week>/<style>/desk/state?...       the draft and the candidates now (JSON), for live updates
POST /<week>/<style>/desk/action          one desk action (JSON in, JSON out): see the README
GET  /__events                            server-sent events: a number each time a watched file changes
GET  /<week>/<file>                       a built file under issues/ (html, css, images), nothing else

A POST changes something only when it carries this run's token (X-Desk-Token), comes from the
page's own origin (Origin, and Sec-Fetch-Site when sent) and says it is JSON; anything else gets a
4xx and changes nothing. Hosts other than loopback names are refused on a loopback bind.
"""

from __future__ import annotations

import ipaddress
import json
import re
import secrets
import sys
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from ..errors import DeskError, DraftConflict, ItemNotFound, NewsletterError
from ..models import Week
from . import desk_page
from .candidates import Filters
from .pages import RAW_VIEWS, VIEWS, Failure, failure_page

if TYPE_CHECKING:
    from .server import PreviewServer

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
POST_MAX = 1_000_000  # bytes in one desk action (an edited entry or intro is a few thousand)
DESK_PARTS = ("", "candidates", "state", "why", "action")


def is_loopback(host: str) -> bool:
    """Whether binding host keeps the preview on this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Server(ThreadingHTTPServer):
    daemon_threads = True  # event streams never hold up shutdown
    # Connections waiting to be accepted. socketserver's 5 made the 200 requests of a page with
    # many images (or a reload storm) wait for SYN retries, up to 14 s; the kernel caps it anyway.
    request_queue_size = 1024
    preview: PreviewServer


class Handler(BaseHTTPRequestHandler):
    server: Server
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
            if week is not None and len(segments) <= 4 and week in preview.known_weeks():
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
        if rest[0] in styles and rest[1:2] == ["desk"] and len(rest) <= 3:
            part = rest[2] if len(rest) == 3 else ""
            if part in DESK_PARTS and part != "action":
                return self._desk(preview, week, rest[0], part, query)
            return self._not_found()
        self._static(preview, [str(week), *rest])

    # -- the desk --------------------------------------------------------------------------------

    def _desk(self, preview: PreviewServer, week: Week, style: str, part: str, query: str) -> None:
        filters = Filters.parse(query)
        desk = preview.desk
        with preview.views.lock:
            try:
                view = desk.view(week, style)
                groups = desk.groups(week, style)
                if part == "why":
                    html = desk_page.why(desk.explain(week, view, filters.item))
                    return self._send(200, "text/html; charset=utf-8", html.encode("utf-8"))
                listing = desk.listing(week, view, filters)
                if part == "":
                    page = desk_page.desk_page(
                        week=week,
                        style=style,
                        styles=preview.views.styles(),
                        nonce=self._nonce(),
                        token=preview.token,
                        view=view,
                        groups=groups,
                        lead_key=desk.placer(week, style).lead_key,
                        listing=listing,
                        list_key=desk.list_key(week, view, filters),
                        taxonomy=preview.app.taxonomy(),
                    )
                    return self._page(200, page)
            except NewsletterError as exc:
                if part:
                    return self._json(422, {"ok": False, "error": str(exc)})
                return self._page(200, preview.views.desk_failure(week, style, str(exc), self._nonce()))
            key = desk.list_key(week, view, filters)
        list_html = desk_page.candidate_list(listing, groups, key)
        if part == "candidates":
            return self._send(200, "text/html; charset=utf-8", list_html.encode("utf-8"))
        draft = desk_page.draft_pane(view, week, style, groups)
        self._json(200, {"ok": True, "version": view.version, "draft": draft, "list": list_html})

    def do_POST(self) -> None:
        self.head = False
        self.csp = "default-src 'none'"
        try:
            status, answer = self._post(self.server.preview)
        except (BrokenPipeError, ConnectionResetError):
            return
        except Exception:  # a bug: say so on stderr, answer 500, keep serving
            traceback.print_exc(file=sys.stderr)
            status, answer = 500, {"ok": False, "error": "the desk failed: see the terminal"}
        if status >= 400 and answer.get("refused"):
            self.close_connection = True  # its body, if any, was never read
        self._json(status, answer)

    def _post(self, preview: PreviewServer) -> tuple[int, dict[str, Any]]:
        segments = _segments(urlsplit(self.path).path) or []
        week = Week.from_name(segments[0]) if segments else None
        style = segments[1] if len(segments) == 4 else ""
        if not self._host_allowed(preview.host):
            return 403, {"ok": False, "refused": True, "error": "forbidden host"}
        if week is None or segments[2:] != ["desk", "action"] or style not in preview.views.styles():
            return 404, {"ok": False, "refused": True, "error": "not found"}
        if week not in preview.known_weeks():
            return 404, {"ok": False, "refused": True, "error": f"no issue folder for {week}"}
        refusal = self._refusal(preview)
        if refusal:
            return 403, {"ok": False, "refused": True, "error": refusal}
        if not (self.headers.get("Content-Type") or "").startswith("application/json"):
            return 415, {"ok": False, "refused": True, "error": "send the action as application/json"}
        try:
            length = int(self.headers.get("Content-Length") or "")
        except ValueError:
            return 411, {"ok": False, "refused": True, "error": "a Content-Length is needed"}
        if not 0 <= length <= POST_MAX:
            return 413, {"ok": False, "refused": True, "error": f"an action is at most {POST_MAX:,} bytes"}
        try:
            request = json.loads(self.rfile.read(length).decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            return 400, {"ok": False, "error": "the action is not JSON"}
        if not isinstance(request, dict):
            return 400, {"ok": False, "error": "the action must be a JSON object"}
        return self._act(preview, week, style, request)

    def _act(
        self, preview: PreviewServer, week: Week, style: str, request: dict[str, Any]
    ) -> tuple[int, dict[str, Any]]:
        desk = preview.desk
        shown = request.get("list")
        filters = Filters.parse(shown if isinstance(shown, str) else "")
        status: int = 200
        answer: dict[str, Any] = {"ok": True}
        with preview.views.lock:
            touched: tuple[str, ...] | None = None
            try:
                outcome = desk.act(week, style, request)
                answer.update(message=outcome.message, notes=list(outcome.notes))
                touched = outcome.touched
            except DraftConflict as exc:
                status, answer = 409, {"ok": False, "error": str(exc)}
            except ItemNotFound as exc:
                status, answer = 404, {"ok": False, "error": str(exc)}
            except (DeskError, NewsletterError) as exc:
                status, answer = 422, {"ok": False, "error": str(exc)}
            try:  # what the desk shows now, whatever happened: a refused action reloads it
                view = desk.view(week, style)
                groups = desk.groups(week, style)
                answer["version"] = view.version
                answer["draft"] = desk_page.draft_pane(view, week, style, groups)
                key = desk.list_key(week, view, filters)
                if touched is None or filters.draft:  # the list may have changed anywhere: all of it
                    listing = desk.listing(week, view, filters)
                    answer["list"] = desk_page.candidate_list(listing, groups, key)
                else:  # only the rows of the stories the action touched
                    rows = desk.rows(week, view, touched)
                    answer["rows"] = {c.story.id: desk_page.candidate_row(c, groups) for c in rows}
                    answer["list_key"] = key  # what the page's list now shows
            except NewsletterError as exc:
                answer.setdefault("error", str(exc))
        return status, answer

    def _refusal(self, preview: PreviewServer) -> str:
        """Why a state-changing request is not the desk's own, or "" when it is."""
        token = self.headers.get("X-Desk-Token") or ""
        if not secrets.compare_digest(token.encode(), preview.token.encode()):
            return "no valid desk token: reload the desk page"
        origin = self.headers.get("Origin") or ""
        host = self.headers.get("Host") or ""
        if not origin or not host or origin != f"http://{host}":
            return "the request does not come from the desk's own page"
        site = self.headers.get("Sec-Fetch-Site")
        if site is not None and site != "same-origin":
            return "the request does not come from the desk's own page"
        return ""

    # -- the rest ----------------------------------------------------------------------------------

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

    def _json(self, status: int, answer: dict[str, Any]) -> None:
        answer.pop("refused", None)
        self._send(status, "application/json; charset=utf-8", json.dumps(answer).encode("utf-8"))

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
