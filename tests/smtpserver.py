"""A real SMTP server on 127.0.0.1 (aiosmtpd in a thread) that records what it accepts.

Tests use it instead of mocking smtplib: the send code talks real SMTP over a real socket,
with STARTTLS, implicit TLS and AUTH when asked, and it can refuse recipients, refuse a
message as too large, or hang up in the middle of DATA.
"""

from __future__ import annotations

import contextlib
import email
import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


@dataclass(frozen=True)
class Received:
    """One message the server accepted."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    data: bytes  # exactly as it came over the wire
    tls: bool
    login: str | None

    @property
    def message(self) -> EmailMessage:
        msg = email.message_from_bytes(self.data, _class=EmailMessage, policy=default_policy)
        assert isinstance(msg, EmailMessage)
        return msg


@dataclass
class Handler:
    refuse: frozenset[str] = frozenset()  # recipients answered with 550
    data_reply: str | None = None  # answer DATA with this instead of accepting
    hang_up: bool = False  # close the connection when the message has arrived, before answering
    received: list[Received] = field(default_factory=list)
    connections: int = 0

    async def handle_EHLO(
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ):
        self.connections += 1
        session.host_name = hostname
        return responses

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: list[str]):
        if address in self.refuse:
            return f"550 5.1.1 <{address}>: no such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.hang_up:
            server.transport.close()
            return "421 4.3.0 gone"
        if self.data_reply:
            return self.data_reply
        login = session.auth_data.login.decode() if isinstance(session.auth_data, LoginPassword) else None
        self.received.append(
            Received(
                mail_from=envelope.mail_from,
                rcpt_tos=tuple(envelope.rcpt_tos),
                data=envelope.original_content or envelope.content,
                tls=session.ssl is not None or server.transport.get_extra_info("ssl_object") is not None,
                login=login,
            )
        )
        return "250 2.0.0 queued"


@dataclass
class Server:
    host: str
    port: int
    handler: Handler

    @property
    def received(self) -> list[Received]:
        return self.handler.received


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class Certs:
    """A throwaway CA, its PEM file (for SSL_CERT_FILE) and a server context for 127.0.0.1."""

    ca_file: Path
    server: ssl.SSLContext


def make_certs(folder: Path) -> Certs:
    ca = trustme.CA()
    ca_file = folder / "test-ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    return Certs(ca_file, context)


@contextlib.contextmanager
def smtp_server(
    *,
    users: dict[str, str] | None = None,
    starttls: ssl.SSLContext | None = None,
    implicit_tls: ssl.SSLContext | None = None,
    size_limit: int | None = None,
    **handler_options: Any,
) -> Iterator[Server]:
    """Run a server for the with-block. users: logins it accepts (then AUTH is required)."""
    handler = Handler(**handler_options)

    def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        ok = (
            isinstance(data, LoginPassword)
            and users is not None
            and users.get(data.login.decode()) == data.password.decode()
        )
        return AuthResult(success=ok, handled=False, auth_data=data)

    options: dict[str, Any] = {}
    if starttls is not None:
        options.update(tls_context=starttls, require_starttls=True)
    if users is not None:
        options.update(authenticator=authenticate, auth_required=True, auth_require_tls=starttls is not None)
    if size_limit is not None:
        options["data_size_limit"] = size_limit
    port = free_port()
    controller = Controller(
        handler, hostname="127.0.0.1", port=port, ssl_context=implicit_tls, ready_timeout=10, **options
    )
    controller.start()
    try:
        yield Server("127.0.0.1", port, handler)
    finally:
        controller.stop()
