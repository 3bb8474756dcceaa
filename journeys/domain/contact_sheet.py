"""Test contacts from a sheet: CSV (one row per contact) or JSON, checked against the journey.

CSV headers are attribute names as the journey's conditions and waits use them (the field's name,
"Tier", or its whole key), plus these columns:

    name           the contact's name (required)
    entered        entry date and time, "2026-12-01 09:00" (default: the time given by the caller)
    contact key    who the contact is, for re-entry (default: the name)
    expect         expectations separated by ";" (see expectations.py)
    assume: X      an assumption for activity X (its name or key): for an email, "opened",
                   "clicked", "bounced" or "none"; for a split, a branch name or "every"

JSON is a list of {"name", "entered", "contact key", "values": {…}, "assume": {…}, "expect": […]}.
Every error is reported at once with its row (a CSV row is its line; a JSON row, its place in the
list), the same error in several rows once with all of them; nothing is returned when there is one.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from journeys.domain.condition_eval import parse_date
from journeys.domain.condition_words import field_name, value_misfit
from journeys.domain.conditions import Condition, parse_filter, walk
from journeys.domain.contact_paths import ENGAGEMENTS, EVERY_BRANCH, Assumptions, TestContact
from journeys.domain.document import items
from journeys.domain.expectations import ExpectationError, parse_expectation
from journeys.domain.journey_filters import filter_places, journey_attributes
from journeys.domain.operators import ALL_TYPES, DATE, NUMBER, OPERATORS

NAME, ENTERED, CONTACT_KEY, EXPECT, ASSUME = "name", "entered", "contact key", "expect", "assume:"
RESERVED = (NAME, ENTERED, CONTACT_KEY, EXPECT)
NO_ENGAGEMENT = "none"
ENTRY_FORMATS = (
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d",
)
MAX_CONTACTS = 500


class ContactSheetError(ValueError):
    """The sheet's problems, each with its row, all at once."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class _Row:
    number: int
    fields: dict[str, Any]
    problem: str = ""  # why the row could not even be read


def read_contacts(
    text: str, journey: dict[str, Any], default_entry: datetime, *, is_json: bool | None = None
) -> list[TestContact]:
    """The contacts of a CSV or JSON sheet (JSON when `is_json`, or when it starts with "[")."""
    as_json = text.lstrip().startswith("[") if is_json is None else is_json
    rows = _json_rows(text) if as_json else _csv_rows(text)
    if len(rows) > MAX_CONTACTS:
        raise ContactSheetError([f"the sheet has {len(rows)} contacts; at most {MAX_CONTACTS}"])
    reader = _Reader(journey, default_entry)
    contacts = [contact for row in rows if (contact := reader.contact(row)) is not None]
    reader.same_names(rows)
    if reader.problems:
        raise ContactSheetError(_by_rows(reader.problems))
    return contacts


def _by_rows(problems: list[tuple[int, str]]) -> list[str]:
    """ "row 2: …", or "rows 2, 3 and 7: …" for the same words in several rows (a wrong column
    is said once, not once per contact), in the order of their first row."""
    rows: dict[str, list[int]] = {}
    for number, words in sorted(problems, key=lambda problem: problem[0]):
        rows.setdefault(words, []).append(number)
    said = []
    for words, numbers in rows.items():
        shown = [str(n) for n in dict.fromkeys(numbers)]
        where = f" {shown[0]}" if len(shown) == 1 else f"s {', '.join(shown[:-1])} and {shown[-1]}"
        said.append(f"row{where}: {words}")
    return said


def _csv_rows(text: str) -> list[_Row]:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    if not reader.fieldnames or NAME not in [h.strip().lower() for h in reader.fieldnames]:
        raise ContactSheetError(["the first line must be the headers, with a 'name' column"])
    rows = []
    for record in reader:
        number = reader.line_num  # the line a person sees, blank lines counted
        if None in record:
            rows.append(_Row(number, {}, "more values than headers"))
            continue
        fields = {str(k).strip(): (v or "").strip() for k, v in record.items()}
        if any(fields.values()):  # not a row of empty cells, as spreadsheets export below data
            rows.append(_Row(number, _csv_fields(fields)))
    return rows


def _csv_fields(fields: dict[str, str]) -> dict[str, Any]:
    """A CSV row's cells in the shape of a JSON contact."""
    values = {
        k: v for k, v in fields.items() if k.lower() not in RESERVED and not _is_assumption(k)
    }
    return {
        NAME: _get(fields, NAME),
        ENTERED: _get(fields, ENTERED),
        CONTACT_KEY: _get(fields, CONTACT_KEY),
        EXPECT: [part for part in _get(fields, EXPECT).split(";") if part.strip()],
        "assume": {
            k.split(":", 1)[1].strip(): v for k, v in fields.items() if _is_assumption(k) and v
        },
        "values": values,
    }


def _json_rows(text: str) -> list[_Row]:
    try:
        data = json.loads(text)
    except ValueError as error:
        raise ContactSheetError([f"the file is not valid JSON: {error}"]) from None
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise ContactSheetError(["the JSON must be a list of contacts (objects)"])
    return [_Row(index, item) for index, item in enumerate(data, start=1)]


class _Reader:
    def __init__(self, journey: dict[str, Any], default_entry: datetime) -> None:
        self.attributes = journey_attributes(journey)
        self.by_name = {field_name(key).lower(): key for key in self.attributes}
        self.types = attribute_types(journey)
        self.activities = _activities_by_name(journey)
        self.default_entry = default_entry
        self.problems: list[tuple[int, str]] = []

    def contact(self, row: _Row) -> TestContact | None:
        if row.problem:
            self._problem(row, row.problem)
            return None
        before = len(self.problems)
        fields = row.fields
        name = str(fields.get(NAME) or "").strip()
        if not name:
            self._problem(row, "has no name")
        values = self._values(row, fields.get("values") or {})
        assumptions = self._assumptions(row, fields.get("assume") or {})
        expectations = self._expectations(row, fields.get(EXPECT) or [])
        entered = self._entered(row, fields.get(ENTERED))
        if len(self.problems) > before or entered is None:
            return None
        key = str(fields.get(CONTACT_KEY) or "").strip()
        return TestContact(name, values, entered, key, assumptions, expectations)

    def _values(self, row: _Row, values: Any) -> dict[str, str]:
        if not isinstance(values, Mapping):
            self._problem(row, "'values' must be an object of attribute: value")
            return {}
        known = {}
        for raw_name, value in values.items():
            name = str(raw_name).strip()
            key = self._attribute_key(name)
            if key is None:
                self._problem(row, f"'{name}' is not an attribute this journey uses")
            elif value is not None and not isinstance(value, (str, int, float, bool)):
                self._problem(row, f"the value of '{name}' must be text, a number or true/false")
            else:
                text = _as_text(value)
                misfit = text.strip() and self._misfit(name, key, text)
                if misfit:
                    self._problem(row, misfit)
                known[name] = text
        return known

    def _misfit(self, name: str, key: str, text: str) -> str | None:
        """Why the value cannot be one the journey's conditions compare the attribute with."""
        types = self.types.get(key, ALL_TYPES)
        return value_misfit(name, types, text) or _no_such_day(
            name, types, text, self.default_entry
        )

    def _attribute_key(self, name: str) -> str | None:
        """The journey's key for an attribute named by its key, its name or its last part."""
        if name in self.attributes:
            return name
        return self.by_name.get(name.lower()) or self.by_name.get(field_name(name).lower())

    def _assumptions(self, row: _Row, stated: Any) -> Assumptions:
        if not isinstance(stated, Mapping):
            self._problem(row, "'assume' must be an object of activity: assumption")
            return Assumptions()
        engagement: dict[str, frozenset[str]] = {}
        branches: dict[str, str] = {}
        for raw_name, raw_value in stated.items():
            activity = self.activities.get(str(raw_name).strip().lower())
            value = str(raw_value).strip()
            if activity is None:
                self._problem(row, f"assume: there is no activity '{raw_name}'")
            elif activity.get("type") == "EMAILV2":
                kinds = {
                    part.strip().lower()
                    for part in value.replace("+", ",").split(",")
                    if part.strip()
                }
                if not kinds <= {*ENGAGEMENTS, NO_ENGAGEMENT}:
                    self._problem(row, f"assume {raw_name}: say opened, clicked, bounced or none")
                engagement[str(activity["key"])] = frozenset(kinds - {NO_ENGAGEMENT})
            elif len(items(activity, "outcomes")) > 1:
                branches[str(activity["key"])] = value or EVERY_BRANCH
            else:
                self._problem(row, f"assume: '{raw_name}' is neither an email nor a split")
        return Assumptions(engagement, branches)

    def _expectations(self, row: _Row, phrases: Any) -> tuple[str, ...]:
        if isinstance(phrases, str):
            phrases = [phrases]
        if not isinstance(phrases, list):
            self._problem(row, "'expect' must be a list of phrases")
            return ()
        kept = []
        for phrase in phrases:
            try:
                kept.append(parse_expectation(str(phrase)).text)
            except ExpectationError as error:
                self._problem(row, str(error))
        return tuple(kept)

    def _entered(self, row: _Row, value: Any) -> datetime | None:
        text = str(value or "").strip()
        if not text:
            return self.default_entry
        for pattern in ENTRY_FORMATS:
            try:
                return datetime.strptime(text, pattern)
            except ValueError:
                continue
        self._problem(row, f"'{text}' is not an entry date and time like 2026-12-01 09:00")
        return None

    def same_names(self, rows: list[_Row]) -> None:
        named = [(row, str(row.fields.get(NAME) or "").strip()) for row in rows]
        names = [name for _, name in named if name]
        for row, name in named:
            if name and names.count(name) > 1:
                self._problem(row, f"more than one contact is named '{name}'")

    def _problem(self, row: _Row, words: str) -> None:
        self.problems.append((row.number, words))


def _as_text(value: str | float | bool | None) -> str:
    """A JSON value as the text a sheet would hold: true/false in lower case, none empty."""
    if value is None:
        return ""
    return str(value).lower() if isinstance(value, bool) else str(value)


def _no_such_day(name: str, types: frozenset[str], text: str, now: datetime) -> str | None:
    """Why a value spelled like a date ("2026-02-30") is no day the stepper could compare."""
    if DATE not in types or not types <= {NUMBER, DATE} or parse_date(text, now) is not None:
        return None
    if NUMBER in types and text.strip().lstrip("+-").replace(".", "", 1).isdigit():
        return None
    return f"{name} is compared as a date, but “{text.strip()}” is no day of the calendar."


def attribute_types(journey: dict[str, Any]) -> dict[str, frozenset[str]]:
    """The types each attribute can be, from the operators the journey compares it with."""
    types: dict[str, frozenset[str]] = {}
    for place in filter_places(journey):
        for _, item in walk(parse_filter(place.text)):
            if isinstance(item, Condition) and item.operator in OPERATORS:
                fits = OPERATORS[item.operator].types
                types[item.key] = types.get(item.key, ALL_TYPES) & fits or fits
    return types


def _activities_by_name(journey: dict[str, Any]) -> dict[str, dict[str, Any]]:
    items = journey.get("activities")
    found: dict[str, dict[str, Any]] = {}
    for activity in items if isinstance(items, list) else []:
        if isinstance(activity, dict) and isinstance(activity.get("key"), str):
            found.setdefault(activity["key"].lower(), activity)
            if isinstance(activity.get("name"), str) and activity["name"].strip():
                found.setdefault(activity["name"].strip().lower(), activity)
    return found


def _is_assumption(header: str) -> bool:
    return header.strip().lower().startswith(ASSUME)


def _get(fields: dict[str, str], name: str) -> str:
    return next((value for key, value in fields.items() if key.lower() == name), "")
