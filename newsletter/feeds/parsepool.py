"""The parse pool: fetched bodies parsed while the downloads go on, in worker processes when many.

The pool a fetch (or an ingest of many files) hands each body to; intake.py stores what comes back,
source by source, as soon as it does. The workers run parse.py's parse_or_reason and nothing else.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing as mp
import os
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.connection import Connection
from typing import Any

from ..models import ParsedFeed
from . import parse

# The job worker processes run: it lives in parse.py, so unpickling it imports only that module
# (which the forkserver has preloaded), not app.py and every stage behind it.
_parse_job = parse.parse_or_reason

Job = tuple[bytes, str, str, "str | None", dt.datetime]  # body, source id, URL, content type, now
Parsed = tuple[Any, "ParsedFeed | str"]  # the caller's tag for a job, and what parsing gave


class ParsePool:
    """Parse fetched bodies while the downloads go on: in worker processes when there are many.

    Parsing is CPU-bound and holds the GIL, so threads would not help; a handful of sources
    is parsed inline (the caller says when), since starting workers costs more than it saves there.
    Workers come from a forkserver that has imported newsletter.feeds.parse once, so each starts in
    milliseconds; the main process keeps the store and writes each result as soon as its worker
    hands it back.
    """

    def __init__(self, in_workers: bool) -> None:
        """in_workers: parse in worker processes (when there is more than one CPU); else inline."""
        cpus = os.cpu_count() or 1
        self._pool: ProcessPoolExecutor | None = None
        self._lifeline: tuple[Connection, Connection] | None = None
        if in_workers and cpus > 1:
            ctx = mp.get_context("forkserver")
            # Replaces the default preload of __main__ (the CLI, which imports every stage).
            ctx.set_forkserver_preload(["newsletter.feeds.parse"])
            # Only this process holds the write end: workers end when it does, even on SIGKILL.
            self._lifeline = ctx.Pipe(duplex=False)
            self._pool = ProcessPoolExecutor(
                max_workers=cpus,
                mp_context=ctx,
                initializer=parse.worker_init,
                initargs=(self._lifeline[0],),
            )
        self._pending: dict[Future[ParsedFeed | str], tuple[Any, Job]] = {}
        self._done: list[Parsed] = []

    def __enter__(self) -> ParsePool:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
        for end in self._lifeline or ():
            end.close()

    def submit(self, tag: Any, job: Job) -> None:
        """Parse one body; ready() and drain() give it back with `tag`."""
        if self._pool is None:
            self._done.append((tag, _parse_job(*job)))
            return
        try:
            future = self._pool.submit(_parse_job, *job)
        except BrokenProcessPool:
            self._pool = None  # a worker was killed (out of memory?): parse the rest here
            self._done.append((tag, _parse_job(*job)))
        else:
            self._pending[future] = (tag, job)

    def _collect(self, future: Future[ParsedFeed | str]) -> None:
        tag, job = self._pending.pop(future)
        try:
            parsed = future.result()
        except BrokenProcessPool:
            parsed = _parse_job(*job)
        self._done.append((tag, parsed))

    def ready(self) -> list[Parsed]:
        """Parsed bodies that are finished now, without waiting for the others."""
        for future in [f for f in self._pending if f.done()]:
            self._collect(future)
        done, self._done = self._done, []
        return done

    def drain(self) -> Iterator[Parsed]:
        """Every body still parsing, each as soon as it is finished (not in submission order)."""
        yield from self.ready()
        while self._pending:
            finished, _ = wait(list(self._pending), return_when=FIRST_COMPLETED)
            for future in finished:
                self._collect(future)
            yield from self.ready()
