"""The catalogue of activity types the editor knows, and how Journey Builder creates them.

Sources: the API notes §5.3 (types, key prefixes, outcome counts, configuration shapes) and the
real fixtures (the factories copy the shape Journey Builder saved there). Palette groups follow
Journey Builder's activity panel. Outcome limits: random split "up to 10 paths" and decision
split "up to 20 paths" (Salesforce help); engagement split is always Yes/No.

An activity whose type is not in the catalogue is a generic block: it is kept verbatim, drawn
as a plain card and checked against the generic activity shape only (`type_of` returns None).
Push notifications (`PUSHNOTIFICATION`) are left out: no real document shows their configuration.

A factory makes what Journey Builder makes when an activity is dropped on the canvas. Anything
that needs a choice the editor cannot guess (which email, which data extension field...) is left
empty and the activity is marked `metaData.isConfigured: false`, as Journey Builder does, so
the validator reports it as "not configured yet" (a warning) rather than as broken.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from journeys.domain.document import items

MESSAGES = "Messages"
FLOW_CONTROL = "Flow Control"
CUSTOMER_UPDATES = "Customer Updates"
SALES_AND_SERVICE_CLOUD = "Sales & Service Cloud"
CUSTOM = "Custom"
PALETTE_GROUPS = (MESSAGES, FLOW_CONTROL, CUSTOMER_UPDATES, SALES_AND_SERVICE_CLOUD, CUSTOM)

REMAINDER_PATH = "remainder_path"
# A decision criterion with no condition yet: what a new path holds until it is configured.
EMPTY_FILTER = (
    '<FilterDefinition><ConditionSet Operator="AND" '
    'ConditionSetName="Individual Filter Grouping"></ConditionSet></FilterDefinition>'
)

FieldPath = tuple[str, ...]


@dataclass(frozen=True)
class CatalogEntry:
    """One kind of activity as the palette shows it.

    `palette_group` is None for a type that is never dropped on its own (the Path Optimizer's
    winner step, which Journey Builder creates with the Path Optimizer). `required_fields` are
    the configuration paths a configured activity of this type must fill.
    """

    type_id: str
    key_prefix: str
    sfmc_type: str
    label: str
    palette_group: str | None
    is_split: bool
    min_outcomes: int
    max_outcomes: int
    required_fields: tuple[FieldPath, ...] = ()


def _entry(
    type_id: str,
    sfmc_type: str,
    label: str,
    group: str | None,
    outcomes: tuple[int, int] = (1, 1),
    required: tuple[FieldPath, ...] = (),
    key_prefix: str | None = None,
) -> CatalogEntry:
    low, high = outcomes
    prefix = key_prefix or type_id
    return CatalogEntry(type_id, prefix, sfmc_type, label, group, high > 1, low, high, required)


_CONFIG = "configurationArguments"
_WAIT_FIELDS = ((_CONFIG, "waitDuration"), (_CONFIG, "waitUnit"))

ENTRIES: tuple[CatalogEntry, ...] = (
    _entry(
        "EMAILV2", "EMAILV2", "Email", MESSAGES, required=((_CONFIG, "triggeredSend", "emailId"),)
    ),
    _entry("SMSSYNC", "SMSSYNC", "SMS", MESSAGES, required=((_CONFIG, "messageId"),)),
    _entry(
        "MULTICRITERIADECISIONV2",
        "MULTICRITERIADECISION",
        "Decision Split",
        FLOW_CONTROL,
        (2, 20),
        ((_CONFIG, "criteria"),),
    ),
    _entry("RANDOMSPLITV2", "RANDOMSPLIT", "Random Split", FLOW_CONTROL, (2, 10)),
    _entry(
        "ENGAGEMENTSPLITV2",
        "ENGAGEMENTDECISION",
        "Engagement Split",
        FLOW_CONTROL,
        (2, 2),
        ((_CONFIG, "refActivityCustomerKey"),),
    ),
    _entry("WAITBYDURATION", "WAIT", "Wait by Duration", FLOW_CONTROL, required=_WAIT_FIELDS),
    _entry(
        "WAITBYATTRIBUTE",
        "WAIT",
        "Wait by Attribute",
        FLOW_CONTROL,
        required=(*_WAIT_FIELDS, (_CONFIG, "waitEndDateAttributeExpression")),
    ),
    _entry("STOWAIT", "STOWAIT", "Einstein STO", FLOW_CONTROL),
    _entry("ABNTEST", "ABNTEST", "Path Optimizer", FLOW_CONTROL, (2, 10)),
    _entry(
        "ABNTESTSTOP",
        "ABNTESTSTOP",
        "Path Optimizer Winner",
        None,
        required=((_CONFIG, "aBnStartActivityKey"),),
    ),
    _entry(
        "UPDATECONTACTDATAV2",
        "UPDATECONTACTDATA",
        "Update Contact",
        CUSTOMER_UPDATES,
        required=(("arguments", "activityData", "updateContactFields"),),
    ),
    _entry(
        "DATAEXTENSIONUPDATE",
        "DATAEXTENSIONUPDATE",
        "Update Data Extension",
        CUSTOMER_UPDATES,
        required=((_CONFIG, "dataExtensionId"), (_CONFIG, "field")),
    ),
    _entry(
        "SALESCLOUDACTIVITY",
        "SALESCLOUDACTIVITY",
        "Sales Cloud Activity",
        SALES_AND_SERVICE_CLOUD,
        required=(("arguments", "objectMap", "objects"),),
    ),
    _entry("REST", "REST", "Custom Activity", CUSTOM, required=(("arguments", "execute", "url"),)),
    _entry(
        "RESTSPLIT",
        "REST",
        "Custom Split",
        CUSTOM,
        (2, 10),
        (("arguments", "execute", "url"),),
        key_prefix="REST",
    ),
)
BY_TYPE_ID: dict[str, CatalogEntry] = {entry.type_id: entry for entry in ENTRIES}
# Types with one catalogue entry; WAIT and REST are told apart by `type_of`.
_BY_SFMC_TYPE = {
    entry.sfmc_type: entry for entry in ENTRIES if entry.sfmc_type not in ("WAIT", "REST")
}
# Where a branch's human name lives in its outcome's metaData (the label holds "50%" there).
BRANCH_NAME_FIELDS = {"RANDOMSPLIT": "name", "ABNTEST": "pathName"}
# Splits whose branches the editor may add or remove; the others have fixed branches (Yes/No)
# or branches defined by an outside service (custom split).
BRANCHABLE_TYPES = frozenset({"MULTICRITERIADECISION", "RANDOMSPLIT", "ABNTEST"})


def type_of(activity: object) -> CatalogEntry | None:
    """Return the catalogue entry an activity belongs to, or None for a generic block."""
    if not isinstance(activity, dict):
        return None
    sfmc_type = activity.get("type")
    if sfmc_type == "WAIT":
        meta = activity.get("metaData")
        ui_type = meta.get("uiType") if isinstance(meta, dict) else None
        if ui_type in (None, "WAITBYDURATION"):
            return BY_TYPE_ID["WAITBYDURATION"]
        return BY_TYPE_ID["WAITBYATTRIBUTE"] if ui_type == "WAITBYATTRIBUTE" else None
    if sfmc_type == "REST":
        return BY_TYPE_ID["RESTSPLIT" if _is_custom_split(activity) else "REST"]
    return _BY_SFMC_TYPE.get(sfmc_type) if isinstance(sfmc_type, str) else None


def _is_custom_split(activity: dict[str, Any]) -> bool:
    outcomes = activity.get("outcomes")
    if not isinstance(outcomes, list):
        return False
    with_branch_result = [
        outcome
        for outcome in outcomes
        if isinstance(outcome, dict)
        and isinstance(outcome.get("arguments"), dict)
        and "branchResult" in outcome["arguments"]
    ]
    return len(outcomes) > 1 or bool(with_branch_result)


def next_key(doc: object, prefix: str, taken: Iterable[str] = ()) -> str:
    """Return `<prefix>-<n>` with n one more than the highest n used in the journey or `taken`.

    `taken` holds every activity key the journey's lineage ever used (its base, revisions and
    remote versions), so a deleted activity's key is never handed to a new one: a merge or a
    comparison would take the new activity for the old one.
    """
    pattern = re.compile(re.escape(prefix) + r"-(\d+)")
    activities = doc.get("activities") if isinstance(doc, dict) else None
    keys = (
        [a.get("key") for a in activities if isinstance(a, dict)]
        if isinstance(activities, list)
        else []
    )
    used = [0]
    for key in [*keys, *taken]:
        match = pattern.fullmatch(key) if isinstance(key, str) else None
        if match:
            used.append(int(match.group(1)))
    return f"{prefix}-{max(used) + 1}"


def duration_words(amount: object, unit: object) -> str:
    """A wait's duration in words: "3 days", "1 hour" (SFMC's units are plural upper case)."""
    words = str(unit or "").lower()
    if isinstance(amount, int) and abs(amount) == 1 and words.endswith("s"):
        words = words[:-1]
    return f"{amount} {words}"


def wait_name(amount: object, unit: object) -> str:
    """The name a wait by duration states its value in: "Wait 2 days", "Wait 1 hour"."""
    return f"Wait {duration_words(amount, unit)}"


def activity_summary(activity: dict[str, Any]) -> str:
    """What an activity does, said short for its card: a wait's duration ("2 days"), a random
    split's shares ("60% · 40%"), a decision's number of paths; "" for the rest (an email's
    card says its email by name from the catalog)."""
    entry = type_of(activity)
    config = activity.get(_CONFIG)
    config = config if isinstance(config, dict) else {}
    outcomes = items(activity, "outcomes")
    if entry is None:
        return ""
    if entry.type_id == "WAITBYDURATION" and config.get("waitDuration") not in (None, ""):
        return duration_words(config.get("waitDuration"), config.get("waitUnit"))
    if entry.type_id in ("RANDOMSPLITV2", "ABNTEST"):
        arguments = [o.get("arguments") for o in outcomes]
        shares = [a.get("percentage") if isinstance(a, dict) else None for a in arguments]
        if shares and all(isinstance(share, (int, float, str)) for share in shares):
            return " · ".join(f"{share}%" for share in shares)
    if entry.type_id == "MULTICRITERIADECISIONV2" and outcomes:
        return f"{len(outcomes)} path{'' if len(outcomes) == 1 else 's'}"
    return ""


def default_name(type_id: str, doc: Any, activity: dict[str, Any]) -> str:
    """The name a new activity gets, as Journey Builder gives them: a wait states its duration
    ("Wait 1 day"); any other activity is its type numbered after those of the same name
    already in the journey ("Email 1", "Email 2")."""
    if type_id == "WAITBYDURATION":
        config = activity.get(_CONFIG) or {}
        return wait_name(config.get("waitDuration"), config.get("waitUnit"))
    label = BY_TYPE_ID[type_id].label
    pattern = re.compile(re.escape(label) + r" (\d+)")
    used = [0] + [
        int(match.group(1))
        for item in items(doc, "activities")
        if isinstance(item.get("name"), str)
        for match in [pattern.fullmatch(item["name"])]
        if match
    ]
    return f"{label} {max(used) + 1}"


def activity_name(activity: object) -> str:
    """An activity's name as people see it: the name it was given, else the name Journey
    Builder gives one of its type ("Wait 2 days", "Email"); never its key."""
    if not isinstance(activity, dict):
        return "Activity"
    name = activity.get("name")
    if isinstance(name, str) and name.strip():
        return name
    entry = type_of(activity)
    if entry is not None and entry.type_id == "WAITBYDURATION":
        config = activity.get(_CONFIG)
        config = config if isinstance(config, dict) else {}
        if config.get("waitDuration") not in (None, ""):
            return wait_name(config.get("waitDuration"), config.get("waitUnit"))
    return _kind(activity)


def activity_title(activity: object) -> str:
    """ "Email 'Welcome'": the kind of activity and its name in a sentence; the default name
    alone ("Wait 2 days", "Email") for an activity without a name of its own."""
    name = activity_name(activity)
    own = isinstance(activity, dict) and activity.get("name") == name
    return f"{_kind(activity)} '{name}'" if own else name


def activity_titles(doc: object) -> dict[str, str]:
    """Each activity's key -> its `activity_title`, for sentences about other activities."""
    return {
        activity["key"]: activity_title(activity)
        for activity in items(doc, "activities")
        if isinstance(activity.get("key"), str)
    }


def title_of(key: str, titles: dict[str, str]) -> str:
    """The activity `key` names in a sentence: its title, or what a dangling key is."""
    if key in titles:
        return titles[key]
    return f"an activity that does not exist (key {key})" if key else "an empty key"


def named_keys(text: str, titles: dict[str, str]) -> str:
    """Someone else's sentence (SFMC's) with each activity key it quotes replaced by the
    activity's title; keys of no activity are left as they are."""
    if not titles or not text:
        return text
    # The longest key first, and whole keys only: EMAILV2-1 is not the start of EMAILV2-10.
    keys = sorted((key for key in titles if key), key=len, reverse=True)
    pattern = re.compile(r"(?<![\w-])(" + "|".join(map(re.escape, keys)) + r")(?![\w-])")
    return pattern.sub(lambda match: titles[match.group(1)], text)


def _kind(activity: object) -> str:
    entry = type_of(activity)
    if entry is not None:
        return entry.label
    sfmc_type = activity.get("type") if isinstance(activity, dict) else None
    return sfmc_type if isinstance(sfmc_type, str) and sfmc_type else "Activity"


def new_activity(type_id: str, key: str, *, name: str = "") -> dict[str, Any]:
    """Build a new activity of a catalogue type as Journey Builder creates it.

    Raises KeyError for a type the catalogue does not have.
    """
    entry = BY_TYPE_ID[type_id]
    activity: dict[str, Any] = {
        "key": key,
        "name": name,
        "description": "",
        "type": entry.sfmc_type,
        "outcomes": [_outcome()],
        "arguments": {},
        "configurationArguments": {},
        "metaData": {"isConfigured": False},
    }
    _CONFIGURE[type_id](activity)
    return activity


def even_percentages(count: int) -> list[int]:
    """Split 100 into `count` whole percentages, the last ones taking the remainder (33/33/34)."""
    base, remainder = divmod(100, count)
    return [base + (1 if index >= count - remainder else 0) for index in range(count)]


def spread_evenly(activity: dict[str, Any]) -> None:
    """Give every branch of a random split or path optimizer an even share, in place."""
    outcomes = activity["outcomes"]
    for outcome, share in zip(outcomes, even_percentages(len(outcomes)), strict=True):
        outcome.setdefault("arguments", {})["percentage"] = share
        outcome.setdefault("metaData", {})["label"] = f"{share}%"


def add_branch_outcome(activity: dict[str, Any], label: str | None = None) -> str:
    """Add a branch to a split whose type is in BRANCHABLE_TYPES, in place; return its key.

    A decision path gets an empty criterion and goes before the remainder path; random split
    and path optimizer shares are then spread evenly again.
    """
    outcomes: list[dict[str, Any]] = activity["outcomes"]
    # Journey Builder numbers paths without the remainder ("everyone else") path.
    number = sum(1 for o in outcomes if o.get("key") != REMAINDER_PATH) + 1
    name = label if label is not None else f"Path {number}"
    sfmc_type = activity["type"]
    if sfmc_type == "MULTICRITERIADECISION":
        key = _unused_key(outcomes, "default_path_")
        at = next((i for i, o in enumerate(outcomes) if o.get("key") == REMAINDER_PATH), number)
        outcomes.insert(at, _outcome(key, meta={"label": name}))
        activity.setdefault(_CONFIG, {}).setdefault("criteria", {})[key] = EMPTY_FILTER
        return key
    if sfmc_type == "RANDOMSPLIT":
        key = _unused_key(outcomes, "branchResult-")
        outcomes.append(_outcome(key, meta={"name": name}))
    else:
        key = str(uuid.uuid4())
        branch_result = {"branchResult": _unused_branch_result(outcomes)}
        outcomes.append(_outcome(key, arguments=branch_result, meta={"pathName": name}))
    spread_evenly(activity)
    return key


def remove_branch_outcome(activity: dict[str, Any], outcome_key: str) -> None:
    """Remove a branch of a split whose type is in BRANCHABLE_TYPES, in place."""
    activity["outcomes"] = [o for o in activity["outcomes"] if o.get("key") != outcome_key]
    if activity["type"] == "MULTICRITERIADECISION":
        criteria = activity.get(_CONFIG, {}).get("criteria")
        if isinstance(criteria, dict):
            criteria.pop(outcome_key, None)
    else:
        spread_evenly(activity)


def _unused_key(outcomes: list[dict[str, Any]], stem: str) -> str:
    used = {outcome.get("key") for outcome in outcomes}
    number = 1
    while f"{stem}{number}" in used:
        number += 1
    return f"{stem}{number}"


def _unused_branch_result(outcomes: list[dict[str, Any]]) -> str:
    results = [o.get("arguments", {}).get("branchResult") for o in outcomes]
    used = {result for result in results if isinstance(result, str)}
    number = 1
    while f"branchResult-{number}" in used:
        number += 1
    return f"branchResult-{number}"


def _outcome(
    key: str | None = None,
    *,
    arguments: dict[str, Any] | None = None,
    meta: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {"key": key or str(uuid.uuid4()), "arguments": arguments or {}, "metaData": meta or {}}


def _configure_email(activity: dict[str, Any]) -> None:
    activity[_CONFIG] = {"applicationExtensionKey": "jb-email-activity", "triggeredSend": {}}
    activity["metaData"]["category"] = "message"


def _configure_sms(activity: dict[str, Any]) -> None:
    activity[_CONFIG] = {
        "applicationExtensionKey": "jb-mobile-connect-send-sms-sync",
        "isOptIn": False,
        "honorBlackoutWindowEnum": 0,
    }


def _configure_decision(activity: dict[str, Any]) -> None:
    activity["outcomes"] = [
        _outcome("default_path_1", meta={"label": "Path 1"}),
        _outcome(REMAINDER_PATH, meta={"label": "Remainder"}),
    ]
    activity[_CONFIG] = {"criteria": {"default_path_1": EMPTY_FILTER}}


def _configure_random_split(activity: dict[str, Any]) -> None:
    activity["outcomes"] = [
        _outcome("branchResult-1", meta={"name": "Path 1"}),
        _outcome("branchResult-2", meta={"name": "Path 2"}),
    ]
    spread_evenly(activity)
    activity["metaData"] = {"isConfigured": True}


def _configure_engagement_split(activity: dict[str, Any]) -> None:
    activity["outcomes"] = [
        _outcome("branchResult-1", arguments={"when": True}, meta={"label": "Yes"}),
        _outcome("branchResult-2", arguments={"when": False}, meta={"label": "No"}),
    ]
    activity[_CONFIG] = {"refActivityCustomerKey": "", "engagementUrls": {"urls": []}}


def _configure_wait_by_duration(activity: dict[str, Any]) -> None:
    activity[_CONFIG] = {"waitDuration": 1, "waitUnit": "DAYS"}
    activity["metaData"] = {"isConfigured": True, "uiType": "WAITBYDURATION"}


def _configure_wait_by_attribute(activity: dict[str, Any]) -> None:
    activity[_CONFIG] = {
        "waitDuration": 0,
        "waitUnit": "DAYS",
        "waitEndDateAttributeExpression": "",
        "specifiedTime": "",
        "timeZone": "",
    }
    activity["metaData"].update(uiType="WAITBYATTRIBUTE", waitType="durationTime")


def _configure_send_time_optimization(activity: dict[str, Any]) -> None:
    activity[_CONFIG] = {
        "applicationExtensionKey": "F828061A-5F0E-46A9-975E-18C414192D17",
        "params": {"slidingWindowHours": 24, "enableRandomTime": False},
    }
    activity["metaData"] = {"isConfigured": True, "category": "flow"}


def _configure_path_optimizer(activity: dict[str, Any]) -> None:
    activity["outcomes"] = []
    add_branch_outcome(activity, "Path 1")
    add_branch_outcome(activity, "Path 2")
    activity[_CONFIG] = {
        "applicationExtensionKey": "E6F9C82E-D5AD-43AD-93BE-E8E7E3732531",
        "holdBackPercentage": 0,
        "winnerEvaluationType": "Engagement",
        "engagementWinnerMetric": "Clicks",
        "engagementPeriod": 1,
        "engagementPeriodUnits": "Days",
    }


def _configure_path_optimizer_winner(activity: dict[str, Any]) -> None:
    activity[_CONFIG] = {
        "applicationExtensionKey": "721633C6-6CE0-46E7-B15E-DF1391C98D5F",
        "aBnStartActivityKey": "",
    }


def _configure_update_contact(activity: dict[str, Any]) -> None:
    activity["arguments"] = {"activityData": {"updateContactFields": []}}


def _configure_data_extension_update(activity: dict[str, Any]) -> None:
    activity["arguments"] = {"contactKey": "{{Contact.Key}}", "value": ""}
    activity[_CONFIG] = {"dataExtensionId": "", "field": ""}


def _configure_sales_cloud(activity: dict[str, Any]) -> None:
    activity["arguments"] = {"objectMap": {"objects": []}, "contactKey": "{{Context.ContactKey}}"}
    activity[_CONFIG] = {"applicationExtensionKey": "Salesforce_Activity"}


def _configure_custom_activity(activity: dict[str, Any]) -> None:
    activity["arguments"] = {"execute": {"inArguments": [], "outArguments": [], "url": ""}}
    activity[_CONFIG] = {"applicationExtensionKey": ""}
    activity["metaData"]["category"] = "custom"


def _configure_custom_split(activity: dict[str, Any]) -> None:
    _configure_custom_activity(activity)
    activity["outcomes"] = [
        _outcome(arguments={"branchResult": "branch_1"}, meta={"label": "Path 1"}),
        _outcome(arguments={"branchResult": "branch_2"}, meta={"label": "Path 2"}),
    ]


_CONFIGURE: dict[str, Callable[[dict[str, Any]], None]] = {
    "EMAILV2": _configure_email,
    "SMSSYNC": _configure_sms,
    "MULTICRITERIADECISIONV2": _configure_decision,
    "RANDOMSPLITV2": _configure_random_split,
    "ENGAGEMENTSPLITV2": _configure_engagement_split,
    "WAITBYDURATION": _configure_wait_by_duration,
    "WAITBYATTRIBUTE": _configure_wait_by_attribute,
    "STOWAIT": _configure_send_time_optimization,
    "ABNTEST": _configure_path_optimizer,
    "ABNTESTSTOP": _configure_path_optimizer_winner,
    "UPDATECONTACTDATAV2": _configure_update_contact,
    "DATAEXTENSIONUPDATE": _configure_data_extension_update,
    "SALESCLOUDACTIVITY": _configure_sales_cloud,
    "REST": _configure_custom_activity,
    "RESTSPLIT": _configure_custom_split,
}
