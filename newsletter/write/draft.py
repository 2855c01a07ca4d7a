"""The draft stage: write issues/<week>/<style>.md for the editor, and never lose what they wrote.

A draft is YAML front matter (title, subtitle, intro, sign-off, PS, ... : the human parts) and
a Markdown body in the house style, one entry per story, each ending in an HTML comment
`<!-- item:ID -->` that Markdown renderers drop. Groups of entries (News in focus, a region,
the suggested reads) open with `<!-- section:KEY -->`.

Beside the draft, `.<style>.draft.json` records what the generator last wrote: the text's
SHA-256 and every story and item id it has ever put in. With it a redraft can tell an
untouched draft (regenerate it), an edited one (merge: add only stories never drafted before,
each at the end of its group, leaving the editor's text and order alone), and an entry the
editor deleted (never re-added). Without it, or with front matter it cannot read, a redraft
refuses with DraftConflict rather than guess.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

from ..config import Settings, StyleSettings, check_style, house_style
from ..errors import DraftConflict, FrontMatterError
from ..feeds import feedtext
from ..models import IssuePlan, Item, Section, Story
from ..workspace import Workspace, atomic_write
from . import draftfile, escape, ledes, templating

FOCUS_KEY = "focus"  # the lead stories: News in focus (atr)
READS_KEY = "reads"  # Suggested reads (techasia)


@dataclass(frozen=True)
class DraftResult:
    path: Path
    action: str  # created | merged | unchanged | replaced
    backup: Path | None = None
    added: int = 0


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
        return self.sentences[0] if self.sentences else self.text

    @property
    def quote(self) -> str:
        """A sentence of the source's own words to quote, when there is enough text to spare one."""
        return self.sentences[1] if len(self.sentences) >= 3 else ""

    @property
    def rest(self) -> tuple[str, ...]:
        return self.sentences[2:] if self.quote else self.sentences[1:]


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
        subtitle = "Plus: " + templating.join_and(headlines[1:4]) if len(headlines) > 1 else ""
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


def generate(env: jinja2.Environment, settings: Settings, plan: IssuePlan) -> tuple[str, dict[str, Any]]:
    """The full text of a fresh draft, and the views it was made from."""
    views = _views(plan, settings.style_settings(plan.style))
    fm = _front_matter(env, settings, plan, views)
    return f"---\n{fm}---\n\n{_body(env, settings, plan, views)}", views


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


def _conflict(path: Path, why: str) -> DraftConflict:
    return DraftConflict(
        f"{path}: {why}; your draft was left as it is: fix it, or run `newsletter draft --force` "
        f"to start over (a timestamped backup is kept beside it)",
        path,
    )


def write_draft(
    ws: Workspace, settings: Settings, plan: IssuePlan, *, force: bool = False, now: dt.datetime | None = None
) -> DraftResult:
    """Write the week's draft: create it, regenerate it if untouched, merge new stories into an edited one."""
    style = check_style(plan.style)
    path = ws.draft_path(plan.week, style)
    env = templating.environment(ws)
    fresh, views = generate(env, settings, plan)
    stories, items = _plan_ids(plan)
    if not path.exists():
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
        raise _conflict(path, f"cannot read the draft ({exc})") from None
    state = draftfile.load_state(path)
    if state is None:
        raise _conflict(
            path,
            f"its record {draftfile.state_path(path).name} is missing or unreadable, "
            "so new stories cannot be told from deleted ones",
        )
    if state["sha256"] and draftfile.sha(current) == state["sha256"]:
        # Untouched since the generator wrote it: nothing of the editor's to keep.
        if current == fresh:
            return DraftResult(path, "unchanged")
        atomic_write(path, fresh)
        draftfile.save_state(path, fresh, stories, items)
        return DraftResult(path, "replaced")
    merged, added, new_stories, new_items = _merge(env, settings, plan, path, current, state, fresh)
    if not added:
        return DraftResult(path, "unchanged")
    atomic_write(path, merged)
    stories, items = set(state["stories"]) | new_stories, set(state["items"]) | new_items
    draftfile.save_state(path, None, stories, items, str(state.get("intro_sha256") or ""))
    return DraftResult(path, "merged", None, added)


def _merge(
    env: jinja2.Environment,
    settings: Settings,
    plan: IssuePlan,
    path: Path,
    current: str,
    state: dict[str, Any],
    fresh: str,
) -> tuple[str, int, set[str], set[str]]:
    """The edited draft with never-drafted stories added at the end of their groups, and how many."""
    try:
        fm_text, body = draftfile.split_front_matter(current)
        front = draftfile.parse_front_matter(fm_text)
    except FrontMatterError as exc:
        raise _conflict(path, f"line {exc.line}: {exc.message}") from None
    for key, want in (("week", str(plan.week)), ("style", plan.style)):
        if key in front and str(front[key]) != want:
            raise _conflict(path, f"its front matter says {key}: {front[key]}, not {want}")
    in_draft_stories: set[str] = set()
    in_draft_items: set[str] = set()
    for m in draftfile.ITEM_MARK_RE.finditer(body):
        in_draft_items.add(m.group(1))
        in_draft_stories.add(m.group(2) or m.group(1))
    known_stories = in_draft_stories | set(state["stories"])
    known_items = in_draft_items | set(state["items"])

    def is_new(story: Story) -> bool:
        return story.id not in known_stories and not any(i.id in known_items for i in story.items)

    new_plan = dataclasses.replace(
        plan,
        leads=tuple(s for s in plan.leads if is_new(s)),
        sections=tuple(
            dataclasses.replace(sec, stories=tuple(s for s in sec.stories if is_new(s)))
            for sec in plan.sections
        ),
        reads=tuple(s for s in plan.reads if is_new(s)),
    )
    new_stories, new_items = _plan_ids(new_plan)
    if not new_stories:
        return current, 0, set(), set()
    # The house order of groups comes from the fresh draft write_draft already rendered.
    order = list(_group_spans(draftfile.split_front_matter(fresh)[1].split("\n")))
    additions = _groups(_body(env, settings, new_plan, _views(new_plan, settings.style_settings(plan.style))))
    lines = body.split("\n")
    added = 0
    for key, group_lines in additions.items():
        entry_lines = _entry_lines(group_lines)
        added += sum(1 for line in entry_lines if draftfile.ITEM_MARK_RE.search(line))
        lines = _insert(lines, key, group_lines, entry_lines, order)
    return f"---\n{fm_text}---\n" + "\n".join(lines), added, new_stories, new_items


def _group_spans(lines: list[str]) -> dict[str, tuple[int, int]]:
    """Group key -> [start, end) line span: from its section marker to the next marker or the end."""
    starts = [(n, m.group(1)) for n, line in enumerate(lines) if (m := draftfile.SECTION_MARK_RE.match(line))]
    spans: dict[str, tuple[int, int]] = {}
    for i, (n, key) in enumerate(starts):
        end = starts[i + 1][0] if i + 1 < len(starts) else len(lines)
        spans.setdefault(key, (n, end))
    return spans


def _groups(body: str) -> dict[str, list[str]]:
    lines = body.split("\n")
    return {key: _trim(lines[a:b]) for key, (a, b) in _group_spans(lines).items()}


def _trim(lines: list[str]) -> list[str]:
    while lines and not lines[-1].strip():
        lines = lines[:-1]
    return lines


def _entry_lines(group_lines: list[str]) -> list[str]:
    """A generated group without its marker and heading: from the first entry to the end."""
    for n, line in enumerate(group_lines):
        if draftfile.ITEM_MARK_RE.search(line):
            return group_lines[n:]
    return []


_LIST_ITEM_RE = re.compile(r"^\d+\. ")


def _insert(
    lines: list[str], key: str, group_lines: list[str], entry_lines: list[str], order: list[str]
) -> list[str]:
    spans = _group_spans(lines)
    if key in spans:
        start, end = spans[key]
        pos = end
        while pos > start + 1 and not lines[pos - 1].strip():
            pos -= 1
        existing = lines[start:pos]
        if all(_LIST_ITEM_RE.match(line) for line in entry_lines if line.strip()):
            # A numbered list continues without a blank line (a blank would loosen it) and keeps counting.
            count = sum(1 for line in existing if _LIST_ITEM_RE.match(line))
            renumbered = []
            for line in entry_lines:
                head, sep, rest = line.partition(". ")
                if sep and head.isdigit():
                    count += 1
                    line = f"{count}. {rest}"
                renumbered.append(line)
            return lines[:pos] + renumbered + lines[pos:]
        return lines[:pos] + ["", *entry_lines] + lines[pos:]
    # The group is not in the draft: place it before the next group (in the house order) that is.
    later = order[order.index(key) + 1 :] if key in order else []
    for other in later:
        if other in spans:
            pos = spans[other][0]
            return lines[:pos] + [*group_lines, ""] + lines[pos:]
    tail = _trim(lines)
    return [*tail, "", *group_lines, ""]
