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
draft file alone carries it; without the record, such an entry would be added back. Reading markers
and groups, and taking entries out and putting them in, are draft_entries.py's.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import DraftConflict, FrontMatterError
from ..models import IssuePlan, Story
from . import draftfile
from .draft_entries import (
    FP_CHARS,
    Mark,
    dropped_ids,
    fingerprint,
    from_first_entry,
    group_spans,
    group_titles,
    groups_of,
    insert_entries,
    marks,
    note_dropped,
    remove_entries,
    stamp,
    trim,
    untouched,
)

# The entry helpers were defined here before draft_entries.py: they stay importable from here.
__all__ = [
    "Merged", "conflict", "merge",
    "FP_CHARS", "Mark", "dropped_ids", "fingerprint", "from_first_entry", "group_spans", "group_titles",
    "groups_of", "insert_entries", "marks", "note_dropped", "remove_entries", "stamp", "trim", "untouched",
]  # fmt: skip


def conflict(path: Path, why: str) -> DraftConflict:
    return DraftConflict(
        f"{path}: {why}; your draft was left as it is: fix it, or run `newsletter draft --force` "
        f"to start over (a timestamped backup is kept beside it)",
        path,
    )


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
