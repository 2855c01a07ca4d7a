"""cluster: the same event from several outlets becomes one story, in English and in CJK text."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsletter.errors import NewsletterError
from newsletter.models import UTC, Item
from newsletter.sort.clustering import cluster

T0 = dt.datetime(2026, 3, 2, 8, tzinfo=UTC)
WEIGHTS = {"reuters": 2.0, "ft": 1.8, "techcrunch": 1.2, "livemint": 1.0, "blog": 0.5}


def item(n: int, source: str, title: str, summary: str = "", hours: float = 0) -> Item:
    return Item(
        id=f"{n:016x}",
        source_id=source,
        url=f"https://{source}.example/{n}",
        title=title,
        summary=summary,
        published=T0 + dt.timedelta(hours=hours),
    )


# One funding round told by three outlets with three different headlines.
ZEPTO = [
    item(
        1,
        "techcrunch",
        "Zepto raises $450 million as the quick commerce race heats up",
        "Indian quick-commerce startup Zepto has raised $450 million in a round led by CalPERS, valuing "
        "the Mumbai-based company at $7 billion ahead of a planned public listing.",
        hours=0,
    ),
    item(
        2,
        "livemint",
        "Zepto bags $450 mn from CalPERS ahead of IPO",
        "Zepto, the Mumbai grocery delivery app, secured $450 mn in fresh capital from the California "
        "Public Employees' Retirement System (CalPERS), lifting its valuation to $7 bn.",
        hours=3,
    ),
    item(
        3,
        "reuters",
        "India's Zepto valued at $7 billion after CalPERS-led funding",
        "Quick-commerce firm Zepto said on Tuesday it raised $450 million in a funding round led by U.S. "
        "pension fund CalPERS, as competition with Blinkit and Swiggy Instamart intensifies.",
        hours=5,
    ),
]
# The same company's earlier, different round: a near miss that must stay apart.
ZEPTO_OTHER_ROUND = item(
    4,
    "techcrunch",
    "Zepto raises $665 million in Series F at $3.6 billion valuation",
    "Zepto has raised $665 million in a Series F round that values the quick-commerce startup at "
    "$3.6 billion, with Avenir and Lightspeed among its investors.",
    hours=30,
)
UNRELATED = [
    item(
        5,
        "ft",
        "Grab posts its first full-year profit",
        "Grab reported its first annual profit after cost cuts.",
    ),
    item(
        6, "reuters", "Nvidia to resume H20 chip sales to China", "Nvidia said it will sell H20 chips again."
    ),
]


def story_of(stories, item_id):
    return next(s for s in stories if item_id in {it.id for it in s.items})


def test_three_outlets_on_one_round_are_one_story_led_by_the_best_source():
    stories = cluster([*ZEPTO, ZEPTO_OTHER_ROUND, *UNRELATED], threshold=0.5, source_weight=WEIGHTS)
    story = story_of(stories, ZEPTO[0].id)
    assert {it.id for it in story.items} == {it.id for it in ZEPTO}
    assert story.lead.source_id == "reuters"  # highest weight, though it published last
    assert [it.source_id for it in story.also] == ["techcrunch", "livemint"]  # by weight
    assert story.id == ZEPTO[0].id  # the earliest item's id
    assert all(it.story_id == story.id for it in story.items)


def test_two_rounds_by_one_company_stay_apart():
    stories = cluster([*ZEPTO, ZEPTO_OTHER_ROUND], threshold=0.5, source_weight=WEIGHTS)
    assert story_of(stories, ZEPTO_OTHER_ROUND.id).items == (story_of(stories, ZEPTO_OTHER_ROUND.id).lead,)


def test_every_item_lands_in_exactly_one_story_and_loners_stand_alone():
    items = [*ZEPTO, ZEPTO_OTHER_ROUND, *UNRELATED]
    stories = cluster(items, threshold=0.5, source_weight=WEIGHTS)
    ids = [it.id for s in stories for it in s.items]
    assert sorted(ids) == sorted(it.id for it in items)
    for loner in UNRELATED:
        s = story_of(stories, loner.id)
        assert s.id == loner.id and s.also == () and s.lead.story_id == loner.id


def test_story_id_is_stable_when_a_later_item_joins():
    first = cluster(ZEPTO[:2], threshold=0.5, source_weight=WEIGHTS)
    later = cluster(ZEPTO, threshold=0.5, source_weight=WEIGHTS)
    assert len(first) == 1 and len(later) == 1
    assert first[0].id == later[0].id == ZEPTO[0].id


CJK_SAME = [
    (
        item(10, "36kr", "字节跳动在东南亚数据中心训练大模型",
             "据英国《金融时报》报道,阿里巴巴和字节跳动正在新加坡和马来西亚的数据中心训练其最新的大语言模型,"
             "以使用英伟达芯片。"),
        item(11, "ftchinese", "阿里巴巴、字节跳动转往东南亚训练AI模型",
             "知情人士称,阿里巴巴与字节跳动等中国科技集团在东南亚的数据中心训练最新大语言模型,"
             "以获取受美国出口管制的英伟达芯片。"),
    ),
    (
        item(12, "nikkei", "ソフトバンクグループ、オープンAIに追加出資",
             "ソフトバンクグループはオープンAIに400億ドルを追加出資すると発表した。"
             "孫正義会長兼社長は人工知能への投資を拡大する。"),
        item(13, "yomiuri", "ソフトバンクG、オープンAIへ400億ドル出資",
             "ソフトバンクグループが米オープンAIに400億ドルを出資することが明らかになった。孫正義氏は投資拡大を目指す。"),
    ),
    (
        item(14, "yonhap", "삼성전자, 평택 반도체 공장에 30조원 투자",
             "삼성전자가 평택 캠퍼스 반도체 생산라인에 30조원을 투자한다고 밝혔다. "
             "HBM 수요 증가에 대응하기 위한 것이다."),
        item(15, "hankyung", "삼성전자 평택 공장 30조 투자 결정…HBM 증산",
             "삼성전자는 HBM 수요에 대응해 평택 반도체 공장에 30조원 규모의 투자를 결정했다."),
    ),
]  # fmt: skip
CJK_OTHER = [
    item(16, "36kr", "小米发布新款电动汽车SU7 Ultra",
         "小米集团周二发布新款电动汽车SU7 Ultra,售价52.99万元,雷军表示订单超出预期。"),
    item(17, "36kr", "小米发布首款SUV YU7,雷军称订单火爆",
         "小米集团发布首款SUV车型YU7,售价25.35万元起,上市18小时锁单超24万台。"),
    item(18, "yonhap", "SK하이닉스, 청주 신규 팹 건설 착수",
         "SK하이닉스가 청주에 HBM 생산을 위한 신규 팹 건설에 착수했다고 밝혔다."),
]  # fmt: skip


@pytest.mark.parametrize("pair", CJK_SAME, ids=["chinese", "japanese", "korean"])
def test_cjk_rewrites_of_one_event_cluster(pair):
    others = [it for p in CJK_SAME if p is not pair for it in p] + CJK_OTHER
    stories = cluster([*pair, *others], threshold=0.5, source_weight={})
    assert {it.id for it in story_of(stories, pair[0].id).items} == {pair[0].id, pair[1].id}


def test_different_cjk_events_by_one_company_stay_apart():
    stories = cluster([it for p in CJK_SAME for it in p] + CJK_OTHER, threshold=0.5, source_weight={})
    for other in CJK_OTHER:
        assert len(story_of(stories, other.id).items) == 1


def test_seven_daily_snapshots_of_one_feed_are_as_many_stories_as_articles():
    articles = [ZEPTO_OTHER_ROUND, *UNRELATED]
    snapshots = [a for _day in range(7) for a in articles]  # same ids every day
    stories = cluster(snapshots, threshold=0.5, source_weight=WEIGHTS)
    assert len(stories) == len(articles)
    assert sorted(it.id for s in stories for it in s.items) == sorted(a.id for a in articles)


def test_same_source_items_merge_only_when_nearly_identical():
    a = item(20, "techcrunch", ZEPTO[0].title, ZEPTO[0].summary)
    repost = item(21, "techcrunch", ZEPTO[0].title + " (updated)", ZEPTO[0].summary, hours=2)
    follow = item(
        22, "techcrunch", "Zepto valued at $7 billion after CalPERS-led funding", ZEPTO[2].summary, hours=4
    )
    stories = cluster([a, repost, follow], threshold=0.5, source_weight=WEIGHTS)
    assert {it.id for it in story_of(stories, a.id).items} == {a.id, repost.id}
    assert len(story_of(stories, follow.id).items) == 1


def test_lower_threshold_merges_more():
    items = [*ZEPTO, ZEPTO_OTHER_ROUND, *UNRELATED, *CJK_OTHER, *SAME_COMPANY_OTHER_EVENT]
    counts = [len(cluster(items, threshold=t, source_weight={})) for t in (0.05, 0.2, 0.5, 0.9, 1.0)]
    assert counts == sorted(counts)
    assert counts[-1] == len(items)  # a score of 1.0 is never reached: at the top nothing merges
    assert counts[0] < counts[2]  # and near 0 the near misses merge too


@pytest.mark.parametrize("bad", [0.0, -1.0, 1.5])
def test_a_threshold_outside_zero_to_one_is_a_user_error(bad):
    with pytest.raises(NewsletterError, match="cluster_threshold"):
        cluster(ZEPTO, threshold=bad, source_weight={})


def test_empty_and_markup_text_never_breaks_clustering():
    odd = [
        item(30, "blog", "", ""),
        item(31, "blog", "<b>&amp;</b>", "\x00\u202e"),
        item(32, "ft", "???", ""),
    ]
    stories = cluster(odd, threshold=0.5, source_weight={})
    assert sorted(it.id for s in stories for it in s.items) == [o.id for o in odd]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["a", "b", "c"]), st.text(max_size=80), st.text(max_size=200)), max_size=12
    )
)
def test_any_text_partitions_items(rows):
    items = [item(n, src, title, summary, hours=n) for n, (src, title, summary) in enumerate(rows)]
    stories = cluster(items, threshold=0.5, source_weight={"a": 2.0})
    assert sorted(it.id for s in stories for it in s.items) == sorted(it.id for it in items)
    for s in stories:
        assert s.id == min(s.items, key=lambda it: (it.published, it.id)).id
        assert all(it.story_id == s.id for it in s.items)


# One company, two events in one week: the name alone must not join them (seen on the bundled seeds).
SAME_COMPANY_OTHER_EVENT = [
    item(40, "chip-street", "Hon Hai's third-quarter profit climbs 17% on AI servers",
         "Hon Hai Precision, known as Foxconn, earned NT$57.8bn in July-September, 17% more than a year "
         "earlier, as cloud server racks outsold phones.", hours=1),
    item(41, "asia-tech-wire", "Foxconn's quarterly profit up 17% as servers overtake iPhones",
         "Foxconn reported third-quarter net profit of NT$57.8bn, a 17% rise, led by AI server demand.",
         hours=2),
    item(42, "bharat-startup-daily", "Foxconn starts iPhone assembly at its Bengaluru factory",
         "The Taiwanese contract maker began putting together iPhones at a new plant near Bengaluru "
         "airport, adding to Apple's Indian output.", hours=120),
    item(43, "pacific-ledger", "Coupang's Taiwan arm turns a profit",
         "Coupang said its Taiwan business was profitable in the third quarter, four years after it "
         "started rocket delivery in Taipei.", hours=125),
    item(44, "seoul-bytes", "Coupang's revenue rises 18% to $9.4bn in the third quarter",
         "Coupang grew July-September revenue 18% to $9.4bn and kept investing in Taiwan.", hours=-10),
    item(45, "asia-tech-wire", "Xiaomi's EV unit posts its first quarterly profit",
         "Xiaomi's smart-car business made an operating profit of Rmb700mn in the third quarter after "
         "delivering 108,000 cars.", hours=30),
    item(46, "chip-street", "Google and Blackstone choose Johor for a TPU data centre",
         "The Google-Blackstone venture will build its first site outside the US in Johor, Malaysia, "
         "renting out Google's TPU chips.", hours=60),
    item(47, "asia-tech-wire", "MediaTek wins another generation of Google's TPU",
         "MediaTek will co-design Google's next tensor processing unit, growing its custom chip business "
         "as Blackstone and others build TPU data centres.", hours=10),
]  # fmt: skip


def test_one_company_two_events_stay_apart_and_one_event_stays_together():
    stories = cluster(SAME_COMPANY_OTHER_EVENT, threshold=0.5, source_weight={})
    groups = {frozenset(it.id for it in s.items) for s in stories}
    by_n = {n: SAME_COMPANY_OTHER_EVENT[n - 40].id for n in range(40, 48)}
    assert frozenset({by_n[40], by_n[41]}) in groups  # Hon Hai = Foxconn, same quarter, same figures
    for n in range(42, 48):  # Bengaluru plant, Coupang Taiwan, Coupang Q3, Xiaomi, Johor, MediaTek
        assert frozenset({by_n[n]}) in groups, SAME_COMPANY_OTHER_EVENT[n - 40].title


CROSS_LANGUAGE = [
    item(50, "reuters", "Samsung signs $16.5 billion chip supply deal with Tesla",
         "Samsung will make Tesla's next AI chips at its Texas plant under a contract running to 2033."),
    item(51, "yonhap", "삼성전자, 테슬라와 22조8천억원 규모 반도체 공급계약",
         "삼성전자가 테슬라의 차세대 AI 칩을 미국 텍사스 공장에서 생산한다.", hours=3),
    item(52, "nikkei", "Nintendo sells 3.5 million Switch 2 units in four days",
         "Nintendo said its new console sold faster than any before it."),
    item(53, "nikkei-jp", "任天堂「スイッチ2」、発売4日で350万台",
         "任天堂の新型ゲーム機の販売は過去最速となった。", hours=2),
    item(54, "reuters", "LG Energy Solution signs $4.3 billion battery deal with Tesla",
         "The cells for Tesla's energy storage will come from LG's Michigan plant.", hours=5),
]  # fmt: skip


def test_one_event_in_english_and_in_korean_or_japanese_is_one_story():
    stories = cluster(CROSS_LANGUAGE, threshold=0.5, source_weight={})
    groups = {frozenset(it.id for it in s.items) for s in stories}
    assert frozenset({CROSS_LANGUAGE[0].id, CROSS_LANGUAGE[1].id}) in groups  # $16.5bn = 22.8조 won
    assert frozenset({CROSS_LANGUAGE[2].id, CROSS_LANGUAGE[3].id}) in groups  # 3.5 million = 350万
    assert frozenset({CROSS_LANGUAGE[4].id}) in groups  # another Korean company's Tesla deal


def test_bundled_seed_week_keeps_cross_feed_stories_and_splits_near_misses():
    from test_seeds import CROSS_FEED  # the stories the sample feeds tell more than once

    from newsletter.feeds.parse import parse_feed
    from newsletter.feeds.sources import load_sources

    root = Path(__file__).resolve().parent.parent
    items = []
    for src in load_sources(root / "seeds" / "sources.toml"):
        path = root / src.url
        if src.enabled and not src.is_remote and path.exists():
            items += parse_feed(path.read_bytes(), source_id=src.id).items
    assert len(items) > 60
    stories = cluster(items, threshold=0.5, source_weight={})
    for key, (phrase, feeds) in CROSS_FEED.items():
        holding = [s for s in stories if any(phrase in it.title + " " + it.summary for it in s.items)]
        told = max(holding, key=lambda s: len(s.items))
        assert {it.source_id for it in told.items} >= feeds, key
        assert len({it.source_id for it in told.items}) == len(told.items), key  # no stray extra items
    for a, b in [("Bengaluru", "Hon Hai's"), ("Coupang's Taiwan", "Coupang's third"), ("Xiaomi", "Coupang"),
                 ("MediaTek", "Blackstone")]:  # fmt: skip
        sa = next(s for s in stories if any(it.title.startswith(a) or a in it.title for it in s.items))
        assert not any(b in it.title for it in sa.items), (a, b)


# One company, two kinds of event (a listing, a quarter's results): the shared name is all they share.
LISTING_VS_RESULTS = [
    item(60, "ft", "Rakuten shares rise in Tokyo debut",
         "The e-commerce group's bank unit priced its offering at the top of the range."),
    item(61, "reuters", "Rakuten's profit falls as mobile losses deepen",
         "Rakuten Group said quarterly operating profit dropped on its mobile network costs.", hours=20),
]  # fmt: skip


def test_different_kinds_of_event_by_one_company_stay_apart_but_a_low_threshold_can_merge_them():
    assert len(cluster(LISTING_VS_RESULTS, threshold=0.5, source_weight={})) == 2
    assert len(cluster(LISTING_VS_RESULTS, threshold=0.2, source_weight={})) == 1  # capped, not vetoed


def test_facts_read_by_a_forked_worker_equal_facts_read_in_one_process():
    from newsletter.sort.clustering import _build, _vectors

    items = [*ZEPTO, ZEPTO_OTHER_ROUND, *UNRELATED, *CJK_OTHER, *SAME_COMPANY_OTHER_EVENT, *CROSS_LANGUAGE]
    vecs, _keys = _vectors(items)
    which = range(len(items))
    assert _build(items, vecs, which, parallel=True) == _build(items, vecs, which, parallel=False)


def test_tagged_items_equal_their_originals_but_for_the_story_id():
    stories = cluster([*ZEPTO, *UNRELATED], threshold=0.5, source_weight=WEIGHTS)
    by_id = {it.id: it for it in [*ZEPTO, *UNRELATED]}
    for s in stories:
        for it in s.items:
            assert it == dataclasses.replace(by_id[it.id], story_id=s.id)
            assert hash(it) == hash(dataclasses.replace(by_id[it.id], story_id=s.id))


@pytest.mark.parametrize(
    "pair",
    [
        pytest.param(
            [
                item(70, "dawn", "PTA grants licence to OneWeb for satellite internet",
                     "The regulator cleared the service after a two-year review."),
                item(71, "reuters", "OneWeb wins licence to offer satellite internet in Pakistan",
                     "The Eutelsat unit can now sell plans to homes.", hours=5),
            ],
            id="headline-led-by-the-regulator-and-by-the-company",
        ),
        pytest.param(
            [
                item(83, "coindesk", "Bithumb hit by $20 million hot wallet hack",
                     "The exchange halted deposits and promised to cover user losses."),
                item(84, "yonhap", "Bithumb to repay users after 29.1 billion won hack",
                     "Police suspect a North Korean group.", hours=6),
            ],
            id="hack-in-dollars-and-in-won",
        ),
        pytest.param(
            [
                item(85, "reuters", "Intel to cut about 15,000 jobs", "The reductions affect 15% of staff."),
                item(86, "verge", "Intel lays off thousands more, hitting its foundry unit",
                     "Projects including a Malaysia packaging line were delayed.", hours=5),
            ],
            id="lay-offs-and-job-cuts",
        ),
    ],
)  # fmt: skip
def test_two_framings_of_one_event_are_one_story(pair: list[Item]) -> None:
    assert len(cluster(pair, threshold=0.5, source_weight={})) == 1


def test_one_listing_told_by_the_amount_raised_and_by_the_valuation_is_one_story():
    listing = [
        item(80, "reuters", "Hesai raises $190 million in US IPO",
             "The lidar maker priced its shares at $19, the top of the range."),
        item(81, "bloomberg", "Lidar maker Hesai valued at $2.4 billion as it debuts on Nasdaq",
             "Baidu-backed Hesai began trading in New York after selling 10 million shares.", hours=3),
    ]  # fmt: skip
    assert len(cluster(listing, threshold=0.5, source_weight={})) == 1
    other_round = item(82, "ft", "Hesai raises $300 million in Hong Kong listing",
                       "The lidar maker sold shares in a second listing.", hours=4)  # fmt: skip
    assert len(cluster([listing[0], other_round], threshold=0.5, source_weight={})) == 2


def test_a_revenue_figure_does_not_split_one_filing_but_still_splits_two_quarters():
    filing = [
        item(201, "bloomberg", "SpaceX makes its Nasdaq IPO filing public",
             "The rocket maker reported close to $5bn of first-quarter revenue, led by Starlink."),
        item(202, "ft", "SpaceX seeks up to $80bn in record listing at $2tn valuation",
             "The prospectus shows Starlink has about 10 million subscribers.", hours=2),
    ]  # fmt: skip
    assert len(cluster(filing, source_weight=WEIGHTS)) == 1
    quarters = [
        item(203, "reuters", "Nvidia revenue jumps 85% to record $81.6 billion", "Data centre sales led."),
        item(204, "ft", "Nvidia posts $57 billion in quarterly revenue, beating estimates",
             "Data centre sales led again.", hours=2),
    ]  # fmt: skip
    assert len(cluster(quarters, source_weight=WEIGHTS)) == 2


def test_two_shared_names_stand_in_for_wording_across_scripts():
    pair = [
        item(211, "yonhap", "카카오, 친구탭 첫 화면 원상복구", "카카오톡 개편 이후 친구 목록을 되돌린다."),
        item(212, "reuters", "Kakao backs down on KakaoTalk redesign after user backlash",
             "The messenger will restore the friends list as its first tab.", hours=1),
    ]  # fmt: skip
    assert len(cluster(pair, source_weight=WEIGHTS)) == 1
    one_name = [pair[0], item(213, "reuters", "Kakao shares rise on bank earnings", "Its bank unit grew.")]
    assert len(cluster(one_name, source_weight=WEIGHTS)) == 2
