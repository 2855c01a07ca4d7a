"""Load seeds/taxonomy.toml (regions, themes and their gazetteer) and refuse a bad file by name and key."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..config import read_toml
from ..errors import ConfigError
from ..models import GLOBAL, Source

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
# The [gate] lists: evidence for and against technology being the subject, and phrases that count for
# nothing; each list name maps to its label and the kind whose weight it takes.
GATE_TECH, GATE_OFF_TOPIC, GATE_NEUTRAL = "tech", "off-topic", "neutral"
# Technology as where a story happened ("taking over China's internet"): evidence, but never the only kind.
GATE_MEDIUM = "medium"
GATE_LISTS = {
    "tech": (GATE_TECH, "strong"),
    "tech_weak": (GATE_TECH, "weak"),
    "medium": (GATE_MEDIUM, "strong"),
    "off_topic": (GATE_OFF_TOPIC, "strong"),
    "off_topic_weak": (GATE_OFF_TOPIC, "weak"),
    "neutral": (GATE_NEUTRAL, "weak"),
}
# A term in [*.context] names a company or product ("Sea", "Grab", "Line").
CONTEXT_KIND = "companies"
_SLUG = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$")


@dataclass(frozen=True)
class Scoring:
    """[scoring]: how evidence adds up; documented at the top of seeds/taxonomy.toml."""

    tech_min: float = 3.5  # technology evidence an item needs at the relevance gate
    tech_source: float = 4.0  # technology evidence an outlet that covers technology lends its items
    tech_min_general: float = 6.0  # what an item from a general news outlet needs, in two words at least
    off_topic_ratio: float = 1.0  # technology evidence must be at least this times the off-topic evidence

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
    body_only: float = 5.0  # ... and this much when only the summary names it
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
    tech: bool = True  # its words are evidence that technology is the subject (funding or IPOs are not)


def said(text: str) -> str:
    """A term as said, whatever its case and spacing: "EVs" and "=EVs" are one word of evidence."""
    return " ".join(text.split()).lower()


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
    gate: tuple[tuple[str, Term], ...] = ()  # (GATE_TECH | GATE_MEDIUM | GATE_OFF_TOPIC | GATE_NEUTRAL, term)
    not_tech: frozenset[str] = frozenset()  # [gate] not_tech: tech themes' words that are no evidence of it

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
    _check_keys(where, data, table, ("name", "priority", "aliases", *THEME_KINDS, "suppressed_by", "tech"))
    if "priority" not in data:
        raise where.error(table, None, "needs a priority (a number, higher ranks first)")
    if not isinstance(data.get("tech", True), bool):
        raise where.error(table, "tech", "must be true or false")
    return ThemeDef(
        id=tid,
        name=_string(where, data.get("name"), table, "name"),
        priority=_number(where, data["priority"], table, "priority"),
        aliases=_strings(where, data.get("aliases", []), table, "aliases"),
        terms=_terms(where, data, table, THEME_KINDS, weights, 1.0),
        suppressed_by=_strings(where, data.get("suppressed_by", []), table, "suppressed_by"),
        tech=data.get("tech", True),
    )


def _gate(where: _Where, data: Any, weights: dict[str, float]) -> tuple[tuple[str, Term], ...]:
    data = _table(where, data, "gate")
    _check_keys(where, data, "gate", (*GATE_LISTS, "not_tech"))
    terms: list[tuple[str, Term]] = []
    for key, (label, kind) in GATE_LISTS.items():
        weight = 0.0 if label == GATE_NEUTRAL else weights[kind]
        terms.extend(
            (label, _make_term(raw, kind, weight)) for raw in _strings(where, data.get(key, []), "gate", key)
        )
    return tuple(terms)


def load_taxonomy(path: Path, raw: bytes | None = None) -> Taxonomy:
    """Read and validate a taxonomy file; every error names the file, the line and the key.

    raw: the file's bytes when the caller has read them already (sort/compiled.py keys its cache by them).
    """
    path = Path(path)
    data = read_toml(path, raw)  # a TOML syntax error already names file and line
    where = _Where(path)
    top = ("scoring", "kinds", "gate", "regions", "themes", "global")
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
    gate_data = data.get("gate", {})
    gate = _gate(where, gate_data, weights)
    listed = _strings(where, gate_data.get("not_tech", []), "gate", "not_tech")
    not_tech = frozenset(said(t) for t in listed)
    return Taxonomy(regions, themes, global_region, scoring, path, gate, not_tech)


def check_priors(taxonomy: Taxonomy, sources: Sequence[Source], path: Path) -> None:
    """A source's region and themes must be ones the taxonomy knows; the message names the source and
    the key. path: the sources file the sources come from."""
    for n, src in enumerate(sources, 1):
        where = f"{path}: source #{n} ({src.id})"
        if src.region is not None and src.region != GLOBAL and src.region not in taxonomy.regions:
            known = ", ".join([*taxonomy.regions, GLOBAL])
            raise ConfigError(
                f"{where}: region {src.region!r} is not in taxonomy.toml (known: {known})", path
            )
        for theme in src.themes:
            if theme not in taxonomy.themes:
                known = ", ".join(taxonomy.themes)
                raise ConfigError(f"{where}: theme {theme!r} is not in taxonomy.toml (known: {known})", path)
