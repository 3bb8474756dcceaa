"""Where a journey keeps its filters, and the attributes its filters and bindings use.

Decision splits keep one filter per path in `configurationArguments.criteria.{outcomeKey}`;
goals, exit criteria and entry sources keep theirs in `configurationArguments.criteria`
(API notes §5.4). Entry data is read as `Event.<eventDefinitionKey>.<Field>` in filters and
`{{Event.<eventDefinitionKey>."Field"}}` in bindings; the entry source names its event
definition in `metaData.eventDefinitionKey` (or, in older documents, `eventDefinitionKey`).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from journeys.domain.conditions import (
    Condition,
    attribute_label,
    explain_filter,
    has_conditions,
    parse_filter,
    summarize_filter,
    walk,
)
from journeys.domain.layout import outcome_label

CONFIG = "configurationArguments"
_SECTIONS = {"triggers": "Entry source", "goals": "Goal", "exits": "Exit criteria"}
_BINDING = re.compile(r'\{\{Event\.("?)([^".{}]+)\1\.("?)([^"{}]+)\3\}\}')
_ENTRY_PREFIX = "Event."
_MAX_DEPTH = 64
# The names the editor gives new paths ("Path 2"): a condition says more than these.
_GENERATED_BRANCH_NAME = re.compile(r"^(Path \d+)?$")


@dataclass(frozen=True)
class FilterPlace:
    """One filter of a journey: the JSON path to its XML string and what it belongs to."""

    path: tuple[str | int, ...]
    title: str  # "Path “Gold”", "Goal", "Entry source"
    text: str
    activity_key: str | None = None
    outcome_key: str | None = None
    branch_label: str = ""  # a decision path's label on the canvas, as SFMC keeps it


def filter_places(document: Any) -> list[FilterPlace]:
    """Every filter string of the journey: decision paths, goal, exit criteria, entry source."""
    if not isinstance(document, dict):
        return []
    places: list[FilterPlace] = []
    for index, activity in _items(document, "activities"):
        criteria = _criteria(activity)
        if not isinstance(criteria, dict):
            continue
        labels = _branch_labels(activity)
        key = activity.get("key")
        key = key if isinstance(key, str) else None  # a key that is not text is no place's
        for outcome_key, text in criteria.items():
            if isinstance(text, str):
                path = ("activities", index, CONFIG, "criteria", outcome_key)
                label = labels.get(outcome_key, "")
                title = f"Path “{label or outcome_key}”"
                places.append(FilterPlace(path, title, text, key, outcome_key, label))
    for section, word in _SECTIONS.items():
        for index, item in _items(document, section):
            text = _criteria(item)
            if isinstance(text, str):
                places.append(FilterPlace((section, index, CONFIG, "criteria"), word, text))
    return places


@dataclass(frozen=True)
class BranchLabel:
    """What the canvas writes on a decision path, and the whole of it (on hover)."""

    shown: str
    full: str


def branch_labels(document: Any) -> dict[tuple[str, str], BranchLabel]:
    """The label of each decision path that has a condition, by (activity key, outcome key): the
    name a person gave the path (its condition on hover), else the condition said short."""
    found = {}
    for place in filter_places(document):
        if place.activity_key is None or place.outcome_key is None:
            continue
        label = _branch_label(place.text, place.branch_label)
        if label is not None:
            found[place.activity_key, place.outcome_key] = label
    return found


@functools.lru_cache(maxsize=4096)  # a canvas redrawn after an edit reads the same filters
def _branch_label(text: str, name: str) -> BranchLabel | None:
    parsed = parse_filter(text)
    if not has_conditions(parsed):
        return None
    full = explain_filter(parsed)
    if _GENERATED_BRANCH_NAME.match(name):
        return BranchLabel(summarize_filter(parsed), full)
    return BranchLabel(name, f"{name}: {full}")


# Where SFMC keeps its own plain-language copy of a filter, beside the filter (API notes §5.2-5.4):
# a decision path's in its outcome's metaData, a goal's and an exit's in their metaData. An entry
# source's is not documented for every kind: it is kept up to date only where it is already there.
_DESCRIPTIONS = {"goals": "configurationDescription", "exits": "criteriaDescription"}
_ENTRY_DESCRIPTIONS = ("criteriaDescription", "configurationDescription")


def criteria_description(text: str) -> str:
    """What the editor writes as SFMC's plain-language copy of a filter ("" for no condition)."""
    parsed = parse_filter(text)
    return explain_filter(parsed) if has_conditions(parsed) else ""


def description_path(
    document: Any, criteria_path: tuple[str | int, ...]
) -> tuple[str | int, ...] | None:
    """Where the plain-language copy of the filter at `criteria_path` goes (a `metaData` field);
    None when the filter is not one SFMC describes, or the item is not there."""
    if len(criteria_path) < 4 or criteria_path[2:4] != (CONFIG, "criteria"):
        return None
    section, index = criteria_path[0], criteria_path[1]
    items = document.get(section) if isinstance(document, dict) else None
    if not (isinstance(items, list) and isinstance(index, int) and 0 <= index < len(items)):
        return None
    item = items[index]
    if section == "activities" and len(criteria_path) == 5:
        outcomes = item.get("outcomes") if isinstance(item, dict) else None
        for position, outcome in enumerate(outcomes if isinstance(outcomes, list) else []):
            if isinstance(outcome, dict) and outcome.get("key") == criteria_path[4]:
                return (section, index, "outcomes", position, "metaData", "criteriaDescription")
        return None
    if len(criteria_path) != 4:
        return None
    if isinstance(section, str) and section in _DESCRIPTIONS:
        return (section, index, "metaData", _DESCRIPTIONS[section])
    meta = item.get("metaData") if isinstance(item, dict) else None
    if section == "triggers" and isinstance(meta, dict):
        found = next((name for name in _ENTRY_DESCRIPTIONS if name in meta), None)
        return None if found is None else (section, index, "metaData", found)
    return None


def entry_event_keys(document: Any) -> frozenset[str]:
    """The event definition keys of the journey's entry sources (what `Event.<key>` may read)."""
    keys = set()
    for _, trigger in _items(document, "triggers"):
        meta = trigger.get("metaData")
        for key in (
            meta.get("eventDefinitionKey") if isinstance(meta, dict) else None,
            trigger.get("eventDefinitionKey"),
        ):
            if isinstance(key, str) and key:
                keys.add(key)
    return frozenset(keys)


def entry_event_of(key: str) -> str | None:
    """The event definition an attribute key reads: "DEAudience-1" of "Event.DEAudience-1.Tier"."""
    if not key.startswith(_ENTRY_PREFIX):
        return None
    source = key[len(_ENTRY_PREFIX) :].rpartition(".")[0]
    return source or None


def journey_attributes(document: Any) -> dict[str, str]:
    """Every attribute key the journey already uses (in its filters and in `{{Event.…}}`
    bindings), with its name for people (`attribute_label`), entry data first."""
    found: dict[str, str] = {}
    for place in filter_places(document):
        for _, item in walk(parse_filter(place.text)):
            if isinstance(item, Condition):
                found.setdefault(item.key, attribute_label(item.key))
    for text in _strings(document, 0):
        for match in _BINDING.finditer(text):
            key = f"{_ENTRY_PREFIX}{match.group(2)}.{match.group(4)}"
            found.setdefault(key, attribute_label(key))
    return dict(sorted(found.items(), key=lambda pair: (not pair[0].startswith("Event."), pair[1])))


def _items(document: Any, section: str) -> Iterator[tuple[int, dict[str, Any]]]:
    items = document.get(section) if isinstance(document, dict) else None
    for index, item in enumerate(items if isinstance(items, list) else []):
        if isinstance(item, dict):
            yield index, item


def _criteria(item: dict[str, Any]) -> Any:
    config = item.get(CONFIG)
    return config.get("criteria") if isinstance(config, dict) else None


def _branch_labels(activity: dict[str, Any]) -> dict[str, str]:
    outcomes = activity.get("outcomes")
    return {
        str(outcome.get("key")): outcome_label(outcome)
        for outcome in (outcomes if isinstance(outcomes, list) else [])
        if isinstance(outcome, dict)
    }


def _strings(node: Any, depth: int) -> Iterator[str]:
    if depth > _MAX_DEPTH:
        return
    if isinstance(node, str):
        if "{{Event." in node:
            yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from _strings(value, depth + 1)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value, depth + 1)
