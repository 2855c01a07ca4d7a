"""Facts clustering reads of each item: stored once, read back equal, recomputed when the text changes."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import sqlite3
from pathlib import Path

import pytest

from newsletter.app import Newsletter
from newsletter.models import UTC, Item, SourceHealth, Week
from newsletter.sort import clustering
from newsletter.sort.facts import (
    FACTS_VERSION,
    Facts,
    counts_of,
    decode_counts,
    decode_stated,
    encode_counts,
    encode_stated,
    stated_of,
)
from newsletter.sort.forked import Forked, can_fork
from newsletter.store import MIGRATIONS, Store

DATA = Path(__file__).parent / "data"
WHEN = dt.datetime(2026, 3, 3, tzinfo=UTC)


def pair_items() -> list[Item]:
    """Both sides of every labelled story pair (English, Chinese, Japanese, Korean), one item each."""
    rows = [json.loads(line) for line in (DATA / "story_pairs.jsonl").read_text("utf-8").splitlines()]
    return [
        Item(f"{2 * n + k:016x}", side.get("source") or f"s{k}", "", side["title"], side["summary"], WHEN)
        for n, row in enumerate(rows)
        for k, side in enumerate((row["a"], row["b"]))
    ]


def _plain(stated: tuple) -> tuple:
    """A statement with its collections as sets, so a stored and a computed one compare."""
    nm, *rest = stated
    names = (nm.found, nm.title, nm.initial, nm.places, frozenset(nm.lower))
    return (names, *rest)


def test_stored_facts_read_back_as_computed() -> None:
    for it in pair_items():
        counts, stated = counts_of(it), stated_of(it)
        back = decode_counts(encode_counts(counts))
        assert back == counts and list(back) == list(counts)  # the order sums are taken in is kept
        assert _plain(decode_stated(encode_stated(stated))) == _plain(stated)
        assert [f.rounding for f in decode_stated(encode_stated(stated))[1]] == [
            f.rounding for f in stated[1]
        ]


def _stored(items: list[Item]) -> dict[str, tuple[int, str, str | None]]:
    facts = Facts()
    clustering.group(items, facts=facts)  # reads every item's counts and the statements of compared ones
    return {item_id: (key, counts, stated) for item_id, _v, key, counts, stated in facts.fresh()}


def test_stories_from_stored_facts_equal_stories_from_the_text() -> None:
    items = pair_items()
    rows = _stored(items)
    assert sum(1 for _k, _c, s in rows.values() if s is not None) > len(items) / 2
    fresh = Facts(rows)
    assert clustering.group(items, facts=fresh) == clustering.group(items)
    assert fresh.fresh() == []  # nothing was read again


@pytest.mark.parametrize("keep", [True, False])
def test_facts_kept_or_let_go_give_the_same_stories(keep: bool) -> None:
    items = pair_items()
    fresh = Facts(keep=keep)
    assert clustering.group(items, facts=fresh) == clustering.group(items)
    rows = {item_id: (key, counts, stated) for item_id, _v, key, counts, stated in fresh.fresh()}
    assert rows == _stored(items)  # everything read is given to store, kept or not
    stored = Facts(rows, keep=keep)
    assert clustering.group(items, facts=stored) == clustering.group(items)
    assert stored.fresh() == []


def test_a_changed_text_is_read_again() -> None:
    items = pair_items()[:40]
    rows = _stored(items)
    changed = dataclasses.replace(items[0], title=items[0].title + " to buy Grab for $2bn")
    facts = Facts(rows)
    assert facts.counts(changed) == counts_of(changed) != counts_of(items[0])
    assert [row[0] for row in facts.fresh()] == [changed.id]


def test_a_damaged_row_is_read_again() -> None:
    it = pair_items()[0]
    ((key, _counts, _stated),) = _stored([it]).values()
    facts = Facts({it.id: (key, "\x1fok", "[not json")})
    stated = facts.stated([it], lambda todo: [stated_of(x) for x in todo])
    assert _plain(stated[0]) == _plain(stated_of(it))


NOW = dt.datetime(2026, 3, 4, tzinfo=UTC)


def test_a_build_stores_facts_and_the_next_reads_them(app: Newsletter) -> None:
    items = [dataclasses.replace(it, url=f"https://example.com/{it.id}") for it in pair_items()[:60]]
    app.store.save_fetch("wire", items, SourceHealth("wire"), NOW)
    week = Week.of(WHEN, UTC)
    first = app.stories(app.week_items(week), week)
    stored = app.store.facts([it.id for it in items], FACTS_VERSION)
    assert set(stored) == {it.id for it in items}
    assert app.store.facts([it.id for it in items], FACTS_VERSION + 1) == {}  # another version: none
    later = Newsletter(app.ws, now=app.now)  # a new process: only the store carries the facts
    later.facts_cache = Facts()  # as a desk would keep them
    try:
        assert [s.items for s in later.stories(later.week_items(week), week)] == [s.items for s in first]
        assert later.facts_cache.fresh() == []
        assert [s.items for s in later.stories(later.week_items(week), week)] == [s.items for s in first]
    finally:
        later.close()


def test_save_facts_skips_items_the_store_does_not_hold(tmp_path: Path) -> None:
    with Store(tmp_path / "s.sqlite3") as store:
        assert store.save_facts([("00000000000000aa", FACTS_VERSION, 1, "\x1fa", None)])
        assert store.facts(["00000000000000aa"], FACTS_VERSION) == {}


def test_a_version_2_store_migrates_and_its_items_get_facts_on_first_need(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    db = sqlite3.connect(path)
    for script in MIGRATIONS[:2]:
        db.executescript(script)
    db.execute(
        "INSERT INTO items (id, source_id, url, title, summary, published, first_seen, last_seen)"
        " VALUES ('00000000000000aa', 'a', 'https://example.com/x', 'Zepto raises $450m', 'S.', ?, ?, ?)",
        ("2026-03-03T12:00:00+00:00",) * 3,
    )
    db.execute("PRAGMA user_version = 2")
    db.commit()
    db.close()
    with Store(path) as store:
        assert store.facts(["00000000000000aa"], FACTS_VERSION) == {}
        (old,) = store.all_items()
        facts = Facts()
        clustering.group([old], facts=facts)
        assert store.save_facts(facts.fresh())
        assert set(store.facts([old.id], FACTS_VERSION)) == {old.id}


def _pid_and_square(n: int) -> tuple[int, int]:
    return os.getpid(), n * n


def test_forked_work_gives_what_work_here_gives() -> None:
    forks = can_fork()
    pid, value = Forked(lambda: _pid_and_square(7)).result()
    assert value == 49 and (pid != os.getpid()) == forks
    pid, value = Forked(lambda: _pid_and_square(7), parallel=False).result()
    assert (pid, value) == (os.getpid(), 49)


def test_forked_work_raises_what_it_raised() -> None:
    def fails() -> None:
        raise ValueError("no such thing")

    with pytest.raises(ValueError, match="no such thing"):
        Forked(fails).result()
