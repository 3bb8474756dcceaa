"""Test results as an approval records them, and what the team's rule reads from them.

A record is plain JSON: the contacts as they were (name, values, entry time, assumptions,
expectations), per contact each path in short (the activity keys it went through and how it
ended) and each expectation's result, and `all_passed`. The push compares the record of the
approval with a fresh one on the approved revision: same contacts, same results, or refused.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from journeys.domain.contact_paths import Path, TestContact
from journeys.domain.contact_runs import ContactResult
from journeys.domain.expectations import PASSED, UNKNOWN

Record = dict[str, Any]
# Failing expectations named in a refusal; the rest are counted.
SAID_AT_MOST = 3
# What the person wrote about a contact, besides its name.
_WRITTEN = ("contact_key", "entered_at", "values", "assumptions", "expectations")


def test_record(
    contacts: Sequence[TestContact], results: Sequence[ContactResult] | None, refused: Sequence[str]
) -> Record:
    """The record of `contacts` run through one revision; `results` is None (and `refused` says
    why) when the journey could not be stepped."""
    by_name = {result.contact.name: result for result in results or ()}
    entries = [
        {**contact_fields(contact), **_results(by_name.get(contact.name))} for contact in contacts
    ]
    all_passed = not refused and all(
        outcome["result"] == PASSED for entry in entries for outcome in entry["outcomes"]
    )
    return {"contacts": entries, "refused": list(refused), "all_passed": all_passed}


def contact_fields(contact: TestContact) -> dict[str, Any]:
    """What the person wrote about the contact (the part the results do not depend on)."""
    return {
        "name": contact.name,
        "contact_key": contact.contact_key,
        "entered_at": contact.entered_at.isoformat(timespec="minutes"),
        "values": dict(contact.values),
        "assumptions": {
            "engagement": {k: sorted(v) for k, v in contact.assumptions.engagement.items()},
            "branches": dict(contact.assumptions.branches),
        },
        "expectations": list(contact.expectations),
    }


def _results(result: ContactResult | None) -> dict[str, Any]:
    if result is None:
        return {"paths": [], "outcomes": []}
    return {
        "paths": [_short(path) for path in result.paths],
        "outcomes": [
            {"expectation": o.expectation.text, "result": o.result, "why": o.why}
            for o in result.outcomes
        ],
    }


def _short(path: Path) -> dict[str, Any]:
    return {
        "choices": list(path.choices),
        "keys": [step.key for step in path.steps],
        "ended": path.ending.kind,
        "ended_at": path.ending.key,
    }


def record_summary(record: Mapping[str, Any] | None) -> str:
    """ "5 test contacts, all expectations met", for the review and the audit trail."""
    if not record:
        return "no test results recorded"
    contacts = record.get("contacts") or []
    if not contacts:
        return "no test contacts"
    counted = f"{len(contacts)} test contact{'s' if len(contacts) != 1 else ''}"
    if record.get("refused"):
        return f"{counted} that could not be run"
    unmet = len(_unmet(record))
    if unmet == 0:
        return f"{counted}, all expectations met"
    return f"{counted}, {unmet} expectation{'s' if unmet != 1 else ''} not met"


def unmet_reason(record: Mapping[str, Any]) -> str:
    """Why the record does not meet the rule "at least one test contact, every expectation
    passes" ("" when it does)."""
    if record.get("refused"):
        return f"the test contacts cannot be run: {record['refused'][0]}"
    if not record.get("contacts"):
        return "the draft has no test contacts; add some with expectations in the editor"
    unmet = _unmet(record)
    if not unmet:
        return ""
    said = "; ".join(unmet[:SAID_AT_MOST])
    more = f"; and {len(unmet) - SAID_AT_MOST} more" if len(unmet) > SAID_AT_MOST else ""
    return f"{len(unmet)} expectation{'s' if len(unmet) != 1 else ''} not met: {said}{more}"


def _unmet(record: Mapping[str, Any]) -> list[str]:
    return [
        f"{entry['name']}: '{outcome['expectation']}' "
        + ("cannot be told" if outcome["result"] == UNKNOWN else "failed")
        + (f" ({outcome['why']})" if outcome.get("why") else "")
        for entry in record.get("contacts") or []
        for outcome in entry.get("outcomes") or []
        if outcome["result"] != PASSED
    ]


def changes_since(approved: Mapping[str, Any] | None, now: Mapping[str, Any]) -> list[str]:
    """How the test contacts and their results differ from those an approval recorded, each
    in plain words (empty when they are the same)."""
    if not approved:
        return ["the approval recorded no test results"]
    before = {entry["name"]: entry for entry in approved.get("contacts") or []}
    after = {entry["name"]: entry for entry in now.get("contacts") or []}
    lines = [f"'{name}' was added" for name in after if name not in before]
    lines += [f"'{name}' was removed" for name in before if name not in after]
    for name in [n for n in after if n in before]:
        old, new = before[name], after[name]
        if _fields(old) != _fields(new):
            lines.append(f"'{name}' was changed")
        elif old.get("outcomes") != new.get("outcomes"):
            lines.append(f"'{name}' has other expectation results")
        elif old.get("paths") != new.get("paths"):
            lines.append(f"'{name}' now takes another path")
    return lines


def _fields(entry: Mapping[str, Any]) -> dict[str, Any]:
    return {key: entry.get(key) for key in _WRITTEN}
