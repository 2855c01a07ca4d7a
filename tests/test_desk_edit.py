"""Draft edits one entry at a time (write/desk_edit.py) on a real drafted week, and how redrafts read them."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from newsletter.errors import DeskError, DraftConflict
from newsletter.models import Section, Story, Week
from newsletter.sort import curate
from newsletter.write import desk_edit as de
from newsletter.write import draft, draft_merge, draftfile
from newsletter.write.placer import Placer


@pytest.fixture
def app(fetched_app):
    return fetched_app


@pytest.fixture
def week(app) -> Week:
    return app.resolve_week(None)[0]


def setup(app, week: Week, style: str) -> tuple[Path, list[Story], Placer]:
    stories, count = app.ranked_week(week)
    path = app.draft(week, style, ranked=(stories, count)).path
    plan = app.plan(week, style, (stories, count))
    sections = curate.style_sections(style, app.settings().style_settings(style), app.taxonomy())
    placer = Placer(draft.body_renderer(app.ws, app.settings()), plan, sections, stories[0])
    return path, stories, placer


def missing(text: str, stories: list[Story], region: str | None = None) -> Story:
    """A story the draft does not hold (of a region, when given) that the gate let in."""
    outline = de.outline(text)
    for story in stories:
        ids = [story.id, *(i.id for i in story.items)]
        passed = story.lead.verdict is None or story.lead.verdict.passed
        if passed and outline.find(ids) is None and region in (None, story.labels.region):
            return story
    raise AssertionError("every story is drafted")


def where(text: str, item_id: str) -> str:
    entry = de.outline(text).find([item_id])
    assert entry is not None, item_id
    return entry.group


def order(text: str, group: str) -> list[str]:
    return [e.item_id for g in de.outline(text).groups if g.key == group for e in g.entries]


def test_groups_are_read_off_the_templates(app, week: Week) -> None:
    _, _, atr = setup(app, week, "atr")
    assert atr.order[0] == "focus" and atr.lead_key == "focus" and atr.reads_key == ""
    assert {"china", "india", "japan", "rest-of-asia"} <= set(atr.order)
    assert atr.titles["focus"] == "News in focus" and atr.titles["rest-of-asia"] == "RoA"
    _, _, techasia = setup(app, week, "techasia")
    assert techasia.order == ["stories", "reads"] and techasia.titles["stories"] == ""


def test_add_puts_a_story_in_its_region_as_the_draft_writes_it(app, week: Week) -> None:
    path, stories, placer = setup(app, week, "atr")
    text = path.read_text()
    story = next(
        s
        for s in stories
        if s.labels.region in placer.order and de.outline(text).find([s.id, *(i.id for i in s.items)]) is None
    )
    region = story.labels.region
    assert placer.default_key(story) == region
    after = de.add(text, story, region, placer)
    assert order(after, region)[-1] == story.lead.id
    entry = de.outline(after).find([story.id])
    assert entry is not None and entry.untouched  # the generator's own text, stamped for its group
    # The same words the draft's template writes for this story in a region section.
    section = dataclasses.replace(placer.plan, leads=(), reads=(), sections=(Section(region, "x", (story,)),))
    rendered = draft.body_renderer(app.ws, app.settings())(section)
    assert entry.markdown in draftfile.ITEM_MARK_RE.sub("", rendered)
    with pytest.raises(DeskError, match="in the draft already"):
        de.add(after, story, "japan", placer)


def test_techasia_adds_to_suggested_reads_and_numbers_the_list(app, week: Week) -> None:
    path, stories, placer = setup(app, week, "techasia")
    text = path.read_text()
    story = missing(text, stories)
    assert placer.default_key(story) == "reads"
    after = de.add(text, story, "reads", placer)
    numbers = re.findall(r"^(\d+)\. ", after, re.M)
    assert (
        numbers == [str(n) for n in range(1, len(numbers) + 1)]
        and len(numbers) == len(order(text, "reads")) + 1
    )


def test_a_dropped_entry_stays_out_of_redrafts_even_without_the_record(app, week: Week) -> None:
    path, stories, _ = setup(app, week, "atr")
    text = path.read_text()
    victim = de.outline(text).groups[1].entries[0]
    after = de.drop(text, victim.item_id)
    assert de.outline(after).find([victim.item_id]) is None
    assert victim.item_id in de.outline(after).dropped
    de.save(path, de.version(text), after)
    draftfile.state_path(path).unlink()  # the hidden record is lost
    app.draft(week, "atr")
    redrafted = path.read_text()
    assert de.outline(redrafted).find([victim.item_id, victim.story_id]) is None
    assert f"dropped:{victim.item_id}" in redrafted


def test_adding_a_dropped_story_brings_it_back(app, week: Week) -> None:
    path, stories, placer = setup(app, week, "atr")
    text = path.read_text()
    victim = de.outline(text).groups[2].entries[1]
    story = next(s for s in stories if s.id == victim.story_id)
    back = de.add(de.drop(text, victim.item_id), story, victim.group, placer)
    assert where(back, victim.item_id) == victim.group
    assert not de.outline(back).dropped


def test_up_and_down_reorder_within_the_group_and_keep_entries_the_generators(app, week: Week) -> None:
    path, _, _ = setup(app, week, "atr")
    text = path.read_text()
    china = order(text, "china")
    after = de.shift(text, china[2], -1)
    assert order(after, "china") == [china[0], china[2], china[1], *china[3:]]
    assert all(e.untouched for g in de.outline(after).groups for e in g.entries)
    assert de.shift(after, china[2], 1) == text  # and back, byte for byte
    assert de.shift(text, china[0], -1) == text  # the first stays first


def test_a_moved_entry_is_rendered_for_its_new_group_and_counts_as_the_editors(app, week: Week) -> None:
    path, stories, placer = setup(app, week, "atr")
    text = path.read_text()
    entry = de.outline(text).groups[1].entries[0]  # a one-line entry in a region
    story = next(s for s in stories if s.id == entry.story_id)
    after = de.move(text, entry.item_id, "focus", story, placer)
    moved = de.outline(after).find([entry.item_id])
    assert moved is not None and moved.group == "focus"
    assert moved.markdown.startswith("### ")  # told under a heading, as News in focus does
    assert not moved.untouched  # the editor placed it: no label moves it back
    assert entry.item_id not in order(after, entry.group)


def test_a_rewritten_entry_moves_with_its_words(app, week: Week) -> None:
    path, stories, placer = setup(app, week, "atr")
    text = path.read_text()
    entry = de.outline(text).groups[1].entries[1]
    story = next(s for s in stories if s.id == entry.story_id)
    mine = de.rewrite(
        text, entry.item_id, "My own sentence about this, with a [link](https://example.com/x)."
    )
    after = de.move(mine, entry.item_id, "japan", story, placer)
    moved = de.outline(after).find([entry.item_id])
    assert moved is not None and moved.group == "japan"
    assert moved.markdown == "My own sentence about this, with a [link](https://example.com/x)."


def test_lead_moves_into_the_lead_group_then_to_its_top(app, week: Week) -> None:
    path, stories, placer = setup(app, week, "atr")
    text = path.read_text()
    entry = de.outline(text).groups[3].entries[0]
    story = next(s for s in stories if s.id == entry.story_id)
    once = de.move(text, entry.item_id, "focus", story, placer)
    assert order(once, "focus")[-1] == entry.item_id
    twice = de.move(once, entry.item_id, "focus", story, placer, first=True)
    assert order(twice, "focus")[0] == entry.item_id


def test_emptying_a_group_takes_its_heading_and_adding_makes_it_again_in_house_order(app, week: Week) -> None:
    path, stories, placer = setup(app, week, "atr")
    text = path.read_text()
    for item_id in order(text, "taiwan"):
        text = de.drop(text, item_id)
    assert "## Taiwan" not in text and "section:taiwan" not in text
    story = next(s for s in stories if s.labels.region == "taiwan")
    back = de.add(text, story, "taiwan", placer)
    keys = [g.key for g in de.outline(back).groups]
    assert keys.index("japan") < keys.index("taiwan") < keys.index("rest-of-asia")
    assert "## Taiwan" in back


def test_numbered_reads_are_counted_again_after_a_drop_and_a_move(app, week: Week) -> None:
    path, stories, placer = setup(app, week, "techasia")
    text = path.read_text()
    reads = order(text, "reads")
    after = de.drop(text, reads[1])
    story = next(s for s in stories if s.id == de.outline(text).find([reads[3]]).story_id)  # type: ignore[union-attr]
    after = de.move(after, reads[3], "stories", story, placer)
    numbers = [int(n) for n in re.findall(r"^(\d+)\. ", after, re.M)]
    assert numbers == list(range(1, len(reads) - 1))


def test_rewrite_keeps_the_marker_and_refuses_what_would_break_the_draft(app, week: Week) -> None:
    path, _, _ = setup(app, week, "atr")
    text = path.read_text()
    one_line = de.outline(text).groups[1].entries[0]
    after = de.rewrite(text, one_line.item_id, "Rewritten *by hand*.")
    assert re.search(rf"^Rewritten \*by hand\*\. <!-- item:{one_line.item_id}[^>]*fp:", after, re.M)
    assert not de.outline(after).find([one_line.item_id]).untouched  # type: ignore[union-attr]
    with pytest.raises(DeskError, match="one paragraph"):
        de.rewrite(text, one_line.item_id, "First paragraph.\n\nSecond paragraph.")
    with pytest.raises(DeskError, match="marker"):
        de.rewrite(text, one_line.item_id, "Sneaky <!-- section:japan -->\n<!-- section:japan -->")
    with pytest.raises(DeskError, match="empty"):
        de.rewrite(text, one_line.item_id, "  \n ")
    lead = de.outline(text).groups[0].entries[0]
    story = de.rewrite(text, lead.item_id, "### A new headline\n\nFirst paragraph.\n\nSecond paragraph.")
    assert re.search(rf"^### A new headline <!-- item:{lead.item_id}", story, re.M)


def test_front_matter_edits_touch_only_their_lines(app, week: Week) -> None:
    path, _, _ = setup(app, week, "atr")
    text = path.read_text()
    after = de.edit_front(
        text, {"title": "Chips, again", "intro": "Line one.\n\nLine two.", "city": " Tokyo\n"}
    )
    front = draftfile.parse_front_matter(draftfile.split_front_matter(after)[0])
    assert (
        front["title"] == "Chips, again"
        and front["intro"] == "Line one.\n\nLine two."
        and front["city"] == "Tokyo"
    )
    assert after.startswith("---\n# Plain text:")  # the comments at the top stay
    untouched = [line for line in text.split("\n---\n", 1)[1].split("\n")]
    assert after.split("\n---\n", 1)[1].split("\n") == untouched  # the body is byte for byte the same
    kept = ("subtitle", "host", "greeting", "sign_off", "ps", "preheader")
    before = draftfile.parse_front_matter(draftfile.split_front_matter(text)[0])
    assert all(front[k] == before[k] for k in kept)
    with pytest.raises(DeskError, match="not 'week'"):
        de.edit_front(text, {"week": "2026-W01"})
    hostile = de.edit_front(text, {"title": "A: b # c\n---\nweek: 1999-W01", "ps": "---\n..."})
    front = draftfile.parse_front_matter(draftfile.split_front_matter(hostile)[0])
    assert (
        front["title"] == "A: b # c --- week: 1999-W01"
        and front["week"] == str(week)
        and front["ps"] == "---\n..."
    )


def test_save_writes_only_over_the_text_it_saw(app, week: Week) -> None:
    path, stories, _ = setup(app, week, "atr")
    seen = path.read_text()
    mine = seen.replace("## China", "## China\n\nA note the editor saved in their own editor.", 1)
    path.write_text(mine)
    with pytest.raises(DraftConflict, match="changed on disk"):
        de.save(path, de.version(seen), de.drop(seen, de.outline(seen).groups[1].entries[0].item_id))
    assert path.read_text() == mine


def test_the_record_learns_what_the_desk_added(app, week: Week) -> None:
    path, stories, placer = setup(app, week, "atr")
    text = path.read_text()
    story = missing(text, stories)
    de.save(path, de.version(text), de.add(text, story, placer.default_key(story), placer))
    state = draftfile.load_state(path)
    assert state is not None and story.id in state["stories"] and state["sha256"] == ""
    # A redraft keeps it, once, and adds nothing the desk already placed.
    app.draft(week, "atr")
    assert path.read_text().count(f"item:{story.lead.id}") == 1


def test_marks_of_a_desk_added_entry_read_as_the_merge_reads_them(app, week: Week) -> None:
    path, stories, placer = setup(app, week, "atr")
    text = path.read_text()
    story = missing(text, stories)
    after = de.add(text, story, "focus", placer)
    lines = draftfile.split_front_matter(after)[1].split("\n")
    mark = next(m for m in draft_merge.marks(lines) if m.story_id == story.id)
    assert mark.group == "focus" and draft_merge.untouched(mark, lines)
