"""The sort stage end to end: a week's items labelled, gated, told once per story, ranked, and planned.

Labels, the relevance gate and what each headline signals to the ranking never read what clustering
reads, nor the reverse: on a large week they are worked out in a forked process while clustering
compares the texts; a server starts a process for each half of its week as it starts, before its threads
do (ahead.py). The stories are then placed by the editor's labels and the gate, scored and
ranked. After the editor labels an item, `restory` redoes what a label changes, and only that.
Also which week a command sorts when none is asked for, and a house style's plan of the ranked week.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..models import IssuePlan, Item, Labels, Source, Story, Verdict, Week, evolve
from . import clustering, curate, kept, labels, relevance
from .facts import FACTS_VERSION, Facts
from .forked import Forked

if TYPE_CHECKING:
    import datetime as dt
    from pathlib import Path

    from ..config import FocusSettings, Settings
    from ..store import Override, Store
    from .ahead import HeadStart
    from .classify import Classifier
    from .taxonomy import Taxonomy

# Items in a week from which labelling moves to a forked process, in a build as in a server starting
# (ahead.py): below, the fork costs about what it saves (bench_desk.py, a CLI draft of 500-1,000 items).
PARALLEL_LABELS = 1_000

Judged = tuple["Labels | None", "Verdict | None"]  # one item's labels and the gate's verdict


def verdicts(
    classifier: Classifier,
    items: Sequence[Item],
    by_id: Mapping[str, Source],
    overrides: Mapping[str, Override],
    focus: FocusSettings,
) -> list[Judged]:
    """Each item's labels and the gate's verdict on it."""
    labelled = labels.label_items(classifier, items, by_id, overrides)
    gated = relevance.gate_items(labelled, by_id, focus, classifier.scoring)
    shared: dict[Any, Any] = {}  # equal labels and verdicts repeat: one object each
    return [
        (shared.setdefault(it.labels, it.labels), shared.setdefault(it.verdict, it.verdict)) for it in gated
    ]


def signals(items: Sequence[Item]) -> list[curate.TitleSignals]:
    """What each item's headline signals to the ranking."""
    shared: dict[curate.TitleSignals, curate.TitleSignals] = {}  # they repeat: one object each
    return [shared.setdefault(s, s) for s in (curate.title_signals(it.title) for it in items)]


def choose_week(store: Store, tz: dt.tzinfo, now: dt.datetime) -> tuple[Week, str | None]:
    """This week; or, when it has no items yet, the latest week that has some, with a note saying so."""
    current = Week.of(now, tz)
    if store.count_between(*current.bounds(tz)):
        return current, None
    latest = store.latest_published(before=now)
    if latest is None:
        return current, None
    week = Week.of(latest, tz)
    return week, f"{current} has no items yet; using {week}, the latest week that has some"


def plan(
    stories: Sequence[Story],
    item_count: int,
    *,
    week: Week,
    style: str,
    settings: Settings,
    sources: Mapping[str, Source],
    taxonomy: Taxonomy,
) -> IssuePlan:
    """One style's issue plan from the ranked week (curate.plan_issue), its sources named as readers know."""
    return curate.plan_issue(
        stories,
        week=week,
        style=style,
        style_settings=settings.style_settings(style),
        taxonomy=taxonomy,
        source_names={sid: s.name for sid, s in sources.items()},
        paywalled=frozenset(sid for sid, s in sources.items() if s.paywalled),
        item_count=item_count,
    )


class Sorter:
    """The sort stage over the seeds as they are now: settings, taxonomy (compiled), every source, the store.

    facts_cache: what clustering read of each item's text, kept between passes by a long-running caller
    (the desk); None: each pass reads from the store what it needs and lets it go (a build).
    kept_sort: the folder where each week's clustering and labels are kept for the next process (kept.py).
    """

    def __init__(
        self,
        settings: Settings,
        taxonomy: Taxonomy,
        classifier: Classifier,
        sources: Mapping[str, Source],
        store: Store,
        facts_cache: Facts | None = None,
        kept_sort: Path | None = None,
    ) -> None:
        self.settings = settings
        self.taxonomy = taxonomy
        self.classifier = classifier
        self.sources = sources
        self.store = store
        self.facts_cache = facts_cache
        self.kept_sort = kept_sort

    def label_items(self, items: Sequence[Item]) -> list[Item]:
        """Classify items and apply the editor's overrides, which always win."""
        return labels.label_items(self.classifier, items, self.sources, self.store.overrides())

    def stories(
        self,
        items: Sequence[Item],
        week: Week | None,
        now: Callable[[], dt.datetime],
        head: HeadStart | None = None,
    ) -> list[Story]:
        """Label, cluster and rank items; every item comes back with its story id.

        week: the week to rank against; None: the week of the latest item dated no later than now().
        head: the grouping and labels worked out ahead (ahead.HeadStart), used only if they are of these
        very items; closed once this ranking is done.
        """
        settings = self.settings
        weights = {sid: s.weight for sid, s in self.sources.items()}
        overrides = self.store.overrides()
        unique = clustering.dedupe(items)

        # Labelling, the gate and what each headline signals to the ranking never read what clustering
        # reads, nor the reverse: on a large week they are worked out in a forked process meanwhile, or
        # both halves were started when a server started (head).
        # Items labelled by the last process that ranked their week with these seeds and overrides keep
        # their labels (kept.py, by fingerprint): only the others are labelled, by the head start's worker
        # if it has them.
        fps = kept.fingerprints(unique) if self.kept_sort is not None else None
        digest = kept.items_digest(unique, fps) if fps is not None else None
        label_key, label_path = self.labels_file(week, overrides)
        known = self.kept_labels(label_key, label_path)
        todo = [i for i in range(len(unique)) if fps is None or fps[i] not in known]  # labelled afresh

        def judge(which: Sequence[int]) -> list[kept.Label]:
            return self.label_entries([unique[i] for i in which], overrides)

        judged = None
        if todo and head is None:
            judged = Forked(lambda: judge(todo), parallel=len(todo) >= PARALLEL_LABELS)
        try:
            groups = self.groups(unique, week, digest, head)
            ahead = head.take(self, overrides) if head is not None and todo else None
            if judged is not None:
                new = judged.result()
            elif ahead is not None and fps is not None:  # the worker's, and the few it did not see
                rest = iter(judge([i for i in todo if fps[i] not in ahead]))
                new = [ahead[fps[i]] if fps[i] in ahead else next(rest) for i in todo]
            else:
                new = judge(todo) if todo else []
        finally:
            if head is not None:
                head.close(wait=False)
        fresh = dict(zip(todo, new, strict=True))
        entries = [fresh[i] if i in fresh else known[fps[i]] for i in range(len(unique))]  # type: ignore[index]
        if new and label_key and label_path and fps is not None:
            kept.save_labels(label_path, label_key, dict(zip(fps, entries, strict=True)))
        labelled = [evolve(it, labels=e[0], verdict=e[1]) for it, e in zip(unique, entries, strict=True)]
        titles = {it.id: e[2] for it, e in zip(unique, entries, strict=True)}
        grouped = clustering.stories(labelled, groups, weights)
        if week is None:
            # A feed may date an item in 9999: the week to rank against is never later than now.
            at = now()
            latest = max((i.published for i in items if i.published and i.published <= at), default=at)
            week = Week.of(latest, settings.tz)
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

    def groups(
        self,
        unique: Sequence[Item],
        week: Week | None,
        digest: bytes | None = None,
        head: HeadStart | None = None,
        store: Store | None = None,
    ) -> list[list[int]]:
        """clustering.group of these items: as kept by the last process that grouped these very items, or
        by the head start's worker, or grouped now (and kept for the next: the facts it read in the store,
        the grouping in .newsletter/kept/). store: the connection to do that with (a forked worker's own,
        ahead.py); the sorter's by default."""
        threshold = self.settings.ranking.cluster_threshold
        key = kept.groups_key(unique, threshold, digest) if self.kept_sort is not None else None
        path = kept.path(self.kept_sort, week) if self.kept_sort is not None else None
        if key is not None and path is not None:
            found = kept.read(path, key, len(unique))
            if found is not None:
                return found
        ahead = head.take_groups(unique, threshold) if head is not None else None
        if ahead is not None:
            return ahead  # its worker kept the facts and the grouping, as below
        store = store or self.store
        facts = self._known_facts(unique, store)
        groups = clustering.group(unique, threshold=threshold, facts=facts)
        store.save_facts(facts.fresh())
        if key is not None and path is not None:
            kept.save(path, key, groups)
        return groups

    def label_entries(self, items: Sequence[Item], overrides: Mapping[str, Override]) -> list[kept.Label]:
        """Each item's labels, the gate's verdict and what its headline signals to the ranking."""
        found = verdicts(self.classifier, items, self.sources, overrides, self.settings.focus)
        return [(lab, verdict, sig) for (lab, verdict), sig in zip(found, signals(items), strict=True)]

    def kept_labels(self, key: str | None, path: Path | None) -> dict[bytes, kept.Label]:
        """The labels kept for key at path, by item fingerprint ({}: none)."""
        return (kept.read_labels(path, key) if key is not None and path is not None else None) or {}

    def labels_file(
        self, week: Week | None, overrides: Mapping[str, Override]
    ) -> tuple[str | None, Path | None]:
        """The key and the file of a week's kept labels; (None, None): none are kept."""
        if self.kept_sort is None:
            return None, None
        found = kept.labels_key(self.classifier.key, self.sources, self.settings.focus, overrides)
        return found, kept.path(self.kept_sort, week, "labels")

    def _known_facts(self, items: Sequence[Item], store: Store) -> Facts:
        """The facts of these items: facts_cache (or a new Facts), given what the store holds it lacks."""
        facts = self.facts_cache if self.facts_cache is not None else Facts(keep=False)
        unknown = [it.id for it in items if not facts.knows(it.id)]
        if unknown:
            facts.add_stored(store.facts(unknown, FACTS_VERSION))
        return facts

    def _gated(self, items: list[Item]) -> list[Item]:
        """Labelled items with the relevance gate's verdict on each."""
        return relevance.gate_items(items, self.sources, self.settings.focus, self.taxonomy.scoring)

    def _settled(
        self,
        stories: Sequence[Story],
        week: Week,
        titles: Mapping[str, curate.TitleSignals] | None = None,
    ) -> list[Story]:
        """Clustered stories placed by the editor's labels and the gate, then scored and ranked."""
        settings = self.settings
        grouped = [relevance.gate_story(labels.editor_labels_win(story), settings.focus) for story in stories]
        return curate.rank(
            grouped,
            week=week,
            tz=settings.tz,
            theme_priority=curate.theme_priority(self.taxonomy, settings.ranking.theme_priority),
            source_weight={sid: s.weight for sid, s in self.sources.items()},
            titles=titles,
        )
