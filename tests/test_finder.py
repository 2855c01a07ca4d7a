"""KeyFinder finds what the regexes that define a match find: on the real gazetteer and on made-up ones."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest
from finder_reference import cjk_pattern, latin_pattern
from hypothesis import example, given, settings
from hypothesis import strategies as st

from newsletter.sort.classify import _field
from newsletter.sort.finder import LATIN_START, KeyFinder, Match, plan_keys
from newsletter.sort.matcher import compile_matcher
from newsletter.sort.taxonomy import load_taxonomy

ROOT = Path(__file__).resolve().parent.parent


class Reference:
    """The regexes' matches: Latin-script keys, and where the text is not ASCII, the others merged in."""

    def __init__(self, keys: list[str]) -> None:
        self.latin = latin_pattern([k for k in keys if LATIN_START.match(k)])
        self.cjk = cjk_pattern([k for k in keys if not LATIN_START.match(k)])

    def find(self, text: str) -> list[Match]:
        found = [(m.start(1), m[1], m.end()) for m in self.latin.finditer(text)]
        if not text.isascii():
            cjk = [(m.start(1), m[1], m.end()) for m in self.cjk.finditer(text)]
            found = sorted([*found, *cjk], key=lambda match: match[0])
        return found


@pytest.fixture(scope="module")
def gazetteer() -> tuple[list[str], KeyFinder, Reference]:
    index = compile_matcher(load_taxonomy(ROOT / "seeds" / "taxonomy.toml")).index
    keys = sorted(index)
    return keys, KeyFinder(keys), Reference(keys)


def test_the_labelled_items_are_matched_as_the_regexes_match_them(gazetteer) -> None:
    _, finder, reference = gazetteer
    for name in ("classify_labelled.jsonl", "classify_cases.jsonl"):
        for line in (ROOT / "tests" / "data" / name).read_text("utf-8").splitlines():
            row = json.loads(line)
            text = f"{_field(row['title'])}\x00{_field(row.get('summary') or '')}".lower()
            assert finder.find(text) == reference.find(text), text


PIECES = ["'s", "s", "es", " ", "  ", "-", "'", ".", "$", "/", "7", "20", "x", "é", "İ", "ß", "中", "手机"]
PIECES += ["\x00", "\ud800", "\U0001f600", "_", "×"]


@settings(max_examples=400, deadline=None)
@given(data=st.data())
def test_any_text_made_of_keys_and_what_goes_around_them(gazetteer, data) -> None:
    """Keys side by side, cut short or run on, with suffixes, digits, signs, CJK and other scripts between."""
    keys, finder, reference = gazetteer
    key = st.sampled_from(keys)
    cut = st.tuples(key, st.integers(0, 6)).map(lambda kc: kc[0][kc[1] :] or kc[0])
    parts = data.draw(st.lists(st.one_of(key, cut, st.sampled_from(PIECES)), max_size=12))
    text = "".join(parts)
    assert finder.find(text) == reference.find(text), text


SMALL = ["india", "indian", "ai", "ai chips", "chips", "galaxy z fold", "h20", "h20 pro", "raises $", "s pen"]
SMALL += ["ab", "abcd", "b c"]
SMALL += ["小米", "小米手机", "$5"]


@pytest.mark.parametrize(
    "text",
    [
        "indiana and india's indians",  # a longer word, a suffix, a longer key
        "thai chips and ai chips",  # a key of two words inside a word: its second word still counts
        "galaxy z fold7, h20 h200 h20s",  # a digit may follow a letter, nothing a digit
        "raises $5mn",  # a key ending in a sign, and one right after it
        "india's pen",  # a key starting inside the suffix of the match before
        "h20 prox",  # the longest key fails its boundary: a shorter one at the same place
        "abcx abcd abc",  # the longest key fails its boundary: a shorter one at the same place
        "xab c d",  # a key hidden inside a word, another starting inside it
        "小米手机和小米",  # the longest CJK key, anywhere
        "\ud800india \U0001f600ai",  # a lone surrogate and a character outside the BMP
        "",
    ],
)
def test_made_up_gazetteer(text: str) -> None:
    assert KeyFinder(SMALL).find(text) == Reference(SMALL).find(text)


@given(st.text(alphabet="abcdhinz $'s720é中小米手机", max_size=30))
@example("ab c dab cd")
@settings(max_examples=300, deadline=None)
def test_made_up_gazetteer_any_text(text: str) -> None:
    finder, reference = _small()
    assert finder.find(text) == reference.find(text)


_SMALL: list[tuple[KeyFinder, Reference]] = []


def _small() -> tuple[KeyFinder, Reference]:
    if not _SMALL:
        _SMALL.append((KeyFinder(SMALL), Reference(SMALL)))
    return _SMALL[0]


def test_no_keys_no_matches() -> None:
    assert KeyFinder([]).find("india 小米") == []


def test_es_is_a_plural_only_after_s_x_z_ch_and_sh() -> None:
    keys = ["tax", "switch", "license", "upgrad", "ipo", "小米"]
    text = "taxes switches licensees upgrades ipos"
    found = [key for _, key, _ in KeyFinder(keys).find(text)]
    assert found == [key for _, key, _ in Reference(keys).find(text)] == ["tax", "switch", "ipo"]


def test_a_finder_made_from_its_pickled_plan_finds_the_same(gazetteer) -> None:
    """sort/compiled.py keeps the plan on disk (automata do not pickle) and builds the automata from it."""
    keys, finder, _ = gazetteer
    again = KeyFinder.from_plan(pickle.loads(pickle.dumps(finder.plan)))
    assert again.plan == finder.plan == plan_keys(reversed(keys))
    for text in ["sony opens a tokyo lab\x00小米手机 in india", "tsmc's 2nm fabs\x00", *PIECES]:
        assert again.find(text) == finder.find(text)
