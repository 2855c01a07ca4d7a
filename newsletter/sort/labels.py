"""Labels as the editor sees them: classifier labels with the editor's overrides on top, which always win.

Also the lookups that turn what an editor types (an id or a name, "Taiwan", "ai-chips", the first
characters of an item id) into ids, labels for free text with a source's priors (`newsletter classify`),
and the label filter of `newsletter items`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

from ..errors import ItemNotFound, NewsletterError
from ..feeds.outlets import language_region
from ..models import GLOBAL, Item, Labels, Reason, Source, Story, evolve, when
from .classify import Classifier
from .taxonomy import Taxonomy

if TYPE_CHECKING:
    import datetime as dt

    from ..store import Override, Store

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


def find_item_id(store: Store, prefix: str) -> str:
    """The stored item an editor means by an id or its first characters; ItemNotFound when none or several."""
    matches = store.find_items(prefix)
    if prefix in matches or len(matches) == 1:
        return prefix if prefix in matches else matches[0]
    if not matches:
        raise ItemNotFound(f"no item with id {prefix!r}: `newsletter items --all` lists them")
    raise ItemNotFound(f"{prefix!r} matches several items: give more of the id")


def edit_override(
    store: Store,
    taxonomy: Callable[[], Taxonomy],
    prefix: str,
    *,
    region: str | None,
    themes: Sequence[str],
    clear: bool,
    now: Callable[[], dt.datetime],
) -> str:
    """The editor's override of one item (an id or its first characters) cleared and/or set in the store,
    where re-fetches and builds respect it; the item's full id. taxonomy is read only when it is needed."""
    item_id = find_item_id(store, prefix)
    if clear:
        store.clear_override(item_id)
    if region is not None or themes:
        store.set_override(
            item_id,
            region_id(taxonomy(), region) if region is not None else None,
            tuple(theme_id(taxonomy(), t) for t in themes) if themes else None,
            now(),
        )
    elif not clear:
        raise NewsletterError("nothing to do: give --region, --theme or --clear")
    return item_id


def labeller(
    classifier: Classifier, sources: Sequence[Source], reasons: bool = True
) -> Callable[[str, str, str | None], Labels]:
    """Labels for free text, a source (by id or name) lending its region and themes as priors: the
    sources are put in a table once, not searched per item (the first listed wins, as in sources.toml).
    reasons=False: labels without their reasons (see Classifier.classify), for a caller not showing them.
    """
    priors: dict[str, tuple[str | None, tuple[str, ...]]] = {}
    for src in reversed(sources):
        priors[src.name] = priors[src.id] = (src.region, src.themes)
    classify = classifier.classify
    none: tuple[str | None, tuple[str, ...]] = (None, ())

    def labels(title: str, summary: str = "", source: str | None = None) -> Labels:
        region, themes = priors.get(source, none) if source else none
        return classify(title, summary, region, themes, None, reasons)

    return labels


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
            home_region=src.home if src else None,
        )
        override = overrides.get(item.id)
        if override is not None:
            labels = apply_override(labels, override.region, override.themes)
        out.append(evolve(item, labels=labels))
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


def rows_with(stories: Iterable[Story], region: str | None, theme: str | None) -> list[tuple[Item, Story]]:
    """Each item of the stories with its story, those with this region and theme (None: any), newest first."""
    rows = [(item, story) for story in stories for item in story.items if has_labels(item, region, theme)]
    rows.sort(key=lambda r: (when(r[0]), r[0].id), reverse=True)
    return rows
