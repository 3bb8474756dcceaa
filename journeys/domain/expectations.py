"""What a test contact expects of the journey, in plain phrases, checked against its paths.

A contact states what must happen in words a marketer writes:

    receives Welcome                 never receives Win-back offer
    ends in branch Gold              meets the goal
    exits by the goal                exits by the exit criteria
    reaches the end                  is not admitted

Names match an email's name (or the activity's name or key) and a branch's name without regard
to case. When a random split is followed down every branch, an expectation holds only if it
holds on every path; a path the stepper cannot tell makes the expectation "cannot tell".
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from journeys.domain.contact_paths import CANNOT_TELL, END, EXIT, GOAL, NOT_ADMITTED, Path

PASSED, FAILED, UNKNOWN = "passed", "failed", "cannot tell"

_PHRASES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), kind)
    for pattern, kind in (
        (r"^never\s+receives?\s+['\"“]?(?P<name>.+?)['\"”]?$", "never-receives"),
        (r"^receives?\s+['\"“]?(?P<name>.+?)['\"”]?$", "receives"),
        (
            r"^(?:ends\s+in|takes|goes\s+down)\s+(?:the\s+)?branch\s+['\"“]?(?P<name>.+?)['\"”]?$",
            "branch",
        ),
        (r"^(?:exits|leaves)\s+by\s+the\s+goal$", "goal"),
        (r"^meets\s+the\s+goal$", "meets-goal"),
        (r"^(?:exits|leaves)\s+by\s+(?:the\s+)?exit\s+criteria$", "exit"),
        (r"^reaches\s+the\s+end(?:\s+of\s+the\s+path)?$", "end"),
        (r"^is\s+not\s+admitted$", "not-admitted"),
    )
)
PHRASE_HELP = (
    "receives NAME, never receives NAME, ends in branch NAME, meets the goal, "
    "exits by the goal, exits by the exit criteria, reaches the end, is not admitted"
)


class ExpectationError(ValueError):
    """A phrase that is not one of the expectations the product understands."""


@dataclass(frozen=True)
class Expectation:
    text: str
    kind: str
    name: str = ""


@dataclass(frozen=True)
class Outcome:
    expectation: Expectation
    result: str  # PASSED, FAILED or UNKNOWN
    why: str


def parse_expectation(text: str) -> Expectation:
    phrase = " ".join(text.split())
    for pattern, kind in _PHRASES:
        match = pattern.match(phrase)
        if match:
            return Expectation(phrase, kind, (match.groupdict().get("name") or "").strip())
    raise ExpectationError(f"'{phrase}' is not an expectation; write one of: {PHRASE_HELP}")


def check(expectation: Expectation, paths: Sequence[Path]) -> Outcome:
    """PASSED when the expectation holds on every path, FAILED with the first path where it
    does not, UNKNOWN when a path could not be told."""
    test = _TESTS[expectation.kind]
    for path in paths:
        if path.ending.kind == CANNOT_TELL and not test(expectation, path):
            return Outcome(expectation, UNKNOWN, path.ending.words)
        if not test(expectation, path):
            where = f" (on the path {', '.join(path.choices)})" if path.choices else ""
            return Outcome(expectation, FAILED, f"{_said(path)}{where}")
    return Outcome(expectation, PASSED, "")


def _said(path: Path) -> str:
    sent = ", ".join(f"'{m.name}'" for m in path.messages) or "no message"
    branches = ", ".join(f"'{b}'" for b in path.branches_taken) or "no branch"
    return f"received {sent}; took {branches}; {path.ending.words}"


def _receives(expectation: Expectation, path: Path) -> bool:
    wanted = expectation.name.lower()
    return any(wanted in (m.name.lower(), m.key.lower()) for m in path.messages)


def _branch(expectation: Expectation, path: Path) -> bool:
    wanted = expectation.name.lower()
    taken = {name.lower() for name in path.branches_taken}
    taken |= {step.branch.lower() for step in path.steps if step.branch}
    return wanted in taken


def _ends(kind: str) -> Callable[[Expectation, Path], bool]:
    return lambda expectation, path: path.ending.kind == kind


_TESTS: dict[str, Callable[[Expectation, Path], bool]] = {
    "receives": _receives,
    "never-receives": lambda expectation, path: (
        path.ending.kind != CANNOT_TELL and not _receives(expectation, path)
    ),
    "branch": _branch,
    "goal": _ends(GOAL),
    "meets-goal": lambda expectation, path: path.met_goal,
    "exit": _ends(EXIT),
    "end": _ends(END),
    "not-admitted": _ends(NOT_ADMITTED),
}
