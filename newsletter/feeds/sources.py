"""The source list: seeds/sources.toml read into Sources and written back with the editor's comments kept."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

import tomlkit

from ..config import from_table, read_toml
from ..errors import ConfigError
from ..models import Source

_SLUG_RE = re.compile(r"[^a-z0-9]+")


def slugify(text: str) -> str:
    slug = _SLUG_RE.sub("-", text.lower()).strip("-")
    return slug[:60] or "source"


def load_sources(path: Path) -> list[Source]:
    data = read_toml(path)
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
        if src.id in seen:
            raise ConfigError(f"{path}: two sources have the id {src.id!r}", path)
        seen.add(src.id)
        sources.append(src)
    return sources


_SOURCES_HEADER = "Feeds this newsletter reads. Edit freely: `newsletter sources ...` keeps your comments."


def _toml_value(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def dump_sources(sources: list[Source], existing: str = "") -> str:
    """sources.toml text for these sources, keeping the editor's comments, order and layout.

    Tables of sources that stay are updated key by key, new sources are appended and removed
    ones dropped, so `sources add` never wipes what the editor wrote in the file.
    """
    doc = tomlkit.parse(existing) if existing.strip() else tomlkit.document()
    if not existing.strip():
        doc.add(tomlkit.comment(_SOURCES_HEADER))
        doc.add(tomlkit.nl())
    tables = doc.get("source")
    if tables is None:
        tables = tomlkit.aot()
        doc.append("source", tables)
    wanted = {src.id: src for src in sources}
    default = Source(id="", name="", url="")
    present: set[str] = set()
    for index in reversed(range(len(tables))):
        table = tables[index]
        name = str(table.get("name", table.get("url", "")))
        sid = str(table.get("id", slugify(name)))
        src = wanted.get(sid)
        if src is None:
            del tables[index]
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
    for src in sources:
        if src.id in present:
            continue
        table = tomlkit.table()
        for f in dataclasses.fields(Source):
            value = getattr(src, f.name)
            if value is not None and (f.name in ("id", "name", "url") or value != getattr(default, f.name)):
                table[f.name] = _toml_value(value)
        tables.append(table)
    text = tomlkit.dumps(doc)
    return text if text.endswith("\n") else text + "\n"
