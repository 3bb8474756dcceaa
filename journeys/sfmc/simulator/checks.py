"""What publishAsync and validateAsync find in a version: publishStatus' errors[] and warnings[].

Item shapes follow the mcdev publishStatus/validateStatus mocks: ``errorCode`` is a string;
an activity's error names ``{activityKey, activityId, activityType, definitionId}``, an
activity's warning the same without ``definitionId``, and a journey-level error (no entry event
key, no activity, a status that cannot be published) ``{}``.

* Errors (121500, 121000, 121226): checks_publish.py, the simulator's own rules.
* Warning 121547 per wait by duration longer than ``long_wait_warning_minutes``.
* Warning 121546 per email activity whose email the catalog says was last modified more than
  ``old_email_warning_days`` ago; an email the catalog does not hold earns none (its date is
  not knowable).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from .checks_publish import publish_errors as configuration_errors
from .clock import parse_ms
from .config import SimConfig
from .store import JourneyVersion, PublishRequest

EmailDates = Callable[[Any], str | None]  # an EMAILV2 emailId → the email's modifiedDate

LONG_WAIT = "121547"
OLD_EMAIL = "121546"
STATUS_REFUSED = "30000"
OLD_EMAIL_DETAIL = (
    "Last modified date for email activity is more then 6 months ago. Please review the "
    "content or use path optimizer to test it."
)
MINUTES_PER_UNIT = {"MINUTES": 1, "HOURS": 60, "DAYS": 1440, "WEEKS": 10080, "MONTHS": 43200}
DAY_MS = 86_400_000


def check_version(
    item: JourneyVersion, config: SimConfig, email_dates: EmailDates
) -> list[dict[str, Any]]:
    """Every error, then every warning, for publishing (or validating) this Draft."""
    return publish_errors(item, config) + publish_warnings(item, config, email_dates)


def split(items: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(errors, warnings) of a stored list of both."""
    errors = [i for i in items if i.get("errorType") != "Warning"]
    return errors, [i for i in items if i.get("errorType") == "Warning"]


def status_answer(request: PublishRequest, kind: str) -> dict[str, Any]:
    """The publishStatus (``kind`` "Publish") or validateStatus ("Validate") answer."""
    errors, warnings = split(request.errors)
    if not request.settled:
        status = f"{kind}InProcess"
    else:
        status = "Error" if errors else f"{kind}Completed"
    return {"statusId": request.status_id, "status": status, "errors": errors, "warnings": warnings}


def status_refused(verb: str, status: str) -> dict[str, Any]:
    """The item of a publish or validation that settled on a version no longer a Draft."""
    return journey_error(f"Cannot {verb} interaction in {status} status.", STATUS_REFUSED)


def publish_errors(item: JourneyVersion, config: SimConfig) -> list[dict[str, Any]]:
    """Why this version cannot be published (an empty list when it can); checks_publish.py."""
    return configuration_errors(item.body, item.definition_id, config)


def publish_warnings(
    item: JourneyVersion, config: SimConfig, email_dates: EmailDates
) -> list[dict[str, Any]]:
    """What SFMC would publish anyway but points out: long waits and old emails."""
    oldest_ok_ms = time.time() * 1000 - config.old_email_warning_days * DAY_MS
    warnings = []
    for step in step_list(item.body, "activities"):
        warnings += _long_wait(step, config.long_wait_warning_minutes)
        warnings += _old_email(step, email_dates, oldest_ok_ms)
    return warnings


def step_list(body: dict[str, Any], list_name: str) -> list[dict[str, Any]]:
    """The triggers or activities of a body, leaving out anything that is not an object."""
    steps = body.get(list_name)
    if not isinstance(steps, list):
        return []
    return [step for step in steps if isinstance(step, dict)]


def journey_error(detail: str, code: str) -> dict[str, Any]:
    return _item(detail, code, "Error", {})


def _item(detail: str, code: str, kind: str, info: dict[str, Any]) -> dict[str, Any]:
    return {"errorDetail": detail, "errorCode": code, "errorType": kind, "additionalInfo": info}


def _activity_info(step: dict[str, Any]) -> dict[str, Any]:
    return {
        "activityKey": step.get("key", ""),
        "activityId": step.get("id", ""),
        "activityType": step.get("type", ""),
    }


def _long_wait(step: dict[str, Any], limit: int) -> list[dict[str, Any]]:
    wait = _wait_duration(step)
    if wait is None or wait[0] * MINUTES_PER_UNIT[wait[1]] <= limit:
        return []
    detail = (
        f"The journey has a long wait ({wait[0]} {wait[1].lower()}), please consider reducing "
        f"wait to under {_minutes_text(limit)}."
    )
    return [_item(detail, LONG_WAIT, "Warning", _activity_info(step))]


def _old_email(step: dict[str, Any], email_dates: EmailDates, oldest_ok_ms: float) -> list[Any]:
    if step.get("type") != "EMAILV2":
        return []
    modified_ms = parse_ms(email_dates(_email_id(step)))
    if modified_ms is None or modified_ms >= oldest_ok_ms:
        return []
    return [_item(OLD_EMAIL_DETAIL, OLD_EMAIL, "Warning", _activity_info(step))]


def _wait_duration(step: dict[str, Any]) -> tuple[int, str] | None:
    """(amount, unit) of a wait by duration; None for other activities and waits by attribute."""
    config, meta = step.get("configurationArguments"), step.get("metaData")
    if step.get("type") != "WAIT" or not isinstance(config, dict):
        return None
    if isinstance(meta, dict) and meta.get("uiType") == "WAITBYATTRIBUTE":
        return None
    amount, unit = config.get("waitDuration"), str(config.get("waitUnit", "")).upper()
    if type(amount) is not int or unit not in MINUTES_PER_UNIT:
        return None
    return amount, unit


def _email_id(step: dict[str, Any]) -> Any:
    config = step.get("configurationArguments")
    send = config.get("triggeredSend") if isinstance(config, dict) else None
    return send.get("emailId") if isinstance(send, dict) else None


def _minutes_text(minutes: int) -> str:
    if minutes % 1440 == 0:
        return f"{minutes // 1440} days"
    return f"{minutes} minutes"
