"""newsletter: turn a week of Asia tech news into a finished newsletter issue."""

__version__ = "0.1.0"
