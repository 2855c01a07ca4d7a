"""Draft stage: the editor's draft is created, regenerated while untouched, merged once edited, never lost."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from pathlib import Path

import pytest
from golden.fixture_plan import WEEK, atr_plan, item, settings, story, techasia_plan

from newsletter.errors import DraftConflict, RenderError
from newsletter.models import IssuePlan, Story
from newsletter.workspace import Workspace
from newsletter.write import draft, draftfile, ledes, render

NOW = dt.datetime(2026, 11, 23, 9, 30, 5)
MARK_RE = re.compile(r"<!-- item:([0-9a-f]{16})(?: story:[0-9a-f]{16})?(?: fp:[0-9a-f]{10}) -->")


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return Workspace.init(tmp_path / "ws")


def with_new(plan: IssuePlan, section: str, *stories: Story) -> IssuePlan:
    sections = tuple(
        dataclasses.replace(s, stories=(*s.stories, *stories)) if s.key == section else s
        for s in plan.sections
    )
    return dataclasses.replace(plan, sections=sections)


def fresh(n: int, region: str, title: str) -> Story:
    return story(item(n, title, f"{title} in a sentence of its own.", "reuters", region))


def test_draft_path_is_issues_week_style(ws: Workspace) -> None:
    assert ws.draft_path(WEEK, "atr") == ws.issues / "2026-W47" / "atr.md"


@pytest.mark.parametrize("style", ["atr", "techasia"])
def test_new_draft_has_front_matter_and_a_marker_per_story(ws: Workspace, style: str) -> None:
    plan = atr_plan() if style == "atr" else techasia_plan()
    result = draft.write_draft(ws, settings(), plan)
    assert result.action == "created" and result.backup is None
    d = draftfile.read_draft(result.path)
    for key in ("title", "subtitle", "date", "week", "style", "host", "city", "intro", "preheader"):
        assert key in d.front, key
    assert d.front["week"] == "2026-W47" and d.front["style"] == style and d.front["date"] == "2026-11-22"
    expected = {
        s.lead.id for s in [*plan.leads, *(x for sec in plan.sections for x in sec.stories), *plan.reads]
    }
    marks = MARK_RE.findall(d.body)
    assert sorted(marks) == sorted(expected) and result.added == len(expected)
    assert "lorem" not in result.path.read_text(encoding="utf-8").lower()


def test_atr_front_matter_holds_the_letter_parts(ws: Workspace) -> None:
    d = draftfile.read_draft(draft.write_draft(ws, settings(), atr_plan()).path)
    assert d.front["title"] == "TSMC raises its capex plan to $52B as AI orders climb"
    assert d.front["subtitle"].startswith(
        "Plus: Grab posts its first full-year profit, Japan approves another"
    )
    assert d.front["greeting"] == "Welcome back,"
    assert d.front["sign_off"] == "Catch you again next week," and d.front["signature"] == "Jane"
    paragraphs = [p for p in d.front["intro"].split("\n\n") if p.strip()]
    assert 2 <= len(paragraphs) <= 5
    assert "TSMC raises its capex plan" in paragraphs[0]
    assert any(p.startswith("Elsewhere: Grab posts its first full-year profit;") for p in paragraphs)


def test_techasia_front_matter_has_host_and_city(ws: Workspace) -> None:
    d = draftfile.read_draft(draft.write_draft(ws, settings(), techasia_plan()).path)
    assert (d.front["host"], d.front["city"]) == ("Kenji Sato", "Tokyo")
    assert d.front["title"] == "TSMC's capex and Rapidus funding"  # two topics, not two headlines


def test_techasia_intro_counts_and_names_every_story_below_it(ws: Workspace) -> None:
    plan = techasia_plan()
    d = draftfile.read_draft(draft.write_draft(ws, settings(), plan).path)
    opening = next(p for p in d.front["intro"].split("\n\n") if "stood out" in p)
    assert len(plan.leads) == 3 and "\nThree stories stood out this week: " in opening
    told = [s.lead.title.rstrip(".") for s in plan.leads]
    assert all(t in opening for t in told), (opening, told)
    one = dataclasses.replace(plan, leads=plan.leads[:1])
    d = draftfile.read_draft(draft.write_draft(ws, settings(), one, force=True).path)
    assert "One story stood out this week: " in d.front["intro"]


def test_redraft_of_an_untouched_draft_is_unchanged_or_regenerated(ws: Workspace) -> None:
    first = draft.write_draft(ws, settings(), atr_plan())
    text = first.path.read_text(encoding="utf-8")
    again = draft.write_draft(ws, settings(), atr_plan())
    assert again.action == "unchanged" and first.path.read_text(encoding="utf-8") == text
    newer = with_new(atr_plan(), "japan", fresh(700, "japan", "Nintendo opens a Kyoto lab"))
    third = draft.write_draft(ws, settings(), newer)
    assert third.action == "replaced" and third.backup is None
    assert "Nintendo opens a Kyoto lab" in third.path.read_text(encoding="utf-8")


def _edit(path: Path) -> str:
    """What an editor does: rewrite the letter, delete one entry, move one to another region, reorder."""
    text = path.read_text(encoding="utf-8")
    text = text.replace("The story I kept coming back to this week:", "My own opening, rewritten by hand:")
    lines = text.split("\n")
    bka = next(i for i, line in enumerate(lines) if "bKash" in line)
    deleted = lines.pop(bka)  # the editor drops the bKash entry
    byd = next(i for i, line in enumerate(lines) if line.startswith("BYD opens its first plant in Hungary"))
    moved = lines.pop(byd)  # ... and moves BYD from China to the end of Japan
    taiwan = lines.index("<!-- section:taiwan -->")
    lines[taiwan:taiwan] = [moved, ""]
    path.write_text("\n".join(lines), encoding="utf-8")
    assert "bKash" in deleted
    return path.read_text(encoding="utf-8")


def test_redraft_merges_new_items_and_keeps_every_edit(ws: Workspace) -> None:
    path = draft.write_draft(ws, settings(), atr_plan()).path
    edited = _edit(path)
    new_china = fresh(701, "china", "Xiaomi ships its own phone chip")
    new_roa = fresh(702, "rest-of-asia", "Uzbekistan opens a tech park")
    plan = with_new(with_new(atr_plan(), "china", new_china), "rest-of-asia", new_roa)
    result = draft.write_draft(ws, settings(), plan)
    assert (result.action, result.added, result.backup) == ("merged", 2, None)
    text = path.read_text(encoding="utf-8")
    # The editor's text and order are all there, in the same order.
    kept = [line for line in edited.split("\n") if line.strip()]
    now_lines = [line for line in text.split("\n") if line.strip()]
    assert [line for line in now_lines if line in kept] == kept
    assert "My own opening, rewritten by hand:" in text
    # Deleted stays deleted; moved is not duplicated.
    assert "bKash" not in text and text.count("BYD opens its first plant in Hungary") == 1
    # New entries land at the end of their own sections.
    china = text.split("## China", 1)[1].split("<!-- section:india -->", 1)[0]
    assert (
        china.rstrip()
        .split("\n")[-1]
        .startswith("Xiaomi ships its own phone chip in a sentence of its own [link]")
    )
    roa = text.split("## RoA", 1)[1]
    assert roa.rstrip().split("\n")[-1].startswith("Uzbekistan opens a tech park")
    # Running it again adds nothing more.
    again = draft.write_draft(ws, settings(), plan)
    assert again.action == "unchanged" and path.read_text(encoding="utf-8") == text


def test_merge_adds_a_section_the_draft_did_not_have_in_house_order(ws: Workspace) -> None:
    plan = atr_plan()
    no_taiwan = dataclasses.replace(plan, sections=tuple(s for s in plan.sections if s.key != "taiwan"))
    path = draft.write_draft(ws, settings(), no_taiwan).path
    path.write_text(path.read_text(encoding="utf-8").replace("Welcome back,", "Hi all,"), encoding="utf-8")
    result = draft.write_draft(ws, settings(), plan)
    assert result.action == "merged" and result.added == 2
    text = path.read_text(encoding="utf-8")
    assert text.index("## Japan") < text.index("## Taiwan") < text.index("## RoA")
    assert "Hi all," in text


def test_merge_continues_the_numbered_reads(ws: Workspace) -> None:
    plan = techasia_plan()
    short = dataclasses.replace(plan, reads=plan.reads[:8])
    path = draft.write_draft(ws, settings(), short).path
    text = path.read_text(encoding="utf-8").replace("Below, I go through", "Below, I walk through")
    path.write_text(text, encoding="utf-8")
    assert draft.write_draft(ws, settings(), plan).added == 2
    md = render.render_view(ws, settings(), WEEK, "techasia", "md")
    numbers = [int(n) for n in re.findall(r"^(\d+)\. \[", md, re.MULTILINE)]
    assert numbers == list(range(1, 11))
    assert "\n\n9. " not in md  # the list stays tight


def test_new_lead_story_joins_news_in_focus(ws: Workspace) -> None:
    plan = atr_plan()
    path = draft.write_draft(ws, settings(), dataclasses.replace(plan, leads=plan.leads[:2])).path
    path.write_text(path.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert draft.write_draft(ws, settings(), plan).action == "merged"
    text = path.read_text(encoding="utf-8")
    focus = text.split("## News in focus", 1)[1].split("<!-- section:china -->", 1)[0]
    assert "### Japan approves another ¥1tn for Rapidus" in focus


def test_a_draft_without_its_record_merges_from_its_own_markers(ws: Workspace) -> None:
    """A copy of the issue folder without dot-files: the draft itself says what it holds and dropped."""
    path = draft.write_draft(ws, settings(), atr_plan()).path
    _edit(path)  # rewrites the letter, deletes bKash, moves BYD
    first = with_new(atr_plan(), "china", fresh(705, "china", "Xiaomi ships its own phone chip"))
    assert draft.write_draft(ws, settings(), first).action == "merged"
    text = path.read_text(encoding="utf-8")
    bkash = next(s for s in atr_plan().sections[-1].stories if "bKash" in s.lead.title)
    assert f"<!-- dropped:{bkash.id} -->" in text, "the deletion the record saw is now in the draft itself"
    draftfile.state_path(path).unlink()
    second = with_new(first, "japan", fresh(706, "japan", "Nintendo opens a Kyoto lab"))
    result = draft.write_draft(ws, settings(), second)
    assert (result.action, result.added) == ("merged", 1)
    after = path.read_text(encoding="utf-8")
    kept = [line for line in text.split("\n") if line.strip()]
    assert [line for line in after.split("\n") if line in kept] == kept, (
        "every line of the editor's, in order"
    )
    assert "Nintendo opens a Kyoto lab" in after and "bKash" not in after
    assert (
        after.count("Xiaomi ships its own phone chip") == 1
        and after.count("BYD opens its first plant in Hungary") == 1
    )
    assert draftfile.state_path(path).exists(), "the record is made again"
    assert draft.write_draft(ws, settings(), second).action == "unchanged"


def test_a_damaged_record_is_no_worse_than_none(ws: Workspace) -> None:
    path = draft.write_draft(ws, settings(), atr_plan()).path
    record = draftfile.state_path(path)
    state = json.loads(record.read_text(encoding="utf-8"))
    del state["stories"]
    record.write_text(json.dumps(state), encoding="utf-8")
    path.write_text(path.read_text(encoding="utf-8") + "\nMy note.\n", encoding="utf-8")
    result = draft.write_draft(
        ws, settings(), with_new(atr_plan(), "china", fresh(704, "china", "New thing"))
    )
    text = path.read_text(encoding="utf-8")
    assert (result.action, result.added) == ("merged", 1) and "My note." in text and "New thing" in text


def test_an_entry_dropped_by_marker_stays_out_and_out_of_every_output(ws: Workspace) -> None:
    path = draft.write_draft(ws, settings(), atr_plan()).path
    draftfile.state_path(path).unlink()
    lines = path.read_text(encoding="utf-8").split("\n")
    at = next(i for i, line in enumerate(lines) if line.startswith("Shein filed again"))
    shein = MARK_RE.search(lines[at]).group(1)
    lines[at] = f"<!-- dropped:{shein} -->"  # what the desk (or the editor) leaves for a dropped entry
    path.write_text("\n".join(lines), encoding="utf-8")
    assert draft.write_draft(ws, settings(), atr_plan()).action == "unchanged"
    assert "Shein filed again" not in path.read_text(encoding="utf-8")
    outputs = render.build_outputs(ws, settings(), WEEK, "atr", ["all"])
    for out in outputs.paths:
        body = out.read_text(encoding="utf-8")
        assert "dropped" not in body and "fp:" not in body and "item:" not in body, out.name


def test_edited_draft_with_broken_front_matter_refuses_naming_the_line(ws: Workspace) -> None:
    path = draft.write_draft(ws, settings(), atr_plan()).path
    text = path.read_text(encoding="utf-8").replace("greeting: Welcome back,", "greeting: [Welcome back,")
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DraftConflict, match=r"line \d+") as err:
        draft.write_draft(ws, settings(), atr_plan())
    assert "--force" in str(err.value) and path.read_text(encoding="utf-8") == text


def test_draft_of_another_week_refuses(ws: Workspace) -> None:
    path = draft.write_draft(ws, settings(), atr_plan()).path
    path.write_text(
        path.read_text(encoding="utf-8").replace("week: 2026-W47", "week: 2026-W12"), encoding="utf-8"
    )
    with pytest.raises(DraftConflict, match="week: 2026-W12, not 2026-W47"):
        draft.write_draft(ws, settings(), with_new(atr_plan(), "china", fresh(703, "china", "New")))


def test_force_keeps_a_timestamped_backup(ws: Workspace) -> None:
    path = draft.write_draft(ws, settings(), atr_plan()).path
    mine = path.read_text(encoding="utf-8").replace("Welcome back,", "Dear readers,")
    path.write_text(mine, encoding="utf-8")
    result = draft.write_draft(ws, settings(), atr_plan(), force=True, now=NOW)
    assert result.action == "replaced"
    assert result.backup == path.with_name("atr.backup-20261123-093005.md")
    assert result.backup.read_text(encoding="utf-8") == mine
    assert "Welcome back," in path.read_text(encoding="utf-8")
    # A second force in the same second never overwrites the first backup.
    second = draft.write_draft(ws, settings(), atr_plan(), force=True, now=NOW)
    assert second.backup is not None and second.backup != result.backup and result.backup.exists()


def test_state_records_what_was_generated(ws: Workspace) -> None:
    path = draft.write_draft(ws, settings(), atr_plan()).path
    state = json.loads(draftfile.state_path(path).read_text(encoding="utf-8"))
    assert state["version"] == 1 and len(state["sha256"]) == 64
    assert atr_plan().leads[0].also[0].id in state["items"]
    # The record is hidden and never mistaken for an issue by the archive.
    assert draftfile.state_path(path).name.startswith(".")


def test_broken_draft_template_raises_render_error_and_keeps_the_draft(ws: Workspace) -> None:
    path = draft.write_draft(ws, settings(), atr_plan()).path
    before = path.read_text(encoding="utf-8")
    (ws.templates / "atr" / "draft.md.j2").write_text("{% for %}\n")
    with pytest.raises(RenderError, match=r"draft\.md\.j2:1:"):
        draft.write_draft(ws, settings(), atr_plan(), force=True)
    assert path.read_text(encoding="utf-8") == before
    assert not list(path.parent.glob("*.backup-*"))


# -- the editor's labels act on an existing draft ------------------------------------------------


def relabel(plan: IssuePlan, word: str, region: str | None) -> tuple[IssuePlan, Story]:
    """The plan once the editor labelled the story whose title has `word`: it leaves its section for
    `region`'s (None: for no section, as a label to a region the style does not show)."""
    found = next(s for sec in plan.sections for s in sec.stories if word in s.lead.title)
    labels = dataclasses.replace(found.lead.labels, region=region or "global", overridden=True)
    moved = dataclasses.replace(found, lead=dataclasses.replace(found.lead, labels=labels))
    sections = []
    for sec in plan.sections:
        stories = tuple(s for s in sec.stories if s.id != found.id)
        if sec.key == region:
            stories = (*stories, moved)
        sections.append(dataclasses.replace(sec, stories=stories))
    return dataclasses.replace(plan, sections=tuple(sections)), moved


def section_of(text: str, line_start: str) -> str:
    key = ""
    for line in text.split("\n"):
        if m := re.match(r"<!-- section:([\w-]+) -->", line):
            key = m.group(1)
        if line.startswith(line_start):
            return key
    raise AssertionError(f"no line starts with {line_start!r}")


def edited_letter(path: Path) -> str:
    text = path.read_text(encoding="utf-8").replace(
        "The story I kept coming back to", "What I kept thinking about"
    )
    path.write_text(text, encoding="utf-8")
    return text


def test_a_label_moves_an_untouched_entry_of_an_edited_draft(ws: Workspace) -> None:
    path = draft.write_draft(ws, settings(), atr_plan()).path
    edited_letter(path)
    plan, byd = relabel(atr_plan(), "BYD", "japan")
    result = draft.write_draft(ws, settings(), plan, labelled=[byd])
    text = path.read_text(encoding="utf-8")
    assert result.action == "merged" and result.added == 0
    assert (
        section_of(text, "BYD opens its first plant in Hungary") == "japan"
        and text.count("BYD opens its first plant in Hungary") == 1
    )
    assert "What I kept thinking about" in text, "the editor's letter stays"
    assert result.notes == (
        f"BYD opens its first plant in Hungary ({byd.lead.id}): moved from China to Japan",
    )
    again = draft.write_draft(ws, settings(), plan, labelled=[byd])
    assert again.action == "unchanged" and not again.notes and path.read_text(encoding="utf-8") == text


def test_a_label_leaves_an_entry_the_editor_rewrote_or_moved_and_says_so(ws: Workspace) -> None:
    path = draft.write_draft(ws, settings(), atr_plan()).path
    text = edited_letter(path).replace(
        "BYD opens its first plant in Hungary", "BYD, as I wrote last week, opens its first plant in Hungary"
    )
    path.write_text(text, encoding="utf-8")
    plan, byd = relabel(atr_plan(), "BYD", "japan")
    result = draft.write_draft(ws, settings(), plan, labelled=[byd])
    assert path.read_text(encoding="utf-8") == text and result.action == "unchanged"
    assert len(result.notes) == 1 and "not moved to Japan" in result.notes[0]
    assert "you moved or rewrote its entry in China" in result.notes[0]
    # Moved by hand to Taiwan, untouched otherwise: the editor's placement wins too.
    path = draft.write_draft(ws, settings(), atr_plan(), force=True).path
    lines = edited_letter(path).split("\n")
    entry = lines.pop(
        next(i for i, line in enumerate(lines) if line.startswith("BYD opens its first plant in Hungary"))
    )
    lines.insert(lines.index("<!-- section:rest-of-asia -->"), entry + "\n")
    path.write_text("\n".join(lines), encoding="utf-8")
    result = draft.write_draft(ws, settings(), plan, labelled=[byd])
    assert section_of(path.read_text(encoding="utf-8"), "BYD opens its first plant in Hungary") == "taiwan"
    assert "you moved or rewrote its entry in Taiwan" in result.notes[0]


def test_a_label_out_of_every_section_takes_an_untouched_entry_out_and_back(ws: Workspace) -> None:
    path = draft.write_draft(ws, settings(), atr_plan()).path
    edited_letter(path)
    plan, shein = relabel(atr_plan(), "Shein", None)
    result = draft.write_draft(ws, settings(), plan, labelled=[shein])
    assert "Shein filed again" not in path.read_text(encoding="utf-8")
    assert result.notes == (
        f"Shein refiles for a Hong Kong listing ({shein.lead.id}): "
        "taken out of China: its label keeps it out",
    )
    back, shein_hk = relabel(atr_plan(), "Shein", "china")
    result = draft.write_draft(ws, settings(), back, labelled=[shein_hk])
    assert section_of(path.read_text(encoding="utf-8"), "Shein filed again") == "china", (
        "not taken for dropped"
    )


def test_build_mode_applies_labels_only_even_to_an_untouched_draft(ws: Workspace) -> None:
    path = draft.write_draft(ws, settings(), atr_plan()).path
    plan, byd = relabel(atr_plan(), "BYD", "japan")
    plan = with_new(plan, "india", fresh(707, "india", "Ola cuts prices"))
    result = draft.write_draft(ws, settings(), plan, labelled=[byd], labels_only=True)
    text = path.read_text(encoding="utf-8")
    assert result.action == "merged" and section_of(text, "BYD opens its first plant in Hungary") == "japan"
    assert "Ola cuts prices" not in text, "new stories wait for `newsletter draft`"
    again = draft.write_draft(ws, settings(), plan)
    assert again.action == "replaced", "still nothing of the editor's in it: regenerated whole"
    assert "Ola cuts prices" in path.read_text(encoding="utf-8")


def test_a_labelled_entry_the_editor_dropped_stays_dropped(ws: Workspace) -> None:
    path = draft.write_draft(ws, settings(), atr_plan()).path
    _edit(path)  # deletes bKash outright
    plan, bkash = relabel(atr_plan(), "bKash", "india")
    result = draft.write_draft(ws, settings(), plan, labelled=[bkash])
    assert "bKash" not in path.read_text(encoding="utf-8")
    assert "you dropped it" in result.notes[0]


def test_a_label_brings_a_story_the_plan_lacked_into_the_draft_on_build(ws: Workspace) -> None:
    """What reversing the relevance gate with `label` looks like to the draft: a story new to the plan."""
    path = draft.write_draft(ws, settings(), atr_plan()).path
    edited_letter(path)
    johor = fresh(708, "southeast-asia", "Google picks Johor for a TPU data centre")
    johor = dataclasses.replace(
        johor,
        lead=dataclasses.replace(johor.lead, labels=dataclasses.replace(johor.lead.labels, overridden=True)),
    )
    plan = with_new(
        with_new(atr_plan(), "southeast-asia", johor), "india", fresh(709, "india", "Ola cuts prices")
    )
    result = draft.write_draft(ws, settings(), plan, labelled=[johor], labels_only=True)
    text = path.read_text(encoding="utf-8")
    assert section_of(text, "Google picks Johor") == "southeast-asia" and "Ola cuts prices" not in text
    assert result.notes == (
        f"Google picks Johor for a TPU data centre ({johor.lead.id}): added to Southeast Asia",
    )


def test_a_label_into_a_group_without_a_heading_names_the_group_not_a_story(ws: Workspace) -> None:
    path = draft.write_draft(ws, settings(), techasia_plan()).path
    path.write_text(path.read_text(encoding="utf-8").replace("Hello", "Hi"), encoding="utf-8")
    plan = techasia_plan()
    extra = fresh(710, "japan", "Sony opens an AI lab in Osaka")
    extra = dataclasses.replace(
        extra,
        lead=dataclasses.replace(extra.lead, labels=dataclasses.replace(extra.lead.labels, overridden=True)),
    )
    plan = dataclasses.replace(plan, leads=(*plan.leads, extra))
    result = draft.write_draft(ws, settings(), plan, labelled=[extra], labels_only=True)
    assert result.notes == (f"Sony opens an AI lab in Osaka ({extra.lead.id}): added to the stories",)


@pytest.mark.parametrize("style", ["atr", "techasia"])
def test_a_lead_sentence_in_the_writers_voice_is_never_told_in_ours(ws: Workspace, style: str) -> None:
    """In our letter the "I" of "For bigger choices, I still trust myself more" would be the editor's. Asia
    Tech Review quotes it as the source's words; #techAsia, which tells the reporting without quotes, leaves
    it out."""
    voiced = "For bigger choices, I still trust myself more."
    lead = item(
        90,
        "Alibaba's AI agent plans a holiday for a reporter",
        "Alibaba's AI agent planned a week-long holiday in Hangzhou for a reporter. "
        f"The agent booked hotels and trains. {voiced}",
        "reuters",
        "china",
    )
    plan = atr_plan() if style == "atr" else techasia_plan()
    plan = dataclasses.replace(plan, leads=(story(lead), *plan.leads[1:]))
    body = draftfile.read_draft(draft.write_draft(ws, settings(), plan).path).body
    told = body.split("## ", 2)[1] if style == "techasia" else body.split("### ", 2)[1]
    assert "The agent booked hotels and trains." in told
    lines = [line for line in told.splitlines() if voiced in line]
    assert lines == ([f"> {voiced}"] if style == "atr" else [])


@pytest.mark.parametrize(
    ("sentence", "voiced"),
    [
        ("For bigger choices, I still trust myself more.", True),
        ("Tell us what you think of the new app.", True),
        ("Our reporter spent a week with the robots.", True),
        ("The US and China agreed to talk about chips.", False),
        ('"We will expand into Japan," the chief executive said.', False),
        ("Google I/O opens on Tuesday.", False),
    ],
)
def test_a_sentence_in_the_first_person_is_the_writers_voice(sentence: str, voiced: bool) -> None:
    assert ledes.spoken(sentence) is voiced


def test_a_lead_with_nothing_to_tell_but_its_heading_credits_the_outlet_once(ws: Workspace) -> None:
    """A headline the credit cannot tell (here in Japanese) and no summary: the story says who has it
    rather than printing its heading a second time as "X reports: ..."."""
    headline = "中国アリババ、ゲーム事業を15億ドルで売却へ"
    lead = item(91, headline, "", "reuters", "china")
    plan = dataclasses.replace(atr_plan(), leads=(story(lead), *atr_plan().leads[1:]))
    body = draftfile.read_draft(draft.write_draft(ws, settings(), plan).path).body
    told = body.split("### ", 2)[1]
    assert told.count(headline) == 1 and "has the story." in told and "reports:" not in told
    # An English headline that reads as a statement still makes the sentence.
    assert ledes.lead_sentences("Alibaba sells its games unit for $1.5bn", "", 300) == (
        "Alibaba sells its games unit for $1.5bn",
    )
