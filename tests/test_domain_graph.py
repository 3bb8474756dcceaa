from __future__ import annotations

import copy
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from journeys.domain import graph
from journeys.domain.catalog import BY_TYPE_ID, PALETTE_GROUPS, new_activity, next_key, type_of
from journeys.domain.document import minimal_journey
from journeys.domain.graph import (
    EditError,
    add_branch,
    delete_activity,
    insert_activity,
    relabel_branch,
    relink_outcome,
    remove_branch,
    set_exit,
    set_field,
    set_goal,
    set_settings,
    set_trigger,
)
from journeys.domain.validate import GRAPH_CODES, has_errors, validate


def load(fixtures_dir, prefix):
    path = next(fixtures_dir.glob(f"{prefix}-*.json"))
    return json.loads(path.read_text(encoding="utf-8"))


def graph_errors(doc):
    return [p for p in validate(doc) if p.severity == "error" and p.code in GRAPH_CODES]


def keys(doc):
    return [activity["key"] for activity in doc["activities"]]


def nexts(doc, key):
    activity = next(a for a in doc["activities"] if a["key"] == key)
    return [outcome.get("next") for outcome in activity["outcomes"]]


def chain(*type_ids):
    """A minimal journey with the given activities, each inserted after the previous one."""
    doc, previous = minimal_journey("Chain"), None
    for type_id in type_ids:
        doc, previous = insert_activity(doc, type_id, after=previous)
    return doc


def test_every_catalogue_type_is_created_valid_and_recognised_as_itself():
    for type_id, entry in BY_TYPE_ID.items():
        doc, key = insert_activity(minimal_journey("Catalogue"), type_id, after=None)
        activity = doc["activities"][0]
        assert key == f"{entry.key_prefix}-1"
        assert type_of(activity) is entry, type_id
        assert entry.min_outcomes <= len(activity["outcomes"]) <= entry.max_outcomes
        assert entry.palette_group in (*PALETTE_GROUPS, None)
        assert not has_errors(validate(doc)), (type_id, validate(doc))


def test_type_of_tells_real_activity_flavours_apart(real_fixtures_dir):
    def entry_of(prefix, key):
        doc = load(real_fixtures_dir, prefix)
        entry = type_of(next(a for a in doc["activities"] if a["key"] == key))
        return entry.type_id if entry else None

    assert entry_of("21", "WAITBYATTRIBUTE-1") == "WAITBYATTRIBUTE"
    assert entry_of("21", "WAITBYDURATION-1") == "WAITBYDURATION"
    assert entry_of("02", "WAIT-1") == "WAITBYDURATION"
    assert entry_of("09", "REST-1") == "REST"
    assert entry_of("09", "REST-2") == "RESTSPLIT"
    assert entry_of("13", "ENGAGEMENTSPLITV2-1") == "ENGAGEMENTSPLITV2"
    assert type_of({"type": "WAIT", "metaData": {"uiType": "WAITBYEVENT"}}) is None
    assert type_of({"type": "JOIN"}) is None
    assert type_of("WAIT") is None


def test_a_new_random_split_has_two_even_labelled_branches():
    split = new_activity("RANDOMSPLITV2", "RANDOMSPLITV2-1")
    assert [o["arguments"]["percentage"] for o in split["outcomes"]] == [50, 50]
    assert [o["metaData"] for o in split["outcomes"]] == [
        {"name": "Path 1", "label": "50%"},
        {"name": "Path 2", "label": "50%"},
    ]


def test_inserting_into_an_empty_journey_makes_the_first_activity():
    doc = minimal_journey("New")
    before = copy.deepcopy(doc)
    edited, key = insert_activity(doc, "WAITBYDURATION", after=None)
    assert key == "WAITBYDURATION-1"
    assert keys(edited) == ["WAITBYDURATION-1"]
    assert nexts(edited, key) == [None]
    assert not has_errors(validate(edited))
    assert doc == before


def test_new_activities_get_names_as_journey_builder_gives_them():
    doc = chain("EMAILV2", "WAITBYDURATION", "EMAILV2", "RANDOMSPLITV2")
    names = [a["name"] for a in doc["activities"]]
    assert names == ["Email 1", "Wait 1 day", "Email 2", "Random Split 1"]
    doc["activities"][0]["name"] = "Email 7"  # numbers continue after the highest in use
    doc, key = insert_activity(doc, "EMAILV2", after="EMAILV2-2")
    assert next(a for a in doc["activities"] if a["key"] == key)["name"] == "Email 8"


def test_inserting_at_the_start_puts_the_new_activity_first_before_the_old_start(
    real_fixtures_dir,
):
    doc = load(real_fixtures_dir, "13")
    edited, key = insert_activity(doc, "WAITBYDURATION", after=None)
    assert key == "WAITBYDURATION-5"
    assert keys(edited)[:2] == ["WAITBYDURATION-5", "EMAILV2-1"]
    assert nexts(edited, key) == ["EMAILV2-1"]
    assert graph_errors(edited) == []


def test_inserting_on_an_edge_takes_over_the_old_next():
    doc = chain("WAITBYDURATION", "EMAILV2")
    edited, key = insert_activity(doc, "UPDATECONTACTDATAV2", after="WAITBYDURATION-1")
    assert nexts(edited, "WAITBYDURATION-1") == [key]
    assert nexts(edited, key) == ["EMAILV2-1"]
    assert keys(edited) == ["WAITBYDURATION-1", key, "EMAILV2-1"]


def test_inserting_a_split_puts_the_old_next_on_its_first_branch_and_ends_the_others():
    doc = chain("WAITBYDURATION", "EMAILV2")
    edited, key = insert_activity(doc, "MULTICRITERIADECISIONV2", after="WAITBYDURATION-1")
    assert nexts(edited, key) == ["EMAILV2-1", None]
    assert graph_errors(edited) == []


def test_inserting_on_a_split_needs_the_branch(real_fixtures_dir):
    doc = load(real_fixtures_dir, "15")
    with pytest.raises(EditError, match="2 paths: say which one"):
        insert_activity(doc, "EMAILV2", after="RANDOMSPLITV2-1")
    edited, key = insert_activity(
        doc, "EMAILV2", after="RANDOMSPLITV2-1", outcome_key="branchResult-2"
    )
    assert nexts(edited, "RANDOMSPLITV2-1") == ["WAITBYDURATION-6", key]
    assert nexts(edited, key) == ["WAITBYDURATION-7"]


def test_impossible_inserts_are_refused_in_plain_words():
    doc = chain("WAITBYDURATION")
    with pytest.raises(EditError, match="no activity type called 'FAX'"):
        insert_activity(doc, "FAX", after=None)
    with pytest.raises(EditError, match="no activity 'NOPE'"):
        insert_activity(doc, "EMAILV2", after="NOPE")
    with pytest.raises(EditError, match="no path 'x'"):
        insert_activity(doc, "EMAILV2", after="WAITBYDURATION-1", outcome_key="x")
    with pytest.raises(EditError, match="only be chosen"):
        insert_activity(doc, "EMAILV2", after=None, outcome_key="x")


def test_new_keys_continue_the_highest_number_of_their_prefix(real_fixtures_dir):
    doc = load(real_fixtures_dir, "08")
    assert next_key(doc, "WAITBYDURATION") == "WAITBYDURATION-26"
    _, key = insert_activity(doc, "WAITBYDURATION", after="WAITBYDURATION-4")
    assert key == "WAITBYDURATION-26"
    _, key = insert_activity(doc, "RESTSPLIT", after="WAITBYDURATION-4")
    assert key == "REST-1"


def test_deleting_a_single_outcome_activity_joins_its_neighbours():
    doc = chain("WAITBYDURATION", "EMAILV2", "UPDATECONTACTDATAV2")
    edited = delete_activity(doc, "EMAILV2-1")
    assert keys(edited) == ["WAITBYDURATION-1", "UPDATECONTACTDATAV2-1"]
    assert nexts(edited, "WAITBYDURATION-1") == ["UPDATECONTACTDATAV2-1"]
    assert keys(doc) == ["WAITBYDURATION-1", "EMAILV2-1", "UPDATECONTACTDATAV2-1"]


def test_deleting_the_start_makes_its_successor_the_first_activity():
    doc = chain("WAITBYDURATION", "EMAILV2")
    edited = delete_activity(doc, "WAITBYDURATION-1")
    assert keys(edited) == ["EMAILV2-1"]
    assert graph_errors(edited) == []


def test_deleting_a_split_keeping_one_branch_drops_only_what_the_others_alone_reach(
    real_fixtures_dir,
):
    doc = load(real_fixtures_dir, "10")
    edited = delete_activity(doc, "RANDOMSPLITV2-1", keep_branch="branchResult-1")
    assert keys(edited)[0] == "EMAILV2-1"
    dropped = set(keys(doc)) - set(keys(edited))
    assert dropped == {
        "RANDOMSPLITV2-1",
        "WAITBYDURATION-1",
        "WAITBYDURATION-4",
        "WAITBYDURATION-5",
        "WAITBYDURATION-6",
    }
    assert graph_errors(edited) == []


def test_deleting_a_split_with_all_its_branches_ends_the_paths_into_it(real_fixtures_dir):
    doc = load(real_fixtures_dir, "10")
    edited = delete_activity(doc, "MULTICRITERIADECISIONV2-1")
    assert nexts(edited, "WAITBYDURATION-2") == [None]
    assert {"EMAILV2-2", "WAITBYDURATION-3", "WAITBYDURATION-7"}.isdisjoint(keys(edited))
    assert graph_errors(edited) == []


def test_deleting_a_split_whose_branches_join_keeps_the_joined_activity(real_fixtures_dir):
    doc = load(real_fixtures_dir, "11")
    edited = delete_activity(doc, "STOWAIT-2")
    assert "EMAILV2-2" in keys(edited)
    edited = delete_activity(doc, "ABNTEST-1", keep_branch="15709eea-941a-4d1b-bd93-6e65397d5c48")
    assert keys(edited)[:2] == ["EMAILV2-1", "ABNTESTSTOP-1"]
    assert {"STOWAIT-1", "STOWAIT-2", "EMAILV2-2", "EMAILV2-3"}.isdisjoint(keys(edited))
    assert graph_errors(edited) == []


def test_deleting_the_email_an_engagement_split_checks_is_refused(real_fixtures_dir):
    doc = load(real_fixtures_dir, "13")
    with pytest.raises(
        EditError,
        match="Engagement Split 'Bounce RMT Abandoner Email' checks Email 'RMT Abandoner Email'",
    ):
        delete_activity(doc, "EMAILV2-1")


def test_adding_a_random_split_branch_spreads_the_shares_evenly(real_fixtures_dir):
    doc = load(real_fixtures_dir, "18")
    edited = add_branch(doc, "RANDOMSPLITV2-1", label="Control")
    outcomes = next(a for a in edited["activities"] if a["key"] == "RANDOMSPLITV2-1")["outcomes"]
    assert [o["arguments"]["percentage"] for o in outcomes] == [33, 33, 34]
    assert [o["metaData"]["label"] for o in outcomes] == ["33%", "33%", "34%"]
    assert outcomes[2]["key"] == "branchResult-3"
    assert outcomes[2]["metaData"]["name"] == "Control"
    assert "next" not in outcomes[2]
    assert not has_errors(validate(edited))


def test_adding_a_decision_path_puts_it_before_the_remainder_with_an_empty_criterion(
    real_fixtures_dir,
):
    doc = load(real_fixtures_dir, "17")
    edited = add_branch(doc, "MULTICRITERIADECISIONV2-1")
    decision = edited["activities"][0]
    assert [o["key"] for o in decision["outcomes"]] == [
        "default_path_1",
        "default_path_2",
        "remainder_path",
    ]
    assert set(decision["configurationArguments"]["criteria"]) == {
        "default_path_1",
        "default_path_2",
    }
    codes = [(p.severity, p.code) for p in validate(edited)]
    assert codes == [("warning", "decision-path-without-condition")]


def test_paths_of_fixed_splits_and_past_the_limits_cannot_be_added(real_fixtures_dir):
    with pytest.raises(
        EditError, match="paths of Engagement Split 'Bounce RMT Abandoner Email' are fixed"
    ):
        add_branch(load(real_fixtures_dir, "13"), "ENGAGEMENTSPLITV2-1")
    with pytest.raises(EditError, match="not a split"):
        add_branch(load(real_fixtures_dir, "13"), "EMAILV2-1")
    doc = chain("RANDOMSPLITV2")
    for _ in range(8):
        doc = add_branch(doc, "RANDOMSPLITV2-1")
    with pytest.raises(EditError, match="at most 10 paths"):
        add_branch(doc, "RANDOMSPLITV2-1")


def test_removing_a_branch_drops_what_only_it_reached_and_rebalances(real_fixtures_dir):
    doc = load(real_fixtures_dir, "19")
    edited = remove_branch(doc, "RANDOMSPLITV2-1", "branchResult-2")
    split = next(a for a in edited["activities"] if a["key"] == "RANDOMSPLITV2-1")
    assert [o["arguments"]["percentage"] for o in split["outcomes"]] == [33, 33, 34]
    assert {"WAITBYDURATION-10", "SALESCLOUDACTIVITY-2", "WAITBYDURATION-20"}.isdisjoint(
        keys(edited)
    )
    assert graph_errors(edited) == []


def test_branches_below_the_minimum_and_the_remainder_cannot_be_removed(real_fixtures_dir):
    with pytest.raises(EditError, match="at least 2 paths"):
        remove_branch(load(real_fixtures_dir, "15"), "RANDOMSPLITV2-1", "branchResult-1")
    decision = add_branch(load(real_fixtures_dir, "17"), "MULTICRITERIADECISIONV2-1")
    with pytest.raises(EditError, match="remainder path"):
        remove_branch(decision, "MULTICRITERIADECISIONV2-1", "remainder_path")
    edited = remove_branch(decision, "MULTICRITERIADECISIONV2-1", "default_path_1")
    criteria = edited["activities"][0]["configurationArguments"]["criteria"]
    assert list(criteria) == ["default_path_2"]
    assert "WAITBYDURATION-3" not in keys(edited)


def test_relabelling_writes_where_journey_builder_keeps_path_names(real_fixtures_dir):
    doc = load(real_fixtures_dir, "15")
    edited = relabel_branch(doc, "RANDOMSPLITV2-1", "branchResult-1", "Test group")
    outcome = edited["activities"][3]["outcomes"][0]
    assert outcome["metaData"]["name"] == "Test group"
    assert outcome["metaData"]["label"] == "50%"
    decision = relabel_branch(
        load(real_fixtures_dir, "17"), "MULTICRITERIADECISIONV2-1", "remainder_path", "Others"
    )
    assert decision["activities"][0]["outcomes"][1]["metaData"]["label"] == "Others"


def test_relinking_an_ended_path_to_an_existing_activity_makes_a_join():
    doc, _ = insert_activity(
        chain("RANDOMSPLITV2"), "EMAILV2", after="RANDOMSPLITV2-1", outcome_key="branchResult-1"
    )
    edited = relink_outcome(doc, "RANDOMSPLITV2-1", "branchResult-2", "EMAILV2-1")
    assert nexts(edited, "RANDOMSPLITV2-1") == ["EMAILV2-1", "EMAILV2-1"]
    ended = relink_outcome(edited, "RANDOMSPLITV2-1", "branchResult-2", None)
    assert nexts(ended, "RANDOMSPLITV2-1") == ["EMAILV2-1", None]


def test_relinks_that_loop_or_cut_off_activities_are_refused():
    doc = chain("WAITBYDURATION", "EMAILV2", "UPDATECONTACTDATAV2")
    update, wait = "Update Contact 'Update Contact 1'", "Wait by Duration 'Wait 1 day'"
    with pytest.raises(EditError, match=f"Linking {update} to {wait} would make the journey loop"):
        relink_outcome(doc, "UPDATECONTACTDATAV2-1", None, "WAITBYDURATION-1")
    with pytest.raises(
        EditError, match="leave Email 'Email 1', Update Contact 'Update Contact 1' with no way in"
    ):
        relink_outcome(doc, "WAITBYDURATION-1", None, None)
    with pytest.raises(EditError, match="no activity 'GONE'"):
        relink_outcome(doc, "WAITBYDURATION-1", None, "GONE")


def test_set_field_creates_missing_objects_and_keeps_everything_else(real_fixtures_dir):
    doc = load(real_fixtures_dir, "12")
    edited = set_field(doc, ["activities", 1, "configurationArguments", "waitDuration"], 3)
    assert edited["activities"][1]["configurationArguments"]["waitDuration"] == 3
    assert list(edited["activities"][1]["configurationArguments"]) == list(
        doc["activities"][1]["configurationArguments"]
    )
    created = set_field(doc, ["metaData", "brandNew", "deep"], [1])
    assert created["metaData"]["brandNew"] == {"deep": [1]}
    edited["activities"][1]["configurationArguments"]["waitDuration"] = 99
    assert doc["activities"][1]["configurationArguments"]["waitDuration"] == 1


def test_set_field_refuses_missing_list_items_and_graph_breaking_values():
    doc = chain("WAITBYDURATION", "EMAILV2")
    with pytest.raises(EditError, match="no field 9"):
        set_field(doc, ["activities", 9, "name"], "x")
    with pytest.raises(EditError, match="Say which field"):
        set_field(doc, [], "x")
    with pytest.raises(EditError, match="would break the journey"):
        set_field(doc, ["activities", 1, "key"], "RENAMED")


def test_set_trigger_goal_exit_and_settings_replace_what_they_name(real_fixtures_dir):
    doc = load(real_fixtures_dir, "14")
    trigger = {"key": "TRIGGER", "type": "APIEvent", "outcomes": [], "metaData": {}}
    assert set_trigger(doc, trigger)["triggers"] == [trigger]
    with pytest.raises(EditError, match="break the journey"):
        set_trigger(doc, trigger | {"outcomes": [{"key": "o", "next": "EMAILV2-1"}]})
    assert set_goal(doc, None)["goals"] == []
    assert set_exit(doc, None)["exits"] == []
    goal = {"key": "GOAL", "type": "Event", "outcomes": []}
    assert set_goal(minimal_journey("x"), goal)["goals"] == [goal]
    edited = set_settings(doc, name="Renamed", entryMode="MultipleEntries")
    assert (edited["name"], edited["entryMode"]) == ("Renamed", "MultipleEntries")
    with pytest.raises(EditError, match="status is not a journey setting"):
        set_settings(doc, status="Published")
    assert doc["name"] == "RMT Education Series - No Diagnosis"


def test_new_journey_is_the_document_minimal_journey():
    assert graph.new_journey is minimal_journey


def test_inserting_and_deleting_around_every_real_activity_keeps_the_graph_sound(
    real_fixtures_dir,
):
    edits = 0
    for path in sorted(real_fixtures_dir.glob("*.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        for activity in doc.get("activities", []):
            first_branch = activity["outcomes"][0]["key"]
            inserted, _ = insert_activity(
                doc, "WAITBYDURATION", after=activity["key"], outcome_key=first_branch
            )
            assert graph_errors(inserted) == [], (path.name, activity["key"])
            keep = first_branch if len(activity["outcomes"]) > 1 else None
            try:
                deleted = delete_activity(doc, activity["key"], keep_branch=keep)
            except EditError as refused:
                assert "Engagement Split" in refused.message
                continue
            assert graph_errors(deleted) == [], (path.name, activity["key"])
            edits += 2
    assert edits > 300


EDIT_KINDS = ("insert", "delete", "add_branch", "remove_branch", "relabel", "relink", "set")


def _apply_random_edit(doc, data):
    kind = data.draw(st.sampled_from(EDIT_KINDS))
    activities = doc["activities"]
    if kind == "insert" or not activities:
        type_id = data.draw(st.sampled_from(sorted(BY_TYPE_ID)))
        after = data.draw(st.sampled_from([None, *keys(doc)]))
        branch = None
        if after is not None:
            outcomes = next(a for a in activities if a["key"] == after)["outcomes"]
            branch = data.draw(st.sampled_from([o["key"] for o in outcomes]))
        return insert_activity(doc, type_id, after=after, outcome_key=branch)[0]
    activity = data.draw(st.sampled_from(activities))
    outcome_keys = [o["key"] for o in activity["outcomes"]]
    branch = data.draw(st.sampled_from(outcome_keys))
    if kind == "delete":
        keep = data.draw(st.sampled_from([None, *outcome_keys]))
        return delete_activity(doc, activity["key"], keep_branch=keep)
    if kind == "add_branch":
        return add_branch(doc, activity["key"], label=data.draw(st.text(max_size=8)))
    if kind == "remove_branch":
        return remove_branch(doc, activity["key"], branch)
    if kind == "relabel":
        return relabel_branch(doc, activity["key"], branch, data.draw(st.text(max_size=8)))
    if kind == "relink":
        target = data.draw(st.sampled_from([None, *keys(doc)]))
        return relink_outcome(doc, activity["key"], branch, target)
    position = activities.index(activity)
    return set_field(doc, ["activities", position, "name"], data.draw(st.text(max_size=8)))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_random_edit_sequences_never_leave_a_broken_journey(data):
    doc = minimal_journey("Random")
    for _ in range(data.draw(st.integers(min_value=1, max_value=25))):
        try:
            doc = _apply_random_edit(doc, data)
        except EditError:
            continue
        problems = validate(doc)
        assert not has_errors(problems), problems
        assert "root-not-first" not in {problem.code for problem in problems}
        assert all(type_of(activity) is not None for activity in doc["activities"])


PLATINUM = (
    '<FilterDefinition><ConditionSet Operator="AND" ConditionSetName="Individual Filter Grouping">'
    '<Condition Key="Contact_Salesforce_1.Tier" Operator="Equal"><Value><![CDATA[Platinum]]>'
    "</Value></Condition></ConditionSet></FilterDefinition>"
)


def test_a_new_filter_replaces_sfmcs_stale_plain_language_copy_of_it(real_fixtures_dir):
    doc = json.loads((real_fixtures_dir / "14-coh-goal-and-exit-criteria.json").read_text())
    words = "Tier (Contact) equals Platinum"
    split = next(i for i, a in enumerate(doc["activities"]) if a["type"] == "MULTICRITERIADECISION")
    outcome = doc["activities"][split]["outcomes"][0]
    assert outcome["metaData"]["criteriaDescription"]  # SFMC's own text, soon stale
    path = ("activities", split, "configurationArguments", "criteria", outcome["key"])
    new = graph.set_criteria(doc, path, PLATINUM)
    assert new["activities"][split]["outcomes"][0]["metaData"]["criteriaDescription"] == words
    assert new["activities"][split]["outcomes"][1] == doc["activities"][split]["outcomes"][1]

    goal = graph.set_criteria(doc, ("goals", 0, "configurationArguments", "criteria"), PLATINUM)
    assert goal["goals"][0]["metaData"]["configurationDescription"] == words
    exit_ = graph.set_criteria(doc, ("exits", 0, "configurationArguments", "criteria"), PLATINUM)
    assert exit_["exits"][0]["metaData"]["criteriaDescription"] == words
    assert doc["exits"][0]["metaData"]["criteriaDescription"].startswith("RMTOptInStatus")

    # An entry source's copy is not documented for every kind: written only where it is.
    entry = graph.set_criteria(doc, ("triggers", 0, "configurationArguments", "criteria"), PLATINUM)
    assert entry["triggers"][0]["metaData"] == doc["triggers"][0]["metaData"]
    sf = json.loads((real_fixtures_dir / "15-coh-sfobject-trigger-random-split.json").read_text())
    sf = graph.set_criteria(sf, ("triggers", 0, "configurationArguments", "criteria"), PLATINUM)
    assert sf["triggers"][0]["metaData"]["criteriaDescription"] == words

    emptied = graph.set_criteria(doc, ("goals", 0, "configurationArguments", "criteria"), "")
    assert emptied["goals"][0]["metaData"]["configurationDescription"] == ""


def test_cards_say_what_an_activity_does():
    from journeys.domain.catalog import activity_summary

    doc = chain("EMAILV2", "WAITBYDURATION", "MULTICRITERIADECISIONV2")
    doc, _ = insert_activity(doc, "RANDOMSPLITV2", after=None)
    by_key = {a["key"]: activity_summary(a) for a in doc["activities"]}
    assert by_key["WAITBYDURATION-1"] == "1 day"
    assert by_key["RANDOMSPLITV2-1"] == "50% · 50%"
    assert by_key["MULTICRITERIADECISIONV2-1"].endswith(("path", "paths"))
    assert by_key["EMAILV2-1"] == ""  # its card names the email, from the catalog


def _graph_edits(doc):
    """Every graph edit the canvas makes, on each activity of `doc` where it applies."""
    for activity in doc.get("activities", []):
        key, outcomes = activity["key"], activity.get("outcomes") or []
        path = outcomes[0]["key"] if len(outcomes) > 1 else None
        yield lambda d, k=key, o=path: insert_activity(d, "WAITBYDURATION", after=k, outcome_key=o)[
            0
        ]
        yield lambda d, k=key: delete_activity(d, k)
        if activity.get("type") in graph.BRANCHABLE_TYPES:
            yield lambda d, k=key: add_branch(d, k)
            yield lambda d, k=key, o=outcomes[0]["key"]: remove_branch(d, k, o)
        if len(outcomes) > 1:  # every split's paths are named, fixed ones too
            yield lambda d, k=key, o=outcomes[-1]["key"]: relabel_branch(d, k, o, "Renamed")
        if outcomes:
            yield lambda d, k=key, o=outcomes[0]["key"]: relink_outcome(d, k, o, None)


def test_graph_edits_leave_their_input_untouched_and_share_what_they_did_not_change(
    real_fixtures_dir,
):
    """The edits copy only what they change (documents are values): the input must come out
    exactly as it went in, and an activity the edit left alone must be the very same object
    (what the revision store, the limits and validation rely on to skip it)."""
    edits = shared = 0
    for path in sorted(real_fixtures_dir.glob("*.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(doc.get("activities"), list) or has_errors(graph_errors(doc)):
            continue
        before = copy.deepcopy(doc)
        for edit in _graph_edits(doc):
            try:
                edited = edit(doc)
            except EditError:
                continue
            edits += 1
            assert doc == before, path.name
            originals = {id(a) for a in doc["activities"]}
            for activity in edited["activities"]:
                same = next((a for a in doc["activities"] if a["key"] == activity["key"]), None)
                plain = activity.get("type") not in graph.BRANCHABLE_TYPES  # splits: copied whole
                if same is not None and same == activity and plain:
                    assert id(activity) in originals, (path.name, activity["key"])
                    shared += 1
    assert edits > 100 and shared > edits  # the fixtures exercised every kind of edit


def test_a_field_edit_that_changes_only_a_value_s_type_is_kept():
    """1.0 == 1 == True in Python; an edit from one to another is still an edit (the JSON
    differs), so nothing may take the edited activity back for the unedited one."""
    doc = chain("WAITBYDURATION", "WAITBYDURATION")
    doc["activities"][0]["configurationArguments"]["waitDuration"] = 1.0
    config = {**doc["activities"][0]["configurationArguments"], "waitDuration": 1}
    edited = set_field(doc, ("activities", 0, "configurationArguments"), config)
    assert json.dumps(edited["activities"][0]["configurationArguments"]["waitDuration"]) == "1"
    doc["activities"][1]["outcomes"][0]["arguments"] = {"flag": 1}
    outcomes = copy.deepcopy(doc["activities"][1]["outcomes"])
    outcomes[0]["arguments"]["flag"] = True
    edited = set_field(doc, ("activities", 1, "outcomes"), outcomes)
    assert edited["activities"][1]["outcomes"][0]["arguments"]["flag"] is True


def test_edits_of_a_journey_whose_keys_are_not_text_are_refused_or_made_never_crash():
    doc = chain("WAITBYDURATION", "WAITBYDURATION")
    doc["activities"][1]["key"] = ["not", "text"]
    trigger = {"key": "T", "type": "EmailAudience", "outcomes": []}
    for edit in (
        lambda d: set_trigger(d, trigger),
        lambda d: set_field(d, ("activities", 0, "configurationArguments", "waitUnit"), "DAYS"),
        lambda d: set_field(d, ("activities", 0, "outcomes"), []),
        lambda d: insert_activity(d, "WAITBYDURATION", after=d["activities"][0]["key"])[0],
    ):
        try:
            edited = edit(doc)
        except EditError as refused:  # a graph edit: the validator's words for the bad key
            assert "key" in refused.message
        else:
            assert edited["activities"][1]["key"] == ["not", "text"]
