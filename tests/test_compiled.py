"""The taxonomy's on-disk cache (sort/compiled.py): a warm start labels as a cold one, and a cache that is
stale, damaged or from other code is never used, only rebuilt."""

from __future__ import annotations

import hashlib
import json
import os
import pickle
from pathlib import Path

import pytest
from clirunner import run

from newsletter.app import Newsletter
from newsletter.models import GLOBAL, Labels
from newsletter.sort import compiled
from newsletter.sort.classify import load_taxonomy
from newsletter.sort.matcher import compile_matcher
from newsletter.workspace import Workspace

DATA = Path(__file__).resolve().parent / "data"
ROWS = [
    json.loads(line)
    for name in ("classify_cases.jsonl", "classify_labelled.jsonl")
    for line in (DATA / name).read_text("utf-8").splitlines()
    if line.strip()
]
ROWS += [  # both items of each pair: news told twice, by two outlets (many in CJK)
    pair[side]
    for line in (DATA / "story_pairs.jsonl").read_text("utf-8").splitlines()
    if line.strip()
    for pair in [json.loads(line)]
    for side in ("a", "b")
]
NEW_NAME = "Zorblax"  # in no taxonomy until a test adds it to Japan's places
NEW_TITLE = f"{NEW_NAME} opens a robotics lab"


def labels(ws: Workspace, rows: list[dict[str, str]] | None = None) -> list[Labels]:
    """Labels with their reasons, as a new process would make them: a new Newsletter reads the cache."""
    app = Newsletter(ws)
    try:
        label = app.labeller(reasons=True)
        return [label(r["title"], r.get("summary", ""), r.get("source")) for r in rows or ROWS]
    finally:
        app.close()


def region_of(ws: Workspace, title: str) -> str:
    return labels(ws, [{"title": title}])[0].region


def cached(ws: Workspace) -> bool:
    """Whether a start now would read the taxonomy from the cache."""
    return compiled.load(ws.taxonomy_path, ws.taxonomy_cache).cached


def add_place(path: Path, region: str, place: str) -> None:
    text = path.read_text("utf-8")
    at = text.index("places = [", text.index(f"[regions.{region}]")) + len("places = [")
    path.write_text(f'{text[:at]}"{place}", {text[at:]}', "utf-8")


def test_a_warm_start_labels_as_a_cold_one(workspace: Workspace) -> None:
    assert not workspace.taxonomy_cache.exists()
    cold = labels(workspace)
    assert workspace.taxonomy_cache.is_file() and cached(workspace)
    assert labels(workspace) == cold  # regions, themes, gate evidence and every reason
    assert any(lab.region != GLOBAL for lab in cold) and any(lab.reasons for lab in cold)


def test_one_cache_file_is_kept_in_the_private_folder(workspace: Workspace) -> None:
    labels(workspace, ROWS[:1])
    add_place(workspace.taxonomy_path, "japan", NEW_NAME)
    labels(workspace, ROWS[:1])
    assert [p.name for p in workspace.private.iterdir()] == [workspace.taxonomy_cache.name]


def test_an_edited_taxonomy_changes_labels_at_the_next_start(workspace: Workspace) -> None:
    assert region_of(workspace, NEW_TITLE) == GLOBAL
    assert cached(workspace)
    add_place(workspace.taxonomy_path, "japan", NEW_NAME)
    assert not cached(workspace)
    assert region_of(workspace, NEW_TITLE) == "japan"
    assert cached(workspace) and region_of(workspace, NEW_TITLE) == "japan"


def test_a_running_app_sees_an_edited_taxonomy(workspace: Workspace) -> None:
    app = Newsletter(workspace)
    try:
        assert app.classify(NEW_TITLE).region == GLOBAL
        add_place(workspace.taxonomy_path, "japan", NEW_NAME)
        assert app.classify(NEW_TITLE).region == "japan"
    finally:
        app.close()


def key_for(ws: Workspace, code: str | None = None) -> str:
    """The key of a cache of the workspace's taxonomy as it is now, compiled by this code or the one named."""
    key = compiled.cache_key(ws.taxonomy_path, ws.taxonomy_path.read_bytes(), code)
    assert key, "every module of the package can be read"
    return key


def _with_payload(ws: Workspace, payload: bytes) -> bytes:
    """A cache file for this taxonomy and code, holding payload under a checksum that matches it."""
    head = ws.taxonomy_cache.read_bytes().partition(b" ")[0]
    key = key_for(ws)
    return b"%s %s %s\n" % (head, key.encode(), hashlib.sha256(payload).hexdigest().encode()) + payload


class _Runs:
    """Unpickled, it would call a function: the cache's unpickler knows none."""

    def __reduce__(self) -> tuple[object, tuple[()]]:
        return (os.getcwd, ())


def _flipped(data: bytes) -> bytes:
    at = len(data) * 2 // 3
    return data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1 :]


DAMAGE = {
    "empty": lambda ws, data: b"",
    "truncated": lambda ws, data: data[: len(data) // 2],
    "header only": lambda ws, data: data.partition(b"\n")[0] + b"\n",
    "a byte flipped": lambda ws, data: _flipped(data),
    "garbage": lambda ws, data: b"\x80\x05not a cache\n" * 1000,
    "not a pickle": lambda ws, data: _with_payload(ws, b"not a pickle at all"),
    "code to run": lambda ws, data: _with_payload(ws, pickle.dumps(_Runs())),
    "another shape": lambda ws, data: _with_payload(ws, pickle.dumps(("a", "tuple"))),
}


@pytest.mark.parametrize("damage", DAMAGE)
def test_a_damaged_cache_is_rebuilt_and_labels_stay_right(workspace: Workspace, damage: str) -> None:
    right = labels(workspace)
    cache = workspace.taxonomy_cache
    cache.write_bytes(DAMAGE[damage](workspace, cache.read_bytes()))
    assert not cached(workspace)
    assert labels(workspace) == right
    assert cached(workspace), "the cache was written again"


def test_a_damaged_cache_shows_nothing_on_the_command_line(workspace: Workspace) -> None:
    lines = "".join(json.dumps(r) + "\n" for r in ROWS[:50])
    first = run("classify", "--explain", cwd=workspace.root, stdin=lines)
    workspace.taxonomy_cache.write_bytes(workspace.taxonomy_cache.read_bytes()[:1000])
    again = run("classify", "--explain", cwd=workspace.root, stdin=lines)
    assert (again.returncode, again.stdout, again.stderr) == (0, first.stdout, "")


def test_a_cache_from_other_code_is_not_used(workspace: Workspace, tmp_path: Path) -> None:
    # A cache of an edited taxonomy, stamped for this taxonomy.toml as compiled by other code: not read.
    edited = tmp_path / "taxonomy.toml"
    edited.write_bytes(workspace.taxonomy_path.read_bytes())
    add_place(edited, "japan", NEW_NAME)
    taxonomy = load_taxonomy(edited)
    matcher = compile_matcher(taxonomy)
    forged = (taxonomy, matcher.index, matcher.finder.plan)
    compiled.save(workspace.taxonomy_cache, key_for(workspace, code="0.0.9 an older version"), forged)
    assert not cached(workspace)
    assert region_of(workspace, NEW_TITLE) == GLOBAL
    # The same file stamped for this code would be read: the stamp alone kept it out.
    compiled.save(workspace.taxonomy_cache, key_for(workspace), forged)
    assert cached(workspace) and region_of(workspace, NEW_TITLE) == "japan"


def test_the_key_holds_the_file_its_path_and_the_code(workspace: Workspace) -> None:
    path, raw = workspace.taxonomy_path, workspace.taxonomy_path.read_bytes()
    key = key_for(workspace)
    assert compiled.cache_key(path, raw) == key
    assert compiled.cache_key(path, raw + b"\n") != key
    assert compiled.cache_key(path.with_name("other.toml"), raw) != key
    assert compiled.cache_key(path, raw, code="another") != key


def test_no_cache_where_the_private_folder_cannot_hold_one(workspace: Workspace) -> None:
    right = labels(workspace, ROWS[:20])
    workspace.taxonomy_cache.unlink()
    workspace.taxonomy_cache.mkdir()  # neither read nor replaced
    assert labels(workspace, ROWS[:20]) == right
    workspace.taxonomy_cache.rmdir()
    workspace.private.rmdir()
    workspace.private.write_text("not a folder")  # nothing can be written under it, as in a read-only one
    assert labels(workspace, ROWS[:20]) == right
    proc = run("classify", cwd=workspace.root, stdin='{"title": "Sony opens a Tokyo lab"}\n')
    assert (proc.returncode, proc.stderr) == (0, "") and '"japan"' in proc.stdout


def test_a_bad_taxonomy_is_reported_as_without_a_cache(workspace: Workspace) -> None:
    labels(workspace, ROWS[:1])
    workspace.taxonomy_path.write_text("[regions\n", "utf-8")
    proc = run("classify", cwd=workspace.root, stdin='{"title": "x"}\n')
    assert proc.returncode == 1 and "taxonomy.toml" in proc.stderr and "Traceback" not in proc.stderr
