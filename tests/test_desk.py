"""The desk over real HTTP on 127.0.0.1: what it lists, what its actions do to the draft, what it refuses,
and the kept ranking (preview/weeks.py) staying true to the store, the seeds and the editor's labels."""

from __future__ import annotations

import datetime as dt
import html
import http.client
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from newsletter.app import Newsletter
from newsletter.models import Item, SourceHealth, Week
from newsletter.preview.server import PreviewServer
from newsletter.store import Store
from newsletter.workspace import Workspace
from newsletter.write import desk_edit, draftfile


@pytest.fixture
def app(fetched_app):
    return fetched_app


@pytest.fixture
def week(app) -> Week:
    return app.resolve_week(None)[0]


@pytest.fixture
def server(app, week: Week) -> Iterator[PreviewServer]:
    with PreviewServer(app, port=0, week=week, style="atr", watch=False) as srv:
        yield srv


def request(
    srv: PreviewServer,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=30)
    conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
    sent = {"Host": f"127.0.0.1:{srv.port}", **(headers or {})}
    if body is not None:
        sent.setdefault("Content-Length", str(len(body)))
    for key, value in sent.items():
        conn.putheader(key, value)
    conn.endheaders(body)
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    return resp.status, data


def own(srv: PreviewServer) -> dict[str, str]:
    """The headers the desk's own page sends with an action."""
    return {
        "Origin": f"http://127.0.0.1:{srv.port}",
        "Content-Type": "application/json",
        "X-Desk-Token": srv.token,
        "Sec-Fetch-Site": "same-origin",
    }


def act(srv: PreviewServer, week: Week, style: str = "atr", **payload: object) -> tuple[int, dict]:
    path = srv.app.ws.draft_path(week, style)
    payload.setdefault("base", desk_edit.version(path.read_text()))
    status, body = request(
        srv, "POST", f"/{week}/{style}/desk/action", json.dumps(payload).encode(), own(srv)
    )
    return status, json.loads(body)


def desk(srv: PreviewServer, week: Week, query: str = "", style: str = "atr") -> str:
    status, body = request(srv, "GET", f"/{week}/{style}/desk{query}")
    assert status == 200
    return body.decode()


def entries(path: Path) -> dict[str, str]:
    """item id -> group key, for every entry of the draft."""
    outline = desk_edit.outline(path.read_text())
    return {e.item_id: g.key for g in outline.groups for e in g.entries}


# -- what it shows ---------------------------------------------------------------------------------


def test_the_desk_lists_every_story_of_the_week_with_the_gates_verdict(app, server, week: Week) -> None:
    stories, _ = app.ranked_week(week)
    page = desk(server, week, "?limit=500")
    listed = re.findall(r'<article class="cand[^"]*" data-item="([0-9a-f]+)" data-story="([0-9a-f]+)"', page)
    assert {s for _, s in listed} == {s.id for s in stories}  # kept-out stories too
    out = [s for s in stories if s.lead.verdict and not s.lead.verdict.passed]
    assert out, "the sample week has stories the gate keeps out"
    kept_out = desk(server, week, "?gate=out&limit=500")
    assert kept_out.count('class="cand out') == len(out)
    for story in out:
        assert f'data-story="{story.id}"' in kept_out
        assert html.escape(story.lead.verdict.why) in kept_out  # type: ignore[union-attr]
    # "Why": the reasons `items --explain` gives (matched terms and where, the score's parts), on demand
    for story in (stories[0], out[0]):
        status, body = request(server, "GET", f"/{week}/atr/desk/why?item={story.lead.id}")
        why = body.decode()
        assert status == 200 and f"score {story.score:.2f}" in why
        assert html.escape(story.lead.verdict.why) in why  # type: ignore[union-attr]
        for reason in story.labels.reasons:
            assert html.escape(f"“{reason.term}” in {reason.where}", quote=False) in why
    assert request(server, "GET", f"/{week}/atr/desk/why?item=0000000000000000")[0] == 422


def test_filters_narrow_the_list(app, server, week: Week) -> None:
    stories, _ = app.ranked_week(week)
    japan = desk(server, week, "?region=japan&limit=500")
    assert japan.count('<article class="cand') == sum(1 for s in stories if s.labels.region == "japan")
    funding = desk(server, week, "?theme=funding&limit=500")
    assert funding.count('<article class="cand') == sum(1 for s in stories if "funding" in s.labels.themes)
    found = desk(server, week, "?q=zepto%20mumbai")
    assert found.count('<article class="cand') == 1 and "Zepto" in found
    status, body = request(server, "GET", f"/{week}/atr/desk/candidates?draft=out&limit=500")
    drafted = set(entries(app.ws.draft_path(week, "atr")))
    listed = re.findall(r'data-item="([0-9a-f]+)"', body.decode())
    assert status == 200 and listed and not drafted & set(listed)


def test_index_and_toolbar_lead_to_the_desk(server, week: Week) -> None:
    index = request(server, "GET", "/")[1].decode()
    assert f'<a class="desk" href="/{week}/atr/desk">Desk</a>' in index
    page = request(server, "GET", f"/{week}/atr?view=web")[1].decode()
    assert f'href="/{week}/atr/desk"' in page and ">Desk</a>" in page


def test_hostile_feed_text_is_escaped_and_links_are_http_only(app, server, week: Week) -> None:
    evil = Item(
        id="e0e0e0e0e0e0e0e0",
        source_id="hostile-titles-daily",
        url="javascript:alert(document.cookie)",
        title='Noul opens an Osaka robotics lab <img src=x onerror=alert(1)> "quoted" javascript:alert(2)',
        summary="<script>alert(3)</script> Noul, a robotics software maker, opened a lab in Osaka, Japan.",
        published=dt.datetime.combine(week.monday, dt.time(9), tzinfo=dt.UTC) + dt.timedelta(days=2),
    )
    with Store(app.db_path) as other:  # written by another connection, as a fetch would
        other.save_fetch(evil.source_id, [evil], SourceHealth(evil.source_id), dt.datetime.now(dt.UTC))
    page = desk(server, week, "?q=noul")
    assert "Noul opens an Osaka robotics lab &lt;img src=x onerror=alert(1)&gt; &quot;quoted&quot;" in page
    assert "<img src=x" not in page and "<script>alert" not in page
    assert not re.search(r"""href=["']?\s*javascript:""", page, re.I)
    assert len(re.findall(r"<script", page)) == 1  # the desk's own, under the nonce
    status, answer = act(server, week, action="add", item=evil.id, section="japan")
    assert status == 200, answer
    assert "<img src=x" not in answer["draft"] and not re.search(r"href=.?javascript:", answer["draft"], re.I)
    text = app.ws.draft_path(week, "atr").read_text()
    assert "\\<img src=x" in text or "&lt;img src=x" in text  # escaped for Markdown in the file too


# -- what its actions do -------------------------------------------------------------------------


def test_add_drop_move_lead_edit_and_undo_over_http(app, server, week: Week) -> None:
    path = app.ws.draft_path(week, "atr")
    desk(server, week)  # drafts the week
    before = entries(path)
    stories, _ = app.ranked_week(week)
    new = next(
        s for s in stories if s.lead.id not in before and s.labels.region in ("japan", "india", "china")
    )
    region = new.labels.region
    status, answer = act(server, week, action="add", item=new.lead.id)
    title = app.taxonomy().region_name(region)
    assert status == 200 and answer["message"] == f"Added to {title}" and entries(path)[new.lead.id] == region
    assert f'data-item="{new.lead.id}"' in answer["draft"] and answer["version"] == desk_edit.version(
        path.read_text()
    )
    status, answer = act(server, week, action="move", item=new.lead.id, section="taiwan")
    assert status == 200 and entries(path)[new.lead.id] == "taiwan"
    status, answer = act(server, week, action="lead", item=new.lead.id)
    assert status == 200 and entries(path)[new.lead.id] == "focus"
    status, answer = act(server, week, action="edit", item=new.lead.id, text="### My headline\n\nMy words.")
    assert status == 200 and "### My headline <!-- item:" + new.lead.id in path.read_text()
    status, answer = act(server, week, action="drop", item=new.lead.id)
    assert status == 200 and new.lead.id not in entries(path) and f"dropped:{new.lead.id}" in path.read_text()
    status, answer = act(server, week, action="edit", fields={"title": "The week in chips"})
    assert status == 200 and "\ntitle: The week in chips\n" in path.read_text()
    for _ in range(6):
        status, answer = act(server, week, action="undo")
        assert status == 200, answer
    assert entries(path) == before
    status, answer = act(server, week, action="undo")
    assert status == 422 and answer["error"] == "nothing to undo"


def test_undo_reaches_back_twenty_actions_and_more(app, server, week: Week) -> None:
    path = app.ws.draft_path(week, "atr")
    desk(server, week)
    china = [i for i, g in entries(path).items() if g == "china"]
    snapshots = [path.read_text()]
    for n in range(25):
        if n % 3 == 0:
            status, answer = act(server, week, action="edit", item=china[0], text=f"Version {n} of my entry.")
        else:
            status, answer = act(server, week, action="down" if n % 3 == 1 else "up", item=china[1])
        assert status == 200 and answer["message"] != "Nothing to change", answer
        snapshots.append(path.read_text())
    for n in range(25, 0, -1):
        assert act(server, week, action="undo")[0] == 200
        assert path.read_text() == snapshots[n - 1]


def test_relabel_is_the_label_command_and_build_agrees(app, server, week: Week) -> None:
    path = app.ws.draft_path(week, "atr")
    desk(server, week)
    item = next(i for i, g in entries(path).items() if g == "india")
    status, answer = act(server, week, action="relabel", item=item, region="japan", themes=["ai-chips"])
    assert status == 200, answer
    assert entries(path)[item] == "japan"  # an untouched entry moves, as `build` moves it
    assert any("moved from India to Japan" in n for n in answer["notes"])
    override = app.store.overrides()[item]
    assert (override.region, override.themes) == ("japan", ("ai-chips",))
    fresh = Newsletter(Workspace.open(app.ws.root), db=app.db_path)  # what the next command sees
    try:
        fresh.build(week, ["atr"], ["md"])
        assert entries(path)[item] == "japan"
        labelled = next(s for s in fresh.ranked_week(week)[0] if item in {i.id for i in s.items})
        assert labelled.labels.region == "japan" and labelled.labels.overridden
    finally:
        fresh.close()
    assert act(server, week, action="undo")[0] == 200
    assert item not in app.store.overrides() and entries(path)[item] == "india"


def test_a_draft_saved_elsewhere_is_never_overwritten(app, server, week: Week) -> None:
    path = app.ws.draft_path(week, "atr")
    desk(server, week)
    seen = path.read_text()
    item = next(iter(entries(path)))
    mine = seen.replace("## India", "## India\n\nA line the editor wrote in their own editor.", 1)
    path.write_text(mine)
    status, answer = act(server, week, action="drop", item=item, base=desk_edit.version(seen))
    assert status == 409 and "changed" in answer["error"]
    assert path.read_text() == mine
    assert answer["version"] == desk_edit.version(mine)  # the desk reloads what is on disk
    # undo cannot overwrite it either
    status, _ = act(server, week, action="drop", item=item)
    assert status == 200
    path.write_text(path.read_text() + "\nAnother line saved by hand.\n")
    edited = path.read_text()
    status, answer = act(server, week, action="undo")
    assert status == 409 and path.read_text() == edited


# -- what it refuses ---------------------------------------------------------------------------------


REFUSED = {
    "no token": {"X-Desk-Token": None},
    "a wrong token": {"X-Desk-Token": "guessed"},
    "another origin": {"Origin": "http://evil.example"},
    "no origin": {"Origin": None},
    "a cross-site fetch": {"Sec-Fetch-Site": "cross-site"},
    "a form post": {"Content-Type": "application/x-www-form-urlencoded"},
    "a rebinding host": {"Host": "attacker.example"},
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_a_post_without_the_secret_or_from_elsewhere_changes_nothing(
    app, server, week: Week, case: str
) -> None:
    path = app.ws.draft_path(week, "atr")
    desk(server, week)
    before = (path.read_bytes(), path.stat().st_mtime_ns, draftfile.state_path(path).read_bytes())
    item = next(iter(entries(path)))
    headers = {k: v for k, v in {**own(server), **REFUSED[case]}.items() if v is not None}
    payload = {"action": "drop", "item": item, "base": desk_edit.version(path.read_text())}
    status, body = request(server, "POST", f"/{week}/atr/desk/action", json.dumps(payload).encode(), headers)
    assert 400 <= status < 500, (case, status)
    assert (path.read_bytes(), path.stat().st_mtime_ns, draftfile.state_path(path).read_bytes()) == before
    assert app.store.overrides() == {}


def test_only_post_acts_and_bad_bodies_are_refused(app, server, week: Week) -> None:
    path = app.ws.draft_path(week, "atr")
    desk(server, week)
    before = path.read_bytes()
    assert request(server, "GET", f"/{week}/atr/desk/action?action=drop")[0] == 404
    for method in ("PUT", "DELETE"):
        assert request(server, method, f"/{week}/atr/desk/action", b"{}", own(server))[0] >= 400
    assert request(server, "POST", f"/{week}/atr/desk/action", b"not json", own(server))[0] == 400
    assert request(server, "POST", f"/{week}/atr/desk/action", b"[1]", own(server))[0] == 400
    huge = {**own(server), "Content-Length": str(50_000_000)}
    assert request(server, "POST", f"/{week}/atr/desk/action", b"{}", huge)[0] == 413
    assert act(server, week, action="explode", item="x")[0] == 422
    assert act(server, week, action="drop", item="../../etc")[0] == 422
    assert act(server, week, action="move", item=next(iter(entries(path))), section="atlantis")[0] == 422
    assert path.read_bytes() == before


# -- the kept ranking ------------------------------------------------------------------------------


def ranking(stories: list) -> list[tuple]:
    return [(s.id, s.score, s.labels.region, s.labels.themes, s.lead.verdict) for s in stories]


def test_the_ranking_is_kept_and_a_label_updates_it_as_a_full_ranking_would(app, server, week: Week) -> None:
    cache = server.cache
    desk(server, week)
    first = cache.ranked(week)
    assert cache.ranked(week) is first and cache.rebuilds == 1  # kept, not ranked again
    item = next(s for s in first.stories if s.labels.region == "india").lead.id
    other = Newsletter(Workspace.open(app.ws.root), db=app.db_path)  # `newsletter label` in another process
    try:
        other.label(item, region="taiwan", themes=["ai-chips", "funding"])
    finally:
        other.close()
    updated = cache.ranked(week)
    assert cache.rebuilds == 1 and updated.version != first.version  # updated in place
    assert ranking(updated.stories) == ranking(app.ranked_week(week)[0])
    status, _ = act(server, week, action="relabel", item=item, region="china")  # the desk's own label
    assert status == 200 and cache.rebuilds == 1
    assert ranking(cache.ranked(week).stories) == ranking(app.ranked_week(week)[0])


def test_new_items_and_seeds_changes_rank_the_week_anew(app, server, week: Week, tmp_path: Path) -> None:
    cache = server.cache
    cache.ranked(week)
    assert "Kaminari" not in desk(server, week, "?q=kaminari")
    feed = tmp_path / "late.rss"
    feed.write_text(
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Late Wire</title><link>https://late.example/</link>'
        "<item><title>Tokyo AI chip start-up Kaminari raises $20mn</title><link>https://late.example/kaminari</link>"
        f"<pubDate>{week.monday:%a, %d %b %Y} 10:00:00 +0900</pubDate>"
        "<description>Kaminari, a Tokyo start-up designing AI chips, raised $20mn.</description></item>"
        "</channel></rss>"
    )
    other = Newsletter(Workspace.open(app.ws.root), db=app.db_path)
    try:
        other.ingest([str(feed)])
    finally:
        other.close()
    assert "Kaminari raises" in desk(server, week, "?q=kaminari") and cache.rebuilds == 2
    settings = app.ws.settings_path
    settings.write_text(settings.read_text().replace("per_section = 8", "per_section = 9"))
    desk(server, week)
    assert cache.rebuilds == 3


def test_the_first_request_drafts_from_the_kept_ranking(app, server, week: Week) -> None:
    path = app.ws.draft_path(week, "techasia")
    assert not path.exists()
    assert request(server, "GET", f"/{week}/techasia.md")[0] == 200
    assert path.exists() and server.cache.rebuilds == 1
    desk(server, week, style="techasia")
    desk(server, week)
    assert server.cache.rebuilds == 1  # one ranking for the preview, both styles and the desk


def test_a_story_the_store_no_longer_holds_can_still_be_moved_and_dropped(app, server, week: Week) -> None:
    path = app.ws.draft_path(week, "atr")
    desk(server, week)
    text = path.read_text()
    ghost = "ffffffffffffffff"
    line = f"A story from a store since deleted [link](https://example.com/ghost) <!-- item:{ghost} -->"
    path.write_text(
        text.replace("<!-- section:india -->\n## India\n", f"<!-- section:india -->\n## India\n\n{line}\n", 1)
    )
    assert act(server, week, action="move", item=ghost, section="japan")[0] == 200
    assert entries(path)[ghost] == "japan" and line in path.read_text()
    assert act(server, week, action="drop", item=ghost)[0] == 200 and ghost not in entries(path)


def test_a_week_without_items_shows_why_the_desk_cannot_open(app, server, week: Week) -> None:
    (app.ws.issues / "2026-W40").mkdir(parents=True)
    page = desk(server, Week(2026, 40))
    assert 'role="alert"' in page and "2026-W40 has no items" in page
    crowded = "?" + "&".join(f"f{n}=x" for n in range(50))
    assert request(server, "GET", f"/{week}/atr/desk/candidates{crowded}")[0] == 200
    payload = json.dumps({"action": "undo", "base": ""}).encode()
    assert request(server, "POST", "/2026-W39/atr/desk/action", payload, own(server))[0] == 404
    assert not (app.ws.issues / "2026-W39").exists()
