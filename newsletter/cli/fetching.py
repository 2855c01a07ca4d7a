"""`newsletter fetch` and `newsletter ingest`: feeds in, each failure named, exit 1 when any failed."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

from ..feeds.safetext import shown
from .options import Context, pass_ctx

if TYPE_CHECKING:
    from .. import RunSummary, SourceOutcome


def _report(summary: RunSummary) -> None:
    for line in summary.notes():
        click.echo(shown(line), err=True)  # errors quote servers and feeds; URLs may hold a password
    click.echo(summary.line(), err=True)


@click.command()
@click.option("--source", "source_ids", multiple=True, metavar="ID", help="Only this source; repeat.")
@click.option(
    "--concurrency", type=int, metavar="N", help="Downloads at once (default from newsletter.toml)."
)
@pass_ctx
def fetch(c: Context, source_ids: tuple[str, ...], concurrency: int | None) -> None:
    """Fetch every enabled source; a broken one is named and never stops the rest.

    Exits 1 when some source failed, after everything that worked is stored.
    """
    total = len(set(source_ids)) or sum(1 for s in c.app.sources() if s.enabled)
    with _progress(total) as tick:
        summary = c.app.fetch(source_ids, concurrency=concurrency, progress=tick)
    _report(summary)
    if summary.failed:
        sys.exit(1)


class _progress:
    """A rich progress bar on stderr while fetching, only when stderr is a terminal."""

    def __init__(self, total: int) -> None:
        self.total = total
        self._bar: Any = None

    def __enter__(self) -> Callable[[SourceOutcome], None]:
        if sys.stderr.isatty() and self.total > 1:
            from rich.progress import Progress

            self._bar = Progress(transient=True, console=None)
            self._bar.start()
            task = self._bar.add_task("fetching", total=self.total)
            return lambda o: self._bar.update(task, advance=1, description=o.source.id[:24])
        return lambda o: None

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()


@click.command()
@click.argument("targets", nargs=-1, metavar="PATH... | URL | -")
@click.option("--source-name", metavar="N", help="Attribute the items to this outlet name.")
@pass_ctx
def ingest(c: Context, targets: tuple[str, ...], source_name: str | None) -> None:
    """Read one-off feeds: files (several at once), a URL, or - for stdin.

    Every file is tried; each failure is named, and the exit status is 1 when any failed.
    """
    stdin = sys.stdin.buffer.read() if "-" in targets else None
    summary = c.app.ingest(targets, source_name=source_name, stdin=stdin)
    _report(summary)
    if summary.failed:
        sys.exit(1)
