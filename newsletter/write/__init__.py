"""Writing the issue: the editable draft, its file format, the outputs rendered from it, and the email.

draft.py          issues/<week>/<style>.md from an IssuePlan; redrafts merge, never lose the editor's text
draft_merge.py    a redraft merged into an edited draft from its own markers
draft_entries.py  a draft body's entries and groups read off its markers, and the edits made to them
draftfile.py      the draft file format: front matter, item and section markers, the record beside it
desk_edit.py      the draft edited entry by entry (the desk): add, drop, move, reorder, rewrite, front matter
placer.py         where a style's draft can put a story, and its entry there, from the draft's templates
escape.py         feed text as Markdown that renders literally; safe link targets
templating.py     the Jinja2 environment (workspace templates first) and its filters
issue.py          one issue read from its draft, checked and composed; its Markdown as sanitized HTML
render.py         the draft into .paste.md, .html, .email.html, .txt and .eml; the archive and Atom feed
plaintext.py      the issue's HTML as the .txt output
message.py        the issue as one MIME message (.eml): text and email HTML, From, unsubscribe headers
send.py           a test send of that message over SMTP: to every recipient or to none
publish.py        `build` and `send` for a week: drafts brought up to date, rendered, archived; a test send
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import _lazy_exports

__all__, __getattr__, __dir__ = _lazy_exports(
    __name__,
    {
        ".draft": ("DraftResult", "write_draft"),
        ".draftfile": ("Draft", "read_draft"),
        ".render": ("BuildResult", "build_outputs", "build_archive", "render_view"),
        ".templating": ("environment", "render_template"),
        ".plaintext": ("html_to_plain",),
        ".message": ("compose", "stamp", "read_eml"),
        ".send": ("Sent", "check_config", "check_finished", "deliver"),
    },
)

if TYPE_CHECKING:
    from .draft import DraftResult, write_draft
    from .draftfile import Draft, read_draft
    from .message import compose, read_eml, stamp
    from .plaintext import html_to_plain
    from .render import BuildResult, build_archive, build_outputs, render_view
    from .send import Sent, check_config, check_finished, deliver
    from .templating import environment, render_template
