"""`newsletter ARGS` run in this process through click's CliRunner, or as a real process.

In process is the default: the same `main()` the installed command runs, with stdin, stdout,
stderr and the environment isolated, ten times faster than a new interpreter. A few tests keep
real processes, for exit codes and the installed entry point.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from newsletter.cli import main

CLEAN_ENV = {"NO_COLOR": "1", "NEWSLETTER_WORKSPACE": None, "NEWSLETTER_DB": None}


def run(
    *args: str, cwd: Path | None = None, stdin: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`newsletter ARGS` in this process; the result reads like a finished process's."""
    code = 0
    with (
        CliRunner().isolation(input=stdin, env={**CLEAN_ENV, **(env or {})}) as (out, err, _),
        contextlib.chdir(cwd or os.getcwd()),
    ):
        try:
            main(list(args))
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else int(exc.code is not None)
    return subprocess.CompletedProcess(
        ["newsletter", *args], code, out.getvalue().decode("utf-8"), err.getvalue().decode("utf-8")
    )


def run_process(
    *args: str,
    cwd: Path | None = None,
    stdin: str | None = None,
    command: list[str] | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    """`newsletter ARGS` as a real process (`python -m newsletter`, or the given command)."""
    env = {k: v for k, v in {**os.environ, **CLEAN_ENV}.items() if v is not None}
    return subprocess.run(
        [*(command or [sys.executable, "-m", "newsletter"]), *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
    )
