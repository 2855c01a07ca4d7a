"""The desk in a real headless Chromium: each action, by mouse and by keyboard alone, changes the draft file
as it should and survives `newsletter draft` and `newsletter build`; saves made elsewhere are never
overwritten; another origin changes nothing; feed text stays text. Screenshots go to tests/artifacts/."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from clirunner import run
from httpserver import HTTPServer, Reply

from newsletter.models import Week
from newsletter.preview.candidates import Filters
from newsletter.preview.server import PreviewServer
from newsletter.write import desk_edit

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).parent / "artifacts"


@pytest.fixture
def app(fetched_app):
    return fetched_app


@pytest.fixture
def week(app) -> Week:
    return app.resolve_week(None)[0]


class Desk:
    """A desk page in a browser tab, and what it did."""

    def __init__(self, tab, server: PreviewServer, week: Week, style: str) -> None:
        self.tab, self.server, self.week, self.style = tab, server, week, style
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        tab.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        tab.on("pageerror", lambda e: self.errors.append(str(e)))
        self.path = server.app.ws.draft_path(week, style)

    def open(self) -> Desk:
        self.tab.goto(f"{self.server.url}/{self.week}/{self.style}/desk")
        self.tab.evaluate(
            "window.__done = []; document.addEventListener('desk:done', e => __done.push(e.detail))"
        )
        return self

    def done(self, count: int) -> dict:
        """Wait for the count-th action to finish (its answer on screen); its detail."""
        self.tab.wait_for_function(f"() => window.__done.length >= {count}", timeout=10_000)
        return self.tab.evaluate(f"window.__done[{count - 1}]")

    def filter(self, **choices: str) -> None:
        """Set the candidates' filters and wait for the list they ask for."""
        for name, value in choices.items():
            if name == "q":
                self.tab.locator("input[name=q]").fill(value)
            else:
                self.tab.select_option(f"select[name={name}]", value)
        query = self.tab.evaluate(
            "new URLSearchParams(new FormData(document.getElementById('filters'))).toString()"
        )
        wanted = json.dumps(Filters.parse(query).key())
        self.tab.wait_for_function(f"() => document.getElementById('cand-list').dataset.query === {wanted}")

    def entry(self, item: str):
        return self.tab.locator(f'#draft .entry[data-item="{item}"]')

    def candidate(self, item: str):
        return self.tab.locator(f'#cand-list .cand[data-item="{item}"]')

    def click(self, row, action: str) -> None:
        """Select the row (its actions show under it), then press one of them."""
        row.click(position={"x": 4, "y": 4})
        row.locator(f'[data-action="{action}"]').first.click()

    def groups(self) -> dict[str, str]:
        outline = desk_edit.outline(self.path.read_text())
        return {e.item_id: g.key for g in outline.groups for e in g.entries}

    def shot(self, name: str) -> None:
        ARTIFACTS.mkdir(exist_ok=True)
        self.tab.screenshot(path=str(ARTIFACTS / name))


@pytest.fixture
def open_desk(browser, app, week: Week) -> Iterator:
    made: list[tuple[PreviewServer, object]] = []

    def opener(style: str = "atr", watch: bool = True) -> Desk:
        server = PreviewServer(app, port=0, week=week, style=style, watch=watch).start()
        context = browser.new_context(viewport={"width": 1440, "height": 900})
        made.append((server, context))
        return Desk(context.new_page(), server, week, style).open()

    yield opener
    for server, context in made:
        context.close()  # type: ignore[attr-defined]
        server.stop()


def test_each_action_changes_the_draft_and_survives_draft_and_build(app, open_desk, week: Week) -> None:
    desk = open_desk("atr")
    before = desk.groups()
    stories, _ = app.ranked_week(week)
    region_of = {s.lead.id: s.labels.region for s in stories}
    n = 0

    # add: one click puts a candidate in its region's section
    desk.filter(draft="out", gate="in")
    row = (
        desk.tab.locator("#cand-list .cand")
        .filter(has=desk.tab.locator(".chip.region", has_text="India"))
        .first
    )
    added = row.get_attribute("data-item")
    assert added and added not in before and region_of[added] == "india"
    row.locator('[data-action="add"]').click()
    assert desk.done(n := n + 1)["ok"]
    assert desk.groups()[added] == "india"
    desk.entry(added).wait_for()
    assert desk.candidate(added).count() == 0  # the list shows what is not in the draft yet
    desk.filter(draft="in")
    assert "in India" in desk.candidate(added).inner_text()

    china = [i for i, g in before.items() if g == "china"]
    dropped, moved, led, relabelled, rewritten = china[1], china[2], china[3], china[4], china[0]

    desk.click(desk.entry(dropped), "drop")
    assert desk.done(n := n + 1)["ok"]
    assert dropped not in desk.groups() and f"dropped:{dropped}" in desk.path.read_text()

    desk.click(desk.entry(moved), "move")
    desk.entry(moved).locator('.menu [data-section="japan"]').click()
    assert desk.done(n := n + 1)["ok"] and desk.groups()[moved] == "japan"

    desk.click(desk.entry(led), "lead")
    assert desk.done(n := n + 1)["ok"] and desk.groups()[led] == "focus"

    desk.click(desk.entry(relabelled), "relabel")
    desk.entry(relabelled).locator(".pop select").select_option("taiwan")
    desk.entry(relabelled).locator('.pop [data-apply="set"]').click()
    assert desk.done(n := n + 1)["ok"] and desk.groups()[relabelled] == "taiwan"
    assert app.store.overrides()[relabelled].region == "taiwan"

    desk.click(desk.entry(rewritten), "edit")
    mine = "My own line on this story, written at the desk, with a [source](https://example.com/mine)."
    desk.entry(rewritten).locator("textarea").fill(mine)
    desk.entry(rewritten).locator('.row [data-action="edit"]').click()
    assert desk.done(n := n + 1)["ok"]
    assert re.search(rf"^{re.escape(mine)} <!-- item:{rewritten}", desk.path.read_text(), re.M)
    assert (
        desk.entry(rewritten).locator(".body a", has_text="source").get_attribute("href")
        == "https://example.com/mine"
    )

    desk.tab.locator(".edit-front").click()
    desk.tab.locator('#front input[name="subtitle"]').fill("Plus: the week in chips")
    desk.tab.locator('#front [data-action="edit"]').click()
    assert desk.done(n := n + 1)["ok"] and "\nsubtitle: 'Plus: the week in chips'\n" in desk.path.read_text()

    desk.tab.locator('#draft [data-action="undo"]').click()  # the subtitle goes back
    assert desk.done(n := n + 1)["ok"] and "Plus: the week in chips" not in desk.path.read_text()
    desk.shot("desk-atr.png")
    assert not desk.dialogs and not desk.errors

    # What `newsletter draft` and `newsletter build` make of it: everything stays as the desk left it.
    for command in ("draft", "build"):
        done = run("--workspace", str(app.ws.root), "--db", str(app.db_path), command, "--week", str(week))
        assert done.returncode == 0, done.stderr
    after = desk.groups()
    assert after[added] == "india" and after[moved] == "japan" and after[led] == "focus"
    assert after[relabelled] == "taiwan" and dropped not in after
    assert desk.path.read_text().count(f"item:{added}") == 1
    page = app.ws.output_path(week, "atr", "html").read_text()
    assert "My own line on this story, written at the desk" in page
    dropped_story = next(s for s in stories if dropped in {i.id for i in s.items})
    assert dropped_story.lead.url not in page


def test_the_desk_works_from_the_keyboard_alone(app, open_desk, week: Week) -> None:
    desk = open_desk("techasia")
    tab = desk.tab
    before = desk.groups()
    stories, _ = app.ranked_week(week)
    target = next(s for s in stories if s.lead.id not in before and s.lead.verdict and s.lead.verdict.passed)
    words = " ".join(target.lead.title.split()[:3])
    n = 0

    tab.keyboard.press("/")
    tab.keyboard.type(words)
    tab.locator(f'#cand-list .cand[data-item="{target.lead.id}"]').wait_for()
    tab.keyboard.press("Escape")
    tab.keyboard.press("j")
    while tab.locator("#cand-list .cand.sel").get_attribute("data-item") != target.lead.id:
        tab.keyboard.press("j")
    tab.keyboard.press("a")  # add: #techAsia puts it in Suggested reads
    assert desk.done(n := n + 1)["ok"] and desk.groups()[target.lead.id] == "reads"

    tab.keyboard.press("m")  # move its entry: the menu numbers the sections
    tab.locator(".menu").wait_for()
    tab.keyboard.press("1")
    assert desk.done(n := n + 1)["ok"] and desk.groups()[target.lead.id] == "stories"

    tab.keyboard.press("ArrowRight")  # the draft's first entry
    first = tab.locator("#draft .entry.sel").get_attribute("data-item")
    tab.keyboard.press("Shift+ArrowDown")
    assert desk.done(n := n + 1)["ok"]
    stories_order = [e.item_id for g in desk_edit.outline(desk.path.read_text()).groups for e in g.entries]
    assert stories_order.index(first) == 1

    tab.keyboard.press("e")
    tab.keyboard.press("Control+a")
    tab.keyboard.type("## A headline of my own\n\nTyped at the desk without a mouse.")
    tab.keyboard.press("Control+Enter")
    assert desk.done(n := n + 1)["ok"]
    assert f"## A headline of my own <!-- item:{first}" in desk.path.read_text()

    tab.keyboard.press("d")
    assert desk.done(n := n + 1)["ok"] and first not in desk.groups()
    tab.keyboard.press("u")
    assert desk.done(n := n + 1)["ok"] and desk.groups()[first] == "stories"

    tab.keyboard.press("r")  # relabel: the region list has the focus; Enter applies
    tab.locator(".pop select").wait_for()
    tab.keyboard.press("Home")  # (keep), then China, India: the first story here is China's
    tab.keyboard.press("ArrowDown")
    tab.keyboard.press("ArrowDown")
    tab.keyboard.press("Enter")
    assert desk.done(n := n + 1)["ok"]
    label = app.store.overrides()[first]
    assert label.region == "india" and label.themes is None  # only what was changed

    tab.keyboard.press("i")  # the details: the title has the focus
    tab.keyboard.press("Control+a")
    tab.keyboard.type("Chips and more chips")
    tab.keyboard.press("Control+Enter")
    assert desk.done(n := n + 1)["ok"] and "\ntitle: Chips and more chips\n" in desk.path.read_text()
    desk.shot("desk-techasia-keyboard.png")
    assert "Typed at the desk without a mouse." in desk.path.read_text()
    assert not desk.dialogs and not desk.errors


def test_a_save_elsewhere_reloads_the_desk_and_is_never_overwritten(app, open_desk, week: Week) -> None:
    desk = open_desk("atr")
    note = "A paragraph the editor typed in their own editor."
    first = next(iter(desk.groups()))
    text = desk.path.read_text()
    desk.path.write_text(
        text.replace("## India\n", f"## India\n\n{note}\n", 1).replace("Welcome back,", "Hello again,")
    )
    desk.tab.locator("#toast", has_text="changed on disk").wait_for(timeout=5000)  # reloaded, live
    desk.tab.locator("#draft").get_attribute("data-version")
    desk.click(desk.entry(first), "down")
    assert desk.done(1)["ok"]
    saved = desk.path.read_text()
    assert note in saved and "Hello again," in saved

    # Without live reloads the desk refuses instead, and an open edit keeps what was typed.
    quiet = open_desk("atr", watch=False)
    entry = next(iter(quiet.groups()))
    quiet.click(quiet.entry(entry), "edit")
    typed = "Words typed at the desk while the file changed underneath."
    quiet.entry(entry).locator("textarea").fill(typed)
    elsewhere = quiet.path.read_text().replace("Hello again,", "Hi,")
    quiet.path.write_text(elsewhere)
    quiet.entry(entry).locator('.row [data-action="edit"]').click()
    refused = quiet.done(1)
    assert not refused["ok"] and quiet.path.read_text() == elsewhere
    assert "changed" in quiet.tab.locator("#toast").inner_text()
    assert quiet.entry(entry).locator("textarea").input_value() == typed  # not a word lost
    quiet.entry(entry).locator('.row [data-action="edit"]').click()  # saved again, over what it now shows
    assert quiet.done(2)["ok"]
    final = quiet.path.read_text()
    assert typed in final and "Hi," in final and note in final


def test_another_origin_cannot_change_the_draft(app, open_desk, week: Week) -> None:
    desk = open_desk("atr")
    before = desk.path.read_bytes()
    item = next(iter(desk.groups()))
    action = f"{desk.server.url}/{week}/atr/desk/action"
    body = f'{{"action": "drop", "item": "{item}", "base": "{desk_edit.version(before.decode())}"}}'
    attack = f"""<!doctype html><meta charset="utf-8"><body>
<form id="f" method="POST" action="{action}" enctype="text/plain"><input name='{body}' value=''></form>
<script>
  var tries = [
    fetch("{action}", {{method: "POST", mode: "no-cors", body: '{body}'}}),
    fetch("{action}", {{method: "POST", mode: "no-cors", headers: {{"Content-Type": "text/plain"}},
      body: '{body}'}}),
    fetch("{action}", {{method: "POST", headers: {{"Content-Type": "application/json",
      "X-Desk-Token": "{desk.server.token}"}}, body: '{body}'}}),
  ].map(function (p) {{
    return p.then(function () {{ return "sent"; }}, function () {{ return "blocked"; }});
  }});
  Promise.all(tries).then(function (r) {{ document.title = r.join(","); }});
</script></body>"""
    with HTTPServer() as other:
        url = other.route(
            "/attack.html", Reply(body=attack.encode(), content_type="text/html; charset=utf-8")
        )
        tab = desk.tab.context.new_page()
        tab.goto(url)
        tab.wait_for_function("() => document.title.includes(',')", timeout=10_000)
        # Simple requests go out and are refused; a stolen token needs a header, so a preflight, which fails.
        assert tab.title() == "sent,sent,blocked"
        tab.evaluate("document.getElementById('f').submit()")
        tab.wait_for_url(re.compile(r"/desk/action$"), timeout=10_000)  # the form went, and was refused
        assert "no valid desk token" in tab.content()
    assert desk.path.read_bytes() == before and app.store.overrides() == {}


def test_hostile_feed_text_stays_inert_on_the_desk(app, open_desk, week: Week) -> None:
    desk = open_desk("atr")
    tab = desk.tab
    desk.filter(q="alert")
    rows = tab.locator("#cand-list .cand")
    assert rows.count() == 2
    text = tab.locator("#cand-list").inner_text()
    assert "<script>alert(1)</script>" in text and "<img src=x onerror=alert(1)>" in text
    for n in range(rows.count()):
        row = rows.nth(n)
        row.locator("summary").click()  # the explain panel quotes titles too
        desk.click(row, "relabel")
        tab.keyboard.press("Escape")
    hostile = rows.filter(has_text="<script>").first
    item = hostile.get_attribute("data-item")
    if "placed" not in (hostile.get_attribute("class") or ""):
        hostile.locator('[data-action="add"]').click()
        assert desk.done(1)["ok"]
    desk.entry(item).scroll_into_view_if_needed()
    assert "<script>alert(1)</script>" in desk.entry(item).inner_text()
    desk.shot("desk-hostile.png")
    assert tab.locator("script").count() == 1  # the desk's own
    assert tab.locator('img[src="x"], [onerror]').count() == 0
    assert tab.locator('a[href^="javascript:" i]').count() == 0
    assert not desk.dialogs and not desk.errors
