"""Benchmark the classify stage: items/s on 100k synthetic items, against a naive baseline, and quality.

Run: .venv/bin/python bench/bench_classify.py [--items 100000] [--runs 5] [--baseline-items 300]
Prints items/s of `Classifier.classify` end to end over --runs runs (goal >= 20,000 on the 2-core
machine): the best and the median by the wall clock, the best by CPU time (what the run would do on
an idle machine), and the load average before and after, since other processes share the machine.
Then `classify_many`, a naive baseline measured in the same run (one compiled regex per gazetteer
term, searched one after another, on a sample) and the speed-up over it.  When
tests/data/classify_labelled.jsonl exists it prints region accuracy (goal >= 95%) and per-theme
precision and recall on it; tests/data/classify_cases.jsonl is scored the same way.

End to end (goal >= 50,000 lines/s): the items as JSON lines (half naming a source) through the real
CLI, `newsletter classify < items.jsonl`, in a fresh workspace, --runs times, then as many through a pipe
that `cat` fills (`cat items.jsonl | newsletter classify`; a Python writer in this process would compete
for the cores and time itself) (medians, with each run's peak memory, and
the least CPU time a run took, its workers' included: what other processes on the machine change least),
and in the same run the previous version's per-line path on a sample: each line decoded, classified
through a Newsletter.classify that checks the seeds files and scans the source list on every call, and
echoed.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from newsletter.feeds.sources import load_sources  # noqa: E402
from newsletter.sort.classify import Classifier, classify_many, load_taxonomy  # noqa: E402
from newsletter.sort.taxonomy import Taxonomy  # noqa: E402

TAXONOMY = ROOT / "seeds" / "taxonomy.toml"
SOURCES = ROOT / "seeds" / "sources.toml"
LABELLED = ROOT / "tests" / "data" / "classify_labelled.jsonl"
CASES = ROOT / "tests" / "data" / "classify_cases.jsonl"

TITLES = [
    "{co} raises {money} in Series {series} round led by {inv}",
    "{co} posts {q} quarterly profit as revenue climbs {pct}%",
    "{co} files for IPO in {city}, seeking {money}",
    "{co} to build {money} chip plant in {place}",
    "{co} lays off {n} staff amid restructuring",
    "{co} agrees to buy rival in {money} deal",
    "Regulators fine {co} over data protection lapses",
    "{co} unveils new AI model to rival OpenAI",
    "{co} launches electric vehicle priced under {money}",
    "Why {co} is betting on {place}",
    "{gco} shares slide after earnings miss",
    "{gco} unveils new smartphone lineup in California",
    "{gco} CEO says AI spending will keep rising",
    "Study finds sleep improves memory in older adults",
]
SUMMARIES = [
    "The {adj} company said on {day} that the money would fund expansion across {place}.",
    "{co} competes with {co2} in a market that analysts expect to grow {pct}% a year.",
    "Shares of {co} rose {pct}% in {city} trading after the announcement.",
    "The deal, which still needs approval from regulators, values the business at {money}.",
    "Founded in {year}, the startup now serves {n} customers and plans to hire engineers.",
    "Executives told analysts the outlook for the rest of the year remained uncertain.",
    "{gco} said demand from data centres stayed strong while consumer sales were flat.",
]
WORDS = dict(
    series=list("ABCDE"),
    inv=["SoftBank Vision Fund", "Sequoia Capital", "Temasek", "Peak XV", "Tiger Global", "GIC", "a16z"],
    q=["record", "first", "higher", "lower"],
    adj=["Bengaluru-based", "Shanghai-based", "Tokyo-based", "Seoul-based", "Singapore-based", "US-based"],
    day=["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"],
    gco=["Nvidia", "Apple", "Microsoft", "Tesla", "Google", "Amazon", "Meta"],
)
CJK = ["小米发布新款手机", "ソニーが新型ゲーム機を発表", "삼성전자 HBM4 양산", "台积电扩产先进制程"]


def names(tax: Taxonomy, kinds: tuple[str, ...]) -> dict[str, list[str]]:
    """Latin-script names per region from the gazetteer, to fill templates with real-looking items."""
    out: dict[str, list[str]] = {}
    for rid, region in tax.regions.items():
        out[rid] = [t.text for t in region.terms if t.kind in kinds and t.text.isascii() and not t.ambiguous]
    return out


def synthetic(tax: Taxonomy, n: int, seed: int = 7) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    companies = names(tax, ("companies",))
    places = names(tax, ("places",))
    regions = list(companies)

    def fill(template: str) -> str:
        rid = rng.choice(regions)
        values: dict[str, object] = {k: rng.choice(v) for k, v in WORDS.items()}
        values.update(
            co=rng.choice(companies[rid]),
            co2=rng.choice(companies[rng.choice(regions)]),
            place=rng.choice(places[rid]),
            city=rng.choice(places[rid]),
            money=f"${rng.randint(2, 900)}mn",
            pct=rng.randint(2, 60),
            n=rng.randint(50, 5000),
            year=rng.randint(1990, 2024),
        )
        return template.format(**values)

    items = []
    for i in range(n):
        if i % 40 == 0:
            items.append((rng.choice(CJK), rng.choice(CJK)))
            continue
        title = fill(rng.choice(TITLES))
        summary = " ".join(fill(rng.choice(SUMMARIES)) for _ in range(rng.randint(1, 3)))
        items.append((title, summary))
    return items


class NaiveBaseline:
    """What the one-pass matcher replaces: one compiled regex per term, searched one after another."""

    def __init__(self, tax: Taxonomy) -> None:
        self.patterns: list[tuple[re.Pattern[str], str, float]] = []
        for region in (*tax.regions.values(), tax.global_region):
            for t in region.terms:
                flags = 0 if t.exact else re.IGNORECASE
                self.patterns.append((re.compile(rf"\b{re.escape(t.text)}\b", flags), region.id, t.weight))
        for theme in tax.themes.values():
            for t in theme.terms:
                flags = 0 if t.exact else re.IGNORECASE
                self.patterns.append((re.compile(rf"\b{re.escape(t.text)}\b", flags), theme.id, t.weight))

    def classify(self, title: str, summary: str) -> dict[str, float]:
        scores: dict[str, float] = {}
        for rx, label, weight in self.patterns:
            if rx.search(title):
                scores[label] = scores.get(label, 0.0) + 3 * weight
            if rx.search(summary):
                scores[label] = scores.get(label, 0.0) + weight
        return scores


def rate(n: int, seconds: float) -> float:
    return n / seconds if seconds else float("inf")


def quality(classifier: Classifier, path: Path) -> None:
    """Score a labelled file; a row's `source` (id or name) lends its configured region, as in the app."""
    sources = load_sources(SOURCES)
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    hits = 0
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    misses = []
    for row in rows:
        src = next((s for s in sources if row.get("source") in (s.id, s.name)), None)
        labels = classifier.classify(
            row.get("title", ""),
            row.get("summary", ""),
            row.get("source_region", src.region if src else None),
            tuple(row.get("source_themes", src.themes if src else ())),
        )
        if labels.region == row.get("region"):
            hits += 1
        else:
            misses.append((row.get("region"), labels.region, row.get("title", "")))
        want, got = set(row.get("themes", ())), set(labels.themes)
        for t in got & want:
            tp[t] += 1
        for t in got - want:
            fp[t] += 1
        for t in want - got:
            fn[t] += 1
    print(f"\n{path.relative_to(ROOT)}: {len(rows)} items")
    print(f"  region accuracy: {hits / max(1, len(rows)):.1%} ({hits}/{len(rows)}; goal >= 95%)")
    print(f"  {'theme':<22} {'precision':>9} {'recall':>7} {'n':>4}")
    for theme in sorted(set(tp) | set(fp) | set(fn)):
        p = tp[theme] / max(1, tp[theme] + fp[theme])
        r = tp[theme] / max(1, tp[theme] + fn[theme])
        print(f"  {theme:<22} {p:>9.0%} {r:>7.0%} {tp[theme] + fn[theme]:>4}")
    for want_region, got_region, title in misses[: int(os.environ.get("BENCH_MISSES", "15"))]:
        print(f"  miss: want {want_region}, got {got_region}: {title[:90]}")


def loadavg() -> str:
    """The 1, 5 and 15 minute load averages, or '?' where /proc is absent."""
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def timed(fn, items: list[tuple[str, str]], runs: int) -> tuple[list[float], list[float]]:
    """Items/s of `fn` over `items`, `runs` times: by the wall clock and by this process's CPU time."""
    wall, cpu = [], []
    for _ in range(runs):
        t, c = time.perf_counter(), time.process_time()
        fn(items)
        wall.append(rate(len(items), time.perf_counter() - t))
        cpu.append(rate(len(items), time.process_time() - c))
    return wall, cpu


def end_to_end(items: list[tuple[str, str]], runs: int, sample: int) -> None:
    """`newsletter classify` on the items as JSON lines, against the previous per-line path."""
    sources = [s.id for s in load_sources(SOURCES)]
    lines = []
    for n, (title, summary) in enumerate(items):
        row: dict[str, str] = {"title": title, "summary": summary}
        if n % 2 == 0:
            row["source"] = sources[n % len(sources)]
        lines.append(json.dumps(row, ensure_ascii=False))
    data = ("\n".join(lines) + "\n").encode()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    measure = (  # the CLI as the only child of this script: RUSAGE_CHILDREN is then its peak memory
        "import resource, subprocess, sys, time\n"
        "t = time.perf_counter()\n"
        "done = subprocess.run(sys.argv[1:], stdin=sys.stdin, stdout=subprocess.DEVNULL)\n"
        "used = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
        "print(done.returncode, time.perf_counter() - t, used.ru_maxrss, used.ru_utime + used.ru_stime)\n"
    )
    with tempfile.TemporaryDirectory() as tmp:
        ws = Path(tmp) / "ws"
        subprocess.run(
            [sys.executable, "-m", "newsletter", "init", str(ws)], check=True, capture_output=True, env=env
        )
        cmd = [
            sys.executable,
            "-c",
            measure,
            sys.executable,
            "-m",
            "newsletter",
            "--workspace",
            str(ws),
            "classify",
        ]
        path = Path(tmp) / "items.jsonl"
        path.write_bytes(data)

        def run(piped: bool) -> tuple[float, int, float]:
            """One run: stdin the file itself (`< items.jsonl`), or a pipe that `cat` fills (`cat ... |`)."""
            with path.open("rb") as fh:
                feeder = subprocess.Popen(["cat"], stdin=fh, stdout=subprocess.PIPE) if piped else None
                stdin = feeder.stdout if feeder is not None else fh
                done = subprocess.run(cmd, stdin=stdin, capture_output=True, env=env, check=True)
                out = done.stdout.split()
                if feeder is not None:
                    feeder.wait()
            if out[0] != b"0":
                sys.exit("newsletter classify failed")
            return float(out[1]), int(out[2]) // 1024, float(out[3])

        results = [run(piped=False) for _ in range(runs)]
        piped = [run(piped=True) for _ in range(runs)]
        secs = statistics.median(r[0] for r in results)
        rate_cli = len(lines) / secs
        rate_pipe = len(lines) / statistics.median(r[0] for r in piped)
        peak = max(r[1] for r in results + piped)
        cpu = min(r[2] for r in results)
        old = previous_cli_path(ws, lines[:sample])
    print(
        f"newsletter classify, end to end: {rate_cli:>9,.0f} lines/s, median of {runs} ({len(lines):,} lines"
        f" from a file, start-up included; peak {peak} MB; goal >= 50,000)"
    )
    print(f"  through a pipe (cat ... |):     {rate_pipe:>9,.0f} lines/s, median of {runs}")
    per_cpu = len(lines) / cpu
    print(f"  CPU time of a run, workers included: {cpu:.2f} s at least ({per_cpu:,.0f} lines a CPU-second)")
    print(f"previous per-line path:          {old:>9,.0f} lines/s ({sample:,}-line sample, in this process)")
    print(f"speed-up over the previous path: {rate_cli / old:>9.1f}x   (load average now {loadavg()})")


def previous_cli_path(ws: Path, lines: list[str]) -> float:
    """Lines/s of the classify loop as it was: per line, the seeds checked and the sources scanned."""
    import click

    from newsletter.app import Newsletter
    from newsletter.serialize import json_line, labels_record
    from newsletter.workspace import Workspace

    app = Newsletter(Workspace.open(ws))
    app._classifier()  # compiled before the clock starts, as the CLI's first line would
    sink = io.StringIO()
    t = time.perf_counter()
    for line in lines:
        row = json.loads(line)
        _, classifier = app._classifier()  # checks taxonomy.toml on disk
        src = next((s for s in app.sources() if row.get("source") in (s.id, s.name)), None)
        labels = classifier.classify(
            row["title"], row.get("summary") or "", src.region if src else None, src.themes if src else ()
        )
        click.echo(json_line(labels_record(labels)), file=sink)
    secs = time.perf_counter() - t
    app.close()
    return len(lines) / secs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--items", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=5, help="runs of the whole item set; best and median shown")
    ap.add_argument("--baseline-items", type=int, default=300)
    ap.add_argument("--baseline-lines", type=int, default=10_000, help="lines the previous CLI path reads")
    args = ap.parse_args()

    t0 = time.perf_counter()
    tax = load_taxonomy(TAXONOMY)
    classifier = Classifier(tax)
    build = time.perf_counter() - t0
    terms = sum(len(r.terms) for r in (*tax.regions.values(), tax.global_region))
    terms += sum(len(t.terms) for t in tax.themes.values())
    print(f"taxonomy: {terms} terms, loaded and compiled in {build:.2f}s")
    print(f"load average before: {loadavg()} (2 cores; other processes slow the wall-clock figures)")

    items = synthetic(tax, args.items)
    runs = max(1, args.runs)

    def one_by_one(rows: list[tuple[str, str]]) -> None:
        classify = classifier.classify
        for title, summary in rows:
            classify(title, summary)

    wall, cpu = timed(one_by_one, items, runs)
    one, median = max(wall), statistics.median(wall)
    print(
        f"classify, one thread:        {one:>9,.0f} items/s best, {median:,.0f} median of {runs} runs"
        f" ({len(items):,} items; goal >= 20,000); {max(cpu):,.0f} items/s by CPU time"
    )
    many_wall, _ = timed(lambda rows: classify_many(classifier, rows), items, min(runs, 3))
    many = max(many_wall)
    print(f"classify_many:               {many:>9,.0f} items/s best of {min(runs, 3)}")

    naive = NaiveBaseline(tax)
    sample = items[: args.baseline_items]
    t = time.perf_counter()
    for title, summary in sample:
        naive.classify(title, summary)
    base = rate(len(sample), time.perf_counter() - t)
    print(f"naive per-term regex loop:   {base:>9,.0f} items/s  ({len(sample):,}-item sample)")
    print(
        f"speed-up over naive:         {one / base:>9.0f}x best, {median / base:.0f}x median (one thread),"
        f" {many / base:.0f}x (classify_many)"
    )
    print(f"load average after:  {loadavg()}")
    end_to_end(items, runs, args.baseline_lines)

    for path in (CASES, LABELLED):
        if path.exists():
            quality(classifier, path)
        else:
            print(f"\n{path.relative_to(ROOT)}: not present, quality not measured")


if __name__ == "__main__":
    main()
