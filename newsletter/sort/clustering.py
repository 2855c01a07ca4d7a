"""Group items that tell the same event into stories, for any script (English, Chinese, Japanese, Korean).

Each item gets a comparison form (a `Doc`: its IDF-weighted shingle vector over this batch and what it
states, read through facts.py); pair_score.py says how likely two of them tell one event, and
`ranking.cluster_threshold` is the score two items need to be one story (its scale is documented there).
Stories are grown by average link, strongest pairs first, so one round-up cannot chain two events.
Scale: no all-pairs comparison. Each item is indexed under its few most distinctive shingles and names
(blocking); only items sharing such keys are compared, and a key held by too many items is no key at all.
"""

from __future__ import annotations

import gc
import itertools
import math
import multiprocessing as mp
import os
import threading
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from ..errors import ConfigError
from ..models import Item, Story, evolve, when
from .evidence_words import WEAK, WEAK_FACTOR
from .facts import Facts, Stated, stated_of
from .pair_score import Doc, by_kind, money_of, similarity

LINK_FACTOR = 0.7  # a merged story's average score must stay >= threshold * this (stops chaining)
PARALLEL_MIN = 20_000  # items needing facts before a second process is forked to share the work
MAX_STORY = 60  # no story grows past this many items (a runaway merge is a bug, not news)
KEYS_PER_ITEM = 10  # blocking keys per item: its most distinctive shingles and names
KEY_MAX_ITEMS = 20  # a key held by more items than this is too common to block on (40: 2x the pairs)
MIN_SHARED_KEYS = 2  # items compared only when they share this many blocking keys
PRIOR_DOCS = 200  # pseudo-documents in the IDF, so a small batch does not zero out shared names


def _vectors(
    items: Sequence[Item], facts: Facts | None = None
) -> tuple[list[dict[str, float]], list[list[str]]]:
    """Unit IDF-weighted shingle vectors (IDF over this batch, smoothed by PRIOR_DOCS) and blocking keys."""
    facts = facts or Facts()
    raw = [facts.counts(it) for it in items]
    df: Counter[str] = Counter(itertools.chain.from_iterable(raw))  # in how many items each shingle is
    total = len(items) + PRIOR_DOCS
    idf = {t: math.log(total / (n + 1)) * (WEAK_FACTOR if t in WEAK else 1.0) for t, n in df.items()}
    keyable = {t for t, n in df.items() if 1 < n <= KEY_MAX_ITEMS}
    tf = [0.0, 1.0] + [1.0 + math.log(n) for n in range(2, 64)]  # sublinear term frequency, precomputed
    vecs: list[dict[str, float]] = []
    keys: list[list[str]] = []
    for i, counts in enumerate(raw):
        raw[i] = _DONE  # each item's counts are let go as soon as its vector is made: memory stays flat
        weights = [tf[n] * idf[t] if n < 64 else (1.0 + math.log(n)) * idf[t] for t, n in counts.items()]
        norm = math.hypot(*weights) or 1.0
        vec = dict(zip(counts, [w / norm for w in weights], strict=True))
        vecs.append(vec)
        best = sorted([(-vec[t], t) for t in keyable.intersection(vec)])  # most distinctive first
        keys.append([t for _w, t in best[:KEYS_PER_ITEM]])
    return vecs, keys


_DONE: dict[str, int] = {}
_NO_NAMES: frozenset[str] = frozenset()
_NO_ITEMS: list[int] = []  # never written to
_FORKED: Sequence[Item] = ()  # the items a forked worker reads (inherited from the parent, never pickled)


def _stated_chunk(which: list[int]) -> list[Stated]:
    return [stated_of(_FORKED[i]) for i in which]


def _read_stated(items: list[Item], parallel: bool | None = None) -> list[Stated]:
    """What these items state; a large batch is split with one forked worker (2 cores).

    Only a large batch (PARALLEL_MIN) in a single-threaded process forks: forking a threaded process can
    deadlock, and on a small batch the fork costs more than it saves. Any failure falls back to one process.
    """
    global _FORKED
    if parallel is None:
        parallel = len(items) >= PARALLEL_MIN and threading.active_count() == 1 and (os.cpu_count() or 1) > 1
    if not parallel or "fork" not in mp.get_all_start_methods():
        return [stated_of(it) for it in items]
    half = len(items) // 2
    _FORKED = items
    try:
        with ProcessPoolExecutor(1, mp_context=mp.get_context("fork")) as pool:
            later = pool.submit(_stated_chunk, list(range(half, len(items))))
            first = [stated_of(it) for it in items[:half]]
            return first + later.result()
    except (OSError, BrokenProcessPool):
        return [stated_of(it) for it in items]
    finally:
        _FORKED = ()


def _build(
    items: Sequence[Item],
    vecs: list[dict[str, float]],
    which: Sequence[int],
    parallel: bool | None = None,
    facts: Facts | None = None,
) -> dict[int, Doc]:
    """Comparison forms of the items at these indices (only items some candidate pair holds need one)."""
    read = facts or Facts()
    stated = read.stated([items[i] for i in which], lambda todo: _read_stated(todo, parallel))
    found = dict(zip(which, stated, strict=True))
    del stated  # found holds each item's statements alone, so the loop below can let them go
    # Words the batch writes in lower case, of those some item writes capitalised at a sentence start (the
    # only ones settle() asks about): such an opener is a word, not a name.
    openers = frozenset().union(*(fact[0].initial for fact in found.values()))
    common: set[str] = set()
    if openers:
        for fact in found.values():
            common.update(openers.intersection(fact[0].lower))
    docs: dict[int, Doc] = {}
    for i in which:
        it = items[i]
        nm, figs, quarts, kinds, ords, script, vers, all_vers = found.pop(i)  # the rest is let go as it goes
        lead, all_names = nm.settle(common)
        kinds_of = by_kind(figs)
        docs[i] = Doc(
            vecs[i], lead, all_names, nm.places, figs, kinds_of, money_of(kinds_of), quarts, kinds, ords,
            (nm.title & all_names) or _NO_NAMES, it.source_id,
            when(it).timestamp() if it.published else 0.0, script, vers, all_vers,
        )  # fmt: skip
    return docs


def _docs(items: Sequence[Item]) -> tuple[list[Doc], list[list[str]]]:
    """Every item's comparison form, and its blocking keys."""
    facts = Facts()
    vecs, keys = _vectors(items, facts)
    docs = _build(items, vecs, range(len(items)), facts=facts)
    return [docs[i] for i in range(len(items))], keys


def _candidates(keys: list[list[str]]) -> list[tuple[int, int]]:
    """Pairs (i < j) sharing two blocking keys (one, for an item with fewer keys): the only pairs compared.

    Counted item by item (the later items sharing any of its keys, a list of item numbers each), not as
    pairs over the whole week: a 100,000-item week has over a million pairs sharing one key, too many to
    hold as pairs and counts. Which pairs come out does not depend on their order (edges are sorted).
    """
    posting: dict[str, list[int]] = defaultdict(list)
    for i, ks in enumerate(keys):
        for k in ks:
            posting[k].append(i)  # in increasing order
    later_of: list[list[int]] = [[] for _ in keys]  # item -> the later items sharing each of its keys
    for members in posting.values():
        for p in range(len(members) - 1):  # walked key by key: no search for an item's place in each list
            later_of[members[p]] += members[p + 1 :]
    del posting
    few = {i for i, ks in enumerate(keys) if len(ks) < MIN_SHARED_KEYS}
    pairs: list[tuple[int, int]] = []
    for i, shared in enumerate(later_of):
        if not shared:
            continue
        later_of[i] = _NO_ITEMS  # let go as it is counted
        later = Counter(shared)
        if i in few:
            pairs.extend((i, j) for j in later)
        else:
            pairs += [(i, j) for j, n in later.items() if n >= MIN_SHARED_KEYS or j in few]
    return pairs


def dedupe(items: Sequence[Item]) -> list[Item]:
    """One item per id (daily snapshots of a feed repeat ids): the earliest published copy wins."""
    best: dict[str, Item] = {}
    for it in items:
        seen = best.get(it.id)
        if seen is None or when(it) < when(seen):
            best[it.id] = it
    return list(best.values())


def cluster(
    items: Sequence[Item],
    *,
    threshold: float = 0.5,
    source_weight: Mapping[str, float],
    facts: Facts | None = None,
) -> list[Story]:
    """Group items about the same event into stories; see the module docstring for the threshold scale.

    facts: what is known of each item's text (facts.py), kept by the caller between runs; the facts this
    run reads are added to it (`Facts.fresh()` gives them, to store).
    """
    paused = gc.isenabled()
    gc.disable()  # see group(): making 100,000 stories needs no collector either
    try:
        unique = dedupe(items)
        return stories(unique, group(unique, threshold=threshold, facts=facts), source_weight)
    finally:
        if paused:
            gc.enable()


def group(items: Sequence[Item], *, threshold: float = 0.5, facts: Facts | None = None) -> list[list[int]]:
    """The stories of these items (one per id: see dedupe) as lists of their indices.

    Reads only the items' text, source and date, never their labels: a build labels them meanwhile.
    """
    if not 0.0 < threshold <= 1.0:
        raise ConfigError(
            f"ranking.cluster_threshold is {threshold}: set it between 0 and 1 (0.5 is the default)"
        )
    # The cyclic GC rescans the growing heap of acyclic dicts again and again on a 100k-item week
    # (a third of the run time); nothing built here forms a cycle, so it waits until we are done.
    paused = gc.isenabled()
    gc.disable()
    try:
        return _group(items, threshold, facts or Facts())
    finally:
        if paused:
            gc.enable()


def _group(items: Sequence[Item], threshold: float, facts: Facts) -> list[list[int]]:
    vecs, keys = _vectors(items, facts)
    pairs = _candidates(keys)
    compared = sorted({i for pair in pairs for i in pair})
    wanted = set(compared)
    vecs = [vec if i in wanted else {} for i, vec in enumerate(vecs)]  # the rest are done with: memory back
    docs = _build(items, vecs, compared, facts=facts)
    # Each candidate pair's score, kept: the merges below ask for most of them again (four in five of
    # their pairs on a 100,000-item week). Keyed i * n + j in the order scored (a score is not quite
    # symmetric: its text cosine sums the shorter vector's terms), so a kept score is the one recomputed.
    n = len(items)
    scored = {i * n + j: similarity(docs[i], docs[j]) for i, j in pairs}
    edges = [(-sim, i, j) for (i, j), sim in zip(pairs, scored.values(), strict=True) if sim >= threshold]
    edges.sort()

    # Greedy average-link merging, strongest pairs first: a pair above the threshold joins two groups only
    # if the groups stay alike on average, so one round-up article cannot chain two events together.
    group = list(range(len(items)))
    members: dict[int, list[int]] = {i: [i] for i in range(len(items))}
    link_floor = threshold * LINK_FACTOR
    for _neg, i, j in edges:
        gi, gj = group[i], group[j]
        if gi == gj:
            continue
        a, b = members[gi], members[gj]
        if len(a) + len(b) > MAX_STORY:
            continue
        if len(a) > 1 or len(b) > 1:
            total = 0.0
            for x in a:
                for y in b:
                    sim = scored.get(x * n + y)
                    total += similarity(docs[x], docs[y]) if sim is None else sim
            mean = total / (len(a) * len(b))
            if mean < link_floor:
                continue
        if len(a) < len(b):
            gi, gj, a, b = gj, gi, b, a
        a.extend(b)
        for x in b:
            group[x] = gi
        del members[gj]
    return list(members.values())


def stories(
    items: Sequence[Item], groups: list[list[int]], source_weight: Mapping[str, float]
) -> list[Story]:
    """The stories of `group`'s result (items as grouped, labelled or not), earliest first."""
    found = [_story([items[x] for x in m], source_weight) for m in groups]
    found.sort(key=lambda s: (when(s.lead), s.id))
    return found


def _story(items: list[Item], source_weight: Mapping[str, float]) -> Story:
    """A story from its items: id of the earliest item, lead from the best-placed source."""
    first = min(items, key=lambda it: (when(it), it.id))
    ordered = sorted(items, key=lambda it: (-source_weight.get(it.source_id, 1.0), when(it), it.id))
    tagged = tuple(evolve(it, story_id=first.id) for it in ordered)
    return Story(id=first.id, lead=tagged[0], also=tagged[1:])
