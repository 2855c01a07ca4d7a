"""Benchmark the preview and the desk: first and next requests on a 10,000-item week, an action's round trip.

Run: .venv/bin/python bench/bench_desk.py [--items 10000] [--action-items 2000] [--actions 40]
Makes two workspaces whose stores hold one week of synthetic items that classify into regions and
themes (most pass the relevance gate, so the issue is full), then, with the real PreviewServer on
127.0.0.1 and Debian's Chromium through Playwright:

- the first preview request of the 10k week with no draft yet (ranks and drafts the week), and the
  next ones; the first desk request and the next ones; the desk page load in Chromium (navigation to
  the load event), first and next, in this process and from a real `newsletter preview` process
  started for it (navigating as soon as it prints its address: a process with no bench thread in it
  may fork its labelling at start, as an editor's does); the first preview request when the draft is
  already on disk; and a desk request after a fetch adds 100 items while the server runs (the week
  ranks again, labelling only the new items);
- baseline, measured in the same run: ranking the week (Newsletter.ranked_week), which every request
  that needs the plan cost before the ranking was kept, and a CLI redraft (`newsletter draft`);
- on the 2k week, the round trip of desk actions (add, move, up, down, lead, edit, drop, undo): from
  the click to the next frame after the new draft is on screen, measured in the page, median.

Timings are medians; goals: first request < 1 s, next < 100 ms, action round trip < 100 ms.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import http.client
import random
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_cluster import WEEK, synthetic  # noqa: E402

from newsletter.app import Newsletter  # noqa: E402
from newsletter.models import UTC, Item, SourceHealth  # noqa: E402
from newsletter.preview.server import PreviewServer  # noqa: E402
from newsletter.store import Store  # noqa: E402
from newsletter.workspace import Workspace  # noqa: E402

SOURCES = ["asia-tech-wire", "chip-street", "pacific-ledger", "monsoon-markets", "seoul-bytes"]
SOURCES += ["bharat-startup-daily"]
PLACES = ["Shenzhen", "Bengaluru", "Tokyo", "Seoul", "Taipei", "Jakarta", "Dhaka", "Singapore", "Hangzhou"]
PLACES += ["Mumbai", "Osaka", "Hanoi", "Manila", "Almaty"]
DEEDS = ["raises $%d million in Series B", "files for an IPO", "unveils an AI chip"]
DEEDS += ["launches a shopping app"]
DEEDS += ["buys a fintech start-up", "cuts 300 jobs", "opens a data centre", "wins an EV battery deal"]
CHROMIUM = Path("/usr/bin/chromium")
ACTIONS = ("add", "move", "up", "down", "lead", "edit", "drop", "undo")
LISTEN = "window.__done = []; document.addEventListener('desk:done', e => window.__done.push(e.detail))"


def week_items(n: int) -> list[Item]:
    """n items of WEEK that name a place and a deed, so they classify as Asian tech news of one kind."""
    _, end = WEEK.bounds(UTC)
    out = []
    for k, it in enumerate(synthetic(n)):
        rng = random.Random(it.tags[0])  # one event, one place and deed, whichever outlet tells it
        place, deed = rng.choice(PLACES), rng.choice(DEEDS)
        deed = deed % rng.randint(5, 900) if "%d" in deed else deed
        words = it.title.split()
        title = f"{words[0]} {deed} in {place}: {' '.join(words[1:5])}"
        published = min(it.published or end, end - dt.timedelta(minutes=1))
        out.append(
            dataclasses.replace(
                it,
                source_id=SOURCES[k % len(SOURCES)],
                title=title,
                summary=f"{words[0]} of {place} {deed}. {it.summary}",
                published=published,
                labels=None,
                tags=(),
            )
        )
    return out


def workspace(base: Path, name: str, n: int) -> Path:
    root = base / name
    Workspace.init(root)
    with Store(root / ".newsletter" / "store.sqlite3") as store:
        by_source: dict[str, list[Item]] = {}
        for it in week_items(n):
            by_source.setdefault(it.source_id, []).append(it)
        for sid, rows in by_source.items():
            store.save_fetch(sid, rows, SourceHealth(sid), dt.datetime.now(dt.UTC))
    return root


def get(port: int, path: str) -> float:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    t0 = time.perf_counter()
    conn.request("GET", path)
    resp = conn.getresponse()
    resp.read()
    secs = time.perf_counter() - t0
    conn.close()
    if resp.status != 200:
        sys.exit(f"GET {path}: {resp.status}")
    return secs


def ms(secs: float) -> str:
    return f"{secs * 1000:,.0f} ms"


def median_of(fn, runs: int = 5) -> float:
    return statistics.median(fn() for _ in range(runs))


def requests(root: Path) -> dict[str, float]:
    """First and next requests of the preview and the desk on a fresh server each time."""
    out: dict[str, float] = {}
    page, desk = f"/{WEEK}/atr", f"/{WEEK}/atr/desk"
    with PreviewServer(Newsletter(Workspace.open(root)), port=0, week=WEEK, style="atr", watch=False) as srv:
        out["preview first (no draft: ranks and drafts)"] = get(srv.port, page)
        out["preview next"] = median_of(lambda: get(srv.port, page))
        out["desk first (ranking kept)"] = get(srv.port, desk)
        out["desk next"] = median_of(lambda: get(srv.port, desk))
    with PreviewServer(Newsletter(Workspace.open(root)), port=0, week=WEEK, style="atr", watch=False) as srv:
        out["preview first (draft on disk)"] = get(srv.port, page)
        out["desk first (new server: ranks)"] = get(srv.port, desk)
    with PreviewServer(Newsletter(Workspace.open(root)), port=0, week=WEEK, style="atr", watch=False) as srv:
        srv.warm().join()  # what `newsletter preview` starts while the browser opens
        out["desk first (after the start-up warm-up)"] = get(srv.port, desk)
        _add_items(root, 100, "served")  # a fetch while the desk is open: the week ranks again
        out["desk after a fetch added 100 items (server running)"] = get(srv.port, desk)
    return out


def baseline(root: Path) -> dict[str, float]:
    """Ranking the week and a CLI redraft as they were before: with no grouping or labels kept on disk
    (sort/kept.py), removed before each run; and ranking it in a new Newsletter that finds them kept."""
    ws = Workspace.open(root)

    def forget() -> None:
        shutil.rmtree(ws.kept_sort, ignore_errors=True)

    app = Newsletter(ws)
    app.taxonomy()
    try:
        rank = median_of(lambda: forget() or _timed(lambda: app.ranked_week(WEEK)), 3)
    finally:
        app.close()
    kept = median_of(lambda: _fresh_rank(ws), 3)
    cmd = [sys.executable, "-m", "newsletter", "--workspace", str(root), "draft", "--week", str(WEEK)]
    cmd += ["--style", "atr"]
    run = lambda: subprocess.run(cmd, check=True, capture_output=True)  # noqa: E731
    redraft = median_of(lambda: forget() or _timed(run), 3)
    return {
        "rank the week (every request, before)": rank,
        "rank the week, new Newsletter, grouping and labels kept": kept,
        "CLI `newsletter draft`": redraft,
    }


def _fresh_rank(ws: Workspace) -> float:
    app = Newsletter(ws)
    app.taxonomy()
    try:
        return _timed(lambda: app.ranked_week(WEEK))
    finally:
        app.close()


def _timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def browser_figures(big: Path, small: Path, actions: int) -> dict[str, float]:
    from playwright.sync_api import sync_playwright

    out: dict[str, float] = {}
    args = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=args)
        app = Newsletter(Workspace.open(big))
        with PreviewServer(app, port=0, week=WEEK, style="atr", watch=False) as srv:
            tab = chromium.new_page(viewport={"width": 1440, "height": 900})
            url = f"{srv.url}/{WEEK}/atr/desk"
            out["desk page load, first (ranks)"] = _timed(lambda: tab.goto(url, wait_until="load"))
            out["desk page load, next"] = median_of(lambda: _timed(lambda: tab.goto(url, wait_until="load")))
            tab.close()
        cases = {
            "ranked before": big,
            "after a fetch added 100 items": _fetched_more(big, 100),
            "never ranked, no draft": workspace(big.parent, "never-ranked", _count(big)),
        }
        for case, root in cases.items():
            whole, after = _process_first_load(chromium, root)
            out[f"`newsletter preview` {case}: start to desk loaded"] = whole
            out[f"`newsletter preview` {case}: address to desk loaded"] = after
        with PreviewServer(Newsletter(Workspace.open(small)), port=0, week=WEEK, style="atr") as srv:
            tab = chromium.new_page(viewport={"width": 1440, "height": 900})
            tab.goto(f"{srv.url}/{WEEK}/atr/desk", wait_until="load")
            tab.evaluate(LISTEN)
            times = [t for t in (_action(tab, ACTIONS[n % len(ACTIONS)], n) for n in range(actions)) if t]
            out["action round trip (median)"] = statistics.median(times) / 1000
            out["action round trip (slowest)"] = max(times) / 1000
            tab.close()
        chromium.close()
    return out


def _process_first_load(chromium, root: Path) -> tuple[float, float]:
    """The desk's first page load from a real `newsletter preview` process (no thread of the bench in it,
    so it may fork at start as it does for an editor): from the command's start to the page's load event,
    and from its printing the address (when it opens the browser) to that load.

    The command drafts a missing draft before it prints the address, so the second figure alone hides
    what a week never ranked costs; the first is what the editor waits for.
    """
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    exe = Path(sys.executable).with_name("newsletter")
    cmd = [str(exe), "--workspace", str(root), "preview", "--no-open", "--port", str(port)]
    cmd += ["--week", str(WEEK)]
    tab = chromium.new_page(viewport={"width": 1440, "height": 900})
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stderr is not None
        for line in proc.stderr:
            if "the desk is at" in line:
                break
        else:
            raise RuntimeError(f"`newsletter preview` ended: {proc.wait()}")
        shown = time.perf_counter()
        resp = tab.goto(f"http://127.0.0.1:{port}/{WEEK}/atr/desk", wait_until="load")
        loaded = time.perf_counter()
        if resp is None or resp.status != 200:
            raise RuntimeError(f"the desk answered {resp.status if resp else 'nothing'}")
        tab.close()
        return loaded - started, loaded - shown
    finally:
        proc.terminate()
        proc.wait(10)


def _count(root: Path) -> int:
    with Store(root / ".newsletter" / "store.sqlite3") as store:
        return store.count_items()


def _fetched_more(root: Path, n: int) -> Path:
    """A copy of the workspace whose week gained n new items from one source, as a fetch adds them:
    its kept grouping no longer fits the week; its stored facts and kept labels still fit the rest."""
    copy = root.parent / f"{root.name}-fetched"
    shutil.copytree(root, copy)
    _add_items(copy, n, "fetched")
    return copy


def _add_items(root: Path, n: int, tag: str) -> None:
    """n new items of the week from one source, as a fetch stores them."""
    now = dt.datetime.now(dt.UTC)
    fresh = [dataclasses.replace(it, id=f"{tag}-{k}") for k, it in enumerate(week_items(n))]
    with Store(root / ".newsletter" / "store.sqlite3") as store:
        store.save_fetch(
            SOURCES[0],
            [dataclasses.replace(it, source_id=SOURCES[0]) for it in fresh],
            SourceHealth(SOURCES[0]),
            now,
        )


def _action(tab, action: str, n: int) -> float | None:
    """One desk action by the desk's own buttons; its milliseconds from click to the next frame after."""
    before = tab.evaluate("window.__done.length")
    entries = tab.locator("#draft .entry")
    if action == "add":
        row = tab.locator("#cand-list .cand:not(.placed)").first
        row.locator('[data-action="add"]').click()
    elif action == "undo":
        tab.locator('#draft [data-action="undo"]').click()
    else:
        entry = entries.nth(4 + n % 7)
        entry.click(position={"x": 4, "y": 4})  # selected: its actions show under it
        if action == "move":
            entry.locator('[data-action="move"]').click()
            entry.locator('.menu [data-section="japan"], .menu [data-section="china"]').last.click()
        elif action == "edit":
            entry.locator('[data-action="edit"]').click()
            entry.locator("textarea").fill(f"Entry rewritten at the desk, take {n}.")
            entry.locator('.row [data-action="edit"]').click()
        else:
            entry.locator(f'[data-action="{action}"]').click()
    tab.wait_for_function(f"() => window.__done.length > {before}", timeout=30_000)
    detail = tab.evaluate("window.__done[window.__done.length - 1]")
    return float(detail["ms"]) if detail["ok"] else None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--items", type=int, default=10_000, help="items in the big week")
    ap.add_argument("--action-items", type=int, default=2_000, help="items in the week the actions run on")
    ap.add_argument("--actions", type=int, default=40, help="desk actions to time")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        t0 = time.perf_counter()
        big = workspace(base, "big", args.items)
        small = workspace(base, "small", args.action_items)
        made = time.perf_counter() - t0
        print(f"stores of {args.items:,} and {args.action_items:,} items for {WEEK} in {made:.1f} s")
        now = requests(big)
        copy = base / "big-copy"
        shutil.copytree(big, copy)
        for drafted in (copy / "issues").rglob("*.md"):
            drafted.unlink()  # the CLI redraft drafts afresh, as the first preview request did
        before = baseline(copy)
        shown = {**before, **now}
        if CHROMIUM.exists():
            shown.update(browser_figures(big, small, args.actions))
        else:
            print(f"(no {CHROMIUM}: the page-load and round-trip figures need it)")
        width = max(len(k) for k in shown)
        rank = before["rank the week (every request, before)"]
        for name, secs in shown.items():
            ratio = f"  {rank / secs:6.1f}x faster than ranking per request" if "next" in name else ""
            print(f"{name:<{width}}  {ms(secs):>10}{ratio}")
        rt = shown.get("action round trip (median)")
        if rt is not None:
            print(f"action round trip / CLI redraft = {rt / before['CLI `newsletter draft`']:.3f}")
        print(f"peak memory: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB")


if __name__ == "__main__":
    main()
