"""Robustness on the shared real-world corpus: only FeedParseError escapes, every linked entry arrives.

The corpus lives outside the project: ../shared/corpus beside the repository root (or NEWSLETTER_CORPUS).
A user's clone has none, so every test here skips with a message when it is absent; `.ci/run` sets
NEWSLETTER_REQUIRE_CORPUS=1, which turns that skip into a failure. stress/ is for bench/ only.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import feedparser
import pytest

from newsletter.errors import FeedParseError
from newsletter.feeds.parse import parse_feed
from newsletter.feeds.urls import canonical_url


def repository_roots() -> list[Path]:
    """The checkout's top folder (the one with pyproject.toml) as reached, and with links resolved."""
    roots = []
    for start in (Path(os.path.abspath(__file__)), Path(__file__).resolve()):
        root = next((d for d in start.parents if (d / "pyproject.toml").is_file()), start.parent)
        if root not in roots:
            roots.append(root)
    return roots


def find_corpus() -> Path:
    if os.environ.get("NEWSLETTER_CORPUS"):
        return Path(os.environ["NEWSLETTER_CORPUS"])
    candidates = [root.parent / "shared" / "corpus" for root in repository_roots()]
    return next((c for c in candidates if c.is_dir()), candidates[0])


CORPUS = find_corpus()
if not CORPUS.is_dir() and os.environ.get("NEWSLETTER_REQUIRE_CORPUS") == "1":
    raise RuntimeError(f"feed corpus not found at {CORPUS} and NEWSLETTER_REQUIRE_CORPUS=1")
needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"feed corpus not found at {CORPUS}")


def files(folder: str) -> list[Path]:
    root = CORPUS / folder
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else []


@needs_corpus
@pytest.mark.parametrize("folder", ["feedparser-tests", "jsonfeed", "real-feeds"])
def test_every_file_parses_or_says_it_is_no_feed(folder: str) -> None:
    paths = files(folder)
    assert paths, f"{folder} is empty"
    failures = []
    for path in paths:
        try:
            parse_feed(path.read_bytes(), source_id="corpus")
        except FeedParseError as exc:
            assert "\n" not in str(exc)
        except Exception as exc:  # noqa: BLE001 - the point is to list every unexpected failure
            failures.append(f"{path.relative_to(CORPUS)}: {type(exc).__name__}: {exc}")
    assert not failures, "\n".join(failures)


@needs_corpus
def test_every_linked_entry_of_real_feeds_arrives() -> None:
    feeds = [p for p in files("real-feeds") if p.suffix != ".md"]
    assert len(feeds) >= 50
    missing, total = [], 0
    for path in feeds:
        data = path.read_bytes()
        raw = feedparser.parse(io.BytesIO(data))
        base = raw.feed.get("link", "")
        want = {canonical_url(e.get("link", ""), base) for e in raw.entries} - {""}
        got = {item.url for item in parse_feed(data, source_id=path.stem).items}
        total += len(got)
        missing += [f"{path.name}: {url}" for url in sorted(want - got)]
    assert not missing, "\n".join(missing[:20])
    assert total >= 1800


@needs_corpus
def test_daily_snapshots_are_one_item_per_article() -> None:
    snapshots = sorted((CORPUS / "real-feeds").glob("arstechnica_2026-08-*.xml"))
    assert len(snapshots) == 7
    ids, links, entries = set(), set(), 0
    for path in snapshots:
        data = path.read_bytes()
        entries += len(feedparser.parse(io.BytesIO(data)).entries)
        for item in parse_feed(data, source_id="ars").items:
            ids.add(item.id)
            links.add(item.url)
    assert entries == 140
    assert len(ids) == len(links) == 89
