"""The render stage: turn the editor's draft into the outputs of one issue, plus the archive and feed.

The draft `issues/<week>/<style>.md` is the source of truth and is never written here. Its
front matter holds the human parts (title, intro, sign-off, PS, host, ...), its body the
stories; issue.py reads and checks it and composes the issue. Outputs, all beside the draft:

- `md`    -> `<style>.paste.md`: CommonMark to paste into Substack, Ghost or Beehiiv. The style's
             `issue.md.j2` composes it: `# Title`, the subtitle in italics, the greeting, letter,
             sign-off and PS (from the front matter), the body, the footer (from settings). No front
             matter and no comments (item markers are HTML comments and are stripped), so nothing
             stray shows up once pasted. The title and subtitle are the first two paragraphs, ready
             to move into the platform's own title fields.
- `html`  -> `<style>.html`: that Markdown through Python-Markdown, sanitized with nh3 (feed text
             can never become script, event handlers or javascript:/data: links), in one shared page.
- `email` -> `<style>.email.html`: the same content in a 600px table column, CSS inlined with
             css_inline (no <style> left), a hidden preheader first in the body, links and images
             made absolute against base_url (relative ones are dropped without it).
- `txt`   -> `<style>.txt`: plain text from the sanitized HTML, each link's URL written out.
- `eml`   -> `<style>.eml`: the `txt` and `email` outputs as one MIME message (message.py), From,
             Reply-To and unsubscribe headers from [send]; without a [send] table a plain build leaves
             it out, and `all` leaves it out with a warning.

Every output is rendered in memory first and written with atomic_write afterwards, so a failed
or interrupted build leaves the previous outputs whole.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import css_inline
import jinja2
from markupsafe import Markup

from ..config import STYLES, Settings
from ..errors import FrontMatterError, RenderError, WorkspaceError
from ..models import UTC, Week
from ..workspace import FORMATS, Workspace, atomic_write
from . import draftfile, message, plaintext, templating
from .issue import Issue, content_html, front_text, load_issue

GMAIL_CLIP_BYTES = 102 * 1024


@dataclass(frozen=True)
class BuildResult:
    paths: tuple[Path, ...]
    warnings: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()  # what the editor's labels moved in the draft first, or why not


def _base(settings: Settings) -> str:
    base = settings.base_url.strip()
    if base and not base.endswith("/"):
        base += "/"
    return base if base.startswith(("http://", "https://")) else ""


def _web_href(settings: Settings, week: Week, style: str) -> str:
    base = _base(settings)
    return f"{base}{week}/{style}.html" if base else ""


def _render(env: jinja2.Environment, settings: Settings, issue: Issue, fmt: str) -> str:
    base = _base(settings)
    common: dict[str, Any] = dict(
        fm=issue.fm, settings=settings, style=issue.style, style_name=issue.style_name, week=str(issue.week)
    )
    if fmt == "md":
        return issue.markdown
    if fmt == "html":
        content = Markup(issue.web_html)
        return templating.render_template(
            env, "shared/page.html.j2", content=content, feed_href="../feed.xml", **common
        )
    if fmt == "email":
        content = Markup(content_html(issue.markdown, base, email=True))
        page = templating.render_template(
            env,
            "shared/email.html.j2",
            content=content,
            web_href=_web_href(settings, issue.week, issue.style),
            **common,
        )
        inliner = css_inline.CSSInliner(
            load_remote_stylesheets=False, keep_style_tags=False, keep_link_tags=False
        )
        try:
            out = str(inliner.inline(page))
            return out if out.endswith("\n") else out + "\n"  # a text file; and the .eml part is the same
        except ValueError as exc:
            raise RenderError(
                f"shared/email.html.j2: CSS cannot be inlined ({exc})", "shared/email.html.j2"
            ) from None
    if fmt == "txt":
        text = plaintext.html_to_plain(issue.web_html)
        web = _web_href(settings, issue.week, issue.style)
        return text + (f"\nRead this issue on the web: {web}\n" if web else "")
    raise RenderError(f"unknown format {fmt!r}: choose one of {', '.join(FORMATS)}")


def render_view(ws: Workspace, settings: Settings, week: Week, style: str, fmt: str) -> str:
    """One output of the current draft, rendered without writing anything (the preview uses it)."""
    env = templating.environment(ws)
    return _render(env, settings, load_issue(ws, settings, week, style, env), fmt)


def _expand(formats: Sequence[str]) -> list[str]:
    wanted = list(FORMATS) if not formats or "all" in formats else list(dict.fromkeys(formats))
    for fmt in wanted:
        if fmt not in FORMATS:
            raise RenderError(f"unknown format {fmt!r}: choose {', '.join(FORMATS)} or all")
    return wanted


def _eml(settings: Settings, issue: Issue, email_html: str, text: str, now: dt.datetime) -> str:
    if settings.send is None:
        raise RenderError(f"--format eml: {message.NOT_CONFIGURED}")
    msg = message.compose(
        settings.send,
        subject=issue.fm["title"],
        sender_name=issue.style_name,
        text=text,
        html=email_html,
        now=now,
        tz=settings.tz,
    )
    return message.as_text(msg)


def build_outputs(
    ws: Workspace,
    settings: Settings,
    week: Week,
    style: str,
    formats: Sequence[str],
    now: dt.datetime | None = None,
) -> BuildResult:
    """Render the chosen outputs of one issue from its draft; all are rendered before any is written."""
    env = templating.environment(ws)
    issue = load_issue(ws, settings, week, style, env)
    wanted = _expand(formats)
    warnings = []
    if "eml" in wanted and settings.send is None and (not formats or "all" in formats):
        # A plain `build` makes what is configured, quietly; `--format all` says what it left out.
        wanted.remove("eml")
        if formats:
            warnings.append(message.NOT_CONFIGURED)
    rendered = {fmt: _render(env, settings, issue, fmt) for fmt in wanted if fmt != "eml"}
    if "eml" in wanted:
        parts = {f: rendered.get(f) or _render(env, settings, issue, f) for f in ("email", "txt")}
        now = now or dt.datetime.now(UTC)
        rendered["eml"] = _eml(settings, issue, parts["email"], parts["txt"], now)
    if "email" in rendered:
        size = len(rendered["email"].encode("utf-8"))
        if size > GMAIL_CLIP_BYTES:
            warnings.append(
                f"{week} {style}.email.html is {size / 1024:.0f} KB, over Gmail's 102 KB clip: "
                f"cut entries or shorten them in the draft"
            )
        if not _base(settings) and re.search(r'(?:href|src)="(?!https?:|mailto:)', rendered["email"]):
            warnings.append(f"{week} {style}.email.html has relative links: set base_url in newsletter.toml")
    paths = []
    for fmt, body in rendered.items():
        path = ws.output_path(week, style, fmt)
        atomic_write(path, body)  # a refused write is a WorkspaceError naming the file
        paths.append(path)
    return BuildResult(tuple(paths), tuple(warnings))


# -- archive -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ArchiveEntry:
    week: str
    style: str
    style_name: str
    title: str
    subtitle: str
    date: str
    href: str  # relative to issues/
    id: str
    updated: str  # RFC 3339, UTC
    summary: str


def _rfc3339(moment: dt.datetime) -> str:
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _archive_entries(ws: Workspace, settings: Settings) -> list[ArchiveEntry]:
    entries: list[ArchiveEntry] = []
    for folder in ws.week_folders():
        for style in STYLES:
            page = ws.output_path(folder.name, style, "html")
            if not page.is_file():
                continue
            front: dict[str, Any] = {}
            # An unreadable draft still leaves a built page worth listing.
            with contextlib.suppress(FrontMatterError, WorkspaceError):
                front = draftfile.read_draft(ws.draft_path(folder.name, style)).front
            name = settings.style_name(style)
            title = front_text(front.get("title")).strip() or f"{name}, {folder.name}"
            subtitle = front_text(front.get("subtitle")).strip()
            mtime = dt.datetime.fromtimestamp(page.stat().st_mtime, UTC)
            entries.append(
                ArchiveEntry(
                    week=folder.name,
                    style=style,
                    style_name=name,
                    title=title,
                    subtitle=subtitle,
                    date=front_text(front.get("date")).strip() or folder.name,
                    href=f"{folder.name}/{style}.html",
                    id="urn:uuid:"
                    + str(uuid.uuid5(uuid.NAMESPACE_URL, f"{_feed_key(settings)}/{folder.name}/{style}")),
                    updated=_rfc3339(mtime),
                    summary=front_text(front.get("preheader")).strip() or subtitle,
                )
            )
    return entries


def _feed_key(settings: Settings) -> str:
    return _base(settings) or f"newsletter:{settings.name}"


def build_archive(ws: Workspace, settings: Settings) -> list[Path]:
    """issues/index.html listing every built issue and issues/feed.xml, an Atom feed of them."""
    env = templating.environment(ws)
    issues = _archive_entries(ws, settings)
    base = _base(settings)
    updated = max((i.updated for i in issues), default=_rfc3339(dt.datetime(2000, 1, 1, tzinfo=UTC)))
    index = templating.render_template(env, "shared/archive.html.j2", issues=issues, settings=settings)
    feed = templating.render_template(
        env,
        "shared/feed.xml.j2",
        issues=issues,
        settings=settings,
        base=base,
        updated=updated,
        feed_id="urn:uuid:" + str(uuid.uuid5(uuid.NAMESPACE_URL, _feed_key(settings))),
    )
    out = [ws.issues / "index.html", ws.issues / "feed.xml"]
    for path, body in zip(out, (index, feed), strict=True):
        atomic_write(path, body)
    return out
