"""Sentences an issue can print: the news in a whole sentence that names its subject, else the headline.

Feeds carry teasers: a dek that leans on the headline ("Samsung didn't have to change much this
year"), a lede cut off mid-sentence ("…citing three unnamed people familiar with"), a sentence
that starts in the middle of a thought ("Under the previous law, ..."). An entry prints the
summary's first sentence only when it is whole, short enough, opens on its own and tells the
headline's news (it shares the headline's words); otherwise the headline is the entry. A lead
story, printed under its headline, opens on the summary's first sentence when that is about the
headline's subject. Nothing is ever cut: a sentence fits or is left out.
"""

from __future__ import annotations

import re

from ..feeds.feedtext import sentences
from ..feeds.newsstyle import is_title_case

# A sentence is whole when it ends in a full stop, possibly inside quotes or brackets.
_WHOLE_RE = re.compile(r"(?:[.!?]|[。！？])[\"'”’»)\]」』）]*$")
_TRUNCATED_RE = re.compile(r"(?:…|\.\.\.|\[…\]|\[\.\.\.\])[\"'”’»)\]]*$")
# Openers that lean on something said before: the sentence cannot stand alone.
_DANGLING_RE = re.compile(
    r"^(?:it|its|it's|this|that|these|those|they|their|them|he|she|his|her|we|our|you|your|but|and|or|"
    r"also|however|meanwhile|still|so|yet|now|then|here|there|instead|such|both|the (?:company|firm|"
    r"startup|start-up|group|move|deal|report|news|app|service|platform|device|phone|model|chipmaker|"
    r"carmaker|automaker|bank|lender|retailer|giant|maker|outlet|country|government|new|latest|"
    r"previous)|under the|in (?:a|an|the) (?:statement|post|filing|blog post|interview)"
    r"|according to (?:the|a))\b"
    r"|^[他她它该這这此但而并其同另對对]",
    re.IGNORECASE,
)
# A sentence opening in lower case, or on a bare figure, continues one that came before.
_FRAGMENT_RE = re.compile(r"^[\"'“‘(\[]?(?:[a-z]|\d+(?:\.\d+)?\s*(?:[a-z]|%))")
_WORD_RE = re.compile(r"[A-Za-z][A-Za-z0-9'’.-]*[A-Za-z0-9]|[A-Z0-9]{2,}|\d+(?:\.\d+)?")
_CJK_RE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff]")
_CJK_RUN_RE = re.compile(_CJK_RE.pattern + "+")
_STOP_WORDS = """
    a an the and or of in on at to for from by with as is are was were be been its it this that
    these those after over into about new says said will would could may might has have had not
    no than more most just up out off how why what who when where which while amid report
    reports reportedly review first
"""
_STOP = frozenset(_STOP_WORDS.split())
# " - Straits Times", " | Tech Wire": a short run of capitalised words after a dash or a bar.
_OUTLET_SUFFIX_RE = re.compile(r"\s+[-–—|]\s+(?:(?:[A-Z0-9][\w.&'’]*|of|the|and)\s?){1,5}$")


def _width(text: str) -> int:
    """Display width: a CJK character is worth two Latin ones (it carries a word's worth of meaning)."""
    return len(text) + len(_CJK_RE.findall(text))


def _keys(text: str) -> set[str]:
    """What a sentence talks about: its content words cut to a stem ("climbed" is "climb", "$52B" is
    "52"), or its CJK character pairs."""
    keys: set[str] = set()
    for raw in _WORD_RE.findall(text):
        word = raw.lower().strip(".'’").removesuffix("'s").removesuffix("’s")
        if word in _STOP or len(word) < 2:
            continue
        digits = re.match(r"\d+", word)
        keys.add(digits.group() if digits else word[:5])
    for run in _CJK_RUN_RE.findall(text):  # pairs within a run: none across a comma or a Latin name
        keys.update(run[i : i + 2] for i in range(len(run) - 1))
    return keys


def tells(sentence: str, headline: str) -> bool:
    """Whether a sentence tells the headline's news: it shares enough of the headline's words."""
    want = _keys(headline)
    if not want:
        return True
    shared = len(want & _keys(sentence))
    return shared >= 2 and shared >= 0.35 * len(want)


def about(sentence: str, headline: str) -> bool:
    """Whether a sentence is about the headline's subject: it shares at least one of its words."""
    return not _keys(headline).isdisjoint(_keys(sentence))


def usable(sentence: str, max_chars: int) -> bool:
    """A whole sentence that opens on its own and fits in max_chars."""
    return (
        bool(_WHOLE_RE.search(sentence))
        and not _TRUNCATED_RE.search(sentence)
        and not _DANGLING_RE.match(sentence)
        and not _FRAGMENT_RE.match(sentence)
        and 20 <= _width(sentence) <= max_chars
    )


_BAR_RE = re.compile(r"\s*[|｜丨]\s*")
# A media label before the headline: "Video: Toyota shows ...", "WATCH - ...", "In pictures: ...".
_KICKER_RE = re.compile(
    r"^(?:video|watch|photos?|gallery|in pictures|listen|audio|live|chart)\s*[:：|–—-]\s+", re.I
)


def clean_headline(headline: str) -> str:
    """A headline fit to stand as an entry: whitespace squeezed, a trailing " - Outlet" tag dropped, a
    media label dropped ("Video: ..."), and a column or event label beside a bar dropped ("CNCC 2016 |
    ...", "... | 首发")."""
    text = " ".join(headline.split())
    unlabelled = _KICKER_RE.sub("", text, count=1)
    if len(unlabelled) >= 12 and not unlabelled[:1].islower():
        text = unlabelled
    parts = [p for p in _BAR_RE.split(text) if p]
    if len(parts) > 1:
        longest = max(parts, key=_width)
        if all(_width(p) <= 0.5 * _width(longest) for p in parts if p is not longest):
            text = longest
    trimmed = _OUTLET_SUFFIX_RE.sub("", text)
    return trimmed if len(trimmed) >= 12 else text


# A review's headline: "Samsung Galaxy Z Fold 8 Ultra review: The ultra foldable with an ultra price".
_REVIEW_RE = re.compile(
    r"^(?!(?:why|how|what|when|where|who)\b)(?:the\s+)?(?P<thing>[A-Z0-9][^:]{2,80}?)\s+review\s*:\s*(?P<verdict>.{3,})$",
    re.I,
)


def reviewed(headline: str) -> tuple[str, str] | None:
    """The reviewed thing and the verdict of a review's headline, or None for any other headline.

    The reviewed thing must read as a name: it ends in a capitalised word or a number ("Fold 8
    Ultra", "iPhone 17"), not in "Nothing to".
    """
    m = _REVIEW_RE.match(headline)
    if not m or not headline.isascii():
        return None
    thing = m["thing"]
    last = thing.rsplit(" ", 1)[-1]
    return (thing, m["verdict"]) if last[:1].isupper() or last[:1].isdigit() else None


# Headlines that do not read as a statement even with a full stop: a question word or the first person.
_QUESTION_WORD_RE = re.compile(r"^(?:how|why|what|who|where|which)\b", re.I)
_FIRST_PERSON_RE = re.compile(r"^(?:i|i['’]m|i['’]ve|my|we|our)\b", re.I)  # the outlet's writer speaking
# Two sentences in one headline: a stop after a lower-case letter or a digit, then a capital (not "U.S. and",
# "vs. Apple", "Inc. Shares").
_TWO_SENTENCES_RE = re.compile(
    r"(?<=[a-z0-9])(?<!\bvs)(?<!\bInc)(?<!\bCo)(?<!\bCorp)(?<!\bLtd)(?<!\bMr)(?<!\bMs)(?<!\bDr)(?<!\bSt)(?<!\bNo)"
    r"[.?!]\s+[A-Z“\"‘']"
)


def statement(headline: str) -> bool:
    """An English headline that reads as a sentence once it has a full stop: no question, no colon, not
    "How cheap phones ..." or "I let an AI agent ...", not a noun phrase or a label ("The great Chinese EV
    exodus", "Introducing Gemini 3.7 Flash"), not in Title Case ("China Urges Respect for Digital ...")."""
    return (
        headline[:1].isupper()
        and headline.isascii()
        and not headline.endswith(("?", "!", "…", "."))
        and ":" not in headline
        and not _QUESTION_WORD_RE.match(headline)
        and not _FIRST_PERSON_RE.match(headline)
        and not _named_only(headline)
        and not is_title_case(headline)  # "China Urges Respect for ..." is a title, not our prose
    )


# A headline that opens on an article or a gerund and holds nothing that may be its verb names a thing
# rather than telling news. Only a few verbs are listed: most headline verbs end in -s or -ed, or follow
# "to"; an irregular one missing here only has the story open on its summary instead.
_NOUN_PHRASE_RE = re.compile(r"^(?:the|an?|[a-z]{3,}ing)$", re.I)
_HEADLINE_WORD_RE = re.compile(r"[A-Za-z][A-Za-z'’-]*")
_VERB_LIKE_RE = re.compile(
    r"(?:ed|ing|[^su'’]s|ss?es)$"  # raises, announced, rising (not "exodus", "boss", "Apple's")
    r"|^(?:to|is|are|was|were|has|have|had|will|can|may|set|cut|hit|put|let|win|won|lost|sold|bought"
    r"|said|made|took|got|led|built|paid|shut|quit)$"
)


def _named_only(headline: str) -> bool:
    words = _HEADLINE_WORD_RE.findall(headline)
    if not words or not _NOUN_PHRASE_RE.match(words[0]):
        return False
    return not any(_VERB_LIKE_RE.search(w.lower()) for w in words[1:])


# A sentence in the writer's own voice ("For bigger choices, I still trust myself more."): in our letter its
# "I" would be the editor's. Case matters: "US" is a country, "us" a pronoun.
_QUOTED_RE = re.compile(r"[\"“][^\"”]*[\"”]")
_SPOKEN_RE = re.compile(
    r"(?<![\w'’/-])(?:I|I['’](?:m|ve|d|ll)|[Mm]y|[Ww]e|[Ww]e['’](?:re|ve|ll|d)|[Oo]ur|me|us)(?![\w'’/-])"
)


def spoken(sentence: str) -> bool:
    """Whether a feed sentence speaks in the first person (outside quotation marks: reported speech,
    '"We will expand," the CEO said', is the outlet telling what someone said)."""
    return bool(_SPOKEN_RE.search(_QUOTED_RE.sub("", sentence)))


def titled(headline: str) -> bool:
    """Whether our own sentences must quote a headline as the outlet's title rather than run on it: it
    speaks in the first person (our letter's "I" is the editor's), asks, is two sentences, or holds a colon
    (in a list of stories, "... not effective for Singapore: Vivian, Grab cuts ..." reads as one)."""
    h = headline.strip()
    return bool(_FIRST_PERSON_RE.match(h) or h.endswith("?") or ": " in h or _TWO_SENTENCES_RE.search(h))


def whole_sentences(summary: str) -> list[str]:
    """The summary's sentences that are complete (a cut-off last one, or one ending in "…", is dropped)."""
    return [s for s in sentences(summary) if _WHOLE_RE.search(s) and not _TRUNCATED_RE.search(s)]


def entry_text(headline: str, summary: str, max_chars: int) -> str:
    """One line for the issue: the summary's first sentence when it tells the headline's news (or, for an
    English headline that is no statement, when it is about its subject), else the headline."""
    title = clean_headline(headline)
    found = sentences(summary)
    # An English headline that is no statement (a question, a noun phrase) is no sentence either: a first
    # sentence about its subject says more ("The great Chinese EV exodus" / "A consolidation among ...").
    loose = title.isascii() and not statement(title)
    if (
        found
        and usable(found[0], max_chars)
        and not spoken(found[0])
        and (tells(found[0], title) or (loose and about(found[0], title)))
    ):
        return found[0]
    return title


def lead_sentences(headline: str, summary: str, max_chars: int) -> tuple[str, ...]:
    """Whole sentences to tell a lead story with, in order, within max_chars.

    The first one names the subject and tells the news: the summary's first sentence when it does,
    else the headline, which the credit tells again ("Ars reports that one of China's rockets ...").
    A headline it cannot tell (a question, a quote after a colon, CJK) would only repeat the story's
    heading: then a summary's first sentence about the headline's subject opens the story instead
    ("孙正义：20年内…" / "ARM公司与许多企业建立了合作关系…"); "Cost cuts finally paid off." names no one, and
    the headline stays. The summary's other whole sentences follow while they fit. With no summary sentence,
    a headline the credit cannot tell gives none at all: "Bloomberg has the story." under it, not the
    heading again.
    """
    title = clean_headline(headline)
    told = statement(title) or reviewed(title) is not None  # the credit can tell it: "Ars reports that ..."
    found = whole_sentences(summary)
    if (
        found
        and usable(found[0], max_chars)
        and not spoken(found[0])
        and (tells(found[0], title) or (about(found[0], title) and not told))
    ):
        out, rest = [found[0]], found[1:]
    elif told or found:
        out, rest = [title], found
    else:
        return ()  # nothing to tell but a headline the heading already shows: the credit says who has it
    used = _width(out[0])
    for sentence in rest:
        if _width(sentence) + used > max_chars:
            break
        out.append(sentence)
        used += _width(sentence) + 1
    return tuple(out)
