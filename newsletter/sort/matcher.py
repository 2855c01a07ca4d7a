"""The taxonomy's gazetteer compiled into an index and a finder of its keys, once per taxonomy.

Built here so that classify.py holds only the per-item scoring loop.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass

from ..models import GLOBAL
from .finder import KeyFinder
from .taxonomy import GATE_MEDIUM, GATE_NEUTRAL, GATE_OFF_TOPIC, GATE_TECH, Taxonomy, Term, said

_SPLIT = re.compile(r"[\s\-/]+")
# How a region name's weight reacts to the words around it in a title (Spec field 5).
PLAIN, NEAR, FAR = 0, 1, 2  # a theme or [global] name; an Asian place or demonym; another Asian name
# Whether a key is a place or a demonym, whose title cue words are read (KeyInfo field 2).
NO_CUE, PLACE, DEMONYM = 0, 1, 2
# Flat tuples, because the classify loop unpacks them per match: label, kind, weight, weight in a
# title, weight in the body, PLAIN/NEAR/FAR, "label NUL key" for a weak theme word (counted once per
# item), lower-cased context words for an ambiguous name (None otherwise).
Spec = tuple[str, str, float, float, float, int, "str | None", "tuple[str, ...] | None"]
# Per lower-cased key: specs of its case-free entries, exact-case spelling -> specs (or None),
# NO_CUE/PLACE/DEMONYM, and whether it names a company.
KeyInfo = tuple[tuple[Spec, ...], "dict[str, tuple[Spec, ...]] | None", int, bool]


@dataclass(frozen=True)
class _Entry:
    """What one gazetteer key means for one label, before it is flattened into a Spec."""

    label: str
    kind: str  # "region" | "theme" | "gate"
    weight: float
    place: bool  # a place or demonym of an Asian region: weighs more right after "in"/"to"
    ambiguous: bool
    context: tuple[str, ...]
    weak: bool  # a weak theme word
    company: bool
    demonym: bool


@dataclass(frozen=True)
class Matcher:
    """The gazetteer compiled: its keys' index, and where they occur in a text.

    `finder` runs on lower-cased, whitespace-normalised text (no case-insensitive matching: twice as fast);
    each match's key is looked up in `index`, and exact-case spellings are checked against the original text.
    """

    index: dict[str, KeyInfo]
    finder: KeyFinder


def _entries(taxonomy: Taxonomy) -> tuple[dict[str, list[_Entry]], dict[str, list[_Entry]]]:
    """Every term as an _Entry, under its exact spelling or its lower-cased form; whitespace squeezed."""
    exact: dict[str, list[_Entry]] = {}
    folded: dict[str, list[_Entry]] = {}
    labelled: list[tuple[str, str, tuple[Term, ...]]] = []
    for region in (*taxonomy.regions.values(), taxonomy.global_region):
        labelled.append((region.id, "region", region.terms))
    for theme in taxonomy.themes.values():
        labelled.append((theme.id, "theme", theme.terms))
    # A tech theme's strong words are evidence of technology too, unless [gate] not_tech says they
    # are not ("carmaker" is a mobility word, and a carmaker's news is no tech news); weak ones never are.
    # Each word once, whatever its case: "EVs" in the [gate] list and "=EVs" in a theme are one word.
    listed = {said(t.text) for label, t in taxonomy.gate if label in (GATE_TECH, GATE_MEDIUM)}
    listed |= taxonomy.not_tech
    evidence: dict[str, Term] = {}
    for theme in taxonomy.themes.values():
        for term in theme.terms if theme.tech else ():
            if term.kind != "weak" and said(term.text) not in listed:
                evidence.setdefault(said(term.text), term)
    for label in (GATE_TECH, GATE_MEDIUM, GATE_OFF_TOPIC, GATE_NEUTRAL):
        labelled.append((label, "gate", tuple(t for lab, t in taxonomy.gate if lab == label)))
    labelled.append((GATE_TECH, "gate", tuple(evidence.values())))
    for label, kind, terms in labelled:
        for term in terms:
            # "in Singapore" moves an item to Singapore; "in San Francisco" does not move it out of Asia.
            place = term.kind == "places" and label != GLOBAL
            weak, company = term.kind == "weak", term.kind == "companies"
            demonym = term.kind == "demonyms" and label != GLOBAL
            near, ambiguous, context = place or demonym, term.ambiguous, term.context
            entry = _Entry(label, kind, term.weight, near, ambiguous, context, weak, company, demonym)
            text = " ".join(term.text.split())
            table, key = (exact, text) if term.exact else (folded, text.lower())
            bucket = table.setdefault(key, [])
            same = [i for i, e in enumerate(bucket) if e.label == label]
            if not same:
                bucket.append(entry)
            elif entry.weight > bucket[same[0]].weight:  # listed twice: keep the stronger
                bucket[same[0]] = entry
    _inherit(exact, folded)
    return exact, folded


def _inherit(exact: dict[str, list[_Entry]], folded: dict[str, list[_Entry]]) -> None:
    """A compound term ('US-China', 'Tencent Cloud') also carries the names inside it.

    The matcher takes the longest term, so without this 'US-China' would hide both
    countries and 'Tencent Cloud' would hide the cloud theme.  A compound inherits a
    kind of label (region or theme) only when it has none of that kind itself.
    """
    for table in (exact, folded):
        for key, entries in table.items():
            words = [w.removesuffix("'s") for w in _SPLIT.split(key) if w]
            if len(words) < 2:
                continue
            have = {e.kind for e in entries}
            labels = {e.label for e in entries}
            if GATE_NEUTRAL in labels:  # "Lunar New Year" says nothing, and hides "Lunar" and "Year"
                continue
            for size in range(len(words) - 1, 0, -1):
                for start in range(len(words) - size + 1):
                    sub = " ".join(words[start : start + size])
                    source = exact.get(sub, []) if table is exact else []
                    for e in [*source, *folded.get(sub.lower(), ())]:
                        if e.kind in have or e.label in labels or e.ambiguous:
                            continue
                        entries.append(e)
                        labels.add(e.label)


def compile_matcher(taxonomy: Taxonomy) -> Matcher:
    """Compile the gazetteer: the index holds each entry as a Spec with its weights multiplied out."""
    sc = taxonomy.scoring

    def spec(e: _Entry, key: str) -> Spec:
        how = PLAIN if e.kind != "region" or e.label == GLOBAL else NEAR if e.place else FAR
        # (label, key) as one interned string: a set finds it by its cached hash, where a tuple is hashed anew
        weak = sys.intern(f"{e.label}\x00{key}") if e.weak else None  # a label is a slug: no NUL in it
        context = tuple(c.lower() for c in e.context) if e.ambiguous else None
        return (e.label, e.kind, e.weight, e.weight * sc.title, e.weight * sc.body, how, weak, context)

    exact, folded = _entries(taxonomy)
    exact_lower: dict[str, dict[str, tuple[Spec, ...]]] = {}
    exact_entries: dict[str, list[_Entry]] = {}
    for key, entries in exact.items():
        lower = key.lower()
        exact_lower.setdefault(lower, {})[key] = tuple(spec(e, lower) for e in entries)
        exact_entries.setdefault(lower, []).extend(entries)
    index: dict[str, KeyInfo] = {}
    for key in set(folded) | set(exact_lower):
        plain = folded.get(key, [])
        every = [*plain, *exact_entries.get(key, ())]
        place = any(e.place and not e.demonym for e in every)
        demonym = any(e.demonym for e in every)
        cue = DEMONYM if demonym else PLACE if place else NO_CUE
        index[key] = (
            tuple(spec(e, key) for e in plain),
            exact_lower.get(key),
            cue,
            any(e.company for e in every),
        )
    return Matcher(index, KeyFinder(index))


# What a context word may end in and still be the word: a plural, a possessive, a people ("Japanese",
# "Korean"). "app" is no context word in "happen", "bill" none in "billion", "US" none in "business".
_CONTEXT_ENDINGS = ("s", "es", "ese", "n", "'s", "’s", "")


def in_context(text: str, words: Iterable[str]) -> bool:
    """Whether lower-cased text holds one of these lower-cased context words as a word (CJK: anywhere)."""
    for word in words:
        if not word.isascii():
            if word in text:
                return True
            continue
        at = text.find(word)
        while at != -1:
            end = at + len(word)
            if at == 0 or not text[at - 1].isalnum():
                for ending in _CONTEXT_ENDINGS:
                    stop = end + len(ending)
                    if text.startswith(ending, end) and (stop == len(text) or not text[stop].isalnum()):
                        return True
            at = text.find(word, at + 1)
    return False
