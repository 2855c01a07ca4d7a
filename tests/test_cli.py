"""The command surface: every command has help, and every user mistake is one line and a non-zero exit."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import select
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

import click
import pytest
from clirunner import run, run_process

import newsletter
from newsletter.cli import cli
from newsletter.models import Week
from newsletter.store import Store
from newsletter.workspace import Workspace


def all_commands(group: click.Group, prefix: tuple[str, ...] = ()):
    for name, command in group.commands.items():
        yield (*prefix, name)
        if isinstance(command, click.Group):
            yield from all_commands(command, (*prefix, name))


CONTRACT = [
    ("init",),
    ("sources", "list"),
    ("sources", "add"),
    ("sources", "remove"),
    ("sources", "import-opml"),
    ("sources", "export-opml"),
    ("fetch",),
    ("ingest",),
    ("items",),
    ("label",),
    ("classify",),
    ("draft",),
    ("build",),
    ("preview",),
    ("send",),
]


def test_contract_commands_exist() -> None:
    assert set(CONTRACT) <= set(all_commands(cli))


@pytest.mark.parametrize("path", list(all_commands(cli)), ids=" ".join)
def test_every_command_has_help(path: tuple[str, ...]) -> None:
    command: click.Command = cli
    for name in path:
        assert isinstance(command, click.Group)
        command = command.commands[name]
    assert command.help and len(command.help.strip()) > 20, f"{' '.join(path)} needs help text"
    for param in command.params:
        if isinstance(param, click.Option):
            assert param.help, f"{' '.join(path)} {param.opts[0]} needs help text"


def test_help_runs_from_the_installed_command() -> None:
    installed = Path(sys.executable).with_name("newsletter")
    assert installed.is_file(), f"no {installed}: install the package (pip install -e .)"
    proc = run_process("--help", command=[str(installed)])
    assert proc.returncode == 0
    for name in ("fetch", "build", "preview", "items", "classify"):
        assert name in proc.stdout
    version = run_process("--version", command=[str(installed)])
    assert version.returncode == 0 and newsletter.__version__ in version.stdout


def assert_one_line_error(proc: subprocess.CompletedProcess, needle: str) -> None:
    assert proc.returncode != 0
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert needle in lines[0], lines[0]


@pytest.fixture
def ws_dir(workspace: Workspace) -> Path:
    return workspace.root


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_missing_workspace(tmp_path: Path) -> None:
    """Real processes: a user mistake exits 1 with one line, a usage mistake exits 2."""
    missing = run_process("--workspace", str(tmp_path / "nope"), "build")
    assert_one_line_error(missing, "newsletter init")
    assert missing.returncode == 1
    assert_one_line_error(run_process("build", cwd=tmp_path), "newsletter init")
    usage = run_process("build", "--format", "pdf", cwd=tmp_path)
    assert_one_line_error(usage, "pdf")
    assert usage.returncode == 2


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("build", "--style", "zine"), "unknown style 'zine'"),
        (("build", "--week", "2026-W60"), "has no week 60"),
        (("build", "--week", "last week"), "not an ISO week"),
        (("draft", "--week", "2026-48"), "not an ISO week"),
        (("items", "--week", "W48"), "not an ISO week"),
        (("ingest", "no-such-file.xml"), "no-such-file.xml"),
        (("ingest", "file:///etc/passwd"), "file"),
        (("label", "0000000000000000", "--region", "china"), "no item"),
        (("sources", "remove", "nope"), "no source with id 'nope'"),
        (("sources", "add", "ftp://example.com/feed"), "ftp"),
        (("items", "--region", "atlantis"), "unknown region 'atlantis'"),
        (("build", "--format", "pdf"), "pdf"),
    ],
)
def test_user_mistakes_are_one_line(ws_dir: Path, args: tuple[str, ...], needle: str) -> None:
    before = snapshot(ws_dir)
    proc = run(*args, cwd=ws_dir)
    assert_one_line_error(proc, needle)
    after = snapshot(ws_dir)
    written = {k for k in after if k not in before or after[k] != before[k]}
    assert not {k for k in written if not k.startswith(".newsletter/")}, written


@pytest.mark.parametrize("name", ["newsletter.toml", "sources.toml", "taxonomy.toml"])
def test_seeds_syntax_error_names_file_and_line(ws_dir: Path, name: str) -> None:
    path = ws_dir / "seeds" / name
    path.write_text(path.read_text() + "\n[broken\n")
    proc = run("build", cwd=ws_dir)
    assert_one_line_error(proc, name)
    assert "line" in proc.stderr
    assert not list((ws_dir / "issues").rglob("*.html"))


def test_classify_keeps_one_line_per_input(ws_dir: Path) -> None:
    lines = [
        {"title": "Meituan posts a quarterly loss as delivery war with JD.com bites"},
        "not json",
        {"title": "Zepto raises $450 million ahead of a listing", "summary": "The Mumbai start-up ..."},
    ]
    text = "\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n"
    proc = run("classify", "--explain", cwd=ws_dir, stdin=text)
    assert proc.returncode == 1
    out = [json.loads(x) for x in proc.stdout.splitlines()]
    assert len(out) == 3
    assert out[0]["region"] == "china" and out[2]["region"] == "india"
    assert "error" in out[1] and "line 2" in out[1]["error"]
    assert out[0]["reasons"] and {"region", "regions", "themes"} <= set(out[2])
    # The gate's evidence behind the labels: Meituan and JD.com, each a strong word in the headline.
    assert out[0]["tech"] == 12 and out[0]["tech_words"] == 2
    assert len(proc.stderr.strip().splitlines()) == 1


def test_ingest_relative_paths_and_stdin(ws_dir: Path) -> None:
    feed = "seeds/feeds/asia-tech-wire.xml"
    proc = run("ingest", feed, "--source-name", "Wire Copy", cwd=ws_dir)
    assert proc.returncode == 0, proc.stderr
    assert "1 source: 1 ok" in proc.stderr and "new items" in proc.stderr
    again = run("ingest", "-", cwd=ws_dir, stdin=(ws_dir / feed).read_text())
    assert again.returncode == 0 and "; 0 new items" in again.stderr
    garbage = run("ingest", "-", cwd=ws_dir, stdin="<html><body>not a feed</body></html>")
    assert_one_line_error(garbage, "-")


def test_sources_disable_and_enable(ws_dir: Path) -> None:
    from newsletter.feeds.sources import load_sources

    proc = run("sources", "disable", "asia-tech-wire", cwd=ws_dir)
    assert proc.returncode == 0 and "disabled asia-tech-wire" in proc.stderr
    by_id = {s.id: s for s in load_sources(ws_dir / "seeds" / "sources.toml")}
    assert by_id["asia-tech-wire"].enabled is False
    assert run("sources", "enable", "asia-tech-wire", cwd=ws_dir).returncode == 0
    assert {s.id: s for s in load_sources(ws_dir / "seeds" / "sources.toml")}["asia-tech-wire"].enabled
    assert_one_line_error(run("sources", "enable", "nope", cwd=ws_dir), "no source with id 'nope'")


def editor_files_changed(before: dict[str, bytes], after: dict[str, bytes]) -> set[str]:
    """Files outside the store's folder that were added, changed or removed."""
    changed = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
    return {k for k in changed if not k.startswith(".newsletter/")}


@pytest.mark.parametrize("name", ["newsletter.toml", "sources.toml", "taxonomy.toml"])
def test_seeds_file_with_a_bom_is_read_and_kept(ws_dir: Path, name: str) -> None:
    path = ws_dir / "seeds" / name
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert run("ingest", "seeds/feeds/chip-street.xml", cwd=ws_dir).returncode == 0
    proc = run("items", "--all", "--region", "taiwan", cwd=ws_dir)
    assert proc.returncode == 0, proc.stderr
    assert "taiwan" in proc.stdout


def test_sources_command_keeps_a_bom_and_the_file_valid(ws_dir: Path) -> None:
    path = ws_dir / "seeds" / "sources.toml"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert run("sources", "disable", "asia-tech-wire", cwd=ws_dir).returncode == 0
    assert path.read_bytes().startswith(b"\xef\xbb\xbf# ")
    assert run("sources", "list", cwd=ws_dir).returncode == 0


@pytest.mark.parametrize("name", ["newsletter.toml", "sources.toml", "taxonomy.toml"])
def test_seeds_file_that_is_not_utf8_is_one_line(ws_dir: Path, name: str) -> None:
    path = ws_dir / "seeds" / name
    path.write_bytes(path.read_bytes() + b"\n# caf\xe9 \xff\n")
    before = snapshot(ws_dir)
    for args in (("build",), ("items", "--all")):
        proc = run(*args, cwd=ws_dir)
        assert_one_line_error(proc, name)
        assert "UTF-8" in proc.stderr
    assert not editor_files_changed(before, snapshot(ws_dir))


@pytest.mark.parametrize(
    ("row", "needle"),
    [
        ('region = "mars"', "region 'mars'"),
        ('themes = ["ai", "warp-drives"]', "theme 'warp-drives'"),
        ("weight = nan", "weight"),
        ('id = "../../x"', "id '../../x'"),
    ],
)
def test_bad_source_values_stop_every_command_in_one_line(ws_dir: Path, row: str, needle: str) -> None:
    path = ws_dir / "seeds" / "sources.toml"
    fields = {"id": '"odd"', "name": '"Odd"', "url": '"https://odd.example/feed"'}
    key, value = row.split(" = ", 1)
    fields[key] = value
    table = "".join(f"{k} = {v}\n" for k, v in fields.items())
    path.write_text(path.read_text(encoding="utf-8") + f"\n[[source]]\n{table}", encoding="utf-8")
    before = snapshot(ws_dir)
    for args in (("sources", "list"), ("fetch",), ("sources", "add", "https://new.example/feed")):
        proc = run(*args, cwd=ws_dir)
        assert_one_line_error(proc, needle)
        assert "sources.toml" in proc.stderr
    assert not editor_files_changed(before, snapshot(ws_dir))


def test_export_opml_to_a_missing_folder_is_an_error(ws_dir: Path, tmp_path: Path) -> None:
    target = tmp_path / "no" / "such" / "x.opml"
    assert_one_line_error(run("sources", "export-opml", str(target), cwd=ws_dir), "does not exist")
    assert not (tmp_path / "no").exists()
    good = run("sources", "export-opml", str(tmp_path / "x.opml"), cwd=ws_dir)
    assert good.returncode == 0 and "<opml" in (tmp_path / "x.opml").read_text(encoding="utf-8")


# -- a damaged or read-only workspace ------------------------------------------------------------

NOBODY = 65534


@pytest.fixture
def editor_ws():
    """A fetched and drafted demo workspace owned by an ordinary user, and a way to run as that user.

    Permissions do not bind root, so as root the commands run as nobody; otherwise as ourselves.
    """
    root = Path(tempfile.mkdtemp(prefix="newsletter-ro-", dir="/tmp"))
    root.chmod(0o755)
    ws = Workspace.init(root / "ws", sample=True).root
    as_root = os.geteuid() == 0
    if as_root and not shutil.which("setpriv"):
        pytest.skip("running as root without setpriv (util-linux): cannot test as an ordinary user")

    def as_editor(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
        env = {**os.environ, "NO_COLOR": "1", "HOME": str(root)}
        for key in ("NEWSLETTER_WORKSPACE", "NEWSLETTER_DB"):
            env.pop(key, None)
        drop = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"] if as_root else []
        return subprocess.run(
            [*drop, sys.executable, "-m", "newsletter", *args],
            cwd=ws,
            input=stdin,
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )

    from newsletter.app import Newsletter

    with contextlib.closing(Newsletter(Workspace.open(ws))) as app:  # set up in this process: faster
        assert not app.fetch().failed
        app.draft(Week.parse("2026-W47"), "atr")
    if as_root:
        for path in [root, *root.rglob("*")]:
            os.chown(path, NOBODY, NOBODY)
    yield ws, as_editor
    for path in [root, *root.rglob("*")]:
        if not path.is_symlink():
            path.chmod(0o755 if path.is_dir() else 0o644)
    shutil.rmtree(root)


def _an_item(ws: Path) -> str:
    with Store(ws / ".newsletter" / "store.sqlite3") as store:
        return store.all_items()[0].id


def test_read_only_store_is_one_line_and_leaves_nothing_behind(editor_ws) -> None:
    ws, as_editor = editor_ws
    item_id = _an_item(ws)
    db = ws / ".newsletter" / "store.sqlite3"
    db.chmod(0o444)
    for args in (("fetch",), ("label", item_id, "--region", "japan"), ("items", "--all")):
        assert_one_line_error(as_editor(*args), "read-only")
    assert not (ws / ".newsletter" / "store.sqlite3-shm").exists(), "no read-only -shm left behind"
    db.chmod(0o644)
    proc = as_editor("label", item_id, "--region", "japan")
    assert proc.returncode == 0, proc.stderr
    assert as_editor("fetch").returncode == 0


def test_left_over_read_only_wal_files_are_mended(editor_ws) -> None:
    ws, as_editor = editor_ws
    item_id = _an_item(ws)
    db = ws / ".newsletter" / "store.sqlite3"
    reader = sqlite3.connect(db)  # an open reader has -wal and -shm files beside the store, as a run had
    reader.execute("SELECT count(*) FROM items").fetchone()
    sides = {side: Path(f"{db}{side}").read_bytes() for side in ("-wal", "-shm")}
    reader.close()
    for side, data in sides.items():
        path = Path(f"{db}{side}")
        path.write_bytes(data)
        if os.geteuid() == 0:
            os.chown(path, NOBODY, NOBODY)
        path.chmod(0o444)
    proc = as_editor("label", item_id, "--region", "japan")
    assert proc.returncode == 0, proc.stderr


def test_read_only_issue_folders_are_one_line(editor_ws) -> None:
    ws, as_editor = editor_ws
    week = ws / "issues" / "2026-W47"
    draft_before = (week / "atr.md").read_bytes()
    week.chmod(0o555)
    assert_one_line_error(as_editor("draft", "--week", "2026-W47", "--force"), "cannot write")
    assert (week / "atr.md").read_bytes() == draft_before
    assert_one_line_error(as_editor("build", "--week", "2026-W47"), "cannot write")
    week.chmod(0o755)
    (ws / "issues").chmod(0o555)
    assert_one_line_error(as_editor("build", "--week", "2026-W47"), "index.html")
    (ws / "issues").chmod(0o755)
    assert as_editor("build", "--week", "2026-W47").returncode == 0


@pytest.fixture
def drafted_ws(ws_dir: Path) -> Path:
    assert run("fetch", cwd=ws_dir).returncode == 0
    assert run("draft", "--week", "2026-W47", cwd=ws_dir).returncode == 0
    return ws_dir


def test_damaged_store_is_one_line_for_every_command(drafted_ws: Path) -> None:
    item_id = _an_item(drafted_ws)
    db = drafted_ws / ".newsletter" / "store.sqlite3"
    data = bytearray(db.read_bytes())
    data[4096 : len(data) - 4096] = b"\xa5" * (len(data) - 8192)
    db.write_bytes(bytes(data))
    for args in (
        ("fetch",),
        ("draft", "--week", "2026-W47"),
        ("items", "--all"),
        ("label", item_id, "--region", "japan"),
    ):
        assert_one_line_error(run(*args, cwd=drafted_ws), "damaged")


def test_zero_byte_store_is_named_not_silently_replaced(drafted_ws: Path) -> None:
    db = drafted_ws / ".newsletter" / "store.sqlite3"
    db.write_bytes(b"")
    assert_one_line_error(run("items", "--all", cwd=drafted_ws), "is empty (0 bytes)")
    assert db.read_bytes() == b""


def test_init_says_what_to_do_next_and_fetch_says_nothing_is_enabled(tmp_path: Path) -> None:
    proc = run("init", str(tmp_path / "real"), cwd=tmp_path)
    assert proc.returncode == 0
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "sources enable" in lines[0] and "fetch" in lines[0]
    fetch = run("fetch", cwd=tmp_path / "real")
    assert_one_line_error(fetch, "no source is enabled")
    listed = run("sources", "list", cwd=tmp_path / "real")
    assert "nikkei-asia" in listed.stdout and "disabled" in listed.stdout
    assert run("sources", "enable", "asia-tech-wire", cwd=tmp_path / "real").returncode == 0
    fetched = run("fetch", cwd=tmp_path / "real")
    assert fetched.returncode == 0 and "1 source: 1 ok" in fetched.stderr


def test_init_sample_is_the_demo(tmp_path: Path) -> None:
    proc = run("init", str(tmp_path / "demo"), "--sample", cwd=tmp_path)
    assert proc.returncode == 0 and "sample" in proc.stderr
    fetched = run("fetch", cwd=tmp_path / "demo")
    assert fetched.returncode == 0 and "6 sources: 6 ok" in fetched.stderr


def test_ingest_tries_every_file_and_names_every_failure(ws_dir: Path, tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.xml"
    os.mkfifo(fifo)
    (tmp_path / "page.html").write_text("<html><body>not a feed</body></html>")
    (tmp_path / "empty.xml").write_bytes(b"")
    targets = [
        "seeds/feeds/chip-street.xml",
        str(tmp_path / "missing.xml"),
        str(fifo),
        str(tmp_path / "page.html"),
        str(tmp_path / "empty.xml"),
        str(tmp_path),
        "seeds/feeds/seoul-bytes.xml",
    ]
    proc = run_process("ingest", *targets, cwd=ws_dir, timeout=30)  # a FIFO once hung here for ever
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert lines[-1].startswith("7 sources: 2 ok, 0 not modified, 5 failed; ") and "new items" in lines[-1]
    failures = [line for line in lines if line.lstrip().startswith("failed:")]
    assert len(failures) == 5
    for target, why in (
        ("missing.xml", "file not found"),
        ("pipe.xml", "not a regular file"),
        ("page.html", "HTML page"),
        ("empty.xml", "empty"),
        (f"{tmp_path} is", "folder"),
    ):
        assert any(target in line and why in line for line in failures), (target, failures)
    for line in failures:
        assert "feed URL" not in line and "remove the source" not in line, line
    with Store(ws_dir / ".newsletter" / "store.sqlite3") as store:
        assert set(store.item_counts()) == {"chip-street", "seoul-bytes"}, (
            "the files after a bad one are read"
        )


def test_ingest_of_one_bad_file_is_one_line(ws_dir: Path, tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.xml"
    os.mkfifo(fifo)
    assert_one_line_error(run_process("ingest", str(fifo), cwd=ws_dir, timeout=30), "not a regular file")


def test_fetch_of_a_source_that_is_a_fifo_fails_that_source_only(ws_dir: Path, tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.xml"
    os.mkfifo(fifo)
    path = ws_dir / "seeds" / "sources.toml"
    path.write_text(
        path.read_text(encoding="utf-8") + f'\n[[source]]\nid = "pipe"\nname = "Pipe"\nurl = "{fifo}"\n',
        encoding="utf-8",
    )
    proc = run_process("fetch", cwd=ws_dir, timeout=30)
    assert proc.returncode == 1
    assert "7 sources: 6 ok, 0 not modified, 1 failed" in proc.stderr
    assert "pipe" in proc.stderr and "not a regular file" in proc.stderr


def test_sources_list_shows_one_off_sources_with_their_counts(ws_dir: Path) -> None:
    assert (
        run("ingest", "seeds/feeds/chip-street.xml", "--source-name", "Wire Copy", cwd=ws_dir).returncode == 0
    )
    assert run("fetch", "--source", "seoul-bytes", cwd=ws_dir).returncode == 0
    assert run("sources", "remove", "seoul-bytes", cwd=ws_dir).returncode == 0
    with Store(ws_dir / ".newsletter" / "store.sqlite3") as store:
        counts = store.item_counts()
    proc = run("sources", "list", cwd=ws_dir)
    rows = {line.split()[0]: line for line in proc.stdout.splitlines()}
    assert "one-off" in rows["wire-copy"] and f" {counts['wire-copy']} items" in rows["wire-copy"]
    assert (
        "not in sources.toml" in rows["seoul-bytes"]
        and f" {counts['seoul-bytes']} items" in rows["seoul-bytes"]
    )
    js = [json.loads(line) for line in run("sources", "list", "--json", cwd=ws_dir).stdout.splitlines()]
    by_id = {r["id"]: r for r in js}
    assert by_id["wire-copy"]["status"] == "one-off" and by_id["wire-copy"]["name"] == "Wire Copy"
    assert by_id["wire-copy"]["items"] == counts["wire-copy"] and by_id["wire-copy"]["enabled"] is False
    assert by_id["seoul-bytes"]["status"] == "removed"
    assert by_id["asia-tech-wire"]["status"] == "never", "configured sources are listed as before"


# -- found by trying every command wrong -----------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("build", "--week", "9999-W52"), "outside the weeks newsletter can date"),
        (("draft", "--week", "0001-W01"), "outside the weeks newsletter can date"),
        (("items", "--week", "9999-W01"), "outside the weeks newsletter can date"),
        (("sources", "add", "https://[::1/feed"), "not a valid URL"),
        (("ingest", "http://[::1/feed"), "not a valid URL"),
        (("sources", "add", ""), "give a feed URL"),
        (("sources", "export-opml", "."), "is a directory"),
        (("sources", "export-opml", ""), "is a folder"),
        (("items", "--all", "--region", ""), "unknown region ''"),
        (("items", "--all", "--theme", ""), "unknown theme ''"),
        (("init", ""), "give the folder"),
        (("--db", "/dev/null", "items", "--all"), "not a file"),
    ],
)
def test_more_mistakes_are_one_line(ws_dir: Path, args: tuple[str, ...], needle: str) -> None:
    before = snapshot(ws_dir)
    assert_one_line_error(run(*args, cwd=ws_dir), needle)
    assert not editor_files_changed(before, snapshot(ws_dir))


def test_a_bad_style_is_the_only_line_even_when_the_week_is_guessed(ws_dir: Path) -> None:
    assert run("ingest", "seeds/feeds/chip-street.xml", cwd=ws_dir).returncode == 0  # so a week is guessed
    for command in ("draft", "build"):
        assert_one_line_error(run(command, "--style", "zine", cwd=ws_dir), "unknown style 'zine'")


def test_label_with_an_empty_region_is_refused(ws_dir: Path) -> None:
    assert run("ingest", "seeds/feeds/chip-street.xml", cwd=ws_dir).returncode == 0
    with Store(ws_dir / ".newsletter" / "store.sqlite3") as store:
        item_id = store.all_items()[0].id
    assert_one_line_error(run("label", item_id, "--region", "", cwd=ws_dir), "unknown region ''")


def test_pipes_where_files_belong_never_hang(ws_dir: Path, tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    assert_one_line_error(
        run_process("sources", "import-opml", str(fifo), cwd=ws_dir, timeout=30), "not a regular file"
    )
    assert run("ingest", "seeds/feeds/chip-street.xml", cwd=ws_dir).returncode == 0
    assert run("draft", "--week", "2026-W47", "--style", "atr", cwd=ws_dir).returncode == 0
    draft = ws_dir / "issues" / "2026-W47" / "atr.md"
    draft.unlink()
    os.mkfifo(draft)
    for command in ("build", "draft"):
        proc = run_process(command, "--week", "2026-W47", "--style", "atr", cwd=ws_dir, timeout=30)
        assert_one_line_error(proc, "not a regular file")


def test_build_of_existing_drafts_needs_no_store(ws_dir: Path) -> None:
    assert run("ingest", "seeds/feeds/chip-street.xml", cwd=ws_dir).returncode == 0
    assert run("draft", "--week", "2026-W47", cwd=ws_dir).returncode == 0
    db = ws_dir / ".newsletter" / "store.sqlite3"
    db.write_bytes(b"not a store at all" * 300)
    proc = run("build", "--week", "2026-W47", cwd=ws_dir)
    assert proc.returncode == 0 and "labels not applied" in proc.stderr, proc.stderr
    shutil.rmtree(ws_dir / ".newsletter")
    assert run("build", "--week", "2026-W47", cwd=ws_dir).returncode == 0
    assert not (ws_dir / ".newsletter").exists(), "building from drafts makes no store"


HOSTILE = "\x1b[2J\x1b]0;owned\x07\x1b]52;c;aGk=\x07\u202e\u200b"


def test_hostile_feed_text_never_reaches_the_terminal(ws_dir: Path) -> None:
    feed = ws_dir / "hostile.xml"
    feed.write_text(
        f"""<rss version="2.0"><channel><title>Evil{HOSTILE} Wire</title>
        <item><title>Grab{HOSTILE} buys GoTo</title><link>https://x.example/a</link>
        <pubDate>Tue, 17 Nov 2026 08:00:00 GMT</pubDate></item></channel></rss>""",
        encoding="utf-8",
    )
    opml = ws_dir / "hostile.opml"
    opml.write_text(
        # XML refuses C0 controls even as &#27;, but C1 controls (8-bit CSI, OSC) and bidi pass.
        '<opml version="2.0"><body><outline text="Opml\x9b2J\x9d0;owned\x9c\u202e name" '
        'xmlUrl="http://127.0.0.1:9/o.xml"/>'
        "</body></opml>",
        encoding="utf-8",
    )
    procs = [run("ingest", str(feed), cwd=ws_dir), run("sources", "import-opml", str(opml), cwd=ws_dir)]
    # A store written before feed text was cleaned still holds raw text: printing cleans it too.
    from newsletter.models import Item, SourceHealth
    from newsletter.store import Store

    store = Store(ws_dir / ".newsletter" / "store.sqlite3")
    old = Item(
        id="00000000000000aa",
        source_id="old",
        url="https://x.example/old",
        title=f"Old{HOSTILE} title",
        summary="",
        published=dt.datetime(2026, 11, 18, tzinfo=dt.UTC),
    )
    store.remember_source("old", name=f"Old{HOSTILE} outlet", feed_title="", link="", language="")
    store.save_fetch("old", [old], SourceHealth("old"), dt.datetime(2026, 11, 18, tzinfo=dt.UTC))
    failing = dt.datetime(2026, 11, 19, tzinfo=dt.UTC)
    store.save_health(
        SourceHealth("asia-tech-wire", "failing", failing_since=failing, last_error=f"HTTP 500 x{HOSTILE}")
    )
    store.close()
    procs += [
        run("items", "--all", cwd=ws_dir),
        run("items", "--all", "--json", cwd=ws_dir),
        run("sources", "list", cwd=ws_dir),
        run("sources", "list", "--json", cwd=ws_dir),
        run("label", "00000000000000aa", "--region", "china", cwd=ws_dir),
    ]
    for proc in procs:
        assert proc.returncode == 0, proc.stderr
        for stream in (proc.stdout, proc.stderr):
            assert not any(c in stream for c in "\x1b\x07\x9b\x9d\u202e\u200b"), stream
    items = procs[2].stdout
    assert "Grab buys GoTo" in items and "Evil Wire" in items and "Old title" in items
    assert '"name": "Opml name"' in procs[5].stdout
    assert "HTTP 500 x" in procs[4].stdout and '"last_error": "HTTP 500 x' in procs[5].stdout


def test_credentials_in_a_url_are_never_printed(ws_dir: Path) -> None:
    with socket.socket() as sock:  # a port nobody listens on: the fetch fails and says where
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://editor:s3cret-token@127.0.0.1:{port}/feed.xml"
    settings = ws_dir / "seeds" / "newsletter.toml"
    settings.write_text(settings.read_text().replace("retries = 3", "retries = 0"))  # no back-off waits
    procs = [
        run("sources", "add", url, "--name", "Private", cwd=ws_dir),
        run("sources", "list", cwd=ws_dir),
        run("sources", "list", "--json", cwd=ws_dir),
        run("fetch", "--source", "private", cwd=ws_dir),
    ]
    assert [p.returncode for p in procs] == [0, 0, 0, 1], procs[3].stderr
    for proc in procs:
        assert "s3cret" not in proc.stdout + proc.stderr
    assert f"***@127.0.0.1:{port}" in procs[1].stdout and "private" in procs[3].stderr
    assert url in (ws_dir / "seeds" / "sources.toml").read_text()  # kept where the editor wrote it


def test_classify_reports_each_bad_line_and_goes_on(ws_dir: Path) -> None:
    good = json.dumps({"title": "Zepto raises $450 million ahead of a listing"}).encode()
    lines = [
        good,
        b"[" * 100_000 + b"]" * 100_000,  # nested too deep to parse: a RecursionError today
        b'{"title": "\xff\xfe not UTF-8"}',
        b'{"title": "' + b"x" * 1_500_000 + b'"}',  # over the line cap
        b"",
        good,
    ]
    proc = subprocess.run(
        [sys.executable, "-m", "newsletter", "classify"],
        cwd=ws_dir,
        input=b"\n".join(lines),  # the last line has no newline
        capture_output=True,
        timeout=120,
    )
    assert proc.returncode == 1 and b"Traceback" not in proc.stderr, proc.stderr[-2000:]
    assert len(proc.stderr.decode().strip().splitlines()) == 1
    out = [json.loads(line) for line in proc.stdout.decode().splitlines()]
    assert len(out) == 5, "one output line per non-empty input line"
    assert out[0]["region"] == out[4]["region"] == "india"
    assert "line 2" in out[1]["error"] and "nested" in out[1]["error"]
    assert "line 3" in out[2]["error"] and "UTF-8" in out[2]["error"]
    assert "line 4" in out[3]["error"] and "longer than" in out[3]["error"]


@pytest.mark.parametrize(
    "line",
    [
        b'{"title": "Grab", "summary": "Singapore"}',
        b'\xef\xbb\xbf{"title": "TSMC"}',  # a BOM
        b'{"title": "TSMC", "summary": NaN}',
        b'{"title": "TSMC", "summary": 123456789012345678901234567890}',  # past 64 bits: no float
        b'{"title": "TSMC", "source": 123456789012345678901234567890}',
        b'{"title": "\\ud800 TSMC"}',  # a lone surrogate
        b'{"title": "a", "title": "TSMC"}',
        b'{"title": "\xff"}',
        b'{"title": "TSMC",}',
        b"[" * 5000 + b"]" * 5000,
    ],
)
def test_classify_reads_each_line_as_the_json_module_does(line: bytes) -> None:
    from newsletter.cli.classify import _json_object

    def read(how):
        try:
            return repr(how(line))
        except (ValueError, RecursionError) as exc:
            return f"{type(exc).__name__}: {exc}"

    assert read(_json_object) == read(lambda b: json.loads(b.decode("utf-8-sig")))


def test_classify_batches_what_has_arrived_though_a_pipe_hands_it_over_64_kb_a_read() -> None:
    import io

    from newsletter.cli.classify import CLASSIFY_READ, _line_batches

    class Pipe:  # every read returns at most 64 KB, as a pipe's does; no file descriptor: all has arrived
        def __init__(self, data: bytes) -> None:
            self.data = io.BytesIO(data)

        def read1(self, size: int) -> bytes:
            return self.data.read(min(size, 1 << 16))

        read = read1

    lines = [json.dumps({"title": f"item {n}"}).encode() for n in range(40_000)]
    data = b"\n".join(lines) + b"\n"
    batches = list(_line_batches(Pipe(data), 1000))
    assert [line for batch in batches for line in batch] == lines
    assert len(batches) <= len(data) // CLASSIFY_READ + 2 < len(data) // (1 << 16)


def test_classify_memory_stays_bounded_on_a_huge_line(ws_dir: Path) -> None:
    # The peak memory of a classify fed one 40 MB line, measured by a parent whose only child it is.
    measure = (
        "import resource, subprocess, sys\n"
        "subprocess.run([sys.executable, '-m', 'newsletter', 'classify'], stdin=sys.stdin,"
        " stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"  # kB on Linux
    )
    huge = b'{"title": "' + b"Grab " * 8_000_000 + b'"}\n' + json.dumps({"title": "TSMC"}).encode()
    proc = subprocess.run(
        [sys.executable, "-c", measure], cwd=ws_dir, input=huge, capture_output=True, timeout=120
    )
    baseline = subprocess.run(
        [sys.executable, "-c", measure], cwd=ws_dir, input=b'{"title": "TSMC"}', capture_output=True
    )
    grew_mb = (int(proc.stdout) - int(baseline.stdout)) / 1024
    assert grew_mb < 20, f"a 40 MB line grew classify by {grew_mb:.0f} MB"


@pytest.mark.parametrize("module", ["click", "app"])
def test_ctrl_c_while_the_cli_is_loading_is_quiet(ws_dir: Path, module: str) -> None:
    # Loading the CLI (click), then the stages (app) on the first command, takes most of a second:
    # Ctrl-C then must not print a traceback. KeyboardInterrupt is raised where Ctrl-C would land.
    script = (
        "import builtins, sys\n"
        "real = builtins.__import__\n"
        "def slow(name, *args, **kwargs):\n"
        f"    if name == {module!r} or name.endswith('.' + {module!r}):\n"
        "        raise KeyboardInterrupt\n"
        "    return real(name, *args, **kwargs)\n"
        "builtins.__import__ = slow\n"
        "from newsletter.__main__ import main\n"
        "sys.argv = ['newsletter', 'items']\n"
        "main()\n"
    )
    proc = subprocess.run([sys.executable, "-c", script], cwd=ws_dir, capture_output=True, text=True)
    assert proc.returncode == 130 and "Traceback" not in proc.stderr, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and proc.stderr.strip().startswith("newsletter: ")


def _talk_to_classify(ws_dir: Path, copies: int) -> None:
    """Send classify `copies` lines at a time, twice, and read every answer while the input stays open."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "newsletter", "classify"],
        cwd=ws_dir,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdin is not None and proc.stdout is not None
    try:
        for title in ("Zepto raises $450 million ahead of a listing", "TSMC starts 2nm output in Taiwan"):
            proc.stdin.write((json.dumps({"title": title}) + "\n").encode() * copies)
            proc.stdin.flush()
            answers = b""
            while answers.count(b"\n") < copies:
                ready, _, _ = select.select([proc.stdout], [], [], 60)
                assert ready, "an answer held back while the input stays open"
                answers += os.read(proc.stdout.fileno(), 1 << 16)
            assert answers.count(b"\n") == copies
            assert all("region" in json.loads(line) for line in answers.splitlines())
    finally:
        proc.stdin.close()
        proc.wait(timeout=60)
    assert proc.returncode == 0


def test_classify_answers_each_line_before_the_next_arrives(ws_dir: Path) -> None:
    """A script can talk to classify line by line (a coprocess): each answer comes before more input."""
    _talk_to_classify(ws_dir, 1)


def test_classify_in_bulk_answers_what_has_arrived_before_more_arrives(ws_dir: Path) -> None:
    """Lines sent in bulk go to the workers; their answers still all come out while the input stays open."""
    _talk_to_classify(ws_dir, 500)


def test_classify_in_bulk_answers_every_line_in_order(ws_dir: Path) -> None:
    """Thousands of lines at once go to worker processes; the answers come back one per line, in order."""
    titles = ["Zepto raises $450 million ahead of a listing", "TSMC starts 2nm output in Taiwan"]
    lines = [json.dumps({"title": titles[n % 2]}) if n % 97 else "not json" for n in range(3000)]
    proc = subprocess.run(
        [sys.executable, "-m", "newsletter", "classify"],
        cwd=ws_dir,
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1 and "31 input line(s)" in proc.stderr
    out = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len(out) == 3000
    for n, row in enumerate(out):
        if n % 97:
            assert row["region"] == ("india" if n % 2 == 0 else "taiwan"), (n, row)
        else:
            assert row["error"].startswith(f"line {n + 1}:"), (n, row)


def test_a_week_with_nothing_past_the_gate_says_where_to_look(ws_dir: Path) -> None:
    # A week of world news only: the issue is empty, and the editor is told why and what to do.
    feed = """<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>World</title>
    <link>https://world.example.com/</link>
    <item><title>Parliament debates the budget</title><link>https://world.example.com/a</link>
    <pubDate>Tue, 03 Mar 2026 09:00:00 GMT</pubDate><description>Lawmakers argued late.</description></item>
    <item><title>Storm floods the coast</title><link>https://world.example.com/b</link>
    <pubDate>Wed, 04 Mar 2026 09:00:00 GMT</pubDate><description>Roads were closed.</description></item>
    </channel></rss>"""
    (ws_dir / "seeds" / "sources.toml").write_text("", encoding="utf-8")
    assert run("ingest", "-", cwd=ws_dir, stdin=feed).returncode == 0
    proc = run("build", "--week", "2026-W10", "--format", "md", cwd=ws_dir)
    assert proc.returncode == 0, proc.stderr
    warned = [line for line in proc.stderr.splitlines() if "passed the relevance gate" in line]
    assert len(warned) == 1 and "items --week 2026-W10 --explain" in warned[0], proc.stderr
    atr = (ws_dir / "issues" / "2026-W10" / "atr.paste.md").read_text("utf-8")
    assert "0 stories" not in atr and "Parliament" not in atr
    assert "No story of this week passed the relevance gate" in (
        ws_dir / "issues" / "2026-W10" / "atr.md"
    ).read_text("utf-8")


HOME_FEED = """<?xml version="1.0"?><rss version="2.0"><channel><title>{title}</title>
<link>{link}</link><description>x</description>
<item><title>FairPrice, WhyQ launch zero-commission food delivery app</title>
<link>{link}tech/fairprice-whyq</link><guid>{link}tech/fairprice-whyq</guid>
<pubDate>Tue, 17 Nov 2026 08:00:00 GMT</pubDate>
<description>The app and online platform take no commission from hawkers, whose software orders
go through the delivery platform's app.</description></item></channel></rss>"""


def test_a_national_outlets_items_are_filed_at_home_and_a_bad_home_is_refused(ws_dir: Path) -> None:
    feeds = [("The Straits Times Singapore News", "https://www.straitstimes.com/", "local.xml")]
    feeds.append(("The Straits Times - World", "https://www.straitstimes.com/world/", "world.xml"))
    for title, link, name in feeds:
        (ws_dir / name).write_text(HOME_FEED.format(title=title, link=link), encoding="utf-8")
        assert run("ingest", name, cwd=ws_dir).returncode == 0
    rows = [json.loads(line) for line in run("items", "--all", "--json", cwd=ws_dir).stdout.splitlines()]
    regions = sorted((row["url"].split("/")[3], row["region"]) for row in rows)
    assert regions == [("tech", "southeast-asia"), ("world", "global")], regions
    listed = [json.loads(line) for line in run("sources", "list", "--json", cwd=ws_dir).stdout.splitlines()]
    homes = [row["home"] for row in listed if row["status"] == "one-off"]
    assert sorted(homes, key=str) == [None, "southeast-asia"]  # `sources list` says why
    outlets = ws_dir / "seeds" / "outlets.toml"
    outlets.write_text(outlets.read_text(encoding="utf-8").replace('"southeast-asia"', '"atlantis"'), "utf-8")
    proc = run("items", "--all", cwd=ws_dir)
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    assert "'atlantis', not a region" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
