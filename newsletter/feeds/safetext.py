"""Untrusted text made safe to show: nothing in it acts on a terminal, hides what it says, or leaks.

Feed text is cleaned with `printable` when it is parsed (titles, names, summaries); what a server
says (a reason phrase, an error) where fetch records it; and what the CLI prints from the store goes
through `shown` once more, since a store may predate the cleaning. `json_safe` escapes instead of
removing, for --json output that scripts read. Light (only `re`), so the CLI can import it at start.
"""

from __future__ import annotations

import re

# Feed text must never act on a terminal. Whole escape sequences go (CSI such as ESC[2J, and the
# string commands OSC/DCS/APC/PM/SOS such as ESC]0;title BEL or ESC]52;clipboard BEL, in their 7- and
# 8-bit forms), then any control character left: C0 but tab and newline, DEL, C1. Whitespace controls
# (VT, FF, CR, FS..US, NEL) become spaces, as str.split() reads them: a bare CR could overwrite a line.
_TERMINAL_RE = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?"
    r"|(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c]{0,4096}(?:\x07|\x1b\\|\x9c)?"
    r"|\x1b[ -/]*[0-~]?"
    r"|[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f]"
)
_SPACE_CONTROL_RE = re.compile(r"[\x0b-\x0d\x1c-\x1f\x85]")
# Characters that are invisible yet change what a reader sees or what a search matches: bidi
# embeddings, overrides, isolates and marks (U+202E turns "exe.txt" around), zero-width spaces,
# word joiners, BOMs, soft hyphens, the Mongolian vowel separator and Unicode tag characters. Joiners
# (ZWJ, ZWNJ) stay after an Arabic or Indic letter, and ZWJ before an emoji, where they are spelling.
_INVISIBLE_RE = re.compile(
    "[\u00ad\u061c\u180e\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff"
    "\U000e0000-\U000e007f]"
    "|(?<![\u0600-\u06ff\u0900-\u0dff])(?:\u200c|\u200d(?![\u2600-\u27bf\U0001f000-\U0001faff]))"
)
_TERMINAL_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# One character class (a fast scan) finding every candidate for the two above; most text has none.
_UNSAFE_RE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069"
    "\ufeff\U000e0000-\U000e007f]"
)
# Up to the last @ before the host ends, as urlsplit reads the userinfo; "mailto:a@b" has no //.
_CREDENTIALS_RE = re.compile(r"(\b[A-Za-z][A-Za-z0-9+.-]*://)[^/?#\s]*@")


def without_controls(text: str) -> str:
    """Text that cannot act on a terminal: escape sequences and control characters out (tab, newline kept)."""
    if not _TERMINAL_CONTROL_RE.search(text):
        return text  # the common case, at the cost of one scan at C speed
    text = _TERMINAL_RE.sub("", text)
    return _SPACE_CONTROL_RE.sub(" ", text)


def printable(text: str) -> str:
    """Text safe to show: no terminal controls (without_controls), no bidi or zero-width characters."""
    if text.isascii():
        return without_controls(text)
    if not _UNSAFE_RE.search(text):
        return text
    return _INVISIBLE_RE.sub("", without_controls(text))


def without_credentials(text: str) -> str:
    """A URL, or a message holding URLs, fit to print: a user:password@ (or token@) becomes ***@."""
    return _CREDENTIALS_RE.sub(r"\1***@", text) if "@" in text else text


def shown(message: str) -> str:
    """A message that may quote a feed, a server or a URL, fit to print: printable, no credentials."""
    return without_credentials(printable(message))


def json_safe(text: str) -> str:
    """JSON text with what printable would remove \\u-escaped instead: the data stays, the terminal is safe.

    json.dumps escapes C0 controls itself, but with ensure_ascii=False it leaves C1 controls, bidi
    and zero-width characters raw; they only ever occur inside strings, where an escape means the same.
    """
    return _UNSAFE_RE.sub(_escape, text) if not text.isascii() or _TERMINAL_CONTROL_RE.search(text) else text


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code > 0xFFFF:  # JSON spells a character outside the BMP as a surrogate pair
        code -= 0x10000
        return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
    return f"\\u{code:04x}"
