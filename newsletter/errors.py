"""One exception root for everything a user can meet; each carries what it is about."""

from __future__ import annotations


class NewsletterError(Exception):
    """Root of every error the library raises on purpose.

    The message is one line that says what went wrong and what to do next;
    the CLI prints it as is.
    """


class WorkspaceError(NewsletterError):
    """The workspace is missing, incomplete or cannot be written."""

    def __init__(self, message: str, path: object = None) -> None:
        super().__init__(message)
        self.path = path


class ConfigError(NewsletterError):
    """A seeds file (newsletter.toml, sources.toml, taxonomy.toml) is invalid."""

    def __init__(self, message: str, path: object = None) -> None:
        super().__init__(message)
        self.path = path


class StoreError(NewsletterError):
    """The SQLite store cannot be opened, is newer than the code, or is busy."""


class SourceError(NewsletterError):
    """A source cannot be fetched or is not a valid source (bad URL, unknown id, ...)."""

    def __init__(self, message: str, url: str | None = None) -> None:
        super().__init__(message)
        self.url = url


class FeedParseError(NewsletterError):
    """Bytes that are not a feed at all (an HTML page, an empty body, ...)."""

    def __init__(self, message: str, url: str | None = None) -> None:
        super().__init__(message)
        self.url = url


class WeekError(NewsletterError):
    """A week that is not an ISO week such as 2026-W48."""


class StyleError(NewsletterError):
    """A house style that does not exist."""


class ItemNotFound(NewsletterError):
    """An item id the store does not hold."""


class DraftConflict(NewsletterError):
    """A draft the editor changed would be overwritten."""

    def __init__(self, message: str, path: object = None) -> None:
        super().__init__(message)
        self.path = path


class RenderError(NewsletterError):
    """A template or draft that cannot be rendered; names the file and line."""

    def __init__(self, message: str, path: object = None, line: int | None = None) -> None:
        super().__init__(message)
        self.path = path
        self.line = line


class FrontMatterError(NewsletterError):
    """A draft's front matter that cannot be read; line is 1-based in the whole file."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


class DeskError(NewsletterError):
    """A desk action that cannot be done as asked (no such entry or section, an empty text); says why."""


class PreviewError(NewsletterError):
    """The preview server cannot start: the port is taken, the host is unknown, ..."""


class PortInUse(PreviewError):
    """Another program already listens on the port."""

    def __init__(self, message: str, port: int) -> None:
        super().__init__(message)
        self.port = port


class SendError(NewsletterError):
    """A test send that cannot go, or that the server did not accept; says which and why, never a password."""
