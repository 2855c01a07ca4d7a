"""`newsletter classify`: JSON lines in, one JSON line of labels out per line, as the lines arrive.

A stream arriving in bulk is answered by two forked workers, in order; every answer goes out before
a read that could wait for more input.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import Any, BinaryIO

import click
import orjson

from .options import Context, pass_ctx


@click.command("classify")
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

    def emit(answers: Iterable[tuple[str, int]]) -> None:
        nonlocal bad
        for text, errors in answers:
            bad += errors
            if text:
                click.echo(text)

    workers: ForkedMap[tuple[list[bytes | None], int], tuple[str, int]] | None = None
    try:
        for batch in _line_batches(stdin, CLASSIFY_LINE_MAX):
            job = (batch, n + 1)
            n += len(batch)
            if workers is None and len(batch) >= CLASSIFY_BULK and can_fork():
                workers = ForkedMap(answer, CLASSIFY_WORKERS)  # a stream arriving in bulk: two cores
            if workers is None:
                emit([answer(job)])
                continue
            workers.submit(job)
            emit(workers.ready())  # answers in order
            while len(workers) >= 2 * CLASSIFY_WORKERS:  # a bound on the work in flight
                emit([next(workers.drain())])
            # Before a read that could wait for input, every answer goes out: until more input has arrived
            # (the workers are then given it at once), the answers go out as they come.
            while len(workers) and not _waiting(stdin, CLASSIFY_POLL):
                emit(workers.ready())
        emit(workers.drain() if workers is not None else ())
    finally:
        if workers is not None:
            workers.close()
    if bad:
        raise click.ClickException(f"{bad} input line(s) were not JSON objects with a title")


CLASSIFY_BULK = 100  # lines arriving in one read from which classify answers in worker processes
CLASSIFY_WORKERS = 2
CLASSIFY_POLL = 0.002  # seconds: how long input is awaited between looks at the answers in flight


def _waiting(stream: BinaryIO, timeout: float = 0.0) -> bool:
    """Whether more input is there to read now, or within `timeout` seconds (a file always is); False when
    a read could wait."""
    import select

    try:
        return bool(select.select([stream], [], [], timeout)[0])
    except (OSError, ValueError, TypeError):  # no file descriptor (a test's stream): read on
        return True


_SHOWN: dict[tuple[object, ...], str] = {}  # labels (no reasons) -> their JSON line, per process


def _answers(
    batch: list[bytes | None], first: int, classify: Callable[..., Any], explain: bool
) -> tuple[str, int]:
    """One JSON line of labels (or of what is wrong) per non-empty input line, and how many were bad."""
    from ..serialize import json_line, labels_record

    answers, bad = [], 0
    shown = _SHOWN if not explain else {}  # without reasons, labels repeat: each one's line is made once
    for n, line in enumerate(batch, first):
        if line is not None and line[:1] != b"{" and not line.strip():  # a JSON object's line is not blank
            continue
        try:
            if line is None:
                raise ValueError(f"longer than {CLASSIFY_LINE_MAX:,} bytes: not read")
            row = _json_object(line)
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


def _json_object(line: bytes) -> Any:
    """A line's JSON as the json module reads it, by orjson (a seventh of the time) where that is the same.

    orjson refuses what it does not read as json does (a BOM, NaN, a lone surrogate, nesting past 1,024), and
    reads an integer past 64 bits as a float: such lines are read again by json, so every value and every
    error message stay as they were.
    """
    try:
        row = orjson.loads(line)
    except orjson.JSONDecodeError:
        row = None
    if not isinstance(row, dict) or type(row.get("summary")) is float or type(row.get("source")) is float:
        row = json.loads(line.decode("utf-8-sig"))
    return row


CLASSIFY_LINE_MAX = 1_000_000  # bytes in one input line: a title and a summary need a few thousand
CLASSIFY_READ = 1 << 18  # bytes a batch gathers of what has arrived: a thousand lines of a few hundred


def _arrived(stream: BinaryIO, read: Callable[[int], bytes]) -> bytes:
    """What has arrived, up to CLASSIFY_READ bytes: a read, topped up while more is there to read at once.

    A pipe hands over 64 KB a read, and every batch costs the process that hands it to a worker a
    fraction of a millisecond, however few its lines (a tenth of a second on 100,000 lines).
    """
    chunk = read(CLASSIFY_READ)
    parts, size = [chunk], len(chunk)
    while chunk and size < CLASSIFY_READ and _waiting(stream):
        chunk = read(CLASSIFY_READ - size)
        parts.append(chunk)
        size += len(chunk)
    return b"".join(parts)


def _line_batches(stream: BinaryIO, limit: int) -> Iterator[list[bytes | None]]:
    """The lines of a byte stream, in batches of what each read brought; None for a line over limit bytes.

    A read returns what has arrived (read1), so a batch is answered before the next read can wait for
    more input, as when lines come one by one. A line over the limit is dropped as it comes, never held.
    """
    partial: list[bytes] = []  # the start of a line whose end has not arrived
    size = 0
    skipping = False  # inside a line over the limit: dropped up to its end
    read = getattr(stream, "read1", stream.read)  # read1: what has arrived, without waiting for more
    while chunk := _arrived(stream, read):
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
