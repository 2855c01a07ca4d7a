"""Label items with a primary region, secondary regions and themes, with the reasons an editor can check.

The gazetteer's keys are found in "title NUL summary" at once (finder.py, built in
matcher.compile_matcher); the hits are scored as documented at the top of seeds/taxonomy.toml.
The per-item loop is written for speed (issue 4: 20,000 items/s on one core): weights are
multiplied out at build time, scores are added as the matches come, and Reason objects are
looked up in a cache, only for the few hits shown behind the labels finally chosen.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ..models import GLOBAL, HOME_GUESS, LANGUAGE_GUESS, Labels, Reason
from .label_choice import Hit, LabelChoice
from .matcher import DEMONYM, NEAR, Matcher, compile_matcher, in_context
from .taxonomy import GATE_MEDIUM, GATE_NEUTRAL, GATE_OFF_TOPIC, GATE_TECH, Taxonomy, load_taxonomy
from .title_cues import COMPARED_HINTS, LIST_HINT, QUOTED, TARGET, TARGET_HINTS, compared, listed, place_cue

__all__ = ["Classifier", "Taxonomy", "classify_many", "load_taxonomy"]

# Feed text is untrusted: a field is read up to this many characters (a lede holds what matters).
MAX_CHARS = 2000
# An ambiguous hit waiting for context: label, kind, context words, weight, position, index in hits.
_Pending = tuple[str, str, tuple[str, ...], float, int, int]
# What _scan returns: hits, region_sum, region_top, theme_score, first positions, pending ambiguous hits,
# gate evidence, how many technology words (a word in the title and again in the body counts twice), and
# where each region is first named by something other than a company (a place, a person, an agency).
_Found = tuple[
    list[Hit], dict[str, float], dict[str, float], dict[str, float], dict[str, int],
    list[_Pending], dict[str, float], int, dict[str, int],
]  # fmt: skip


# A Latin-script proper name in a headline ("RED 的 Hydrogen One"): a company the gazetteer does not know,
# as likely foreign as local, so the feed's language cannot file the item.
_FOREIGN_NAME_RE = re.compile(r"(?<![A-Za-z])[A-Z][A-Za-z]{2,}")


def _plural(text: str, start: int, end: int) -> bool:
    """Whether the "s" or "es" after text[start:end] makes a plural a name written as it is ("=Apple") cannot
    take: "Apples" are fruit and "Arms" weapons. An acronym's "s" is a German genitive ("AMDs Ryzen")."""
    return text[end] != "'" and not text[start:end].isupper()


def _labels(fields: dict[str, Any]) -> Labels:
    """Labels with these fields, every one given: the same object Labels(**fields) makes, at a third of the
    cost, since a frozen dataclass's __init__ sets each field through object.__setattr__ (a microsecond an
    item)."""
    labels = _new(Labels)
    labels.__dict__.update(fields)
    return labels


_new = object.__new__


def _field(text: str) -> str:
    """One field as scanned: curly apostrophes folded ("Tokyo’s" is a possessive), one space per run, cut."""
    text = text.replace("\u2019", "'")
    # A printable text holds no whitespace but " " (isprintable is one C call): split only if needed.
    if not text.isprintable() or "  " in text or text[:1] == " " or text[-1:] == " ":
        text = " ".join(text.split())
    return text[:MAX_CHARS]


class Classifier(LabelChoice):
    """Built once from a taxonomy (the matcher is compiled here); `classify` is pure and thread-safe.

    Its caches (Reasons, source priors) are plain dicts: a lost race only builds a value twice.
    """

    def __init__(self, taxonomy: Taxonomy, matcher: Matcher | None = None, key: str | None = None) -> None:
        """matcher: the taxonomy's, compiled already (sort/compiled.py keeps one on disk), or None.
        key: what stands for the taxonomy file's bytes and the code (compiled.cache_key); None: not known."""
        super().__init__(taxonomy)  # the scores' half: priors, regions, themes, reasons (label_choice.py)
        self.key = key
        matcher = matcher if matcher is not None else compile_matcher(taxonomy)
        self._index, self._find = matcher.index, matcher.finder.find

    # -- classifying ------------------------------------------------------------------------------

    def classify(
        self,
        title: str,
        summary: str = "",
        source_region: str | None = None,
        source_themes: Sequence[str] = (),
        language_region: str | None = None,
        reasons: bool = True,
        home_region: str | None = None,
    ) -> Labels:
        """Labels for one item: primary region (or 'global'), secondary regions, themes and reasons.

        reasons=False leaves Labels.reasons empty (the evidence behind them is not even collected) for
        callers that never show them, such as `classify` without --explain; the labels are the same.

        One search of "title NUL summary" (the offset of the NUL says title or body); each
        match adds its precomputed weights to the scores at once, and Reason objects are made
        only for the few hits shown behind the labels finally chosen.
        """
        title = title or ""
        summary = summary or ""
        short_t, short_s = _field(title), _field(summary)
        # NUL is no word character: no term spans the two fields, and positions say which field.
        text = f"{short_t}\x00{short_s}"
        lowered = text.lower()
        if len(lowered) != len(text):  # a few characters grow when lower-cased ("İ"): keep them as they are
            lowered = "".join(c if len(c.lower()) != 1 else c.lower() for c in text)
        found = self._scan(text, lowered, len(short_t), reasons)
        hits, region_sum, region_top, theme_score, first, pending, gate_score, tech_words, placed = found
        if pending:
            hits = self._resolve(found, f"{title}\n{summary}".lower())

        # A region's strongest name counts in full and every other one at `repeat`: "ByteDance
        # lays off TikTok staff in Malaysia" names China twice but happens in Malaysia once.
        repeat = self.scoring.repeat
        region_score: dict[str, float] = {}
        for label, total in region_sum.items():
            top = region_top[label]
            region_score[label] = top + repeat * (total - top)
        prior: tuple[Reason, ...] = ()
        if source_region or source_themes:
            prior = self._add_priors(source_region, source_themes, region_score, theme_score, first)
        regions = self._regions(region_score, first, placed, len(short_t), short_s)
        language: tuple[Reason, ...] = ()
        if (
            language_region
            and regions[0] == GLOBAL
            and not region_score.get(GLOBAL)
            and not _FOREIGN_NAME_RE.search(title)
        ):
            # Written in an Asian language and naming nothing foreign (no Western name the gazetteer
            # knows, no unknown Latin-script name in the headline): filed where the language is.
            regions = [language_region]
            language = (Reason(language_region, "region", LANGUAGE_GUESS, "source", 0.0),)
        elif (
            home_region
            and regions[0] == GLOBAL
            and source_region != GLOBAL  # the editor's word on a source stands
            and (not region_score.get(GLOBAL) or (first[GLOBAL] > len(short_t) and GLOBAL not in placed))
        ):
            # From a national outlet and naming nothing foreign the gazetteer knows (a local company's
            # name is no sign of elsewhere here, as it is in a Chinese text), or only a foreign company in
            # its body ("... the app, on Google Play"): filed at the outlet's home.
            regions = [home_region]
            language = (Reason(home_region, "region", HOME_GUESS, "source", 0.0),)
        themes = self._themes(theme_score, first) if theme_score else []
        explained: tuple[Reason, ...] = ()
        if reasons:
            gate_labels = [g for g in gate_score if g != GATE_NEUTRAL]
            explained = self._explain(hits, regions, [*themes, *gate_labels], prior + language, region_score)
        # A medium word ('internet') is evidence of technology, but tech_words does not count it.
        tech = gate_score.get(GATE_TECH, 0.0) + gate_score.get(GATE_MEDIUM, 0.0)
        off_topic = gate_score.get(GATE_OFF_TOPIC, 0.0)
        return _labels(
            {
                "region": regions[0],
                "regions": tuple(regions),
                "themes": tuple(themes),
                "reasons": explained,
                "overridden": False,
                "tech": round(tech, 4),
                "off_topic": round(off_topic, 4),
                "tech_words": tech_words,
            }
        )

    def _scan(self, text: str, lowered: str, title_end: int, reasons: bool) -> _Found:
        """Find the gazetteer once in "title NUL body" and add up every hit; a term counts once per field.

        A title hit of a place weighs by its cue words and every Asian name in a title by its
        side of a deal verb; any other hit takes the weight precomputed in its Spec.
        Ambiguous names are held in `pending` until every other name is known.
        """
        sc = self.scoring
        target_at = -1
        head = lowered[:title_end]
        for hint in TARGET_HINTS:  # a substring test is 2x cheaper than the regex it guards
            if hint in head:
                target = TARGET.search(head)
                target_at = target.start() if target else -1
                break
        quoted: list[tuple[int, int]] | None = None  # the title's quoted spans, when it may compare
        for hint in COMPARED_HINTS:
            if hint in head:
                quoted = [] if head.isascii() else [q.span(1) for q in QUOTED.finditer(head)]
                break
        index = self._index
        # "Spain orders a probe into Meta and TikTok": companies of several regions listed alike as the
        # object of someone else's action share the title; none of them is its subject alone.
        found = self._find(lowered)
        shares = None
        if LIST_HINT.search(head):
            found = list(found)  # the title's names are looked at for lists before they are scored
            shares = listed(head, text, [(s, k) for s, k, _ in found if s < title_end], index)
        title_mult = sc.title
        hits: list[Hit] = []  # (weight, label, kind, term, where): the evidence, in text order (if reasons)
        region_sum: dict[str, float] = {}
        region_top: dict[str, float] = {}  # a region's strongest hit
        theme_score: dict[str, float] = {}
        gate_score: dict[str, float] = {}  # [gate] evidence: tech, off-topic
        tech_words = 0
        first: dict[str, int] = {}  # where each label is first named: breaks ties
        placed: dict[str, int] = {}  # where each region is first named by other than a company
        weak_seen: set[str] = set()  # a weak theme word counts once per item
        pending: list[_Pending] = []
        seen: set[str] = set()  # keys seen in the current field
        in_title = True
        where = "title"
        company_end = -2
        located = False  # one place per title is where the news happens: the first one named
        for start, key, stop in found:
            folded, exact, cue_kind, company = index[key]
            end = start + len(key)
            if in_title and start > title_end:
                in_title, where, seen = False, "body", set()
            if exact is None:
                if key in seen:
                    continue
                specs = folded
            elif not folded:
                if key in seen or (stop > end and _plural(text, start, end)):
                    continue
                specs = exact.get(text[start:end], ())
            elif stop > end and _plural(text, start, end):
                specs = folded
            else:  # as before: a key with exact-case variants is counted again on every match
                specs = folded + exact.get(text[start:end], ())
            seen.add(key)
            term = text[start:end] if reasons else ""  # as written: only the reasons show it
            if in_title:
                # A title hit weighs `in_title` unless a place cue, a deal or a comparison changes it.
                plain, passing = True, False
                near = far = title_mult
                if cue_kind:
                    cue = place_cue(sc, lowered, start, end, company_end, cue_kind == DEMONYM)
                    if cue == sc.located:
                        cue = 1.0 if located else cue
                        located = True
                    if cue != 1.0:
                        plain = False
                        near = title_mult * cue
                if target_at >= 0:  # "SMBC agrees to buy 20% of Yes Bank": the target's region leads
                    deal = sc.target if start > target_at else sc.acquirer
                    near, far = near * deal, far * deal
                    plain = False
                if company:
                    company_end = stop
                    if quoted is not None:
                        passing = compared(head, quoted, start, end)
            for label, kind, base, title_weight, weight, how, weak, context in specs:  # weight: in the body
                if in_title:
                    if passing and kind == "region":
                        continue  # a comparison names no region; the tech words and themes still count
                    weight = title_weight if plain or not how else base * (near if how == NEAR else far)
                    if shares and kind == "region" and start in shares and label != GLOBAL:
                        weight *= shares[start]  # a Western name weighs `scale` already
                if reasons:
                    hits.append((weight, label, kind, term, where))
                if context is not None:  # 'Sea', 'Grab': kept or dropped once every name is known
                    pending.append((label, kind, context, weight, start, len(hits) - 1))
                elif kind == "region":
                    total = region_sum.get(label)
                    if total is None:
                        region_sum[label] = weight
                        region_top[label] = weight if weight > 0.0 else 0.0
                        if label not in first:
                            first[label] = start
                    else:
                        region_sum[label] = total + weight
                        if weight > region_top[label]:
                            region_top[label] = weight
                    if not company and label not in placed:
                        placed[label] = start
                elif weak is not None and weak in weak_seen:
                    continue  # weak theme and gate words count once per item
                elif kind == "gate":
                    if weak is not None:
                        weak_seen.add(weak)
                    gate_score[label] = gate_score.get(label, 0.0) + weight
                    tech_words += label == GATE_TECH
                else:
                    if weak is not None:
                        weak_seen.add(weak)
                    total = theme_score.get(label)
                    if total is None:
                        theme_score[label] = weight
                        if label not in first:
                            first[label] = start
                    else:
                        theme_score[label] = total + weight
        return hits, region_sum, region_top, theme_score, first, pending, gate_score, tech_words, placed

    def _resolve(self, found: _Found, lowered: str) -> list[Hit]:
        """Keep an ambiguous name ('Sea', 'Grab') only with a context word or another name of its label.

        `lowered` is the whole raw text, as an editor would search it.  Adds the kept names to
        the scores in `found` and returns the hits without the dropped ones.
        """
        hits, region_sum, region_top, theme_score, first, pending, _, _, _ = found
        sure = {*region_sum, *theme_score}  # labels named by an unambiguous hit
        dropped = set()
        for label, kind, context, weight, start, at in pending:
            if label not in sure and not in_context(lowered, context):
                dropped.add(at)
                continue
            if start < first.get(label, start + 1):
                first[label] = start
            if kind == "region":
                region_sum[label] = region_sum.get(label, 0.0) + weight
                if weight > region_top.get(label, 0.0):
                    region_top[label] = weight
                region_top.setdefault(label, 0.0)
            else:
                theme_score[label] = theme_score.get(label, 0.0) + weight
        return [h for i, h in enumerate(hits) if i not in dropped] if dropped else hits


Row = Mapping[str, Any] | Sequence[Any]


def _row_args(row: Row) -> tuple[str, str, str | None, tuple[str, ...]]:
    # Tuples first: isinstance against the Mapping ABC costs more than classifying a short item.
    if not isinstance(row, (tuple, list)) and isinstance(row, Mapping):
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
