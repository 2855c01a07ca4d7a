"""The source list: seeds/sources.toml read into Sources, edited, and written back with the editor's comments.

Editing (add, find, move, import from OPML) works on lists of Sources; the workspace reads and
saves the file.
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
import tomllib
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..config import from_table, read_toml
from ..errors import ConfigError, SourceError
from ..models import Source, SourceHealth
from .urls import check_remote_url, looks_like_url

if TYPE_CHECKING:
    from .opml import OpmlOutline

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
        src: Source = from_table(Source, row, where, path)
        if src.tech is not None and not isinstance(src.tech, bool):
            raise ConfigError(f"{path}: {where}.tech must be true or false", path)
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
    import tomlkit  # only writing needs it: reading is tomllib (config.read_toml)
    import tomlkit.items

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


def checked_text(sources: list[Source], existing: str, path: Path) -> str:
    """dump_sources, refused unless the new text reads back as exactly these sources: whatever
    valid TOML the editor wrote stays valid, or the file is left as it is."""
    import tomlkit.exceptions

    try:
        text = dump_sources(sources, existing)
        again = sources_from_toml(tomllib.loads(text), path)
    except (ConfigError, tomllib.TOMLDecodeError, tomlkit.exceptions.TOMLKitError) as exc:
        why = " ".join(str(exc).split())
        raise ConfigError(f"{path}: cannot be updated safely ({why}); nothing was changed", path) from None
    if again != sources:
        raise ConfigError(f"{path}: cannot be updated safely; nothing was changed: edit it by hand", path)
    return text


# -- editing the list ----------------------------------------------------------------------------


def find_source(sources: Sequence[Source], source_id: str) -> Source:
    found = next((s for s in sources if s.id == source_id), None)
    if found is None:
        raise SourceError(f"no source with id {source_id!r}: `newsletter sources list` shows them")
    return found


def to_fetch(sources: Sequence[Source], source_ids: Sequence[str] = ()) -> list[Source]:
    """The sources a fetch takes: the ones named, else every enabled one; SourceError when that is none."""
    named = dict.fromkeys(source_ids)  # a source named twice is fetched once
    chosen = [find_source(sources, i) for i in named] if named else [s for s in sources if s.enabled]
    if not chosen:
        raise SourceError(
            "no source is enabled: `newsletter sources list` shows them, "
            "`newsletter sources enable ID` turns one on, `newsletter sources add URL` adds one"
        )
    return chosen


def with_health(
    sources: Sequence[Source],
    health: Mapping[str, SourceHealth],
    every: Mapping[str, Source],
    ingested: set[str],
) -> list[tuple[Source, SourceHealth]]:
    """Each configured source with its health, then those the store holds items of that sources.toml
    does not list: status "one-off" (ingested by hand: in `ingested`) or "removed" (taken out of
    sources.toml). every: each source items can come from, by id, as settled (names, technology prior, home
    region: outlets.every_source)."""
    rows = [(every.get(s.id, s), health.get(s.id, SourceHealth(s.id))) for s in sources]  # settled
    listed = {s.id for s in sources}
    for source_id in sorted(set(health) - listed):
        h = health[source_id]
        if not h.item_count and source_id not in ingested:
            continue  # health left from a removed source that never stored anything
        status = "one-off" if source_id in ingested else "removed"
        known = every.get(source_id)
        src = Source(id=source_id, name=known.name if known else source_id, url="", enabled=False)
        if known is not None:
            src = dataclasses.replace(src, tech=known.tech, home=known.home, language=known.language)
        rows.append((src, dataclasses.replace(h, status=status)))
    return rows


def free_id(base: str, taken: set[str]) -> str:
    """base, or base-2, base-3, ... : the first id no other source has."""
    source_id, n = base, 2
    while source_id in taken:
        source_id, n = f"{base}-{n}", n + 1
    return source_id


def name_from_url(url: str) -> str:
    host = url.split("://", 1)[-1].split("/", 1)[0]
    host = host.removeprefix("www.")
    return host or os.path.basename(url) or "source"


def location(url: str, root: Path) -> str:
    """An http(s) URL, or a feed file that exists (kept relative when inside the workspace at root)."""
    if not url.strip():
        raise SourceError("give a feed URL (https://...) or the path of a feed file", url)
    if looks_like_url(url):
        return check_remote_url(url)
    path = Path(url).expanduser().resolve()
    if not path.is_file():
        raise SourceError(f"{url}: no such feed file (sources are http(s) URLs or local feed files)", url)
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def check_new(sources: Sequence[Source], url: str) -> None:
    for src in sources:
        if src.url == url:
            raise SourceError(f"{url} is already a source ({src.id})", url)


def new_source(
    sources: Sequence[Source], url: str, *, name: str | None, region: str | None, themes: tuple[str, ...]
) -> Source:
    """A source for url (already checked by location), with an id no other source has."""
    source_id = free_id(slugify(name or name_from_url(url)), {s.id for s in sources})
    return Source(id=source_id, name=name or name_from_url(url), url=url, region=region, themes=themes)


def from_opml(
    sources: Sequence[Source],
    outlines: Iterable[OpmlOutline],
    region_of: Callable[[str], str | None],
    theme_of: Callable[[str], str | None],
    name_of: Callable[[str, str], str] = lambda url, title: title or name_from_url(url),
) -> tuple[list[Source], list[str]]:
    """New sources for the outlines not already sources, categories mapped to regions and themes; and
    one line for each outline skipped, saying why."""
    known_urls = {s.url for s in sources}
    ids = {s.id for s in sources}
    added: list[Source] = []
    skipped: list[str] = []
    for outline in outlines:
        try:
            url = check_remote_url(outline.url)
        except SourceError as exc:
            skipped.append(f"{outline.url}: {exc}")
            continue
        if url in known_urls:
            skipped.append(f"{url}: already a source")
            continue
        region = next((r for c in outline.categories if (r := region_of(c))), None)
        themes = tuple(dict.fromkeys(t for c in outline.categories if (t := theme_of(c))))
        name = name_of(url, outline.title)
        source_id = free_id(slugify(name), ids)
        ids.add(source_id)
        known_urls.add(url)
        added.append(Source(id=source_id, name=name, url=url, region=region, themes=themes))
    return added, skipped


def moved(sources: Iterable[Source], moves: Mapping[str, str]) -> list[Source]:
    """The sources with the new URLs of those that moved (source id -> URL)."""
    return [dataclasses.replace(s, url=moves[s.id]) if s.id in moves else s for s in sources]
