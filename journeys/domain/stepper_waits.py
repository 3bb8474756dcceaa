"""How long a test contact waits: by duration, until a date, until an attribute's date, STO.

Choices where SFMC's behaviour is not documented:

* Times are read in the journey's own time zone (the wait's `timeZone` is named, not converted):
  a test contact's entry time is taken to be in that zone too.
* "Extend the wait until a specific time" applies to waits counted in days, weeks or months and
  only when `specifiedTime` is set to something other than "00:00", which Journey Builder
  stores in every wait whether the option is on or not (fixtures 08, 13, 14).
* A wait until an attribute's date whose moment has passed lets the contact through at once, as
  Journey Builder does; a contact without that date cannot be told (SFMC's handling of an empty
  date is not documented).
* Einstein Send Time Optimization releases the contact at once: the best time is SFMC's to pick
  within its window, and the step says so.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, time, timedelta
from typing import Any

from journeys.domain.condition_eval import add_time, parse_date
from journeys.domain.condition_words import field_name

_EXPRESSION = re.compile(r"^\{\{\s*(.+?)\s*\}\}$")
_DAY_UNITS = ("day", "week", "month")
_NO_TIME = ("", "00:00")

Until = tuple[datetime, str] | str  # (when the wait ends, words) or why it cannot be told


def wait_until(
    activity: dict[str, Any], clock: datetime, lookup: Callable[[str], str | None]
) -> Until:
    """When the contact leaves this wait, and the words for the step."""
    if activity.get("type") == "STOWAIT":
        window = _window_hours(activity)
        return clock, f"Einstein STO: assumed sent at once (SFMC picks the time within {window} h)"
    config = activity.get("configurationArguments")
    config = config if isinstance(config, dict) else {}
    expression = str(config.get("waitEndDateAttributeExpression") or "").strip()
    if expression:
        return _until_attribute(config, expression, clock, lookup)
    specific = str(config.get("specificDate") or "").strip()
    if specific:
        moment = parse_date(specific, clock)
        if moment is None:
            return f"cannot tell when the wait ends: '{specific}' is not a date"
        return _not_before(_at_time(moment, config), clock, f"wait until {_when(moment)}")
    return _by_duration(config, clock)


def _by_duration(config: dict[str, Any], clock: datetime) -> Until:
    amount, unit = config.get("waitDuration"), str(config.get("waitUnit") or "")
    try:
        moment = add_time(clock, int(str(amount)), unit)
    except ValueError:
        moment = None
    if moment is None or moment < clock:  # a negative wait would turn the clock back
        return f"cannot tell how long the wait is ({amount} {unit or 'no unit'})"
    words = f"waited {_amount(int(str(amount)), unit)}"
    if unit.lower().rstrip("s") in _DAY_UNITS and _specified(config):
        extended = _at_time(moment, config)
        moment = extended if extended >= moment else extended + timedelta(days=1)
        words += f", until {config['specifiedTime']}"
    return moment, words


def _until_attribute(
    config: dict[str, Any], expression: str, clock: datetime, lookup: Callable[[str], str | None]
) -> Until:
    key = _attribute_key(expression)
    value = lookup(key)
    name = field_name(key)
    if value is None or not str(value).strip():
        return f"cannot tell when the wait ends: the contact has no {name}"
    moment = parse_date(value, clock)
    if moment is None:
        return f"cannot tell when the wait ends: {name} '{value}' is not a date"
    try:
        offset = int(str(config.get("waitDuration") or 0))
    except ValueError:
        offset = 0
    shifted = add_time(moment, offset, str(config.get("waitUnit") or "days")) or moment
    shift = f" {'+' if offset > 0 else '-'} {_amount(abs(offset), str(config.get('waitUnit')))}"
    words = f"wait until {name} ({_when(moment)})" + (shift if offset else "")
    return _not_before(_at_time(shifted, config), clock, words)


def _not_before(moment: datetime, clock: datetime, words: str) -> Until:
    if moment <= clock:
        return clock, f"{words}: that moment has passed, continues at once"
    return moment, words


def _attribute_key(expression: str) -> str:
    """`{{Event.X."Field"}}` -> `Event.X.Field` (the key conditions use)."""
    match = _EXPRESSION.match(expression)
    inner = match.group(1) if match else expression
    return ".".join(part.strip('"') for part in inner.split("."))


def _specified(config: dict[str, Any]) -> bool:
    return str(config.get("specifiedTime") or "").strip() not in _NO_TIME


def _at_time(moment: datetime, config: dict[str, Any]) -> datetime:
    if not _specified(config):
        return moment
    hours, _, minutes = str(config["specifiedTime"]).strip().partition(":")
    try:
        return datetime.combine(moment.date(), time(int(hours), int(minutes or 0)))
    except ValueError:
        return moment


def _amount(amount: int, unit: str) -> str:
    """ "1 day", "3 days"."""
    word = unit.strip().lower().rstrip("s")
    return f"{amount} {word}{'' if amount == 1 else 's'}"


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M")


def _window_hours(activity: dict[str, Any]) -> Any:
    config = activity.get("configurationArguments")
    params = config.get("params") if isinstance(config, dict) else None
    return params.get("slidingWindowHours", 24) if isinstance(params, dict) else 24
