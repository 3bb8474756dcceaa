"""Does a contact meet a filter? SFMC's condition model evaluated on a test contact's values.

Three answers, never a guess: yes, no, or "cannot tell" with the reason (a part of the filter
that was not understood, a value that is not a number or a date where the operator needs one).
Choices where SFMC's own behaviour is not documented, made the way Contact Builder's filters
behave in the UI:

* A value the contact does not have is empty: it meets "is empty" and fails every comparison.
* Text compares without regard to case or surrounding spaces (SFMC's databases collate so).
* Comparisons are numeric when both sides are numbers, by date when both are dates; a relative
  date (`;+;3;days`) counts from the moment the contact reaches the decision, by calendar day.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from journeys.domain.condition_words import explain_condition, field_name
from journeys.domain.filter_model import (
    Condition,
    ConditionGroup,
    Filter,
    Item,
    Unknown,
    parse_filter,
)

YES, NO = True, False
CANNOT_TELL = None
Answer = bool | None

_RELATIVE = re.compile(r"^\s*([^;]*);([+-]);(\d+);([A-Za-z]+)\s*$")
_TRUE_WORDS = frozenset({"true", "1", "yes", "y"})
_FALSE_WORDS = frozenset({"false", "0", "no", "n"})
_DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M")
# M/D/YYYY with a time, as Contact Builder shows dates and the filter checks accept them.
_US_DATE_TIMES = (
    "%m/%d/%Y %I:%M %p",
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y %H:%M:%S",
)
_DATE_PART = 10
_MAX_DIGITS = 9  # more days, months or years than that are beyond any calendar


@dataclass(frozen=True)
class Verdict:
    """The answer for one condition (or a whole filter) and why, in plain words."""

    answer: Answer
    because: str


Lookup = Callable[[str], str | None]


def attribute_lookup(values: Mapping[str, str]) -> Lookup:
    """Find a condition's attribute among a contact's values: by its whole key, else by the
    field's name without regard to case ("Tier" answers "Event.DEAudience-….Tier")."""
    by_name = {name.strip().lower(): value for name, value in values.items()}
    by_field = {field_name(name.strip()).lower(): value for name, value in values.items()}

    def lookup(key: str) -> str | None:
        if key in values:
            return values[key]
        for found in (by_name.get(key.strip().lower()), by_field.get(field_name(key).lower())):
            if found is not None:
                return found
        return None

    return lookup


@lru_cache(maxsize=256)
def read_filter(text: str) -> Filter:
    """`parse_filter`, remembered: a journey's filters are evaluated once per contact and step
    (a `Filter` is immutable, so sharing one is safe)."""
    return parse_filter(text)


@lru_cache(maxsize=1024)
def _said(condition: Condition) -> str:
    return explain_condition(condition)


def evaluate_filter(f: Filter, lookup: Lookup, now: datetime) -> tuple[Answer, list[Verdict]]:
    """The filter's answer and the verdict of each condition, in the filter's order."""
    if f.error is not None:
        return CANNOT_TELL, [Verdict(CANNOT_TELL, f"the condition could not be read: {f.error}")]
    verdicts: list[Verdict] = []
    answer = _all(f.groups, "AND", lookup, now, verdicts)
    return answer, verdicts


def _all(
    items: tuple[Item, ...], operator: str, lookup: Lookup, now: datetime, out: list[Verdict]
) -> Answer:
    # An empty group says nothing: it neither narrows an AND nor widens an OR.
    kept = [item for item in items if not (isinstance(item, ConditionGroup) and not item.items)]
    answers = [_item(item, lookup, now, out) for item in kept]
    if not answers:
        return YES
    if operator.upper() == "OR":
        return YES if YES in answers else (NO if answers and CANNOT_TELL not in answers else None)
    return NO if NO in answers else (YES if CANNOT_TELL not in answers else None)


def _item(item: Item, lookup: Lookup, now: datetime, out: list[Verdict]) -> Answer:
    if isinstance(item, ConditionGroup):
        return _all(item.items, item.operator, lookup, now, out)
    if isinstance(item, Unknown):
        out.append(
            Verdict(CANNOT_TELL, f"a part of the condition is not understood ({item.reason})")
        )
        return CANNOT_TELL
    verdict = evaluate_condition(item, lookup, now)
    out.append(verdict)
    return verdict.answer


def evaluate_condition(condition: Condition, lookup: Lookup, now: datetime) -> Verdict:
    """One condition on the contact's values, with the words a person reads."""
    said = _said(condition)
    actual = lookup(condition.key)
    shown = f"{field_name(condition.key)} is {_shown(actual)}"
    compare = _COMPARISONS.get(condition.operator)
    if compare is None:
        return Verdict(CANNOT_TELL, f"'{said}': the operator {condition.operator} is not known")
    expected = list(condition.values or ((condition.value,) if condition.value is not None else ()))
    if condition.value_is_reference:
        expected = [lookup(name) or "" for name in expected]
    try:
        answer = compare(actual, expected, now)
    except _CannotCompare as reason:
        return Verdict(CANNOT_TELL, f"'{said}': {shown}, {reason}")
    return Verdict(answer, f"'{said}' {'matched' if answer else 'did not match'} ({shown})")


def _shown(value: str | None) -> str:
    return "empty" if _empty(value) else repr(str(value).strip())


class _CannotCompare(ValueError):
    """Why two values cannot be compared (not numbers, not dates)."""


def _empty(value: str | None) -> bool:
    return value is None or not str(value).strip()


def _text(value: str | None) -> str:
    return "" if value is None else str(value).strip().lower()


def _equal(actual: str | None, expected: list[str], now: datetime) -> bool:
    if _empty(actual):
        return False
    target = expected[0] if expected else ""
    ordered = _ordered_pair(actual, target, now, strict=False)
    if ordered is not None:
        return bool(ordered[0] == ordered[1])
    return _text(actual) == _text(target)


def _is(actual: str | None, expected: list[str], now: datetime) -> bool:
    wanted, have = _boolean(expected[0] if expected else ""), _boolean(actual)
    if wanted is None:
        raise _CannotCompare(f"'{expected[0] if expected else ''}' is not true or false")
    if have is None and not _empty(actual):
        raise _CannotCompare("that is not true or false")
    return have is wanted


def _boolean(value: str | None) -> bool | None:
    text = _text(value)
    return True if text in _TRUE_WORDS else False if text in _FALSE_WORDS else None


def _text_test(test: Callable[[str, str], bool]) -> Comparison:
    def compare(actual: str | None, expected: list[str], now: datetime) -> bool:
        return not _empty(actual) and test(_text(actual), _text(expected[0] if expected else ""))

    return compare


def _order(test: Callable[[int], bool]) -> Comparison:
    """A comparison by order: `test` receives -1, 0 or 1 (actual below, equal, above)."""

    def compare(actual: str | None, expected: list[str], now: datetime) -> bool:
        if _empty(actual):
            return False
        pair = _ordered_pair(actual, expected[0] if expected else "", now, strict=True)
        assert pair is not None
        low, high = pair
        return test((low > high) - (low < high))

    return compare


def _between(actual: str | None, expected: list[str], now: datetime) -> bool:
    if len(expected) < 2:
        raise _CannotCompare("'between' needs two values")
    if _empty(actual):
        return False
    low = _ordered_pair(actual, expected[0], now, strict=True)
    high = _ordered_pair(actual, expected[1], now, strict=True)
    assert low is not None and high is not None
    return bool(low[1] <= low[0] and high[0] <= high[1])


def _one_of(actual: str | None, expected: list[str], now: datetime) -> bool:
    choices = [part for value in expected for part in value.split(",")]
    return not _empty(actual) and any(_equal(actual, [choice], now) for choice in choices)


def _ordered_pair(
    actual: str | None, expected: str, now: datetime, *, strict: bool
) -> tuple[Any, Any] | None:
    """Both values as numbers, else as dates (by day when either side is a day); None (or,
    when `strict`, an error) when they are neither."""
    number_a, number_b = _number(actual), _number(expected)
    if number_a is not None and number_b is not None:
        return number_a, number_b
    date_a, date_b = parse_date(actual, now), parse_date(expected, now)
    if date_a is not None and date_b is not None:
        if _by_day(actual) or _by_day(expected):
            return date_a.date(), date_b.date()
        return date_a, date_b
    if strict:
        raise _CannotCompare(f"it cannot be compared with '{expected}' (not a number or a date)")
    return None


def _number(value: str | None) -> Decimal | None:
    """The value as a number; "NaN" and "Infinity" are text (a NaN cannot even be compared)."""
    try:
        number = Decimal(str(value).strip()) if not _empty(value) else None
    except InvalidOperation:
        return None
    return number if number is not None and number.is_finite() else None


def _by_day(value: str | None) -> bool:
    text = str(value or "").strip()
    relative = _RELATIVE.match(text)
    if relative:
        return relative.group(4).lower().rstrip("s") in ("day", "week", "month", "year")
    return len(text) <= _DATE_PART


def parse_date(value: str | None, now: datetime) -> datetime | None:
    """A date (ISO, or M/D/YYYY) or SFMC relative date counted from `now`; None if neither."""
    text = str(value or "").strip()
    relative = _RELATIVE.match(text)
    if relative:
        return _relative_date(relative, now)
    # The first 19 characters drop an ISO date's fraction and zone ("….000Z").
    tries = [(text[:19], pattern) for pattern in _DATE_FORMATS]
    for candidate, pattern in [*tries, *((text, pattern) for pattern in _US_DATE_TIMES)]:
        try:
            return datetime.strptime(candidate, pattern)
        except ValueError:
            continue
    return None


def _relative_date(match: re.Match[str], now: datetime) -> datetime | None:
    base, sign, amount, unit = match.groups()
    start = parse_date(base, now) if base.strip() and base.strip().lower() != "today" else now
    if start is None or len(amount) > _MAX_DIGITS:
        return None
    steps = int(amount) * (1 if sign == "+" else -1)
    return add_time(start, steps, unit)


def add_time(start: datetime, amount: int, unit: str) -> datetime | None:
    """`start` moved by `amount` units (minutes … years); months keep the day where they can.
    None when the unit is not one of those or the moment is beyond the calendar (year 9999)."""
    try:
        return _moved(start, amount, unit.strip().lower().rstrip("s"))
    except (OverflowError, ValueError):
        return None


def _moved(start: datetime, amount: int, unit: str) -> datetime | None:
    fixed = {"minute": timedelta(minutes=1), "hour": timedelta(hours=1), "day": timedelta(days=1)}
    if unit in fixed:
        return start + amount * fixed[unit]
    if unit == "week":
        return start + timedelta(weeks=amount)
    if unit in ("month", "year"):
        months = start.month - 1 + amount * (12 if unit == "year" else 1)
        year, month = start.year + months // 12, months % 12 + 1
        return start.replace(year=year, month=month, day=min(start.day, _month_days(year, month)))
    return None


def _month_days(year: int, month: int) -> int:
    following = date(year + month // 12, month % 12 + 1, 1)
    return (following - timedelta(days=1)).day


Comparison = Callable[[str | None, list[str], datetime], bool]

_COMPARISONS: dict[str, Comparison] = {
    "Equal": _equal,
    "NotEqual": lambda a, e, now: not _empty(a) and not _equal(a, e, now),
    "Is": _is,
    "IsNull": lambda a, e, now: _empty(a),
    "IsNotNull": lambda a, e, now: not _empty(a),
    "Contains": _text_test(lambda a, e: e in a),
    "NotContains": _text_test(lambda a, e: e not in a),
    "BeginsWith": _text_test(str.startswith),
    "Begins": _text_test(str.startswith),
    "EndsWith": _text_test(str.endswith),
    "Ends": _text_test(str.endswith),
    "GreaterThan": _order(lambda c: c > 0),
    "After": _order(lambda c: c > 0),
    "GreaterThanOrEqual": _order(lambda c: c >= 0),
    "AtOrAfter": _order(lambda c: c >= 0),
    "LessThan": _order(lambda c: c < 0),
    "Before": _order(lambda c: c < 0),
    "LessThanOrEqual": _order(lambda c: c <= 0),
    "AtOrBefore": _order(lambda c: c <= 0),
    "Between": _between,
    "In": _one_of,
    "NotIn": lambda a, e, now: not _empty(a) and not _one_of(a, e, now),
}
