"""Whether two items tell one event: the evidence two comparison forms share, weighed into a 0..1 score.

Two items are compared on evidence, not on word overlap alone (short summaries share little text, and
near misses share the company name):
  text      cosine of IDF-weighted shingles: Latin words (stop words dropped, cut to 5 letters), character
            bigrams of Han/Kana/Hangul runs (no word segmenter needed), and names
  names     shared names: capitalised or mixed-case words (Zepto, YU7, HBM4), aliases folded to one
            name (Hon Hai = Foxconn, 小米 = Xiaomi, 삼성전자 = Samsung); the headline's first name counts most
  figures   shared money (any notation and currency: $16.5bn ~ 22조8천억원; a round figure within its own
            rounding: "$30 million" ~ 44.5 billion won), percentages, counts
  conflicts different amounts changing hands (a valuation is not one: "raises $260m" and "valued at
            $5.25bn" tell one listing), different quarters (Q2 vs Q3), different countries or cities: each is
            strong evidence of a different event; items days apart are weak evidence
The evidence is summed with weights fitted on the tuning half of tests/data/story_pairs.jsonl and
squashed to 0..1: `ranking.cluster_threshold` is the score two items need to be one story, 0.5 meaning
"as likely the same event as not" on those pairs. Lower merges more; higher merges only sure pairs.
A few kinds of evidence cap the score at GATED (0.3) instead of adding to it, because on the tuning pairs
they meant "another event" far more often than not: a headline's lead name the other item never mentions
(unless the other lead is shared and the kind of event too); a conflict (different amounts, quarters,
kinds of event, counts, days, ordinals) unless an amount of money or two figures match;
and support so thin that only a name is shared (no figure, no same kind of event, text cosine < 0.2).
At 0.5 this favours precision (an editor loses a story to a false merge, and only sees a duplicate
from a missed one); a threshold under 0.3 lets capped pairs merge on their weights alone.
Each cap was kept only if it raised recall or precision on the tuning half without lowering the other.
Measured (bench/bench_cluster.py; tuning / held-out halves): 0.5 -> precision 1.00 / 0.96, recall
0.86 / 0.72; 0.25 -> precision 0.73 / 0.73, recall 1.00 / 0.97.
Two items from the SAME source merge only when their text is near-identical (a repost or an update).
clustering.py builds each item's comparison form (a `Doc`) and decides which pairs to compare and merge.
"""

from __future__ import annotations

import dataclasses
import math

from .evidence_figures import Figure

SAME_SOURCE_TEXT = 0.8  # one outlet's two items are one story only when their text cosine is this high
GATED = 0.3  # the most a pair failing a gate can score (below any sensible threshold)
MIN_TEXT = 0.15  # items without a lead name each and no shared figure need this much text in common
DAYS_APART = 3.0  # items published further apart than this are weakly evidence of different events
MIN_SUPPORT_TEXT = 0.2  # a pair sharing no figure and no kind of event needs this much text in common

# Evidence weights, fitted by logistic regression on the tuning half of story_pairs.jsonl
# (bench/bench_cluster.py --fit) and rounded; score = 1 / (1 + exp(-(BIAS + sum of weight * feature))).
W_TEXT = 0.2  # text cosine, 0..1
W_NAMES = 0.3  # shared names, capped at 3 (the headline's first name counts double)
W_FIGURES = 1.4  # shared figures, capped at 2
W_LEAD_MISSING = 0.1  # per item whose headline's first name the other item never mentions
W_NO_NAME = -0.5  # no shared name at all
W_MONEY_CONFLICT = -1.6  # both state money, no amount in common
W_PCT_CONFLICT = -0.5  # both state percentages, none in common
W_QUARTER_CONFLICT = -1.7  # Q2 results vs Q3 results
W_PLACE_CONFLICT = -1.1  # both name countries or cities, none in common
W_DAYS_APART = -2.5  # published more than DAYS_APART days apart: a prior (the labelled pairs carry no dates)
W_EVENT_SAME = 0.3  # both headlines report the same kind of event (a listing, results, job cuts)
W_EVENT_CONFLICT = -1.6  # both report a kind of event, never the same kind
W_UNSHARED = -1.0  # per headline name (up to 3) the other item never mentions
W_COUNT_CONFLICT = -2.3  # both state counts (jobs, units), none in common
W_DATE_CONFLICT = -1.9  # both name a day (Feb 29, March 15), none in common
W_ORDINAL_CONFLICT = -1.9  # headlines with different ordinals: the third launch vs the fourth
BIAS = 1.0


@dataclasses.dataclass(slots=True)
class Doc:
    """An item's comparison form (see the module docstring); never changed once made.

    Not a frozen dataclass: a frozen one's __init__ sets each field through object.__setattr__, and
    making the 80,000 of a 100,000-item week cost eight times as long.
    """

    vec: dict[str, float]  # unit-length IDF-weighted shingles
    lead: str  # the headline's first name
    names: frozenset[str]
    places: frozenset[str]
    figures: tuple[Figure, ...]
    by_kind: dict[str, tuple[Figure, ...]]  # money ($1m or more), pct, count, date: for conflicts
    money: tuple[Figure, ...]  # by_kind's money, valuations and revenue (money_of), compared pair by pair
    quarters: frozenset[int]
    events: frozenset[str]  # kinds of event the headline reports (listing, results, jobs, ...)
    ordinals: frozenset[int]
    title_names: frozenset[str]
    source: str
    when: float  # POSIX seconds
    script: str  # the headline's script: "" (Latin), "zh", "zh-hant", "ja" or "ko"
    versions: frozenset[str]  # product versions the headline states ("Gemini 3.7")
    all_versions: frozenset[str]  # ... and the summary


_NO_FIGURES: dict[str, tuple[Figure, ...]] = {}  # shared by every item stating none (never written to)


def by_kind(figs: tuple[Figure, ...]) -> dict[str, tuple[Figure, ...]]:
    """Figures by kind; money only from $1m (a share price differs from a deal size in one story)."""
    if not figs:
        return _NO_FIGURES
    out: dict[str, tuple[Figure, ...]] = {}
    for f in figs:
        if f.kind != "money" or f.usd >= 1e6:
            kind = "valuation" if f.valuation else "revenue" if f.revenue else f.kind
            out[kind] = (*out.get(kind, ()), f)
    return out


_MONEY_KINDS = ("money", "valuation", "revenue")


def money_of(kinds: dict[str, tuple[Figure, ...]]) -> tuple[Figure, ...]:
    """Every amount of money of $1m or more in by_kind's result, valuations and revenue included."""
    return tuple([x for k in _MONEY_KINDS for x in kinds.get(k, ())]) if kinds else ()


def features(a: Doc, b: Doc) -> tuple[float, ...]:
    """The evidence that two items tell one event, in the order of WEIGHTS."""
    va, vb = a.vec, b.vec
    if len(va) > len(vb):  # iterate over the shorter vector
        va, vb = vb, va
    text = sum([w * vb[t] for t, w in va.items() if t in vb])
    shared = a.names & b.names
    lead_shared = (a.lead in shared) or (b.lead in shared)
    n_names = min(3, len(shared) + lead_shared)
    missing = (bool(a.lead) and a.lead not in b.names) + (bool(b.lead) and b.lead not in a.names)
    matched = 0
    if a.figures and b.figures:
        matched = sum(1 for f in a.figures if any(f.same(g) for g in b.figures))
    figured = a.by_kind and b.by_kind  # else no conflict of figures (most pairs: one states none)
    return (
        text,
        float(n_names),
        float(min(2, matched)),
        float(missing),
        float(not shared),
        float(bool(figured) and _money_conflict(a, b)),
        float(bool(figured) and _conflict(a, b, "pct")),
        float(bool(a.quarters and b.quarters and a.quarters.isdisjoint(b.quarters))),
        float(bool(a.places and b.places and a.places.isdisjoint(b.places))),
        float(abs(a.when - b.when) > DAYS_APART * 86400),
        float(bool(a.events & b.events)),
        float(bool(a.events and b.events and a.events.isdisjoint(b.events))),
        float(min(3, len(a.title_names - b.names) + len(b.title_names - a.names))),
        float(bool(figured) and _conflict(a, b, "count")),
        float(bool(figured) and _conflict(a, b, "date")),
        float(_ordinal_conflict(a.ordinals, b.ordinals)),
    )


def _ordinal_conflict(a: frozenset[int], b: frozenset[int]) -> bool:
    """The third launch is not the fourth (but "first" alone is too common to tell anything)."""
    return bool(a and b and a.isdisjoint(b) and max(a | b) > 1)


def _same_money(a: Doc, b: Doc) -> bool:
    """Both state one amount of money of $1m or more (in any notation or currency), valuations included."""
    xs, ys = a.money, b.money
    return bool(xs and ys) and any(x.same(y) for x in xs for y in ys)


def _money_conflict(a: Doc, b: Doc) -> bool:
    """Both state amounts that change hands and share no amount of money.

    Valuations aside: "raises $260m" and "valued at $5.25bn" report one listing, not two. Revenue
    counts only in a results story: "$5bn of revenue" and "seeks $80bn" report one filing.
    """
    if "results" in a.events or "results" in b.events:  # a results story: its revenue is its figure
        kinds = ("money", "revenue")
        both = any(k in a.by_kind for k in kinds) and any(k in b.by_kind for k in kinds)
    else:
        both = "money" in a.by_kind and "money" in b.by_kind
    return both and not _same_money(a, b)


def _conflict(a: Doc, b: Doc, kind: str) -> bool:
    """Both state figures of this kind and none of them is shared."""
    xs, ys = a.by_kind.get(kind, ()), b.by_kind.get(kind, ())
    return bool(xs and ys) and not any(x.same(y) for x in xs for y in ys)


WEIGHTS = (
    W_TEXT, W_NAMES, W_FIGURES, W_LEAD_MISSING, W_NO_NAME, W_MONEY_CONFLICT, W_PCT_CONFLICT,
    W_QUARTER_CONFLICT, W_PLACE_CONFLICT, W_DAYS_APART, W_EVENT_SAME, W_EVENT_CONFLICT, W_UNSHARED,
    W_COUNT_CONFLICT, W_DATE_CONFLICT, W_ORDINAL_CONFLICT,
)  # fmt: skip


def similarity(a: Doc, b: Doc) -> float:
    """The 0..1 score the threshold applies to (see the module docstring)."""
    if (a.lead and a.lead not in b.names) and (b.lead and b.lead not in a.names):
        return 0.0  # neither headline's lead name is in the other item: two companies' news
    f = features(a, b)
    if a.source == b.source and f[0] < SAME_SOURCE_TEXT:
        return 0.0  # one outlet does not tell one event twice, bar a repost or an update
    if (a.versions and a.versions.isdisjoint(b.all_versions)) or (
        b.versions and b.versions.isdisjoint(a.all_versions)
    ):
        return min(GATED, _logistic(f))  # "Gemini 3.7 Flash" is news of its own, apart from other Gemini news
    text, shared_figures, missing = f[0], f[2], f[3]
    # One product version in both ("Gemini 3.7") is as telling as a figure in common.
    shared_figures += bool(a.versions & b.all_versions or b.versions & a.all_versions)
    lead_shared = (a.lead and a.lead in b.names) or (b.lead and b.lead in a.names)
    if missing > 1 or (missing and not shared_figures and not (lead_shared and f[10])):
        # A headline's lead name the other item never mentions: another company's news, unless the other
        # headline's lead is shared and both report the same kind of event (one leads with the regulator
        # or the buyer: "DoT issues licence to Starlink" vs "Starlink wins licence"). Shared wording is no
        # exception: "MediaTek wins Google's TPU" and "Google picks Johor for a TPU centre" share 0.41.
        return min(GATED, _logistic(f))
    named = (a.lead and b.lead) or (lead_shared and f[10])  # or one lead is shared, one kind of event
    if text < MIN_TEXT and not (shared_figures or a.script != b.script or named):
        return min(GATED, _logistic(f))  # a headline without a name, little text in common
    if (f[5] or f[7] or f[11] or f[13] or f[14] or f[15]) and not (shared_figures >= 2 or _same_money(a, b)):
        # Different amounts, quarters, kinds of event, counts, days or ordinals: each alone meant a different
        # event on the tuning pairs far more often than two framings of one (a capped score, not a veto:
        # a threshold under GATED still merges them). Percentages and places stay soft: outlets quote
        # different ones for one event (a 17% rise, a 20% share drop; Mumbai, India). One amount of money
        # or two figures in common outweigh a headline word read as another kind of event ("$450 mn ...
        # ahead of IPO" is the round; "$6.5bn Ampere deal" and "to buy Ampere for $6.5 billion").
        return min(GATED, _logistic(f))
    two_names = a.script != b.script and len(a.names & b.names) > 1
    if not (shared_figures or f[10] or text >= MIN_SUPPORT_TEXT or two_names):
        # One shared name and nothing else: same company, another event. Across scripts the text cosine
        # is near zero by construction, so there two shared names stand in for the missing wording.
        return min(GATED, _logistic(f))
    return _logistic(f)


def _logistic(f: tuple[float, ...]) -> float:
    z = BIAS + sum([w * x for w, x in zip(WEIGHTS, f, strict=True)])
    return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))
