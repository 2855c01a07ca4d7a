"""A week's clustering and labels kept on disk, so that the next process ranking the same items skips them.

Clustering and labelling are most of a ranking's cost (on a 10,000-item week, 0.9 and 0.5 of 1.3 s, the
labels in a forked process meanwhile). Whichever of build, draft or preview ranks a week first keeps both,
and the next one takes each only if what it was made from is unchanged; all that follows (the stories'
leads, scores and ranks) is worked out as always.

- The grouping (`clustering.group`'s lists of item indices) reads nothing but the items' text, source and
  date, the cluster threshold and the code: keyed by those (groups_key; the whole summary, though it reads
  only its start), and checked to be a partition of exactly these items.
- The labels and the gate's verdicts read each item's text and source, the taxonomy, every source's
  settings, [focus] and the editor's overrides: the file is keyed by all but the items and the code
  (labels_key), and each entry by its item's fingerprint (its id, source and text), with what its headline
  signals to the ranking (curate.title_signals). A week a fetch added to is labelled again only for the
  items it has not seen; the file then holds the week's items as they are.

Two files per week (or "all", for a ranking of every item) in WORKSPACE/.newsletter/kept/
(Workspace.kept_sort): a header line, then the payload. The header holds the key and the payload's
checksum; a payload is used only when both match, so an editor's label, an edited seeds file or other
code are never served from it, nor a grouping of new, dropped, reordered or edited items. A file that is
missing, damaged or unreadable is ignored (the work is done as before and the file replaced); one that
cannot be written is done without. The labels are a pickle, trusted as the taxonomy's cache beside them
is (compiled.py) and unpickled all the same with only the label classes allowed.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import pickle
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ..models import Item, Labels, Source, Verdict, Week
from . import stamped
from .compiled import code_version
from .curate import TitleSignals

if TYPE_CHECKING:
    from ..config import FocusSettings
    from ..store import Override

FORMAT = b"newsletter-groups-1"  # the header's first word: a new layout of the file gets a new one
LABELS_FORMAT = b"newsletter-labels-2"  # by item fingerprint: its labels, verdict and title signals

Groups = list[list[int]]


def path(folder: Path, week: Week | None, what: str = "groups") -> Path:
    """The file that keeps a week's grouping, or its labels (week None: a ranking of every item)."""
    return folder / f"{week if week is not None else 'all'}.{what}"


def items_digest(items: Sequence[Item], fps: Sequence[bytes] | None = None) -> bytes:
    """A hash of what both the grouping and the labels read of these items, in order: their fingerprints
    (id, source, headline and the whole summary, though clustering reads its start: one hash serves both)
    and their dates.

    fps: fingerprints(items), when the caller has them already.
    """
    h = hashlib.blake2b(digest_size=32)
    h.update(b"%d items;" % len(items))
    h.update(b"".join(fingerprints(items) if fps is None else fps))
    dates = (it.published.isoformat() if it.published is not None else "-" for it in items)
    h.update("\x00".join(dates).encode())
    return h.digest()


def groups_key(items: Sequence[Item], threshold: float, digest: bytes | None = None) -> str | None:
    """What a kept grouping of these items (in this order) must be stamped with; None: keep nothing.

    digest: items_digest(items), when the caller has it already.
    """
    code = code_version()
    if code is None:
        return None
    h = hashlib.blake2b(digest_size=32)
    for part in (FORMAT, code.encode(), repr(float(threshold)).encode(), digest or items_digest(items)):
        h.update(b"%d:%s" % (len(part), part))
    return h.hexdigest()


def read(path: Path, key: str, count: int) -> Groups | None:
    """The grouping kept at path for key, of `count` items; None: missing, stale, damaged or unreadable."""
    payload = stamped.read(path, FORMAT, key)
    if payload is None:
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
    stamped.write(path, FORMAT, key, lambda: json.dumps(groups, separators=(",", ":")).encode())
    prune(path.parent)


KEEP_WEEKS = 12  # the weeks whose files are kept: those most recently ranked (about 180 KB a 10k-item week)


def prune(folder: Path, keep: int = KEEP_WEEKS) -> None:
    """Drop the files of all but the `keep` weeks most recently written, so the folder does not grow
    with every week ever ranked; a file that cannot be looked at or removed is let be."""
    newest: dict[str, float] = {}
    try:
        for f in folder.iterdir():
            if f.suffix in (".groups", ".labels"):
                newest[f.stem] = max(newest.get(f.stem, 0.0), f.stat().st_mtime)
    except OSError:
        return
    old = sorted(newest, key=newest.__getitem__, reverse=True)[keep:]
    for stem in old:
        for suffix in (".groups", ".labels"):
            with contextlib.suppress(OSError):
                (folder / f"{stem}{suffix}").unlink(missing_ok=True)


def labels_key(
    taxonomy: str | None,
    sources: Mapping[str, Source],
    focus: FocusSettings,
    overrides: Mapping[str, Override],
) -> str | None:
    """What kept labels must be stamped with (the items are not in it: each entry is keyed by its item's
    fingerprint); None: keep nothing.

    taxonomy: the classifier's key (compiled.cache_key: the taxonomy file's bytes and the code), None if not
    known. Sources, focus and overrides are frozen dataclasses of strings, numbers and tuples: their repr
    says all they hold, the same in every process.
    """
    code = code_version()
    if code is None or taxonomy is None:
        return None
    h = hashlib.blake2b(digest_size=32)
    settings = repr((sorted(sources.items()), focus, sorted(overrides.items()))).encode()
    for part in (LABELS_FORMAT, code.encode(), taxonomy.encode(), settings):
        h.update(b"%d:%s" % (len(part), part))
    return h.hexdigest()


def fingerprints(items: Sequence[Item]) -> list[bytes]:
    """Each item's fingerprint: a hash of what labelling reads of it (its id, which the editor's overrides
    name, its source, headline and summary), each field with its length first."""
    out = []
    for it in items:
        text = f"{len(it.id)}:{it.id}{len(it.source_id)}:{it.source_id}{len(it.title)}:{it.title}{it.summary}"
        out.append(hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest())
    return out


Label = tuple["Labels | None", "Verdict | None", TitleSignals]  # an item's labels, verdict, title signals


def read_labels(path: Path, key: str) -> dict[bytes, Label] | None:
    """The labels kept at path for key, by item fingerprint; None: missing, stale, damaged or unreadable."""
    payload = stamped.read(path, LABELS_FORMAT, key)
    if payload is None:
        return None
    found = stamped.unpickle(payload, _CLASSES)
    if not isinstance(found, dict):
        return None
    for fp, entry in found.items():
        if not (
            isinstance(fp, bytes)
            and isinstance(entry, tuple)
            and len(entry) == 3
            and isinstance(entry[0], Labels | None)
            and isinstance(entry[1], Verdict | None)
            and isinstance(entry[2], tuple)
        ):
            return None
    return found


def save_labels(path: Path, key: str, labels: Mapping[bytes, Label]) -> None:
    """Keep these labels for key at path, replacing any other; a folder that refuses them is let be."""
    payload = dict(labels)
    stamped.write(path, LABELS_FORMAT, key, lambda: pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL))
    prune(path.parent)


_CLASSES = frozenset({("newsletter.models", n) for n in ("Labels", "Verdict", "Reason")})
