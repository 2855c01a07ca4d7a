"""Configuration: the house styles, declared once, and the settings of seeds/newsletter.toml.

styles.py     the house styles (`HOUSE_STYLES`, `house_style`): what `newsletter --help` reads
settings.py   newsletter.toml read and checked (`Settings`, `load_settings`; [send] as `SendSettings`,
              with `parse_address`), and the TOML reading every seeds file shares (`read_toml`)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import _lazy_exports

__all__, __getattr__, __dir__ = _lazy_exports(
    __name__,
    {
        ".styles": ("HouseStyle", "HOUSE_STYLES", "STYLES", "house_style", "check_style"),
        ".settings": (
            "Settings", "StyleSettings", "FocusSettings", "RankingSettings", "FetchSettings",
            "SendSettings", "load_settings", "send_settings", "parse_address", "is_loopback",
            "BOM", "read_text_file", "read_toml", "from_table",
        ),
    },
)  # fmt: skip

if TYPE_CHECKING:
    from .settings import (
        BOM,
        FetchSettings,
        FocusSettings,
        RankingSettings,
        SendSettings,
        Settings,
        StyleSettings,
        from_table,
        is_loopback,
        load_settings,
        parse_address,
        read_text_file,
        read_toml,
        send_settings,
    )
    from .styles import HOUSE_STYLES, STYLES, HouseStyle, check_style, house_style
