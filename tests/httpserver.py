"""A real HTTP server on 127.0.0.1 in a thread, serving scripted replies per path and recording requests.

Tests and benchmarks use it instead of mocking the client: the fetch code talks real HTTP/1.1
over a real socket, so keep-alive, chunked bodies, gzip, redirects and stalls behave as on the web.
"""

from __future__ import annotations

import gzip
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

CHUNK = 64 * 1024


@dataclass(frozen=True)
class Request:
    """One request as the server saw it."""

    method: str
    path: str
    headers: dict[str, str]  # names lower-cased
    at: float  # time.monotonic() when it arrived

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


@dataclass(frozen=True)
class Reply:
    """What to answer: status, headers, body, and misbehaviour on demand."""

    status: int = 200
    body: bytes = b""
    content_type: str | None = "application/rss+xml; charset=utf-8"
    headers: tuple[tuple[str, str], ...] = ()
    etag: str | None = None
    last_modified: str | None = None
    conditional: bool = True  # answer 304 when the request's validators match
    gzip: bool = False  # compress `body` and say Content-Encoding: gzip
    raw_gzip: bytes | None = None  # send these bytes as a gzip body as is (a bomb)
    repeat: int = 1  # send `body` this many times (a huge body without holding it in memory)
    chunked: bool = False  # no Content-Length: Transfer-Encoding: chunked
    delay: float = 0.0  # sleep before the status line
    stall: float = 0.0  # after half the body, sleep this long
    trickle: float = 0.0  # sleep this long between chunks of `trickle_size` bytes
    trickle_size: int = 1
    reason: str | None = None  # the status line's reason phrase (default: the standard one)


Handler = Callable[[Request], Reply]


@dataclass
class _Route:
    replies: list[Reply] | None = None
    handler: Handler | None = None
    served: int = 0

    def next(self, request: Request) -> Reply:
        if self.handler is not None:
            return self.handler(request)
        assert self.replies
        reply = self.replies[min(self.served, len(self.replies) - 1)]
        self.served += 1
        return reply


@dataclass
class _State:
    routes: dict[str, _Route] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)
    active: int = 0
    max_active: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive and chunked, as real servers do
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet tests
        pass

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        state = self.server.state
        request = Request("GET", self.path, {k.lower(): v for k, v in self.headers.items()}, time.monotonic())
        with state.lock:
            state.requests.append(request)
            state.active += 1
            state.max_active = max(state.max_active, state.active)
            route = state.routes.get(self.path.split("?", 1)[0])
            reply = route.next(request) if route else Reply(404, b"no such path", "text/plain")
        try:
            self._answer(request, reply)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up on us, as it should when cut off
        finally:
            with state.lock:
                state.active -= 1

    def _answer(self, request: Request, reply: Reply) -> None:
        if reply.delay:
            time.sleep(reply.delay)
        status = reply.status
        if reply.conditional and status == 200 and _not_modified(request, reply):
            status = 304
        body_parts: Iterator[bytes]
        length: int | None
        encoding = None
        if status == 304:
            body_parts, length = iter(()), None
        elif reply.raw_gzip is not None:
            body_parts, length, encoding = iter((reply.raw_gzip,)), len(reply.raw_gzip), "gzip"
        elif reply.gzip:
            data = gzip.compress(reply.body)
            body_parts, length, encoding = iter((data,)), len(data), "gzip"
        else:
            body_parts, length = (reply.body for _ in range(reply.repeat)), len(reply.body) * reply.repeat
        self.send_response(status, reply.reason if status == reply.status else None)
        if reply.content_type and status != 304:
            self.send_header("Content-Type", reply.content_type)
        if reply.etag:
            self.send_header("ETag", reply.etag)
        if reply.last_modified:
            self.send_header("Last-Modified", reply.last_modified)
        if encoding:
            self.send_header("Content-Encoding", encoding)
        for name, value in reply.headers:
            self.send_header(name, value)
        chunked = reply.chunked and status != 304
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        elif status != 304:
            self.send_header("Content-Length", str(length))
        self.end_headers()
        if status == 304:
            return
        self._send_body(body_parts, length or 0, reply, chunked)

    def _send_body(self, parts: Iterator[bytes], length: int, reply: Reply, chunked: bool) -> None:
        size = reply.trickle_size if reply.trickle else max(1, length // 2) if reply.stall else CHUNK
        sent = 0
        stalled = False
        for part in parts:
            for start in range(0, len(part), size):
                piece = part[start : start + size]
                if reply.stall and not stalled and sent:
                    self.wfile.flush()
                    time.sleep(reply.stall)  # headers and half the body are out: now go quiet
                    stalled = True
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece)
                sent += len(piece)
                if reply.trickle:
                    self.wfile.flush()
                    time.sleep(reply.trickle)
        if chunked:
            self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()


def _not_modified(request: Request, reply: Reply) -> bool:
    inm, ims = request.header("If-None-Match"), request.header("If-Modified-Since")
    if reply.etag and inm is not None:
        return reply.etag in [tag.strip() for tag in inm.split(",")]
    return bool(reply.last_modified and ims == reply.last_modified)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128
    state: _State

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hangs up (a fetch cut off at a cap or timeout) is expected, not an error.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class HTTPServer:
    """A threaded server on a loopback address; use as a context manager or start()/stop()."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._server = _Server((host, port), _Handler)
        self._server.state = _State()
        # A short poll interval: stop() waits for it, once per test.
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True)

    def __enter__(self) -> HTTPServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> HTTPServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def base(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def url(self, path: str) -> str:
        return self.base + path

    def route(self, path: str, *replies: Reply) -> str:
        """Answer `path` with these replies in turn (the last one repeats); returns the full URL."""
        with self._server.state.lock:
            self._server.state.routes[path] = _Route(replies=list(replies))
        return self.url(path)

    def handle(self, path: str, handler: Handler) -> str:
        """Answer `path` with whatever `handler(request)` returns; returns the full URL."""
        with self._server.state.lock:
            self._server.state.routes[path] = _Route(handler=handler)
        return self.url(path)

    def requests(self, path: str | None = None) -> list[Request]:
        with self._server.state.lock:
            return [r for r in self._server.state.requests if path is None or r.path == path]

    @property
    def max_active(self) -> int:
        """The most requests this server was answering at the same moment."""
        return self._server.state.max_active

    def reset_counts(self) -> None:
        with self._server.state.lock:
            self._server.state.requests.clear()
            self._server.state.max_active = self._server.state.active
