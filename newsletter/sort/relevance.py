"""The relevance gate: only technology news about Asia (as configured) reaches an issue.

An item passes when technology or its business is the subject and, when the newsletter's focus
is Asia, it has an Asian region. The evidence is the classifier's (Labels.tech, Labels.off_topic,
the region), plus a prior for outlets that cover technology; the numbers are [scoring] tech_min,
tech_source, tech_min_general and off_topic_ratio in seeds/taxonomy.toml. A post that is not news
(a date list, a sponsored post) never passes. What the gate keeps out stays in the store: `items`
lists it with the verdict and the reason, and the editor's `label` on an item puts it back in.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping

from ..config import FocusSettings
from ..feeds.cjk import DATE_LIST_RE
from ..models import GLOBAL, Item, Labels, Source, Story, Verdict, evolve
from .taxonomy import Scoring

# Posts that are no news whatever they mention: sponsored content, deals, date lists.
_NOT_NEWS_RE = re.compile(
    r"^\s*(?:\[?sponsored\]?\s*(?:by\b|:|\|)|sponsored content\b|advertorial\b|(?:today'?s )?deals?\s*:"
    r"|deal of the day\b|[\[【(]?(?:pr|ad|広告|推广|广告)[\]】)]?\s*[:：|])",
    re.IGNORECASE,
)
# How-to posts and tips: service pieces, not news ("How to turn off ...", "... : Galaxy Tips", "使い方").
_HOW_TO_RE = re.compile(
    r"^\s*how to\b|\bhow to (?:use|set up|turn (?:on|off)|get|fix|buy|choose)\b|\btips\b|\bbuying guide\b"
    r"|\bcheat sheet\b|使い方|設定方法|の設定|教程|攻略|小技巧",
    re.IGNORECASE,
)

# A site's own page that its feed lists among the posts ("About", "Now", "Uses"): no news at all.
_SITE_PAGE_RE = re.compile(
    r"^\s*(?:about(?: (?:me|us|this (?:site|blog)))?|now|uses|colophon|contact(?: me| us)?|resume|cv"
    r"|projects|blogroll|archives?|subscribe|search|home|privacy policy|imprint|impressum)\s*$",
    re.IGNORECASE,
)

# A round-up of several stories in one post: "8 点 1 氪：A；B；C", "【大公司晚报】A；B", "A; B | 早报".
_DIGEST_RE = re.compile(
    r"早报|晚报|日报|周报|点\s*1\s*氪|今日要闻|まとめ|ニュースまとめ|\bnews roundup\b|\bweek in review\b",
    re.I,
)
_TOPIC_SPLIT_RE = re.compile(r"[；;]|・(?=\S)")


def not_news(item: Item) -> str:
    """Why an item is no news ("a date list", "a sponsored post", "a round-up"), or "" when it is news."""
    head = f"{item.title}\n{item.summary[:400]}"
    if DATE_LIST_RE.search(head):
        return "a date list, not news"
    if _NOT_NEWS_RE.search(item.title):
        return "a sponsored or deals post, not news"
    if _HOW_TO_RE.search(item.title):
        return "a how-to or tips post, not news"
    if _SITE_PAGE_RE.match(item.title):
        return "a page of the site, not news"
    topics = [t for t in _TOPIC_SPLIT_RE.split(item.title) if len(t.strip()) >= 6]
    if len(topics) >= 3 or (len(topics) >= 2 and _DIGEST_RE.search(item.title)):
        return "a round-up of several stories, not one"
    return ""


def judge(item: Item, source: Source | None, focus: FocusSettings, scoring: Scoring) -> Verdict:
    """The gate's verdict on one labelled item, with the reason in words."""
    labels = item.labels or Labels()
    tech_outlet = source is not None and source.tech
    prior = scoring.tech_source if tech_outlet else 0.0
    tech = labels.tech + prior
    # A general outlet's item names its technology more than once: one word in a headline is as often
    # the medium ("a TikTok-born movement", "Elegy for a website") as the subject.
    need = scoring.tech_min if tech_outlet else max(scoring.tech_min, scoring.tech_min_general)
    once = not tech_outlet and labels.tech_words < 2
    tech_ok = tech >= need and not once and tech >= scoring.off_topic_ratio * labels.off_topic
    asia_ok = labels.region != GLOBAL
    if labels.overridden:
        return Verdict(True, tech_ok, asia_ok, tech, "the editor's label")
    problem = not_news(item)
    why: list[str] = []
    if problem:
        why.append(problem)
    if focus.technology and not tech_ok:
        if tech < need:
            general = " for a general outlet" if need > scoring.tech_min else ""
            why.append(f"not technology (evidence {tech:g} < {need:g}{general})")
        elif once and not labels.tech_words:
            why.append("not technology (a general outlet's item names only where it happened: the internet)")
        elif once:
            why.append("not technology (a general outlet's item names it once)")
        else:
            why.append(f"not technology (off-topic {labels.off_topic:g} outweighs {tech:g})")
    if focus.asia and not asia_ok:
        why.append("not about Asia")
    if why:
        return Verdict(False, tech_ok, asia_ok, tech, "; ".join(why))
    parts = [f"technology {tech:g}" + (" (tech outlet)" if prior else "")]
    if focus.asia:
        parts.append(f"Asia: {labels.region}")
    return Verdict(True, tech_ok, asia_ok, tech, ", ".join(parts))


def gate_items(
    items: list[Item], sources: Mapping[str, Source], focus: FocusSettings, scoring: Scoring
) -> list[Item]:
    """Each item with its verdict."""
    return [evolve(item, verdict=judge(item, sources.get(item.source_id), focus, scoring)) for item in items]


def gate_story(story: Story, focus: FocusSettings | None = None) -> Story:
    """A story passes when one of its items does; placed by the lead, else by the best item that passed.

    Outlets cover one event differently (a general paper's report may hold no technology words
    where a tech site's does), so the story takes the evidence of its most convincing item. But a
    region guessed from an outlet's home or a feed's language is no evidence against another outlet
    that tells the same story and finds nothing Asian in it: wire copy about an American start-up in a
    Singapore paper's business pages is no Singapore news (`unguessed`).
    """
    story = _unguessed(story, focus)
    lead = story.lead
    if lead.verdict is None or lead.verdict.passed:
        return story
    passed = [it for it in story.also if it.verdict is not None and it.verdict.passed]
    if not passed:
        return story
    best = max(passed, key=lambda it: it.verdict.evidence if it.verdict else 0.0)
    return dataclasses.replace(
        story, lead=dataclasses.replace(lead, labels=best.labels, verdict=best.verdict)
    )


def _unguessed(story: Story, focus: FocusSettings | None) -> Story:
    """The story with each item whose Asian region is only its outlet's guess kept out as not about Asia,
    when an item from another outlet, placed by its own text, files the story as global."""
    if not story.also or (focus is not None and not focus.asia):
        return story
    elsewhere = {
        it.source_id for it in story.items if it.labels is not None and it.labels.region == GLOBAL
        and not it.labels.guessed and not it.labels.overridden
    }  # fmt: skip
    if not elsewhere:
        return story

    def judged(item: Item) -> Item:
        labels, verdict = item.labels, item.verdict
        if labels is None or verdict is None or not verdict.asia or not labels.guessed:
            return item
        if not elsewhere - {item.source_id}:
            return item
        why = "not about Asia (its region is its outlet's guess; another outlet files the story as global)"
        if not verdict.passed:
            why = f"{verdict.why}; {why}"
        return evolve(item, verdict=Verdict(False, verdict.tech, False, verdict.evidence, why))

    items = [judged(it) for it in story.items]
    return dataclasses.replace(story, lead=items[0], also=tuple(items[1:]))
