"""The relevance gate: Asia tech in, the rest kept out with the reason, and the editor's label wins."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest

from newsletter.config import FocusSettings
from newsletter.models import UTC, Item, Labels, Source, Story
from newsletter.sort.classify import Classifier, load_taxonomy
from newsletter.sort.relevance import gate_story, judge, not_news

ROOT = Path(__file__).resolve().parent.parent
TAXONOMY = load_taxonomy(ROOT / "seeds" / "taxonomy.toml")
CLF = Classifier(TAXONOMY)
ASIA_TECH = FocusSettings()
NOW = dt.datetime(2026, 11, 20, tzinfo=UTC)
TECH_OUTLET = Source("wire", "Wire", "https://wire.example/feed", tech=True)
NEWS_OUTLET = Source("daily", "Daily", "https://daily.example/feed", tech=False)


def item(title: str, summary: str = "", source: Source = NEWS_OUTLET, language: str | None = None) -> Item:
    labels = CLF.classify(title, summary, source.region, source.themes, language)
    return Item(
        f"{abs(hash(title)):016x}"[:16], source.id, "https://x.example/1", title, summary, NOW, labels=labels
    )


def verdict(title: str, summary: str = "", source: Source = NEWS_OUTLET, focus: FocusSettings = ASIA_TECH):
    return judge(item(title, summary, source), source, focus, TAXONOMY.scoring)


@pytest.mark.parametrize(
    ("title", "summary"),
    [
        ("TSMC lifts capex as AI chip demand soars", "The chipmaker raised its spending plan."),
        ("Zepto raises $450 million in Series G round", "The Mumbai start-up delivers groceries in minutes."),
        (
            "India orders platforms to remove deepfakes within 36 hours",
            "The IT ministry tightened rules for apps.",
        ),
        ("BYD starts production at its Thai EV plant", ""),
        ("Shein faces EU probe over illegal products on its platform", "Brussels opened proceedings."),
    ],
)
def test_asia_technology_passes(title: str, summary: str) -> None:
    got = verdict(title, summary)
    assert got.passed, got.why


@pytest.mark.parametrize(
    ("title", "summary", "why"),
    [
        (
            "Japan's prime minister calls snap election",
            "Voters go to the polls in February.",
            "not technology",
        ),
        (
            "Missile strike kills 12 in Kharkiv",
            "Russian troops shelled the city overnight.",
            "not technology",
        ),
        (
            "Japanese skater wins figure skating gold",
            "The Olympics final drew record crowds.",
            "not technology",
        ),
        ("Earthquake shakes northern Taiwan", "Buildings swayed in Taipei.", "not technology"),
        (
            "Coronavirus: ban on live music and TV screenings at Singapore eateries",
            "Covid-19 rules tighten as the TV ban starts on Monday.",
            "not technology",
        ),
        (
            "Rio Carnival dazzles as drones light up the sky",
            "Samba schools paraded all night.",
            "not about Asia",
        ),
        (
            "OpenAI releases a new reasoning model",
            "The San Francisco lab said it beats rivals.",
            "not about Asia",
        ),
    ],
)
def test_politics_war_sport_disasters_and_the_rest_of_the_world_stay_out(
    title: str, summary: str, why: str
) -> None:
    got = verdict(title, summary)
    assert not got.passed and why in got.why


def test_a_tech_outlet_lends_a_prior_that_off_topic_evidence_still_beats() -> None:
    quiet = "SoftBank-backed Sakana opens a Tokyo lab"
    assert verdict(quiet, source=TECH_OUTLET).evidence > verdict(quiet).evidence
    war = verdict(
        "Japan's troops test AI drones as missile drills resume",
        "Soldiers and warships gathered.",
        TECH_OUTLET,
    )
    assert not war.passed and "off-topic" in war.why
    # A tech outlet's health brief in Chinese stays out too: a word like "data" is no subject.
    health = verdict("研究称城市儿童肥胖症患病率上升", "研究人员分析了两万名儿童的数据。", TECH_OUTLET)
    assert not health.passed and "technology" in health.why


def test_a_general_outlet_names_its_technology_more_than_once() -> None:
    # One word in a headline is as often the medium as the subject: a TikTok-born movement, a website's
    # elegy. A tech outlet's prior vouches for it; from a general paper, the summary must confirm it.
    once = "Mumbai schools move homework to an app"
    assert not verdict(once).passed and "names it once" in verdict(once).why
    assert verdict(once, source=TECH_OUTLET).passed
    confirmed = "The app lets teachers grade online and parents follow along on a smartphone."
    assert verdict(once, confirmed).passed
    # Three words in the summary name it thrice: a marketplace and digital bank's round is tech news.
    uzum = verdict("Uzbekistan's Uzum raises $120mn", "The marketplace and digital bank expands lending.")
    assert uzum.passed, uzum.why
    thin = verdict("Bengaluru school fees rise", "Parents pay online.")
    assert not thin.passed and "evidence 1 < 6 for a general outlet" in thin.why


def test_the_internet_as_where_a_story_happened_is_no_technology_news() -> None:
    # A craze that spread online is the internet's news only as its medium: from a general paper it stays
    # out, however often the medium is named; a tech outlet's prior, or a word of the technology itself,
    # lets it in.
    craze = "A plush crying-cat toy is taking over Japan's internet"
    spread = "Shoppers queued in Osaka after clips of the toy spread on social media."
    kept_out = verdict(craze, spread)
    assert not kept_out.passed and "only where it happened" in kept_out.why, kept_out.why
    assert verdict(craze, spread, TECH_OUTLET).passed
    blocked = verdict(
        "India orders internet providers to block gambling apps",
        "The IT ministry told telecom operators to cut access to 40 betting apps.",
    )
    assert blocked.passed, blocked.why


@pytest.mark.parametrize(
    ("title", "summary"),
    [
        ("Cooperative bank in Maharashtra posts record profit", "The lender's deposits grew."),
        ("Renault to buy Nissan's stake in its India venture", "The carmaker will own the Chennai plant."),
        ("Cricket captain tosses his phone away after a selfie", "Fans in Jaipur filmed it."),
    ],
)
def test_banks_carmakers_and_gadgets_in_passing_are_no_technology(title: str, summary: str) -> None:
    # A tech theme's weak words ("bank", "phone") and a carmaker's name file under a theme but are no
    # evidence of technology; "Toss" the payments app is a name only with its capital.
    got = verdict(title, summary)
    assert not got.passed and "not technology" in got.why


def test_a_word_counts_once_for_technology() -> None:
    # "TikTok" is a [gate] tech word and a social-media theme word: one title hit, strong (2 x 3).
    assert CLF.classify("TikTok").tech == 6.0
    # ... whatever its case: "EVs" in the [gate] list and "=EVs" in the mobility theme are one word.
    assert CLF.classify("Thai-built EVs").tech == 6.0
    assert CLF.classify("Toss raises $40 million").tech > 0 and CLF.classify("He tosses it").tech == 0


def test_a_funding_round_is_no_evidence_of_technology_by_itself() -> None:
    # The round files under Funding; what the company does decides: a camping resort's Series A is no
    # tech news, an AI start-up's is.
    camping = CLF.classify("Tent resort chain raises $4 million Series A", "")
    assert camping.tech == 0 and "funding" in camping.themes
    assert CLF.classify("帐篷营地连锁获3000万元A轮融资", "").tech == 0
    assert CLF.classify("AI start-up raises $4 million Series A", "").tech > 0


def test_focus_is_configuration() -> None:
    title, summary = "OpenAI releases a new reasoning model", "The San Francisco lab said it beats rivals."
    assert verdict(title, summary, focus=FocusSettings(asia=False)).passed
    politics = "Japan's prime minister calls snap election"
    assert verdict(politics, focus=FocusSettings(technology=False)).passed


def test_the_editors_label_puts_an_item_back_in() -> None:
    out = item("Japanese skater wins figure skating gold", "The Olympics final drew record crowds.")
    labels = dataclasses.replace(out.labels or Labels(), overridden=True)
    assert judge(dataclasses.replace(out, labels=labels), NEWS_OUTLET, ASIA_TECH, TAXONOMY.scoring).passed


@pytest.mark.parametrize(
    ("title", "summary", "why"),
    [
        (
            "2010年の今日、新しいスマホが発売されました：今日は何の日？",
            "おもなできごと ・2010年6月4日、発売",
            "date list",
        ),
        ("Sponsored by Acme: the best cloud for start-ups", "", "sponsored"),
        ("8 点 1 氪：某公司发布财报；另一公司完成融资；第三家公司推出新品", "", "round-up"),
        ("How to turn off the AI summaries in your phone's keyboard", "Open Settings.", "how-to"),
        ("スマホの「高度な機能」で覚えておきたい3つの設定：Galaxy Tips", "", "how-to"),
        # A blog's feed lists its own pages among the posts: an engineer in Bengaluru's "About".
        ("About", "I build AI software in Bengaluru, India, and write about Python.", "page"),
    ],
)
def test_posts_that_are_not_news_never_pass(title: str, summary: str, why: str) -> None:
    got = verdict(title, summary, TECH_OUTLET)
    assert not got.passed and why in got.why
    assert not_news(item(title, summary))


def test_a_story_passes_on_its_most_convincing_outlet() -> None:
    general = dataclasses.replace(
        item("Kumamoto factory to open next year", "Jobs will follow."), id="a" * 16
    )
    techy = dataclasses.replace(
        item("Kumamoto chip fab to open next year", "The plant will make smartphone image sensors."),
        id="b" * 16,
    )
    ruled = [
        dataclasses.replace(it, verdict=judge(it, NEWS_OUTLET, ASIA_TECH, TAXONOMY.scoring))
        for it in (general, techy)
    ]
    assert not ruled[0].verdict.passed and ruled[1].verdict.passed
    story = gate_story(Story(id=general.id, lead=ruled[0], also=(ruled[1],)))
    assert story.lead.verdict.passed and story.lead.id == general.id


def test_names_in_passing_decide_no_region_but_the_lede_does() -> None:
    passing = CLF.classify(
        "Microsoft ships a speech recognition toolkit",
        "The toolkit cuts errors. Developers can try it today. Follow us on Weibo and Sina for more.",
    )
    assert passing.region == "global"
    lede = CLF.classify("Xurya raises $55 million for rooftop solar", "The Jakarta start-up installs panels.")
    assert lede.region == "southeast-asia"


def test_festivals_decide_nothing() -> None:
    labels = CLF.classify("Robots dance at Lunar New Year gala", "")
    assert "space" not in labels.themes and labels.region == "global"


def test_a_feed_language_files_what_names_nothing_foreign() -> None:
    assert CLF.classify("某创业公司完成A轮融资", "", language_region="china").region == "china"
    # A foreign name wins over the language: a Chinese-language report on Uber is not Chinese news.
    assert CLF.classify("优步完成首次无人卡车送货", "", language_region="china").region == "global"
    # So does a foreign place in the feed's own script: a Chinese reporter's week at CES is not Chinese news.
    assert CLF.classify("在拉斯维加斯体验智能家居", "", language_region="china").region == "global"
    assert CLF.classify("ラスベガスで新型ロボットを見た", "", language_region="japan").region == "global"


def test_a_national_outlets_home_files_what_names_nothing_foreign() -> None:
    # A local paper rarely names its own country: "FairPrice and WhyQ" are Singapore's own.
    title = "FairPrice, WhyQ launch zero-commission food delivery app"
    assert CLF.classify(title, "").region == "global"
    assert CLF.classify(title, "", home_region="southeast-asia").region == "southeast-asia"
    # Anything foreign the gazetteer knows wins over the home: this is news from elsewhere.
    assert (
        CLF.classify("Apple and Google update contact-tracing app", "", home_region="india").region
        == "global"
    )
    assert (
        CLF.classify("Startup in Berlin raises $5m for delivery app", "", home_region="japan").region
        == "global"
    )
    # A foreign company named only in the body is where the app is sold, not where the news happens; a
    # foreign place in the body is elsewhere.
    title, store = "Now mobile app to help senior citizens", "The app is available on Google Play."
    assert CLF.classify(title, store).region == "global"
    assert CLF.classify(title, store, home_region="india").region == "india"
    assert CLF.classify(title, "The app was built in Berlin.", home_region="india").region == "global"
    # A source the editor configured as global stays so, whatever the outlet's home.
    assert CLF.classify(title, store, source_region="global", home_region="india").region == "global"
    # And a name of another Asian region files it there, as ever.
    assert CLF.classify("Grab launches food delivery app", "", home_region="india").region == "southeast-asia"


def test_a_cjk_word_that_holds_a_company_name_names_no_company() -> None:
    # CJK names match inside words: a "new wave" (新浪潮) holds Sina (新浪) and Inspur (浪潮), and is neither.
    labels = CLF.classify("音乐节掀起新浪潮", "")
    assert labels.region == "global" and labels.tech == 0
    assert CLF.classify("新浪发布财报", "").region == "china"


def test_an_outlets_home_is_no_evidence_against_another_outlet_that_tells_the_story() -> None:
    """Wire copy in a Singapore paper's business pages: the paper's home files a US start-up's round in
    Southeast Asia, the wire that wrote it finds nothing Asian. One story: kept out as not about Asia."""
    title = "Chip designer Velaura AI valued at more than $1 billion in funding round"
    summary = "Velaura AI said it raised $110 million in a Series A round led by Seligman Ventures."
    paper = Source("paper", "Paper", "https://paper.example/feed", home="southeast-asia")
    wire = Source("wire", "Wire", "https://wire.example/feed", tech=True)

    def ruled(source: Source, id_: str, home: str | None = None) -> Item:
        labels = CLF.classify(title, summary, home_region=home)
        it = Item(id_ * 16, source.id, f"https://{source.id}.example/1", title, summary, NOW, labels=labels)
        return dataclasses.replace(it, verdict=judge(it, source, ASIA_TECH, TAXONOMY.scoring))

    local, told = ruled(paper, "a", "southeast-asia"), ruled(wire, "b")
    assert local.labels.region == "southeast-asia" and local.labels.guessed and local.verdict.passed
    assert told.labels.region == "global" and not told.labels.guessed and not told.verdict.passed
    story = gate_story(Story(id=local.id, lead=local, also=(told,)), ASIA_TECH)
    assert not any(it.verdict.passed for it in story.items)
    assert "another outlet files the story as global" in story.lead.verdict.why
    # Alone, the paper's item stands on its home; a global newsletter has no use for the rule.
    assert gate_story(Story(id=local.id, lead=local), ASIA_TECH).lead.verdict.passed
    world = FocusSettings(asia=False)
    assert gate_story(Story(id=local.id, lead=local, also=(told,)), world).lead.verdict.passed
    # A region the text names is no guess: the wire's silence does not undo it.
    named = dataclasses.replace(
        ruled(paper, "c", "southeast-asia"), labels=CLF.classify(f"{title} in Singapore", summary)
    )
    assert not named.labels.guessed
    kept = gate_story(Story(id=named.id, lead=named, also=(told,)), ASIA_TECH)
    assert kept.lead.verdict.passed
