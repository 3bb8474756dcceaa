"""Generate large, realistic journey documents (and realistic edits of them).

The shapes copy the real documents in shared/fixtures/sfmc-real: WAIT (by duration), EMAILV2,
UPDATECONTACTDATA, MULTICRITERIADECISION, RANDOMSPLIT and ENGAGEMENTDECISION activities, with the
server's `schema` blocks, GUID outcome keys, an EmailAudience trigger, a goal and an exit.
Every generated graph satisfies the invariants of the real data: one root at `activities[0]`, no
dangling `next`, no unreachable activity, no cycle; joins (several outcomes leading to one
activity) are included. Output depends only on the arguments.
"""

from __future__ import annotations

import copy
import random
import uuid
from typing import Any

from journeys.domain import topology

_EVENT_KEY = "DEAudience-43e30247-bd89-0efd-f944-0bd50f5632b1"
_JOIN_PROBABILITY = 0.06
# (ui prefix, weight); the weights roughly follow the type counts in the API notes, section 5.3
_KINDS = (
    ("WAITBYDURATION", 34),
    ("EMAILV2", 30),
    ("UPDATECONTACTDATAV2", 8),
    ("MULTICRITERIADECISIONV2", 12),
    ("RANDOMSPLITV2", 8),
    ("ENGAGEMENTSPLITV2", 8),
)
_WAIT_UNITS = ("MINUTES", "HOURS", "DAYS", "WEEKS")


def _guid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _schema(rng: random.Random, names: tuple[str, ...]) -> dict[str, Any]:
    return {
        "arguments": {
            name: {
                "dataType": rng.choice(("Text", "Number", "Boolean", "Date")),
                "isNullable": rng.random() < 0.5,
                "direction": rng.choice(("In", "Out")),
                "readOnly": False,
                "access": "Hidden",
            }
            for name in names
        }
    }


def _outcome(rng: random.Random, key: str | None = None, **extra: Any) -> dict[str, Any]:
    meta = {"invalid": False, **extra.pop("metaData", {})}
    return {"key": key or _guid(rng), "arguments": extra, "metaData": meta}


def _wait(rng: random.Random, key: str) -> dict[str, Any]:
    duration, unit = rng.randint(1, 14), rng.choice(_WAIT_UNITS)
    return {
        "key": key,
        "name": f"{duration} {unit.lower()}",
        "type": "WAIT",
        "outcomes": [_outcome(rng)],
        "arguments": {
            "waitDefinitionId": _guid(rng),
            "executionMode": "{{Context.ExecutionMode}}",
            "startActivityKey": "{{Context.StartActivityKey}}",
            "waitQueueId": "{{Context.WaitQueueId}}",
        },
        "configurationArguments": {
            "waitDuration": duration,
            "waitUnit": unit,
            "specifiedTime": "",
            "timeZone": "",
            "description": "",
            "waitEndDateAttributeExpression": "",
            "specificDate": "",
            "waitForEventKey": "",
        },
        "metaData": {"isConfigured": True, "uiType": "WAITBYDURATION"},
        "schema": _schema(rng, ("endDate", "waitDefinitionId", "executionMode", "waitQueueId")),
    }


def _email(rng: random.Random, key: str) -> dict[str, Any]:
    subject = f"Offer {rng.randint(1, 9999)} for you"
    return {
        "key": key,
        "name": f"Email {subject}",
        "type": "EMAILV2",
        "outcomes": [_outcome(rng)],
        "arguments": {
            "contactKey": "{{Contact.Key}}",
            "emailAddress": "{{InteractionDefaults.Email}}",
            "eventData": "{{Event}}",
        },
        "configurationArguments": {
            "applicationExtensionKey": "jb-email-activity",
            "triggeredSend": {
                "emailId": rng.randint(10000, 99999),
                "emailSubject": subject,
                "dynamicEmailSubject": subject,
                "preHeader": "",
                "senderProfileId": _guid(rng),
                "deliveryProfileId": _guid(rng),
                "sendClassificationId": _guid(rng),
                "publicationListId": rng.randint(1000, 9999),
                "suppressionLists": [{"id": rng.randint(1, 99)}],
                "domainExclusions": [],
                "isMultipart": True,
                "isTrackingClicks": True,
                "priority": 4,
            },
            "triggeredSendKey": str(rng.randint(10000, 99999)),
            "isModified": False,
            "useLLTS": False,
        },
        "metaData": {"isConfigured": True, "category": "message"},
        "schema": _schema(rng, ("contactKey", "emailAddress", "eventData", "messageKey")),
    }


def _update_contact(rng: random.Random, key: str) -> dict[str, Any]:
    field = rng.choice(("Status", "Segment", "LastTouch"))
    return {
        "key": key,
        "name": f"Set {field}",
        "type": "UPDATECONTACTDATA",
        "outcomes": [_outcome(rng)],
        "arguments": {
            "activityData": {
                "updateContactFields": [
                    {"dataExtensionId": _guid(rng), "field": field, "value": str(rng.random())}
                ]
            },
            "contactKey": "{{Context.ContactKey}}",
        },
        "configurationArguments": {"isActivityBatchValidated": False},
        "metaData": {"isConfigured": True},
        "schema": _schema(rng, ("contactKey", "activityData")),
    }


def _filter_xml(rng: random.Random) -> str:
    value = rng.randint(1, 500)
    return (
        '<FilterDefinition><ConditionSet Operator="AND" ConditionSetName="Individual Filter '
        f'Grouping"><Condition Key="Event.{_EVENT_KEY}.Score" Operator="GreaterThan" '
        f'UiMetaData="{{}}"><Value><![CDATA[{value}]]></Value></Condition></ConditionSet>'
        "</FilterDefinition>"
    )


def _decision(rng: random.Random, key: str) -> dict[str, Any]:
    paths = rng.randint(1, 3)
    outcomes = [
        _outcome(rng, f"default_path_{n}", metaData={"label": f"Score band {n}"})
        for n in range(1, paths + 1)
    ]
    outcomes.append(_outcome(rng, "remainder_path", metaData={"label": "Everyone else"}))
    return {
        "key": key,
        "name": "Score check",
        "type": "MULTICRITERIADECISION",
        "outcomes": outcomes,
        "arguments": {"filterResult": "default_path_1={{Contact.FilterId.x}},remainder_path=False"},
        "configurationArguments": {
            "criteria": {f"default_path_{n}": _filter_xml(rng) for n in range(1, paths + 1)},
            "schemaVersionId": rng.randint(1, 400),
        },
        "metaData": {"isConfigured": True},
        "schema": _schema(rng, ("actualChoice", "filterResult")),
    }


def _random_split(rng: random.Random, key: str) -> dict[str, Any]:
    paths = rng.randint(2, 4)
    shares = [100 // paths] * paths
    shares[0] += 100 - sum(shares)
    outcomes = [
        _outcome(
            rng,
            percentage=share,
            metaData={"label": f"{share}%", "name": f"Path {n}"},
        )
        for n, share in enumerate(shares, start=1)
    ]
    return {
        "key": key,
        "name": "",
        "type": "RANDOMSPLIT",
        "outcomes": outcomes,
        "arguments": {},
        "configurationArguments": {},
        "metaData": {"isConfigured": True, "category": "flow"},
        "schema": _schema(rng, ("randomNumber", "actualChoice")),
    }


def _engagement(rng: random.Random, key: str) -> dict[str, Any]:
    return {
        "key": key,
        "name": "Opened?",
        "type": "ENGAGEMENTDECISION",
        "outcomes": [
            _outcome(rng, "branchResult-1", when=True, metaData={"label": "Yes"}),
            _outcome(rng, "branchResult-2", when=False, metaData={"label": "No"}),
        ],
        "arguments": {"contactKey": "{{Context.ContactKey}}", "statsKey": _guid(rng)},
        "configurationArguments": {"statsTypeId": 6, "triggeredSendId": _guid(rng)},
        "metaData": {"isConfigured": True},
        "schema": _schema(rng, ("conditionOutcome", "contactKey", "statsKey")),
    }


_BUILDERS = {
    "WAITBYDURATION": _wait,
    "EMAILV2": _email,
    "UPDATECONTACTDATAV2": _update_contact,
    "MULTICRITERIADECISIONV2": _decision,
    "RANDOMSPLITV2": _random_split,
    "ENGAGEMENTSPLITV2": _engagement,
}


def new_activity(rng: random.Random, prefix: str, number: int) -> dict[str, Any]:
    """Build one activity of the UI type `prefix` (a key of the builders) with key prefix-number."""
    activity = _BUILDERS[prefix](rng, f"{prefix}-{number}")
    activity["id"] = _guid(rng)
    activity["description"] = ""
    return activity


def _pick_prefix(rng: random.Random, splits_allowed: bool) -> str:
    kinds = [(p, w) for p, w in _KINDS if splits_allowed or p in ("WAITBYDURATION", "EMAILV2")]
    return rng.choices([p for p, _ in kinds], weights=[w for _, w in kinds])[0]


def _grow_activities(rng: random.Random, n_activities: int) -> list[dict[str, Any]]:
    """Attach each new activity to a random open outcome; every edge goes to a later activity,
    so the graph cannot loop. Joins point an open outcome at an already created activity."""
    counters = dict.fromkeys(_BUILDERS, 0)
    activities: list[dict[str, Any]] = []
    open_slots: list[tuple[int, dict[str, Any]]] = []
    while len(activities) < n_activities:
        remaining = n_activities - len(activities)
        prefix = _pick_prefix(rng, splits_allowed=len(open_slots) < remaining)
        slot = open_slots.pop(rng.randrange(len(open_slots))) if activities else None
        owner = activities[slot[0]] if slot else None
        if prefix == "ENGAGEMENTSPLITV2" and (owner is None or owner["type"] != "EMAILV2"):
            prefix = "WAITBYDURATION"  # an engagement split follows the email it checks
        counters[prefix] += 1
        activity = new_activity(rng, prefix, counters[prefix])
        if slot and owner:
            slot[1]["next"] = activity["key"]
            if prefix == "ENGAGEMENTSPLITV2":
                activity["configurationArguments"]["refActivityCustomerKey"] = owner["key"]
        activities.append(activity)
        open_slots.extend((len(activities) - 1, o) for o in activity["outcomes"])
        _join_some(rng, activities, open_slots)
    return activities


def _join_some(
    rng: random.Random,
    activities: list[dict[str, Any]],
    open_slots: list[tuple[int, dict[str, Any]]],
) -> None:
    if len(open_slots) < 2 or rng.random() >= _JOIN_PROBABILITY:
        return
    owner, outcome = open_slots.pop(rng.randrange(len(open_slots)))
    later = range(owner + 1, len(activities))
    if later:
        outcome["next"] = activities[rng.choice(later)]["key"]
    else:
        open_slots.append((owner, outcome))


def _goal_or_exit(rng: random.Random, key: str, type_: str, name: str) -> dict[str, Any]:
    return {
        "id": _guid(rng),
        "key": key,
        "name": name,
        "description": "",
        "type": type_,
        "outcomes": [],
        "arguments": {"filterResult": f"{{{{Contact.FilterId.{_guid(rng)}}}}}"},
        "configurationArguments": {
            "criteria": _filter_xml(rng),
            "schemaVersionId": rng.randint(1, 400),
            "filterDefinitionId": _guid(rng),
        },
        "metaData": {"chainType": "none"},
        "schema": _schema(rng, ("conditionOutcome", "filterResult")),
    }


def _trigger(rng: random.Random, name: str) -> dict[str, Any]:
    return {
        "id": _guid(rng),
        "key": "TRIGGER",
        "name": name,
        "description": "",
        "type": "EmailAudience",
        "outcomes": [],
        "arguments": {"startActivityKey": "{{Context.StartActivityKey}}", "filterResult": "true"},
        "configurationArguments": {"criteria": "", "schemaVersionId": 0},
        "metaData": {
            "eventDefinitionKey": _EVENT_KEY,
            "eventDefinitionId": _guid(rng),
            "title": "Data Extension",
            "category": "Audience",
        },
    }


def generate_journey(n_activities: int, seed: int) -> dict[str, Any]:
    """Return a valid Multistep journey with `n_activities` activities (at least 1)."""
    rng = random.Random(seed)
    name = f"Generated journey {seed}"
    journey_id = _guid(rng)
    return {
        "id": journey_id,
        "key": _guid(rng),
        "name": name,
        "description": f"{n_activities} activities, seed {seed}",
        "version": 1,
        "workflowApiVersion": 1,
        "createdDate": "2024-05-04T17:25:57.9",
        "modifiedDate": "2024-05-04T17:25:57.9",
        "lastPublishedDate": "0001-01-01T00:00:00",
        "definitionId": journey_id,
        "status": "Draft",
        "entryMode": "OnceAndDone",
        "definitionType": "Multistep",
        "channel": "",
        "executionMode": "Production",
        "categoryId": rng.randint(1000, 9999),
        "defaults": {"email": [f'{{{{Event.{_EVENT_KEY}."Email"}}}}'], "properties": {}},
        "metaData": {"dataSource": "ContactsModel"},
        "triggers": [_trigger(rng, name)],
        "activities": _grow_activities(rng, max(1, n_activities)),
        "goals": [_goal_or_exit(rng, "GOAL", "Event", "Converted")],
        "exits": [_goal_or_exit(rng, "EXITCRITERIA", "ExitCriteria", "Unsubscribed")],
        "notifiers": [],
    }


def edit_journey(doc: dict[str, Any], n_edits: int, seed: int) -> dict[str, Any]:
    """Return a copy of `doc` with `n_edits` editor-like changes that keep the graph valid.

    Edits: rename, change a wait's duration, change an email subject, insert an activity on an
    edge, delete a single-outcome activity (its predecessors skip to its successor), and point
    an ended path at a later activity (a new join). New keys continue each type's numbering,
    as Journey Builder does, so two sides edited with different seeds can collide on a key.
    """
    rng = random.Random(seed)
    edited = copy.deepcopy(doc)
    edits = (_rename, _change_wait, _change_subject, _insert, _delete, _join_ended_path)
    for _ in range(n_edits):
        rng.choice(edits)(rng, edited)
    return edited


def _pick(rng: random.Random, doc: dict[str, Any], type_: str | None = None) -> dict[str, Any]:
    candidates = [a for a in doc["activities"] if type_ is None or a["type"] == type_]
    return rng.choice(candidates or doc["activities"])


def _rename(rng: random.Random, doc: dict[str, Any]) -> None:
    _pick(rng, doc)["name"] = f"Renamed {rng.randint(1, 10**6)}"


def _change_wait(rng: random.Random, doc: dict[str, Any]) -> None:
    wait = _pick(rng, doc, "WAIT")
    wait.setdefault("configurationArguments", {})["waitDuration"] = rng.randint(15, 30)


def _change_subject(rng: random.Random, doc: dict[str, Any]) -> None:
    email = _pick(rng, doc, "EMAILV2")
    send = email.get("configurationArguments", {}).get("triggeredSend")
    if isinstance(send, dict):
        send["emailSubject"] = f"New subject {rng.randint(1, 10**6)}"
    else:
        _rename(rng, doc)


def _next_number(doc: dict[str, Any], prefix: str) -> int:
    numbers = [
        int(key.rsplit("-", 1)[1])
        for key in (a["key"] for a in doc["activities"])
        if key.startswith(prefix + "-") and key.rsplit("-", 1)[1].isdigit()
    ]
    return max(numbers, default=0) + 1


def _insert(rng: random.Random, doc: dict[str, Any]) -> None:
    source = _pick(rng, doc)
    outcome = rng.choice(source["outcomes"])
    prefix = rng.choice(("WAITBYDURATION", "EMAILV2"))
    activity = new_activity(rng, prefix, _next_number(doc, prefix))
    if outcome.get("next"):
        activity["outcomes"][0]["next"] = outcome["next"]
    outcome["next"] = activity["key"]
    doc["activities"].append(activity)


def _delete(rng: random.Random, doc: dict[str, Any]) -> None:
    checked = {
        a.get("configurationArguments", {}).get("refActivityCustomerKey") for a in doc["activities"]
    }
    candidates = [
        a for a in doc["activities"][1:] if len(a["outcomes"]) == 1 and a["key"] not in checked
    ]
    if not candidates:
        return
    victim = rng.choice(candidates)
    successor = victim["outcomes"][0].get("next")
    for activity in doc["activities"]:
        for outcome in activity["outcomes"]:
            if outcome.get("next") == victim["key"]:
                outcome["next"] = successor
                if successor is None:
                    del outcome["next"]
    doc["activities"].remove(victim)


def _join_ended_path(rng: random.Random, doc: dict[str, Any]) -> None:
    ended = [(a, o) for a in doc["activities"] for o in a["outcomes"] if not o.get("next")]
    if not ended:
        return
    source, outcome = rng.choice(ended)
    # pointing at anything that leads back to the source would close a loop
    leads_to_source = _ancestors(topology.predecessors(doc), source["key"])
    root = doc["activities"][0]["key"]
    targets = [a["key"] for a in doc["activities"] if a["key"] not in leads_to_source | {root}]
    if targets:
        outcome["next"] = rng.choice(targets)


def _ancestors(predecessors: dict[str, list[str]], key: str) -> set[str]:
    seen = {key}
    stack = [key]
    while stack:
        for parent in predecessors[stack.pop()]:
            if parent not in seen:
                seen.add(parent)
                stack.append(parent)
    return seen
