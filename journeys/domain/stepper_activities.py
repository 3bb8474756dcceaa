"""What each kind of activity does to a test contact: the stepper's rules, one per SFMC type.

Each rule returns the step taken (in plain words), the branch or branches to follow, the
messages sent and data written, or an `Ending` when the stepper cannot tell. Choices where SFMC
does not document its behaviour (see also `stepper_waits.py`):

* Decision split: the paths are tried in their order and the first that matches wins, else the
  remainder path; a path that cannot be told before the first match makes the whole split
  "cannot tell" (the order matters, so a later match proves nothing).
* Engagement split: the email must have been sent on this path; what the contact did with it is
  the contact's assumption (none stated: no engagement, said so). Clicking implies opening.
* Random split, Path Optimizer: the branch the contact states, else every branch with its share.
* Custom activity with several outcomes (a custom split): the stated branch, else every branch
  (shares unknown). A custom activity with one outcome is called and passed.
* An activity type not listed here ends the path: "cannot tell what a … does".
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from fractions import Fraction
from typing import Any, Protocol

from journeys.domain.catalog import activity_title
from journeys.domain.condition_eval import CANNOT_TELL as UNKNOWN
from journeys.domain.condition_eval import YES, Lookup, evaluate_filter, read_filter
from journeys.domain.contact_paths import (
    BOUNCED,
    CANNOT_TELL,
    CLICKED,
    EVERY_BRANCH,
    OPENED,
    Ending,
    Message,
    Names,
    Step,
    TestContact,
    Write,
)
from journeys.domain.diff import branch_name
from journeys.domain.stepper_waits import wait_until

WAIT_TYPES = frozenset({"WAIT", "STOWAIT"})
REMAINDER = "remainder_path"
# Engagement split `statsTypeId` (see panel_forms/splits.py for the source).
STATS_TYPES = {2: OPENED, 3: CLICKED, 6: BOUNCED}
PASS_THROUGH = {
    "SALESCLOUDACTIVITY": "wrote to Salesforce",
    "ABNTESTSTOP": "Path Optimizer winner step passed",
}


class WalkState(Protocol):
    clock: datetime
    values: dict[str, str]

    @property
    def lookup(self) -> Lookup: ...

    def sent(self, key: str) -> bool: ...


@dataclass(frozen=True)
class Branch:
    outcome: dict[str, Any]
    name: str = ""  # "" when the activity has only one way out
    share: Fraction | None = Fraction(1)


@dataclass(frozen=True)
class Moves:
    step: Step
    branches: tuple[Branch, ...]
    messages: tuple[Message, ...] = ()
    writes: tuple[Write, ...] = ()
    updates: Mapping[str, str] = field(default_factory=dict)
    clock: datetime | None = None  # the clock after a wait


Rule = Callable[[dict[str, Any], WalkState, TestContact, Names], "Moves | Ending"]


def asks_for_a_branch(activity: dict[str, Any]) -> bool:
    """Whether the stepper follows the branch a contact's assumptions choose here (a random
    split, Path Optimizer, a custom activity with several outcomes), else every branch."""
    rule = _RULES.get(str(activity.get("type") or ""))
    return rule is _random or (rule is _custom and len(_outcomes(activity)) > 1)


def activity_moves(
    activity: dict[str, Any], walk: WalkState, contact: TestContact, names: Names
) -> Moves | Ending:
    sfmc_type = str(activity.get("type") or "")
    rule = _RULES.get(sfmc_type)
    if rule is None and sfmc_type in PASS_THROUGH:
        return _single(activity, walk, PASS_THROUGH[sfmc_type])
    if rule is None:
        words = f"cannot tell what {activity_title(activity)} does (type {sfmc_type or 'none'})"
        return Ending(CANNOT_TELL, words, walk.clock, str(activity.get("key")))
    return rule(activity, walk, contact, names)


def _email(activity: dict[str, Any], walk: WalkState, contact: TestContact, names: Names) -> Moves:
    send = _dig(activity, "configurationArguments", "triggeredSend")
    email_id = str(send.get("emailId", "")) if isinstance(send, dict) else ""
    name = names.emails.get(email_id) or activity.get("name") or str(activity.get("key"))
    message = Message(str(activity["key"]), name, "email", walk.clock)
    return _single(activity, walk, f"email '{name}' sent", messages=(message,))


def _sms(activity: dict[str, Any], walk: WalkState, contact: TestContact, names: Names) -> Moves:
    name = activity.get("name") or str(activity.get("key"))
    message = Message(str(activity["key"]), name, "SMS", walk.clock)
    return _single(activity, walk, f"SMS '{name}' sent", messages=(message,))


def _decision(
    activity: dict[str, Any], walk: WalkState, contact: TestContact, names: Names
) -> Moves | Ending:
    criteria = _dig(activity, "configurationArguments", "criteria")
    criteria = criteria if isinstance(criteria, dict) else {}
    lookup = walk.lookup
    details: list[str] = []
    remainder = None
    for outcome in _outcomes(activity):
        text = criteria.get(outcome.get("key"))
        if not isinstance(text, str):
            remainder = remainder or outcome
            continue
        answer, verdicts = evaluate_filter(read_filter(text), lookup, walk.clock)
        name = branch_name(outcome)
        details += [f"{name}: {verdict.because}" for verdict in verdicts]
        if answer is UNKNOWN:
            words = f"cannot tell which path of {activity_title(activity)} the contact takes"
            return Ending(CANNOT_TELL, f"{words}: {details[-1]}", walk.clock, str(activity["key"]))
        if answer is YES:
            return _split_step(activity, walk, (Branch(outcome, name),), details)
    if remainder is None:
        words = f"no path of {activity_title(activity)} matched and it has no remainder path"
        return Ending(CANNOT_TELL, words, walk.clock, str(activity["key"]))
    details.append("no path matched: the remainder path")
    name = branch_name(remainder)
    name = "Remainder" if name == REMAINDER else name
    return _split_step(activity, walk, (Branch(remainder, name),), details)


def _engagement(
    activity: dict[str, Any], walk: WalkState, contact: TestContact, names: Names
) -> Moves | Ending:
    config = activity.get("configurationArguments")
    config = config if isinstance(config, dict) else {}
    email_key = str(config.get("refActivityCustomerKey") or "")
    stats_type = config.get("statsTypeId")
    kind = STATS_TYPES.get(stats_type) if isinstance(stats_type, int) else None
    if kind is None:
        words = f"cannot tell what {activity_title(activity)} asks (statsTypeId {stats_type})"
        return Ending(CANNOT_TELL, words, walk.clock, str(activity["key"]))
    stated = contact.assumptions.engagement.get(email_key)
    got = set(stated or ()) | ({OPENED} if stated and CLICKED in stated else set())
    if not walk.sent(email_key):
        answer, why = False, "the email it checks was not sent on this path"
    elif stated is None:
        answer, why = False, "assumed: no engagement with the email it checks (none stated)"
    else:
        answer, why = kind in got, f"assumed: {', '.join(sorted(got)) or 'no engagement'}"
    chosen = [o for o in _outcomes(activity) if _dig(o, "arguments", "when") is answer]
    if not chosen:
        words = f"{activity_title(activity)} has no '{'yes' if answer else 'no'}' path"
        return Ending(CANNOT_TELL, words, walk.clock, str(activity["key"]))
    detail = f"{kind}? {'yes' if answer else 'no'} ({why})"
    return _split_step(activity, walk, (Branch(chosen[0], branch_name(chosen[0])),), [detail])


def _random(
    activity: dict[str, Any], walk: WalkState, contact: TestContact, names: Names
) -> Moves | Ending:
    outcomes = _outcomes(activity)
    shares = {id(o): _percentage(o) for o in outcomes}
    return _chosen_or_every(activity, walk, contact, shares)


def _custom(
    activity: dict[str, Any], walk: WalkState, contact: TestContact, names: Names
) -> Moves | Ending:
    outcomes = _outcomes(activity)
    if len(outcomes) <= 1:
        return _single(activity, walk, f"{activity_title(activity)} called (its effect is assumed)")
    return _chosen_or_every(activity, walk, contact, {id(o): None for o in outcomes})


def _chosen_or_every(
    activity: dict[str, Any],
    walk: WalkState,
    contact: TestContact,
    shares: dict[int, Fraction | None],
) -> Moves | Ending:
    outcomes = _outcomes(activity)
    if not outcomes:
        words = f"{activity_title(activity)} has no branches: where contacts go cannot be told"
        return Ending(CANNOT_TELL, words, walk.clock, str(activity["key"]))
    wanted = contact.assumptions.branches.get(str(activity["key"]), EVERY_BRANCH)
    if wanted.strip().lower() == EVERY_BRANCH:
        branches = tuple(Branch(o, branch_name(o), shares[id(o)]) for o in outcomes)
        return _split_step(activity, walk, branches, ["every branch followed"])
    for outcome in outcomes:
        if wanted.strip().lower() in _branch_names(outcome):
            branch = Branch(outcome, branch_name(outcome))
            return _split_step(activity, walk, (branch,), [f"assumed: branch '{branch.name}'"])
    words = f"{activity_title(activity)} has no branch '{wanted}'"
    return Ending(CANNOT_TELL, words, walk.clock, str(activity["key"]))


def _wait(
    activity: dict[str, Any], walk: WalkState, contact: TestContact, names: Names
) -> Moves | Ending:
    until = wait_until(activity, walk.clock, walk.lookup)
    if isinstance(until, str):
        return Ending(CANNOT_TELL, until, walk.clock, str(activity["key"]))
    moment, words = until
    step = Step(str(activity["key"]), walk.clock, words)
    return Moves(step, _only(activity), clock=moment)


def _update_contact(
    activity: dict[str, Any], walk: WalkState, contact: TestContact, names: Names
) -> Moves:
    fields = _dig(activity, "arguments", "activityData", "updateContactFields")
    rows = [row for row in (fields if isinstance(fields, list) else []) if isinstance(row, dict)]
    return _writes(activity, walk, names, [(row.get("field"), row.get("value")) for row in rows])


def _update_data_extension(
    activity: dict[str, Any], walk: WalkState, contact: TestContact, names: Names
) -> Moves:
    field_id = _dig(activity, "configurationArguments", "field")
    return _writes(activity, walk, names, [(field_id, _dig(activity, "arguments", "value"))])


def _writes(
    activity: dict[str, Any], walk: WalkState, names: Names, rows: list[tuple[Any, Any]]
) -> Moves:
    """Record each write; a field the catalog names changes the contact's value for later
    decisions, unless the value is computed by SFMC (`{{…}}`), which the stepper cannot know."""
    writes, updates, said = [], {}, []
    for field_id, value in rows:
        name = names.fields.get(str(field_id), str(field_id))
        text = "" if value is None else str(value)
        writes.append(Write(str(activity["key"]), "data extension", name, text, walk.clock))
        said.append(f"{name} = {text!r}")
        if str(field_id) in names.fields and "{{" not in text:
            updates[name] = text
    words = f"{activity_title(activity)} wrote {', '.join(said) or 'nothing'}"
    return Moves(
        Step(str(activity["key"]), walk.clock, words),
        _only(activity),
        writes=tuple(writes),
        updates=updates,
    )


def _single(
    activity: dict[str, Any], walk: WalkState, words: str, messages: tuple[Message, ...] = ()
) -> Moves:
    return Moves(Step(str(activity["key"]), walk.clock, words), _only(activity), messages)


def _split_step(
    activity: dict[str, Any], walk: WalkState, branches: tuple[Branch, ...], details: list[str]
) -> Moves:
    title = activity_title(activity)
    words = f"{title}: {branches[0].name}" if len(branches) == 1 else f"{title}: every branch"
    step = Step(str(activity["key"]), walk.clock, words, details=tuple(details), title=title)
    return Moves(step, branches)


def _only(activity: dict[str, Any]) -> tuple[Branch, ...]:
    outcomes = _outcomes(activity)
    return (Branch(outcomes[0]),) if outcomes else (Branch({}),)


def _outcomes(activity: dict[str, Any]) -> list[dict[str, Any]]:
    outcomes = activity.get("outcomes")
    return [o for o in (outcomes if isinstance(outcomes, list) else []) if isinstance(o, dict)]


def _branch_names(outcome: dict[str, Any]) -> set[str]:
    result = _dig(outcome, "arguments", "branchResult")
    found = {str(outcome.get("key")), branch_name(outcome), str(result or "")}
    return {name.strip().lower() for name in found if name}


def _percentage(outcome: dict[str, Any]) -> Fraction | None:
    value = _dig(outcome, "arguments", "percentage")
    try:
        return Fraction(str(value)) / 100
    except (ValueError, ZeroDivisionError):
        return None


def _dig(node: Any, *names: str) -> Any:
    for name in names:
        node = node.get(name) if isinstance(node, dict) else None
    return node


_RULES: dict[str, Rule] = {
    "EMAILV2": _email,
    "SMSSYNC": _sms,
    "MULTICRITERIADECISION": _decision,
    "ENGAGEMENTDECISION": _engagement,
    "RANDOMSPLIT": _random,
    "ABNTEST": _random,
    "REST": _custom,
    "WAIT": _wait,
    "STOWAIT": _wait,
    "UPDATECONTACTDATA": _update_contact,
    "DATAEXTENSIONUPDATE": _update_data_extension,
}
