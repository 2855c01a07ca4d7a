"""A draft body's entries and groups, read off its markers, and the edits made to them.

Each entry of a draft carries an item marker, an HTML comment at the end of its line (or of its
heading, for a story told under a heading): `<!-- item:ID story:SID fp:F -->`. It names the item
and story, and F fingerprints the entry as the generator placed it: its group and its text. An
entry the editor dropped is left as `<!-- dropped:ID story:SID -->`. A group runs from its section
marker to the next one. These are the helpers a redraft's merge (draft_merge.py), the desk's edits
(desk_edit.py) and the placer share, so each reads what the others wrote.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from . import draftfile

FP_CHARS = 10
_LIST_START_RE = re.compile(r"^ {0,3}(?:\d{1,9}[.)]|[-*+])\s")
_LIST_NUMBER_RE = re.compile(r"^( {0,3})\d{1,9}([.)])")

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


# -- groups, and entries taken out and put in --------------------------------------------------


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
