"""Feeds in: the source list, fetching bytes, parsing them into Items, and storing them.

sources.py   seeds/sources.toml: read, edit, write back with the editor's comments; which to fetch
fetch.py     the bytes of every source: scheduled (concurrency, a limit per host); local files read
httpfetch.py one URL over http(s): conditional GET, redirects, retries, caps (responses.py: decoding)
netguard.py  which addresses a fetch may connect to after a redirect; one deadline per request
urls.py      canonical article URLs, and which URLs we fetch at all
parse.py     RSS, Atom and RDF into Items (jsonfeed.py: JSON Feed; entries.py: what both share)
feedtext.py  feed HTML into clean text: plain titles, summaries, sentences, cuts
safetext.py  untrusted text safe to show: no terminal controls, bidi tricks or passwords
opml.py      OPML in and out
intake.py    a fetch and one-off input, parsed and stored source by source
parsepool.py the bodies parsed meanwhile, in worker processes when there are many
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import _lazy_exports

__all__, __getattr__, __dir__ = _lazy_exports(
    __name__,
    {
        ".sources": ("load_sources", "dump_sources", "slugify", "find_source"),
        ".fetch": ("FetchResult", "fetch_sources", "fetch_url", "read_local"),
        ".urls": ("canonical_url", "check_remote_url"),
        ".parse": ("parse_feed",),
        ".entries": ("item_id",),
        ".feedtext": ("html_to_text", "clean_summary", "plain_title", "sentences", "cut"),
        ".opml": ("OpmlOutline", "read_opml", "write_opml"),
        ".intake": ("Intake", "RunSummary", "SourceOutcome", "fetch_lock", "read_target"),
    },
)

if TYPE_CHECKING:
    from .entries import item_id
    from .feedtext import clean_summary, cut, html_to_text, plain_title, sentences
    from .fetch import FetchResult, fetch_sources, fetch_url, read_local
    from .intake import Intake, RunSummary, SourceOutcome, fetch_lock, read_target
    from .opml import OpmlOutline, read_opml, write_opml
    from .parse import parse_feed
    from .sources import dump_sources, find_source, load_sources, slugify
    from .urls import canonical_url, check_remote_url
