"""The wheel carries the default seeds and templates, so `newsletter init` works from an install."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from newsletter import __version__

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_wheel_contains_templates_and_seeds(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(tmp_path), str(REPO)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    [wheel] = tmp_path.glob("newsletter-*.whl")
    assert wheel.name.startswith(f"newsletter-{__version__}-"), "the version is written once, in __init__.py"
    names = set(zipfile.ZipFile(wheel).namelist())
    for rel in ("seeds/newsletter.toml", "seeds/sources.toml", "seeds/taxonomy.toml"):
        assert f"newsletter/_defaults/{rel}" in names, rel
    feeds = [n for n in names if n.startswith("newsletter/_defaults/seeds/feeds/")]
    assert len(feeds) >= 4
    expected = {
        f"newsletter/_defaults/{p.relative_to(REPO).as_posix()}"
        for p in (REPO / "templates").rglob("*")
        if p.is_file()
    }
    assert expected and expected <= names
    assert "newsletter/cli/entry.py" in names
    assert {"newsletter/preview/desk.js", "newsletter/preview/desk.css"} <= names  # the desk's script, style
    entry = next(n for n in names if n.endswith("entry_points.txt"))
    assert "newsletter = newsletter.__main__:main" in zipfile.ZipFile(wheel).read(entry).decode()
