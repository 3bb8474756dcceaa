"""A journey's meaning in plain words: its entry source and every branch, goal and exit condition.

What `manage.py explain_journey` prints, for teams that keep journeys in git: no XML, field
names instead of keys, and a flag on every line whose filter could not be understood.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from journeys.domain.conditions import Unknown, explain_filter, parse_filter, walk
from journeys.domain.diff import branch_name
from journeys.domain.journey_items import goal_exits_contacts

ENTRY_SOURCE_WORDS = {
    "EmailAudience": "Data Extension",
    "AutomationAudience": "Data Extension (by automation)",
    "APIEvent": "API event",
    "SalesforceObjectTriggerV2": "Salesforce data",
    "Event": "Event",
    "ContactEvent": "Contact event",
    "transactional-api": "Transactional API",
}


@dataclass(frozen=True)
class Line:
    """One line of the explanation; `understood` is False when its filter could not be read."""

    depth: int
    text: str
    understood: bool = True


def explain_journey(journey: dict[str, Any]) -> list[Line]:
    """The journey's name, entry source, decision branches, goals and exits, in plain words."""
    lines = [Line(0, f"Journey '{journey.get('name') or ''}' ({journey.get('key') or 'no key'})")]
    for trigger in _items(journey, "triggers"):
        lines.append(Line(1, f"Entry: {_entry_words(trigger)}"))
        lines += _criteria_lines(2, "Entry filter", _config(trigger).get("criteria"))
    for activity in _items(journey, "activities"):
        criteria = _config(activity).get("criteria")
        if isinstance(criteria, dict):
            lines.append(Line(1, f"Decision split {_named(activity)}"))
            lines += _branch_lines(activity, criteria)
        elif isinstance(criteria, str):
            lines += _criteria_lines(1, f"Condition of {_named(activity)}", criteria)
    for field, noun in (("goals", "Goal"), ("exits", "Exit criteria")):
        for item in _items(journey, field):
            lines += _criteria_lines(1, f"{noun} {_named(item)}", _config(item).get("criteria"))
            if field == "goals" and goal_exits_contacts(item):
                lines.append(Line(2, "contacts who meet the goal leave the journey"))
    return lines


def _items(journey: dict[str, Any], field: str) -> list[dict[str, Any]]:
    items = journey.get(field)
    return [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []


def _config(item: dict[str, Any]) -> dict[str, Any]:
    config = item.get("configurationArguments")
    return config if isinstance(config, dict) else {}


def _meta(item: dict[str, Any]) -> dict[str, Any]:
    meta = item.get("metaData")
    return meta if isinstance(meta, dict) else {}


def _named(item: dict[str, Any]) -> str:
    name = item.get("name")
    return f"'{name}' ({item.get('key')})" if name else str(item.get("key"))


def _entry_words(trigger: dict[str, Any]) -> str:
    kind = str(trigger.get("type") or "unknown")
    words = ENTRY_SOURCE_WORDS.get(kind, f"{kind} (imported from SFMC)")
    event = _meta(trigger).get("eventDefinitionKey")
    return f"{words}, event {event}" if event else words


def _branch_lines(activity: dict[str, Any], criteria: dict[str, Any]) -> list[Line]:
    lines = []
    outcomes = [o for o in activity.get("outcomes") or [] if isinstance(o, dict)]
    for outcome in outcomes:
        label = f"Branch '{branch_name(outcome)}'"
        if outcome.get("key") in criteria:
            lines += _criteria_lines(2, label, criteria[outcome["key"]])
        else:
            lines.append(Line(2, f"{label}: everyone else"))
    known = {o.get("key") for o in outcomes}
    for key, text in criteria.items():
        if key not in known:
            lines += _criteria_lines(2, f"Criteria {key} (no branch)", text)
    return lines


def _criteria_lines(depth: int, label: str, criteria: Any) -> list[Line]:
    if criteria is None:
        return [Line(depth, f"{label}: no condition")] if depth == 1 else []
    if not isinstance(criteria, str):
        return [Line(depth, f"{label}: (not understood: the criteria are not text)", False)]
    parsed = parse_filter(criteria)
    understood = parsed.error is None and not any(isinstance(i, Unknown) for _, i in walk(parsed))
    return [Line(depth, f"{label}: {explain_filter(parsed)}", understood)]
