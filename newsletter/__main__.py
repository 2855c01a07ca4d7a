"""The `newsletter` command and `python -m newsletter`: load the CLI, then run it."""

import sys


def main() -> None:
    """Run the CLI; Ctrl-C while it is still loading (most of a second) ends as quietly as later on."""
    try:
        from .cli import main as run
    except KeyboardInterrupt:
        sys.stderr.write("newsletter: interrupted\n")
        sys.exit(130)
    run()


if __name__ == "__main__":  # worker processes import this module too
    main()
