"""The library's front door: `Newsletter` wires the stages for one workspace and store.

The CLI uses nothing else, so a script importing `newsletter` can do all the CLI does.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from . import classify, cluster, curate, draft, fetch, opml, render
from .config import STYLES, Settings, Workspace, atomic_write, check_style, slugify
from .errors import (
    ConfigError,
    DraftConflict,
    ItemNotFound,
    NewsletterError,
    SourceError,
    StoreError,
    WorkspaceError,
)
from .intake import Intake, RunSummary, SourceOutcome, fetch_lock
from .models import (
    GLOBAL,
    UTC,
    IssuePlan,
    Item,
    Labels,
    Reason,
    Source,
    SourceHealth,
    Story,
    Week,
)
from .store import Store


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
        self._files: dict[Path, tuple[tuple[int, int] | None, Any]] = {}
        self._compiled: tuple[classify.Taxonomy, classify.Classifier] | None = None

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

    def _read(self, path: Path, load: Callable[[], Any]) -> Any:
        """A seeds file, parsed once and again only when it changes on disk.

        A long-running preview sees the editor's edits, and one build does not parse the same
        TOML (or compile the taxonomy's matcher) once per stage.
        """
        try:
            st = path.stat()
            key: tuple[int, int] | None = (st.st_mtime_ns, st.st_size)
        except FileNotFoundError:
            key = None
        cached = self._files.get(path)
        if cached is None or cached[0] != key:
            cached = (key, load())
            self._files[path] = cached
        return cached[1]

    def settings(self) -> Settings:
        return self._read(self.ws.settings_path, self.ws.settings)

    def sources(self) -> list[Source]:
        sources = list(self._read(self.ws.sources_path, self.ws.sources))
        self._check_priors(sources)
        return sources

    def _check_priors(self, sources: Sequence[Source]) -> None:
        """A source's region and themes must be ones taxonomy.toml knows; the message names the key."""
        taxonomy = self.taxonomy()
        path = self.ws.sources_path
        for n, src in enumerate(sources, 1):
            where = f"{path}: source #{n} ({src.id})"
            if src.region is not None and src.region != GLOBAL and src.region not in taxonomy.regions:
                known = ", ".join([*taxonomy.regions, GLOBAL])
                raise ConfigError(
                    f"{where}: region {src.region!r} is not in taxonomy.toml (known: {known})", path
                )
            for theme in src.themes:
                if theme not in taxonomy.themes:
                    known = ", ".join(taxonomy.themes)
                    raise ConfigError(
                        f"{where}: theme {theme!r} is not in taxonomy.toml (known: {known})", path
                    )

    def taxonomy(self) -> classify.Taxonomy:
        return self._read(self.ws.taxonomy_path, lambda: classify.load_taxonomy(self.ws.taxonomy_path))

    def _classifier(self) -> tuple[classify.Taxonomy, classify.Classifier]:
        """The taxonomy and its compiled matcher, compiled only when something classifies (a fifth
        of a second): checking sources.toml against the taxonomy needs only its ids."""
        taxonomy = self.taxonomy()
        if self._compiled is None or self._compiled[0] is not taxonomy:
            self._compiled = (taxonomy, classify.Classifier(taxonomy))
        return self._compiled

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
        source_id = _free_id(slugify(name or _name_from_url(url)), {s.id for s in sources})
        source = Source(
            id=source_id, name=name or _name_from_url(url), url=url, region=region_id, themes=theme_ids
        )
        self.ws.save_sources([*sources, source])
        return source

    def _source_location(self, url: str) -> str:
        """An http(s) URL, or a feed file that exists (kept relative when inside the workspace)."""
        if not url.strip():
            raise SourceError("give a feed URL (https://...) or the path of a feed file", url)
        if _looks_like_url(url):
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
        found = _find(sources, source_id)
        self.ws.save_sources([s for s in sources if s.id != source_id])
        return found

    def set_enabled(self, source_id: str, enabled: bool) -> Source:
        """Enable or disable a source; enabling one marked gone clears that, so the next fetch tries it."""
        sources = self.sources()
        changed = dataclasses.replace(_find(sources, source_id), enabled=enabled)
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
            source_id = _free_id(slugify(name), ids)
            ids.add(source_id)
            known_urls.add(url)
            added.append(Source(id=source_id, name=name, url=url, region=region, themes=themes))
        if added:
            self.ws.save_sources([*sources, *added])
        return added, skipped

    def export_opml(self, path: Path | None = None) -> str:
        """The sources as OPML; written to path (whose folder must exist) when one is given."""
        text = opml.write_opml(self.sources(), self.settings().name)
        if path is not None:
            if path.is_dir():
                raise WorkspaceError(f"{path} is a folder: give the OPML file's name", path)
            if not path.parent.is_dir():
                raise WorkspaceError(
                    f"{path.parent} does not exist: create the folder first, or write the OPML elsewhere",
                    path,
                )
            atomic_write(path, text)
        return text

    def source_status(self) -> list[tuple[Source, SourceHealth]]:
        """Each configured source with its health, then those the store holds items of that sources.toml
        does not list: status "one-off" (ingested by hand) or "removed" (taken out of sources.toml)."""
        health = self.store.health()
        sources = self.sources()
        rows = [(s, health.get(s.id, SourceHealth(s.id))) for s in sources]
        listed = {s.id for s in sources}
        ingested = self.store.source_names()
        for source_id in sorted(set(health) - listed):
            h = health[source_id]
            if not h.item_count and source_id not in ingested:
                continue  # health left from a removed source that never stored anything
            status = "one-off" if source_id in ingested else "removed"
            name = ingested.get(source_id, source_id)
            src = Source(id=source_id, name=name, url="", enabled=False)
            rows.append((src, dataclasses.replace(h, status=status)))
        return rows

    # -- fetch and ingest: see intake.py --------------------------------------------------------
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
        chosen = [_find(sources, i) for i in source_ids] if source_ids else [s for s in sources if s.enabled]
        if not chosen:
            raise SourceError(
                "no source is enabled: `newsletter sources list` shows them, "
                "`newsletter sources enable ID` turns one on, `newsletter sources add URL` adds one"
            )
        fetch_settings = settings.fetch
        if concurrency is not None:
            if concurrency < 1:
                raise NewsletterError("--concurrency must be at least 1")
            fetch_settings = dataclasses.replace(fetch_settings, concurrency=concurrency)
        with fetch_lock(self.db_path):
            health = self.store.health()
            results = fetch.fetch_sources(chosen, health, root=self.ws.root, settings=fetch_settings)
            outcomes = Intake(self.store, self.now).run(results, health, len(chosen), progress)
        moves = {o.source.id: o.moved_to for o in outcomes if o.moved_to}
        if moves:
            self.ws.save_sources(
                [dataclasses.replace(s, url=moves[s.id]) if s.id in moves else s for s in self.sources()]
            )
        return RunSummary(tuple(outcomes))

    def ingest(
        self, targets: Sequence[str], *, source_name: str | None = None, stdin: bytes | None = None
    ) -> RunSummary:
        """One-off input: files (several), one URL, or stdin ("-"), stored like a source's items."""
        if not targets:
            raise NewsletterError("nothing to ingest: give files, a URL, or - for stdin")
        settings = self.settings()
        intake = Intake(self.store, self.now)
        outcomes = []
        for target in targets:
            # Every target is tried: a bad file is named in the summary and never stops the ones after it.
            try:
                outcome = self._ingest_one(intake, target, settings, source_name, stdin)
            except NewsletterError as exc:
                if len(targets) == 1:
                    raise
                outcome = SourceOutcome(Source(id=target, name=target, url=target), "failed", error=str(exc))
            outcomes.append(outcome)
        return RunSummary(tuple(outcomes))

    def _ingest_one(
        self, intake: Intake, target: str, settings: Settings, source_name: str | None, stdin: bytes | None
    ) -> SourceOutcome:
        if target == "-":
            data, url, ctype = (stdin or b""), "", None
        elif _looks_like_url(target):
            result = fetch.fetch_url(target, settings.fetch)  # fetch_url refuses non-http(s) itself
            if result.status != "ok":
                raise SourceError(f"{target}: {result.error or result.status}", target)
            data, url, ctype = result.data or b"", result.final_url or target, result.content_type
        else:
            # Read as typed, so a message names the file the way the editor wrote it.
            data = fetch.read_local(Path(target).expanduser(), settings.fetch.max_bytes, configured=False)
            url, ctype = Path(target).expanduser().resolve().as_uri(), None
        return intake.ingest(data, target=target, url=url, content_type=ctype, source_name=source_name)

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
            # A feed may date an item in 9999: the week to rank against is never later than now.
            now = self.now()
            latest = max((i.published for i in items if i.published <= now), default=now)
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
        region_id = self._region_id(region) if region is not None else None
        theme_id = self._theme_id(theme) if theme is not None else None
        raw = self.week_items(week) if week else self.store.all_items()
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
        if region is not None or themes:
            self.store.set_override(
                item_id,
                self._region_id(region) if region is not None else None,
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

    def ranked_week(self, week: Week) -> tuple[list[Story], int]:
        """The week's stories, ranked, and how many items the week held; the costly part of a plan."""
        self.sources(), self.taxonomy()  # a broken seeds file is reported before any work
        items = self.week_items(week)
        if not items:
            if not self.store.count_items():
                raise NewsletterError("the store holds no items yet: run `newsletter fetch` first")
            raise NewsletterError(f"{week} has no items: pick a week with --week, or run `newsletter fetch`")
        return self.stories(items, week), len(items)

    def plan(self, week: Week, style: str, ranked: tuple[list[Story], int] | None = None) -> IssuePlan:
        """One style's issue plan; pass `ranked` from ranked_week to lay out several styles from one pass."""
        check_style(style)
        settings = self.settings()
        stories, item_count = ranked or self.ranked_week(week)
        by_id = {s.id: s for s in self.sources()}
        return curate.plan_issue(
            stories,
            week=week,
            style=style,
            style_settings=settings.style_settings(style),
            taxonomy=self.taxonomy(),
            source_names=self.source_names(),
            paywalled=frozenset(sid for sid, s in by_id.items() if s.paywalled),
            item_count=item_count,
        )

    def draft(
        self,
        week: Week,
        style: str,
        *,
        force: bool = False,
        ranked: tuple[list[Story], int] | None = None,
        labels_only: bool = False,
    ) -> draft.DraftResult:
        """Write (or merge into) the style's draft; the editor's labels move entries they never touched.

        labels_only: what `build` does to an existing draft: apply labels, add nothing else.
        """
        ranked = ranked or self.ranked_week(week)
        labelled = [s for s in ranked[0] if s.labels.overridden]
        return draft.write_draft(
            self.ws,
            self.settings(),
            self.plan(week, style, ranked),
            force=force,
            labelled=labelled,
            labels_only=labels_only,
        )

    def _labels_in(self, week: Week) -> bool:
        """Whether the editor labelled any item of the week: only then can a label move a drafted entry."""
        if self._store is None and not self.db_path.exists():
            return False  # no store, no labels: and building a draft needs none
        overrides = self.store.overrides()
        return bool(overrides) and any(item.id in overrides for item in self.week_items(week))

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
        ranked = None  # classify, cluster and rank the week once, however many styles need a draft
        labels = None
        results = []
        for style in chosen:
            notes: tuple[str, ...] = ()
            if not draft.draft_path(self.ws, week, style).exists():
                ranked = ranked or self.ranked_week(week)
                self.draft(week, style, ranked=ranked)
            else:
                if labels is None:
                    try:
                        labels = self._labels_in(week)
                    except StoreError as exc:  # the draft alone is enough to build from
                        labels, notes = False, (f"labels not applied: {exc}",)
                if labels:
                    # The editor's labels reach a draft that exists: entries they never touched move.
                    ranked = ranked or self.ranked_week(week)
                    with contextlib.suppress(DraftConflict):  # rendering then names what is wrong with it
                        notes = self.draft(week, style, ranked=ranked, labels_only=True).notes
            result = render.build_outputs(self.ws, settings, week, style, formats)
            results.append(dataclasses.replace(result, notes=notes))
        render.build_archive(self.ws, settings)
        return results


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


def _find(sources: Sequence[Source], source_id: str) -> Source:
    found = next((s for s in sources if s.id == source_id), None)
    if found is None:
        raise SourceError(f"no source with id {source_id!r}: `newsletter sources list` shows them")
    return found


def _free_id(base: str, taken: set[str]) -> str:
    """base, or base-2, base-3, ... : the first id no other source has."""
    source_id, n = base, 2
    while source_id in taken:
        source_id, n = f"{base}-{n}", n + 1
    return source_id


def _looks_like_url(text: str) -> bool:
    """A URL of any scheme (to be checked, and refused unless http(s)) rather than a file path."""
    return "://" in text or text.split(":", 1)[0].lower() in ("data", "javascript", "mailto", "file", "ftp")


def _name_from_url(url: str) -> str:
    host = url.split("://", 1)[-1].split("/", 1)[0]
    host = host.removeprefix("www.")
    return host or os.path.basename(url) or "source"
