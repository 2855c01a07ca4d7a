"""What `items` and `sources list` print: JSON records (`--json`, one object per line) and text lines.

A script gets the same from the library: `item_record(item, story, names)` for each row of
`Newsletter.items(...)`, `source_record(source, health)` for each of `Newsletter.source_status()`.
Text lines and `json_line` are safe on a terminal whatever a feed sent (see feeds/safetext.py), and
no URL in them shows a password.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from .feeds.safetext import json_safe, printable, shown, without_credentials
from .models import DATED_HOW, Item, Labels, Source, SourceHealth, Story, Verdict


def json_line(record: dict[str, Any]) -> str:
    """A record as one line of JSON (UTF-8 as is), with characters that act on a terminal escaped."""
    return json_safe(json.dumps(record, ensure_ascii=False))


def iso(moment: dt.datetime | None) -> str | None:
    """ISO 8601 in UTC with a Z, or None."""
    return moment.isoformat().replace("+00:00", "Z") if moment else None


def labels_record(labels: Labels, explain: bool = False) -> dict[str, Any]:
    """region, regions and themes; with explain, the reasons (matched terms, where, weight)."""
    out: dict[str, Any] = {
        "region": labels.region,
        "regions": list(labels.regions),
        "themes": list(labels.themes),
    }
    if explain:
        out["reasons"] = [
            {"label": r.label, "kind": r.kind, "term": r.term, "where": r.where, "weight": r.weight}
            for r in labels.reasons
        ]
    if labels.overridden:
        out["overridden"] = True
    if explain:
        out["tech"], out["tech_words"], out["off_topic"] = labels.tech, labels.tech_words, labels.off_topic
    return out


def verdict_record(verdict: Verdict | None) -> dict[str, Any] | None:
    """The relevance gate's verdict: passed, technology, Asia, the evidence and why in words."""
    if verdict is None:
        return None
    return {
        "passed": verdict.passed,
        "tech": verdict.tech,
        "asia": verdict.asia,
        "evidence": round(verdict.evidence, 3),
        "why": verdict.why,
    }


def item_record(item: Item, story: Story, names: dict[str, str], explain: bool = False) -> dict[str, Any]:
    """One item with its labels and story; names maps source ids to the outlet names readers know."""
    out: dict[str, Any] = {
        "id": item.id,
        "title": item.title,
        "url": item.url,
        "source": names.get(item.source_id, item.source_id),
        "source_id": item.source_id,
        "published": iso(item.published),
        "dated": item.dated,
        **labels_record(item.labels or Labels(), explain),
        "story": story.id,
        "story_size": len(story.items),
        "gate": verdict_record(item.verdict),
        "summary": item.summary,
        "authors": list(item.authors),
        "tags": list(item.tags),
    }
    if explain:
        out["score"] = round(story.score, 3)
        out["score_parts"] = {k: round(v, 3) for k, v in story.score_parts}
    return out


def item_lines(item: Item, story: Story, names: dict[str, str], explain: bool = False) -> list[str]:
    """One line per item (a * marks its story's lead); with explain, its reasons and its story's score."""
    labels = item.labels or Labels()
    lead = "*" if story.lead.id == item.id else " "
    themes = ",".join(labels.themes) or "-"
    # Cleaned before the cut: a store filled before feed text was cleaned may hold escape sequences.
    outlet = printable(names.get(item.source_id, item.source_id))[:18]
    date = f"{item.published:%Y-%m-%d}" if item.published else "undated   "
    gate = "out" if item.verdict is not None and not item.verdict.passed else "in "
    lines = [
        f"{item.id}{lead} {date} {gate} {labels.region:<14} {themes:<24} {outlet:<18} {printable(item.title)}"
    ]
    if explain:
        lines.append(f"      date: {DATED_HOW.get(item.dated, item.dated)}")
        if item.verdict is not None:
            verdict = "in the issue" if item.verdict.passed else "kept out"
            lines.append(f"      gate: {verdict}: {item.verdict.why}")
        lines.extend(
            f"      {r.kind} {r.label}: {r.term!r} in {r.where} (+{r.weight:g})" for r in labels.reasons
        )
        parts = ", ".join(f"{k} {v:.2f}" for k, v in story.score_parts)
        lines.append(f"      story {story.id} score {story.score:.2f}: {parts}")
    return [printable(line) for line in lines]


def health_text(h: SourceHealth) -> str:
    """A source's health in a few words: ok, not modified, failing since ..., gone, moved to ..."""
    if h.status == "failing" and h.failing_since:
        return f"failing since {h.failing_since:%Y-%m-%d %H:%M} ({h.consecutive_failures}x): {h.last_error}"
    if h.status == "moved":
        return f"moved to {without_credentials(h.moved_to or '')} (seen {h.redirect_streak}x)"
    if h.status == "gone":
        return f"gone: {h.last_error}"
    if h.status == "one-off":
        return f"one-off (ingest){_last(h)}"
    if h.status == "removed":
        return f"not in sources.toml (items kept){_last(h)}"
    return h.status.replace("_", " ")


def _last(h: SourceHealth) -> str:
    return f", last {h.last_success:%Y-%m-%d}" if h.last_success else ""


def source_line(src: Source, h: SourceHealth) -> str:
    state = health_text(h) if src.enabled or h.status in ("one-off", "removed") else "disabled"
    return shown(f"{src.id:<28} {h.item_count:>5} items  {state:<20} {src.url}")


def source_record(src: Source, h: SourceHealth) -> dict[str, Any]:
    """One source as configured, with what the store knows of its fetches."""
    return {
        "id": src.id,
        "name": src.name,
        "url": without_credentials(src.url),
        "enabled": src.enabled,
        "region": src.region,
        "themes": list(src.themes),
        "weight": src.weight,
        "paywalled": src.paywalled,
        "tech": src.tech,  # covers technology: a prior at the relevance gate (outlets.toml, else the feed)
        "home": src.home,  # a national outlet's region: files its items that name nothing foreign
        "status": h.status,
        "health": health_text(h),
        "last_attempt": iso(h.last_attempt),
        "last_success": iso(h.last_success),
        "failing_since": iso(h.failing_since),
        "consecutive_failures": h.consecutive_failures,
        "last_error": h.last_error,
        "http_status": h.http_status,
        "moved_to": without_credentials(h.moved_to) if h.moved_to else None,
        "items": h.item_count,
        "last_new": h.last_new,
    }
