"""Benchmark the cluster and curate stages: precision/recall on labelled pairs, and time at 10k-300k items.

Run: .venv/bin/python bench/bench_cluster.py [--big] [--pairs tests/data/story_pairs.jsonl]
Prints precision and recall of `cluster` on the labelled pairs (goal >= 0.95 / >= 0.85), the seconds
cluster+rank take on synthetic weeks of 10k and 100k items (300k with --big), t(100k)/t(10k) (goal <= 12),
and a naive all-pairs baseline measured in the same run on 2k items and extrapolated.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import itertools
import json
import math
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from newsletter.models import UTC, Item, Labels, Week  # noqa: E402
from newsletter.sort import clustering as cl  # noqa: E402
from newsletter.sort import pair_score as ps  # noqa: E402
from newsletter.sort.curate import rank  # noqa: E402

WEEK = Week(2026, 10)
SOURCES = [f"src{i:02d}" for i in range(40)]
THEMES = [
    "ai-chips",
    "ipo",
    "ai",
    "funding",
    "m-and-a",
    "ecommerce",
    "fintech",
    "mobility",
    "space",
    "policy",
]
REGIONS = ["china", "india", "japan", "south-korea", "taiwan", "southeast-asia", "rest-of-asia", "global"]
LETTERS = "etaoinshrdlcumwfgypbvkjxqz"
FREQ = [12, 9, 8, 8, 7, 7, 6, 6, 6, 4, 4, 3, 3, 2, 2, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1]


def _word(rng: random.Random, n: int) -> str:
    """A made-up word of n letters, drawn at English letter frequencies."""
    return "".join(rng.choices(LETTERS, FREQ, k=n))


def synthetic(n: int, seed: int = 7) -> list[Item]:
    """A week of n items: events told by 1-4 outlets.

    Like real news: filler words follow a Zipf law over a 50k vocabulary, companies too (a few are
    everywhere), and each event has a few words of its own (names, products, places) and a figure.
    """
    rng = random.Random(seed)
    vocab = [_word(rng, rng.randint(3, 10)) for _ in range(50_000)]
    vocab_cum = list(itertools.accumulate(1.0 / (r + 1) for r in range(len(vocab))))
    companies = [_word(rng, rng.randint(5, 8)).capitalize() for _ in range(max(500, n // 10))]
    company_cum = list(itertools.accumulate(1.0 / (r + 1) ** 0.8 for r in range(len(companies))))
    start, _ = WEEK.bounds(UTC)
    items: list[Item] = []
    event = 0
    while len(items) < n:
        event += 1
        company = rng.choices(companies, cum_weights=company_cum)[0]
        figure = f"${rng.randint(1, 999)} million"
        specific = [_word(rng, rng.randint(5, 9)) for _ in range(4)]
        when = start + dt.timedelta(minutes=rng.randrange(7 * 24 * 60))
        labels = Labels(region=rng.choice(REGIONS), themes=(rng.choice(THEMES),))
        for k in range(min(rng.choice((1, 1, 1, 2, 2, 3, 4)), n - len(items))):
            words = rng.sample(specific, 3) + rng.choices(vocab, cum_weights=vocab_cum, k=14)
            rng.shuffle(words)
            title = f"{company} {' '.join(words[:6])} {figure if k % 2 == 0 else ''}"
            summary = f"{company} {' '.join(words[6:])} {figure}."
            items.append(
                Item(
                    id=f"{len(items):016x}",
                    source_id=rng.choice(SOURCES),
                    url=f"https://example.com/{len(items)}",
                    title=title,
                    summary=summary,
                    published=when + dt.timedelta(hours=k),
                    labels=labels,
                    tags=(f"event-{event}",),  # ground truth for synthetic_quality()
                )
            )
    return items


def time_run(items: list[Item], weights: dict[str, float]) -> tuple[float, list]:
    t0 = time.perf_counter()
    stories = cl.cluster(items, threshold=0.5, source_weight=weights)
    ranked = rank(stories, week=WEEK, tz=UTC, theme_priority={}, source_weight=weights)
    return time.perf_counter() - t0, ranked


def synthetic_quality(items: list[Item], stories: list) -> str:
    """Pairwise precision/recall against the synthetic events (a sanity check, not the goal metric)."""
    truth: dict[str, str] = {it.id: it.tags[0] for it in items}
    found = {(a.id, b.id) for s in stories for a in s.items for b in s.items if a.id < b.id}
    events: dict[str, list[str]] = {}
    for it in items:
        events.setdefault(it.tags[0], []).append(it.id)
    real = {(a, b) for ids in events.values() for a in ids for b in ids if a < b}
    tp = sum(1 for a, b in found if truth[a] == truth[b])
    return f"synthetic pairs: precision {tp / max(len(found), 1):.3f} recall {tp / max(len(real), 1):.3f}"


def baseline(items: list[Item]) -> float:
    """Naive all-pairs comparison with the same similarity: seconds for these items."""
    t0 = time.perf_counter()
    docs, _ = cl._docs(items)
    hits = 0
    for i in range(len(docs)):
        for j in range(i + 1, len(docs)):
            hits += ps.similarity(docs[i], docs[j]) >= 0.5
    return time.perf_counter() - t0


def load_pairs(path: Path) -> tuple[list[dict], list[dict]]:
    """The labelled pairs split in two halves, tuning and held-out, by a hash of the two titles.

    The split is deterministic and blind to the labels; weights are fitted on the tuning half only.
    """
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    tuning: list[dict] = []
    held: list[dict] = []
    for row in rows:
        key = (row["a"]["title"] + "\n" + row["b"]["title"]).encode("utf-8")
        (tuning if hashlib.sha1(key).digest()[0] % 2 == 0 else held).append(row)
    return tuning, held


def pair_items(row: dict, n: int) -> list[Item]:
    """The two sides of a labelled pair as items published at the same moment."""
    base = dt.datetime(2026, 3, 3, tzinfo=UTC)
    return [
        Item(
            id=f"{2 * n + k:016x}",
            source_id=str(side.get("source") or f"s{k}"),
            url="",
            title=str(side.get("title", "")),
            summary=str(side.get("summary", "")),
            published=base,
        )
        for k, side in enumerate((row["a"], row["b"]))
    ]


def pair_scores(rows: list[dict], threshold: float, label: str, show: bool = False) -> tuple[float, float]:
    """Precision and recall of cluster() on labelled pairs: each pair clustered as a two-item batch."""
    tp = fp = fn = tn = 0
    for n, row in enumerate(rows):
        pair = pair_items(row, n)
        merged = len(cl.cluster(pair, threshold=threshold, source_weight={})) == 1
        same = bool(row["same"])
        tp += merged and same
        fp += merged and not same
        fn += same and not merged
        tn += not merged and not same
        if show and merged != same:
            docs, _ = cl._docs(pair)
            feats = " ".join(f"{x:.2f}" for x in ps.features(*docs))
            print(f"  {'FN' if same else 'FP'} {ps.similarity(*docs):.2f} [{feats}] {row['note']}")
            print(f"      {pair[0].title} | {pair[1].title}")
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    print(
        f"{label:>9}: {len(rows):3d} pairs ({tp + fn} same): precision {precision:.3f} recall {recall:.3f}"
        f"  (tp {tp} fp {fp} fn {fn} tn {tn})"
    )
    return precision, recall


def fit(rows: list[dict], l2: float = 0.3) -> tuple[list[float], float]:
    """Fit the evidence weights by L2-regularised logistic regression (Newton steps) on these pairs."""
    xs, ys = [], []
    for n, row in enumerate(rows):
        docs, _ = cl._docs(pair_items(row, n))
        xs.append([*ps.features(*docs), 1.0])  # the last column is the bias
        ys.append(1.0 if row["same"] else 0.0)
    k = len(xs[0])
    w = [0.0] * k
    for _ in range(30):
        grad = [l2 * w[i] if i < k - 1 else 0.0 for i in range(k)]
        hess = [[(l2 if i == j and i < k - 1 else 0.0) for j in range(k)] for i in range(k)]
        for x, y in zip(xs, ys, strict=True):
            z = sum(wi * xi for wi, xi in zip(w, x, strict=True))
            p = 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))
            for i in range(k):
                grad[i] += (p - y) * x[i]
                for j in range(k):
                    hess[i][j] += p * (1 - p) * x[i] * x[j]
        step = _solve(hess, grad)
        w = [wi - si for wi, si in zip(w, step, strict=True)]
    # sort/pair_score.py defines its W_ constants in the order of WEIGHTS (and of features()).
    names = [name for name in vars(ps) if name.startswith("W_")]
    assert len(names) == len(ps.WEIGHTS) == k - 1, "pair_score.py's W_ constants and WEIGHTS disagree"
    for name, wi in zip(names, w, strict=False):
        print(f"{name} = {wi:.1f}")
    print(f"BIAS = {w[-1]:.1f}")
    return w[:-1], w[-1]


def _solve(a: list[list[float]], b: list[float]) -> list[float]:
    """x with a x = b, by Gauss-Jordan elimination with partial pivoting (a is small and regularised)."""
    n = len(b)
    m = [row[:] + [b[i]] for i, row in enumerate(a)]
    for c in range(n):
        p = max(range(c, n), key=lambda r: abs(m[r][c]))
        m[c], m[p] = m[p], m[c]
        if abs(m[c][c]) < 1e-12:
            continue
        for r in range(n):
            if r != c:
                f = m[r][c] / m[c][c]
                m[r] = [x - f * y for x, y in zip(m[r], m[c], strict=True)]
    return [m[i][n] / m[i][i] if abs(m[i][i]) > 1e-12 else 0.0 for i in range(n)]


def fitted_scores(rows: list[dict], w: list[float], b: float, label: str) -> None:
    """Precision and recall of fitted weights (before they go into sort/pair_score.py) at score 0.5."""
    tp = fp = fn = 0
    for n, row in enumerate(rows):
        docs, _ = cl._docs(pair_items(row, n))
        merged = b + sum(wi * fi for wi, fi in zip(w, ps.features(*docs), strict=True)) >= 0
        tp += merged and row["same"]
        fp += merged and not row["same"]
        fn += row["same"] and not merged
    print(f"fitted {label}: precision {tp / max(tp + fp, 1):.3f} recall {tp / max(tp + fn, 1):.3f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pairs", type=Path, default=ROOT / "tests" / "data" / "story_pairs.jsonl")
    ap.add_argument("--threshold", type=float, default=0.5)
    ap.add_argument("--fit", action="store_true", help="fit evidence weights on the tuning half, print them")
    ap.add_argument("--show", action="store_true", help="print the pairs the clusterer gets wrong")
    ap.add_argument("--pairs-only", action="store_true", help="skip the timings")
    ap.add_argument("--big", action="store_true", help="also time 300k items (several minutes)")
    args = ap.parse_args()

    if args.pairs.exists():
        tuning, held = load_pairs(args.pairs)
        if args.fit:
            w, b = fit(tuning)
            fitted_scores(tuning, w, b, "tuning")
            fitted_scores(held, w, b, "held-out")
        print(f"labelled pairs at threshold {args.threshold} (goal precision >= 0.95, recall >= 0.85):")
        pair_scores(tuning, args.threshold, "tuning", args.show)
        pair_scores(held, args.threshold, "held-out", args.show)
        pair_scores(tuning + held, args.threshold, "all")
        if args.pairs_only:
            return
    else:
        print(f"no labelled pairs at {args.pairs}: skipping precision/recall")

    weights = {s: 1.0 + (i % 3) * 0.5 for i, s in enumerate(SOURCES)}
    sizes = [10_000, 100_000] + ([300_000] if args.big else [])
    times: dict[int, float] = {}
    for n in sizes:
        items = synthetic(n)
        secs, stories = time_run(items, weights)
        times[n] = secs
        quality = synthetic_quality(items, stories)
        print(f"{n:>7} items: cluster+rank {secs:6.2f} s, {len(stories)} stories; {quality}")
    print(f"t(100k)/t(10k) = {times[100_000] / times[10_000]:.1f} (goal <= 12)")
    if 300_000 in times:
        print(f"t(300k)/t(100k) = {times[300_000] / times[100_000]:.1f}")
    small = synthetic(2_000)
    secs = baseline(small)
    naive_100k = secs * (100_000 / 2_000) ** 2
    print(f"baseline all-pairs on 2k items: {secs:.2f} s; extrapolated to 100k: {naive_100k:,.0f} s")
    print(f"speed-up at 100k over all-pairs: {naive_100k / times[100_000]:,.0f}x")


if __name__ == "__main__":
    main()
