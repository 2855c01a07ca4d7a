"""Shared fixtures: a fresh workspace from the packaged defaults, and a fixed clock."""

from __future__ import annotations

import datetime as dt
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
