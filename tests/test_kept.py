"""A week's clustering kept on disk (sort/kept.py): the next process ranking the same items takes it, and
any change to what it was grouped from (an item added or edited, another threshold) has the week grouped
again; labels, overrides and seeds are applied after the grouping, so the ranking is always the one made
without the kept file."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import pickle
from pathlib import Path

import pytest

from newsletter.app import Newsletter
from newsletter.models import Item, SourceHealth, Week
from newsletter.sort import clustering, kept, stamped
from newsletter.store import Override, Store
from newsletter.workspace import Workspace

WEEK = Week.parse("2026-W47")


def _fresh(app: Newsletter) -> Newsletter:
    """Another process on the same workspace: nothing held in memory."""
    return Newsletter(Workspace.open(app.ws.root), now=app._now)


def _ranked(app: Newsletter, *, scratch: bool = False) -> tuple[list, int]:
    """The week ranked by a new app; scratch: with no kept grouping to take (the ranking as before)."""
    if scratch:
        for path in app.ws.kept_sort.glob("*"):
            path.unlink()
    nl = _fresh(app)
    try:
        return nl.ranked_week(WEEK)
    finally:
        nl.close()


def _unique(app: Newsletter) -> list[Item]:
    return clustering.dedupe(app.week_items(WEEK))


def _store(app: Newsletter, item: Item) -> None:
    app.store.save_fetch(item.source_id, [item], SourceHealth(item.source_id), app.now())


def test_a_ranking_keeps_its_grouping_and_the_next_process_takes_it(fetched_app: Newsletter) -> None:
    first = fetched_app.ranked_week(WEEK)
    path = kept.path(fetched_app.ws.kept_sort, WEEK)
    assert path.exists()
    assert _ranked(fetched_app) == first  # taken: the very ranking
    # Taken indeed: a grouping planted under the right key (every item a story of its own) is what ranks.
    unique = _unique(fetched_app)
    key = kept.groups_key(unique, fetched_app.settings().ranking.cluster_threshold)
    assert key is not None
    kept.save(path, key, [[i] for i in range(len(unique))])
    stories, _ = _ranked(fetched_app)
    assert len(stories) == len(unique) > len(first[0])


@pytest.mark.parametrize("damage", ["truncated", "garbage", "empty", "not a partition", "other key"])
def test_a_damaged_or_stale_file_is_ignored_and_replaced(fetched_app: Newsletter, damage: str) -> None:
    first = fetched_app.ranked_week(WEEK)
    path = kept.path(fetched_app.ws.kept_sort, WEEK)
    good = path.read_bytes()
    unique = _unique(fetched_app)
    key = kept.groups_key(unique, fetched_app.settings().ranking.cluster_threshold)
    assert key is not None
    if damage == "truncated":
        path.write_bytes(good[:-7])
    elif damage == "garbage":
        path.write_bytes(b"\x00\xff" * 50)
    elif damage == "empty":
        path.write_bytes(b"")
    elif damage == "not a partition":  # a well-formed file that leaves an item out
        kept.save(path, key, [[i] for i in range(len(unique) - 1)])
    else:
        kept.save(path, "0" * 64, [[i] for i in range(len(unique))])
    assert kept.read(path, key, len(unique)) is None
    assert _ranked(fetched_app) == first
    assert path.read_bytes() == good  # grouped again, and kept again


def test_an_added_or_edited_item_is_grouped_afresh(fetched_app: Newsletter) -> None:
    fetched_app.ranked_week(WEEK)
    unique = _unique(fetched_app)
    threshold = fetched_app.settings().ranking.cluster_threshold
    before = kept.groups_key(unique, threshold)
    # An item told again by another outlet, later: it joins the story it tells.
    copy = dataclasses.replace(unique[0], id="kept-test-copy", guid="kept-test-copy", url="https://x.test/c")
    _store(fetched_app, copy)
    assert kept.groups_key(_unique(fetched_app), threshold) != before
    added = _ranked(fetched_app)
    assert any(i.id == copy.id for s in added[0] for i in s.items)
    assert added == _ranked(fetched_app, scratch=True)
    # The same item's headline rewritten by its feed: a key of its own, and a ranking as from scratch.
    edited = dataclasses.replace(copy, title="Typhoon shuts Taipei chip plants for a week")
    _store(fetched_app, edited)
    assert any(i.title == edited.title for i in _unique(fetched_app))
    assert kept.groups_key(_unique(fetched_app), threshold) not in (before, None)
    rewritten = _ranked(fetched_app)
    assert rewritten != added
    assert rewritten == _ranked(fetched_app, scratch=True)


def test_the_key_reads_each_field_grouping_reads(fetched_app: Newsletter) -> None:
    unique = _unique(fetched_app)
    key = kept.groups_key(unique, 0.5)
    first = unique[0]
    others = [
        [dataclasses.replace(first, summary="Other words. " + first.summary), *unique[1:]],
        [dataclasses.replace(first, source_id="elsewhere"), *unique[1:]],
        [dataclasses.replace(first, published=None), *unique[1:]],
        [dataclasses.replace(first, id=first.id + "x"), *unique[1:]],
        [*unique[1:], first],  # the same items in another order: indices mean other items
        unique[1:],
    ]
    keys = {kept.groups_key(items, 0.5) for items in others} | {kept.groups_key(unique, 0.6)}
    assert key not in keys and len(keys) == len(others) + 1
    # What neither grouping nor labelling reads leaves the key as it is: the item's url, its labels.
    same = dataclasses.replace(first, url="https://elsewhere.test/", labels=None, story_id="x")
    assert kept.groups_key([same, *unique[1:]], 0.5) == key
    assert kept.groups_key(unique, 0.5, kept.items_digest(unique)) == key


def test_labels_and_seeds_apply_to_a_kept_grouping(fetched_app: Newsletter) -> None:
    fetched_app.ranked_week(WEEK)
    item = _unique(fetched_app)[0]
    fetched_app.label(item.id, region="japan")
    labelled = _ranked(fetched_app)
    assert next(i for s in labelled[0] for i in s.items if i.id == item.id).labels.region == "japan"
    assert labelled == _ranked(fetched_app, scratch=True)
    seeds = fetched_app.ws.root / "seeds"
    sources = seeds / "sources.toml"
    sources.write_text(sources.read_text().replace("weight = 1.4", "weight = 0.3", 1))
    reweighed = _ranked(fetched_app)
    assert reweighed != labelled
    assert reweighed == _ranked(fetched_app, scratch=True)
    taxonomy = seeds / "taxonomy.toml"
    taxonomy.write_text(taxonomy.read_text().replace("tech_min = 3.5", "tech_min = 50.0", 1))
    gated = _ranked(fetched_app)  # the gate asks for far more evidence: every verdict changes
    assert gated != reweighed
    assert gated == _ranked(fetched_app, scratch=True)


def test_a_folder_that_refuses_the_file_is_done_without(fetched_app: Newsletter, tmp_path: Path) -> None:
    blocked = fetched_app.ws.kept_sort
    blocked.parent.mkdir(parents=True, exist_ok=True)
    blocked.write_text("a file where the folder should be")
    first = fetched_app.ranked_week(WEEK)
    assert _ranked(fetched_app) == first
    assert blocked.read_text() == "a file where the folder should be"


def _label_key(app: Newsletter) -> tuple[str, list[Item]]:
    unique = _unique(app)
    sorter = app._sorter()
    key = kept.labels_key(sorter.classifier.key, sorter.sources, sorter.settings.focus, app.store.overrides())
    assert key is not None
    return key, unique


def test_kept_labels_are_taken_by_the_next_process(fetched_app: Newsletter) -> None:
    first = fetched_app.ranked_week(WEEK)
    path = kept.path(fetched_app.ws.kept_sort, WEEK, "labels")
    assert path.exists()
    assert _ranked(fetched_app) == first
    # Taken indeed: labels planted under the right key (every item filed under Japan) are what ranks.
    key, unique = _label_key(fetched_app)
    found = kept.read_labels(path, key)
    assert found is not None and set(found) == set(kept.fingerprints(unique))
    planted = {fp: (dataclasses.replace(lab, region="japan"), v, sig) for fp, (lab, v, sig) in found.items()}
    kept.save_labels(path, key, planted)
    ranked, _ = _ranked(fetched_app)
    assert {i.labels.region for s in ranked for i in s.items} == {"japan"}


def test_a_week_a_fetch_added_to_labels_only_its_new_items(fetched_app: Newsletter) -> None:
    first = fetched_app.ranked_week(WEEK)
    path = kept.path(fetched_app.ws.kept_sort, WEEK, "labels")
    key, unique = _label_key(fetched_app)
    found = kept.read_labels(path, key)
    assert found is not None
    # Plant Japan on every kept item; then a fetch edits one item's headline: that one alone is labelled
    # again (it is not Japanese news), the others keep what was kept.
    planted = {fp: (dataclasses.replace(lab, region="japan"), v, sig) for fp, (lab, v, sig) in found.items()}
    kept.save_labels(path, key, planted)
    edited = unique[0]
    with Store(fetched_app.db_path) as store:
        store.save_fetch(
            edited.source_id,
            [dataclasses.replace(edited, title=edited.title + " (updated)")],
            SourceHealth(edited.source_id),
            dt.datetime.now(dt.UTC),
        )
    ranked, _ = _ranked(fetched_app)
    regions = {i.id: i.labels.region for s in ranked for i in s.items}
    assert regions[edited.id] == next(i for s in first[0] for i in s.items if i.id == edited.id).labels.region
    assert regions[edited.id] != "japan" and {r for i, r in regions.items() if i != edited.id} == {"japan"}
    assert len(kept.read_labels(path, key) or {}) == len(unique)  # the week's items as they are now


def test_labels_key_reads_what_labelling_reads(fetched_app: Newsletter) -> None:
    key, unique = _label_key(fetched_app)
    sorter = fetched_app._sorter()
    classifier_key, by_id, focus = sorter.classifier.key, sorter.sources, sorter.settings.focus
    first = unique[0]
    source = by_id[first.source_id]
    others = [
        kept.labels_key("other taxonomy", by_id, focus, {}),
        kept.labels_key(
            classifier_key, {**by_id, source.id: dataclasses.replace(source, weight=9.0)}, focus, {}
        ),
        kept.labels_key(classifier_key, by_id, dataclasses.replace(focus, asia=not focus.asia), {}),
        kept.labels_key(classifier_key, by_id, focus, {first.id: Override(first.id, "japan", None)}),
    ]
    assert None not in others and len({key, *others}) == len(others) + 1
    assert kept.labels_key(None, by_id, focus, {}) is None  # a taxonomy of unknown bytes: not kept
    # Each item's fingerprint reads its id, source and text: another of any is another entry.
    fp = kept.fingerprints([first])[0]
    changed = [
        dataclasses.replace(first, summary=first.summary + " more"),
        dataclasses.replace(first, title=first.title + "!"),
        dataclasses.replace(first, source_id="other"),
        dataclasses.replace(first, id="other"),
    ]
    assert fp not in kept.fingerprints(changed) and len(set(kept.fingerprints(changed))) == len(changed)


@pytest.mark.parametrize("damage", ["truncated", "other class", "not a mapping"])
def test_damaged_labels_are_ignored_and_replaced(fetched_app: Newsletter, damage: str) -> None:
    first = fetched_app.ranked_week(WEEK)
    path = kept.path(fetched_app.ws.kept_sort, WEEK, "labels")
    good = path.read_bytes()
    key, unique = _label_key(fetched_app)
    labels = kept.read_labels(path, key)
    assert labels is not None
    if damage == "truncated":
        path.write_bytes(good[:-9])
    elif damage == "other class":  # a well-formed file naming what a label file never holds
        stamped.write(path, kept.LABELS_FORMAT, key, lambda: pickle.dumps({b"x": (Path("/"), None, ())}))
    else:
        stamped.write(path, kept.LABELS_FORMAT, key, lambda: pickle.dumps([(None, None, ())] * len(unique)))
    assert kept.read_labels(path, key) is None
    assert _ranked(fetched_app) == first
    assert kept.read_labels(path, key) == labels  # labelled again, and kept again


def test_a_focus_edit_labels_again(fetched_app: Newsletter) -> None:
    first = fetched_app.ranked_week(WEEK)
    toml = fetched_app.ws.root / "seeds" / "newsletter.toml"
    text = toml.read_text()
    assert "\nasia = true " in text
    toml.write_text(text.replace("\nasia = true ", "\nasia = false ", 1))
    unfocused = _ranked(fetched_app)
    assert unfocused != first
    assert unfocused == _ranked(fetched_app, scratch=True)


def test_only_the_weeks_most_recently_ranked_are_kept(tmp_path: Path) -> None:
    folder = tmp_path / "kept"
    folder.mkdir()
    for n in range(1, 16):  # fifteen weeks ranked one after another, week 1 first
        for suffix in ("groups", "labels"):
            f = folder / f"2026-W{n:02d}.{suffix}"
            f.write_bytes(b"x")
            os.utime(f, (1_000_000 + n, 1_000_000 + n))
    kept.save(kept.path(folder, Week(2026, 1)), "key", [[0]])  # week 1 ranked again: now the newest
    names = {f.name for f in folder.iterdir()}
    weeks = {name.split(".")[0] for name in names}
    assert len(weeks) == kept.KEEP_WEEKS and "2026-W01" in weeks and "2026-W15" in weeks
    assert "2026-W04" not in weeks  # the oldest go, each with both its files
    assert all(f"{w}.groups" in names and f"{w}.labels" in names for w in weeks)
    assert kept.read(kept.path(folder, Week(2026, 1)), "key", 1) == [[0]]
