"""A test send: the built `<style>.eml` to a few addresses over SMTP, all or nothing.

Before sending: the [send] table must name a server, the draft must be finished (no
placeholder comment, not the generator's own intro) unless the editor says `--anyway`, and
the outputs are rebuilt when the draft, a template or the settings changed after them.

The SMTP transaction is driven step by step (MAIL, every RCPT, then DATA) so a refused
recipient stops it before DATA: the message goes to every address or to none. Every failure
becomes one SendError line naming the server and what it said; the password is read from the
environment variable the settings name, handed to smtplib, and never put in a message.
"""

from __future__ import annotations

import re
import smtplib
import socket
import ssl
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from pathlib import Path

from ..config import SendSettings, is_loopback, parse_address
from ..errors import FrontMatterError, SendError, WorkspaceError
from ..workspace import Workspace
from . import draftfile, message
from .templating import packaged_templates

TIMEOUT = 30.0  # seconds for the connection and each server reply
# What the house templates write where the editor's own words belong: "A placeholder from this
# week's items", "Your take on this story goes here", "A few lines of colour ... go here".
_COMMENT_RE = re.compile(r"<!--(.*?)-->", re.DOTALL)
_PLACEHOLDER_RE = re.compile(r"\bplaceholder\b|\bgo(?:es)? here\b", re.IGNORECASE)


@dataclass(frozen=True)
class Sent:
    """What a test send did: the message accepted by the server for every recipient."""

    subject: str
    recipients: tuple[str, ...]
    server: str  # host:port
    size: int  # bytes on the wire
    message_id: str


# -- before sending ------------------------------------------------------------------------------


def check_config(config: SendSettings | None, to: Sequence[str]) -> tuple[SendSettings, tuple[Address, ...]]:
    """The [send] settings and the recipients (--to, else test_to), or a SendError saying what is missing."""
    if config is None:
        raise SendError(
            "no [send] table in seeds/newsletter.toml: add one with host, from and test_to "
            "(see the README's 'Send a test')"
        )
    if not config.host:
        raise SendError("send.host is not set in seeds/newsletter.toml: name your SMTP server")
    wanted = list(to) or list(config.test_to)
    if not wanted:
        raise SendError("no one to send to: give --to ADDRESS, or set test_to in [send]")
    recipients: dict[str, Address] = {}
    for text in wanted:
        try:
            found = parse_address(text)
        except ValueError as exc:
            raise SendError(f"{'--to' if to else 'send.test_to'} {exc}") from None
        recipients.setdefault(found.addr_spec.lower(), found)
    return config, tuple(recipients.values())


def check_finished(path: Path) -> None:
    """Refuse a draft that still holds a placeholder comment or the generated intro."""
    try:
        text = path.read_text(encoding="utf-8")
        front = draftfile.read_draft(path).front
    except FrontMatterError as exc:
        raise SendError(f"{path}:{exc.line}: {exc.message} (fix the draft and send again)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SendError(f"cannot read the draft {path}: {exc}") from None
    except WorkspaceError as exc:
        raise SendError(str(exc)) from None
    problems = []
    for m in _COMMENT_RE.finditer(text):
        if _PLACEHOLDER_RE.search(m.group(1)):
            line = text.count("\n", 0, m.start()) + 1
            words = " ".join(m.group(1).split())
            problems.append(f"{path}:{line}: placeholder {_clip(words)!r}")
    if draftfile.intro_is_generated(path, front.get("intro")):
        problems.insert(0, f"{path}: the intro is still the generated one")
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise SendError(
            f"{problems[0]}{more}: write those parts of the draft, or send it as it is with --anyway"
        )


def _clip(text: str, n: int = 60) -> str:
    return text if len(text) <= n else text[: n - 1].rstrip() + "…"


def template_files(ws: Workspace) -> list[Path]:
    """Every template a build may read: the workspace's overrides and the packaged ones."""
    return [p for root in (ws.templates, packaged_templates()) if root.is_dir() for p in root.rglob("*.j2")]


def stale(inputs: Iterable[Path], outputs: Iterable[Path]) -> bool:
    """True when an output is missing or older than any input."""
    try:
        oldest = min(p.stat().st_mtime_ns for p in outputs)
    except (FileNotFoundError, ValueError):
        return True
    return any(p.exists() and p.stat().st_mtime_ns > oldest for p in inputs)


def load_message(path: Path) -> EmailMessage:
    try:
        return message.read_eml(path.read_bytes())
    except OSError as exc:
        raise SendError(f"cannot read {path}: {exc.strerror}") from None
    except ValueError as exc:
        raise SendError(f"{path} is not a message this tool wrote ({exc}): build it again") from None


# -- sending ---------------------------------------------------------------------------------------


def deliver(
    config: SendSettings,
    msg: EmailMessage,
    recipients: Sequence[Address],
    environ: Mapping[str, str],
    timeout: float = TIMEOUT,
) -> Sent:
    """Send msg to every recipient through the configured server, or raise SendError and send none."""
    password = _password(config, environ)
    where = f"{config.host}:{config.smtp_port}"
    data = message.as_wire(msg)
    sender = msg["From"].addresses[0].addr_spec
    try:
        client = _connect(config, where, timeout)
    except (OSError, smtplib.SMTPException) as exc:
        raise SendError(_why(exc, config, where)) from None
    try:
        _greet(client, config, where, password)
        _transaction(client, where, sender, [r.addr_spec for r in recipients], data)
    except SendError:
        raise
    except (OSError, smtplib.SMTPException) as exc:
        raise SendError(_why(exc, config, where)) from None
    finally:
        _close(client)
    return Sent(
        subject=str(msg["Subject"]),
        recipients=tuple(r.addr_spec for r in recipients),
        server=where,
        size=len(data),
        message_id=str(msg["Message-ID"]),
    )


def _password(config: SendSettings, environ: Mapping[str, str]) -> str:
    if not config.user:
        return ""
    password = environ.get(config.password_env)
    if not password:
        raise SendError(
            f"the password for {config.user} is read from the environment variable "
            f"{config.password_env} (send.password_env), which is not set"
        )
    return password


def _connect(config: SendSettings, where: str, timeout: float) -> smtplib.SMTP:
    if config.security == "none" and not is_loopback(config.host):
        raise SendError(f'security = "none" is only for a server on 127.0.0.1, not {where}')
    if config.security == "ssl":
        return smtplib.SMTP_SSL(
            config.host, config.smtp_port, timeout=timeout, context=ssl.create_default_context()
        )
    return smtplib.SMTP(config.host, config.smtp_port, timeout=timeout)


def _greet(client: smtplib.SMTP, config: SendSettings, where: str, password: str) -> None:
    """EHLO, STARTTLS when configured (never falling back to clear text), and the login."""
    client.ehlo_or_helo_if_needed()
    if config.security == "starttls":
        if not client.has_extn("starttls"):
            raise SendError(
                f"{where} does not offer STARTTLS, so nothing was sent in clear: "
                'use the server\'s TLS port with security = "ssl", or another server'
            )
        client.starttls(context=ssl.create_default_context())
        client.ehlo()
    if config.user:
        if not client.has_extn("auth"):
            raise SendError(f"{where} offers no login (AUTH), but send.user is set: check host and port")
        try:
            client.login(config.user, password)
        except smtplib.SMTPAuthenticationError as exc:
            raise SendError(
                f"{where} refused the login for {config.user}: {_said(exc.smtp_code, exc.smtp_error)} "
                f"(check send.user and the password in {config.password_env})"
            ) from None


def _transaction(client: smtplib.SMTP, where: str, sender: str, rcpts: list[str], data: bytes) -> None:
    options = []
    if client.has_extn("size"):
        limit = int(client.esmtp_features["size"] or 0)
        if limit and len(data) > limit:
            raise SendError(
                f"the message is {_kb(len(data))}, over {where}'s limit of {_kb(limit)}: "
                "cut entries in the draft; nothing was sent"
            )
        options.append(f"SIZE={len(data)}")
    code, reply = client.mail(sender, options)
    if code != 250:
        client.rset()
        raise SendError(_refused(where, f"the sender {sender}", code, reply, len(data)))
    for rcpt in rcpts:
        code, reply = client.rcpt(rcpt)
        if code not in (250, 251):
            client.rset()
            raise SendError(_refused(where, rcpt, code, reply, len(data)))
    code, reply = client.data(data)  # raises SMTPDataError when DATA itself is refused
    if code != 250:
        raise smtplib.SMTPDataError(code, reply)


def _close(client: smtplib.SMTP) -> None:
    """QUIT politely; a server that already hung up, or answers oddly, changes nothing now."""
    try:
        client.quit()
    except (OSError, smtplib.SMTPException):
        client.close()


def _refused(where: str, who: str, code: int, reply: bytes, size: int) -> str:
    if code == 552 and who.startswith("the sender"):
        return f"{where} refused the message ({_kb(size)}) as too large: {_said(code, reply)}; not sent"
    return f"{where} refused {who}: {_said(code, reply)}; nothing was sent"


def _why(exc: BaseException, config: SendSettings, where: str) -> str:
    """One line for anything smtplib, ssl or the socket raised."""
    if isinstance(exc, smtplib.SMTPDataError):
        if exc.smtp_code == 552:
            return f"{where} refused the message as too large: {_said(exc.smtp_code, exc.smtp_error)}"
        return f"{where} did not accept the message: {_said(exc.smtp_code, exc.smtp_error)}"
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return (
            f"{where} closed the connection before it confirmed the message: not sent "
            "(if a copy arrives anyway, the server delivered it before hanging up)"
        )
    if isinstance(exc, smtplib.SMTPConnectError):
        return f"{where} turned the connection away: {_said(exc.smtp_code, exc.smtp_error)}"
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return f"{where} does not support what the settings ask for: {exc}"
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"{where} answered {_said(exc.smtp_code, exc.smtp_error)}; nothing was sent"
    if isinstance(exc, ssl.SSLCertVerificationError):
        why = exc.verify_message or exc.reason
        return f"TLS with {where} failed: its certificate is not trusted ({why}); nothing was sent"
    if isinstance(exc, ssl.SSLError):
        hint = ' (is this a STARTTLS port? try security = "starttls")' if config.security == "ssl" else ""
        return f"TLS with {where} failed: {exc.reason or exc}{hint}; nothing was sent"
    if isinstance(exc, ConnectionRefusedError):
        return f"cannot connect to {where}: connection refused (is the server running? check host and port)"
    if isinstance(exc, socket.gaierror):
        return f"cannot find the server {config.host}: {exc.strerror}"
    if isinstance(exc, TimeoutError):
        return f"{where} did not answer in time; nothing was sent"
    if isinstance(exc, OSError):
        return f"cannot talk to {where}: {exc.strerror or exc}; nothing was sent"
    return f"sending through {where} failed: {exc}"


def _said(code: int, reply: bytes | str) -> str:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    return f"{code} {' '.join(text.split())}".strip()


def _kb(size: int) -> str:
    return f"{size / 1024:.0f} KB"
