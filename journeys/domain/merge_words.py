"""A merge conflict as a marketer knows it: which activity and field, and each side in words.

"Email 'Welcome aboard' — subject", "Wait 'Wait 2 days' — duration", "Branch 'Gold' —
condition", "Journey — name"; values as text ("2 days", an email by its name, a filter's
conditions), JSON only for objects without a plain form. The technical path goes on hover.
Pure: the caller passes the three documents and the catalog names it knows.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from journeys.domain import catalog
from journeys.domain.catalog_changes import (
    WORDS,
    IdNames,
    catalog_kind_at,
    catalog_value_words,
)
from journeys.domain.conditions import Words, filter_words, parse_filter
from journeys.domain.diff import KEYED_LISTS, ActivityWords, branch_name

CONFIG = "configurationArguments"
SEND = (CONFIG, "triggeredSend")
WAIT_DURATION = (CONFIG, "waitDuration")
WAIT_UNIT = (CONFIG, "waitUnit")
_ITEM_WORDS = {"triggers": "Entry source", "goals": "Goal", "exits": "Exit criteria"}
# An item's field (the path after its key) as the side panel calls it, short.
FIELD_WORDS: dict[tuple[str, ...], str] = {
    ("name",): "name",
    ("description",): "description",
    WAIT_DURATION: "duration",
    WAIT_UNIT: "duration unit",
    (CONFIG, "specifiedTime"): "time of day",
    (CONFIG, "timeZone"): "time zone",
    ("metaData", "isExtended"): "wait until a time of day",
    (CONFIG, "waitEndDateAttributeExpression"): "date to wait for",
    (*SEND, "emailSubject"): "subject",
    (*SEND, "preHeader"): "preheader",
    (*SEND, "isTrackingClicks"): "click tracking",
    (*SEND, "suppressionLists"): "suppression lists",
    (CONFIG, "fromName"): "from name",
    (CONFIG, "isOptIn"): "opt-in",
    (CONFIG, "params", "slidingWindowHours"): "send window (hours)",
    ("arguments", "execute", "url"): "execute URL",
    ("arguments", "execute", "timeout"): "timeout (ms)",
    ("arguments", "activityData", "updateContactFields"): "fields to set",
    (CONFIG, "criteria"): "condition",
    ("outcomes",): "paths",
    ("metaData", "eventDefinitionKey"): "entry event",
}
# The journey's own settings (a top-level path).
SETTING_WORDS = {
    "name": "name",
    "description": "description",
    "entryMode": "entry mode",
    "definitionType": "journey type",
    "workflowApiVersion": "workflow API version",
    "channel": "channel",
    "executionMode": "execution mode",
    "categoryId": "folder",
    "defaults": "defaults",
    "metaData": "journey metadata",
    "goals": "goals",
    "exits": "exit criteria",
    "activities": "activities",
    "triggers": "entry sources",
}
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


@dataclass(frozen=True)
class Documents:
    """The three sides of a merge, and the provisional result (ours where in conflict)."""

    base: dict[str, Any]
    ours: dict[str, Any]
    theirs: dict[str, Any]
    merged: dict[str, Any]

    def side(self, name: str) -> dict[str, Any]:
        document = getattr(self, name)
        return document if isinstance(document, dict) else {}

    def item(self, section: Any, key: Any, *, side: str | None = None) -> dict[str, Any] | None:
        """The keyed item, from `side` or else the first side that has it (ours first)."""
        for name in (side,) if side else ("ours", "theirs", "base", "merged"):
            found = find_item(self.side(name).get(str(section)), key)
            if found is not None:
                return found
        return None


def item_said(documents: Documents, section: Any, key: Any, first: str = "") -> ActivityWords:
    """The item of `section` with `key`, named from whichever side has it (`first`, else
    ours first)."""
    item = (documents.item(section, key, side=first) if first else None) or documents.item(
        section, key
    )
    return ActivityWords(item_words(str(section), item, key), str(key))


def find_item(items: Any, key: Any) -> dict[str, Any] | None:
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict) and item.get("key") == key:
            return item
    return None


def technical_path(path: Sequence[Any]) -> str:
    """The path as stored, for hover: "activities › WAIT-1 › configurationArguments › …"."""
    return " › ".join(str(part) for part in path)


def humanized(part: Any) -> str:
    """A field's key as words: "slidingWindowHours" -> "sliding window hours"."""
    return _CAMEL.sub(" ", str(part)).lower()


def item_words(section: str, item: dict[str, Any] | None, key: Any) -> str:
    """ "Email 'Welcome aboard'", "Wait 'Wait 2 days'", "Goal 'Bought'": the item as a
    marketer knows it (an activity without a name by its default name)."""
    if section == "activities":
        entry = catalog.type_of(item) if item else None
        noun = entry.label.split(" by ")[0] if entry else "Activity"
    else:
        noun = _ITEM_WORDS.get(section, humanized(section).capitalize())
    name = item.get("name") if item else None
    if isinstance(name, str) and name:
        return f"{noun} '{name}'"
    if section == "activities" and item:
        return catalog.activity_name(item)  # its default name ("Wait 2 days"), not its key
    return f"{noun} {key}"


def field_words(rest: Sequence[Any], fallback: str = "") -> str:
    """A field of an item (its path after the key) in words; `fallback` (the side panel's
    label) before the field's own key."""
    known = FIELD_WORDS.get(tuple(str(part) for part in rest))
    if known:
        return known
    kind = catalog_kind_at(("activities", "", *rest))
    if kind and kind in WORDS:
        return WORDS[kind]
    if fallback:
        return fallback[:1].lower() + fallback[1:] if fallback[1:2].islower() else fallback
    return " › ".join(humanized(part) for part in rest if part != CONFIG) or "settings"


def conflict_title(path: Sequence[Any], documents: Documents, fallback: str = "") -> str:
    """Which activity (or goal, exit, entry source, the journey) and which of its fields."""
    if not path:
        return "Journey"
    section = str(path[0])
    if section not in KEYED_LISTS or len(path) < 2:
        setting = SETTING_WORDS.get(section) or humanized(section)
        deeper = " › ".join(humanized(part) for part in path[1:])
        return f"Journey — {setting}" + (f" › {deeper}" if deeper else "")
    key, rest = path[1], tuple(path[2:])
    item = documents.item(section, key)
    what = item_words(section, item, key)
    if not rest:
        return what
    if rest[:2] == (CONFIG, "criteria") and len(rest) == 3:
        return f"Branch '{outcome_words(documents, section, key, rest[2])}' — condition"
    if rest[0] == "outcomes" and len(rest) >= 2:
        branch = f"branch '{outcome_words(documents, section, key, rest[1])}'"
        if len(rest) == 2:
            return f"{what} — {branch}"
        if rest[2:] == ("next",):
            return f"{what}, {branch} — next step"
        return f"{what}, {branch} — {field_words(rest[2:])}"
    return f"{what} — {field_words(rest, fallback)}"


def outcome_words(documents: Documents, section: str, key: Any, outcome_key: Any) -> str:
    """A branch of a split by its label (its key when no side has it)."""
    for side in ("ours", "theirs", "base"):
        item = documents.item(section, key, side=side)
        outcome = find_item(item.get("outcomes") if item else None, outcome_key)
        if outcome is not None:
            return branch_name(outcome)
    return str(outcome_key)


# values


@dataclass(frozen=True)
class SideValue:
    """One side's value on the merge screen: in words, the raw text behind a "details" (an
    id, a filter's XML) and JSON for an object with no plain form (else "")."""

    present: bool
    words: Words
    raw: str = ""
    raw_label: str = ""
    json: str = ""


def side_value(
    path: Sequence[Any], side: str, value: dict[str, Any], documents: Documents, names: IdNames
) -> SideValue:
    """`value` is the conflict's side ({"present": bool, "value": ...})."""
    present, data = bool(value.get("present")), value.get("value")
    rest = tuple(path[2:]) if path and path[0] in KEYED_LISTS else ()
    if rest[2:] == ("next",) and rest[:1] == ("outcomes",):
        return SideValue(True, (_next_words(data, documents),))
    if not present:
        return SideValue(False, ("(not there)",))
    if isinstance(data, str) and data.lstrip().startswith("<FilterDefinition"):
        return SideValue(True, filter_words(parse_filter(data)), data, "XML")
    named = catalog_value_words(path, data, names)
    if named:
        return SideValue(True, named, _plain(data), "ID")
    if isinstance(data, dict) and rest in (WAIT_DURATION, ("outcomes",)):
        return SideValue(True, (together_text(path, data, documents),))  # fields decided together
    if path and path[0] == "activities" and rest == WAIT_DURATION:
        item = documents.item("activities", path[1], side=side) or {}
        unit = (item.get(CONFIG) or {}).get("waitUnit") if isinstance(item, dict) else None
        return SideValue(True, (duration_words(data, unit),))
    if path and path[0] == "activities" and not rest and isinstance(data, dict):
        return SideValue(True, (item_words("activities", data, path[1]),), json=_json(data))
    return SideValue(True, *_value_words(data))


def together_text(path: Sequence[Any], value: Any, documents: Documents) -> str:
    """A group of fields decided together (a merge conflict's "changed-together" side): a
    wait's length, "4 days"; a random split's percentages, "Path 1 70%, Path 2 30%"."""
    if not isinstance(value, dict):
        return "nothing"
    if path[-1] == "waitDuration":
        return duration_words(value.get("waitDuration"), value.get("waitUnit"))
    return ", ".join(
        f"{outcome_words(documents, path[0], path[1], key)} {share}%"
        for key, share in value.items()
    )


def duration_words(amount: Any, unit: Any) -> str:
    """ "2 days", "1 hour"."""
    words = str(unit or "").lower()
    if amount in (1, -1) and words.endswith("s"):
        words = words[:-1]
    return f"{amount} {words}".strip()


def _next_words(target: Any, documents: Documents) -> str:
    if not (isinstance(target, str) and target):
        return "the end of the path"
    item = documents.item("activities", target)
    return item_words("activities", item, target)


def _value_words(data: Any) -> tuple[Words, str, str, str]:
    """(words, raw, raw label, json) for a plain value."""
    if data is None or data == "":
        return ("(empty)",), "", "", ""
    if isinstance(data, bool):
        return ("yes" if data else "no",), "", "", ""
    if isinstance(data, str | int | float):
        return (str(data),), "", "", ""
    if isinstance(data, list) and all(isinstance(item, str | int | float) for item in data):
        return (", ".join(str(item) for item in data) or "(none)",), "", "", ""
    count = len(data) if isinstance(data, dict | list) else 0
    what = f"{count} field{'s' if count != 1 else ''}" if isinstance(data, dict) else "a list"
    if isinstance(data, list):
        what = f"a list of {count}"
    return (f"({what})",), "", "", _json(data)


def _plain(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)
