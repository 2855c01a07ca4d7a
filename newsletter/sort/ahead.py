"""A server's head start on its week: grouped and labelled in two forked processes as it starts.

A ranking's two costly halves never read each other's inputs (pipeline.py): clustering reads the items'
text, labelling reads the text and the seeds. A server (`newsletter preview`) forks one worker for each
before its threads start (a process running threads may not fork: forked.can_fork), as soon as it knows
its week, so its first ranking finds both under way or done, even for a week never ranked, whose every
text must be read first. The grouping worker keeps what it works out as any ranking does: the facts it
read in the store (its own connection), the grouping in the week's kept file (kept.py).

Each answer is taken once, by the next ranking. The grouping only if that ranking has the items the worker
read (the same ids in the same order, and a hash of all they hold); the labels, kept by item fingerprint
(kept.py), only if it has the same overrides and seeds, and then for the items whose fingerprints match
(the worker labels only those with no labels kept). Else the ranking does that work itself, as it would.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING, Any

from ..models import Item, Week
from . import clustering, kept
from .forked import Workers, can_fork

if TYPE_CHECKING:
    import datetime as dt

    from ..store import Override, Store
    from .kept import Label
    from .pipeline import Sorter


class HeadStart:
    """The week's grouping and labels worked out in forked processes (see the module docstring)."""

    def __init__(
        self, sorter: Sorter, open_store: Callable[[], Store], bounds: tuple[dt.datetime, dt.datetime]
    ) -> None:
        self._seeds = (sorter.classifier, sorter.sources, sorter.settings.focus)
        self._threshold = sorter.settings.ranking.cluster_threshold
        week = Week.of(bounds[0], sorter.settings.tz)

        def job(half: str) -> Any:
            with open_store() as store:
                items, overrides = store.items_between(*bounds), store.overrides()
                unique = clustering.dedupe(items)
                if half == "groups":
                    read = ([it.id for it in unique], hash(tuple(unique)))
                    return read, sorter.groups(unique, week, store=store)
            return overrides, _labelled(sorter, unique, overrides, week)

        self._job = job
        self._workers = Workers(job, 2) if can_fork() else None
        self._futures: dict[str, Future[Any] | None] = {}
        for half in ("groups", "labels"):
            self._futures[half] = self._workers.submit(half) if self._workers is not None else None
        self._lock = threading.Lock()  # a ranking taking an answer, or the server closing them
        self._closed = False

    def take_groups(self, unique: Sequence[Item], threshold: float) -> list[list[int]] | None:
        """The worker's grouping (kept, or worked out and kept) if it read these very items at this
        threshold, else None."""
        found = self._answer("groups")
        if found is None or threshold != self._threshold:
            return None
        (ids, digest), groups = found
        same = ids == [it.id for it in unique] and digest == hash(tuple(unique))
        return groups if same else None

    def take(self, sorter: Sorter, overrides: Mapping[str, Override]) -> dict[bytes, Label] | None:
        """The labels, verdicts and title signals the worker worked out, by item fingerprint (for the items
        it read that had none kept), if it read these overrides with these seeds; else None."""
        if self._seeds != (sorter.classifier, sorter.sources, sorter.settings.focus):
            self.close(wait=False)
            return None
        found = self._answer("labels")
        if found is None:
            return None
        seen, labelled = found
        return labelled if seen == overrides else None

    def close(self, wait: bool = True) -> None:
        """The workers ended (when their jobs are done if wait, else at once), their answers dropped."""
        with self._lock:
            self._closed = True
            self._futures.clear()
            if self._workers is not None:
                self._workers.close(wait)
            self._workers = None

    @property
    def closed(self) -> bool:
        return self._closed

    def _answer(self, half: str) -> Any:
        """One half's answer, once: from its worker, or worked out here when there is none (or it broke)."""
        with self._lock:
            if self._closed or half not in self._futures:
                return None
            future = self._futures.pop(half)
            if not self._futures:
                self._closed = True  # both taken: the workers may go
            try:
                if future is not None:
                    return future.result()
            except BrokenProcessPool:
                pass
            finally:
                if self._closed and self._workers is not None:
                    self._workers.close(wait=False)
                    self._workers = None
        return self._job(half)


def _labelled(
    sorter: Sorter, unique: list[Item], overrides: Mapping[str, Override], week: Week
) -> dict[bytes, Label]:
    """Each item's labels, verdict and title signals, by fingerprint, for the items with none kept."""
    known = sorter.kept_labels(*sorter.labels_file(week, overrides))
    todo = [(fp, it) for fp, it in zip(kept.fingerprints(unique), unique, strict=True) if fp not in known]
    entries = sorter.label_entries([it for _, it in todo], overrides)
    return {fp: entry for (fp, _), entry in zip(todo, entries, strict=True)}
