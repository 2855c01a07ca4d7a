"""`newsletter sources`: list, add, remove, enable and disable feeds; import and export OPML."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..feeds.safetext import shown
from .options import Context, pass_ctx

# What a command prints with (serialize, models, json) loads in the command: `--help` needs none of it.


@click.group()
def sources() -> None:
    """List, add, remove, enable and disable feeds; import and export OPML."""


@sources.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@pass_ctx
def sources_list(c: Context, as_json: bool) -> None:
    """Each source with its health: ok, not modified, failing since …, gone, moved.

    Sources the store holds items of but sources.toml does not list come last: one-off ingests
    and removed sources, with their item counts.
    """
    from ..serialize import json_line, source_line, source_record

    for src, h in c.app.source_status():
        if as_json:
            click.echo(json_line(source_record(src, h)))
        else:
            click.echo(source_line(src, h))


@sources.command("add")
@click.argument("url")
@click.option("--name", help="Display name readers know (default: from the URL).")
@click.option("--region", help="Region prior for its items (china, india, japan, ...).")
@click.option("--theme", "themes", multiple=True, help="Theme prior; repeat for several.")
@pass_ctx
def sources_add(c: Context, url: str, name: str | None, region: str | None, themes: tuple[str, ...]) -> None:
    """Add the feed at URL (http(s) or a local feed file) to seeds/sources.toml."""
    src = c.app.add_source(url, name=name, region=region, themes=themes)
    click.echo(shown(f"added {src.id}: {src.name} <{src.url}>"), err=True)


@sources.command("remove")
@click.argument("source_id", metavar="ID")
@pass_ctx
def sources_remove(c: Context, source_id: str) -> None:
    """Remove a source from seeds/sources.toml (its stored items stay)."""
    src = c.app.remove_source(source_id)
    click.echo(f"removed {src.id}: {src.name}", err=True)


def _toggle(enabled: bool, help_text: str) -> None:
    """`sources enable` and `sources disable`: one command each, the same body."""
    verb = "enabled" if enabled else "disabled"

    @click.argument("source_id", metavar="ID")
    @pass_ctx
    def command(c: Context, source_id: str) -> None:
        src = c.app.set_enabled(source_id, enabled)
        click.echo(f"{verb} {src.id}", err=True)

    command.__doc__ = help_text
    sources.command("enable" if enabled else "disable")(command)


_toggle(True, "Enable a source; one marked gone (HTTP 410) is tried again on the next fetch.")
_toggle(False, "Disable a source: `fetch` skips it until it is enabled again.")


@sources.command("import-opml")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@pass_ctx
def sources_import_opml(c: Context, file: str) -> None:
    """Add every feed in an OPML FILE (- for stdin); categories become regions and themes."""
    data = sys.stdin.buffer.read() if file == "-" else Path(file)
    added, skipped = c.app.import_opml(data)
    for line in skipped:
        click.echo(shown(f"skipped {line}"), err=True)
    click.echo(f"{len(added)} sources added, {len(skipped)} skipped", err=True)


@sources.command("export-opml")
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@pass_ctx
def sources_export_opml(c: Context, file: Path | None) -> None:
    """Write the sources as OPML to FILE (default: stdout)."""
    text = c.app.export_opml(file)
    if file is None:
        click.echo(text, nl=False)
    else:
        click.echo(f"wrote {file}", err=True)
