"""The desk's HTML: the page, the candidates list and the draft pane (both also sent alone on updates).

Everything a feed wrote is escaped here (html.escape), links are http(s) only (escape.safe_url), and
entries are the issue's own sanitized HTML (render.content_html: nh3, no script, no javascript:), so
feed text stays inert; the page runs one script, under the preview's per-response nonce.
"""

from __future__ import annotations

import functools
import html
import json
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from ..config import house_style
from ..models import Week
from ..sort.taxonomy import Taxonomy
from ..write import desk_edit
from . import pages
from .candidates import Candidate, Listing
from .desk import View

_e = html.escape
_NUMBERED = re.compile(r"^(\d{1,9})\. ")
_ASSETS = Path(__file__).parent
DESK_CSS = (_ASSETS / "desk.css").read_text(encoding="utf-8")
DESK_JS = (_ASSETS / "desk.js").read_text(encoding="utf-8")
FIELD_NAMES = {"title": "Title", "subtitle": "Subtitle", "host": "Host", "city": "City", "intro": "Intro"}
FIELD_NAMES["ps"] = "PS"
PLACES = [("out", "Not in the draft"), ("in", "In the draft"), ("dropped", "Dropped")]
KEYS = (
    ("j k", "next, previous"),
    ("← →", "candidates, draft"),
    ("/", "search"),
    ("a", "add"),
    ("l", "lead"),
    ("m", "move to…"),
    ("⇧↑ ⇧↓", "up, down"),
    ("e", "edit"),
    ("r", "relabel"),
    ("d", "drop"),
    ("x", "why"),
    ("u", "undo"),
    ("i", "issue details"),
    ("?", "all keys"),
)


def _json_attr(value: object) -> str:
    return _e(json.dumps(value, ensure_ascii=False))


def desk_page(
    *,
    week: Week,
    style: str,
    styles: Iterable[str],
    nonce: str,
    token: str,
    view: View,
    groups: Sequence[tuple[str, str]],
    lead_key: str,
    listing: Listing,
    list_key: str,
    taxonomy: Taxonomy,
) -> str:
    """The whole desk: the toolbar, the candidates beside the draft, and the keys."""
    regions = [(rid, r.name) for rid, r in taxonomy.regions.items()]
    regions.append(("global", taxonomy.region_name("global")))
    themes = [(tid, t.name) for tid, t in taxonomy.themes.items()]
    f = listing.filters

    def options(name: str, label: str, choices: Sequence[tuple[str, str]], chosen: str) -> str:
        opts = "".join(
            f'<option value="{_e(k)}"{" selected" if k == chosen else ""}>{_e(v)}</option>'
            for k, v in choices
        )
        return f'<select name="{name}" aria-label="{label}"><option value="">{label}</option>{opts}</select>'

    filters = (
        '<form class="filters" id="filters" role="search" autocomplete="off">'
        f'<input type="search" name="q" value="{_e(f.q)}" placeholder="Search headlines, outlets, ids" '
        'aria-label="search the candidates" aria-keyshortcuts="/"><kbd class="hint">/</kbd>'
        + options("region", "All regions", regions, f.region)
        + options("theme", "All themes", themes, f.theme)
        + options("gate", "Gate: all", [("in", "Passed the gate"), ("out", "Kept out")], f.gate)
        + options("draft", "Draft: all", PLACES, f.draft)
        + "</form>"
    )
    keys = "".join(f"<span><kbd>{_e(k)}</kbd> {_e(v)}</span>" for k, v in KEYS)
    body = (
        pages.toolbar(week, style, styles, "desk", None)
        + f'<main id="desk" data-week="{week}" data-style="{_e(style)}" data-token="{_e(token)}" '
        f'data-sections="{_json_attr(groups)}" data-lead="{_e(lead_key)}" '
        f'data-regions="{_json_attr(regions)}" data-themes="{_json_attr(themes)}">'
        '<section class="col" id="cands" aria-label="Candidates">'
        '<header class="head"><h2>Candidates</h2><span class="count" id="cand-count"></span></header>'
        f"{filters}{candidate_list(listing, groups, list_key)}</section>"
        '<section class="col" id="draft-col" aria-label="Draft">'
        f"{draft_pane(view, week, style, groups)}</section></main>"
        '<div id="toast" role="status" aria-live="polite"></div>'
        f'<footer class="keys" id="keys" aria-label="keyboard shortcuts">{keys}</footer>'
    )
    return pages.frame("page-desk", f"Desk · {week} {style}", nonce, body, css=DESK_CSS, script=DESK_JS)


# -- candidates ----------------------------------------------------------------------------------


def candidate_list(listing: Listing, groups: Sequence[tuple[str, str]], key: str = "") -> str:
    """The candidates page: counts, one row per story, and a button for the next page.

    key says what the list depends on (Desk.list_key): the page skips a list it already shows.
    """
    rows = "".join(candidate_row(c, groups) for c in listing.rows)
    start = listing.filters.offset
    more = ""
    if listing.more:
        step = min(listing.more, listing.filters.limit)
        more = (
            f'<button type="button" class="more" data-offset="{start + len(listing.rows)}">'
            f"Show {step:,} more <small>({listing.more:,} left)</small></button>"
        )
    if not listing.rows:
        rows = '<p class="empty">No story matches these filters.</p>'
    count = f"{listing.total:,} stories · {listing.passed:,} passed the gate"
    if listing.matched != listing.total:
        count = f"{listing.matched:,} of {count}"
    return (
        f'<div class="list" id="cand-list" data-count="{_e(count)}" data-offset="{start}" '
        f'data-query="{_e(listing.filters.key())}" data-key="{_e(key)}">{rows}{more}</div>'
    )


def candidate_row(c: Candidate, groups: Sequence[tuple[str, str]]) -> str:
    """One candidate: its score, headline, outlets, date, labels, the gate's call, and its actions."""
    titles = dict(groups)
    story = c.story
    labels = c.labels
    verdict = c.verdict
    cls = ["cand", "in" if c.passed else "out"]
    if c.where:
        cls.append("placed")
    if c.dropped:
        cls.append("dropped")
    if labels.overridden:
        cls.append("labelled")
    themes = "".join(f'<span class="chip theme">{_e(t)}</span>' for t in c.theme_names)
    mine = '<span class="chip ed" title="your label">labelled</span>' if labels.overridden else ""
    outlets = _e(", ".join(c.outlets[:3]) + (f" +{len(c.outlets) - 3}" if len(c.outlets) > 3 else ""))
    date = f" · {_e(c.date)}" if c.date else ""
    gate = "Passed" if c.passed else "Kept out"
    why = _e(verdict.why) if verdict else "no verdict"
    status = ""
    if c.where:
        status = f'<span class="where">in {_e(titles.get(c.where) or c.where)}</span>'
    elif c.dropped:
        status = '<span class="where dropped">dropped</span>'
    add = ""
    if c.where:
        move = '<button type="button" data-action="move" title="move its entry (m)">Move…</button>'
    else:
        add = '<button type="button" class="primary" data-action="add" title="add it to the draft (a)">'
        add += "+ Add</button>"
        move = '<button type="button" data-action="move" title="add it to a section (m)">Add to…</button>'
    link = ""
    if c.url:
        link = (
            f'<a class="open" href="{_e(c.url)}" target="_blank" rel="noopener noreferrer" '
            'title="open the article (o)">↗</a>'
        )
    return (
        f'<article class="{" ".join(cls)}" data-item="{_e(c.item)}" data-story="{_e(story.id)}" '
        f'data-region="{_e(labels.region)}" data-themes="{_e(",".join(labels.themes))}" tabindex="-1">'
        f'<div class="score" title="score: {_e(_parts(story.score_parts))}">{story.score:.1f}</div>'
        f'<div class="main"><h3 class="hl">{_e(c.headline)}</h3>'
        f'<p class="info">{outlets}{date} · <span class="chip region">{_e(c.region_name)}</span>'
        f"{themes}{mine}</p>"
        f'<p class="why"><b>{gate}</b> {why}</p></div>'
        f'<div class="side">{status}{add}</div><div class="acts">{move}'
        '<button type="button" data-action="lead" title="make it a lead story (l)">Lead</button>'
        '<button type="button" data-action="relabel" title="change its region or themes (r)">Relabel</button>'
        f"{link}</div>"
        '<details class="explain"><summary>Why</summary></details></article>'
    )


def _parts(parts: Sequence[tuple[str, float]]) -> str:
    return ", ".join(f"{k} {v:.2f}" for k, v in parts if v)


def why(c: Candidate) -> str:
    """Why: the gate's verdict, the score's parts, and each label's evidence (what items --explain says);
    fetched when the editor opens it, so a page of candidates stays light."""
    verdict = c.verdict
    gate = "in the issue" if c.passed else "kept out"
    rows = [f"<dt>gate</dt><dd>{gate}: {_e(verdict.why if verdict else '-')}</dd>"]
    rows.append(f"<dt>score {c.story.score:.2f}</dt><dd>{_e(_parts(c.story.score_parts)) or '-'}</dd>")
    reasons = [
        f"{_e(r.kind)} {_e(r.label)}: “{_e(r.term)}” in {_e(r.where)} (+{r.weight:g})"
        for r in c.labels.reasons
    ]
    rows.append(f"<dt>labels</dt><dd>{'<br>'.join(reasons) or 'no evidence beyond the source'}</dd>")
    items = "".join(f"<li>{_e(i.title)} <small>{_e(i.id)}</small></li>" for i in c.story.items)
    count = len(c.story.items)
    rows.append(f"<dt>{count} item{'s' if count > 1 else ''}</dt><dd><ul>{items}</ul></dd>")
    return f'<dl class="why-list">{"".join(rows)}</dl>'


# -- the draft -----------------------------------------------------------------------------------


def draft_pane(view: View, week: Week, style: str, groups: Sequence[tuple[str, str]]) -> str:
    """The draft as the desk shows it: its file, undo, the issue's details, then each group's entries."""
    titles = dict(groups)
    outline = view.outline
    undo_tip = f"Undo: {view.undo} (u)" if view.undo else "nothing to undo"
    count = sum(len(g.entries) for g in outline.groups)
    sections = "".join(_group(g, titles) for g in outline.groups)
    dropped = len({i for i in outline.dropped})
    foot = (
        f'<p class="dropped-note">{dropped} dropped id{"s" if dropped != 1 else ""} remembered: '
        "a redraft never brings them back</p>"
        if dropped
        else ""
    )
    return (
        f'<div id="draft" data-version="{_e(view.version)}">'
        '<header class="head"><h2>Draft</h2>'
        f'<code class="file" title="the file is the truth: edit it anywhere too">'
        f"issues/{week}/{_e(style)}.md</code>"
        f'<span class="count">{count} entries</span>'
        f'<button type="button" class="undo" data-action="undo" title="{_e(undo_tip)}"'
        f"{'' if view.undo else ' disabled'}>↶ Undo</button></header>"
        f'<div class="scroll">{_front(outline.front, style)}{sections}{foot}</div></div>'
    )


def _front(front: dict[str, object], style: str) -> str:
    fields = [f for f in desk_edit.FRONT_FIELDS if f != "ps" or house_style(style).letter or "ps" in front]

    def value(key: str) -> str:
        raw = front.get(key)
        return "" if raw is None else str(raw)

    inputs = []
    for key in fields:
        if key in desk_edit.ONE_LINE:
            control = f'<input name="{key}" value="{_e(value(key))}">'
        else:
            rows = 7 if key == "intro" else 2
            control = f'<textarea name="{key}" rows="{rows}">{_e(value(key))}</textarea>'
        inputs.append(f'<label class="f-{key}"><span>{FIELD_NAMES[key]}</span>{control}</label>')
    byline = " · ".join(x for x in (value("host"), value("city")) if x)
    return (
        '<section class="front" id="front" aria-label="issue details">'
        f'<div class="show"><h3>{_e(value("title")) or "<i>no title</i>"}</h3>'
        f'<p class="sub">{_e(value("subtitle"))}</p><p class="by">{_e(byline)}</p>'
        '<button type="button" class="edit-front" title="title, intro, host… (i)">Edit details</button></div>'
        f'<form class="form" hidden>{"".join(inputs)}<div class="row">'
        '<button type="submit" class="primary" data-action="edit">Save</button>'
        '<button type="button" class="cancel">Cancel</button><small>Ctrl+Enter saves · Esc cancels</small>'
        "</div></form></section>"
    )


def _group(group: desk_edit.Group, titles: dict[str, str]) -> str:
    title = group.title or titles.get(group.key) or group.key or "Before the first section"
    entries = "".join(_entry(e) for e in group.entries)
    return (
        f'<section class="group" data-section="{_e(group.key)}"><h3>{_e(title)} '
        f'<span class="n">{len(group.entries)}</span></h3>{entries}</section>'
    )


def _entry(entry: desk_edit.Entry) -> str:
    cls = "entry" if entry.untouched else "entry edited"
    if "\n\n" in entry.markdown:
        cls += " long"  # a story under a heading: its first lines show until it is selected
    return (
        f'<article class="{cls}" data-item="{_e(entry.item_id)}" data-story="{_e(entry.story_id)}" '
        'tabindex="-1">'
        f'<div class="body">{_shown(entry.markdown)}</div>'
        f'<textarea class="src" hidden aria-label="the entry\'s Markdown">{_e(entry.markdown)}</textarea>'
        '<div class="acts">'
        '<button type="button" data-action="up" title="up (shift+↑)">↑</button>'
        '<button type="button" data-action="down" title="down (shift+↓)">↓</button>'
        '<button type="button" data-action="move" title="move to another section (m)">Move…</button>'
        '<button type="button" data-action="lead" title="make it a lead, or the top story (l)">Lead</button>'
        '<button type="button" data-action="edit" title="edit the text (e)">Edit</button>'
        '<button type="button" data-action="relabel" title="region, themes (r)">Relabel</button>'
        '<button type="button" class="danger" data-action="drop" '
        'title="drop it: no redraft brings it back (d)">'
        "Drop</button></div></article>"
    )


def _shown(markdown_text: str) -> str:
    """An entry's HTML; a numbered one (a suggested read) keeps its number, which alone it would lose."""
    numbered = _NUMBERED.match(markdown_text)
    if numbered is None:
        return entry_html(markdown_text)
    rest = markdown_text[numbered.end() :]
    return f'<ol start="{int(numbered.group(1))}"><li>{entry_html(rest)}</li></ol>'


@functools.lru_cache(maxsize=4096)
def entry_html(markdown_text: str) -> str:
    """An entry as readers will see it: the issue's Markdown converter and sanitizer (nh3)."""
    from ..write.render import content_html

    return content_html(markdown_text)
