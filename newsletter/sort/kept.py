"""A week's clustering kept on disk, so that the next process ranking the same items need not compare them.

Clustering is most of a ranking's cost (0.9 of 1.3 s on a 10,000-item week), and it reads nothing but the
items' text, source and date, the cluster threshold and the code: not the labels, the overrides, the taxonomy
or the sources' weights, which the ranking applies after it (pipeline.Sorter.stories). So whichever of build,
draft or preview groups a week first keeps the grouping (`clustering.group`'s lists of item indices), and the
next one, given the same items in the same order, takes it instead of grouping again; all that follows the
grouping (labels, the gate, the stories' leads, scores and ranks) is worked out as always.

One file per week (or "all", for a ranking of every item), WORKSPACE/.newsletter/groups/WEEK.json
(Workspace.kept_groups): a header line, then the grouping as JSON. The header holds the key (a hash of this
file's format, the code (compiled.code_version), the threshold, and of each item in order its id, source,
date, and the text clustering reads) and the payload's checksum; a grouping is used only when both match and
it is a partition of exactly these items, so new, dropped, reordered or edited items, another threshold or
other code are never served from it. A file that is missing, damaged or unreadable is ignored (the week is
grouped as before and the file replaced); one that cannot be written is done without.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Sequence
from pathlib import Path

from ..models import Item, Week
from ..workspace import atomic_write
from .compiled import code_version
from .facts import SUMMARY_CHARS

FORMAT = b"newsletter-groups-1"  # the header's first word: a new layout of the file gets a new one
_CHUNK = 1_000  # items hashed per update: the text of a 100,000-item week is never joined at once

Groups = list[list[int]]


def path(folder: Path, week: Week | None) -> Path:
    """The file that keeps a week's grouping (week None: a ranking of every item)."""
    return folder / f"{week if week is not None else 'all'}.json"


def groups_key(items: Sequence[Item], threshold: float) -> str | None:
    """What a kept grouping of these items (in this order) must be stamped with; None: keep nothing.

    Each field is written with its length first, so no text can pass for another split differently.
    """
    code = code_version()
    if code is None:
        return None
    h = hashlib.blake2b(digest_size=32)
    for part in (FORMAT, code.encode(), repr(float(threshold)).encode(), str(len(items)).encode()):
        h.update(b"%d:%s" % (len(part), part))
    for start in range(0, len(items), _CHUNK):
        fields = []
        for it in items[start : start + _CHUNK]:
            date = it.published.isoformat() if it.published is not None else "-"
            summary = it.summary[:SUMMARY_CHARS]
            fields.append(
                f"{len(it.id)}:{it.id}{len(it.source_id)}:{it.source_id}{len(date)}:{date}"
                f"{len(it.title)}:{it.title}{len(summary)}:{summary}"
            )
        h.update("".join(fields).encode("utf-8", "surrogatepass"))
    return h.hexdigest()


def read(path: Path, key: str, count: int) -> Groups | None:
    """The grouping kept at path for key, of `count` items; None: missing, stale, damaged or unreadable."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    head, _, payload = data.partition(b"\n")
    want = b"%s %s " % (FORMAT, key.encode())
    if not head.startswith(want) or head[len(want) :] != hashlib.sha256(payload).hexdigest().encode():
        return None
    try:
        groups = json.loads(payload)
    except ValueError:
        return None
    return groups if _is_partition(groups, count) else None


def _is_partition(groups: object, count: int) -> bool:
    """Whether groups are lists of item indices holding each of range(count) exactly once."""
    if not isinstance(groups, list) or not all(isinstance(g, list) and g for g in groups):
        return False
    flat = [x for g in groups for x in g]
    if not all(type(x) is int for x in flat):
        return False
    return sorted(flat) == list(range(count))


def save(path: Path, key: str, groups: Groups) -> None:
    """Keep the grouping for key at path, replacing any other; a folder that refuses it is let be."""
    with contextlib.suppress(Exception):  # a grouping not kept only makes the next ranking slower
        payload = json.dumps(groups, separators=(",", ":")).encode()
        checksum = hashlib.sha256(payload).hexdigest()
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, b"%s %s %s\n" % (FORMAT, key.encode(), checksum.encode()) + payload)
