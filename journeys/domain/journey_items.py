"""The journey's own items besides its activities: the entry source, the goal, the exit criteria.

Entry sources (API notes §5.2): Journey Builder offers many kinds; through the API the editor
sets up the two whose whole configuration lives in the journey and its event definition: an API
event (fixtures 02, 12) and a data extension entry (fixtures 10, 18). Every other kind
(Salesforce data, automation audiences, transactional sends, ...) is set up in Journey Builder
with things the journey does not hold, so the editor shows it as imported and keeps it verbatim.

Goals and exit criteria (API notes §5.4; fixtures 13, 14, 18): one of each at most, a filter
each. A new one starts with an empty filter, the shape SFMC itself stores (fixture 02's entry
filter), so a condition builder has a group to start from.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

Item = dict[str, Any]

# Real entry sources and goals bind these (fixtures 12, 13, 14, 18); `filterResult` is the
# server's, so it is never invented.
CONTEXT_ARGUMENTS = {
    "startActivityKey": "{{Context.StartActivityKey}}",
    "dequeueReason": "{{Context.DequeueReason}}",
    "lastExecutedActivityKey": "{{Context.LastExecutedActivityKey}}",
}
EMPTY_FILTER = (
    '<FilterDefinition><ConditionSet Operator="AND" ConditionSetName="Individual Filter Grouping">'
    "</ConditionSet></FilterDefinition>"
)
# An event key is bound in personalisation as {{Event.<key>."Field"}}: these would break that.
EVENT_KEY_REFUSED = frozenset(" \t\r\n{}\"'.")


@dataclass(frozen=True)
class EntryKind:
    """One kind of entry source: its SFMC `type`, its name for people, whether the editor
    configures it, and what it is in plain words."""

    sfmc_type: str
    label: str
    configurable: bool
    explanation: str
    key_example: str = ""
    meta: dict[str, Any] = field(default_factory=dict)  # metaData of a newly chosen one


ENTRY_KINDS = (
    EntryKind(
        "APIEvent",
        "API event",
        True,
        "Contacts enter when your own system posts an event for them to SFMC "
        "(POST /interaction/v1/events) with this event definition key.",
        "APIEvent-…",
        {
            "chainType": "None",
            "iconUrl": "/images/icon_journeyBuilder-event-api-blue.svg",
            "title": "",
            "category": "Event",
            "entrySourceGroupConfigUrl": "jb:///data/entry/api-event/entrysourcegroupconfig.json",
        },
    ),
    EntryKind(
        "EmailAudience",
        "Data extension",
        True,
        "Contacts enter from the rows of a data extension, through the event definition with "
        "this key; which data extension it reads is part of that event definition in SFMC.",
        "DEAudience-…",
        {
            "title": "Data Extension",
            "category": "Audience",
            "iconUrl": "/images/icon-data-extension.svg",
            "entrySourceGroupConfigUrl": "jb:///data/entry/audience/entrysourcegroupconfig.json",
        },
    ),
    EntryKind(
        "AutomationAudience",
        "Data extension by automation",
        False,
        "Contacts are added by an Automation Studio automation (or an audience) that fills a "
        "data extension. The automation is set up in SFMC; the editor keeps it as imported.",
    ),
    EntryKind(
        "SalesforceObjectTriggerV2",
        "Salesforce data",
        False,
        "Contacts enter when a Salesforce record is created or updated. The Salesforce "
        "connection, object and filters are set up in Journey Builder; the editor keeps them "
        "as imported.",
    ),
    EntryKind(
        "Event",
        "Event",
        False,
        "An event entry source set up in Journey Builder (Salesforce data, a custom or an "
        "older kind of event). The editor keeps it as imported.",
    ),
    EntryKind(
        "ContactEvent",
        "Contact event",
        False,
        "Contacts enter when their contact data changes as set up in Journey Builder. The "
        "editor keeps it as imported.",
    ),
    EntryKind(
        "transactional-api",
        "Transactional send API",
        False,
        "Contacts enter through the transactional messaging API; its send definition is "
        "managed in SFMC.",
    ),
)
ENTRY_KINDS_BY_TYPE = {kind.sfmc_type: kind for kind in ENTRY_KINDS}
CONFIGURABLE_KINDS = tuple(kind for kind in ENTRY_KINDS if kind.configurable)
_TO_CHOOSE = (
    " To set up the entry here instead, choose API event or data extension as its type "
    "(that replaces this entry source; undo brings it back)."
)


def entry_kind(trigger: Item) -> EntryKind:
    """The kind of an entry source; an unknown type is shown as imported, never changed."""
    sfmc_type = trigger.get("type")
    known = ENTRY_KINDS_BY_TYPE.get(sfmc_type) if isinstance(sfmc_type, str) else None
    if known is not None:
        return known
    name = sfmc_type if isinstance(sfmc_type, str) and sfmc_type else "no type"
    return EntryKind(
        str(sfmc_type or ""),
        f"Other entry source ({name})",
        False,
        "An entry source the editor does not know. It is kept exactly as imported.",
    )


def entry_label(trigger: Item) -> str:
    """The entry source's kind for people: "API event", "Salesforce Data" (fixture 16)..."""
    kind = entry_kind(trigger)
    meta = trigger.get("metaData")
    title = meta.get("title") if isinstance(meta, dict) else None
    if kind.sfmc_type == "Event" and isinstance(title, str) and title.strip():
        return title.strip()  # Journey Builder names what the generic type stands for
    return kind.label


def entry_explanation(trigger: Item) -> str:
    """What this entry source is, in plain words, and how to change it if the editor can't."""
    kind = entry_kind(trigger)
    return kind.explanation if kind.configurable else kind.explanation + _TO_CHOOSE


def event_key(trigger: Item) -> str:
    """The event definition key the entry source reads, or ""."""
    meta = trigger.get("metaData")
    key = meta.get("eventDefinitionKey") if isinstance(meta, dict) else None
    if not key:
        key = trigger.get("eventDefinitionKey")  # where the docs' examples put it
    return key if isinstance(key, str) else ""


def needs_configuration(trigger: Item) -> bool:
    """Whether the entry source still has to be set up before the journey can run."""
    meta = trigger.get("metaData")
    if isinstance(meta, dict) and meta.get("configurationRequired") is True:
        return True
    # Transactional entry sources are bound through the transactional send, not an event key.
    return not event_key(trigger) and trigger.get("type") != "transactional-api"


def missing_configuration(trigger: Item) -> str:
    """The "not configured yet" message, saying what is missing where the editor knows."""
    kind = entry_kind(trigger)
    if kind.configurable and not event_key(trigger):
        return (
            f"The entry source ({kind.label}) is not configured yet: give its event "
            f"definition key ({kind.key_example})."
        )
    return "The entry source is not configured yet: choose where contacts come from."


def new_entry_source(previous: Item, sfmc_type: str) -> Item:
    """An entry source of a configurable kind, still to configure, in place of `previous`.

    Its key, name and description stay; its configuration (the event, the entry filter, which
    reads fields of the old event) belongs to the old kind and goes.
    """
    kind = ENTRY_KINDS_BY_TYPE[sfmc_type]
    if not kind.configurable:
        raise ValueError(f"The editor does not set up {kind.label} entry sources.")
    return {
        "key": previous.get("key") or "TRIGGER",
        "name": previous.get("name") or previous.get("key") or "TRIGGER",
        "description": previous.get("description") or "",
        "type": sfmc_type,
        "outcomes": [],
        "arguments": dict(CONTEXT_ARGUMENTS),
        "configurationArguments": {},
        "metaData": {**copy.deepcopy(kind.meta), "configurationRequired": True},
    }


def with_event_key(trigger: Item, key: str) -> Item:
    """The entry source reading the event definition `key`; configured once it has one.

    The event definition's id belongs to the old key, so it goes when the key changes (SFMC
    finds the definition by its key: API notes §1.10).
    """
    new = copy.deepcopy(trigger)
    meta = new.get("metaData")
    meta = meta if isinstance(meta, dict) else {}
    if meta.get("eventDefinitionKey") != key:
        meta.pop("eventDefinitionId", None)
    meta["eventDefinitionKey"] = key
    if key and meta.get("configurationRequired") is True:
        meta["configurationRequired"] = False
    new["metaData"] = meta
    return new


def event_key_problem(key: str) -> str | None:
    """Why `key` cannot be an event definition key, or None."""
    if not key:
        return "Give the event definition key: without it no contact can enter."
    refused = sorted(EVENT_KEY_REFUSED & set(key))
    if refused:
        shown = " ".join("a space" if c.isspace() else c for c in refused)
        return (
            f"An event definition key cannot hold {shown}: journey data is read as "
            '{{Event.<key>."Field"}}.'
        )
    return None


def goal_exits_contacts(goal: Any) -> bool:
    """Whether contacts who meet the goal leave the journey (SFMC's `metaData.isExitCriteria`;
    absent means they stay, as in a new goal)."""
    meta = goal.get("metaData") if isinstance(goal, dict) else None
    return isinstance(meta, dict) and meta.get("isExitCriteria") is True


def goal_outcome_words(goal: Any) -> tuple[str, str]:
    """What a goal's card says about contacts who meet it: short, and whole (for hover)."""
    if goal_exits_contacts(goal):
        return "Exit when met", "contacts who meet it leave the journey"
    return "Stay when met", "contacts who meet it stay in the journey"


def new_goal(name: str = "Goal") -> Item:
    """A goal as SFMC serves one (fixtures 13, 14, 18), with an empty condition."""
    meta = {"isExitCriteria": False, "conversionUnit": "percentage"}
    return _filter_step("GOAL", name, "Event", dict(CONTEXT_ARGUMENTS), meta)


def new_exit(name: str = "Exit criteria") -> Item:
    """Exit criteria as SFMC serves them (fixtures 14, 17), with an empty condition."""
    return _filter_step("EXITCRITERIA", name, "ExitCriteria", {}, {})


def _filter_step(key: str, name: str, sfmc_type: str, arguments: Item, meta: Item) -> Item:
    return {
        "key": key,
        "name": name,
        "description": "",
        "type": sfmc_type,
        "outcomes": [],
        "arguments": arguments,
        "configurationArguments": {"criteria": EMPTY_FILTER},
        "metaData": meta,
    }
