"""Bring feeds into the store: fetch results and one-off input, parsed and saved source by source.

Each source is stored in its own transaction as soon as it is parsed, and its health records
what happened, so a broken, slow or moved feed is named in the summary and never stops the rest.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import fcntl
import hashlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..config import FetchSettings
from ..errors import FeedParseError, NewsletterError, SourceError, StoreError
from ..models import ParsedFeed, Source, SourceHealth
from ..store import Store
from . import parse
from .fetch import FetchResult, fetch_sources, fetch_url, read_local
from .parsepool import ParsePool
from .sources import slugify
from .urls import looks_like_url

REDIRECTS_BEFORE_MOVE = 3  # permanent redirects seen in a row before the stored URL follows
PARALLEL_PARSE_MIN = 12  # sources in a fetch from which parsing moves to worker processes


@dataclass(frozen=True)
class SourceOutcome:
    """What one fetch of one source came to, for the run summary."""

    source: Source
    status: str  # ok | not_modified | failed | gone | skipped
    new: int = 0
    error: str | None = None
    moved_to: str | None = None


@dataclass(frozen=True)
class RunSummary:
    outcomes: tuple[SourceOutcome, ...]

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def new(self) -> int:
        return sum(o.new for o in self.outcomes)

    @property
    def failed(self) -> tuple[SourceOutcome, ...]:
        return tuple(o for o in self.outcomes if o.status in ("failed", "gone"))

    def line(self) -> str:
        n = len(self.outcomes)
        parts = [f"{self.count('ok')} ok", f"{self.count('not_modified')} not modified"]
        parts.append(f"{self.count('failed')} failed")
        if self.count("gone"):
            parts.append(f"{self.count('gone')} gone")
        if self.count("skipped"):
            parts.append(f"{self.count('skipped')} skipped (gone)")
        noun = "source" if n == 1 else "sources"
        items = "item" if self.new == 1 else "items"
        return f"{n} {noun}: {', '.join(parts)}; {self.new} new {items}"

    @property
    def moved(self) -> dict[str, str]:
        """Source id -> the URL it now lives at, for each source whose stored URL followed a redirect."""
        return {o.source.id: o.moved_to for o in self.outcomes if o.moved_to}

    def notes(self) -> list[str]:
        """One line per source that failed, is gone, moved or stored with a warning."""
        out = []
        for o in self.outcomes:
            if o.status in ("failed", "gone") and (o.error or "").startswith(o.source.url):
                out.append(f"  {o.status}: {o.error}")  # a file or URL given by hand, named already
            elif o.status in ("failed", "gone"):
                out.append(f"  {o.status}: {o.source.id} ({o.source.url}): {o.error}")
            elif o.moved_to:
                out.append(f"  moved: {o.source.id} now at {o.moved_to} (sources.toml updated)")
            elif o.status == "ok" and o.error:
                out.append(f"  warning: {o.source.id}: {o.error}")
        return out


@contextmanager
def fetch_lock(db_path: Path) -> Iterator[None]:
    """One fetch at a time per store: a second one says so instead of racing the first."""
    lock_path = db_path.with_name(db_path.name + ".lock")
    try:
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        fh = open(lock_path, "a+")  # noqa: SIM115 - closed by the with below
    except OSError as exc:
        raise StoreError(
            f"cannot lock the store: {lock_path}: {exc.strerror}: "
            "make its folder writable or point --db elsewhere"
        ) from None
    with fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise StoreError(
                f"another fetch is running on {db_path}: wait for it to finish and run this again"
            ) from None
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def fetch_into(
    store: Callable[[], Store],
    now: Callable[[], dt.datetime],
    sources: Sequence[Source],
    *,
    db_path: Path,
    root: Path,
    settings: FetchSettings,
    concurrency: int | None = None,
    progress: Callable[[SourceOutcome], None] | None = None,
) -> RunSummary:
    """Fetch these sources, storing each as it arrives; one fetch at a time per store (fetch_lock).

    store opens the store, once the lock is held; root is where relative feed paths start;
    concurrency (sources fetched at once) replaces settings.concurrency when given.
    """
    if concurrency is not None:
        if concurrency < 1:
            raise NewsletterError("--concurrency must be at least 1")
        settings = dataclasses.replace(settings, concurrency=concurrency)
    with fetch_lock(db_path):
        opened = store()
        health = opened.health()
        results = fetch_sources(sources, health, root=root, settings=settings)
        outcomes = Intake(opened, now).run(results, health, len(sources), progress)
    return RunSummary(tuple(outcomes))


def ingest_into(
    store: Store,
    now: Callable[[], dt.datetime],
    targets: Sequence[str],
    settings: FetchSettings,
    *,
    source_name: str | None = None,
    stdin: bytes | None = None,
) -> RunSummary:
    """One-off input: files (several), one URL, or stdin ("-"), stored like a source's items."""
    # Every target is tried: a bad file is named in the summary and never stops the ones after it.
    outcomes = Intake(store, now).ingest_all(
        targets, lambda target: read_target(target, settings, stdin), source_name
    )
    return RunSummary(tuple(outcomes))


def read_target(
    target: str, settings: FetchSettings, stdin: bytes | None = None
) -> tuple[bytes, str, str | None]:
    """The bytes of one-off input (a file, one URL, or "-" for stdin), its URL and its content type."""
    if target == "-":
        return (stdin or b""), "", None
    if looks_like_url(target):
        result = fetch_url(target, settings)  # fetch_url refuses non-http(s) itself
        if result.status != "ok":
            raise SourceError(f"{target}: {result.error or result.status}", target)
        return result.data or b"", result.final_url or target, result.content_type
    # Read as typed, so a message names the file the way the editor wrote it.
    path = Path(target).expanduser()
    return read_local(path, settings.max_bytes, configured=False), path.resolve().as_uri(), None


class Intake:
    """Turns fetch results and one-off bodies into stored items and source health."""

    def __init__(self, store: Store, now: Callable[[], dt.datetime]) -> None:
        self._store = store
        self._now = now

    def run(
        self,
        results: Iterable[FetchResult],
        health: dict[str, SourceHealth],
        sources: int,
        progress: Callable[[SourceOutcome], None] | None = None,
    ) -> list[SourceOutcome]:
        """Store every result as it arrives; bodies are parsed while the downloads go on."""
        outcomes: list[SourceOutcome] = []

        def record(outcome: SourceOutcome) -> None:
            outcomes.append(outcome)
            if progress:
                progress(outcome)

        with ParsePool(sources >= PARALLEL_PARSE_MIN) as parsers:
            for result in results:
                old = health.get(result.source.id, SourceHealth(result.source.id))
                settled = self._settle(result, old)
                if isinstance(settled, SourceOutcome):
                    record(settled)
                else:
                    url = result.final_url or result.source.url
                    job = (result.data or b"", result.source.id, url, result.content_type, self._now())
                    parsers.submit((result, settled), job)
                for (done, held), parsed in parsers.ready():
                    record(self._store_parsed(done, held, parsed))
            # Downloads are done; store each parsed body as its worker finishes, while the others parse.
            for (done, held), parsed in parsers.drain():
                record(self._store_parsed(done, held, parsed))
        return outcomes

    def ingest(
        self, data: bytes, *, target: str, url: str, content_type: str | None, source_name: str | None
    ) -> SourceOutcome:
        """Store one body given on the command line, under source_name or the feed's own title."""
        now = self._now()
        try:
            parsed: ParsedFeed | str = parse.parse_feed(
                data, source_id=_probe_id(source_name), url=url, content_type=content_type, now=now
            )
        except FeedParseError as exc:
            parsed = str(exc)
        return self._store_one(target, url, source_name, now, parsed)

    def ingest_all(
        self,
        targets: Sequence[str],
        read: Callable[[str], tuple[bytes, str, str | None]],
        source_name: str | None,
    ) -> list[SourceOutcome]:
        """ingest() for each target, `read` giving its bytes, URL and content type; with many, the bodies
        are parsed in worker processes while the next are read, and stored in the order given.

        Every target is tried: one that cannot be read, is no feed or cannot be stored is a failed outcome
        naming why, and never stops the ones after it (a single target raises its error instead).
        """
        outcomes: list[SourceOutcome] = []
        parsed: dict[int, ParsedFeed | str] = {}
        held: dict[int, tuple[str, str, dt.datetime] | NewsletterError] = {}

        def failed(target: str, exc: NewsletterError) -> SourceOutcome:
            if len(targets) == 1:
                raise exc
            return SourceOutcome(Source(id=target, name=target, url=target), "failed", error=str(exc))

        def store(finished: Iterable[tuple[Any, ParsedFeed | str]]) -> None:
            for n, body in finished:
                parsed[n] = body
            while len(outcomes) in held and (
                isinstance(held[len(outcomes)], NewsletterError) or len(outcomes) in parsed
            ):
                n = len(outcomes)
                entry = held.pop(n)
                if isinstance(entry, NewsletterError):
                    outcomes.append(failed(targets[n], entry))
                    continue
                target, url, now = entry
                try:
                    outcomes.append(self._store_one(target, url, source_name, now, parsed.pop(n)))
                except NewsletterError as exc:
                    outcomes.append(failed(target, exc))

        with ParsePool(len(targets) >= PARALLEL_PARSE_MIN) as parsers:
            for n, target in enumerate(targets):
                try:
                    data, url, content_type = read(target)
                except NewsletterError as exc:
                    held[n] = exc
                else:
                    now = self._now()
                    held[n] = (target, url, now)
                    parsers.submit(n, (data, _probe_id(source_name), url, content_type, now))
                store(parsers.ready())
            store(parsers.drain())
        return outcomes

    def _store_one(
        self, target: str, url: str, source_name: str | None, now: dt.datetime, parsed: ParsedFeed | str
    ) -> SourceOutcome:
        if isinstance(parsed, str):
            raise FeedParseError(f"{target}: {parsed.removeprefix(f'{url}: ')}", target)
        # The id keeps feeds apart (from the name given or the feed's full title); the name shown
        # in the issue is worked out when read (outlets.py), so a better outlet list renames old items.
        source_id = _one_off_id(source_name or parsed.title or Path(target).stem or "stdin")
        link = parsed.link or (parsed.items[0].url if parsed.items else "")
        items = [dataclasses.replace(i, source_id=source_id) for i in parse.date_items(parsed, None)]
        self._store.remember_source(
            source_id, name=source_name or "", feed_title=parsed.title, link=link, language=parsed.language
        )
        name = source_name or parsed.title or Path(target).stem or "stdin"
        health = SourceHealth(source_id, status="ok", last_attempt=now, last_success=now)
        new = self._store.save_fetch(source_id, items, health, now)
        return SourceOutcome(
            Source(id=source_id, name=name, url=url or target), "ok", new=new, error=parsed.problem
        )

    def _settle(self, result: FetchResult, old: SourceHealth) -> SourceOutcome | _Settled:
        """Record a result that needs no parsing; else return the health to save with the items."""
        now = self._now()
        source = result.source
        base = dataclasses.replace(old, last_attempt=now, http_status=result.http_status)
        if result.status == "skipped":
            return SourceOutcome(
                source, "skipped", error=f"gone: `newsletter sources enable {source.id}` retries it"
            )
        if result.status == "gone":
            error = result.error or "HTTP 410 Gone"
            self._store.save_health(dataclasses.replace(base, status="gone", last_error=error))
            return SourceOutcome(source, "gone", error=error)
        if result.status == "failed":
            return self._failed(source, base, result.error or "failed", now)
        streak, moved_to, move = 0, None, None
        if result.permanent_redirect:
            moved_to = result.permanent_redirect
            streak = old.redirect_streak + 1 if old.moved_to == moved_to else 1
            if streak >= REDIRECTS_BEFORE_MOVE:
                move, streak = moved_to, 0
        ok = dataclasses.replace(
            base,
            last_success=now,
            failing_since=None,
            consecutive_failures=0,
            last_error=None,
            etag=result.etag,
            last_modified=result.last_modified,
            moved_to=moved_to,
            redirect_streak=streak,
            status="moved" if moved_to else "ok",
        )
        if result.status == "not_modified":
            self._store.save_health(dataclasses.replace(ok, status="not_modified", last_new=0))
            return SourceOutcome(source, "not_modified", moved_to=move)
        return old, ok, move

    def _store_parsed(
        self, result: FetchResult, settled: _Settled, parsed: ParsedFeed | str
    ) -> SourceOutcome:
        """Store a parsed body (one transaction), or record why it was not a feed."""
        old, ok, move = settled
        if isinstance(parsed, str):
            base = dataclasses.replace(old, last_attempt=self._now(), http_status=result.http_status)
            return self._failed(result.source, base, parsed, self._now())
        health = dataclasses.replace(ok, last_error=parsed.problem)
        now = self._now()
        items = parse.date_items(parsed, first_seen=now)
        new = self._store.save_fetch(result.source.id, items, health, now)
        return SourceOutcome(result.source, "ok", new=new, moved_to=move, error=parsed.problem)

    def _failed(self, source: Source, base: SourceHealth, error: str, now: dt.datetime) -> SourceOutcome:
        self._store.save_health(
            dataclasses.replace(
                base,
                status="failing",
                last_error=error,
                consecutive_failures=base.consecutive_failures + 1,
                failing_since=base.failing_since or now,
            )
        )
        return SourceOutcome(source, "failed", error=error)


def _probe_id(source_name: str | None) -> str:
    """The source id items are parsed under before the feed's own title names the one-off source."""
    return slugify(source_name) if source_name else "ingest"


def _one_off_id(name: str) -> str:
    """A one-off source's id: its name as a slug, plus a short hash when the slug lost part of the name
    ("Engadget 中文版 RSS Feed" and "Engadget RSS Feed" are two feeds, not one)."""
    slug = slugify(name)
    if slug.replace("-", "") == "".join(ch for ch in name.lower() if ch.isalnum()):
        return slug
    return f"{slug}-{hashlib.sha256(name.encode('utf-8')).hexdigest()[:6]}"


_Settled = tuple[SourceHealth, SourceHealth, "str | None"]  # old health, health to save, URL moved to
