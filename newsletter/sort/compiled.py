"""seeds/taxonomy.toml loaded and its gazetteer compiled, kept on disk so that a start does neither again.

Parsing the taxonomy and compiling its matcher took a fifth of a second of every `newsletter classify`
(a tenth of a 100,000-line run: issue 15); read back from the workspace's cache they take 0.02 s, and the
matcher's Aho-Corasick automata, which do not pickle (G-Research/ahocorasick_rs#41), are built again from
their planned keys when something classifies (0.03 s).

One file, WORKSPACE/.newsletter/taxonomy.pickle (Workspace.taxonomy_cache), replaced whenever what it holds
is stale: a header line, then a pickle of the taxonomy, the matcher's index and its finder's keys. The
header holds the key (the exact bytes and the path of taxonomy.toml, every module of this package, its
version and the Python that pickled it) and the payload's checksum; a cache is used only when both match,
so an edited taxonomy or other code is never served from it. Neither sources.toml nor outlets.toml goes
into it: the priors they lend are added per item, outside the classifier.

The pickle is trusted as the store beside it is: it lives in the workspace's private folder, only this
module writes it, and whoever can write there can change the store and the seeds as well. It is unpickled
all the same with only the taxonomy's own classes allowed. A cache that is missing, truncated, corrupt,
from other code or unreadable is rebuilt without a word; one that cannot be written is done without.
"""

from __future__ import annotations

import functools
import hashlib
import pickle
import sys
from collections.abc import Callable
from pathlib import Path

from .. import __version__
from . import stamped
from .classify import Classifier
from .finder import KeyFinder, KeyPlan
from .forked import gc_paused
from .matcher import KeyInfo, Matcher, compile_matcher
from .taxonomy import Taxonomy, load_taxonomy

FORMAT = b"newsletter-taxonomy-cache-1"  # the header's first word: a new layout of the file gets a new one
PACKAGE = Path(__file__).resolve().parent.parent
# What the pickle may name: the taxonomy's classes and its path (all else in it is str, float, tuple, dict).
_CLASSES = frozenset(
    {("newsletter.sort.taxonomy", n) for n in ("Taxonomy", "RegionDef", "ThemeDef", "Term", "Scoring")}
    | {("pathlib", "PosixPath"), ("pathlib", "WindowsPath")}
)
# What the file holds after its header: the taxonomy, the matcher's index and its finder's keys.
_Payload = tuple[Taxonomy, dict[str, KeyInfo], KeyPlan]


class CompiledTaxonomy:
    """A taxonomy and, made the first time something classifies, its Classifier.

    cached: whether it was read from the cache (else parsed, and the cache written once its matcher is).
    key: cache_key of the bytes it was parsed from (None: not known), which its classifier carries.
    """

    def __init__(
        self, taxonomy: Taxonomy, matcher: Callable[[], Matcher], cached: bool, key: str | None = None
    ) -> None:
        self.taxonomy = taxonomy
        self.cached = cached
        self.key = key
        self._matcher = matcher
        self._classifier: Classifier | None = None

    def classifier(self) -> Classifier:
        """The taxonomy's classifier, made once (a lost race between threads only makes it twice)."""
        if self._classifier is None:
            with gc_paused():
                self._classifier = Classifier(self.taxonomy, self._matcher(), self.key)
        return self._classifier


def load(path: Path, cache: Path) -> CompiledTaxonomy:
    """The taxonomy at path, from the cache when it holds these exact bytes compiled by this code.

    A bad taxonomy is the ConfigError load_taxonomy raises, cache or not: a file that fails is never cached.
    """
    with gc_paused():  # a hundred thousand objects made, and no cycles among them (see forked.gc_paused)
        return _load(path, cache)


def _load(path: Path, cache: Path) -> CompiledTaxonomy:
    try:
        raw = path.read_bytes()
    except OSError:  # load_taxonomy says what is wrong, as it does with no cache
        taxonomy = load_taxonomy(path)
        return CompiledTaxonomy(taxonomy, lambda: compile_matcher(taxonomy), False)
    key = cache_key(path, raw)
    found = _read(cache, key) if key else None
    if found is not None:
        taxonomy, index, plan = found
        return CompiledTaxonomy(taxonomy, lambda: Matcher(index, KeyFinder.from_plan(plan)), True, key)
    taxonomy = load_taxonomy(path, raw)  # the bytes the key was made of, not the file read again

    def compiled() -> Matcher:
        matcher = compile_matcher(taxonomy)
        if key:
            save(cache, key, (taxonomy, matcher.index, matcher.finder.plan))
        return matcher

    return CompiledTaxonomy(taxonomy, compiled, False, key)


def cache_key(path: Path, raw: bytes, code: str | None = None) -> str | None:
    """What a cache must be stamped with to stand for the taxonomy file at path holding raw; None: no cache.

    code: the code that compiled it; by default this one (see code_version).
    """
    code = code or code_version()
    if code is None:
        return None
    h = hashlib.sha256()
    for part in (FORMAT, code.encode(), str(path).encode("utf-8", "surrogateescape")):
        h.update(len(part).to_bytes(8, "big") + part)
    h.update(raw)
    return h.hexdigest()


@functools.cache
def code_version() -> str | None:
    """This code: the package's version, the Python running it, and a hash of every module of the package;
    None when a module cannot be read (then nothing is cached: a change to it could not be seen).

    Every module, not a list of those the compiled objects come from, which could go stale (2 ms, once).
    """
    h = hashlib.sha256()
    try:
        for module in sorted(PACKAGE.rglob("*.py")):
            h.update(module.relative_to(PACKAGE).as_posix().encode() + b"\0")
            h.update(module.read_bytes() + b"\0")
    except OSError:
        return None
    return f"{__version__} {sys.implementation.cache_tag} {sys.version} {h.hexdigest()}"


def save(cache: Path, key: str, payload: _Payload) -> None:
    """Write the cache for key, replacing any other; a folder that refuses it (read-only, full) is let be."""
    stamped.write(cache, FORMAT, key, lambda: pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL))


def _read(cache: Path, key: str) -> _Payload | None:
    """What the cache holds for key; None when it is missing, stale, damaged or unreadable."""
    payload = stamped.read(cache, FORMAT, key)
    found = stamped.unpickle(payload, _CLASSES) if payload is not None else None
    if not (isinstance(found, tuple) and len(found) == 3 and isinstance(found[0], Taxonomy)):
        return None
    return found
