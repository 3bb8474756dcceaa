"""A draft's test contacts stepped through its latest revision, in words for the editor.

`draft_contacts` runs the stepper once for all of a draft's contacts (one query for the rows);
the editor's problem list, the contacts table, the timeline and the canvas highlight all read
that one result, so no row render ever steps a contact again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from journeys.catalog_names import CatalogNames
from journeys.contact_models import TestContact, as_domain_contact
from journeys.domain.catalog import activity_title
from journeys.domain.contact_paths import CANNOT_TELL, END, Names, Path, day_and_time
from journeys.domain.contact_records import Record, test_record
from journeys.domain.contact_runs import ContactResult, graph_problems, run_contacts
from journeys.domain.contact_trace import Trace, keyed_items, path_trace
from journeys.domain.expectations import FAILED, PASSED, UNKNOWN, Outcome
from journeys.domain.stepper_activities import WAIT_TYPES
from journeys.domain.validate import Problem

logger = logging.getLogger(__name__)
EXPECTATION_CODE = "test-contact-expectation"

# What an expectation asks for, as the end of "expected …".
_EXPECTED = {
    "receives": "to receive '{}'",
    "never-receives": "never to receive '{}'",
    "branch": "to end in branch '{}'",
    "goal": "to exit by the goal",
    "meets-goal": "to meet the goal",
    "exit": "to exit by the exit criteria",
    "end": "to reach the end of the path",
    "not-admitted": "not to be admitted",
}


@dataclass(frozen=True)
class TimelineRow:
    when: str  # "Day 2 09:00"
    words: str
    key: str  # the activity's key, shown on hover
    details: tuple[str, ...] = ()
    ending: bool = False


@dataclass(frozen=True)
class ContactRun:
    row: TestContact
    result: ContactResult | None  # None when the journey cannot be stepped
    endings: tuple[str, ...] = ()  # each path's ending in words

    @property
    def paths(self) -> tuple[Path, ...]:
        return self.result.paths if self.result else ()

    @property
    def ended(self) -> str:
        """Where the contact ended, in plain words (each path's, with its share)."""
        if len(self.paths) == 1:
            return self.endings[0]
        shares = [share_words(path.share) for path in self.paths]
        return "; ".join(
            f"{words} ({share})" for words, share in zip(self.endings, shares, strict=True)
        )

    @property
    def path_choices(self) -> list[tuple[str, str]]:
        """Each path as the chooser offers it: the branches followed with their share, and
        where it ended."""
        return [
            (f"{', '.join(path.choices) or 'the path'} ({share_words(path.share)})", words)
            for path, words in zip(self.paths, self.endings, strict=True)
        ]

    @property
    def outcomes(self) -> tuple[Outcome, ...]:
        return self.result.outcomes if self.result else ()

    def count(self, result: str) -> int:
        return sum(1 for outcome in self.outcomes if outcome.result == result)

    @property
    def passed(self) -> int:
        return self.count(PASSED)

    @property
    def failed(self) -> int:
        return self.count(FAILED)

    @property
    def unknown(self) -> int:
        return self.count(UNKNOWN)


@dataclass
class DraftContacts:
    runs: list[ContactRun] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # why the journey cannot be stepped

    def get(self, pk: int | None) -> ContactRun | None:
        return next((run for run in self.runs if run.row.pk == pk), None)

    def record(self) -> Record:
        """The test results as an approval records them (`domain/contact_records.py`)."""
        results = [run.result for run in self.runs if run.result is not None]
        contacts = [as_domain_contact(run.row) for run in self.runs]
        return test_record(contacts, results if not self.refused else None, self.refused)

    def problems(self) -> list[Problem]:
        """A warning per expectation that failed or cannot be told, naming the contact."""
        return [
            Problem("warning", EXPECTATION_CODE, "$", expectation_problem(run.row.name, outcome))
            for run in self.runs
            for outcome in run.outcomes
            if outcome.result != PASSED
        ]


def draft_contacts(draft: Any, names: CatalogNames) -> DraftContacts:
    """The draft's contacts with their paths through its latest revision."""
    return contacts_through(draft.document, list(draft.test_contacts.all()), names)


def contacts_through(
    document: dict[str, Any], rows: list[TestContact], names: CatalogNames
) -> DraftContacts:
    """`rows` (a draft's contacts) with their paths through `document`: one stepper run."""
    if not rows:
        return DraftContacts()
    refused = graph_problems(document)
    if refused:
        return DraftContacts([ContactRun(row, None) for row in rows], refused)
    try:
        results = run_contacts(document, [as_domain_contact(r) for r in rows], stepper_names(names))
    except Exception:  # the editor must open whatever a journey holds; the log has the bug
        logger.exception("stepping the test contacts of draft %s failed", rows[0].draft_id)
        return DraftContacts([ContactRun(r, None) for r in rows], ["the stepper failed"])
    activities = keyed_items(document, "activities")
    return DraftContacts(
        [
            ContactRun(row, result, tuple(ending_words(p, activities) for p in result.paths))
            for row, result in zip(rows, results, strict=True)
        ]
    )


def stepper_names(names: CatalogNames) -> Names:
    """What the stepper takes of the catalog: email and data extension field names."""
    return Names(
        emails={k: v.name for k, v in names.found.get("email", {}).items()},
        fields={k: v.name for k, v in names.found.get("field", {}).items()},
    )


def expectation_problem(contact: str, outcome: Outcome) -> str:
    expectation = outcome.expectation
    wanted = _EXPECTED.get(expectation.kind, "'{}'").format(expectation.name or expectation.text)
    why = outcome.why if outcome.result == FAILED else _cannot_tell(outcome.why)
    return f"Test contact '{contact}': expected {wanted} — {why}"


def ending_words(path: Path, activities: dict[str, dict[str, Any]]) -> str:
    """ "ended after 'Healthy Lifestyle'" (the last activity that is not a wait), "met the goal
    …", "cannot tell: …"."""
    ending = path.ending
    if ending.kind == CANNOT_TELL:
        return _cannot_tell(ending.words)
    if ending.kind != END:
        return ending.words
    done = [activities[step.key] for step in path.steps if step.key in activities]
    last = next((a for a in reversed(done) if a.get("type") not in WAIT_TYPES), None)
    if last is None:
        return "reached the end of the path"
    sent = {message.key: message.name for message in path.messages}
    return f"ended after '{sent.get(last['key']) or last.get('name') or activity_title(last)}'"


def share_words(share: Fraction | None) -> str:
    return "share unknown" if share is None else f"{float(share * 100):g}% of such contacts"


def timeline_rows(path: Path) -> list[TimelineRow]:
    start = path.entered_at or (path.steps[0].at if path.steps else path.ending.at)
    rows = [
        TimelineRow(day_and_time(step.at, start), step.words, step.key, step.details)
        for step in path.steps
    ]
    when = day_and_time(path.ending.at, start)
    words = ending_words(path, {}) if path.ending.kind == CANNOT_TELL else path.ending.words
    return [*rows, TimelineRow(when, words, path.ending.key, ending=True)]


def trace_of(document: dict[str, Any], run: ContactRun | None, index: int) -> Trace | None:
    if run is None or not 0 <= index < len(run.paths):
        return None
    return path_trace(document, run.paths[index])


def _cannot_tell(words: str) -> str:
    return words if words.startswith("cannot tell") else f"cannot tell: {words}"
