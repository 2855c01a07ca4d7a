"""The desk's candidates: every story of the week, the gate's rejects too, filtered and paged.

The list is filtered on the server over the kept ranking (weeks.py) and sent a page at a time, so a
week of 10,000 items costs one pass over its stories per keystroke, not 10,000 rows in the browser.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode

from ..models import Labels, Story, Verdict
from ..sort.taxonomy import Taxonomy
from ..write import escape, ledes
from .weeks import Ranked

PAGE = 100  # candidates per page; "more" asks for the next
GATES = ("", "in", "out")
PLACES = ("", "in", "out", "dropped")  # all, in the draft, not in it, dropped from it


@dataclass(frozen=True)
class Filters:
    q: str = ""
    region: str = ""
    theme: str = ""
    gate: str = ""  # "" | in | out
    draft: str = ""  # "" | in | out | dropped
    offset: int = 0
    limit: int = PAGE
    item: str = ""  # one story's explanation (the desk's "why")

    @classmethod
    def parse(cls, query: str) -> Filters:
        """From a query string; anything unknown is ignored rather than refused (it only filters)."""
        try:
            raw = {k: v[-1] for k, v in parse_qs(query, max_num_fields=20).items()}
        except ValueError:  # more fields than any filter has: none of them is ours
            raw = {}
        number = {k: int(raw[k]) for k in ("offset", "limit") if raw.get(k, "").isdigit()}
        return cls(
            q=raw.get("q", "")[:200],
            region=raw.get("region", "")[:64],
            theme=raw.get("theme", "")[:64],
            gate=raw.get("gate", "") if raw.get("gate", "") in GATES else "",
            draft=raw.get("draft", "") if raw.get("draft", "") in PLACES else "",
            offset=min(number.get("offset", 0), 10_000_000),
            limit=max(1, min(number.get("limit", PAGE), 500)),
            item=raw.get("item", "")[:64],
        )

    def key(self) -> str:
        """What the filters ask for (not the page), as the list says it answered: "gate=in&q=zepto"."""
        shown = {"q": " ".join(self.q.split()), "region": self.region, "theme": self.theme}
        shown.update(gate=self.gate, draft=self.draft)
        return urlencode({k: v for k, v in sorted(shown.items()) if v})


@dataclass(frozen=True)
class Candidate:
    """One story as the desk lists it."""

    item: str  # the id its draft entry's marker names, else the story's lead item
    story: Story
    headline: str
    outlets: tuple[str, ...]
    date: str  # the lead item's day in the newsletter's time zone, "" when undated
    url: str  # the lead's link when it is http(s), else ""
    where: str  # the group key of its draft entry, "" when not in the draft
    dropped: bool
    region_name: str
    theme_names: tuple[str, ...]

    @property
    def labels(self) -> Labels:
        return self.story.labels

    @property
    def verdict(self) -> Verdict | None:
        return self.story.lead.verdict

    @property
    def passed(self) -> bool:
        return self.verdict is None or self.verdict.passed


@dataclass(frozen=True)
class Listing:
    rows: tuple[Candidate, ...]
    matched: int  # stories the filters let through
    total: int  # stories in the week
    passed: int  # of those, how many the gate let in
    filters: Filters

    @property
    def more(self) -> int:
        return max(0, self.matched - self.filters.offset - len(self.rows))


class Index:
    """Search text for each story of one ranking, made once per ranking."""

    def __init__(self, ranked: Ranked, names: Mapping[str, str], taxonomy: Taxonomy) -> None:
        self.version = ranked.version
        self.stories = ranked.stories
        self.passed = sum(1 for s in ranked.stories if s.lead.verdict is None or s.lead.verdict.passed)
        self.taxonomy = taxonomy
        self.text = [_haystack(s, names, taxonomy) for s in ranked.stories]


def _haystack(story: Story, names: Mapping[str, str], taxonomy: Taxonomy) -> str:
    labels = story.labels
    parts = [i.title for i in story.items]
    parts += [names.get(i.source_id, i.source_id) for i in story.items]
    parts += [i.id for i in story.items]
    parts += [taxonomy.region_name(labels.region), *(taxonomy.theme_name(t) for t in labels.themes)]
    return "\n".join(parts).casefold()


def listing(
    index: Index,
    filters: Filters,
    placed: Mapping[str, tuple[str, str]],
    dropped: frozenset[str],
    names: Mapping[str, str],
    tz: dt.tzinfo,
) -> Listing:
    """The page of candidates the filters ask for, best ranked first.

    placed maps the item and story ids of the draft's entries to (marker item id, group key);
    dropped holds the ids its dropped markers name.
    """
    words = filters.q.casefold().split()
    matched: list[int] = []
    for n, story in enumerate(index.stories):
        labels = story.labels
        if filters.region and labels.region != filters.region:
            continue
        if filters.theme and filters.theme not in labels.themes:
            continue
        verdict = story.lead.verdict
        passed = verdict is None or verdict.passed
        if filters.gate and (filters.gate == "in") != passed:
            continue
        if filters.draft and _place(story, placed, dropped) != filters.draft:
            continue
        if words and not all(w in index.text[n] for w in words):
            continue
        matched.append(n)
    page = matched[filters.offset : filters.offset + filters.limit]
    rows = tuple(candidate(index.stories[n], placed, dropped, names, tz, index.taxonomy) for n in page)
    return Listing(rows, len(matched), len(index.stories), index.passed, filters)


def _ids(story: Story) -> list[str]:
    return [story.id, *(i.id for i in story.items)]


def _place(story: Story, placed: Mapping[str, tuple[str, str]], dropped: frozenset[str]) -> str:
    ids = _ids(story)
    if any(i in placed for i in ids):
        return "in"
    return "dropped" if any(i in dropped for i in ids) else "out"


def candidate(
    story: Story,
    placed: Mapping[str, tuple[str, str]],
    dropped: frozenset[str],
    names: Mapping[str, str],
    tz: dt.tzinfo,
    taxonomy: Taxonomy,
) -> Candidate:
    lead = story.lead
    item, where = next((placed[i] for i in _ids(story) if i in placed), (lead.id, ""))
    outlets = tuple(dict.fromkeys(names.get(i.source_id, i.source_id) for i in story.items))
    headline = ledes.clean_headline(lead.title) or lead.title or "Untitled"
    date = lead.published.astimezone(tz).strftime("%a %d %b") if lead.published else ""
    return Candidate(
        item=item,
        story=story,
        headline=headline,
        outlets=outlets,
        date=date,
        url=escape.safe_url(lead.url),
        where=where,
        dropped=not where and any(i in dropped for i in _ids(story)),
        region_name=taxonomy.region_name(story.labels.region),
        theme_names=tuple(taxonomy.theme_name(t) for t in story.labels.themes),
    )


def placements(entries: Sequence[tuple[str, str, str]]) -> dict[str, tuple[str, str]]:
    """(item id, story id, group key) of each draft entry -> the map `listing` takes."""
    out: dict[str, tuple[str, str]] = {}
    for item_id, story_id, group in entries:
        out.setdefault(item_id, (item_id, group))
        out.setdefault(story_id, (item_id, group))
    return out
