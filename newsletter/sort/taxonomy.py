"""Load seeds/taxonomy.toml (regions, themes and their gazetteer) and refuse a bad file by name and key."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..config import read_toml
from ..errors import ConfigError
from ..models import GLOBAL

# Lists a region (or [global]) may hold, strongest first; their weights live in [kinds].
NAME_KINDS = ("companies", "people", "agencies", "products", "places", "demonyms", "words")
THEME_KINDS = ("strong", "weak")
DEFAULT_KIND_WEIGHTS = {
    "companies": 3.0,
    "people": 3.0,
    "agencies": 2.5,
    "products": 2.5,
    "places": 2.0,
    "demonyms": 2.0,
    "words": 1.0,
    "strong": 2.0,
    "weak": 1.0,
}
# A term in [*.context] names a company or product ("Sea", "Grab", "Line").
CONTEXT_KIND = "companies"
_SLUG = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$")


@dataclass(frozen=True)
class Scoring:
    """[scoring]: how evidence adds up; documented at the top of seeds/taxonomy.toml."""

    title: float = 3.0  # multiplier for a hit in the title
    body: float = 1.0  # multiplier for a hit in the summary
    located: float = 3.0  # multiplier for a place in the title right after "in", "into", "to", "across"
    subject: float = 1.5  # multiplier for a place opening the title or in the possessive ("Taiwan's ...")
    target: float = 2.0  # Asian names after "buys", "backs", "stake in" ... in a title: the deal's target
    acquirer: float = 0.75  # Asian names before such a verb: the buyer or investor
    repeat: float = 0.5  # a region's names after its strongest one count this much each
    source_prior: float = 2.0  # added to the source's configured region
    source_theme: float = 1.0  # added to each of the source's configured themes
    min_region: float = 2.0  # an Asian region needs this much to be chosen
    secondary_ratio: float = 0.4  # a secondary region needs this share of the primary's score
    theme_min: float = 3.5  # a theme needs this much
    max_themes: int = 4


@dataclass(frozen=True)
class Term:
    """One gazetteer entry: its text as written, what kind of name it is, and how to match it."""

    text: str
    kind: str  # one of NAME_KINDS or THEME_KINDS
    weight: float
    exact: bool = False  # match only in this exact case
    ambiguous: bool = False  # needs a context word or another name of the same label
    context: tuple[str, ...] = ()


@dataclass(frozen=True)
class RegionDef:
    """A region section (or the [global] table) and its names."""

    id: str
    name: str
    aliases: tuple[str, ...] = ()
    terms: tuple[Term, ...] = ()


@dataclass(frozen=True)
class ThemeDef:
    """A theme and its strong and weak terms."""

    id: str
    name: str
    priority: float = 0.5
    aliases: tuple[str, ...] = ()
    terms: tuple[Term, ...] = ()
    suppressed_by: tuple[str, ...] = ()  # dropped when one of these themes scores at least as high


def _norm(text: str) -> str:
    """Loose form of an id or display name: 'South Korea' -> 'south-korea', 'M&A' -> 'm-and-a'."""
    text = text.strip().lower().replace("&", " and ")
    return "-".join(re.split(r"[\s_\-/]+", text)).strip("-")


@dataclass(frozen=True)
class Taxonomy:
    """Regions (ordered as the file lists them), themes, the [global] names and the scoring knobs."""

    regions: dict[str, RegionDef]
    themes: dict[str, ThemeDef]
    global_region: RegionDef = field(default_factory=lambda: RegionDef(GLOBAL, "Global"))
    scoring: Scoring = field(default_factory=Scoring)
    path: Path | None = None

    def find_region(self, text: str) -> str | None:
        """A region id from an id, a display name or an alias, in any case; 'global' too."""
        key = _norm(text)
        if not key:
            return None
        for region in (*self.regions.values(), self.global_region):
            if key in (region.id, _norm(region.name), *(_norm(a) for a in region.aliases)):
                return region.id
        return None

    def find_theme(self, text: str) -> str | None:
        """A theme id from an id, a display name or an alias, in any case."""
        key = _norm(text)
        if not key:
            return None
        for theme in self.themes.values():
            if key in (theme.id, _norm(theme.name), *(_norm(a) for a in theme.aliases)):
                return theme.id
        return None

    def region_name(self, region_id: str) -> str:
        """Display name of a region id; 'global' is 'Global'; an unknown id is shown as is."""
        if region_id == GLOBAL:
            return self.global_region.name
        region = self.regions.get(region_id)
        return region.name if region else region_id

    def theme_name(self, theme_id: str) -> str:
        theme = self.themes.get(theme_id)
        return theme.name if theme else theme_id


# -- loading -------------------------------------------------------------------------------------


class _Where:
    """Builds error messages that name the file, the table and key, and the line when it can be found."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self.lines = path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError):
            self.lines = []

    def line_of(self, table: str, key: str | None) -> int | None:
        header = re.compile(r"^\s*\[\s*" + re.escape(table) + r"\s*\]\s*(#.*)?$")
        start = next((i for i, line in enumerate(self.lines) if header.match(line)), None)
        if start is None:
            return None
        if key is None:
            return start + 1
        keyline = re.compile(r"^\s*\"?" + re.escape(key) + r"\"?\s*=")
        for i in range(start + 1, len(self.lines)):
            if self.lines[i].lstrip().startswith("["):
                break
            if keyline.match(self.lines[i]):
                return i + 1
        return start + 1

    def error(self, table: str, key: str | None, problem: str) -> ConfigError:
        line = self.line_of(table, key)
        at = f"line {line}: " if line else ""
        where = f"[{table}]" + (f" {key}" if key else "")
        return ConfigError(f"{self.path}: {at}{where}: {problem}", self.path)


def _table(where: _Where, data: Any, table: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise where.error(table, None, "must be a table")
    return data


def _check_keys(where: _Where, data: dict[str, Any], table: str, known: tuple[str, ...]) -> None:
    for key in data:
        if key not in known:
            raise where.error(table, key, f"unknown key {key!r} (known: {', '.join(known)})")


def _number(where: _Where, value: Any, table: str, key: str) -> float:
    # TOML allows inf and nan: neither is a weight, and int(inf) for max_themes would be a traceback.
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise where.error(table, key, "must be a finite number")
    return float(value)


def _strings(where: _Where, value: Any, table: str, key: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise where.error(table, key, "must be a list of non-empty strings")
    return tuple(v.strip() for v in value)


def _string(where: _Where, value: Any, table: str, key: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise where.error(table, key, "must be a non-empty string")
    return value.strip()


def _make_term(raw: str, kind: str, weight: float) -> Term:
    """'=Apple' is exact case; a term with no lower-case letter ('TSMC', 'AI') is exact too."""
    if raw.startswith("=") and len(raw) > 1:
        return Term(raw[1:], kind, weight, exact=True)
    exact = any(c.isupper() for c in raw) and not any(c.islower() for c in raw)
    return Term(raw, kind, weight, exact=exact)


def _terms(
    where: _Where,
    data: dict[str, Any],
    table: str,
    kinds: tuple[str, ...],
    weights: dict[str, float],
    scale: float,
) -> tuple[Term, ...]:
    context_raw = _table(where, data.get("context", {}), f"{table}.context")
    context: dict[str, tuple[str, ...]] = {}
    for word, words in context_raw.items():
        context[word] = _strings(where, words, f"{table}.context", word) if words else ()
    terms: list[Term] = []
    for kind in kinds:
        for raw in _strings(where, data.get(kind, []), table, kind):
            term = _make_term(raw, kind, weights[kind] * scale)
            if term.text in context:  # listed and ambiguous: the context rule wins
                continue
            terms.append(term)
    for word, words in context.items():
        weight = weights.get(CONTEXT_KIND, DEFAULT_KIND_WEIGHTS[CONTEXT_KIND]) * scale
        terms.append(Term(word, CONTEXT_KIND, weight, exact=True, ambiguous=True, context=words))
    return tuple(terms)


def _region(
    where: _Where, rid: str, data: Any, table: str, weights: dict[str, float], is_global: bool
) -> RegionDef:
    data = _table(where, data, table)
    known = ("name", "aliases", *NAME_KINDS, "context") + (("scale",) if is_global else ())
    _check_keys(where, data, table, known)
    name = _string(where, data.get("name", "Global" if is_global else None), table, "name")
    aliases = _strings(where, data.get("aliases", []), table, "aliases")
    scale = _number(where, data.get("scale", 1.0), table, "scale")
    return RegionDef(rid, name, aliases, _terms(where, data, table, NAME_KINDS, weights, scale))


def _theme(where: _Where, tid: str, data: Any, weights: dict[str, float]) -> ThemeDef:
    table = f"themes.{tid}"
    data = _table(where, data, table)
    _check_keys(where, data, table, ("name", "priority", "aliases", *THEME_KINDS, "suppressed_by"))
    if "priority" not in data:
        raise where.error(table, None, "needs a priority (a number, higher ranks first)")
    return ThemeDef(
        id=tid,
        name=_string(where, data.get("name"), table, "name"),
        priority=_number(where, data["priority"], table, "priority"),
        aliases=_strings(where, data.get("aliases", []), table, "aliases"),
        terms=_terms(where, data, table, THEME_KINDS, weights, 1.0),
        suppressed_by=_strings(where, data.get("suppressed_by", []), table, "suppressed_by"),
    )


def load_taxonomy(path: Path) -> Taxonomy:
    """Read and validate a taxonomy file; every error names the file, the line and the key."""
    path = Path(path)
    data = read_toml(path)  # a TOML syntax error already names file and line
    where = _Where(path)
    top = ("scoring", "kinds", "regions", "themes", "global")
    for key in data:
        if key not in top:
            line = next(
                (i + 1 for i, t in enumerate(where.lines) if re.match(rf"\s*\[?\s*{re.escape(key)}\b", t)),
                None,
            )
            at = f"line {line}: " if line else ""
            raise ConfigError(f"{path}: {at}unknown table or key {key!r} (known: {', '.join(top)})", path)

    kinds_raw = _table(where, data.get("kinds", {}), "kinds")
    _check_keys(where, kinds_raw, "kinds", tuple(DEFAULT_KIND_WEIGHTS))
    weights = dict(DEFAULT_KIND_WEIGHTS)
    weights.update({k: _number(where, v, "kinds", k) for k, v in kinds_raw.items()})

    scoring_raw = _table(where, data.get("scoring", {}), "scoring")
    known = tuple(Scoring.__dataclass_fields__)
    _check_keys(where, scoring_raw, "scoring", known)
    values: dict[str, Any] = {k: _number(where, v, "scoring", k) for k, v in scoring_raw.items()}
    if "max_themes" in values:
        values["max_themes"] = int(values["max_themes"])
    scoring = Scoring(**values)

    regions: dict[str, RegionDef] = {}
    for rid, table in _table(where, data.get("regions", {}), "regions").items():
        if not _SLUG.match(rid) or rid == GLOBAL:
            raise where.error(f"regions.{rid}", None, "region ids are lower-case slugs and not 'global'")
        regions[rid] = _region(where, rid, table, f"regions.{rid}", weights, is_global=False)
    if not regions:
        raise ConfigError(f"{path}: no [regions.<id>] tables: add at least one region", path)

    themes: dict[str, ThemeDef] = {}
    for tid, table in _table(where, data.get("themes", {}), "themes").items():
        if not _SLUG.match(tid):
            raise where.error(f"themes.{tid}", None, "theme ids are lower-case slugs such as 'ai-chips'")
        themes[tid] = _theme(where, tid, table, weights)
    for theme in themes.values():
        for other in theme.suppressed_by:
            if other not in themes:
                raise where.error(f"themes.{theme.id}", "suppressed_by", f"unknown theme {other!r}")

    global_region = _region(where, GLOBAL, data.get("global", {}), "global", weights, is_global=True)
    return Taxonomy(regions, themes, global_region, scoring, path)


# -- the compiled matcher --------------------------------------------------------------------------
# Built here, once per taxonomy, so that classify.py holds only the per-item scoring loop.

# Letters and digits that make a word go on; CJK is left out on purpose, so "OPPO手机" and
# "SK하이닉스는" still match, while "Indiana" does not match "India".
LETTER = "A-Za-z\u00c0-\u024f"
WORD = "0-9" + LETTER
_SPLIT = re.compile(r"[\s\-/]+")
# How a region name's weight reacts to the words around it in a title (Spec field 5).
PLAIN, NEAR, FAR = 0, 1, 2  # a theme or [global] name; an Asian place or demonym; another Asian name
# Whether a key is a place or a demonym, whose title cue words are read (KeyInfo field 2).
NO_CUE, PLACE, DEMONYM = 0, 1, 2
# Flat tuples, because the classify loop unpacks them per match: label, kind, weight, weight in a
# title, weight in the body, PLAIN/NEAR/FAR, (label, key) for a weak theme word (counted once per
# item), lower-cased context words for an ambiguous name (None otherwise).
Spec = tuple[str, str, float, float, float, int, "tuple[str, str] | None", "tuple[str, ...] | None"]
# Per lower-cased key: specs of its case-free entries, exact-case spelling -> specs (or None),
# NO_CUE/PLACE/DEMONYM, and whether it names a company.
KeyInfo = tuple[tuple[Spec, ...], "dict[str, tuple[Spec, ...]] | None", int, bool]


@dataclass(frozen=True)
class _Entry:
    """What one gazetteer key means for one label, before it is flattened into a Spec."""

    label: str
    kind: str  # "region" | "theme"
    weight: float
    place: bool  # a place or demonym of an Asian region: weighs more right after "in"/"to"
    ambiguous: bool
    context: tuple[str, ...]
    weak: bool  # a weak theme word
    company: bool
    demonym: bool


@dataclass(frozen=True)
class Matcher:
    """The gazetteer compiled: one regex for Latin-script keys, one for CJK keys, and their index.

    Both regexes run on lower-cased, whitespace-normalised text (no case-insensitive flag and
    no \\s+: twice as fast); group 1 is the key to look up in `index`, and exact-case spellings
    are checked against the original text.  `cjk` runs only on text where `cjk_probe` finds a
    character a CJK key can start with.
    """

    index: dict[str, KeyInfo]
    latin: re.Pattern[str]
    cjk: re.Pattern[str] | None
    cjk_probe: re.Pattern[str] | None


def _is_latin_start(text: str) -> bool:
    return bool(re.match(f"[{WORD}]", text))


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
        # "(?:x|)" rather than "(?:x)?": the same greedy choice, but sre runs a branch far cheaper
        # than the general repeat it compiles "?" on a group into.
        return f"(?:{body}|)" if "" in node else body

    return emit(trie)


def _entries(taxonomy: Taxonomy) -> tuple[dict[str, list[_Entry]], dict[str, list[_Entry]]]:
    """Every term as an _Entry, under its exact spelling or its lower-cased form; whitespace squeezed."""
    exact: dict[str, list[_Entry]] = {}
    folded: dict[str, list[_Entry]] = {}
    labelled: list[tuple[str, str, tuple[Term, ...]]] = []
    for region in (*taxonomy.regions.values(), taxonomy.global_region):
        labelled.append((region.id, "region", region.terms))
    for theme in taxonomy.themes.values():
        labelled.append((theme.id, "theme", theme.terms))
    for label, kind, terms in labelled:
        for term in terms:
            # "in Singapore" moves an item to Singapore; "in San Francisco" does not move it out of Asia.
            place = term.kind == "places" and label != GLOBAL
            weak, company = term.kind == "weak", term.kind == "companies"
            demonym = term.kind == "demonyms" and label != GLOBAL
            near, ambiguous, context = place or demonym, term.ambiguous, term.context
            entry = _Entry(label, kind, term.weight, near, ambiguous, context, weak, company, demonym)
            text = " ".join(term.text.split())
            table, key = (exact, text) if term.exact else (folded, text.lower())
            bucket = table.setdefault(key, [])
            same = [i for i, e in enumerate(bucket) if e.label == label]
            if not same:
                bucket.append(entry)
            elif entry.weight > bucket[same[0]].weight:  # listed twice: keep the stronger
                bucket[same[0]] = entry
    _inherit(exact, folded)
    return exact, folded


def _inherit(exact: dict[str, list[_Entry]], folded: dict[str, list[_Entry]]) -> None:
    """A compound term ('US-China', 'Tencent Cloud') also carries the names inside it.

    The matcher takes the longest term, so without this 'US-China' would hide both
    countries and 'Tencent Cloud' would hide the cloud theme.  A compound inherits a
    kind of label (region or theme) only when it has none of that kind itself.
    """
    for table in (exact, folded):
        for key, entries in table.items():
            words = [w.removesuffix("'s") for w in _SPLIT.split(key) if w]
            if len(words) < 2:
                continue
            have = {e.kind for e in entries}
            labels = {e.label for e in entries}
            for size in range(len(words) - 1, 0, -1):
                for start in range(len(words) - size + 1):
                    sub = " ".join(words[start : start + size])
                    source = exact.get(sub, []) if table is exact else []
                    for e in [*source, *folded.get(sub.lower(), ())]:
                        if e.kind in have or e.label in labels or e.ambiguous:
                            continue
                        entries.append(e)
                        labels.add(e.label)


def compile_matcher(taxonomy: Taxonomy) -> Matcher:
    """Compile the gazetteer: the index holds each entry as a Spec with its weights multiplied out."""
    sc = taxonomy.scoring

    def spec(e: _Entry, key: str) -> Spec:
        how = PLAIN if e.kind != "region" or e.label == GLOBAL else NEAR if e.place else FAR
        weak = (e.label, key) if e.weak else None
        context = tuple(c.lower() for c in e.context) if e.ambiguous else None
        return (e.label, e.kind, e.weight, e.weight * sc.title, e.weight * sc.body, how, weak, context)

    exact, folded = _entries(taxonomy)
    exact_lower: dict[str, dict[str, tuple[Spec, ...]]] = {}
    exact_entries: dict[str, list[_Entry]] = {}
    for key, entries in exact.items():
        lower = key.lower()
        exact_lower.setdefault(lower, {})[key] = tuple(spec(e, lower) for e in entries)
        exact_entries.setdefault(lower, []).extend(entries)
    index: dict[str, KeyInfo] = {}
    for key in set(folded) | set(exact_lower):
        plain = folded.get(key, [])
        every = [*plain, *exact_entries.get(key, ())]
        place = any(e.place and not e.demonym for e in every)
        demonym = any(e.demonym for e in every)
        cue = DEMONYM if demonym else PLACE if place else NO_CUE
        index[key] = (
            tuple(spec(e, key) for e in plain),
            exact_lower.get(key),
            cue,
            any(e.company for e in every),
        )
    latin = [k for k in index if _is_latin_start(k)]
    other = [k for k in index if not _is_latin_start(k)]
    # After a term: no letter may follow; a model number may ("Galaxy Z Fold" in "Galaxy Z
    # Fold7"), unless the term itself ends in a digit ("H20" is not "H200").  A term ending
    # in a sign ("raises $", "AI芯片") needs no boundary at all.
    latin_rx = re.compile(
        f"(?<![{WORD}])({trie_pattern(latin) or '(?!)'})(?:'s|s|es|)"
        f"(?:(?<=[{LETTER}])(?![{LETTER}])|(?<=[0-9])(?![{WORD}])|(?<![{WORD}]))"
    )
    if not other:
        return Matcher(index, latin_rx, None, None)
    first = re.escape("".join(sorted({k[0] for k in other})))
    cjk = re.compile(f"(?=[{first}])({trie_pattern(other, fan=40)})")
    return Matcher(index, latin_rx, cjk, re.compile(f"[{first}]"))
