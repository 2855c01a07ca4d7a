"""The command surface: every command has help, and every user mistake is one line and a non-zero exit."""

from __future__ import annotations

import datetime as dt
import json
import select
import socket
import subprocess
import sys
from pathlib import Path

import click
import pytest
from clirunner import run, run_process

import newsletter
from newsletter.cli import cli
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


def test_classify_answers_each_line_before_the_next_arrives(ws_dir: Path) -> None:
    """A script can talk to classify line by line (a coprocess): each answer comes before more input."""
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
            proc.stdin.write(json.dumps({"title": title}).encode() + b"\n")
            proc.stdin.flush()
            ready, _, _ = select.select([proc.stdout], [], [], 60)
            assert ready, "no answer while the input stays open"
            assert "region" in json.loads(proc.stdout.readline())
    finally:
        proc.stdin.close()
        proc.wait(timeout=60)
    assert proc.returncode == 0


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
