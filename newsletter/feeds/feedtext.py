"""Clean text out of feed HTML: plain text, boilerplate-free summaries, sentences, safe cuts.

Templates build one-line entries from these, so every function accepts any string
(feed text is untrusted) and never raises on odd input.
"""

from __future__ import annotations

import html
import re

import nh3

from . import cjk, newsstyle
from .safetext import printable, without_controls

# Block-level tags become paragraph breaks before nh3 strips every tag; <br> a line break.
_BLOCK_RE = re.compile(
    r"</?(?:p|div|li|ul|ol|dl|dt|dd|h[1-6]|blockquote|pre|table|tr|section|article|aside|header|footer"
    r"|figure|figcaption|hr|nav|main|details|summary)\b[^>]*>",
    re.IGNORECASE,
)
_BR_RE = re.compile(r"<br\b[^>]*>", re.IGNORECASE)
_PARA_SPLIT_RE = re.compile(r"\n[ \t\r\f\v\u00a0\u3000]*\n\s*")
_ESCAPED_RE = re.compile(r"&(?:#\d+|#x[0-9a-fA-F]+|[a-zA-Z]{2,8});")
_WORD_RE = re.compile(r"\w+")
_WHITESPACE_RE = re.compile(r"\s")
_INITIALS_RE = re.compile(r"(?:[a-z]\.)+[a-z]")
_SURROGATE_RE = re.compile("[\ud800-\udfff]")
_STRIP_CLEANER = nh3.Cleaner(tags=set(), clean_content_tags={"script", "style"}, link_rel=None)

TITLE_MAX = 300
"""Characters a title or name keeps: headlines run to ~150; a feed that sends a megabyte is cut."""
_TITLE_RAW_MAX = 64 * 1024  # raw characters looked at before tags are stripped: bounds the work too

# Sentence ends: Latin punctuation needs whitespace (or the end) after it, CJK full stops do not.
# Written to start with one character class (the first character of either kind of end), which lets
# the regex engine skip ahead to candidates instead of trying both branches at every offset.
_SENTENCE_END_RE = re.compile(
    r"[.!?…。！？](?:(?<=[.!?…])[.!?…]*[\"'”’»)\]]*(?=\s|$)|(?<=[。！？])[。！？]*[」』”’）)]*)",
)
_ABBREVIATIONS = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "dr",
        "st",
        "vs",
        "etc",
        "e.g",
        "i.e",
        "inc",
        "ltd",
        "co",
        "corp",
        "jr",
        "sr",
        "prof",
        "gen",
        "sen",
        "rep",
        "no",
        "vol",
        "fig",
        "approx",
        "est",
        "dept",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "u.s",
        "u.k",
        "u.n",
        "e.u",
    ]
)
_CJK_RE = re.compile(r"[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef\u3000-\u303f]")
_TRAILING_PUNCT = " \t\n,;:-–—(\"'“‘/\\&"

_BOILERPLATE_PARA_RE = re.compile(
    "|".join(
        f"(?:{p})"
        for p in (
            r"^the post\b.{0,400}\bappeared first on\b.{0,200}$",
            r"^this (?:article|story|post) (?:was )?(?:originally|first) "
            r"(?:appeared|published|posted)\b.{0,300}$",
            r"^(?:read|continue reading|read more|keep reading|read the (?:full|rest of the|whole) "
            r"(?:story|article|post)|full story|more)\b.{0,120}$",
            r"^(?:share|tweet|subscribe|sign up|follow us|follow\b.{0,40}\bon|like us on|join us on|"
            r"click here|get the latest|download (?:the|our) app|view (?:comments|original)|"
            r"leave a comment|\d+ comments?|comments?)\b.{0,200}$",
            r"^(?:photo|image|credit|source)s?:.{0,120}$",
        )
    ),
    re.IGNORECASE,
)
# Trailing boilerplate glued to the last sentence of a paragraph, each with the words it cannot match
# without: searching a paragraph for a few words is far cheaper than trying a regex at every offset.
_BOILERPLATE_TAIL_RES: list[tuple[tuple[str, ...], re.Pattern[str]]] = [
    (kw, re.compile(p, re.IGNORECASE))
    for kw, p in (
        (
            ("appeared first on",),
            r"\s*the post\b.{0,400}?\bappeared first on\b[^.]{0,200}\.?\s*$",
        ),
        (
            ("originally ", "first "),
            r"\s*this (?:article|story|post) (?:was )?(?:originally|first) (?:appeared|published)\b.{0,300}$",
        ),
        (("]", ")"), r"\s*(?:\[\s*(?:…|\.\.\.|&hellip;|more)\s*\]|\(\s*(?:…|\.\.\.)\s*\))\s*$"),
        (
            ("to read", "to continue"),  # a paywall's notice glued to the cut-off teaser it ends
            r"\s*(?:subscribe|log ?in|sign ?in|register)\b[^.]{0,40}\bto (?:read|continue reading|view)"
            r"(?: the (?:rest|full)| more)?[^.]{0,40}\.?\s*$",
        ),
        (
            ("read more", "continue reading", "keep reading", "read the full", "more »"),
            r"\s*(?:read more|continue reading|keep reading|read the full (?:story|article)|more »)"
            r"(?:\s*(?:»|→|›|\.\.\.|…))?(?:\s+(?:at|on)\s+[^.]{0,80})?\.?\s*$",
        ),
    )
]
# Under re.IGNORECASE these non-ASCII letters match ASCII ones in the keywords above; str.lower() keeps
# them apart, so they are folded before the keyword check (which must never skip a real match).
_FOLD = str.maketrans({"ſ": "s", "K": "k", "ı": "i", "İ": "i"})
_ELLIPSIS_BRACKET_RE = re.compile(r"\s*\[\s*(?:…|\.\.\.|&hellip;)\s*\]")


def _squash(text: str) -> str:
    r"""Whitespace runs as one space, ends stripped: re.sub(r"\s+", " ", text).strip() at C speed.

    str.split() and the regex \s agree on what whitespace is (checked over every code point).
    """
    return " ".join(text.split())


def _strip_tags(text: str) -> str:
    """Text with every tag stripped and entities decoded (nh3's HTML parser), script/style dropped."""
    if "<" not in text and "&" not in text:
        # Nothing for a parser to do beyond the HTML input stream's own normalisation, done here:
        # one leading BOM dropped, CR LF and CR become LF, NUL removed.
        if text.startswith("\ufeff"):
            text = text[1:]
        if "\r" in text:
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        return _no_surrogates(text.replace("\x00", "") if "\x00" in text else text)
    # nh3 (Rust, html5ever) strips every tag robustly; its output is escaped text, so unescape once.
    return html.unescape(_STRIP_CLEANER.clean(_no_surrogates(text)))


def _no_surrogates(text: str) -> str:
    """Lone surrogates (JSON feeds can carry them) replaced: nh3 cannot encode them and would raise."""
    return _SURROGATE_RE.sub("\ufffd", text) if not text.isascii() and _SURROGATE_RE.search(text) else text


def html_to_text(html_text: str) -> str:
    """Plain text of HTML: paragraphs split by blank lines, entities decoded, script/style dropped."""
    if not html_text:
        return ""
    marked = html_text
    if "<" in marked:
        marked = _BR_RE.sub("\n", marked)
        marked = _BLOCK_RE.sub("\n\n", marked)
    text = _strip_tags(marked)
    paragraphs = (_squash(p) for p in _PARA_SPLIT_RE.split(text))
    return "\n\n".join(p for p in paragraphs if p)


def plain_title(text: str) -> str:
    """A one-line plain-text title (or name): tags stripped, entities decoded, whitespace collapsed.

    Feed text is untrusted: whatever could act on a terminal or hide what the title says is removed
    (printable), and a title longer than TITLE_MAX is cut at a word.
    """
    if not text:
        return ""
    if len(text) > _TITLE_RAW_MAX:
        text = text[:_TITLE_RAW_MAX]
    if "<" in text or "&" in text:
        text = _strip_tags(text)
        # Titles are often double-escaped ("&amp;amp;"); one more pass only when it still looks escaped.
        if "&" in text and _ESCAPED_RE.search(text):
            text = html.unescape(text)
    return clean_line(text)


def clean_line(text: str) -> str:
    """Untrusted plain text as one line fit to show: printable, whitespace collapsed, cut at TITLE_MAX."""
    text = _squash(printable(text[:_TITLE_RAW_MAX]))
    return cut(text, TITLE_MAX) if len(text) > TITLE_MAX else text


def _is_abbreviation(text: str, end: int) -> bool:
    """Whether the '.' ending at text[end-1] closes an abbreviation or an initial rather than a sentence."""
    start = text.rfind(" ", 0, end - 1) + 1
    if _WHITESPACE_RE.search(text, start, end - 1):  # other whitespace: text was not collapsed
        start = end - 1
        while start > 0 and not text[start - 1].isspace():
            start -= 1
    word = text[start : end - 1].lower().lstrip("(\"'“‘")
    if word in _ABBREVIATIONS:
        return True
    # Single initials ("J. Smith") and dotted acronyms ("U.S.") are not sentence ends.
    if len(word) == 1:
        return word.isalpha()
    return "." in word and bool(_INITIALS_RE.fullmatch(word))


def _sentence_ends(text: str) -> list[int]:
    """Offsets just after each sentence end in text (none inside a quotation that closes later)."""
    ends = []
    quoted = "“" in text  # curly quotes say where a quotation opens and where it closes
    last_close = text.rfind("”")
    seen = depth = 0  # how far the quotes were counted, and how many are open there
    for m in _SENTENCE_END_RE.finditer(text):
        end = m.end()
        # "3.5" has no space after the dot and never matches; "Nov. 3" and "U.S. firms" are skipped here.
        if m.group().rstrip("\"'”’»)]") == "." and _is_abbreviation(text, m.start() + 1):
            continue
        # “Happy Independence Day! Here’s to ...” is one quotation, and one sentence.
        if quoted:
            depth += text.count("“", seen, end) - text.count("”", seen, end)
            seen = end
            if depth > 0 and last_close >= end:
                continue
        ends.append(end)
    return ends


def sentences(text: str) -> list[str]:
    """Split plain text into sentences (Latin . ! ? and CJK 。！？), whitespace collapsed. A paragraph ends
    a sentence too: a standfirst with no full stop never runs into the first sentence of the text."""
    if not text:
        return []
    if "\n" not in text:
        return _split_sentences(_squash(text))
    return [s for paragraph in _PARA_SPLIT_RE.split(text) for s in _split_sentences(_squash(paragraph))]


def _split_sentences(text: str) -> list[str]:
    """sentences() of text that is already collapsed and stripped."""
    if not text:
        return []
    out: list[str] = []
    start = 0
    for end in _sentence_ends(text):
        if end > start:
            piece = text[start:end].strip()
            if piece:
                out.append(piece)
        start = end
    rest = text[start:].strip()
    if rest:
        out.append(rest)
    return out


def _norm_key(text: str) -> str:
    r"""Lower-case words joined by one space: the same as re.sub(r"\W+", " ", text.lower()).strip().

    In ASCII a word character is [A-Za-z0-9_]: every other character becomes a space and str.split()
    finds the same words as the regex, at a third of its cost (this runs once per sentence fetched).
    """
    if text.isascii():
        return " ".join(text.lower().translate(_NON_WORD_ASCII).split())
    return " ".join(_WORD_RE.findall(text.lower()))


_NON_WORD_ASCII = {c: " " for c in range(128) if not (chr(c).isalnum() or chr(c) == "_")}


def _strip_tail(paragraph: str) -> str:
    folded = paragraph.lower() if paragraph.isascii() else paragraph.translate(_FOLD).lower()
    for keywords, rx in _BOILERPLATE_TAIL_RES:
        # Each pattern only ever removes a suffix, so words missing before cannot appear after.
        for k in keywords:
            if k in folded:
                paragraph = rx.sub("", paragraph)
                break
    if "[" in paragraph:
        paragraph = _ELLIPSIS_BRACKET_RE.sub("", paragraph)
    return paragraph.strip()


# An image's caption or a kicker above the text: a few words, no sentence ending.
_CAPTION_RE = re.compile(r"^[^\n.!?。！？…:：;；]{1,30}(?<![\"”’」』)）])$")


def clean_summary(html_or_text: str) -> str:
    """Summary text fit to quote: boilerplate lines, repeated paragraphs and repeated sentences removed.

    Like titles, summaries lose terminal controls and bidi or zero-width characters (printable).
    """
    # After html_to_text, which decodes character references such as &#27; into what they name.
    text = printable(html_to_text(html_or_text)) if html_or_text else ""
    seen_paragraphs: set[str] = set()
    seen_sentences: set[str] = set()
    kept: list[str] = []
    caption = ""  # a short unpunctuated opening line ("Samsung Pay", "Exclusive"): kept only if alone
    boilerplate = _BOILERPLATE_PARA_RE.match
    for paragraph in text.split("\n\n"):
        paragraph = _strip_tail(paragraph)
        if not paragraph or boilerplate(paragraph) or newsstyle.is_stamp(paragraph):
            continue
        if not kept and not caption and _CAPTION_RE.match(paragraph):
            caption = paragraph
            continue
        # The same as sentences(paragraph): it is stripped already.
        split = _split_sentences(_squash(paragraph))
        skeys = [_norm_key(sentence) for sentence in split]
        # Sentences cover the paragraph and each ends in a non-word character, so in ASCII (where
        # lower() works letter by letter) the paragraph's key is theirs joined: no second pass.
        key = " ".join(k for k in skeys if k) if paragraph.isascii() else _norm_key(paragraph)
        if not key or key in seen_paragraphs:
            continue
        seen_paragraphs.add(key)
        fresh: list[str] = []
        cjk_text = cjk.has_cjk(paragraph)
        for sentence, skey in zip(split, skeys, strict=True):
            # Very short fragments ("Yes.") may legitimately repeat; only dedupe real sentences.
            if len(skey) >= 12 and skey in seen_sentences:
                continue
            seen_sentences.add(skey)
            if boilerplate(sentence):
                continue
            if cjk_text:  # credits, promotion and datelines of Chinese and Japanese sites
                sentence = cjk.clean_sentence(sentence, first=not kept and not fresh)
                if not sentence:
                    continue
            elif not kept and not fresh:  # a wire's dateline, a writer's byline
                sentence = newsstyle.strip_opening(sentence)
            fresh.append(sentence)
        if fresh:
            kept.append(" ".join(fresh))
    return "\n\n".join(kept) if kept or not caption else caption


def _word_cut(text: str, limit: int) -> int:
    """Largest offset <= limit that falls between words (whitespace or next to a CJK character)."""
    if limit >= len(text):
        return len(text)
    for i in range(limit, 0, -1):
        before, after = text[i - 1], text[i]
        if after.isspace() or before.isspace() or _CJK_RE.match(before) or _CJK_RE.match(after):
            return i
    return 0


def cut(text: str, max_chars: int) -> str:
    """Shorten text to max_chars (plus one '…'): at a sentence end past 40% if any, else a word end.

    A single word longer than max_chars is the one case cut mid-word: an entry is never empty.
    """
    if max_chars < 1:
        raise ValueError("max_chars must be at least 1")
    text = _squash(text or "")
    if len(text) <= max_chars:
        return text
    ends = [e for e in _sentence_ends(text) if e <= max_chars]
    if ends and ends[-1] >= 0.4 * max_chars:
        return text[: ends[-1]].rstrip()
    head = text[: _word_cut(text, max_chars)].rstrip(_TRAILING_PUNCT)
    if not head:
        head = text[:max_chars].rstrip(_TRAILING_PUNCT) or text[:max_chars]
    return head + "…"


_SAFE_SCHEMES = {"http", "https", "mailto"}
_IMG_RE = re.compile(r"<img\b[^>]*>", re.IGNORECASE)
_IMG_SRC_RE = re.compile(r'\ssrc="https?://', re.IGNORECASE)


def sanitize_html(fragment: str, base: str = "") -> str:
    """HTML safe to embed: no script/style/iframe/form/event handlers; links http(s)/mailto only.

    Relative links are resolved against base (dropped without one); links get rel="noopener noreferrer";
    images whose src is not http(s) are removed. One nh3 pass replaces feedparser's slower sanitizer.
    """
    if not fragment:
        return ""
    relative: object = ("rewrite_with_base", base) if base.startswith(("http://", "https://")) else "deny"
    try:
        cleaned = nh3.clean(
            fragment,
            url_schemes=_SAFE_SCHEMES,
            url_relative=relative,  # type: ignore[arg-type]
            link_rel="noopener noreferrer",
        )
    except ValueError:  # a base nh3 cannot parse: drop relative links rather than fail the item
        cleaned = nh3.clean(fragment, url_schemes=_SAFE_SCHEMES, url_relative="deny")
    # nh3 serialises attributes with double quotes, so a regex over its output is reliable.
    cleaned = without_controls(cleaned)  # after nh3, which decodes &#27; into ESC
    return _IMG_RE.sub(lambda m: m.group() if _IMG_SRC_RE.search(m.group()) else "", cleaned).strip()
