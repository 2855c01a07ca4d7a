"""What an item states, in any script: shingles, names, places and kinds of event (figures: evidence_figures).

The evidence clustering weighs to tell whether two items report one event. Names are capitalised or
mixed-case words (Zepto, YU7, HBM4) with aliases folded (Hon Hai = Foxconn, 小米 = Xiaomi, 삼성전자 =
Samsung); shingles are Latin words cut to PREFIX letters and character bigrams of Han/Kana/Hangul
runs (no word segmenter needed). The tables (evidence_words.py) are a general gazetteer of Asian tech
companies and places.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from collections.abc import Collection

from ..feeds.newsstyle import is_title_case
from .evidence_words import ALIAS_TABLE, EVENT_TABLE, NOT_NAMES, PLACE_TABLE, PREFIX, STOP


def _table(text: str) -> dict[str, str]:
    """A table of "alias=name" pairs (an underscore stands for a space)."""
    return {k.replace("_", " "): v for k, _, v in (pair.partition("=") for pair in text.split())}


ALIASES = _table(ALIAS_TABLE)

PLACES = _table(PLACE_TABLE)
_LATIN_PHRASES = {k: v for k, v in {**PLACES, **ALIASES}.items() if k.isascii()}
_CJK_NAMES = {k: v for k, v in {**PLACES, **ALIASES}.items() if not k.isascii()}
_PHRASE_RE = re.compile(
    r"\b(?:" + "|".join(re.escape(p) for p in sorted(_LATIN_PHRASES, key=len, reverse=True) if " " in p)
    + r")\b",
    re.IGNORECASE,
)  # fmt: skip
_HEADS = {p.split()[0] for p in _LATIN_PHRASES if " " in p}
_HEAD_FORMS = sorted({form for h in _HEADS for form in (h.capitalize(), h.upper())}, key=len, reverse=True)
_PHRASE_HEAD_RE = re.compile(r"\b(?:" + "|".join(re.escape(f) for f in _HEAD_FORMS) + r")\b")
CJK_NAME_RE = re.compile("|".join(re.escape(p) for p in sorted(_CJK_NAMES, key=len, reverse=True)))

_CAP_RE = re.compile(r"(?<![A-Za-z0-9])[A-Za-z0-9]*[A-Z0-9][A-Za-z0-9]*(?:[.&][A-Za-z0-9]+)*")
_LOWER_RE = re.compile(r"(?<![\w.&-])[a-z]{2,}(?![\w.&-])")
_MONEYISH = re.compile(r"(?:rs|rmb|us|hk|nt|s|a|rm|tk)\d")  # Rmb700mn, Rs501: a figure, not a name
_ORDINAL_RE = re.compile(r"\d+(?:st|nd|rd|th|s)$")
_TOKEN_RE = re.compile(
    r"[a-z0-9][a-z0-9'’]*"
    r"|[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u30a0-\u30ff\u31f0-\u31ff々〆ー]+"
    r"|[\uac00-\ud7af]+"
)
# Han characters that are grammar rather than content; a bigram holding one is dropped.
_HAN_STOP = frozenset("的了是在和与及将已对为等也这其并被于从把而之或就都由向以")


def word_token(word: str) -> str:
    """A Latin word as a shingle ("" to drop it): possessive and plural folded, cut to PREFIX letters."""
    word = word.strip("'’").replace("’", "'")
    if word.endswith("'s"):
        word = word[:-2]
    if len(word) < 2 or word in STOP or (word.isdigit() and len(word) < 4):
        return ""
    if len(word) > 4 and word.endswith("s") and not word.endswith(("ss", "series")):
        word = word[:-3] + "y" if word.endswith("ies") else word[:-1]
    return word if word[0].isdigit() else word[:PREFIX]


def _events() -> tuple[dict[str, frozenset[str]], list[tuple[str, str]]]:
    """The event table as shingle -> kinds (Latin words cut like any word) and CJK term -> kind.

    A word listed under two kinds reports either ("sells" shares is a deal, "sells" consoles is sales): an
    item of either kind shares it, so an ambiguous word never splits one event into two.
    """
    latin: dict[str, frozenset[str]] = {}
    cjk: list[tuple[str, str]] = []
    for line in EVENT_TABLE.strip().splitlines():
        kind, _, words = line.partition(":")
        for word in words.split():
            if word.isascii():
                key = word_token(word) or word
                latin[key] = latin.get(key, frozenset()) | {kind}
            else:
                cjk.append((word, kind))
    return latin, cjk


_EVENT_WORDS, _EVENT_CJK = _events()
# Where an event word may start: a cheap gate before a text is cut into shingles. A word whose shingle is
# an event word starts with it (or, for "-ies" plurals, with all of it but the final "y").
_EVENT_HINT_RE = re.compile(
    r"(?<![a-z0-9])(?:"
    + "|".join(sorted({w[:-1] if w.endswith("y") else w for w in _EVENT_WORDS}, key=len, reverse=True))
    + ")"
)


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


def fold_case(text: str) -> str:
    """Lower case, and NFKC for CJK text (full-width digits and letters become ASCII)."""
    return text.lower() if text.isascii() else unicodedata.normalize("NFKC", text).casefold()


def tokens(text: str) -> list[str]:
    """Shingles of a text in order: Latin words and CJK character bigrams (see the module docstring)."""
    if len(_CACHE) > _CACHE_MAX:
        _CACHE.clear()
    out: list[str] = []
    for chunk in _TOKEN_RE.findall(fold_case(text)):
        toks = _CACHE.get(chunk)
        if toks is None:
            if chunk[0] < "\u3000":
                word = word_token(chunk)
                toks = (word,) if word else ()
            else:
                toks = tuple(_cjk_tokens(chunk))
            _CACHE[chunk] = toks
        out.extend(toks)
    return out


@dataclasses.dataclass(frozen=True, slots=True)
class Names:
    """Names an item mentions, in order (title first); `initial` ones open a sentence, so may be words."""

    found: tuple[str, ...]
    title: frozenset[str]  # the names that appear in the headline
    initial: frozenset[str]
    places: frozenset[str]
    lower: Collection[str]  # words the item writes in lower case: evidence that a capital is a sentence start

    def settle(self, common: frozenset[str] | set[str]) -> tuple[str, frozenset[str]]:
        """The headline's lead name and all names, once sentence-initial common words are dropped.

        The lead is the headline's first sure name (not just a capitalised first word), else its first.
        """
        kept = [n for n in self.found if n not in self.initial or n not in common]
        in_title = [n for n in kept if n in self.title]
        sure = [n for n in in_title if n not in self.initial]
        return (sure or in_title or [""])[0], frozenset(kept)


_SENTENCE_ENDS = frozenset('.!?:;"“‘(')


def _opens_sentence(text: str, start: int) -> bool:
    """Whether the word at `start` opens the text or a sentence (after ". ", a quote, a bracket)."""
    before = text[max(0, start - 3) : start].rstrip()
    return not before or before[-1] in _SENTENCE_ENDS


_QUALIFIER_SUFFIXES = ("-backed", "-owned", "-linked", "-funded", "-controlled")


def names(title: str, summary: str = "") -> Names:
    """Names (companies, products) and places in a title and summary, aliases folded."""
    found: list[tuple[int, str]] = []
    initial: set[str] = set()
    places: set[str] = set()
    lower: set[str] = set()
    solid: set[str] = set()  # names seen at least once away from a sentence start
    title_case = is_title_case(title)  # then a capital says nothing about a name
    for n, text in enumerate((title, summary)):
        text = _fold_phrases(text)
        base = n * 1_000_000  # title names come before summary names
        lower.update(_LOWER_RE.findall(text))
        for m in _CAP_RE.finditer(text):  # words with a capital or a digit: the only candidates
            word = m.group(0)
            low = word.lower()
            if low in PLACES:
                places.add(PLACES[low])
            elif _is_name(word, low):
                name = ALIASES.get(low) or _trim(word).lower()
                possessive = text.startswith(("'s", "’s"), m.end())
                if (
                    low not in ALIASES
                    and word[1:].islower()
                    and not possessive
                    and ((n == 0 and title_case) or _opens_sentence(text, m.start()))
                ):
                    initial.add(name)  # "Trade permit now needed": maybe a name, maybe a word
                else:
                    solid.add(name)
                backer = n == 0 and text.startswith(_QUALIFIER_SUFFIXES, m.end())
                # "Alibaba-backed Moonshot": the backer qualifies the subject; a name, not a headline name
                found.append(((2_000_000 if backer else base) + m.start(), name))
        if not text.isascii():
            for m in CJK_NAME_RE.finditer(fold_case(text)):
                key = m.group(0)
                if key in PLACES:
                    places.add(PLACES[key])
                else:
                    found.append((base + m.start(), ALIASES[key]))
                    solid.add(ALIASES[key])
    found.sort()
    ordered = tuple(dict.fromkeys(name for _pos, name in found))
    in_title = frozenset(name for pos, name in found if pos < 1_000_000)
    return Names(ordered, in_title, frozenset(initial - solid), frozenset(places), frozenset(lower))


def _trim(word: str) -> str:
    """One spelling per name: Pony.ai = Pony, FuriosaAI = Furiosa, Kaspi.kz = Kaspi, iPhones = iPhone."""
    word = word.split(".", 1)[0] or word
    if len(word) > 4 and word.endswith("AI") and word[-3].islower():
        return word[:-2]
    if (
        len(word) > 3
        and word[-1] == "s"
        and word[-2] != "s"
        and (word[:-1].isupper() or (word[-2].islower() and not word[1:-1].islower()))
    ):
        return word[:-1]  # a plural of a mixed-case or capitals name: iPhones, GPUs (not Xbox, not Reuters)
    return word


def _fold_phrases(text: str) -> str:
    """Multi-word aliases (Hon Hai, SK hynix, Sri Lanka) become one capitalised word."""
    if " " not in text or not _PHRASE_HEAD_RE.search(text):
        return text  # a case-sensitive scan for a capitalised first word is far cheaper than the full one
    return _PHRASE_RE.sub(lambda m: _LATIN_PHRASES[m.group(0).lower()].capitalize(), text)


def _is_name(word: str, low: str) -> bool:
    """A capitalised, mixed-case or letters-and-digits word that is not a common word."""
    if len(word) < 2 or not word[0].isalpha() or low in NOT_NAMES or low in STOP or _MONEYISH.match(low):
        return False
    if word.islower():
        return any(c.isdigit() for c in word) and not _ORDINAL_RE.match(word)  # 2nm, h20
    return not word.isdigit()


def events(title: str, summary: str = "") -> frozenset[str]:
    """Kinds of event a headline reports (the summary's first sentence when the headline names none)."""
    for text in (title, summary.split(". ", 1)[0]):
        norm = fold_case(text)
        kinds: set[str] = set()
        if _EVENT_HINT_RE.search(norm):  # most headlines name no kind of event: skip the shingles then
            kinds = {kind for t in tokens(text) if t in _EVENT_WORDS for kind in _EVENT_WORDS[t]}
        if not text.isascii():
            kinds.update(kind for term, kind in _EVENT_CJK if term in norm)
        if kinds:
            return frozenset(kinds)
    return frozenset()
