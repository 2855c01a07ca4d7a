"""Test sends against a real SMTP server on 127.0.0.1: what arrives, and every way it can fail in one line."""

from __future__ import annotations

import datetime as dt
import email.utils
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import tomlkit
from clirunner import run, run_process
from golden.fixture_plan import WEEK, atr_plan, settings, techasia_plan
from smtpserver import Certs, Server, free_port, make_certs, smtp_server

from newsletter.app import Newsletter
from newsletter.errors import SendError
from newsletter.models import UTC
from newsletter.workspace import Workspace
from newsletter.write import draft, draftfile

NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
TITLE = "Zepto raises ₹3,800 crore — 台積電 and 삼성 race to 2nm"
SENDER = "Priya Rāghavan <priya@news.example.org>"
PASSWORD = "correct-horse-3fG9"
# Our plain-text AUTH servers listen on 127.0.0.1 only, as the settings insist.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


def configure(ws: Workspace, **send: Any) -> None:
    doc = tomlkit.parse(ws.settings_path.read_text(encoding="utf-8"))
    doc["send"] = {"from": SENDER, **send}
    ws.settings_path.write_text(tomlkit.dumps(doc), encoding="utf-8")


def finish(path: Path, title: str = TITLE) -> None:
    """Do the editor's part: a title, an intro of one's own, a take where the placeholders were."""
    fm_text, body = draftfile.split_front_matter(path.read_text(encoding="utf-8"))
    front = draftfile.parse_front_matter(fm_text)
    front.update(title=title, intro="A week of **chips**, rupees and a merger, seen from Singapore.\n")
    body = body.replace("<!-- Your take on this story goes here. -->", "My take: this one matters.")
    path.write_text(f"---\n{draftfile.dump_front_matter(front)}---\n{body}", encoding="utf-8")


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    ws = Workspace.init(tmp_path / "ws")
    for plan in (atr_plan(), techasia_plan()):
        draft.write_draft(ws, settings(), plan, now=NOW.replace(tzinfo=None))
    finish(ws.draft_path(WEEK, "atr"))
    return ws


@pytest.fixture
def app(ws: Workspace) -> Iterator[Newsletter]:
    nl = Newsletter(ws, now=lambda: NOW)
    yield nl
    nl.close()


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certs:
    return make_certs(tmp_path_factory.mktemp("certs"))


def plain(server: Server, **extra: Any) -> dict[str, Any]:
    """[send] for an unencrypted server on 127.0.0.1."""
    return {
        "host": server.host,
        "port": server.port,
        "security": "none",
        "test_to": ["me@example.com"],
        **extra,
    }


def cli(ws: Workspace, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`newsletter --workspace WS ARGS` in this process (see clirunner), with env set while it runs."""
    return run("--workspace", str(ws.root), *args, env=env)


def one_line_error(proc: subprocess.CompletedProcess[str], *needles: str) -> str:
    assert proc.returncode != 0, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


# -- what arrives ---------------------------------------------------------------------------------


def test_the_test_send_arrives_with_both_parts_the_headers_and_the_email_html(
    ws: Workspace, app: Newsletter
) -> None:
    with smtp_server() as server:
        configure(
            ws,
            **plain(server, test_to=["Kenji Satō <kenji@example.com>", "desk@example.org"]),
            reply_to="Letters desk <letters@news.example.org>",
            unsubscribe_url="https://news.example.org/unsubscribe?list=atr&token=0123456789abcdef0123456789abcdef",
        )
        sent = app.send(WEEK, "atr")
    [got] = server.received
    assert got.mail_from == "priya@news.example.org"
    assert got.rcpt_tos == ("kenji@example.com", "desk@example.org") == sent.recipients
    assert not got.tls and got.login is None

    head = got.data.split(b"\r\n\r\n", 1)[0]
    assert head.isascii(), "non-ASCII names and subjects travel as RFC 2047 encoded words"
    assert b"=?utf-8?" in head
    msg = got.message
    assert msg["Subject"] == TITLE == sent.subject
    sender = msg["From"].addresses[0]
    assert (sender.display_name, sender.addr_spec) == ("Priya Rāghavan", "priya@news.example.org")
    assert [a.display_name for a in msg["To"].addresses] == ["Kenji Satō", ""]
    assert msg["Reply-To"].addresses[0].addr_spec == "letters@news.example.org"
    assert msg["Date"] == "Mon, 23 Nov 2026 17:00:00 +0800", "now() in the newsletter's time zone"
    assert (
        re.fullmatch(r"<[^@<>\s]+@news\.example\.org>", msg["Message-ID"])
        and sent.message_id == msg["Message-ID"]
    )
    unsubscribe = b"List-Unsubscribe: <https://news.example.org/unsubscribe?list=atr&token=0123456789abcdef0123456789abcdef>\r\n"
    assert unsubscribe in head, "one line, never folded or encoded"
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    assert msg.get_content_type() == "multipart/alternative"
    parts = list(msg.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    assert all(p.get_content_charset() == "utf-8" for p in parts)
    folder = ws.issue_dir(WEEK)
    html, text = (p.get_content().replace("\r\n", "\n") for p in reversed(parts))  # SMTP's CRLF aside
    assert html == (folder / "atr.email.html").read_text(encoding="utf-8")
    assert text == (folder / "atr.txt").read_text(encoding="utf-8")
    assert "My take: this one matters." in text
    assert all(len(line) <= 998 for line in got.data.split(b"\r\n"))


def test_each_send_gets_its_own_message_id_so_an_inbox_keeps_both(ws: Workspace, app: Newsletter) -> None:
    with smtp_server() as server:
        configure(ws, **plain(server))
        first = app.send(WEEK, "atr")
        second = app.send(WEEK, "atr", ["other@example.com"])
    assert first.message_id != second.message_id
    assert [r.rcpt_tos for r in server.received] == [("me@example.com",), ("other@example.com",)]
    assert server.received[1].message["To"].addresses[0].addr_spec == "other@example.com"


def test_starttls_with_login_over_the_cli_prints_what_it_sent_and_never_the_password(
    ws: Workspace, certs: Certs, monkeypatch: pytest.MonkeyPatch
) -> None:
    with smtp_server(starttls=certs.server, users={"priya": PASSWORD}) as server:
        configure(
            ws,
            host=server.host,
            port=server.port,
            security="starttls",
            user="priya",
            password_env="NL_SMTP_PASSWORD",
        )
        monkeypatch.setenv("SSL_CERT_FILE", str(certs.ca_file))
        monkeypatch.setenv("NL_SMTP_PASSWORD", PASSWORD)
        # A real process: the password reaches it only through its environment.
        args = ["send", "--week", str(WEEK), "--style", "atr", "--to", "me@example.com"]
        proc = run_process("--workspace", str(ws.root), *args)
    assert proc.returncode == 0, proc.stderr
    [got] = server.received
    assert got.tls and got.login == "priya"
    assert f"sent {TITLE!r}" in proc.stderr and "to me@example.com via 127.0.0.1:" in proc.stderr
    assert PASSWORD not in proc.stdout + proc.stderr


def test_implicit_tls(ws: Workspace, app: Newsletter, certs: Certs, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(certs.ca_file))
    with smtp_server(implicit_tls=certs.server) as server:
        configure(ws, host=server.host, port=server.port, security="ssl", test_to=["me@example.com"])
        app.send(WEEK, "atr")
    assert [r.tls for r in server.received] == [True]


# -- failures: one line, non-zero, nothing half-sent ------------------------------------------------


def test_bad_credentials_are_one_line_and_never_show_the_password(ws: Workspace) -> None:
    with smtp_server(users={"priya": PASSWORD}) as server:
        configure(ws, **plain(server), user="priya", password_env="NL_SMTP_PASSWORD")
        wrong = "Wr0ng-but-secret-7c1"
        proc = cli(ws, "send", "--week", str(WEEK), env={"NL_SMTP_PASSWORD": wrong})
    line = one_line_error(proc, "refused the login for priya", "535", "NL_SMTP_PASSWORD")
    assert wrong not in proc.stdout + proc.stderr and PASSWORD not in line
    assert server.received == []


def test_a_missing_password_variable_stops_before_connecting(ws: Workspace, app: Newsletter) -> None:
    with smtp_server(users={"priya": PASSWORD}) as server:
        configure(ws, **plain(server), user="priya", password_env="NL_SMTP_PASSWORD")
        with pytest.raises(
            SendError, match=r"priya .*NL_SMTP_PASSWORD \(send.password_env\), which is not set"
        ):
            app.send(WEEK, "atr", environ={})
    assert server.handler.connections == 0


def test_server_down_is_one_line(ws: Workspace) -> None:
    configure(ws, host="127.0.0.1", port=free_port(), security="none", test_to=["me@example.com"])
    one_line_error(cli(ws, "send", "--week", str(WEEK)), "cannot connect to 127.0.0.1:", "connection refused")


def test_a_server_without_starttls_is_refused_rather_than_sent_in_clear(
    ws: Workspace, app: Newsletter
) -> None:
    with smtp_server() as server:
        configure(ws, host=server.host, port=server.port, security="starttls", test_to=["me@example.com"])
        with pytest.raises(SendError, match="does not offer STARTTLS"):
            app.send(WEEK, "atr")
    assert server.received == []


def test_an_untrusted_certificate_is_refused(ws: Workspace, app: Newsletter, certs: Certs) -> None:
    with smtp_server(implicit_tls=certs.server) as server:  # no SSL_CERT_FILE: the test CA is unknown
        configure(ws, host=server.host, port=server.port, security="ssl", test_to=["me@example.com"])
        with pytest.raises(
            SendError, match=r"TLS with 127\.0\.0\.1:\d+ failed: its certificate is not trusted"
        ):
            app.send(WEEK, "atr")
    assert server.received == []


def test_one_refused_recipient_means_nobody_gets_it(ws: Workspace) -> None:
    with smtp_server(refuse=frozenset({"gone@example.com"})) as server:
        configure(ws, **plain(server))
        proc = cli(ws, "send", "--week", str(WEEK), "--to", "me@example.com", "--to", "gone@example.com")
    one_line_error(proc, "refused gone@example.com", "550", "nothing was sent")
    assert server.received == []


def test_over_the_servers_advertised_size_limit(ws: Workspace, app: Newsletter) -> None:
    with smtp_server(size_limit=5_000) as server:
        configure(ws, **plain(server))
        with pytest.raises(SendError, match=r"the message is \d+ KB, over 127\.0\.0\.1:\d+'s limit of 5 KB"):
            app.send(WEEK, "atr")
    assert server.received == []


def test_refused_as_too_large_at_data(ws: Workspace, app: Newsletter) -> None:
    with smtp_server(data_reply="552 5.3.4 Message size exceeds fixed limit") as server:
        configure(ws, **plain(server))
        with pytest.raises(SendError, match="refused the message as too large: 552 5.3.4"):
            app.send(WEEK, "atr")


def test_server_closing_mid_send_is_not_reported_as_sent(ws: Workspace) -> None:
    with smtp_server(hang_up=True) as server:
        configure(ws, **plain(server))
        proc = run_process("--workspace", str(ws.root), "send", "--week", str(WEEK))  # a real exit code
    one_line_error(proc, "closed the connection before it confirmed the message: not sent")
    assert "sent '" not in proc.stderr and server.received == []


@pytest.mark.parametrize(
    ("send", "needle"),
    [
        ({}, "send.host is not set"),
        ({"host": "127.0.0.1", "security": "none"}, "no one to send to: give --to ADDRESS"),
    ],
)
def test_missing_settings_say_what_to_set(ws: Workspace, send: dict[str, Any], needle: str) -> None:
    configure(ws, **send)
    one_line_error(cli(ws, "send", "--week", str(WEEK)), needle)


def test_without_a_send_table_send_says_what_to_configure(ws: Workspace) -> None:
    one_line_error(cli(ws, "send", "--week", str(WEEK), "--to", "me@example.com"), "no [send] table")


# -- unfinished drafts and stale outputs ----------------------------------------------------------


def test_refuses_a_draft_with_placeholders_unless_anyway(ws: Workspace, app: Newsletter) -> None:
    with smtp_server() as server:
        configure(ws, **plain(server))
        proc = cli(ws, "send", "--week", str(WEEK), "--style", "techasia")
        line = one_line_error(proc, "techasia.md", "the intro is still the generated one", "--anyway")
        assert "more" in line
        assert server.received == [] and server.handler.connections == 0
        app.send(WEEK, "techasia", anyway=True)
    assert len(server.received) == 1


def test_a_generated_intro_without_its_comment_is_still_refused(ws: Workspace, app: Newsletter) -> None:
    path = ws.draft_path(WEEK, "techasia")
    text = re.sub(r"  <!-- A few lines of colour.*?-->\n", "", path.read_text(encoding="utf-8"))
    path.write_text(text, encoding="utf-8")
    configure(ws, host="127.0.0.1", security="none", test_to=["me@example.com"])
    with pytest.raises(SendError, match="techasia.md: the intro is still the generated one: write"):
        app.send(WEEK, "techasia")


def test_the_generated_intro_is_still_known_after_a_redraft_merges_new_stories(
    ws: Workspace, app: Newsletter
) -> None:
    path = ws.draft_path(WEEK, "atr")
    draft.write_draft(ws, settings(), atr_plan(), force=True, now=NOW.replace(tzinfo=None))
    path.write_text(path.read_text(encoding="utf-8") + "\nA line of my own.\n", encoding="utf-8")
    result = draft.write_draft(ws, settings(), atr_plan(extra=6), now=NOW.replace(tzinfo=None))
    assert result.action == "merged" and "A line of my own." in path.read_text(encoding="utf-8")
    assert draftfile.intro_is_generated(path, draftfile.read_draft(path).front["intro"])
    assert not draftfile.intro_is_generated(path, "Hello from Tokyo, in my own words.")


def test_a_placeholder_left_in_the_body_is_named_with_its_line(ws: Workspace, app: Newsletter) -> None:
    path = ws.draft_path(WEEK, "atr")
    path.write_text(
        path.read_text(encoding="utf-8") + "\n<!-- Your take on this story goes here. -->\n", encoding="utf-8"
    )
    configure(ws, host="127.0.0.1", security="none", test_to=["me@example.com"])
    line = len(path.read_text(encoding="utf-8").splitlines())
    with pytest.raises(SendError, match=rf"atr.md:{line}: placeholder 'Your take on this story goes here\.'"):
        app.send(WEEK, "atr")


def test_send_rebuilds_stale_outputs_and_leaves_fresh_ones_alone(ws: Workspace, app: Newsletter) -> None:
    with smtp_server() as server:
        configure(ws, **plain(server))
        app.send(WEEK, "atr")
        eml = ws.output_path(WEEK, "atr", "eml")
        built = eml.stat().st_mtime_ns
        app.send(WEEK, "atr")
        assert eml.stat().st_mtime_ns == built, "nothing changed: no rebuild"

        finish(ws.draft_path(WEEK, "atr"), title="Rewritten after the first test")
        _later(ws.draft_path(WEEK, "atr"), eml)
        app.send(WEEK, "atr")
        assert server.received[-1].message["Subject"] == "Rewritten after the first test"

        settings_text = ws.settings_path.read_text(encoding="utf-8")
        ws.settings_path.write_text(settings_text.replace(SENDER, "Desk <desk@news.example.org>"))
        _later(ws.settings_path, eml)
        app.send(WEEK, "atr")
    assert server.received[-1].message["From"].addresses[0].display_name == "Desk"
    html = server.received[-1].message.get_body(("html",))
    assert html is not None
    expected = (ws.issue_dir(WEEK) / "atr.email.html").read_text(encoding="utf-8")
    assert html.get_content().replace("\r\n", "\n") == expected


def _later(path: Path, than: Path) -> None:
    """Make path's mtime newer than than's, whatever the file system's clock resolution."""
    stamp = than.stat().st_mtime + 2
    os.utime(path, (stamp, stamp))


def test_the_sent_date_is_the_send_time_not_the_build_time(ws: Workspace) -> None:
    later = NOW + dt.timedelta(days=2, hours=3)
    with smtp_server() as server:
        configure(ws, **plain(server))
        Newsletter(ws, now=lambda: NOW).build(WEEK, ["atr"])
        Newsletter(ws, now=lambda: later).send(WEEK, "atr")
    sent_date = email.utils.parsedate_to_datetime(server.received[0].message["Date"])
    assert sent_date == later and sent_date.utcoffset() == dt.timedelta(hours=8)
