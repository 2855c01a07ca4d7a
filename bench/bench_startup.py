"""Start-up: `newsletter --help` and `newsletter items` against bare Python and against loading every stage.

Run: .venv/bin/python bench/bench_startup.py [--runs 21]
Each command is run --runs times as a fresh process; medians are shown (goal: --help under 0.1 s). The
baselines, measured in the same run: `python -c pass` (the floor) and a process importing every stage
(fetching, sorting, writing, the preview: what a CLI importing all of them at start pays).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EVERY_STAGE = (
    "import newsletter.app, newsletter.feeds.fetch, newsletter.feeds.intake, newsletter.write.render,"
    " newsletter.write.send, newsletter.write.message, newsletter.preview.server"
)


def median_secs(argv: list[str], runs: int, cwd: Path) -> float:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(
            argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True
        )
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=21)
    args, _ = ap.parse_known_args()
    py = sys.executable
    load = " ".join(Path("/proc/loadavg").read_text().split()[:3]) if Path("/proc/loadavg").exists() else "?"
    with tempfile.TemporaryDirectory() as tmp:
        ws = Path(tmp) / "ws"
        subprocess.run([py, "-m", "newsletter", "init", str(ws)], check=True, capture_output=True)
        bare = median_secs([py, "-c", "pass"], args.runs, ws)
        stages = median_secs([py, "-c", EVERY_STAGE], args.runs, ws)
        helps = median_secs([py, "-m", "newsletter", "--help"], args.runs, ws)
        items = median_secs([py, "-m", "newsletter", "items", "--all"], args.runs, ws)
    print(f"medians of {args.runs} runs (load average {load}; 2 cores, shared)")
    print(f"  python -c pass                    {bare:6.3f} s  (floor)")
    print(f"  importing every stage             {stages:6.3f} s  (baseline)")
    print(
        f"  newsletter --help                 {helps:6.3f} s  = {helps / stages:.2f}x the baseline"
        " (goal < 0.1 s)"
    )
    print(f"  newsletter items --all (empty)    {items:6.3f} s  = {items / stages:.2f}x the baseline")


if __name__ == "__main__":
    main()
