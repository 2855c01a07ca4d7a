"""newsletter: turn a week of Asia tech news into a finished newsletter issue.

The library does everything the command line does. Open a workspace and go:

    from newsletter import Newsletter, Workspace
    app = Newsletter(Workspace.open("."))
    week, _ = app.resolve_week(None)
    app.fetch()
    app.build(week)

Public names load their module on first use, so `import newsletter` (and `newsletter --help`)
does not import every stage. The stages are packages: feeds/, sort/, write/, preview/.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"


def _lazy_exports(
    package: str, public: Mapping[str, tuple[str, ...]]
) -> tuple[list[str], Callable[[str], Any], Callable[[], list[str]]]:
    """__all__, and the module __getattr__ and __dir__ that import each public name on first use.

    public maps a module (relative to package) to the names it gives the package.
    """
    where = {name: module for module, names in public.items() for name in names}

    def __getattr__(name: str) -> Any:
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module, package), name)
        setattr(sys.modules[package], name, value)  # found once, then an ordinary attribute
        return value

    def __dir__() -> list[str]:
        return sorted({*where, *vars(sys.modules[package])})

    return list(where), __getattr__, __dir__


__all__, __getattr__, __dir__ = _lazy_exports(
    __name__,
    {
        ".app": ("Newsletter",),
        ".workspace": ("Workspace", "FORMATS"),
        ".config": ("Settings", "StyleSettings", "SendSettings", "HouseStyle", "HOUSE_STYLES", "STYLES"),
        ".models": (
            "Source", "SourceHealth", "Item", "Labels", "Reason", "Story", "Section", "IssuePlan",
            "ParsedFeed", "Week",
        ),
        ".errors": (
            "NewsletterError", "WorkspaceError", "ConfigError", "StoreError", "SourceError",
            "FeedParseError", "WeekError", "StyleError", "ItemNotFound", "DraftConflict", "RenderError",
            "FrontMatterError", "PreviewError", "PortInUse", "SendError", "DeskError",
        ),
        ".serialize": ("item_record", "labels_record", "source_record", "item_lines", "source_line"),
        ".feeds.intake": ("RunSummary", "SourceOutcome"),
        ".write.draft": ("DraftResult",),
        ".write.render": ("BuildResult",),
        ".write.send": ("Sent",),
    },
)  # fmt: skip
__all__ += ["__version__"]

if TYPE_CHECKING:  # the same names, spelled out for type checkers and editors
    from .app import Newsletter
    from .config import (
        HOUSE_STYLES,
        STYLES,
        HouseStyle,
        SendSettings,
        Settings,
        StyleSettings,
    )
    from .errors import (
        ConfigError,
        DeskError,
        DraftConflict,
        FeedParseError,
        FrontMatterError,
        ItemNotFound,
        NewsletterError,
        PortInUse,
        PreviewError,
        RenderError,
        SendError,
        SourceError,
        StoreError,
        StyleError,
        WeekError,
        WorkspaceError,
    )
    from .feeds.intake import RunSummary, SourceOutcome
    from .models import (
        IssuePlan,
        Item,
        Labels,
        ParsedFeed,
        Reason,
        Section,
        Source,
        SourceHealth,
        Story,
        Week,
    )
    from .serialize import (
        item_lines,
        item_record,
        labels_record,
        source_line,
        source_record,
    )
    from .workspace import FORMATS, Workspace
    from .write.draft import DraftResult
    from .write.render import BuildResult
    from .write.send import Sent
