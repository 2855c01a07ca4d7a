"""The .eml: a standards-compliant message from the draft, [send] settings checked, `build --format eml`."""

from __future__ import annotations

import datetime as dt
import email
import subprocess
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import pytest
import tomlkit
from clirunner import run as run_cli
from golden.fixture_plan import WEEK, atr_plan, settings, techasia_plan

from newsletter.app import Newsletter
from newsletter.config import SendSettings, load_settings, parse_address
from newsletter.errors import ConfigError, RenderError
from newsletter.models import UTC
from newsletter.workspace import Workspace
from newsletter.write import draft, draftfile, message, render

NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
LONG_URL = "https://news.example.org/unsubscribe?list=techasia&subscriber=" + "0123456789abcdef" * 6


def configure(ws: Workspace, **send: Any) -> None:
    doc = tomlkit.parse(ws.settings_path.read_text(encoding="utf-8"))
    doc["send"] = send
    ws.settings_path.write_text(tomlkit.dumps(doc), encoding="utf-8")


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    ws = Workspace.init(tmp_path / "ws")
    for plan in (atr_plan(), techasia_plan()):
        draft.write_draft(ws, settings(), plan, now=NOW.replace(tzinfo=None))
    return ws


def read(path: Path) -> EmailMessage:
    msg = email.message_from_bytes(path.read_bytes(), _class=EmailMessage, policy=default_policy)
    assert isinstance(msg, EmailMessage)
    return msg


def run(ws: Workspace, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli("--workspace", str(ws.root), *args)


# -- the file ----------------------------------------------------------------------------------


def test_eml_is_the_text_and_the_email_html_as_one_standard_message(ws: Workspace) -> None:
    configure(ws, **{"from": "news@news.example.org"}, unsubscribe_url=LONG_URL)
    [result] = Newsletter(ws, now=lambda: NOW).build(WEEK, ["techasia"])
    folder = ws.issue_dir(WEEK)
    eml = folder / "techasia.eml"
    assert eml in result.paths
    raw = eml.read_bytes()
    assert raw.isascii(), "7-bit: quoted-printable bodies, encoded-word headers"
    assert all(len(line) <= 998 for line in raw.split(b"\n"))
    msg = read(eml)
    front = draftfile.read_draft(ws.draft_path(WEEK, "techasia")).front
    assert msg["Subject"] == front["title"]
    sender = msg["From"].addresses[0]
    assert (sender.display_name, sender.addr_spec) == ("#techAsia", "news@news.example.org"), "style name"
    assert msg["Reply-To"] is None and msg["To"] is None
    assert msg["Date"] == "Mon, 23 Nov 2026 17:00:00 +0800"
    assert msg["Message-ID"].endswith("@news.example.org>")
    assert f"\nList-Unsubscribe: <{LONG_URL}>\n".encode() in raw, "a long URL is neither folded nor encoded"
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert msg["MIME-Version"] == "1.0" and msg.get_content_type() == "multipart/alternative"
    plain, html = msg.iter_parts()
    assert (plain.get_content_type(), html.get_content_type()) == ("text/plain", "text/html")
    assert {plain["Content-Transfer-Encoding"], html["Content-Transfer-Encoding"]} == {"quoted-printable"}
    assert html.get_content() == (folder / "techasia.email.html").read_text(encoding="utf-8")
    assert plain.get_content() == (folder / "techasia.txt").read_text(encoding="utf-8")
    # Read back for a send, the headers survive as they were written.
    again = message.as_wire(message.read_eml(raw))
    assert f"\r\nList-Unsubscribe: <{LONG_URL}>\r\n".encode() in again


def test_without_an_unsubscribe_url_there_are_no_list_headers(ws: Workspace) -> None:
    configure(ws, **{"from": "Desk <desk@news.example.org>"}, reply_to="letters@news.example.org")
    Newsletter(ws, now=lambda: NOW).build(WEEK, ["atr"], ["eml"])
    msg = read(ws.issue_dir(WEEK) / "atr.eml")
    assert msg["List-Unsubscribe"] is None and msg["List-Unsubscribe-Post"] is None
    assert msg["Reply-To"].addresses[0].addr_spec == "letters@news.example.org"
    assert msg["From"].addresses[0].display_name == "Desk"
    assert not (ws.issue_dir(WEEK) / "atr.email.html").exists(), "eml alone writes only the eml"


def test_a_title_cannot_smuggle_headers() -> None:
    send = SendSettings(sender="Ed <ed@example.org>")
    msg = message.compose(
        send,
        subject="Chips\r\nBcc: everyone@example.com\nX-Evil: 1",
        sender_name="x",
        text="t\n",
        html="<p>h</p>\n",
        now=NOW,
        tz=UTC,
    )
    parsed = email.message_from_string(message.as_text(msg), policy=default_policy)
    assert parsed["Bcc"] is None and parsed["X-Evil"] is None
    assert parsed["Subject"] == "Chips Bcc: everyone@example.com X-Evil: 1"


# -- build without [send] --------------------------------------------------------------------------


def test_build_all_without_send_skips_the_eml_with_one_line(ws: Workspace) -> None:
    quiet = run(ws, "build", "--week", str(WEEK))
    assert quiet.returncode == 0 and quiet.stderr.strip() == "", "a plain build makes what is configured"
    proc = run(ws, "build", "--week", str(WEEK), "--format", "all")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.strip().splitlines() == [f"warning: {message.NOT_CONFIGURED}"], "once, not per style"
    assert "[send]" in message.NOT_CONFIGURED and "from" in message.NOT_CONFIGURED
    assert (ws.issue_dir(WEEK) / "atr.email.html").exists()
    assert not list(ws.issue_dir(WEEK).glob("*.eml"))


def test_format_eml_without_send_is_an_error_that_writes_nothing(ws: Workspace) -> None:
    proc = run(ws, "build", "--week", str(WEEK), "--format", "eml", "--format", "html")
    assert proc.returncode == 1
    [line] = proc.stderr.strip().splitlines()
    assert line.startswith("newsletter: --format eml: no [send] table")
    assert not list(ws.issue_dir(WEEK).glob("*.html")), "all are rendered before any is written"
    with pytest.raises(RenderError, match="no .send. table"):
        render.build_outputs(ws, load_settings(ws.settings_path), WEEK, "atr", ["eml"])


# -- [send] settings -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("table", "needle"),
    [
        ({"from": "a@example.org", "hots": "smtp.example.org"}, "unknown key 'hots' in [send]"),
        ({"host": "smtp.example.org"}, "[send] needs from ="),
        ({"from": "not an address"}, "send.from 'not an address' is not an email address"),
        ({"from": "Ed <ed@example.org>, Al <al@example.org>"}, "is not one email address"),
        ({"from": "Ed <é@example.org>"}, "only ASCII addresses"),
        ({"from": "a@example.org", "reply_to": "nobody"}, "send.reply_to"),
        ({"from": "a@example.org", "test_to": "me@example.org"}, "send.test_to must be a list"),
        ({"from": "a@example.org", "test_to": ["me@example.org", "oops"]}, "send.test_to 'oops'"),
        ({"from": "a@example.org", "port": 0}, "send.port must be a whole number from 1 to 65535"),
        ({"from": "a@example.org", "port": "587"}, "send.port must be a whole number"),
        ({"from": "a@example.org", "security": "tls"}, "send.security must be one of starttls, ssl, none"),
        (
            {"from": "a@example.org", "host": "smtp.example.org", "security": "none"},
            "allowed only for a server on 127.0.0.1",
        ),
        ({"from": "a@example.org", "host": "10.0.0.5", "security": "none"}, "not '10.0.0.5'"),
        ({"from": "a@example.org", "user": "ed"}, "send.user is set but send.password_env is not"),
        ({"from": "a@example.org", "user": "ed", "password_env": "hunter2!"}, "name of an environment"),
        ({"from": "a@example.org", "unsubscribe_url": "http://x.example/u"}, "must be an https:// URL"),
        ({"from": "a@example.org", "unsubscribe_url": "https://x.example/u v"}, "without spaces"),
    ],
)
def test_bad_send_settings_are_one_line_naming_the_key(
    ws: Workspace, table: dict[str, Any], needle: str
) -> None:
    configure(ws, **table)
    with pytest.raises(ConfigError) as caught:
        load_settings(ws.settings_path)
    text = str(caught.value)
    assert needle in text and str(ws.settings_path) in text and "\n" not in text
    assert "hunter2" not in text, "a password put where its variable's name belongs is never echoed"


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.53", "::1", "[::1]"])
def test_security_none_is_allowed_on_loopback(ws: Workspace, host: str) -> None:
    configure(ws, **{"from": "a@example.org"}, host=host, security="none", test_to=["me@example.org"])
    send = load_settings(ws.settings_path).send
    assert send is not None and send.smtp_port == 25 and send.test_to == ("me@example.org",)


def test_ports_follow_the_security_unless_given(ws: Workspace) -> None:
    for security, port in (("starttls", 587), ("ssl", 465)):
        assert SendSettings(sender="a@example.org", security=security).smtp_port == port
    assert SendSettings(sender="a@example.org", port=2525).smtp_port == 2525
    assert load_settings(ws.settings_path).send is None, "no [send] table: nothing configured"


@pytest.mark.parametrize(
    ("text", "name", "addr"),
    [
        ("ed@example.org", "", "ed@example.org"),
        ("Ed Tan <ed@example.org>", "Ed Tan", "ed@example.org"),
        ('"Tan, Ed" <ed@example.org>', "Tan, Ed", "ed@example.org"),
        ("佐藤 健二 <kenji@example.jp>", "佐藤 健二", "kenji@example.jp"),
        ("test@127.0.0.1.example", "", "test@127.0.0.1.example"),
    ],
)
def test_addresses_parse(text: str, name: str, addr: str) -> None:
    found = parse_address(text)
    assert (found.display_name, found.addr_spec) == (name, addr)


@pytest.mark.parametrize(
    "text", ["", "ed", "ed@", "@example.org", "ed@exa mple.org", "a@b.org\nBcc: c@d.org"]
)
def test_non_addresses_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_address(text)
