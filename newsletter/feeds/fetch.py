"""Get the bytes of each source: all of them scheduled (bounded concurrency, a limit per host), local files.

The fetch stage never parses: it hands bytes (or "not modified", or a one-line reason it failed)
to the caller as each source finishes, so the caller can parse and store one source while others
are still downloading. Nothing here raises for a failing source; each outcome is a FetchResult.
The requests themselves (conditional GET, redirects, retries, caps) are httpfetch.py's.
"""

from __future__ import annotations

import os
import re
import stat
import time
from collections import deque
from collections.abc import Callable, Generator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from pathlib import Path
from urllib.parse import urlsplit

from ..config import FetchSettings
from ..errors import SourceError
from ..models import Source, SourceHealth
from .httpfetch import FetchResult, HttpFetcher, host_key
from .responses import size_text
from .sources import slugify
from .urls import check_remote_url

LOCAL = "<local>"  # the scheduling key of local files: they have no host to be polite to
_SCHEME_RE = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]+):")


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
    with HttpFetcher(settings) as fetcher:
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

    with HttpFetcher(settings) as fetcher, ThreadPoolExecutor(concurrency, "fetch") as pool:
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
                    future = pool.submit(_fetch_one, fetcher, source, known, root)
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
    return host_key(url) if _is_remote(url) else LOCAL


def _is_remote(url: str) -> bool:
    """True for anything that looks like a URL (so file:, ftp: are refused, not read as paths)."""
    # The scheme needs two letters or more: "C:\\feeds" is a Windows path, not a URL.
    return _SCHEME_RE.match(url.strip()) is not None


def _fetch_one(fetcher: HttpFetcher, source: Source, known: SourceHealth | None, root: Path) -> FetchResult:
    """One source, local or remote; never raises for the source's own failures."""
    if _is_remote(source.url):
        etag = known.etag if known else None
        last_modified = known.last_modified if known else None
        return fetcher.fetch(source, etag, last_modified)
    start = time.monotonic()
    path = Path(source.url).expanduser()
    path = path if path.is_absolute() else root / path
    try:
        data = read_local(path, fetcher.settings.max_bytes)
    except SourceError as exc:
        return FetchResult(source, "failed", error=str(exc), elapsed=time.monotonic() - start)
    return FetchResult(source, "ok", data=data, elapsed=time.monotonic() - start)
