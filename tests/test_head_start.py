"""A server's head start: its week grouped, labelled and gated in forked processes as it starts
(sort/ahead.py), each half taken by the first ranking only when the items (and, for the labels, the
editor's labels and the seeds) are still what its worker read; either way the ranking is the one made
without it."""

from __future__ import annotations

import dataclasses
import multiprocessing
import time

import pytest

from newsletter.app import Newsletter
from newsletter.models import Week
from newsletter.preview.server import PreviewServer
from newsletter.sort import ahead, clustering, kept, pipeline
from newsletter.sort.facts import FACTS_VERSION
from newsletter.sort.forked import can_fork
from newsletter.store import Override, Store
from newsletter.workspace import Workspace

WEEK = Week.parse("2026-W47")


@pytest.fixture
def app(fetched_app, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(pipeline, "PARALLEL_LABELS", 1)  # the sample week is small
    return fetched_app


def _head(app) -> tuple[ahead.HeadStart, pipeline.Sorter]:
    sorter = app._sorter()
    return ahead.HeadStart(sorter, lambda: Store(app.db_path), WEEK.bounds(app.settings().tz)), sorter


def test_the_first_ranking_takes_the_head_start_and_ranks_as_without(app, monkeypatch) -> None:
    taken: list[object] = []
    take = ahead.HeadStart.take
    monkeypatch.setattr(ahead.HeadStart, "take", lambda *a: taken.append(take(*a)) or taken[-1])
    forks = can_fork()  # not once a worker runs: its pool has a thread here
    head = app.sort_ahead(WEEK)
    assert (head is not None) == forks
    if head is None:
        app.head_start = _head(app)[0]  # no fork here: the worker's job runs when taken
    ranked = app.ranked_week(WEEK)
    assert app.head_start is None and len(taken) == 1 and taken[0] is not None
    assert ranked == app.ranked_week(WEEK)  # ranked again, without: the same stories, labels, verdicts
    assert len(taken) == 1


def test_a_head_starts_labels_are_taken_by_fingerprint_with_the_same_labels_and_seeds(app) -> None:
    items = app.week_items(WEEK)
    unique, overrides = clustering.dedupe(items), app.store.overrides()
    head, sorter = _head(app)
    taken = head.take(sorter, overrides)
    assert taken is not None and set(taken) == set(kept.fingerprints(unique))  # nothing kept: all of them
    edited = dataclasses.replace(unique[0], title=unique[0].title + " (updated)")
    assert kept.fingerprints([edited])[0] not in taken  # an item edited since is labelled by the ranking
    labelled = {**overrides, unique[0].id: Override(unique[0].id, "japan", None)}
    head, sorter = _head(app)
    assert head.take(sorter, labelled) is None  # a label since: every answer is stale
    head, _ = _head(app)
    head.close()  # a server stopped before any ranking took it
    assert head.take(sorter, overrides) is None
    head, _ = _head(app)
    other_seeds = pipeline.Sorter(sorter.settings, sorter.taxonomy, sorter.classifier, {}, sorter.store)
    assert head.take(other_seeds, overrides) is None


def test_a_week_labelled_after_the_head_start_ranks_with_the_label(app) -> None:
    item = app.week_items(WEEK)[0]
    app.sort_ahead(WEEK)
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
        head = fresh.sort_ahead(WEEK) or _head(fresh)[0]
        fresh.head_start = head
        taken: list[object] = []
        monkeypatch.setattr(ahead.HeadStart, "take", lambda *a: taken.append(a))
        assert fresh.ranked_week(WEEK) == first
        assert not taken and head.closed  # the kept labels were used, the workers let go
    finally:
        fresh.close()
    deadline = time.monotonic() + 30  # its lifeline cut, the worker exits on its own
    while multiprocessing.active_children() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not multiprocessing.active_children()


def test_a_head_start_finding_the_labels_kept_works_none_out(app) -> None:
    def labels_found(head: ahead.HeadStart) -> object:
        return head._answer("labels")[1]  # (the overrides it read, the labels it worked out)

    head, _ = _head(app)
    assert labels_found(head)  # nothing kept yet: the worker labels the week
    head.close()
    first = app.ranked_week(WEEK)  # keeps the week's labels
    head, _ = _head(app)
    assert labels_found(head) == {}  # the ranking will take the kept ones
    head.close()
    app.label(app.week_items(WEEK)[0].id, region="japan")
    head, _ = _head(app)
    assert labels_found(head)  # a label since: the kept ones are stale
    head.close()
    assert app.ranked_week(WEEK) != first


def test_the_head_start_groups_a_week_never_ranked_and_keeps_what_it_read(app, monkeypatch) -> None:
    taken: list[object] = []
    take = ahead.HeadStart.take_groups
    monkeypatch.setattr(ahead.HeadStart, "take_groups", lambda *a: taken.append(take(*a)) or taken[-1])
    unique = clustering.dedupe(app.week_items(WEEK))
    assert not app.store.facts([it.id for it in unique], FACTS_VERSION)  # never ranked: no facts yet
    app.head_start = _head(app)[0]  # forked when it can; else its job runs when taken
    ranked = app.ranked_week(WEEK)
    assert len(taken) == 1 and taken[0] is not None  # the ranking took the worker's grouping
    assert len(app.store.facts([it.id for it in unique], FACTS_VERSION)) == len(unique)  # kept by the worker
    assert any(app.ws.kept_sort.glob("*.groups"))
    for kept_file in app.ws.kept_sort.iterdir():
        kept_file.unlink()
    assert ranked == app.ranked_week(WEEK)  # grouped again here, without it: the same stories


def test_a_head_starts_grouping_of_other_items_is_dropped(app) -> None:
    unique = clustering.dedupe(app.week_items(WEEK))
    threshold = app.settings().ranking.cluster_threshold

    def grouping_head() -> ahead.HeadStart:
        for kept_file in app.ws.kept_sort.glob("*.groups"):
            kept_file.unlink()  # else the worker finds the last one's grouping kept and leaves it there
        return _head(app)[0]

    edited = [dataclasses.replace(unique[0], title=unique[0].title + " (updated)"), *unique[1:]]
    for items, at in ((edited, threshold), (unique[1:], threshold), (unique, threshold / 2)):
        head = grouping_head()
        assert head.take_groups(items, at) is None
        head.close()
    head = grouping_head()
    assert head.take_groups(unique, threshold) is not None
    assert head.take_groups(unique, threshold) is None  # an answer is taken once
    head.close()
    kept_file = kept.path(app.ws.kept_sort, WEEK)
    grouped = kept.read(kept_file, kept.groups_key(unique, threshold), len(unique))
    assert grouped is not None  # the last worker kept its grouping, as a ranking does
    head = _head(app)[0]
    assert head.take_groups(unique, threshold) == grouped  # the next one reads it there
    head.close()


def test_closing_the_app_ends_a_head_start_no_ranking_took(app) -> None:
    # `newsletter preview` starts its head start before it binds its port: a port in use ends the command
    # at once, its workers with it, not once they have grouped and labelled the week.
    head = app.sort_ahead(WEEK) or _head(app)[0]
    app.head_start = head
    app.close()
    assert app.head_start is None and head.closed
    deadline = time.monotonic() + 30  # their lifeline cut, the workers exit on their own
    while multiprocessing.active_children() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not multiprocessing.active_children()
