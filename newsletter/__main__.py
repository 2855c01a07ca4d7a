"""The `newsletter` command and `python -m newsletter`: load the CLI, then run it."""

import signal
import sys


def main() -> None:
    """Run the CLI as a process: Ctrl-C while it is still loading (most of a second) ends as quietly
    as later on, and SIGTERM (kill PID) or SIGHUP (a closed terminal) stop it as cleanly as Ctrl-C.
    """
    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), _exit_on_signal)
    try:
        from .cli import main as run
    except KeyboardInterrupt:
        sys.stderr.write("newsletter: interrupted\n")
        sys.exit(130)
    run()


def _exit_on_signal(signum: int, frame: object) -> None:
    # Raised in the main thread wherever it is: transactions roll back, atomic writes remove their
    # temporary file, fetch aborts its downloads and ends its parse workers; then the usual exit code.
    raise SystemExit(128 + signum)


if __name__ == "__main__":  # worker processes import this module too
    main()
