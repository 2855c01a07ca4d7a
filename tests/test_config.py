"""Workspace and settings: init, validation with clear messages, atomic writes, weeks."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from newsletter.config import load_settings
from newsletter.errors import ConfigError, StyleError, WeekError, WorkspaceError
from newsletter.feeds.sources import load_sources
from newsletter.models import UTC, Source, Week
from newsletter.workspace import Workspace, atomic_write

REPO = Path(__file__).resolve().parent.parent


def test_init_copies_defaults_and_refuses_twice(tmp_path: Path) -> None:
    ws = Workspace.init(tmp_path / "new")
    for rel in ("seeds/newsletter.toml", "seeds/sources.toml", "seeds/taxonomy.toml", "issues", ".gitignore"):
        assert (ws.root / rel).exists(), rel
    assert any((ws.root / "templates").rglob("*.j2"))
    settings = ws.settings()
    assert settings.styles and settings.tz
    before = (ws.seeds / "newsletter.toml").read_text()
    with pytest.raises(WorkspaceError, match="already a workspace"):
        Workspace.init(ws.root)
    assert (ws.seeds / "newsletter.toml").read_text() == before


def test_open_names_init_when_not_a_workspace(tmp_path: Path) -> None:
    with pytest.raises(WorkspaceError, match="newsletter init"):
        Workspace.open(tmp_path)
    with pytest.raises(WorkspaceError, match="newsletter init"):
        Workspace.open(tmp_path / "missing")


def test_settings_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "newsletter.toml"
    path.write_text('[newsletter]\nname = "A"\neditor = \n')
    with pytest.raises(ConfigError) as err:
        load_settings(path)
    assert str(path) in str(err.value) and "line 3" in str(err.value)


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ('[newsletter]\nnmae = "x"\n', "unknown key 'nmae'"),
        ('[newsletter]\nstyles = ["atr", "zine"]\n', "unknown style 'zine'"),
        ('[newsletter]\ntimezone = "Mars/Olympus"\n', "unknown time zone"),
        ('[style.zine]\nname = "x"\n', "unknown style [style.zine]"),
        ('[style.atr]\nleads = "three"\n', "style.atr.leads must be a number"),
        ("[fetch]\ntimeout = true\n", "fetch.timeout must be a number"),
        ("[extra]\n", "unknown table [extra]"),
    ],
)
def test_settings_validation(tmp_path: Path, text: str, needle: str) -> None:
    path = tmp_path / "newsletter.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=None) as err:
        load_settings(path)
    assert needle in str(err.value)


def test_sources_round_trip(workspace: Workspace) -> None:
    sources = workspace.sources()
    assert sources, "the seeds list sources"
    extra = Source(id="x", name="X & Co", url="https://x.example/feed", themes=("ai",), weight=1.5)
    workspace.save_sources([*sources, extra])
    again = load_sources(workspace.sources_path)
    assert again[-1] == extra and again[:-1] == sources


def test_duplicate_source_ids_refused(tmp_path: Path) -> None:
    path = tmp_path / "sources.toml"
    path.write_text('[[source]]\nid = "a"\nurl = "https://a/"\n[[source]]\nid = "a"\nurl = "https://b/"\n')
    with pytest.raises(ConfigError, match="two sources have the id 'a'"):
        load_sources(path)


def test_atomic_write_keeps_old_content_on_failure(tmp_path: Path) -> None:
    path = tmp_path / "f.txt"
    atomic_write(path, "old")

    with pytest.raises(TypeError):
        atomic_write(path, 12345)  # type: ignore[arg-type]  # fails mid-write, after the temp file exists
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["f.txt"], "no temp file left behind"


@pytest.mark.parametrize("bad", ["2026-W60", "2026-W00", "last week", "2026-48", "2026-W1", ""])
def test_bad_weeks(bad: str) -> None:
    with pytest.raises(WeekError):
        Week.parse(bad)


def test_week_bounds_follow_the_newsletter_time_zone() -> None:
    week = Week.parse("2026-W48")
    start, end = week.bounds(ZoneInfo("Asia/Singapore"))
    assert start == dt.datetime(2026, 11, 22, 16, 0, tzinfo=UTC)
    assert end - start == dt.timedelta(days=7)
    # Sunday 23:30 in Singapore is still week 47 there, though it is Sunday afternoon in UTC.
    late_sunday = dt.datetime(2026, 11, 22, 15, 30, tzinfo=UTC)
    assert str(Week.of(late_sunday, ZoneInfo("Asia/Singapore"))) == "2026-W47"
    assert (
        Week.parse("2026-W53").bounds(ZoneInfo("UTC"))[1] == Week.parse("2027-W01").bounds(ZoneInfo("UTC"))[0]
    )


def test_every_house_style_is_declared_once_with_its_planner_and_templates() -> None:
    from newsletter.config import HOUSE_STYLES, STYLES, house_style
    from newsletter.sort.curate import PLANNERS

    assert STYLES == ("atr", "techasia")
    assert len(set(STYLES)) == len(HOUSE_STYLES)
    for style in HOUSE_STYLES:
        assert house_style(style.key) is style
        assert style.planner in PLANNERS, style.key
        for name in ("draft.md.j2", "intro.md.j2", "issue.md.j2"):
            assert (REPO / "templates" / style.template(name)).is_file(), style.template(name)
    with pytest.raises(StyleError, match="choose one of atr, techasia"):
        house_style("weekly")


def test_week_folders_and_issue_paths_come_from_one_place(workspace: Workspace) -> None:
    for name in ("2026-W47", "2026-W48", "2026-W60", "notes", "2026-48"):
        (workspace.issues / name).mkdir()
    (workspace.issues / "2026-W49").write_text("a file, not a folder")
    assert [p.name for p in workspace.week_folders()] == ["2026-W60", "2026-W48", "2026-W47"]
    weeks = [Week.from_name(p.name) for p in workspace.week_folders()]
    assert weeks == [None, Week(2026, 48), Week(2026, 47)]  # W60 is named like a week but is none
    assert Week.from_name(" 2026-W48") is None and Week.parse(" 2026-W48") == Week(2026, 48)
    week = Week(2026, 48)
    assert workspace.draft_path(week, "atr") == workspace.issues / "2026-W48" / "atr.md"
    assert workspace.output_path(week, "atr", "email") == workspace.issues / "2026-W48" / "atr.email.html"
    assert workspace.output_path("2026-W48", "techasia", "md").name == "techasia.paste.md"


@pytest.mark.parametrize("far", ["9999-W52", "9999-W01", "0001-W01", "0999-W52"])
def test_weeks_the_tool_cannot_date_are_refused(far: str) -> None:
    with pytest.raises(WeekError, match="outside the weeks newsletter can date"):
        Week.parse(far)


@pytest.mark.parametrize("edge", ["1000-W01", "9998-W52"])
def test_the_first_and_last_datable_weeks_work_in_every_time_zone(edge: str) -> None:
    week = Week.parse(edge)
    for zone in ("Pacific/Kiritimati", "Pacific/Pago_Pago", "Asia/Singapore"):
        start, end = week.bounds(ZoneInfo(zone))
        assert end - start == dt.timedelta(days=7)
        assert len(start.isoformat()) == len(end.isoformat()) == 25, "four-digit years sort as text"


@pytest.mark.parametrize(
    ("row", "needle"),
    [
        ("weight = nan", "weight"),
        ("weight = inf", "weight"),
        ("weight = -inf", "weight"),
        ("weight = -1.0", "weight"),
        ('id = ""', "id"),
        ('id = "../../x"', "id"),
        ('id = "a/b"', "id"),
        ('id = "nikkei asia"', "id"),
        ('url = ""', "url"),
        ('name = " "', "name"),
    ],
)
def test_source_values_are_checked_naming_the_key(tmp_path: Path, row: str, needle: str) -> None:
    path = tmp_path / "sources.toml"
    fields = {"id": '"a"', "name": '"A"', "url": '"https://a.example/feed"'}
    key, value = row.split(" = ", 1)
    fields[key] = value
    path.write_text("[[source]]\n" + "".join(f"{k} = {v}\n" for k, v in fields.items()))
    with pytest.raises(ConfigError) as err:
        load_sources(path)
    message = str(err.value)
    assert re.search(rf"source #1\b[^:]*(: |\.){needle} ", message), message
    assert str(path) in message and "\n" not in message


@pytest.mark.parametrize("value", ["nan", "inf", "-inf"])
def test_settings_numbers_must_be_finite(tmp_path: Path, value: str) -> None:
    path = tmp_path / "newsletter.toml"
    path.write_text(f"[fetch]\ntimeout = {value}\n")
    with pytest.raises(ConfigError, match="fetch.timeout must be a finite number"):
        load_settings(path)


def test_init_makes_a_workspace_for_real_work(tmp_path: Path) -> None:
    ws = Workspace.init(tmp_path / "real")
    sources = ws.sources()
    samples = [s for s in sources if s.url.startswith("seeds/feeds/")]
    real = [s for s in sources if s.is_remote]
    assert samples and real, "the sample outlets and the real ones are both listed"
    assert not any(s.enabled for s in sources), "nothing fictional (or unasked) is fetched"
    text = ws.sources_path.read_text(encoding="utf-8")
    assert "# Keys of a [[source]] table:" in text, "the explanations stay"
    demo = Workspace.init(tmp_path / "demo", sample=True)
    assert {s.id for s in demo.sources() if s.enabled} == {s.id for s in samples}
    assert [(s.id, s.url) for s in demo.sources()] == [(s.id, s.url) for s in sources]


def test_the_repository_itself_stays_the_demo() -> None:
    from conftest import REPO

    enabled = [s for s in load_sources(REPO / "seeds" / "sources.toml") if s.enabled]
    assert enabled and all(s.url.startswith("seeds/feeds/") for s in enabled)
