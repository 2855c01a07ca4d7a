"""The regexes that define a match of the gazetteer's keys: the reference KeyFinder
(newsletter/sort/finder.py) is tested against. They were the matcher until the Aho-Corasick automata
replaced them; they stay here, as the plainest statement of the rules, for tests/test_finder.py.
"""

from __future__ import annotations

import math
import re
from typing import Any

from newsletter.sort.finder import LETTER, WORD


def latin_pattern(keys: list[str]) -> re.Pattern[str]:
    """The regex that defines a Latin-script key's match (KeyFinder finds the same): group 1 is the key.

    A term may take "'s", "s", or "es" after s, x, z, ch and sh ("taxes"; "upgrades" is not "upgrad").
    After it: no letter may follow; a model number may ("Galaxy Z Fold" in "Galaxy Z Fold7"), unless
    the term itself ends in a digit ("H20" is not "H200"). A term ending in a sign ("raises $") needs no
    boundary.
    """
    return re.compile(
        f"(?<![{WORD}])({trie_pattern(keys) or '(?!)'})(?:'s|s|(?:(?<=[sxz])|(?<=ch)|(?<=sh))es|)"
        f"(?:(?<=[{LETTER}])(?![{LETTER}])|(?<=[0-9])(?![{WORD}])|(?<![{WORD}]))"
    )


def cjk_pattern(keys: list[str]) -> re.Pattern[str]:
    """The regex that defines the match of a key starting with no letter or digit: anywhere, the longest."""
    first = re.escape("".join(sorted({k[0] for k in keys})))
    return re.compile(f"(?=[{first}])({trie_pattern(keys, fan=40) or '(?!)'})")


def trie_pattern(keys: list[str], fan: int = 0) -> str:
    """A regex alternation shaped as a trie, longest alternatives first, so the longest term wins.

    With `fan`, a node with more children than that is split into groups, each behind a
    one-character-class lookahead: sre tries a branch's alternatives one by one, and a
    CJK root with 700 first characters would cost 700 tries at every position.
    """
    trie: dict[str, Any] = {}
    for key in keys:
        node = trie
        for ch in key:
            node = node.setdefault(ch, {})
        node[""] = True

    def emit(node: dict[str, Any]) -> str:
        chain = []  # most nodes have one child and end no key: walked in a loop, escaped at once
        while len(node) == 1 and "" not in node:
            ((ch, node),) = node.items()
            chain.append(ch)
        head = re.escape("".join(chain))
        kids = sorted(k for k in node if k)
        parts = [re.escape(ch) + emit(node[ch]) for ch in kids]
        if not parts:
            return head
        if fan and len(parts) > fan:
            size = math.ceil(len(parts) / math.ceil(len(parts) / fan))
            groups = []
            for i in range(0, len(parts), size):
                chars = "".join(re.escape(ch) for ch in kids[i : i + size])
                groups.append(f"(?=[{chars}])(?:" + "|".join(parts[i : i + size]) + ")")
            body = "(?:" + "|".join(groups) + ")"
        else:
            body = parts[0] if len(parts) == 1 else "(?:" + "|".join(parts) + ")"
        # "(?:x|)" rather than "(?:x)?": the same greedy choice, but sre runs a branch far cheaper
        # than the general repeat it compiles "?" on a group into.
        return head + (f"(?:{body}|)" if "" in node else body)

    return emit(trie)
