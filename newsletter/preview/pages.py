"""What the preview shows: rendered views (errors caught), the index, the issue page and its toolbar,
and the live-reload script.

None of this reaches built files: render.py writes those; these pages only frame them.
"""

from __future__ import annotations

import html
import sys
import threading
import traceback
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from ..config import STYLES, Settings
from ..errors import NewsletterError, RenderError
from ..models import Week
from ..workspace import Workspace
from .weeks import WeekCache

VIEWS = (("web", "Web"), ("email", "Email"), ("side", "Side by side"), ("md", "Markdown"))
SANDBOX = (
    "allow-same-origin allow-popups"  # frames run no script; same-origin lets the page keep their scroll
)

# URL suffix of a raw view -> (fmt name for render.render_view, content type); the toolbar links them all.
RAW_VIEWS = {
    ".html": ("html", "text/html; charset=utf-8"),
    ".email.html": ("email", "text/html; charset=utf-8"),
    ".md": ("md", "text/plain; charset=utf-8"),  # text/plain so browsers show it instead of saving it
    ".txt": ("txt", "text/plain; charset=utf-8"),
}

_e = html.escape


@dataclass(frozen=True)
class Failure:
    """Why a view could not be rendered, shown on the page so the editor can fix it and save."""

    message: str
    path: str = ""
    line: int | None = None

    @property
    def where(self) -> str:
        if not self.path:
            return ""
        return f"{self.path}, line {self.line}" if self.line else self.path


class PreviewApp(Protocol):
    """What preview needs from app.Newsletter (kept narrow so the server is testable on its own)."""

    @property
    def ws(self) -> Workspace: ...

    def settings(self) -> Settings: ...

    def resolve_week(self, text: str | None) -> tuple[Week, str | None]: ...

    def ensure_draft(self, week: Week, style: str) -> Path: ...


class Views:
    """Renders an issue's views for the preview, one at a time, turning every error into a Failure."""

    def __init__(self, app: PreviewApp, cache: WeekCache) -> None:
        self.app = app
        self.cache = cache
        # Requests arrive on many threads; the app's store and drafting are used one at a time.
        # Rendering an existing draft needs neither, so it never waits behind a week being ranked.
        self.lock = threading.Lock()

    def styles(self) -> tuple[str, ...]:
        try:
            return self.app.settings().styles
        except NewsletterError:
            return STYLES  # a broken newsletter.toml still lets the page load and show the error

    def render(self, week: Week, style: str, fmt: str) -> str | Failure:
        """One view from the current draft and templates (what `build` writes), or why it cannot be."""
        from ..write import render as render_mod  # imported late: render pulls in Jinja2 and Markdown

        app = self.app
        try:
            if not app.ws.draft_path(week, style).exists():
                with self.lock:
                    self.cache.ensure_draft(week, style)
            return render_mod.render_view(app.ws, app.settings(), week, style, fmt)
        except RenderError as exc:
            return Failure(str(exc), _shown_path(app.ws, exc.path), exc.line)
        except NewsletterError as exc:
            return Failure(str(exc), _shown_path(app.ws, getattr(exc, "path", None)))
        except Exception as exc:  # a bug in a stage: show it, keep serving, recover on the next save
            traceback.print_exc(file=sys.stderr)
            return Failure(f"{type(exc).__name__}: {exc}")

    def index(self, weeks: Sequence[Week], current: Week | None, nonce: str) -> str:
        styles = self.styles()
        rows = []
        for week in weeks:
            rows.append((week, {s: self.app.ws.draft_path(week, s).exists() for s in styles}))
        return index_page(rows, current, nonce)

    def desk_failure(self, week: Week, style: str, message: str, nonce: str) -> str:
        return desk_failure_page(week, style, self.styles(), message, nonce)

    def issue(self, week: Week, style: str, view: str, nonce: str) -> str:
        """The issue page; the views it shows render now, so an error shows on the page, not in a frame."""
        email = self.render(week, style, "email")  # always: the toolbar shows its size
        shown = {"web": ("html",), "email": ("email",), "side": ("html", "email"), "md": ("md",)}[view]
        views = {fmt: email if fmt == "email" else self.render(week, style, fmt) for fmt in shown}
        failure = next((v for v in views.values() if isinstance(v, Failure)), None)
        markdown = views.get("md", "")
        return issue_page(
            week,
            style,
            self.styles(),
            view,
            nonce,
            email_bytes=None if isinstance(email, Failure) else len(email.encode("utf-8")),
            markdown=markdown if isinstance(markdown, str) else "",
            failure=failure,
        )


def _shown_path(ws: Workspace, path: object) -> str:
    if not path:
        return ""
    p = Path(str(path))
    try:
        return str(p.resolve().relative_to(ws.root))
    except (ValueError, OSError):
        return str(p)


_STYLE = """
*{box-sizing:border-box}html,body{margin:0;height:100%}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2330;background:#eef0f4;
display:flex;flex-direction:column}
.bar{display:flex;align-items:center;gap:14px;padding:8px 16px;background:#1d2330;color:#e8ebf1;
flex-wrap:wrap}
.bar a{color:inherit;text-decoration:none}.brand{font-weight:650;letter-spacing:.2px}
.brand small{font-weight:400;color:#9aa3b5;margin-left:6px}
.seg{display:inline-flex;background:#2c3446;border-radius:7px;padding:2px}
.seg a{padding:4px 11px;border-radius:5px;color:#c6ccd8}.seg a:hover{color:#fff}
.seg a.on{background:#e8ebf1;color:#1d2330;font-weight:600}
.meta{margin-left:auto;display:flex;gap:12px;align-items:center;color:#9aa3b5;font-size:12.5px}
.meta a{color:#c6ccd8;border-bottom:1px dotted #6b7590}.meta a:hover{color:#fff}
.kb{padding:2px 8px;border-radius:10px;background:#2c3446;color:#e8ebf1}.kb.over{background:#b3261e}
.live{width:8px;height:8px;border-radius:50%;background:#4caf50;display:inline-block}
#preview{flex:1;display:flex;gap:16px;padding:16px;min-height:0}
.pane{flex:1;display:flex;flex-direction:column;min-width:0}
.pane h2{margin:0 0 6px;font-size:11.5px;text-transform:uppercase;letter-spacing:.6px;color:#5b6478}
iframe{flex:1;width:100%;border:0;background:#fff;border-radius:8px;box-shadow:0 1px 4px rgba(0,0,0,.12)}
.view-email{justify-content:center}.pane.email{flex:0 0 640px;max-width:100%}
.pane.email iframe{width:640px;max-width:100%;margin:0 auto}
pre.md{flex:1;margin:0;overflow:auto;background:#fff;padding:18px 22px;border-radius:8px;white-space:pre-wrap;
font:13px/1.55 ui-monospace,"SF Mono",Menlo,Consolas,monospace;box-shadow:0 1px 4px rgba(0,0,0,.12)}
#preview.broken{display:block}
.error{max-width:900px;margin:0 auto;padding:16px 20px;background:#fff4f2;border:1px solid #e3a59c;
border-radius:8px;
color:#7a1c12}
.error h1{font-size:16px;margin:0 0 6px}.error pre{white-space:pre-wrap;margin:8px 0 0;font-size:13px}
#preview.index{display:block;padding:24px 32px;max-width:860px;flex:none}.index h1{font-size:20px}
.index table{border-collapse:collapse;width:100%;background:#fff;border-radius:8px;overflow:hidden}
.index td,.index th{padding:8px 14px;border-bottom:1px solid #e3e6ec;text-align:left}
.index a{color:#1a56c4}.index a.desk{margin-left:10px;font-size:12.5px;padding:1px 8px;
border:1px solid #c9d3e6;border-radius:10px;text-decoration:none}
"""

_SCRIPT = r"""
(function(){
  var keep = {};
  function remember(){ document.querySelectorAll("[data-key]").forEach(function(el){
    try { keep[el.dataset.key] = el.tagName === "IFRAME" ? el.contentWindow.scrollY : el.scrollTop; }
    catch(e){}
  }); }
  function wire(){ document.querySelectorAll("[data-key]").forEach(function(el){
    var y = keep[el.dataset.key] || 0;
    if (el.tagName !== "IFRAME") { el.scrollTop = y; return; }
    el.addEventListener("load", function(){ try {
      el.contentDocument.querySelectorAll("a[href]").forEach(function(a){
        a.target = "_blank"; a.rel = "noopener"; });
      el.contentWindow.scrollTo(0, y);
    } catch(e){} });
  }); }
  function refresh(){
    remember();
    fetch(location.href, {cache: "no-store"}).then(function(r){ return r.text(); }).then(function(text){
      // The new page's <style> carries another nonce; parsing it here would only log a CSP refusal.
      text = text.replace(/<style[^>]*>[\s\S]*?<\/style>/, "");
      var doc = new DOMParser().parseFromString(text, "text/html");
      ["bar", "preview"].forEach(function(id){
        var fresh = doc.getElementById(id), old = document.getElementById(id);
        if (fresh && old) old.replaceWith(document.adoptNode(fresh));
      });
      document.title = doc.title; wire();
    }).catch(function(){ location.reload(); });
  }
  var lost = false, es = new EventSource("/__events");
  es.onmessage = refresh;
  es.onerror = function(){ lost = true; };
  es.onopen = function(){ if (lost) { lost = false; refresh(); } };
  wire();
})();
"""


def frame(page: str, title: str, nonce: str, body: str, *, css: str = "", script: str = _SCRIPT) -> str:
    """A preview page: the shared style (and any more), the body, and its one script, under the nonce."""
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{_e(title)}</title>'
        '<meta name="viewport" content="width=device-width,initial-scale=1"><link rel="icon" href="data:,">'
        f'<style nonce="{nonce}">{_STYLE}{css}</style></head><body class="{page}">{body}'
        f'<script nonce="{nonce}">{script}</script></body></html>'
    )


def index_page(rows: Sequence[tuple[Week, dict[str, bool]]], current: Week | None, nonce: str) -> str:
    """Weeks (newest first) and, for each, its styles and whether each is drafted yet."""
    styles = list(rows[0][1]) if rows else []
    lines = []
    for week, drafted in rows:
        todo = " <small>(not drafted yet)</small>"
        cells = "".join(
            f'<td><a href="/{week}/{_e(s)}">{_e(s)}</a>{"" if done else todo} '
            f'<a class="desk" href="/{week}/{_e(s)}/desk">Desk</a></td>'
            for s, done in drafted.items()
        )
        note = " <small>(this week)</small>" if week == current else ""
        lines.append(f"<tr><th>{week}{note}</th>{cells}</tr>")
    head = "".join(f"<th>{_e(s)}</th>" for s in styles)
    body = (
        '<div class="bar" id="bar"><a class="brand" href="/">newsletter <small>preview</small></a></div>'
        f'<div class="index" id="preview"><h1>Issues</h1>'
        f"<table><tr><th>week</th>{head}</tr>{''.join(lines)}</table></div>"
    )
    return frame("page-index", "newsletter preview", nonce, body)


def toolbar(week: Week, style: str, styles: Iterable[str], view: str, email_bytes: int | None) -> str:
    """The bar above every issue page: styles, views (the desk first), the email's size, raw files.

    view is a key of VIEWS, or "desk" (then the style links lead to each style's desk, and the
    email's size, which would cost a render, is left out).
    """
    base = f"/{week}/{style}"
    desk = f'<a class="{"on" if view == "desk" else ""}" href="{base}/desk" title="curate the week">Desk</a>'
    views = desk + "".join(
        f'<a class="{"on" if key == view else ""}" href="{base}?view={key}">{label}</a>'
        for key, label in VIEWS
    )
    others = "".join(
        f'<a class="{"on" if s == style else ""}" '
        f'href="/{week}/{_e(s)}{"/desk" if view == "desk" else f"?view={view}"}">{_e(s)}</a>'
        for s in styles
    )
    size = '<span class="kb over" title="the email does not render">email: error</span>'
    if view == "desk":
        size = ""
    elif email_bytes is not None:
        # The email rendered, so render (and its Jinja2) is loaded already: one limit for build and preview.
        from ..write.render import GMAIL_CLIP_BYTES

        over = " over" if email_bytes > GMAIL_CLIP_BYTES else ""
        tip = f"Gmail clips messages over {GMAIL_CLIP_BYTES // 1024} KB"
        size = f'<span class="kb{over}" title="{tip}">email {email_bytes / 1024:.1f} KB</span>'
    raws = " ".join(f'<a href="{base}{suffix}">{fmt}</a>' for suffix, (fmt, _) in RAW_VIEWS.items())
    return (
        f'<div class="bar" id="bar"><a class="brand" href="/">newsletter <small>{week}</small></a>'
        f'<nav class="seg" aria-label="style">{others}</nav><nav class="seg" aria-label="view">{views}</nav>'
        f'<div class="meta">{size}<span>raw: {raws}</span>'
        '<span class="live" title="reloads when you save"></span></div></div>'
    )


def issue_page(
    week: Week,
    style: str,
    styles: Iterable[str],
    view: str,
    nonce: str,
    *,
    email_bytes: int | None,
    markdown: str = "",
    failure: Failure | None = None,
) -> str:
    """The toolbar and the chosen view (web, email, both, Markdown), or the error that stops them."""
    bar = toolbar(week, style, styles, view, email_bytes)
    if failure is not None:
        main = (
            '<main id="preview" class="broken"><div class="error" role="alert">'
            f"{_failure_html(failure)}<p>Fix it and save: this page updates itself.</p></div></main>"
        )
    else:
        src = f"/{week}/{style}"
        web = (
            '<section class="pane web"><h2>Web page</h2><iframe data-key="web" title="web page" '
            f'sandbox="{SANDBOX}" src="{src}.html"></iframe></section>'
        )
        email = (
            '<section class="pane email"><h2>Email, 600px</h2><iframe data-key="email" title="email" '
            f'sandbox="{SANDBOX}" src="{src}.email.html"></iframe></section>'
        )
        md = (
            '<section class="pane"><h2>Markdown</h2>'
            f'<pre class="md" data-key="md">{_e(markdown)}</pre></section>'
        )
        panes = {"web": web, "email": email, "side": web + email, "md": md}[view]
        main = f'<main id="preview" class="view-{view}">{panes}</main>'
    return frame("page-issue", f"{week} {style} · preview", nonce, bar + main)


def desk_failure_page(week: Week, style: str, styles: Iterable[str], message: str, nonce: str) -> str:
    """The desk when it cannot open (no items that week, a broken seeds file): why, and what to do."""
    main = (
        '<main id="preview" class="broken"><div class="error" role="alert"><h1>The desk cannot open</h1>'
        f"<pre>{_e(message)}</pre><p>Fix it and save: this page updates itself.</p></div></main>"
    )
    bar = toolbar(week, style, styles, "desk", None)
    return frame("page-desk", f"Desk · {week} {style}", nonce, bar + main)


def failure_page(failure: Failure) -> str:
    """A raw view that failed: the error, escaped, without the toolbar or any script."""
    return f'<!doctype html><meta charset="utf-8"><title>render error</title>{_failure_html(failure)}'


def _failure_html(failure: Failure) -> str:
    """The error and where it is, escaped (it quotes templates and drafts)."""
    where = f"<p>in <code>{_e(failure.where)}</code></p>" if failure.where else ""
    return f"<h1>Cannot render this issue</h1>{where}<pre>{_e(failure.message)}</pre>"
