"""Edits "another user" makes to a journey body, so anyone can provoke the merge screen.

Each keeps the graph rules (one root first in the list, no dangling ``next``).
"""

from __future__ import annotations

import re
import uuid
from typing import Any

ACTIONS = ("rename", "rename-activity", "change-wait", "add-activity", "remove-activity")


def apply(body: dict[str, Any], action: str, params: dict[str, Any]) -> dict[str, Any]:
    """Return ``body`` changed by ``action``; raises ValueError when it does not apply."""
    if action == "rename":
        return _rename(body, params)
    if action == "rename-activity":
        return _rename_activity(body, params)
    if action == "change-wait":
        return _change_wait(body, params)
    if action == "add-activity":
        return _add_wait(body, params)
    if action == "remove-activity":
        return _remove_activity(body, params)
    raise ValueError(f"action must be one of {', '.join(ACTIONS)}")


def _activities(body: dict[str, Any]) -> list[dict[str, Any]]:
    activities = body.get("activities")
    if not isinstance(activities, list):
        activities = body["activities"] = []
    return activities


def _find(body: dict[str, Any], key: str) -> dict[str, Any]:
    for activity in _activities(body):
        if activity.get("key") == key:
            return activity
    raise ValueError(f"no activity with key {key!r}")


def _outcomes(activity: dict[str, Any]) -> list[dict[str, Any]]:
    outcomes = activity.get("outcomes")
    return [o for o in outcomes if isinstance(o, dict)] if isinstance(outcomes, list) else []


def _rename(body: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    body["name"] = str(params.get("name") or f"{body.get('name', '')} (edited remotely)")
    return body


def _rename_activity(body: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    activity = _find(body, str(params.get("activity_key") or ""))
    activity["name"] = str(params.get("name") or f"{activity.get('name', '')} (edited remotely)")
    return body


def _change_wait(body: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    key = params.get("activity_key")
    if key:
        wait = _find(body, str(key))
    else:
        waits = [a for a in _activities(body) if a.get("type") == "WAIT"]
        if not waits:
            raise ValueError("this journey has no wait activity")
        wait = waits[0]
    config = wait.setdefault("configurationArguments", {})
    current = config.get("waitDuration")
    duration = params.get("duration")
    if duration is None or duration == "":
        duration = current + 1 if isinstance(current, int) else 1
    config["waitDuration"] = int(duration)
    config.setdefault("waitUnit", "DAYS")
    return body


def _add_wait(body: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    activities = _activities(body)
    new_key = _next_key(activities, "WAITBYDURATION")
    new_outcome: dict[str, Any] = {"key": str(uuid.uuid4()), "arguments": {}, "metaData": {}}
    if activities:
        after = _find(body, str(params["after"])) if params.get("after") else _first_leaf(body)
        outcomes = _outcomes(after)
        if not outcomes:
            raise ValueError(f"activity {after.get('key')!r} has no outcome to attach to")
        ending = [o for o in outcomes if not o.get("next")]
        outcome = ending[0] if ending else outcomes[0]
        if outcome.get("next"):
            new_outcome["next"] = outcome["next"]
        outcome["next"] = new_key
    activities.append(
        {
            "key": new_key,
            "name": "Wait 1 day (added remotely)",
            "description": "",
            "type": "WAIT",
            "outcomes": [new_outcome],
            "arguments": {},
            "configurationArguments": {"waitDuration": 1, "waitUnit": "DAYS"},
            "metaData": {"isConfigured": True, "uiType": "WAITBYDURATION"},
        }
    )
    return body


def _remove_activity(body: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    activities = _activities(body)
    if not activities:
        raise ValueError("this journey has no activity to remove")
    if params.get("activity_key"):
        target = _find(body, str(params["activity_key"]))
    else:
        candidates = [a for a in activities[1:] if len(_onward(a)) <= 1] or activities[:1]
        target = candidates[-1]
    onward = _onward(target)
    if len(onward) > 1:
        raise ValueError("only an activity with at most one onward path can be removed")
    if target is activities[0] and len(activities) > 1:
        raise ValueError("the first activity can only be removed when it is the only one")
    for activity in activities:
        for outcome in _outcomes(activity):
            if outcome.get("next") == target.get("key"):
                if onward:
                    outcome["next"] = onward[0]
                else:
                    outcome.pop("next", None)
    activities.remove(target)
    return body


def _onward(activity: dict[str, Any]) -> list[str]:
    return [str(o["next"]) for o in _outcomes(activity) if o.get("next")]


def _first_leaf(body: dict[str, Any]) -> dict[str, Any]:
    for activity in _activities(body):
        if any(not o.get("next") for o in _outcomes(activity)):
            return activity
    return _activities(body)[-1]


def _next_key(activities: list[dict[str, Any]], prefix: str) -> str:
    numbers = [
        int(match.group(1))
        for activity in activities
        if (match := re.fullmatch(rf"{prefix}-(\d+)", str(activity.get("key", ""))))
    ]
    return f"{prefix}-{max(numbers, default=0) + 1}"
