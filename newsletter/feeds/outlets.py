"""Name outlets as readers know them: a known web address first, else a clean name from the feed's title.

Feeds call themselves by section and tagline ("AI | The Verge", "Japan Today - Category World",
"NDTV News Search Records Found 1000", "Asia"); an issue must say "The Verge", "Japan Today",
"NDTV", "The Economist". seeds/outlets.toml lists outlets by domain (with whether they cover
technology, which the relevance gate uses as a prior, and whether they are paywalled); for any
other feed the title is cut at its separators, and boilerplate and generic section names
("World", "Top Stories", "Tech", "RSS Feed", "最新更新") are dropped.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from ..config import read_toml
from ..errors import ConfigError
from ..models import Source
from .sources import name_from_url

if TYPE_CHECKING:
    from ..store import OneOffSource


@dataclass(frozen=True)
class Outlet:
    """A publication as readers know it."""

    name: str
    domains: tuple[str, ...] = ()
    tech: bool = False  # covers technology: its items start with a technology prior
    paywalled: bool = False
    home: str | None = None  # the region a national outlet reports from (a region id of taxonomy.toml)


@dataclass(frozen=True)
class Outlets:
    """The known outlets, looked up by host (a subdomain matches its parent domain)."""

    by_domain: dict[str, Outlet]

    def for_url(self, url: str) -> Outlet | None:
        host = host_of(url)
        while host:
            found = self.by_domain.get(host)
            if found is not None:
                return found
            _, _, host = host.partition(".")
            if "." not in host:  # a bare TLD ("com") names no outlet
                return None
        return None


def host_of(url: str) -> str:
    """The lower-case host of an http(s) URL without "www.", or "" for anything else."""
    try:
        host = urlsplit(url.strip()).hostname or ""
    except ValueError:
        return ""
    return host.removeprefix("www.").rstrip(".")


_KEYS = {"name", "domains", "tech", "paywalled", "home"}
_REGION_ID_RE = re.compile(r"[a-z][a-z0-9-]*")


def load_outlets(path: Path) -> Outlets:
    """Read seeds/outlets.toml; a bad entry is a ConfigError naming the file and the key."""
    data = read_toml(path)
    unknown = set(data) - {"outlet"}
    if unknown:
        raise ConfigError(f"{path}: unknown table {sorted(unknown)[0]!r} (only [[outlet]] entries)", path)
    entries = data.get("outlet", [])
    if not isinstance(entries, list):
        raise ConfigError(f"{path}: write each outlet as an [[outlet]] table", path)
    by_domain: dict[str, Outlet] = {}
    for n, entry in enumerate(entries, 1):
        where = f"{path}: outlet {n}"
        if not isinstance(entry, dict):
            raise ConfigError(f"{where}: write each outlet as an [[outlet]] table", path)
        extra = set(entry) - _KEYS
        if extra:
            raise ConfigError(
                f"{where}: unknown key {sorted(extra)[0]!r} (known: {', '.join(sorted(_KEYS))})", path
            )
        name, domains = entry.get("name"), entry.get("domains", [])
        if not isinstance(name, str) or not name.strip():
            raise ConfigError(f"{where}: 'name' must be the outlet's name", path)
        if not isinstance(domains, list) or not domains or not all(isinstance(d, str) and d for d in domains):
            raise ConfigError(f"{where} ({name}): 'domains' must list its web addresses", path)
        for key in ("tech", "paywalled"):
            if not isinstance(entry.get(key, False), bool):
                raise ConfigError(f"{where} ({name}): {key!r} must be true or false", path)
        home = entry.get("home")
        if home is not None and not (isinstance(home, str) and _REGION_ID_RE.fullmatch(home)):
            raise ConfigError(f"{where} ({name}): 'home' must be a region id such as \"india\"", path)
        outlet = Outlet(
            name=" ".join(name.split()),
            domains=tuple(d.strip().lower().removeprefix("www.") for d in domains),
            tech=entry.get("tech", False),
            paywalled=entry.get("paywalled", False),
            home=home,
        )
        for domain in outlet.domains:
            by_domain.setdefault(domain, outlet)
    return Outlets(by_domain)


# -- names from feed titles ----------------------------------------------------------------------

# Boilerplate inside a title, removed wherever it stands.
_NOISE_RE = re.compile(
    r"\((?:json |atom |rss )?feed\)|\brss\s*(?:feeds?|阅读|2\.0)?|\batom feed\b|\bfeeds?\s*$"
    r"|\bsearch\s+records\s+found\s+\d+|\brecords\s+found\s+\d+|\bsearch results?\b",
    re.IGNORECASE,
)
# Separators between the outlet's name and a section or tagline.
_SPLIT_RE = re.compile(
    r"\s+[-–—|:>»·•~]+\s+|\s[|｜丨]|[|｜丨]\s|[｜丨]|:\s+|\s+[-–—]+$|^[-–—]+\s+"
    r"|(?<=[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af])[-–—](?=[A-Za-z])"
    r"|(?<=[A-Za-z])[-–—](?=[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af])"
)


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Words that name a section, a kind of page or a region, never an outlet.
_GENERIC_WORDS = _words(
    """
    a all and the of in on for from with by to latest news newest new top breaking headlines headline
    stories story articles article posts post blog blogs home homepage front page pages edition
    world international global national local region regional business economy markets finance money politics
    opinion opinions analysis features feature video videos podcast podcasts audio photos
    tech technology technologies science sci ai artificial intelligence internet gadgets it digital
    sports sport entertainment culture lifestyle health category categories section sections
    channel channels updates update recent everything content contents more main
    english edition neueste meldungen nachrichten actualités noticias
    """
)
_GENERIC_CJK = (
    "最新更新", "最新消息", "最新资讯", "最新文章", "最新", "更新", "资讯频道", "资讯", "新闻", "新聞",
    "频道", "頻道", "每日热点推荐", "热点推荐", "热点", "推荐", "互联网", "科技", "首页", "全部",
    "ニュース", "最新ニュース", "記事", "뉴스", "최신", "전체",
)  # fmt: skip
# Trimmed from the end of a name that names the site without them ("BBC News", "Wired Top Stories").
_TRAILING_WORDS = _words(
    "news latest top stories headlines blog all content home updates world articles posts"
)
# Place names that are a section when they stand alone ("Asia", "China"), not inside a name ("Japan Today").
_REGION_SECTIONS = _words(
    "asia asia-pacific apac europe americas africa china india japan korea taiwan singapore"
)
_TECH_SECTIONS = _words(
    "tech technology technologies ai artificial intelligence internet gadgets it digital 科技 互联网"
)
_WORD_RE = re.compile(r"[\w.'’+]+", re.UNICODE)
# Blog platforms whose subdomain names the site (someone.wordpress.com).
_PLATFORMS = ("wordpress.com", "blogspot.com", "substack.com", "medium.com", "github.io", "tumblr.com")
_ALNUM_RE = re.compile(r"[\W_]+", re.UNICODE)


def _generic(part: str) -> bool:
    """Whether a piece of a title names a section, a page kind or a region rather than an outlet."""
    text = part.strip()
    for cjk in _GENERIC_CJK:
        text = text.replace(cjk, " ")
    words = [w.strip(".'’").lower() for w in _WORD_RE.findall(text)]
    if len(words) == 1 and words[0] in _REGION_SECTIONS:
        return True
    return not words or all(w in _GENERIC_WORDS or w.isdigit() for w in words)


def _strip_cjk_generic(part: str) -> str:
    """A name with generic CJK words glued to its ends removed ("ITeye资讯频道" is ITeye)."""
    changed = True
    while changed:
        changed = False
        for cjk in _GENERIC_CJK:
            if part.endswith(cjk) and len(part) > len(cjk):
                part, changed = part[: -len(cjk)].strip(), True
            elif part.startswith(cjk) and len(part) > len(cjk):
                part, changed = part[len(cjk) :].strip(), True
    return part


def _key(text: str) -> str:
    return _ALNUM_RE.sub("", text).lower()


def _host_label(host: str) -> str:
    """The part of a host that names the site: 'techcrunch' of techcrunch.com, 'ana' of ana.wordpress.com."""
    for platform in _PLATFORMS:
        if host.endswith("." + platform):
            return host[: -len(platform) - 1].rsplit(".", 1)[-1]
    labels = [x for x in host.split(".") if x not in ("www", "feeds", "rss", "feed", "m", "en")]
    if len(labels) >= 3 and len(labels[-2]) <= 3 and len(labels[-1]) == 2:  # example.co.uk, techweb.com.cn
        return labels[-3]
    return labels[-2] if len(labels) >= 2 else (labels[0] if labels else "")


def _trim_generic_words(part: str, label: str) -> str:
    """Drop generic words at the ends of a name when what is left still names the site."""
    words = part.split()
    while len(words) > 1 and _generic_word(words[-1]) and _key(" ".join(words)) != label:
        rest = " ".join(words[:-1])
        if rest.endswith(("'", "’", "'s", "’s")) or (
            label and label not in _key(rest) and _key(rest) not in label
        ):
            break
        words = words[:-1]
    return " ".join(words)


def _generic_word(word: str) -> bool:
    return word.strip(".'’").lower() in _TRAILING_WORDS


def clean_feed_title(title: str, host: str = "") -> str:
    """The outlet's name within a feed title, or "" when the title only names a section."""
    text = _NOISE_RE.sub(" ", title or "")
    parts = [_strip_cjk_generic(" ".join(p.split()).strip(" -–—|:,.·•~()[]")) for p in _SPLIT_RE.split(text)]
    names = [p for p in parts if p and not _generic(p)]
    if not names:
        return ""
    label = _host_label(host) if host else ""
    if label and len(label) >= 3:
        for part in names:
            key = _key(part)
            if label in key or (len(key) >= 3 and key in label):
                return _trim_generic_words(part, label)
    return _trim_generic_words(names[0], label)


def is_tech_feed(title: str, url: str = "") -> bool:
    """Whether a feed's title or address says it is a technology section ("Tech – TIME", /rss/technology)."""
    text = _NOISE_RE.sub(" ", title or "")
    for part in _SPLIT_RE.split(text):
        words = [w.strip(".'’").lower() for w in _WORD_RE.findall(part)]
        if words and _generic(part) and any(w in _TECH_SECTIONS for w in words):
            return True
        if part.strip() in _TECH_SECTIONS:
            return True
    try:
        path = urlsplit(url).path.lower() if url.startswith(("http://", "https://")) else ""
    except ValueError:
        path = ""
    return bool(re.search(r"/(?:tech|technology|science-technology|sci-tech|ai|gadgets)(?:/|\.|$)", path))


# A feed's declared language as a region prior: a Chinese-language feed's items that name no place
# are most likely Chinese news. English and other world languages say nothing.
_LANGUAGE_REGIONS = {
    "zh": "china", "zh-cn": "china", "zh-hans": "china", "zh-sg": "china", "zh-hk": "china",
    "zh-tw": "taiwan", "zh-hant": "taiwan", "ja": "japan", "ko": "south-korea", "th": "southeast-asia",
    "vi": "southeast-asia", "id": "southeast-asia", "ms": "southeast-asia", "fil": "southeast-asia",
    "tl": "southeast-asia", "km": "southeast-asia", "my": "southeast-asia", "lo": "southeast-asia",
    "hi": "india", "bn-in": "india", "ta": "india", "te": "india", "mr": "india", "en-in": "india",
    "ur": "rest-of-asia", "bn": "rest-of-asia", "si": "rest-of-asia", "ne": "rest-of-asia",
    "mn": "rest-of-asia", "kk": "rest-of-asia", "uz": "rest-of-asia",
}  # fmt: skip


def language_region(language: str) -> str | None:
    """The region a feed's language points to ("zh-CN" is china, "ja-JP" japan), or None."""
    tag = language.strip().lower().replace("_", "-")
    return _LANGUAGE_REGIONS.get(tag) or _LANGUAGE_REGIONS.get(tag.split("-")[0]) if tag else None


def display_name(feed_title: str, link: str, outlets: Outlets) -> str:
    """An outlet's name in the issue: the known outlet at its address, else its clean title, else the host."""
    known = outlets.for_url(link) if link else None
    if known is not None:
        return known.name
    host = host_of(link)
    return (
        clean_feed_title(feed_title, host) or host or " ".join((feed_title or "").split()) or "unknown outlet"
    )


def name_for(url: str, title: str, outlets: Outlets) -> str:
    """A new source's name when the editor gives none: the outlet at its address, its title, or its host."""
    if title:
        return display_name(title, url, outlets)
    outlet = outlets.for_url(url)
    return outlet.name if outlet else name_from_url(url)


def one_off_source(remembered: OneOffSource, outlets: Outlets) -> Source:
    """A source ingested once (not in sources.toml), named and described from what the store kept of it."""
    link = remembered.link
    outlet = outlets.for_url(link)
    return Source(
        id=remembered.source_id,
        name=remembered.name or display_name(remembered.feed_title, link, outlets),
        url=link,
        language=remembered.language,
        paywalled=bool(outlet and outlet.paywalled),
        enabled=False,
        tech=outlet.tech if outlet else is_tech_feed(remembered.feed_title, link),
        home=home_of(outlet, remembered.feed_title, link),
    )


def with_outlet(source: Source, outlets: Outlets) -> Source:
    """A configured source with its technology prior settled (as configured, else the known outlet's) and
    its home region, the known outlet's."""
    outlet = outlets.for_url(source.url) if source.is_remote else None
    tech = source.tech
    if tech is None:
        tech = outlet.tech if outlet else is_tech_feed(source.name, source.url)
    return dataclasses.replace(source, tech=tech, home=home_of(outlet, source.name, source.url))


def home_of(outlet: Outlet | None, title: str, url: str) -> str | None:
    """The region a feed's items are filed under when they name nothing foreign: its outlet's home, but
    not for the outlet's world section ("Dawn - World", /category/world), whose news is from elsewhere."""
    if outlet is None or outlet.home is None:
        return None
    rest = (title or "").casefold().replace(outlet.name.casefold(), "")  # "Global Times": no section
    return None if is_world_feed(rest, url) else outlet.home


def check_homes(sources: Iterable[Source], regions: Collection[str], path: Path) -> None:
    """Refuse an outlet whose home is no region of the taxonomy, naming it."""
    for src in sources:
        if src.home is not None and src.home not in regions:
            known = ", ".join(sorted(regions))
            raise ConfigError(
                f"{path}: the home of {src.name!r} is {src.home!r}, not a region ({known})", path
            )


_WORLD_RE = re.compile(r"\b(?:world|international|global|foreign|abroad)\b", re.IGNORECASE)


def is_world_feed(title: str, url: str = "") -> bool:
    """Whether a feed's title or address says it is a world-news section."""
    try:
        path = urlsplit(url).path if url.startswith(("http://", "https://")) else ""
    except ValueError:
        path = ""
    return bool(_WORLD_RE.search(title or "") or _WORLD_RE.search(path.replace("/", " ")))


def every_source(
    one_offs: Iterable[OneOffSource], sources: Iterable[Source], outlets: Outlets
) -> dict[str, Source]:
    """Every source items can come from, by id: the one-off ingests the store remembers, then (winning
    over them) sources.toml's. Names, paywalls, the technology prior and the home region are settled here,
    once: configuration first, then the known outlet at the feed's address, then the feed's own title."""
    found = {r.source_id: one_off_source(r, outlets) for r in one_offs}
    for src in sources:
        found[src.id] = with_outlet(src, outlets)
    return found
