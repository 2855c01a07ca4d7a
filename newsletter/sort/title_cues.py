"""How a title's wording weighs a name in it: where the news happens, who buys whom, who is compared.

The classifier (classify.py) scores every gazetteer name it finds; a title's words around a name say how much
that name is the title's subject. A place after "in" or before "plant" is where the news happens; the
place that opens the title is its subject; after a deal verb, the target's names lead; a company named as
a comparison ("the Uber of Jakarta") names no region; companies listed as the object of someone else's
action ("a probe into X, Meta and TikTok") share the title. Each weight is documented in [scoring] at the
top of seeds/taxonomy.toml.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .taxonomy import Scoring

# Words around a place in a title that say the news happens there (see place_cue).
_BEFORE_PLACE: tuple[str, ...] = (" in ", " into ", " to ", " for ", " across ", " inside ", " from ")
_BEFORE_PLACE += ("在", "於", "于", "赴", "进军")
_AFTER_PLACE = (
    " plant", " factory", " factories", " fab", " facility", " facilities", " campus", " office",
    " hub", " unit", " arm ", " subsidiary", " operations", " data centre", " data center",
    " expansion", " branch", " venture", " jv", " ipo", " listing", " launch", " headquarters",
    "で", "에서", "법인", "工厂", "工場", "子公司", "分公司",
)  # fmt: skip
# "Why Indonesia suspended ...": the place after a question word opens the title as its subject.
_QUESTION_OPENERS = ("why ", "how ", "what ", "when ", "can ", "will ", "is ", "does ", "did ")
_AFTER_PLACE_CJK = ("廠", "厂", "工場", "工厂", "공장", "법인", "基地")
# A verb after which the title names the target of a deal or an investment.
TARGET = re.compile(
    r"\b(?:buys?|bought|to buy|buying|acquires?|acquired|acquiring|to acquire|backs|backed|"
    r"invests? in|investing in|to invest in|stake in|taking a stake|takes? (?:a )?stake|to take|"
    r"bets? on|betting on|buys? into|merges? with|approach(?:es|ed)|bid for|\d+(?:\.\d+)? ?% of)"
)
# Every TARGET match holds one of these: most titles hold none and skip the regex.
TARGET_HINTS: tuple[str, ...] = ("buy", "bought", "acquir", "back", "invest", "stake", "take", "bet")
TARGET_HINTS += ("merge", "approach", "bid", "%")
# What joins the companies a title lists alike, and a cheap test that a title may hold such a list.
_LIST_JOINS = (", ", " and ", " & ", ", and ")
LIST_HINT = re.compile(r", | and | & ")
# A company named as a comparison is not the subject of its title: "“美国滴滴”Lyft",
# "“滴滴叫大麻”初创公司 Eaze", "the Uber of Jakarta", "a TikTok-style feed".  Its region counts for
# nothing there.
QUOTED = re.compile(r"[“「『]([^”」』]{2,40})[”」』]")
_CJK_CHAR = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")
# One of these is in every title that compares; most titles hold none and skip the checks.
COMPARED_HINTS = ("“", "「", "『", " of ", "-style", "-like", "-esque", "-inspired")
_LIKE = ("-style", "-like", "-esque", "-inspired")
_THE_X_OF = re.compile(r"\bthe $")


def place_cue(sc: Scoring, lowered: str, start: int, end: int, company_end: int, demonym: bool) -> float:
    """How much the words around a place in a title say the news happens there.

    Located (x `located`): "a plant in Singapore", "exports from India", "expands to
    Japan", "a Singapore fab", "Hyundai Motor India",
    "インドで", "인도법인", "熊本第二座晶圓廠".  Subject (x `subject`): the title opens with
    it ("Indonesia blocks ...", not "Japan, Korea and China ...") or names it in the
    possessive ("Taiwan's ...").  A demonym only counts before a facility: "a Thai plant".
    """
    after = lowered[end : end + 14]
    if demonym:
        return sc.located if after.startswith(_AFTER_PLACE) else 1.0
    before = " " + lowered[max(0, start - 24) : start]
    if before.endswith(_BEFORE_PLACE):
        return sc.located
    if after.startswith(_AFTER_PLACE) or start == company_end + 1:
        return sc.located
    if not lowered[start:end].isascii() and any(f in after[:8] for f in _AFTER_PLACE_CJK):
        return sc.located
    opens = start == 0 or (start <= 5 and lowered[:start] in _QUESTION_OPENERS)
    if (opens and not after.startswith((",", " and ", " & "))) or after.startswith("'s"):
        return sc.subject
    return 1.0


def compared(head: str, quoted: list[tuple[int, int]], start: int, end: int) -> bool:
    """Whether the title names the company at start:end as a comparison, not as its subject.

    Inside quotation marks that hold more words than the name ("“美国滴滴”", "“滴滴叫大麻”", but
    not a product, "「Dell Streak」"), or as
    "the X of ..." ("the Uber of Jakarta"), or "X-style" ("a TikTok-style feed").
    """
    if head.startswith(_LIKE, end):
        return True
    for q_start, q_end in quoted:
        if q_start <= start and end <= q_end and _CJK_CHAR.search(head[q_start:start] + head[end:q_end]):
            return True
    return head.startswith(" of ", end) and _THE_X_OF.search(head, max(0, start - 4), start) is not None


def listed(head: str, text: str, names: list[tuple[int, str]], index: Mapping[str, Any]) -> dict[int, float]:
    """Companies the title lists alike after its subject ("a probe into X, Meta and TikTok") when the list
    holds more than one region: where each starts, and the share of the title each has (one over the
    list's length). Partners that open the title ("Toyota and Waymo agree ...") are its subject.

    names: where each gazetteer key the title holds starts, and the key; index: the matcher's, by key."""
    found: list[tuple[int, int, frozenset[str]]] = []  # start, end, the company's regions
    for start, key in names:
        folded, exact, _cue, company = index[key]
        if company:
            specs = (*folded, *(exact or {}).get(text[start : start + len(key)], ()))
            found.append((start, start + len(key), frozenset(s[0] for s in specs if s[1] == "region")))
    shares: dict[int, float] = {}
    run: list[tuple[int, int, frozenset[str]]] = []
    for hit in [*found, (len(head) + 2, 0, frozenset())]:  # a sentinel closes the last run
        if run and head[run[-1][1] : hit[0]] not in _LIST_JOINS:
            if len(run) > 1 and run[0][0] > 0 and len(frozenset().union(*(r[2] for r in run))) > 1:
                shares.update((r[0], 1.0 / len(run)) for r in run)
            run = []
        run.append(hit)
    return shares
