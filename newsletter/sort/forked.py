"""Work done in forked processes while the caller goes on: the second core of the machine.

A build sorts a week in two independent halves (labelling and the relevance gate; the comparison of texts
for clustering), each several seconds on a 100,000-item week; `classify` answers a long stream of lines
batch by batch. A forked process sees the caller's memory as it was (the job itself is never pickled);
arguments and results are, so they should be compact. Forking a process that runs threads can deadlock
and forking costs more than it saves on small work: then, or when a worker breaks, the work runs here.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing as mp
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Generic, TypeVar

T = TypeVar("T")
A = TypeVar("A")

_JOB: Callable[..., Any] | None = None  # the work a forked worker runs (inherited at the fork, never pickled)


_STATE = threading.Lock()  # in a worker: taken to start or end a job, or to exit
_running = False  # in a worker: whether a job runs (then nothing of its answer is sent yet)
_GRACE = 5.0  # seconds a worker cut loose outside a job still has to end on its own


def _run_job(*args: Any) -> Any:
    global _running
    if _JOB is None:  # pragma: no cover - only a worker forked here runs this
        raise RuntimeError("no job was set before the fork")
    with _STATE:
        _running = True
    try:
        return _JOB(*args)
    finally:
        with _STATE:  # not while the lifeline exits: an answer is sent whole or not at all
            _running = False


def _watch_parent(read_end: int, write_end: int) -> None:
    """In the worker: exit as soon as the process that forked it is gone (even killed with SIGKILL) or cuts
    it loose, by waiting for the end of a pipe whose only write end that process holds.

    At once while a job runs; otherwise the worker may be sending an answer, and one cut short leaves the
    parent's pool reading the rest of it for ever (so its process never exits): then the worker is given
    time to end on its own, as it does as soon as the pool that is closing has read the answer."""
    os.close(write_end)

    def wait() -> None:
        os.read(read_end, 1)  # returns only at end of file: nothing is ever written
        with _STATE:
            if _running:
                os._exit(0)
        time.sleep(_GRACE)  # no job runs: an answer may be on its way
        os._exit(0)

    threading.Thread(target=wait, name="lifeline", daemon=True).start()


def can_fork() -> bool:
    """Whether workers may be forked now: a second core, fork available, and no other thread running."""
    cores = os.cpu_count() or 1
    return cores > 1 and threading.active_count() == 1 and "fork" in mp.get_all_start_methods()


class Workers:
    """Forked processes running `job`, which they inherit at the fork: it is never pickled."""

    def __init__(self, job: Callable[..., Any], count: int) -> None:
        self._job = job
        self._pool: ProcessPoolExecutor | None = None
        self._lifeline: tuple[int, int] | None = None
        try:
            self._lifeline = os.pipe()
            self._pool = ProcessPoolExecutor(
                count, mp_context=mp.get_context("fork"), initializer=_watch_parent, initargs=self._lifeline
            )
        except OSError:
            self.close()

    def submit(self, *args: Any) -> Future[Any] | None:
        """The job started on these arguments in a worker; None once the pool is broken (then closed)."""
        global _JOB
        if self._pool is None:
            return None
        _JOB = self._job  # with the fork start method every worker is forked in the first submit()
        # What exists now is moved out of the collector's sight: a worker's collections would otherwise
        # touch every inherited object, copying the parent's memory page by page.
        gc.freeze()
        try:
            return self._pool.submit(_run_job, *args)
        except (OSError, BrokenProcessPool, RuntimeError):
            self.close()
            return None
        finally:
            gc.unfreeze()  # in this process the collector sees it all again (the workers keep theirs)
            _JOB = None

    def close(self, wait: bool = True) -> None:
        """The workers ended; wait: once their jobs are done, else at once (their lifeline cut, they exit)."""
        if self._pool is not None:
            self._pool.shutdown(wait=wait, cancel_futures=True)
        for end in self._lifeline or ():
            os.close(end)
        self._pool, self._lifeline = None, None


class Forked(Generic[T]):
    """`job()` started in a forked process now (when `parallel` and can_fork()); `result()` waits for it.

    The job must not touch what the fork shares unsafely (the store's SQLite connection, open files).
    """

    def __init__(self, job: Callable[[], T], parallel: bool = True) -> None:
        self._job = job
        self._workers = Workers(job, 1) if parallel and can_fork() else None
        self._future = self._workers.submit() if self._workers is not None else None

    def result(self) -> T:
        """The job's result: from the worker, or computed here if there is none (or it broke)."""
        try:
            if self._future is not None:
                return self._future.result()
        except BrokenProcessPool:
            pass
        finally:
            self.close()
        return self._job()

    def close(self, wait: bool = True) -> None:
        """The worker ended: at once if idle or not wait, else once its job is done (its result dropped)."""
        if self._workers is not None:
            self._workers.close(wait)
        self._workers, self._future = None, None


class ForkedMap(Generic[A, T]):
    """`fn` over a stream of arguments in `count` forked processes, the results in the order given."""

    def __init__(self, fn: Callable[[A], T], count: int = 2) -> None:
        self._fn = fn
        self._queue: deque[tuple[Future[T] | None, A]] = deque()
        self._workers = Workers(fn, count) if can_fork() else None

    def __enter__(self) -> ForkedMap[A, T]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def submit(self, arg: A) -> None:
        self._queue.append((self._workers.submit(arg) if self._workers is not None else None, arg))

    def __len__(self) -> int:
        return len(self._queue)

    def ready(self) -> Iterator[T]:
        """The results at the head of the queue that are finished, in order, without waiting for others."""
        while self._queue and (self._queue[0][0] is None or self._queue[0][0].done()):
            yield self._take()

    def drain(self) -> Iterator[T]:
        """Every result still to come, in order, each as soon as it is there."""
        while self._queue:
            yield self._take()

    def _take(self) -> T:
        future, arg = self._queue.popleft()
        if future is not None:
            try:
                return future.result()
            except BrokenProcessPool:
                self.close()
        return self._fn(arg)

    def close(self) -> None:
        if self._workers is not None:
            self._workers.close()
        self._workers = None


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """The cyclic garbage collector paused while a week is loaded and sorted, or the gazetteer compiled.

    Items, labels, facts and stories form no reference cycles, so it would free nothing; yet it rescans
    the growing heap again and again as they are made (a 100,000-item week holds millions of objects).
    Reference counting frees them as usual. In a one-thread command, what now exists is moved out of the
    collector's sight before it runs again (gc.freeze): else its first pass would walk every object made
    meanwhile (half a second on such a week). A server (threads) keeps its collector as it was.
    """
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            if threading.active_count() == 1:
                gc.freeze()
            gc.enable()
