"""Files one process keeps for the next: a header stamped with what the payload was made from, and its
checksum (the compiled taxonomy, compiled.py; a week's grouping and labels, kept.py).

A file is read only when its header names the form and key asked for and the payload's checksum
matches, so a stale, truncated or damaged file is never used; one that cannot be read or written is done
without, as the work is only done again. A pickled payload is loaded knowing only the classes its form
allows: a kept file is data, never code to run.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..workspace import atomic_write


def write(path: Path, form: bytes, key: str, payload: Callable[[], bytes]) -> None:
    """Keep payload() at path stamped with form and key, replacing any other; a folder that refuses it
    (read-only, full, a file in its place) is let be."""
    with contextlib.suppress(Exception):  # a file not kept only makes the next start or ranking slower
        data = payload()
        checksum = hashlib.sha256(data).hexdigest()
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, b"%s %s %s\n" % (form, key.encode(), checksum.encode()) + data)


def read(path: Path, form: bytes, key: str) -> bytes | None:
    """The payload at path if its header is form's with key and the checksum holds; else None."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    head, _, payload = data.partition(b"\n")
    want = b"%s %s " % (form, key.encode())
    if not head.startswith(want) or head[len(want) :] != hashlib.sha256(payload).hexdigest().encode():
        return None
    return payload


def unpickle(payload: bytes, allowed: frozenset[tuple[str, str]]) -> Any:
    """The pickled payload, naming no class but the allowed (module, name) pairs; None if it does not load
    (the checksum matched, yet it is not what this code writes)."""
    try:
        return _Unpickler(io.BytesIO(payload), allowed).load()
    except Exception:
        return None


class _Unpickler(pickle.Unpickler):
    def __init__(self, file: io.BytesIO, allowed: frozenset[tuple[str, str]]) -> None:
        super().__init__(file)
        self._allowed = allowed

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in self._allowed:
            raise pickle.UnpicklingError(f"{module}.{name} has no place in a kept file")
        return super().find_class(module, name)
