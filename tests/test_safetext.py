"""safetext: shown untrusted text cannot act on a terminal, hide what it says, or leak a password."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsletter.feeds.safetext import json_safe, printable, shown, without_credentials

UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b\u200e\u200f\u202a-\u202e\u2066-\u2069]")


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=200))
def test_json_safe_escapes_what_printable_removes_and_keeps_the_data(raw: str) -> None:
    line = json_safe(json.dumps({"title": raw}, ensure_ascii=False))
    assert not UNSAFE.search(line)
    assert json.loads(line) == {"title": raw}
    assert not UNSAFE.search(printable(raw))


def test_json_safe_spells_characters_outside_the_bmp_as_surrogate_pairs() -> None:
    line = json_safe(json.dumps("a\U000e0041b", ensure_ascii=False))  # a Unicode tag character
    assert line == '"a\\udb40\\udc41b"' and json.loads(line) == "a\U000e0041b"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("https://user:s3cret@feeds.example/rss", "https://***@feeds.example/rss"),
        (
            "fetch http://tok@a.example/x and https://b:c@d.example:8080/",
            "fetch http://***@a.example/x and https://***@d.example:8080/",
        ),
        ("http://a@b@host.example/feed", "http://***@host.example/feed"),
        ("https://feeds.example/rss?email=a@b.example", "https://feeds.example/rss?email=a@b.example"),
        ("mailto:editor@example.com", "mailto:editor@example.com"),
        ("/home/a@b/feeds/x.xml", "/home/a@b/feeds/x.xml"),
    ],
)
def test_without_credentials(text: str, expected: str) -> None:
    assert without_credentials(text) == expected


def test_shown_cleans_and_hides() -> None:
    assert (
        shown("failed: https://u:p@x.example/ said \x1b]0;hi\x07Busy\x1b[2J")
        == "failed: https://***@x.example/ said Busy"
    )
