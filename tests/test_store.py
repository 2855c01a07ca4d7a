"""The SQLite store: a real file, migrations, dedup, health, overrides, crash safety."""

from __future__ import annotations

import dataclasses
import datetime as dt
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from newsletter.errors import ItemNotFound, StoreError
from newsletter.models import UTC, Item, SourceHealth, Week
from newsletter.store import MIGRATIONS, SCHEMA_VERSION, Store

NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def item(n: int, *, source: str = "a", guid: str = "", published: dt.datetime = NOW, title: str = "") -> Item:
    return Item(
        id=f"{n:016x}",
        source_id=source,
        url=f"https://example.com/{n}",
        title=title or f"Story {n}",
        summary=f"Summary {n}.",
        published=published,
        guid=guid,
        authors=("Ana", "Bo"),
        tags=("AI",),
    )


@pytest.fixture
def store(tmp_path: Path):
    s = Store(tmp_path / "store.sqlite3")
    yield s
    s.close()


def test_schema_version_and_wal(store: Store) -> None:
    db = sqlite3.connect(store.path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_newer_store_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    Store(path).close()
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.close()
    with pytest.raises(StoreError, match="newer than this newsletter"):
        Store(path)


def test_not_a_database_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="is not a store, or is damaged"):
        Store(path)


def test_round_trip_and_dedup(store: Store) -> None:
    health = SourceHealth("a", status="ok")
    assert store.save_fetch("a", [item(1), item(2)], health, NOW) == 2
    assert store.save_fetch("a", [item(1), item(2), item(3)], health, NOW) == 1
    got = {i.id: i for i in store.all_items()}
    assert len(got) == 3
    one = got[f"{1:016x}"]
    assert one.authors == ("Ana", "Bo") and one.tags == ("AI",)
    assert one.published == NOW and one.published.tzinfo is not None


def test_same_item_from_two_feeds_is_one_and_keeps_first_source(store: Store) -> None:
    store.save_fetch("a", [item(1)], SourceHealth("a"), NOW)
    assert store.save_fetch("b", [item(1, source="b", title="Other")], SourceHealth("b"), NOW) == 0
    [only] = store.all_items()
    assert only.source_id == "a" and only.title == "Story 1"


def test_long_guid_merges_across_urls_short_guid_does_not(store: Store) -> None:
    store.save_fetch("a", [item(1, guid="urn:uuid:1234-5678")], SourceHealth("a"), NOW)
    assert store.save_fetch("a", [item(2, guid="urn:uuid:1234-5678")], SourceHealth("a"), NOW) == 0
    store.save_fetch("a", [item(3, guid="42")], SourceHealth("a"), NOW)
    assert store.save_fetch("b", [item(4, source="b", guid="42")], SourceHealth("b"), NOW) == 1
    assert store.count_items() == 3


def test_week_range_uses_publication_time(store: Store) -> None:
    tz = dt.timezone(dt.timedelta(hours=8))
    week = Week.parse("2026-W47")
    start, end = week.bounds(tz)
    inside = [item(1, published=start), item(2, published=end - dt.timedelta(seconds=1))]
    outside = [item(3, published=start - dt.timedelta(seconds=1)), item(4, published=end)]
    store.save_fetch("a", inside + outside, SourceHealth("a"), NOW)
    assert {i.id for i in store.items_between(start, end)} == {i.id for i in inside}
    assert store.count_between(start, end) == 2
    plan = sqlite3.connect(store.path).execute(
        "EXPLAIN QUERY PLAN SELECT id FROM items WHERE published >= ? AND published < ?", ("a", "b")
    )
    assert "items_published" in " ".join(str(r) for r in plan)


def test_latest_published_ignores_future(store: Store) -> None:
    store.save_fetch("a", [item(1), item(2, published=NOW + dt.timedelta(days=400))], SourceHealth("a"), NOW)
    assert store.latest_published(before=NOW + dt.timedelta(days=1)) == NOW


def test_health_round_trip_with_counts(store: Store) -> None:
    h = SourceHealth(
        "a",
        status="failing",
        last_attempt=NOW,
        failing_since=NOW,
        consecutive_failures=2,
        last_error="HTTP 500",
        etag='"x"',
        moved_to="https://new.example/feed",
        redirect_streak=2,
    )
    store.save_fetch("a", [item(1), item(2)], h, NOW)
    got = store.health()["a"]
    assert got.status == "failing" and got.consecutive_failures == 2 and got.etag == '"x"'
    assert got.failing_since == NOW and got.item_count == 2 and got.last_new == 2
    store.forget_health("a")
    assert store.health()["a"].status == "never" and store.health()["a"].item_count == 2


def test_overrides_merge_parts_and_clear(store: Store) -> None:
    store.save_fetch("a", [item(1)], SourceHealth("a"), NOW)
    iid = f"{1:016x}"
    store.set_override(iid, "japan", None, NOW)
    store.set_override(iid, None, ("ipo",), NOW)
    assert store.overrides()[iid].region == "japan" and store.overrides()[iid].themes == ("ipo",)
    store.save_fetch("a", [item(1, title="Updated")], SourceHealth("a"), NOW)
    assert iid in store.overrides(), "a re-fetch must keep the editor's labels"
    assert store.clear_override(iid) and not store.overrides()
    with pytest.raises(ItemNotFound):
        store.set_override("nope", "japan", None, NOW)


def test_killed_writer_leaves_a_consistent_store(tmp_path: Path) -> None:
    """SIGKILL in the middle of a source's transaction: the store opens, the source is all or nothing."""
    path = tmp_path / "s.sqlite3"
    Store(path).close()
    script = textwrap.dedent(
        f"""
        import datetime as dt, os, signal
        from newsletter.store import Store
        from newsletter.models import Item, SourceHealth, UTC
        now = dt.datetime(2026, 11, 20, tzinfo=UTC)
        items = [Item(id=f"{{n:016x}}", source_id="a", url=f"https://e.com/{{n}}", title="t",
                      summary="s", published=now) for n in range(5000)]
        store = Store({str(path)!r})
        inserted = []
        def trace(statement):
            if statement.startswith("INSERT INTO items"):
                inserted.append(1)
                if len(inserted) == 2500:  # half the rows are written, the transaction still open
                    os.kill(os.getpid(), signal.SIGKILL)
        store._db.set_trace_callback(trace)
        store.save_fetch("a", items, SourceHealth("a"), now)
        """
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True)
    assert proc.returncode == -9
    with Store(path) as s:
        assert s.count_items() == 0
        assert s.save_fetch("a", [item(1)], SourceHealth("a"), NOW) == 1
        assert sqlite3.connect(path).execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_version_1_store_migrates_and_keeps_its_items(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    db = sqlite3.connect(path)
    db.executescript(MIGRATIONS[0])
    db.execute(
        "INSERT INTO items (id, source_id, url, title, summary, published, first_seen, last_seen)"
        " VALUES ('00000000000000aa', 'a', 'https://example.com/x', 'Old', 'S.', ?, ?, ?)",
        ("2026-11-20T12:00:00+00:00",) * 3,
    )
    db.execute("PRAGMA user_version = 1")
    db.commit()
    db.close()
    with Store(path) as migrated:
        (old,) = migrated.items_between(NOW - dt.timedelta(days=1), NOW + dt.timedelta(days=1))
        assert (old.title, old.published, old.dated) == ("Old", NOW, "entry")


def test_undated_items_are_kept_but_in_no_week(store: Store) -> None:
    undated = dataclasses.replace(item(1), published=None, dated="undated")
    store.save_fetch("a", [undated, item(2)], SourceHealth("a"), NOW)
    assert [i.id for i in store.items_between(NOW - dt.timedelta(days=7), NOW + dt.timedelta(days=7))] == [
        item(2).id
    ]
    assert [(i.id, i.published) for i in store.all_items()] == [(item(2).id, NOW), (undated.id, None)]


def test_items_read_back_are_whole_items(store: Store) -> None:
    """Rows become Items without Item.__init__ (for speed): every field is there, equal to the one saved."""
    saved = dataclasses.replace(item(1), content_html="<p>x</p>", image="https://example.com/i.jpg")
    store.save_fetch("a", [saved], SourceHealth("a"), NOW)
    (read,) = store.all_items()
    assert list(vars(read)) == [f.name for f in dataclasses.fields(Item)]
    assert read == dataclasses.replace(saved, source_id="a") and hash(read) == hash(saved)


def test_a_new_store_appears_whole(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "s.sqlite3"
    Store(path).close()
    assert sorted(p.name for p in path.parent.iterdir()) == ["s.sqlite3"], "no temporary files left"
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_zero_byte_store_is_refused_not_silently_made_new(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    path.write_bytes(b"")
    with pytest.raises(StoreError, match=r"is empty \(0 bytes\).*label overrides") as err:
        Store(path)
    assert "\n" not in str(err.value)
    assert path.read_bytes() == b"", "the file is left for the editor to restore"


def _damage(path: Path) -> None:
    """Overwrite a few pages in the middle of the file, as a bad disk or a torn copy would."""
    data = bytearray(path.read_bytes())
    page = 4096
    middle = (len(data) // page // 2) * page
    data[middle : middle + 3 * page] = b"\xa5" * (3 * page)
    path.write_bytes(bytes(data))


def test_damaged_store_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    with Store(path) as s:
        s.save_fetch("a", [item(n, title="Story " * 40) for n in range(2000)], SourceHealth("a"), NOW)
        s.set_override(item(3).id, "japan", None, NOW)
    _damage(path)
    with pytest.raises(StoreError, match=r"is damaged .*\.recover") as err:
        s = Store(path)
        s.all_items()
        s.set_override(item(4).id, "japan", None, NOW)
    assert "\n" not in str(err.value) and str(path) in str(err.value)
