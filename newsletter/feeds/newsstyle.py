"""Conventions of English news copy that cleaning and our own sentences must see through.

What opens wire copy before its first sentence, a dateline or a byline (cjk.py does CJK sites'):

"SINGAPORE, Aug 20 (Reuters) - Grab said ...", "Aug 20 : Sysco on Thursday said ..." (a site that keeps the
wire's date but not its city), "By Qiaoyi Li and Kevin Krolicki The robotics division of ...": left in, they
open the entry an editor pastes, or run into its first sentence ("reports that by Qiaoyi Li ..."). And a
headline in Title Case, which reads as a title, never as a sentence of ours.
"""

from __future__ import annotations

import re

_MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sept?(?:ember)?"
    r"|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
)
# "April 23, 2020 2:48 PM" before the city, as some sites print the wire's time (or alone, as a paragraph).
_WHEN = rf"{_MONTH}\s+\d{{1,2}},\s*\d{{4}}(?:,?\s+\d{{1,2}}:\d{{2}}\s*(?:[AaPp]\.?[Mm]\.?)?)?"
_STAMP = rf"{_WHEN}\s+"
_CITY = r"[A-Z][A-Z.'’ -]{2,40}"  # in capitals: "SINGAPORE", "NEW DELHI", "HO CHI MINH CITY"
_DATELINE_RE = re.compile(
    # "SINGAPORE, Aug 20 (Reuters) - ", "TOKYO (AP) — ", "April 23, 2020 1:00 PM SINGAPORE (THE NEW PAPER) - "
    rf"^(?:{_STAMP})?(?:{_CITY}(?:,\s*{_MONTH}\s+\d{{1,2}})?\s*\([A-Z][A-Za-z .'’&-]{{1,30}}\)\s*[-–—:]\s*"
    # "SINGAPORE - ", "April 23, 2020 2:48 PM SINGAPORE - "
    rf"|{_CITY}\s+[-–—]\s+"
    # "Aug 20 : ", "March 3: " (the date alone, then a colon)
    rf"|{_MONTH}\s+\d{{1,2}}\s*:\s+)"
)
_NOT_A_NAME = (
    r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|January|February|March|April|May|June|July"
    r"|August|September|October|November|December|The|A|An|This|That|Then|Now|Next|Last|Early|Late|Mid)"
)
_PERSON = rf"(?!{_NOT_A_NAME}\b)[A-Z][a-zA-Z'’.-]+(?: [A-Z][a-zA-Z'’.-]+){{1,2}}"
# "By Qiaoyi Li and Kevin Krolicki " before a capital: one to three authors, each a name of two or three
# capitalised words ("By Friday, Samsung ..." and "By South Korea's count ..." are no bylines).
_BYLINE_RE = re.compile(
    rf"^By {_PERSON}(?:(?:,| and| &) {_PERSON})*(?:\s*[|,–—-]\s*|\s+)"
    # not "By Samsung Electronics Co Ltd's count"
    r"(?!(?:Co|Corp|Ltd|Inc|Group|Holdings|Bank)\b)(?=[A-Z\"“‘])"
)


_STAMP_ALONE_RE = re.compile(rf"^{_WHEN}\s*$")


def is_stamp(paragraph: str) -> bool:
    """Whether a paragraph is only the time it was filed ("April 23, 2020 2:48 PM")."""
    return paragraph[:1].isupper() and bool(_STAMP_ALONE_RE.match(paragraph))


def strip_opening(sentence: str) -> str:
    """The first sentence of a summary without the wire's dateline or the writer's byline before it."""
    if sentence[:1].isupper():
        rest = _DATELINE_RE.sub("", sentence, count=1)
        if not rest[:1].islower():  # "NASA - a rocket ..." is no dateline before a sentence
            sentence = rest
        if sentence.startswith("By "):
            sentence = _BYLINE_RE.sub("", sentence, count=1)
    return sentence


def is_title_case(title: str) -> bool:
    """Headline Style Capitalises Every Word (then a capital says nothing about a name, and the headline
    is no sentence of ours)."""
    words = [w for w in title.split() if len(w) > 3 and w[0].isalpha()]
    return len(words) >= 3 and sum(w[0].isupper() for w in words) >= 0.8 * len(words)
