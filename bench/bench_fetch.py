"""Fetch benchmark: 300 feeds x 50 items from loopback servers; reader's update_feeds against ours.

Run: .venv/bin/python bench/bench_fetch.py [--feeds 300] [--items 50] [--hosts 10] [--workers 8] [--detail]

Times the full pipeline, `Newsletter(workspace).fetch()` (download, parse, store; the workspace's
seeds/sources.toml lists the feeds), first into an empty store and then again with every feed
unchanged (all 304s), against reader's update_feeds(workers=8) in the same run. --detail adds
our fetch stage alone and fetch + parse without the store, to show where the time goes.

The feeds are served by a separate process (so the server does not share the GIL with the
code being timed), from --hosts loopback addresses 127.0.0.1..127.0.0.N: real feed lists span
many hosts, and our client allows only 2 requests at once per host, as the issue asks.
Each contender starts from an empty database; the same server answers both in the same run.
"""

from __future__ import annotations

import argparse
import email.utils
import multiprocessing as mp
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from httpserver import HTTPServer, Reply  # noqa: E402

from newsletter.config import FetchSettings  # noqa: E402
from newsletter.feeds.fetch import FetchResult, fetch_sources  # noqa: E402
from newsletter.feeds.parse import parse_feed  # noqa: E402
from newsletter.models import Source, SourceHealth  # noqa: E402
from newsletter.workspace import Workspace  # noqa: E402

COMPANIES = [
    "TSMC", "Samsung Electronics", "SK Hynix", "Alibaba", "Tencent", "ByteDance", "Grab", "Sea",
    "GoTo", "Reliance Jio", "Infosys", "Sony", "SoftBank", "Rakuten", "Naver", "Kakao", "Xiaomi",
    "Huawei", "BYD", "Foxconn", "MediaTek", "Flipkart", "Paytm", "Zepto", "Shopee", "Baidu",
]  # fmt: skip
PLACES = ["Shanghai", "Shenzhen", "Bengaluru", "Tokyo", "Seoul", "Taipei", "Singapore", "Jakarta", "Hanoi"]
VERBS = [
    "raises",
    "unveils",
    "delays",
    "expands",
    "cuts",
    "acquires",
    "partners with",
    "files for",
    "launches",
]
THINGS = [
    "an AI chip plant", "a $300m Series C", "its IPO in Hong Kong", "a super-app payments arm",
    "2nm production", "a robotaxi pilot", "a satellite broadband service", "an e-commerce push",
    "a data-centre campus", "a foldable phone", "a fintech licence", "an HBM memory line",
]  # fmt: skip
TEXT = """the company said on Tuesday that demand from cloud customers had outpaced supply for a third
quarter while regulators in the region weighed new rules on cross-border data and export controls
analysts expect margins to widen as capacity comes online next year investors welcomed the move
shares rose in early trading the deal still needs approval from authorities"""
WORDS = TEXT.split()


def make_feed(n: int, items: int, rng: random.Random) -> bytes:
    """One RSS 2.0 feed with realistic items of ~1-2 kB each."""
    out = [
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>'
        f"<title>Asia Tech Wire {n}</title><link>https://wire{n}.example.com/</link>"
        f"<description>Technology news from Asia, desk {n}</description><language>en</language>"
    ]
    base = 1_795_000_000 - n * 3600
    for i in range(items):
        company, verb, thing = rng.choice(COMPANIES), rng.choice(VERBS), rng.choice(THINGS)
        place = rng.choice(PLACES)
        title = f"{company} {verb} {thing} in {place}"
        paras = []
        for _ in range(rng.randint(3, 5)):
            words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(35, 55)))
            paras.append(
                f"<p>{words.capitalize()}. <a href='https://example.com/x'>{company}</a> &amp; co.</p>"
            )
        desc = "".join(paras).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        slug = f"{n}-{i}-{company.lower().replace(' ', '-')}"
        out.append(
            f"<item><title>{title}</title><link>https://wire{n}.example.com/{slug}?utm_source=rss</link>"
            f'<guid isPermaLink="false">wire{n}-{i}</guid>'
            f"<pubDate>{email.utils.formatdate(base - i * 5400, usegmt=True)}</pubDate>"
            f"<dc:creator>Desk {n}</dc:creator><category>{rng.choice(PLACES)}</category>"
            f"<description>{desc}</description></item>"
        )
    out.append("</channel></rss>")
    return "".join(out).encode()


def serve(feeds: int, items: int, hosts: int, ready: Any, stop: Any) -> None:
    """In a child process: the feeds spread over `hosts` loopback addresses, until told to stop."""
    rng = random.Random(48)
    servers = [HTTPServer(f"127.0.0.{h + 1}").start() for h in range(hosts)]
    urls = []
    for n in range(feeds):
        body = make_feed(n, items, rng)
        srv = servers[n % hosts]
        modified = email.utils.formatdate(1_795_000_000 - n, usegmt=True)
        urls.append(srv.route(f"/feed/{n}.xml", Reply(body=body, etag=f'"f{n}-v1"', last_modified=modified)))
    ready.put((urls, len(make_feed(0, items, random.Random(1)))))
    stop.wait()
    for srv in servers:
        srv.stop()


def timed(label: str, fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    value = fn()
    seconds = time.perf_counter() - start
    print(f"  {label:<52} {seconds:7.2f} s", flush=True)
    return seconds, value


def run_reader(urls: list[str], tmp: Path, workers: int) -> tuple[float, float]:
    from reader import make_reader

    reader = make_reader(str(tmp / "reader.sqlite"))
    for url in urls:
        reader.add_feed(url)
    first, _ = timed(
        f"reader update_feeds(workers={workers}), first", lambda: reader.update_feeds(workers=workers)
    )
    entries = reader.get_entry_counts().total
    # scheduled=False: otherwise reader skips feeds it updated within the hour and does no work.
    second, _ = timed(
        "reader update_feeds(scheduled=False), unchanged",
        lambda: reader.update_feeds(workers=workers, scheduled=False),
    )
    reader.close()
    print(f"    reader stored {entries} entries")
    return first, second


def run_fetch_only(sources: list[Source], tmp: Path, settings: FetchSettings) -> tuple[float, float]:
    results: list[FetchResult] = []

    def go() -> int:
        results.extend(fetch_sources(sources, {}, root=tmp, settings=settings))
        return sum(len(r.data or b"") for r in results)

    seconds, size = timed("our fetch_sources only (no parse, no store)", go)
    print(f"    {size / 1e6:.1f} MB fetched: {sorted({r.status for r in results})}")
    health = {
        r.source.id: SourceHealth(r.source.id, etag=r.etag, last_modified=r.last_modified) for r in results
    }
    again, statuses = timed(
        "our fetch_sources, unchanged (conditional GET)",
        lambda: {r.status for r in fetch_sources(sources, health, root=tmp, settings=settings)},
    )
    print(f"    statuses: {sorted(statuses)}")
    return seconds, again


def run_fetch_parse(sources: list[Source], tmp: Path, settings: FetchSettings) -> tuple[float, float]:
    parse_time = 0.0

    def go() -> int:
        nonlocal parse_time
        count = 0
        for r in fetch_sources(sources, {}, root=tmp, settings=settings):
            t = time.perf_counter()
            count += len(parse_feed(r.data or b"", source_id=r.source.id, url=r.final_url or "",
                                    content_type=r.content_type).items)  # fmt: skip
            parse_time += time.perf_counter() - t
        return count

    seconds, count = timed("our fetch_sources + parse_feed (no store)", go)
    print(f"    {count} items parsed; parse_feed alone took {parse_time:.2f} s of it")
    return seconds, parse_time


def run_app(sources: list[Source], tmp: Path, workers: int) -> tuple[float, float]:
    from newsletter.app import Newsletter

    ws = Workspace.init(tmp / "ws")
    ws.save_sources(sources)
    app = Newsletter(ws, db=tmp / "store.sqlite3")
    # Time spent writing the store, measured by wrapping the one method fetch stores through.
    store = app.store
    save_fetch = store.save_fetch
    in_store = 0.0

    def timed_save(*args: Any, **kwargs: Any) -> int:
        nonlocal in_store
        start = time.perf_counter()
        try:
            return save_fetch(*args, **kwargs)
        finally:
            in_store += time.perf_counter() - start

    store.save_fetch = timed_save  # type: ignore[method-assign]
    try:
        first, summary = timed("our Newsletter.fetch(), first", lambda: app.fetch(concurrency=workers))
        print(f"    {summary.line()}; {in_store:.2f} s of it in Store.save_fetch")
        second, summary = timed(
            "our Newsletter.fetch(), unchanged (304s)", lambda: app.fetch(concurrency=workers)
        )
        print(f"    {summary.line()}")
    finally:
        app.close()
    return first, second


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--feeds", type=int, default=300)
    ap.add_argument("--items", type=int, default=50)
    ap.add_argument("--hosts", type=int, default=10)
    ap.add_argument("--workers", type=int, default=8)
    ap.add_argument("--detail", action="store_true", help="also time fetch alone and fetch + parse")
    args = ap.parse_args()

    ctx = mp.get_context("spawn")
    ready, stop = ctx.Queue(), ctx.Event()
    proc = ctx.Process(target=serve, args=(args.feeds, args.items, args.hosts, ready, stop), daemon=True)
    proc.start()
    urls, one_size = ready.get(timeout=120)
    print(
        f"{args.feeds} feeds x {args.items} items ({one_size / 1000:.0f} kB a feed)"
        f" on {args.hosts} loopback hosts"
    )
    sources = [Source(id=f"wire-{n}", name=f"Asia Tech Wire {n}", url=u) for n, u in enumerate(urls)]
    settings = FetchSettings(concurrency=args.workers)
    detail = None
    try:
        with tempfile.TemporaryDirectory() as tmp_name:
            tmp = Path(tmp_name)
            reader_first, reader_second = run_reader(urls, tmp, args.workers)
            ours_first, ours_second = run_app(sources, tmp, args.workers)
            if args.detail:
                fetch_only, fetch_again = run_fetch_only(sources, tmp, settings)
                detail = (fetch_only, fetch_again, run_fetch_parse(sources, tmp, settings))
    finally:
        stop.set()
        proc.join(timeout=10)

    print("\nratios (ours / reader's; goal: first <= 0.50, unchanged re-fetch < 2 s)")
    verdict = "ok" if ours_first <= reader_first / 2 else "MISSED"
    print(
        f"  full first fetch       {ours_first / reader_first:5.2f}"
        f"   ({ours_first:.2f} s against {reader_first:.2f} s)   {verdict}"
    )
    verdict = "ok" if ours_second < 2 else "MISSED"
    print(f"  unchanged re-fetch     {ours_second:5.2f} s (reader's {reader_second:.2f} s)   {verdict}")
    if detail:
        fetch_only, fetch_again, with_parse = detail
        print(f"  fetch stage only       {fetch_only / reader_first:5.2f}")
        print(f"  fetch only, unchanged  {fetch_again:5.2f} s")
        ratio = with_parse[0] / reader_first
        print(f"  fetch + parse, serial  {ratio:5.2f}   (parse {with_parse[1]:.2f} s)")


if __name__ == "__main__":
    main()
