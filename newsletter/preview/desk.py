"""The editor's desk: the week's candidates beside the draft, and the actions that edit the draft.

Every action reads the draft, checks that it is the text the desk last showed (else refuses, and the
desk reloads it: text it has not seen is never overwritten), edits it with write/desk_edit.py (the
templates and merge helpers of `newsletter draft`) and writes it atomically. A relabel is the store's
override, as `newsletter label` sets it, applied to the draft as `newsletter build` applies labels.
The last HISTORY actions can be undone, labels included.
"""

from __future__ import annotations

import contextlib
import re
import threading
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from ..errors import DeskError, DraftConflict
from ..models import Item, Week
from ..sort import curate
from ..workspace import atomic_write
from ..write import desk_edit, draft, draftfile
from ..write.placer import Placer
from . import candidates
from .weeks import RankingApp, WeekCache

if TYPE_CHECKING:
    from ..models import Source
    from ..sort.ahead import HeadStart
    from ..store import Override

ACTIONS = ("add", "drop", "up", "down", "move", "lead", "relabel", "edit", "undo")
HISTORY = 50  # actions that can be undone, per draft
_ID_RE = re.compile(r"^[0-9A-Za-z_-]{1,64}$")
TEXT_MAX = 200_000  # characters in one edited entry or front matter field


class DeskApp(RankingApp, Protocol):
    """What the desk needs from app.Newsletter, beyond what the week cache does."""

    def all_sources(self) -> dict[str, Source]: ...

    def resolve_week(self, text: str | None) -> tuple[Week, str | None]: ...

    def sort_ahead(self, week: Week) -> HeadStart | None: ...

    def ensure_draft(self, week: Week, style: str) -> Path: ...

    def label(
        self, item_id: str, *, region: str | None = None, themes: Sequence[str] = (), clear: bool = False
    ) -> Item: ...


@dataclass(frozen=True)
class Step:
    """One action as undo needs it: the draft before and after, the record before, a label before."""

    what: str
    before: str
    after: str
    record: bytes | None
    label: tuple[str, Override | None] | None = None


@dataclass(frozen=True)
class View:
    """The draft as the desk shows it."""

    path: Path
    text: str
    version: str
    outline: desk_edit.Outline
    placed: dict[str, tuple[str, str]]
    undo: str  # what undo would undo, "" when nothing


@dataclass(frozen=True)
class Outcome:
    message: str
    notes: tuple[str, ...] = ()
    touched: tuple[str, ...] | None = ()  # stories whose candidate rows changed; None: maybe any


class Desk:
    """One preview's desk; `lock` is the one every use of the app takes (requests come on many threads)."""

    def __init__(self, app: DeskApp, cache: WeekCache, lock: threading.Lock) -> None:
        self.app = app
        self.cache = cache
        self.lock = lock
        self._history: dict[Path, deque[Step]] = {}
        self._placers: dict[tuple[Week, str], tuple[object, Placer]] = {}
        self._index: candidates.Index | None = None
        self._outline: tuple[str, desk_edit.Outline] | None = None

    # -- reading ---------------------------------------------------------------------------------

    def view(self, week: Week, style: str) -> View:
        path = self.cache.ensure_draft(week, style)
        text = desk_edit.read(path)
        version = desk_edit.version(text)
        if self._outline is None or self._outline[0] != version:
            self._outline = (version, desk_edit.outline(text))  # parsing YAML is most of a view's cost
        outline = self._outline[1]
        entries = [(e.item_id, e.story_id, g.key) for g in outline.groups for e in g.entries]
        history = self._history.get(path)
        return View(
            path,
            text,
            version,
            outline,
            candidates.placements(entries),
            history[-1].what if history else "",
        )

    def placer(self, week: Week, style: str) -> Placer:
        """Where this style's draft can put stories, kept until the plan or the settings change."""
        ranked = self.cache.ranked(week)
        plan = self.cache.plan(week, style)
        settings = self.app.settings()
        key = (ranked.version, id(settings), _templates(self.app.ws.templates))
        kept = self._placers.get((week, style))
        if kept is None or kept[0] != key:
            if not ranked.stories:
                raise DeskError(f"{week} has no stories to place")
            sections = curate.style_sections(style, settings.style_settings(style), self.app.taxonomy())
            placer = Placer(draft.body_renderer(self.app.ws, settings), plan, sections, ranked.stories[0])
            kept = (key, placer)
            self._placers[(week, style)] = kept
        return kept[1]

    def groups(self, week: Week, style: str) -> list[tuple[str, str]]:
        """(key, heading) of every group the style's draft can hold, in house order, each named."""
        placer = self.placer(week, style)
        named = {placer.lead_key: "Lead stories"}
        return [(k, placer.titles[k] or named.get(k, k)) for k in placer.order]

    def listing(self, week: Week, view: View, filters: candidates.Filters) -> candidates.Listing:
        index, names = self._indexed(week)
        dropped = view.outline.dropped
        return candidates.listing(index, filters, view.placed, dropped, names, self.app.settings().tz)

    def list_key(self, week: Week, view: View, filters: candidates.Filters) -> str:
        """What a page of candidates shows depends on: the ranking, the draft, the filters, the page."""
        ranked = self.cache.ranked(week).version
        return f"{ranked}.{view.version}.{filters.offset}.{filters.limit}.{filters.key()}"

    def rows(self, week: Week, view: View, story_ids: Sequence[str]) -> list[candidates.Candidate]:
        """The candidates of these stories as they stand now (after an action changed only them)."""
        index, names = self._indexed(week)
        ranked = self.cache.ranked(week)
        tz = self.app.settings().tz
        found = [s for i in story_ids if (s := ranked.story(i)) is not None]
        dropped = view.outline.dropped
        return [candidates.candidate(s, view.placed, dropped, names, tz, index.taxonomy) for s in found]

    def explain(self, week: Week, view: View, item: str) -> candidates.Candidate:
        rows = self.rows(week, view, [item])
        if not rows:
            raise DeskError(f"item {item} is not among {week}'s stories")
        return rows[0]

    def _indexed(self, week: Week) -> tuple[candidates.Index, dict[str, str]]:
        ranked = self.cache.ranked(week)
        names = {sid: s.name for sid, s in self.app.all_sources().items()}
        if self._index is None or self._index.version != ranked.version:
            self._index = candidates.Index(ranked, names, self.app.taxonomy())
        return self._index, names

    # -- acting ----------------------------------------------------------------------------------

    def act(self, week: Week, style: str, request: dict[str, Any]) -> Outcome:
        """Do one action (see ACTIONS) on the draft the desk showed as version `base`."""
        action = request.get("action")
        if action not in ACTIONS:
            raise DeskError(f"unknown action {action!r}: one of {', '.join(ACTIONS)}")
        base = _text(request, "base", 64)
        view = self.view(week, style)
        if base != view.version:
            raise DraftConflict(
                f"{view.path.name} changed since the desk showed it (saved in your editor?): the desk has "
                "reloaded it and nothing was changed; do that again if you still want it",
                view.path,
            )
        if action == "undo":
            return self._undo(week, view)
        if action == "relabel":
            return self._relabel(week, style, view, request)
        if action == "edit" and "fields" in request:
            fields = request["fields"]
            if not isinstance(fields, dict) or not all(isinstance(v, str) for v in fields.values()):
                raise DeskError("fields must map front matter names to text")
            if any(len(v) > TEXT_MAX for v in fields.values()):
                raise DeskError(f"a field is longer than {TEXT_MAX:,} characters")
            text = desk_edit.edit_front(view.text, fields)
            return self._save(view, text, Outcome(f"Saved {', '.join(fields)}"))
        item = _item(request)
        edit, outcome = self._edit(week, style, view, action, item, request)
        return self._save(view, edit(view.text), outcome)

    def _edit(
        self, week: Week, style: str, view: View, action: str, item: str, request: dict[str, Any]
    ) -> tuple[Callable[[str], str], Outcome]:
        """The edit an action makes (a function of the draft's text), and what to say it did."""
        story = self.cache.ranked(week).story(item)
        # A candidate names its story's lead; its entry's marker may name another of its items.
        entry = view.outline.find([item, *([story.id, *(i.id for i in story.items)] if story else [])])
        item = entry.item_id if entry else item
        touched = (story.id,) if story else ()
        if action == "drop":
            return (lambda t: desk_edit.drop(t, item)), Outcome("Dropped", touched=touched)
        if action in ("up", "down"):
            step = -1 if action == "up" else 1
            return (lambda t: desk_edit.shift(t, item, step)), Outcome(f"Moved {action}")
        if action == "edit":
            text = _text(request, "text", TEXT_MAX)
            return (lambda t: desk_edit.rewrite(t, item, text)), Outcome("Saved the entry")
        placer = self.placer(week, style)
        if action == "lead":
            key = placer.lead_key
        elif action == "move":
            key = placer.check(_text(request, "section", 64))
        elif story is not None:
            key = placer.check(str(request.get("section") or placer.default_key(story)))
        else:
            raise DeskError(f"item {item} is not among {week}'s stories")
        title = placer.titles.get(key) or "the lead stories"
        if entry is None:
            if story is None:
                raise DeskError(f"item {item} is not among {week}'s stories")
            added = Outcome(f"Added to {title}", touched=touched)
            return (lambda t: desk_edit.add(t, story, key, placer)), added
        first = action == "lead" and entry.group == key
        if entry.group == key and not first:
            raise DeskError(f"it is in {title} already")
        what = "Made the top story" if first else f"Moved to {title}"
        edit = lambda t: desk_edit.move(t, item, key, story, placer, first=first)  # noqa: E731
        return edit, Outcome(what, touched=touched)

    def _relabel(self, week: Week, style: str, view: View, request: dict[str, Any]) -> Outcome:
        item = _item(request)
        story = self.cache.ranked(week).story(item)
        region = request.get("region")
        themes = request.get("themes")
        clear = request.get("clear") is True
        if region is not None and not isinstance(region, str):
            raise DeskError("region must be a region id")
        if themes is not None and not (isinstance(themes, list) and all(isinstance(t, str) for t in themes)):
            raise DeskError("themes must be a list of theme ids")
        if not clear and not region and not themes:
            raise DeskError("nothing to relabel: choose a region or themes")
        before = self.app.store.overrides().get(item)
        record = _record(view.path)
        labelled = self.app.label(item, region=region or None, themes=tuple(themes or ()), clear=clear)
        self.cache.relabelled(week, [labelled.id, *(i.id for i in story.items)] if story else [labelled.id])
        taxonomy = self.app.taxonomy()
        labels = labelled.labels
        said = "cleared" if clear and not region and not themes else ""
        if labels is not None and not said:
            said = " · ".join([taxonomy.region_name(labels.region), *map(taxonomy.theme_name, labels.themes)])
        what = f"Relabelled: {said}"
        try:  # the label is set: whatever the draft does, undo must be able to take it back
            result = self.app.draft(week, style, ranked=self.cache.ranked(week).pair, labels_only=True)
        finally:
            after = desk_edit.read(view.path)
            self._push(view.path, Step(what, view.text, after, record, (labelled.id, before)))
        return Outcome(what, result.notes, touched=None)

    def _save(self, view: View, text: str, outcome: Outcome) -> Outcome:
        if text == view.text:
            return Outcome("Nothing to change")
        record = _record(view.path)
        desk_edit.save(view.path, view.version, text)
        self._push(view.path, Step(outcome.message, view.text, text, record))
        return outcome

    def _push(self, path: Path, step: Step) -> None:
        self._history.setdefault(path, deque(maxlen=HISTORY)).append(step)

    def _undo(self, week: Week, view: View) -> Outcome:
        history = self._history.get(view.path)
        if not history:
            raise DeskError("nothing to undo")
        step = history[-1]
        if desk_edit.version(step.after) != view.version:
            history.clear()  # the file moved on without the desk: these steps no longer apply
            raise DraftConflict(
                f"{view.path.name} changed since that action (saved in your editor?): undoing it would "
                "overwrite your change, so nothing was undone",
                view.path,
            )
        history.pop()
        atomic_write(view.path, step.before)
        state = draftfile.state_path(view.path)
        if step.record is None:
            state.unlink(missing_ok=True)
        else:
            atomic_write(state, step.record)
        if step.label is not None:
            item_id, old = step.label
            if old is None:
                self.app.label(item_id, clear=True)
            else:
                self.app.label(item_id, region=old.region, themes=old.themes or (), clear=True)
            self.cache.relabelled(week, [item_id])
        return Outcome(f"Undid: {step.what}", touched=None)


def _templates(folder: Path) -> tuple[tuple[str, int], ...]:
    """The workspace's own templates and when each last changed: a new heading shows in the desk."""
    found = []
    for path in folder.rglob("*.j2") if folder.is_dir() else ():
        with contextlib.suppress(OSError):  # deleted between the listing and the look
            found.append((str(path), path.stat().st_mtime_ns))
    return tuple(sorted(found))


def _record(path: Path) -> bytes | None:
    try:
        return draftfile.state_path(path).read_bytes()
    except OSError:
        return None


def _text(request: dict[str, Any], key: str, limit: int) -> str:
    value = request.get(key)
    if not isinstance(value, str):
        raise DeskError(f"{key} must be text")
    if len(value) > limit:
        raise DeskError(f"{key} is longer than {limit:,} characters")
    return value


def _item(request: dict[str, Any]) -> str:
    item = request.get("item")
    if not isinstance(item, str) or not _ID_RE.match(item):
        raise DeskError("item must be an item id, as data-item gives it")
    return item
