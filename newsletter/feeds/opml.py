"""OPML in and out: the subscription lists that feed readers import and export."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ..errors import ConfigError
from ..models import Source
from .feedtext import clean_line
from .parse import defuse_doctype

MAX_BYTES = 20_000_000  # a subscription list of 50,000 feeds fits
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_CATEGORY_SPLIT_RE = re.compile(r"[,/]")


@dataclass(frozen=True)
class OpmlOutline:
    """One subscription from an OPML file; categories come from parent outlines and the category attribute."""

    url: str
    title: str
    categories: tuple[str, ...] = ()


def _attr(node: ET.Element, name: str) -> str:
    """An attribute by name, case-insensitively (readers write xmlUrl, xmlurl and XMLURL)."""
    value = node.get(name)
    if value is None:
        lower = name.lower()
        value = next((v for k, v in node.attrib.items() if k.lower() == lower), "")
    return " ".join(value.split())


def _walk(node: ET.Element, parents: tuple[str, ...]) -> Iterator[OpmlOutline]:
    for child in node:
        if not isinstance(child.tag, str) or child.tag.lower() != "outline":
            continue
        # A name from someone else's file, cleaned as a feed's title is (no terminal controls, no bidi).
        label = clean_line(_attr(child, "text") or _attr(child, "title"))
        url = _attr(child, "xmlUrl")
        if url:
            own = (c.strip() for c in _CATEGORY_SPLIT_RE.split(_attr(child, "category")))
            cats: dict[str, None] = dict.fromkeys(c for c in (*parents, *own) if c)
            yield OpmlOutline(url=url, title=label or url, categories=tuple(cats))
        yield from _walk(child, (*parents, label) if label and not url else parents)


def read_file(path: Path) -> bytes:
    """The bytes of an OPML file, at most MAX_BYTES: a regular file only (a pipe would never end)."""
    from .fetch import read_local  # here: writing OPML needs no HTTP client

    return read_local(path.expanduser(), MAX_BYTES, configured=False)


def read_opml(data: bytes | Path) -> list[OpmlOutline]:
    """Every feed outline of an OPML document, nested folders flattened into categories; duplicates once.

    data: the document, or the path of its file (see read_file).
    """
    if isinstance(data, Path):
        data = read_file(data)
    # Entity declarations are refused outright: an OPML export never needs them and expat would expand them.
    if defuse_doctype(data) != data:
        raise ConfigError(
            "OPML file declares XML entities, which are refused: export it again from your reader"
        )
    try:
        root = ET.fromstring(data)
    except (ET.ParseError, LookupError) as exc:  # LookupError: an encoding Python does not know
        raise ConfigError(f"not a valid OPML file ({exc}): export it again from your feed reader") from None
    if root.tag.lower() != "opml":
        raise ConfigError(
            f"not an OPML file (root element <{root.tag}>): export it again from your feed reader"
        )
    body = next((c for c in root if isinstance(c.tag, str) and c.tag.lower() == "body"), None)
    if body is None:
        raise ConfigError("OPML file has no <body>: export it again from your feed reader")
    seen: dict[str, OpmlOutline] = {}
    try:
        for outline in _walk(body, ()):
            seen.setdefault(outline.url, outline)
    except RecursionError:  # expat reads any depth; _walk recurses once per nested folder
        raise ConfigError("OPML folders nest too deeply: export it again from your feed reader") from None
    return list(seen.values())


def _clean(text: str) -> str:
    """Text XML 1.0 can carry: control characters are not escapable, so they go."""
    return _CONTROL_RE.sub("", text)


def write_opml(sources: list[Source], title: str) -> str:
    """An OPML 2.0 document listing the sources; region and themes go into the category attribute."""
    root = ET.Element("opml", version="2.0")
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = _clean(title)
    body = ET.SubElement(root, "body")
    for source in sources:
        attrs = {"type": "rss", "text": _clean(source.name), "title": _clean(source.name)}
        attrs["xmlUrl"] = _clean(source.url)
        categories = [c for c in (source.region or "", *source.themes) if c]
        if categories:
            attrs["category"] = _clean(",".join(categories))
        ET.SubElement(body, "outline", attrs)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
