"""Why a saved journey cannot be published: the errors[] of its publishStatus (API notes §1.6).

Written from the API notes and the real journeys, not from the editor's validator (see checks.py).

* 121500 when the entry source has no event definition key ("a journey cannot be published
  without an event definition key on its trigger", §1.10) or there is no activity.
* 121000, one per activity, when an activity is not configured: an email with no email chosen, a
  decision path (other than the remainder) without criteria, a wait without a duration or unit, a
  random split whose percentages do not add up to 100, an engagement split that names no email
  of the journey, a contact update that updates nothing, a REST activity without its execute
  URL. Other activity types (SMS, Sales Cloud, Einstein STO, Path Optimizer…) are not looked at:
  what they need is not documented.
* 121226 ("invalid default email/mobile address in journey settings") when configured, see
  config.py ``check_default_addresses``.

121500 and 121226 come from mcdev's publishStatus mocks; 121000 is the simulator's own code.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

from .config import SimConfig

MISSING_CONFIGURATION = "121000"
MISSING_EVENT_KEY = "121500"
INVALID_DEFAULT_ADDRESS = "121226"
WAIT_UNITS = ("MINUTES", "HOURS", "DAYS", "WEEKS")
REMAINDER = "remainder_path"
EVENT_REFERENCE = re.compile(r"\{\{Event\.([^.}]+)\.")


def publish_errors(
    body: dict[str, Any], definition_id: str, config: SimConfig
) -> list[dict[str, Any]]:
    """Every error of a publish of this journey version (an empty list when it can go live)."""
    triggers = _objects(body.get("triggers"))
    trigger = triggers[0] if triggers else {}
    event_key = event_definition_key(trigger)
    activities = _objects(body.get("activities"))
    errors = []
    if not event_key:
        detail = "The entry source has no event definition key."
        errors.append(publish_error(detail, MISSING_EVENT_KEY))
    if not activities:
        detail = "The journey has no activities."
        errors.append(publish_error(detail, MISSING_EVENT_KEY))
    if config.check_default_addresses and event_key:
        errors += [
            publish_error(detail, INVALID_DEFAULT_ADDRESS)
            for detail in _default_address_problems(_object(body.get("defaults")), event_key)
        ]
    for step in activities:
        check = ACTIVITY_CHECKS.get(step.get("type", ""))
        missing = check(step, activities) if check else None
        if missing:
            detail = f"Activity {step.get('key')} is not configured: {missing}."
            errors.append(publish_error(detail, MISSING_CONFIGURATION, step, definition_id))
    return errors


def event_definition_key(trigger: dict[str, Any]) -> Any:
    """On the trigger itself (docs examples) or in its metaData (real journeys)."""
    return trigger.get("eventDefinitionKey") or _object(trigger.get("metaData")).get(
        "eventDefinitionKey"
    )


def publish_error(
    detail: str, code: str, step: dict[str, Any] | None = None, definition_id: str = ""
) -> dict[str, Any]:
    """One errors[] item of a publishStatus, shaped like mcdev's mocks: an activity's names it,
    a journey-level one (no `step`) has ``additionalInfo: {}``."""
    info = {}
    if step:
        info = {
            "activityKey": step.get("key", ""),
            "activityId": step.get("id", ""),
            "activityType": step.get("type", ""),
            "definitionId": definition_id,
        }
    return {"errorDetail": detail, "errorCode": code, "errorType": "Error", "additionalInfo": info}


def _default_address_problems(defaults: dict[str, Any], event_key: str) -> list[str]:
    problems = []
    for name in ("email", "mobileNumber"):
        values = defaults.get(name)
        for value in values if isinstance(values, list) else []:
            if not isinstance(value, str) or not value.strip():
                problems.append(f"A default {name} address is empty.")
                continue
            for other in EVENT_REFERENCE.findall(value):
                if other != event_key:
                    problems.append(
                        f"The default {name} address {value} names the event {other}, "
                        f"not the entry source's {event_key}."
                    )
    return problems


# Each check answers what is missing, or None; it gets the step and all activities.
Check = Callable[[dict[str, Any], list[dict[str, Any]]], str | None]


def _email(step: dict[str, Any], _: list[dict[str, Any]]) -> str | None:
    send = _object(_object(step.get("configurationArguments")).get("triggeredSend"))
    return None if _filled(send.get("emailId")) else "no email is chosen"


def _decision(step: dict[str, Any], _: list[dict[str, Any]]) -> str | None:
    paths: list[Any] = [outcome.get("key") for outcome in _objects(step.get("outcomes"))]
    if len(paths) < 2:
        return "a decision needs a path with criteria and the remainder"
    # The remainder ("everyone else") has no criteria; without its usual key it is the last path.
    remainder = REMAINDER if REMAINDER in paths else paths[-1]
    criteria = _object(_object(step.get("configurationArguments")).get("criteria"))
    bare = [str(path) for path in paths if path != remainder and not _filled(criteria.get(path))]
    return f"no criteria for {', '.join(bare)}" if bare else None


def _wait(step: dict[str, Any], _: list[dict[str, Any]]) -> str | None:
    config = _object(step.get("configurationArguments"))
    if _filled(config.get("specificDate")):
        return None
    duration = _number(config.get("waitDuration"))
    if duration is None:
        return "no duration"
    if config.get("waitUnit") not in WAIT_UNITS:
        return f"the unit is not one of {', '.join(WAIT_UNITS)}"
    if _object(step.get("metaData")).get("uiType") == "WAITBYATTRIBUTE":
        # Negative durations are real: "3 days before the attribute's date".
        if not _filled(config.get("waitEndDateAttributeExpression")):
            return "no date attribute to wait for"
    elif duration <= 0:
        return "the duration is not positive"
    return None


def _random_split(step: dict[str, Any], _: list[dict[str, Any]]) -> str | None:
    outcomes = _objects(step.get("outcomes"))
    shares = [_number(_object(outcome.get("arguments")).get("percentage")) for outcome in outcomes]
    if len(outcomes) < 2:
        return "a random split needs two paths"
    if any(share is None for share in shares):
        return "a path has no percentage"
    total = sum(share for share in shares if share is not None)
    return None if math.isclose(total, 100) else f"the percentages add up to {total:g}, not 100"


def _engagement(step: dict[str, Any], activities: list[dict[str, Any]]) -> str | None:
    emails = {a.get("key") for a in activities if a.get("type") == "EMAILV2"}
    email = _object(step.get("configurationArguments")).get("refActivityCustomerKey")
    return None if email in emails else "it names no email activity of this journey"


def _contact_update(step: dict[str, Any], _: list[dict[str, Any]]) -> str | None:
    data = _object(_object(step.get("arguments")).get("activityData"))
    fields = data.get("updateContactFields")
    return None if isinstance(fields, list) and fields else "no field to update"


def _rest(step: dict[str, Any], _: list[dict[str, Any]]) -> str | None:
    execute = _object(_object(step.get("arguments")).get("execute"))
    return None if _filled(execute.get("url")) else "no execute URL"


ACTIVITY_CHECKS: dict[str, Check] = {
    "EMAILV2": _email,
    "MULTICRITERIADECISION": _decision,
    "WAIT": _wait,
    "RANDOMSPLIT": _random_split,
    "RandomSplit": _random_split,  # the docs' example spells it so
    "ENGAGEMENTDECISION": _engagement,
    "UPDATECONTACTDATA": _contact_update,
    "REST": _rest,
}


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _objects(value: Any) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _filled(value: Any) -> bool:
    """Set to something: a number, or text that is not blank."""
    if isinstance(value, str):
        return bool(value.strip())
    return value is not None and not isinstance(value, bool)


def _number(value: Any) -> float | None:
    """A JSON number, or a numeric string (real waits carry ``"waitDuration": "3"``)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value) if math.isfinite(value) else None
    try:
        number = float(value) if isinstance(value, str) else math.nan
    except ValueError:
        return None
    return number if math.isfinite(number) else None
