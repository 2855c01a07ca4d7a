"""What fetch makes of an HTTP response: capped gzip/deflate decoding, Retry-After, one-line reasons."""

from __future__ import annotations

import email.utils
import time
import zlib
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx

from ..errors import NewsletterError
from .safetext import printable

CHUNK = 64 * 1024  # most decompressed bytes produced at once: bounds memory on a gzip bomb


class Failure(NewsletterError):
    """An attempt that ends the fetch of one source; carries the one-line reason."""

    def __init__(self, error: str, http_status: int | None = None, status: str = "failed") -> None:
        super().__init__(error)
        self.error = error
        self.http_status = http_status
        self.status = status


class Decoder:
    """gzip/deflate decoding that never produces more than CHUNK bytes per step."""

    def __init__(self, encoding: str, status: int) -> None:
        self.identity = encoding in ("", "identity")
        self.raw_fallback = False
        if self.identity:
            self.zobj = None
        elif encoding in ("gzip", "x-gzip"):
            self.zobj = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif encoding == "deflate":
            self.zobj = zlib.decompressobj(zlib.MAX_WBITS)
            self.raw_fallback = True  # some servers send raw deflate without the zlib header
        else:
            raise Failure(f"unsupported Content-Encoding {encoding[:40]!r}", status)
        self.started = False
        self.gzip = encoding in ("gzip", "x-gzip")

    def feed(self, data: bytes) -> Iterator[bytes]:
        if self.zobj is None:
            if data:
                yield data
            return
        while True:
            try:
                out = self.zobj.decompress(data, CHUNK)
            except zlib.error as exc:
                if self.raw_fallback and not self.started:
                    self.raw_fallback = False
                    self.zobj = zlib.decompressobj(-zlib.MAX_WBITS)
                    continue
                raise Failure(f"the compressed body is corrupt ({exc})") from None
            self.started = True
            if out:
                yield out
            data = self.zobj.unconsumed_tail
            if self.zobj.eof and self.gzip and self.zobj.unused_data.startswith(b"\x1f\x8b"):
                data = self.zobj.unused_data  # a second gzip member follows
                self.zobj = zlib.decompressobj(16 + zlib.MAX_WBITS)
                continue
            if not data and len(out) < CHUNK:
                return


def retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date); None if absent or garbled."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - time.time())


def host_of(url: str) -> str:
    """host[:port] of a URL, for messages: never the user:password@ before it."""
    return urlsplit(url).netloc.rsplit("@", 1)[-1]


def timeout_error(exc: httpx.TimeoutException, url: str, timeout: float) -> str:
    host = host_of(url)
    if isinstance(exc, httpx.ConnectTimeout):
        return f"timed out connecting to {host} after {timeout:g} s"
    return f"timed out: {host} sent nothing for {timeout:g} s"


def transport_error(exc: httpx.TransportError, url: str, tries: int) -> str:
    host = host_of(url)
    detail = one_line(str(exc)) or type(exc).__name__
    if isinstance(exc, httpx.ConnectError):
        return f"cannot connect to {host}: {detail} (after {tries} tries)"
    return f"connection to {host} failed: {detail} (after {tries} tries)"


def one_line(text: str) -> str:
    """Remote text (a reason phrase, an error) as one printable line."""
    return " ".join(printable(text).split())[:300]


def size_text(n: int) -> str:
    if n >= 1_000_000:
        return f"{n / 1_000_000:g} MB"
    if n >= 1000:
        return f"{n / 1000:g} kB"
    return f"{n} bytes"
