"""Figures an item states, for clustering: money in any notation and currency, percentages, counts, power,
chip nodes and dates; and the quarters and ordinals a text names.

"$16.5bn" and "22조8천억원" are one figure: amounts are compared within their rounding, or within rough
exchange rates across currencies. Two items stating different amounts are evidence of two events.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable

from .evidence import fold_case

MONEY_FX = 0.04  # different currencies: within 4% after conversion at rough rates
MONEY_EXACT = 0.02  # same currency: figures within 2% are one figure (rounding)
ROUNDING_MAX = 0.1  # the most a round figure's own rounding widens the match ("$30 million" is 25-35m)
# Money: rough rates to US dollars, only to tell "the same amount in another currency" (±MONEY_FX).
_USD = {
    "usd": 1.0, "hkd": 0.128, "twd": 0.031, "sgd": 0.74, "aud": 0.65, "cny": 0.14, "jpy": 0.0066,
    "krw": 0.00072, "inr": 0.0114, "eur": 1.08, "gbp": 1.27, "myr": 0.22, "vnd": 0.00004, "bdt": 0.0083,
    "thb": 0.029, "php": 0.017, "idr": 0.000062, "pkr": 0.0036,
}  # fmt: skip
_CURRENCY = {
    "us$": "usd", "$": "usd", "usd": "usd", "dollar": "usd", "dollars": "usd", "美元": "usd", "ドル": "usd",
    "달러": "usd", "hk$": "hkd", "nt$": "twd", "s$": "sgd", "a$": "aud", "rmb": "cny", "cny": "cny",
    "yuan": "cny", "元": "cny", "¥": "jpy", "jpy": "jpy", "yen": "jpy", "円": "jpy", "日圓": "jpy",
    "日元": "jpy", "₩": "krw", "krw": "krw", "won": "krw", "원": "krw", "韩元": "krw", "₹": "inr",
    "inr": "inr", "rs": "inr", "rs.": "inr", "rupee": "inr", "rupees": "inr", "€": "eur", "£": "gbp",
    "rm": "myr",
    "ringgit": "myr", "dong": "vnd", "taka": "bdt", "tk": "bdt", "baht": "thb", "peso": "php",
    "pesos": "php", "rupiah": "idr",
}  # fmt: skip
_MULT = {
    "k": 1e3, "thousand": 1e3, "m": 1e6, "mn": 1e6, "mln": 1e6, "million": 1e6, "b": 1e9, "bn": 1e9,
    "billion": 1e9, "t": 1e12, "tn": 1e12, "trillion": 1e12, "lakh": 1e5, "crore": 1e7, "cr": 1e7,
    "万": 1e4, "萬": 1e4, "만": 1e4, "千万": 1e7, "千萬": 1e7, "亿": 1e8, "億": 1e8, "억": 1e8,
    "兆": 1e12, "조": 1e12,
}  # fmt: skip
_FIGURE_RE = re.compile(
    r"(?=[\d$¥₹€£₩]|(?:us|hk|nt|s|a)\$|(?:rmb|usd|cny|jpy|krw|inr|rs|rm|tk)\.?\s?\d)"  # cheap filter
    r"(?:(?P<num0>\d[\d,]*(?:\.\d+)?)\s?(?:%|percent\b|per cent\b|퍼센트)"
    r"|(?P<num1>\d[\d,]*(?:\.\d+)?)\s?(?P<power>[mg])w\b"
    r"|(?P<num2>\d{1,2}(?:\.\d)?)\s?(?:nm\b|-?nanomet(?:er|re)s?\b|ナノ|나노|纳米|納米|奈米)"
    r"|(?:(?P<cur>us\$|hk\$|nt\$|s\$|a\$|rmb|usd|cny|jpy|krw|inr|rs\.?|rm|tk|\$|¥|₹|€|£|₩)\s?)?"
    r"(?P<num>\d(?:[\d,]*\d)?(?:\.\d+)?)"
    r"(?:\s?(?P<unit>thousand|million|billion|trillion|crore|lakh|mln|mn|bn|tn|cr|k|m|b|t(?![a-z])"
    r"|千万|千萬|万|萬|亿|億|兆|만|억|조)(?![a-z]))?"
    r"(?:\s?(?P<suf>dollars?|yuan|yen|won|rupees?|dong|taka|baht|ringgit|pesos?|rupiah"
    r"|美元|日圓|日元|韩元|元|円|ドル|달러|원))?)"
)
_CJK_COMPOUND = [  # 22조8천억 -> 22.8조, 2억4300만 -> 2.43억: one number the figure pattern can read
    (re.compile(r"(\d+)\s?조\s?(\d)천\s?억"), lambda m: f"{int(m[1]) + int(m[2]) / 10:g}조"),
    (re.compile(r"(\d+)\s?조\s?(\d{1,4})\s?억"), lambda m: f"{int(m[1]) + int(m[2]) / 1e4:g}조"),
    (re.compile(r"(\d+)\s?억\s?(\d{1,4})\s?만"), lambda m: f"{int(m[1]) + int(m[2]) / 1e4:g}억"),
    (re.compile(r"(\d)천\s?억"), lambda m: f"{m[1]}000억"),
    # 22億2500万ドル -> 22.25億, 1兆2000億円 -> 1.2兆 (Japanese and Chinese write large numbers the same way)
    (
        re.compile(r"(\d+)\s?([億亿])\s?(\d{1,4})\s?[万萬]"),
        lambda m: f"{int(m[1]) + int(m[3]) / 1e4:g}{m[2]}",
    ),
    (re.compile(r"(\d+)\s?兆\s?(\d{1,4})\s?[億亿]"), lambda m: f"{int(m[1]) + int(m[2]) / 1e4:g}兆"),
]
_ORDINAL = {"first": 1, "second": 2, "third": 3, "fourth": 4}
_MONTH_Q = {"jan": 1, "apr": 2, "jul": 3, "oct": 4}
# Each pattern with what every match of it holds: a text that holds none of it is not scanned for it.
_QUARTER_RES: list[tuple[re.Pattern[str], re.Pattern[str], Callable[[re.Match[str]], object]]] = [
    (re.compile(r"q[1-4]|[1-4]q"), re.compile(r"\bq([1-4])\b|\b([1-4])q\b"), lambda m: m[1] or m[2]),
    (
        re.compile("quarter"),
        re.compile(r"\b(first|second|third|fourth)[- ]quarter"),
        lambda m: _ORDINAL[m[1]],
    ),
    (
        re.compile("[-–~]"),
        re.compile(r"\b(jan|apr|jul|oct)[a-z]*\s?[-–~]\s?(mar|jun|sep|dec)"),
        lambda m: _MONTH_Q[m[1]],
    ),
    (re.compile("분기"), re.compile(r"([1-4])\s?분기"), lambda m: m[1]),
    (re.compile("季度"), re.compile(r"第?([一二三四])季度"), lambda m: "一二三四".index(m[1]) + 1),
    (
        re.compile("月期"),
        re.compile(r"(1|4|7|10)\s?[~〜-]\s?(3|6|9|12)\s?月期"),
        lambda m: (int(m[1]) + 2) // 3,
    ),
]
_QUARTER_HINT = re.compile(r"q[1-4]|[1-4]q|quarter|jan|apr|jul|oct|분기|季度|月期")
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_DATE_RE = re.compile(
    r"\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.? (\d{1,2})\b(?!,\d)"
    r"|\b(\d{1,2}) (jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b"
)
_ORD_WORDS = {
    "first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4, "fifth": 5,
    "5th": 5, "第一": 1, "第二": 2, "第三": 3, "第四": 4, "두 번째": 2, "세 번째": 3, "네 번째": 4,
    "2号": 2, "2호": 2,
}  # fmt: skip
_ORD_RE = re.compile(
    r"\b(?:first|1st|second|2nd|third|3rd|fourth|4th|fifth|5th)\b|第[一二三四]|[두세네] 번째"
)
_DIGIT_RUN_RE = re.compile(r"\d[\d,.]*")
NEAR_BEFORE = 14  # characters a figure may start before its number ("rs. ", "sept. ": then the word's start)
NEAR_AFTER = 22  # characters a figure may end after its number (" trillion dollars", " per cent")


@dataclasses.dataclass(frozen=True, slots=True)
class Figure:
    """A number an item states: kind "money" (value in its currency), "pct", "count", "mw" or "node"."""

    kind: str
    value: float
    currency: str = ""
    rounding: float = dataclasses.field(default=0.0, compare=False)  # half its last digit's place / value
    valuation: bool = dataclasses.field(default=False, compare=False)  # "valued at $7bn", "a $7bn valuation"
    revenue: bool = dataclasses.field(default=False, compare=False)  # "$5bn of revenue", "sales of $2bn"

    def same(self, other: Figure) -> bool:
        """One figure in two notations: equal within rounding, or within rough exchange rates.

        The coarser figure's own rounding widens the match (up to ROUNDING_MAX): "$230 million" may be
        the 235m another outlet states, and "$30 million" the 32m a won amount converts to; "$450 million"
        is never 665m. The wider rounding is never narrower than the fixed tolerances.
        """
        if self.kind != other.kind:
            return False
        a, b = self.value, other.value
        if self.kind == "money" and self.currency != other.currency:
            a, b, tol = a * _USD[self.currency], b * _USD[other.currency], MONEY_FX
        else:
            tol = 0.03 if self.kind == "count" else MONEY_EXACT
        rounding = self.rounding if self.rounding > other.rounding else other.rounding  # 0 but for money
        if rounding > tol:
            tol = rounding if rounding < ROUNDING_MAX else ROUNDING_MAX
        return abs(a - b) <= tol * max(abs(a), abs(b)) or (self.kind == "pct" and abs(a - b) < 0.5)

    @property
    def usd(self) -> float:
        return self.value * _USD.get(self.currency, 0.0)


def _figure(m: re.Match[str]) -> Figure | None:
    """One figure, or None when the number is only a number (a year, a model name, a small count)."""
    if m["num0"]:
        return Figure("pct", float(m["num0"].replace(",", "")))
    if m["power"]:
        return Figure("mw", float(m["num1"].replace(",", "")) * (1000.0 if m["power"] == "g" else 1.0))
    if m["num2"]:  # a chip process node: "2nm", "2ナノ", "2나노", "2纳米" (one node in every script)
        return Figure("node", float(m["num2"]))
    text, cur, unit, suf = m["num"], m["cur"], m["unit"], m["suf"]
    try:
        value = float(text.replace(",", ""))
    except ValueError:
        return None
    value *= _MULT[unit] if unit else 1.0
    if cur or suf:
        currency = _CURRENCY[(cur or suf).rstrip("s") if (cur or suf) != "rs" else "rs"]
        return Figure("money", value, currency, _rounding(text))
    if unit and len(unit) > 1 or unit and not unit.isascii():
        return Figure("count", value)  # "3.5 million consoles", "350万台"
    if "," in text or (value >= 1000 and not 1900 <= value <= 2100 and not unit):
        return Figure("count", value)  # "240,000 orders"
    return None  # a bare number: a year, a count, a model name; "5 m" is five metres as often


def _rounding(number: str) -> float:
    """How far a stated number may be from the true one, relative: half its last non-zero digit's place.

    "230" -> 5/230, "1.3" -> 0.05/1.3, "44.5" -> 0.05/44.5; trailing zeros of a whole number are taken as
    rounding ("30" may be 25-35), the usual reading of a headline figure.
    """
    digits = number.replace(",", "")
    whole, _, frac = digits.partition(".")
    frac = frac.rstrip("0")
    if frac:
        place = 10.0 ** -len(frac)
    else:
        stripped = whole.rstrip("0")
        place = 10.0 ** (len(whole) - len(stripped)) if stripped else 1.0
    value = float(digits or 0)
    return 0.5 * place / value if value else 0.0


def figures(text: str) -> tuple[Figure, ...]:
    """The money, percentages, counts and power figures a text states, in any notation."""
    norm = fold_case(text)
    if not norm.isascii():
        for pattern, repl in _CJK_COMPOUND:
            norm = pattern.sub(repl, norm)
    near = _near_digits(norm)
    if not near:
        return ()
    found: list[Figure] = []
    valuing = "valu" in near or "revenue" in near or "sales" in near  # most state none: skip the look-around
    for m in _FIGURE_RE.finditer(near):
        f = _figure(m)
        if f is not None:
            if valuing and _valued(f, near, m):
                f = dataclasses.replace(f, valuation=True)
            elif valuing and _revenue(f, near, m):
                f = dataclasses.replace(f, revenue=True)
            found.append(f)
    for m in _DATE_RE.finditer(near):  # "Feb 29", "15 March": a deadline, an effective date
        month, day = (m[1], m[2]) if m[1] else (m[4], m[3])
        found.append(Figure("date", _MONTHS.index(month) * 100.0 + int(day)))
    return tuple(dict.fromkeys(found))  # a figure stated in the title and again in the summary counts once


_VALUED_BEFORE = re.compile(
    r"(?:valued at|valuation of|values? (?:it|the company) at|valuing it at)\s?(?:about )?$"
)  # the words before a valuation (the window holds NEAR_BEFORE characters: the nearest words only)
# A company's revenue is, like a valuation, a figure the story states, not an amount that changes hands:
# one filing's story quotes the revenue, another the raise ("$5bn of revenue" vs "seeks $80bn").
_REVENUE_AFTER = re.compile(r"\s?(?:of|in) (?:[a-z-]+ )?(?:revenue|sales)")
_REVENUE_BEFORE = re.compile(
    r"(?:revenue|sales)(?: has| have)?(?: passed| reached| topped| hit| of)?\s?(?:about |nearly |close to )?$"
)


def _valued(f: Figure, text: str, m: re.Match[str]) -> bool:
    """A valuation rather than an amount that changes hands: a round's size and its valuation differ."""
    if f.kind != "money":
        return False
    return text.startswith((" valuation", "valuation"), m.end()) or bool(
        _VALUED_BEFORE.search(text, max(0, m.start() - 30), m.start())
    )


def _revenue(f: Figure, text: str, m: re.Match[str]) -> bool:
    """A company's revenue: it conflicts with another revenue figure, not with the amount of a deal."""
    return f.kind == "money" and bool(
        _REVENUE_AFTER.match(text, m.end()) or _REVENUE_BEFORE.search(text, max(0, m.start() - 40), m.start())
    )


def _near_digits(norm: str) -> str:
    """Only the text around numbers, whole words, windows joined by " | " (which no figure can span).

    Every figure holds a digit and reaches at most NEAR_BEFORE characters before its number (a currency,
    a month name: the window then grows to the word's start) and NEAR_AFTER after it (a unit and a
    currency word), so the figure patterns find exactly what they find in the whole text, in a fraction
    of the time (they are tried at every position; numbers are a few words of a summary).
    """
    windows: list[tuple[int, int]] = []
    size = len(norm)
    for m in _DIGIT_RUN_RE.finditer(norm):
        start, end = m.start() - NEAR_BEFORE, m.end() + NEAR_AFTER
        start = norm.rfind(" ", 0, start) + 1 if start > 0 else 0  # back to a word's start
        end = norm.find(" ", end) if end < size else -1  # on to a word's end
        end = size if end < 0 else end
        if windows and start <= windows[-1][1]:
            windows[-1] = (windows[-1][0], end)
        else:
            windows.append((start, end))
    return " | ".join(norm[a:b] for a, b in windows)


# A product's version after its name ("Gemini 3.7", "iOS 26.1", "v2.5"): not money, not a percentage.
_VERSION_RE = re.compile(
    r"(?:[A-Za-z][\w-]*\s|\bv)(\d{1,3}\.\d{1,3})(?![\d.]|\s?(?:%|per|bn|billion|million|trillion|mn|m\b|b\b))"
)


_DECIMAL_RE = re.compile(r"\d\.\d")  # in every version: most texts hold none, and this scan is cheap


def versions(text: str) -> frozenset[str]:
    """Product versions a text states ("Gemini 3.7 Flash" -> 3.7): a 3.7 release is not a 3.6 one."""
    return frozenset(_VERSION_RE.findall(text)) if _DECIMAL_RE.search(text) else frozenset()


def ordinals(text: str) -> frozenset[int]:
    """Ordinals a text states (fourth launch, second plant, 第二座): the third launch is not the fourth."""
    return frozenset(_ORD_WORDS[m.group(0)] for m in _ORD_RE.finditer(fold_case(text)))


def quarters(text: str) -> frozenset[int]:
    """Calendar quarters a text names (Q3, third-quarter, July-September, 3분기, 三季度, 7~9月期)."""
    norm = fold_case(text)
    if not _QUARTER_HINT.search(norm):
        return frozenset()
    return frozenset(
        int(str(get(m)))
        for hint, pattern, get in _QUARTER_RES
        if hint.search(norm)
        for m in pattern.finditer(norm)
    )
