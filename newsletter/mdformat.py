"""Markdown text helpers shared by draft and render: escaping feed text, safe link targets, item
markers, front matter, and HTML-to-plain-text.

Feed text is untrusted: whatever it holds, once escaped here it reads as literal text in
CommonMark (Substack, Ghost, Beehiiv) and in Python-Markdown (our HTML), and never starts a
heading, a list, a quote, a code block, a link or raw HTML.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any
from urllib.parse import quote, urlsplit

import yaml

# Escaped anywhere: backslash escapes both CommonMark and Python-Markdown honour.
_INLINE_RE = re.compile(r"([\\`*_\[\]])")
# "<" only matters before something that could open a tag, comment or autolink; "&" before an entity.
_LT_RE = re.compile(r"<(?=\S)")
_ENTITY_RE = re.compile(r"&(?=#\d+;|#[xX][0-9a-fA-F]+;|[A-Za-z][A-Za-z0-9]{1,31};)")
# A block opener at the start of a line: heading, quote, list bullet, ordered-list number, fence.
_LEAD_NUM_RE = re.compile(r"^(\d{1,9})([.)])")
_WS_RE = re.compile(r"\s+")
# Characters a URL may keep inside [text](URL); everything else is percent-encoded so a URL
# can never close the link early (")", " ") or smuggle markup ("<", '"', "`").
_URL_SAFE = ":/?#@!$&*+,;=%~-._"

ITEM_MARK_RE = re.compile(
    r"[ \t]*<!--\s*item:([0-9A-Za-z_-]+)(?:\s+story:([0-9A-Za-z_-]+))?(?:\s+fp:([0-9a-f]+))?\s*-->"
)
DROPPED_MARK_RE = re.compile(r"[ \t]*<!--\s*dropped:([0-9A-Za-z_-]+)(?:\s+story:([0-9A-Za-z_-]+))?\s*-->")
SECTION_MARK_RE = re.compile(r"^<!--\s*section:([0-9A-Za-z_-]+)\s*-->[ \t]*$")
_COMMENT_RE = re.compile(r"<!--.*?-->", re.DOTALL)


def escape(text: object) -> str:
    """Feed or editor plain text as Markdown that renders literally, on one line."""
    s = _WS_RE.sub(" ", "" if text is None else str(text)).strip()
    if not s:
        return ""
    s = _ENTITY_RE.sub("&amp;", s)
    s = _INLINE_RE.sub(r"\\\1", s)
    s = _LT_RE.sub("&lt;", s)
    s = s.replace(">", "&gt;")
    # The start of the text may land at the start of a line: neutralise block openers there.
    if s[0] in "#-+=|":
        s = "\\" + s if s[0] in "#-+" else f"&#{ord(s[0])};" + s[1:]
    elif s[0] == "~":
        s = "&#126;" + s[1:]
    else:
        s = _LEAD_NUM_RE.sub(r"\1\\\2", s)
    return s


def safe_url(url: object) -> str:
    """An absolute http(s) URL fit for a Markdown link target, or "" when it is anything else."""
    raw = ("" if url is None else str(url)).strip()
    try:
        parts = urlsplit(raw)
    except ValueError:
        return ""
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return ""
    return quote(raw, safe=_URL_SAFE)


def link(text: object, url: object) -> str:
    """[text](url) with the text escaped; plain escaped text when the URL is not http(s)."""
    target = safe_url(url)
    label = escape(text) or target
    return f"[{label}]({target})" if target else label


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


def strip_comments(markdown_text: str) -> str:
    """Markdown without HTML comments (item markers, notes to self), blank runs collapsed."""
    text = _COMMENT_RE.sub("", markdown_text)
    text = re.sub(r"[ \t]+$", "", text, flags=re.MULTILINE)
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"


# -- front matter ------------------------------------------------------------------------------


@dataclass(frozen=True)
class FrontMatterError(Exception):
    """Front matter that cannot be read; line is 1-based in the whole file."""

    message: str
    line: int


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


# -- HTML to plain text ------------------------------------------------------------------------


class _TextMaker(HTMLParser):
    """Turns the sanitized issue HTML into wrapped plain text with links written out."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[str] = []
        self.buf: list[str] = []
        self.href: list[str] = []
        self.link_text: list[int] = []
        self.lists: list[list[int]] = []  # [counter] for ol, [-1] for ul
        self.tag_stack: list[str] = []
        self.quote = 0
        self.prefix = ""

    def _flush(self, kind: str = "p") -> None:
        text = _WS_RE.sub(" ", "".join(self.buf)).strip()
        self.buf = []
        if not text:
            return
        if kind in ("h1", "h2"):
            rule = "=" if kind == "h1" else "-"
            head = text.upper() if kind == "h2" else text
            self.blocks.append(f"{head}\n{rule * min(len(head), 72)}")
            return
        indent = "> " * self.quote
        first = indent + self.prefix
        rest = indent + " " * len(self.prefix)
        self.blocks.append(
            textwrap.fill(
                text,
                72,
                initial_indent=first,
                subsequent_indent=rest,
                break_long_words=False,
                break_on_hyphens=False,
            )
        )
        self.prefix = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag in ("p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "ul", "ol"):
            self._flush()
        if tag == "blockquote":
            self.quote += 1
        elif tag == "ol":
            self.lists.append([int(a.get("start") or 1)])
        elif tag == "ul":
            self.lists.append([-1])
        elif tag == "li" and self.lists:
            counter = self.lists[-1]
            if counter[0] < 0:
                self.prefix = "- "
            else:
                self.prefix = f"{counter[0]}. "
                counter[0] += 1
        elif tag == "a":
            self.href.append(a.get("href") or "")
            self.link_text.append(len(self.buf))
        elif tag == "img":
            alt = a.get("alt") or "image"
            self.buf.append(f"[{alt}]")
        elif tag == "br":
            self.buf.append(" ")
        elif tag == "hr":
            self._flush()
            self.blocks.append("-" * 24)
        self.tag_stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self.href:
            href = self.href.pop()
            start = self.link_text.pop()
            label = "".join(self.buf[start:]).strip()
            if href and label in ("link", "link 🔒", href):
                # "… [link](url)" entries read best as the bare URL where the word "link" was.
                del self.buf[start:]
                self.buf.append(f"<{href}>" + (" 🔒" if "🔒" in label else ""))
            elif href:
                self.buf.append(f" <{href}>")
        elif tag in ("p", "li", "h1", "h2", "h3", "h4", "h5", "h6"):
            self._flush(tag)
        elif tag == "blockquote":
            self._flush()
            self.quote = max(0, self.quote - 1)
        elif tag in ("ol", "ul") and self.lists:
            self._flush()
            self.lists.pop()

    def handle_data(self, data: str) -> None:
        self.buf.append(data)


def html_to_plain(fragment: str) -> str:
    """Readable plain text of an HTML fragment, each link's URL in angle brackets after its text."""
    maker = _TextMaker()
    maker.feed(fragment)
    maker.close()
    maker._flush()
    return "\n\n".join(maker.blocks).strip() + "\n"
