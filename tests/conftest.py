"""Shared fixtures: a fresh workspace from the packaged defaults, and a fixed clock."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from newsletter.models import UTC
from newsletter.workspace import Workspace

# Monday of 2026-W48: the seeds' items are in 2026-W47, so "this week" has none yet.
FIXED_NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    return Workspace.init(tmp_path / "ws", sample=True)


@pytest.fixture
def app(workspace: Workspace):
    from newsletter.app import Newsletter

    nl = Newsletter(workspace, now=lambda: FIXED_NOW)
    yield nl
    nl.close()


@pytest.fixture(scope="session")
def _fetched_workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One workspace with the sample feeds and the hostile-titles feed fetched, made once per session."""
    from newsletter.app import Newsletter

    root = tmp_path_factory.mktemp("fetched") / "ws"
    nl = Newsletter(Workspace.init(root, sample=True), now=lambda: FIXED_NOW)
    try:
        nl.fetch()
        nl.ingest([str(Path(__file__).parent / "data" / "preview-hostile.rss")])
    finally:
        nl.close()
    return root


@pytest.fixture
def fetched_app(tmp_path: Path, _fetched_workspace: Path):
    """An app on a fresh copy of that workspace: the week 2026-W47 in its store, nothing drafted yet."""
    from newsletter.app import Newsletter

    root = tmp_path / "ws"
    shutil.copytree(_fetched_workspace, root)
    nl = Newsletter(Workspace.open(root), now=lambda: FIXED_NOW)
    yield nl
    nl.close()


CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Debian's headless Chromium through Playwright, launched once for every browser test."""
    if not CHROMIUM.exists():
        pytest.skip(f"browser tests need {CHROMIUM}: install it with `apt-get install -y chromium`")
    sync_api = pytest.importorskip("playwright.sync_api", reason="browser tests need the playwright package")
    with sync_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
