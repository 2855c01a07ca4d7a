"""One issue read from its draft and composed: what every output of render.py is made from.

The draft's front matter is checked (each key the templates read must be text, the date a date, the
week and style the draft's own) and filled in where a trimmed draft leaves keys out; the style's
`issue.md.j2` then composes the pasteable Markdown: title, subtitle, greeting, letter, sign-off, PS,
the body without its markers, the footer from settings. content_html makes that Markdown sanitized
HTML with nh3 (feed text can never become script, event handlers or javascript:/data: links).
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
import markdown
import nh3
from markdown.blockprocessors import HashHeaderProcessor
from markdown.extensions import Extension

from ..config import Settings, check_style, house_style
from ..errors import FrontMatterError, RenderError, WorkspaceError
from ..models import Week
from ..workspace import Workspace
from . import draftfile, escape, templating

# Front matter keys the templates may read; missing ones are "" so a trimmed draft still renders.
FRONT_KEYS = (
    "title", "subtitle", "date", "week", "style", "host", "city", "greeting",
    "intro", "sign_off", "signature", "ps", "preheader",
)  # fmt: skip
_TAGS = {
    "p", "h1", "h2", "h3", "h4", "h5", "h6", "a", "em", "strong", "b", "i", "blockquote", "ul", "ol",
    "li", "img", "br", "hr", "code", "pre", "del", "sup", "sub", "figure", "figcaption",
}  # fmt: skip
_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title", "width", "height"}, "ol": {"start"}}


def front_text(value: Any) -> str:
    """A front matter value as the templates show it: "" for none, a date in ISO form."""
    if value is None:
        return ""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return str(value)


@dataclass(frozen=True)
class Issue:
    """One draft, read and composed: what every output is made from."""

    week: Week
    style: str
    fm: dict[str, str]
    markdown: str  # the pasteable Markdown
    style_name: str

    @functools.cached_property
    def web_html(self) -> str:
        """Sanitized HTML for the page and the plain text, converted once however many formats use it."""
        return content_html(self.markdown)


def load_issue(ws: Workspace, settings: Settings, week: Week, style: str, env: jinja2.Environment) -> Issue:
    """The draft of this week and style, its front matter checked, composed into the issue's Markdown."""
    check_style(style)
    path = ws.draft_path(week, style)
    try:
        d = draftfile.read_draft(path)
    except FrontMatterError as exc:
        raise RenderError(
            f"{path}:{exc.line}: {exc.message} (fix the draft and build again)", path, exc.line
        ) from None
    except WorkspaceError as exc:
        raise RenderError(str(exc), path) from None
    _check_front(d, path, week, style)
    fm = {key: front_text(d.front.get(key)).strip() for key in FRONT_KEYS}
    fm["week"] = fm["week"] or str(week)
    fm["style"] = style
    fm["title"] = fm["title"] or f"{settings.style_name(style)}, {week}"
    fm["preheader"] = fm["preheader"] or fm["subtitle"] or fm["title"]
    ss = settings.style_settings(style)
    name = settings.style_name(style)
    text = templating.render_template(
        env,
        house_style(style).template("issue.md.j2"),
        fm=fm,
        body=escape.strip_comments(d.body).strip(),
        footer=_footer(settings, style, name, fm),
        settings=settings,
        ss=ss,
        style_name=name,
    )
    return Issue(week, style, fm, escape.strip_comments(text), name)


def _check_front(d: draftfile.Draft, path: Path, week: Week, style: str) -> None:
    """Refuse front matter the templates cannot use as written, naming the key and its line.

    Text keys must be text (a number or date is taken as written); the date must be a date; the
    week and style, when given, must be the draft's own, as `draft` requires too.
    """
    problem = None
    for key in FRONT_KEYS:
        value = d.front.get(key)
        if key != "date" and isinstance(value, (list, dict, set)):
            problem = key, f"{key} must be text, not a {'list' if isinstance(value, list) else 'mapping'}"
            break
    else:
        date = d.front.get("date")
        if date is not None and not isinstance(date, dt.date):
            try:
                dt.date.fromisoformat(date.strip() if isinstance(date, str) else "?")
            except ValueError:
                problem = "date", f"date {str(date)!r} is not a date: write it like {week.sunday.isoformat()}"
        for key, want, where in (("week", str(week), f"the {week} folder"), ("style", style, f"{style}.md")):
            value = d.front.get(key)
            if problem is None and value is not None and str(value).strip() != want:
                problem = key, f"its front matter says {key}: {value}, but the draft is in {where}"
    if problem is None:
        return
    key, why = problem
    if key == "style":
        why = why.replace("the draft is in ", "the draft is ")
    line = _front_line(path, key)
    raise RenderError(f"{path}:{line}: {why} (fix the draft and build again)", path, line)


def _front_line(path: Path, key: str) -> int | None:
    """The line of a top-level front matter key, for the message."""
    try:
        lines = path.read_text(encoding="utf-8").split("\n")
    except (OSError, UnicodeDecodeError):
        return None
    pattern = re.compile(rf"^{re.escape(key)}\s*:")
    for n, text in enumerate(lines[1:], 2):
        if text.rstrip() in ("---", "..."):
            break
        if pattern.match(text):
            return n
    return None


def _footer(settings: Settings, style: str, name: str, fm: dict[str, str]) -> list[str]:
    """Footer paragraphs (Markdown, from settings: the editor's own text, so not escaped)."""
    ss = settings.style_settings(style)
    default = house_style(style).footer
    lines = []
    if ss.footer:
        lines.append(_autolinked(ss.footer.strip()))
    elif default:
        where = f" in {escape.escape(fm['city'])}" if fm["city"] else ""
        lines.append(
            default.format(name=escape.escape(name), editor=escape.escape(settings.editor), where=where)
        )
    if ss.signup:
        url = escape.safe_url(ss.signup)
        lines.append(f"Sign up at {escape.link(ss.signup, url)}." if url else _autolinked(ss.signup.strip()))
    if ss.contact:
        contact = ss.contact.strip()
        if re.fullmatch(r"[^@\s<>()\[\]]+@[^@\s<>()\[\]]+", contact):
            lines.append(f"Write to us at [{escape.escape(contact)}](mailto:{contact}).")
        else:
            lines.append(_autolinked(contact))
    return lines


def _sanitize(fragment: str, base: str, email: bool) -> str:
    relative: Any = "pass_through"
    if email:
        relative = ("rewrite_with_base", base) if base else "deny"
    return nh3.clean(
        fragment,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        url_relative=relative,
        link_rel="noopener noreferrer",
        strip_comments=True,
    )


class _SpacedHeading(HashHeaderProcessor):
    """A heading is "#" and a space, as CommonMark (Substack, Ghost, Beehiiv) has it: a line opening
    with "#techAsia is co-ordinated by ..." is a paragraph there, so it is one here too."""

    RE = re.compile(
        r"(?:^|\n)(?P<level>#{1,6})(?=[ \t]|\n|$)(?P<header>(?:\\.|[^\\#]|#+(?=[^#\n]))*?)#*(?:\n|$)"
    )


class _CommonMarkHeadings(Extension):
    def extendMarkdown(self, md: markdown.Markdown) -> None:  # noqa: N802 (Python-Markdown's name)
        md.parser.blockprocessors.register(_SpacedHeading(md.parser), "hashheader", 70)


# A bare web address in the editor's footer text, not already a Markdown link or an autolink.
_BARE_URL_RE = re.compile(r"(?<![(<\[])\bhttps?://[^\s<>()\[\]]+[^\s<>()\[\].,;:!?'\"]")


def _autolinked(text: str) -> str:
    """The footer's text with each bare web address linked ("Sign up at https://... to receive ..."):
    Markdown links only addresses in <...>, so the page and the email would show it as plain text."""
    return _BARE_URL_RE.sub(lambda m: f"<{m.group()}>" if escape.safe_url(m.group()) else m.group(), text)


def content_html(markdown_text: str, base: str = "", *, email: bool = False) -> str:
    """Sanitized HTML of issue Markdown: what the page, the email and the text are all made from."""
    raw = markdown.markdown(markdown_text, output_format="html", extensions=[_CommonMarkHeadings()])
    return _sanitize(raw, base, email)
