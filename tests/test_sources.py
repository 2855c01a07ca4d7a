"""Managing sources: add, remove, enable, OPML in and out, and the health list."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from xml.sax.saxutils import quoteattr

import pytest
from clirunner import run

from newsletter.app import Newsletter
from newsletter.errors import NewsletterError, SourceError
from newsletter.feeds.sources import load_sources
from newsletter.models import SourceHealth


def test_add_validates_and_refuses_duplicates(app: Newsletter) -> None:
    before = len(app.sources())
    src = app.add_source(
        "https://asia-desk.example/feed", name="Asia Desk", region="Southeast Asia", themes=["AI"]
    )
    assert (src.id, src.region, src.themes) == ("asia-desk", "southeast-asia", ("ai",))
    assert load_sources(app.ws.sources_path)[-1] == src and len(app.sources()) == before + 1
    with pytest.raises(SourceError, match="already a source"):
        app.add_source("https://asia-desk.example/feed")
    for bad in (
        "ftp://example.com/feed",
        "file:///etc/passwd",
        "data:text/xml,<rss/>",
        "javascript:alert(1)",
    ):
        with pytest.raises(SourceError):
            app.add_source(bad)
    with pytest.raises(NewsletterError, match="unknown region"):
        app.add_source("https://example.com/a.xml", region="Atlantis")
    with pytest.raises(SourceError, match="no such feed file"):
        app.add_source("missing/feed.xml")
    assert len(app.sources()) == before + 1, "refused adds write nothing"


def test_same_name_gets_a_new_id(app: Newsletter) -> None:
    a = app.add_source("https://a.example/feed", name="Tech Daily")
    b = app.add_source("https://b.example/feed", name="Tech Daily")
    assert a.id == "tech-daily" and b.id == "tech-daily-2"


def test_remove_and_enable(app: Newsletter) -> None:
    first = app.sources()[0]
    app.store.save_health(SourceHealth(first.id, status="gone", last_error="HTTP 410 Gone"))
    app.set_enabled(first.id, False)
    assert not next(s for s in app.sources() if s.id == first.id).enabled
    app.set_enabled(first.id, True)
    assert app.store.health().get(first.id, SourceHealth(first.id)).status == "never", "gone is cleared"
    removed = app.remove_source(first.id)
    assert removed == first and first.id not in {s.id for s in app.sources()}
    with pytest.raises(SourceError, match="no source with id"):
        app.remove_source(first.id)


def opml(n: int) -> bytes:
    rows = []
    for i in range(n):
        cats = ["japan,ai-chips", "India/Funding", "Tech", "South Korea"][i % 4]
        title = quoteattr(f"Feed {i} & <Co>")
        rows.append(f'<outline type="rss" text={title} xmlUrl="https://f{i}.example/rss" category="{cats}"/>')
    rows.append('<outline text="Local" xmlUrl="file:///etc/passwd"/>')
    body = "\n".join(rows)
    return f'<?xml version="1.0"?><opml version="2.0"><head/><body>{body}</body></opml>'.encode()


def test_import_500_outlines_maps_categories(app: Newsletter) -> None:
    before = len(app.sources())
    added, skipped = app.import_opml(opml(500))
    assert len(added) == 500 and len(app.sources()) == before + 500
    assert any("file:///etc/passwd" in s for s in skipped), "non-http outlines are refused, not fetched"
    by_url = {s.url: s for s in added}
    assert by_url["https://f0.example/rss"].region == "japan"
    assert "ai-chips" in by_url["https://f0.example/rss"].themes
    assert (
        by_url["https://f1.example/rss"].region == "india"
        and "funding" in by_url["https://f1.example/rss"].themes
    )
    assert by_url["https://f2.example/rss"].region is None
    assert by_url["https://f0.example/rss"].name == "Feed 0 & <Co>"
    again, skipped_again = app.import_opml(opml(500))
    assert not again and len(skipped_again) == 501, "a second import adds no duplicates"


def test_export_round_trips_through_import(app: Newsletter, tmp_path: Path) -> None:
    text = app.export_opml()
    urls = {s.url for s in app.sources() if s.is_remote}
    other = Newsletter(type(app.ws).init(tmp_path / "other", sample=True))
    other.ws.save_sources([])
    added, _ = other.import_opml(text.encode())
    assert {s.url for s in added} == urls
    other.close()


def test_sources_list_json_has_health(app: Newsletter) -> None:
    app.fetch()
    proc = run("--workspace", str(app.ws.root), "--db", str(app.db_path), "sources", "list", "--json")
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len(rows) == len(app.sources())
    enabled = [r for r in rows if r["enabled"]]
    assert enabled and all(r["status"] == "ok" and r["items"] > 0 for r in enabled)
    assert {"id", "name", "url", "status", "health", "last_success", "consecutive_failures"} <= set(rows[0])


def test_sources_commands_keep_the_editors_comments(app: Newsletter) -> None:
    path = app.ws.sources_path
    path.write_text(
        "# My sources, curated by hand\n\n"
        '[[source]]\n# the best Japan desk\nname = "Tokyo Wire"\nurl = "https://tokyo.example/rss"  # fast\n'
        'region = "japan"\n\n'
        '[[source]]\nid = "old"\nname = "Old Feed"\nurl = "https://old.example/rss"\n'
    )
    app.add_source("https://new.example/rss", name="New Feed")
    app.set_enabled("tokyo-wire", False)
    app.remove_source("old")
    text = path.read_text()
    for kept in ("# My sources, curated by hand", "# the best Japan desk", "# fast"):
        assert kept in text
    assert "Old Feed" not in text
    assert [(s.id, s.enabled) for s in load_sources(path)] == [("tokyo-wire", False), ("new-feed", True)]


LAYOUTS = {
    "tables": '# mine\n\n[[source]]\nid = "a"\nname = "A"\nurl = "https://a.example/rss"  # keep\n',
    "inline array": (
        '# mine\nsource = [\n  { id = "a", name = "A", url = "https://a.example/rss" },  # keep\n]\n'
    ),
    "one-line inline array": '# mine\nsource = [{ id = "a", name = "A", url = "https://a.example/rss" }]\n',
    "empty array": "# mine\nsource = []\n",
    "comments only": "# mine\n",
    "empty file": "",
    "no final newline": '# mine\n[[source]]\nid = "a"\nname = "A"\nurl = "https://a.example/rss"',
}


def _ids(app: Newsletter) -> list[tuple[str, bool]]:
    # Read back with the strict loader and with tomllib: the file must stay valid TOML.
    text = app.ws.sources_path.read_text(encoding="utf-8")
    assert text.endswith("\n"), repr(text[-40:])
    if text.strip():
        tomllib.loads(text)
    return [(s.id, s.enabled) for s in load_sources(app.ws.sources_path)]


@pytest.mark.parametrize("layout", LAYOUTS, ids=list(LAYOUTS))
def test_every_sources_command_keeps_the_file_valid(app: Newsletter, layout: str) -> None:
    path = app.ws.sources_path
    path.write_text(LAYOUTS[layout], encoding="utf-8")
    start = [(s.id, True) for s in load_sources(path)] if LAYOUTS[layout].strip() else []
    app.add_source("http://127.0.0.1:9/b.xml", name="b")
    app.add_source("http://127.0.0.1:9/c.xml", name="c")
    assert _ids(app) == [*start, ("b", True), ("c", True)]
    app.set_enabled("b", False)
    assert _ids(app) == [*start, ("b", False), ("c", True)]
    for source_id, _ in _ids(app):
        app.remove_source(source_id)
        assert source_id not in dict(_ids(app))
    assert _ids(app) == []
    app.add_source("http://127.0.0.1:9/d.xml", name="d")
    app.add_source("http://127.0.0.1:9/e.xml", name="e")
    assert _ids(app) == [("d", True), ("e", True)]
    for source_id, _ in _ids(app):
        app.remove_source(source_id)
    added, _ = app.import_opml(opml(3))
    assert _ids(app) == [(s.id, True) for s in added] and len(added) == 3
    if "# mine" in LAYOUTS[layout]:
        assert "# mine" in path.read_text(encoding="utf-8"), "the editor's comment stays"


def test_removing_every_seeded_source_then_adding_twice(app: Newsletter) -> None:
    for src in app.sources():
        app.remove_source(src.id)
    app.add_source("http://127.0.0.1:9/a.xml", name="a")
    app.add_source("http://127.0.0.1:9/b.xml", name="b")
    assert _ids(app) == [("a", True), ("b", True)]
    assert "# Feeds this newsletter reads" in app.ws.sources_path.read_text(encoding="utf-8")
