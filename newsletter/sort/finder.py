"""Where the gazetteer's keys occur in an item's lower-cased text: every match in order, as two regexes
define them.

The regexes in tests/finder_reference.py are the definition. A key that starts with a letter or digit
matches at a word start (no letter or digit before it), the longest one that fits, with an optional "'s",
"s", or "es" after s, x, z, ch or sh, where no letter follows a letter (a digit may: "Galaxy Z Fold" in
"Galaxy Z Fold7") and nothing a word is made of follows a digit ("H20" is not "H200"); any other key (CJK,
mostly) matches anywhere, the longest first.

Compiling those regexes took 0.13 s of every start of `newsletter classify`, and scanning with them 8 us an
item. KeyFinder gets the same matches from two Aho-Corasick automata (ahocorasick_rs: built in 0.02 s,
3 us an item), which report the longest key at the leftmost place, word boundaries unseen: those are
checked here, and where an automaton's match hides a place the regex would have tried (inside a key of
several words), the text is searched again from there. tests/test_finder.py checks that the two agree.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ahocorasick_rs import AhoCorasick, BytesAhoCorasick, Implementation, MatchKind

# Letters and digits that make a word go on; CJK is left out on purpose, so "OPPO手机" and
# "SK하이닉스는" still match, while "Indiana" does not match "India".
LETTER = "A-Za-z\u00c0-\u024f"
WORD = "0-9" + LETTER
LATIN_START = re.compile(f"[{WORD}]")

_LETTERS = frozenset(chr(c) for a, b in ((65, 90), (97, 122), (0xC0, 0x24F)) for c in range(a, b + 1))
_WORD_CHARS = _LETTERS | frozenset("0123456789")
_SUFFIXES = ("'s", "s", "es", "")
_TAKES_ES = ("s", "x", "z", "ch", "sh")  # the endings English pluralises with "es" ("taxes", "switches")
_MAY_GO_ON = _WORD_CHARS | {"'"}  # what, after a key, may start a suffix or break a boundary
_SURROGATE = re.compile("[\ud800-\udfff]")  # no key holds one, and UTF-8 (the automata's) has none

# One match: where the key starts, the key, where the match ends (after a suffix).
Match = tuple[int, str, int]


def _match_start(match: Match) -> int:
    return match[0]


def _word_starts(key: str) -> tuple[int, ...]:
    """The offsets inside a key where a word starts ("ai chips": 3): where a match may start, within it."""
    if _ONE_WORD.fullmatch(key):  # most keys (a Python loop over every character of 7,000 keys: 30 ms)
        return ()
    return tuple(i for i in range(1, len(key)) if key[i] in _WORD_CHARS and key[i - 1] not in _WORD_CHARS)


_ONE_WORD = re.compile(f"[{WORD}]*")


# What a KeyFinder is made of, its automata aside: the Latin-script keys, sorted, each with the offsets
# where a word starts inside it, and the other keys, sorted. Plain data, so it pickles (sort/compiled.py
# keeps it on disk), where ahocorasick_rs's automata do not (G-Research/ahocorasick_rs#41).
KeyPlan = tuple[tuple[tuple[str, tuple[int, ...]], ...], tuple[str, ...]]


def plan_keys(keys: Iterable[str]) -> KeyPlan:
    """The keys sorted into the finder's two alphabets, with the word starts inside each (20 ms on 7,000)."""
    keys = list(keys)
    latin = sorted(k for k in keys if LATIN_START.match(k))
    other = sorted(k for k in keys if not LATIN_START.match(k))
    return tuple((k, _word_starts(k)) for k in latin), tuple(other)


class KeyFinder:
    """The keys' matches in lower-cased text, as the reference regexes (tests/finder_reference.py) find them.

    Immutable once built, so thread-safe; a forked process uses it as it is.
    """

    def __init__(self, keys: Iterable[str]) -> None:
        self._build(plan_keys(keys))

    @classmethod
    def from_plan(cls, plan: KeyPlan) -> KeyFinder:
        """A finder of the keys planned by plan_keys: only the automata are built (0.03 s on 7,000 keys)."""
        finder = cls.__new__(cls)
        finder._build(plan)
        return finder

    def _build(self, plan: KeyPlan) -> None:
        self.plan = plan
        self._latin, other = plan
        latin = [k for k, _ in self._latin]
        kind, nfa = MatchKind.LeftmostLongest, Implementation.ContiguousNFA
        self._latin_keys = frozenset(latin)
        self._other = other
        self._in_text = AhoCorasick(latin, matchkind=kind, implementation=nfa).find_matches_as_indexes
        # ASCII text (most of it) is searched as bytes: the same offsets, and no conversion of them.
        encoded = [k.encode() for k in latin]
        self._in_ascii = BytesAhoCorasick(encoded, matchkind=kind, implementation=nfa).find_matches_as_indexes
        self._in_other = AhoCorasick(other, matchkind=kind, implementation=nfa).find_matches_as_indexes

    def find(self, lowered: str) -> list[Match]:
        """Every match in `lowered`, in order of their starts (a Latin one first where two start together)."""
        if lowered.isascii():
            return self._latin_matches(lowered, self._in_ascii(lowered.encode()))
        if _SURROGATE.search(lowered):  # NUL in its place: no key holds either, and neither is a letter
            lowered = _SURROGATE.sub("\x00", lowered)
        found = self._latin_matches(lowered, self._in_text(lowered))
        other = self._other
        cjk = [(start, other[i], end) for i, start, end in self._in_other(lowered)]
        return sorted([*found, *cjk], key=_match_start) if cjk else found

    def _latin_matches(self, text: str, candidates: list[tuple[int, int, int]]) -> list[Match]:
        """The Latin-script matches among the automaton's candidates: the longest key at the leftmost place,
        from where the last one ended, whether or not a word starts there."""
        out: list[Match] = []
        keys = self._latin
        size = len(text)
        pos = 0  # where the last match ended: the regex looks on from here
        base = 0  # the offset of the text the candidates were found in
        while True:
            again = -1  # where to search anew: a place the last candidate hid
            for i, start, end in candidates:
                if base:
                    start, end = start + base, end + base
                key, starts = keys[i]
                if start < pos or (start and text[start - 1] in _WORD_CHARS):  # inside a word or a suffix
                    if starts:
                        again = next((start + j for j in starts if start + j >= pos), -1)
                        if again >= 0:
                            break
                    continue
                if end == size or text[end] not in _MAY_GO_ON:  # no suffix, and a boundary: the common case
                    out.append((start, key, end))
                    pos = end
                    continue
                stop = _ending(text, end, size)
                if stop >= 0:
                    out.append((start, key, stop))
                    pos = stop
                else:  # as the regex backtracks: the longest shorter key there whose end is a boundary
                    for length in range(end - start - 1, 0, -1):
                        shorter = text[start : start + length]
                        if shorter in self._latin_keys:
                            stop = _ending(text, start + length, size)
                            if stop >= 0:
                                out.append((start, shorter, stop))
                                pos = stop
                                break
                if starts:
                    again = next((start + j for j in starts if start + j >= pos), -1)
                    if again >= 0:
                        break
            if again < 0:
                return out
            candidates, base = self._in_text(text[again:]), again


def _ending(text: str, end: int, size: int) -> int:
    """Where the match of a key ending at `end` ends, its suffix included (-1: none ends at a boundary)."""
    for suffix in _SUFFIXES:
        if suffix and not text.startswith(suffix, end):
            continue
        if suffix == "es" and not text.endswith(_TAKES_ES, 0, end):  # "upgrades" is not upGrad's plural
            continue
        stop = end + len(suffix)
        last = text[stop - 1]
        after = text[stop] if stop < size else ""
        if last in _LETTERS:
            if after not in _LETTERS:
                return stop
        elif "0" <= last <= "9":
            if after not in _WORD_CHARS:
                return stop
        else:
            return stop
    return -1
