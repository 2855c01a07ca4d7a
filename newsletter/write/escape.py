"""Markdown escaping: feed and editor text that renders literally, safe link targets, comments stripped.

Feed text is untrusted: whatever it holds, once escaped here it reads as literal text in
CommonMark (Substack, Ghost, Beehiiv) and in Python-Markdown (our HTML), and never starts a
heading, a list, a quote, a code block, a link or raw HTML.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

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


def strip_comments(markdown_text: str) -> str:
    """Markdown without HTML comments (item markers, notes to self), blank runs collapsed."""
    text = _COMMENT_RE.sub("", markdown_text)
    text = re.sub(r"[ \t]+$", "", text, flags=re.MULTILINE)
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"
