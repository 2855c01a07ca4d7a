# ruff: noqa: E501  (fixture sentences read better whole)
"""A fixed week of hand-made items laid out as IssuePlans, for golden files and render tests.

The facts are invented or public knowledge; the sentences are ours. Some titles are hostile on
purpose: Markdown and HTML metacharacters, script, a javascript: link, a leading "#" or "1.".
"""

from __future__ import annotations

import datetime as dt
import hashlib

from newsletter.config import Settings, StyleSettings
from newsletter.models import UTC, IssuePlan, Item, Labels, Section, Story, Week

WEEK = Week(2026, 47)
SOURCE_NAMES = {
    "nikkei": "Nikkei Asia",
    "ft": "FT",
    "reuters": "Reuters",
    "restofworld": "Rest of World",
    "scmp": "SCMP",
    "krasia": "KrASIA",
    "inc42": "Inc42",
    "koreaherald": "Korea Herald",
    "digitimes": "DigiTimes",
}
PAYWALLED = frozenset({"nikkei", "ft"})

HOSTILE = [
    (
        "<script>alert('x')</script> Chip maker *triples* output",
        "A [fake](javascript:alert(1)) link and <img src=x onerror=alert(1)> inside.",
    ),
    (
        "# Not a heading: SK Hynix sells out HBM for 2027",
        "1. Not a list either. SK Hynix says its 2027 HBM supply is fully booked.",
    ),
    (
        "[Click](data:text/html;base64,PHNjcmlwdD4=) Grab_profit_ `code` > quote",
        "- Grab's <b>bold</b> claim & AT&amp;T-style entities &copy; survive as text.",
    ),
    (
        "<!-- item:deadbeefdeadbeef --> Fake marker in a title",
        "Text with a fake <!-- section:china --> marker and a </p> tag.",
    ),
]


def _id(n: int) -> str:
    return hashlib.sha256(f"fixture-{n}".encode()).hexdigest()[:16]


def item(
    n: int, title: str, summary: str, source: str, region: str, themes: tuple[str, ...] = (), image: str = ""
) -> Item:
    return Item(
        id=_id(n),
        source_id=source,
        url=f"https://news.example.com/{source}/2026/11/story-{n}",
        title=title,
        summary=summary,
        published=dt.datetime(2026, 11, 16, 8, 0, tzinfo=UTC) + dt.timedelta(hours=3 * n),
        image=image,
        labels=Labels(region=region, regions=(region,), themes=themes),
    )


def story(lead: Item, *also: Item) -> Story:
    return Story(id=lead.id, lead=lead, also=also, score=1.0)


REGIONS = [
    ("china", "China"),
    ("india", "India"),
    ("southeast-asia", "Southeast Asia"),
    ("south-korea", "South Korea"),
    ("japan", "Japan"),
    ("taiwan", "Taiwan"),
    ("rest-of-asia", "RoA"),
]

# (title, summary, source, region, themes)
ROWS = [
    (
        "TSMC raises its capex plan to $52B as AI orders climb",
        "TSMC lifted its capital spending plan for next year to $52 billion. The company said demand for "
        "AI accelerators keeps outrunning its advanced packaging capacity. Analysts expect more of the money to "
        "go to plants in Arizona and Kumamoto. The board also approved a new dividend.",
        "nikkei",
        "taiwan",
        ("ai-chips",),
    ),
    (
        "Grab posts its first full-year profit",
        "Grab reported its first profitable year since listing in New York. Cost cuts across its delivery arm "
        "helped. The Singapore company also raised its guidance for 2027.",
        "reuters",
        "southeast-asia",
        ("ecommerce",),
    ),
    (
        "Japan approves another ¥1tn for Rapidus",
        "Japan's cabinet approved fresh subsidies for chip venture Rapidus. The money funds a 2nm pilot line in "
        "Hokkaido. Rapidus still needs private investors for mass production.",
        "ft",
        "japan",
        ("ai-chips", "policy"),
    ),
    (
        "Alibaba's Qwen team releases an open model for coding",
        "Alibaba released a new open-weight coding model. It tops several public benchmarks.",
        "scmp",
        "china",
        ("ai",),
    ),
    (
        "Huawei ships its next Ascend AI chip to Chinese cloud firms",
        "Huawei began shipping a new Ascend accelerator to domestic cloud providers, people familiar with the matter said.",
        "reuters",
        "china",
        ("ai-chips",),
    ),
    (
        "BYD opens its first plant in Hungary",
        "BYD started production at its factory in Szeged. It is the carmaker's first in Europe.",
        "nikkei",
        "china",
        ("mobility",),
    ),
    (
        "Shein refiles for a Hong Kong listing",
        "Shein filed again for a listing in Hong Kong after its London plan stalled.",
        "ft",
        "china",
        ("ipo",),
    ),
    (
        "Zepto raises $450mn ahead of an IPO",
        "Quick-commerce start-up Zepto raised $450mn in a round led by existing backers. It plans to list in Mumbai next year.",
        "inc42",
        "india",
        ("funding", "ipo"),
    ),
    (
        "Reliance Jio files for a record Indian IPO",
        "Reliance Jio filed draft papers for what would be India's largest listing.",
        "reuters",
        "india",
        ("ipo", "telecom"),
    ),
    (
        "India offers chipmakers 50% of project costs",
        "India widened its semiconductor subsidy to cover half of a plant's cost.",
        "restofworld",
        "india",
        ("policy", "ai-chips"),
    ),
    (
        "Sea's Shopee turns profitable in Brazil",
        "Sea said Shopee made money in Brazil for the first time last quarter.",
        "krasia",
        "southeast-asia",
        ("ecommerce",),
    ),
    (
        "Vietnam's VNG plans a Singapore listing",
        "VNG, the Vietnamese gaming and cloud group, hired banks for a listing in Singapore.",
        "krasia",
        "southeast-asia",
        ("ipo",),
    ),
    (
        "Malaysia's data-centre boom strains Johor's power grid",
        "Johor officials warned new data centres could outstrip grid capacity by 2028.",
        "restofworld",
        "southeast-asia",
        ("ai",),
    ),
    (
        "Samsung wins a second AI customer for its 2nm foundry",
        "Samsung Electronics signed a second customer for its 2nm process.",
        "koreaherald",
        "south-korea",
        ("ai-chips",),
    ),
    (
        "Naver and Kakao join Korea's sovereign AI push",
        "Naver and Kakao were picked for a state-backed programme to build Korean-language models.",
        "koreaherald",
        "south-korea",
        ("ai", "policy"),
    ),
    (
        "Coupang's Taiwan business doubles sales",
        "Coupang said its Taiwan operation doubled sales from a year earlier.",
        "reuters",
        "south-korea",
        ("ecommerce",),
    ),
    (
        "SoftBank sells its remaining T-Mobile stake to fund AI bets",
        "SoftBank Group sold its last T-Mobile shares. The proceeds go to its AI investments.",
        "nikkei",
        "japan",
        ("ai", "funding"),
    ),
    (
        "Sony spins off its financial arm",
        "Sony completed the spin-off of Sony Financial Group, listed in Tokyo.",
        "nikkei",
        "japan",
        ("ipo",),
    ),
    (
        "Tier IV starts robotaxi trials in Tokyo",
        "Autonomous-driving start-up Tier IV began driverless taxi trials in central Tokyo.",
        "restofworld",
        "japan",
        ("mobility",),
    ),
    (
        "Foxconn lifts AI server revenue forecast",
        "Foxconn said AI server revenue would more than double next year.",
        "digitimes",
        "taiwan",
        ("ai-chips",),
    ),
    (
        "MediaTek unveils a data-centre chip with Nvidia",
        "MediaTek showed a data-centre processor co-designed with Nvidia.",
        "digitimes",
        "taiwan",
        ("ai-chips",),
    ),
    (
        "Kazakhstan builds a supercomputer with Nvidia chips",
        "Kazakhstan switched on a national supercomputer built with Nvidia GPUs.",
        "restofworld",
        "rest-of-asia",
        ("ai",),
    ),
    (
        "Bangladesh's bKash gets a digital bank licence",
        "Mobile-money firm bKash won a licence to run a digital bank.",
        "restofworld",
        "rest-of-asia",
        ("fintech",),
    ),
    (
        "Pinduoduo's Temu slows US spending",
        "Temu cut its US advertising after tariff changes.",
        "scmp",
        "china",
        ("ecommerce",),
    ),
    (
        "Paytm returns to profit",
        "Paytm posted a quarterly profit as payment volumes grew.",
        "inc42",
        "india",
        ("fintech",),
    ),
]


def settings() -> Settings:
    return Settings(
        name="Asia Tech Review",
        editor="Jane Tan",
        timezone="Asia/Singapore",
        base_url="https://news.example.org/issues/",
        style={
            "atr": StyleSettings(
                ps="Asia Tech Review is also on LinkedIn and Bluesky.",
                signup="https://news.example.org/subscribe",
                contact="editor@example.org",
            ),
            "techasia": StyleSettings(
                host="Kenji Sato",
                city="Tokyo",
                footer="#techAsia is co-ordinated by Kenji Sato in Tokyo, with help from the Singapore desk.",
                signup="https://news.example.org/techasia",
                contact="techasia@example.org",
            ),
        },
    )


def _stories(extra: int = 0, hostile: bool = True) -> list[Story]:
    out: list[Story] = []
    n = 0
    for title, summary, source, region, themes in ROWS:
        n += 1
        out.append(story(item(n, title, summary, source, region, themes)))
    # Multi-outlet stories: the lead gets "also covered by".
    out[0] = story(
        out[0].lead,
        item(900, "TSMC capex jumps", "TSMC will spend more.", "ft", "taiwan"),
        item(901, "TSMC ups spending", "More capex.", "digitimes", "taiwan"),
    )
    out[1] = story(out[1].lead, item(902, "Grab in the black", "Grab made money.", "ft", "southeast-asia"))
    out[4] = story(out[4].lead, item(903, "Huawei Ascend ships", "Shipping now.", "scmp", "china"))
    if hostile:
        for k, (title, summary) in enumerate(HOSTILE):
            n += 1
            region = REGIONS[k % len(REGIONS)][0]
            out.append(story(item(n, title, summary, "scmp", region, ("ai",))))
    for k in range(extra):
        n += 1
        region = REGIONS[k % len(REGIONS)][0]
        out.append(
            story(
                item(
                    n,
                    f"Extra story {k} about a start-up in {region}",
                    f"Extra story {k} about a start-up in {region} raised ${k + 1}mn from investors "
                    "in the region, and it plans to hire engineers and expand to two more markets next year.",
                    "krasia",
                    region,
                    ("funding",),
                )
            )
        )
    return out


def atr_plan(extra: int = 0, hostile: bool = True, per_section: int = 100) -> IssuePlan:
    stories = _stories(extra, hostile)
    leads = tuple(stories[:3])
    rest = stories[3:]
    sections = []
    for key, title in REGIONS:
        chosen = tuple(s for s in rest if s.labels.region == key)[:per_section]
        sections.append(Section(key, title, chosen))
    return IssuePlan(WEEK, "atr", leads, tuple(sections), (), dict(SOURCE_NAMES), PAYWALLED, len(stories))


THEMES = [("ai-chips", "AI chips"), ("ipo", "IPOs"), ("ai", "AI")]


def techasia_plan(extra: int = 0, hostile: bool = True) -> IssuePlan:
    stories = _stories(extra, hostile)
    leads = (stories[0], stories[2], stories[7])
    rest = [s for s in stories if s not in leads]
    sections = []
    used: set[str] = set()
    for key, title in THEMES:
        chosen = tuple(s for s in rest if key in s.labels.themes and s.id not in used)[:3]
        used.update(s.id for s in chosen)
        sections.append(Section(key, title, chosen))
    reads = tuple(s for s in rest if s.id not in used)[:10]
    topics = ("TSMC's capex", "Rapidus funding", "Zepto's round")
    return IssuePlan(
        WEEK, "techasia", leads, tuple(sections), reads, dict(SOURCE_NAMES), PAYWALLED, len(stories), topics
    )
