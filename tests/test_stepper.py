"""The journey stepper against paths checked by hand on the shared real journeys, split by split."""

from __future__ import annotations

import copy
import json
from datetime import datetime
from fractions import Fraction

import pytest

from journeys.domain.contact_paths import (
    CANNOT_TELL,
    END,
    EXIT,
    GOAL,
    NOT_ADMITTED,
    Assumptions,
    Names,
    TestContact,
    timeline,
)
from journeys.domain.stepper import step_contact, step_contacts

ENTRY = datetime(2026, 12, 1, 9, 0)


def load(real_fixtures_dir, name):
    return json.loads((real_fixtures_dir / name).read_text())


def condition(key, operator, value):
    return (
        '<FilterDefinition><ConditionSet Operator="AND">'
        f'<Condition Key="{key}" Operator="{operator}"><Value><![CDATA[{value}]]></Value>'
        "</Condition></ConditionSet></FilterDefinition>"
    )


def contact(name="Alice", entered=ENTRY, key="", **values):
    return TestContact(name, values, entered, key)


def assuming(base, **assumptions):
    return TestContact(
        base.name, base.values, base.entered_at, base.contact_key, Assumptions(**assumptions)
    )


def test_a_lead_is_walked_through_every_wait_and_decision_of_a_real_nurture(real_fixtures_dir):
    journey = load(real_fixtures_dir, "14-coh-goal-and-exit-criteria.json")
    [path] = step_contact(journey, contact(Converted="false"))
    assert timeline(path) == [
        "Day 0 09:00 entered the journey",
        "Day 0 09:00 email 'Screening' sent",
        "Day 0 09:00 waited 7 days",
        "Day 7 09:00 Decision Split: Still a Lead Record",
        "Day 7 09:00 Einstein STO: assumed sent at once (SFMC picks the time within 12 h)",
        "Day 7 09:00 email 'Nutrition and Wellness' sent",
        "Day 7 09:00 waited 7 days",
        "Day 14 09:00 Decision Split: Still a Lead Record",
        "Day 14 09:00 Einstein STO: assumed sent at once (SFMC picks the time within 24 h)",
        "Day 14 09:00 email 'Healthy Lifestyle' sent",
        "Day 14 09:00 waited 7 days",
        "Day 21 09:00 reached the end of the path",
    ]
    assert [m.name for m in path.messages] == [
        "Screening",
        "Nutrition and Wellness",
        "Healthy Lifestyle",
    ]
    decision = path.steps[3]
    assert decision.branch == "default_path_1"
    assert decision.details == (
        "Still a Lead Record: 'Converted (Risk Management Info) is false' matched "
        "(Converted is 'false')",
    )


def test_the_goal_that_removes_contacts_ends_the_path_at_entry(real_fixtures_dir):
    journey = load(real_fixtures_dir, "14-coh-goal-and-exit-criteria.json")
    [path] = step_contact(journey, contact(Converted="true"))
    assert path.ending.kind == GOAL
    assert path.ending.words == "met the goal 'GOAL' at entry and left the journey"
    assert path.messages == ()


def test_exit_criteria_are_checked_after_the_first_wait(real_fixtures_dir):
    journey = load(real_fixtures_dir, "14-coh-goal-and-exit-criteria.json")
    [path] = step_contact(journey, contact(Converted="false", RMTOptInStatus="Unsubscribed"))
    assert path.ending.kind == EXIT
    assert path.ending.at == datetime(2026, 12, 8, 9, 0)
    assert path.ending.key == "WAITBYDURATION-2"
    assert [m.name for m in path.messages] == ["Screening"]


def test_a_goal_that_keeps_contacts_is_recorded_and_the_path_goes_on(real_fixtures_dir):
    journey = load(real_fixtures_dir, "18-coh-randomsplit-goal-emailaudience.json")
    paths = step_contact(journey, contact(IsConverted="true"))
    assert all(path.met_goal and path.ending.kind == END for path in paths)
    assert all(path.steps[1].words == "met the goal 'GOAL'" for path in paths)


def test_the_first_matching_decision_path_wins_else_the_remainder(real_fixtures_dir):
    journey = load(real_fixtures_dir, "01-mcdev-api-multistep-decision-email-waits.json")
    [sent] = step_contact(journey, contact(Email="alice@example.com"))
    assert sent.branches_taken == ("send message",)
    assert [m.key for m in sent.messages] == ["EMAILV2-1"]
    [skipped] = step_contact(journey, contact())
    assert skipped.branches_taken == ("Remainder",)
    assert skipped.messages == ()
    assert skipped.steps[1].details[-1] == "no path matched: the remainder path"


def test_an_engagement_split_reads_what_the_contact_did_with_the_email(real_fixtures_dir):
    journey = load(real_fixtures_dir, "13-coh-engagement-decision-goal.json")
    bob = contact("Bob", Completed_Lead="False")
    [bounced] = step_contact(
        journey, assuming(bob, engagement={"EMAILV2-1": frozenset({"bounced"})})
    )
    assert bounced.branches_taken == ("Yes",)
    assert bounced.steps[3].at == datetime(2026, 12, 7, 9, 0)  # after the 6-day wait
    [unstated] = step_contact(journey, bob)
    assert unstated.branches_taken == ("No",)
    assert "none stated" in unstated.steps[3].details[0]
    assert "EMAILV2-1" not in unstated.steps[3].details[0]  # people see no keys


def test_a_random_split_is_followed_down_every_branch_with_its_share(real_fixtures_dir):
    journey = load(real_fixtures_dir, "10-coh-random-and-decision-split.json")
    paths = step_contact(journey, contact())
    assert len(paths) == 5
    assert sum(path.share for path in paths) == 1
    assert {path.share for path in paths} == {Fraction(1, 5)}
    assert paths[1].choices == ("Random Split: Path 2",)
    assert paths[1].steps[2].words == "waited 1 hour"


def test_a_random_split_follows_the_branch_the_contact_states(real_fixtures_dir):
    journey = load(real_fixtures_dir, "10-coh-random-and-decision-split.json")
    [path] = step_contact(journey, assuming(contact(), branches={"RANDOMSPLITV2-1": "path 2"}))
    assert path.branches_taken[0] == "Path 2"
    assert path.share == 1 and path.choices == ()


def test_a_path_optimizer_splits_by_its_percentages(real_fixtures_dir):
    journey = load(real_fixtures_dir, "11-coh-abntest-stowait-stopped.json")
    paths = step_contact(journey, contact())
    assert [path.share for path in paths] == [
        Fraction(33, 100),
        Fraction(33, 100),
        Fraction(34, 100),
    ]
    assert all("Path Optimizer winner step passed" in timeline(p)[3] for p in paths[:1])


def test_a_custom_split_follows_every_branch_with_unknown_shares(real_fixtures_dir):
    journey = load(real_fixtures_dir, "09-sfmc-example-rest-custom-activity-split.json")
    paths = step_contact(journey, contact())
    assert len(paths) > 1 and all(path.share is None for path in paths)
    assert (
        paths[0].steps[1].words
        == "Custom Activity 'Issue 15% Discount' called (its effect is assumed)"
    )


def test_a_wait_by_attribute_waits_until_the_contacts_date_minus_its_offset(real_fixtures_dir):
    journey = load(real_fixtures_dir, "21-coh-wait-by-attribute-sfobject.json")
    start = "Event_Registration__c:Event__r:Event_Start_Date__c"
    [path] = step_contact(journey, contact(Name="Atlanta expo", **{start: "2026-12-20"}))
    wait = next(step for step in path.steps if step.words.startswith("wait until"))
    assert wait.words == "wait until Event_Start_Date__c (2026-12-20 00:00) - 8 days"
    after = path.steps[path.steps.index(wait) + 1]
    assert after.at == datetime(2026, 12, 12, 9, 0)  # 8 days before, at the wait's 09:00


def test_a_wait_for_a_date_the_contact_lacks_cannot_be_told(real_fixtures_dir):
    journey = load(real_fixtures_dir, "21-coh-wait-by-attribute-sfobject.json")
    [path] = step_contact(journey, contact(Name="Atlanta expo"))
    assert path.ending.kind == CANNOT_TELL
    assert (
        path.ending.words
        == "cannot tell when the wait ends: the contact has no Event_Start_Date__c"
    )


def gold_after_update():
    """Makes the contact Gold (field f-1), then splits Gold from the others."""
    return {
        "key": "j",
        "entryMode": "MultipleEntries",
        "activities": [
            {
                "key": "UPDATE",
                "type": "UPDATECONTACTDATA",
                "name": "Make Gold",
                "arguments": {
                    "activityData": {
                        "updateContactFields": [
                            {"dataExtensionId": "de", "field": "f-1", "value": "Gold"}
                        ]
                    }
                },
                "outcomes": [{"key": "o", "next": "SPLIT"}],
            },
            {
                "key": "SPLIT",
                "type": "MULTICRITERIADECISION",
                "configurationArguments": {
                    "criteria": {"gold": condition("Members.Tier", "Equal", "gold")}
                },
                "outcomes": [
                    {"key": "gold", "metaData": {"label": "Gold"}},
                    {"key": "remainder_path", "metaData": {"label": "Others"}},
                ],
            },
        ],
    }


def test_an_update_contact_changes_what_a_later_decision_reads():
    journey = gold_after_update()
    alice = contact(Tier="Silver")
    [known] = step_contact(journey, alice, Names(fields={"f-1": "Tier"}))
    assert known.branches_taken == ("Gold",)
    assert [(w.field, w.value) for w in known.writes] == [("Tier", "Gold")]
    [unknown] = step_contact(journey, alice)
    assert unknown.branches_taken == ("Others",)
    assert unknown.writes[0].field == "f-1"


def entry_journey(mode):
    return {
        "key": "j",
        "entryMode": mode,
        "activities": [
            {
                "key": "WAIT",
                "type": "WAIT",
                "configurationArguments": {"waitDuration": 2, "waitUnit": "DAYS"},
                "outcomes": [{"key": "o"}],
            }
        ],
    }


@pytest.mark.parametrize(
    ("mode", "second_entry", "expected"),
    [
        ("OnceAndDone", datetime(2026, 12, 9), NOT_ADMITTED),
        ("NotSet", datetime(2026, 12, 9), NOT_ADMITTED),
        ("MultipleEntries", datetime(2026, 12, 2), END),
        ("SingleEntryAcrossAllVersions", datetime(2026, 12, 2), NOT_ADMITTED),
        ("SingleEntryAcrossAllVersions", datetime(2026, 12, 9), END),
    ],
)
def test_re_entry_follows_the_journeys_entry_mode(mode, second_entry, expected):
    first = contact("Alice first", key="alice")
    again = contact("Alice again", entered=second_entry, key="alice")
    results = step_contacts(entry_journey(mode), [again, first])
    assert results["Alice first"][0].ending.kind == END
    assert results["Alice again"][0].ending.kind == expected


def test_the_entry_filter_keeps_out_who_does_not_match(real_fixtures_dir):
    journey = copy.deepcopy(entry_journey("MultipleEntries"))
    journey["triggers"] = [
        {
            "key": "TRIGGER",
            "type": "APIEvent",
            "configurationArguments": {
                "criteria": condition("Event.E.Age", "GreaterThanOrEqual", "18")
            },
        }
    ]
    [minor] = step_contact(journey, contact(Age="17"))
    assert (minor.ending.kind, minor.ending.words) == (
        NOT_ADMITTED,
        "not admitted: does not meet the entry filter",
    )
    [adult] = step_contact(journey, contact(Age="18"))
    assert adult.ending.kind == END


def test_an_unknown_activity_type_stops_the_contact_with_the_reason():
    journey = entry_journey("MultipleEntries")
    journey["activities"].insert(
        0, {"key": "X", "type": "SOMETHINGNEW", "outcomes": [{"key": "o", "next": "WAIT"}]}
    )
    [path] = step_contact(journey, contact())
    assert path.ending.kind == CANNOT_TELL
    assert path.ending.words == "cannot tell what SOMETHINGNEW does (type SOMETHINGNEW)"


def test_a_loop_and_a_dangling_link_end_the_path_as_cannot_tell():
    journey = entry_journey("MultipleEntries")
    journey["activities"][0]["outcomes"][0]["next"] = "WAIT"
    [looped] = step_contact(journey, contact())
    assert looped.ending.kind == CANNOT_TELL and "loops" in looped.ending.words
    journey["activities"][0]["outcomes"][0]["next"] = "GONE"
    [dangling] = step_contact(journey, contact())
    assert dangling.ending.words == "the path goes to an activity that does not exist (key GONE)"


def test_every_shared_fixture_is_stepped_without_an_error(real_fixtures_dir):
    for file in sorted(real_fixtures_dir.glob("*.json")):
        data = json.loads(file.read_text())
        for journey in data.get("items", [data]):
            for path in step_contact(journey, contact(Email="a@example.com")):
                assert path.ending.kind in (END, GOAL, EXIT, CANNOT_TELL, NOT_ADMITTED)
                assert path.ending.words and path.steps[0].words == "entered the journey"


def test_a_written_value_replaces_the_contacts_however_the_contact_spelled_it():
    journey = gold_after_update()
    whole_key = TestContact("Alice", {"Members.Tier": "Silver"}, ENTRY)
    [path] = step_contact(journey, whole_key, Names(fields={"f-1": "Tier"}))
    assert path.branches_taken == ("Gold",)
