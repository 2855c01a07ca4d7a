"""A draft edited entry by entry (what the desk does): add, drop, move, reorder, rewrite, front matter.

Each edit takes the draft's text and gives the new text; `save` writes it, and only over the text
the desk saw. Entries are found by their item markers, and new ones are rendered by the templates
of `newsletter draft` and placed with the merge's own helpers (draft_entries), so a desk edit and a
redraft read each other: an entry the desk added is the generator's own in its group; one the desk
moved or rewrote is the editor's, which labels never move again; a dropped entry leaves a dropped
marker, so no redraft brings it back, with or without the record beside the draft.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ..errors import DeskError, DraftConflict, FrontMatterError
from ..models import Story
from ..workspace import atomic_write
from . import draft_entries, draftfile
from .placer import Placer

FRONT_FIELDS = ("title", "subtitle", "host", "city", "intro", "ps")
"""Front matter the desk edits; the first four are one line each, intro and PS are Markdown."""
ONE_LINE = frozenset(("title", "subtitle", "host", "city"))
_NUMBERED_RE = re.compile(r"^(\d{1,9})\. ")


@dataclass(frozen=True)
class Entry:
    """One entry of the draft as the desk shows it: its Markdown without markers, and whose it is."""

    item_id: str
    story_id: str
    group: str
    markdown: str
    untouched: bool  # still as the generator placed it (a label may move it)


@dataclass(frozen=True)
class Group:
    key: str
    title: str
    entries: tuple[Entry, ...]


@dataclass(frozen=True)
class Outline:
    front: dict[str, Any]
    groups: tuple[Group, ...]
    dropped: frozenset[str]  # item and story ids named by dropped markers

    def find(self, ids: Iterable[str]) -> Entry | None:
        wanted = set(ids)
        for group in self.groups:
            for entry in group.entries:
                if entry.item_id in wanted or entry.story_id in wanted:
                    return entry
        return None


def _split(text: str) -> tuple[str, list[str]]:
    try:
        fm_text, body = draftfile.split_front_matter(text)
    except FrontMatterError as exc:
        raise DeskError(f"the draft's line {exc.line}: {exc.message}; fix it in your editor first") from None
    return fm_text, body.split("\n")


def _join(fm_text: str, lines: list[str]) -> str:
    return f"---\n{fm_text}---\n" + "\n".join(lines)


def outline(text: str) -> Outline:
    """The draft's front matter, its groups in order with their entries, and what it dropped."""
    fm_text, lines = _split(text)
    try:
        front = draftfile.parse_front_matter(fm_text)
    except FrontMatterError as exc:
        raise DeskError(f"the draft's line {exc.line}: {exc.message}; fix it in your editor first") from None
    titles = draft_entries.group_titles(lines)
    groups: dict[str, list[Entry]] = {key: [] for key in draft_entries.group_spans(lines)}
    for mark in draft_entries.marks(lines):
        groups.setdefault(mark.group, []).append(_entry(mark, lines))
    return Outline(
        front=front,
        groups=tuple(Group(key, titles.get(key, ""), tuple(entries)) for key, entries in groups.items()),
        dropped=frozenset(draft_entries.dropped_ids(lines)),
    )


def _entry(mark: draft_entries.Mark, lines: list[str]) -> Entry:
    block = [draftfile.ITEM_MARK_RE.sub("", line).rstrip() for line in lines[mark.start : mark.end]]
    text = "\n".join(block).strip("\n")
    return Entry(mark.item_id, mark.story_id, mark.group, text, draft_entries.untouched(mark, lines))


def _mark(lines: list[str], item_id: str) -> draft_entries.Mark:
    for mark in draft_entries.marks(lines):
        if item_id in (mark.item_id, mark.story_id):
            return mark
    raise DeskError(f"no entry for item {item_id} in the draft (reload the desk: it may have changed)")


# -- the edits -----------------------------------------------------------------------------------


def add(text: str, story: Story, key: str, placer: Placer) -> str:
    """The story's entry at the end of a group (the group made where the house order puts it)."""
    fm_text, lines = _split(text)
    ids = {story.id, *(i.id for i in story.items)}
    for mark in draft_entries.marks(lines):
        if ids & {mark.item_id, mark.story_id}:
            where = draft_entries.group_titles(lines).get(mark.group) or mark.group
            raise DeskError(f"that story is in the draft already (in {where}): move it instead")
    lines = _undrop(lines, ids)
    entry = placer.entry(story, key)
    lines = draft_entries.insert_entries(lines, key, placer.heads[key] + entry, entry, placer.order)
    return _join(fm_text, _renumber(lines, key))


def drop(text: str, item_id: str) -> str:
    """The draft without the entry, a dropped marker remembering it (and an emptied heading gone)."""
    fm_text, lines = _split(text)
    mark = _mark(lines, item_id)
    lines = _prune(draft_entries.remove_entries(lines, [mark]), mark.group)
    if not any(m.story_id == mark.story_id for m in draft_entries.marks(lines)):
        dropped = draft_entries.dropped_ids(lines)
        if not {mark.item_id, mark.story_id} & dropped:
            lines = _note_dropped(lines, mark)
    return _join(fm_text, _renumber(lines, mark.group))


def shift(text: str, item_id: str, steps: int) -> str:
    """The entry moved up (steps < 0) or down within its group; the text itself is untouched."""
    fm_text, lines = _split(text)
    for _ in range(abs(steps)):
        mark = _mark(lines, item_id)
        peers = [m for m in draft_entries.marks(lines) if m.group == mark.group]
        at = next(n for n, m in enumerate(peers) if m.line == mark.line)
        other = at - 1 if steps < 0 else at + 1
        if not 0 <= other < len(peers):
            break
        first, second = sorted((mark, peers[other]), key=lambda m: m.start)
        lines = (
            lines[: first.start]
            + lines[second.start : second.end]
            + lines[first.end : second.start]
            + lines[first.start : first.end]
            + lines[second.end :]
        )
    return _join(fm_text, _renumber(lines, _mark(lines, item_id).group))


def move(
    text: str, item_id: str, key: str, story: Story | None, placer: Placer, *, first: bool = False
) -> str:
    """The entry in another group, at its end (first: at its top).

    An entry still as the generator wrote it is rendered anew for its new group (a one-line entry
    becomes a story under a heading in News in focus) but keeps the fingerprint of where it was, so
    it reads as the editor's placing and no label moves it back. An entry the editor rewrote (or
    whose story is no longer among the week's items) moves with its words as they are.
    """
    fm_text, lines = _split(text)
    mark = _mark(lines, item_id)
    placer.check(key)
    if mark.group == key:
        return shift(text, item_id, -len(lines)) if first else text
    if story is not None and draft_entries.untouched(mark, lines):
        block = _restamp(placer.entry(story, key), mark)
    else:
        block = lines[mark.start : mark.end]
    lines = _renumber(_prune(draft_entries.remove_entries(lines, [mark]), mark.group), mark.group)
    lines = draft_entries.insert_entries(lines, key, placer.heads[key] + block, block, placer.order)
    out = _join(fm_text, _renumber(lines, key))
    return shift(out, mark.item_id, -len(lines)) if first else out


def rewrite(text: str, item_id: str, markdown: str) -> str:
    """The entry's text replaced by the editor's; its item marker stays (at its heading, or its end)."""
    fm_text, lines = _split(text)
    mark = _mark(lines, item_id)
    new = [line.rstrip() for line in markdown.replace("\r\n", "\n").strip("\n").split("\n")]
    if not any(line.strip() for line in new):
        raise DeskError("an entry cannot be empty: drop it instead")
    for line in new:
        if any(r.search(line) for r in (draftfile.ITEM_MARK_RE, draftfile.DROPPED_MARK_RE)) or (
            draftfile.SECTION_MARK_RE.match(line)
        ):
            raise DeskError("the text holds a draft marker (<!-- item:, dropped:, section: -->): take it out")
    heading = new[0].lstrip().startswith("#")
    if not heading and any(not line.strip() for line in new):
        raise DeskError(
            "an entry without a heading is one paragraph: remove the blank lines, or start it with a "
            "heading (### ...) to write several paragraphs"
        )
    marker = draftfile.item_marker(mark.item_id, mark.story_id, mark.fp)
    at = 0 if heading else len(new) - 1
    new[at] = f"{new[at]} {marker}"
    lines[mark.start : mark.end] = new
    return _join(fm_text, _renumber(lines, mark.group))


def edit_front(text: str, values: dict[str, str]) -> str:
    """The front matter with these fields set, every other line (comments too) as it was."""
    fm_text, lines = _split(text)
    for key, raw in values.items():
        if key not in FRONT_FIELDS:
            raise DeskError(f"the desk edits {', '.join(FRONT_FIELDS)}, not {key!r}")
        value = " ".join(raw.split()) if key in ONE_LINE else raw.replace("\r\n", "\n").strip("\n")
        fm_text = _set_field(fm_text, key, value)
        try:
            got = draftfile.parse_front_matter(fm_text).get(key)
        except FrontMatterError as exc:
            raise DeskError(f"the front matter would not read back ({exc.message})") from None
        if str(got if got is not None else "").strip("\n") != value:
            raise DeskError(f"{key} would not read back as written: edit it in your editor")
    return _join(fm_text, lines)


def _set_field(fm_text: str, key: str, value: str) -> str:
    """Replace one top-level key's text in the YAML (or add it at the end), leaving the rest byte for byte."""
    dumped = draftfile.dump_front_matter({key: value})
    try:
        root = yaml.compose(fm_text, Loader=yaml.SafeLoader)  # noqa: S506 - a SafeLoader
    except yaml.YAMLError:
        raise DeskError("the front matter is not valid YAML: fix it in your editor first") from None
    if isinstance(root, yaml.MappingNode):
        for key_node, value_node in root.value:
            if getattr(key_node, "value", None) == key:
                start, end = key_node.start_mark.index, value_node.end_mark.index
                if not fm_text[start:end].endswith("\n"):
                    dumped = dumped.removesuffix("\n")
                return fm_text[:start] + dumped + fm_text[end:]
    return fm_text + ("" if fm_text.endswith("\n") else "\n") + dumped


# -- helpers -------------------------------------------------------------------------------------


def _undrop(lines: list[str], ids: set[str]) -> list[str]:
    """Dropped markers naming these ids taken out (the editor brings the story back)."""
    out = []
    for line in lines:
        kept = draftfile.DROPPED_MARK_RE.sub(
            lambda m: "" if ids & {x for x in m.groups() if x} else m.group(0), line
        )
        if kept.strip() or not line.strip():
            out.append(kept)
    return out


def _note_dropped(lines: list[str], mark: draft_entries.Mark) -> list[str]:
    """A dropped marker above the first group, beside any others there (readers never see it)."""
    at = next((n for n, line in enumerate(lines) if draftfile.SECTION_MARK_RE.match(line)), len(lines))
    marker = draftfile.dropped_marker(mark.item_id, mark.story_id)
    above = at
    while above > 0 and not lines[above - 1].strip():
        above -= 1
    if above > 0 and draftfile.DROPPED_MARK_RE.fullmatch(lines[above - 1]):
        return [*lines[:above], marker, *lines[above:]]
    return [*lines[:at], marker, "", *lines[at:]]


def _prune(lines: list[str], key: str) -> list[str]:
    """A group left with only its marker and heading goes, so no empty heading reaches readers."""
    span = draft_entries.group_spans(lines).get(key)
    if span is None:
        return lines
    start, end = span
    body = [line for line in lines[start + 1 : end] if line.strip()]
    if all(line.lstrip().startswith("#") for line in body) and len(body) <= 1:
        rest = lines[:start] + lines[end:]
        while start < len(rest) and start > 0 and not rest[start].strip() and not rest[start - 1].strip():
            del rest[start]
        return rest
    return lines


def _renumber(lines: list[str], key: str) -> list[str]:
    """The group's numbered entries counted 1, 2, 3 ... again (a list with a gap reads as a mistake)."""
    span = draft_entries.group_spans(lines).get(key)
    if span is None:
        return lines
    lines = list(lines)
    count = 0
    for n in range(*span):
        if _NUMBERED_RE.match(lines[n]) and draftfile.ITEM_MARK_RE.search(lines[n]):
            count += 1
            lines[n] = _NUMBERED_RE.sub(f"{count}. ", lines[n], count=1)
    return lines


def _restamp(block: list[str], mark: draft_entries.Mark) -> list[str]:
    """A freshly rendered entry carrying the marker (and so the fingerprint) of the entry it replaces."""
    marker = draftfile.item_marker(mark.item_id, mark.story_id, mark.fp)
    return [draftfile.ITEM_MARK_RE.sub(" " + marker, line, count=1) for line in block]


# -- writing -------------------------------------------------------------------------------------


def version(text: str) -> str:
    """What the desk remembers of the text it saw: a hash, compared before every write."""
    return draftfile.sha(text)[:16]


def read(path: Path) -> str:
    draftfile.check_regular(path)
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DeskError(f"no draft at {path}: run `newsletter draft` first") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DeskError(f"cannot read the draft {path}: {exc}") from None


def save(path: Path, seen: str, text: str) -> str:
    """Write the edited draft, only over the text the desk saw; the record learns its ids. Its version.

    DraftConflict when the file changed on disk since (the editor saved in their own editor).
    """
    if version(read(path)) != seen:
        raise DraftConflict(
            f"{path.name} changed on disk since the desk loaded it (saved in your editor?): the desk "
            "has reloaded it; nothing was overwritten, do that again if you still want it",
            path,
        )
    atomic_write(path, text)
    remember(path, text)
    return version(text)


def remember(path: Path, text: str) -> None:
    """The record beside the draft, with every story and item the draft now names (edited: no hash)."""
    state = draftfile.load_state(path)
    lines = _split(text)[1]
    here = draft_entries.marks(lines)
    dropped = draft_entries.dropped_ids(lines)
    stories = set(state["stories"]) if state else set()
    items = set(state["items"]) if state else set()
    stories |= {m.story_id for m in here} | dropped
    items |= {m.item_id for m in here} | dropped
    intro = str(state.get("intro_sha256") or "") if state else ""
    draftfile.save_state(path, None, stories, items, intro)
