"""The evidence clustering reads: names, figures and quarters the same in any notation, currency or script."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsletter.sort import evidence as sf
from newsletter.sort import evidence_figures as figs
from newsletter.sort.evidence import events, names
from newsletter.sort.evidence_figures import figures, ordinals, quarters


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("$450 million", "US$450M"),
        ("$4.5 billion", "45亿美元"),
        ("$4.5bn", "US$ 4,500 million"),
        ("₩30 trillion", "30조원"),
    ],
)
def test_money_figures_match_in_any_notation(a, b):
    (fa,), (fb,) = figures(a), figures(b)
    assert fa.kind == fb.kind == "money" and fa.same(fb)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("$16.5 billion", "22조8천억원"),  # dollars vs won at a rough rate
        ("HK$35.7 billion", "$4.6 billion"),
        ("¥476bn", "4760億日圓"),
        ("3.5 million consoles", "350万台"),
        ("2,000 MW", "2GW"),
    ],
)
def test_one_figure_in_two_currencies_or_scripts_is_the_same(a, b):
    (fa,), (fb,) = figures(a), figures(b)
    assert fa.same(fb)


def test_different_amounts_are_different_figures():
    (a,), (b,) = figures("$450 million"), figures("$665 million")
    assert not a.same(b)
    (a,), (b,) = figures("$1.3bn"), figures("Rs 12,000 crore")  # about $1.37bn: not the same deal
    assert not a.same(b)


def test_bare_numbers_and_lengths_are_not_money():
    assert figures("In 2026 it sold 12 robots, each 5 m tall") == ()


@pytest.mark.parametrize(
    ("text", "q"), [("Q3 results", 3), ("third-quarter profit", 3), ("July-September", 3), ("2분기 실적", 2)]
)
def test_quarters_in_any_notation(text, q):
    assert quarters(text) == {q}


@pytest.mark.parametrize(
    ("title", "summary", "name"),
    [
        ("Hon Hai reports record revenue", "", "foxconn"),
        ("小米YU7发布", "", "xiaomi"),
        ("삼성전자, 테슬라와 공급계약", "", "samsung"),
        ("FuriosaAI turns down Meta", "", "furiosa"),
        ("Kaspi.kz lists on Nasdaq", "", "kaspi"),
    ],
)
def test_aliases_fold_to_one_name(title, summary, name):
    assert name in names(title, summary).found


def test_a_latin_name_written_against_cjk_characters_is_a_name():
    # Chinese and Japanese write Latin names without spaces: "黑客大赛GeekPwn上演" names GeekPwn as much as
    # "GeekPwn大赛" does, and two headlines on it share their lead name.
    found = names("打破壁垒玩跨界 黑客大赛GeekPwn上演机器人版“碟中谍”")
    assert found.found == ("geekpwn",) and found.title == {"geekpwn"}
    assert names("锤子Big Bang随意发车").found == ("big", "bang")
    assert "yu7" in names("小米发布YU7车型").found


def test_a_capitalised_sentence_opener_is_only_maybe_a_name():
    found = names("Trade permit now needed for AI chips", "MITI said exporters must notify it.")
    assert "trade" in found.initial and "miti" not in found.initial
    lead, all_names = found.settle({"trade"})  # the week also writes "trade" in lower case
    assert lead == "" and all_names == {"miti"}  # the headline names no one; the summary does


def test_places_are_not_names():
    found = names("Micron starts building its Singapore plant", "The site in Singapore will open in 2026.")
    assert found.places == {"singapore"} and "singapore" not in found.found


def test_kinds_of_event_in_english_and_cjk():
    assert events("Zepto shares jump in Mumbai debut") == {"listing"}
    assert events("Nissan to cut 20,000 jobs") == {"jobs"}
    assert "listing" in events("长鑫存储提交科创板上市申请")


def test_ordinals_tell_the_third_launch_from_the_fourth():
    assert ordinals("Nuri rocket succeeds on fourth launch") == {4}
    assert ordinals("台積電熊本第二座晶圓廠動工") == {2}


def _figures_whole_text(text: str) -> tuple:
    """The reference: the figure and date patterns run over the whole text, not just around its numbers."""
    norm = sf.fold_case(text)
    if not norm.isascii():
        for pattern, repl in figs._CJK_COMPOUND:
            norm = pattern.sub(repl, norm)
    found = [f for m in figs._FIGURE_RE.finditer(norm) if (f := figs._figure(m)) is not None]
    for m in figs._DATE_RE.finditer(norm):
        month, day = (m[1], m[2]) if m[1] else (m[4], m[3])
        found.append(figs.Figure("date", figs._MONTHS.index(month) * 100.0 + int(day)))
    return tuple(dict.fromkeys(found))


_WORDS = """$ US$ Rs. rs Rmb HK$ ¥ ₩ 4 16.5 1,865 2,000 450 29 million bn billion trillion crore percent % MW
    GW dollars yen won yuan 亿 億 万 조 억 천 원 美元 円 September sept. Feb March marketplaces in the a
    - , . | Zepto raised seven Q3"""
_FRAGMENTS = [*_WORDS.split(), " ", " ", " ", "per cent", "\n"]  # pieces of figures, glued at random


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_FRAGMENTS), max_size=40), st.text(max_size=30))
def test_reading_only_around_numbers_finds_what_the_whole_text_holds(parts, noise):
    text = "".join(parts) + noise + " ".join(parts)
    assert figures(text) == _figures_whole_text(text)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("$230 million", "$235 million"),  # outlets round one loss differently
        ("$30 million", "44.5 billion won"),  # a round dollar figure beside the exact won amount
    ],
)
def test_a_round_figure_matches_within_its_own_rounding(a, b):
    (x,), (y,) = figures(a), figures(b)
    assert x.same(y) and y.same(x)


@pytest.mark.parametrize(("a", "b"), [("$20 million", "$25 million"), ("$230 million", "$250 million")])
def test_rounding_never_joins_figures_far_apart(a, b):
    (x,), (y,) = figures(a), figures(b)
    assert not x.same(y)


def test_a_valuation_is_told_from_the_amount_raised():
    raised, valued = figures("The start-up raised $40 million at a $1.2 billion valuation")
    assert not raised.valuation and valued.valuation
    (listed,) = figures("The robotaxi firm was valued at $5.25 billion in its debut")
    assert listed.valuation


def test_ambiguous_event_words_do_not_invent_another_kind_of_event():
    assert events("Geely cuts prices on its cheapest hatchbacks") == frozenset()  # prices, not jobs
    assert events("Huawei tablets can now be sold in Malaysia") == frozenset()
    assert events("The chat list returns to the first tab") == frozenset()  # a list, not a listing
    assert events("Sony lays off hundreds at its games studios") == {"jobs"}
    assert events("Data of 2 million users leaked") == {"hack"}
    # "sells" is a deal (a stake) or sales (consoles): it shares a kind with either.
    assert events("Nintendo sells 5 million consoles") & events("Nintendo tops 5 million units shipped")
    assert events("Toyota sells its Denso shares") & events("Toyota cuts its stake in Denso")


def test_plural_product_names_and_multiword_places_read_as_one():
    assert "ipad" in names("Apple's new iPads go on sale").found
    assert names("Two robotaxi firms debut in Hong Kong").places == {"hongkong"}
    assert names("Fintech jumps in New York debut").places == {"us"}


def test_a_process_node_reads_alike_in_every_script():
    nodes = [
        figures(t) for t in ("first 2nm chips", "2ナノ半導体", "2나노 공정", "2纳米芯片", "2-nanometre chips")
    ]
    assert all(len(f) == 1 and f[0].kind == "node" and f[0].same(nodes[0][0]) for f in nodes)
    assert not figures("3nm chips")[0].same(nodes[0][0])


def test_a_comma_after_a_number_is_punctuation_not_a_thousands_mark():
    assert figures("Moonshot releases Kimi K2, a trillion-parameter model") == ()
    assert figures("240,000 orders")[0].value == 240_000


def test_a_backer_in_a_headline_is_a_name_but_not_the_headline_s_name():
    found = names("Alibaba-backed Moonshot open-sources Kimi K2")
    assert "alibaba" in found.found and "alibaba" not in found.title
    assert "moonshot" in found.title


def test_revenue_is_told_from_the_amount_raised():
    (rev,) = figures("The rocket maker reported close to $5bn of first-quarter revenue")
    (rev2,) = figures("Its run-rate revenue has passed $5bn")
    (deal,) = figures("Sony buys the studio for $5bn in cash")
    assert rev.revenue and rev2.revenue and not deal.revenue


def test_a_generation_label_is_no_name():
    assert "gen" not in names("Government withdraws ban as Gen Z protests spread").found


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Google ships Gemini 3.7 Flash", {"3.7"}),
        ("iOS 26.1 and v2.5 arrive", {"26.1", "2.5"}),
        ("Grab raises $1.5 billion", set()),  # money, not a version
        ("Sales grew 3.4% in March", set()),
        ("A release with no version at all.", set()),
    ],
)
def test_versions_are_numbers_after_a_product_name(text: str, found: set[str]) -> None:
    assert figs.versions(text) == found


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="Gemini v3.7 %bn,-\n", max_size=40))
def test_versions_read_only_what_the_full_pattern_finds(text: str) -> None:
    # The cheap "digit, point, digit" scan only skips texts the version pattern cannot match.
    assert figs.versions(text) == frozenset(figs._VERSION_RE.findall(text))


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "q3",
                "3Q",
                "third",
                "-",
                "quarter",
                " ",
                "July",
                "–",
                "Sept",
                "3분기",
                "第三季度",
                "7~9月期",
                "oct",
                "dec",
            ]
        ),
        max_size=12,
    )
)
def test_quarters_scan_only_skips_patterns_a_text_cannot_match(words: list[str]) -> None:
    text = "".join(words)
    norm = sf.fold_case(text)
    every = {int(str(get(m))) for _hint, pattern, get in figs._QUARTER_RES for m in pattern.finditer(norm)}
    assert quarters(text) == frozenset(every)
