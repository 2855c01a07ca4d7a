"""Labels as the editor sees them: classifier labels with the editor's overrides on top, which always win.

Also the lookups that turn what an editor types (an id or a name, "Taiwan", "ai-chips") into
region and theme ids, and the label filter of `newsletter items`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from ..errors import NewsletterError
from ..feeds.outlets import language_region
from ..models import GLOBAL, Item, Labels, Reason, Source, Story
from .classify import Classifier
from .taxonomy import Taxonomy

if TYPE_CHECKING:
    from ..store import Override

EDITOR_WEIGHT = 1000.0  # an editor's label outweighs any evidence the classifier can find


def region_id(taxonomy: Taxonomy, text: str) -> str:
    """The region an editor means ("taiwan", "Taiwan", "global"); NewsletterError naming the choices."""
    if text.strip().lower() == GLOBAL:
        return GLOBAL
    found = taxonomy.find_region(text)
    if not found:
        names = ", ".join(r.name for r in taxonomy.regions.values())
        raise NewsletterError(f"unknown region {text!r}: choose one of {names}, Global")
    return found


def theme_id(taxonomy: Taxonomy, text: str) -> str:
    """The theme an editor means ("ai-chips", "AI chips"); NewsletterError naming the choices."""
    found = taxonomy.find_theme(text)
    if not found:
        ids = ", ".join(taxonomy.themes)
        raise NewsletterError(f"unknown theme {text!r}: choose one of {ids}")
    return found


def label_items(
    classifier: Classifier,
    items: Iterable[Item],
    sources: Mapping[str, Source],
    overrides: Mapping[str, Override],
) -> list[Item]:
    """Classify items (each source lends its region and themes as priors) and apply the editor's overrides."""
    out = []
    for item in items:
        src = sources.get(item.source_id)
        labels = classifier.classify(
            item.title,
            item.summary,
            src.region if src else None,
            src.themes if src else (),
            language_region(src.language) if src else None,
        )
        override = overrides.get(item.id)
        if override is not None:
            labels = apply_override(labels, override.region, override.themes)
        out.append(dataclasses.replace(item, labels=labels))
    return out


def apply_override(labels: Labels, region: str | None, themes: tuple[str, ...] | None) -> Labels:
    """The editor's region and/or themes in place of the classifier's, with the editor as their reason."""
    reasons = list(labels.reasons)
    if region is not None:
        rest = tuple(r for r in labels.regions if r != region)
        labels = dataclasses.replace(labels, region=region, regions=(region, *rest))
        reasons.append(Reason(region, "region", "label", "editor", EDITOR_WEIGHT))
    if themes is not None:
        labels = dataclasses.replace(labels, themes=themes)
        reasons.extend(Reason(t, "theme", "label", "editor", EDITOR_WEIGHT) for t in themes)
    return dataclasses.replace(labels, reasons=tuple(reasons), overridden=True)


def editor_labels_win(story: Story) -> Story:
    """A story is placed by its lead's labels; an editor's label on any of its items moves the story."""
    if story.lead.labels and story.lead.labels.overridden:
        return story
    labelled = next((i for i in story.also if i.labels and i.labels.overridden), None)
    if labelled is None:
        return story
    lead = dataclasses.replace(story.lead, labels=labelled.labels, verdict=labelled.verdict)
    return dataclasses.replace(story, lead=lead)


def has_labels(item: Item, region: str | None = None, theme: str | None = None) -> bool:
    """Whether an item is about this region (primary or secondary) and has this theme; None matches all."""
    labels = item.labels or Labels()
    if region and region not in (labels.regions or (labels.region,)):
        return False
    return not (theme and theme not in labels.themes)
