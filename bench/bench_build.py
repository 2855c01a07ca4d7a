"""Benchmark a whole `newsletter build --format md` of a 100k-item week, and show the week index works.

Run: .venv/bin/python bench/bench_build.py [--items 100000] [--weeks 104] [--per-week 5000] [--runs 3]
Makes two workspaces from the packaged seeds: store A holds only the week (N synthetic items); store B
holds the same week plus --weeks other weeks of --per-week items each (about two years). Then times the
real CLI, `newsletter --workspace W --db D build --week 2026-W10 --style atr --format md`, as a
subprocess. On store A: the first build, which reads every item's facts from its text and stores them
(what every build did before facts were stored: the baseline), then --runs builds that read them from the
store (goal: under 10 s and 500 MB for 100,000 items); the median, the ratio to the first, and each
build's peak memory (the largest process: the CLI, or the worker it forks). Then t(B)/t(A) (goal near 1:
the store answers "items of week W" from its publication-time index). Each build prints its seconds by
stage: the CLI runs in a child (`bench_build.py --child ARGS...`) whose stage functions are wrapped in
timers (a handful of calls, so the wrappers cost nothing measurable).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_cluster import WEEK, synthetic  # noqa: E402

from newsletter.models import Item, SourceHealth  # noqa: E402
from newsletter.store import Store  # noqa: E402
from newsletter.workspace import Workspace  # noqa: E402

SOURCES = ["asia-tech-wire", "chip-street", "pacific-ledger", "monsoon-markets", "seoul-bytes"]
SOURCES += ["bharat-startup-daily"]
BATCH = 20_000  # items per save_fetch call (one transaction each)
CLI = [sys.executable, "-m", "newsletter"]
CHILD = [sys.executable, str(Path(__file__).resolve()), "--child"]
# (module, attribute, stage name) timed in the child; none calls another, so the times add up, and
# "other" is the rest (interpreter start-up, imports, settings, the glue between stages).
STAGES = [
    ("newsletter.app", "Newsletter.week_items", "store: items of the week"),
    ("newsletter.app", "Newsletter._classifier", "compile the taxonomy"),
    ("newsletter.sort.pipeline", "Sorter._known_facts", "store: facts"),
    ("newsletter.sort.clustering", "group", "cluster"),
    ("newsletter.store", "Store.save_facts", "store: save facts"),
    ("newsletter.sort.forked", "Forked.result", "wait for labels (forked)"),
    ("newsletter.sort.clustering", "stories", "stories"),
    ("newsletter.sort.curate", "rank", "rank"),
    ("newsletter.sort.curate", "plan_issue", "plan issue"),
    ("newsletter.write.draft", "write_draft", "write draft"),
    ("newsletter.write.render", "build_outputs", "render"),
    ("newsletter.write.render", "build_archive", "archive"),
]


def child(argv: list[str]) -> None:
    """Run the CLI with these arguments, timing each stage; print the seconds by stage on stderr."""
    import importlib

    spent: dict[str, float] = {}

    def timed(fn: Callable[..., Any], name: str) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[name] = spent.get(name, 0.0) + time.perf_counter() - t0

        return wrapper

    t0 = time.perf_counter()
    from newsletter import cli

    for module, attr, name in STAGES:
        owner: Any = importlib.import_module(module)
        *path, last = attr.split(".")
        for part in path:
            owner = getattr(owner, part)
        setattr(owner, last, timed(getattr(owner, last), name))
    try:
        cli.main(argv)
    finally:
        total = time.perf_counter() - t0
        parts = ", ".join(f"{name} {secs:.1f}" for name, secs in spent.items())
        other = total - sum(spent.values())
        print(f"STAGES total {total:.1f} s: {parts}, other {other:.1f}", file=sys.stderr)


def week_items(n: int) -> list[Item]:
    """The benchmark week: n synthetic items spread over the seed sources (no labels: build classifies)."""
    return [
        dataclasses.replace(it, source_id=SOURCES[k % len(SOURCES)], labels=None, tags=())
        for k, it in enumerate(synthetic(n))
    ]


def other_weeks(pool: list[Item], weeks: int, per_week: int) -> list[Item]:
    """Items for `weeks` weeks before the benchmark week, re-dated copies of the pool with their own ids."""
    out: list[Item] = []
    for w in range(1, weeks + 1):
        shift = dt.timedelta(weeks=w)
        for k in range(per_week):
            it = pool[(w * per_week + k) % len(pool)]
            n = w * 10_000_000 + k
            out.append(
                dataclasses.replace(
                    it, id=f"{n:016x}", url=f"https://example.com/w{w}/{k}", published=it.published - shift
                )
            )
    return out


def fill(db: Path, items: list[Item]) -> float:
    """Store items through Store.save_fetch in large batches; returns the seconds it took."""
    t0 = time.perf_counter()
    now = dt.datetime.now(dt.UTC)
    with Store(db) as store:
        by_source: dict[str, list[Item]] = {}
        for it in items:
            by_source.setdefault(it.source_id, []).append(it)
        for sid, rows in by_source.items():
            for start in range(0, len(rows), BATCH):
                store.save_fetch(sid, rows[start : start + BATCH], SourceHealth(source_id=sid), now)
    return time.perf_counter() - t0


MEASURE = (  # runs the build as its only child: RUSAGE_CHILDREN then holds the build's peak memory
    "import resource, subprocess, sys, time\n"
    "t = time.perf_counter()\n"
    "done = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
    "secs = time.perf_counter() - t\n"
    "sys.stderr.write(done.stderr)\n"
    "print(done.returncode, secs, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024)\n"
)


def build(workspace: Path, db: Path, kept: bool = False) -> tuple[float, int]:
    """Seconds for the real CLI to build the week's atr issue as Markdown (a new draft), and its peak MB.

    kept: with the grouping and labels the last build kept (sort/kept.py); else they are removed first, so
    the build clusters and labels the week from its stored facts.
    """
    shutil.rmtree(workspace / "issues" / str(WEEK), ignore_errors=True)
    if not kept:
        shutil.rmtree(Workspace.open(workspace).kept_sort, ignore_errors=True)
    cmd = [*CHILD, "--workspace", str(workspace), "--db", str(db), "build", "--week", str(WEEK)]
    cmd += ["--style", "atr", "--format", "md"]
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, *cmd],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    code, secs, peak = done.stdout.split()
    if code != "0":
        sys.exit(f"build failed ({code}): {done.stderr.strip()[-2000:]}")
    stages = [line for line in done.stderr.splitlines() if line.startswith("STAGES ")]
    print("  by stage: " + (stages[-1][7:] if stages else "(no stage times)"))
    return float(secs), int(peak)


def main() -> None:
    if sys.argv[1:2] == ["--child"]:
        child(sys.argv[2:])
        return
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--items", type=int, default=100_000, help="items in the benchmark week")
    ap.add_argument("--weeks", type=int, default=104, help="other weeks in store B")
    ap.add_argument("--per-week", type=int, default=5_000, help="items in each other week")
    ap.add_argument("--keep", type=Path, help="build in this directory and keep it (default: a temp dir)")
    ap.add_argument("--runs", type=int, default=3, help="builds with stored facts on store A (median shown)")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        base = args.keep or Path(tmp)
        base.mkdir(parents=True, exist_ok=True)
        t0 = time.perf_counter()
        week = week_items(args.items)
        older = other_weeks(week, args.weeks, args.per_week)
        print(
            f"generated {len(week):,} items for {WEEK} and {len(older):,} others"
            f" in {time.perf_counter() - t0:.1f} s"
        )
        secs = {}
        for name, items in (("A", week), ("B", week + older)):
            ws = base / f"ws-{name}"
            subprocess.run(
                [*CLI, "init", str(ws)],
                check=True,
                capture_output=True,
                env={**os.environ, "PYTHONPATH": str(ROOT)},
            )
            db = base / f"store-{name}.sqlite3"
            print(
                f"store {name}: {len(items):,} items saved in {fill(db, items):.1f} s"
                f" ({db.stat().st_size / 1e6:,.0f} MB); load average {loadavg()}"
            )
            first, peak = build(ws, db)
            print(
                f"store {name}: first build (reads and stores every item's facts): {first:.1f} s, {peak} MB"
            )
            runs = [build(ws, db) for _ in range(args.runs if name == "A" else 1)]
            median = statistics.median(r[0] for r in runs)
            secs[name] = median
            print(
                f"store {name}: build with stored facts: {median:.1f} s median of {len(runs)}"
                f" ({', '.join(f'{r[0]:.1f}' for r in runs)}), peak {max(r[1] for r in runs)} MB;"
                f" {median / first:.2f}x the first build ({args.items:,} items; goal < 10 s, < 500 MB)"
            )
            if name == "A":
                again, peak = build(ws, db, kept=True)
                print(f"store A: build with the week's grouping and labels kept: {again:.1f} s, {peak} MB")
        print(f"t(week + 2 years) / t(week only) = {secs['B'] / secs['A']:.2f} (goal near 1)")
        print(f"load average after: {loadavg()}")


def loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


if __name__ == "__main__":
    main()
