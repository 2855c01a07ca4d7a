"""Golden files: what a rendering or a parse must produce, byte for byte.

After a deliberate change, regenerate every golden file with one variable, then review the diff:

    NEWSLETTER_REGEN_GOLDEN=1 .venv/bin/python -m pytest tests/test_render.py tests/test_parse.py
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

REGEN = os.environ.get("NEWSLETTER_REGEN_GOLDEN") == "1"


def assert_golden(path: Path, text: str) -> None:
    """text is what path holds; with NEWSLETTER_REGEN_GOLDEN=1, path is rewritten to hold it."""
    if REGEN:
        path.write_bytes(text.encode("utf-8"))
        return
    assert path.exists(), f"missing {path}: run NEWSLETTER_REGEN_GOLDEN=1 .venv/bin/python -m pytest"
    assert text == path.read_text(encoding="utf-8"), f"{path.name} differs from its golden file"


def assert_golden_json(path: Path, data: Any) -> None:
    """data equals the JSON in path; with NEWSLETTER_REGEN_GOLDEN=1, path is rewritten to hold it."""
    if REGEN:
        path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        return
    assert path.exists(), f"missing {path}: run NEWSLETTER_REGEN_GOLDEN=1 .venv/bin/python -m pytest"
    assert data == json.loads(path.read_text(encoding="utf-8")), f"{path.name} differs from its golden file"
