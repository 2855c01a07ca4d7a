"""The issue as an email: the [send] settings, addresses, and the MIME message (`<style>.eml`).

The message is what Ghost or listmonk would send: `multipart/alternative` with the plain text
first and the email HTML second (a client shows the last part it can), both UTF-8 and
quoted-printable so every line is 7-bit and short whatever the server. Headers follow
Python's default email policy: non-ASCII names and subjects become RFC 2047 encoded words,
so the message needs no SMTPUTF8 from any server. Addresses themselves must be ASCII.

`List-Unsubscribe` and `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 2369, RFC 8058)
are added only when an unsubscribe URL is configured; the URL is never folded or encoded,
which the default policy would do to a long one and which receivers do not undo.
"""

from __future__ import annotations

import datetime as dt
import email
import email.utils
import ipaddress
import re
from collections.abc import Sequence
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import EmailPolicy
from typing import Any
from urllib.parse import urlsplit

SECURITY = ("starttls", "ssl", "none")
DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "none": 25}
SETTING_KEYS = (
    "host", "port", "security", "user", "password_env", "from", "reply_to", "test_to", "unsubscribe_url",
)  # fmt: skip
NOT_CONFIGURED = (
    'no [send] table in seeds/newsletter.toml: add one with from = "Name <you@example.com>" '
    "(and reply_to, unsubscribe_url) to get the .eml"
)
_DOMAIN_RE = re.compile(
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z0-9-]{1,63}|\[[0-9A-Fa-f:.]+\]"
)
_ENV_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class SendSettings:
    """[send] in newsletter.toml. `sender` is the TOML key `from` (a Python keyword)."""

    sender: str
    host: str = ""
    port: int = 0  # 0: the usual port for the security (587, 465, 25)
    security: str = "starttls"
    user: str = ""
    password_env: str = ""  # the name of the environment variable holding the password
    reply_to: str = ""
    test_to: tuple[str, ...] = ()
    unsubscribe_url: str = ""

    @property
    def smtp_port(self) -> int:
        return self.port or DEFAULT_PORTS[self.security]


def parse_address(text: str) -> Address:
    """One address, `Name <user@example.com>` or `user@example.com`; ValueError saying why not."""
    if not isinstance(text, str) or not text.strip():
        raise ValueError("is empty")
    if "\r" in text or "\n" in text:
        raise ValueError("holds a line break")
    try:
        header: Any = _POLICY.header_factory("to", text)
    except (ValueError, IndexError, TypeError):
        raise ValueError(f"{text!r} is not an email address") from None
    addresses = header.addresses
    if len(addresses) != 1:
        raise ValueError(f"{text!r} is not one email address")
    found: Address = addresses[0]
    if not found.addr_spec.isascii():
        raise ValueError(f"{text!r}: only ASCII addresses are supported (the name may be in any script)")
    if header.defects or not found.username or not found.domain or not _DOMAIN_RE.fullmatch(found.domain):
        raise ValueError(f"{text!r} is not an email address like name@example.com")
    return found


def is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def send_settings(table: Any) -> SendSettings:
    """[send] from newsletter.toml, checked; ValueError with the one-line reason (config adds the file)."""
    if not isinstance(table, dict):
        raise ValueError("[send] must be a table")
    for key in table:
        if key not in SETTING_KEYS:
            raise ValueError(f"unknown key {key!r} in [send] (known: {', '.join(sorted(SETTING_KEYS))})")
    if "from" not in table:
        raise ValueError('[send] needs from = "Name <you@example.com>": the From of the issue')
    values: dict[str, Any] = {}
    for key, value in table.items():
        if key == "port":
            if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 65536:
                raise ValueError("send.port must be a whole number from 1 to 65535")
        elif key == "test_to":
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ValueError('send.test_to must be a list of addresses, like ["you@example.com"]')
            value = tuple(value)
        elif not isinstance(value, str):
            raise ValueError(f"send.{key} must be a string")
        values["sender" if key == "from" else key] = value
    send = SendSettings(**values)
    named = [("from", send.sender), *(("test_to", t) for t in send.test_to)]
    named += [("reply_to", send.reply_to)] if send.reply_to else []
    for key, text in named:
        try:
            parse_address(text)
        except ValueError as exc:
            raise ValueError(f"send.{key} {exc}") from None
    if send.security not in SECURITY:
        raise ValueError(f"send.security must be one of {', '.join(SECURITY)}, not {send.security!r}")
    if send.security == "none" and send.host and not is_loopback(send.host):
        raise ValueError(
            'send.security = "none" sends the password and the issue in clear: it is allowed only for '
            f"a server on 127.0.0.1 (or ::1), not {send.host!r}; use starttls or ssl"
        )
    if send.host and not re.fullmatch(r"[A-Za-z0-9.:\[\]-]+", send.host):
        raise ValueError(f"send.host {send.host!r} is not a host name or address")
    if send.user and not send.password_env:
        raise ValueError(
            "send.user is set but send.password_env is not: name the environment variable "
            "that holds the password (never the password itself)"
        )
    if send.password_env and not _ENV_RE.fullmatch(send.password_env):
        raise ValueError(
            "send.password_env must be the name of an environment variable, like SMTP_PASSWORD "
            "(never the password itself)"
        )
    if send.unsubscribe_url:
        _check_unsubscribe(send.unsubscribe_url)
    return send


def _check_unsubscribe(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.netloc:
        raise ValueError("send.unsubscribe_url must be an https:// URL (RFC 8058 one-click unsubscribe)")
    if not url.isascii() or re.search(r"[\s<>\"]", url) or len(url) > 900:
        raise ValueError("send.unsubscribe_url must be one ASCII URL without spaces, quotes or < >")


class _Policy(EmailPolicy):
    """The default policy, except that List-Unsubscribe is written as is: never folded or encoded."""

    def fold(self, name: str, value: str) -> str:
        if name.lower() == "list-unsubscribe" and str(value).isascii():
            return f"{name}: {value}{self.linesep}"
        return str(super().fold(name, value))

    def fold_binary(self, name: str, value: str) -> bytes:
        if name.lower() == "list-unsubscribe" and str(value).isascii():
            return f"{name}: {value}{self.linesep}".encode("ascii")
        return bytes(super().fold_binary(name, value))


_POLICY = _Policy()


def compose(
    send: SendSettings,
    *,
    subject: str,
    sender_name: str,
    text: str,
    html: str,
    now: dt.datetime,
    tz: dt.tzinfo,
) -> EmailMessage:
    """The issue as one message; `sender_name` names the From when `from` is a bare address."""
    sender = parse_address(send.sender)
    if not sender.display_name:
        sender = Address(" ".join(sender_name.split()), sender.username, sender.domain)
    msg = EmailMessage(policy=_POLICY)
    msg["Subject"] = " ".join(subject.split())
    msg["From"] = sender
    if send.reply_to:
        msg["Reply-To"] = parse_address(send.reply_to)
    stamp(msg, now, tz)
    if send.unsubscribe_url:
        msg["List-Unsubscribe"] = f"<{send.unsubscribe_url}>"
        msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg.set_content(text, cte="quoted-printable")
    msg.add_alternative(html, subtype="html", cte="quoted-printable")
    return msg


def stamp(msg: EmailMessage, now: dt.datetime, tz: dt.tzinfo, to: Sequence[Address] = ()) -> None:
    """A fresh Date (in the newsletter's time zone) and Message-ID, and To when given.

    A test send gets its own Message-ID, so an inbox never drops a second test as a duplicate.
    """
    sender = msg["From"].addresses[0]
    for name in ("Date", "Message-ID", *(("To",) if to else ())):
        del msg[name]
    msg["Date"] = email.utils.format_datetime(now.astimezone(tz))
    msg["Message-ID"] = email.utils.make_msgid(domain=sender.domain)
    if to:
        msg["To"] = list(to)


def as_text(msg: EmailMessage) -> str:
    """The message as the .eml file holds it (7-bit, so text and bytes agree)."""
    return msg.as_string()


def as_wire(msg: EmailMessage) -> bytes:
    """The message as SMTP carries it: CRLF line endings."""
    return msg.as_bytes(policy=msg.policy.clone(linesep="\r\n"))


def read_eml(data: bytes) -> EmailMessage:
    msg = email.message_from_bytes(data, _class=EmailMessage, policy=_POLICY)
    if not isinstance(msg, EmailMessage) or msg["From"] is None or not msg["From"].addresses:
        raise ValueError("it has no From")
    return msg
