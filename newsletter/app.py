"""The library's front door: `Newsletter` wires the stages for one workspace and store.

The CLI uses nothing else, so a script importing `newsletter` can do all the CLI does.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import gc
import os
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .config import STYLES, Settings, check_style
from .errors import (
    ConfigError,
    DraftConflict,
    ItemNotFound,
    NewsletterError,
    SendError,
    StoreError,
    WorkspaceError,
)
from .feeds import outlets
from .feeds import sources as source_list
from .models import (
    GLOBAL,
    UTC,
    IssuePlan,
    Item,
    Labels,
    Source,
    SourceHealth,
    Story,
    Verdict,
    Week,
    evolve,
    when,
)
from .sort import classify, clustering, curate, labels, relevance
from .sort.facts import FACTS_VERSION, Facts
from .sort.forked import Forked
from .store import Store
from .workspace import FORMATS, Workspace, atomic_write

# Fetching (httpx, feedparser) and writing (jinja2, markdown, email) load in the methods that use them:
# `newsletter items` or a classify run needs neither.
if TYPE_CHECKING:
    from .feeds.intake import RunSummary, SourceOutcome
    from .write import draft, render
    from .write import send as send_mod

OPML_MAX_BYTES = 20_000_000  # a subscription list of 50,000 feeds fits
PARALLEL_LABELS = 20_000  # items in a week from which labelling moves to a forked process


@contextlib.contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """The cyclic garbage collector paused while a week is loaded and sorted.

    Items, labels, facts and stories form no reference cycles, so it would free nothing; yet it rescans
    the growing heap again and again as they are made (a 100,000-item week holds millions of objects).
    Reference counting frees them as usual. In a one-thread command, what now exists is moved out of the
    collector's sight before it runs again (gc.freeze): else its first pass would walk every object made
    meanwhile (half a second on such a week). A server (threads) keeps its collector as it was.
    """
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            if threading.active_count() == 1:
                gc.freeze()
            gc.enable()


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
        # What clustering read of each item's text, kept between calls when set (a long-running desk may set
        # Facts() here); None: each call reads from the store what it needs and lets it go (a build).
        self.facts_cache: Facts | None = None

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

    def outlets(self) -> outlets.Outlets:
        path = self.ws.outlets_path
        return self._read(path, lambda: outlets.load_outlets(path))

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
        from .feeds import fetch, opml

        if isinstance(data, Path):
            data = fetch.read_local(data.expanduser(), OPML_MAX_BYTES, configured=False)
        sources = self.sources()
        taxonomy = self.taxonomy()
        known = self.outlets()
        added, skipped = source_list.from_opml(
            sources,
            opml.read_opml(data),
            taxonomy.find_region,
            taxonomy.find_theme,
            lambda url, title: outlets.name_for(url, title, known),
        )
        if added:
            self.ws.save_sources([*sources, *added])
        return added, skipped

    def export_opml(self, path: Path | None = None) -> str:
        """The sources as OPML; written to path (whose folder must exist) when one is given."""
        from .feeds import opml

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
        every = self.all_sources()
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

    # -- classification and items -------------------------------------------------------------

    def classify(self, title: str, summary: str = "", source: str | None = None) -> Labels:
        """Labels for free text; `source` (a source id or name) lends its region as a prior."""
        return self.labeller()(title, summary, source)

    def labeller(self, reasons: bool = True) -> Callable[[str, str, str | None], Labels]:
        """`classify` for a stream of items: the seeds files are read and checked once, not per item,
        and a source is found by id or name in a table (the first source listed wins, as in sources.toml).
        reasons=False: labels without their reasons (see Classifier.classify), for a caller not showing them.
        """
        _, classifier = self._classifier()
        priors: dict[str, tuple[str | None, tuple[str, ...]]] = {}
        for src in reversed(self.sources()):
            priors[src.name] = priors[src.id] = (src.region, src.themes)
        classify = classifier.classify
        none: tuple[str | None, tuple[str, ...]] = (None, ())

        def labels(title: str, summary: str = "", source: str | None = None) -> Labels:
            region, themes = priors.get(source, none) if source else none
            return classify(title, summary, region, themes, None, reasons)

        return labels

    def label_items(self, items: Iterable[Item]) -> list[Item]:
        """Classify stored items and apply the editor's overrides, which always win."""
        _, classifier = self._classifier()
        return labels.label_items(classifier, items, self.all_sources(), self.store.overrides())

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
        with _cyclic_gc_paused():
            return self._stories(items, week)

    def _stories(self, items: Sequence[Item], week: Week | None) -> list[Story]:
        settings = self.settings()
        by_id = self.all_sources()
        weights = {sid: s.weight for sid, s in by_id.items()}
        _, classifier = self._classifier()
        scoring, overrides = classifier.scoring, self.store.overrides()
        unique = clustering.dedupe(items)

        def verdicts() -> list[tuple[Labels | None, Verdict | None, curate.TitleSignals]]:
            labelled = labels.label_items(classifier, unique, by_id, overrides)
            gated = relevance.gate_items(labelled, by_id, settings.focus, scoring)
            shared: dict[Any, Any] = {}  # equal labels, verdicts and signals repeat: one object each
            marks = []
            for it in gated:
                signals = curate.title_signals(it.title)
                marks.append(
                    (
                        shared.setdefault(it.labels, it.labels),
                        shared.setdefault(it.verdict, it.verdict),
                        shared.setdefault(signals, signals),
                    )
                )
            return marks

        # Labelling, the gate and what each headline signals to the ranking never read what clustering
        # reads, nor the reverse: on a large week they are worked out in a forked process meanwhile.
        judged = Forked(verdicts, parallel=len(unique) >= PARALLEL_LABELS)
        facts = self._known_facts(unique)
        groups = clustering.group(unique, threshold=settings.ranking.cluster_threshold, facts=facts)
        self.store.save_facts(facts.fresh())
        marks = judged.result()
        labelled = [evolve(it, labels=m[0], verdict=m[1]) for it, m in zip(unique, marks, strict=True)]
        titles = {it.id: m[2] for it, m in zip(unique, marks, strict=True)}
        grouped = clustering.stories(labelled, groups, weights)
        if week is None:
            # A feed may date an item in 9999: the week to rank against is never later than now.
            now = self.now()
            latest = max((i.published for i in items if i.published and i.published <= now), default=now)
            week = Week.of(latest, self.settings().tz)
        return self._settled(grouped, week, titles)

    def restory(self, stories: Sequence[Story], week: Week) -> list[Story]:
        """Stories labelled, gated and scored again from their items, after the editor labelled one.

        Clustering reads no labels, so each story keeps its items, lead and id; what a label changes
        (region, themes, the gate's verdict, the theme part of the score) comes out as `stories` would
        give it, without clustering the week again.
        """
        bare = [dataclasses.replace(i, labels=None, verdict=None) for s in stories for i in s.items]
        labelled = {i.id: i for i in self._gated(self.label_items(bare))}
        raw = [
            dataclasses.replace(s, lead=labelled[s.lead.id], also=tuple(labelled[i.id] for i in s.also))
            for s in stories
        ]
        return self._settled(raw, week)

    def _known_facts(self, items: Sequence[Item]) -> Facts:
        """The facts of these items: facts_cache (or a new Facts), given what the store holds it lacks."""
        facts = self.facts_cache if self.facts_cache is not None else Facts(keep=False)
        unknown = [it.id for it in items if not facts.knows(it.id)]
        if unknown:
            facts.add_stored(self.store.facts(unknown, FACTS_VERSION))
        return facts

    def _gated(self, items: list[Item]) -> list[Item]:
        """Labelled items with the relevance gate's verdict on each."""
        scoring = self.taxonomy().scoring
        return relevance.gate_items(items, self.all_sources(), self.settings().focus, scoring)

    def _settled(
        self,
        stories: Sequence[Story],
        week: Week,
        titles: Mapping[str, curate.TitleSignals] | None = None,
    ) -> list[Story]:
        """Clustered stories placed by the editor's labels and the gate, then scored and ranked."""
        settings = self.settings()
        grouped = [relevance.gate_story(labels.editor_labels_win(story)) for story in stories]
        return curate.rank(
            grouped,
            week=week,
            tz=settings.tz,
            theme_priority=curate.theme_priority(self.taxonomy(), settings.ranking.theme_priority),
            source_weight={sid: s.weight for sid, s in self.all_sources().items()},
            titles=titles,
        )

    def items(
        self, week: Week | None, *, region: str | None = None, theme: str | None = None
    ) -> list[tuple[Item, Story]]:
        """Items of a week (or all when week is None), each with its story, filtered by labels."""
        region_id = labels.region_id(self.taxonomy(), region) if region is not None else None
        theme_id = labels.theme_id(self.taxonomy(), theme) if theme is not None else None
        raw = self.week_items(week) if week else self.store.all_items()
        rows = [
            (item, story)
            for story in self.stories(raw, week)
            for item in story.items
            if labels.has_labels(item, region_id, theme_id)
        ]
        rows.sort(key=lambda r: (when(r[0]), r[0].id), reverse=True)
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
                labels.region_id(self.taxonomy(), region) if region is not None else None,
                tuple(labels.theme_id(self.taxonomy(), t) for t in themes) if themes else None,
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
        with _cyclic_gc_paused():
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
        by_id = self.all_sources()
        return curate.plan_issue(
            stories,
            week=week,
            style=style,
            style_settings=settings.style_settings(style),
            taxonomy=self.taxonomy(),
            source_names={sid: s.name for sid, s in by_id.items()},
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
        from .write import draft

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
        from .write import render

        settings = self.settings()
        chosen = self.styles(styles)
        ranked = None  # classify, cluster and rank the week once, however many styles need a draft
        labelled = None
        results = []
        for style in chosen:
            notes: tuple[str, ...] = ()
            if not self.ws.draft_path(week, style).exists():
                ranked = ranked or self.ranked_week(week)
                self.draft(week, style, ranked=ranked)
            else:
                if labelled is None:
                    try:
                        labelled = self._labels_in(week)
                    except StoreError as exc:  # the draft alone is enough to build from
                        labelled, notes = False, (f"labels not applied: {exc}",)
                if labelled:
                    # The editor's labels reach a draft that exists: entries they never touched move.
                    ranked = ranked or self.ranked_week(week)
                    with contextlib.suppress(DraftConflict):  # rendering then names what is wrong with it
                        notes = self.draft(week, style, ranked=ranked, labels_only=True).notes
            result = render.build_outputs(self.ws, settings, week, style, formats, self.now())
            results.append(dataclasses.replace(result, notes=notes))
        render.build_archive(self.ws, settings)
        return results

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
        from .write import message
        from .write import send as send_mod

        settings = self.settings()
        style = check_style(style or settings.default_style)
        config, recipients = send_mod.check_config(settings.send, to)
        path = self.ws.draft_path(week, style)
        if not path.exists():
            raise SendError(f"no draft at {path}: run `newsletter build --week {week}` and write it")
        if not anyway:
            send_mod.check_finished(path)
        outputs = [self.ws.output_path(week, style, fmt) for fmt in FORMATS]
        if send_mod.stale([path, self.ws.settings_path, *send_mod.template_files(self.ws)], outputs):
            self.build(week, [style], FORMATS)
        msg = send_mod.load_message(self.ws.output_path(week, style, "eml"))
        message.stamp(msg, self.now(), settings.tz, recipients)
        return send_mod.deliver(config, msg, recipients, os.environ if environ is None else environ)
