"""What clustering reads of one item, computed once from its text and kept: its shingles and what it states.

The per-item half of clustering (pair_score.py compares items; this reads them): the shingle counts of
the headline and the start of the summary, and the names, figures, quarters, kinds of event, ordinals,
script and product versions they state. Both derive from the item's text alone, so they are computed
the first time a build needs them and kept in the store (`Store.facts`, `Store.save_facts`), keyed by the
item and checked against a hash of the text they were read from: a feed that fixes a typo, or a new
FACTS_VERSION, has them read again. `Facts` is the cache one build, or a long-running process such as
the desk, holds: what the store gave, what was computed since, and which of those to save.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from typing import Any, TypeVar

from ..models import Item
from .evidence import ALIASES, CJK_NAME_RE, PLACES, Names, events, fold_case, names, tokens, word_token
from .evidence_figures import Figure, figures, ordinals, quarters, versions

FACTS_VERSION = 4  # bump whenever evidence*.py or this module reads text differently: stored facts go stale
SUMMARY_CHARS = 400  # the event is stated at the start; later paragraphs are background that drifts

Counts = dict[str, int]  # shingle -> count, in first-seen order (the order sums are taken in)
Stated = tuple[
    Names,
    tuple[Figure, ...],
    frozenset[int],
    frozenset[str],
    frozenset[int],
    str,
    frozenset[str],
    frozenset[str],
]  # names, figures, quarters, kinds of event, ordinals, script, the headline's versions, all versions


def text_key(item: Item) -> int:
    """A 63-bit hash of the text facts are read from: a stored fact with another key is stale."""
    text = f"{item.title}\x00{item.summary[:SUMMARY_CHARS]}".encode("utf-8", "surrogatepass")
    return int.from_bytes(hashlib.blake2b(text, digest_size=8).digest(), "big") >> 1


def counts_of(item: Item) -> Counts:
    """Shingle counts of an item: the headline counted three times, CJK names as their Latin word."""
    summary = item.summary[:SUMMARY_CHARS]
    head = tokens(item.title)
    counts = Counter(tokens(summary) + head + head + head)  # the headline names the event: it counts thrice
    if not (item.title.isascii() and summary.isascii()):
        for m in CJK_NAME_RE.finditer(fold_case(item.title + " " + summary)):
            counts[word_token(ALIASES.get(m.group(0)) or PLACES[m.group(0)])] += 1  # 小米 = xiaom
    return dict(counts)


def stated_of(item: Item) -> Stated:
    """What one item states (the costly part of clustering's comparison form)."""
    summary = item.summary[:SUMMARY_CHARS]
    text = item.title + "\n" + summary
    return (
        names(item.title, summary), figures(text), quarters(text), events(item.title, summary),
        ordinals(item.title), script(item.title), versions(item.title), versions(text),
    )  # fmt: skip


_KANA_RE = re.compile(r"[\u3040-\u30ff]")
_HANGUL_RE = re.compile(r"[\uac00-\ud7af]")
# Characters only traditional Chinese writes: its character pairs never meet simplified ones.
_TRADITIONAL_RE = re.compile(r"[們這為說時會發國對與體後開關業機車電網將於並個還過現際經應價億華]")


def script(text: str) -> str:
    """The script a headline is written in: "" (Latin), "zh", "zh-hant", "ja" or "ko".

    Items in two scripts share almost no text by construction, so other evidence stands in for it.
    """
    if text.isascii() or sum(c > "\u2fff" for c in text) * 3 < len(text.replace(" ", "")):
        return ""
    if _KANA_RE.search(text):
        return "ja"
    if _HANGUL_RE.search(text):
        return "ko"
    return "zh-hant" if len(_TRADITIONAL_RE.findall(text)) >= 2 else "zh"


# -- kept in the store: JSON, so a stored row is data, never code ----------------------------------


_SEP, _COUNTS = "\x1f", "\x1e"  # no shingle holds a control character


def encode_counts(counts: Counts) -> str:
    """The shingles in order, then their counts: decoding is two splits and one dict, in C.

    (Version 1 wrote each shingle as often as it counts: a headline's three times, half again the text.)
    """
    if not counts:
        return ""
    return _SEP.join(counts) + _COUNTS + ",".join(map(str, counts.values()))


def decode_counts(text: str) -> Counts:
    if not text:
        return {}
    shingles, sep, numbers = text.partition(_COUNTS)
    if not sep:
        raise ValueError("no counts")
    # Interned: a week's items share most shingles, and a string each would cost a third of a build's memory.
    counts = dict(zip(map(sys.intern, shingles.split(_SEP)), map(int, numbers.split(",")), strict=True))
    if min(counts.values()) < 1:
        raise ValueError("a count under 1")
    return counts


def encode_stated(stated: Stated) -> str:
    nm, figs, quarts, kinds, ords, scr, vers, all_vers = stated
    return json.dumps(
        [
            nm.found, sorted(nm.title), sorted(nm.initial), sorted(nm.places), " ".join(sorted(nm.lower)),
            [[f.kind, f.value, f.currency, f.rounding, f.valuation, f.revenue] for f in figs],
            sorted(quarts), sorted(kinds), sorted(ords), scr, sorted(vers), sorted(all_vers),
        ],
        ensure_ascii=False,
        separators=(",", ":"),
    )  # fmt: skip


def decode_stated(text: str) -> Stated:
    found, title, initial, places, lower, figs, quarts, kinds, ords, scr, vers, all_vers = json.loads(text)
    # A week's items share their names: one string each (interned). The words written in lower case are
    # only ever searched for the few names that open a sentence: kept as stored, one string split on reading
    # (a string per word, interned, was a third of the time decoding took).
    intern = sys.intern
    nm = Names(
        tuple(map(intern, found)),
        _set(list(map(intern, title))),
        _set(list(map(intern, initial))),
        _set(list(map(intern, places))),
        Words(lower),
    )
    return (
        nm,
        tuple([Figure(k, float(v), c, float(r), bool(val), bool(rev)) for k, v, c, r, val, rev in figs]),
        _set(quarts), _set(kinds), _set(ords), str(scr), _set(vers), _set(all_vers),
    )  # fmt: skip


class Words(Collection[str]):
    """Words as one string, space-separated: a collection of them that splits the string when read."""

    __slots__ = ("_text",)

    def __init__(self, text: str) -> None:
        self._text = text

    def __iter__(self) -> Iterator[str]:
        return iter(self._text.split())

    def __len__(self) -> int:
        return len(self._text.split())

    def __contains__(self, word: object) -> bool:
        return word in self._text.split()


_NONE: frozenset[Any] = frozenset()


def _set(values: list[Any]) -> frozenset[Any]:
    return frozenset(values) if values else _NONE  # most items state no quarter, event, ordinal, version


T = TypeVar("T")
# One stored row: item id, FACTS_VERSION, text key, encoded counts, encoded statements (None: not read yet).
Row = tuple[str, int, int, str, "str | None"]


class Facts:
    """Per-item facts for clustering: the stored ones while their text is unchanged, the rest computed on
    first need; `fresh()` gives the rows computed since the last call, to store. With keep (a desk serving
    many requests) it holds what it decoded for the next call; without (one build), what it decoded from
    the store is dropped once used, and only what it computed is held until stored. One per thread of work.
    """

    def __init__(self, stored: Mapping[str, tuple[int, str, str | None]] | None = None, keep: bool = True):
        self._keep = keep
        # item id -> (text key, counts, statements) as stored; a part is dropped once decoded and kept
        self._stored: dict[str, tuple[int, str | None, str | None]] = dict(stored or {})
        self._counts: dict[str, tuple[int, Counts]] = {}
        self._stated: dict[str, tuple[int, Stated]] = {}
        self._fresh: set[str] = set()

    def add_stored(self, stored: Mapping[str, tuple[int, str, str | None]]) -> None:
        """More rows from the store (only those not known here yet are taken)."""
        for item_id, row in stored.items():
            if item_id not in self._counts:
                self._stored.setdefault(item_id, row)

    def knows(self, item_id: str) -> bool:
        """Whether this item's facts are here (read, or given by the store), current or not."""
        return item_id in self._counts or item_id in self._stored

    def counts(self, item: Item) -> Counts:
        key = text_key(item)
        known = self._counts.get(item.id)
        if known is not None and known[0] == key:
            return known[1]
        row = self._stored.get(item.id)
        if row is not None and row[0] == key and row[1] is not None:
            counts = _decoded(decode_counts, row[1])
            if counts is not None:
                if self._keep:
                    self._counts[item.id] = (key, counts)
                if self._keep or row[2] is not None:  # the stored counts are needed no more
                    self._stored[item.id] = (key, None, row[2])
                return counts
        counts = counts_of(item)
        self._fresh.add(item.id)
        self._stated.pop(item.id, None)
        self._counts[item.id] = (key, counts)
        return counts

    def stated(self, items: Iterable[Item], compute: Callable[[list[Item]], list[Stated]]) -> list[Stated]:
        """Statements of these items, in order: the known ones looked up, the rest read by `compute`
        (given the items it must read, in order; clustering shares that work with a forked process)."""
        out: list[Stated | None] = []
        missing: list[tuple[int, Item]] = []
        for item in items:
            key = text_key(item)
            known = self._stated.get(item.id)
            if known is None or known[0] != key:
                known = None
                row = self._stored.get(item.id)
                if row is not None and row[0] == key and row[2] is not None:
                    decoded = _decoded(decode_stated, row[2])
                    if decoded is not None:
                        known = (key, decoded)
                        if self._keep:
                            self._stated[item.id] = known
                    if row[1] is None:
                        del self._stored[item.id]
                    else:
                        self._stored[item.id] = (key, row[1], None)
            if known is None:
                missing.append((len(out), item))
                out.append(None)
            else:
                out.append(known[1])
        if missing:
            for (at, item), stated in zip(missing, compute([it for _, it in missing]), strict=True):
                self._stated[item.id] = (text_key(item), stated)
                self._fresh.add(item.id)
                out[at] = stated
        return out  # type: ignore[return-value]  # every None was filled above

    def fresh(self) -> list[Row]:
        """Rows for what was computed since the last call (counts, and statements where read), to store."""
        rows: list[Row] = []
        for item_id in sorted(self._fresh):
            counted = self._counts.get(item_id)
            if counted is not None:
                key, counts = counted[0], encode_counts(counted[1])
            else:  # counts as stored (not kept), statements computed now
                row = self._stored.get(item_id)
                if row is None or row[1] is None:
                    continue
                key, counts = row[0], row[1]
            stated = self._stated.get(item_id)
            text = encode_stated(stated[1]) if stated is not None and stated[0] == key else None
            rows.append((item_id, FACTS_VERSION, key, counts, text))
            if not self._keep:
                self._counts.pop(item_id, None)
                self._stated.pop(item_id, None)
        self._fresh.clear()
        return rows


def _decoded(decode: Callable[[str], T], text: str) -> T | None:
    """A stored value decoded; None (read the text again) if the row does not hold what it should."""
    try:
        return decode(text)
    except (ValueError, TypeError, KeyError):
        return None
