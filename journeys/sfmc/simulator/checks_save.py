"""What makes the simulated Interaction API refuse a POST or PUT of a journey.

Written from the API notes (shared/docs/sfmc-interaction-api.md §1.3, §1.4, §2.2, §5) and the real
journeys, never from the editor's own validator: the simulator is what the editor is tested
against, so a rule shared with the editor would let a bug in it pass unseen.

Saving refuses (400, errorcode 10006, one ``validationErrors[]`` item per problem) only what is
malformed: a body that is not an object, a missing required field, documented fields of the wrong
type or value (§5.1–§5.4), a key over 200 characters, illegal characters in the journey's name or
description (121072, §1.3) and broken graph rules (§5.5, checks_graph.py). Journey Builder saves
drafts whose activities are not configured yet: that fails the publish (checks_publish.py).

A null optional field counts as absent: the notes know of no refusal for one.
Server-owned fields (``id``, ``status``, ``version`` on a POST…) are ignored, as the API does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .checks_graph import graph_problems
from .config import SimConfig
from .envelopes import (
    ILLEGAL_CHARACTERS,
    KEY_TOO_LONG,
    MISSING_FIELD,
    WRONG_TYPE,
    malformed,
    validation_failed,
)
from .envelopes import validation_item as problem

MAX_KEY_LENGTH = 200


@dataclass(frozen=True)
class Kind:
    """A JSON type a documented field must have."""

    label: str
    accepts: Callable[[Any], bool]


STRING = Kind("a string", lambda value: isinstance(value, str))
NUMBER = Kind(
    "a number", lambda value: isinstance(value, int | float) and not isinstance(value, bool)
)
INTEGER = Kind("an integer", lambda value: type(value) is int)
LIST = Kind("a list", lambda value: isinstance(value, list))
OBJECT = Kind("an object", lambda value: isinstance(value, dict))

# §5.1; key is checked on its own (length), version only on a PUT.
JOURNEY_FIELDS = {
    "name": STRING,
    "description": STRING,
    "workflowApiVersion": NUMBER,
    "entryMode": STRING,
    "definitionType": STRING,
    "channel": STRING,
    "executionMode": STRING,
    "categoryId": INTEGER,
    "triggers": LIST,
    "activities": LIST,
    "goals": LIST,
    "exits": LIST,
    "notifiers": LIST,
    "tags": LIST,
    "defaults": OBJECT,
    "metaData": OBJECT,
}
# The documented values of the enumerated fields (§1.3, §5.1).
JOURNEY_VALUES: dict[str, tuple[Any, ...]] = {
    "workflowApiVersion": (0.5, 1),
    "entryMode": ("OnceAndDone", "MultipleEntries", "SingleEntryAcrossAllVersions", "NotSet"),
    "definitionType": ("Multistep", "Quicksend", "Transactional"),
}
# §5.2–§5.4: triggers, activities, goals and exits share these fields.
STEP_FIELDS = {
    "key": STRING,
    "name": STRING,
    "description": STRING,
    "type": STRING,
    "outcomes": LIST,
    "arguments": OBJECT,
    "configurationArguments": OBJECT,
    "metaData": OBJECT,
}
OUTCOME_FIELDS = {"key": STRING, "next": STRING, "arguments": OBJECT, "metaData": OBJECT}
STEP_LISTS = ("triggers", "activities", "goals", "exits")


def check_save(body: Any, required: tuple[str, ...], config: SimConfig) -> None:
    """Raise the API's 400 when a POST (or, with ``version`` required, a PUT) body is refused."""
    if not isinstance(body, dict):
        raise malformed("The body must be a JSON object.")
    errors = save_problems(body, required, config)
    if errors:
        raise validation_failed(errors)


def save_problems(
    body: dict[str, Any], required: tuple[str, ...], config: SimConfig
) -> list[dict[str, Any]]:
    """The validationErrors[] items for a body; the graph is looked at once the fields are sound."""
    errors = [
        problem(f"{name} is required.", MISSING_FIELD)
        for name in required
        if body.get(name) in (None, "")
    ]
    errors += _key_problems(body.get("key"))
    if "version" in required:
        errors += _type_problems("version", body.get("version"), INTEGER)
    errors += _journey_field_problems(body)
    errors += _step_problems(body)
    errors += _illegal_characters(body, config.illegal_name_characters)
    if errors:
        return errors
    return graph_problems(body, root_must_be_first=config.root_must_be_first)


def _key_problems(key: Any) -> list[dict[str, Any]]:
    if key in (None, "") or (isinstance(key, str) and len(key) <= MAX_KEY_LENGTH):
        return []
    message = f"key must be a string of at most {MAX_KEY_LENGTH} characters."
    return [problem(message, KEY_TOO_LONG)]


def _journey_field_problems(body: dict[str, Any]) -> list[dict[str, Any]]:
    errors = []
    for name, kind in JOURNEY_FIELDS.items():
        value = body.get(name)
        wrong = _type_problems(name, value, kind)
        errors += wrong
        allowed = JOURNEY_VALUES.get(name)
        if not wrong and value is not None and allowed and value not in allowed:
            choices = ", ".join(str(choice) for choice in allowed)
            errors.append(problem(f"{name} must be one of {choices}.", WRONG_TYPE))
    triggers = body.get("triggers")
    if isinstance(triggers, list) and len(triggers) > 1:
        errors.append(problem("A journey has one entry source: triggers[] holds at most one."))
    return errors


def _step_problems(body: dict[str, Any]) -> list[dict[str, Any]]:
    """Each trigger, activity, goal and exit: an object with fields of the documented types."""
    errors = []
    for list_name in STEP_LISTS:
        steps = body.get(list_name)
        for index, step in enumerate(steps if isinstance(steps, list) else []):
            where = f"{list_name}[{index}]"
            if not isinstance(step, dict):
                errors.append(problem(f"{where} must be an object.", WRONG_TYPE))
                continue
            key = step.get("key") if isinstance(step.get("key"), str) else None
            errors += _fields_problems(where, step, STEP_FIELDS, key)
            if list_name == "activities":
                errors += _activity_problems(where, step, key)
    return errors


def _activity_problems(where: str, step: dict[str, Any], key: str | None) -> list[dict[str, Any]]:
    """An activity needs a key (``next`` names it) and a type; its outcomes are objects."""
    errors = [
        problem(f"{where}.{name} is required.", MISSING_FIELD, key)
        for name in ("key", "type")
        if step.get(name) in (None, "")
    ]
    outcomes = step.get("outcomes")
    for index, outcome in enumerate(outcomes if isinstance(outcomes, list) else []):
        at = f"{where}.outcomes[{index}]"
        if isinstance(outcome, dict):
            errors += _fields_problems(at, outcome, OUTCOME_FIELDS, key)
        else:
            errors.append(problem(f"{at} must be an object.", WRONG_TYPE, key))
    return errors


def _fields_problems(
    where: str, data: dict[str, Any], fields: dict[str, Kind], key: str | None
) -> list[dict[str, Any]]:
    return [
        error
        for name, kind in fields.items()
        for error in _type_problems(f"{where}.{name}", data.get(name), kind, key)
    ]


def _type_problems(
    name: str, value: Any, kind: Kind, key: str | None = None
) -> list[dict[str, Any]]:
    if value is None or kind.accepts(value):
        return []
    return [problem(f"{name} must be {kind.label}.", WRONG_TYPE, key)]


def _illegal_characters(body: dict[str, Any], illegal: str) -> list[dict[str, Any]]:
    """121072, with the wording the third-party notes quote (API notes §2.1)."""
    errors = []
    for name, label in (("name", "Name"), ("description", "Description")):
        value = body.get(name)
        found = sorted({c for c in value if c in illegal}) if isinstance(value, str) else []
        if found:
            message = f"Interaction {label} contains illegal characters: {' '.join(found)}"
            errors.append(problem(message, ILLEGAL_CHARACTERS))
    return errors
