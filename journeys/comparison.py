"""A visual comparison of two journey versions: both canvases marked, and the changes listed.

Used by the review screen and by "compare any two revisions". Layout never counts as a change:
the domain diff compares documents, and layout is derived from them.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from journeys.canvas import Canvas, build_canvas
from journeys.domain.diff import JourneyDiff, diff
from journeys.domain.validate import validate


@dataclass(frozen=True)
class ChangeGroup:
    """The plain-language changes of one activity (or of the journey's settings)."""

    key: str
    title: str
    mark: str
    lines: list[str]


@dataclass(frozen=True)
class Comparison:
    diff: JourneyDiff
    before: Canvas
    after: Canvas
    groups: list[ChangeGroup]

    @property
    def is_empty(self) -> bool:
        return not self.diff


def _names(document: dict[str, Any]) -> dict[str, str]:
    return {
        str(a.get("key")): str(a.get("name") or a.get("key"))
        for a in document.get("activities") or []
        if isinstance(a, dict)
    }


def _groups(
    result: JourneyDiff, before: dict[str, Any], after: dict[str, Any]
) -> list[ChangeGroup]:
    names = {**_names(before), **_names(after)}
    lines: dict[str, list[str]] = defaultdict(list)
    for change in result.changes:
        key = change.activity_key or ""
        if change.summary not in lines[key]:
            lines[key].append(change.summary)
    marks = dict.fromkeys(result.activities_added, "added")
    marks.update(dict.fromkeys(result.activities_removed, "removed"))
    groups = []
    for key, summaries in lines.items():
        title = names.get(key, key) if key else "Journey"
        groups.append(ChangeGroup(key, title, marks.get(key, "changed" if key else ""), summaries))
    return groups


def compare(
    before: dict[str, Any], after: dict[str, Any], *, comments: dict[str, int] | None = None
) -> Comparison:
    """Compare two documents: `before` marks removals, `after` additions and changes."""
    result = diff(before, after)
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
        before=build_canvas(before, [], marks=before_marks),
        after=build_canvas(
            after, validate(after), marks=after_marks, comments=comments, relinked=relinked
        ),
        groups=_groups(result, before, after),
    )
