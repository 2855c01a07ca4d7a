"""The preview server over real HTTP on 127.0.0.1: routing, what it refuses to serve, live events, errors."""

from __future__ import annotations

import http.client
import os
import re
import selectors
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from newsletter.errors import PortInUse, PreviewError
from newsletter.models import Week
from newsletter.preview.server import PreviewServer
from newsletter.write import render

SECRET = "top-secret-store-bytes"


@pytest.fixture
def server(app) -> Iterator[PreviewServer]:
    with PreviewServer(app, port=0) as srv:
        yield srv


@pytest.fixture
def week(app) -> Week:
    """The sample feeds fetched into the store; the week they fill (2026-W47)."""
    app.fetch()
    found, _ = app.resolve_week(None)
    return found


def get(srv: PreviewServer, path: str, host: str | None = None) -> tuple[int, dict[str, str], bytes]:
    """One GET with the path sent exactly as given (no client-side normalising)."""
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
    conn.putrequest("GET", path, skip_host=True, skip_accept_encoding=True)
    conn.putheader("Host", host or f"127.0.0.1:{srv.port}")
    conn.endheaders()
    resp = conn.getresponse()
    body = resp.read()
    conn.close()
    return resp.status, {k.lower(): v for k, v in resp.getheaders()}, body


def test_index_lists_week_folders_and_styles(app, server) -> None:
    (app.ws.issues / "2026-W40").mkdir(parents=True)
    (app.ws.issues / "not-a-week").mkdir()
    status, headers, body = get(server, "/")
    assert status == 200
    page = body.decode()
    assert 'href="/2026-W40/atr"' in page and 'href="/2026-W40/techasia"' in page
    assert f'href="/{server.week}/atr"' in page  # the week preview opened on, even without a folder
    assert "not-a-week" not in page
    assert headers["content-type"].startswith("text/html")


TRAVERSALS = [
    "/../../etc/passwd",
    "/2026-W40/../../../etc/passwd",
    "/%2e%2e/%2e%2e/etc/passwd",
    "/2026-W40/%2e%2e%2f%2e%2e%2f.newsletter%2fstore.sqlite3",
    "/2026-W40/%252e%252e%252f.newsletter",  # double-encoded
    "/2026-W40/..%5c..%5c.newsletter%5cstore.sqlite3",  # encoded backslashes
    "/2026-W40\\..\\.newsletter\\store.sqlite3",
    "/2026-W40/chart.svg%00.png",
    "//etc/passwd",
    "/etc/passwd",
    "/.newsletter/store.sqlite3",
    "/seeds/newsletter.toml",
    "/2026-W40/leak.png",  # symlink to a file outside issues/
    "/2026-W40/store.css",  # symlink to the store
    "/2026-W40/notes.toml",  # inside issues/, but not a built file type
    "/2026-W40/sub",  # a folder: no listings
    "/2026-W40/sub/",
    "/2026-W39/atr",  # a week with no folder and not the current one
    "/%ff%fe",
    "/outside.png",  # symlink at the top of issues/ to a file outside it
]


def test_private_files_and_traversals_are_404(app, server) -> None:
    week_dir = app.ws.issues / "2026-W40"
    (week_dir / "sub").mkdir(parents=True)
    (week_dir / "notes.toml").write_text("x = 1\n")
    store = app.ws.root / ".newsletter" / "store.sqlite3"
    store.parent.mkdir(exist_ok=True)
    if not store.exists():
        store.write_text(SECRET)
    (week_dir / "leak.png").symlink_to(app.ws.settings_path)
    (week_dir / "store.css").symlink_to(store)
    (app.ws.issues / "outside.png").symlink_to("/etc/passwd")
    served = []
    for path in TRAVERSALS:
        status, _, body = get(server, path)
        leaked = any(s in body for s in (b"root:", b"[newsletter]", SECRET.encode(), b"SQLite format"))
        if status != 404 or leaked:
            served.append(f"{path} -> {status}")
    assert served == []


def test_built_files_inside_issues_are_served_with_safety_headers(app, server) -> None:
    week_dir = app.ws.issues / "2026-W40"
    week_dir.mkdir(parents=True)
    (week_dir / "chart.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"/>')
    status, headers, body = get(server, "/2026-W40/chart.svg")
    assert status == 200 and body.startswith(b"<svg")
    assert headers["content-type"] == "image/svg+xml"
    assert headers["x-content-type-options"] == "nosniff"
    assert "script-src 'none'" in headers["content-security-policy"]


def test_week_folder_redirects_to_a_style_instead_of_listing(app, server) -> None:
    (app.ws.issues / "2026-W40").mkdir(parents=True)
    status, headers, body = get(server, "/2026-W40/")
    assert status == 302 and headers["location"] == "/2026-W40/atr" and body == b""


def test_pages_carry_a_nonce_csp_matching_their_only_script(server) -> None:
    status, headers, body = get(server, "/")
    csp = headers["content-security-policy"]
    nonce = re.search(r"'nonce-([^']+)'", csp)
    assert status == 200 and nonce and "unsafe-inline" not in csp
    scripts = re.findall(rb"<script([^>]*)>", body)
    assert scripts == [f' nonce="{nonce.group(1)}"'.encode()]
    assert headers["x-content-type-options"] == "nosniff"
    assert get(server, "/")[1]["content-security-policy"] != csp  # a fresh nonce per response


def test_foreign_host_header_is_refused(server) -> None:
    # A page elsewhere that rebinds its DNS name to 127.0.0.1 still sends its own Host.
    assert get(server, "/", host="attacker.example")[0] == 403
    assert get(server, "/", host=f"localhost:{server.port}")[0] == 200


@pytest.mark.parametrize("folder", ["issues", "templates", "seeds"])
def test_saving_a_watched_file_sends_an_event(app, server, folder: str) -> None:
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    try:
        sock.sendall(f"GET /__events HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n\r\n".encode())
        seen = _read_until(sock, rb": connected\n")
        assert b"text/event-stream" in seen
        target = app.ws.root / folder / "touched.md"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("saved\n")
        assert re.search(rb"^data: \d+$", _read_until(sock, rb"data: \d+\n\n"), re.M)
    finally:
        sock.close()


def _read_until(sock: socket.socket, pattern: bytes) -> bytes:
    buf = b""
    while not re.search(pattern, buf):
        chunk = sock.recv(4096)  # the 5 s socket timeout fails the test if nothing comes
        if not chunk:
            break
        buf += chunk
    return buf


def test_port_in_use_is_one_clear_error(app) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(PortInUse) as info:
            PreviewServer(app, port=port).start()
    assert f"--port {port + 1}" in str(info.value) and "\n" not in str(info.value)


@pytest.mark.parametrize("port", [70000, -1])
def test_port_out_of_range_is_one_clear_error(app, port: int) -> None:
    with pytest.raises(PreviewError, match="outside 0-65535") as info:
        PreviewServer(app, port=port, watch=False).start()
    assert "--port 8000" in str(info.value) and "\n" not in str(info.value)


def test_issue_views_are_what_build_writes(app, server, week: Week) -> None:
    app.ensure_draft(week, "atr")
    settings = app.settings()
    for suffix, fmt in ((".html", "html"), (".email.html", "email"), (".md", "md"), (".txt", "txt")):
        status, headers, body = get(server, f"/{week}/atr{suffix}")
        assert status == 200, suffix
        assert body.decode("utf-8") == render.render_view(app.ws, settings, week, "atr", fmt)
        assert b"EventSource" not in body  # the live-reload script never reaches built output
    status, _, body = get(server, f"/{week}/atr?view=side")
    page = body.decode()
    assert status == 200 and f'src="/{week}/atr.email.html"' in page and f'src="/{week}/atr.html"' in page
    assert re.search(r"email \d+\.\d KB", page) and "EventSource" in page
    status, _, body = get(server, f"/{week}/atr?view=md")
    assert status == 200 and "China" in body.decode()


def test_broken_template_shows_file_and_line_then_recovers(app, server, week: Week) -> None:
    app.ensure_draft(week, "atr")
    template = _email_template(app)
    good = template.read_text()
    template.write_text("line one\n{% for x in %}\n" + good)  # a syntax error on line 2
    status, _, body = get(server, f"/{week}/atr?view=email")
    page = body.decode()
    assert status == 200 and 'role="alert"' in page
    assert template.name in page and "line 2" in page
    assert get(server, f"/{week}/atr.email.html")[0] == 500  # the raw view says it failed too
    web = get(server, f"/{week}/atr?view=web")[2].decode()
    assert 'role="alert"' not in web and "email: error" in web  # the web view still shows
    template.write_text(good)
    status, _, body = get(server, f"/{week}/atr?view=email")
    assert status == 200 and 'role="alert"' not in body.decode()


def _email_template(app) -> Path:
    """The workspace template behind the atr email (the workspace's own come first in the loader)."""
    found = sorted(p for p in app.ws.templates.rglob("*") if p.is_file() and "email" in p.name)
    assert found, f"no email template under {app.ws.templates}"
    return next((p for p in found if "atr" in str(p)), found[0])


def test_error_text_is_escaped_on_the_page(app, server, week: Week) -> None:
    app.ensure_draft(week, "atr")
    template = _email_template(app)
    template.write_text('{% include "<script>alert(1)</script>.j2" %}\n')  # the error names it
    body = get(server, f"/{week}/atr?view=side")[2].decode()
    assert 'role="alert"' in body and "&lt;script&gt;alert(1)" in body
    assert "<script>alert(1)" not in body


def test_cli_preview_warns_off_loopback_and_stops_cleanly_on_ctrl_c(app, week: Week) -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    cmd = [sys.executable, "-m", "newsletter", "--workspace", str(app.ws.root), "--db", str(app.db_path)]
    cmd += ["preview", "--no-open", "--port", "0", "--host", "0.0.0.0", "--week", str(week)]
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True, env=env)
    try:
        lines = []
        assert proc.stderr is not None
        for line in proc.stderr:
            lines.append(line)
            if line.startswith("previewing"):
                break
        url = re.search(r"http://[^ ]+", lines[-1])
        assert url and f"/{week}/atr" in url.group(0), lines
        assert any(line.startswith("warning:") and "--host 127.0.0.1" in line for line in lines)
        proc.send_signal(signal.SIGINT)
        rest = proc.stderr.read()
        assert proc.wait(10) == 0
        assert "Traceback" not in rest and "stopped" in rest
    finally:
        if proc.poll() is None:
            proc.kill()


def test_two_hundred_clients_at_once_all_get_a_connection() -> None:
    # The kernel queues connections the server has not accepted yet, up to the listen backlog;
    # past it new ones are dropped and retried after 1, 3, 7 s. The queue is looked at with the
    # accept loop not running, so each client counts whether or not a thread took it yet.
    from newsletter.preview import server as preview

    cap = Path("/proc/sys/net/core/somaxconn")  # the kernel's own ceiling on any backlog
    wanted = min(200, int(cap.read_text())) if cap.exists() else 200
    httpd = preview._Server(("127.0.0.1", 0), preview._Handler)
    clients = [socket.socket() for _ in range(wanted)]
    try:
        for client in clients:
            client.setblocking(False)
            client.connect_ex(httpd.server_address)
        selector = selectors.DefaultSelector()
        for client in clients:
            selector.register(client, selectors.EVENT_WRITE)
        connected: set[socket.socket] = set()
        for _ in range(50):  # until every handshake is in (normally the first pass), at most ~5 s
            for key, _ in selector.select(0.1):
                if key.fileobj.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0:
                    connected.add(key.fileobj)
            if len(connected) == len(clients):
                break
        assert len(connected) == len(clients)
    finally:
        for client in clients:
            client.close()
        httpd.server_close()


def test_connections_that_never_finish_their_request_are_closed(app) -> None:
    # Each connection holds a thread; one that never completes its request (a slowloris, an
    # HTTP/0.9 line waiting for headers, an idle keep-alive) must not hold it forever.
    partial = [b"", b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n", b"GET /\r\n"]
    with PreviewServer(app, port=0, watch=False) as srv:
        conns = [socket.create_connection(("127.0.0.1", srv.port)) for _ in partial]
        try:
            for conn, sent in zip(conns, partial, strict=True):
                conn.sendall(sent)
                conn.settimeout(60)  # far beyond the server's limit: the server hangs up first
            for conn in conns:
                while conn.recv(65536):
                    pass  # whatever it answers before it closes
        finally:
            for conn in conns:
                conn.close()
