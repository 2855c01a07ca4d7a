"""Where a style's draft can put a story, and the story's entry there, as `newsletter draft` writes it.

The desk adds and moves entries one at a time (desk_edit.py); what an entry says in each group, and
the groups a style's draft can hold, are read off the draft's own templates, never written twice.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from ..config import house_style
from ..errors import DeskError
from ..models import IssuePlan, Section, Story
from . import draft_entries


class Placer:
    """Where a style's draft can put a story, and its entry there, rendered as `newsletter draft` would.

    The groups are read off the templates themselves (a plan holding one story in every place it can
    go), so a workspace's own templates and section titles are what the desk offers. `sample` is any
    story of the week, for that reading.
    """

    def __init__(
        self, render: Callable[[IssuePlan], str], plan: IssuePlan, sections: list[Section], sample: Story
    ) -> None:
        self.render = render
        self.plan = plan
        self.sections = sections
        self.planner = house_style(plan.style).planner
        every = self._render(sample, "*", lead=True, read=True)
        groups = draft_entries.groups_of(every)
        self.heads = {key: lines[: _first_entry(lines)] for key, lines in groups.items()}
        titles = draft_entries.group_titles(every)
        self.titles = {key: titles.get(key, "") for key in self.heads}
        lead = _groups_in(self._render(sample, None, lead=True))
        reads = _groups_in(self._render(sample, None, read=True))
        self.lead_key = lead[0] if lead else ""
        self.reads_key = reads[0] if reads else ""

    def _render(self, story: Story, key: str | None, *, lead: bool = False, read: bool = False) -> list[str]:
        sections = tuple(Section(s.key, s.title, (story,)) for s in self.sections if key in (s.key, "*"))
        part = dataclasses.replace(
            self.plan, leads=(story,) if lead else (), sections=sections, reads=(story,) if read else ()
        )
        return self.render(part).split("\n")

    @property
    def order(self) -> list[str]:
        """Group keys in house order."""
        return list(self.heads)

    def default_key(self, story: Story) -> str:
        """Where one click puts a story: its region's section (styles by region), else Suggested reads."""
        if self.planner == "regions":
            return story.labels.region if story.labels.region in self.heads else self.lead_key
        return self.reads_key or self.lead_key

    def check(self, key: str) -> str:
        if key not in self.heads:
            raise DeskError(f"no section {key!r} in this style's draft (it has: {', '.join(self.heads)})")
        return key

    def entry(self, story: Story, key: str) -> list[str]:
        """The story's entry lines as the draft's templates write them in this group."""
        self.check(key)
        lead, read = key == self.lead_key, key == self.reads_key
        rendered = self._render(story, None if lead or read else key, lead=lead, read=read)
        group = draft_entries.groups_of(rendered).get(key, [])
        return group[_first_entry(group) :]


def _groups_in(lines: list[str]) -> list[str]:
    return [m.group for m in draft_entries.marks(lines)]


def _first_entry(lines: list[str]) -> int:
    """Where a rendered group's first entry starts (a heading story starts at its heading)."""
    found = draft_entries.marks(lines)
    return found[0].start if found else len(lines)
