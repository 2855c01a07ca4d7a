"""Feed and article addresses: the canonical URL that names an article, and the URLs we agree to fetch."""

from __future__ import annotations

import functools
import re
from urllib.parse import SplitResult, unquote, urljoin, urlsplit, urlunsplit

from ..errors import SourceError
from .safetext import without_credentials

TRACKING_PARAMS = frozenset(
    [
        "fbclid",
        "gclid",
        "dclid",
        "gclsrc",
        "msclkid",
        "yclid",
        "igshid",
        "mc_cid",
        "mc_eid",
        "ref",
        "ref_src",
        "ref_url",
        "cmpid",
        "ocid",
        "_hsenc",
        "_hsmi",
        "mkt_tok",
        "smid",
        "emc",
        "at_medium",
        "at_campaign",
        "at_custom1",
        "at_custom2",
        "at_custom3",
        "at_custom4",
        "guccounter",
        "guce_referrer",
        "guce_referrer_sig",
        "sr_share",
        "spm",
        "scm",
        "wt.mc_id",
        "wt_mc_id",
        "__twitter_impression",
        "cmp",
        "rss_source",
        "soc_src",
        "soc_trk",
    ]
)
_TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "hsa_", "oly_")
_BAD_HOST_RE = re.compile(r"[\s<>\"{}|\\^`\x00-\x1f\x7f/?#@]")


def _host_port(parts: SplitResult) -> str | None:
    try:
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return None
    if not host or _BAD_HOST_RE.search(host.strip("[]")):
        return None
    host = host.rstrip(".")
    if not host:
        return None
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    default = 80 if parts.scheme == "http" else 443
    return host if port in (None, default) else f"{host}:{port}"


def _is_tracking(pair: str) -> bool:
    name = unquote(pair.split("=", 1)[0]).strip().lower()
    return name in TRACKING_PARAMS or name.startswith(_TRACKING_PREFIXES)


def canonical_url(url: str, base: str = "") -> str:
    """The URL that identifies an article: absolute http(s), no fragment, no tracking parameters; else ""."""
    # Parsing asks for the same link twice (to pick it, then to store it): a small cache, for
    # ordinary-sized URLs only, so a hostile feed's huge links cannot fill memory.
    if len(url) + len(base) <= 2048:
        return _canonical_cached(url, base)
    return _canonical_url(url, base)


def _canonical_url(url: str, base: str) -> str:
    url = (url or "").strip()
    if not url:
        return ""
    try:
        if base:
            url = urljoin(base.strip(), url)
        parts = urlsplit(url)
    except ValueError:
        return ""
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        return ""
    parts = parts._replace(scheme=scheme)
    netloc = _host_port(parts)
    if netloc is None:
        return ""
    path = _CONTROL_RE.sub(_percent, parts.path).rstrip("/") or "/"
    pairs = [p for p in parts.query.split("&") if p and not _is_tracking(p)]
    query = _CONTROL_RE.sub(_percent, "&".join(pairs))
    return urlunsplit((scheme, netloc, path, query, ""))


# Spaces (any a strip() would drop: "\xa0" too) and control characters are escaped, as UTF-8, so that
# canonical_url(canonical_url(x)) == canonical_url(x): left raw, a later strip() or urlsplit would drop
# them and change the id.
_CONTROL_RE = re.compile(r"[\x00-\x20\x7f]|\s")


def _percent(match: re.Match[str]) -> str:
    return "".join(f"%{byte:02X}" for byte in match.group().encode("utf-8"))


_canonical_cached = functools.lru_cache(maxsize=1024)(_canonical_url)


def check_remote_url(url: str) -> str:
    """The URL normalised (scheme and host lower-case, no fragment); SourceError unless http(s)."""
    text = url.strip()
    where = without_credentials(text)[:200]  # messages name the URL, never a password in it
    if any(ord(c) < 33 or ord(c) == 127 for c in text):
        raise SourceError(f"{where!r} is not a URL: it holds spaces or control characters", url)
    try:
        parts = urlsplit(text)
    except ValueError:  # an unclosed [IPv6 literal
        raise SourceError(f"{where} is not a valid URL: check its host", url) from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        shown = f"{scheme}:" if scheme else "no scheme"
        raise SourceError(
            f"{where} is not a remote feed ({shown}): only http:// and https:// URLs are fetched; "
            "give a local file as a path instead",
            url,
        )
    try:
        host = parts.hostname
        port = parts.port
    except ValueError:
        raise SourceError(f"{where} is not a valid URL: check its host and port", url) from None
    if not host:
        raise SourceError(f"{where} has no host: write it like https://example.com/feed.xml", url)
    if ":" in host:
        host = f"[{host}]"  # IPv6 literal
    default = {"http": 80, "https": 443}[scheme]
    netloc = host if port in (None, default) else f"{host}:{port}"
    if parts.username is not None:
        netloc = parts.netloc.rsplit("@", 1)[0] + "@" + netloc
    return urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))


def looks_like_url(text: str) -> bool:
    """A URL of any scheme (to be checked, and refused unless http(s)) rather than a file path."""
    return "://" in text or text.split(":", 1)[0].lower() in ("data", "javascript", "mailto", "file", "ftp")


def check_hint(url: str) -> str:
    """What to check when bytes are no feed: the URL of a remote feed, else the file or input given."""
    if url.startswith(("http://", "https://")):
        return "check the feed URL"
    return "check the file" if url else "check the input"
