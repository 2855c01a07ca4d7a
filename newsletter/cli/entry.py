"""The `newsletter` command: parses options, calls `Newsletter`, prints. No work happens here.

It uses only what `newsletter` offers any script. The stages load when a command first needs the
app, so `newsletter --help` stays light.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, TypeVar

import click

from .. import __version__
from ..config import HOUSE_STYLES, check_style
from ..errors import NewsletterError
from ..feeds.safetext import shown
from ..workspace import FORMATS, Workspace

if TYPE_CHECKING:
    from .. import Newsletter, RunSummary, SourceOutcome
    from ..models import Week

# What a command prints with (serialize, models, json) loads in the command: `--help` needs none of it.

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


def _resolve_week(app: Newsletter, week: str | None) -> Week:
    chosen, note = app.resolve_week(week)
    if note:
        click.echo(note, err=True)
    return chosen


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


# -- sources -----------------------------------------------------------------------------------


@cli.group()
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


# -- fetch and ingest --------------------------------------------------------------------------


def _report(summary: RunSummary) -> None:
    for line in summary.notes():
        click.echo(shown(line), err=True)  # errors quote servers and feeds; URLs may hold a password
    click.echo(summary.line(), err=True)


@cli.command()
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


@cli.command()
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


# -- items, labels, classify -------------------------------------------------------------------


@cli.command()
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
    chosen = None if all_weeks else _resolve_week(c.app, week)
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


@cli.command()
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


@cli.command("classify")
@click.option("--explain", is_flag=True, help="Add the reasons: matched terms, where, weight.")
@pass_ctx
def classify_cmd(c: Context, explain: bool) -> None:
    """Read JSON lines (title, summary, source) on stdin; write one JSON line of labels per input."""
    from ..sort.forked import ForkedMap, can_fork

    classify = c.app.labeller(reasons=explain)  # the seeds files are read and checked once, not per line
    stdin = sys.stdin.buffer

    def answer(job: tuple[list[bytes | None], int]) -> tuple[str, int]:
        return _answers(job[0], job[1], classify, explain)

    bad = n = 0
    workers: ForkedMap[tuple[list[bytes | None], int], tuple[str, int]] | None = None
    try:
        for batch in _line_batches(stdin, CLASSIFY_LINE_MAX):
            job = (batch, n + 1)
            n += len(batch)
            if workers is None and len(batch) >= CLASSIFY_BULK and can_fork():
                workers = ForkedMap(answer, CLASSIFY_WORKERS)  # a stream arriving in bulk: two cores
            if workers is None:
                done = [answer(job)]
            else:
                workers.submit(job)
                # Answers in order; before a read that could wait for input, every answer goes out.
                if not _waiting(stdin):
                    done = list(workers.drain())
                else:
                    done = list(workers.ready())
                    while len(workers) >= 2 * CLASSIFY_WORKERS:  # a bound on the work in flight
                        done.append(next(workers.drain()))
            for text, errors in done:
                bad += errors
                if text:
                    click.echo(text)
        for text, errors in workers.drain() if workers is not None else ():
            bad += errors
            if text:
                click.echo(text)
    finally:
        if workers is not None:
            workers.close()
    if bad:
        raise click.ClickException(f"{bad} input line(s) were not JSON objects with a title")


CLASSIFY_BULK = 100  # lines arriving in one read from which classify answers in worker processes
CLASSIFY_WORKERS = 2


def _waiting(stream: BinaryIO) -> bool:
    """Whether more input is there to read now (a file always is); False when a read could wait."""
    import select

    try:
        return bool(select.select([stream], [], [], 0)[0])
    except (OSError, ValueError, TypeError):  # no file descriptor (a test's stream): read on
        return True


_SHOWN: dict[tuple[object, ...], str] = {}  # labels (no reasons) -> their JSON line, per process


def _answers(
    batch: list[bytes | None], first: int, classify: Callable[..., Any], explain: bool
) -> tuple[str, int]:
    """One JSON line of labels (or of what is wrong) per non-empty input line, and how many were bad."""
    import json

    from ..serialize import json_line, labels_record

    answers, bad = [], 0
    shown = _SHOWN if not explain else {}  # without reasons, labels repeat: each one's line is made once
    for n, line in enumerate(batch, first):
        if line is not None and not line.strip():
            continue
        try:
            if line is None:
                raise ValueError(f"longer than {CLASSIFY_LINE_MAX:,} bytes: not read")
            row = json.loads(line.decode("utf-8-sig"))
            if not isinstance(row, dict) or not isinstance(row.get("title"), str):
                raise ValueError("needs a string 'title'")
            src = row.get("source")
            labels = classify(row["title"], str(row.get("summary") or ""), str(src) if src else None)
        except UnicodeDecodeError:
            bad += 1
            answers.append(json_line({"error": f"line {n}: not UTF-8 text"}))
        except ValueError as exc:
            bad += 1
            answers.append(json_line({"error": f"line {n}: {exc}"}))
        except RecursionError:
            bad += 1
            answers.append(json_line({"error": f"line {n}: JSON nested too deeply"}))
        else:
            key = (labels.region, labels.regions, labels.themes, labels.overridden)
            text = shown.get(key)
            if text is None:
                text = json_line(labels_record(labels, explain))
                if not explain and len(shown) < 10_000:
                    shown[key] = text
            answers.append(text)
    return "\n".join(answers), bad


CLASSIFY_LINE_MAX = 1_000_000  # bytes in one input line: a title and a summary need a few thousand


def _line_batches(stream: BinaryIO, limit: int) -> Iterator[list[bytes | None]]:
    """The lines of a byte stream, in batches of what each read brought; None for a line over limit bytes.

    A read returns what has arrived (read1), so a batch is answered before the next read can wait for
    more input, as when lines come one by one. A line over the limit is dropped as it comes, never held.
    """
    partial: list[bytes] = []  # the start of a line whose end has not arrived
    size = 0
    skipping = False  # inside a line over the limit: dropped up to its end
    read = getattr(stream, "read1", stream.read)  # read1: what has arrived, without waiting for more
    while chunk := read(1 << 16):
        batch: list[bytes | None] = []
        *ended, tail = chunk.split(b"\n")
        for piece in ended:
            if skipping:
                batch.append(None)
                skipping = False
                continue
            if partial:
                piece = b"".join([*partial, piece])
                partial, size = [], 0
            batch.append(piece if len(piece) <= limit else None)
        if tail and not skipping:
            partial.append(tail)
            size += len(tail)
            if size > limit:
                partial, size, skipping = [], 0, True
        if batch:
            yield batch
    if skipping:
        yield [None]
    elif partial:
        yield [b"".join(partial)]


# -- draft, build, preview ---------------------------------------------------------------------


@cli.command("draft")
@week_option
@style_option(multiple=True)
@click.option("--force", is_flag=True, help="Replace a changed draft (a timestamped backup is kept).")
@pass_ctx
def draft_cmd(c: Context, week: str | None, style: tuple[str, ...], force: bool) -> None:
    """Write issues/WEEK/STYLE.md for the editor; re-running merges new items, never loses edits."""
    styles = c.app.styles(style)  # a wrong style is the only line, before any note about the week
    chosen = _resolve_week(c.app, week)
    ranked = c.app.ranked_week(chosen)  # once for every style
    for s in styles:
        result = c.app.draft(chosen, s, force=force, ranked=ranked)
        extra = f" (backup: {result.backup})" if result.backup else ""
        added = f", {result.added} new entries" if result.added else ""
        click.echo(f"{result.action} {result.path}{added}{extra}", err=True)
        for note in result.notes:
            click.echo(shown(f"  {note}"), err=True)  # notes quote feed headlines


@cli.command()
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
    chosen = _resolve_week(c.app, week)
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


@cli.command()
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
    chosen = _resolve_week(c.app, week)
    sent = c.app.send(chosen, style, to, anyway=anyway)
    to_whom = ", ".join(sent.recipients)
    click.echo(f"sent {sent.subject!r} ({sent.size / 1024:.0f} KB) to {to_whom} via {sent.server}", err=True)


@cli.command()
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
    from ..preview import server as preview_mod

    chosen = _resolve_week(c.app, week)
    preview_mod.serve(
        c.app,
        host=host,
        port=port,
        week=chosen,
        style=check_style(style) if style else None,
        open_browser=not no_open,
    )


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
