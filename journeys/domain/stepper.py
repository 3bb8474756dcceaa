"""The journey stepper: walk a test contact through a journey as SFMC would, pure and exact.

From the entry source (its filter, the journey's re-entry setting) through every activity:
decision splits in SFMC's order, engagement and random splits from the contact's assumptions,
waits advancing the contact's clock, update-contact activities changing the values later
decisions read. Goals are checked at entry and after every activity; exit criteria after every
wait, where SFMC documents it checks them. Anything the stepper cannot evaluate ends that path
with "cannot tell" and the reason, never a guess. What each activity does is in
`stepper_activities.py`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from fractions import Fraction
from typing import Any

from journeys.domain.catalog import activity_title, title_of
from journeys.domain.condition_eval import CANNOT_TELL as UNKNOWN
from journeys.domain.condition_eval import (
    YES,
    Lookup,
    attribute_lookup,
    evaluate_filter,
    read_filter,
)
from journeys.domain.condition_words import field_name
from journeys.domain.conditions import Filter, has_conditions
from journeys.domain.contact_paths import (
    CANNOT_TELL,
    END,
    EXIT,
    GOAL,
    NO_NAMES,
    NOT_ADMITTED,
    Ending,
    Message,
    Names,
    Path,
    Step,
    TestContact,
    Write,
)
from journeys.domain.journey_items import goal_exits_contacts
from journeys.domain.stepper_activities import WAIT_TYPES, Moves, activity_moves
from journeys.domain.topology import start_key

# Beyond this many paths for one contact, the contact must choose branches.
MAX_PATHS = 256
ONCE = ("OnceAndDone", "NotSet", "")  # Journey Builder's default is "no re-entry"
AFTER_EXITING = "SingleEntryAcrossAllVersions"


@dataclass(frozen=True)
class Steppable:
    """What the stepper reads of a journey, read once for all its contacts."""

    activities: dict[str, dict[str, Any]]
    start: str | None
    trigger_key: str
    entry_mode: str
    entry_filter: Filter | None
    goal: dict[str, Any] | None
    goal_filter: Filter | None
    exit: dict[str, Any] | None
    exit_filter: Filter | None


def steppable(journey: dict[str, Any]) -> Steppable:
    goal, exit_item, trigger = (_first(journey, name) for name in ("goals", "exits", "triggers"))
    return Steppable(
        activities=_activities(journey),
        start=start_key(journey),
        trigger_key=str(trigger.get("key") or "entry") if trigger else "entry",
        entry_mode=str(journey.get("entryMode") or ""),
        entry_filter=_criteria(trigger),
        goal=goal,
        goal_filter=_criteria(goal),
        exit=exit_item,
        exit_filter=_criteria(exit_item),
    )


@dataclass
class _Walk:
    """A path under way (copied when a split is followed down several branches)."""

    key: str | None
    clock: datetime
    values: dict[str, str]
    steps: list[Step] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)
    writes: list[Write] = field(default_factory=list)
    share: Fraction | None = Fraction(1)
    choices: list[str] = field(default_factory=list)
    visited: set[str] = field(default_factory=set)
    goal_met: bool = False
    _lookup: Lookup | None = None

    @property
    def lookup(self) -> Lookup:
        """How conditions find the contact's values (rebuilt only after an update)."""
        if self._lookup is None:
            self._lookup = attribute_lookup(self.values)
        return self._lookup

    def update(self, values: Mapping[str, str]) -> None:
        """Written values replace the contact's, however the contact spelled the attribute
        (its whole key or its name)."""
        written = {field_name(name).lower() for name in values}
        for name in [n for n in self.values if field_name(n).lower() in written]:
            del self.values[name]
        self.values.update(values)
        self._lookup = None

    def fork(self) -> _Walk:
        return replace(
            self,
            values=dict(self.values),
            steps=list(self.steps),
            messages=list(self.messages),
            writes=list(self.writes),
            choices=list(self.choices),
            visited=set(self.visited),
            _lookup=None,
        )

    def sent(self, key: str) -> bool:
        return any(message.key == key for message in self.messages)


def step_contacts(
    journey: dict[str, Any], contacts: Iterable[TestContact], names: Names = NO_NAMES
) -> dict[str, list[Path]]:
    """Every contact's paths, by contact name, honouring re-entry among contacts who are the
    same person (same contact key) in order of entry."""
    results: dict[str, list[Path]] = {}
    earlier: dict[str, list[Path]] = {}
    read = steppable(journey)
    for contact in sorted(contacts, key=lambda c: c.entered_at):
        paths = step_contact(read, contact, names, earlier.get(contact.identity, ()))
        earlier.setdefault(contact.identity, []).extend(paths)
        results[contact.name] = paths
    return results


def step_contact(
    journey: dict[str, Any] | Steppable,
    contact: TestContact,
    names: Names = NO_NAMES,
    earlier: Sequence[Path] = (),
) -> list[Path]:
    """The paths one contact takes (one, unless a split is followed down every branch)."""
    journey = journey if isinstance(journey, Steppable) else steppable(journey)
    refused = _admission(journey, contact, earlier)
    if refused is not None:
        return [_path(contact, _Walk(None, contact.entered_at, {}), refused)]
    start = _Walk(journey.start, contact.entered_at, dict(contact.values))
    start.steps.append(Step(journey.trigger_key, contact.entered_at, "entered the journey"))
    ending = _check_goal(journey, start, "at entry")
    if ending is not None:
        return [_path(contact, start, ending)]
    return _walk_all(journey, contact, names, start)


def _walk_all(journey: Steppable, contact: TestContact, names: Names, start: _Walk) -> list[Path]:
    finished: list[Path] = []
    pending = [start.fork()]  # `start` stays at the entry, for the path past the limit
    while pending:
        walk = pending.pop()
        ending = _advance(journey, contact, names, walk, pending)
        if ending is not None:
            finished.append(_path(contact, walk, ending))
        if len(finished) + len(pending) > MAX_PATHS:
            words = f"more than {MAX_PATHS} paths: choose a branch for the random splits"
            return [_path(contact, start, Ending(CANNOT_TELL, words, contact.entered_at))]
    return sorted(finished, key=lambda path: path.choices)


def _advance(
    journey: Steppable,
    contact: TestContact,
    names: Names,
    walk: _Walk,
    pending: list[_Walk],
) -> Ending | None:
    """Move `walk` until its path ends (returned) or forks (the forks go to `pending`)."""
    while True:
        if walk.key is None:
            return Ending(END, "reached the end of the path", walk.clock)
        activity = journey.activities.get(walk.key)
        if activity is None:
            return Ending(CANNOT_TELL, f"the path goes to {title_of(walk.key, {})}", walk.clock)
        if walk.key in walk.visited:
            words = f"the path comes back to {activity_title(activity)}: the journey loops"
            return Ending(CANNOT_TELL, words, walk.clock, walk.key)
        walk.visited.add(walk.key)
        moves = activity_moves(activity, walk, contact, names)
        if isinstance(moves, Ending):
            return moves
        ending = _after_activity(journey, activity, walk, moves)
        if ending is not None:
            return ending
        forks = _follow(walk, activity, moves)
        pending.extend(forks[1:])
        walk = forks[0]


def _after_activity(
    journey: Steppable, activity: dict[str, Any], walk: _Walk, moves: Moves
) -> Ending | None:
    walk.steps.append(moves.step)
    walk.messages.extend(moves.messages)
    walk.writes.extend(moves.writes)
    if moves.updates:
        walk.update(moves.updates)
    moved = moves.clock is not None and moves.clock != walk.clock
    walk.clock = walk.clock if moves.clock is None else moves.clock
    if activity.get("type") in WAIT_TYPES:
        ending = _check_exit(journey, walk)
        if ending is not None:
            return replace(ending, key=str(activity.get("key")))
    if not (moves.updates or moved):
        return None  # neither the values nor the clock changed: the goal's answer stands
    return _check_goal(journey, walk, f"after {activity_title(activity)}")


def _follow(walk: _Walk, activity: dict[str, Any], moves: Moves) -> list[_Walk]:
    """The walk going down the chosen branch, or itself and copies, one per branch."""
    if len(moves.branches) == 1:
        branch = moves.branches[0]
        _take(walk, branch.outcome, branch.name)
        return [walk]
    walks = [walk] + [walk.fork() for _ in moves.branches[1:]]
    for each, branch in zip(walks, moves.branches, strict=True):
        _take(each, branch.outcome, branch.name)
        each.share = (
            None if branch.share is None or each.share is None else each.share * branch.share
        )
        share = "" if branch.share is None else f" ({float(branch.share * 100):g}% of contacts)"
        choice = f"{activity_title(activity)}: {branch.name}"
        each.choices.append(choice)
        each.steps[-1] = replace(each.steps[-1], words=choice + share)
    return walks


def _take(walk: _Walk, outcome: dict[str, Any], name: str) -> None:
    if name:
        last = walk.steps[-1]
        walk.steps[-1] = replace(last, branch=str(outcome.get("key")), branch_name=name)
    target = outcome.get("next")
    walk.key = target if isinstance(target, str) and target else None


def _check_goal(journey: Steppable, walk: _Walk, when: str) -> Ending | None:
    goal, criteria = journey.goal, journey.goal_filter
    if goal is None or criteria is None or walk.goal_met:
        return None
    answer, words = _meets(criteria, walk.lookup, walk.clock)
    if answer is UNKNOWN:
        return Ending(
            CANNOT_TELL, f"cannot tell whether the goal is met {when}: {words}", walk.clock
        )
    if answer is not YES:
        return None
    walk.goal_met = True
    name = goal.get("name") or "the goal"
    if goal_exits_contacts(goal):
        return Ending(GOAL, f"met the goal '{name}' {when} and left the journey", walk.clock)
    walk.steps.append(Step(str(goal.get("key", "goal")), walk.clock, f"met the goal '{name}'"))
    return None


def _check_exit(journey: Steppable, walk: _Walk) -> Ending | None:
    exit_item, criteria = journey.exit, journey.exit_filter
    if exit_item is None or criteria is None:
        return None
    answer, words = _meets(criteria, walk.lookup, walk.clock)
    if answer is UNKNOWN:
        words = f"cannot tell whether the exit criteria are met: {words}"
        return Ending(CANNOT_TELL, words, walk.clock)
    if answer is YES:
        name = exit_item.get("name") or "exit criteria"
        return Ending(EXIT, f"met the exit criteria '{name}' and left the journey", walk.clock)
    return None


def _criteria(item: dict[str, Any] | None) -> Filter | None:
    """The item's filter, or None when it has no condition."""
    config = item.get("configurationArguments") if item else None
    text = config.get("criteria") if isinstance(config, dict) else None
    parsed = read_filter(text) if isinstance(text, str) else None
    return parsed if parsed is not None and has_conditions(parsed) else None


def _meets(criteria: Filter, lookup: Lookup, now: datetime) -> tuple[bool | None, str]:
    answer, verdicts = evaluate_filter(criteria, lookup, now)
    return answer, "; ".join(v.because for v in verdicts if v.answer is UNKNOWN)


def _admission(journey: Steppable, contact: TestContact, earlier: Sequence[Path]) -> Ending | None:
    """Why the contact does not enter (re-entry setting, entry filter), or None."""
    at = contact.entered_at
    refused = _reentry(journey.entry_mode, at, earlier)
    if refused is not None:
        return refused
    criteria = journey.entry_filter
    if criteria is None:
        return None
    answer, words = _meets(criteria, attribute_lookup(contact.values), at)
    if answer is UNKNOWN:
        return Ending(CANNOT_TELL, f"cannot tell whether the entry filter admits: {words}", at)
    if answer is not YES:
        return Ending(NOT_ADMITTED, "not admitted: does not meet the entry filter", at)
    return None


def _reentry(mode: str, at: datetime, earlier: Sequence[Path]) -> Ending | None:
    entered_before = [path for path in earlier if path.ending.kind != NOT_ADMITTED]
    if not entered_before or mode not in (*ONCE, AFTER_EXITING):
        return None
    if any(path.ending.kind == CANNOT_TELL and len(path.steps) == 0 for path in entered_before):
        words = "whether the same contact's earlier entry was admitted is not known"
        return Ending(CANNOT_TELL, f"cannot tell whether re-entry is allowed: {words}", at)
    if mode in ONCE:
        return Ending(NOT_ADMITTED, "not admitted: the journey allows one entry per contact", at)
    inside = [path for path in entered_before if path.ending.at > at]
    if inside and len(inside) == len(entered_before):
        words = "not admitted: still in the journey (re-entry only after exiting)"
        return Ending(NOT_ADMITTED, words, at)
    if inside:
        words = "on some paths the contact is still in the journey at this entry"
        return Ending(CANNOT_TELL, f"cannot tell whether re-entry is allowed: {words}", at)
    return None


def _path(contact: TestContact, walk: _Walk, ending: Ending) -> Path:
    return Path(
        contact=contact.name,
        steps=tuple(walk.steps),
        messages=tuple(walk.messages),
        writes=tuple(walk.writes),
        ending=ending,
        share=walk.share,
        choices=tuple(walk.choices),
        entered_at=contact.entered_at,
        met_goal=walk.goal_met,
    )


def _activities(journey: dict[str, Any]) -> dict[str, dict[str, Any]]:
    items = journey.get("activities")
    return {
        str(item["key"]): item
        for item in (items if isinstance(items, list) else [])
        if isinstance(item, dict) and isinstance(item.get("key"), str)
    }


def _first(journey: dict[str, Any], section: str) -> dict[str, Any] | None:
    items = journey.get(section)
    if isinstance(items, list) and items and isinstance(items[0], dict):
        return items[0]
    return None
