"""Sorting the week: labels for every item, the same story told once, a ranked week laid out as an issue.

taxonomy.py        seeds/taxonomy.toml: regions, themes and their gazetteer (matcher.py compiles it, and
                   finder.py finds its keys in a text)
classify.py        an item's regions and themes, with the reasons: the text scanned and scored once;
                   label_choice.py turns the scores into labels and picks the reasons shown, title_cues.py
                   weighs a name by the title's words around it
labels.py          the editor's overrides on top, and what an editor types into region/theme ids
clustering.py      items telling the same story grouped into Stories: comparison forms, candidate pairs,
                   the average-link merge; pair_score.py scores a pair, weighing the evidence of
                   evidence.py (names, events), evidence_figures.py and evidence_words.py
curate.py          ranking, and an IssuePlan per house style (config.HOUSE_STYLES names the planner)
pipeline.py        the above over a week: labels forked beside clustering, then ranked; again after a label
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import _lazy_exports

__all__, __getattr__, __dir__ = _lazy_exports(
    __name__,
    {
        ".taxonomy": ("Taxonomy", "load_taxonomy"),
        ".classify": ("Classifier", "classify_many"),
        ".labels": ("label_items", "apply_override", "region_id", "theme_id"),
        ".clustering": ("cluster",),
        ".curate": ("rank", "plan_issue", "PLANNERS"),
    },
)

if TYPE_CHECKING:
    from .classify import Classifier, classify_many
    from .clustering import cluster
    from .curate import PLANNERS, plan_issue, rank
    from .labels import apply_override, label_items, region_id, theme_id
    from .taxonomy import Taxonomy, load_taxonomy
