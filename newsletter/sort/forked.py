"""One piece of work done in a forked process while the caller goes on with another: the second core.

A build sorts a week in two independent halves (labelling and the relevance gate; the comparison of texts
for clustering), each several seconds on a 100,000-item week. The forked process sees the caller's memory
as it was (nothing is pickled on the way in); only the result comes back pickled, so it should be compact.
Forking a process that runs threads can deadlock, and forking costs more than it saves on small work: then,
or when anything about the worker fails, the work runs here when its result is asked for.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Generic, TypeVar

T = TypeVar("T")

_JOB: Callable[[], Any] | None = None  # the work a forked worker runs (inherited at the fork, never pickled)


def _run_job() -> Any:
    if _JOB is None:  # pragma: no cover - only a worker forked by Forked runs this
        raise RuntimeError("no job was set before the fork")
    return _JOB()


def _watch_parent(read_end: int, write_end: int) -> None:
    """In the worker: exit as soon as the process that forked it is gone (even killed with SIGKILL), by
    waiting for the end of a pipe whose only write end that process holds."""
    os.close(write_end)

    def wait() -> None:
        os.read(read_end, 1)  # returns only at end of file: nothing is ever written
        os._exit(0)

    threading.Thread(target=wait, name="lifeline", daemon=True).start()


def can_fork() -> bool:
    """Whether a worker may be forked now: a second core, fork available, and no other thread running."""
    cores = os.cpu_count() or 1
    return cores > 1 and threading.active_count() == 1 and "fork" in mp.get_all_start_methods()


class Forked(Generic[T]):
    """`job()` started in a forked process now (when `parallel` and can_fork()); `result()` waits for it.

    The job must not touch what the fork shares unsafely (the store's SQLite connection, open files).
    """

    def __init__(self, job: Callable[[], T], parallel: bool = True) -> None:
        global _JOB
        self._job = job
        self._pool: ProcessPoolExecutor | None = None
        self._future: Future[T] | None = None
        self._lifeline: tuple[int, int] | None = None
        if not (parallel and can_fork()):
            return
        _JOB = job
        try:
            self._lifeline = os.pipe()
            # With the fork start method the worker is forked inside submit(), before any thread starts.
            self._pool = ProcessPoolExecutor(
                1, mp_context=mp.get_context("fork"), initializer=_watch_parent, initargs=self._lifeline
            )
            self._future = self._pool.submit(_run_job)
        except (OSError, BrokenProcessPool):
            self._close()
        finally:
            _JOB = None

    def result(self) -> T:
        """The job's result: from the worker, or computed here if there is none (or it broke)."""
        try:
            if self._future is not None:
                return self._future.result()
        except BrokenProcessPool:
            pass
        finally:
            self._close()
        return self._job()

    def _close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
        for end in self._lifeline or ():
            os.close(end)
        self._pool, self._future, self._lifeline = None, None, None
