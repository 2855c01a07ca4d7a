"""Ingest end to end against raw feedparser on the same bytes: `newsletter ingest` and a first `fetch`.

Run: .venv/bin/python bench/bench_ingest.py [--feeds 300] [--items 50] [--runs 3] [--hosts 10]
Writes bench_fetch.py's feeds (300 RSS 2.0 feeds of 50 items, 1-2 kB of HTML each) to files, then times,
each --runs times (medians shown, with the load average):
  raw      feedparser.parse on every body in this process (the baseline: parsing only, nothing stored)
  ingest   the real CLI, `newsletter ingest FILE...`, in a fresh store: parse, clean, store, start-up
  fetch    the real CLI, `newsletter fetch`, in a fresh store, from loopback servers in another process
and prints entries/s and each as a ratio to raw feedparser (goal >= 2), with each command's peak memory.
"""

from __future__ import annotations

import argparse
import io
import multiprocessing as mp
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "bench")]

import feedparser  # noqa: E402
from bench_fetch import make_feed, serve  # noqa: E402

from newsletter.models import Source  # noqa: E402
from newsletter.workspace import Workspace  # noqa: E402

CLI = [sys.executable, "-m", "newsletter"]
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


def loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def run_cli(args: list[str]) -> tuple[float, int]:
    """Seconds for the CLI to run, and its peak RSS in MB (measured by a parent whose only child it is)."""
    measure = (
        "import resource, subprocess, sys, time\n"
        "t = time.perf_counter()\n"
        "done = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
        "secs = time.perf_counter() - t\n"
        "if done.returncode: sys.exit(done.stderr[-2000:])\n"
        "print(secs, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024)\n"
    )
    argv = [sys.executable, "-c", measure, *CLI, *args]
    out = subprocess.run(argv, capture_output=True, text=True, env=ENV)
    if out.returncode:
        sys.exit(f"newsletter {' '.join(args[:4])} failed: {out.stderr.strip()[-2000:]}")
    secs, rss = out.stdout.split()
    return float(secs), int(rss)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--feeds", type=int, default=300)
    ap.add_argument("--items", type=int, default=50)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--hosts", type=int, default=10)
    args = ap.parse_args()

    rng = random.Random(48)  # the same feeds bench_fetch.py serves
    bodies = [make_feed(n, args.items, rng) for n in range(args.feeds)]
    entries = args.feeds * args.items
    print(f"{args.feeds} feeds x {args.items} items, {sum(map(len, bodies)) / 1e6:.1f} MB")
    print(f"load average before: {loadavg()} (2 cores, shared: medians of {args.runs} runs)")

    raw: list[float] = []
    for _ in range(args.runs):
        t = time.perf_counter()
        parsed = sum(len(feedparser.parse(io.BytesIO(b)).entries) for b in bodies)
        raw.append(time.perf_counter() - t)
    assert parsed == entries, parsed
    base = entries / statistics.median(raw)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    print(f"  raw feedparser.parse:       {base:8,.0f} entries/s  (this process, peak {peak} MB)")

    ctx = mp.get_context("spawn")
    ready, stop = ctx.Queue(), ctx.Event()
    server = ctx.Process(target=serve, args=(args.feeds, args.items, args.hosts, ready, stop), daemon=True)
    server.start()
    urls, _ = ready.get(timeout=120)
    try:
        with tempfile.TemporaryDirectory() as tmp_name:
            tmp = Path(tmp_name)
            files = []
            for n, body in enumerate(bodies):
                path = tmp / f"feed-{n}.xml"
                path.write_bytes(body)
                files.append(str(path))
            ws = Workspace.init(tmp / "ws")
            ws.save_sources([Source(id=f"wire-{n}", name=f"Wire {n}", url=u) for n, u in enumerate(urls)])
            for label, argv in (
                ("newsletter ingest FILE...", ["ingest", *files]),
                ("newsletter fetch (first)", ["fetch"]),
            ):
                times, peaks = [], []
                for run in range(args.runs):
                    db = tmp / f"{argv[0]}-{run}.sqlite3"
                    secs, rss = run_cli(["--workspace", str(tmp / "ws"), "--db", str(db), *argv])
                    times.append(secs)
                    peaks.append(rss)
                rate = entries / statistics.median(times)
                print(
                    f"  {label:<27} {rate:8,.0f} entries/s = {rate / base:4.2f}x raw feedparser"
                    f"  (median {statistics.median(times):.2f} s, peak {max(peaks)} MB; goal >= 2x)"
                )
    finally:
        stop.set()
        server.join(timeout=10)
    print(f"load average after:  {loadavg()}")


if __name__ == "__main__":
    main()
