"""The whole pipeline on the bundled seeds: fetch, classify, cluster, curate, draft, render."""

from __future__ import annotations

import datetime as dt
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from clirunner import run, run_process

from newsletter.app import Newsletter
from newsletter.errors import NewsletterError, StoreError
from newsletter.feeds.intake import fetch_lock
from newsletter.models import GLOBAL, Week
from newsletter.workspace import Workspace

SEED_WEEK = Week.parse("2026-W47")
ATR_SECTIONS = ["China", "India", "Southeast Asia", "South Korea", "Japan", "Taiwan", "RoA"]
LINK_ENTRY = re.compile(r"\[link(?: 🔒)?\]\((https?://[^)\s]+)\)")


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        href = dict(attrs).get("href")
        if tag == "a" and href:
            self.hrefs.append(href)


def md_links(text: str) -> set[str]:
    return set(re.findall(r"\]\((https?://[^)\s]+)\)", text))


@pytest.fixture
def fetched(app: Newsletter) -> Newsletter:
    summary = app.fetch()
    assert not summary.failed, summary.failed
    return app


def test_fetch_stores_seed_items_once(app: Newsletter) -> None:
    first = app.fetch()
    assert first.new >= 80 and first.count("ok") == len(first.outcomes) >= 4
    assert "sources:" in first.line() and f"{first.new} new items" in first.line()
    second = app.fetch()
    assert second.new == 0, "ingesting the same feeds twice adds nothing"
    assert app.store.count_items() == first.new


def test_week_resolution_falls_back_to_latest_week(fetched: Newsletter) -> None:
    week, note = fetched.resolve_week(None)
    assert week == SEED_WEEK
    assert note and "2026-W48" in note and "2026-W47" in note
    assert fetched.resolve_week("2026-W47") == (SEED_WEEK, None)


def test_items_carry_the_contract_fields(fetched: Newsletter) -> None:
    rows = fetched.items(SEED_WEEK)
    assert len(rows) >= 80
    regions = {item.labels.region for item, _ in rows if item.labels}
    assert {"china", "india", "japan", "south-korea", "taiwan", "southeast-asia", "rest-of-asia"} <= regions
    assert GLOBAL in regions
    themes = {t for item, _ in rows for t in (item.labels.themes if item.labels else ())}
    assert {"ai-chips", "ipo", "ai", "funding"} <= themes
    multi = [story for _, story in rows if len({i.source_id for i in story.items}) > 1]
    assert multi, "some seed stories are told by several feeds and must cluster"
    for item, _ in rows:
        assert item.url.startswith("https://") and "utm_" not in item.url
        assert item.published.utcoffset() == dt.timedelta(0)
        assert "<" not in item.title


def test_label_override_survives_refetch_and_reaches_the_build(fetched: Newsletter) -> None:
    rows = fetched.items(SEED_WEEK, region="china")
    target = rows[-1][0]
    fetched.label(target.id[:8], region="taiwan", themes=["space"])
    fetched.fetch()
    [(again, _)] = [r for r in fetched.items(SEED_WEEK) if r[0].id == target.id]
    assert again.labels and again.labels.region == "taiwan" and again.labels.themes == ("space",)
    assert any(r.where == "editor" for r in again.labels.reasons)
    plan = fetched.plan(SEED_WEEK, "atr")
    placed = {s.key: {i.id for st in s.stories for i in st.items} for s in plan.sections}
    lead_ids = {i.id for st in plan.leads for i in st.items}
    assert target.id in placed.get("taiwan", set()) | lead_ids
    assert target.id not in placed.get("china", set())
    fetched.label(target.id, clear=True)
    [(cleared, _)] = [r for r in fetched.items(SEED_WEEK) if r[0].id == target.id]
    assert cleared.labels and not cleared.labels.overridden


def test_build_writes_both_styles_in_house_style(fetched: Newsletter) -> None:
    results = fetched.build(SEED_WEEK)
    paths = {p.name for r in results for p in r.paths}
    for style in ("atr", "techasia"):
        for suffix in (".paste.md", ".html", ".email.html", ".txt"):
            assert f"{style}{suffix}" in paths
    folder = fetched.ws.issue_dir(SEED_WEEK)
    assert (folder / "atr.md").exists() and (folder / "techasia.md").exists(), "the drafts"
    assert (folder / "atr.html").stat().st_mode & 0o044, "outputs are readable by others"

    atr = (folder / "atr.paste.md").read_text()
    assert "Welcome back," in atr and "## News in focus" in atr
    headings = re.findall(r"^## (.+)$", atr, flags=re.M)
    regions = [h for h in headings if h in ATR_SECTIONS]
    assert regions == [s for s in ATR_SECTIONS if s in regions], "regions in house order"
    assert len(regions) == 7, headings
    entries = LINK_ENTRY.findall(atr)
    assert len(entries) >= 25
    assert "Catch you again next week," in atr

    tech = (folder / "techasia.paste.md").read_text()
    assert re.search(r"Hello from .+\. This is .+, your #techAsia host this week\.", tech)
    assert "## Suggested reads" in tech
    reads = re.findall(r"^\d+\. .*\]\((https?://[^)]+)\) \((.+)\)\s*$", tech, flags=re.M)
    assert 8 <= len(reads) <= 10

    for style, md in (("atr", atr), ("techasia", tech)):
        parser = Links()
        parser.feed((folder / f"{style}.html").read_text())
        assert "html" in parser.tags and "body" in parser.tags
        assert md_links(md) <= set(parser.hrefs), f"{style}: every Markdown link is in the HTML"
    index = (fetched.ws.issues / "index.html").read_text()
    assert "2026-W47" in index


def test_empty_week_is_a_clear_error(fetched: Newsletter) -> None:
    with pytest.raises(NewsletterError, match="2026-W10 has no items"):
        fetched.build(Week.parse("2026-W10"))
    assert not fetched.ws.issue_dir(Week.parse("2026-W10")).exists()


def test_ingest_files_and_stdin(app: Newsletter, tmp_path: Path) -> None:
    feeds = sorted((app.ws.seeds / "feeds").glob("*"))
    summary = app.ingest([str(feeds[0]), str(feeds[1])], source_name="Sample Wire")
    assert summary.new > 0 and len(summary.outcomes) == 2
    again = app.ingest(["-"], stdin=feeds[0].read_bytes())
    assert again.new == 0
    assert "Sample Wire" in app.source_names().values()


def test_many_files_are_stored_in_order_and_a_bad_one_is_named(app: Newsletter, tmp_path: Path) -> None:
    """Fourteen files are parsed by worker processes; what is stored is what one by one would store."""
    paths = []
    for n in range(14):
        path = tmp_path / f"wire-{n:02d}.xml"
        item = f"<item><title>Story {n}</title><link>https://example.com/{n}</link></item>"
        body = f'<rss version="2.0"><channel><title>Wire {n}</title>{item}</channel></rss>'
        path.write_text("this is no feed" if n == 9 else body, encoding="utf-8")
        paths.append(str(path))
    paths.insert(4, str(tmp_path / "missing.xml"))
    summary = app.ingest(paths)
    assert [o.status for o in summary.outcomes] == ["ok"] * 4 + ["failed"] + ["ok"] * 5 + ["failed"] + [
        "ok"
    ] * 4
    failed = [o for o in summary.outcomes if o.status == "failed"]
    assert "missing.xml" in (failed[0].error or "") and "wire-09.xml" in (failed[1].error or "")
    assert [o.source.name for o in summary.outcomes if o.status == "ok"] == [
        f"Wire {n}" for n in range(14) if n != 9
    ]
    assert {item.title for item in app.store.all_items()} == {f"Story {n}" for n in range(14) if n != 9}
    with pytest.raises(NewsletterError, match="wire-09.xml"):
        app.ingest([paths[10]])  # a single target: its error, as ever


def test_second_fetch_while_one_runs_is_refused(app: Newsletter) -> None:
    with fetch_lock(app.db_path), pytest.raises(StoreError, match="another fetch is running"):
        app.fetch()


def test_cli_quick_start_path(workspace: Workspace) -> None:
    """What the README's first line does, on a fresh workspace: fetch, then build (real processes)."""
    where = ("--workspace", str(workspace.root))
    fetch = run_process(*where, "fetch")
    assert fetch.returncode == 0, fetch.stderr
    assert re.search(r"\d+ sources: \d+ ok, 0 not modified, 0 failed; \d+ new items", fetch.stderr)
    build = run_process(*where, "build")
    assert build.returncode == 0, build.stderr
    assert "using 2026-W47" in build.stderr or "2026-W47" in build.stdout
    written = [Path(p) for p in build.stdout.split()]
    assert all(p.exists() for p in written) and len(written) >= 8
    items = run(*where, "items", "--week", "2026-W47", "--json")
    rows = [json.loads(line) for line in items.stdout.splitlines()]
    assert rows and {
        "id",
        "title",
        "url",
        "source",
        "published",
        "region",
        "regions",
        "themes",
        "story",
    } <= set(rows[0])


def test_build_ranks_the_week_once_for_both_styles(fetched: Newsletter, monkeypatch) -> None:
    calls = []
    real = fetched.stories
    monkeypatch.setattr(fetched, "stories", lambda *a, **k: calls.append(1) or real(*a, **k))
    fetched.build(SEED_WEEK)
    assert len(calls) == 1, "classify, cluster and rank run once, not once per style"
    fetched.build(SEED_WEEK)
    assert len(calls) == 1, "with both drafts written, a rebuild renders without re-ranking"


def test_seeds_files_are_reread_only_when_they_change(app: Newsletter) -> None:
    first = app.sources()
    assert app.taxonomy() is app.taxonomy(), "the compiled taxonomy is reused while unchanged"
    app.ws.sources_path.write_text('[[source]]\nid = "only"\nurl = "https://only.example/rss"\n')
    assert [s.id for s in app.sources()] == ["only"] and len(first) > 1


def _feed(title: str, link: str, *urls: str) -> bytes:
    date = "<pubDate>Tue, 17 Nov 2026 09:00:00 GMT</pubDate>"
    items = "".join(f"<item><title>Item {n}</title><link>{u}</link>{date}</item>" for n, u in enumerate(urls))
    return f"<rss><channel><title>{title}</title><link>{link}</link>{items}</channel></rss>".encode()


def test_ingested_feeds_are_named_as_readers_know_them(app: Newsletter) -> None:
    app.ingest(
        ["-"], stdin=_feed("AI | The Verge", "https://www.theverge.com/ai", "https://www.theverge.com/1")
    )
    app.ingest(
        ["-"], stdin=_feed("Tech | The Verge", "https://www.theverge.com/tech", "https://www.theverge.com/2")
    )
    app.ingest(
        ["-"],
        stdin=_feed("Lantern Post - Category World", "https://lantern.example/", "https://lantern.example/3"),
    )
    app.ingest(["-"], stdin=_feed("Asia", "https://www.economist.com/asia/", "https://www.economist.com/4"))
    app.ingest(
        ["-"], stdin=_feed("Whatever", "https://x.example/", "https://x.example/5"), source_name="My Pick"
    )
    configured = {s.id for s in app.sources()}
    one_offs = {sid: s for sid, s in app.all_sources().items() if sid not in configured}
    assert sorted(s.name for s in one_offs.values()) == [
        "Lantern Post", "My Pick", "The Economist", "The Verge", "The Verge",
    ]  # fmt: skip
    verge = [sid for sid, s in one_offs.items() if s.name == "The Verge"]
    assert len(set(verge)) == 2  # two feeds of one outlet keep their own ids
    assert all(one_offs[sid].tech for sid in verge)
    assert one_offs[next(s for s in one_offs if one_offs[s].name == "The Economist")].paywalled


def _section_of(text: str, needle: str) -> str:
    key = ""
    for line in text.split("\n"):
        if m := re.match(r"<!-- section:([\w-]+) -->", line):
            key = m.group(1)
        if needle in line and "<!-- item:" in line:
            return key
    raise AssertionError(f"{needle!r} is not in the draft")


def test_a_label_reaches_an_existing_draft_on_draft_and_on_build(fetched: Newsletter) -> None:
    path = fetched.draft(SEED_WEEK, "atr").path
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("The story I kept coming back to", "My own words:"), encoding="utf-8")
    japan = text.split("<!-- section:japan -->", 1)[1].split("<!-- section:", 1)[0]
    lead_id = re.search(r"<!-- item:([0-9a-f]+)", japan).group(1)
    item, story = next((i, s) for i, s in fetched.items(SEED_WEEK) if s.lead.id == lead_id)
    assert fetched.draft(SEED_WEEK, "atr").action == "unchanged"

    fetched.label(item.id, region="south-korea")
    result = fetched.draft(SEED_WEEK, "atr")
    text = path.read_text(encoding="utf-8")
    assert result.action == "merged" and "moved from Japan to South Korea" in result.notes[0]
    assert _section_of(text, story.lead.id) == "south-korea" and "My own words:" in text
    md = fetched.build(SEED_WEEK, ["atr"], ["md"])[0].paths[0].read_text(encoding="utf-8")
    korea = md.split("## South Korea", 1)[1].split("\n## ", 1)[0]
    assert story.lead.url in korea

    fetched.label(item.id, region="japan")  # and back, this time with `build` alone
    built = fetched.build(SEED_WEEK, ["atr"], ["md"])[0]
    assert "moved from South Korea to Japan" in built.notes[0]
    assert _section_of(path.read_text(encoding="utf-8"), story.lead.id) == "japan"
    assert "My own words:" in path.read_text(encoding="utf-8")


def test_an_item_dated_year_9999_does_not_break_listing_every_item(app: Newsletter) -> None:
    feed = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>Future</title><link>https://f.example/</link>'
        b"<item><title>Samsung ships 2nm chips in Seoul</title><link>https://f.example/a</link>"
        b"<pubDate>Fri, 31 Dec 9999 23:00:00 GMT</pubDate></item></channel></rss>"
    )
    assert not app.ingest(["-"], stdin=feed).failed
    rows = app.items(None)
    assert [item.title for item, _ in rows] == ["Samsung ships 2nm chips in Seoul"]
