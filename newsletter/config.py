"""The workspace on disk and its settings: newsletter.toml and sources.toml, validated."""

from __future__ import annotations

import dataclasses
import math
import os
import re
import shutil
import tempfile
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import tomlkit
import tomlkit.exceptions
import tomlkit.items

from .errors import ConfigError, StyleError, WorkspaceError
from .models import Source

STYLES = ("atr", "techasia")
SOURCES_FILE = "sources.toml"
SETTINGS_FILE = "newsletter.toml"
TAXONOMY_FILE = "taxonomy.toml"


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


@dataclass(frozen=True)
class StyleSettings:
    """One house style's settings ([style.atr], [style.techasia] in newsletter.toml)."""

    name: str = ""
    greeting: str = "Welcome back,"
    sign_off: str = "Catch you again next week,"
    ps: str = ""
    host: str = ""
    city: str = ""
    leads: int = 3  # lead stories (News in focus / #techAsia stories)
    per_section: int = 8  # entries per section at most
    reads: int = 10  # suggested reads (techasia)
    entry_chars: int = 220  # one-line entry length
    lead_chars: int = 700  # lead story text length
    sections: tuple[str, ...] = ()  # section keys in order (region or theme ids)
    section_titles: dict[str, str] = field(default_factory=dict)  # key -> heading override
    footer: str = ""
    signup: str = ""
    contact: str = ""


@dataclass(frozen=True)
class RankingSettings:
    cluster_threshold: float = 0.5
    theme_priority: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class FetchSettings:
    concurrency: int = 8
    per_host: int = 2
    timeout: float = 20.0
    max_bytes: int = 10_000_000
    retries: int = 3
    max_redirects: int = 5


@dataclass(frozen=True)
class Settings:
    """seeds/newsletter.toml."""

    name: str = "Asia Tech Review"
    editor: str = "Editor"
    timezone: str = "Asia/Singapore"
    default_style: str = "atr"
    styles: tuple[str, ...] = STYLES
    base_url: str = ""
    language: str = "en"
    style: dict[str, StyleSettings] = field(default_factory=dict)
    ranking: RankingSettings = field(default_factory=RankingSettings)
    fetch: FetchSettings = field(default_factory=FetchSettings)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def editor_first_name(self) -> str:
        return self.editor.split()[0] if self.editor.split() else self.editor

    def style_settings(self, style: str) -> StyleSettings:
        check_style(style)
        return self.style.get(style, StyleSettings())


def check_style(style: str) -> str:
    if style not in STYLES:
        raise StyleError(f"unknown style {style!r}: choose one of {', '.join(STYLES)}")
    return style


BOM = "\ufeff"


def read_text_file(path: Path) -> str:
    """A seeds file's text: UTF-8, a leading byte-order mark kept (editors on Windows write one)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found", path) from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror})", path) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ConfigError(
            f"{path}: line {line} is not UTF-8 text: save the file as UTF-8 in your editor", path
        ) from None


def read_toml(path: Path) -> dict[str, Any]:
    """Parse a TOML file; a syntax error names the file and line."""
    try:
        return tomllib.loads(read_text_file(path).removeprefix(BOM))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}", path) from None


def _default(f: dataclasses.Field) -> Any:
    """A field's default, used to know its type; required fields here are all strings."""
    if f.default is not dataclasses.MISSING:
        return f.default
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    return ""


def _build(cls: type, data: Any, where: str, path: Path) -> Any:
    """Make a settings dataclass from a TOML table, refusing keys it does not know."""
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: [{where}] must be a table", path)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    kwargs: dict[str, Any] = {}
    for key, value in data.items():
        if key not in fields:
            known = ", ".join(sorted(fields))
            raise ConfigError(f"{path}: unknown key {key!r} in [{where}] (known: {known})", path)
        default = _default(fields[key])
        if isinstance(default, tuple):
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ConfigError(f"{path}: {where}.{key} must be a list of strings", path)
            value = tuple(value)
        elif isinstance(default, bool):
            if not isinstance(value, bool):
                raise ConfigError(f"{path}: {where}.{key} must be true or false", path)
        elif isinstance(default, (int, float)):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ConfigError(f"{path}: {where}.{key} must be a number", path)
            if isinstance(value, float) and not math.isfinite(value):
                raise ConfigError(f"{path}: {where}.{key} must be a finite number, not {value}", path)
            if isinstance(default, int) and not isinstance(value, int):
                raise ConfigError(f"{path}: {where}.{key} must be a whole number", path)
        elif isinstance(default, str):
            if not isinstance(value, str):
                raise ConfigError(f"{path}: {where}.{key} must be a string", path)
        elif isinstance(default, dict) and not isinstance(value, dict):
            raise ConfigError(f"{path}: {where}.{key} must be a table", path)
        kwargs[key] = value
    return cls(**kwargs)


def load_settings(path: Path) -> Settings:
    data = read_toml(path)
    top = data.pop("newsletter", {})
    styles = data.pop("style", {})
    ranking = data.pop("ranking", {})
    fetch = data.pop("fetch", {})
    if data:
        key = sorted(data)[0]
        raise ConfigError(f"{path}: unknown table [{key}] (known: newsletter, style, ranking, fetch)", path)
    settings: Settings = _build(
        Settings, {k: v for k, v in top.items() if k not in ("style",)}, "newsletter", path
    )
    if not isinstance(styles, dict):
        raise ConfigError(f"{path}: [style] must hold [style.atr] and [style.techasia]", path)
    style_map = {}
    for name, table in styles.items():
        if name not in STYLES:
            raise ConfigError(f"{path}: unknown style [style.{name}] (known: {', '.join(STYLES)})", path)
        style_map[name] = _build(StyleSettings, table, f"style.{name}", path)
    for name in settings.styles:
        if name not in STYLES:
            raise ConfigError(f"{path}: newsletter.styles names unknown style {name!r}", path)
    if settings.default_style not in STYLES:
        raise ConfigError(f"{path}: newsletter.default_style {settings.default_style!r} is not a style", path)
    try:
        ZoneInfo(settings.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"{path}: unknown time zone {settings.timezone!r} (try Asia/Singapore)", path
        ) from None
    return dataclasses.replace(
        settings,
        style=style_map,
        ranking=_build(RankingSettings, ranking, "ranking", path),
        fetch=_build(FetchSettings, fetch, "fetch", path),
    )


_SLUG_RE = re.compile(r"[^a-z0-9]+")


def slugify(text: str) -> str:
    slug = _SLUG_RE.sub("-", text.lower()).strip("-")
    return slug[:60] or "source"


def load_sources(path: Path) -> list[Source]:
    return sources_from_toml(read_toml(path), path)


def sources_from_toml(data: dict[str, Any], path: Path) -> list[Source]:
    """The sources of a parsed sources.toml, every value checked; ConfigError names the key."""
    rows = data.pop("source", [])
    if data:
        raise ConfigError(f"{path}: unknown key {sorted(data)[0]!r} (sources are [[source]] tables)", path)
    if not isinstance(rows, list):
        raise ConfigError(f"{path}: sources are [[source]] tables", path)
    sources: list[Source] = []
    seen: set[str] = set()
    for n, row in enumerate(rows, 1):
        where = f"source #{n}"
        if not isinstance(row, dict) or "url" not in row:
            raise ConfigError(f"{path}: {where} needs a url", path)
        row = dict(row)
        row.setdefault("name", row["url"])
        row.setdefault("id", slugify(str(row["name"])))
        src: Source = _build(Source, row, where, path)
        _check_source(src, where, path)
        if src.id in seen:
            raise ConfigError(f"{path}: two sources have the id {src.id!r}", path)
        seen.add(src.id)
        sources.append(src)
    return sources


SOURCE_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,79}")


def _check_source(src: Source, where: str, path: Path) -> None:
    """Values a source's keys must hold beyond their types; the message names the key."""
    if not SOURCE_ID_RE.fullmatch(src.id):
        raise ConfigError(
            f"{path}: {where}: id {src.id!r} must be letters, digits, '-' and '_' (like nikkei-asia)", path
        )
    where = f"{where} ({src.id})"
    if not src.url.strip():
        raise ConfigError(f"{path}: {where}: url is empty: give an http(s) feed URL or a file path", path)
    if not src.name.strip():
        raise ConfigError(f"{path}: {where}: name is empty: give the name readers know the outlet by", path)
    if not math.isfinite(src.weight) or src.weight < 0:
        raise ConfigError(
            f"{path}: {where}: weight must be a finite number of 0 or more (1.0 is ordinary), "
            f"not {src.weight}",
            path,
        )


_SOURCES_HEADER = "Feeds this newsletter reads. Edit freely: `newsletter sources ...` keeps your comments."


def _toml_value(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def dump_sources(sources: list[Source], existing: str = "") -> str:
    """sources.toml text for these sources, keeping the editor's comments, order and layout.

    Tables of sources that stay are updated key by key, new sources are appended and removed
    ones dropped, so `sources add` never wipes what the editor wrote in the file. Sources the
    editor wrote as an inline array (`source = [{ id = ... }]`) stay one, and get inline tables.
    """
    if existing and not existing.endswith("\n"):
        existing += "\n"  # else tomlkit glues an appended table onto the last line
    doc = tomlkit.parse(existing) if existing.strip() else tomlkit.document()
    if not existing.strip():
        doc.add(tomlkit.comment(_SOURCES_HEADER))
        doc.add(tomlkit.nl())
    rows: Any = doc.get("source")
    if rows is not None and not isinstance(rows, (tomlkit.items.AoT, tomlkit.items.Array)):
        raise ConfigError("sources are [[source]] tables")
    if isinstance(rows, tomlkit.items.Array) and not len(rows):
        del doc["source"]  # `source = []`: the new sources become [[source]] tables
        rows = None
    inline = isinstance(rows, tomlkit.items.Array)
    wanted = {src.id: src for src in sources}
    default = Source(id="", name="", url="")
    present: set[str] = set()
    for index in reversed(range(len(rows) if rows is not None else 0)):
        table = rows[index]
        name = str(table.get("name", table.get("url", "")))
        sid = str(table.get("id", slugify(name)))
        src = wanted.get(sid)
        if src is None:
            del rows[index]
            continue
        present.add(sid)
        for f in dataclasses.fields(Source):
            value = getattr(src, f.name)
            if f.name == "id" and "id" not in table:
                continue  # an id the file leaves to the name stays implicit
            if value is None or (f.name not in table and value == getattr(default, f.name)):
                if value is None and f.name in table:
                    del table[f.name]
                continue
            if table.get(f.name) != _toml_value(value):
                table[f.name] = _toml_value(value)
    added = []
    for src in sources:
        if src.id in present:
            continue
        table = tomlkit.inline_table() if inline else tomlkit.table()
        for f in dataclasses.fields(Source):
            value = getattr(src, f.name)
            if value is not None and (f.name in ("id", "name", "url") or value != getattr(default, f.name)):
                table[f.name] = _toml_value(value)
        added.append(table)
    if not sources:
        # An empty array of tables would be written as `source = []`, which tables cannot follow.
        if "source" in doc:
            del doc["source"]
    elif rows is None:
        doc.append("source", tomlkit.aot())
        rows = doc["source"]
    for table in added:
        rows.append(table)
    text = tomlkit.dumps(doc)
    return text if text.endswith("\n") else text + "\n"


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
                shutil.copytree(defaults / name, path / name)
            (path / "issues").mkdir(exist_ok=True)
            gitignore = path / ".gitignore"
            if not gitignore.exists():
                atomic_write(gitignore, ".newsletter/\n")
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
    def templates(self) -> Path:
        return self.root / "templates"

    @property
    def issues(self) -> Path:
        return self.root / "issues"

    @property
    def default_db(self) -> Path:
        return self.root / ".newsletter" / "store.sqlite3"

    def issue_dir(self, week: object) -> Path:
        return self.issues / str(week)

    def settings(self) -> Settings:
        return load_settings(self.settings_path)

    def sources(self) -> list[Source]:
        if not self.sources_path.exists():
            return []
        return load_sources(self.sources_path)

    def save_sources(self, sources: list[Source]) -> None:
        """Write sources.toml, only once the new text is checked to read back as exactly these sources."""
        path = self.sources_path
        existing = read_text_file(path) if path.exists() else ""
        bom = BOM if existing.startswith(BOM) else ""
        try:
            text = dump_sources(sources, existing.removeprefix(BOM))
            again = sources_from_toml(tomllib.loads(text), path)
        except (ConfigError, tomllib.TOMLDecodeError, tomlkit.exceptions.TOMLKitError) as exc:
            why = " ".join(str(exc).split())
            message = f"{path}: cannot be updated safely ({why}); nothing was changed"
            raise ConfigError(message, path) from None
        if again != sources:
            raise ConfigError(f"{path}: cannot be updated safely; nothing was changed: edit it by hand", path)
        atomic_write(path, bom + text)

    def resolve_local(self, url: str) -> Path:
        """A local source path, relative to the workspace; never outside it unless absolute in config."""
        path = Path(url).expanduser()
        return path if path.is_absolute() else (self.root / path)
