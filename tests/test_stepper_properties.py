"""Properties of the journey stepper on generated journeys and contacts: every path ends, follows
the journey's own links, is the same on every run, keeps its clock moving forward, and the
shares of a contact's paths add up to exactly one. Broken journeys (a loop, a link to nowhere)
end the paths they affect with "cannot tell", never an exception."""

from __future__ import annotations

import copy
from datetime import datetime, timedelta
from fractions import Fraction

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from journeys.domain.contact_paths import (
    CANNOT_TELL,
    END,
    ENGAGEMENTS,
    EVERY_BRANCH,
    EXIT,
    GOAL,
    NOT_ADMITTED,
    Assumptions,
    Ending,
    Names,
    TestContact,
)
from journeys.domain.stepper import MAX_PATHS, step_contact, step_contacts
from journeys.domain.topology import start_key

SOURCE = "Event.DEAudience-1"
TIER, POINTS = f"{SOURCE}.Tier", f"{SOURCE}.Points"
NAMES = Names(
    emails={"101": "Welcome", "102": "Reminder"},
    fields={"fld-tier": "Tier", "fld-points": "Points"},  # what update-contact activities write
)
ENTRY = datetime(2026, 3, 1, 9, 0)
ENDINGS = {END, GOAL, EXIT, NOT_ADMITTED, CANNOT_TELL}
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def criteria(*conditions, operator="AND"):
    parts = "".join(
        f'<Condition Key="{key}" Operator="{op}" UiMetaData="{{}}"><Value><![CDATA[{value}]]>'
        "</Value></Condition>"
        for key, op, value in conditions
    )
    return (
        f'<FilterDefinition><ConditionSet Operator="{operator}" ConditionSetName="G">{parts}'
        "</ConditionSet></FilterDefinition>"
    )


def outcome(key, target, label="", **arguments):
    return {
        "key": key,
        "next": target,
        "arguments": arguments,
        "metaData": {"label": label} if label else {},
    }


conditions = st.one_of(
    st.tuples(st.just(TIER), st.just("Equal"), st.sampled_from(["Gold", "Silver", "Platinum"])),
    st.tuples(st.just(POINTS), st.just("GreaterThan"), st.integers(-5, 1500).map(str)),
)


def email(draw, key, target, emails):
    email_id = draw(st.sampled_from([101, 102, 999]))
    return {
        "key": key,
        "type": "EMAILV2",
        "name": f"Email {key}",
        "configurationArguments": {"triggeredSend": {"emailId": email_id}},
        "outcomes": [outcome(f"{key}-out", draw(target))],
    }


def wait(draw, key, target, emails):
    config = {
        "waitDuration": draw(st.integers(0, 30)),
        "waitUnit": draw(st.sampled_from(["MINUTES", "HOURS", "DAYS", "WEEKS", "MONTHS"])),
        "specifiedTime": draw(st.sampled_from(["", "00:00", "09:30", "23:15"])),
        "waitEndDateAttributeExpression": "",
        "specificDate": "",
    }
    return {
        "key": key,
        "type": "WAIT",
        "configurationArguments": config,
        "outcomes": [outcome(f"{key}-out", draw(target))],
    }


def decision(draw, key, target, emails):
    paths = [
        outcome(f"{key}-p{index}", draw(target), f"Path {index}")
        for index in range(draw(st.integers(1, 3)))
    ]
    found = {
        path["key"]: criteria(
            *draw(st.lists(conditions, min_size=1, max_size=2)),
            operator=draw(st.sampled_from(["AND", "OR"])),
        )
        for path in paths
    }
    if draw(st.integers(0, 4)):  # mostly with the remainder path Journey Builder adds
        paths.append(outcome("remainder_path", draw(target), "Remainder"))
    return {
        "key": key,
        "type": "MULTICRITERIADECISION",
        "configurationArguments": {"criteria": found},
        "outcomes": paths,
    }


def random_split(draw, key, target, emails):
    count = draw(st.integers(2, 4))
    cuts = sorted(draw(st.sets(st.integers(1, 99), min_size=count - 1, max_size=count - 1)))
    percentages = [b - a for a, b in zip([0, *cuts], [*cuts, 100], strict=True)]
    return {
        "key": key,
        "type": "RANDOMSPLIT",
        "outcomes": [
            outcome(f"{key}-b{index}", draw(target), f"Branch {index}", percentage=share)
            for index, share in enumerate(percentages)
        ],
    }


def engagement(draw, key, target, emails):
    config = {
        "statsTypeId": draw(st.sampled_from([2, 3, 6])),
        "refActivityCustomerKey": draw(st.sampled_from([*emails, "EMAIL-ELSEWHERE"])),
    }
    return {
        "key": key,
        "type": "ENGAGEMENTDECISION",
        "configurationArguments": config,
        "outcomes": [
            outcome(f"{key}-yes", draw(target), "Yes", when=True),
            outcome(f"{key}-no", draw(target), "No", when=False),
        ],
    }


def update_contact(draw, key, target, emails):
    fields = draw(
        st.lists(
            st.tuples(
                st.sampled_from(["fld-tier", "fld-points", "fld-unknown"]),
                st.sampled_from(["Gold", "Platinum", "50", "5000", "{{Contact.Key}}"]),
            ),
            max_size=2,
        )
    )
    rows = [{"field": field, "value": value} for field, value in fields]
    return {
        "key": key,
        "type": "UPDATECONTACTDATA",
        "arguments": {"activityData": {"updateContactFields": rows}},
        "outcomes": [outcome(f"{key}-out", draw(target))],
    }


BUILDERS = (email, wait, decision, random_split, engagement, update_contact)


@st.composite
def journeys(draw, max_activities=8):
    """An acyclic journey: each activity's outcomes lead to later activities or end."""
    keys = [f"A{index}" for index in range(draw(st.integers(1, max_activities)))]
    activities: list[dict] = []
    for index, key in enumerate(keys):
        later = keys[index + 1 :]
        # mostly on to the next activity, so that paths are long; sometimes further or the end
        target = st.sampled_from([*later[:1] * 4, *later, None]) if later else st.none()
        emails = [a["key"] for a in activities if a["type"] == "EMAILV2"]
        activities.append(draw(st.sampled_from(BUILDERS))(draw, key, target, emails))
    return {
        "key": "generated",
        "entryMode": draw(st.sampled_from(["OnceAndDone", "MultipleEntries", "NotSet"])),
        "triggers": [{"key": "TRIGGER", "configurationArguments": {"criteria": draw(entry)}}],
        "goals": draw(st.lists(goal, max_size=1)),
        "exits": draw(st.lists(exit_criteria, max_size=1)),
        "activities": activities,
    }


entry = st.sampled_from(["", "", "", criteria((POINTS, "GreaterThan", "-1"))])
goal = st.builds(
    lambda exits: {
        "key": "GOAL",
        "name": "Platinum",
        "configurationArguments": {"criteria": criteria((TIER, "Equal", "Platinum"))},
        "metaData": {"isExitCriteria": exits},
    },
    st.booleans(),
)
exit_criteria = st.just(
    {
        "key": "EXIT",
        "name": "Big spender",
        "configurationArguments": {"criteria": criteria((POINTS, "GreaterThan", "1000"))},
    }
)


def activity_keys(journey, kind):
    return [a["key"] for a in journey["activities"] if a["type"] == kind]


@st.composite
def contacts(draw, journey, name="Alice"):
    """A contact with some of the journey's attributes (by whole key or by name, or "abc" where
    a number is compared) and assumptions about its emails and random splits."""
    values = {}
    for key, choices in ((TIER, ["Gold", "silver", "Platinum", ""]), (POINTS, ["abc", ""])):
        if draw(st.booleans()):
            spelled = draw(st.sampled_from([key, key.rpartition(".")[2]]))
            values[spelled] = draw(st.sampled_from(choices) | st.integers(-10, 2000).map(str))
    engagement = {
        key: frozenset(draw(st.sets(st.sampled_from(ENGAGEMENTS), max_size=2)))
        for key in activity_keys(journey, "EMAILV2")
        if draw(st.booleans())
    }
    branches = {}
    for key in activity_keys(journey, "RANDOMSPLIT"):
        outcomes = next(a for a in journey["activities"] if a["key"] == key)["outcomes"]
        choice = draw(st.sampled_from([None, None, EVERY_BRANCH, *(o["key"] for o in outcomes)]))
        if choice is not None:
            branches[key] = choice
    entered = ENTRY + timedelta(minutes=draw(st.integers(0, 60 * 24 * 30)))
    return TestContact(
        name,
        values,
        entered,
        contact_key=draw(st.sampled_from(["", "same-person"])),
        assumptions=Assumptions(engagement, branches),
    )


@st.composite
def journey_and_contact(draw):
    journey = draw(journeys())
    return journey, draw(contacts(journey))


def activity_steps(journey, path):
    keys = {a["key"] for a in journey["activities"]}
    return [step for step in path.steps if step.key in keys]


def taken_outcome(activity, step):
    """The outcome the path took out of `activity` at `step`."""
    outcomes = activity["outcomes"]
    if step.branch is None:
        assert len(outcomes) == 1, f"{activity['key']} has several ways out, none recorded"
        return outcomes[0]
    return next(o for o in outcomes if o["key"] == step.branch)


@FAST
@given(journey_and_contact())
def test_every_path_ends_and_goes_only_where_the_journeys_links_lead(case):
    journey, contact = case
    by_key = {a["key"]: a for a in journey["activities"]}
    paths = step_contact(journey, contact, NAMES)
    assert paths
    for path in paths:
        assert isinstance(path.ending, Ending)
        assert path.ending.kind in ENDINGS
        steps = activity_steps(journey, path)
        if steps:
            assert steps[0].key == start_key(journey)
        for here, there in zip(steps, steps[1:], strict=False):
            assert taken_outcome(by_key[here.key], here)["next"] == there.key
        if path.ending.kind == END and steps:
            assert taken_outcome(by_key[steps[-1].key], steps[-1])["next"] is None
        assert len({step.key for step in steps}) == len(steps)  # no activity twice


@FAST
@given(journey_and_contact())
def test_the_same_journey_and_contact_give_the_same_paths_and_the_journey_is_untouched(case):
    journey, contact = case
    before = copy.deepcopy(journey)
    first = step_contact(journey, contact, NAMES)
    assert journey == before
    assert step_contact(copy.deepcopy(journey), contact, NAMES) == first


@FAST
@given(journey_and_contact())
def test_the_shares_of_a_contacts_paths_add_up_to_exactly_one(case):
    journey, contact = case
    paths = step_contact(journey, contact, NAMES)
    shares = [path.share for path in paths]
    assert None not in shares  # no custom splits: every share is known
    assert sum(shares, Fraction(0)) == 1
    assert all(0 < share <= 1 for share in shares)


@FAST
@given(journey_and_contact())
def test_the_clock_never_goes_backwards_along_a_path(case):
    journey, contact = case
    for path in step_contact(journey, contact, NAMES):
        moments = [step.at for step in path.steps] + [path.ending.at]
        assert moments[0] == contact.entered_at
        assert moments == sorted(moments)
        assert all(contact.entered_at <= m.at <= path.ending.at for m in path.messages)
        assert all(contact.entered_at <= w.at <= path.ending.at for w in path.writes)


@st.composite
def broken_journeys(draw):
    """A generated journey with one outcome of one activity sent back to itself (a loop), to
    any activity (maybe a loop), or to an activity that does not exist; with the broken outcome."""
    journey = draw(journeys(max_activities=6))
    journey["goals"], journey["exits"] = [], []  # so that nothing ends a path before its link
    activity = draw(st.sampled_from(journey["activities"]))
    broken = draw(st.sampled_from(activity["outcomes"]))
    anywhere = [a["key"] for a in journey["activities"]]
    broken["next"] = draw(st.sampled_from([activity["key"], "GONE", *anywhere]))
    return journey, activity, broken


@FAST
@given(st.data())
def test_a_loop_or_a_link_to_nowhere_ends_the_path_that_takes_it_with_cannot_tell(data):
    journey, activity, broken = data.draw(broken_journeys())
    contact = data.draw(contacts(journey))
    target = broken["next"]
    for path in step_contact(journey, contact, NAMES):
        assert path.ending.kind in ENDINGS
        steps = activity_steps(journey, path)
        for index, step in enumerate(steps):
            if step.key != activity["key"] or taken_outcome(activity, step) is not broken:
                continue
            if target != "GONE" and target not in {s.key for s in steps[: index + 1]}:
                # a way back, but not on this path: it goes on (or ends at the target)
                assert (steps[index + 1].key if index + 1 < len(steps) else None) in (
                    target,
                    None,
                )
                if index + 1 == len(steps):
                    assert path.ending.key == target
                continue
            assert index == len(steps) - 1, "the path went on past the broken link"
            assert path.ending.kind == CANNOT_TELL
            assert ("does not exist" if target == "GONE" else "loops") in path.ending.words


@FAST
@given(st.data())
def test_contacts_who_are_the_same_person_enter_a_once_only_journey_once(data):
    journey = data.draw(journeys(max_activities=4))
    journey["entryMode"] = "OnceAndDone"
    people = [data.draw(contacts(journey, name)) for name in ("Ann", "Bea", "Cat")]
    people = [
        TestContact(c.name, c.values, c.entered_at, "same-person", c.assumptions) for c in people
    ]
    results = step_contacts(journey, people, NAMES)
    assert set(results) == {"Ann", "Bea", "Cat"}
    entered = [
        c.name
        for c in sorted(people, key=lambda c: c.entered_at)
        if any(p.steps for p in results[c.name])  # a contact who entered has steps
    ]
    assert len(entered) <= 1


def chain_of_random_splits(count, branches):
    activities = []
    for index in range(count):
        wait_key, after = f"W{index}", f"R{index + 1}" if index + 1 < count else None
        share = 100 // branches
        activities.append(
            {
                "key": f"R{index}",
                "type": "RANDOMSPLIT",
                "outcomes": [
                    outcome(f"R{index}-{b}", wait_key, f"P{b}", percentage=share)
                    for b in range(branches)
                ],
            }
        )
        activities.append(
            {
                "key": wait_key,
                "type": "WAIT",
                "configurationArguments": {"waitDuration": 1, "waitUnit": "DAYS"},
                "outcomes": [outcome(f"{wait_key}-out", after)],
            }
        )
    return {"activities": activities}


def test_past_the_path_limit_the_contact_gets_one_whole_cannot_tell_path_at_entry():
    journey = chain_of_random_splits(5, 4)  # 4**5 = 1024 paths
    assert MAX_PATHS < 4**5
    contact = TestContact("Alice", {}, ENTRY)
    [path] = step_contact(journey, contact)
    assert path.ending.kind == CANNOT_TELL
    assert "choose a branch" in path.ending.words
    assert path.share == 1
    assert path.choices == ()
    assert [step.at for step in path.steps] == [ENTRY]  # only the entry: no branch was taken
    chosen = Assumptions(branches={"R0": "P0", "R1": "P1"})  # 4**3 = 64 paths: within the limit
    paths = step_contact(journey, TestContact("Bob", {}, ENTRY, assumptions=chosen))
    assert len(paths) == 64
    assert sum(p.share for p in paths) == 1


def test_a_random_split_without_branches_cannot_be_told_rather_than_failing():
    for sfmc_type in ("RANDOMSPLIT", "ABNTEST"):
        journey = {"activities": [{"key": "R", "type": sfmc_type, "outcomes": []}]}
        [path] = step_contact(journey, TestContact("Alice", {}, ENTRY))
        assert path.ending.kind == CANNOT_TELL
        assert "no branches" in path.ending.words


def test_a_wait_of_a_negative_duration_cannot_be_told_rather_than_turning_the_clock_back():
    config = {"waitDuration": -3, "waitUnit": "DAYS"}
    journey = {
        "activities": [
            {"key": "W", "type": "WAIT", "configurationArguments": config, "outcomes": [{}]}
        ]
    }
    [path] = step_contact(journey, TestContact("Alice", {}, ENTRY))
    assert path.ending.kind == CANNOT_TELL
    assert path.ending.at == ENTRY
    assert "-3" in path.ending.words


@given(
    st.sampled_from([b.__name__ for b in BUILDERS] + ["REST", "ABNTEST", "SMSSYNC", "STOWAIT"]),
    st.lists(
        st.one_of(
            st.just({}),
            st.just({"next": None}),
            st.just("not an outcome"),
            st.fixed_dictionaries({"arguments": st.just({"when": True, "percentage": "x"})}),
        ),
        max_size=3,
    ),
)
@FAST
def test_an_activity_with_odd_outcomes_never_fails(kind, outcomes):
    sfmc_type = {
        "email": "EMAILV2",
        "wait": "WAIT",
        "decision": "MULTICRITERIADECISION",
        "random_split": "RANDOMSPLIT",
        "engagement": "ENGAGEMENTDECISION",
        "update_contact": "UPDATECONTACTDATA",
    }.get(kind, kind)
    journey = {"activities": [{"key": "X", "type": sfmc_type, "outcomes": outcomes}]}
    config = {"statsTypeId": 2, "refActivityCustomerKey": "X", "waitDuration": 1}
    journey["activities"][0]["configurationArguments"] = config
    for path in step_contact(journey, TestContact("Alice", {}, ENTRY)):
        assert path.ending.kind in ENDINGS
