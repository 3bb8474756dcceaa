"""A visual comparison of two journey versions: both canvases marked, and the changes listed.

Used by the review screen and by "compare any two revisions". Layout never counts as a change:
the domain diff compares documents, and layout is derived from them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from journeys.canvas import Canvas, build_canvas
from journeys.catalog_names import CatalogNames, activity_details
from journeys.domain.catalog import activity_name
from journeys.domain.conditions import Words
from journeys.domain.diff import JourneyDiff, diff
from journeys.domain.document import items
from journeys.domain.validate import validate


@dataclass(frozen=True)
class ChangeGroup:
    """The plain-language changes of one activity (or of the journey's settings)."""

    key: str
    title: str
    mark: str
    lines: list[Words]  # plain words in parts: attributes carry their keys, for hover


@dataclass(frozen=True)
class Comparison:
    diff: JourneyDiff
    before: Canvas
    after: Canvas
    groups: list[ChangeGroup]

    @property
    def is_empty(self) -> bool:
        return not self.diff


def activity_names(document: dict[str, Any]) -> dict[str, str]:
    """Activity key -> its name (its default name when it has none: never the key)."""
    return {str(a.get("key")): activity_name(a) for a in items(document, "activities")}


def _groups(
    result: JourneyDiff, before: dict[str, Any], after: dict[str, Any]
) -> list[ChangeGroup]:
    names_before, names_after = activity_names(before), activity_names(after)
    replaced = set(result.activities_added) & set(result.activities_removed)
    lines: dict[tuple[str, str], dict[str, Words]] = defaultdict(dict)
    for change in result.changes:
        key = change.activity_key or ""
        # A key whose activity was replaced by another: the old one and the new one apart.
        side = "removed" if key in replaced and change.kind == "activity-removed" else ""
        lines[key, side].setdefault(change.summary, change.said)
    marks = dict.fromkeys(result.activities_added, "added")
    marks.update(dict.fromkeys(set(result.activities_removed) - replaced, "removed"))
    groups = []
    for (key, side), summaries in lines.items():
        names = names_before if side else {**names_before, **names_after}
        title = names.get(key, key) if key else "Journey"
        mark = side or marks.get(key, "changed" if key else "")
        groups.append(ChangeGroup(key, title, mark, list(summaries.values())))
    return groups


def compare(
    before: dict[str, Any],
    after: dict[str, Any],
    *,
    comments: dict[str, int] | None = None,
    sfmc_keys: Collection[str] = frozenset(),
    catalog: CatalogNames | None = None,
) -> Comparison:
    """Compare two documents: `before` marks removals, `after` additions and changes.

    `sfmc_keys` are the keys SFMC made (services.identity), so that an activity that took an
    old key shows as removed and added (domain.diff.is_replaced). `catalog` (catalog_names of
    both documents) says changed emails, profiles, data extensions and events by name, and puts
    names on both canvases' cards as the editor's canvas does; it costs no query here."""
    catalog = catalog or CatalogNames()
    result = diff(before, after, sfmc_keys=sfmc_keys, names=catalog.id_names())
    relinked = frozenset(
        (change.activity_key, str(change.path[-2]))
        for change in result.changes
        if change.kind == "outcome-relinked" and change.activity_key and len(change.path) >= 2
    )
    after_marks = dict.fromkeys(result.activities_added, "added")
    after_marks.update(dict.fromkeys(result.activities_changed, "changed"))
    before_marks = dict.fromkeys(result.activities_removed, "removed")
    before_marks.update(dict.fromkeys(result.activities_changed, "changed"))
    return Comparison(
        diff=result,
        before=build_canvas(
            before, [], marks=before_marks, details=activity_details(before, catalog)
        ),
        after=build_canvas(
            after,
            validate(after),
            marks=after_marks,
            comments=comments,
            relinked=relinked,
            details=activity_details(after, catalog),
        ),
        groups=_groups(result, before, after),
    )
