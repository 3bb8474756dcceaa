from __future__ import annotations

import copy
import json

from hypothesis import given, settings
from hypothesis import strategies as st

from bench.journeys_gen import edit_journey, generate_journey
from journeys.domain import topology
from journeys.domain.diff import MISSING, SERVER_OWNED_FIELDS
from journeys.domain.merge import Custom, Take, merge, reapply, resolve
from journeys.domain.validate import GRAPH_CODES, validate

GRAPH_KINDS = {"dangling-next", "cycle", "orphan", "multiple-roots"}


def wait(key, next_key=None, days=1):
    outcome = {"key": f"{key}-out", "arguments": {}, "metaData": {"invalid": False}}
    if next_key:
        outcome["next"] = next_key
    return {
        "key": key,
        "name": f"{days} days",
        "type": "WAIT",
        "outcomes": [outcome],
        "arguments": {},
        "configurationArguments": {"waitDuration": days, "waitUnit": "DAYS"},
        "metaData": {"uiType": "WAITBYDURATION", "isConfigured": True},
    }


def email(key, next_key=None, subject="Hello"):
    activity = wait(key, next_key)
    activity.update(
        name=f"Email {key}",
        type="EMAILV2",
        configurationArguments={
            "triggeredSend": {
                "emailId": 1,
                "emailSubject": subject,
                "suppressionLists": [{"id": 1}],
            }
        },
        metaData={"isConfigured": True},
    )
    return activity


def split(key, *nexts):
    outcomes = [
        {
            "key": f"{key}-p{i}",
            "arguments": {"percentage": 100 // len(nexts) + (100 % len(nexts) if i == 1 else 0)},
            "metaData": {"name": f"Path {i}", "label": "50%"},
            **({"next": n} if n else {}),
        }
        for i, n in enumerate(nexts, start=1)
    ]
    return {
        "key": key,
        "name": "",
        "type": "RANDOMSPLIT",
        "outcomes": outcomes,
        "arguments": {},
        "configurationArguments": {},
        "metaData": {"isConfigured": True},
    }


def journey(*activities, **fields):
    doc = {
        "id": "3f1c",
        "key": "welcome",
        "name": "Welcome",
        "description": "First steps",
        "version": 2,
        "workflowApiVersion": 1,
        "createdDate": "2024-01-01T00:00:00",
        "modifiedDate": "2024-05-04T17:25:57.9",
        "lastPublishedDate": "0001-01-01T00:00:00",
        "definitionId": "aa11",
        "status": "Draft",
        "entryMode": "OnceAndDone",
        "definitionType": "Multistep",
        "triggers": [
            {
                "key": "TRIGGER",
                "name": "Entry",
                "type": "EmailAudience",
                "outcomes": [],
                "arguments": {},
                "configurationArguments": {},
                "metaData": {"eventDefinitionKey": "DEAudience-1"},
            }
        ],
        "activities": list(activities),
        "goals": [],
        "exits": [],
        "defaults": {"email": ["{{Event.DEAudience-1.Email}}"]},
    }
    doc.update(fields)
    return copy.deepcopy(doc)


def chain():
    return journey(wait("W-1", "E-1"), email("E-1", "W-2"), wait("W-2"))


def edited(doc, *edits):
    doc = copy.deepcopy(doc)
    for edit in edits:
        edit(doc)
    return doc


def act(doc, key):
    return next(a for a in doc["activities"] if a["key"] == key)


def keys(doc):
    return [a["key"] for a in doc["activities"]]


def found(result):
    return [(c.kind, c.path) for c in result.conflicts]


def relink(key, target, index=0):
    def edit(doc):
        outcome = act(doc, key)["outcomes"][index]
        if target is None:
            outcome.pop("next", None)
        else:
            outcome["next"] = target

    return edit


def set_field(key, *path_and_value):
    *path, value = path_and_value

    def edit(doc):
        node = act(doc, key)
        for part in path[:-1]:
            node = node[part]
        node[path[-1]] = value

    return edit


def remove(key, successor_of=None):
    """Delete an activity; `successor_of` re-links that activity past it."""

    def edit(doc):
        victim = act(doc, key)
        doc["activities"].remove(victim)
        if successor_of:
            relink(successor_of, victim["outcomes"][0].get("next"))(doc)

    return edit


def insert_after(source, new):
    def edit(doc):
        outcome = act(doc, source)["outcomes"][0]
        if outcome.get("next"):
            new["outcomes"][0]["next"] = outcome["next"]
        outcome["next"] = new["key"]
        doc["activities"].append(new)

    return edit


# Scalars and top-level fields (reliability notes §1.4, 1-8)


def test_1_only_our_name_change_is_kept():
    base = chain()
    result = merge(base, edited(base, lambda d: d.update(name="Ours")), base)
    assert result.document["name"] == "Ours" and result.conflicts == []


def test_2_only_their_name_change_is_taken():
    base = chain()
    result = merge(base, base, edited(base, lambda d: d.update(name="Theirs")))
    assert result.document["name"] == "Theirs" and result.conflicts == []


def test_3_the_same_change_on_both_sides_merges_cleanly():
    base = chain()
    same = edited(base, lambda d: d.update(name="Same"))
    result = merge(base, same, copy.deepcopy(same))
    assert result.document["name"] == "Same" and result.conflicts == []


def test_4_different_descriptions_conflict_with_all_three_values():
    base = chain()
    ours = edited(base, lambda d: d.update(description="Ours"))
    theirs = edited(base, lambda d: d.update(description="Theirs"))
    (conflict,) = merge(base, ours, theirs).conflicts
    assert (conflict.kind, conflict.path) == ("both-modified", ("description",))
    assert (conflict.base, conflict.ours, conflict.theirs) == ("First steps", "Ours", "Theirs")
    assert conflict.id == "both-modified:/description"
    assert "First steps" in conflict.description and "Theirs" in conflict.description


def test_5_server_owned_fields_always_come_from_sfmc_and_never_conflict():
    base = chain()
    ours = edited(base, lambda d: d.update({f: f"ours-{f}" for f in SERVER_OWNED_FIELDS}))
    theirs = edited(base, lambda d: d.update(modifiedDate="2024-06-01T10:00:00.443", version=3))
    theirs["status"] = "Published"
    del theirs["definitionId"]
    result = merge(base, ours, theirs)
    assert result.conflicts == []
    assert result.document["modifiedDate"] == "2024-06-01T10:00:00.443"
    assert result.document["version"] == 3 and result.document["status"] == "Published"
    assert "definitionId" not in result.document
    assert result.document["createdDate"] == base["createdDate"]


def test_5_an_activity_id_is_server_owned_too():
    base = chain()
    ours = edited(base, set_field("W-1", "id", "ours-guid"), set_field("W-1", "name", "Ours"))
    theirs = edited(base, set_field("W-1", "id", "their-guid"))
    result = merge(base, ours, theirs)
    assert result.conflicts == []
    assert act(result.document, "W-1")["id"] == "their-guid"
    assert act(result.document, "W-1")["name"] == "Ours"


def test_6_our_null_against_their_removal_is_a_conflict_not_a_silent_merge():
    base = chain()
    ours = edited(base, lambda d: d.update(entryMode=None))
    theirs = edited(base, lambda d: d.pop("entryMode"))
    (conflict,) = merge(base, ours, theirs).conflicts
    assert (conflict.kind, conflict.ours, conflict.theirs) == ("delete-vs-modify", None, MISSING)
    sides = conflict.as_dict()
    assert sides["ours"] == {"present": True, "value": None}
    assert sides["theirs"] == {"present": False, "value": None}
    json.dumps(sides)


def test_7_a_type_change_on_one_side_against_an_edit_inside_conflicts_without_recursing():
    base = chain()
    ours = edited(base, lambda d: d.update(defaults=["replaced by a list"]))
    theirs = edited(base, lambda d: d["defaults"].update(email=["{{Contact.Email}}"]))
    result = merge(base, ours, theirs)
    assert found(result) == [("shape-changed", ("defaults",))]
    assert result.document["defaults"] == ["replaced by a list"]


def test_8_one_and_one_point_zero_are_the_same_number():
    base = chain()
    ours = edited(base, lambda d: d.update(workflowApiVersion=1.0))
    assert merge(base, ours, base).conflicts == []
    theirs = edited(base, lambda d: d.update(workflowApiVersion=2))
    result = merge(base, ours, theirs)
    assert result.conflicts == [] and result.document["workflowApiVersion"] == 2
    both = merge(base, ours, edited(base, lambda d: d.update(workflowApiVersion=1)))
    assert both.conflicts == [] and both.document["workflowApiVersion"] == 1.0


# Activities (9-20)


def test_9_an_activity_added_on_one_side_is_kept():
    base = chain()
    ours = edited(base, insert_after("W-2", wait("W-3")))
    theirs = edited(base, insert_after("W-1", wait("W-9")))
    result = merge(base, ours, theirs)
    assert result.conflicts == []
    assert keys(result.document) == ["W-1", "E-1", "W-2", "W-3", "W-9"]
    assert topology.successors(result.document)["W-9"] == ["E-1"]


def test_10_the_same_activity_added_identically_on_both_sides_appears_once():
    base = chain()
    ours = edited(base, insert_after("W-2", wait("W-3")))
    result = merge(base, ours, copy.deepcopy(ours))
    assert result.conflicts == [] and keys(result.document).count("W-3") == 1


def test_11_the_same_key_added_differently_is_a_both_added_conflict():
    base = chain()
    ours = edited(base, insert_after("W-2", wait("W-3", days=2)))
    theirs = edited(base, insert_after("W-2", wait("W-3", days=5)))
    result = merge(base, ours, theirs)
    assert found(result) == [("both-added", ("activities", "W-3"))]
    assert result.conflicts[0].theirs["configurationArguments"]["waitDuration"] == 5


def test_12_an_activity_deleted_on_one_side_and_untouched_on_the_other_is_deleted():
    base = chain()
    ours = edited(base, remove("E-1", successor_of="W-1"))
    result = merge(base, ours, edited(base, lambda d: d.update(name="Theirs")))
    assert result.conflicts == []
    assert keys(result.document) == ["W-1", "W-2"] and result.document["name"] == "Theirs"


def test_13_an_activity_deleted_on_both_sides_is_deleted():
    base = chain()
    gone = edited(base, remove("E-1", successor_of="W-1"))
    result = merge(base, gone, copy.deepcopy(gone))
    assert result.conflicts == [] and "E-1" not in keys(result.document)


def test_14_deleting_what_the_other_side_modified_conflicts_showing_the_modified_version():
    base = chain()
    deleted = edited(base, remove("E-1", successor_of="W-1"))
    modified = edited(base, set_field("E-1", "name", "Better email"))
    mine = merge(base, deleted, modified)
    assert found(mine) == [("delete-vs-modify", ("activities", "E-1"))]
    assert mine.conflicts[0].theirs["name"] == "Better email" and mine.conflicts[0].ours is MISSING
    assert (
        mine.conflicts[0].description == "You deleted Email 'Email E-1' but SFMC changed its name."
    )
    mirror = merge(base, modified, deleted)
    assert found(mirror)[0] == ("delete-vs-modify", ("activities", "E-1"))
    assert mirror.conflicts[0].ours["name"] == "Better email"


def test_15_edits_to_different_fields_of_one_activity_merge():
    base = chain()
    ours = edited(base, set_field("W-1", "name", "Pause"))
    theirs = edited(base, set_field("W-1", "configurationArguments", "waitDuration", 3))
    result = merge(base, ours, theirs)
    assert result.conflicts == []
    assert act(result.document, "W-1")["name"] == "Pause"
    assert act(result.document, "W-1")["configurationArguments"]["waitDuration"] == 3


def test_16_edits_to_the_same_nested_field_conflict_at_its_full_path():
    base = chain()
    ours = edited(base, set_field("W-1", "configurationArguments", "waitDuration", 2))
    theirs = edited(base, set_field("W-1", "configurationArguments", "waitDuration", 3))
    (conflict,) = merge(base, ours, theirs).conflicts
    assert conflict.path == ("activities", "W-1", "configurationArguments", "waitDuration")
    assert (conflict.kind, conflict.activity_key) == ("both-modified", "W-1")
    assert (conflict.base, conflict.ours, conflict.theirs) == (1, 2, 3)
    assert conflict.id == "both-modified:/activities/W-1/configurationArguments/waitDuration"


def test_17_changing_the_type_while_the_other_side_edits_the_activity_conflicts_as_a_whole():
    base = chain()
    ours = edited(base, set_field("W-2", "type", "EMAILV2"))
    theirs = edited(base, set_field("W-2", "configurationArguments", "waitDuration", 9))
    result = merge(base, ours, theirs)
    assert found(result) == [("type-changed", ("activities", "W-2"))]
    assert result.conflicts[0].description == (
        "Email '1 days' is an email in your draft and a wait in SFMC (was a wait), "
        "and both changed it."
    )


def test_18_renaming_a_key_while_the_other_side_edits_the_old_key_conflicts_and_keeps_the_new():
    base = chain()

    def rename(doc):
        act(doc, "E-1")["key"] = "E-7"
        relink("W-1", "E-7")(doc)

    ours = edited(base, rename)
    theirs = edited(base, set_field("E-1", "configurationArguments", "triggeredSend", "emailId", 2))
    result = merge(base, ours, theirs)
    assert found(result) == [("delete-vs-modify", ("activities", "E-1"))]
    assert "E-7" in keys(result.document)


def test_19_reordering_activities_alone_is_no_conflict_and_the_order_is_deterministic():
    base = chain()
    theirs = edited(base, lambda d: d["activities"].insert(1, d["activities"].pop()))
    ours = edited(base, set_field("W-2", "name", "Ours"))
    result = merge(base, ours, theirs)
    assert result.conflicts == [] and keys(result.document) == ["W-1", "E-1", "W-2"]
    assert act(result.document, "W-2")["name"] == "Ours"
    assert keys(merge(base, theirs, ours).document) == ["W-1", "W-2", "E-1"]
    untouched = merge(base, edited(base, lambda d: d.update(name="Ours")), theirs)
    assert untouched.conflicts == [] and keys(untouched.document) == keys(theirs)


def test_20_their_insert_at_the_front_does_not_misattribute_our_later_edits(real_fixtures_dir):
    name = "08-greenpeace-automation-audience-stowait-updatecontact.json"
    base = json.loads((real_fixtures_dir / name).read_text())
    first = base["activities"][0]["key"]
    later = base["activities"][10]["key"]
    ours = edited(base, set_field(later, "name", "Renamed by us"))
    new_start = wait("WAITBYDURATION-99", first)

    theirs = edited(base, lambda d: d["activities"].insert(0, new_start))
    result = merge(base, ours, theirs)
    assert result.conflicts == []
    assert result.document["activities"][0]["key"] == "WAITBYDURATION-99"
    assert act(result.document, later)["name"] == "Renamed by us"
    renamed = [a["key"] for a in result.document["activities"] if a["name"] == "Renamed by us"]
    assert renamed == [later]
    assert validate(result.document) == validate(theirs)


# Outcomes and graph (21-27)


def joined():
    """S-1 splits to W-1 and W-3; W-1 → W-2 → W-3, so W-2 and W-3 have two ways in."""
    return journey(split("S-1", "W-1", "W-2"), wait("W-1", "W-2"), wait("W-2", "W-3"), wait("W-3"))


def test_21_relinking_the_same_outcome_differently_conflicts():
    base = joined()
    ours = edited(base, relink("S-1", "W-3", index=1))
    theirs = edited(base, relink("S-1", "W-1", index=1))
    (conflict,) = merge(base, ours, theirs).conflicts
    assert conflict.kind == "both-relinked"
    assert conflict.path == ("activities", "S-1", "outcomes", "S-1-p2", "next")
    assert (conflict.base, conflict.ours, conflict.theirs) == ("W-2", "W-3", "W-1")


def test_22_relinking_different_outcomes_applies_both_and_checks_the_graph():
    base = joined()
    ours = edited(base, relink("S-1", "W-3", index=1))
    theirs = edited(base, relink("W-1", "W-3"))
    result = merge(base, ours, theirs)
    assert topology.successors(result.document) == {
        "S-1": ["W-1", "W-3"],
        "W-1": ["W-3"],
        "W-2": ["W-3"],
        "W-3": [],
    }
    assert found(result) == [("orphan", ("activities", "W-2"))]
    clean = merge(base, ours, edited(base, relink("W-3", None), relink("W-2", None)))
    assert clean.conflicts == [] and topology.unreachable(clean.document) == []


def test_23_deleting_an_activity_the_other_side_still_points_to_is_a_dangling_next():
    base = chain()
    ours = edited(base, remove("W-2", successor_of="E-1"))
    theirs = edited(base, insert_after("E-1", wait("W-5")))
    result = merge(base, ours, theirs)
    assert found(result) == [
        ("both-relinked", ("activities", "E-1", "outcomes", "E-1-out", "next")),
        ("dangling-next", ("activities", "W-5", "outcomes", "W-5-out", "next")),
        ("orphan", ("activities", "W-5")),
    ]
    assert result.conflicts[1].theirs == "W-2" and result.conflicts[1].activity_key == "W-5"


def test_24_both_inserting_on_one_edge_conflicts_and_reports_the_cut_off_activity():
    base = chain()
    ours = edited(base, insert_after("W-1", wait("W-5")))
    theirs = edited(base, insert_after("W-1", email("E-6")))
    result = merge(base, ours, theirs)
    assert found(result) == [
        ("both-relinked", ("activities", "W-1", "outcomes", "W-1-out", "next")),
        ("orphan", ("activities", "E-6")),
    ]
    assert result.conflicts[1].description == (
        "Nothing leads to Email 'Email E-6' any more: it would be cut off from the journey."
    )


def test_25_two_relinks_valid_alone_that_make_a_loop_together_report_a_cycle():
    base = journey(split("S-1", "X", "Y"), wait("X"), wait("Y"))
    ours = edited(base, relink("X", "Y"))
    theirs = edited(base, relink("Y", "X"))
    assert topology.cycles(ours) == [] == topology.cycles(theirs)
    result = merge(base, ours, theirs)
    assert found(result) == [("cycle", ("activities", "X", "outcomes", "X-out", "next"))]
    conflict = result.conflicts[0]
    assert (conflict.base, conflict.ours, conflict.theirs) == (MISSING, "Y", MISSING)
    loop = [part.key for part in conflict.said if not isinstance(part, str)]
    assert loop == ["X", "Y", "X"]  # by name ("Wait '1 days'"), each with its key on hover
    assert topology.cycles(resolve(result, {conflict.id: Take.THEIRS})) == []


def test_26_a_new_branch_on_one_side_and_a_relinked_branch_on_the_other_merge_by_outcome_key():
    base = journey(split("S-1", "W-1", "W-3"), wait("W-1", "W-2"), wait("W-2", "W-3"), wait("W-3"))

    def add_branch(doc):
        outcome = {"key": "S-1-p3", "next": "W-3", "arguments": {"percentage": 0}, "metaData": {}}
        act(doc, "S-1")["outcomes"].append(outcome)

    ours = edited(base, add_branch)
    theirs = edited(base, relink("S-1", "W-2", index=1))
    result = merge(base, ours, theirs)
    outcomes = act(result.document, "S-1")["outcomes"]
    assert [(o["key"], o["next"]) for o in outcomes] == [
        ("S-1-p1", "W-1"),
        ("S-1-p2", "W-2"),
        ("S-1-p3", "W-3"),
    ]
    assert result.conflicts == []


def test_26_their_reordering_of_branches_is_kept_when_we_did_not_reorder():
    base = joined()
    theirs = edited(base, lambda d: act(d, "S-1")["outcomes"].reverse())
    ours = edited(base, set_field("S-1", "name", "Split"))
    outcomes = act(merge(base, ours, theirs).document, "S-1")["outcomes"]
    assert [o["key"] for o in outcomes] == ["S-1-p2", "S-1-p1"]


def test_27_outcomes_without_keys_are_merged_as_one_value():
    base = chain()
    for activity in base["activities"]:
        for outcome in activity["outcomes"]:
            del outcome["key"]
    ours = edited(base, lambda d: act(d, "W-2")["outcomes"][0].update(metaData={"label": "a"}))
    theirs = edited(base, lambda d: act(d, "W-2")["outcomes"][0].update(metaData={"label": "b"}))
    assert found(merge(base, ours, theirs)) == [
        ("both-modified", ("activities", "W-2", "outcomes"))
    ]
    assert merge(base, ours, base).document == ours


# Triggers, goals, exits (28-31)


def test_28_a_replaced_trigger_against_an_edit_of_the_original_conflicts():
    base = chain()
    ours = edited(base, lambda d: d["triggers"][0].update(key="TRIGGER-2", type="APIEvent"))
    theirs = edited(base, lambda d: d["triggers"][0].update(name="Renamed entry"))
    result = merge(base, ours, theirs)
    assert found(result) == [("delete-vs-modify", ("triggers", "TRIGGER"))]
    assert [t["key"] for t in result.document["triggers"]] == ["TRIGGER-2"]


def test_29_different_event_definition_keys_conflict():
    base = chain()
    ours = edited(base, lambda d: d["triggers"][0]["metaData"].update(eventDefinitionKey="DE-2"))
    theirs = edited(base, lambda d: d["triggers"][0]["metaData"].update(eventDefinitionKey="DE-3"))
    (conflict,) = merge(base, ours, theirs).conflicts
    assert conflict.path == ("triggers", "TRIGGER", "metaData", "eventDefinitionKey")
    assert conflict.activity_key is None


def test_30_goals_and_exits_follow_the_activity_rules():
    goal = {"key": "GOAL", "name": "Goal", "type": "Event", "metaData": {"conversionValue": "5"}}
    exit_ = {"key": "EXITCRITERIA", "name": "Exit", "type": "ExitCriteria", "outcomes": []}
    base = edited(chain(), lambda d: d.update(goals=[goal]))
    ours = edited(base, lambda d: d["goals"][0]["metaData"].update(conversionValue="10"))
    theirs = edited(
        base, lambda d: d.update(exits=[exit_]), lambda d: d["goals"][0].update(name="Won")
    )
    result = merge(base, ours, theirs)
    assert result.conflicts == []
    assert result.document["goals"] == [
        {**goal, "name": "Won", "metaData": {"conversionValue": "10"}}
    ]
    assert result.document["exits"] == [exit_]
    deleted = merge(base, edited(base, lambda d: d.update(goals=[])), ours)
    assert found(deleted) == [("delete-vs-modify", ("goals", "GOAL"))]


def test_31_unkeyed_lists_inside_arguments_are_one_value():
    base = edited(
        chain(), set_field("W-1", "arguments", "execute", {"inArguments": [{"a": 1}, {"b": 2}]})
    )
    ours = edited(base, set_field("W-1", "arguments", "execute", "inArguments", [{"a": 1}]))
    theirs = edited(
        base, set_field("W-1", "arguments", "execute", "inArguments", [{"a": 1}, {"b": 3}])
    )
    result = merge(base, ours, theirs)
    assert found(result) == [
        ("both-modified", ("activities", "W-1", "arguments", "execute", "inArguments"))
    ]
    assert merge(base, ours, base).document == ours


# Properties and process (32-36)


def test_33_the_same_inputs_give_byte_identical_output():
    base = generate_journey(80, 5)
    ours, theirs = edit_journey(base, 12, 1), edit_journey(base, 12, 2)
    first = merge(base, ours, theirs)
    again = merge(copy.deepcopy(base), copy.deepcopy(ours), copy.deepcopy(theirs))
    assert json.dumps(first.document) == json.dumps(again.document)
    assert [c.as_dict() for c in first.conflicts] == [c.as_dict() for c in again.conflicts]


def test_34_a_resolved_merge_validates_and_the_next_round_does_not_replay_resolved_conflicts():
    base = chain()
    ours = edited(base, set_field("W-1", "configurationArguments", "waitDuration", 2))
    theirs = edited(
        base,
        set_field("W-1", "configurationArguments", "waitDuration", 3),
        lambda d: d.update(modifiedDate="2024-06-01T00:00:00.1", version=3),
    )
    result = merge(base, ours, theirs)
    resolved = resolve(result, {result.conflicts[0].id: Take.OURS})
    assert validate(ours) == [] == validate(resolved)
    assert resolved["modifiedDate"] == "2024-06-01T00:00:00.1"
    again = merge(theirs, resolved, theirs)
    assert again.conflicts == [] and again.document == resolved


def test_35_when_sfmc_changes_again_a_new_round_starts_from_the_previous_remote_and_reapplies():
    base = chain()
    ours = edited(
        base,
        set_field("W-1", "configurationArguments", "waitDuration", 2),
        lambda d: d.update(description="Ours"),
    )
    remote_1 = edited(
        base,
        set_field("W-1", "configurationArguments", "waitDuration", 3),
        lambda d: d.update(description="R1"),
    )
    round_1 = merge(base, ours, remote_1)
    choices = {
        c.id: Take.OURS if c.path[-1] == "waitDuration" else Take.THEIRS for c in round_1.conflicts
    }
    resolved = resolve(round_1, choices)
    assert (
        resolved["description"],
        act(resolved, "W-1")["configurationArguments"]["waitDuration"],
    ) == ("R1", 2)
    remote_2 = edited(remote_1, set_field("W-1", "configurationArguments", "waitDuration", 4))
    round_2 = merge(remote_1, resolved, remote_2)
    assert [c.path[-1] for c in round_2.conflicts] == ["waitDuration"]
    carried = reapply(round_2, choices)
    assert list(carried.values()) == [Take.OURS] and len(carried) == 1
    final = resolve(round_2, choices)
    assert act(final, "W-1")["configurationArguments"]["waitDuration"] == 2
    assert final["description"] == "R1"


def test_36_merging_500_activities_finds_the_same_result_every_time():
    # The 20 ms performance guard is a benchmark figure: `python -m bench.bench_domain`.
    base = generate_journey(500, 11)
    ours, theirs = edit_journey(base, 50, 1), edit_journey(base, 50, 2)
    first = merge(base, ours, theirs)
    again = merge(copy.deepcopy(base), copy.deepcopy(ours), copy.deepcopy(theirs))
    assert first.conflicts, "50 edits a side on the same 500 activities overlap somewhere"
    assert json.dumps(first.document) == json.dumps(again.document)
    assert [c.as_dict() for c in first.conflicts] == [c.as_dict() for c in again.conflicts]


# Beyond the checklist


def test_list_valued_fields_changed_on_both_sides_conflict_whole_or_merge_by_dict_key():
    lists = ("configurationArguments", "triggeredSend", "suppressionLists")
    base = chain()
    ours = edited(base, set_field("E-1", *lists, [{"id": 1}, {"id": 2}]))
    theirs = edited(base, set_field("E-1", *lists, []))
    assert found(merge(base, ours, theirs)) == [("both-modified", ("activities", "E-1", *lists))]
    criteria = {"default_path_1": "<A/>", "default_path_2": "<B/>"}
    base = edited(base, set_field("E-1", "configurationArguments", "criteria", criteria))
    ours = edited(
        base, set_field("E-1", "configurationArguments", "criteria", "default_path_1", "<A2/>")
    )
    theirs = edited(
        base, set_field("E-1", "configurationArguments", "criteria", "default_path_2", "<B2/>")
    )
    merged = act(merge(base, ours, theirs).document, "E-1")["configurationArguments"]["criteria"]
    assert merged == {"default_path_1": "<A2/>", "default_path_2": "<B2/>"}
    theirs = edited(
        theirs, set_field("E-1", "configurationArguments", "criteria", "default_path_1", "<A3/>")
    )
    assert found(merge(base, ours, theirs)) == [
        (
            "both-modified",
            ("activities", "E-1", "configurationArguments", "criteria", "default_path_1"),
        )
    ]


def test_a_new_outcome_pointing_at_an_activity_the_other_side_deleted_is_dangling():
    base = journey(split("S-1", "W-1", None), wait("W-1", "W-2"), wait("W-2"))
    ours = edited(base, relink("S-1", "W-2", index=1))
    theirs = edited(base, remove("W-2", successor_of="W-1"))
    result = merge(base, ours, theirs)
    assert found(result) == [("dangling-next", ("activities", "S-1", "outcomes", "S-1-p2", "next"))]
    assert (result.conflicts[0].base, result.conflicts[0].ours) == (MISSING, "W-2")


def test_two_different_new_starts_are_reported_as_multiple_roots():
    base = chain()

    def new_start(key):
        return lambda d: d["activities"].insert(0, wait(key, "W-1"))

    result = merge(base, edited(base, new_start("W-8")), edited(base, new_start("W-9")))
    assert found(result) == [("multiple-roots", ("activities", "W-9"))]
    assert result.document["activities"][0]["key"] == "W-8"


def test_resolve_takes_ours_theirs_base_or_a_custom_value():
    base = chain()
    ours = edited(base, set_field("W-1", "configurationArguments", "waitDuration", 2))
    theirs = edited(base, set_field("W-1", "configurationArguments", "waitDuration", 3))
    result = merge(base, ours, theirs)
    (conflict,) = result.conflicts

    def duration(choice):
        return act(resolve(result, {conflict.id: choice}), "W-1")["configurationArguments"][
            "waitDuration"
        ]

    assert [
        duration(Take.OURS),
        duration(Take.THEIRS),
        duration(Take.BASE),
        duration(Custom(7)),
    ] == [2, 3, 1, 7]
    assert act(resolve(result, {}), "W-1")["configurationArguments"]["waitDuration"] == 2
    assert resolve(result, {"both-modified:/nowhere": Take.THEIRS}) == result.document
    assert act(result.document, "W-1")["configurationArguments"]["waitDuration"] == 2
    assert act(ours, "W-1")["configurationArguments"]["waitDuration"] == 2


def test_resolving_a_deletion_with_theirs_brings_the_activity_back_and_base_drops_an_addition():
    base = chain()
    deleted = edited(base, remove("E-1", successor_of="W-1"))
    modified = edited(base, set_field("E-1", "name", "Better email"))
    result = merge(base, deleted, modified)
    restored = resolve(result, {result.conflicts[0].id: Take.THEIRS})
    assert act(restored, "E-1")["name"] == "Better email"
    both = merge(
        base,
        edited(base, insert_after("W-2", wait("W-3", days=2))),
        edited(base, insert_after("W-2", wait("W-3", days=5))),
    )
    dropped = resolve(both, {both.conflicts[0].id: Custom(MISSING)})
    assert "W-3" not in keys(dropped)


def test_resolve_moves_the_single_start_to_the_front():
    base = chain()
    ours = edited(base, lambda d: d["activities"].append(wait("W-0", "W-1")))
    theirs = edited(base, lambda d: d["activities"].insert(0, wait("W-0", "W-1", days=4)))
    result = merge(base, ours, theirs)
    assert result.document["activities"][0]["key"] == "W-0"
    final = resolve(result, {result.conflicts[0].id: Take.THEIRS})
    assert keys(final) == ["W-0", "W-1", "E-1", "W-2"]
    assert act(final, "W-0")["configurationArguments"]["waitDuration"] == 4


def test_conflict_ids_are_stable_distinct_and_escape_slashes():
    base = joined()
    ours = edited(base, relink("S-1", "W-3", index=1), set_field("W-1", "metaData", "a/b~", 1))
    ours = edited(ours, set_field("W-2", "name", "x"))
    theirs = edited(base, relink("S-1", "W-1", index=1), set_field("W-1", "metaData", "a/b~", 2))
    theirs = edited(theirs, set_field("W-2", "name", "y"))
    ids = [c.id for c in merge(base, ours, theirs).conflicts]
    assert ids == [
        "both-relinked:/activities/S-1/outcomes/S-1-p2/next",
        "both-added:/activities/W-1/metaData/a~1b~0",
        "both-modified:/activities/W-2/name",
    ]
    assert ids == [c.id for c in merge(base, ours, theirs).conflicts]


def test_merged_documents_never_share_mutations_with_the_inputs():
    base = chain()
    ours = edited(base, set_field("W-1", "name", "Ours"))
    snapshot = copy.deepcopy((base, ours))
    result = merge(base, ours, base)
    resolve(result, {})
    assert (base, ours) == snapshot


# Hypothesis properties (32 and the graph guarantee)

journeys_and_edits = st.tuples(
    st.integers(2, 80), st.integers(0, 10**6), st.integers(0, 15), st.integers(0, 15)
)


def sides(size, seed, ours_edits, theirs_edits):
    base = generate_journey(size, seed)
    return (
        base,
        edit_journey(base, ours_edits, seed + 1),
        edit_journey(base, theirs_edits, seed + 2),
    )


@settings(max_examples=60, deadline=None)
@given(journeys_and_edits)
def test_32_one_sided_and_identical_changes_merge_to_that_side(params):
    base, ours, theirs = sides(*params)
    for merged, expected in (
        (merge(base, ours, base), ours),
        (merge(base, base, theirs), theirs),
        (merge(base, ours, copy.deepcopy(ours)), ours),
    ):
        assert merged.conflicts == []
        assert json.dumps(merged.document) == json.dumps(expected)


@settings(max_examples=60, deadline=None)
@given(journeys_and_edits)
def test_32_swapping_sides_swaps_the_sides_of_each_conflict(params):
    base, ours, theirs = sides(*params)

    def field_conflicts(result):
        return {c.id: c for c in result.conflicts if c.kind not in GRAPH_KINDS}

    forward = field_conflicts(merge(base, ours, theirs))
    backward = field_conflicts(merge(base, theirs, ours))
    assert forward.keys() == backward.keys()
    for key, conflict in forward.items():
        assert (conflict.ours, conflict.theirs, conflict.base) == (
            backward[key].theirs,
            backward[key].ours,
            backward[key].base,
        )


@settings(max_examples=60, deadline=None)
@given(journeys_and_edits)
def test_a_conflict_free_merge_of_valid_journeys_is_a_valid_graph(params):
    base, ours, theirs = sides(*params)
    result = merge(base, ours, theirs)
    if result.conflicts:
        assert {c.kind for c in result.conflicts} <= GRAPH_KINDS | {
            "both-added",
            "both-modified",
            "both-relinked",
            "changed-together",
            "delete-vs-modify",
            "type-changed",
        }
        return
    doc = result.document
    assert topology.roots(doc) == [doc["activities"][0]["key"]]
    assert topology.dangling_nexts(doc) == [] and topology.cycles(doc) == []
    assert topology.unreachable(doc) == []
    assert [p for p in validate(doc) if p.code in GRAPH_CODES] == []


@settings(max_examples=40, deadline=None)
@given(journeys_and_edits)
def test_taking_either_side_everywhere_resolves_to_a_document_and_clears_field_conflicts(params):
    base, ours, theirs = sides(*params)
    result = merge(base, ours, theirs)
    for take in (Take.OURS, Take.THEIRS):
        final = resolve(result, {c.id: take for c in result.conflicts})
        again = merge(theirs, final, theirs)
        assert [c for c in again.conflicts if c.kind not in GRAPH_KINDS] == []


def test_ids_sfmc_reassigned_do_not_count_as_edits():
    base = edited(chain(), lambda d: [a.update(id=f"old-{a['key']}") for a in d["activities"]])
    theirs = edited(base, lambda d: [a.update(id=f"new-{a['key']}") for a in d["activities"]])
    ours = edited(base, remove("E-1", successor_of="W-1"), set_field("W-2", "type", "EMAILV2"))
    result = merge(base, ours, theirs)
    assert result.conflicts == []
    assert keys(result.document) == ["W-1", "W-2"]
    assert act(result.document, "W-2")["type"] == "EMAILV2"
    assert act(result.document, "W-2")["id"] == "new-W-2"


def test_a_choice_may_be_posted_as_a_plain_string():
    base = chain()
    ours = edited(base, lambda d: d.update(description="Ours"))
    result = merge(base, ours, edited(base, lambda d: d.update(description="Theirs")))
    assert resolve(result, {result.conflicts[0].id: "theirs"})["description"] == "Theirs"


# fields that only mean something together


def wait_length(doc, key="W-1"):
    config = act(doc, key)["configurationArguments"]
    return config["waitDuration"], config["waitUnit"]


def test_one_side_changing_a_waits_number_and_the_other_its_unit_is_one_conflict():
    base = journey(wait("W-1", "E-1", days=2), email("E-1"))
    ours = edited(base, set_field("W-1", "configurationArguments", "waitDuration", 4))
    theirs = edited(base, set_field("W-1", "configurationArguments", "waitUnit", "WEEKS"))

    result = merge(base, ours, theirs)

    [conflict] = result.conflicts  # not 4 weeks, which nobody asked for
    assert (conflict.kind, conflict.path) == (
        "changed-together",
        ("activities", "W-1", "configurationArguments", "waitDuration"),
    )
    assert (conflict.base, conflict.ours, conflict.theirs) == (
        {"waitDuration": 2, "waitUnit": "DAYS"},
        {"waitDuration": 4, "waitUnit": "DAYS"},
        {"waitDuration": 2, "waitUnit": "WEEKS"},
    )
    assert "your draft has 4 days, SFMC has 2 weeks (was 2 days)" in conflict.description
    assert wait_length(result.document) == (4, "DAYS")  # ours until decided
    assert wait_length(resolve(result, {conflict.id: Take.THEIRS})) == (2, "WEEKS")
    assert wait_length(resolve(result, {conflict.id: Take.OURS})) == (4, "DAYS")
    custom = Custom({"waitDuration": 3, "waitUnit": "HOURS"})
    assert wait_length(resolve(result, {conflict.id: custom})) == (3, "HOURS")
    stored = json.loads(json.dumps(conflict.as_dict()))
    assert stored["members"]["waitUnit"] == [*conflict.path[:-1], "waitUnit"]


def test_a_wait_changed_by_one_side_only_or_in_the_same_field_merges_as_before():
    base = journey(wait("W-1", "E-1", days=2), email("E-1"))
    longer = edited(base, set_field("W-1", "configurationArguments", "waitDuration", 4))
    weeks = edited(base, set_field("W-1", "configurationArguments", "waitUnit", "WEEKS"))
    renamed = edited(base, set_field("W-1", "name", "Pause"))
    assert merge(base, weeks, renamed).conflicts == []
    assert wait_length(merge(base, weeks, renamed).document) == (2, "WEEKS")
    both_weeks = edited(weeks, set_field("W-1", "configurationArguments", "waitDuration", 4))
    assert merge(base, both_weeks, edited(longer, set_field("W-1", "name", "x"))).conflicts
    five = edited(base, set_field("W-1", "configurationArguments", "waitDuration", 5))
    assert found(merge(base, longer, five)) == [
        ("both-modified", ("activities", "W-1", "configurationArguments", "waitDuration"))
    ]


def shares(doc, key="S-1"):
    return [o["arguments"]["percentage"] for o in act(doc, key)["outcomes"]]


def set_shares(*percentages, key="S-1"):
    def edit(doc):
        for outcome, share in zip(act(doc, key)["outcomes"], percentages, strict=True):
            outcome["arguments"]["percentage"] = share

    return edit


def test_a_random_splits_percentages_changed_on_different_paths_are_one_conflict():
    base = journey(split("S-1", "W-1", "W-2", "W-3"), wait("W-1"), wait("W-2"), wait("W-3"))
    assert shares(base) == [34, 33, 33]
    ours = edited(base, set_shares(44, 23, 33))
    theirs = edited(base, set_shares(34, 23, 43))  # path by path: 44 + 23 + 43 = 110

    result = merge(base, ours, theirs)

    [conflict] = result.conflicts
    assert (conflict.kind, conflict.path) == ("changed-together", ("activities", "S-1", "outcomes"))
    assert conflict.theirs == {"S-1-p1": 34, "S-1-p2": 23, "S-1-p3": 43}
    assert "SFMC has Path 1 34%, Path 2 23%, Path 3 43%" in conflict.description
    assert shares(result.document) == [44, 23, 33]
    assert shares(resolve(result, {conflict.id: Take.THEIRS})) == [34, 23, 43]
    assert merge(base, ours, edited(base, set_shares(44, 23, 33))).conflicts == []
