"""`newsletter items` and `newsletter label`: stored items with their labels, and the editor's overrides."""

from __future__ import annotations

import click

from ..feeds.safetext import shown
from .options import Context, pass_ctx, resolve_week, week_option


@click.command()
@week_option
@click.option("--all", "all_weeks", is_flag=True, help="Every stored item, not one week.")
@click.option("--region", help="Only items about this region (id or name).")
@click.option("--theme", help="Only items with this theme (id or name).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@click.option("--explain", is_flag=True, help="Show the matched terms and the story's score parts.")
@pass_ctx
def items(
    c: Context,
    week: str | None,
    all_weeks: bool,
    region: str | None,
    theme: str | None,
    as_json: bool,
    explain: bool,
) -> None:
    """List stored items with their regions, themes and story."""
    from ..serialize import item_lines, item_record, json_line

    if week and all_weeks:
        raise click.UsageError("give --week or --all, not both")
    chosen = None if all_weeks else resolve_week(c.app, week)
    names = c.app.source_names()
    rows = c.app.items(chosen, region=region, theme=theme)
    for item, story in rows:
        if as_json:
            click.echo(json_line(item_record(item, story, names, explain)))
            continue
        for line in item_lines(item, story, names, explain):
            click.echo(line)
    if not as_json:
        click.echo(f"{len(rows)} items" + (f" in {chosen}" if chosen else ""), err=True)


@click.command()
@click.argument("item_id", metavar="ID")
@click.option("--region", help="Put the item in this region (id or name, or global).")
@click.option("--theme", "themes", multiple=True, help="Give the item this theme; repeat for several.")
@click.option("--clear", is_flag=True, help="Drop the editor's labels; the classifier decides again.")
@pass_ctx
def label(c: Context, item_id: str, region: str | None, themes: tuple[str, ...], clear: bool) -> None:
    """Override an item's region and themes; every build respects it, re-fetches keep it."""
    from ..models import Labels

    item = c.app.label(item_id, region=region, themes=themes, clear=clear)
    labels = item.labels or Labels()
    click.echo(shown(f"{item.id}: {labels.region} [{', '.join(labels.themes)}] {item.title}"), err=True)
