"""Rank a week's stories and lay them out as an issue plan: lead stories, then sections per house style.

Score (higher first) = the sum of its parts, each shown by `items --explain`:
  coverage   1.5 * log2(1 + distinct sources)      1 outlet 1.5, 3 outlets 3.0, 7 outlets 4.5
  source     the best source weight in the story    sources.toml weight, default 1.0
  theme      the best theme priority                [ranking] theme_priority, default 1.0
  exclusive  0.75 when a title says exclusive/scoop (独家, 独占, 단독)
  figure     0.4 when a title states money ($4B, ¥, ₹, 亿)
  names      0.4 when a title names a company from BIG_NAMES
  quote      -0.75 when every title is a person's words ("姚劲波：创业永远要做未来的事情"): an interview or a
             talk, which an issue shows after the reported news
  recency    0.5 * how far into the week the story's latest item is (Monday 0, Sunday night 0.5)
"""

from __future__ import annotations

import datetime as dt
import gc
import math
import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ..config import HouseStyle, StyleSettings, house_style
from ..errors import ConfigError
from ..models import GLOBAL, IssuePlan, Section, Story, Week, evolve, when
from .evidence import ALIASES, PLACES
from .taxonomy import GATE_TECH, Taxonomy

COVERAGE_WEIGHT = 1.5
EXCLUSIVE_BONUS = 0.75
FIGURE_BONUS = 0.4
NAMES_BONUS = 0.4
QUOTE_PENALTY = -0.75
RECENCY_WEIGHT = 0.5

# Companies whose news readers open first; kept short on purpose (a title signal, not a gazetteer).
BIG_NAMES = (
    "nvidia", "tsmc", "apple", "samsung", "sk hynix", "alibaba", "tencent", "bytedance", "tiktok", "huawei",
    "softbank", "sony", "toyota", "reliance", "tata", "infosys", "grab", "xiaomi", "byd", "deepseek",
    "openai", "google", "microsoft", "meta", "amazon", "tesla", "spacex", "baidu", "foxconn", "temu",
    "shein", "meituan", "jd.com", "pinduoduo", "rakuten", "naver", "kakao", "flipkart", "sea ltd",
    "字节跳动", "阿里巴巴", "腾讯", "华为", "小米", "比亚迪", "台积电", "英伟达", "ソフトバンク", "トヨタ",
    "ソニー", "삼성", "하이닉스", "네이버", "카카오",
)  # fmt: skip
_ASCII_NAMES = frozenset(n for n in BIG_NAMES if n.isascii() and " " not in n)
_OTHER_NAMES = tuple(n for n in BIG_NAMES if n not in _ASCII_NAMES)
_OTHER_ASCII_NAMES = tuple(n for n in _OTHER_NAMES if n.isascii())  # all an ASCII title can hold
_WORD_RE = re.compile(r"[a-z0-9][a-z0-9.]*[a-z0-9]|[a-z0-9]")
_EXCLUSIVE_RE = re.compile(r"\bexclusive\b|\bscoop\b|独家|獨家|独占|단독", re.IGNORECASE)
_FIGURE_RE = re.compile(
    r"(?:us\$|\$|¥|￥|₹|€|£|₩|rmb\s?)\s?\d[\d,.]*\s?(?:k|m|mn|bn|b|tn|t|million|billion|trillion|crore)?\b"
    r"|\d[\d,.]*\s?(?:million|billion|trillion|crore|lakh)\b"
    r"|\d[\d,.]*\s?(?:万|萬|亿|億|兆|억|조)",
    re.IGNORECASE,
)


# The commonest Chinese surnames: a headline "<surname><one or two characters>：..." (after an organisation,
# perhaps: "阿里研究院潘永花：...") quotes a person. Organisations and agencies ("民航局：") say news.
_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任"
    "沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔"
    "向汤柳聂雍易岳常"
)
_QUOTE_RE = re.compile(
    rf"^(?:[^|｜丨]{{1,30}}[|｜丨]\s*)?[\u4e00-\u9fff]{{0,8}}[{_SURNAMES}][\u4e00-\u9fff]{{1,2}}[：:]"
)  # after an event's label, perhaps: "CNCC 2016 | 出门问问李志飞：..."


def _has_big_name(low: str) -> bool:
    if not _ASCII_NAMES.isdisjoint(_WORD_RE.findall(low)):
        return True
    return any(name in low for name in (_OTHER_ASCII_NAMES if low.isascii() else _OTHER_NAMES))


TitleSignals = tuple[tuple[str, float], ...]


def title_signals(title: str) -> TitleSignals:
    """The title parts of a score: exclusive, a money figure, a big name, a quote."""
    low = title.casefold().replace("’s", "").replace("'s", "")
    return (
        ("exclusive", EXCLUSIVE_BONUS if _EXCLUSIVE_RE.search(title) else 0.0),
        ("figure", FIGURE_BONUS if _FIGURE_RE.search(title) else 0.0),
        ("names", NAMES_BONUS if _has_big_name(low) else 0.0),
        ("quote", QUOTE_PENALTY if _QUOTE_RE.match(title) else 0.0),
    )


def score_parts(
    story: Story,
    *,
    start: dt.datetime,
    end: dt.datetime,
    theme_priority: Mapping[str, float],
    source_weight: Mapping[str, float],
    titles: Mapping[str, TitleSignals] | None = None,
) -> tuple[tuple[str, float], ...]:
    """The named parts of one story's score, in a fixed order (see the module docstring).

    titles: title_signals of items by id, worked out ahead (a build does it beside labelling); others here.
    """
    items = story.items
    sources = {it.source_id for it in items}
    themes = story.labels.themes
    latest = max(when(it) for it in items)  # Story.latest
    span = (end - start).total_seconds() or 1.0
    into_week = min(max((latest - start).total_seconds() / span, 0.0), 1.0)
    # Any item's title may carry the signal: the lead outlet's headline is not always the telling one.
    signals: dict[str, float] = {}
    for it in items:
        found = titles.get(it.id) if titles else None
        for name, value in found if found is not None else title_signals(it.title):
            signals[name] = max(signals[name], value) if name in signals else value  # a penalty too
    return (
        ("coverage", COVERAGE_WEIGHT * math.log2(1 + len(sources))),
        ("source", max(source_weight.get(s, 1.0) for s in sources)),
        ("theme", max((theme_priority.get(t, 1.0) for t in themes), default=1.0)),
        ("exclusive", signals["exclusive"]),
        ("figure", signals["figure"]),
        ("names", signals["names"]),
        ("quote", signals["quote"]),
        ("recency", RECENCY_WEIGHT * into_week),
    )


def rank(
    stories: Sequence[Story],
    *,
    week: Week,
    tz: dt.tzinfo,
    theme_priority: Mapping[str, float],
    source_weight: Mapping[str, float],
    titles: Mapping[str, TitleSignals] | None = None,
) -> list[Story]:
    """Stories with score and score_parts set, best first; ties go to the earlier story, then the id.

    titles: title_signals of items by id, when worked out ahead (see score_parts).
    """
    start, end = week.bounds(tz)
    scored = []
    # The cyclic GC would rescan every live story again and again on a 100k-item week (rank took 13x
    # longer for 10x the stories); scores form no cycles, so it waits until the loop is done.
    paused = gc.isenabled()
    gc.disable()
    try:
        for story in stories:
            parts = score_parts(
                story,
                start=start,
                end=end,
                theme_priority=theme_priority,
                source_weight=source_weight,
                titles=titles,
            )
            parts = tuple((name, round(value, 4)) for name, value in parts)
            scored.append(evolve(story, score=round(sum(v for _, v in parts), 4), score_parts=parts))
    finally:
        if paused:
            gc.enable()
    scored.sort(key=rank_key)
    return scored


def rank_key(story: Story) -> tuple[float, dt.datetime, str]:
    """Where a scored story ranks: higher score first, then the earlier story, then the id."""
    return (-story.score, when(story.lead), story.id)


def theme_priority(taxonomy: Taxonomy, configured: Mapping[str, float]) -> dict[str, float]:
    """Each theme's ranking weight: the taxonomy's priority, unless newsletter.toml [ranking] sets one."""
    priority = {tid: t.priority for tid, t in taxonomy.themes.items()}
    priority.update(configured)
    return priority


def _theme(story: Story) -> str:
    """The primary theme; a story with none counts as a theme of its own (no theme id starts with "-")."""
    themes = story.labels.themes
    return themes[0] if themes else f"-{story.id}"


def _is_asian(story: Story) -> bool:
    return story.labels.region != GLOBAL


def topic(story: Story, taxonomy: Taxonomy) -> str:
    """A few words naming a story for a title: its headline's main name and its theme ("TSMC's AI chips").

    A placeholder for the editor's own wording; it never glues whole headlines together. The name is a
    company, person, agency, product or place the headline names (a demonym stands for its place:
    "Indian" is India; a word the gazetteer writes in lower case, "website", is no name); without a name
    or a theme, the story's region; without that, "" (no topic).
    """
    labels = story.labels
    title = story.lead.title
    names = _name_kinds(taxonomy)
    named: list[str] = []
    for r in labels.reasons:
        if r.where != "title" or len(r.term) > 24:
            continue
        kind = names.kinds.get((r.label, r.term.lower()), "") if r.kind == "region" else ""
        if kind == "demonyms":
            named.append(taxonomy.region_name(r.label))
        elif (kind and kind != "words") or (r.kind == "gate" and r.term.lower() in names.gate):
            named.append(r.term)  # a name, or a company the gate counts ("Nvidia", not "GPU" or "Website")
    # The name the headline opens with is its subject: "Zepto files for an IPO in Mumbai" is Zepto's.
    name = min(named, key=lambda term: (_found_at(title, term), -len(term)), default="")
    theme = taxonomy.theme_name(labels.themes[0]) if labels.themes else ""
    if theme.endswith("s") and theme[:-1].isupper():  # "IPOs" -> "IPO"
        theme = theme[:-1]
    first = theme.split(" ", 1)[0]
    if first[1:].islower():  # "funding", "policy & regulation", but "M&A", "AI chips"
        theme = theme[:1].lower() + theme[1:]
    if not name.isascii():  # an English issue's title names "小米" as Xiaomi when the gazetteer knows it
        name = names.english.get(name, name)
    if name and theme and name.lower() not in theme.lower():
        if not name.isascii():  # "旺宏 AI": an English possessive does not sit on a CJK name
            return f"{name} {theme}"
        return f"{name}'s {theme}" if not name.endswith("s") else f"{name}' {theme}"
    if name or theme:
        return name or theme[:1].upper() + theme[1:]
    return taxonomy.region_name(labels.region) if labels.region != GLOBAL else ""


def _found_at(title: str, term: str) -> int:
    """Where a name stands in the headline (a region's name put for a demonym: where that stands)."""
    at = title.find(term)
    return at if at >= 0 else len(title)


@dataclass(frozen=True)
class _Names:
    """What the gazetteer says a headline's term is, for topics."""

    kinds: dict[tuple[str, str], str]  # (region id, lower-cased name) -> "companies", "demonyms", ...
    gate: frozenset[str]  # [gate] technology terms written with a capital (company names), lower-cased
    english: dict[str, str]  # a CJK name or place -> its Latin-script name, as the taxonomy writes it


_NAMES: dict[int, tuple[Taxonomy, _Names]] = {}  # per taxonomy: built once


def _name_kinds(taxonomy: Taxonomy) -> _Names:
    cached = _NAMES.get(id(taxonomy))
    if cached is not None and cached[0] is taxonomy:
        return cached[1]
    kinds: dict[tuple[str, str], str] = {}
    for region in (*taxonomy.regions.values(), taxonomy.global_region):
        for term in region.terms:
            kinds.setdefault((region.id, term.text.lower()), term.kind)
    gate = frozenset(
        t.text.lower() for kind, t in taxonomy.gate if kind == GATE_TECH and any(c.isupper() for c in t.text)
    )
    written = {t.text.lower(): t.text for r in taxonomy.regions.values() for t in r.terms if t.text.isascii()}
    english = {
        cjk: written[en]
        for cjk, en in (*PLACES.items(), *ALIASES.items())  # a company's name wins over a place's
        if not cjk.isascii() and en in written
    }
    names = _Names(kinds, gate, english)
    _NAMES.clear()
    _NAMES[id(taxonomy)] = (taxonomy, names)
    return names


def pick_leads(ranked: Sequence[Story], count: int) -> list[Story]:
    """The best `count` stories whose primary themes all differ, so the lead is not three takes on one."""
    leads: list[Story] = []
    seen: set[str] = set()
    for story in ranked:
        if len(leads) >= count:
            break
        theme = _theme(story)
        if theme not in seen:
            seen.add(theme)
            leads.append(story)
    return leads


def plan_issue(
    ranked: Sequence[Story],
    *,
    week: Week,
    style: str,
    style_settings: StyleSettings,
    taxonomy: Taxonomy,
    source_names: dict[str, str],
    paywalled: frozenset[str],
    item_count: int,
) -> IssuePlan:
    """The issue plan for one house style: leads, sections (by region or by theme), suggested reads.

    Only stories the relevance gate let through are placed (a story with no verdict counts as in).
    """
    declared = house_style(style)
    passed = [s for s in ranked if s.lead.verdict is None or s.lead.verdict.passed]
    leads, sections, reads = PLANNERS[declared.planner](passed, style_settings, taxonomy, declared)
    return IssuePlan(
        week=week,
        style=style,
        topics=tuple(t for t in (topic(s, taxonomy) for s in leads) if t),
        leads=tuple(leads),
        sections=tuple(sections),
        reads=tuple(reads),
        source_names=dict(source_names),
        paywalled=frozenset(paywalled),
        item_count=item_count,
    )


_Plan = tuple[list[Story], list[Section], list[Story]]


def _plan_by_region(
    ranked: Sequence[Story], settings: StyleSettings, taxonomy: Taxonomy, style: HouseStyle
) -> _Plan:
    """Leads of different themes among Asian stories, then one section per region (Asia Tech Review)."""
    asian = [s for s in ranked if _is_asian(s)]
    leads = pick_leads(asian, max(settings.leads, 0))
    used = {s.id for s in leads}
    keys = settings.sections or style.sections
    for key in keys:
        if key != GLOBAL and key not in taxonomy.regions:
            known = ", ".join(sorted(taxonomy.regions))
            raise ConfigError(
                f"style.{style.key}.sections names unknown region {key!r} in newsletter.toml (known: {known})"
            )
    by_region: dict[str, list[Story]] = defaultdict(list)
    for story in ranked:
        if story.id not in used:
            by_region[story.labels.region].append(story)
    sections = []
    for key in dict.fromkeys(keys):  # a region listed twice gets one section
        stories = by_region.get(key, [])[: max(settings.per_section, 0)]
        if stories:
            title = section_title(style, settings, taxonomy, key)
            sections.append(Section(key=key, title=title, stories=tuple(stories)))
    return leads, sections, []


def _plan_by_theme(
    ranked: Sequence[Story], settings: StyleSettings, taxonomy: Taxonomy, style: HouseStyle
) -> _Plan:
    """Two to four stories of different themes, then suggested reads, every story once (#techAsia).

    Theme round-ups appear only when the settings or the style list them; their stories are then
    left out of the reads. Asian stories come before global ones (a focus without Asia lets global
    ones through the gate).
    """
    leads = pick_leads(ranked, max(settings.leads, 0))
    used = {s.id for s in leads}
    rest = [s for s in ranked if s.id not in used and _is_asian(s)]
    rest += [s for s in ranked if s.id not in used and not _is_asian(s)]
    sections = []
    for key in dict.fromkeys(settings.sections or style.sections):
        if key not in taxonomy.themes:
            known = ", ".join(sorted(taxonomy.themes))
            raise ConfigError(
                f"style.{style.key}.sections names unknown theme {key!r} in newsletter.toml (known: {known})"
            )
        stories = [s for s in rest if s.labels.themes[:1] == (key,) and s.id not in used]
        stories = stories[: max(settings.per_section, 0)]
        used.update(s.id for s in stories)
        if stories:
            title = section_title(style, settings, taxonomy, key)
            sections.append(Section(key=key, title=title, stories=tuple(stories)))
    reads = [s for s in rest if s.id not in used][: max(settings.reads, 0)]
    return leads, sections, reads


def section_title(style: HouseStyle, settings: StyleSettings, taxonomy: Taxonomy, key: str) -> str:
    """A section's heading: [style.KEY] section_titles, else the region's or theme's name."""
    name = taxonomy.region_name if style.planner == "regions" else taxonomy.theme_name
    return settings.section_titles.get(key) or name(key)


def style_sections(style: str, settings: StyleSettings, taxonomy: Taxonomy) -> list[Section]:
    """Every section a style's issue can hold, in house order, with no stories: what the desk offers."""
    declared = house_style(style)
    keys = dict.fromkeys(settings.sections or declared.sections)
    return [Section(key, section_title(declared, settings, taxonomy, key), ()) for key in keys]


PLANNERS = {"regions": _plan_by_region, "themes": _plan_by_theme}
"""How a house style (config.HOUSE_STYLES) lays out its issue, by the name it declares."""
