"""Entries read as sentences: a whole first sentence that tells the headline's news, else the headline."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from newsletter.write.ledes import clean_headline, entry_text, lead_sentences, statement, whole_sentences
from newsletter.write.templating import clause, plus_line, reports_after, reports_that

HEADLINE = "Grab posts its first full-year profit"


@pytest.mark.parametrize(
    ("summary", "want"),
    [
        # the lede tells the news: it is the entry
        (
            "Grab posted its first full-year profit on Thursday, helped by cost cuts. Shares rose.",
            "Grab posted its first full-year profit on Thursday, helped by cost cuts.",
        ),
        # a dek that leans on the headline, a sentence with no subject, a teaser, a fragment: the headline
        ("Cost cuts finally paid off for the ride-hailing firm.", HEADLINE),
        ("The company said its delivery arm turned a profit for the first full year.", HEADLINE),
        ("It was the first full-year profit for Grab since its listing.", HEADLINE),
        ("Grab posted its first full-year profit as cost cuts across its delivery arm…", HEADLINE),
        ("Grab posted its first full-year profit, citing three unnamed people familiar with", HEADLINE),
        ("under the plan, Grab posted its first full-year profit.", HEADLINE),
        ("", HEADLINE),
    ],
)
def test_entry_text(summary: str, want: str) -> None:
    assert entry_text(HEADLINE, summary, 220) == want


def test_a_sentence_too_long_for_the_entry_gives_way_to_the_headline() -> None:
    long = "Grab posted its first full-year profit " + "and much more besides " * 15 + "in Singapore."
    assert entry_text(HEADLINE, long, 220) == HEADLINE


def test_cjk_sentences_end_at_the_full_stop_and_weigh_double() -> None:
    headline = "某公司完成5亿元融资"
    summary = "某公司今天宣布完成5亿元B轮融资，由多家机构领投。 公司将扩大研发团队。"
    assert entry_text(headline, summary, 220) == "某公司今天宣布完成5亿元B轮融资，由多家机构领投。"
    assert entry_text(headline, summary, 40) == headline  # 25 characters are 50 wide


def test_lead_sentences_are_whole_and_start_with_the_news() -> None:
    summary = (
        "Cost cuts finally paid off. Delivery turned a profit in every market. "
        "Analysts expect more, citing three unnamed people familiar with"
    )
    assert lead_sentences(HEADLINE, summary, 700) == (
        HEADLINE,
        "Cost cuts finally paid off.",
        "Delivery turned a profit in every market.",
    )
    assert lead_sentences(HEADLINE, summary, 70) == (HEADLINE, "Cost cuts finally paid off.")


def test_outlet_tags_leave_headlines() -> None:
    assert clean_headline("Grab posts first profit - Straits Times") == "Grab posts first profit"
    assert clean_headline("Grab posts first profit | Tech Wire") == "Grab posts first profit"
    assert clean_headline("Sea - a company") == "Sea - a company"
    talk = "某公司创始人：AI 创业路上的那些坑和机遇"
    assert clean_headline(f"CNCC 2016 | {talk}") == talk
    news = "某公司完成新一轮融资，估值超过十亿美元"
    assert clean_headline(f"{news}｜首发") == news
    assert clean_headline("Apple | Google") == "Apple | Google"  # no label beside a headline: left as it is


@given(st.text(max_size=400), st.text(max_size=80))
def test_entries_are_never_cut(summary: str, headline: str) -> None:
    """Whatever the feed sends, an entry is the headline or one of the summary's sentences, whole."""
    out = entry_text(headline or "Headline", summary, 220)
    assert out == clean_headline(headline or "Headline") or out in whole_sentences(summary)
    for sentence in lead_sentences(headline or "Headline", summary, 700)[1:]:
        assert sentence in whole_sentences(summary)


@pytest.mark.parametrize(
    ("headline", "review"),
    [
        (
            "Samsung Galaxy Z Fold 8 Ultra review: The ultra foldable with an ultra price",
            "[Ars](u) reviews the Samsung Galaxy Z Fold 8 Ultra: the ultra foldable with an ultra price.",
        ),
        (
            "Pixel 10 Pro review: Google gets it right",
            "[Ars](u) reviews the Pixel 10 Pro: Google gets it right.",
        ),
        # Not a product's review: the plain credit around the headline.
        ("Nothing to review: the week was quiet", ""),
        ("Why I review: phones in 2026", ""),
    ],
)
def test_a_review_headline_leads_as_the_outlets_review(headline: str, review: str) -> None:
    # A lead whose summary cannot stand alone falls back to its headline; a review's headline then
    # reads as a sentence, not as "Outlet reports: X review: ...".
    assert reports_that(headline, "[Ars](u)") == (review or f"[Ars](u) reports: {headline}")
    assert reports_after(headline, "[Ars](u)") == (review or f"{headline} ([Ars](u))")


def test_a_review_headline_runs_inside_our_sentences_as_a_review() -> None:
    # The intro says "Three stories stood out this week: A, B and C.": a review's headline is told as one.
    assert clause("Samsung Galaxy Z Fold 8 Ultra review: The ultra foldable with an ultra price") == (
        "a review of the Samsung Galaxy Z Fold 8 Ultra"
    )
    assert clause("Apple trained its own AI model for China.") == "Apple trained its own AI model for China"
    # Any other headline with a colon is quoted as a title: in a list of stories its colon would read as ours.
    assert clause("Nothing to review: the week was quiet") == "“Nothing to review: the week was quiet”"
    assert clause("One of China's rockets exploded.") == "one of China's rockets exploded"  # "... and one of"


def test_the_subtitle_names_the_next_stories_as_clauses() -> None:
    review = "Samsung Galaxy Z Fold 8 Ultra review: The ultra foldable with an ultra price"
    assert plus_line(["Grab posts a profit.", review]) == (
        "Plus: Grab posts a profit and a review of the Samsung Galaxy Z Fold 8 Ultra"
    )
    # A headline's own comma would blur "A, B and C": semicolons keep them apart.
    assert plus_line(["Grab, GoTo talk again", "Sea rallies", "Zepto files"]) == (
        "Plus: Grab, GoTo talk again; Sea rallies; and Zepto files"
    )
    assert plus_line([]) == ""


def test_a_cjk_lead_opens_with_the_summary_sentence_that_tells_its_headline() -> None:
    # Character pairs are read within runs of CJK: "国研" across "》" is no word of either text.
    headline = "《梦三国》研发商电魂网络A股上市，募资8.7亿元"
    summary = "今日，游戏开发商杭州电魂网络正式在上交所挂牌上市，证券代码为603258。首日股价上涨44%。"
    assert lead_sentences(headline, summary, 700)[0].startswith("今日，游戏开发商杭州电魂网络")


def test_a_lead_whose_headline_the_credit_cannot_tell_opens_on_the_summary() -> None:
    # The story sits under its headline: a quote after a colon, a question or a first-person headline would
    # only repeat it. A summary sentence about the same subject opens the story instead.
    dek = "SoftBank bought the chip designer Arm for $32 billion last month."
    assert lead_sentences(
        "孙正义：物联网设备将超过一万亿台", "孙正义上月以320亿美元收购ARM。他在大会上演讲。", 700
    )[0] == ("孙正义上月以320亿美元收购ARM。")
    assert lead_sentences("SoftBank's Son: a trillion devices are coming", dek, 700) == (dek,)
    assert lead_sentences("Why did SoftBank buy Arm?", dek, 700) == (dek,)
    # A headline the credit tells as a statement, or a review's, stays: "Ars reports that SoftBank ...".
    spent = "SoftBank has spent heavily on chip designers this year."
    assert (
        lead_sentences("SoftBank closes its Arm deal early", spent, 700)[0]
        == "SoftBank closes its Arm deal early"
    )
    review = "Pixel 10 Pro review: Google gets it right"
    assert lead_sentences(review, "Google sells it in 30 countries.", 700)[0] == review
    # A sentence about something else never opens a story.
    assert (
        lead_sentences("Why did SoftBank buy Arm?", "Markets fell on Monday.", 700)[0]
        == "Why did SoftBank buy Arm?"
    )


def test_the_credit_lowers_the_word_that_opens_a_clause() -> None:
    assert reports_that("If the launch slips, Sony loses a year.", "[X](u)") == (
        "[X](u) reports that if the launch slips, Sony loses a year."
    )
    assert (
        reports_that("Sony will slip the launch.", "[X](u)")
        == "[X](u) reports that Sony will slip the launch."
    )
    # "How ..." or first-person headlines are no statements: the credit stands apart.
    assert (
        reports_that("How cheap phones won Kenya", "[X](u)") == "[X](u) reports: How cheap phones won Kenya"
    )
    # Common words that open a news sentence lose their capital too, unless a name begins there.
    assert reports_that("Free delivery of the tablet was extended.", "[X](u)") == (
        "[X](u) reports that free delivery of the tablet was extended."
    )
    assert reports_that("Private-hire car drivers face new rules.", "[X](u)").startswith(
        "[X](u) reports that private"
    )
    assert reports_that("New Delhi cut the tax.", "[X](u)") == "[X](u) reports that New Delhi cut the tax."


def test_a_headline_lead_reads_as_a_sentence_with_its_credit() -> None:
    headline = "One of China's workhorse rockets just exploded in flight"
    assert reports_after(headline, "[Ars](u)") == f"{headline}, [Ars](u) reports."
    assert (
        reports_that(headline, "[Ars](u)")
        == "[Ars](u) reports that one of China's workhorse rockets just exploded in flight."
    )
    # A question or a CJK headline is not made a statement: the credit stands beside it.
    assert reports_after("Is this the end?", "[Ars](u)") == "Is this the end? ([Ars](u))"
    assert reports_after("中国火箭爆炸", "[Ars](u)") == "中国火箭爆炸 ([Ars](u))"


@pytest.mark.parametrize(
    ("headline", "want"),
    [
        (
            "Video: Toyota Shows Four Healthcare And Nursing Robots",
            "Toyota Shows Four Healthcare And Nursing Robots",
        ),
        ("WATCH - Sony unveils a new camera", "Sony unveils a new camera"),
        ("Livestreaming grows in India", "Livestreaming grows in India"),  # a word, not a label
        ("Chart: the chip boom in one line", "Chart: the chip boom in one line"),  # would start mid-thought
    ],
)
def test_a_media_label_leaves_the_headline(headline: str, want: str) -> None:
    assert clean_headline(headline) == want


def test_a_sentence_credited_with_reports_drops_its_reportedly() -> None:
    sentence = "Apple has reportedly trained a custom AI model for the China market."
    assert (
        reports_that(sentence, "[V](u)")
        == "[V](u) reports that Apple has trained a custom AI model for the China market."
    )
    assert (
        reports_after(sentence, "[V](u)")
        == "Apple has trained a custom AI model for the China market, [V](u) reports."
    )
    assert reports_that("Reportedly, Xiaomi will list in Hong Kong.", "[V](u)") == (
        "[V](u) reports that Xiaomi will list in Hong Kong."
    )


@pytest.mark.parametrize(
    ("headline", "told"),
    [
        ("The great Chinese EV exodus", False),
        ("Introducing Gemini 3.7 Flash", False),
        ("A fragile thaw at the top of the world", False),
        ("Investing in multi-agent AI safety research", False),
        ("The Fed raises rates", True),
        ("The iPhone 17 is here", True),
        ("Beijing bans crypto mining", True),  # a city ending in -ing is no gerund once a verb follows
        ("Beijing to host an AI summit", True),
        ("Boeing 737 Max grounded", True),
        ("Grab posts a profit", True),
    ],
)
def test_a_noun_phrase_or_a_label_is_no_statement(headline: str, told: bool) -> None:
    assert statement(headline) is told


def test_a_noun_phrase_headline_opens_on_the_summary_that_tells_it() -> None:
    headline = "The great Chinese EV exodus"
    summary = (
        "A consolidation among Chinese carmakers is flooding markets from São Paulo to Dubai. More follows."
    )
    first = "A consolidation among Chinese carmakers is flooding markets from São Paulo to Dubai."
    assert lead_sentences(headline, summary, 400)[0] == first  # not "X reports that the great ... exodus."
    assert entry_text(headline, summary, 200) == first
    # A statement keeps its headline when the summary tells another part of the story.
    assert entry_text("Xiaomi ships its first EV", "Deliveries start in March in Beijing.", 200) == (
        "Xiaomi ships its first EV"
    )


@pytest.mark.parametrize(
    ("headline", "told"),
    [
        # Our letter's "I" is the editor's: an outlet's first-person headline is quoted as its title.
        (
            "I let Alibaba’s AI agent plan my holiday. I ended up doing more work",
            "“I let Alibaba’s AI agent plan my holiday. I ended up doing more work”",
        ),
        ("Can India be a “third way” AI alternative?", "“Can India be a ‘third way’ AI alternative?”"),
        ("Grab posts a profit. Shares jump", "“Grab posts a profit. Shares jump”"),
        ("How cheap Chinese phones catapulted Kenya", "how cheap Chinese phones catapulted Kenya"),
        (
            "U.S. and China agree a chip truce",
            "U.S. and China agree a chip truce",
        ),  # an abbreviation, one sentence
        ("Samsung vs. Apple heats up", "Samsung vs. Apple heats up"),
    ],
)
def test_a_headline_our_sentence_cannot_run_on_is_quoted_as_a_title(headline: str, told: str) -> None:
    assert clause(headline) == told
