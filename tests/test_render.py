"""Render stage: golden outputs, hostile feed text, email limits, archive, errors, atomic builds.

Regenerate the golden files after a deliberate template change, then review the diff:

    NEWSLETTER_REGEN_GOLDEN=1 .venv/bin/python -m pytest tests/test_render.py -k golden
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import resource
import subprocess
import sys
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest
from golden.check import assert_golden
from golden.fixture_plan import WEEK, atr_plan, settings, techasia_plan
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from newsletter.config import Settings
from newsletter.errors import RenderError
from newsletter.models import IssuePlan, Story
from newsletter.workspace import OUTPUTS, Workspace, atomic_write
from newsletter.write import draft, issue, render, templating
from newsletter.write.issue import content_html

GOLDEN = Path(__file__).parent / "golden"
NOW = dt.datetime(2026, 11, 23, 9, 0)
LINK_RE = re.compile(r"(?<!\\)\]\((https?://[^)\s]+)\)")
ENTRY_RE = re.compile(r"(?<!\\)\[link(?: 🔒)?\]\(https?://")


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return Workspace.init(tmp_path / "ws", sample=True)


def plan_for(style: str, **kw: object) -> IssuePlan:
    return atr_plan(**kw) if style == "atr" else techasia_plan(**kw)  # type: ignore[arg-type]


def built(ws: Workspace, style: str, formats: tuple[str, ...] = ("all",), **kw: object) -> dict[str, str]:
    draft.write_draft(ws, settings(), plan_for(style, **kw), now=NOW)
    result = render.build_outputs(ws, settings(), WEEK, style, formats)
    return {p.name: p.read_text(encoding="utf-8") for p in result.paths}


class Html(HTMLParser):
    """Collects what matters for safety and structure: tags, attributes, link targets."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs.extend((tag, k, v or "") for k, v in attrs)

    @property
    def hrefs(self) -> list[str]:
        return [v for t, k, v in self.attrs if t == "a" and k == "href"]


def parse_html(text: str) -> Html:
    p = Html()
    p.feed(text)
    p.close()
    return p


def assert_safe(html: str) -> Html:
    p = parse_html(html)
    for bad in ("script", "iframe", "object", "embed", "form", "svg", "math"):
        assert bad not in p.tags, f"<{bad}> in output"
    for tag, name, value in p.attrs:
        assert not name.lower().startswith("on"), f"event handler {name} on <{tag}>"
        if name in ("href", "src", "action", "formaction", "xlink:href"):
            scheme = re.sub(r"[\s\x00-\x1f]", "", value).lower()
            assert not scheme.startswith(("javascript:", "data:", "vbscript:")), f"{name}={value!r}"
    return p


# -- golden files ---------------------------------------------------------------------------------


@pytest.mark.parametrize("style", ["atr", "techasia"])
def test_golden_outputs_match(ws: Workspace, style: str) -> None:
    out = built(ws, style)
    # These settings have no [send], so `all` skips the .eml (tests/test_message.py covers it).
    assert set(out) == {f"{style}{ending}" for fmt, ending in OUTPUTS.items() if fmt != "eml"}
    assert_golden(GOLDEN / f"{style}.draft.md", ws.draft_path(WEEK, style).read_text(encoding="utf-8"))
    for name, text in out.items():
        assert_golden(GOLDEN / name, text)


# -- house styles ---------------------------------------------------------------------------------


def test_atr_markdown_has_the_house_structure(ws: Workspace) -> None:
    md = built(ws, "atr", ("md",))["atr.paste.md"]
    lines = md.splitlines()
    assert lines[0] == "# TSMC raises its capex plan to $52B as AI orders climb"
    assert lines[2].startswith("*Plus: Grab posts its first full-year profit, ")
    assert "\nWelcome back,\n" in md and "\nCatch you again next week,\n\nJane\n" in md
    assert "\nPS: Asia Tech Review is also on LinkedIn" in md
    heads = [line for line in lines if line.startswith("## ")]
    assert heads == [
        "## News in focus", "## China", "## India", "## Southeast Asia", "## South Korea", "## Japan",
        "## Taiwan", "## RoA",
    ]  # fmt: skip
    assert "[Nikkei Asia](https://news.example.com/nikkei/2026/11/story-1) reports that TSMC lifted" in md
    assert "\n> The company said demand for AI accelerators" in md
    assert "Also covered by [FT](https://news.example.com/ft/2026/11/story-900) and [DigiTimes]" in md
    # One-line entries end with the word link; paywalled outlets carry the lock; several outlets an aside.
    assert "stalled [link 🔒](https://news.example.com/ft/2026/11/story-7)\n" in md
    assert "(also: [SCMP](https://news.example.com/scmp/2026/11/story-903))" in md
    assert len(ENTRY_RE.findall(md)) == 26
    assert "<!--" not in md and "---\ntitle" not in md  # no markers, no front matter in the pasteable file


def test_techasia_markdown_has_the_house_structure(ws: Workspace) -> None:
    md = built(ws, "techasia", ("md",))["techasia.paste.md"]
    assert md.startswith("# TSMC's capex and Rapidus funding\n")
    assert "\nHello from Tokyo. This is Kenji Sato, your #techAsia host this week.\n" in md
    assert ", [FT](https://news.example.com/ft/2026/11/story-3) reports.\n" in md
    reads = re.findall(r"^(\d+)\. \[.+\]\(https://\S+\) \((.+)\)$", md, re.MULTILINE)
    assert [int(n) for n, _ in reads] == list(range(1, 11))
    assert reads[0][1] == "Reuters"
    assert "## Suggested reads" in md
    assert md.rstrip().endswith("Write to us at [techasia@example.org](mailto:techasia@example.org).")
    assert "#techAsia is co-ordinated by Kenji Sato in Tokyo" in md


def _with_images(on: bool) -> Settings:
    base = settings()
    styles = {k: dataclasses.replace(v, images=on) for k, v in base.style.items()}
    return dataclasses.replace(base, style=styles)


def _picture_plan() -> IssuePlan:
    plan = techasia_plan()
    lead = plan.leads[0]
    pic = dataclasses.replace(
        lead, lead=dataclasses.replace(lead.lead, image="https://img.example.com/a.png")
    )
    return dataclasses.replace(plan, leads=(pic, *plan.leads[1:]))


def test_no_publisher_image_is_hotlinked_by_default(ws: Workspace) -> None:
    draft.write_draft(ws, settings(), _picture_plan())
    for view in ("md", "html", "email", "txt"):
        assert "img.example.com" not in render.render_view(ws, settings(), WEEK, "techasia", view)


def test_story_image_sits_under_its_headline_with_a_caption(ws: Workspace) -> None:
    draft.write_draft(ws, _with_images(True), _picture_plan())
    md = render.render_view(ws, _with_images(True), WEEK, "techasia", "md")
    head = "## TSMC raises its capex plan to $52B as AI orders climb\n\n"
    assert (
        head + "![TSMC raises its capex plan to $52B as AI orders climb](https://img.example.com/a.png)\n\n"
        in md
    )
    assert "*Image from Nikkei Asia's report*" in md


@pytest.mark.parametrize("style", ["atr", "techasia"])
def test_every_markdown_link_is_in_the_html(ws: Workspace, style: str) -> None:
    out = built(ws, style, ("md", "html", "txt"))
    md_links = set(LINK_RE.findall(out[f"{style}.paste.md"]))
    html = parse_html(out[f"{style}.html"])
    assert md_links and md_links <= set(html.hrefs)
    assert all(url in out[f"{style}.txt"] for url in md_links)
    assert "<style>" in out[f"{style}.html"] and "</html>" in out[f"{style}.html"]


# -- hostile feed text ----------------------------------------------------------------------------

TOKENS = [
    *"*_[]()<>`#-+1.!|~&;:/\\'\"= \n\tabcXYZ",
    "javascript:",
    "data:",
    "<script>",
    "onerror=",
    "<!--",
    "-->",
    "<img src=x ",
    "](",
    "&amp;",
    "&#x3c;",
    "\u2028",
    "🔒",
    "1. ",
    "- ",
    "> ",
    "    ",
    "```",
    "---\n",
    "\n\n#",
]
NASTY = st.lists(st.sampled_from(TOKENS), max_size=25).map("".join)


def _poison(plan: IssuePlan, title: str, summary: str) -> IssuePlan:
    """The same plan with one story in every group given hostile text (and a hostile image URL)."""

    def bad(story: Story) -> Story:
        lead = dataclasses.replace(story.lead, title=title, summary=summary, image="javascript:alert(1)")
        return dataclasses.replace(story, lead=lead)

    sections = tuple(
        dataclasses.replace(s, stories=(bad(s.stories[0]), *s.stories[1:])) for s in plan.sections
    )
    reads = (bad(plan.reads[0]), *plan.reads[1:]) if plan.reads else ()
    return dataclasses.replace(
        plan, leads=(bad(plan.leads[0]), *plan.leads[1:]), sections=sections, reads=reads
    )


def _shape(md: str) -> tuple[list[str], int, int]:
    heads = [line.split(" ", 1)[0] for line in md.splitlines() if re.match(r"#{1,6} ", line)]
    fixed = sum(
        1
        for line in md.splitlines()
        if re.match(r"## (News in focus|China|India|RoA|AI chips|Suggested)", line)
    )
    return heads, len(ENTRY_RE.findall(md)) + len(re.findall(r"^\d+\. \[", md, re.MULTILINE)), fixed


@pytest.mark.parametrize("style", ["atr", "techasia"])
def test_hostile_text_never_changes_structure_or_reaches_html_as_markup(tmp_path: Path, style: str) -> None:
    ws = Workspace.init(tmp_path / "ws", sample=True)
    env = templating.environment(ws)
    path = ws.draft_path(WEEK, style)
    base_plan = plan_for(style, hostile=False)
    atomic_write(path, draft.generate(env, settings(), base_plan)[0])
    baseline = _shape(render.render_view(ws, settings(), WEEK, style, "md"))
    base_html = parse_html(render.render_view(ws, settings(), WEEK, style, "html"))

    @hsettings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(title=NASTY, summary=NASTY)
    def check(title: str, summary: str) -> None:
        atomic_write(path, draft.generate(env, settings(), _poison(base_plan, title, summary))[0])
        md = render.render_view(ws, settings(), WEEK, style, "md")
        assert _shape(md) == baseline
        for fmt in ("html", "email"):
            html = assert_safe(render.render_view(ws, settings(), WEEK, style, fmt))
            if fmt == "html":
                assert [t for t in html.tags if t in ("h1", "h2", "h3", "ol", "li")] == [
                    t for t in base_html.tags if t in ("h1", "h2", "h3", "ol", "li")
                ]

    check()


def test_editor_html_in_the_draft_is_sanitized(ws: Workspace) -> None:
    draft.write_draft(ws, settings(), atr_plan())
    path = ws.draft_path(WEEK, "atr")
    text = path.read_text(encoding="utf-8")
    evil = (
        '<script>alert(1)</script><a href="javascript:alert(1)" onclick="x()">a</a>'
        '<img src="data:image/png;base64,AAAA" onerror="x()"> [b](javascript:alert(2)) '
        "[c](data:text/html,hi)\n\n"
    )
    path.write_text(text.replace("## China", evil + "## China"), encoding="utf-8")
    for fmt in ("html", "email"):
        assert_safe(render.render_view(ws, settings(), WEEK, "atr", fmt))


# -- email ----------------------------------------------------------------------------------------


def test_email_of_a_60_entry_issue_is_inlined_single_column_and_under_gmails_clip(ws: Workspace) -> None:
    plan = atr_plan(extra=36)
    entries = len(plan.leads) + sum(len(s.stories) for s in plan.sections)
    assert entries >= 60
    draft.write_draft(ws, settings(), plan)
    result = render.build_outputs(ws, settings(), WEEK, "atr", ["email"])
    email = result.paths[0].read_text(encoding="utf-8")
    size = len(email.encode("utf-8"))
    assert size < render.GMAIL_CLIP_BYTES, f"{size} bytes"
    assert result.warnings == ()
    assert "<style" not in email and "<script" not in email
    body = email.split("<body", 1)[1].split(">", 1)[1].lstrip()
    assert body.startswith('<div style="display:none') and "Plus: Grab posts" in body[:400]
    assert 'width="600"' in email and "width: 600px" in email
    p = assert_safe(email)
    assert p.hrefs and all(h.startswith(("https://", "mailto:")) for h in p.hrefs)
    assert len(ENTRY_RE.findall(render.render_view(ws, settings(), WEEK, "atr", "md"))) + 3 == entries


def test_build_warns_with_the_size_when_the_email_is_over_the_clip(ws: Workspace) -> None:
    draft.write_draft(ws, settings(), atr_plan(extra=400))
    result = render.build_outputs(ws, settings(), WEEK, "atr", ["email"])
    assert len(result.warnings) == 1
    assert re.search(r"atr\.email\.html is \d+ KB, over Gmail's 102 KB clip", result.warnings[0])


def test_email_links_are_absolute_against_base_url(ws: Workspace) -> None:
    draft.write_draft(ws, settings(), atr_plan())
    path = ws.draft_path(WEEK, "atr")
    path.write_text(
        path.read_text(encoding="utf-8") + "\n[Last week](../2026-W46/atr.html)\n", encoding="utf-8"
    )
    email = parse_html(render.render_view(ws, settings(), WEEK, "atr", "email"))
    assert "https://news.example.org/2026-W46/atr.html" in email.hrefs
    web = parse_html(render.render_view(ws, settings(), WEEK, "atr", "html"))
    assert "../2026-W46/atr.html" in web.hrefs


# -- plain text -----------------------------------------------------------------------------------


def test_text_output_is_readable_with_links(ws: Workspace) -> None:
    txt = built(ws, "atr", ("txt",), hostile=False)["atr.txt"]
    assert txt.startswith("TSMC raises its capex plan to $52B as AI orders climb\n=====")
    assert "\nCHINA\n-----\n" in txt
    assert "stalled <https://news.example.com/ft/2026/11/story-7> 🔒" in txt
    assert "<p>" not in txt and "](" not in txt
    assert all(len(line) <= 72 or "://" in line for line in txt.splitlines())
    assert txt.rstrip().endswith(
        "Read this issue on the web: https://news.example.org/issues/2026-W47/atr.html"
    )


# -- templates: override, errors ------------------------------------------------------------------


def test_workspace_template_can_extend_the_packaged_one(ws: Workspace) -> None:
    draft.write_draft(ws, settings(), atr_plan())
    (ws.templates / "atr" / "issue.md.j2").write_text(
        '{% extends "default:atr/issue.md.j2" %}\n'
        "{% block closing %}{{ super() }}\nSent from our office.\n{% endblock %}\n",
        encoding="utf-8",
    )
    md = render.render_view(ws, settings(), WEEK, "atr", "md")
    assert md.rstrip().endswith("Sent from our office.")
    assert "## China" in md


def test_template_syntax_error_names_file_and_line(ws: Workspace) -> None:
    draft.write_draft(ws, settings(), atr_plan())
    bad = ws.templates / "atr" / "issue.md.j2"
    bad.write_text('{% extends "default:atr/issue.md.j2" %}\n\n{% block opening %}{% if %}{% endblock %}\n')
    with pytest.raises(RenderError) as err:
        render.render_view(ws, settings(), WEEK, "atr", "md")
    assert str(bad) + ":3:" in str(err.value) and err.value.line == 3


def test_template_runtime_error_names_file_and_line(ws: Workspace) -> None:
    draft.write_draft(ws, settings(), atr_plan())
    bad = ws.templates / "shared" / "page.html.j2"
    bad.write_text("<html>\n<body>\n{{ fm.no_such_key.deeper }}\n</body></html>\n")
    with pytest.raises(RenderError) as err:
        render.render_view(ws, settings(), WEEK, "atr", "html")
    assert "page.html.j2:3:" in str(err.value) and "no_such_key" in str(err.value)


def test_draft_with_broken_front_matter_names_file_and_line(ws: Workspace) -> None:
    draft.write_draft(ws, settings(), atr_plan())
    path = ws.draft_path(WEEK, "atr")
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[4] = "title: [unclosed"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(RenderError) as err:
        render.build_outputs(ws, settings(), WEEK, "atr", ["html"])
    assert str(err.value).startswith(f"{path}:")
    assert err.value.line is not None and 5 <= err.value.line <= 6


def test_missing_draft_is_a_clear_error(ws: Workspace) -> None:
    with pytest.raises(RenderError, match="run `newsletter draft`"):
        render.build_outputs(ws, settings(), WEEK, "atr", ["md"])


# -- atomic builds --------------------------------------------------------------------------------


def test_failed_build_leaves_previous_outputs_whole(ws: Workspace) -> None:
    built(ws, "atr")
    folder = ws.issues / str(WEEK)
    before = {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}
    # The editor changes the draft, then a broken email template fails the next build midway.
    path = ws.draft_path(WEEK, "atr")
    path.write_text(
        path.read_text(encoding="utf-8").replace("Welcome back,", "Hello again,"), encoding="utf-8"
    )
    (ws.templates / "shared" / "email.html.j2").write_text("{{ 1 / 0 }}\n")
    with pytest.raises(RenderError, match=r"email\.html\.j2:1:"):
        render.build_outputs(ws, settings(), WEEK, "atr", ["all"])
    after = {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}
    assert {k: v for k, v in after.items() if k != "atr.md"} == {
        k: v for k, v in before.items() if k != "atr.md"
    }
    assert not any(name.endswith(".tmp") for name in after)


def test_render_view_writes_nothing(ws: Workspace) -> None:
    draft.write_draft(ws, settings(), techasia_plan())
    folder = ws.issues / str(WEEK)
    before = sorted(p.name for p in folder.iterdir())
    for fmt in ("html", "email", "md", "txt"):
        assert render.render_view(ws, settings(), WEEK, "techasia", fmt)
    assert sorted(p.name for p in folder.iterdir()) == before


# -- archive --------------------------------------------------------------------------------------

ATOM = "{http://www.w3.org/2005/Atom}"


def test_archive_lists_built_issues_and_feed_is_atom(ws: Workspace) -> None:
    built(ws, "atr", ("html",))
    built(ws, "techasia", ("html",))
    index, feed = render.build_archive(ws, settings())
    html = index.read_text(encoding="utf-8")
    assert 'href="2026-W47/atr.html"' in html and 'href="2026-W47/techasia.html"' in html
    root = ET.parse(feed).getroot()
    assert root.tag == f"{ATOM}feed"
    for child in ("id", "title", "updated", "author"):
        assert root.find(f"{ATOM}{child}") is not None
    entries = root.findall(f"{ATOM}entry")
    assert len(entries) == 2
    for entry in entries:
        assert entry.findtext(f"{ATOM}id", "").startswith("urn:uuid:")
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", entry.findtext(f"{ATOM}updated", ""))
        assert entry.find(f"{ATOM}link").get("href", "").startswith("2026-W47/")  # type: ignore[union-attr]
    titles = {e.findtext(f"{ATOM}title") for e in entries}
    assert "TSMC raises its capex plan to $52B as AI orders climb" in titles


def test_archive_of_an_empty_workspace_is_still_valid(ws: Workspace) -> None:
    index, feed = render.build_archive(ws, settings())
    assert "No issue has been built yet" in index.read_text(encoding="utf-8")
    assert ET.parse(feed).getroot().findall(f"{ATOM}entry") == []


def _set_front(ws: Workspace, key: str, value: str) -> Path:
    """Set one front matter line of the week's atr draft, as an editor would by hand."""
    path = ws.draft_path(WEEK, "atr")
    lines = path.read_text(encoding="utf-8").split("\n")
    at = next(i for i, line in enumerate(lines) if line.startswith(f"{key}:"))
    lines[at] = f"{key}: {value}"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("key", "value", "needle"),
    [
        ("title", "[1, 2]", "title must be text"),
        ("subtitle", "{a: 1}", "subtitle must be text"),
        ("date", "'2026-13-45'", "date '2026-13-45' is not a date"),
        ("date", "[2026]", "date '[2026]' is not a date"),
        ("week", "2026-W12", "week: 2026-W12, but the draft is in the 2026-W47 folder"),
        ("style", "techasia", "style: techasia, but the draft is atr.md"),
    ],
)
def test_front_matter_values_of_the_wrong_kind_are_refused(
    ws: Workspace, key: str, value: str, needle: str
) -> None:
    draft.write_draft(ws, settings(), atr_plan())
    path = _set_front(ws, key, value)
    before = path.read_bytes()
    with pytest.raises(RenderError) as err:
        render.build_outputs(ws, settings(), WEEK, "atr", ["all"])
    message = str(err.value)
    assert needle in message and message.startswith(f"{path}:") and "\n" not in message, message
    assert err.value.line == path.read_text(encoding="utf-8").split("\n").index(f"{key}: {value}") + 1
    assert path.read_bytes() == before and not list(path.parent.glob("atr.*html"))


def test_a_yaml_alias_bomb_in_front_matter_is_refused_at_once(ws: Workspace) -> None:
    draft.write_draft(ws, settings(), atr_plan())
    bomb = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        bomb.append(f"{name}: &{name} [{', '.join([f'*{prev}'] * 9)}]")
    path = ws.draft_path(WEEK, "atr")
    text = path.read_text(encoding="utf-8").replace("---\n", "---\n" + "\n".join(bomb) + "\n", 1)
    path.write_text(text.replace("\ntitle: ", "\ntitle: *i\nold_title: ", 1), encoding="utf-8")
    # 9**9 strings were it expanded: run the build in a process that may not grow past 1 GB.
    limit = 1 << 30
    proc = subprocess.run(
        [sys.executable, "-m", "newsletter", "build", "--week", str(WEEK), "--style", "atr"],
        cwd=ws.root,
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_AS, (limit, limit)),
    )
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr[-500:]
    assert len(proc.stderr.strip().splitlines()) == 1 and "alias" in proc.stderr


def test_a_scalar_alias_in_front_matter_still_works(ws: Workspace) -> None:
    draft.write_draft(ws, settings(), atr_plan())
    _set_front(ws, "title", "&t My own title")
    _set_front(ws, "preheader", "*t")
    page = render.build_outputs(ws, settings(), WEEK, "atr", ["html"]).paths[0].read_text(encoding="utf-8")
    assert page.count("My own title") >= 2


def test_a_hash_without_a_space_opens_no_heading() -> None:
    # CommonMark (Substack, Ghost, Beehiiv) reads "#techAsia is ..." as a paragraph: the page, the
    # email and the text must too, not print the footer as a title without its "#".
    html = content_html("#techAsia is co-ordinated in Tokyo.\n\n## News in focus\n")
    assert "<p>#techAsia is co-ordinated in Tokyo.</p>" in html
    assert "<h2>News in focus</h2>" in html


def test_a_web_address_in_the_footer_text_is_a_link() -> None:
    # The default sign-up line holds its address in prose; Markdown links only <...> and [..](..).
    line = issue._autolinked("Sign up at https://news.example.com/ta/ to receive #techAsia each week.")
    assert '<a href="https://news.example.com/ta/"' in content_html(line)
    linked = "Read [our archive](https://news.example.com/a) or <https://news.example.com/b>."
    assert issue._autolinked(linked) == linked
    assert issue._autolinked("Mail javascript:alert(1) now") == "Mail javascript:alert(1) now"
