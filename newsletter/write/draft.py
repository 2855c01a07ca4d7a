"""The draft stage: write issues/<week>/<style>.md for the editor, and never lose what they wrote.

A draft is YAML front matter (title, subtitle, intro, sign-off, PS, ... : the human parts) and
a Markdown body in the house style, one entry per story, each ending in an HTML comment
`<!-- item:ID -->` that Markdown renderers drop. Groups of entries (News in focus, a region,
the suggested reads) open with `<!-- section:KEY -->`.

Each marker also carries a fingerprint of its entry as generated, and an entry the editor drops
leaves `<!-- dropped:ID -->`: a redraft merges from the draft file alone (draft_merge.py), adding
new stories and moving entries the editor labelled but never touched.

Beside the draft, `.<style>.draft.json` records what the generator last wrote: the text's
SHA-256 and every story and item id it has put in. With it a redraft regenerates an untouched
draft whole, and sees entries the editor deleted outright (it leaves dropped markers for them).
It is an aid, not a need: without it, or with it damaged, the merge reads the draft's markers.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

from ..config import Settings, StyleSettings, check_style, house_style
from ..feeds import feedtext
from ..models import IssuePlan, Item, Section, Story
from ..workspace import Workspace, atomic_write
from . import draft_entries, draft_merge, draftfile, escape, ledes, templating

FOCUS_KEY = "focus"  # the lead stories: News in focus (atr)
READS_KEY = "reads"  # Suggested reads (techasia)


@dataclass(frozen=True)
class DraftResult:
    path: Path
    action: str  # created | merged | unchanged | replaced
    backup: Path | None = None
    added: int = 0
    notes: tuple[str, ...] = ()  # what the editor's labels moved, or why not


@dataclass(frozen=True)
class Outlet:
    name: str
    url: str
    paywalled: bool = False


@dataclass(frozen=True)
class Entry:
    """One story as the templates see it: raw text (templates escape it), links, its marker."""

    story_id: str
    item_id: str
    headline: str
    text: str  # one-line entry: the summary's first sentence when it tells the news, else the headline
    url: str
    outlet: Outlet
    also: tuple[Outlet, ...]
    sentences: tuple[str, ...]  # whole sentences within lead_chars, the news first (lead stories)
    image: str
    marker: str

    @property
    def first(self) -> str:
        """The sentence that tells the news ("": none but the heading's, and the credit stands alone)."""
        return self.sentences[0] if self.sentences else ""

    @property
    def quote(self) -> str:
        """A sentence of the source's own words to quote: the first in the writer's own voice ("I still
        trust myself more"), else the second when there is enough text to spare one."""
        voiced = [s for s in self.sentences[1:] if ledes.spoken(s)]
        if voiced:
            return voiced[0]
        return self.sentences[1] if len(self.sentences) >= 3 else ""

    @property
    def rest(self) -> tuple[str, ...]:
        """The sentences told in our voice after the first and the quote (none in the writer's voice)."""
        quote = self.quote
        return tuple(s for s in self.told if s != quote)

    @property
    def told(self) -> tuple[str, ...]:
        """Every sentence after the first that we can tell in our voice (a style that quotes none)."""
        return tuple(s for s in self.sentences[1:] if not ledes.spoken(s))


@dataclass(frozen=True)
class Group:
    key: str
    title: str
    entries: tuple[Entry, ...]


# -- the plan as template views ------------------------------------------------------------------


def _entry(story: Story, plan: IssuePlan, ss: StyleSettings) -> Entry:
    lead = story.lead
    names = plan.source_names

    def outlet(item: Item) -> Outlet:
        return Outlet(names.get(item.source_id, item.source_id), item.url, item.source_id in plan.paywalled)

    seen = {lead.source_id}
    also = []
    for item in story.also:
        if item.source_id not in seen and escape.safe_url(item.url):
            seen.add(item.source_id)
            also.append(outlet(item))
    summary = lead.summary.strip()
    headline = ledes.clean_headline(lead.title) or feedtext.cut(summary, 90) or "Untitled"
    return Entry(
        story_id=story.id,
        item_id=lead.id,
        headline=headline,
        text=ledes.entry_text(headline, summary, max(40, ss.entry_chars)),
        url=lead.url,
        outlet=outlet(lead),
        also=tuple(also),
        sentences=ledes.lead_sentences(headline, summary, max(80, ss.lead_chars)),
        image=escape.safe_url(lead.image) if ss.images else "",
        marker=draftfile.item_marker(lead.id, story.id),
    )


def _group(section: Section, plan: IssuePlan, ss: StyleSettings) -> Group:
    title = ss.section_titles.get(section.key, section.title)
    return Group(section.key, title, tuple(_entry(s, plan, ss) for s in section.stories))


def _views(plan: IssuePlan, ss: StyleSettings) -> dict[str, Any]:
    focus = tuple(_entry(s, plan, ss) for s in plan.leads)
    sections = tuple(g for g in (_group(s, plan, ss) for s in plan.sections) if g.entries)
    reads = tuple(_entry(s, plan, ss) for s in plan.reads)
    return {"focus": focus, "sections": sections, "reads": reads}


def _ordered_entries(views: dict[str, Any]) -> list[Entry]:
    out: list[Entry] = list(views["focus"])
    for group in views["sections"]:
        out.extend(group.entries)
    out.extend(views["reads"])
    return out


def _front_matter(env: jinja2.Environment, settings: Settings, plan: IssuePlan, views: dict[str, Any]) -> str:
    """Front matter for a new draft: the human parts, with honest placeholders made from the week's items."""
    style = plan.style
    declared = house_style(style)
    ss = settings.style_settings(style)
    entries = _ordered_entries(views)
    headlines = [e.headline for e in entries]
    outlets = list(dict.fromkeys(e.outlet.name for e in entries))
    city = ss.city or settings.timezone.rsplit("/", 1)[-1].replace("_", " ")
    host = ss.host or settings.editor
    context = dict(
        views,
        plan=plan,
        settings=settings,
        ss=ss,
        city=city,
        host=host,
        count=len(entries),
        outlets=outlets,
        regions=[g.title for g in views["sections"]],
        roundup=entries[1:4],
    )
    intro = templating.render_template(env, declared.template("intro.md.j2"), **context).strip()
    if declared.letter:
        title = headlines[0] if headlines else f"{settings.name}, {plan.week}"
        subtitle = templating.plus_line(headlines[1:4])
        preheader = subtitle or title
    else:
        # Two topics in a few words each, as the host would put them; never two headlines glued.
        tops = list(plan.topics[:2]) or [f"{settings.style_name(style)}, {plan.week}"]
        title = templating.join_and(tops)
        subtitle = ""
        preheader = f"Hello from {city}: " + templating.join_and(tops)
    data: dict[str, Any] = {
        "title": _one_line(title),
        "subtitle": _one_line(subtitle),
        "date": plan.week.sunday.isoformat(),
        "week": str(plan.week),
        "style": style,
        "host": host,
        "city": city,
    }
    if declared.letter:
        data["greeting"] = ss.greeting
    data["intro"] = intro + "\n"
    if declared.letter:
        data["sign_off"] = ss.sign_off
        data["signature"] = settings.editor_first_name
        data["ps"] = ss.ps or declared.ps
    data["preheader"] = _one_line(preheader)
    header = (
        "# Plain text: title, subtitle, host, city, greeting, sign_off, signature, preheader.\n"
        "# Markdown: intro, ps. Edit anything; `newsletter build` renders what is here.\n"
    )
    return header + draftfile.dump_front_matter(data)


def _one_line(value: str) -> str:
    return " ".join(value.split())


def _body(env: jinja2.Environment, settings: Settings, plan: IssuePlan, views: dict[str, Any]) -> str:
    ss = settings.style_settings(plan.style)
    body = templating.render_template(
        env,
        house_style(plan.style).template("draft.md.j2"),
        **views,
        plan=plan,
        settings=settings,
        ss=ss,
        focus_title=ss.section_titles.get(FOCUS_KEY, "News in focus"),
        reads_title=ss.section_titles.get(READS_KEY, "Suggested reads"),
    )
    # Templates keep their own layout readable; one blank line between blocks is the house rule.
    return re.sub(r"\n{3,}", "\n\n", body).strip() + "\n"


def render_body(env: jinja2.Environment, settings: Settings, plan: IssuePlan) -> str:
    """The stamped Markdown body of a plan (or of part of one: what a merge or the desk adds)."""
    return draft_entries.stamp(_body(env, settings, plan, _views(plan, settings.style_settings(plan.style))))


def body_renderer(ws: Workspace, settings: Settings) -> Callable[[IssuePlan], str]:
    """render_body with the workspace's templates, for entries placed one at a time (write/desk_edit.py)."""
    env = templating.environment(ws)
    return lambda part: render_body(env, settings, part)


def generate(env: jinja2.Environment, settings: Settings, plan: IssuePlan) -> tuple[str, dict[str, Any]]:
    """The full text of a fresh draft, and the views it was made from."""
    views = _views(plan, settings.style_settings(plan.style))
    fm = _front_matter(env, settings, plan, views)
    body = draft_entries.stamp(_body(env, settings, plan, views))
    return f"---\n{fm}---\n\n{body}", views


# -- writing and merging -----------------------------------------------------------------------


def _plan_ids(plan: IssuePlan) -> tuple[set[str], set[str]]:
    stories = [*plan.leads, *(s for sec in plan.sections for s in sec.stories), *plan.reads]
    return {s.id for s in stories}, {i.id for s in stories for i in s.items}


def _backup(path: Path, now: dt.datetime) -> Path:
    stamp = now.strftime("%Y%m%d-%H%M%S")
    backup = path.with_name(f"{path.stem}.backup-{stamp}.md")
    n = 2
    while backup.exists():
        backup = path.with_name(f"{path.stem}.backup-{stamp}-{n}.md")
        n += 1
    atomic_write(backup, path.read_bytes())
    return backup


def write_draft(
    ws: Workspace,
    settings: Settings,
    plan: IssuePlan,
    *,
    force: bool = False,
    now: dt.datetime | None = None,
    labelled: Sequence[Story] = (),
    labels_only: bool = False,
) -> DraftResult:
    """Write the week's draft: create it, regenerate it if untouched, merge into an edited one.

    labelled: the week's stories that carry an editor's label; their untouched entries move to
    where the plan puts them (see draft_merge). labels_only: act on labels and nothing else, as
    `build` does; an untouched draft is then merged too, not regenerated. A plan with no story says
    so in the notes, with where to look.
    """
    result = _write_draft(ws, settings, plan, force, now, labelled, labels_only)
    if plan.leads or plan.reads or any(section.stories for section in plan.sections):
        return result
    empty = (
        f"no story among the week's {plan.item_count} items passed the relevance gate: "
        f"`newsletter items --week {plan.week} --explain` says why, and the desk or "
        "`newsletter label ID --region REGION` puts one in"
    )
    return dataclasses.replace(result, notes=(*result.notes, empty))


def _write_draft(
    ws: Workspace,
    settings: Settings,
    plan: IssuePlan,
    force: bool,
    now: dt.datetime | None,
    labelled: Sequence[Story],
    labels_only: bool,
) -> DraftResult:
    style = check_style(plan.style)
    path = ws.draft_path(plan.week, style)
    env = templating.environment(ws)
    fresh, views = generate(env, settings, plan)
    stories, items = _plan_ids(plan)
    draftfile.check_regular(path)
    if not path.exists():
        if labels_only:
            return DraftResult(path, "unchanged")
        atomic_write(path, fresh)
        draftfile.save_state(path, fresh, stories, items)
        return DraftResult(path, "created", None, len(_ordered_entries(views)))
    if force:
        backup = _backup(path, now or dt.datetime.now())
        atomic_write(path, fresh)
        draftfile.save_state(path, fresh, stories, items)
        return DraftResult(path, "replaced", backup, 0)
    try:
        current = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise draft_merge.conflict(path, f"cannot read the draft ({exc})") from None
    state = draftfile.load_state(path)  # None when missing or damaged: the draft's own markers suffice
    untouched = bool(state and state["sha256"] and draftfile.sha(current) == state["sha256"])
    if untouched and not labels_only:
        # Untouched since the generator wrote it: nothing of the editor's to keep.
        if current == fresh:
            return DraftResult(path, "unchanged")
        atomic_write(path, fresh)
        draftfile.save_state(path, fresh, stories, items)
        return DraftResult(path, "replaced")
    merged = draft_merge.merge(
        path=path,
        current=current,
        plan=plan,
        fresh=fresh,
        render=lambda part: render_body(env, settings, part),
        record=state,
        labelled=labelled,
        labels_only=labels_only,
    )
    if merged.changed:
        atomic_write(path, merged.text)
    if merged.changed or state is None:
        # Labels applied to an untouched draft leave generator output only: it stays regenerable.
        intro = str(state.get("intro_sha256") or "") if state else ""
        draftfile.save_state(path, merged.text if untouched else None, merged.stories, merged.items, intro)
    action = "merged" if merged.changed else "unchanged"
    return DraftResult(path, action, None, merged.added, merged.notes)
