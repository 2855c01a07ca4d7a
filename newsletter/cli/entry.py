"""The `newsletter` group: its global options, `init`, every command group added, and `main(argv)`.

The commands live one module per group (sources, fetching, items, classify, issues); each only parses
options, calls `Newsletter` and prints.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .. import __version__
from ..errors import NewsletterError
from ..feeds.safetext import shown
from ..workspace import Workspace
from . import classify, fetching, issues, items, sources
from .options import Context


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="newsletter")
@click.option(
    "--workspace",
    envvar="NEWSLETTER_WORKSPACE",
    default=".",
    show_default=True,
    metavar="DIR",
    help="Workspace folder (seeds/, templates/, issues/). Env: NEWSLETTER_WORKSPACE.",
)
@click.option(
    "--db",
    envvar="NEWSLETTER_DB",
    metavar="PATH",
    help="SQLite store (default: WORKSPACE/.newsletter/store.sqlite3). Env: NEWSLETTER_DB.",
)
@click.pass_context
def cli(ctx: click.Context, workspace: str, db: str | None) -> None:
    """Turn a week of Asia tech news into a finished newsletter issue.

    \b
    The three jobs:
      newsletter fetch              feed in new items from every source
      newsletter build              write this week's issue (Markdown, HTML, email, text)
      newsletter preview            see it in a browser, live as you edit the draft
      newsletter send               a test of it to your own inbox ([send] in newsletter.toml)
    """
    ctx.obj = Context(workspace, db)
    ctx.call_on_close(lambda: ctx.obj._app.close() if ctx.obj._app else None)


@cli.command()
@click.argument("directory")
@click.option("--sample", is_flag=True, help="The demo: fictional sample feeds enabled, no network needed.")
def init(directory: str, sample: bool) -> None:
    """Make a new workspace in DIRECTORY for real work: outlets listed, none enabled yet."""
    if not directory.strip():
        raise click.UsageError("give the folder for the new workspace, such as `newsletter init my-letter`")
    ws = Workspace.init(Path(directory), sample=sample)
    if sample:
        click.echo(
            f"new demo workspace in {ws.root} with the sample feeds enabled: "
            f"cd {ws.root} && newsletter fetch && newsletter build",
            err=True,
        )
    else:
        click.echo(
            f"new workspace in {ws.root}: edit seeds/newsletter.toml, pick outlets with "
            "`newsletter sources list` and `newsletter sources enable ID` (or `sources add URL`), "
            "then `newsletter fetch`",
            err=True,
        )


for command in (
    sources.sources,
    fetching.fetch,
    fetching.ingest,
    items.items,
    items.label,
    classify.classify_cmd,
    issues.draft_cmd,
    issues.build,
    issues.send,
    issues.preview,
):
    cli.add_command(command)


def main(argv: list[str] | None = None) -> None:
    """Entry point: user mistakes become one line on stderr and exit 1 (2 for usage); no tracebacks."""
    try:
        cli.main(args=argv, prog_name="newsletter", standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.UsageError as exc:
        hint = f" (see `{exc.ctx.command_path} --help`)" if exc.ctx else ""
        click.echo(f"newsletter: {exc.format_message()}{hint}", err=True)
        sys.exit(2)
    except click.Abort:
        click.echo("newsletter: aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        click.echo(shown(f"newsletter: {exc.format_message()}"), err=True)
        sys.exit(exc.exit_code)
    except NewsletterError as exc:
        click.echo(shown(f"newsletter: {exc}"), err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        click.echo("newsletter: interrupted", err=True)
        sys.exit(130)
    except BrokenPipeError:
        sys.stderr.close()
        sys.exit(1)
