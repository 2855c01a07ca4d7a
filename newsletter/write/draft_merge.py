"""Merge a redraft into a draft the editor has changed, reading what it needs from the draft itself.

Each entry of a draft carries an item marker, an HTML comment at the end of its line (or of its
heading, for a story told under a heading): `<!-- item:ID story:SID fp:F -->`. It names the item
and story, and F fingerprints the entry as the generator placed it: its group and its text. An
entry the editor dropped is left as `<!-- dropped:ID story:SID -->`. Readers never see markers and
the paste-ready outputs strip them. From the draft file alone the merge knows:

- a story is new when no entry and no dropped marker names it or one of its items; new stories
  are added at the end of their group, and nothing else of the editor's changes;
- an entry is the generator's, untouched, when its fingerprint still matches the group it is in
  and its text; otherwise the editor moved or rewrote it. Only an untouched entry of a story the
  editor labelled is ever moved (or taken out), and only when the plan places it elsewhere.

The hidden record `.<style>.draft.json` adds one thing the draft cannot show: entries the editor
deleted outright, marker and all. The merge writes a dropped marker for each, so from then on the
draft file alone carries it; without the record, such an entry would be added back.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import DraftConflict, FrontMatterError
from ..models import IssuePlan, Story
from . import draftfile

FP_CHARS = 10
_LIST_START_RE = re.compile(r"^ {0,3}(?:\d{1,9}[.)]|[-*+])\s")
_LIST_NUMBER_RE = re.compile(r"^( {0,3})\d{1,9}([.)])")


def conflict(path: Path, why: str) -> DraftConflict:
    return DraftConflict(
        f"{path}: {why}; your draft was left as it is: fix it, or run `newsletter draft --force` "
        f"to start over (a timestamped backup is kept beside it)",
        path,
    )


# -- entries and their markers -----------------------------------------------------------------


@dataclass(frozen=True)
class Mark:
    """One item marker in a draft body, and the lines [start, end) of the entry it belongs to."""

    item_id: str
    story_id: str
    fp: str  # "" when the marker has none (typed by hand, or from an older draft)
    group: str  # the section marker's key above it, "" before the first one
    line: int
    start: int
    end: int


def _is_heading(line: str) -> bool:
    return line.lstrip().startswith("#")


def _continues(line: str) -> bool:
    """Whether a line above a one-line entry is part of the same paragraph."""
    text = line.strip()
    return bool(text) and not _is_heading(line) and not text.startswith("<!--")


def _groups_by_line(lines: list[str]) -> tuple[list[str], list[int]]:
    """For each line: the key of the group it is in, and where that group ends."""
    keys: list[str] = []
    key = ""
    for line in lines:
        if m := draftfile.SECTION_MARK_RE.match(line):
            key = m.group(1)
        keys.append(key)
    ends = [0] * len(lines)
    following = len(lines)
    for n in range(len(lines) - 1, -1, -1):
        ends[n] = following
        if draftfile.SECTION_MARK_RE.match(lines[n]):
            following = n
    return keys, ends


def marks(lines: list[str]) -> list[Mark]:
    """Every item marker of a body with its entry: a story under a heading runs from the heading to
    the next entry (or the end of its group); any other entry is its own paragraph or list item."""
    keys, ends = _groups_by_line(lines)
    found = [(n, m) for n, line in enumerate(lines) for m in draftfile.ITEM_MARK_RE.finditer(line)]
    marked = {n for n, _ in found}
    starts: dict[int, int] = {}
    for n, _ in found:
        start = n
        if not (_is_heading(lines[n]) or _LIST_START_RE.match(lines[n])):
            while start > 0 and start - 1 not in marked and _continues(lines[start - 1]):
                start -= 1
        starts[n] = start
    begins = sorted(set(starts.values()))
    out = []
    for n, m in found:
        start = starts[n]
        if _is_heading(lines[n]):
            end = next((b for b in begins if start < b < ends[n]), ends[n])
            while end > start + 1 and not lines[end - 1].strip():
                end -= 1
        else:
            end = n + 1
        out.append(Mark(m.group(1), m.group(2) or m.group(1), m.group(3) or "", keys[n], n, start, end))
    return out


def fingerprint(group: str, block: list[str]) -> str:
    """What an entry looked like where it was put: its group and text, markers, list numbers and
    blank lines aside (a merge renumbers lists and adds blank lines; neither is the editor's)."""
    kept = []
    for line in block:
        line = draftfile.DROPPED_MARK_RE.sub("", draftfile.ITEM_MARK_RE.sub("", line)).rstrip()
        line = _LIST_NUMBER_RE.sub(r"\g<1>#\2", line)
        if line.strip():
            kept.append(line)
    text = group + "\n" + "\n".join(kept)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:FP_CHARS]


def stamp(body: str) -> str:
    """Generated Markdown with each item marker carrying its entry's fingerprint."""
    lines = body.split("\n")
    for mark in marks(lines):
        fp = fingerprint(mark.group, lines[mark.start : mark.end])

        def put(m: re.Match[str], mark: Mark = mark, fp: str = fp) -> str:
            if m.group(1) != mark.item_id:
                return m.group(0)
            lead = m.group(0)[: len(m.group(0)) - len(m.group(0).lstrip())]
            return lead + draftfile.item_marker(mark.item_id, mark.story_id, fp)

        lines[mark.line] = draftfile.ITEM_MARK_RE.sub(put, lines[mark.line])
    return "\n".join(lines)


def untouched(mark: Mark, lines: list[str]) -> bool:
    """Whether an entry is still as the generator placed it: same group, same text."""
    return bool(mark.fp) and fingerprint(mark.group, lines[mark.start : mark.end]) == mark.fp


def dropped_ids(lines: list[str]) -> set[str]:
    """Item and story ids named by dropped markers."""
    ids: set[str] = set()
    for line in lines:
        for m in draftfile.DROPPED_MARK_RE.finditer(line):
            ids.update(x for x in m.groups() if x)
    return ids


# -- the merge ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Merged:
    text: str
    changed: bool
    added: int
    notes: tuple[str, ...]
    stories: set[str]  # story ids drafted so far, for the record
    items: set[str]  # item ids drafted so far


def merge(
    *,
    path: Path,
    current: str,
    plan: IssuePlan,
    fresh: str,
    render: Callable[[IssuePlan], str],
    record: dict[str, Any] | None,
    labelled: Sequence[Story] = (),
    labels_only: bool = False,
) -> Merged:
    """The edited draft with new stories added and labelled stories moved; see the module docstring.

    render(plan) gives the stamped body Markdown of a plan; fresh is the whole new draft. With
    labels_only (what `build` does), only the editor's labels act: a labelled story moves or comes
    in, and nothing else is added.
    """
    try:
        fm_text, body = draftfile.split_front_matter(current)
        front = draftfile.parse_front_matter(fm_text)
    except FrontMatterError as exc:
        raise conflict(path, f"line {exc.line}: {exc.message}") from None
    for key, expected in (("week", str(plan.week)), ("style", plan.style)):
        if key in front and str(front[key]) != expected:
            raise conflict(path, f"its front matter says {key}: {front[key]}, not {expected}")
    lines = body.split("\n")
    here = marks(lines)
    present = {m.item_id for m in here} | {m.story_id for m in here}
    dropped = dropped_ids(lines)
    recorded = (set(record["stories"]) | set(record["items"])) if record else set()
    # Drafted once, no marker left: the editor deleted the entry. Only the record can tell.
    deleted = sorted(set(record["stories"]) - present - dropped) if record else []
    known = present | dropped | recorded

    fresh_lines = draftfile.split_front_matter(fresh)[1].split("\n")
    placed: dict[str, set[str]] = {}
    for m in marks(fresh_lines):
        placed.setdefault(m.story_id, set()).add(m.group)
    titles = group_titles(fresh_lines) | group_titles(lines)

    def name(keys: set[str] | list[str]) -> str:
        # A group without a heading of its own (#techAsia's stories) is named by its key.
        return " and ".join(sorted(titles.get(k) or f"the {k}" if k else "the top" for k in set(keys)))

    removals: list[Mark] = []
    moving: dict[str, set[str]] = {}
    taken_out: set[str] = set()
    labelled_new: set[str] = set()
    notes: list[str] = []
    for story in labelled:
        ids = {story.id, *(i.id for i in story.items)}
        headline = _headline(story)
        want = placed.get(story.id, set())
        mine = [m for m in here if m.story_id in ids or m.item_id in ids]
        if not mine:
            if want and ids & (dropped | set(deleted)):
                notes.append(
                    f"{headline}: labelled, but you dropped it from the draft, so it stays out "
                    f"(delete its <!-- dropped:... --> line to have it back)"
                )
            elif want and not ids & known:
                labelled_new.add(story.id)
                notes.append(f"{headline}: added to {name(want)}")
            continue
        wrong = [m for m in mine if m.group not in want]
        if not wrong:
            continue
        edited = next((m for m in wrong if not untouched(m, lines)), None)
        if edited is not None:
            where = f"to {name(want)}" if want else "out of the issue"
            notes.append(
                f"{headline}: not moved {where} as labelled: you moved or rewrote its entry "
                f"in {name([edited.group])}; move it by hand"
            )
            continue
        removals.extend(wrong)
        moving[story.id] = want - {m.group for m in mine if m not in wrong}
        if want:
            notes.append(f"{headline}: moved from {name([m.group for m in wrong])} to {name(want)}")
        else:
            taken_out |= ids
            notes.append(f"{headline}: taken out of {name([m.group for m in wrong])}: its label keeps it out")

    def adds(story: Story) -> bool:
        if story.id in moving:
            return True
        if labels_only:
            return story.id in labelled_new
        return story.id not in known and not any(i.id in known for i in story.items)

    lines = remove_entries(lines, removals)
    lines, added, new_stories, new_items = _add(lines, plan, adds, moving, render, fresh_lines)
    changed = bool(removals or added)
    if deleted and (changed or not labels_only):
        lines = note_dropped(lines, deleted)
        changed = True
    old_stories, old_items = (set(record["stories"]), set(record["items"])) if record else (set(), set())
    return Merged(
        text=f"---\n{fm_text}---\n" + "\n".join(lines) if changed else current,
        changed=changed,
        added=added - sum(len(groups) for groups in moving.values()),
        notes=tuple(notes),
        stories=(old_stories | {m.story_id for m in here} | dropped | new_stories) - taken_out,
        items=(old_items | {m.item_id for m in here} | dropped | new_items) - taken_out,
    )


def _headline(story: Story) -> str:
    title = " ".join(story.lead.title.split())
    return f"{title[:70]}{'…' if len(title) > 70 else ''} ({story.lead.id})"


def group_titles(lines: list[str]) -> dict[str, str]:
    """Group key -> the heading under its section marker, as the draft shows it (a story's own heading,
    carrying its item marker, is no group's: #techAsia's stories have none)."""
    out: dict[str, str] = {}
    key = None
    for line in lines:
        if m := draftfile.SECTION_MARK_RE.match(line):
            key = m.group(1)
        elif key and line.startswith("#") and not draftfile.ITEM_MARK_RE.search(line):
            out.setdefault(key, line.lstrip("#").strip())
            key = None
        elif key and line.strip():
            key = None
    return out


def remove_entries(lines: list[str], removals: list[Mark]) -> list[str]:
    """The body without these entries, and without the blank line each leaves behind."""
    lines = list(lines)
    for mark in sorted(removals, key=lambda m: m.start, reverse=True):
        del lines[mark.start : mark.end]
        at = mark.start
        if at < len(lines) and not lines[at].strip() and (at == 0 or not lines[at - 1].strip()):
            del lines[at]
    return lines


def _add(
    lines: list[str],
    plan: IssuePlan,
    adds: Callable[[Story], bool],
    moving: dict[str, set[str]],
    render: Callable[[IssuePlan], str],
    fresh_lines: list[str],
) -> tuple[list[str], int, set[str], set[str]]:
    """The body with the chosen stories added at the end of their groups; how many entries, their ids."""
    chosen = dataclasses.replace(
        plan,
        leads=tuple(s for s in plan.leads if adds(s)),
        sections=tuple(
            dataclasses.replace(sec, stories=tuple(s for s in sec.stories if adds(s)))
            for sec in plan.sections
        ),
        reads=tuple(s for s in plan.reads if adds(s)),
    )
    stories = [*chosen.leads, *(s for sec in chosen.sections for s in sec.stories), *chosen.reads]
    if not stories:
        return lines, 0, set(), set()
    new_lines = render(chosen).split("\n")
    # A moved story goes only into the groups it is missing from, not where it still is.
    unwanted = [m for m in marks(new_lines) if m.story_id in moving and m.group not in moving[m.story_id]]
    new_lines = remove_entries(new_lines, unwanted)
    order = list(group_spans(fresh_lines))
    added = 0
    for key, group_lines in groups_of(new_lines).items():
        entry_lines = from_first_entry(group_lines)
        count = sum(1 for line in entry_lines if draftfile.ITEM_MARK_RE.search(line))
        if count:
            added += count
            lines = insert_entries(lines, key, group_lines, entry_lines, order)
    return lines, added, {s.id for s in stories}, {i.id for s in stories for i in s.items}


def note_dropped(lines: list[str], deleted: list[str]) -> list[str]:
    """Dropped markers for entries deleted outright, together above the first group."""
    at = next((n for n, line in enumerate(lines) if draftfile.SECTION_MARK_RE.match(line)), len(lines))
    block = [draftfile.dropped_marker(story_id) for story_id in deleted]
    if at == len(lines):
        return [*trim(lines), "", *block, ""]
    return lines[:at] + [*block, ""] + lines[at:]


def group_spans(lines: list[str]) -> dict[str, tuple[int, int]]:
    """Group key -> [start, end) line span: from its section marker to the next marker or the end."""
    starts = [(n, m.group(1)) for n, line in enumerate(lines) if (m := draftfile.SECTION_MARK_RE.match(line))]
    spans: dict[str, tuple[int, int]] = {}
    for i, (n, key) in enumerate(starts):
        end = starts[i + 1][0] if i + 1 < len(starts) else len(lines)
        spans.setdefault(key, (n, end))
    return spans


def groups_of(lines: list[str]) -> dict[str, list[str]]:
    return {key: trim(lines[a:b]) for key, (a, b) in group_spans(lines).items()}


def trim(lines: list[str]) -> list[str]:
    while lines and not lines[-1].strip():
        lines = lines[:-1]
    return lines


def from_first_entry(group_lines: list[str]) -> list[str]:
    """A generated group without its marker and heading: from the first entry to the end."""
    for n, line in enumerate(group_lines):
        if draftfile.ITEM_MARK_RE.search(line):
            return group_lines[n:]
    return []


_LIST_ITEM_RE = re.compile(r"^\d+\. ")


def insert_entries(
    lines: list[str], key: str, group_lines: list[str], entry_lines: list[str], order: list[str]
) -> list[str]:
    spans = group_spans(lines)
    if key in spans:
        start, end = spans[key]
        pos = end
        while pos > start + 1 and not lines[pos - 1].strip():
            pos -= 1
        existing = lines[start:pos]
        if all(_LIST_ITEM_RE.match(line) for line in entry_lines if line.strip()):
            # A numbered list continues without a blank line (a blank would loosen it) and keeps counting.
            count = sum(1 for line in existing if _LIST_ITEM_RE.match(line))
            renumbered = []
            for line in entry_lines:
                head, sep, rest = line.partition(". ")
                if sep and head.isdigit():
                    count += 1
                    line = f"{count}. {rest}"
                renumbered.append(line)
            return lines[:pos] + renumbered + lines[pos:]
        return lines[:pos] + ["", *entry_lines] + lines[pos:]
    # The group is not in the draft: place it before the next group (in the house order) that is.
    later = order[order.index(key) + 1 :] if key in order else []
    for other in later:
        if other in spans:
            pos = spans[other][0]
            return lines[:pos] + [*group_lines, ""] + lines[pos:]
    tail = trim(lines)
    return [*tail, "", *group_lines, ""]
