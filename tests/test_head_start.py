"""A server's head start: its week labelled and gated in a forked process as it starts (sort/pipeline.py
HeadStart), taken by the first ranking only when the items, the editor's labels and the seeds are still
what the worker read; either way the ranking is the one made without it."""

from __future__ import annotations

import dataclasses
import multiprocessing
import time

import pytest

from newsletter.app import Newsletter
from newsletter.models import Week
from newsletter.preview.server import PreviewServer
from newsletter.sort import clustering, pipeline
from newsletter.sort.forked import can_fork
from newsletter.store import Override, Store
from newsletter.workspace import Workspace

WEEK = Week.parse("2026-W47")


@pytest.fixture
def app(fetched_app, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(pipeline, "PARALLEL_LABELS", 1)  # the sample week is small
    return fetched_app


def _head(app) -> tuple[pipeline.HeadStart, pipeline.Sorter]:
    sorter = app._sorter()
    return pipeline.HeadStart(sorter, lambda: Store(app.db_path), WEEK.bounds(app.settings().tz)), sorter


def test_the_first_ranking_takes_the_head_start_and_ranks_as_without(app, monkeypatch) -> None:
    taken: list[object] = []
    take = pipeline.HeadStart.take
    monkeypatch.setattr(pipeline.HeadStart, "take", lambda *a: taken.append(take(*a)) or taken[-1])
    forks = can_fork()  # not once a worker runs: its pool has a thread here
    head = app.label_ahead(WEEK)
    assert (head is not None) == forks
    if head is None:
        app.head_start = _head(app)[0]  # no fork here: the worker's job runs when taken
    ranked = app.ranked_week(WEEK)
    assert app.head_start is None and len(taken) == 1 and taken[0] is not None
    assert ranked == app.ranked_week(WEEK)  # ranked again, without: the same stories, labels, verdicts
    assert len(taken) == 1


def test_a_head_start_of_other_items_labels_or_seeds_is_dropped(app) -> None:
    items = app.week_items(WEEK)
    unique, overrides = clustering.dedupe(items), app.store.overrides()
    head, sorter = _head(app)
    assert head.take(sorter, unique, overrides) is not None
    edited = [dataclasses.replace(unique[0], title=unique[0].title + " (updated)"), *unique[1:]]
    labelled = {**overrides, unique[0].id: Override(unique[0].id, "japan", None)}
    for other_items, other_overrides in ((edited, overrides), (unique[1:], overrides), (unique, labelled)):
        head, sorter = _head(app)
        assert head.take(sorter, other_items, other_overrides) is None
    head, _ = _head(app)
    head.close()  # a server stopped before any ranking took it
    assert head.take(sorter, unique, overrides) is None
    head, _ = _head(app)
    other_seeds = pipeline.Sorter(sorter.settings, sorter.taxonomy, sorter.classifier, {}, sorter.store)
    assert head.take(other_seeds, unique, overrides) is None


def test_a_week_labelled_after_the_head_start_ranks_with_the_label(app) -> None:
    item = app.week_items(WEEK)[0]
    app.label_ahead(WEEK)
    app.label(item.id, region="japan")  # before or after the worker read the labels: either way right
    ranked, _ = app.ranked_week(WEEK)
    assert ranked == app.ranked_week(WEEK)[0]
    assert next(i for s in ranked for i in s.items if i.id == item.id).labels.region == "japan"


def test_a_server_leaves_no_worker_behind(app) -> None:
    with PreviewServer(app, port=0, week=WEEK, style="atr", watch=False):
        pass  # stopped before any ranking took the head start
    assert not multiprocessing.active_children()


def test_kept_labels_stop_the_head_start_without_waiting_for_it(app, monkeypatch) -> None:
    first = app.ranked_week(WEEK)  # keeps the week's labels (sort/kept.py)
    fresh = Newsletter(Workspace.open(app.ws.root), now=app._now)
    try:
        head = fresh.label_ahead(WEEK) or _head(fresh)[0]
        fresh.head_start = head
        taken: list[object] = []
        monkeypatch.setattr(pipeline.HeadStart, "take", lambda *a: taken.append(a))
        assert fresh.ranked_week(WEEK) == first
        assert not taken and head._closed  # the kept labels were used, the worker let go
    finally:
        fresh.close()
    deadline = time.monotonic() + 30  # its lifeline cut, the worker exits on its own
    while multiprocessing.active_children() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not multiprocessing.active_children()


def test_a_head_start_finding_the_labels_kept_works_none_out(app) -> None:
    head, _ = _head(app)
    assert head._forked.result()[3] is not None  # nothing kept yet: the worker labels the week
    first = app.ranked_week(WEEK)  # keeps the week's labels
    head, _ = _head(app)
    assert head._forked.result()[3] is None  # the ranking will take the kept ones
    app.label(app.week_items(WEEK)[0].id, region="japan")
    head, _ = _head(app)
    assert head._forked.result()[3] is not None  # a label since: the kept ones are stale
    assert app.ranked_week(WEEK) != first
