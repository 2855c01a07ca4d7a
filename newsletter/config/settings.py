"""The settings of seeds/newsletter.toml, read and validated.

Unknown keys in newsletter.toml are errors that name the key. Every table is checked on load,
[send] included (its addresses, security and unsubscribe URL), so a bad setting is one line
before any work starts.
"""

from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ConfigError
from .styles import STYLES, check_style, house_style

# zoneinfo, tomllib, ipaddress and urllib load where they are used: a command that reads settings
# loads only what it needs.
if TYPE_CHECKING:
    from email.headerregistry import Address
    from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class StyleSettings:
    """One house style's settings ([style.atr], [style.techasia] in newsletter.toml)."""

    name: str = ""
    greeting: str = "Welcome back,"
    sign_off: str = "Catch you again next week,"
    ps: str = ""
    host: str = ""
    city: str = ""
    leads: int = 3  # lead stories (News in focus / #techAsia stories)
    per_section: int = 8  # entries per section at most
    reads: int = 10  # suggested reads (techasia)
    entry_chars: int = 220  # one-line entry length
    lead_chars: int = 700  # lead story text length
    sections: tuple[str, ...] = ()  # section keys in order (region or theme ids)
    section_titles: dict[str, str] = field(default_factory=dict)  # key -> heading override
    footer: str = ""
    signup: str = ""
    contact: str = ""
    images: bool = False  # show the publishers' lead images (hotlinked from their servers)


@dataclass(frozen=True)
class FocusSettings:
    """[focus]: what the relevance gate lets into an issue."""

    technology: bool = True  # only items whose subject is technology or its business
    asia: bool = True  # only items with an Asian region (false: a global tech newsletter)


@dataclass(frozen=True)
class RankingSettings:
    cluster_threshold: float = 0.5
    theme_priority: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class FetchSettings:
    concurrency: int = 8
    per_host: int = 2
    timeout: float = 20.0
    max_bytes: int = 10_000_000
    retries: int = 3
    max_redirects: int = 5


SECURITY = ("starttls", "ssl", "none")
DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "none": 25}


@dataclass(frozen=True)
class SendSettings:
    """[send]: the From of the .eml and a test send's server. `sender` is the TOML key `from`."""

    sender: str = field(default="", metadata={"key": "from"})  # required: send_settings insists
    host: str = ""
    port: int = field(default=0, metadata={"range": (1, 65535)})  # 0: the usual port (587, 465, 25)
    security: str = "starttls"
    user: str = ""
    password_env: str = ""  # the name of the environment variable holding the password
    reply_to: str = ""
    test_to: tuple[str, ...] = ()
    unsubscribe_url: str = ""

    @property
    def smtp_port(self) -> int:
        return self.port or DEFAULT_PORTS[self.security]


@dataclass(frozen=True)
class Settings:
    """seeds/newsletter.toml."""

    name: str = "Asia Tech Review"
    editor: str = "Editor"
    timezone: str = "Asia/Singapore"
    default_style: str = "atr"
    styles: tuple[str, ...] = STYLES
    base_url: str = ""
    language: str = "en"
    style: dict[str, StyleSettings] = field(default_factory=dict)
    ranking: RankingSettings = field(default_factory=RankingSettings)
    fetch: FetchSettings = field(default_factory=FetchSettings)
    focus: FocusSettings = field(default_factory=FocusSettings)
    send: SendSettings | None = None  # [send]: the .eml and test sends; None when the table is absent

    @property
    def tz(self) -> ZoneInfo:
        from zoneinfo import ZoneInfo

        return ZoneInfo(self.timezone)

    @property
    def editor_first_name(self) -> str:
        return self.editor.split()[0] if self.editor.split() else self.editor

    def style_settings(self, style: str) -> StyleSettings:
        check_style(style)
        return self.style.get(style, StyleSettings())

    def style_name(self, style: str) -> str:
        """The name an issue in this style goes out under: [style.KEY] name, else the style's own."""
        declared = house_style(style)
        ss = self.style_settings(style)
        return ss.name or (self.name if declared.own_name else declared.label)


BOM = "\ufeff"


def read_text_file(path: Path, data: bytes | None = None) -> str:
    """A seeds file's text: UTF-8, a leading byte-order mark kept (editors on Windows write one).

    data: the file's bytes when the caller has read them already (and hashed them: sort/compiled.py).
    """
    if data is None:
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise ConfigError(f"{path}: file not found", path) from None
        except OSError as exc:
            raise ConfigError(f"{path}: cannot read ({exc.strerror})", path) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ConfigError(
            f"{path}: line {line} is not UTF-8 text: save the file as UTF-8 in your editor", path
        ) from None


def read_toml(path: Path, data: bytes | None = None) -> dict[str, Any]:
    """Parse a TOML file (or data, its bytes as read already); a syntax error names the file and line."""
    import tomllib

    try:
        return tomllib.loads(read_text_file(path, data).removeprefix(BOM))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}", path) from None


def _default(f: dataclasses.Field) -> Any:
    """A field's default, used to know its type; required fields here are all strings."""
    if f.default is not dataclasses.MISSING:
        return f.default
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    return ""


def from_table(cls: type, data: Any, where: str, path: Path) -> Any:
    """Make a settings dataclass from a TOML table, refusing keys it does not know."""
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: [{where}] must be a table", path)
    # A field's TOML key is its name, or metadata["key"] where the name cannot be (`from`).
    fields = {f.metadata.get("key", f.name): f for f in dataclasses.fields(cls)}
    kwargs: dict[str, Any] = {}
    for key, value in data.items():
        if key not in fields:
            known = ", ".join(sorted(fields))
            raise ConfigError(f"{path}: unknown key {key!r} in [{where}] (known: {known})", path)
        default = _default(fields[key])
        bounds = fields[key].metadata.get("range")
        if bounds is not None:
            low, high = bounds
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise ConfigError(f"{path}: {where}.{key} must be a whole number from {low} to {high}", path)
        elif isinstance(default, tuple):
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ConfigError(f"{path}: {where}.{key} must be a list of strings", path)
            value = tuple(value)
        elif isinstance(default, bool):
            if not isinstance(value, bool):
                raise ConfigError(f"{path}: {where}.{key} must be true or false", path)
        elif isinstance(default, (int, float)):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ConfigError(f"{path}: {where}.{key} must be a number", path)
            if isinstance(value, float) and not math.isfinite(value):
                raise ConfigError(f"{path}: {where}.{key} must be a finite number, not {value}", path)
            if isinstance(default, int) and not isinstance(value, int):
                raise ConfigError(f"{path}: {where}.{key} must be a whole number", path)
        elif isinstance(default, str):
            if not isinstance(value, str):
                raise ConfigError(f"{path}: {where}.{key} must be a string", path)
        elif isinstance(default, dict) and not isinstance(value, dict):
            raise ConfigError(f"{path}: {where}.{key} must be a table", path)
        kwargs[fields[key].name] = value
    return cls(**kwargs)


def load_settings(path: Path) -> Settings:
    data = read_toml(path)
    top = data.pop("newsletter", {})
    styles = data.pop("style", {})
    ranking = data.pop("ranking", {})
    fetch = data.pop("fetch", {})
    focus = data.pop("focus", {})
    send = data.pop("send", None)
    if data:
        key = sorted(data)[0]
        known = "newsletter, style, focus, ranking, fetch, send"
        raise ConfigError(f"{path}: unknown table [{key}] (known: {known})", path)
    settings: Settings = from_table(
        Settings, {k: v for k, v in top.items() if k not in ("style",)}, "newsletter", path
    )
    if not isinstance(styles, dict):
        tables = " and ".join(f"[style.{key}]" for key in STYLES)
        raise ConfigError(f"{path}: [style] must hold {tables}", path)
    style_map = {}
    for name, table in styles.items():
        if name not in STYLES:
            raise ConfigError(f"{path}: unknown style [style.{name}] (known: {', '.join(STYLES)})", path)
        style_map[name] = from_table(StyleSettings, table, f"style.{name}", path)
    for name in settings.styles:
        if name not in STYLES:
            raise ConfigError(f"{path}: newsletter.styles names unknown style {name!r}", path)
    if settings.default_style not in STYLES:
        raise ConfigError(f"{path}: newsletter.default_style {settings.default_style!r} is not a style", path)
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(settings.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"{path}: unknown time zone {settings.timezone!r} (try Asia/Singapore)", path
        ) from None
    return dataclasses.replace(
        settings,
        style=style_map,
        ranking=from_table(RankingSettings, ranking, "ranking", path),
        fetch=from_table(FetchSettings, fetch, "fetch", path),
        focus=from_table(FocusSettings, focus, "focus", path),
        send=None if send is None else send_settings(send, path),
    )


# -- [send] ----------------------------------------------------------------------------------------

_DOMAIN_RE = re.compile(
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z0-9-]{1,63}|\[[0-9A-Fa-f:.]+\]"
)
_ENV_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def send_settings(table: Any, path: Path) -> SendSettings:
    """[send] from newsletter.toml: typed like every table, then its addresses, server and URL checked."""
    send: SendSettings = from_table(SendSettings, table, "send", path)
    if "from" not in table:
        raise ConfigError(
            f'{path}: [send] needs from = "Name <you@example.com>": the From of the issue', path
        )
    try:
        _check_send(send)
    except ValueError as exc:
        raise ConfigError(f"{path}: {exc}", path) from None
    return send


def _check_send(send: SendSettings) -> None:
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


def _check_unsubscribe(url: str) -> None:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.netloc:
        raise ValueError("send.unsubscribe_url must be an https:// URL (RFC 8058 one-click unsubscribe)")
    if not url.isascii() or re.search(r"[\s<>\"]", url) or len(url) > 900:
        raise ValueError("send.unsubscribe_url must be one ASCII URL without spaces, quotes or < >")


def parse_address(text: str) -> Address:
    """One address, `Name <user@example.com>` or `user@example.com`; ValueError saying why not."""
    from email.policy import default as policy  # here, so `newsletter --help` does not load email

    if not isinstance(text, str) or not text.strip():
        raise ValueError("is empty")
    if "\r" in text or "\n" in text:
        raise ValueError("holds a line break")
    try:
        header: Any = policy.header_factory("to", text)
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
    import ipaddress

    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
