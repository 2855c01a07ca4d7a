"""The data that crosses stage boundaries: frozen dataclasses, no behaviour beyond small helpers."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

from .errors import WeekError

GLOBAL = "global"
"""Region id for items that are not about Asia; never fills an Asian section."""
# A region filed for want of evidence in the text (Reason.term, where "source"): the feed's language, or
# the home of the national outlet it came from.
LANGUAGE_GUESS, HOME_GUESS = "feed language", "outlet's home"

UTC = dt.UTC

UNDATED = "undated"
"""Item.dated for an item with no date of its own nor any to borrow: it is filed under no week."""
DATED_HOW = {
    "entry": "the entry's own date",
    "first-seen": "no date in the feed: dated when fetch first saw it",
    "feed-date": "no date in the entry: the feed's own date",
    "newest-item": "no date in the entry nor the feed: the date of the feed's newest dated entry",
    UNDATED: "no date in the entry, the feed or its other entries: filed under no week",
}
"""What each Item.dated value means, as `items --explain` says it."""


@dataclass(frozen=True)
class Source:
    """A configured feed, as written in seeds/sources.toml."""

    id: str
    name: str
    url: str  # http(s) URL, or a path relative to the workspace
    region: str | None = None  # region id used as a classification prior
    themes: tuple[str, ...] = ()
    weight: float = 1.0
    paywalled: bool = False
    enabled: bool = True
    tech: bool | None = None  # covers technology (a relevance-gate prior); None: outlets.toml decides
    language: str = ""  # the feed's language ("zh-cn"): files an item that names no place, nothing foreign
    home: str | None = None  # a national outlet's region (outlets.toml): files what names nothing foreign

    @property
    def is_remote(self) -> bool:
        return self.url.startswith(("http://", "https://"))


@dataclass(frozen=True)
class SourceHealth:
    """What the store knows about a source's last fetches."""

    source_id: str
    status: str = "never"  # never | ok | not_modified | failing | gone | moved; one-off | removed (unlisted)
    last_attempt: dt.datetime | None = None
    last_success: dt.datetime | None = None
    failing_since: dt.datetime | None = None
    consecutive_failures: int = 0
    last_error: str | None = None
    http_status: int | None = None
    etag: str | None = None
    last_modified: str | None = None
    moved_to: str | None = None  # permanent redirect target seen on the last fetch
    redirect_streak: int = 0  # fetches in a row that saw the same permanent redirect
    item_count: int = 0  # items the store holds for this source
    last_new: int = 0  # new items on the last successful fetch


@dataclass(frozen=True)
class Reason:
    """One piece of evidence behind a label: which words matched where, and how much."""

    label: str  # region or theme id
    kind: str  # "region" | "theme"
    term: str  # the matched text, or the source name for a prior
    where: str  # "title" | "body" | "source" | "editor"
    weight: float


@dataclass(frozen=True)
class Labels:
    """Where an item belongs: one primary region, secondary regions, several themes."""

    region: str = GLOBAL
    regions: tuple[str, ...] = ()
    themes: tuple[str, ...] = ()
    reasons: tuple[Reason, ...] = ()
    overridden: bool = False
    tech: float = 0.0  # evidence that technology is the subject (tech themes, [gate] tech words)
    off_topic: float = 0.0  # evidence of another subject: politics, war, crime, disasters, sport ...
    tech_words: int = 0  # technology words behind `tech` (title and body: two); [gate] medium ones are none

    @property
    def guessed(self) -> bool:
        """The region rests on the feed's language or the outlet's home, not on anything the text names."""
        guesses = (LANGUAGE_GUESS, HOME_GUESS)
        return not self.overridden and any(
            r.kind == "region" and r.where == "source" and r.term in guesses for r in self.reasons
        )


@dataclass(frozen=True)
class Verdict:
    """The relevance gate's call on an item (relevance.py): in the issue or kept out, and why."""

    passed: bool
    tech: bool  # technology is the subject
    asia: bool  # it has an Asian region
    evidence: float  # technology evidence, the source's prior included
    why: str  # in words, for `items --explain` and the desk


@dataclass(frozen=True)
class Item:
    """One feed entry, normalised: plain-text title, clean summary text, canonical URL, UTC time."""

    id: str
    source_id: str
    url: str
    title: str
    summary: str  # clean plain text, boilerplate and repeats removed
    published: dt.datetime | None  # aware, UTC; None only when undated (see `dated`)
    content_html: str = ""  # sanitized HTML (summary or content), safe to embed
    guid: str = ""
    authors: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    image: str = ""  # absolute http(s) URL of a lead image, if the feed gave one
    dated: str = "entry"  # how `published` was chosen: a key of DATED_HOW
    labels: Labels | None = None  # filled by classify (and editor overrides)
    verdict: Verdict | None = None  # filled by the relevance gate
    story_id: str | None = None  # filled by cluster


NEVER = dt.datetime(1, 1, 1, tzinfo=UTC)

_Model = TypeVar("_Model")


def evolve(obj: _Model, **changes: Any) -> _Model:
    """dataclasses.replace for these models, without running __init__ over every field again.

    A copy of the instance dict with some fields changed is the same frozen object (no model has a
    __post_init__ or slots); replace() was a tenth of a 100,000-item build, called once per item per stage.
    """
    fields = obj.__dict__
    if not changes.keys() <= fields.keys():
        raise TypeError(f"{type(obj).__name__} has no field {sorted(changes.keys() - fields.keys())[0]!r}")
    copy = object.__new__(type(obj))
    copy.__dict__.update(fields)
    copy.__dict__.update(changes)
    return copy


def when(item: Item) -> dt.datetime:
    """An item's date for sorting: undated items sort as the oldest."""
    return item.published or NEVER


@dataclass(frozen=True)
class ParsedFeed:
    """What parse makes of one body of bytes."""

    title: str
    link: str
    items: tuple[Item, ...]
    problem: str | None = None  # set when the feed was ill-formed but yielded what it could
    updated: dt.datetime | None = None  # the feed's own date (channel pubDate, Atom updated)
    language: str = ""  # the feed's declared language, lower-case ("zh-cn", "ja")


@dataclass(frozen=True)
class Story:
    """The same event told by one or more outlets; the lead item is the best-placed source's."""

    id: str
    lead: Item
    also: tuple[Item, ...] = ()
    score: float = 0.0
    score_parts: tuple[tuple[str, float], ...] = ()

    @property
    def items(self) -> tuple[Item, ...]:
        return (self.lead, *self.also)

    @property
    def latest(self) -> dt.datetime:
        """When the story's newest item was published (undated items count as long ago)."""
        return max(when(it) for it in self.items)

    @property
    def labels(self) -> Labels:
        return self.lead.labels or Labels()


@dataclass(frozen=True)
class Section:
    """A heading in the issue and the stories under it, in order."""

    key: str  # region or theme id
    title: str  # heading as shown ("China", "RoA", "AI chips")
    stories: tuple[Story, ...]


WEEK_RE = re.compile(r"^(\d{4})-W(\d{2})$")
"""How a week is written (2026-W48): after --week, and as the name of its issues/ folder and preview URL."""


@dataclass(frozen=True, order=True)
class Week:
    """An ISO week, written 2026-W48."""

    year: int
    week: int

    # Years whose weeks the tool can date: a week's bounds, shifted by any time zone, stay within
    # datetime's range, and a four-digit year keeps the store's time text in time order.
    FIRST_YEAR: ClassVar[int] = 1000
    LAST_YEAR: ClassVar[int] = 9998

    @classmethod
    def parse(cls, text: str) -> Week:
        m = WEEK_RE.match(text.strip())
        if not m:
            raise WeekError(f"{text!r} is not an ISO week: write it like 2026-W48")
        year, week = int(m.group(1)), int(m.group(2))
        if not cls.FIRST_YEAR <= year <= cls.LAST_YEAR:
            raise WeekError(
                f"{text!r} is outside the weeks newsletter can date "
                f"(years {cls.FIRST_YEAR} to {cls.LAST_YEAR})"
            )
        try:
            dt.date.fromisocalendar(year, week, 1)
        except ValueError:
            raise WeekError(f"{text!r} is not an ISO week: {year} has no week {week}") from None
        return cls(year, week)

    @classmethod
    def from_name(cls, name: str) -> Week | None:
        """The week a folder or URL segment is named after, written exactly so (2026-W48); else None."""
        if not WEEK_RE.match(name):
            return None
        try:
            return cls.parse(name)
        except WeekError:
            return None

    @classmethod
    def of(cls, moment: dt.datetime, tz: dt.tzinfo) -> Week:
        """The week a moment falls in, in the newsletter's time zone."""
        iso = moment.astimezone(tz).isocalendar()
        return cls(iso.year, iso.week)

    def __str__(self) -> str:
        return f"{self.year}-W{self.week:02d}"

    @property
    def monday(self) -> dt.date:
        return dt.date.fromisocalendar(self.year, self.week, 1)

    @property
    def sunday(self) -> dt.date:
        return dt.date.fromisocalendar(self.year, self.week, 7)

    def bounds(self, tz: dt.tzinfo) -> tuple[dt.datetime, dt.datetime]:
        """[start, end) of the week in UTC, the week being Monday 00:00 to Monday 00:00 in tz."""
        start = dt.datetime.combine(self.monday, dt.time(), tzinfo=tz)
        end = start + dt.timedelta(days=7)
        # Recompute the end in tz so a DST change inside the week stays on local midnight.
        end = dt.datetime.combine(end.date(), dt.time(), tzinfo=tz)
        return start.astimezone(UTC), end.astimezone(UTC)


@dataclass(frozen=True)
class IssuePlan:
    """Everything a house style needs to lay out one issue, before any human writing."""

    week: Week
    style: str
    leads: tuple[Story, ...]  # News in focus (atr) / the stories (techasia)
    sections: tuple[Section, ...]  # region sections (atr) / theme sections (techasia, optional)
    reads: tuple[Story, ...] = ()  # Suggested reads (techasia)
    source_names: dict[str, str] = field(default_factory=dict)  # source id -> display name
    paywalled: frozenset[str] = frozenset()  # source ids behind a paywall
    item_count: int = 0  # items the week held before thinning
    topics: tuple[str, ...] = ()  # a few words naming each lead story ("TSMC's AI chips"), for titles
