"""The draft file format: YAML front matter, a Markdown body with item and section markers, and the record.

A draft is YAML front matter (title, subtitle, intro, sign-off, PS, ... : the human parts) and
a Markdown body in the house style, one entry per story, each ending in an HTML comment
`<!-- item:ID -->` that Markdown renderers drop. Groups of entries (News in focus, a region,
the suggested reads) open with `<!-- section:KEY -->`.

Beside the draft, `.<style>.draft.json` records what the generator last wrote: the text's
SHA-256 and every story and item id it has ever put in (see draft_merge.py for how a redraft uses it),
and the hash of the intro the generator wrote, kept across merges, so `send` can refuse an intro
nobody rewrote.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ..errors import FrontMatterError, WorkspaceError
from ..workspace import atomic_write
from . import escape

STATE_VERSION = 1
ITEM_MARK_RE = re.compile(
    r"[ \t]*<!--\s*item:([0-9A-Za-z_-]+)(?:\s+story:([0-9A-Za-z_-]+))?(?:\s+fp:([0-9a-f]+))?\s*-->"
)
DROPPED_MARK_RE = re.compile(r"[ \t]*<!--\s*dropped:([0-9A-Za-z_-]+)(?:\s+story:([0-9A-Za-z_-]+))?\s*-->")
SECTION_MARK_RE = re.compile(r"^<!--\s*section:([0-9A-Za-z_-]+)\s*-->[ \t]*$")


def item_marker(item_id: str, story_id: str, fp: str = "") -> str:
    """The comment that ties an entry to its item (and story, when they differ) and, once the draft
    stage has stamped it, the fingerprint of the entry as generated; renderers drop it."""
    story = f" story:{story_id}" if story_id and story_id != item_id else ""
    stamp = f" fp:{fp}" if fp else ""
    return f"<!-- item:{item_id}{story}{stamp} -->"


def dropped_marker(item_id: str, story_id: str = "") -> str:
    """The comment left for an entry the editor dropped, so a redraft never brings it back."""
    story = f" story:{story_id}" if story_id and story_id != item_id else ""
    return f"<!-- dropped:{item_id}{story} -->"


def section_marker(key: str) -> str:
    return f"<!-- section:{key} -->"


# -- front matter ------------------------------------------------------------------------------


def split_front_matter(text: str) -> tuple[str, str]:
    """(front matter YAML, body) of a draft's text."""
    text = text.replace("\r\n", "\n").lstrip("\ufeff")
    lines = text.split("\n")
    if not lines or lines[0].rstrip() != "---":
        raise FrontMatterError("the draft must start with a '---' line opening its front matter", 1)
    for n in range(1, len(lines)):
        # Only an unindented line closes it: "---" inside an indented block scalar is content.
        if lines[n].rstrip() in ("---", "..."):
            return "\n".join(lines[1:n]) + "\n", "\n".join(lines[n + 1 :])
    raise FrontMatterError("the front matter has no closing '---' line", 1)


class _FrontLoader(yaml.SafeLoader):
    """YAML without aliases to lists or mappings: a draft needs none, and nested ones (the
    "billion laughs") expand to gigabytes once anything turns the value into text."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            target = self.anchors.get(event.anchor)
            if target is not None and not isinstance(target, yaml.ScalarNode):
                raise yaml.composer.ComposerError(
                    None, None, f"an alias (*{event.anchor}) to a list or mapping", event.start_mark
                )
        return super().compose_node(parent, index)


def parse_front_matter(yaml_text: str) -> dict[str, Any]:
    """The front matter as a dict; YAML errors carry their line within the file (front matter at line 2)."""
    try:
        data = yaml.load(yaml_text, Loader=_FrontLoader)  # noqa: S506 - a SafeLoader, aliases bounded
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = (mark.line + 2) if mark is not None else 1
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise FrontMatterError(f"front matter is not valid YAML ({problem})", line) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise FrontMatterError("front matter must be 'key: value' lines", 2)
    return data


class _BlockDumper(yaml.SafeDumper):
    """Writes multi-line strings as literal blocks (|) so the editor sees paragraphs, not escapes."""


def _str_presenter(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_BlockDumper.add_representer(str, _str_presenter)


def dump_front_matter(data: dict[str, Any]) -> str:
    text = yaml.dump(data, Dumper=_BlockDumper, allow_unicode=True, sort_keys=False, width=4096)
    return str(text)


# -- the draft file ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Draft:
    path: Path
    front: dict[str, Any]
    body: str


def check_regular(path: Path) -> None:
    """Refuse a draft path that is a pipe or device: reading one would block or never end."""
    if path.exists() and not path.is_file() and not path.is_dir():
        raise WorkspaceError(f"{path} is not a regular file (a pipe or device): move it away", path)


def read_draft(path: Path) -> Draft:
    """Parse a draft file; FrontMatterError (with a line) when its front matter cannot be read."""
    check_regular(path)
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise WorkspaceError(f"no draft at {path}: run `newsletter draft` first", path) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise WorkspaceError(f"cannot read the draft {path}: {exc}", path) from None
    fm_text, body = split_front_matter(raw)
    return Draft(path, parse_front_matter(fm_text), body)


# -- the record beside it -------------------------------------------------------------------------


def state_path(path: Path) -> Path:
    return path.with_name(f".{path.stem}.draft.json")


def sha(data: str) -> str:
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


def save_state(
    path: Path, generated: str | None, stories: set[str], items: set[str], intro_sha: str = ""
) -> None:
    """Record the ids drafted so far, and the hash of the text only when it is pure generator output.

    A merged draft holds the editor's work, so it gets no hash: it must never look untouched. The
    generated intro's hash is kept across merges (pass it as intro_sha), so `send` can tell an intro
    nobody rewrote.
    """
    digest = sha(generated) if generated is not None else ""
    if generated is not None:
        intro_sha = intro_fingerprint(parse_front_matter(split_front_matter(generated)[0]).get("intro"))
    state = {"version": STATE_VERSION, "sha256": digest, "stories": sorted(stories), "items": sorted(items)}
    state["intro_sha256"] = intro_sha
    atomic_write(state_path(path), json.dumps(state, indent=1) + "\n")


def load_state(path: Path) -> dict[str, Any] | None:
    try:
        state = json.loads(state_path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    # A record edited by hand or cut short reads as missing (the draft's markers then do), never a KeyError.
    ok = (
        isinstance(state, dict)
        and state.get("version") == STATE_VERSION
        and isinstance(state.get("sha256"), str)
        and all(_str_list(state.get(key)) for key in ("stories", "items"))
    )
    return state if ok else None


def _str_list(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def intro_fingerprint(intro: object) -> str:
    """A hash of an intro's words (comments and spacing aside); "" for an intro with no words."""
    words = " ".join(escape.strip_comments(str(intro or "")).split())
    return sha(words) if words else ""


def intro_is_generated(path: Path, intro: object) -> bool:
    """Whether the draft's intro still has the generator's words (`send` refuses those)."""
    state = load_state(path)
    recorded = state.get("intro_sha256") if state else None
    return bool(recorded) and recorded == intro_fingerprint(intro)
