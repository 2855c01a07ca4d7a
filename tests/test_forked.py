"""Forked workers (sort/forked.py): a caller that lets its workers go never waits on them for ever."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from newsletter.sort.forked import can_fork

ROOT = Path(__file__).resolve().parent.parent

# The worker's answer (20 MB) is sent through a pipe that the pool reads between the caller's turns at the
# interpreter, so it is still being sent when the caller lets the worker go. A worker that exited then
# left the pool reading the rest of it for ever: the caller's process never ended.
CUT_WHILE_SENDING = textwrap.dedent(
    """
    import os, sys, time
    sys.path.insert(0, sys.argv[1])
    from newsletter.sort.forked import Workers
    ready, told = os.pipe()

    def job():
        os.write(told, b"1")
        return b"x" * 20_000_000

    workers = Workers(job, 1)
    workers.submit()
    os.read(ready, 1)
    end = time.monotonic() + 0.3
    while time.monotonic() < end:
        pass
    workers.close(wait=False)
    print("let go")
    """
)


@pytest.mark.skipif(not can_fork(), reason="forked workers need a second core and fork")
def test_a_worker_let_go_while_it_sends_its_answer_does_not_hold_its_caller() -> None:
    done = subprocess.run(
        [sys.executable, "-c", CUT_WHILE_SENDING, str(ROOT)], capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "let go"
