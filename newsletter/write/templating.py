"""The Jinja2 environment both draft and render use: loader chain, autoescape rules, and the filters.

Templates lay things out; every decision about wording (who reports what, how lists are
joined, what is escaped) is a filter here, so a workspace can restyle without re-coding it.
"""

from __future__ import annotations

import functools
import re
import traceback
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, NoReturn

import jinja2

from ..errors import RenderError
from ..workspace import Workspace, packaged_defaults
from . import draftfile, escape
from .ledes import reviewed, statement, titled

DEFAULT_PREFIX = "default"
# Articles, pronouns and the words that open a clause ("If the failure ...", "For bigger choices,
# ...") may lose their capital after "X reports that"; anything else (a company, a place, a person)
# keeps it.
_LOWER_AFTER_THAT = frozenset(
    [
        "If",
        "When",
        "While",
        "After",
        "Before",
        "As",
        "Although",
        "Though",
        "Despite",
        "For",
        "With",
        "Since",
        "Because",
        "Once",
        "Until",
        "Amid",
        "During",
        "Following",
        "According",
        "In",
        "On",
        "At",
        "By",
        "From",
        "Over",
        "Unlike",
        "The",
        "A",
        "An",
        "One",
        "Two",
        "Three",
        "Its",
        "It",
        "Their",
        "They",
        "This",
        "These",
        "That",
        "Those",
        "Some",
        "Several",
        "Many",
        "More",
        "Most",
        "Other",
        "Shares",
        "How",
        "Why",
        "What",
        "Who",
        "Where",
        "Which",
        "Sales",
    ]
)


def packaged_templates() -> Path:
    return packaged_defaults() / "templates"


def environment(ws: Workspace) -> jinja2.Environment:
    """Templates from the workspace first, then the packaged ones; "default:NAME" is always the packaged one.

    Environments are cached (compiling templates is most of a render's cost); Jinja reloads a
    template whose file changed, and the cache key holds the workspace's template file names, so
    an override added later is seen too.
    """
    names: tuple[str, ...] = ()
    if ws.templates.is_dir():
        names = tuple(sorted(str(p.relative_to(ws.templates)) for p in ws.templates.rglob("*.j2")))
    return _environment(str(ws.templates), str(packaged_templates()), names)


@functools.lru_cache(maxsize=16)
def _environment(workspace_templates: str, packaged_dir: str, _names: tuple[str, ...]) -> jinja2.Environment:
    packaged = jinja2.FileSystemLoader(packaged_dir)
    loaders: list[jinja2.BaseLoader] = [jinja2.PrefixLoader({DEFAULT_PREFIX: packaged}, delimiter=":")]
    if _names:
        loaders.append(jinja2.FileSystemLoader(workspace_templates))
    loaders.append(packaged)
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        # HTML and XML escape; Markdown templates escape explicitly with |md (Jinja has no Markdown mode).
        autoescape=lambda name: (name or "").endswith((".html.j2", ".xml.j2")),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        md=escape.escape,
        md_url=escape.safe_url,
        link=escape.link,
        join_and=join_and,
        join_semi=join_semi,
        headlines_and=lambda hs: escape.escape(headlines_and(hs)),
        count_word=count_word,
        links_and=links_and,
        links_list=links_list,
        ps=ps_line,
        reports_that=reports_that,
        reports_after=reports_after,
        unstop=unstop,
        clause=clause,
        paragraphs=paragraphs,
    )
    env.globals.update(
        link=escape.link, item_marker=draftfile.item_marker, section_marker=draftfile.section_marker
    )
    return env


def join_and(values: Iterable[object]) -> str:
    """ "A, B and C" (British: no serial comma)."""
    items = [str(v) for v in values if str(v)]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def links_and(outlets: Iterable[Any]) -> str:
    """Markdown "[A](u), [B](u) and [C](u)" from objects with .name and .url."""
    return join_and(escape.link(o.name, o.url) for o in outlets)


def join_semi(values: Iterable[object]) -> str:
    """ "A; B; and C", for a round-up of headlines that hold commas of their own."""
    items = [str(v) for v in values if str(v)]
    if len(items) <= 2:
        return " and ".join(items)
    return "; ".join(items[:-1]) + "; and " + items[-1]


def headlines_and(headlines: Iterable[str]) -> str:
    """Headlines told inside a sentence: "A, B and C", or "A; B; and C" when one holds a comma."""
    told = [clause(h) for h in headlines]
    return (join_semi if any("," in h for h in told) else join_and)(told)


def plus_line(headlines: Sequence[str]) -> str:
    """The subtitle naming the next stories: "Plus: A, B and C" (see headlines_and); "" for none."""
    return "Plus: " + headlines_and(headlines) if headlines else ""


_COUNTS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")


def count_word(n: int) -> str:
    """A count in words up to ten ("three"), in figures above."""
    return _COUNTS[n] if 0 <= n < len(_COUNTS) else str(n)


def links_list(outlets: Iterable[Any]) -> str:
    """Markdown "[A](u), [B](u)" from objects with .name and .url."""
    return ", ".join(escape.link(o.name, o.url) for o in outlets)


def ps_line(ps: str) -> str:
    """The PS paragraph (Markdown from the editor), prefixed "PS:" unless it already says so."""
    s = str(ps).strip()
    if not s or s.upper().startswith(("PS", "P.S", "**PS", "*PS")):
        return s
    return f"PS: {s}"


def unstop(sentence: str) -> str:
    """A sentence without its closing full stop, so a clause can follow it."""
    s = sentence.strip()
    return s[:-1].rstrip() if s.endswith(".") and not s.endswith("..") else s


# Common words that open a news sentence, lowered too unless a capitalised word follows ("New Delhi",
# "Free Fire"); a hyphenated one by its first part ("Private-hire car drivers ...").
_LOWER_BEFORE_A_WORD = frozenset(
    [
        "Free",
        "New",
        "Former",
        "Local",
        "Private",
        "Public",
        "Top",
        "Thousands",
        "Hundreds",
        "Millions",
        "Dozens",
        "Each",
        "Every",
        "All",
        "Both",
        "Few",
        "Four",
        "Five",
        "Users",
        "Investors",
        "Analysts",
        "Officials",
        "Authorities",
        "Researchers",
        "Customers",
        "Consumers",
        "Drivers",
        "Workers",
        "Employees",
        "Students",
        "Residents",
        "Prices",
    ]
)


def _lower_first(sentence: str) -> str:
    first, _, rest = sentence.partition(" ")
    if first in _LOWER_AFTER_THAT or (
        first.split("-", 1)[0] in _LOWER_BEFORE_A_WORD and not rest[:1].isupper()
    ):
        return first.lower() + (" " + rest if rest else "")
    return sentence


def _review(sentence: str, outlet_md: str) -> str:
    """Markdown "Outlet reviews the X: its verdict." for a review's headline, or "" for any other."""
    review = reviewed(sentence)
    if review is None:
        return ""
    thing, verdict = review
    return f"{outlet_md} reviews the {escape.escape(thing)}: {escape.escape(unstop(_lower_first(verdict)))}."


_INNER_QUOTES = str.maketrans({"“": "‘", "”": "’", '"': "'"})


def clause(headline: str) -> str:
    """A headline as a clause inside a sentence of ours (plain text): its closing stop dropped, an article,
    a number or a question word lowered ("... and one of China's rockets exploded", "how cheap phones
    ..."), a review's headline told as one ("a review of the Pixel 10 Pro", not "Pixel 10 Pro review:
    Google gets it right"), and a first-person, two-sentence or question headline quoted as a title
    ("“I let Alibaba’s AI agent plan my holiday. I ended up doing more work”")."""
    s = headline.strip()
    review = reviewed(s)
    if review:
        return f"a review of the {review[0]}"
    if titled(s):
        return f"“{unstop(s).translate(_INNER_QUOTES)}”"
    return _lower_first(unstop(s))


def _framed(s: str, outlet_md: str) -> str:
    """The credit when the sentence needs no "reports": none at all, or a review's headline."""
    return f"{outlet_md} has the story." if not s else _review(s, outlet_md)


# "Apple has reportedly trained ...": once the outlet is credited with "reports", the adverb says it twice.
_REPORTEDLY_RE = re.compile(r"(?<=\w) reportedly(?= \w)|^Reportedly,? (?=[A-Z])")


def _credited(sentence: str) -> str:
    """A feed sentence to credit with "reports": stripped, its "reportedly" dropped ("The Verge reports that
    Apple has trained ...", not "... that Apple has reportedly trained ...")."""
    return _REPORTEDLY_RE.sub("", sentence.strip(), count=1)


def reports_that(sentence: str, outlet_md: str) -> str:
    """Markdown "Outlet reports that …" around a feed sentence (escaped here); outlet_md is Markdown."""
    s = _credited(sentence)
    framed = _framed(s, outlet_md)
    if framed:
        return framed
    if s.endswith(".") and s[:1].isupper():
        return f"{outlet_md} reports that {escape.escape(_lower_first(s))}"
    if statement(s):
        return f"{outlet_md} reports that {escape.escape(_lower_first(s))}."
    return f"{outlet_md} reports: {escape.escape(s)}"


def reports_after(sentence: str, outlet_md: str) -> str:
    """Markdown "…, Outlet reports." after a feed sentence (escaped here)."""
    s = _credited(sentence)
    framed = _framed(s, outlet_md)
    if framed:
        return framed
    if s.endswith(".") or statement(s):
        return f"{escape.escape(unstop(s))}, {outlet_md} reports."
    return f"{escape.escape(s)} ({outlet_md})"


def paragraphs(sentences: Iterable[str], per: int = 2) -> list[str]:
    """Group sentences into short paragraphs of `per` sentences, as newsletter prose runs."""
    items = [s for s in sentences if s.strip()]
    return [" ".join(items[i : i + per]) for i in range(0, len(items), per)]


def _template_location(exc: BaseException) -> tuple[str, int | None]:
    """The innermost template file and line in a traceback (Jinja maps its frames to template lines)."""
    if isinstance(exc, jinja2.TemplateSyntaxError):
        return exc.filename or exc.name or "template", exc.lineno
    found: tuple[str, int | None] = ("", None)
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename.endswith(".j2"):
            found = (frame.filename, frame.lineno)
    return found


def render_template(env: jinja2.Environment, name: str, **context: Any) -> str:
    """Render one template; any template mistake becomes a RenderError naming file and line."""
    try:
        return env.get_template(name).render(**context)
    except jinja2.TemplateNotFound as exc:
        raise RenderError(
            f"template {exc.name!r} not found in templates/ or the packaged templates: "
            f"copy it back from a fresh `newsletter init`",
            exc.name,
        ) from None
    except Exception as exc:  # noqa: BLE001 - only mistakes located in a template are converted
        where, line = _template_location(exc)
        if not where:
            raise
        _raise_render_error(where, line, exc)


def _raise_render_error(where: str, line: int | None, exc: BaseException) -> NoReturn:
    message = exc.message if isinstance(exc, jinja2.TemplateError) and exc.message else str(exc)
    message = " ".join(message.split()) or type(exc).__name__
    raise RenderError(
        f"{where}:{line or '?'}: {message} (fix the template and build again)", where, line
    ) from None
