"""The classifier's second half: what an item's scores come to. The source's prior is added, the
primary and secondary regions and the themes are chosen, and the reasons shown behind them are picked.

`Classifier` (classify.py) scans the text and adds up the scores; these methods, which it inherits,
run once per item after the scan, and keep their caches (Reasons, source priors) beside it.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Sequence

from ..models import GLOBAL, Reason
from .taxonomy import Taxonomy

REASONS_PER_LABEL = 4
PRIOR_AT = 1 << 30  # the "first position" of a label only the source's prior names

# One hit: weight, label, kind, term as written, "title" | "body" (weight first: hits sort by it).
Hit = tuple[float, str, str, str, str]
# A source's prior: regions and themes it adds to, and the Reasons that say so.
_Priors = tuple[tuple[str, ...], tuple[str, ...], tuple[Reason, ...]]

_by_weight = operator.itemgetter(0)

# A sentence's end: a full stop before a space (or the end), or a CJK one anywhere. Written to open with
# the set of stops, so that the regex engine skips to them instead of trying every position.
_LEDE_END_RE = re.compile(r"[.!?。！？](?:(?=\s|$)|(?<=[。！？]))")


# Words that, before a company in the summary's first words, say it is not the sentence's subject:
# "When Sony debuted ...", "Built as a variation on Z.ai's model ...".
_NOT_SUBJECT = frozenset(
    {"about", "after", "against", "as", "at", "before", "by", "during", "for", "from", "in", "into", "like",
     "of", "on", "over", "than", "to", "unlike", "via", "when", "where", "while", "with", "without"}
)  # fmt: skip
_SUBJECT_WORDS = 3  # a subject opens the sentence: at most this many words before it ("The Tokyo-based")
_SUBJECT_CHARS = 6  # ... or this many characters of CJK text ("据报道，")


def _opens(lede: str) -> bool:
    """Whether a name after `lede` (the start of a summary's first sentence) is the sentence's subject."""
    if not lede.isascii():
        return len(lede.strip()) <= _SUBJECT_CHARS
    words = lede.lower().split()
    return len(words) <= _SUBJECT_WORDS and not any(w.strip(",;:\"'(") in _NOT_SUBJECT for w in words)


def lede_length(summary: str) -> int:
    """How long the summary's first sentence is (at most 300 characters): where an item's news is told."""
    end = _LEDE_END_RE.search(summary, 0, 300)
    return end.end() if end else min(len(summary), 300)


class LabelChoice:
    """Labels and their reasons from an item's scores (the base of Classifier).

    Its caches are plain dicts: a lost race only builds a value twice.
    """

    def __init__(self, taxonomy: Taxonomy) -> None:
        self.taxonomy = taxonomy
        self.scoring = taxonomy.scoring
        # Reasons are immutable and repeat (the same name, where and weight): building a frozen
        # dataclass costs more than looking one up.  Bounded; a lost race only builds one twice.
        self._reasons: dict[Hit, Reason] = {}
        self._priors: dict[tuple[str | None, tuple[str, ...]], _Priors] = {}
        self._suppressors = {t.id: t.suppressed_by for t in taxonomy.themes.values() if t.suppressed_by}
        self._priority = {t.id: t.priority for t in taxonomy.themes.values()}
        self._no_asia: dict[float, Reason] = {}  # the reason for 'global', by the best Asian score

    def _add_priors(
        self,
        source_region: str | None,
        source_themes: Sequence[str],
        region_score: dict[str, float],
        theme_score: dict[str, float],
        first: dict[str, int],
    ) -> tuple[Reason, ...]:
        """Add the source's configured region and themes to the scores; the Reasons are cached per source."""
        key = (source_region, tuple(source_themes))
        cached = self._priors.get(key)
        if cached is None:
            sc = self.scoring
            regions: list[str] = []
            themes: list[str] = []
            reasons: list[Reason] = []
            if source_region and (source_region in self.taxonomy.regions or source_region == GLOBAL):
                regions.append(source_region)
                reasons.append(Reason(source_region, "region", "source region", "source", sc.source_prior))
            for theme in dict.fromkeys(source_themes):
                if theme in self.taxonomy.themes:
                    themes.append(theme)
                    reasons.append(Reason(theme, "theme", "source theme", "source", sc.source_theme))
            cached = (tuple(regions), tuple(themes), tuple(reasons))
            if len(self._priors) > 10_000:  # sources are few; hostile callers are not
                self._priors.clear()
            self._priors[key] = cached
        regions_p, themes_p, reasons_p = cached
        for region in regions_p:
            region_score[region] = region_score.get(region, 0.0) + self.scoring.source_prior
            first.setdefault(region, PRIOR_AT)
        for theme in themes_p:
            theme_score[theme] = theme_score.get(theme, 0.0) + self.scoring.source_theme
            first.setdefault(theme, PRIOR_AT)
        return reasons_p

    def _explain(
        self,
        hits: list[Hit],
        regions: list[str],
        themes: list[str],
        prior: tuple[Reason, ...],
        region_score: dict[str, float],
    ) -> tuple[Reason, ...]:
        """The strongest few hits per chosen label, regions first, then the priors that counted."""
        chosen = {*regions, *themes}
        top = [h for h in hits if h[1] in chosen]
        if len(top) > 1:
            top.sort(reverse=True, key=_by_weight)  # stable: equal weights stay in text order
            if len(top) > REASONS_PER_LABEL:  # only then can a label have more hits than are shown
                shown: dict[str, int] = {}
                kept = []
                for hit in top:
                    count = shown.get(hit[1], 0)
                    if count < REASONS_PER_LABEL:
                        shown[hit[1]] = count + 1
                        kept.append(hit)
                top = kept
        by_region: list[Reason] = []
        by_theme: list[Reason] = []
        by_gate: list[Reason] = []
        cache = self._reasons
        for hit in top:
            reason = cache.get(hit) or self._reason(hit)
            if hit[2] == "region":
                by_region.append(reason)
            elif hit[2] == "gate":
                by_gate.append(reason)
            else:
                by_theme.append(reason)
        for r in prior:
            if r.label in chosen:
                (by_region if r.kind == "region" else by_theme).append(r)
        if regions[0] == GLOBAL and not any(hit[1] == GLOBAL for hit in top):
            best = max((s for r, s in region_score.items() if r != GLOBAL), default=0.0)
            no_asia = self._no_asia.get(best)
            if no_asia is None:
                why = f"no Asian name strong enough (best {best:g})" if best else "no Asian name"
                no_asia = Reason(GLOBAL, "region", why, "body", 0.0)
                if len(self._no_asia) < 10_000:  # scores are sums of a few weights: few values
                    self._no_asia[best] = no_asia
            by_region.append(no_asia)
        if by_theme:
            by_region += by_theme
        if by_gate:
            by_region += by_gate
        return tuple(by_region)

    def _reason(self, hit: Hit) -> Reason:
        """Reasons are immutable and repeat (the same name, where and weight): built once, then looked up."""
        reason = self._reasons.get(hit)
        if reason is None:
            if len(self._reasons) > 200_000:  # bounded; a lost race only builds one twice
                self._reasons.clear()
            weight, label, kind, term, where = hit
            reason = self._reasons[hit] = Reason(label, kind, term, where, weight)
        return reason

    def _regions(
        self,
        score: dict[str, float],
        first: dict[str, int],
        placed: dict[str, int],
        title_end: int,
        summary: str,
    ) -> list[str]:
        """The best Asian region if it reaches min_region and beats the [global] names; else 'global'.

        A region the title does not name needs `body_only` (names in passing, "follow us on Weibo",
        do not make an item Asian) unless the summary's first sentence names it: by a place, a person
        or an agency, or by a company that opens the sentence as its subject ("Infosys won the deal").
        A company further into it is most often a global story's supplier or rival ("Built on Z.ai's
        model, Writer's ...", "When Sony debuted Detroit ..."). The source's own region still counts.
        first: positions in "title NUL summary", the title title_end long; placed: where each region
        is first named by other than a company.
        """
        sc = self.scoring
        rival = 0.0  # the [global] names' score
        asian: list[tuple[float, int, str]] = []
        lede_end = -1  # where the summary's first sentence ends: found only when a name is past the title
        for r, s in score.items():
            if r == GLOBAL:
                rival = s
            elif s > 0:
                at = first.get(r, 0)
                if at > title_end and at != PRIOR_AT and s < sc.body_only:
                    if lede_end < 0:
                        lede_end = title_end + 1 + lede_length(summary)
                    if placed.get(r, PRIOR_AT) > lede_end and (
                        at > lede_end or not _opens(summary[: at - title_end - 1])
                    ):
                        continue
                asian.append((s, -at, r))
        if not asian:
            return [GLOBAL]
        if len(asian) == 1:
            best, _, primary = asian[0]
            return [GLOBAL] if best < sc.min_region or best < rival else [primary]
        asian.sort(reverse=True)
        best, _, primary = asian[0]
        if best < sc.min_region or best < rival:
            return [GLOBAL]
        floor = max(sc.min_region, sc.secondary_ratio * best)
        chosen = [primary]
        for s, _, r in asian[1:]:
            if s >= floor:
                chosen.append(r)
        return chosen

    def _themes(self, score: dict[str, float], first: dict[str, int]) -> list[str]:
        """Themes reaching theme_min, unless suppressed by a stronger one; best first, at most max_themes."""
        theme_min = self.scoring.theme_min
        passed = [t for t, s in score.items() if s >= theme_min]
        if len(passed) < 2:
            return passed
        suppressors = self._suppressors  # only the themes that have some ('ipo' by 'delisting')
        ranked = []
        for i, t in enumerate(passed):
            s = score[t]
            others = suppressors.get(t)
            if others is not None and any(score.get(o, 0.0) >= s for o in others):
                continue
            ranked.append((-s, -self._priority[t], first.get(t, 0), i, t))
        ranked.sort()  # `i` keeps equal keys in score order, as a stable sort would
        return [t for *_, t in ranked[: self.scoring.max_themes]]
