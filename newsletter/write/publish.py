"""The last steps of a week's issue: `build` (drafts brought up to date, rendered, the archive refreshed)
and a test `send` (the draft checked, the outputs rebuilt when stale, the message stamped and delivered).

Drafting needs the week sorted, which is not this package's work: the caller hands in how to (re)draft
a style and whether the editor labelled any item of the week, and each is asked only when needed.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
from collections.abc import Callable, Mapping, Sequence

from ..config import Settings
from ..errors import DraftConflict, SendError, StoreError
from ..models import Week
from ..workspace import FORMATS, Workspace
from . import message, render
from . import send as send_mod
from .draft import DraftResult


def build(
    ws: Workspace,
    settings: Settings,
    week: Week,
    styles: Sequence[str],
    formats: Sequence[str],
    now: Callable[[], dt.datetime],
    *,
    redraft: Callable[[str, bool], DraftResult],
    labelled: Callable[[], bool],
) -> list[render.BuildResult]:
    """Render each style's draft (drafting it first if missing) and refresh the archive.

    formats: some of workspace.FORMATS, or "all"; none means all. redraft(style, labels_only) writes a
    style's draft (labels_only: apply the editor's labels to an existing one, add nothing else);
    labelled() says whether the editor labelled any item of the week: only then can a label move a
    drafted entry. A store that cannot say is a note on the result: the draft alone is enough to build.
    """
    any_labels = None
    results = []
    for style in styles:
        notes: tuple[str, ...] = ()
        drafted: tuple[str, ...] = ()  # what drafting afresh has to say (an empty week)
        if not ws.draft_path(week, style).exists():
            drafted = redraft(style, False).notes
        else:
            if any_labels is None:
                try:
                    any_labels = labelled()
                except StoreError as exc:  # the draft alone is enough to build from
                    any_labels, notes = False, (f"labels not applied: {exc}",)
            if any_labels:
                # The editor's labels reach a draft that exists: entries they never touched move.
                with contextlib.suppress(DraftConflict):  # rendering then names what is wrong with it
                    notes = redraft(style, True).notes
        result = render.build_outputs(ws, settings, week, style, formats, now())
        results.append(dataclasses.replace(result, notes=notes, warnings=(*drafted, *result.warnings)))
    render.build_archive(ws, settings)
    return results


def send(
    ws: Workspace,
    settings: Settings,
    week: Week,
    style: str,
    to: Sequence[str],
    *,
    anyway: bool,
    environ: Mapping[str, str],
    now: Callable[[], dt.datetime],
    rebuild: Callable[[], object],
) -> send_mod.Sent:
    """A test send of one issue over SMTP ([send] in newsletter.toml), rebuilt first (rebuild) when the
    draft, a template or the settings changed after its outputs.

    to: none means test_to; anyway: send a draft that still holds placeholders; environ holds the password.
    """
    config, recipients = send_mod.check_config(settings.send, to)
    path = ws.draft_path(week, style)
    if not path.exists():
        raise SendError(f"no draft at {path}: run `newsletter build --week {week}` and write it")
    if not anyway:
        send_mod.check_finished(path)
    outputs = [ws.output_path(week, style, fmt) for fmt in FORMATS]
    if send_mod.stale([path, ws.settings_path, *send_mod.template_files(ws)], outputs):
        rebuild()
    msg = send_mod.load_message(ws.output_path(week, style, "eml"))
    message.stamp(msg, now(), settings.tz, recipients)
    return send_mod.deliver(config, msg, recipients, environ)
