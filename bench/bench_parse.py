"""Parse every feed in the stress corpus with our parse_feed and with raw feedparser (default sanitizer).

Run: .venv/bin/python bench/bench_parse.py [CORPUS_DIR]
Prints seconds, MB/s, entries/items and the ratio, both measured in the same run.
"""

from __future__ import annotations

import io
import os
import sys
import time
from pathlib import Path

import feedparser

from newsletter.errors import FeedParseError
from newsletter.feeds.parse import parse_feed

DEFAULT = Path(
    os.environ.get("NEWSLETTER_CORPUS") or Path(__file__).resolve().parents[2] / "shared" / "corpus"
)


def main() -> int:
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT / "stress"
    paths = sorted(
        p
        for p in root.rglob("*")
        if p.is_file() and p.suffix.lower() in (".xml", ".rss", ".atom", ".json", "")
    )
    if not paths:
        print(f"no feeds under {root}: pass the stress corpus folder", file=sys.stderr)
        return 1
    bodies = [p.read_bytes() for p in paths]
    mb = sum(len(b) for b in bodies) / 1e6

    start = time.perf_counter()
    entries = sum(len(feedparser.parse(io.BytesIO(b)).entries) for b in bodies)
    raw = time.perf_counter() - start

    start = time.perf_counter()
    for b in bodies:
        feedparser.parse(io.BytesIO(b), sanitize_html=False, resolve_relative_uris=False)
    bare = time.perf_counter() - start

    start = time.perf_counter()
    items = failed = 0
    for body in bodies:
        try:
            items += len(parse_feed(body, source_id="bench").items)
        except FeedParseError:
            failed += 1
    ours = time.perf_counter() - start

    print(f"{len(bodies)} files, {mb:.1f} MB")
    print(f"feedparser.parse (default sanitizer): {raw:6.2f} s  {mb / raw:5.2f} MB/s  {entries} entries")
    print(f"feedparser.parse (no sanitizer):      {bare:6.2f} s  {mb / bare:5.2f} MB/s  (floor)")
    print(f"newsletter parse_feed (nh3 + clean):  {ours:6.2f} s  {mb / ours:5.2f} MB/s  {items} items")
    print(f"{failed} bodies were not feeds")
    print(f"ratio ours/feedparser: {ours / raw:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
