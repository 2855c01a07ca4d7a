"""Group items that tell the same event into stories, for any script (English, Chinese, Japanese, Korean).

How two items are compared (the scale of `ranking.cluster_threshold`):
  similarity = cosine of IDF-weighted shingle vectors of title (counted twice) + the start of the summary,
  multiplied by 0.6 when both items state money figures and share none (two rounds by one company).
  0 = nothing in common, 1 = the same text; the cosine is raised to a power (POWER_*) so that 0.5 sits
  between same/different on the hand-written pairs of tests/test_cluster.py. Lower merges more, higher
  merges only close rewrites. Two items from the SAME source merge only when near-identical (>= 0.9).
Shingles: lower-cased Latin words (plurals folded, stop words dropped), figures normalised to one token
("$450 million", "US$450M" and "4.5亿美元" -> "#4.5e+08"), and character bigrams of Han, Katakana and Hangul
runs, so Chinese, Japanese and Korean text needs no word segmenter.
Scale: no all-pairs comparison. Each item is indexed under its few most distinctive shingles (blocking);
only items sharing such a key are compared, and a key held by too many items is no key at all.
"""

from __future__ import annotations

import dataclasses
import gc
import itertools
import math
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence

from .errors import ConfigError
from .models import Item, Story

PREFIX = 5  # English words are cut to 5 letters: raises/raised/raising, centre/centres match
SUMMARY_CHARS = 400  # the event is stated at the start; later paragraphs are background that drifts
FIGURE_PENALTY = 0.6  # both name money figures, none shared: probably a different deal
SAME_SOURCE_MIN = 0.9  # one outlet's two items are one story only when nearly identical
LINK_FACTOR = 0.6  # a merged story's average similarity must stay >= threshold * this (stops chaining)
MAX_STORY = 60  # no story grows past this many items (a runaway merge is a bug, not news)
# Cosine is raised to a power so that 0.5 sits where same/different pairs part: cosine 0.30 for English
# text, 0.45 for CJK text (character bigrams share more by chance). Calibrated on hand-written pairs.
POWER_LATIN = 0.576  # 0.30 ** 0.576 == 0.5
POWER_CJK = 0.87  # 0.45 ** 0.87 == 0.5
KEYS_PER_ITEM = 8  # blocking keys per item: its most distinctive shingles
MIN_SHARED_KEYS = 2  # items compared only when they share this many blocking keys
KEY_MAX_ITEMS = 40  # a shingle held by more items than this is too common to block on
PRIOR_DOCS = 200  # pseudo-documents in the IDF, so a small batch does not zero out shared names

# Words that say nothing about which event an item is about. Dropped entirely.
_STOP_WORDS = """a an the and or but of to in on at by for with from as is are was were be been being it
    its this that these those has have had will would can could may might should do does did not no
    than then so such
    into over after before about up down out off more most new also says said say per via amid who what
    which when where why how all any each other their there they them he she his her we our you your i
    up just like one two three year years week month day today yesterday latest get gets got while
    now still even only very much many since until under between against through during its"""
_STOP = frozenset(_STOP_WORDS.split())
# Words common in tech news: kept, but weigh little (a shared "startup" is not a shared event).
_WEAK_WORDS = """company companies startup firm group business market report reports reported according
    raise raises raised raising round funding fund investor investors investment invest billion million
    valuation series deal share shares stock price percent tech technology technologies ai chip chips news
    plan plans launch launches launched announce announced announces ceo chief executive us china
    india japan korea south asia global world make makes made set sets take takes big top"""
_WEAK = frozenset(w[:PREFIX] for w in _WEAK_WORDS.split())
_WEAK_FACTOR = 0.3
# Han characters that are grammar rather than content; a bigram holding one is dropped.
_HAN_STOP = frozenset("的了是在和与及将已对为等也这其并被于从把而之或就都由向以")

_MULT = {
    "k": 1e3, "thousand": 1e3, "m": 1e6, "mn": 1e6, "mln": 1e6, "million": 1e6, "b": 1e9, "bn": 1e9,
    "billion": 1e9, "t": 1e12, "tn": 1e12, "trillion": 1e12, "lakh": 1e5, "crore": 1e7, "cr": 1e7,
    "万": 1e4, "萬": 1e4, "만": 1e4, "千万": 1e7, "千萬": 1e7, "亿": 1e8, "億": 1e8, "억": 1e8,
    "兆": 1e12, "조": 1e12,
}  # fmt: skip
_CUR = r"(?:us\$|s\$|hk\$|nt\$|a\$|rmb|usd|cny|jpy|krw|inr|rs\.?|\$|¥|￥|₹|€|£|₩)"
_UNIT = (
    r"(?:thousand|million|billion|trillion|crore|lakh|mln|mn|bn|tn|cr|k|m|b|t"
    r"|千万|千萬|万|萬|亿|億|兆|만|억|조)"
)
_SUFFIX = r"(?:dollars?|yuan|yen|won|rupees?|美元|元|円|ドル|달러|원)"
_FIGURE_RE = re.compile(
    r"(?=[\d$¥￥₹€£₩uhsnarcjki])"  # cheap first-character filter: most positions start no figure
    r"(?:(?P<pct>\d+(?:\.\d+)?)\s?(?:%|percent\b|per cent\b)"
    rf"|(?:(?P<cur>{_CUR})\s?)?(?P<num>\d[\d,]*(?:\.\d+)?)(?:\s?(?P<unit>{_UNIT})(?![a-z]))?"
    rf"(?:\s?(?P<suf>{_SUFFIX}))?)"
)
_TOKEN_RE = re.compile(
    r"[a-z0-9][a-z0-9'’]*"
    r"|[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u30a0-\u30ff\u31f0-\u31ff々〆ー]+"
    r"|[\uac00-\ud7af]+"
)
_HAS_DIGIT = re.compile(r"\d")
PHRASES = False
_SERIES_RE = re.compile(r"\bseries ([a-h])\b")


def _figure(m: re.Match[str]) -> str | None:
    """One figure token, or None when the number is only a number (a year, a count)."""
    if m.group("pct"):
        return f"%{float(m.group('pct')):g}"
    cur, unit, suf = m.group("cur"), m.group("unit"), m.group("suf")
    try:
        value = float(m.group("num").replace(",", ""))
    except ValueError:
        return None
    if not (cur or unit or suf):
        return None  # a bare number: a year, a count, a model name
    if not (cur or suf) and (unit in ("m", "b", "t", "k") or (not unit and value < 1000)):
        return None  # "5 m" is five metres more often than five million; "12" is a count
    if unit:
        value *= _MULT[unit]
    return f"#{value:.2g}" if value >= 1e6 else f"#{value:g}"


def _word_token(word: str) -> str:
    """A Latin word as a shingle ("" to drop it): possessive and plural folded, cut to PREFIX letters."""
    word = word.strip("'’").replace("’", "'")
    if word.endswith("'s"):
        word = word[:-2]
    if len(word) < 2 or word in _STOP or (word.isdigit() and len(word) < 4):
        return ""
    if len(word) > 4 and word.endswith("s") and not word.endswith(("ss", "series")):
        word = word[:-3] + "y" if word.endswith("ies") else word[:-1]
    return word if word[0].isdigit() else word[:PREFIX]


def _cjk_tokens(run: str) -> list[str]:
    """Character bigrams of a Han/Kana/Hangul run, skipping grammar characters."""
    if len(run) == 1:
        return [] if run in _HAN_STOP else [run]
    return [
        run[i : i + 2] for i in range(len(run) - 1) if run[i] not in _HAN_STOP and run[i + 1] not in _HAN_STOP
    ]


# Words repeat across a week's items: memoise their shingles (bounded, cleared when full).
_CACHE: dict[str, tuple[str, ...]] = {}
_CACHE_MAX = 500_000


def shingles(text: str) -> tuple[Counter[str], frozenset[str]]:
    """Shingle counts of a text, and the money figures in it (see the module docstring)."""
    norm = text.lower() if text.isascii() else unicodedata.normalize("NFKC", text).casefold()
    counts: Counter[str] = Counter()
    money: set[str] = set()

    def take(m: re.Match[str]) -> str:
        tok = _figure(m)
        if not tok:
            return m.group(0)
        counts[tok] += 1
        if tok.startswith("#") and float(tok[1:]) >= 1e6:
            money.add(tok)
        return " "  # a figure counts once, not again as the word "450m"

    if _HAS_DIGIT.search(norm):
        norm = _FIGURE_RE.sub(take, norm)
        for m in _SERIES_RE.finditer(norm):
            counts["series-" + m.group(1)] += 1
    elif "series " in norm:
        for m in _SERIES_RE.finditer(norm):
            counts["series-" + m.group(1)] += 1
    if len(_CACHE) > _CACHE_MAX:
        _CACHE.clear()
    out: list[str] = []
    for chunk in _TOKEN_RE.findall(norm):
        toks = _CACHE.get(chunk)
        if toks is None:
            if chunk[0] < "\u3000":
                word = _word_token(chunk)
                toks = (word,) if word else ()
            else:
                toks = tuple(_cjk_tokens(chunk))
            _CACHE[chunk] = toks
        out.extend(toks)
    counts.update(out)
    return counts, frozenset(money)


@dataclasses.dataclass(frozen=True)
class _Doc:
    """An item's comparison form: unit-length weight vector, money figures, source."""

    vec: dict[str, float]
    money: frozenset[str]
    source: str
    cjk: float  # share of shingles that are CJK character bigrams


def _tf(item: Item) -> tuple[Counter[str], frozenset[str]]:
    title, tmoney = shingles(item.title)
    body, bmoney = shingles(item.summary[:SUMMARY_CHARS])
    for tok, n in title.items():
        body[tok] += 2 * n  # the headline names the event; count it above the body
    return body, tmoney | bmoney


def similarity(a: _Doc, b: _Doc) -> float:
    """The 0..1 score the threshold applies to (see the module docstring)."""
    va, vb = a.vec, b.vec
    dot = sum([va[t] * vb[t] for t in va.keys() & vb.keys()])
    if dot <= 0.0:
        return 0.0
    if a.money and b.money and not (a.money & b.money):
        dot *= FIGURE_PENALTY
    power = POWER_LATIN + (POWER_CJK - POWER_LATIN) * (a.cjk + b.cjk) / 2
    return min(dot**power, 1.0)


def _is_cjk(token: str) -> bool:
    return token[0] > "\u2fff"


def _docs(items: Sequence[Item]) -> tuple[list[_Doc], list[list[str]]]:
    """Weight vectors (IDF over this batch, smoothed by PRIOR_DOCS) and each item's blocking keys."""
    raw = [_tf(it) for it in items]
    df: Counter[str] = Counter()
    for counts, _ in raw:
        df.update(counts.keys())
    total = len(items) + PRIOR_DOCS
    idf = {t: math.log(total / (n + 1)) * (_WEAK_FACTOR if t in _WEAK else 1.0) for t, n in df.items()}
    docs: list[_Doc] = []
    keys: list[list[str]] = []
    for it, (counts, money) in zip(items, raw, strict=True):
        vec = {t: idf[t] if n == 1 else (1.0 + math.log(n)) * idf[t] for t, n in counts.items()}
        norm = math.sqrt(sum([w * w for w in vec.values()])) or 1.0
        vec = {t: w / norm for t, w in vec.items()}
        cjk = 0.0
        if not (it.title.isascii() and it.summary.isascii()):
            cjk = sum(n for t, n in counts.items() if _is_cjk(t)) / (sum(counts.values()) or 1)
        docs.append(_Doc(vec, money, it.source_id, cjk))
        best = sorted((t for t in vec if 1 < df[t] <= KEY_MAX_ITEMS), key=lambda t: (-vec[t], t))
        keys.append(best[:KEYS_PER_ITEM])
    return docs, keys


def _candidates(keys: list[list[str]]) -> list[tuple[int, int]]:
    """Pairs (i < j) sharing two blocking keys (one, for an item with fewer keys): the only pairs compared."""
    posting: dict[str, list[int]] = defaultdict(list)
    for i, ks in enumerate(keys):
        for k in ks:
            posting[k].append(i)
    shared: Counter[tuple[int, int]] = Counter()
    for members in posting.values():
        if len(members) > 1:
            shared.update(itertools.combinations(members, 2))  # members are in increasing order
    few = {i for i, ks in enumerate(keys) if len(ks) < MIN_SHARED_KEYS}
    return [pair for pair, n in shared.items() if n >= MIN_SHARED_KEYS or (few and few.intersection(pair))]


def _dedupe(items: Sequence[Item]) -> list[Item]:
    """One item per id (daily snapshots of a feed repeat ids): the earliest published copy wins."""
    best: dict[str, Item] = {}
    for it in items:
        seen = best.get(it.id)
        if seen is None or it.published < seen.published:
            best[it.id] = it
    return list(best.values())


def cluster(
    items: Sequence[Item], *, threshold: float = 0.5, source_weight: Mapping[str, float]
) -> list[Story]:
    """Group items about the same event into stories; see the module docstring for the threshold scale."""
    if not 0.0 < threshold <= 1.0:
        raise ConfigError(
            f"ranking.cluster_threshold is {threshold}: set it between 0 and 1 (0.5 is the default)"
        )
    # The cyclic GC rescans the growing heap of acyclic dicts again and again on a 100k-item week
    # (a third of the run time); nothing built here forms a cycle, so it waits until we are done.
    paused = gc.isenabled()
    gc.disable()
    try:
        return _cluster(items, threshold, source_weight)
    finally:
        if paused:
            gc.enable()


def _cluster(items: Sequence[Item], threshold: float, source_weight: Mapping[str, float]) -> list[Story]:
    items = _dedupe(items)
    docs, keys = _docs(items)
    edges = []
    for i, j in _candidates(keys):
        sim = similarity(docs[i], docs[j])
        floor = max(threshold, SAME_SOURCE_MIN) if docs[i].source == docs[j].source else threshold
        if sim >= floor:
            edges.append((-sim, i, j))
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
            mean = sum(similarity(docs[x], docs[y]) for x in a for y in b) / (len(a) * len(b))
            if mean < link_floor:
                continue
        if len(a) < len(b):
            gi, gj, a, b = gj, gi, b, a
        a.extend(b)
        for x in b:
            group[x] = gi
        del members[gj]

    stories = [_story([items[x] for x in m], source_weight) for m in members.values()]
    stories.sort(key=lambda s: (s.lead.published, s.id))
    return stories


def _story(items: list[Item], source_weight: Mapping[str, float]) -> Story:
    """A story from its items: id of the earliest item, lead from the best-placed source."""
    first = min(items, key=lambda it: (it.published, it.id))
    ordered = sorted(items, key=lambda it: (-source_weight.get(it.source_id, 1.0), it.published, it.id))
    tagged = tuple(dataclasses.replace(it, story_id=first.id) for it in ordered)
    return Story(id=first.id, lead=tagged[0], also=tagged[1:])
