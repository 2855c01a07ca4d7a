"""Label items with a primary region, secondary regions and themes, with the reasons an editor can check.

One compiled regex (a trie of every gazetteer term) scans title and summary once each; the
hits are scored as documented at the top of seeds/taxonomy.toml.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple

from .models import GLOBAL, Labels, Reason
from .taxonomy import RegionDef, Taxonomy, Term, load_taxonomy

__all__ = ["Classifier", "Taxonomy", "classify_many", "load_taxonomy"]

# Letters and digits that make a word go on; CJK is left out on purpose, so "OPPO手机" and
# "SK하이닉스는" still match, while "Indiana" does not match "India".
_LETTER = "A-Za-z\u00c0-\u024f"
_WORD = "0-9" + _LETTER
# Words around a place in a title that say the news happens there (see Classifier._place_cue).
_BEFORE_PLACE = (" in ", " into ", " to ", " across ", " inside ", " from ", "在", "於", "于", "赴", "进军")
_AFTER_PLACE = (
    " plant", " factory", " factories", " fab", " facility", " facilities", " campus", " office",
    " hub", " unit", " arm ", " subsidiary", " operations", " data centre", " data center",
    " expansion", " branch", " venture", " jv", " ipo", " listing", " launch", " headquarters",
    "で", "에서", "법인", "工厂", "工場", "子公司", "分公司",
)  # fmt: skip
_AFTER_PLACE_CJK = ("廠", "厂", "工場", "工厂", "공장", "법인", "基地")
# A verb after which the title names the target of a deal or an investment.
_TARGET = re.compile(
    r"\b(?:buys?|bought|to buy|buying|acquires?|acquired|acquiring|to acquire|backs|backed|"
    r"invests? in|investing in|to invest in|stake in|taking a stake|takes? (?:a )?stake|to take|"
    r"bets? on|betting on|buys? into|merges? with|approach(?:es|ed)|bid for|\d+(?:\.\d+)? ?% of)"
)
# Feed text is untrusted: a field is read up to this many characters (a lede holds what matters).
MAX_CHARS = 2000
REASONS_PER_LABEL = 4
_SPLIT = re.compile(r"[\s\-/]+")


class _Entry(NamedTuple):
    """What one matched key means for one label."""

    label: str
    kind: str  # "region" | "theme"
    weight: float
    place: bool  # a place name: weighs more right after "in"/"to"
    ambiguous: bool
    context: tuple[str, ...]
    weak: bool  # a weak theme word: counts once per item, not once in the title and again in the body
    company: bool
    demonym: bool


# A lower-cased key: its case-free entries, its exact-case variants, and whether it names a place,
# a demonym, a company.
_Indexed = tuple[tuple[_Entry, ...], tuple[tuple[str, tuple[_Entry, ...]], ...], bool, bool, bool]


class _Hit(NamedTuple):
    """One name found in one field; a plain tuple underneath, weight first so hits sort by it."""

    weight: float
    label: str
    kind: str  # "region" | "theme"
    term: str  # as written in the text
    where: str  # "title" | "body"
    order: int  # position, title first: breaks ties between equal scores
    entry: _Entry


def _is_latin_start(text: str) -> bool:
    return bool(re.match(f"[{_WORD}]", text))


def _trie_pattern(keys: Iterable[str], fan: int = 0) -> str:
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
        kids = sorted(k for k in node if k)
        parts = [re.escape(ch) + emit(node[ch]) for ch in kids]
        if not parts:
            return ""
        if fan and len(parts) > fan:
            size = math.ceil(len(parts) / math.ceil(len(parts) / fan))
            groups = []
            for i in range(0, len(parts), size):
                chars = "".join(re.escape(ch) for ch in kids[i : i + size])
                groups.append(f"(?=[{chars}])(?:" + "|".join(parts[i : i + size]) + ")")
            body = "(?:" + "|".join(groups) + ")"
        else:
            body = parts[0] if len(parts) == 1 else "(?:" + "|".join(parts) + ")"
        return f"(?:{body})?" if "" in node else body

    return emit(trie)


_by_weight = operator.itemgetter(0)


def _match_start(m: re.Match[str]) -> int:
    return m.start()


def _key(text: str) -> str:
    return " ".join(text.split())


class Classifier:
    """Built once from a taxonomy (the matcher is compiled here); `classify` is pure and thread-safe."""

    def __init__(self, taxonomy: Taxonomy) -> None:
        self.taxonomy = taxonomy
        self.scoring = taxonomy.scoring
        self._exact: dict[str, list[_Entry]] = {}
        self._folded: dict[str, list[_Entry]] = {}
        labelled: list[tuple[RegionDef | None, str, str, tuple[Term, ...]]] = []
        for region in (*taxonomy.regions.values(), taxonomy.global_region):
            labelled.append((region, region.id, "region", region.terms))
        for theme in taxonomy.themes.values():
            labelled.append((None, theme.id, "theme", theme.terms))
        for _, label, kind, terms in labelled:
            for term in terms:
                # "in Singapore" moves an item to Singapore; "in San Francisco" does not move it out of Asia.
                place = term.kind == "places" and label != GLOBAL
                weak, company = term.kind == "weak", term.kind == "companies"
                demonym = term.kind == "demonyms" and label != GLOBAL
                near, ambiguous, context = place or demonym, term.ambiguous, term.context
                entry = _Entry(label, kind, term.weight, near, ambiguous, context, weak, company, demonym)
                table, key = (
                    (self._exact, _key(term.text)) if term.exact else (self._folded, _key(term.text).lower())
                )
                bucket = table.setdefault(key, [])
                same = [i for i, e in enumerate(bucket) if e.label == label]
                if not same:
                    bucket.append(entry)
                elif entry.weight > bucket[same[0]].weight:  # listed twice: keep the stronger
                    bucket[same[0]] = entry
        self._inherit()
        self._compile()
        # Reasons are immutable and repeat (the same name, where and weight): building a frozen
        # dataclass costs more than looking one up.  Bounded; a lost race only builds one twice.
        self._reasons: dict[tuple[str, str, str, str, float], Reason] = {}

    # -- building ---------------------------------------------------------------------------------

    def _inherit(self) -> None:
        """A compound term ('US-China', 'Tencent Cloud') also carries the names inside it.

        The matcher takes the longest term, so without this 'US-China' would hide both
        countries and 'Tencent Cloud' would hide the cloud theme.  A compound inherits a
        kind of label (region or theme) only when it has none of that kind itself.
        """
        for table in (self._exact, self._folded):
            for key, entries in table.items():
                words = [w.removesuffix("'s") for w in _SPLIT.split(key) if w]
                if len(words) < 2:
                    continue
                have = {e.kind for e in entries}
                labels = {e.label for e in entries}
                for size in range(len(words) - 1, 0, -1):
                    for start in range(len(words) - size + 1):
                        sub = " ".join(words[start : start + size])
                        source = self._exact.get(sub, []) if table is self._exact else []
                        found = [*source, *self._folded.get(sub.lower(), ())]
                        for e in found:
                            if e.kind in have or e.label in labels or e.ambiguous:
                                continue
                            entries.append(e)
                            labels.add(e.label)

    def _compile(self) -> None:
        """Two compiled tries over lower-cased text: one for Latin-script names, one for CJK names.

        Matching runs on lower-cased, whitespace-normalised text, so the trie needs no
        case-insensitive flag and no \\s+ (twice as fast); exact-case terms are checked
        against the original text afterwards.  The CJK trie runs only on text that holds a
        character it can start with: tried at every position of every English text it
        would cost more than the whole Latin pass.
        """
        index: dict[str, _Indexed] = {}
        exact_lower: dict[str, list[tuple[str, tuple[_Entry, ...]]]] = {}
        for key, entries in self._exact.items():
            exact_lower.setdefault(key.lower(), []).append((key, tuple(entries)))
        for key in set(self._folded) | set(exact_lower):
            folded = tuple(self._folded.get(key, ()))
            exact = tuple(exact_lower.get(key, ()))
            every = [*folded, *(e for _, es in exact for e in es)]
            place = any(e.place and not e.demonym for e in every)
            demonym = any(e.demonym for e in every)
            index[key] = (folded, exact, place, demonym, any(e.company for e in every))
        self._index = index
        latin = [k for k in index if _is_latin_start(k)]
        other = [k for k in index if not _is_latin_start(k)]
        # After a term: no letter may follow; a model number may ("Galaxy Z Fold" in "Galaxy Z
        # Fold7"), unless the term itself ends in a digit ("H20" is not "H200").  A term ending
        # in a sign ("raises $", "AI芯片") needs no boundary at all.
        self._latin = re.compile(
            f"(?<![{_WORD}])({_trie_pattern(latin) or '(?!)'})(?:'s|s|es)?"
            f"(?:(?<=[{_LETTER}])(?![{_LETTER}])|(?<=[0-9])(?![{_WORD}])|(?<![{_WORD}]))"
        )
        first = "".join(sorted({k[0] for k in other}))
        self._cjk_probe = re.compile(f"[{re.escape(first)}]") if other else None
        self._cjk = re.compile(f"(?=[{re.escape(first)}])({_trie_pattern(other, fan=40)})") if other else None

    # -- classifying ------------------------------------------------------------------------------

    def _scan(self, title: str, summary: str) -> tuple[list[_Hit], bool]:
        """One regex pass over title and summary together; a term counts once per field.

        Returns the hits and whether any of them is an ambiguous name that needs context.
        """
        sc = self.scoring
        title = " ".join(title.replace("\u2019", "'").split())[:MAX_CHARS]
        summary = " ".join(summary.replace("\u2019", "'").split())[:MAX_CHARS]
        # NUL is no word character: no term spans the two fields, and positions say which field.
        text = f"{title}\x00{summary}"
        title_end = len(title)
        lowered = text.lower()
        if len(lowered) != len(text):  # a few characters grow when lower-cased ("İ"): keep them as they are
            lowered = "".join(c if len(c.lower()) != 1 else c.lower() for c in text)
        matches = list(self._latin.finditer(lowered))
        cjk, probe = self._cjk, self._cjk_probe
        if cjk is not None and probe is not None and not lowered.isascii() and probe.search(lowered):
            matches += cjk.finditer(lowered)
            matches.sort(key=_match_start)
        index = self._index
        target = _TARGET.search(lowered, 0, title_end)
        target_at = target.start() if target else -1
        seen = set()
        new_hit = tuple.__new__
        hits: list[_Hit] = []
        company_end = -2
        located = False  # one place per title is where the news happens: the first one named
        ambiguous = False
        for m in matches:
            key = m.group(1)
            start = m.start(1)
            in_title = start < title_end
            folded, exact, place, demonym, company = index[key]
            term = text[start : start + len(key)]
            slot = (key, in_title)
            if exact:
                if slot in seen and not folded:
                    continue
                folded = folded + tuple(e for k, es in exact if k == term for e in es)
            elif slot in seen:
                continue
            seen.add(slot)
            if in_title:
                where, mult = "title", sc.title
                near = far = mult
                if place or demonym:
                    cue = self._place_cue(lowered, start, m.end(1), company_end, demonym)
                    if cue == sc.located:
                        cue = 1.0 if located else cue
                        located = True
                    near = mult * cue
                if target_at >= 0:  # "SMBC agrees to buy 20% of Yes Bank": the target's region leads
                    deal = sc.target if start > target_at else sc.acquirer
                    near, far = near * deal, far * deal
                if company:
                    company_end = m.end()
            else:
                where, mult = "body", sc.body
                near = far = mult
            for e in folded:  # tuple.__new__: a NamedTuple's keyword-checking __new__ costs 10x more here
                ambiguous = ambiguous or e.ambiguous
                if e.kind != "region" or e.label == GLOBAL:
                    weight = e.weight * mult
                else:
                    weight = e.weight * (near if e.place else far)
                hits.append(new_hit(_Hit, (weight, e.label, e.kind, term, where, start, e)))
        return hits, ambiguous

    def _place_cue(self, lowered: str, start: int, end: int, company_end: int, demonym: bool) -> float:
        """How much the words around a place in a title say the news happens there.

        Located (x `located`): "a plant in Singapore", "exports from India", "expands to
        Japan", "a Singapore fab", "Hyundai Motor India",
        "インドで", "인도법인", "熊本第二座晶圓廠".  Subject (x `subject`): the title opens with
        it ("Indonesia blocks ...", not "Japan, Korea and China ...") or names it in the
        possessive ("Taiwan's ...").  A demonym only counts before a facility: "a Thai plant".
        """
        sc = self.scoring
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
        if (start == 0 and not after.startswith((",", " and ", " & "))) or after.startswith("'s"):
            return sc.subject
        return 1.0

    def classify(
        self,
        title: str,
        summary: str = "",
        source_region: str | None = None,
        source_themes: Sequence[str] = (),
    ) -> Labels:
        """Labels for one item: primary region (or 'global'), secondary regions, themes and reasons."""
        sc = self.scoring
        title = title or ""
        summary = summary or ""
        hits, ambiguous = self._scan(title, summary)
        if ambiguous:
            hits = self._resolve(hits, f"{title}\n{summary}".lower())

        region_score: dict[str, float] = {}
        theme_score: dict[str, float] = {}
        first: dict[str, int] = {}
        weak_seen: set[tuple[str, str]] = set()
        region_top: dict[str, float] = {}
        region_sum: dict[str, float] = {}
        for weight, label, kind, term, _, order, entry in hits:
            if entry.weak:
                if (label, term.lower()) in weak_seen:
                    continue
                weak_seen.add((label, term.lower()))
            if kind == "region":
                region_sum[label] = region_sum.get(label, 0.0) + weight
                if weight > region_top.get(label, 0.0):
                    region_top[label] = weight
            else:
                theme_score[label] = theme_score.get(label, 0.0) + weight
            if label not in first:
                first[label] = order
        # A region's strongest name counts in full and every other one at `repeat`: "ByteDance
        # lays off TikTok staff in Malaysia" names China twice but happens in Malaysia once.
        repeat = sc.repeat
        for label, total in region_sum.items():
            top = region_top.get(label, 0.0)
            region_score[label] = top + repeat * (total - top)

        prior: list[Reason] = []
        if source_region and (source_region in self.taxonomy.regions or source_region == GLOBAL):
            region_score[source_region] = region_score.get(source_region, 0.0) + sc.source_prior
            first.setdefault(source_region, 1 << 30)
            prior.append(self._reason(source_region, "region", "source region", "source", sc.source_prior))
        for theme in dict.fromkeys(source_themes):
            if theme in self.taxonomy.themes:
                theme_score[theme] = theme_score.get(theme, 0.0) + sc.source_theme
                first.setdefault(theme, 1 << 30)
                prior.append(self._reason(theme, "theme", "source theme", "source", sc.source_theme))

        regions = self._regions(region_score, first)
        themes = self._themes(theme_score, first) if theme_score else []
        return Labels(
            region=regions[0],
            regions=tuple(regions),
            themes=tuple(themes),
            reasons=self._explain(hits, regions, themes, prior, region_score),
        )

    def _explain(
        self,
        hits: list[_Hit],
        regions: list[str],
        themes: list[str],
        prior: list[Reason],
        region_score: dict[str, float],
    ) -> tuple[Reason, ...]:
        """The strongest few hits per chosen label, regions first, then the priors that counted."""
        hits.sort(reverse=True, key=_by_weight)
        by_region: list[Reason] = []
        by_theme: list[Reason] = []
        shown: dict[str, int] = {}
        cache = self._reasons
        chosen = {*regions, *themes}
        for weight, label, kind, term, where, _, _ in hits:
            if label in chosen and shown.get(label, 0) < REASONS_PER_LABEL:
                shown[label] = shown.get(label, 0) + 1
                reason = cache.get((label, kind, term, where, weight)) or self._reason(
                    label, kind, term, where, weight
                )
                (by_region if kind == "region" else by_theme).append(reason)
        for r in prior:
            if r.label in chosen:
                (by_region if r.kind == "region" else by_theme).append(r)
        if regions[0] == GLOBAL and GLOBAL not in shown:
            best = max((s for r, s in region_score.items() if r != GLOBAL), default=0.0)
            why = f"no Asian name strong enough (best {best:g})" if best else "no Asian name"
            by_region.append(self._reason(GLOBAL, "region", why, "body", 0.0))
        return (*by_region, *by_theme)

    def _reason(self, label: str, kind: str, term: str, where: str, weight: float) -> Reason:
        key = (label, kind, term, where, weight)
        reason = self._reasons.get(key)
        if reason is None:
            if len(self._reasons) > 200_000:
                self._reasons.clear()
            reason = self._reasons[key] = Reason(label, kind, term, where, weight)
        return reason

    def _resolve(self, hits: list[_Hit], lowered: str) -> list[_Hit]:
        """Keep an ambiguous name ('Sea', 'Grab') only with a context word or another name of its label."""
        sure = {h.label for h in hits if not h.entry.ambiguous}
        return [
            h
            for h in hits
            if not h.entry.ambiguous or h.label in sure or any(c.lower() in lowered for c in h.entry.context)
        ]

    def _regions(self, score: dict[str, float], first: dict[str, int]) -> list[str]:
        """The best Asian region if it reaches min_region and beats the [global] names; else 'global'."""
        sc = self.scoring
        asian = [(s, -first.get(r, 0), r) for r, s in score.items() if r != GLOBAL and s > 0]
        if not asian:
            return [GLOBAL]
        asian.sort(reverse=True)
        best, _, primary = asian[0]
        if best < sc.min_region or best < score.get(GLOBAL, 0.0):
            return [GLOBAL]
        floor = max(sc.min_region, sc.secondary_ratio * best)
        return [primary, *(r for s, _, r in asian[1:] if s >= floor)]

    def _themes(self, score: dict[str, float], first: dict[str, int]) -> list[str]:
        sc = self.scoring
        themes = self.taxonomy.themes
        passed = [t for t, s in score.items() if s >= sc.theme_min]
        if not passed:
            return passed
        if len(passed) > 1:
            passed = [
                t for t in passed if not any(score.get(o, 0.0) >= score[t] for o in themes[t].suppressed_by)
            ]
            passed.sort(key=lambda t: (-score[t], -themes[t].priority, first.get(t, 0)))
        return passed[: sc.max_themes]


Row = Mapping[str, Any] | Sequence[Any]


def _row_args(row: Row) -> tuple[str, str, str | None, tuple[str, ...]]:
    if isinstance(row, Mapping):
        return (
            row.get("title") or "",
            row.get("summary") or "",
            row.get("source_region"),
            tuple(row.get("source_themes") or ()),
        )
    title = row[0] if len(row) > 0 else ""
    summary = row[1] if len(row) > 1 else ""
    region = row[2] if len(row) > 2 else None
    themes = tuple(row[3]) if len(row) > 3 and row[3] else ()
    return title or "", summary or "", region, themes


def classify_many(classifier: Classifier, rows: Iterable[Row]) -> list[Labels]:
    """Classify many items in order: rows are dicts (title, summary, source_region, source_themes) or tuples.

    One thread on purpose: forked workers were measured slower on the 2-core machine, the
    cost of sending Labels back outweighing the second core.
    """
    classify = classifier.classify
    return [classify(*_row_args(row)) for row in rows]
