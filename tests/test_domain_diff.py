from __future__ import annotations

import copy
import json
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from bench.journeys_gen import edit_journey, generate_journey
from journeys.domain.diff import MISSING, SERVER_OWNED_FIELDS, ActivityWords, diff


def load_real(real_fixtures_dir, name):
    return json.loads((real_fixtures_dir / name).read_text())


def real_journeys(real_fixtures_dir):
    docs = [json.loads(p.read_text()) for p in sorted(real_fixtures_dir.glob("*.json"))]
    return [d for d in docs if "activities" in d]


def act(doc, key):
    return next(a for a in doc["activities"] if a["key"] == key)


def at(doc, path):
    node = doc
    for part in path:
        if isinstance(node, list):
            node = next((i for i in node if i.get("key") == part), MISSING)
        elif isinstance(node, dict):
            node = node.get(part, MISSING)
        else:
            return MISSING
    return node


def test_identical_documents_have_no_changes(real_fixtures_dir):
    for doc in real_journeys(real_fixtures_dir):
        result = diff(doc, copy.deepcopy(doc))
        assert not result and result.changes == () and result.summaries() == []


def test_the_order_of_activities_is_not_a_change(real_fixtures_dir):
    doc = load_real(
        real_fixtures_dir, "08-greenpeace-automation-audience-stowait-updatecontact.json"
    )
    shuffled = copy.deepcopy(doc)
    random.Random(4).shuffle(shuffled["activities"])
    assert diff(doc, shuffled).changes == ()


def test_server_owned_fields_are_ignored_at_the_top_and_on_activities(real_fixtures_dir):
    doc = load_real(real_fixtures_dir, "01-mcdev-api-multistep-decision-email-waits.json")
    changed = copy.deepcopy(doc)
    changed.update(dict.fromkeys(SERVER_OWNED_FIELDS, "changed by SFMC"))
    changed["activities"][0]["id"] = "another-guid"
    assert diff(doc, changed).changes == ()


def test_a_renamed_journey_reads_renamed_journey_a_to_b(real_fixtures_dir):
    doc = load_real(real_fixtures_dir, "12-coh-apievent-updatecontact.json")
    renamed = copy.deepcopy(doc)
    renamed["name"] = "B"
    (change,) = diff({**doc, "name": "A"}, renamed).changes
    assert (change.kind, change.path, change.old, change.new) == (
        "setting-changed",
        ("name",),
        "A",
        "B",
    )
    assert change.summary == "Renamed journey 'A' → 'B'"


def test_a_wait_duration_change_reads_wait_2_days_to_3_days(real_fixtures_dir):
    doc = load_real(real_fixtures_dir, "10-coh-random-and-decision-split.json")
    wait = act(doc, "WAITBYDURATION-7")
    wait["configurationArguments"].update(waitDuration=2, waitUnit="DAYS")
    longer = copy.deepcopy(doc)
    act(longer, "WAITBYDURATION-7")["configurationArguments"]["waitDuration"] = 3
    (change,) = diff(doc, longer).changes
    assert change.summary == "Wait 2 days → 3 days"
    assert change.path == (
        "activities",
        "WAITBYDURATION-7",
        "configurationArguments",
        "waitDuration",
    )
    assert (change.old, change.new, change.activity_key) == (2, 3, "WAITBYDURATION-7")
    act(longer, "WAITBYDURATION-7")["configurationArguments"].update(
        waitDuration=1, waitUnit="HOURS"
    )
    result = diff(doc, longer)
    assert len(result.changes) == 2 and result.summaries() == ["Wait 2 days → 1 hour"]


def test_an_email_subject_change_reads_email_subject_changed(real_fixtures_dir):
    doc = load_real(real_fixtures_dir, "10-coh-random-and-decision-split.json")
    changed = copy.deepcopy(doc)
    act(changed, "EMAILV2-2")["configurationArguments"]["triggeredSend"]["emailSubject"] = "Hi"
    (change,) = diff(doc, changed).changes
    assert change.summary == "Email subject changed" and change.new == "Hi"
    assert diff(doc, changed).activities_changed == ("EMAILV2-2",)


def test_a_removed_branch_reads_branch_path_2_removed(real_fixtures_dir):
    doc = load_real(real_fixtures_dir, "10-coh-random-and-decision-split.json")
    fewer = copy.deepcopy(doc)
    removed = act(fewer, "RANDOMSPLITV2-1")["outcomes"].pop(1)
    summaries = diff(doc, fewer).summaries()
    assert summaries == ["Branch 'Path 2' removed"]
    (change,) = diff(doc, fewer).changes
    assert change.kind == "branch-removed" and change.old == removed and change.new is MISSING
    assert diff(fewer, doc).summaries() == ["Branch 'Path 2' added"]


def test_a_relinked_outcome_names_the_outcome_and_both_targets(real_fixtures_dir):
    doc = load_real(real_fixtures_dir, "13-coh-engagement-decision-goal.json")
    changed = copy.deepcopy(doc)
    for named in (doc, changed):  # where it went is named from the old document
        act(named, "WAITBYDURATION-1")["name"] = "Wait 1 minute"
    act(changed, "ENGAGEMENTSPLITV2-1")["outcomes"][0]["next"] = "WAITBYDURATION-2"
    act(changed, "WAITBYDURATION-2")["name"] = "Pause"  # where it goes, from the new one
    act(changed, "WAITBYDURATION-1")["name"] = "Renamed wait"
    changes = diff(doc, changed).changes
    (change,) = [c for c in changes if c.kind == "outcome-relinked"]
    assert change.summary == (
        "Outcome 'Yes' of Engagement Split 'Bounce RMT Abandoner Email' now goes to 'Pause' "
        "(was 'Wait 1 minute')"
    )
    hovered = {part.name: part.key for part in change.said if isinstance(part, ActivityWords)}
    assert hovered == {
        "Engagement Split 'Bounce RMT Abandoner Email'": "ENGAGEMENTSPLITV2-1",
        "Pause": "WAITBYDURATION-2",
        "Wait 1 minute": "WAITBYDURATION-1",
    }
    del act(changed, "ENGAGEMENTSPLITV2-1")["outcomes"][0]["next"]
    assert (
        "Outcome 'Yes' of Engagement Split 'Bounce RMT Abandoner Email' now ends the path "
        "(was 'Wait 1 minute')"
    ) in diff(doc, changed).summaries()


def test_a_path_to_an_activity_that_does_not_exist_says_so_with_its_key():
    old = {
        "activities": [{"key": "A", "type": "WAIT", "name": "Pause", "outcomes": [{"key": "o"}]}]
    }
    new = copy.deepcopy(old)
    new["activities"][0]["outcomes"][0]["next"] = "GONE"
    assert diff(old, new).summaries() == [
        "Wait by Duration 'Pause' now goes to an activity that does not exist (key GONE) "
        "(was the end of the path)"
    ]


def test_added_and_removed_activities_are_listed_with_their_type(real_fixtures_dir):
    doc = load_real(real_fixtures_dir, "12-coh-apievent-updatecontact.json")
    changed = copy.deepcopy(doc)
    last = changed["activities"].pop()
    wait = next(a for a in doc["activities"] if a["type"] == "WAIT")
    extra = copy.deepcopy(wait) | {"key": "WAITBYDURATION-9", "name": "2 days"}
    changed["activities"].append(extra)
    result = diff(doc, changed)
    assert result.activities_added == ("WAITBYDURATION-9",)
    assert result.activities_removed == (last["key"],)
    assert f"Update Contact '{last['name']}' removed" in result.summaries()  # from the old one
    added = result.changes[0]
    assert added.summary == "Wait by Duration '2 days' added"
    assert added.said == (ActivityWords("Wait by Duration '2 days'", "WAITBYDURATION-9"), " added")
    assert [c.kind for c in result.changes] == ["activity-added", "activity-removed"]


def test_setting_changes_show_old_and_new_values():
    old = {"name": "J", "entryMode": "OnceAndDone", "defaults": {"email": ["a"]}, "activities": []}
    new = {
        "name": "J",
        "entryMode": "MultipleEntries",
        "defaults": {"email": ["a", "b"]},
        "activities": [],
    }
    result = diff(old, new)
    assert [(c.path, c.summary) for c in result.changes] == [
        (("entryMode",), "Entry mode: 'OnceAndDone' → 'MultipleEntries'"),
        (("defaults", "email"), "Defaults › email changed"),
    ]


def test_trigger_goal_and_exit_changes_are_keyed_and_named(real_fixtures_dir):
    doc = load_real(real_fixtures_dir, "14-coh-goal-and-exit-criteria.json")
    changed = copy.deepcopy(doc)
    changed["triggers"][0]["metaData"]["eventDefinitionKey"] = "DEAudience-new"
    changed["goals"][0]["metaData"]["conversionValue"] = "9"
    changed["exits"] = []
    result = diff(doc, changed)
    assert [(c.kind, c.path[:2]) for c in result.changes] == [
        ("field-changed", ("triggers", "TRIGGER")),
        ("field-changed", ("goals", "GOAL")),
        ("exit-removed", ("exits", "EXITCRITERIA")),
    ]
    assert result.changes[0].summary.startswith(
        "Entry source 'RMT Education Series - No Diagnosis': Entry event DEAudience-"
    )
    assert result.changes[0].summary.endswith(" → DEAudience-new")  # no names given: the keys
    assert result.changes[2].summary == "Exit criteria 'Should not be contacted' removed"
    assert result.activities_changed == ()


def test_unkeyed_outcomes_and_other_lists_are_compared_as_one_value():
    old = {
        "activities": [
            {"key": "A", "type": "WAIT", "outcomes": [{"next": "B"}], "arguments": {"in": [1, 2]}}
        ]
    }
    new = copy.deepcopy(old)
    new["activities"][0]["outcomes"] = [{"next": "C"}]
    new["activities"][0]["arguments"]["in"] = [2, 1]
    assert [c.path for c in diff(old, new).changes] == [
        ("activities", "A", "outcomes"),
        ("activities", "A", "arguments", "in"),
    ]


def test_reordered_branches_are_reported_because_decision_order_matters(real_fixtures_dir):
    doc = load_real(real_fixtures_dir, "10-coh-random-and-decision-split.json")
    changed = copy.deepcopy(doc)
    act(changed, "MULTICRITERIADECISIONV2-1")["outcomes"].reverse()
    (change,) = diff(doc, changed).changes
    assert change.kind == "branches-reordered" and change.new == [
        "remainder_path",
        "default_path_1",
    ]


def test_one_and_one_point_zero_are_the_same_number():
    assert diff({"workflowApiVersion": 1}, {"workflowApiVersion": 1.0}).changes == ()


def test_malformed_documents_are_compared_without_raising():
    assert diff(None, {"name": "x"}).summaries() == ["name added: 'x'"]
    result = diff({"activities": "nope"}, {"activities": [1, 2]})
    assert [c.path for c in result.changes] == [("activities",)]


@settings(max_examples=50, deadline=None)
@given(st.integers(2, 120), st.integers(0, 10**6), st.integers(0, 20))
def test_every_change_names_a_path_holding_its_old_and_new_values(size, seed, edits):
    old = generate_journey(size, seed)
    new = edit_journey(old, edits, seed + 1)
    result = diff(old, new)
    assert bool(result) == (old != new)
    for change in result.changes:
        if change.kind != "branches-reordered":
            assert at(old, change.path) == change.old
            assert at(new, change.path) == change.new
        assert change.summary
    added = {a["key"] for a in new["activities"]} - {a["key"] for a in old["activities"]}
    assert set(result.activities_added) == added


def test_a_journey_new_to_sfmc_adds_each_step_rather_than_changing_a_setting():
    new = {
        "name": "N",
        "activities": [{"key": "WAIT-1", "type": "WAIT", "outcomes": []}],
        "triggers": [{"key": "TRIGGER", "type": "EmailAudience", "outcomes": []}],
    }
    result = diff({}, new)
    assert result.activities_added == ("WAIT-1",)
    assert not any(c.path == ("activities",) for c in result.changes)


def test_a_name_given_to_an_activity_without_one_is_said_as_named():
    base = {"key": "J", "activities": [{"key": "EMAILV2-1", "type": "EMAILV2"}]}
    named = {"key": "J", "activities": [{"key": "EMAILV2-1", "type": "EMAILV2", "name": "Hello"}]}
    assert [c.summary for c in diff(base, named).changes] == ["Named 'Hello'"]
    assert [c.summary for c in diff(named, base).changes] == ["Name 'Hello' removed"]
