"""The sort stage end to end: a week's items labelled, gated, told once per story, ranked, and planned.

Labels, the relevance gate and what each headline signals to the ranking never read what clustering
reads, nor the reverse: on a large week they are worked out in a forked process while clustering
compares the texts; a server starts that process for its week as it starts, before its threads do
(HeadStart). The stories are then placed by the editor's labels and the gate, scored and
ranked. After the editor labels an item, `restory` redoes what a label changes, and only that.
Also which week a command sorts when none is asked for, and a house style's plan of the ranked week.
"""

from __future__ import annotations

import dataclasses
import threading
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
    from .classify import Classifier
    from .taxonomy import Taxonomy

# Items in a week from which labelling moves to a forked process, in a build as in a server starting
# (HeadStart): below, the fork costs about what it saves (bench_desk.py, a CLI draft of 500-1,000 items).
PARALLEL_LABELS = 1_000

Judged = tuple["Labels | None", "Verdict | None"]  # one item's labels and the gate's verdict


def _verdicts(
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


def _signals(items: Sequence[Item]) -> list[curate.TitleSignals]:
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
        head: labels worked out ahead (see HeadStart), used only if they are of these very items.
        """
        settings = self.settings
        by_id = self.sources
        weights = {sid: s.weight for sid, s in by_id.items()}
        classifier = self.classifier
        overrides = self.store.overrides()
        unique = clustering.dedupe(items)

        def judge() -> tuple[list[Judged], list[curate.TitleSignals]]:
            return _verdicts(classifier, unique, by_id, overrides, settings.focus), _signals(unique)

        # Labelling, the gate and what each headline signals to the ranking never read what clustering
        # reads, nor the reverse: on a large week they are worked out in a forked process meanwhile, or
        # were started when a server started (head).
        # Labels kept by the last process that ranked these items with these seeds and overrides need no
        # worker: a head start still labelling is stopped.
        digest = kept.items_digest(unique) if self.kept_sort is not None else None
        label_key, label_path = self._kept_labels(unique, week, overrides, digest)
        known = kept.read_labels(label_path, label_key, len(unique)) if label_key and label_path else None
        if known is not None and head is not None:
            head.close(wait=False)
            head = None
        judged = None
        if head is None and known is None:
            judged = Forked(judge, parallel=len(unique) >= PARALLEL_LABELS)
        groups = self._groups(unique, week, digest)
        if judged is not None:
            verdicts, signals = judged.result()
        elif known is not None:
            verdicts, signals = known
        else:
            signals = _signals(unique)  # here, while the head start's worker may still be labelling
            taken = head.take(self, unique, overrides) if head is not None else None
            verdicts = taken if taken is not None else judge()[0]
        if known is None and label_key and label_path:
            kept.save_labels(label_path, label_key, verdicts, signals)
        labelled = [evolve(it, labels=v[0], verdict=v[1]) for it, v in zip(unique, verdicts, strict=True)]
        titles = {it.id: t for it, t in zip(unique, signals, strict=True)}
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

    def _groups(self, unique: Sequence[Item], week: Week | None, digest: bytes | None) -> list[list[int]]:
        """clustering.group of these items: as kept by the last process that grouped these very items, or
        grouped now (and kept for the next)."""
        threshold = self.settings.ranking.cluster_threshold
        key = kept.groups_key(unique, threshold, digest) if self.kept_sort is not None else None
        path = kept.path(self.kept_sort, week) if self.kept_sort is not None else None
        if key is not None and path is not None:
            found = kept.read(path, key, len(unique))
            if found is not None:
                return found
        facts = self._known_facts(unique)
        groups = clustering.group(unique, threshold=threshold, facts=facts)
        self.store.save_facts(facts.fresh())
        if key is not None and path is not None:
            kept.save(path, key, groups)
        return groups

    def _kept_labels(
        self,
        unique: Sequence[Item],
        week: Week | None,
        overrides: Mapping[str, Override],
        digest: bytes | None,
    ) -> tuple[str | None, Path | None]:
        """The key and the file of these items' kept labels; (None, None): none are kept."""
        if self.kept_sort is None:
            return None, None
        focus, key = self.settings.focus, self.classifier.key
        found = kept.labels_key(unique, key, self.sources, focus, overrides, digest)
        return found, kept.path(self.kept_sort, week, "labels")

    def _known_facts(self, items: Sequence[Item]) -> Facts:
        """The facts of these items: facts_cache (or a new Facts), given what the store holds it lacks."""
        facts = self.facts_cache if self.facts_cache is not None else Facts(keep=False)
        unknown = [it.id for it in items if not facts.knows(it.id)]
        if unknown:
            facts.add_stored(self.store.facts(unknown, FACTS_VERSION))
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
        grouped = [relevance.gate_story(labels.editor_labels_win(story)) for story in stories]
        return curate.rank(
            grouped,
            week=week,
            tz=settings.tz,
            theme_priority=curate.theme_priority(self.taxonomy, settings.ranking.theme_priority),
            source_weight={sid: s.weight for sid, s in self.sources.items()},
            titles=titles,
        )


class HeadStart:
    """A week's labels and the gate's verdicts, worked out in a forked process that a server starts before
    its threads do (a process running threads may not fork: forked.can_fork), so that its first ranking
    of the week clusters here meanwhile, as a large build does.

    The worker reads the week from a store connection of its own (`open_store`). Its answer is taken
    once, by the next ranking, and only if that ranking has the items the worker had (the same ids in the
    same order, and a hash of all they hold), the same overrides and the same seeds; else it is dropped
    and the ranking labels the items itself, as it would have.
    """

    def __init__(
        self, sorter: Sorter, open_store: Callable[[], Store], bounds: tuple[dt.datetime, dt.datetime]
    ) -> None:
        self._seeds = (sorter.classifier, sorter.sources, sorter.settings.focus)

        def job() -> tuple[list[str], int, dict[str, Override], list[Judged] | None]:
            with open_store() as store:
                items, overrides = store.items_between(*bounds), store.overrides()
            unique = clustering.dedupe(items)
            ids, digest = [it.id for it in unique], hash(tuple(unique))
            if sorter.kept_sort is not None:  # the ranking will take kept labels: no need to work them out
                week = Week.of(bounds[0], sorter.settings.tz)
                key, path = sorter._kept_labels(unique, week, overrides, kept.items_digest(unique))
                if key is not None and path is not None and kept.holds_labels(path, key):
                    return ids, digest, overrides, None
            judged = _verdicts(sorter.classifier, unique, sorter.sources, overrides, self._seeds[2])
            return ids, digest, overrides, judged

        self._forked = Forked(job)
        self._lock = threading.Lock()  # a ranking taking the answer, or the server closing it
        self._closed = False

    def take(
        self, sorter: Sorter, unique: Sequence[Item], overrides: Mapping[str, Override]
    ) -> list[Judged] | None:
        """The worker's answer if it read these items and overrides with these seeds, else None."""
        with self._lock:
            if self._closed or self._seeds != (sorter.classifier, sorter.sources, sorter.settings.focus):
                self._close()
                return None
            ids, digest, seen, judged = self._forked.result()
            self._closed = True
        same = seen == overrides and ids == [it.id for it in unique] and digest == hash(tuple(unique))
        return judged if same else None  # None too when the worker found them kept

    def close(self, wait: bool = True) -> None:
        """The worker ended (when its job is done if it runs and wait, else at once), its answer dropped."""
        with self._lock:
            self._close(wait)

    def _close(self, wait: bool = True) -> None:
        self._closed = True
        self._forked.close(wait)
