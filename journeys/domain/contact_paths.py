"""What a test contact is and what the journey stepper says happened to it (data only).

A test contact is a named person with attribute values, an entry time and the assumptions the
product cannot know (did Alice open the email? which branch of a random split?). The stepper
(`stepper.py`) turns one contact into one path, or several when a random split is to be
followed down every branch, each with the share of such contacts that would take it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from fractions import Fraction

EVERY_BRANCH = "every"
# Engagement an email can get (what an engagement split asks about); clicking implies opening.
OPENED, CLICKED, BOUNCED = "opened", "clicked", "bounced"
ENGAGEMENTS = (OPENED, CLICKED, BOUNCED)

# How a path ends.
END, GOAL, EXIT, NOT_ADMITTED, CANNOT_TELL = "end", "goal", "exit", "not-admitted", "cannot-tell"


@dataclass(frozen=True)
class Assumptions:
    """What the contact's test states about things only SFMC would know.

    `engagement`: email activity key -> the engagement it gets ("opened", "clicked", "bounced");
    an email not listed gets none. `branches`: split activity key -> the branch to follow (its
    outcome key or its name), or `EVERY_BRANCH`; a random split or Path Optimizer not listed is
    followed down every branch, a custom split likewise (its shares then unknown).
    """

    engagement: Mapping[str, frozenset[str]] = field(default_factory=dict)
    branches: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class TestContact:
    __test__ = False  # a product term, not a pytest class

    name: str
    values: Mapping[str, str]
    entered_at: datetime
    contact_key: str = ""  # who the contact is for re-entry; the name when empty
    assumptions: Assumptions = field(default_factory=Assumptions)
    expectations: tuple[str, ...] = ()

    @property
    def identity(self) -> str:
        return self.contact_key or self.name


@dataclass(frozen=True)
class Names:
    """What the SFMC catalog knows, for words and for update-contact activities: email id ->
    email name, data extension field id -> the attribute name conditions use."""

    emails: Mapping[str, str] = field(default_factory=dict)
    fields: Mapping[str, str] = field(default_factory=dict)


NO_NAMES = Names()


@dataclass(frozen=True)
class Step:
    """One thing that happened: at which activity (or goal/exit/entry), when, in plain words."""

    key: str
    at: datetime
    words: str
    branch: str | None = None  # the outcome key taken out of a split
    branch_name: str = ""
    details: tuple[str, ...] = ()  # each condition's verdict, assumptions used
    title: str = ""  # the activity as a person names it ("Decision Split 'Tier'")


@dataclass(frozen=True)
class Message:
    key: str
    name: str
    channel: str  # "email", "SMS"
    at: datetime


@dataclass(frozen=True)
class Write:
    key: str
    target: str  # "contact", "data extension", "Salesforce"
    field: str
    value: str
    at: datetime


@dataclass(frozen=True)
class Ending:
    kind: str  # END, GOAL, EXIT, NOT_ADMITTED or CANNOT_TELL
    words: str
    at: datetime
    key: str = ""  # the activity where it happened


@dataclass(frozen=True)
class Path:
    """One way through the journey for one contact."""

    contact: str
    steps: tuple[Step, ...]
    messages: tuple[Message, ...]
    writes: tuple[Write, ...]
    ending: Ending
    share: Fraction | None = Fraction(1)  # of such contacts; None when a split's shares are unknown
    choices: tuple[str, ...] = ()  # the branches followed because every branch was asked for
    entered_at: datetime | None = None
    met_goal: bool = False

    @property
    def branches_taken(self) -> tuple[str, ...]:
        return tuple(step.branch_name for step in self.steps if step.branch_name)


def timeline(path: Path) -> list[str]:
    """The path as lines a person reads: "Day 0 09:00 email 'Welcome' sent"."""
    start = path.entered_at or (path.steps[0].at if path.steps else path.ending.at)
    lines = [f"{day_and_time(step.at, start)} {step.words}" for step in path.steps]
    return [*lines, f"{day_and_time(path.ending.at, start)} {path.ending.words}"]


def day_and_time(moment: datetime, start: datetime) -> str:
    """ "Day 2 09:00": the day counted from `start`'s date, and the time."""
    days = (moment.date() - start.date()).days
    return f"Day {days} {moment:%H:%M}"
