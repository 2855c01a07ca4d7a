"""Quality floors: classification, stories and a whole real week, each measured against labels.

The floors are the figures measured when they were set (see tests/data/README.md), less a small
margin for noise: a change that makes the tool worse fails here. The real week is 2026-W08 of the
shared corpus, labelled by readers who never saw the code (tests/data/realweek_labels.jsonl) and kept
out of all tuning: the gate, the entries and the outlets were tuned on other weeks.
"""

from __future__ import annotations

import collections
import datetime as dt
import json
import re
from pathlib import Path

import pytest

from newsletter.app import Newsletter
from newsletter.feeds.entries import item_id
from newsletter.feeds.urls import canonical_url
from newsletter.models import UTC, Item, Story, Week
from newsletter.sort import clustering
from newsletter.sort.classify import Classifier, load_taxonomy
from newsletter.workspace import Workspace
from tests.test_corpus import CORPUS, needs_corpus

DATA = Path(__file__).parent / "data"
ROOT = Path(__file__).resolve().parent.parent
WEEK = Week.parse("2026-W08")
LABELS = [json.loads(line) for line in (DATA / "realweek_labels.jsonl").read_text("utf-8").splitlines()]
SECTIONS = {
    "China": "china", "India": "india", "Southeast Asia": "southeast-asia", "South Korea": "south-korea",
    "Japan": "japan", "Taiwan": "taiwan", "RoA": "rest-of-asia",
}  # fmt: skip
LINK_RE = re.compile(r"(?<!\\)\]\((https?://[^)\s]+)\)")
ENTRY_RE = re.compile(r"^(?P<text>.+?) \[link(?: 🔒)?\]\((?P<url>https?://[^)\s]+)\)")
# What an outlet's name must never carry: a feed's tagline or boilerplate.
TAGLINE_RE = re.compile(r"RSS|\bFeed\b|Records Found|\s[–|>-]\s|Breaking News|Category|^\W|[\s|:>–-]$")
# An entry that is not a sentence: a teaser cut short, or one that starts in the middle of a thought.
TEASER_RE = re.compile(r"(?:…|\.\.\.|\[…\])\W*$|\b(?:with|the|of|and|to|for|a|an|in|by|from|that)$", re.I)
OPENER_RE = re.compile(r"^(?:[a-z]|(?:It|Its|This|These|They|He|She|But|And|Also|However)\b)")


# -- labelled sets ----------------------------------------------------------------------------------


def test_classification_on_the_labelled_set_stays_above_its_floor() -> None:
    clf = Classifier(load_taxonomy(ROOT / "seeds" / "taxonomy.toml"))
    rows = [json.loads(line) for line in (DATA / "classify_labelled.jsonl").read_text("utf-8").splitlines()]
    right = tp = fp = fn = 0
    for row in rows:
        labels = clf.classify(row["title"], row.get("summary", ""))
        right += labels.region == row["region"]
        got, want = set(labels.themes), set(row["themes"])
        tp, fp, fn = tp + len(got & want), fp + len(got - want), fn + len(want - got)
    assert right / len(rows) >= 0.94  # 0.953 when set
    assert tp / (tp + fp) >= 0.83  # 0.848
    assert tp / (tp + fn) >= 0.80  # 0.814


def test_story_pairs_stay_above_their_floor() -> None:
    rows = [json.loads(line) for line in (DATA / "story_pairs.jsonl").read_text("utf-8").splitlines()]
    tp = fp = fn = 0
    when = dt.datetime(2026, 3, 3, tzinfo=UTC)
    for n, row in enumerate(rows):
        pair = [
            Item(f"{2 * n + k:016x}", side.get("source") or f"s{k}", "", side["title"], side["summary"], when)
            for k, side in enumerate((row["a"], row["b"]))
        ]
        merged = len(clustering.cluster(pair, threshold=0.5, source_weight={})) == 1
        tp, fp, fn = (
            tp + (merged and row["same"]),
            fp + (merged and not row["same"]),
            fn + (row["same"] and not merged),
        )
    assert tp / (tp + fp) >= 0.95  # 0.985 when set
    assert tp / (tp + fn) >= 0.85  # 0.890


# -- a real week ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def week(tmp_path_factory: pytest.TempPathFactory) -> tuple[Newsletter, dict[str, str]]:
    """2026-W08 built from the corpus's February 2026 feeds, as a new user would: ingest, then build."""
    ws = Workspace.init(tmp_path_factory.mktemp("w08") / "ws")
    (ws.seeds / "sources.toml").write_text("", encoding="utf-8")
    settings = ws.settings_path.read_text(encoding="utf-8")
    ws.settings_path.write_text(re.sub(r"(?m)^timezone = .*$", 'timezone = "UTC"', settings), "utf-8")
    app = Newsletter(ws, now=lambda: dt.datetime(2026, 2, 23, tzinfo=UTC))
    files = sorted(str(p) for p in (CORPUS / "real-feeds").glob("*2026-02*"))
    assert len(files) >= 10
    summary = app.ingest(files)
    assert not summary.failed
    app.build(WEEK, formats=("md",))
    outputs = {
        style: (ws.issues / str(WEEK) / f"{style}.paste.md").read_text("utf-8")
        for style in ("atr", "techasia")
    }
    return app, outputs


def _labels(week_name: str) -> dict[str, dict]:
    return {row["id"]: row for row in LABELS if row["week"] == week_name}


def _linked(markdown: str) -> list[str]:
    body = markdown.split("\n---\n")[0]  # the footer's links are ours
    return [item_id(canonical_url(url)) for url in LINK_RE.findall(body)]


@needs_corpus
def test_a_real_week_holds_asia_tech_stories_and_little_else(week) -> None:
    _, outputs = week
    labels = _labels(str(WEEK))
    wanted = {i for i, row in labels.items() if row["tech"] and row["asia"] and row["news"]}
    stories = {labels[i]["story"] for i in wanted}
    shares, placed = [], []
    for style, markdown in outputs.items():
        linked = [i for i in _linked(markdown) if i in labels]
        assert linked, style
        shares.append(sum(i in wanted for i in linked) / len(linked))
        placed.append({labels[i]["story"] for i in linked if i in wanted})
    assert min(shares) >= 0.9, shares  # 1.00 in both styles when set (0.80 and 0.78 before the list rule)
    assert all(len(p) >= 6 for p in placed) and len(placed[0] | placed[1]) >= 7, (len(stories), placed)


@needs_corpus
def test_a_real_weeks_region_entries_are_sentences_in_the_right_section(week) -> None:
    _, outputs = week
    labels = _labels(str(WEEK))
    section, right, wrong = None, 0, 0
    for line in outputs["atr"].splitlines():
        heading = re.match(r"^## (.+)$", line)
        if heading:
            section = SECTIONS.get(heading.group(1).strip())
            continue
        entry = ENTRY_RE.match(line)
        if section is None or entry is None:
            continue
        text = entry["text"].strip()
        assert not TEASER_RE.search(text) and not OPENER_RE.match(text) and len(text) >= 15, line
        label = labels.get(item_id(canonical_url(entry["url"])))
        if label is not None:
            right += label["region"] == section
            wrong += label["region"] != section
    assert right + wrong >= 1 and right / (right + wrong) >= 0.8, (right, wrong)  # 5 of 5 when set


@needs_corpus
def test_a_real_week_names_outlets_cleanly_and_shows_each_item_once(week) -> None:
    app, outputs = week
    for style, markdown in outputs.items():
        counts = collections.Counter(_linked(markdown))
        assert [i for i, n in counts.items() if n > 1] == [], style
        named = re.findall(r"\[([^\]]+)\]\(https?://", markdown) + re.findall(
            r"\(([^()]+)\)\s*$", markdown, re.M
        )
        outlets = {n for n in named if n not in ("link", "link 🔒") and not n.startswith("http")}
        assert not [n for n in outlets if TAGLINE_RE.search(n)], style
        assert "…" not in markdown.replace("…)", ""), style  # no teaser anywhere, lead paragraphs included
    assert all(not TAGLINE_RE.search(name) for name in app.source_names().values())


@needs_corpus
def test_the_gate_on_feeds_it_was_never_tuned_on(tmp_path: Path) -> None:
    """18 corpus feeds no tuning looked at (Hacker News, Daring Fireball, TechCrunch, Golem, Mint, GeekPark,
    ...: 496 items, mostly Western tech), labelled afterwards by readers given only the items and the
    rubric (tests/data/unseen_feeds_labels.jsonl). The gate keeps Asia tech news and little else."""
    rows = [json.loads(line) for line in (DATA / "unseen_feeds_labels.jsonl").read_text("utf-8").splitlines()]
    ws = Workspace.init(tmp_path / "ws")
    (ws.seeds / "sources.toml").write_text("", encoding="utf-8")
    app = Newsletter(ws)
    summary = app.ingest(sorted(str(CORPUS / "real-feeds" / f) for f in {row["file"] for row in rows}))
    assert not summary.failed
    passed = {item.id: bool(item.verdict and item.verdict.passed) for item, _ in app.items(None)}
    assert {row["id"] for row in rows} <= set(passed)
    want = {row["id"] for row in rows if row["tech"] and row["asia"] and row["news"]}
    got = {row["id"] for row in rows if passed[row["id"]]}
    assert len(got & want) / len(got) >= 0.58, (len(got & want), len(got))  # 31 of 49 (0.63) when set
    assert len(got & want) / len(want) >= 0.65, (len(got & want), len(want))  # 31 of 43 (0.72)
    # Most of these feeds are about the rest of the world: almost nothing of theirs may pass.
    kept_out = [row for row in rows if not row["asia"]]
    assert sum(passed[row["id"]] for row in kept_out) / len(kept_out) <= 0.04  # 6 of 416 when set


def _story_of(app: Newsletter, week_name: str) -> dict[str, str]:
    """Item id -> story id, as the week's build clusters them."""
    return {item.id: story.id for item, story in app.items(Week.parse(week_name))}


@needs_corpus
def test_the_same_story_from_two_outlets_is_one_story(week) -> None:
    app, _ = week
    stories = _story_of(app, str(WEEK))
    shein = [i for i, row in _labels(str(WEEK)).items() if row["story"] == "shein-eu-dsa-probe"]
    assert len(shein) == 2 and stories[shein[0]] == stories[shein[1]]


@needs_corpus
@pytest.mark.parametrize(
    ("week_name", "glob", "same", "apart"),
    [
        ("2018-W22", "*2018-06*", "softbank-vision-fund-cruise-investment", ""),
        ("2026-W33", "*2026-08*", "gemini-3-7-flash", "google-gemini-visible-watermark-toggle"),
    ],
)
def test_stories_across_scripts_and_versions(
    tmp_path: Path, week_name: str, glob: str, same: str, apart: str
) -> None:
    ws = Workspace.init(tmp_path / "ws")
    (ws.seeds / "sources.toml").write_text("", encoding="utf-8")
    app = Newsletter(ws)
    app.ingest(sorted(str(p) for p in (CORPUS / "real-feeds").glob(glob)))
    stories = _story_of(app, week_name)
    labels = _labels(week_name)
    together = {stories[i] for i, row in labels.items() if row["story"] == same and i in stories}
    assert len(together) == 1
    if apart:
        other = {stories[i] for i, row in labels.items() if row["story"] == apart and i in stories}
        assert other and not other & together


def test_story_ids_are_shared_by_the_items_of_one_story() -> None:
    """A guard for the helpers above: a story's items carry its id."""
    when = dt.datetime(2026, 3, 3, tzinfo=UTC)
    items = [Item(f"{n:016x}", f"s{n}", "", "Zepto raises $450 million", "", when) for n in range(2)]
    (story,) = clustering.cluster(items, threshold=0.5, source_weight={})
    assert isinstance(story, Story) and {it.story_id for it in story.items} == {story.id}
