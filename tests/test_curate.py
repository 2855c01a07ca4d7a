"""curate: stories ranked with visible parts, and issue plans laid out per house style."""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
from pathlib import Path

import pytest

from newsletter.config import StyleSettings
from newsletter.errors import ConfigError, StyleError
from newsletter.models import GLOBAL, UTC, Item, Labels, Story, Week
from newsletter.sort.classify import Classifier, load_taxonomy
from newsletter.sort.curate import plan_issue, rank, topic

WEEK = Week(2026, 10)
MONDAY = dt.datetime(2026, 3, 2, tzinfo=UTC)
PARTS = ("coverage", "source", "theme", "exclusive", "figure", "names", "quote", "recency")


@pytest.fixture(scope="module")
def taxonomy():
    return load_taxonomy(Path(__file__).parent.parent / "seeds" / "taxonomy.toml")


_counter = iter(range(1, 10**6))


def story(region: str, theme: str | None, *, sources=("ft",), title="A thing happened", day=1.0) -> Story:
    """A story of one item per source, all with the same labels."""
    items = []
    for src in sources:
        n = next(_counter)
        items.append(
            Item(
                id=f"{n:016x}",
                source_id=src,
                url=f"https://{src}.example/{n}",
                title=title,
                summary="",
                published=MONDAY + dt.timedelta(days=day),
                labels=Labels(region=region, regions=(region,), themes=(theme,) if theme else ()),
            )
        )
    return Story(id=items[0].id, lead=items[0], also=tuple(items[1:]))


def ranked(stories, **kw):
    kw.setdefault("theme_priority", {})
    kw.setdefault("source_weight", {})
    return rank(stories, week=WEEK, tz=UTC, **kw)


def parts(s: Story) -> dict[str, float]:
    return dict(s.score_parts)


def test_every_story_gets_named_parts_in_order_that_sum_to_its_score():
    out = ranked([story("china", "ai"), story("india", None, sources=("a", "b"))])
    for s in out:
        assert tuple(name for name, _ in s.score_parts) == PARTS
        assert s.score == pytest.approx(sum(v for _, v in s.score_parts), abs=1e-3)
    assert [s.score for s in out] == sorted((s.score for s in out), reverse=True)


def test_coverage_counts_distinct_sources_and_outranks_a_lone_item():
    wide = story("india", "funding", sources=("ft", "reuters", "mint", "ft"))
    lone = story("india", "funding", sources=("ft",))
    out = ranked([lone, wide])
    assert out[0].id == wide.id
    assert parts(out[0])["coverage"] > parts(out[1])["coverage"]
    assert parts(out[0])["coverage"] == pytest.approx(1.5 * 2)  # 3 distinct sources: log2(4)


def test_source_weight_and_theme_priority_come_from_settings():
    a = story("japan", "ai-chips", sources=("nikkei",))
    b = story("japan", "ecommerce", sources=("blog",))
    out = ranked([b, a], theme_priority={"ai-chips": 3.0}, source_weight={"nikkei": 2.0, "blog": 0.5})
    assert [s.id for s in out] == [a.id, b.id]
    assert parts(out[0])["theme"] == 3.0 and parts(out[0])["source"] == 2.0
    assert parts(out[1])["theme"] == 1.0 and parts(out[1])["source"] == 0.5


def test_title_signals_exclusive_figures_and_big_names():
    plain = story("china", "ai", title="A local app adds a feature")
    signal = story("china", "ai", title="Exclusive: TSMC weighs $4B Arizona expansion")
    p = parts(ranked([plain, signal])[0])
    assert p["exclusive"] > 0 and p["figure"] > 0 and p["names"] > 0
    assert parts(ranked([plain])[0])["exclusive"] == parts(ranked([plain])[0])["figure"] == 0
    assert parts(ranked([story("china", "ai", title="Metaverse hype fades")])[0])["names"] == 0


def test_a_story_told_only_in_someones_words_ranks_below_the_news():
    quote = story("china", "ai", title="姚劲波：创业永远要做未来的事情")
    labelled = story("china", "ai", title="CNCC 2016 | 出门问问李志飞：AI 创业路上的那些坑和机遇")
    news = story("china", "ai", title="民航局：10月27日起三星Note7不能带上飞机")  # an agency's notice is news
    out = ranked([quote, labelled, news])
    assert [s.id for s in out][0] == news.id
    assert parts(out[1])["quote"] == parts(out[2])["quote"] < 0 == parts(out[0])["quote"]
    # One outlet reporting it as news is enough: the penalty is every title's, never one item's.
    told = dataclasses.replace(
        quote, also=(story("china", "ai", title="Wuba's founder urges start-ups on").lead,)
    )
    assert parts(ranked([told])[0])["quote"] == 0


def test_recency_favours_later_in_the_week_and_stays_within_bounds():
    early, late = story("taiwan", "ai", day=0.1), story("taiwan", "ai", day=6.5)
    before = story("taiwan", "ai", day=-3)
    out = {s.id: parts(s)["recency"] for s in ranked([early, late, before])}
    assert out[late.id] > out[early.id] > out[before.id] == 0.0
    assert max(out.values()) <= 0.5


def test_ties_break_the_same_way_whatever_the_input_order():
    stories = [story("china", "ai", day=1) for _ in range(6)]
    first = [s.id for s in ranked(stories)]
    for seed in range(5):
        shuffled = stories[:]
        random.Random(seed).shuffle(shuffled)
        assert [s.id for s in ranked(shuffled)] == first


def week_of_stories():
    """A week: a big AI-chips story in China, more China, India, Japan, and global noise."""
    out = [
        story("china", "ai-chips", sources=("ft", "reuters", "scmp", "nikkei"), title="Huawei chip $2B"),
        story("china", "ai-chips", sources=("ft", "reuters", "scmp")),  # same theme: not a second lead
        story("china", "ai", sources=("ft", "scmp")),
        story("china", "funding"),
        story("india", "funding", sources=("mint", "et")),
        story("india", "ecommerce"),
        story("japan", "ipo", sources=("nikkei", "ft")),
        story("southeast-asia", "ecommerce"),
    ]
    out += [story(GLOBAL, t, sources=("nyt", "wsj", "ft", "bbc", "ap")) for t in ("ai", "ipo", "funding")]
    return ranked(out, theme_priority={"ai-chips": 3.0})


ATR_SECTIONS = ("china", "india", "southeast-asia", "south-korea", "japan", "taiwan", "rest-of-asia")


def atr_settings(**kw) -> StyleSettings:
    titles = {"rest-of-asia": "RoA"}
    base = StyleSettings(leads=3, per_section=2, sections=ATR_SECTIONS, section_titles=titles)
    return dataclasses.replace(base, **kw)


def plan(stories, style, settings, taxonomy):
    return plan_issue(
        stories,
        week=WEEK,
        style=style,
        style_settings=settings,
        taxonomy=taxonomy,
        source_names={"ft": "FT"},
        paywalled=frozenset({"ft"}),
        item_count=42,
    )


def test_atr_leads_are_asian_top_stories_of_different_themes(taxonomy):
    stories = week_of_stories()
    p = plan(stories, "atr", atr_settings(), taxonomy)
    themes = [s.labels.themes[0] for s in p.leads]
    assert len(p.leads) == 3 and len(set(themes)) == 3
    assert all(s.labels.region != GLOBAL for s in p.leads)
    assert p.leads[0].id == stories[0].id  # the best story leads
    assert p.item_count == 42 and p.source_names == {"ft": "FT"} and p.paywalled == frozenset({"ft"})


def test_atr_sections_follow_the_configured_order_without_leads_globals_or_empties(taxonomy):
    p = plan(week_of_stories(), "atr", atr_settings(), taxonomy)
    keys = [s.key for s in p.sections]
    assert keys == [k for k in ATR_SECTIONS if k in keys]  # configured order
    assert "south-korea" not in keys and "taiwan" not in keys  # empty sections left out
    lead_ids = {s.id for s in p.leads}
    for section in p.sections:
        assert section.title == (taxonomy.region_name(section.key))
        assert 0 < len(section.stories) <= 2  # per_section
        assert all(s.labels.region == section.key for s in section.stories)
        assert not lead_ids & {s.id for s in section.stories}
        scores = [s.score for s in section.stories]
        assert scores == sorted(scores, reverse=True)
    assert all(s.labels.region != GLOBAL for sec in p.sections for s in sec.stories)


def test_atr_section_titles_override_the_region_name(taxonomy):
    stories = ranked([story("rest-of-asia", "ai"), story("rest-of-asia", "ipo"), story("rest-of-asia", "ai")])
    p = plan(stories, "atr", atr_settings(leads=1), taxonomy)
    assert [(s.key, s.title) for s in p.sections] == [("rest-of-asia", "RoA")]


def test_unknown_section_keys_are_config_errors(taxonomy):
    with pytest.raises(ConfigError, match="mars"):
        plan(week_of_stories(), "atr", atr_settings(sections=("china", "mars")), taxonomy)
    with pytest.raises(ConfigError, match="gossip"):
        plan(week_of_stories(), "techasia", StyleSettings(sections=("ai", "gossip")), taxonomy)


def test_techasia_leads_theme_sections_and_reads(taxonomy):
    stories = week_of_stories()
    settings = StyleSettings(leads=3, per_section=3, reads=4)
    p = plan(stories, "techasia", settings, taxonomy)
    lead_themes = [s.labels.themes[0] for s in p.leads]
    assert len(lead_themes) == 3 and len(set(lead_themes)) == 3
    lead_ids = {s.id for s in p.leads}
    for section in p.sections:
        assert section.title == taxonomy.theme_name(section.key)
        assert 0 < len(section.stories) <= 3
        assert all(s.labels.themes[0] == section.key for s in section.stories)
        assert not lead_ids & {s.id for s in section.stories}
    assert len(p.reads) == 4 and not lead_ids & {s.id for s in p.reads}
    # Asia-relevant stories fill the reads before any global one.
    regions = [s.labels.region for s in p.reads]
    assert GLOBAL not in regions[: sum(1 for s in stories if s.labels.region != GLOBAL) - len(p.leads)]


def test_techasia_reads_take_global_stories_only_when_asian_ones_run_out(taxonomy):
    stories = week_of_stories()
    p = plan(stories, "techasia", StyleSettings(leads=3, reads=10), taxonomy)
    regions = [s.labels.region for s in p.reads]
    first_global = regions.index(GLOBAL)
    assert all(r != GLOBAL for r in regions[:first_global]) and all(
        r == GLOBAL for r in regions[first_global:]
    )


def test_unknown_style_is_refused(taxonomy):
    with pytest.raises(StyleError):
        plan(week_of_stories(), "tabloid", StyleSettings(), taxonomy)


def test_topics_name_a_story_in_a_few_words_not_its_headline(taxonomy) -> None:
    clf = Classifier(taxonomy)

    def story_of(title: str, summary: str = "") -> Story:
        labels = clf.classify(title, summary)
        return Story(
            id="a" * 16, lead=Item("a" * 16, "s", "https://x.example/1", title, "", MONDAY, labels=labels)
        )

    assert topic(story_of("TSMC lifts capex as AI chip orders climb"), taxonomy) == "TSMC's AI chips"
    assert topic(story_of("Zepto files for an IPO in Mumbai"), taxonomy).startswith("Zepto")
    # Never a headline: a story that names nothing has no topic, or its region's name.
    assert topic(story_of("Nothing here names a company or a theme at all today"), taxonomy) == ""
    pilots = story_of("Try Before You Fly: How Pilots Train", "At a school in Osaka, trainees practise.")
    assert topic(pilots, taxonomy) == "Japan"
    # A demonym stands for its place; a word the gazetteer writes in lower case is no name.
    assert topic(story_of("Indian start-up raises $20 million"), taxonomy) == "India's funding"
    assert not topic(story_of("A Drugstore's Website in Japan"), taxonomy).startswith("Website")
    # A CJK name the gazetteer knows in Latin script is written so in an English title; another keeps its
    # script, with no English possessive on it.
    assert topic(story_of("小米发布新款AI手机"), taxonomy) == "Xiaomi's AI"
    assert topic(story_of("台积电将在熊本建第二座晶圆厂"), taxonomy) == "TSMC's semiconductors"
    assert topic(story_of("華碩推出可接 20 個 GPU 的主機板"), taxonomy) == "ASUS's AI chips"
    assert topic(story_of("旺宏推出新款 AI 記憶體晶片"), taxonomy) == "旺宏 AI"
    # A place in CJK script too: "中国" is China.
    assert topic(story_of("中国企业发布新款AI芯片"), taxonomy) == "China's AI chips"


def test_techasia_shows_every_story_once_and_no_theme_lists_unless_asked(taxonomy):
    stories = week_of_stories()
    p = plan(stories, "techasia", StyleSettings(leads=3, reads=30), taxonomy)
    shown = [s.id for s in (*p.leads, *(x for sec in p.sections for x in sec.stories), *p.reads)]
    assert len(shown) == len(set(shown)) and not p.sections
    assert len(p.topics) == len(p.leads) == 3
    asked = plan(stories, "techasia", StyleSettings(sections=("ai",), reads=30), taxonomy)
    listed = {s.id for sec in asked.sections for s in sec.stories}
    assert listed and not listed & {s.id for s in (*asked.leads, *asked.reads)}
