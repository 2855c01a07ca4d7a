"""Newsletter.fetch end to end against a real HTTP server on 127.0.0.1: store, health, 410, 301, workers."""

from __future__ import annotations

import datetime as dt
import multiprocessing as mp
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from httpserver import HTTPServer, Reply  # tests/ is on sys.path under pytest

from newsletter.app import Newsletter
from newsletter.feeds import httpfetch
from newsletter.feeds.intake import PARALLEL_PARSE_MIN, REDIRECTS_BEFORE_MOVE, SourceOutcome
from newsletter.models import UTC, Source
from newsletter.workspace import Workspace

NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=UTC)

GOOD = PARALLEL_PARSE_MIN + 2  # enough sources, with the broken ones, for the worker processes
ITEMS = 3


def feed(n: int) -> bytes:
    items = "".join(
        f"<item><title>Wire {n} story {i}: TSMC expands in Kumamoto</title>"
        f"<link>https://wire{n}.example.com/story-{i}</link>"
        f"<description>&lt;p&gt;Story {i} of desk {n}. Shares rose.&lt;/p&gt;</description>"
        f"<pubDate>Mon, 16 Nov 2026 0{i}:00:00 GMT</pubDate></item>"
        for i in range(ITEMS)
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Wire {n}</title>'
        f"<link>https://wire{n}.example.com/</link>{items}</channel></rss>"
    ).encode()


@pytest.fixture(autouse=True)
def fast_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(httpfetch, "BACKOFF_BASE", 0.01)


@pytest.fixture
def server() -> Iterator[HTTPServer]:
    with HTTPServer() as srv:
        yield srv


def workspace(tmp_path: Path, sources: list[Source]) -> Workspace:
    """A workspace whose [fetch] settings give up fast, listing these sources."""
    ws = Workspace.init(tmp_path / "ws", sample=True)
    text = ws.settings_path.read_text(encoding="utf-8")
    for old, new in (("timeout = 20.0", "timeout = 0.5"), ("retries = 3", "retries = 1")):
        assert old in text, f"the packaged newsletter.toml no longer has {old!r}"
        text = text.replace(old, new)
    ws.settings_path.write_text(text, encoding="utf-8")
    assert ws.settings().fetch.timeout == 0.5
    ws.save_sources(sources)
    return ws


@pytest.fixture
def scene(server: HTTPServer, tmp_path: Path) -> Iterator[tuple[Newsletter, HTTPServer]]:
    sources = []
    for n in range(GOOD):
        url = server.route(f"/feed/{n}.xml", Reply(body=feed(n), etag=f'"v{n}"'))
        sources.append(Source(id=f"wire-{n}", name=f"Wire {n}", url=url))
    moved_to = server.route("/new.xml", Reply(body=feed(99), etag='"moved"'))
    bad = {
        "error": server.route("/error.xml", Reply(500, b"oops", "text/plain")),
        "missing": server.route("/missing.xml", Reply(404, b"no", "text/plain")),
        "removed": server.route("/removed.xml", Reply(410, b"gone", "text/plain")),
        "garbage": server.route(
            "/garbage.xml", Reply(body=b"\x00\x01 not a feed at all", content_type="text/plain")
        ),
        "stalled": server.route("/stalled.xml", Reply(body=feed(98), stall=3.0)),
        "moving": server.route("/old.xml", Reply(301, headers=(("Location", moved_to),))),
    }
    sources += [Source(id=sid, name=sid.title(), url=url) for sid, url in bad.items()]
    app = Newsletter(workspace(tmp_path, sources), db=tmp_path / "store.sqlite3", now=lambda: NOW)
    yield app, server
    app.close()


def test_fetch_stores_good_feeds_and_names_each_failure(scene: tuple[Newsletter, HTTPServer]) -> None:
    app, server = scene
    seen_workers = []

    def progress(outcome: SourceOutcome) -> None:
        seen_workers.append(len(mp.active_children()))

    summary = app.fetch(progress=progress)
    status = {o.source.id: o for o in summary.outcomes}
    assert len(status) == GOOD + 6, "every source has exactly one outcome"
    for n in range(GOOD):
        assert status[f"wire-{n}"].status == "ok" and status[f"wire-{n}"].new == ITEMS
    assert status["moving"].status == "ok" and status["moving"].new == ITEMS
    assert summary.new == (GOOD + 1) * ITEMS == app.store.count_items()
    counts = app.store.item_counts()
    assert all(counts[f"wire-{n}"] == ITEMS for n in range(GOOD))
    item = app.store.get_item(next(i.id for i in app.store.all_items() if i.source_id == "wire-3"))
    assert item.url.startswith("https://wire3.example.com/story-") and item.summary.startswith("Story ")

    reasons = {o.source.id: o.error or "" for o in summary.failed}
    assert set(reasons) == {"error", "missing", "removed", "garbage", "stalled"}
    assert "500" in reasons["error"]
    assert "404" in reasons["missing"]
    assert "410" in reasons["removed"] and status["removed"].status == "gone"
    assert "not an RSS, Atom or JSON feed" in reasons["garbage"]
    assert "timed out" in reasons["stalled"]
    assert f"{GOOD + 1} ok" in summary.line() and "4 failed" in summary.line() and "1 gone" in summary.line()
    health = app.store.health()
    assert health["error"].status == "failing" and health["error"].consecutive_failures == 1
    assert health["removed"].status == "gone"
    assert health["moving"].status == "moved" and health["moving"].moved_to == server.url("/new.xml")
    if (os.cpu_count() or 1) > 1:
        assert max(seen_workers) > 0, f"{len(status)} sources should be parsed in worker processes"


def test_second_fetch_is_conditional_and_skips_gone(scene: tuple[Newsletter, HTTPServer]) -> None:
    app, server = scene
    app.fetch()
    server.reset_counts()
    again = app.fetch()
    assert again.count("not_modified") == GOOD + 1  # the good feeds and the redirected one
    assert again.new == 0 and again.count("ok") == 0
    for n in range(GOOD):
        (request,) = server.requests(f"/feed/{n}.xml")
        assert request.header("If-None-Match") == f'"v{n}"'
    removed = next(o for o in again.outcomes if o.source.id == "removed")
    assert removed.status == "skipped" and "enable" in (removed.error or "")
    assert server.requests("/removed.xml") == [], "a gone source is not requested again"

    app.set_enabled("removed", True)
    server.reset_counts()
    third = app.fetch()
    assert len(server.requests("/removed.xml")) == 1, "re-enabling a gone source retries it"
    assert next(o for o in third.outcomes if o.source.id == "removed").status == "gone"


def test_permanent_redirect_moves_the_source_after_three_fetches(
    scene: tuple[Newsletter, HTTPServer],
) -> None:
    app, server = scene
    old_url, new_url = server.url("/old.xml"), server.url("/new.xml")
    for run in range(1, REDIRECTS_BEFORE_MOVE):
        app.fetch(["moving"])
        assert next(s for s in app.sources() if s.id == "moving").url == old_url, f"moved after {run} fetches"
    summary = app.fetch(["moving"])
    assert summary.outcomes[0].moved_to == new_url
    assert next(s for s in app.sources() if s.id == "moving").url == new_url
    assert new_url in app.ws.sources_path.read_text(encoding="utf-8")
    server.reset_counts()
    after = app.fetch(["moving"])
    assert after.outcomes[0].status == "not_modified" and after.outcomes[0].moved_to is None
    assert server.requests("/old.xml") == [] and len(server.requests("/new.xml")) == 1
    # A few sources are parsed inline, without worker processes; their items arrived all the same.
    assert app.store.item_counts()["moving"] == ITEMS


def _children() -> dict[int, list[int]]:
    """Every process's children, from /proc."""
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue  # ended while we looked
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            tree.setdefault(ppid, []).append(int(entry.name))
    return tree


def _descendants(pid: int) -> list[int]:
    tree, found, todo = _children(), [], [pid]
    while todo:
        for child in tree.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"  # a zombie has ended; only its exit status waits for a parent to collect it


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads the process tree from /proc (Linux)")
@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="with one CPU fetch parses inline: no workers to leave")
@pytest.mark.parametrize(
    ("sig", "group", "code"),
    [
        (signal.SIGKILL, False, -signal.SIGKILL),  # kill -9 PID
        (signal.SIGTERM, False, 128 + signal.SIGTERM),  # kill PID
        (signal.SIGINT, True, 130),  # Ctrl-C: the terminal signals the whole process group
    ],
    ids=["SIGKILL", "SIGTERM", "SIGINT"],
)
def test_a_killed_fetch_leaves_nothing_behind(
    server: HTTPServer, tmp_path: Path, sig: signal.Signals, group: bool, code: int
) -> None:
    # One source answers only after ten minutes, so fetch is mid-run (its parse workers idle, waiting
    # for more) when the signal comes. Nothing it started may outlive it: not the workers, the
    # forkserver or the resource tracker; and a fetch asked to stop stops now, not after the download.
    sources = [
        Source(id=f"wire-{n}", name=f"Wire {n}", url=server.route(f"/f/{n}.xml", Reply(body=feed(n))))
        for n in range(PARALLEL_PARSE_MIN + 2)
    ]
    slow = server.route("/slow.xml", Reply(body=feed(1), delay=600))
    sources.append(Source(id="slow", name="Slow", url=slow))
    ws = workspace(tmp_path, sources)
    ws.settings_path.write_text(ws.settings_path.read_text().replace("timeout = 0.5", "timeout = 600.0"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSLETTER_")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "newsletter", "fetch"],
        cwd=ws.root,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a command typed in a terminal has
    )
    started: list[int] = []

    def workers() -> int:  # grandchildren: fetch starts a forkserver, which forks them
        return len(started) - len(_children().get(proc.pid, []))

    try:
        deadline = time.monotonic() + 60
        while (workers() < 2 or not server.requests("/slow.xml")) and time.monotonic() < deadline:
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            started = _descendants(proc.pid)
            time.sleep(0.05)
        assert workers() >= 2 and proc.poll() is None, "no parse workers were started"
        os.killpg(proc.pid, sig) if group else proc.send_signal(sig)
        _, err = proc.communicate(timeout=60)  # the slow download would take ten minutes
        assert proc.returncode == code, err
        assert "Traceback" not in err and "leaked" not in err or sig == signal.SIGKILL, err
        deadline = time.monotonic() + 20
        while any(_alive(pid) for pid in started) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not [pid for pid in started if _alive(pid)], "processes outlived the fetch"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for pid in started:  # what this test started and the fix failed to end: not left to others
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)


def test_a_source_named_twice_is_fetched_once(scene: tuple[Newsletter, HTTPServer]) -> None:
    app, server = scene
    summary = app.fetch(["wire-1", "wire-1", "wire-2"])
    assert [o.source.id for o in summary.outcomes].count("wire-1") == 1 and len(summary.outcomes) == 2
    assert len(server.requests("/feed/1.xml")) == 1
