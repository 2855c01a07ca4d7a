"""One feed over http(s): a client shared by the fetch's threads, redirects followed by hand, retries
with back-off, bodies capped and cut off when too slow.

fetch.py decides which source is fetched when (and reads local files); this module makes the requests
for one URL. Nothing here raises for a failing feed: each outcome is a FetchResult.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from .. import __version__
from ..config import FetchSettings
from ..errors import SourceError
from ..models import Source
from . import netguard
from .responses import Decoder, Failure, one_line, retry_after, size_text, timeout_error, transport_error
from .safetext import without_credentials
from .urls import check_remote_url

PROJECT_URL = "https://github.com/asia-tech-newsletter/newsletter"
USER_AGENT = f"newsletter/{__version__} (+{PROJECT_URL})"

BACKOFF_BASE = 0.5  # seconds before the first retry; doubles each time (tests lower it)
RETRY_AFTER_MAX = 30.0  # a server asking for a longer wait is not retried in this run
TOTAL_TIMEOUT_FACTOR = 3  # one attempt may take at most timeout * this, however the server trickles
REDIRECTS = frozenset({301, 302, 303, 307, 308})
PERMANENT = frozenset({301, 308})


@dataclass(frozen=True)
class FetchResult:
    """What fetching one source gave: bytes, "not modified", or why not."""

    source: Source
    status: str  # "ok" | "not_modified" | "failed" | "gone" | "skipped"
    data: bytes | None = None
    content_type: str | None = None
    final_url: str | None = None  # URL after redirects
    permanent_redirect: str | None = None  # where a leading 301/308 chain led (ok/not_modified only)
    etag: str | None = None
    last_modified: str | None = None
    http_status: int | None = None
    error: str | None = None  # one line, says why
    elapsed: float = 0.0


@dataclass(frozen=True)
class _Response:
    status: int
    reason: str
    headers: httpx.Headers
    body: bytes | None
    peer: netguard.Peer | None = None  # the address and port the answer came from


def host_key(url: str) -> str:
    """The host a URL is polite to, lower-cased: the key of the per-host limits ("" when it has none)."""
    try:
        return (urlsplit(url.strip()).hostname or "").lower()
    except ValueError:
        return ""


class HttpFetcher:
    """One shared HTTP client (connection pool) and the per-host limits, used from many threads."""

    def __init__(self, settings: FetchSettings) -> None:
        self.settings = settings
        timeout = max(0.001, settings.timeout)
        self.timeout = timeout
        limits = httpx.Limits(
            max_connections=max(1, settings.concurrency) * 2,
            max_keepalive_connections=max(1, settings.concurrency) * 2,
        )
        self.network = netguard.GuardedBackend()  # the redirect rule, one deadline per request, abort
        self.client = httpx.Client(
            timeout=httpx.Timeout(timeout, pool=None),
            transport=netguard.guarded_transport(self.network, limits),
            follow_redirects=False,  # followed by hand: loops, scheme checks, 301 reporting
            headers={
                "User-Agent": USER_AGENT,
                # Only what we decode ourselves, with a cap on each step (see Decoder).
                "Accept-Encoding": "gzip, deflate",
                "Accept": "application/rss+xml, application/atom+xml, application/feed+json, "
                "application/xml;q=0.9, text/xml;q=0.9, application/json;q=0.8, */*;q=0.5",
            },
            trust_env=False,  # a fetch must not pick up proxies or .netrc credentials unasked
        )
        self.stop = threading.Event()
        self._hosts: dict[str, threading.BoundedSemaphore] = {}
        self._lock = threading.Lock()

    def __enter__(self) -> HttpFetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.client.close()

    def cancel(self) -> None:
        self.stop.set()
        self.network.abort()  # downloads in flight end now, not when the server answers

    def fetch(self, source: Source, etag: str | None, last_modified: str | None) -> FetchResult:
        start = time.monotonic()
        try:
            return self._fetch(source, etag, last_modified, start)
        except Failure as fail:
            return FetchResult(
                source,
                fail.status,
                http_status=fail.http_status,
                error=fail.error,
                elapsed=time.monotonic() - start,
            )
        except Exception as exc:  # noqa: BLE001 - a bug on one feed must not stop the others
            error = f"unexpected {type(exc).__name__}: {one_line(str(exc))}"
            return FetchResult(source, "failed", error=error, elapsed=time.monotonic() - start)

    def _fetch(self, source: Source, etag: str | None, modified: str | None, start: float) -> FetchResult:
        try:
            url = check_remote_url(source.url)
        except SourceError as exc:
            raise Failure(str(exc)) from None
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if modified:
            headers["If-Modified-Since"] = modified
        seen = {url}
        permanent: str | None = None
        only_permanent = True  # every hop so far was 301/308: the source itself has moved
        rule: netguard.Rule | None = None  # the configured URL is fetched as configured, wherever it is
        for _hop in range(self.settings.max_redirects + 1):
            resp = self._with_retries(url, headers, rule)
            if rule is None:  # redirects may lead anywhere public, or back to where this answer came from
                rule = functools.partial(netguard.redirect_refusal, resp.peer)
            if resp.status not in REDIRECTS:
                break
            location = resp.headers.get("Location")
            if not location:
                raise Failure(f"HTTP {resp.status} redirect without a Location", resp.status)
            try:
                target = str(httpx.URL(url).join(location.strip()))
            except httpx.InvalidURL:
                raise Failure(f"redirect to an invalid URL {location[:200]!r}", resp.status) from None
            try:
                target = check_remote_url(target)
            except SourceError:
                shown = without_credentials(target)[:200]
                raise Failure(
                    f"redirect to {shown} refused: only http(s) URLs are fetched", resp.status
                ) from None
            if target in seen:
                shown = without_credentials(target)[:200]
                raise Failure(f"redirect loop: {shown} was already visited", resp.status)
            seen.add(target)
            if resp.status in PERMANENT and only_permanent:
                permanent = target
            else:
                only_permanent = False
            url = target
        else:
            raise Failure(f"too many redirects (more than {self.settings.max_redirects})", resp.status)

        elapsed = time.monotonic() - start
        etag_out = resp.headers.get("ETag") or None
        modified_out = resp.headers.get("Last-Modified") or None
        if resp.status == 304:
            # Validators the server did not repeat stay as they were, so the store can save these as is.
            return FetchResult(
                source,
                "not_modified",
                final_url=url,
                permanent_redirect=permanent,
                etag=etag_out or etag,
                last_modified=modified_out or modified,
                http_status=304,
                elapsed=elapsed,
            )
        if resp.status == 410:
            raise Failure("HTTP 410 Gone: the feed was removed; it will be skipped from now on", 410, "gone")
        if not 200 <= resp.status < 300:
            raise Failure(f"HTTP {resp.status} {resp.reason}".rstrip(), resp.status)
        return FetchResult(
            source,
            "ok",
            data=resp.body or b"",
            content_type=resp.headers.get("Content-Type"),
            final_url=url,
            permanent_redirect=permanent,
            etag=etag_out,
            last_modified=modified_out,
            http_status=resp.status,
            elapsed=elapsed,
        )

    def _with_retries(self, url: str, headers: dict[str, str], rule: netguard.Rule | None) -> _Response:
        """One request, retried with back-off on 429, 5xx and dropped connections (not on timeouts)."""
        tries = max(0, self.settings.retries) + 1
        for attempt in range(tries):
            last = attempt == tries - 1
            try:
                resp = self._once(url, headers, rule)
            except httpx.TimeoutException as exc:
                # No retry: a server that stalled once likely stalls again, and each try costs a timeout.
                raise Failure(timeout_error(exc, url, self.timeout)) from None
            except httpx.TransportError as exc:
                if last:
                    raise Failure(transport_error(exc, url, tries)) from None
                self._sleep(BACKOFF_BASE * 2**attempt)
                continue
            if resp.status != 429 and not 500 <= resp.status < 600:
                return resp
            what = f"HTTP {resp.status} {resp.reason}".rstrip()
            wait_for = retry_after(resp.headers.get("Retry-After"))
            if wait_for is not None and wait_for > RETRY_AFTER_MAX:
                raise Failure(f"{what}: the server asks to wait {wait_for:.0f} s; try later", resp.status)
            if last:
                raise Failure(f"{what} (gave up after {tries} tries)", resp.status)
            self._sleep(wait_for if wait_for is not None else BACKOFF_BASE * 2**attempt)
        raise AssertionError("unreachable")  # pragma: no cover

    def _sleep(self, seconds: float) -> None:
        if self.stop.wait(seconds):
            raise Failure("cancelled")

    @contextmanager
    def _host_slot(self, url: str) -> Iterator[None]:
        """At most per_host requests to one host at a time, redirect hops to other hosts included."""
        host = host_key(url)
        with self._lock:
            sem = self._hosts.get(host)
            if sem is None:
                sem = self._hosts[host] = threading.BoundedSemaphore(max(1, self.settings.per_host))
        with sem:
            yield

    def _once(self, url: str, headers: dict[str, str], rule: netguard.Rule | None) -> _Response:
        """One GET; the body is read (capped, decoded, within a total deadline) only for a 2xx.

        With a rule (a redirect hop), every address connected to must pass it (see netguard).
        """
        with self._host_slot(url):  # the deadline starts once it is this request's turn
            deadline = time.monotonic() + self.timeout * TOTAL_TIMEOUT_FACTOR
            with (
                self.network.checking(rule, deadline),
                netguard.as_failures(url, self._too_slow()),
                self.client.stream("GET", url, headers=headers) as resp,
            ):
                peer = netguard.peer_of(resp.extensions.get("network_stream"))
                if rule is not None:  # the pool's guard is the real check; this one costs nothing
                    why = rule(peer) if peer else "the address it connected to is unknown"
                    if why:
                        raise netguard.AddressRefused(why)
                body = None
                if 200 <= resp.status_code < 300:
                    body = self._read_body(resp, deadline)
                # The reason phrase is the server's text: it is shown, so it must not act on a terminal.
                reason = one_line(resp.reason_phrase)[:100]
                return _Response(resp.status_code, reason, resp.headers, body, peer)

    def _too_slow(self) -> str:
        limit = self.timeout * TOTAL_TIMEOUT_FACTOR
        return f"download took over {limit:g} s ({TOTAL_TIMEOUT_FACTOR} x fetch.timeout): cut off"

    def _read_body(self, resp: httpx.Response, deadline: float) -> bytes:
        cap = self.settings.max_bytes
        encoding = resp.headers.get("Content-Encoding", "").strip().lower()
        decoder = Decoder(encoding, resp.status_code)
        length = resp.headers.get("Content-Length", "")
        if decoder.identity and length.isdigit() and int(length) > cap:
            raise Failure(
                f"body of {size_text(int(length))} is over the {size_text(cap)} cap (fetch.max_bytes)"
            )
        parts: list[bytes] = []
        total = 0
        for raw in resp.iter_raw():
            for piece in decoder.feed(raw):
                total += len(piece)
                if total > cap:
                    raise Failure(f"body over the {size_text(cap)} cap (fetch.max_bytes): cut off")
                parts.append(piece)
            if time.monotonic() > deadline:
                raise Failure(self._too_slow())
        return b"".join(parts)
