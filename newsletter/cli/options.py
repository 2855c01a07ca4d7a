"""What every command shares: the Context (the app, made on first use), --week and --style, the week note.

The stages load when a command first needs the app, so `newsletter --help` stays light.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

from ..config import HOUSE_STYLES
from ..workspace import Workspace

if TYPE_CHECKING:
    from .. import Newsletter
    from ..models import Week

F = TypeVar("F", bound=Callable[..., Any])


class Context:
    """What the group's global options resolve to; the app is made on first use."""

    def __init__(self, workspace: str, db: str | None) -> None:
        self.workspace = workspace
        self.db = db
        self._app: Newsletter | None = None

    @property
    def app(self) -> Newsletter:
        if self._app is None:
            from ..app import Newsletter

            self._app = Newsletter(Workspace.open(self.workspace), db=self.db)
        return self._app


pass_ctx = click.make_pass_decorator(Context)


def week_option(f: F) -> F:
    return click.option(
        "--week",
        "week",
        metavar="YYYY-Www",
        help="ISO week such as 2026-W48 (default: this week, or the latest with items).",
    )(f)


def style_option(multiple: bool) -> Callable[[F], F]:
    styles = [f"{s.key} ({s.label})" for s in HOUSE_STYLES]
    listed = " or ".join([", ".join(styles[:-1]), styles[-1]] if len(styles) > 1 else styles)
    help_text = f"House style: {listed}."
    if multiple:
        help_text += " Repeat for several; default: every style in newsletter.toml."
    return click.option("--style", "style", multiple=multiple, metavar="STYLE", help=help_text)


def resolve_week(app: Newsletter, week: str | None) -> Week:
    chosen, note = app.resolve_week(week)
    if note:
        click.echo(note, err=True)
    return chosen
