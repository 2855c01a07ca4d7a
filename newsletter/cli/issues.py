"""`newsletter draft`, `build`, `send` and `preview`: the issue written, rendered, sent as a test, shown."""

from __future__ import annotations

import contextlib

import click

from ..config import check_style
from ..errors import NewsletterError
from ..feeds.safetext import shown
from ..workspace import FORMATS
from .options import Context, pass_ctx, resolve_week, style_option, week_option


@click.command("draft")
@week_option
@style_option(multiple=True)
@click.option("--force", is_flag=True, help="Replace a changed draft (a timestamped backup is kept).")
@pass_ctx
def draft_cmd(c: Context, week: str | None, style: tuple[str, ...], force: bool) -> None:
    """Write issues/WEEK/STYLE.md for the editor; re-running merges new items, never loses edits."""
    styles = c.app.styles(style)  # a wrong style is the only line, before any note about the week
    chosen = resolve_week(c.app, week)
    ranked = c.app.ranked_week(chosen)  # once for every style
    for s in styles:
        result = c.app.draft(chosen, s, force=force, ranked=ranked)
        extra = f" (backup: {result.backup})" if result.backup else ""
        added = f", {result.added} new entries" if result.added else ""
        click.echo(f"{result.action} {result.path}{added}{extra}", err=True)
        for note in result.notes:
            click.echo(shown(f"  {note}"), err=True)  # notes quote feed headlines


@click.command()
@week_option
@style_option(multiple=True)
@click.option(
    "--format",
    "formats",
    multiple=True,
    type=click.Choice([*FORMATS, "all"]),
    help=f"Output: {', '.join(FORMATS)} or all (default); repeat for several.",
)
@pass_ctx
def build(c: Context, week: str | None, style: tuple[str, ...], formats: tuple[str, ...]) -> None:
    """Write the week's issue: Markdown, web HTML, email HTML, text and .eml under issues/WEEK/."""
    styles = c.app.styles(style)
    chosen = resolve_week(c.app, week)
    warned: set[str] = set()  # a warning about the settings comes once, not once per style
    for result in c.app.build(chosen, styles, formats):
        for note in result.notes:
            click.echo(shown(f"label: {note}"), err=True)
        for warning in result.warnings:
            if warning not in warned:
                warned.add(warning)
                click.echo(f"warning: {warning}", err=True)
        for path in result.paths:
            click.echo(str(path))


@click.command()
@week_option
@style_option(multiple=False)
@click.option(
    "--to",
    "to",
    multiple=True,
    metavar="ADDRESS",
    help="Send to this address; repeat for several (default: test_to in [send]).",
)
@click.option("--anyway", is_flag=True, help="Send even if the draft still holds placeholder text.")
@pass_ctx
def send(c: Context, week: str | None, style: str | None, to: tuple[str, ...], anyway: bool) -> None:
    """Send a test of the issue over SMTP ([send] in newsletter.toml), rebuilding it if stale.

    For checking in a real inbox; sending to subscribers stays with your email service.
    """
    chosen = resolve_week(c.app, week)
    sent = c.app.send(chosen, style, to, anyway=anyway)
    to_whom = ", ".join(sent.recipients)
    click.echo(f"sent {sent.subject!r} ({sent.size / 1024:.0f} KB) to {to_whom} via {sent.server}", err=True)


@click.command()
@click.option(
    "--host", default="127.0.0.1", show_default=True, help="Address to bind (warns if not loopback)."
)
@click.option("--port", default=8000, show_default=True, type=int, help="Port to listen on.")
@week_option
@style_option(multiple=False)
@click.option("--no-open", is_flag=True, help="Do not open a browser.")
@pass_ctx
def preview(c: Context, host: str, port: int, week: str | None, style: str | None, no_open: bool) -> None:
    """Serve the issue on http://127.0.0.1:8000, reloading as you edit the draft."""
    chosen = resolve_week(c.app, week)
    # The week grouped and labelled in forked processes from here on, while the server's modules load
    # and it starts (the server would start them itself, later).
    with contextlib.suppress(NewsletterError):  # reported by the ranking itself
        c.app.sort_ahead(chosen)
    from ..preview import server as preview_mod

    preview_mod.serve(
        c.app,
        host=host,
        port=port,
        week=chosen,
        style=check_style(style) if style else None,
        open_browser=not no_open,
    )
