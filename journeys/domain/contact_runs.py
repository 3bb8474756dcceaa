"""Run a journey's test contacts: each contact's paths and whether its expectations hold.

What the command line, the canvas and the review share. A journey whose graph is broken (a
cycle, a dangling link, two starts) is refused as a whole with the validator's words: stepping
it would only say "cannot tell" for every contact.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from journeys.domain.contact_paths import NO_NAMES, Names, Path, TestContact
from journeys.domain.expectations import PASSED, Outcome, check, parse_expectation
from journeys.domain.stepper import step_contacts
from journeys.domain.validate import ERROR, GRAPH_CODES, validate


@dataclass(frozen=True)
class ContactResult:
    contact: TestContact
    paths: tuple[Path, ...]
    outcomes: tuple[Outcome, ...]

    @property
    def passed(self) -> bool:
        return all(outcome.result == PASSED for outcome in self.outcomes)


def graph_problems(journey: dict[str, Any]) -> list[str]:
    """Why the journey cannot be stepped at all (empty when it can)."""
    return [
        problem.message
        for problem in validate(journey)
        if problem.severity == ERROR and problem.code in GRAPH_CODES
    ]


def run_contacts(
    journey: dict[str, Any], contacts: Sequence[TestContact], names: Names = NO_NAMES
) -> list[ContactResult]:
    """Every contact's paths and expectation outcomes, in the contacts' order."""
    paths = step_contacts(journey, contacts, names)
    return [
        ContactResult(
            contact,
            tuple(paths[contact.name]),
            tuple(
                check(parse_expectation(text), paths[contact.name]) for text in contact.expectations
            ),
        )
        for contact in contacts
    ]
