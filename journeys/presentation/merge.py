"""The merge screen: what each side changed, what merged by itself, the merged journey, and each
conflict named as a marketer knows it with its three values in words and its form fields.

    form = merge_choices_form(session, request.POST)   # journeys.merge_forms
    screen = merge_screen(session, form)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.forms.boundfield import BoundField, BoundWidget
from django.urls import reverse

from journeys.canvas import Canvas, build_canvas
from journeys.catalog_names import activity_details, catalog_names
from journeys.domain.catalog_changes import IdNames
from journeys.domain.conditions import Words
from journeys.domain.diff import ActivityWords, JourneyDiff, diff
from journeys.domain.merge_words import (
    Documents,
    SideValue,
    conflict_title,
    side_value,
    technical_path,
)
from journeys.domain.validate import validate
from journeys.merge_forms import MergeForm, documents_of
from journeys.models import MergeSession
from journeys.services.identity import lineage

SIDE_LABELS = (("base", "Before (base)"), ("ours", "Your draft"), ("theirs", "SFMC now"))
# Conflicts whose three values do not tell the whole story keep their sentence.
EXPLAINED_KINDS = frozenset(
    {
        "delete-vs-modify",
        "type-changed",
        "shape-changed",
        "both-added",
        "cycle",
        "orphan",
        "changed-together",
    }
)


@dataclass(frozen=True)
class Side:
    """One column of a conflict: whose value, the value in words, the radio that picks it."""

    name: str
    label: str
    value: SideValue
    radio: BoundWidget | None


@dataclass(frozen=True)
class ConflictRow:
    """One conflict: its title ("Email 'Welcome' — subject"), the stored path on hover, the
    sides, and its fields (the custom value in the side panel's widget) with their errors."""

    number: int
    conflict: dict[str, Any]
    title: str
    where: str
    explanation: Words
    sides: list[Side]
    custom_radio: BoundWidget | None
    custom: BoundField
    kind: str
    errors: list[str]
    conditions_url: str  # where its condition builder (kind "conditions") posts to re-draw


@dataclass(frozen=True)
class MergeScreen:
    session: MergeSession
    theirs_changes: list[Words]
    our_changes: list[Words]
    clean: list[tuple[str, Words]]
    rows: list[ConflictRow]
    canvas: Canvas
    form: MergeForm
    errors: list[str]


def merge_screen(session: MergeSession, form: MergeForm) -> MergeScreen:
    """Everything the merge screen shows; `form` holds the picks (posted or stored)."""
    documents = documents_of(session)
    base, ours, theirs = documents.base, documents.ours, documents.theirs
    sfmc_keys = lineage(session.draft.journey_id).sfmc_keys
    connection = session.draft.journey.connection
    merged = documents.merged
    catalog = catalog_names(connection, ours, also=[base, theirs, merged])
    names = catalog.id_names()
    theirs_diff = diff(base, theirs, sfmc_keys=sfmc_keys, names=names)
    ours_diff = diff(base, ours, sfmc_keys=sfmc_keys, names=names)
    paths = [path for conflict in session.conflicts for path in _paths(conflict)]
    redraw_url = reverse("journeys:merge-conditions", args=[session.pk])
    clean = {
        (side, change.summary): (side, change.said)
        for side, found in (("SFMC", theirs_diff), ("Your draft", ours_diff))
        for change in found.changes
        if not any(_overlaps(change.path, path) for path in paths)
    }
    return MergeScreen(
        session=session,
        theirs_changes=theirs_diff.lines(),
        our_changes=ours_diff.lines(),
        clean=list(clean.values()),
        rows=[
            _row(form, index, conflict, documents, names, redraw_url)
            for index, conflict in enumerate(session.conflicts)
        ],
        canvas=build_canvas(
            merged,
            validate(merged),
            marks=_marks(session, theirs_diff),
            details=activity_details(merged, catalog),  # names on cards, as in the editor
        ),
        form=form,
        errors=form.numbered_errors() if form.show_errors else [],
    )


def _row(
    form: MergeForm,
    index: int,
    conflict: dict[str, Any],
    documents: Documents,
    names: IdNames,
    redraw_url: str,
) -> ConflictRow:
    path = conflict["path"]
    fields = form.group(index)
    radios = fields.radios
    sides = [
        Side(
            name, label, side_value(path, name, conflict[name], documents, names), radios.get(name)
        )
        for name, label in SIDE_LABELS
    ]
    return ConflictRow(
        number=fields.number,
        conflict=conflict,
        title=conflict_title(path, documents, fields.panel_label),
        where=technical_path(path),
        explanation=explanation(conflict) if conflict["kind"] in EXPLAINED_KINDS else (),
        sides=sides,
        custom_radio=radios.get("custom"),
        custom=fields.custom,
        kind=fields.kind,
        errors=fields.errors if form.show_errors else [],
        conditions_url=f"{redraw_url}?{urlencode({'field': fields.custom.html_name})}",
    )


def explanation(conflict: dict[str, Any]) -> Words:
    """The conflict's sentence, each activity by name with its key on hover (a conflict stored
    before sentences had parts is said as its plain description)."""
    parts = conflict.get("said")
    if not isinstance(parts, list) or not parts:
        return (str(conflict.get("description") or ""),)
    return tuple(
        ActivityWords(str(part.get("name")), str(part.get("key")))
        if isinstance(part, dict)
        else str(part)
        for part in parts
    )


def _paths(conflict: dict[str, Any]) -> list[tuple[Any, ...]]:
    """Where a conflict decides: its path, and each field decided with it."""
    members = conflict.get("members")
    together = members.values() if isinstance(members, dict) else []
    return [tuple(conflict["path"]), *(tuple(path) for path in together)]


def _overlaps(a: tuple[Any, ...], b: tuple[Any, ...]) -> bool:
    shorter = min(len(a), len(b))
    return a[:shorter] == b[:shorter]


def _marks(session: MergeSession, theirs_diff: JourneyDiff) -> dict[str, str]:
    marks = dict.fromkeys(theirs_diff.activities_changed, "changed")
    marks.update(dict.fromkeys(theirs_diff.activities_added, "added"))
    for conflict in session.conflicts:
        if conflict.get("activity_key"):
            marks[conflict["activity_key"]] = "conflict"
    return marks
