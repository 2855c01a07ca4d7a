"""The workspace on disk: its folders and seeds files, where each issue's files go, and atomic writes.

A workspace is a folder holding seeds/, templates/ and issues/ (the repository root is one). Every
path the tool reads or writes in it is built here, so the layout is defined once.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from .config import BOM, Settings, load_settings, read_text_file
from .errors import WorkspaceError

if TYPE_CHECKING:  # loaded where used: the CLI's help needs FORMATS, not tomlkit
    from .models import Source

OUTPUTS = {"md": ".paste.md", "html": ".html", "email": ".email.html", "txt": ".txt", "eml": ".eml"}
"""Each output format `build` writes, and the ending of its file beside the draft.

`eml` (the email as a MIME message) needs [send] in newsletter.toml; `all` skips it, with a
warning, when the table is absent.
"""
FORMATS = tuple(OUTPUTS)
SOURCES_FILE = "sources.toml"
SETTINGS_FILE = "newsletter.toml"
TAXONOMY_FILE = "taxonomy.toml"
OUTLETS_FILE = "outlets.toml"
PRIVATE_DIR = ".newsletter"
T = TypeVar("T")


def packaged_defaults() -> Path:
    """Where the default seeds/ and templates/ live: inside the wheel, or the source checkout."""
    inside = Path(__file__).parent / "_defaults"
    if (inside / "seeds").is_dir():
        return inside
    return Path(__file__).resolve().parent.parent


_UMASK = os.umask(0)
os.umask(_UMASK)


def atomic_write(path: Path, data: str | bytes) -> None:
    """Write a file so that readers see the old content or the new, never a half.

    A folder or disk that refuses the write (read-only, full) is a WorkspaceError naming the file.
    """
    raw = data.encode("utf-8") if isinstance(data, str) else data
    import tempfile  # here: `newsletter --help` loads this module for FORMATS alone

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise _write_error(path, exc) from None
    try:
        # mkstemp makes 0600 files; outputs are meant to be read (served, opened, shared) like any other.
        os.fchmod(fd, 0o666 & ~_UMASK)
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise _write_error(path, exc) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _write_error(path: Path, exc: OSError) -> WorkspaceError:
    why = exc.strerror or str(exc)
    return WorkspaceError(f"cannot write {path}: {why} (the file was left as it was)", path)


def save_as(path: Path, text: str, what: str) -> None:
    """Write a file where the editor said (in the workspace or not); what it holds ("OPML") names it in
    the message when path is a folder or its folder does not exist."""
    if path.is_dir():
        raise WorkspaceError(f"{path} is a folder: give the {what} file's name", path)
    if not path.parent.is_dir():
        raise WorkspaceError(
            f"{path.parent} does not exist: create the folder first, or write the {what} elsewhere", path
        )
    atomic_write(path, text)


class FileCache:
    """Files parsed once and again only when they change on disk (their modification time or size).

    A long-running preview sees the editor's edits to the seeds files, and one build does not parse
    the same TOML (or compile the taxonomy's matcher) once per stage.
    """

    def __init__(self) -> None:
        self._files: dict[Path, tuple[tuple[int, int] | None, Any]] = {}

    def read(self, path: Path, load: Callable[[], T]) -> T:
        """What load() made of path, loaded again when the file changed since (or came or went)."""
        try:
            st = path.stat()
            key: tuple[int, int] | None = (st.st_mtime_ns, st.st_size)
        except FileNotFoundError:
            key = None
        cached = self._files.get(path)
        if cached is None or cached[0] != key:
            cached = (key, load())
            self._files[path] = cached
        return cached[1]


@dataclass(frozen=True)
class Workspace:
    """A folder holding seeds/, templates/ and issues/ (the repository root is one)."""

    root: Path

    @classmethod
    def open(cls, root: Path | str) -> Workspace:
        path = Path(root).expanduser()
        if not path.is_dir():
            raise WorkspaceError(
                f"{path} is not a folder: run `newsletter init {path}` to make a workspace there", path
            )
        ws = cls(path.resolve())
        if not ws.settings_path.is_file():
            raise WorkspaceError(
                f"{ws.root} is not a newsletter workspace (no seeds/{SETTINGS_FILE}): "
                f"run `newsletter init DIR` or pass --workspace",
                path,
            )
        return ws

    @classmethod
    def init(cls, root: Path | str, *, sample: bool = False) -> Workspace:
        """A new workspace from the packaged seeds and templates; refuses to overwrite one.

        It is for real work: every source is listed but disabled, the fictional sample outlets
        included, so a first fetch stores no invented news. With sample=True it is the demo, the
        sample feeds enabled as in the repository's own workspace.
        """
        path = Path(root).expanduser()
        if (path / "seeds" / SETTINGS_FILE).exists():
            raise WorkspaceError(f"{path} is already a workspace: nothing was changed", path)
        if path.exists() and not path.is_dir():
            raise WorkspaceError(f"{path} exists and is not a folder", path)
        defaults = packaged_defaults()
        try:
            path.mkdir(parents=True, exist_ok=True)
            for name in ("seeds", "templates"):
                if (path / name).exists():
                    raise WorkspaceError(f"{path / name} already exists: nothing was changed", path)
            for name in ("seeds", "templates"):
                import shutil

                shutil.copytree(defaults / name, path / name)
            (path / "issues").mkdir(exist_ok=True)
            gitignore = path / ".gitignore"
            if not gitignore.exists():
                atomic_write(gitignore, f"{PRIVATE_DIR}/\n")
        except OSError as exc:
            raise WorkspaceError(f"cannot create a workspace in {path}: {exc.strerror}", path) from None
        ws = cls(path.resolve())
        if not sample:
            ws.save_sources([dataclasses.replace(s, enabled=False) for s in ws.sources()])
        return ws

    @property
    def seeds(self) -> Path:
        return self.root / "seeds"

    @property
    def settings_path(self) -> Path:
        return self.seeds / SETTINGS_FILE

    @property
    def sources_path(self) -> Path:
        return self.seeds / SOURCES_FILE

    @property
    def taxonomy_path(self) -> Path:
        return self.seeds / TAXONOMY_FILE

    @property
    def outlets_path(self) -> Path:
        """seeds/outlets.toml, or the packaged list for a workspace made before it existed."""
        own = self.seeds / OUTLETS_FILE
        return own if own.exists() else packaged_defaults() / "seeds" / OUTLETS_FILE

    @property
    def templates(self) -> Path:
        return self.root / "templates"

    @property
    def issues(self) -> Path:
        return self.root / "issues"

    @property
    def private(self) -> Path:
        """.newsletter/: what the tool keeps for itself (the store, the taxonomy's cache), out of git."""
        return self.root / PRIVATE_DIR

    @property
    def default_db(self) -> Path:
        return self.private / "store.sqlite3"

    @property
    def taxonomy_cache(self) -> Path:
        """The taxonomy as loaded and compiled, so that a start need not do it again (sort/compiled.py)."""
        return self.private / "taxonomy.pickle"

    @property
    def kept_sort(self) -> Path:
        """Where each week's clustering and labels are kept for the next process ranking it (sort/kept.py)."""
        return self.private / "kept"

    def issue_dir(self, week: object) -> Path:
        """issues/WEEK/: a week's drafts and outputs (week: a Week, or a folder name like 2026-W48)."""
        return self.issues / str(week)

    def draft_path(self, week: object, style: str) -> Path:
        """issues/WEEK/STYLE.md, the draft the editor owns."""
        return self.issue_dir(week) / f"{style}.md"

    def output_path(self, week: object, style: str, fmt: str) -> Path:
        """Where `build` writes one format of one style's issue (see OUTPUTS)."""
        return self.issue_dir(week) / f"{style}{OUTPUTS[fmt]}"

    def week_folders(self) -> list[Path]:
        """The folders of issues/ named like a week (2026-W48), newest first."""
        from .models import WEEK_RE

        if not self.issues.is_dir():
            return []
        return sorted(
            (p for p in self.issues.iterdir() if p.is_dir() and WEEK_RE.match(p.name)), reverse=True
        )

    def settings(self) -> Settings:
        return load_settings(self.settings_path)

    def sources(self) -> list[Source]:
        from .feeds.sources import load_sources

        if not self.sources_path.exists():
            return []
        return load_sources(self.sources_path)

    def save_sources(self, sources: list[Source]) -> None:
        """Write sources.toml, only once the new text is checked to read back as exactly these sources."""
        from .feeds.sources import checked_text

        path = self.sources_path
        existing = read_text_file(path) if path.exists() else ""
        bom = BOM if existing.startswith(BOM) else ""
        atomic_write(path, bom + checked_text(sources, existing.removeprefix(BOM), path))

    def resolve_local(self, url: str) -> Path:
        """A local source path, relative to the workspace; never outside it unless absolute in config."""
        path = Path(url).expanduser()
        return path if path.is_absolute() else (self.root / path)
