"""The house styles, each declared once: a third style is one more entry in HOUSE_STYLES plus its templates.

`newsletter --help` reads these and nothing else of the configuration.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import StyleError


@dataclass(frozen=True)
class HouseStyle:
    """One house style, declared once: a new style is one more entry in HOUSE_STYLES plus its templates.

    Its templates are templates/KEY/draft.md.j2, intro.md.j2 and issue.md.j2; newsletter.toml may
    tune it under [style.KEY] (see settings.StyleSettings).
    """

    key: str  # on the command line, in [style.KEY] and as the templates/KEY/ folder
    label: str  # what editors call it, in help text
    planner: str  # how curate lays out the week: "regions" or "themes" (see sort/curate.py PLANNERS)
    letter: bool  # a letter: greeting, sign-off, signature and PS; titled by its top story
    own_name: bool  # the issue goes out under [newsletter] name, not the label
    sections: tuple[
        str, ...
    ] = ()  # section keys when [style.KEY] sections is empty (planner default if none)
    ps: str = ""  # the PS of a new letter when [style.KEY] ps is empty
    footer: str = ""  # footer Markdown when [style.KEY] footer is empty: {name}, {editor}, {where}

    def template(self, name: str) -> str:
        return f"{self.key}/{name}"


HOUSE_STYLES = (
    HouseStyle(
        key="atr",
        label="Asia Tech Review",
        planner="regions",
        letter=True,
        own_name=True,
        sections=("china", "india", "southeast-asia", "south-korea", "japan", "taiwan", "rest-of-asia"),
        ps="Know someone who follows tech in Asia? Forward them this letter.",
    ),
    HouseStyle(
        key="techasia",
        label="#techAsia",
        planner="themes",
        letter=False,
        own_name=False,
        footer="{name} is co-ordinated by {editor}{where}.",
    ),
)
STYLES = tuple(s.key for s in HOUSE_STYLES)


def house_style(key: str) -> HouseStyle:
    """The style declared under this key; StyleError naming the choices for any other."""
    for style in HOUSE_STYLES:
        if style.key == key:
            return style
    raise StyleError(f"unknown style {key!r}: choose one of {', '.join(STYLES)}")


def check_style(style: str) -> str:
    return house_style(style).key
