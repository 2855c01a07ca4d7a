"""The ranked week and each style's plan, kept between the preview's requests and updated, not rebuilt.

Ranking a week (classify, gate, cluster, score) is the costly part of a plan: seconds on a week of
10,000 items. The preview and the desk ask for it on nearly every request, so it is kept per week
and checked, cheaply, before each use:

- a seeds file changed (newsletter.toml, sources.toml, taxonomy.toml, outlets.toml): ranked anew;
- another command wrote the store (SQLite's data_version moved): if the week's items changed (a
  fetch, an ingest), ranked anew; if only the editor's labels did (`newsletter label`), only the
  stories holding those items are labelled, gated and scored again (Newsletter.restory);
- the desk labelled an item itself: the same, told directly (`relabelled`).

Clustering reads no labels, so updating a labelled story in place gives what ranking the week anew
would (tests/test_desk.py checks this). Every stage below this cache is the pipeline's own: a faster
classifier or stored story facts make the first request faster and change nothing here.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from ..models import IssuePlan, Story, Week
from ..sort import curate

if TYPE_CHECKING:
    from ..config import Settings
    from ..sort.taxonomy import Taxonomy
    from ..store import Override, Store
    from ..workspace import Workspace
    from ..write.draft import DraftResult

KEEP_WEEKS = 4  # weeks kept at once: the one being edited and a few the editor looked back at


class RankingApp(Protocol):
    """What the cache needs from app.Newsletter."""

    @property
    def ws(self) -> Workspace: ...

    @property
    def store(self) -> Store: ...

    def settings(self) -> Settings: ...

    def taxonomy(self) -> Taxonomy: ...

    def ranked_week(self, week: Week) -> tuple[list[Story], int]: ...

    def restory(self, stories: Sequence[Story], week: Week) -> list[Story]: ...

    def plan(self, week: Week, style: str, ranked: tuple[list[Story], int] | None = None) -> IssuePlan: ...

    def draft(
        self,
        week: Week,
        style: str,
        *,
        force: bool = False,
        ranked: tuple[list[Story], int] | None = None,
        labels_only: bool = False,
    ) -> DraftResult: ...


@dataclass
class Ranked:
    """One week ranked: its stories best first, how many items it held, and an index by item id."""

    stories: list[Story]
    item_count: int
    version: int  # bumped on every change, so pages can tell a stale list
    by_item: dict[str, Story] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.by_item = {item.id: story for story in self.stories for item in story.items}

    @property
    def pair(self) -> tuple[list[Story], int]:
        """What Newsletter.plan and .draft take as `ranked`."""
        return self.stories, self.item_count

    def story(self, item_id: str) -> Story | None:
        return self.by_item.get(item_id)


@dataclass
class _Kept:
    ranked: Ranked
    seeds: tuple[object, ...]
    data_version: int
    signature: tuple[int, str]
    overrides: dict[str, Override]
    plans: dict[str, IssuePlan] = field(default_factory=dict)


class WeekCache:
    """Ranked weeks and plans for a long-running preview; thread-safe, one computation at a time."""

    def __init__(self, app: RankingApp) -> None:
        self.app = app
        self._weeks: OrderedDict[Week, _Kept] = OrderedDict()
        self._lock = threading.RLock()
        self._versions = 0
        self.rebuilds = 0  # how many times a week was ranked from scratch (tests read it)

    def ranked(self, week: Week) -> Ranked:
        """The week ranked as `Newsletter.ranked_week` would rank it now."""
        with self._lock:
            kept = self._weeks.get(week)
            seeds = self._seeds()
            if kept is not None and kept.seeds == seeds:
                kept = self._refresh(week, kept)
            if kept is None or kept.seeds != seeds:
                kept = self._rank(week, seeds)
            self._weeks.move_to_end(week)
            return kept.ranked

    def plan(self, week: Week, style: str) -> IssuePlan:
        """One style's plan of the week, from the kept ranking."""
        with self._lock:
            ranked = self.ranked(week)
            kept = self._weeks[week]
            if style not in kept.plans:
                kept.plans[style] = self.app.plan(week, style, ranked.pair)
            return kept.plans[style]

    def ensure_draft(self, week: Week, style: str) -> Path:
        """The draft's path, drafting it first (from the kept ranking) when there is none yet."""
        path = self.app.ws.draft_path(week, style)
        if not path.exists():
            self.app.draft(week, style, ranked=self.ranked(week).pair)
        return path

    def relabelled(self, week: Week, item_ids: Iterable[str]) -> None:
        """The desk set or cleared the editor's label on these items: update their stories in place."""
        with self._lock:
            kept = self._weeks.get(week)
            if kept is None:
                return
            kept.overrides = self.app.store.overrides()
            self._restory(week, kept, item_ids)

    def forget(self) -> None:
        with self._lock:
            self._weeks.clear()

    # -- inside ------------------------------------------------------------------------------

    def _seeds(self) -> tuple[object, ...]:
        ws = self.app.ws
        paths: list[Path] = [ws.settings_path, ws.sources_path, ws.taxonomy_path, ws.outlets_path]
        out: list[object] = []
        for path in paths:
            try:
                st = path.stat()
                out.append((st.st_mtime_ns, st.st_size, st.st_ino))
            except OSError:
                out.append(None)
        return tuple(out)

    def _rank(self, week: Week, seeds: tuple[object, ...]) -> _Kept:
        store = self.app.store
        # Read before ranking: a write that lands meanwhile moves them, and the next request sees it.
        version = store.data_version()
        signature = store.week_signature(*week.bounds(self.app.settings().tz))
        overrides = store.overrides()
        stories, count = self.app.ranked_week(week)
        self.rebuilds += 1
        kept = _Kept(Ranked(stories, count, self._next()), seeds, version, signature, overrides)
        self._weeks[week] = kept
        while len(self._weeks) > KEEP_WEEKS:
            self._weeks.popitem(last=False)
        return kept

    def _refresh(self, week: Week, kept: _Kept) -> _Kept | None:
        """The kept ranking brought up to date with the store, or None when it must be ranked anew."""
        store = self.app.store
        version = store.data_version()
        if version == kept.data_version:
            return kept
        signature = store.week_signature(*week.bounds(self.app.settings().tz))
        if signature != kept.signature:
            return None  # items came or changed: rank anew
        overrides = store.overrides()
        changed = {
            item_id
            for item_id in kept.overrides.keys() | overrides.keys()
            if kept.overrides.get(item_id) != overrides.get(item_id)
        }
        kept.data_version, kept.overrides = version, overrides
        self._restory(week, kept, changed)
        return kept

    def _restory(self, week: Week, kept: _Kept, item_ids: Iterable[str]) -> None:
        ranked = kept.ranked
        touched = {s.id: s for i in item_ids if (s := ranked.story(i)) is not None}
        if not touched:
            return
        fresh = {s.id: s for s in self.app.restory(list(touched.values()), week)}
        stories = [fresh.get(s.id, s) for s in ranked.stories]
        stories.sort(key=curate.rank_key)
        kept.ranked = Ranked(stories, ranked.item_count, self._next())
        kept.plans.clear()

    def _next(self) -> int:
        self._versions += 1
        return self._versions
