"""The issue as an email: the MIME message of `<style>.eml`, from the [send] settings (config.py).

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
from collections.abc import Sequence
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import EmailPolicy

from ..config import SendSettings, parse_address

NOT_CONFIGURED = (
    'no [send] table in seeds/newsletter.toml: add one with from = "Name <you@example.com>" '
    "(and reply_to, unsubscribe_url) to get the .eml"
)


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
