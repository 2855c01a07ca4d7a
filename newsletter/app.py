"""The library's front door: `Newsletter` wires the stages for one workspace and store.

The CLI uses nothing else, so a script importing `newsletter` can do all the CLI does. The work is the
stages': sources, fetch and ingest in feeds/, labels and the week's stories in sort/ (pipeline.py), drafts,
builds and sends in write/; here are the state they share (the store, the clock, the seeds files read
once until they change) and the order they run in.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from .config import STYLES, Settings, check_style
from .errors import NewsletterError
from .feeds import outlets
from .feeds import sources as source_list
from .models import UTC, IssuePlan, Item, Labels, Source, SourceHealth, Story, Week
from .sort import classify, compiled, labels
from .sort.forked import can_fork, gc_paused
from .sort.taxonomy import check_priors
from .store import Store
from .workspace import FORMATS, FileCache, Workspace, save_as

# Fetching (httpx, feedparser) and writing (jinja2, markdown, email) load in the methods that use them:
# `newsletter items` or a classify run needs neither; sorting a week (pipeline) loads when a week is
# sorted, a fifth of the start-up of `newsletter classify`, which needs only the classifier.
if TYPE_CHECKING:
    from .feeds.intake import RunSummary, SourceOutcome
    from .sort import pipeline
    from .sort.ahead import HeadStart
    from .sort.facts import Facts
    from .write import draft, render
    from .write import send as send_mod


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
        self._files = FileCache()  # the seeds files, parsed again only when they change
        # What clustering read of each item's text, kept between calls when set (a long-running desk may set
        # Facts() here); None: each call reads from the store what it needs and lets it go (a build).
        self.facts_cache: Facts | None = None
        self.head_start: HeadStart | None = None  # taken by the next ranking (see sort_ahead)

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
        if self.head_start is not None:  # no ranking took it: its workers end now
            self.head_start.close(wait=False)
            self.head_start = None
        if self._store is not None:
            self._store.close()
            self._store = None

    def settings(self) -> Settings:
        return self._files.read(self.ws.settings_path, self.ws.settings)

    def sources(self) -> list[Source]:
        sources = list(self._files.read(self.ws.sources_path, self.ws.sources))
        check_priors(self.taxonomy(), sources, self.ws.sources_path)
        return sources

    def taxonomy(self) -> classify.Taxonomy:
        return self._compiled().taxonomy

    def _compiled(self) -> compiled.CompiledTaxonomy:
        """taxonomy.toml, read from the workspace's cache when that holds this file (sort/compiled.py); its
        classifier is compiled only when something classifies: checking sources.toml needs only its ids."""
        path = self.ws.taxonomy_path
        return self._files.read(path, lambda: compiled.load(path, self.ws.taxonomy_cache))

    def _classifier(self) -> tuple[classify.Taxonomy, classify.Classifier]:
        loaded = self._compiled()
        return loaded.taxonomy, loaded.classifier()

    def outlets(self) -> outlets.Outlets:
        path = self.ws.outlets_path
        return self._files.read(path, lambda: outlets.load_outlets(path))

    def all_sources(self) -> dict[str, Source]:
        """Every source items can come from, by id, named and settled once (see outlets.every_source)."""
        known = self.outlets()
        return outlets.every_source(self.store.one_off_sources(), self.sources(), known)

    def source_names(self) -> dict[str, str]:
        return {sid: s.name for sid, s in self.all_sources().items()}

    # -- sources: see feeds/sources.py -----------------------------------------------------------

    def add_source(
        self, url: str, *, name: str | None = None, region: str | None = None, themes: Sequence[str] = ()
    ) -> Source:
        """Add a feed to sources.toml; refuses a bad URL, an unknown region/theme or a duplicate."""
        url = source_list.location(url, self.ws.root)
        sources = self.sources()
        source_list.check_new(sources, url)
        region_id = labels.region_id(self.taxonomy(), region) if region else None
        theme_ids = tuple(labels.theme_id(self.taxonomy(), t) for t in themes)
        name = name or outlets.name_for(url, "", self.outlets())
        source = source_list.new_source(sources, url, name=name, region=region_id, themes=theme_ids)
        self.ws.save_sources([*sources, source])
        return source

    def remove_source(self, source_id: str) -> Source:
        sources = self.sources()
        found = source_list.find_source(sources, source_id)
        self.ws.save_sources([s for s in sources if s.id != source_id])
        return found

    def set_enabled(self, source_id: str, enabled: bool) -> Source:
        """Enable or disable a source; enabling one marked gone clears that, so the next fetch tries it."""
        sources = self.sources()
        changed = dataclasses.replace(source_list.find_source(sources, source_id), enabled=enabled)
        self.ws.save_sources([changed if s.id == source_id else s for s in sources])
        if enabled:
            self.store.forget_health(source_id)
        return changed

    def import_opml(self, data: bytes | Path) -> tuple[list[Source], list[str]]:
        """Add every outline not already a source; categories become themes/regions they match.

        data: the OPML, or the path of its file (a regular file only: a pipe would never end).
        """
        from .feeds import opml

        sources, taxonomy = self.sources(), self.taxonomy()
        name_of = functools.partial(outlets.name_for, outlets=self.outlets())
        added, skipped = source_list.from_opml(
            sources, opml.read_opml(data), taxonomy.find_region, taxonomy.find_theme, name_of
        )
        if added:
            self.ws.save_sources([*sources, *added])
        return added, skipped

    def export_opml(self, path: Path | None = None) -> str:
        """The sources as OPML; written to path (whose folder must exist) when one is given."""
        from .feeds import opml

        text = opml.write_opml(self.sources(), self.settings().name)
        if path is not None:
            save_as(path, text, "OPML")
        return text

    def source_status(self) -> list[tuple[Source, SourceHealth]]:
        """Each configured source with its health, then those the store holds items of that sources.toml
        does not list: status "one-off" (ingested by hand) or "removed" (taken out of sources.toml)."""
        health, sources, every = self.store.health(), self.sources(), self.all_sources()
        ingested = {r.source_id for r in self.store.one_off_sources()}
        return source_list.with_health(sources, health, every, ingested)

    # -- fetch and ingest: see feeds/intake.py --------------------------------------------------
    def fetch(
        self,
        source_ids: Sequence[str] = (),
        *,
        concurrency: int | None = None,
        progress: Callable[[SourceOutcome], None] | None = None,
    ) -> RunSummary:
        """Fetch every enabled source (or the named ones), storing each as it arrives."""
        from .feeds import intake

        settings = self.settings()
        chosen = source_list.to_fetch(self.sources(), source_ids)
        summary = intake.fetch_into(
            lambda: self.store,  # opened once no other fetch holds it
            self.now,
            chosen,
            db_path=self.db_path,
            root=self.ws.root,
            settings=settings.fetch,
            concurrency=concurrency,
            progress=progress,
        )
        if summary.moved:
            self.ws.save_sources(source_list.moved(self.sources(), summary.moved))
        return summary

    def ingest(
        self, targets: Sequence[str], *, source_name: str | None = None, stdin: bytes | None = None
    ) -> RunSummary:
        """One-off input: files (several), one URL, or stdin ("-"), stored like a source's items."""
        if not targets:
            raise NewsletterError("nothing to ingest: give files, a URL, or - for stdin")
        from .feeds import intake

        settings = self.settings()
        return intake.ingest_into(
            self.store, self.now, targets, settings.fetch, source_name=source_name, stdin=stdin
        )

    # -- classification and items: see sort/labels.py and sort/pipeline.py ---------------------

    def classify(self, title: str, summary: str = "", source: str | None = None) -> Labels:
        """Labels for free text; `source` (a source id or name) lends its region as a prior."""
        return self.labeller()(title, summary, source)

    def labeller(self, reasons: bool = True) -> Callable[[str, str, str | None], Labels]:
        """`classify` for a stream of items: the seeds files are read and checked once, not per item.
        reasons=False: labels without their reasons, for a caller not showing them (see labels.labeller).
        """
        _, classifier = self._classifier()
        return labels.labeller(classifier, self.sources(), reasons)

    def label_items(self, items: Iterable[Item]) -> list[Item]:
        """Classify stored items and apply the editor's overrides, which always win."""
        _, classifier = self._classifier()
        return labels.label_items(classifier, items, self.all_sources(), self.store.overrides())

    def resolve_week(self, text: str | None) -> tuple[Week, str | None]:
        """The asked week; else this week, or the latest week with items when this one has none."""
        if text:
            return Week.parse(text), None
        from .sort import pipeline

        tz = self.settings().tz
        return pipeline.choose_week(self.store, tz, self.now())

    def week_items(self, week: Week) -> list[Item]:
        return self.store.items_between(*week.bounds(self.settings().tz))

    def stories(self, items: Sequence[Item], week: Week | None = None) -> list[Story]:
        """Label, cluster and rank items; every item comes back with its story id (see sort/pipeline.py)."""
        head, self.head_start = self.head_start, None
        with gc_paused():
            return self._sorter().stories(items, week, self.now, head)

    def sort_ahead(self, week: Week) -> HeadStart | None:
        """A large week grouped and labelled in forked processes for its next ranking, by a server before
        its threads start (sort/ahead.py); None when forking cannot or would not pay. One at a time: a
        head start not yet taken is kept."""
        from .sort import ahead, pipeline

        bounds = week.bounds(self.settings().tz)
        if (
            self.head_start is None
            and can_fork()
            and self.store.count_between(*bounds) >= pipeline.PARALLEL_LABELS
        ):
            self.head_start = ahead.HeadStart(self._sorter(), lambda: Store(self.db_path), bounds)
        return self.head_start

    def restory(self, stories: Sequence[Story], week: Week) -> list[Story]:
        """Stories labelled, gated and scored again from their items, after the editor labelled one;
        each keeps its items, lead and id, since clustering reads no labels."""
        return self._sorter().restory(stories, week)

    def _sorter(self) -> pipeline.Sorter:
        """The sort stage over the seeds as they are now, and the facts kept between calls if any."""
        from .sort import pipeline

        settings, by_id, kept = self.settings(), self.all_sources(), self.ws.kept_sort
        taxonomy, classifier = self._classifier()
        outlets.check_homes(by_id.values(), taxonomy.regions, self.ws.outlets_path)
        return pipeline.Sorter(settings, taxonomy, classifier, by_id, self.store, self.facts_cache, kept)

    def items(
        self, week: Week | None, *, region: str | None = None, theme: str | None = None
    ) -> list[tuple[Item, Story]]:
        """Items of a week (or all when week is None), each with its story, filtered by labels."""
        region_id = labels.region_id(self.taxonomy(), region) if region is not None else None
        theme_id = labels.theme_id(self.taxonomy(), theme) if theme is not None else None
        raw = self.week_items(week) if week else self.store.all_items()
        return labels.rows_with(self.stories(raw, week), region_id, theme_id)

    def label(
        self, item_id: str, *, region: str | None = None, themes: Sequence[str] = (), clear: bool = False
    ) -> Item:
        """The editor's override for one item; kept in the store, so re-fetches and builds respect it."""
        item_id = labels.edit_override(
            self.store, self.taxonomy, item_id, region=region, themes=themes, clear=clear, now=self.now
        )
        return self.label_items([self.store.get_item(item_id)])[0]

    # -- issues: see write/draft.py and write/publish.py -----------------------------------------

    def ranked_week(self, week: Week) -> tuple[list[Story], int]:
        """The week's stories, ranked, and how many items the week held; the costly part of a plan."""
        self.sources(), self.taxonomy()  # a broken seeds file is reported before any work
        with gc_paused():
            items = self.week_items(week)
        if not items:
            if not self.store.count_items():
                raise NewsletterError("the store holds no items yet: run `newsletter fetch` first")
            raise NewsletterError(f"{week} has no items: pick a week with --week, or run `newsletter fetch`")
        return self.stories(items, week), len(items)

    def plan(self, week: Week, style: str, ranked: tuple[list[Story], int] | None = None) -> IssuePlan:
        """One style's issue plan; pass `ranked` from ranked_week to lay out several styles from one pass."""
        from .sort import pipeline

        check_style(style)
        settings = self.settings()
        stories, item_count = ranked or self.ranked_week(week)
        by_id, taxonomy = self.all_sources(), self.taxonomy()
        return pipeline.plan(
            stories, item_count, week=week, style=style, settings=settings, sources=by_id, taxonomy=taxonomy
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
        from .write import draft

        ranked = ranked or self.ranked_week(week)
        labelled = [s for s in ranked[0] if s.labels.overridden]
        settings, plan = self.settings(), self.plan(week, style, ranked)
        return draft.write_draft(
            self.ws, settings, plan, force=force, labelled=labelled, labels_only=labels_only
        )

    def _labels_in(self, week: Week) -> bool:
        """Whether the editor labelled any item of the week: only then can a label move a drafted entry."""
        if self._store is None and not self.db_path.exists():
            return False  # no store, no labels: and building a draft needs none
        overrides = self.store.overrides()
        return bool(overrides) and any(item.id in overrides for item in self.week_items(week))

    def ensure_draft(self, week: Week, style: str) -> Path:
        """The draft's path, drafting first when there is none yet."""
        path = self.ws.draft_path(week, check_style(style))
        if not path.exists():
            self.draft(week, style)
        return path

    def styles(self, chosen: Sequence[str] = ()) -> list[str]:
        """The styles asked for, checked; none asked: every style newsletter.toml lists."""
        return list(dict.fromkeys(check_style(s) for s in chosen)) or list(self.settings().styles or STYLES)

    def build(
        self, week: Week, styles: Sequence[str] = (), formats: Sequence[str] = ()
    ) -> list[render.BuildResult]:
        """Render each style's draft (drafting it first if missing) and refresh the archive.

        formats: some of workspace.FORMATS, or "all"; none means all.
        """
        from .write import publish

        ranked: tuple[list[Story], int] | None = None  # the week ranked once, however many styles need it

        def redraft(style: str, labels_only: bool) -> draft.DraftResult:
            nonlocal ranked
            ranked = ranked or self.ranked_week(week)
            return self.draft(week, style, ranked=ranked, labels_only=labels_only)

        settings = self.settings()
        chosen = self.styles(styles)
        labelled = functools.partial(self._labels_in, week)
        return publish.build(
            self.ws, settings, week, chosen, formats, self.now, redraft=redraft, labelled=labelled
        )

    def send(
        self,
        week: Week,
        style: str | None = None,
        to: Sequence[str] = (),
        *,
        anyway: bool = False,
        environ: Mapping[str, str] | None = None,
    ) -> send_mod.Sent:
        """A test send of one issue over SMTP ([send] in newsletter.toml), rebuilding it first if stale.

        style: none means the default style; to: none means test_to; environ holds the password.
        """
        from .write import publish

        settings = self.settings()
        style = check_style(style or settings.default_style)
        env = os.environ if environ is None else environ
        rebuild = functools.partial(self.build, week, [style], FORMATS)
        return publish.send(
            self.ws, settings, week, style, to, anyway=anyway, environ=env, now=self.now, rebuild=rebuild
        )
