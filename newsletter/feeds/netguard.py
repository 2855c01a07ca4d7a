"""Guards on a fetch's connections: which addresses it may reach, how long it may take, abort.

The editor's own sources are fetched as configured, on any address (a feed on the office network
is theirs to read). A redirect is the feed's server speaking, not the editor: it may not lead a
fetch into the local network, that is to a loopback, private, link-local or otherwise non-public
address, unless it leads back to the very address and port the configured URL connected to.

The rule is a pure function of addresses (redirect_refusal). GuardedBackend applies it where
httpx's connection pool opens connections: names are resolved first and only allowed addresses are
connected to, so no packet reaches a refused one; connections to internal addresses are never
reused, so a kept-alive connection cannot carry a later request past the rule. It also holds each
request to one deadline over all its reads (httpx's timeouts are per read, so a server trickling
headers, or sending 100 Continue forever, never tripped them), and keeps the sockets it opened, so
that a fetch told to stop can end its downloads at once (abort).
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import httpcore
import httpx

from ..errors import NewsletterError
from .responses import Failure, host_of

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Peer = tuple[str, int]  # (IP address as text, port)
Rule = Callable[[Peer], "str | None"]  # why a connection to this peer is refused, or None

_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class AddressRefused(NewsletterError):
    """A connection the rule refused; the message says why, in one line."""


class DeadlinePassed(NewsletterError):
    """The request's whole time ran out (httpx's timeouts are per read: a trickle never trips them)."""


def _ip(address: str) -> IPAddress:
    """The address, with an IPv4 address embedded in IPv6 (mapped, NAT64, 6to4) taken out."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # an IPv6 zone (fe80::1%eth0) is no part of it
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return ip.ipv4_mapped
        if ip in _NAT64:
            return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if ip.sixtofour is not None:
            return ip.sixtofour
    return ip


def is_internal(address: str) -> bool:
    """Whether an IP address is inside a local network rather than on the public internet.

    Loopback, private (10/8, 172.16/12, 192.168/16, fc00::/7), link-local (169.254/16 with cloud
    metadata services, fe80::/10), carrier-grade NAT, unspecified, reserved, documentation and
    multicast addresses all count; so does anything that is not an IP address at all.
    """
    try:
        ip = _ip(address)
    except ValueError:
        return True
    return not ip.is_global or ip.is_multicast


def redirect_refusal(origin: Peer | None, peer: Peer) -> str | None:
    """Why a redirected request may not connect to peer, or None when it may.

    origin is the address and port the source's configured URL connected to (None if unknown).
    Public addresses are always allowed; an internal one only when it is the origin itself.
    """
    if not is_internal(peer[0]):
        return None
    if origin is not None and origin[1] == peer[1] and _same_ip(origin[0], peer[0]):
        return None
    return f"it leads to {_where(peer)}, inside the local network, where this source does not live"


def _same_ip(a: str, b: str) -> bool:
    try:
        return _ip(a) == _ip(b)
    except ValueError:
        return False


def _where(peer: Peer) -> str:
    host = f"[{peer[0]}]" if ":" in peer[0] else peer[0]
    return f"{host}:{peer[1]}"


@contextmanager
def as_failures(url: str, too_slow: str) -> Iterator[None]:
    """This module's refusals, and an invalid host name, as the fetch's one-line Failure (not retried)."""
    try:
        yield
    except AddressRefused as exc:
        raise Failure(f"redirect to {host_of(url)} refused: {exc}") from None
    except UnicodeError:  # IDNA: an empty label ("a..b"), a bad xn-- label, a label over 63
        raise Failure(f"{host_of(url)[:200]} is not a valid host name") from None
    except DeadlinePassed:
        raise Failure(too_slow) from None


def peer_of(stream: Any) -> Peer | None:
    """The (address, port) a network stream is connected to, if it can say."""
    if stream is None:
        return None
    addr = stream.get_extra_info("server_addr")
    if isinstance(addr, tuple) and len(addr) >= 2:
        return str(addr[0]), int(addr[1])
    return None


class GuardedBackend(httpcore.NetworkBackend):
    """httpcore's synchronous network backend, with the calling thread's rule applied to each connection.

    httpx's sync client opens connections and reads answers in the thread that makes the request,
    so what `checking` sets for that thread (a rule, a deadline) governs exactly that request.
    """

    def __init__(self) -> None:
        self._inner = httpcore.SyncBackend()
        self._local = threading.local()
        self._sockets: weakref.WeakSet[socket.socket] = weakref.WeakSet()
        self._aborted = False

    def abort(self) -> None:
        """End every connection now, mid-request too, and open no more: a stopped fetch stops at once.

        Closing a socket does not wake a thread blocked reading it; shutting it down does.
        """
        self._aborted = True
        for sock in list(self._sockets):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    @contextmanager
    def checking(self, rule: Rule | None, deadline: float | None = None) -> Iterator[None]:
        """Apply rule to connections this thread opens inside the block (None: connect as configured),
        and end its connecting, writing and reading at deadline (time.monotonic()), headers included.
        """
        previous = getattr(self._local, "rule", None), getattr(self._local, "deadline", None)
        self._local.rule, self._local.deadline = rule, deadline
        try:
            yield
        finally:
            self._local.rule, self._local.deadline = previous

    def _time_left(self, timeout: float | None) -> float | None:
        """timeout, shortened to what is left before this thread's deadline."""
        deadline = getattr(self._local, "deadline", None)
        if deadline is None:
            return timeout
        left = deadline - time.monotonic()
        if left <= 0:
            raise DeadlinePassed("the server took too long")
        return left if timeout is None else min(timeout, left)

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        if self._aborted:
            raise httpcore.ConnectError("cancelled")
        timeout = self._time_left(timeout)
        rule: Rule | None = getattr(self._local, "rule", None)
        if rule is None:
            stream = self._inner.connect_tcp(host, port, timeout, local_address, socket_options)
        else:
            stream = self._connect_allowed(rule, host, port, timeout, local_address, socket_options)
        peer = peer_of(stream)
        return _Stream(stream, self, reuse=peer is not None and not is_internal(peer[0]))

    def _track(self, stream: httpcore.NetworkStream) -> None:
        sock = stream.get_extra_info("socket")  # after start_tls, the TLS socket: the plain one is detached
        if isinstance(sock, socket.socket):
            self._sockets.add(sock)
            if self._aborted:  # abort() ran while this one was connecting
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def _connect_allowed(
        self,
        rule: Rule,
        host: str,
        port: int,
        timeout: float | None,
        local_address: str | None,
        socket_options: Iterable[Any] | None,
    ) -> httpcore.NetworkStream:
        """Resolve host and connect to the first address the rule allows, never to another one."""
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as exc:  # what socket.create_connection would have raised, as httpcore maps it
            raise httpcore.ConnectError(str(exc)) from exc
        refusal, failure = None, None
        for *_, sockaddr in infos:
            address = str(sockaddr[0])
            why = rule((address, port))
            if why is not None:
                refusal = refusal or why
                continue
            try:
                stream = self._inner.connect_tcp(address, port, timeout, local_address, socket_options)
            except httpcore.ConnectError as exc:
                failure = exc
                continue
            why = rule(peer_of(stream) or ("", port))  # the address actually connected to
            if why is None:
                return stream
            stream.close()
            refusal = refusal or why
        if failure is not None:
            raise failure
        raise AddressRefused(refusal or f"{host} has no address")

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        raise AddressRefused("fetches never use Unix sockets")

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class _Stream(httpcore.NetworkStream):
    """A connection the backend can abort; one to an internal address is used for one request only.

    The pool reuses an idle connection only while its socket is not readable (readable would mean
    the server hung up), so saying "readable" makes it open a new connection for the next request,
    which then passes that request's rule.
    """

    def __init__(self, stream: httpcore.NetworkStream, backend: GuardedBackend, reuse: bool) -> None:
        self._stream = stream
        self._backend = backend
        self._reuse = reuse
        backend._track(stream)

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        deadline = getattr(self._backend._local, "deadline", None)
        try:
            return self._stream.read(max_bytes, self._backend._time_left(timeout))
        except httpcore.ReadTimeout:
            if deadline is not None and time.monotonic() >= deadline:
                raise DeadlinePassed("the server took too long") from None
            raise

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, self._backend._time_left(timeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self,
        ssl_context: Any,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        tls = self._stream.start_tls(ssl_context, server_hostname, timeout)
        return _Stream(tls, self._backend, self._reuse)

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable" and not self._reuse:
            return True
        return self._stream.get_extra_info(info)


def guarded_transport(backend: GuardedBackend, limits: httpx.Limits) -> httpx.HTTPTransport:
    """httpx's own transport (no proxies, no environment), its connections opened by backend."""
    transport = httpx.HTTPTransport(limits=limits, trust_env=False)
    # httpx offers no parameter for the network backend; its pool is httpcore's, made as httpx makes it.
    transport._pool = httpcore.ConnectionPool(
        ssl_context=httpx.create_ssl_context(trust_env=False),
        max_connections=limits.max_connections,
        max_keepalive_connections=limits.max_keepalive_connections,
        keepalive_expiry=limits.keepalive_expiry,
        network_backend=backend,
    )
    return transport
