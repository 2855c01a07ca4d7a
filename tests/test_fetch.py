"""fetch.py and httpfetch.py against a real HTTP server on 127.0.0.1: statuses, redirects, retries, caps."""

from __future__ import annotations

import contextlib
import dataclasses
import gzip
import socket
import threading
import time
import tracemalloc
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from httpserver import HTTPServer, Reply  # tests/ is on sys.path under pytest

from newsletter import __version__
from newsletter.config import FetchSettings
from newsletter.errors import SourceError
from newsletter.feeds import httpfetch
from newsletter.feeds.fetch import FetchResult, fetch_sources, fetch_url, read_local
from newsletter.feeds.urls import check_remote_url
from newsletter.models import Source, SourceHealth

FEED = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Test</title><link>https://example.com/</link>
<item><title>TSMC books record quarter</title><link>https://example.com/a</link></item>
</channel></rss>"""
ETAG = '"v1"'
MODIFIED = "Mon, 23 Nov 2026 08:00:00 GMT"
SETTINGS = FetchSettings(
    concurrency=8, per_host=2, timeout=0.5, max_bytes=1_000_000, retries=2, max_redirects=5
)


@pytest.fixture(autouse=True)
def fast_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(httpfetch, "BACKOFF_BASE", 0.01)


@pytest.fixture
def server() -> object:
    with HTTPServer() as srv:
        yield srv


def src(url: str, sid: str = "s") -> Source:
    return Source(id=sid, name=sid, url=url)


def run(
    sources: list[Source],
    tmp_path: Path,
    settings: FetchSettings = SETTINGS,
    health: dict[str, SourceHealth] | None = None,
) -> dict[str, FetchResult]:
    results = {}
    for result in fetch_sources(sources, health or {}, root=tmp_path, settings=settings):
        assert result.source.id not in results, "each source is yielded once"
        results[result.source.id] = result
    assert set(results) == {s.id for s in sources}
    return results


def one(url: str, tmp_path: Path, settings: FetchSettings = SETTINGS) -> FetchResult:
    return run([src(url)], tmp_path, settings)["s"]


def test_200_gives_bytes_validators_and_sends_user_agent(server: HTTPServer, tmp_path: Path) -> None:
    url = server.route("/feed", Reply(body=FEED, etag=ETAG, last_modified=MODIFIED))
    r = one(url, tmp_path)
    assert (r.status, r.http_status, r.data, r.error) == ("ok", 200, FEED, None)
    assert r.content_type == "application/rss+xml; charset=utf-8"
    assert (r.etag, r.last_modified, r.final_url, r.permanent_redirect) == (ETAG, MODIFIED, url, None)
    ua = server.requests("/feed")[0].header("User-Agent")
    assert ua is not None and ua.startswith(f"newsletter/{__version__} (+https://")


def test_second_run_is_a_conditional_get_answered_304(server: HTTPServer, tmp_path: Path) -> None:
    url = server.route("/feed", Reply(body=FEED, etag=ETAG, last_modified=MODIFIED))
    first = one(url, tmp_path)
    health = {"s": SourceHealth("s", status="ok", etag=first.etag, last_modified=first.last_modified)}
    second = run([src(url)], tmp_path, health=health)["s"]
    assert (second.status, second.http_status, second.data) == ("not_modified", 304, None)
    assert (second.etag, second.last_modified) == (ETAG, MODIFIED), "validators kept for the store"
    seen = server.requests("/feed")[1]
    assert seen.header("If-None-Match") == ETAG
    assert seen.header("If-Modified-Since") == MODIFIED
    assert server.requests("/feed")[0].header("If-None-Match") is None


def test_last_modified_alone_is_enough_for_304(server: HTTPServer, tmp_path: Path) -> None:
    url = server.route("/feed", Reply(body=FEED, last_modified=MODIFIED))
    health = {"s": SourceHealth("s", last_modified=MODIFIED)}
    r = run([src(url)], tmp_path, health=health)["s"]
    assert (r.status, r.last_modified, r.etag) == ("not_modified", MODIFIED, None)


def test_permanent_redirect_chain_is_followed_and_reported(server: HTTPServer, tmp_path: Path) -> None:
    server.route("/old", Reply(301, headers=(("Location", "/newer"),)))
    server.route("/newer", Reply(308, headers=(("Location", server.url("/newest")),)))
    server.route("/newest", Reply(body=FEED))
    r = one(server.url("/old"), tmp_path)
    assert (r.status, r.data) == ("ok", FEED)
    assert r.final_url == r.permanent_redirect == server.url("/newest")


def test_temporary_hop_ends_what_counts_as_moved(server: HTTPServer, tmp_path: Path) -> None:
    server.route("/a", Reply(301, headers=(("Location", "/b"),)))
    server.route("/b", Reply(302, headers=(("Location", "/c"),)))
    server.route("/c", Reply(301, headers=(("Location", "/d"),)))
    server.route("/d", Reply(body=FEED))
    r = one(server.url("/a"), tmp_path)
    assert (r.status, r.final_url, r.permanent_redirect) == ("ok", server.url("/d"), server.url("/b"))
    server.route("/t", Reply(302, headers=(("Location", "/d"),)))
    assert one(server.url("/t"), tmp_path).permanent_redirect is None


def test_redirect_loop_is_detected(server: HTTPServer, tmp_path: Path) -> None:
    server.route("/x", Reply(302, headers=(("Location", "/y"),)))
    server.route("/y", Reply(301, headers=(("Location", "/x"),)))
    r = one(server.url("/x"), tmp_path)
    assert r.status == "failed" and "redirect loop" in (r.error or "")
    assert len(server.requests()) == 2


def test_too_many_redirects(server: HTTPServer, tmp_path: Path) -> None:
    for n in range(4):
        server.route(f"/r{n}", Reply(302, headers=(("Location", f"/r{n + 1}"),)))
    server.route("/r4", Reply(body=FEED))
    settings = dataclasses.replace(SETTINGS, max_redirects=3)
    r = one(server.url("/r0"), tmp_path, settings)
    assert r.status == "failed" and "too many redirects (more than 3)" in (r.error or "")
    assert one(server.url("/r0"), tmp_path, dataclasses.replace(SETTINGS, max_redirects=4)).status == "ok"


def test_redirect_to_a_local_file_is_refused(server: HTTPServer, tmp_path: Path) -> None:
    secret = tmp_path / "secret.xml"
    secret.write_bytes(FEED)
    url = server.route("/evil", Reply(301, headers=(("Location", secret.as_uri()),)))
    r = one(url, tmp_path)
    assert (r.status, r.data) == ("failed", None)
    assert "refused" in (r.error or "") and "file:" in (r.error or "")


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_redirect_to_another_local_port_is_refused(server: HTTPServer, tmp_path: Path, host: str) -> None:
    # The source is configured on loopback, so it is fetched, and so are redirects back to its own
    # address and port; another port on this machine is an address nobody configured (the check is
    # on the address connected to, so a name such as localhost is no way round it).
    with HTTPServer() as other:
        target = other.route("/internal", Reply(body=FEED)).replace("127.0.0.1", host)
        url = server.route("/jump", Reply(302, headers=(("Location", target),)))
        r = one(url, tmp_path)
        assert (r.status, r.data) == ("failed", None)
        assert "refused" in (r.error or "") and "local network" in (r.error or ""), r.error
        assert other.requests() == [], "no request may reach the other port"
        server.route("/home", Reply(302, headers=(("Location", server.url("/feed")),)))
        server.route("/feed", Reply(body=FEED))
        assert one(server.url("/home"), tmp_path).data == FEED


def test_a_kept_alive_connection_does_not_carry_a_redirect_past_the_rule(
    server: HTTPServer, tmp_path: Path
) -> None:
    # Source a is configured on the other server, so a connection to it is open in the pool when
    # source b redirects there: the redirect must still be refused, before anything is sent.
    with HTTPServer() as other:
        direct = other.route("/feed", Reply(body=FEED))
        jump = server.route("/jump", Reply(302, headers=(("Location", direct),)))
        settings = dataclasses.replace(SETTINGS, concurrency=1)
        results = run([src(direct, "a"), src(jump, "b")], tmp_path, settings)
        assert results["a"].status == "ok" and results["b"].status == "failed"
        assert "refused" in (results["b"].error or "")
        assert len(other.requests()) == 1


@pytest.mark.parametrize("url", ["http://[::1/feed", "http://a..b/feed", "http://xn--zz-.example/feed"])
def test_an_invalid_host_fails_with_a_clear_reason(tmp_path: Path, url: str) -> None:
    r = one(url, tmp_path)
    error = r.error or ""
    assert r.status == "failed" and "unexpected" not in error and "valid" in error, error


def test_404_fails_once_without_retry(server: HTTPServer, tmp_path: Path) -> None:
    url = server.route("/missing", Reply(404, b"nope", "text/plain"))
    r = one(url, tmp_path)
    assert (r.status, r.http_status, r.error) == ("failed", 404, "HTTP 404 Not Found")
    assert len(server.requests("/missing")) == 1


def test_reason_phrase_cannot_act_on_the_terminal(server: HTTPServer, tmp_path: Path) -> None:
    hostile = "Not Found\x1b]52;c;aGk=\x07\x1b[2J\x1b[31m!"
    url = server.route("/esc", Reply(404, b"nope", "text/plain", reason=hostile))
    assert one(url, tmp_path).error == "HTTP 404 Not Found!"
    url = server.route("/esc5", Reply(503, reason="Busy\x1b]0;owned\x07 now"))
    assert one(url, tmp_path).error == "HTTP 503 Busy now (gave up after 3 tries)"


def test_410_marks_gone_and_gone_is_skipped_later(server: HTTPServer, tmp_path: Path) -> None:
    url = server.route("/dead", Reply(410))
    r = one(url, tmp_path)
    assert (r.status, r.http_status) == ("gone", 410)
    health = {"s": SourceHealth("s", status="gone", http_status=410)}
    again = run([src(url)], tmp_path, health=health)["s"]
    assert again.status == "skipped" and "gone" in (again.error or "")
    assert len(server.requests("/dead")) == 1, "a gone source costs no request"


def test_429_waits_for_retry_after_then_succeeds(server: HTTPServer, tmp_path: Path) -> None:
    url = server.route("/busy", Reply(429, headers=(("Retry-After", "1"),)), Reply(body=FEED))
    r = one(url, tmp_path)
    assert (r.status, r.data) == ("ok", FEED)
    first, second = server.requests("/busy")
    assert second.at - first.at >= 0.9, "Retry-After: 1 was honoured, not the tiny back-off"


def test_retry_after_beyond_the_cap_is_not_waited_for(server: HTTPServer, tmp_path: Path) -> None:
    url = server.route("/later", Reply(503, headers=(("Retry-After", "3600"),)), Reply(body=FEED))
    r = one(url, tmp_path)
    assert r.status == "failed" and "3600" in (r.error or "")
    assert len(server.requests("/later")) == 1


def test_503_then_200_is_retried(server: HTTPServer, tmp_path: Path) -> None:
    url = server.route("/flaky", Reply(503), Reply(502), Reply(body=FEED))
    r = one(url, tmp_path)
    assert (r.status, r.data, r.http_status) == ("ok", FEED, 200)
    assert len(server.requests("/flaky")) == 3


def test_5xx_forever_gives_up_after_the_retries(server: HTTPServer, tmp_path: Path) -> None:
    url = server.route("/down", Reply(500))
    r = one(url, tmp_path)
    assert r.status == "failed" and r.http_status == 500
    assert "gave up after 3 tries" in (r.error or "")
    assert len(server.requests("/down")) == SETTINGS.retries + 1


@pytest.mark.parametrize(
    "reply",
    [
        Reply(body=FEED, delay=3),  # no status line in time
        Reply(body=FEED * 10, stall=3),  # headers and half the body, then silence
        Reply(body=FEED * 10, trickle=0.2, trickle_size=10),  # a byte now and then: total deadline
    ],
    ids=["before-headers", "mid-body", "trickle"],
)
def test_a_stalling_server_is_cut_off(server: HTTPServer, tmp_path: Path, reply: Reply) -> None:
    url = server.route("/slow", reply)
    r = one(url, tmp_path)
    assert r.status == "failed" and r.data is None
    assert "timed out" in (r.error or "") or "cut off" in (r.error or "")
    assert len(server.requests("/slow")) == 1, "a timeout is not retried"


@contextlib.contextmanager
def _raw_server(answer: Callable[[socket.socket], None]) -> Iterator[str]:
    """A TCP server on 127.0.0.1 that answers every connection with answer(conn); yields its URL."""
    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return  # closed: the test is over
            threading.Thread(target=answer, args=(conn,), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/feed"
    finally:
        listener.close()


def _endless_informational(conn: socket.socket) -> None:
    with contextlib.suppress(OSError), conn:
        conn.recv(65536)
        while True:  # each 100 Continue is a complete answer, so no read ever waits long
            conn.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
            time.sleep(0.05)


def _trickled_headers(conn: socket.socket) -> None:
    with contextlib.suppress(OSError), conn:
        conn.recv(65536)
        conn.sendall(b"HTTP/1.1 200 OK\r\n")
        while True:  # a header line that never ends, a byte well within each read's timeout
            conn.sendall(b"X")
            time.sleep(0.05)


@pytest.mark.parametrize("answer", [_endless_informational, _trickled_headers])
def test_a_server_that_never_finishes_its_headers_is_cut_off(
    tmp_path: Path, answer: Callable[[socket.socket], None]
) -> None:
    results: list[FetchResult] = []
    with _raw_server(answer) as url:
        worker = threading.Thread(target=lambda u: results.append(one(u, tmp_path)), args=(url,), daemon=True)
        worker.start()
        worker.join(60)  # the deadline is 3 x 0.5 s; without one, this fetch never ends
        assert not worker.is_alive(), "the fetch is still waiting for the headers"
        assert results[0].status == "failed" and "cut off" in (results[0].error or ""), results[0].error


def test_body_over_the_cap_with_content_length(server: HTTPServer, tmp_path: Path) -> None:
    url = server.route("/big", Reply(body=b"x" * 1_000_001))
    r = one(url, tmp_path)
    assert r.status == "failed" and "cap" in (r.error or "")


def test_endless_chunked_body_is_cut_off_at_the_cap(server: HTTPServer, tmp_path: Path) -> None:
    # 64 GB announced as a stream with no length: only the cap can stop it.
    url = server.route("/huge", Reply(body=b"<x>" * 20_000, repeat=1_000_000, chunked=True))
    r = one(url, tmp_path)
    assert r.status == "failed" and "cut off" in (r.error or "")


def test_gzip_body_is_decoded(server: HTTPServer, tmp_path: Path) -> None:
    url = server.route("/gz", Reply(body=FEED * 50, gzip=True))
    r = one(url, tmp_path)
    assert (r.status, r.data) == ("ok", FEED * 50)
    assert "gzip" in (server.requests("/gz")[0].header("Accept-Encoding") or "")


def test_raw_deflate_body_is_decoded(server: HTTPServer, tmp_path: Path) -> None:
    raw = zlib.compressobj(wbits=-15)
    body = raw.compress(FEED) + raw.flush()
    url = server.route("/deflate", Reply(body=body, headers=(("Content-Encoding", "deflate"),)))
    assert one(url, tmp_path).data == FEED


def test_decompressed_size_counts_against_the_cap(server: HTTPServer, tmp_path: Path) -> None:
    # Compresses to ~1 kB: under the cap on the wire, 3x over it once decoded.
    url = server.route("/gz", Reply(body=b"a" * 3_000_000, gzip=True))
    r = one(url, tmp_path)
    assert r.status == "failed" and "cap" in (r.error or "")


def test_gzip_bomb_is_cut_off_with_memory_staying_small(server: HTTPServer, tmp_path: Path) -> None:
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    zeros = bytes(1_000_000)
    bomb = b"".join(packer.compress(zeros) for _ in range(200)) + packer.flush()  # 200 MB inside
    assert len(bomb) < 300_000
    url = server.route("/bomb", Reply(raw_gzip=bomb))
    tracemalloc.start()
    try:
        r = one(url, tmp_path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert r.status == "failed" and "cap" in (r.error or "")
    assert peak < 6 * SETTINGS.max_bytes, f"peak {peak} bytes: the bomb was inflated in memory"


def test_wrong_content_type_still_returns_the_bytes(server: HTTPServer, tmp_path: Path) -> None:
    url = server.route("/page", Reply(body=FEED, content_type="text/html; charset=iso-8859-1"))
    r = one(url, tmp_path)
    assert (r.status, r.data, r.content_type) == ("ok", FEED, "text/html; charset=iso-8859-1")


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "FILE:///etc/passwd",
        "ftp://example.com/feed.xml",
        "data:text/xml,<rss/>",
        "javascript:alert(1)",
        "gopher://example.com/",
        "example.com/feed.xml",
        "",
        "http://",
        "https:///feed.xml",
        "http://exa mple.com/feed",
        "http://example.com:99999/",
    ],
)
def test_check_remote_url_refuses(url: str) -> None:
    with pytest.raises(SourceError) as info:
        check_remote_url(url)
    assert "\n" not in str(info.value)


def test_check_remote_url_normalises() -> None:
    assert (
        check_remote_url(" HTTPS://Example.COM:443/Feed.xml?a=1#top ") == "https://example.com/Feed.xml?a=1"
    )
    assert check_remote_url("http://example.com") == "http://example.com/"
    assert check_remote_url("http://127.0.0.1:8080/f") == "http://127.0.0.1:8080/f"


def test_at_most_per_host_requests_at_once(server: HTTPServer, tmp_path: Path) -> None:
    sources = [src(server.route(f"/f{n}", Reply(body=FEED, delay=0.2)), f"s{n}") for n in range(6)]
    results = run(sources, tmp_path)
    assert {r.status for r in results.values()} == {"ok"}
    assert server.max_active == 2
    server.reset_counts()
    run(sources, tmp_path, dataclasses.replace(SETTINGS, concurrency=1))
    assert server.max_active == 1


def test_hosts_are_fetched_side_by_side(server: HTTPServer, tmp_path: Path) -> None:
    try:
        other = HTTPServer("127.0.0.2").start()
    except OSError:
        pytest.skip("127.0.0.2 is not a loopback address here")
    try:
        sources = []
        for n in range(4):
            sources.append(src(server.route(f"/f{n}", Reply(body=FEED, delay=0.3)), f"a{n}"))
            sources.append(src(other.route(f"/f{n}", Reply(body=FEED, delay=0.3)), f"b{n}"))
        noted: list[str] = []
        results = fetch_sources(
            sources, {}, root=tmp_path, settings=SETTINGS, progress=lambda r: noted.append(r.source.id)
        )
        list(results)
        assert sorted(noted) == sorted(s.id for s in sources), "progress is called once per source"
        assert server.max_active == other.max_active == 2
        # Side by side, not one host after the other: each host's first request came before the
        # other host's last (an order of arrivals, not a timing).
        a, b = [r.at for r in server.requests()], [r.at for r in other.requests()]
        assert min(b) < max(a) and min(a) < max(b)
    finally:
        other.stop()


def test_one_failing_source_does_not_stop_the_others(server: HTTPServer, tmp_path: Path) -> None:
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    dead_port = closed.getsockname()[1]
    closed.close()
    (tmp_path / "feeds").mkdir()
    (tmp_path / "feeds" / "local.xml").write_bytes(FEED)
    sources = [
        src(f"http://127.0.0.1:{dead_port}/feed", "refused"),
        src(server.route("/404", Reply(404)), "missing"),
        src(server.route("/boom", Reply(500)), "boom"),
        src("ftp://example.com/feed.xml", "ftp"),
        src("feeds/nowhere.xml", "nofile"),
        src("feeds/local.xml", "local"),
        src(server.route("/ok", Reply(body=FEED)), "good"),
    ]
    results = run(sources, tmp_path)
    assert results["good"].data == FEED and results["local"].data == FEED
    failed = {k for k, r in results.items() if r.status == "failed"}
    assert failed == {"refused", "missing", "boom", "ftp", "nofile"}
    assert all(results[k].error and "\n" not in (results[k].error or "") for k in failed)
    assert "cannot connect" in (results["refused"].error or "")
    assert "only http:// and https://" in (results["ftp"].error or "")
    assert "file not found" in (results["nofile"].error or "")


def test_stopping_early_does_not_hang(server: HTTPServer, tmp_path: Path) -> None:
    sources = [
        src(server.route(f"/w{n}", Reply(503, headers=(("Retry-After", "20"),))), f"w{n}") for n in range(3)
    ]
    sources.append(src(server.route("/quick", Reply(body=FEED)), "quick"))
    it = fetch_sources(sources, {}, root=tmp_path, settings=dataclasses.replace(SETTINGS, per_host=4))
    first = next(it)
    assert first.source.id == "quick"
    it.close()  # the three back-offs of 20 s are woken and abandoned, not waited out


def test_read_local(tmp_path: Path) -> None:
    path = tmp_path / "f.xml"
    path.write_bytes(FEED)
    assert read_local(path, len(FEED)) == FEED
    with pytest.raises(SourceError, match="cap"):
        read_local(path, len(FEED) - 1)
    with pytest.raises(SourceError, match="file not found"):
        read_local(tmp_path / "none.xml", 100)
    with pytest.raises(SourceError, match="folder"):
        read_local(tmp_path, 100)


def test_fetch_url_for_a_one_off_ingest(server: HTTPServer) -> None:
    url = server.route("/one", Reply(body=FEED, etag=ETAG))
    r = fetch_url(url, SETTINGS)
    assert (r.status, r.data, r.source.url, r.etag) == ("ok", FEED, url, ETAG)
    assert fetch_url(url, SETTINGS, etag=ETAG).status == "not_modified"
    with pytest.raises(SourceError):
        fetch_url("file:///etc/passwd", SETTINGS)


def test_gzip_module_agrees_with_server_encoding() -> None:
    # Guards the test server itself: what it sends as gzip is what the tests think it is.
    assert gzip.decompress(gzip.compress(FEED)) == FEED
