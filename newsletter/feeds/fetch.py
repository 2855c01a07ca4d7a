"""Get the bytes of each source: http(s) with conditional GET, bounded concurrency, caps; local files.

The fetch stage never parses: it hands bytes (or "not modified", or a one-line reason it failed)
to the caller as each source finishes, so the caller can parse and store one source while others
are still downloading. Nothing here raises for a failing source; each outcome is a FetchResult.
"""

from __future__ import annotations

import functools
import os
import re
import stat
import threading
import time
from collections import deque
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from .. import __version__
from ..config import FetchSettings
from ..errors import SourceError
from ..models import Source, SourceHealth
from . import netguard
from .responses import Decoder, Failure, one_line, retry_after, size_text, timeout_error, transport_error
from .safetext import without_credentials
from .sources import slugify
from .urls import check_remote_url

PROJECT_URL = "https://github.com/asia-tech-newsletter/newsletter"
USER_AGENT = f"newsletter/{__version__} (+{PROJECT_URL})"

BACKOFF_BASE = 0.5  # seconds before the first retry; doubles each time (tests lower it)
RETRY_AFTER_MAX = 30.0  # a server asking for a longer wait is not retried in this run
TOTAL_TIMEOUT_FACTOR = 3  # one attempt may take at most timeout * this, however the server trickles
REDIRECTS = frozenset({301, 302, 303, 307, 308})
PERMANENT = frozenset({301, 308})
LOCAL = "<local>"  # the scheduling key of local files: they have no host to be polite to
_SCHEME_RE = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]+):")


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


def read_local(path: Path, max_bytes: int, *, configured: bool = True) -> bytes:
    """The bytes of a local feed file, at most max_bytes; SourceError with a clear line otherwise.

    Only a regular file is read: a FIFO or a device would block or never end, so it is refused at
    once (it is opened without blocking to find out). `configured` says the path comes from
    sources.toml, so the message points there; otherwise it was given on the command line.
    """
    fix = ": fix the source's path or remove the source" if configured else ""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except FileNotFoundError:
        raise SourceError(f"{path}: file not found{fix}") from None
    except IsADirectoryError:
        raise SourceError(f"{path} is a folder, not a feed file") from None
    except PermissionError:
        raise SourceError(f"{path}: permission denied: make the file readable") from None
    except OSError as exc:
        raise SourceError(f"{path}: cannot read ({exc.strerror or exc})") from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        if stat.S_ISDIR(mode):
            raise SourceError(f"{path} is a folder, not a feed file")
        raise SourceError(f"{path} is not a regular file (a pipe, device or socket): give a feed file")
    with os.fdopen(fd, "rb") as fh:
        os.set_blocking(fd, True)
        try:
            data = fh.read(max_bytes + 1)
        except OSError as exc:
            raise SourceError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if len(data) > max_bytes:
        raise SourceError(f"{path} is larger than the {size_text(max_bytes)} cap (fetch.max_bytes): not read")
    return data


def fetch_url(
    url: str, settings: FetchSettings, *, etag: str | None = None, last_modified: str | None = None
) -> FetchResult:
    """Fetch one URL given by hand (ingest); SourceError at once if it is not http(s)."""
    normal = check_remote_url(url)
    host = urlsplit(normal).hostname or "url"
    source = Source(id=slugify(host), name=host, url=normal)
    with _Fetcher(settings) as fetcher:
        return fetcher.fetch(source, etag, last_modified)


def fetch_sources(
    sources: Sequence[Source],
    health: Mapping[str, SourceHealth],
    *,
    root: Path,
    settings: FetchSettings,
    progress: Callable[[FetchResult], None] | None = None,
) -> Generator[FetchResult, None, None]:
    """Fetch every source, yielding each result as soon as it is ready (not in input order).

    At most settings.concurrency sources at once and settings.per_host on any one host. Sources
    whose health says "gone" are "skipped" without a request; choosing enabled ones is the
    caller's job. Closing the generator early (Ctrl-C, an error) cancels what has not started
    and ends what is in flight at once.
    """
    concurrency = max(1, settings.concurrency)
    per_host = max(1, settings.per_host)
    queues: dict[str, deque[Source]] = {}
    ready: list[FetchResult] = []
    for source in sources:
        known = health.get(source.id)
        if known is not None and known.status == "gone":
            ready.append(_skipped(source, "gone (the server said 410 Gone): re-enable it to fetch again"))
        else:
            queues.setdefault(_host_key(source.url), deque()).append(source)
    for result in ready:
        if progress:
            progress(result)
        yield result
    if not queues:
        return

    with _Fetcher(settings) as fetcher, ThreadPoolExecutor(concurrency, "fetch") as pool:
        running: dict[Future[FetchResult], str] = {}
        active: dict[str, int] = {}

        def submit() -> None:
            # Round-robin over hosts so one big host cannot hold every worker while others wait.
            progressed = True
            while progressed and len(running) < concurrency:
                progressed = False
                for key in list(queues):
                    if len(running) >= concurrency:
                        break
                    if key != LOCAL and active.get(key, 0) >= per_host:
                        continue
                    source = queues[key].popleft()
                    if not queues[key]:
                        del queues[key]
                    known = health.get(source.id)
                    future = pool.submit(fetcher.fetch_source, source, known, root)
                    running[future] = key
                    active[key] = active.get(key, 0) + 1
                    progressed = True

        try:
            submit()
            while running:
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                results = []
                for future in done:
                    key = running.pop(future)
                    active[key] -= 1
                    results.append(future.result())
                submit()  # start the next downloads before the caller spends time on these
                for result in results:
                    if progress:
                        progress(result)
                    yield result
        finally:
            fetcher.cancel()  # wakes workers sleeping in a back-off, ends their downloads
            for future in running:
                future.cancel()


def _skipped(source: Source, why: str) -> FetchResult:
    return FetchResult(source=source, status="skipped", error=why)


def _host_key(url: str) -> str:
    if not _is_remote(url):
        return LOCAL
    try:
        return (urlsplit(url.strip()).hostname or "").lower()
    except ValueError:
        return ""


def _is_remote(url: str) -> bool:
    """True for anything that looks like a URL (so file:, ftp: are refused, not read as paths)."""
    # The scheme needs two letters or more: "C:\\feeds" is a Windows path, not a URL.
    return _SCHEME_RE.match(url.strip()) is not None


class _Fetcher:
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

    def __enter__(self) -> _Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.client.close()

    def cancel(self) -> None:
        self.stop.set()
        self.network.abort()  # downloads in flight end now, not when the server answers

    def fetch_source(self, source: Source, known: SourceHealth | None, root: Path) -> FetchResult:
        """One source, local or remote; never raises for the source's own failures."""
        if _is_remote(source.url):
            etag = known.etag if known else None
            last_modified = known.last_modified if known else None
            return self.fetch(source, etag, last_modified)
        start = time.monotonic()
        path = Path(source.url).expanduser()
        path = path if path.is_absolute() else root / path
        try:
            data = read_local(path, self.settings.max_bytes)
        except SourceError as exc:
            return FetchResult(source, "failed", error=str(exc), elapsed=time.monotonic() - start)
        return FetchResult(source, "ok", data=data, elapsed=time.monotonic() - start)

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
        host = _host_key(url)
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
