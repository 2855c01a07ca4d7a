"""The `.txt` output: the issue's sanitized HTML as wrapped plain text, each link's URL written out.

Not to be confused with feeds/feedtext.py, which turns untrusted feed HTML into clean summary text.
"""

from __future__ import annotations

import re
import textwrap
from html.parser import HTMLParser

_WS_RE = re.compile(r"\s+")


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
            elif href and href != f"mailto:{label}":  # an address written out needs no "<mailto:...>"
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
