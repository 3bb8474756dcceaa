"""The side panel's context: what is selected, its form, and its structural controls."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.urls import reverse

from journeys.domain.catalog import (
    BRANCHABLE_TYPES,
    REMAINDER_PATH,
    CatalogEntry,
    activity_name,
    type_of,
)
from journeys.domain.document import items
from journeys.domain.layout import outcome_label
from journeys.domain.validate import Problem, validate
from journeys.models import Draft
from journeys.panel_forms import PanelForm, Target, panel_form_for
from journeys.panel_forms.catalog_pickers import PanelCatalog

TARGET_KINDS = ("activity", "trigger", "goal", "exit", "settings")


@dataclass(frozen=True)
class OutcomeRow:
    key: str
    label: str
    next: str
    removable: bool


@dataclass(frozen=True)
class Structure:
    """What the panel offers to change in the graph around the selected activity."""

    key: str
    entry: CatalogEntry | None
    outcomes: list[OutcomeRow]
    link_targets: list[tuple[str, str]]
    can_add_branch: bool


def parse_target(value: str | None, document: dict[str, Any]) -> Target | None:
    """`activity:KEY`, `trigger`, `goal`, `exit` or `settings`; None unless it exists."""
    if not value:
        return None
    kind, _, key = value.partition(":")
    if kind not in TARGET_KINDS or (kind == "activity" and not key):
        return None
    target = Target(kind, key or None)  # type: ignore[arg-type]
    try:
        panel_form_for(document, target)
    except LookupError:
        return None
    return target


def target_param(target: Target | None) -> str:
    if target is None:
        return ""
    return f"{target.kind}:{target.key}" if target.key else target.kind


def _unnamed_path(number: int, count: int) -> str:
    """A path without a label, said as people see it (its key is an id no one knows)."""
    return "The path" if count == 1 else f"Path {number}"


def _structure(document: dict[str, Any], key: str) -> Structure:
    activities = items(document, "activities")
    activity = next(a for a in activities if a.get("key") == key)
    entry = type_of(activity)
    outcomes = items(activity, "outcomes")
    minimum = entry.min_outcomes if entry else len(outcomes)
    maximum = entry.max_outcomes if entry else len(outcomes)
    branchable = entry is not None and entry.sfmc_type in BRANCHABLE_TYPES
    rows = [
        OutcomeRow(
            key=str(o.get("key")),
            label=outcome_label(o) or _unnamed_path(number, len(outcomes)),
            next=str(o.get("next") or ""),
            removable=branchable and len(outcomes) > minimum and o.get("key") != REMAINDER_PATH,
        )
        for number, o in enumerate(outcomes, 1)
    ]
    targets = [
        (a["key"], activity_name(a))
        for a in activities
        if isinstance(a.get("key"), str) and a["key"] != key
    ]
    return Structure(key, entry, rows, targets, branchable and len(outcomes) < maximum)


@dataclass(frozen=True)
class Removal:
    """The confirmed removal the panel offers for the goal or the exit criteria."""

    op: str
    noun: str
    name: str


def journey_items(document: dict[str, Any]) -> dict[str, bool]:
    """Whether the journey has a goal and exit criteria (the canvas offers to add them)."""
    return {
        kind: bool(items(document, field)) for kind, field in (("goal", "goals"), ("exit", "exits"))
    }


def _removal(form: PanelForm, target: Target) -> Removal | None:
    if target.kind not in ("goal", "exit") or form.item_path is None:
        return None
    noun = "goal" if target.kind == "goal" else "exit criteria"
    name = str(form.item.get("name") or form.item.get("key") or noun)
    return Removal(f"remove-{target.kind}", noun, name)


def conditions_url(draft: Draft, target: Target, field: str) -> str:
    """Where a condition builder in the panel posts to re-draw itself."""
    query = urlencode({"target": target_param(target), "field": field})
    return f"{reverse('journeys:draft-conditions', args=[draft.pk])}?{query}"


def panel_context(
    draft: Draft,
    target: Target | None,
    form: PanelForm | None,
    catalog: PanelCatalog | None = None,
    problems: list[Problem] | None = None,
) -> dict[str, Any]:
    """The panel's part of the editor's context; `problems` are the journey's, as the canvas
    shows them (the panel lists the selected item's own), else checked here."""
    if target is None:
        return {
            "target": None,
            "panel_form": None,
            "structure": None,
            "target_problems": [],
            "removal": None,
        }
    catalog = catalog or PanelCatalog(draft)
    if problems is None:
        problems = validate(draft.document) + catalog.names.problems()
    if target.kind == "activity" and target.key:
        structure = _structure(draft.document, target.key)
        mine = [p for p in problems if p.activity_key == target.key]
    else:
        structure = None
        section = {"trigger": "$.triggers", "goal": "$.goals", "exit": "$.exits"}.get(target.kind)
        mine = [p for p in problems if section and p.path.startswith(section)]
    form = form or panel_form_for(draft.document, target, catalog=catalog)
    return {
        "catalog": catalog,
        "target": target,
        "target_param": target_param(target),
        "conditions_url": conditions_url(draft, target, ""),
        "panel_form": form,
        "structure": structure,
        "target_problems": mine,
        "removal": _removal(form, target),
    }
