"""The library's front door: `Newsletter` wires the stages for one workspace and store.

The CLI uses nothing else, so a script importing `newsletter` can do all the CLI does.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import fcntl
import multiprocessing as mp
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from . import classify, cluster, curate, draft, fetch, opml, parse, render
from .config import STYLES, Settings, Workspace, check_style, slugify
from .errors import FeedParseError, ItemNotFound, NewsletterError, SourceError, StoreError
from .fetch import FetchResult
from .models import (
    GLOBAL,
    UTC,
    IssuePlan,
    Item,
    Labels,
    ParsedFeed,
    Reason,
    Source,
    SourceHealth,
    Story,
    Week,
)
from .store import Store

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


class Newsletter:
    """One workspace and its store."""

    def __init__(
        self,
        workspace: Workspace,
        db: Path | str | None = None,
        now: Callable[[], dt.datetime] | None = None,
    ) -> None:
        self.ws = workspace
        self.db_path = Path(db) if db else workspace.default_db
        self._now = now
        self._store: Store | None = None
        self._taxonomy: tuple[float, classify.Taxonomy, classify.Classifier] | None = None

    # -- seams and shared state ----------------------------------------------------------------

    def now(self) -> dt.datetime:
        """The one clock; tests replace it so "this week" is testable."""
        return self._now() if self._now else dt.datetime.now(UTC)

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = Store(self.db_path)
        return self._store

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

    def settings(self) -> Settings:
        """Re-read on each call, so a long-running preview sees the editor's changes."""
        return self.ws.settings()

    def sources(self) -> list[Source]:
        return self.ws.sources()

    def taxonomy(self) -> classify.Taxonomy:
        return self._classifier()[0]

    def _classifier(self) -> tuple[classify.Taxonomy, classify.Classifier]:
        mtime = self.ws.taxonomy_path.stat().st_mtime if self.ws.taxonomy_path.exists() else 0.0
        if self._taxonomy is None or self._taxonomy[0] != mtime:
            taxonomy = classify.load_taxonomy(self.ws.taxonomy_path)
            self._taxonomy = (mtime, taxonomy, classify.Classifier(taxonomy))
        return self._taxonomy[1], self._taxonomy[2]

    def source_names(self) -> dict[str, str]:
        names = self.store.source_names()
        names.update({s.id: s.name for s in self.sources()})
        return names

    # -- sources -------------------------------------------------------------------------------

    def add_source(
        self, url: str, *, name: str | None = None, region: str | None = None, themes: Sequence[str] = ()
    ) -> Source:
        """Add a feed to sources.toml; refuses a bad URL, an unknown region/theme or a duplicate."""
        url = self._source_location(url)
        sources = self.sources()
        for src in sources:
            if src.url == url:
                raise SourceError(f"{url} is already a source ({src.id})", url)
        region_id = self._region_id(region) if region else None
        theme_ids = tuple(self._theme_id(t) for t in themes)
        source_id = base = slugify(name or _name_from_url(url))
        n = 2
        while any(s.id == source_id for s in sources):
            source_id, n = f"{base}-{n}", n + 1
        source = Source(
            id=source_id, name=name or _name_from_url(url), url=url, region=region_id, themes=theme_ids
        )
        self.ws.save_sources([*sources, source])
        return source

    def _source_location(self, url: str) -> str:
        """An http(s) URL, or a feed file that exists (kept relative when inside the workspace)."""
        if "://" in url or url.split(":", 1)[0].lower() in ("data", "javascript", "mailto"):
            return fetch.check_remote_url(url)
        path = Path(url).expanduser().resolve()
        if not path.is_file():
            raise SourceError(f"{url}: no such feed file (sources are http(s) URLs or local feed files)", url)
        try:
            return str(path.relative_to(self.ws.root))
        except ValueError:
            return str(path)

    def remove_source(self, source_id: str) -> Source:
        sources = self.sources()
        for src in sources:
            if src.id == source_id:
                self.ws.save_sources([s for s in sources if s.id != source_id])
                return src
        raise SourceError(f"no source with id {source_id!r}: `newsletter sources list` shows them")

    def set_enabled(self, source_id: str, enabled: bool) -> Source:
        """Enable or disable a source; enabling one marked gone clears that, so the next fetch tries it."""
        sources = self.sources()
        found = next((s for s in sources if s.id == source_id), None)
        if found is None:
            raise SourceError(f"no source with id {source_id!r}: `newsletter sources list` shows them")
        changed = dataclasses.replace(found, enabled=enabled)
        self.ws.save_sources([changed if s.id == source_id else s for s in sources])
        if enabled:
            self.store.forget_health(source_id)
        return changed

    def import_opml(self, data: bytes) -> tuple[list[Source], list[str]]:
        """Add every outline not already a source; categories become themes/regions they match."""
        sources = self.sources()
        known_urls = {s.url for s in sources}
        ids = {s.id for s in sources}
        taxonomy = self.taxonomy()
        added: list[Source] = []
        skipped: list[str] = []
        for outline in opml.read_opml(data):
            try:
                url = fetch.check_remote_url(outline.url)
            except SourceError as exc:
                skipped.append(f"{outline.url}: {exc}")
                continue
            if url in known_urls:
                skipped.append(f"{url}: already a source")
                continue
            region = next((r for c in outline.categories if (r := taxonomy.find_region(c))), None)
            themes = tuple(dict.fromkeys(t for c in outline.categories if (t := taxonomy.find_theme(c))))
            name = outline.title or _name_from_url(url)
            source_id = base = slugify(name)
            n = 2
            while source_id in ids:
                source_id, n = f"{base}-{n}", n + 1
            ids.add(source_id)
            known_urls.add(url)
            added.append(Source(id=source_id, name=name, url=url, region=region, themes=themes))
        if added:
            self.ws.save_sources([*sources, *added])
        return added, skipped

    def export_opml(self) -> str:
        return opml.write_opml(self.sources(), self.settings().name)

    def source_status(self) -> list[tuple[Source, SourceHealth]]:
        health = self.store.health()
        return [(s, health.get(s.id, SourceHealth(s.id))) for s in self.sources()]

    # -- fetch and ingest ----------------------------------------------------------------------

    @contextmanager
    def _fetch_lock(self) -> Iterator[None]:
        """One fetch at a time per store: a second one says so instead of racing the first."""
        lock_path = self.db_path.with_name(self.db_path.name + ".lock")
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        with open(lock_path, "a+") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise StoreError(
                    f"another fetch is running on {self.db_path}: wait for it to finish and run this again"
                ) from None
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def fetch(
        self,
        source_ids: Sequence[str] = (),
        *,
        concurrency: int | None = None,
        progress: Callable[[SourceOutcome], None] | None = None,
    ) -> RunSummary:
        """Fetch every enabled source (or the named ones), storing each as it arrives."""
        settings = self.settings()
        sources = self.sources()
        if source_ids:
            by_id = {s.id: s for s in sources}
            missing = [i for i in source_ids if i not in by_id]
            if missing:
                raise SourceError(f"no source with id {missing[0]!r}: `newsletter sources list` shows them")
            chosen = [by_id[i] for i in source_ids]
        else:
            chosen = [s for s in sources if s.enabled]
        fetch_settings = settings.fetch
        if concurrency is not None:
            if concurrency < 1:
                raise NewsletterError("--concurrency must be at least 1")
            fetch_settings = dataclasses.replace(fetch_settings, concurrency=concurrency)
        outcomes: list[SourceOutcome] = []
        moves: dict[str, str] = {}
        with self._fetch_lock(), _Parsers(len(chosen)) as parsers:
            health = self.store.health()

            def record(outcome: SourceOutcome) -> None:
                if outcome.moved_to:
                    moves[outcome.source.id] = outcome.moved_to
                outcomes.append(outcome)
                if progress:
                    progress(outcome)

            for result in fetch.fetch_sources(chosen, health, root=self.ws.root, settings=fetch_settings):
                old = health.get(result.source.id, SourceHealth(result.source.id))
                settled = self._settle(result, old)
                if isinstance(settled, SourceOutcome):
                    record(settled)
                else:
                    parsers.submit(result, settled, self.now())
                for done in parsers.ready():
                    record(self._store_parsed(*done))
            # Downloads are done; store each parsed body as its worker finishes, while the others parse.
            for done in parsers.drain():
                record(self._store_parsed(*done))
        if moves:
            self.ws.save_sources(
                [dataclasses.replace(s, url=moves[s.id]) if s.id in moves else s for s in self.sources()]
            )
        return RunSummary(tuple(outcomes))

    def _settle(self, result: FetchResult, old: SourceHealth) -> SourceOutcome | _Settled:
        """Record a result that needs no parsing; else return the health to save with the items."""
        now = self.now()
        source = result.source
        base = dataclasses.replace(old, last_attempt=now, http_status=result.http_status)
        if result.status == "skipped":
            return SourceOutcome(
                source, "skipped", error=f"gone: `newsletter sources enable {source.id}` retries it"
            )
        if result.status == "gone":
            error = result.error or "HTTP 410 Gone"
            self.store.save_health(dataclasses.replace(base, status="gone", last_error=error))
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
            self.store.save_health(dataclasses.replace(ok, status="not_modified", last_new=0))
            return SourceOutcome(source, "not_modified", moved_to=move)
        return old, ok, move

    def _store_parsed(
        self, result: FetchResult, settled: _Settled, parsed: ParsedFeed | str
    ) -> SourceOutcome:
        """Store a parsed body (one transaction), or record why it was not a feed."""
        old, ok, move = settled
        if isinstance(parsed, str):
            base = dataclasses.replace(old, last_attempt=self.now(), http_status=result.http_status)
            return self._failed(result.source, base, parsed, self.now())
        health = dataclasses.replace(ok, last_error=parsed.problem)
        new = self.store.save_fetch(result.source.id, parsed.items, health, self.now())
        return SourceOutcome(result.source, "ok", new=new, moved_to=move, error=parsed.problem)

    def _failed(self, source: Source, base: SourceHealth, error: str, now: dt.datetime) -> SourceOutcome:
        self.store.save_health(
            dataclasses.replace(
                base,
                status="failing",
                last_error=error,
                consecutive_failures=base.consecutive_failures + 1,
                failing_since=base.failing_since or now,
            )
        )
        return SourceOutcome(source, "failed", error=error)

    def ingest(
        self, targets: Sequence[str], *, source_name: str | None = None, stdin: bytes | None = None
    ) -> RunSummary:
        """One-off input: files (several), one URL, or stdin ("-"), stored like a source's items."""
        if not targets:
            raise NewsletterError("nothing to ingest: give files, a URL, or - for stdin")
        settings = self.settings()
        outcomes = []
        for target in targets:
            if target == "-":
                data, url, ctype = (stdin or b""), "", None
            elif "://" in target or target.startswith(("data:", "javascript:")):
                result = fetch.fetch_url(fetch.check_remote_url(target), settings.fetch)
                if result.status != "ok":
                    raise SourceError(f"{target}: {result.error or result.status}", target)
                data, url, ctype = result.data or b"", result.final_url or target, result.content_type
            else:
                path = Path(target).expanduser().resolve()
                data, url, ctype = fetch.read_local(path, settings.fetch.max_bytes), path.as_uri(), None
            now = self.now()
            probe_id = slugify(source_name) if source_name else "ingest"
            try:
                parsed = parse.parse_feed(data, source_id=probe_id, url=url, content_type=ctype, now=now)
            except FeedParseError as exc:
                raise FeedParseError(f"{target}: {exc}", target) from None
            name = source_name or parsed.title or Path(target).stem or "stdin"
            source_id = slugify(name)
            items = [dataclasses.replace(i, source_id=source_id) for i in parsed.items]
            source = Source(id=source_id, name=name, url=url or target)
            self.store.remember_name(source_id, name)
            health = SourceHealth(source_id, status="ok", last_attempt=now, last_success=now)
            new = self.store.save_fetch(source_id, items, health, now)
            outcomes.append(SourceOutcome(source, "ok", new=new, error=parsed.problem))
        return RunSummary(tuple(outcomes))

    # -- classification and items -------------------------------------------------------------

    def _region_id(self, text: str) -> str:
        if text.strip().lower() == GLOBAL:
            return GLOBAL
        found = self.taxonomy().find_region(text)
        if not found:
            names = ", ".join(r.name for r in self.taxonomy().regions.values())
            raise NewsletterError(f"unknown region {text!r}: choose one of {names}, Global")
        return found

    def _theme_id(self, text: str) -> str:
        found = self.taxonomy().find_theme(text)
        if not found:
            ids = ", ".join(self.taxonomy().themes)
            raise NewsletterError(f"unknown theme {text!r}: choose one of {ids}")
        return found

    def classify(self, title: str, summary: str = "", source: str | None = None) -> Labels:
        """Labels for free text; `source` (a source id or name) lends its region as a prior."""
        _, classifier = self._classifier()
        src = None
        if source:
            src = next((s for s in self.sources() if source in (s.id, s.name)), None)
        return classifier.classify(title, summary, src.region if src else None, src.themes if src else ())

    def label_items(self, items: Iterable[Item]) -> list[Item]:
        """Classify stored items and apply the editor's overrides, which always win."""
        _, classifier = self._classifier()
        by_id = {s.id: s for s in self.sources()}
        overrides = self.store.overrides()
        out = []
        for item in items:
            src = by_id.get(item.source_id)
            labels = classifier.classify(
                item.title, item.summary, src.region if src else None, src.themes if src else ()
            )
            override = overrides.get(item.id)
            if override is not None:
                labels = _apply_override(labels, override.region, override.themes)
            out.append(dataclasses.replace(item, labels=labels))
        return out

    def resolve_week(self, text: str | None) -> tuple[Week, str | None]:
        """The asked week; else this week, or the latest week with items when this one has none."""
        if text:
            return Week.parse(text), None
        tz = self.settings().tz
        now = self.now()
        current = Week.of(now, tz)
        if self.store.count_between(*current.bounds(tz)):
            return current, None
        latest = self.store.latest_published(before=now)
        if latest is None:
            return current, None
        week = Week.of(latest, tz)
        return week, f"{current} has no items yet; using {week}, the latest week that has some"

    def week_items(self, week: Week) -> list[Item]:
        return self.store.items_between(*week.bounds(self.settings().tz))

    def stories(self, items: Sequence[Item], week: Week | None = None) -> list[Story]:
        """Label, cluster and rank items; every item comes back with its story id."""
        settings = self.settings()
        by_id = {s.id: s for s in self.sources()}
        weights = {sid: s.weight for sid, s in by_id.items()}
        labelled = self.label_items(items)
        threshold = settings.ranking.cluster_threshold
        grouped = [
            _editor_labels_win(story)
            for story in cluster.cluster(labelled, threshold=threshold, source_weight=weights)
        ]
        if week is None:
            latest = max((i.published for i in items), default=self.now())
            week = Week.of(latest, settings.tz)
        return curate.rank(
            grouped,
            week=week,
            tz=settings.tz,
            theme_priority=self._theme_priority(settings),
            source_weight=weights,
        )

    def _theme_priority(self, settings: Settings) -> dict[str, float]:
        priority = {tid: t.priority for tid, t in self.taxonomy().themes.items()}
        priority.update(settings.ranking.theme_priority)
        return priority

    def items(
        self, week: Week | None, *, region: str | None = None, theme: str | None = None
    ) -> list[tuple[Item, Story]]:
        """Items of a week (or all when week is None), each with its story, filtered by labels."""
        raw = self.week_items(week) if week else self.store.all_items()
        region_id = self._region_id(region) if region else None
        theme_id = self._theme_id(theme) if theme else None
        rows = []
        for story in self.stories(raw, week):
            for item in story.items:
                labels = item.labels or Labels()
                if region_id and region_id not in (labels.regions or (labels.region,)):
                    continue
                if theme_id and theme_id not in labels.themes:
                    continue
                rows.append((item, story))
        rows.sort(key=lambda r: (r[0].published, r[0].id), reverse=True)
        return rows

    def label(
        self,
        item_id: str,
        *,
        region: str | None = None,
        themes: Sequence[str] = (),
        clear: bool = False,
    ) -> Item:
        """The editor's override for one item; kept in the store, so re-fetches and builds respect it."""
        item_id = self._full_id(item_id)
        if clear:
            self.store.clear_override(item_id)
        if region or themes:
            self.store.set_override(
                item_id,
                self._region_id(region) if region else None,
                tuple(self._theme_id(t) for t in themes) if themes else None,
                self.now(),
            )
        elif not clear:
            raise NewsletterError("nothing to do: give --region, --theme or --clear")
        return self.label_items([self.store.get_item(item_id)])[0]

    def _full_id(self, prefix: str) -> str:
        matches = self.store.find_items(prefix)
        if prefix in matches or len(matches) == 1:
            return prefix if prefix in matches else matches[0]
        if not matches:
            raise ItemNotFound(f"no item with id {prefix!r}: `newsletter items --all` lists them")
        raise ItemNotFound(f"{prefix!r} matches several items: give more of the id")

    # -- issues --------------------------------------------------------------------------------

    def plan(self, week: Week, style: str) -> IssuePlan:
        check_style(style)
        settings = self.settings()
        self.sources(), self.taxonomy()  # a broken seeds file is reported before any work
        items = self.week_items(week)
        if not items:
            if not self.store.count_items():
                raise NewsletterError("the store holds no items yet: run `newsletter fetch` first")
            raise NewsletterError(f"{week} has no items: pick a week with --week, or run `newsletter fetch`")
        ranked = self.stories(items, week)
        by_id = {s.id: s for s in self.sources()}
        return curate.plan_issue(
            ranked,
            week=week,
            style=style,
            style_settings=settings.style_settings(style),
            taxonomy=self.taxonomy(),
            source_names=self.source_names(),
            paywalled=frozenset(sid for sid, s in by_id.items() if s.paywalled),
            item_count=len(items),
        )

    def draft(self, week: Week, style: str, *, force: bool = False) -> draft.DraftResult:
        return draft.write_draft(self.ws, self.settings(), self.plan(week, style), force=force)

    def ensure_draft(self, week: Week, style: str) -> Path:
        """The draft's path, drafting first when there is none yet."""
        path = draft.draft_path(self.ws, week, check_style(style))
        if not path.exists():
            self.draft(week, style)
        return path

    def build(
        self, week: Week, styles: Sequence[str] = (), formats: Sequence[str] = ("md", "html", "email", "txt")
    ) -> list[render.BuildResult]:
        """Render each style's draft (drafting it first if missing) and refresh the archive."""
        settings = self.settings()
        chosen = [check_style(s) for s in styles] or list(settings.styles or STYLES)
        results = []
        for style in chosen:
            self.ensure_draft(week, style)
            results.append(render.build_outputs(self.ws, settings, week, style, formats))
        render.build_archive(self.ws, settings)
        return results


# The job worker processes run: it lives in parse.py, so unpickling it imports only that module
# (which the forkserver has preloaded), not app.py and every stage behind it.
_parse_job = parse.parse_or_reason

_Settled = tuple[SourceHealth, SourceHealth, "str | None"]  # old health, health to save, URL moved to
_Parsed = tuple[FetchResult, _Settled, "ParsedFeed | str"]
_Job = tuple[bytes, str, str, "str | None", dt.datetime]


class _Parsers:
    """Parse fetched bodies while the downloads go on: in worker processes when there are many.

    Parsing is CPU-bound and holds the GIL, so threads would not help; a handful of sources
    is parsed inline, since starting workers costs more than it saves there. Workers come from
    a forkserver that has imported newsletter.parse once, so each starts in milliseconds; the
    main process keeps the store and writes each result as soon as its worker hands it back.
    """

    def __init__(self, sources: int) -> None:
        cpus = os.cpu_count() or 1
        self._pool: ProcessPoolExecutor | None = None
        if sources >= PARALLEL_PARSE_MIN and cpus > 1:
            ctx = mp.get_context("forkserver")
            # Replaces the default preload of __main__ (the CLI, which imports every stage).
            ctx.set_forkserver_preload(["newsletter.parse"])
            self._pool = ProcessPoolExecutor(max_workers=cpus, mp_context=ctx)
        self._pending: dict[Future[ParsedFeed | str], tuple[FetchResult, _Settled, _Job]] = {}
        self._done: list[_Parsed] = []

    def __enter__(self) -> _Parsers:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)

    def submit(self, result: FetchResult, settled: _Settled, now: dt.datetime) -> None:
        url = result.final_url or result.source.url
        job: _Job = (result.data or b"", result.source.id, url, result.content_type, now)
        if self._pool is None:
            self._done.append((result, settled, _parse_job(*job)))
            return
        try:
            future = self._pool.submit(_parse_job, *job)
        except BrokenProcessPool:
            self._pool = None  # a worker was killed (out of memory?): parse the rest here
            self._done.append((result, settled, _parse_job(*job)))
        else:
            self._pending[future] = (result, settled, job)

    def _collect(self, future: Future[ParsedFeed | str]) -> None:
        result, settled, job = self._pending.pop(future)
        try:
            parsed = future.result()
        except BrokenProcessPool:
            parsed = _parse_job(*job)
        self._done.append((result, settled, parsed))

    def ready(self) -> list[_Parsed]:
        """Parsed bodies that are finished now, without waiting for the others."""
        for future in [f for f in self._pending if f.done()]:
            self._collect(future)
        done, self._done = self._done, []
        return done

    def drain(self) -> Iterator[_Parsed]:
        """Every body still parsing, each as soon as it is finished (not in submission order)."""
        yield from self.ready()
        while self._pending:
            finished, _ = wait(list(self._pending), return_when=FIRST_COMPLETED)
            for future in finished:
                self._collect(future)
            yield from self.ready()


def _editor_labels_win(story: Story) -> Story:
    """A story is placed by its lead's labels; an editor's label on any of its items moves the story."""
    if story.lead.labels and story.lead.labels.overridden:
        return story
    labelled = next((i for i in story.also if i.labels and i.labels.overridden), None)
    if labelled is None:
        return story
    return dataclasses.replace(story, lead=dataclasses.replace(story.lead, labels=labelled.labels))


def _apply_override(labels: Labels, region: str | None, themes: tuple[str, ...] | None) -> Labels:
    reasons = list(labels.reasons)
    if region is not None:
        rest = tuple(r for r in labels.regions if r != region)
        labels = dataclasses.replace(labels, region=region, regions=(region, *rest))
        reasons.append(Reason(region, "region", "label", "editor", 1000.0))
    if themes is not None:
        labels = dataclasses.replace(labels, themes=themes)
        reasons.extend(Reason(t, "theme", "label", "editor", 1000.0) for t in themes)
    return dataclasses.replace(labels, reasons=tuple(reasons), overridden=True)


def _name_from_url(url: str) -> str:
    host = url.split("://", 1)[-1].split("/", 1)[0]
    host = host.removeprefix("www.")
    return host or os.path.basename(url) or "source"
