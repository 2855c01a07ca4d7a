"""The preview in a real headless Chromium: the issue shows, saves appear live, hostile titles stay text."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from newsletter.models import Week
from newsletter.preview.server import PreviewServer

pytestmark = pytest.mark.browser

DATA = Path(__file__).parent / "data"
ARTIFACTS = Path(__file__).parent / "artifacts"
SCRIPT_TITLE = "<script>alert(1)</script>"
IMG_TITLE = "<img src=x onerror=alert(1)>"


@pytest.fixture
def issue(app) -> tuple[Week, Path]:
    """The sample feeds plus two items whose titles carry markup, drafted as this week's atr issue."""
    settings = app.ws.settings_path
    # Room for every entry, so the hostile items are in the issue whatever their rank.
    settings.write_text(settings.read_text().replace("per_section = 8", "per_section = 40"))
    app.fetch()
    app.ingest([str(DATA / "preview-hostile.rss")])
    week, _ = app.resolve_week(None)
    return week, app.ensure_draft(week, "atr")


@pytest.fixture
def page(browser, app, issue) -> Iterator[tuple[object, PreviewServer, list[str]]]:
    week, _ = issue
    with PreviewServer(app, port=0, week=week, style="atr") as server:
        context = browser.new_context(viewport={"width": 1440, "height": 900})
        tab = context.new_page()
        dialogs: list[str] = []

        def on_dialog(dialog) -> None:
            dialogs.append(dialog.message)
            dialog.dismiss()

        tab.on("dialog", on_dialog)
        yield tab, server, dialogs
        context.close()


def test_issue_shows_its_sections_and_a_saved_edit_appears_live(page, issue) -> None:
    tab, server, dialogs = page
    week, draft = issue
    tab.goto(f"{server.issue_url}?view=side")
    web = tab.frame_locator('iframe[data-key="web"]')
    headings = re.findall(r"^## (.+)$", draft.read_text(), re.M)
    assert len(headings) >= 3, f"the draft has too few sections: {headings}"
    for heading in headings:
        web.get_by_role("heading", name=heading.strip(), exact=True).first.wait_for(timeout=5000)
    assert re.search(r"email \d+\.\d KB", tab.locator("#bar").inner_text())

    # A marker on the window survives only if the page updates itself without navigating.
    tab.evaluate("window.__notReloaded = true")
    marker = "Editor's note saved while the preview was open"
    text = draft.read_text()
    draft.write_text(text.replace(f"## {headings[0]}", f"## {headings[0]}\n\n{marker}.\n", 1))
    web.get_by_text(marker).wait_for(timeout=5000)
    tab.frame_locator('iframe[data-key="email"]').get_by_text(marker).wait_for(timeout=5000)
    assert tab.evaluate("window.__notReloaded") is True

    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "preview-side-by-side.png"
    tab.screenshot(path=str(shot))
    print(f"screenshot: {shot}")
    assert not dialogs


def test_titles_carrying_markup_show_as_text_and_run_nothing(page, issue) -> None:
    tab, server, dialogs = page
    week, _ = issue
    for view, frame in (("web", "web"), ("email", "email")):
        tab.goto(f"{server.issue_url}?view={view}")
        body = tab.frame_locator(f'iframe[data-key="{frame}"]').locator("body")
        body.get_by_text(SCRIPT_TITLE, exact=False).first.wait_for(timeout=5000)
        text = body.inner_text()
        assert SCRIPT_TITLE in text and IMG_TITLE in text, view
        # The frames are sandboxed and the CSP forbids scripts, so a dialog proves little on its own:
        # the markup must also be absent from the DOM, i.e. escaped by the pipeline.
        assert body.locator('img[src="x"]').count() == 0
        assert body.locator("script").count() == 0
    tab.goto(f"{server.url}/{week}/atr.html")  # the raw page, opened at the top level
    assert SCRIPT_TITLE in tab.locator("body").inner_text()
    tab.goto(f"{server.issue_url}?view=md")
    assert "alert(1)" in tab.locator("pre.md").inner_text()  # as the draft escapes it for Markdown
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "preview-hostile-titles.png"
    tab.goto(f"{server.issue_url}?view=web")
    tab.frame_locator('iframe[data-key="web"]').get_by_text("alert(1)").first.scroll_into_view_if_needed()
    tab.screenshot(path=str(shot))
    print(f"screenshot: {shot}")
    assert dialogs == []
