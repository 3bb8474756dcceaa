from __future__ import annotations

import copy
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from journeys.domain import validate as validate_module
from journeys.domain.catalog import new_activity
from journeys.domain.document import load_journeys, minimal_journey
from journeys.domain.graph import set_field
from journeys.domain.validate import ERROR, GRAPH_CODES, Problem, has_errors, validate

# Every warning the real fixtures get, and why: fixture 16 is a draft whose emails and
# decisions Journey Builder marks `isConfigured: false` and whose entry source is unconfigured;
# fixture 19 has three Sales Cloud activities marked `isConfigured: false` with no object map.
EXPECTED_REAL_WARNINGS = {
    "16-coh-event-trigger-entrymode-notset.json": [
        ("not-configured", "EMAILV2-1"),
        ("not-configured", "EMAILV2-2"),
        ("not-configured", "MULTICRITERIADECISIONV2-2"),
        ("not-configured", "EMAILV2-3"),
        ("not-configured", "MULTICRITERIADECISIONV2-1"),
        ("trigger-not-configured", None),
    ],
    "19-coh-salescloud-randomsplit-stowait.json": [
        ("not-configured", "SALESCLOUDACTIVITY-4"),
        ("not-configured", "SALESCLOUDACTIVITY-3"),
        ("not-configured", "SALESCLOUDACTIVITY-2"),
    ],
}


def wait(key, next_key=None, **config):
    outcome = {"key": f"{key}-out"} | ({"next": next_key} if next_key else {})
    configuration = {"waitDuration": 1, "waitUnit": "DAYS"} | config
    return {
        "key": key,
        "type": "WAIT",
        "outcomes": [outcome],
        "configurationArguments": configuration,
    }


def named(activity, name):
    return activity | {"name": name}


def journey(*activities, **fields):
    return {
        "key": "journey-key",
        "name": "Journey",
        "workflowApiVersion": 1,
        "triggers": [
            {
                "key": "TRIGGER",
                "type": "EmailAudience",
                "outcomes": [],
                "metaData": {"eventDefinitionKey": "DEAudience-1"},
            }
        ],
        "activities": list(activities),
    } | fields


def codes(problems):
    return sorted((problem.severity, problem.code) for problem in problems)


def test_every_real_journey_validates_without_errors_and_with_only_the_known_warnings(
    real_fixtures_dir,
):
    checked = 0
    for path in sorted(real_fixtures_dir.glob("*.json")):
        for item in load_journeys(json.loads(path.read_text(encoding="utf-8"))):
            problems = validate(item)
            assert not has_errors(problems), (path.name, problems)
            warnings = [(problem.code, problem.activity_key) for problem in problems]
            assert warnings == EXPECTED_REAL_WARNINGS.get(path.name, []), path.name
            checked += 1
    assert checked == 28


def test_a_sound_small_journey_has_no_problems():
    assert validate(journey(wait("A", "B"), wait("B"))) == []


def test_a_wait_with_an_unknown_unit_is_an_error_at_the_exact_path():
    problems = validate(journey(wait("A", waitUnit="FORTNIGHTS")))
    assert problems == [
        Problem(
            "error",
            "invalid-value",
            "$.activities[0].configurationArguments.waitUnit",
            '\'waitUnit\' should be one of "MINUTES", "HOURS", "DAYS", "WEEKS", "MONTHS",'
            ' but it is the text "FORTNIGHTS".',
            "A",
        )
    ]


def test_numbers_stored_as_digit_text_are_accepted_like_real_documents_have_them():
    split = new_activity("RANDOMSPLITV2", "RANDOMSPLITV2-1")
    for outcome in split["outcomes"]:
        outcome["arguments"]["percentage"] = "50"
    assert validate(journey(wait("A", "RANDOMSPLITV2-1", waitDuration="3"), split)) == []


def test_a_wait_duration_that_is_not_a_whole_number_is_an_error():
    problems = validate(journey(wait("A", "B", waitDuration=1.5), wait("B", waitDuration="soon")))
    assert [p.path for p in problems] == [
        "$.activities[0].configurationArguments.waitDuration",
        "$.activities[1].configurationArguments.waitDuration",
    ]
    assert "should be a whole number" in problems[1].message


def test_an_outcome_next_that_is_not_text_is_an_error():
    activity = wait("A")
    activity["outcomes"][0]["next"] = 7
    problems = validate(journey(activity))
    assert (problems[0].code, problems[0].path) == (
        "invalid-value",
        "$.activities[0].outcomes[0].next",
    )


def test_random_split_percentages_must_add_up_to_100():
    split = new_activity("RANDOMSPLITV2", "RANDOMSPLITV2-1")
    split["outcomes"][0]["arguments"]["percentage"] = 60
    problems = validate(journey(split))
    assert codes(problems) == [("error", "split-percentages")]
    assert "add up to 110" in problems[0].message


def test_a_split_outside_its_outcome_limits_is_an_error():
    split = new_activity("ENGAGEMENTSPLITV2", "ENGAGEMENTSPLITV2-1", name="Opened?")
    split["outcomes"].append(copy.deepcopy(split["outcomes"][0]) | {"key": "third"})
    problems = [p for p in validate(journey(split)) if p.code == "outcome-count"]
    assert problems[0].message == (
        "Engagement Split 'Opened?' needs exactly 2 outcomes, but it has 3."
    )
    assert problems[0].activity_key == "ENGAGEMENTSPLITV2-1"  # for links and hover
    assert problems[0].path == "$.activities[0].outcomes"


def test_decision_criteria_that_do_not_match_the_paths_are_only_a_warning():
    decision = new_activity("MULTICRITERIADECISIONV2", "MULTICRITERIADECISIONV2-1")
    condition = (
        '<Condition Key="Contact.Tier" Operator="IsNull"><Value><![CDATA[]]></Value></Condition>'
    )
    criteria = (
        f'<FilterDefinition><ConditionSet Operator="AND">{condition}</ConditionSet>'
        "</FilterDefinition>"
    )
    decision["configurationArguments"]["criteria"] = {"other_path": criteria}
    problems = validate(journey(decision))
    assert codes(problems) == [("warning", "decision-criteria-mismatch")]


def test_a_new_decision_path_without_a_condition_is_a_warning():
    decision = new_activity("MULTICRITERIADECISIONV2", "MULTICRITERIADECISIONV2-1")
    problems = validate(journey(decision))
    assert codes(problems) == [("warning", "decision-path-without-condition")]
    assert problems[0].path.endswith(".configurationArguments.criteria.default_path_1")


def test_an_engagement_split_must_check_an_existing_email():
    email = new_activity("EMAILV2", "EMAILV2-1")
    email["configurationArguments"]["triggeredSend"]["emailId"] = 42
    email["outcomes"][0]["next"] = "ENGAGEMENTSPLITV2-1"
    split = new_activity("ENGAGEMENTSPLITV2", "ENGAGEMENTSPLITV2-1")
    split["metaData"]["isConfigured"] = True
    split["outcomes"][0]["next"] = "WAIT-1"
    for reference, expected in (
        ("EMAILV2-1", []),
        ("EMAILV2-9", ["an activity that does not exist (key EMAILV2-9)."]),
        ("WAIT-1", ["Wait by Duration 'Pause', which is not an email."]),
    ):
        split["configurationArguments"]["refActivityCustomerKey"] = reference
        unconfigured_email = email | {"metaData": {}}
        found = validate(journey(unconfigured_email, split, named(wait("WAIT-1"), "Pause")))
        assert codes(found) == [("error", "engagement-reference")] * len(expected), reference
        said = [p.message.removeprefix("This engagement split checks ") for p in found]
        assert said == expected


def test_an_activity_without_a_name_is_said_by_its_default_name_never_its_key():
    email = new_activity("EMAILV2", "EMAILV2-1")
    email["metaData"]["isConfigured"] = True
    problems = validate(journey(email, wait("WAIT-1")))
    assert [p.message for p in problems if p.code != "root-count"] == [
        "Email needs an email to send before it can be pushed.",
        "No path from the start leads to Wait 1 day.",
    ]
    assert not any("EMAILV2-1" in p.message or "WAIT-1" in p.message for p in problems)


def test_a_missing_required_field_is_an_error_unless_journey_builder_marks_it_unconfigured():
    email = new_activity("EMAILV2", "EMAILV2-1", name="Welcome")
    problems = validate(journey(email))
    assert codes(problems) == [("warning", "not-configured")]
    email["metaData"]["isConfigured"] = True
    problems = validate(journey(email))
    assert codes(problems) == [("error", "missing-field")]
    assert problems[0].path == "$.activities[0].configurationArguments.triggeredSend.emailId"
    assert problems[0].message == "Email 'Welcome' needs an email to send before it can be pushed."


def test_an_unknown_activity_type_is_checked_as_a_generic_block_only():
    custom = {"key": "X-1", "type": "SOMETHINGNEW", "outcomes": [{"key": "o"}], "odd": [1, 2]}
    assert validate(journey(custom)) == []
    custom["outcomes"] = "none"
    assert codes(validate(journey(custom))) == [("error", "invalid-value")]


def test_duplicate_activity_keys_are_an_error():
    problems = validate(journey(wait("A", "B"), wait("B"), wait("B")))
    assert ("error", "duplicate-key") in codes(problems)
    assert next(p for p in problems if p.code == "duplicate-key").path == "$.activities[2].key"


def test_two_starts_are_an_error_and_the_second_one_is_unreachable():
    problems = validate(journey(named(wait("A"), "First"), wait("B")))
    assert codes(problems) == [("error", "root-count"), ("error", "unreachable")]
    assert "no way in: Wait by Duration 'First', Wait 1 day." in problems[0].message
    assert problems[1].message == "No path from the start leads to Wait 1 day."


def test_a_start_that_is_not_first_is_only_a_warning():
    problems = validate(journey(wait("B"), named(wait("A", "B"), "Start here")))
    assert problems == [
        Problem(
            "warning",
            "root-not-first",
            "$.activities[1]",
            "The start activity Wait by Duration 'Start here' is not the first in the list, "
            "as SFMC keeps it.",
            "A",
        )
    ]


def test_a_dangling_next_is_an_error_located_on_the_outcome():
    problems = validate(journey(wait("A", "B"), named(wait("B", "GONE"), "Pause")))
    assert codes(problems) == [("error", "dangling-next")]
    assert problems[0].message == (
        "A path of Wait by Duration 'Pause' leads to an activity that does not exist (key GONE)."
    )
    assert problems[0].path == "$.activities[1].outcomes[0].next"
    assert problems[0].activity_key == "B"


def test_a_loop_is_an_error():
    loop = (named(wait("A", "B"), "Pause"), named(wait("B", "A"), "Rest"))
    problems = validate(journey(wait("S", "A"), *loop))
    assert codes(problems) == [("error", "cycle")]
    assert (
        "(Wait by Duration 'Pause' → Wait by Duration 'Rest' → Wait by Duration 'Pause')"
        in problems[0].message
    )


def test_a_trigger_with_outcomes_is_an_error_and_an_unconfigured_one_a_warning():
    doc = journey(wait("A"))
    doc["triggers"][0]["outcomes"] = [{"key": "x", "next": "A"}]
    del doc["triggers"][0]["metaData"]
    assert codes(validate(doc)) == [
        ("error", "trigger-outcomes"),
        ("warning", "trigger-not-configured"),
    ]


def test_a_journey_without_key_name_or_version_reports_each_missing_field():
    problems = validate({"activities": []})
    assert [p.message for p in problems] == [
        "The journey needs a 'key' field.",
        "The journey needs a 'name' field.",
        "The journey needs a 'workflowApiVersion' field.",
    ]


def test_non_objects_are_not_journeys():
    for garbage in (None, [], "journey", 3, 2.5, True):
        problems = validate(garbage)
        assert codes(problems) == [("error", "not-a-journey")]


def test_has_errors_ignores_warnings():
    warning = Problem("warning", "root-not-first", "$", "w")
    error = Problem("error", "cycle", "$", "e")
    assert not has_errors([warning])
    assert has_errors([warning, error])
    assert not has_errors([])


def test_graph_codes_name_only_rules_the_validator_has():
    assert {"cycle", "dangling-next", "unreachable", "root-count"} <= GRAPH_CODES
    assert "not-configured" not in GRAPH_CODES


def test_only_the_edited_activity_is_checked_again(monkeypatch):
    checked = []
    original = validate_module._activity_findings

    def counting(activity):
        checked.append(activity.get("key") if isinstance(activity, dict) else None)
        return original(activity)

    monkeypatch.setattr(validate_module, "_cache", {})
    monkeypatch.setattr(validate_module, "_activity_findings", counting)
    doc = journey(*(wait(f"W{n}", f"W{n + 1}") for n in range(30)), wait("W30"))
    assert validate(doc) == []
    assert len(checked) == 31
    checked.clear()
    edited = copy.deepcopy(doc)
    edited["activities"][12]["configurationArguments"]["waitUnit"] = "YEARS"
    problems = validate(edited)
    assert checked == ["W12"]
    assert [p.path for p in problems] == ["$.activities[12].configurationArguments.waitUnit"]


def test_inside_values_unchanged_a_document_and_a_shared_activity_are_checked_once(monkeypatch):
    """An edit shares its unchanged activities (graph.set_field): inside the block they are
    known by identity, not even written out; outside it, nothing is remembered by identity."""
    written = []
    original = validate_module._findings_by_text

    def counting(activity):
        written.append(activity.get("key"))
        return original(activity)

    monkeypatch.setattr(validate_module, "_findings_by_text", counting)
    doc = journey(*(wait(f"W{n}", f"W{n + 1}") for n in range(30)), wait("W30"))
    path = ("activities", 12, "configurationArguments", "waitUnit")
    with validate_module.values_unchanged():
        assert validate(doc) == []
        edited = set_field(doc, path, "YEARS")
        first = validate(edited)
        assert validate(edited) == first  # the same document: not checked again
    assert written == [f"W{n}" for n in range(31)] + ["W12"]
    assert [p.path for p in first] == ["$.activities[12].configurationArguments.waitUnit"]

    written.clear()
    doc["activities"][3]["configurationArguments"]["waitUnit"] = "YEARS"  # outside: changed
    assert [p.path for p in validate(doc)] == ["$.activities[3].configurationArguments.waitUnit"]
    assert len(written) == 31


def test_remembered_problems_stand_for_a_document_only_inside_the_block():
    doc = journey(wait("A"))
    said = [Problem(ERROR, "x", "$", "remembered")]
    validate_module.remember(doc, validate_module.Checked(tuple(said)))  # no block: not kept
    assert validate(doc) == []
    with validate_module.values_unchanged():
        validate_module.remember(doc, validate_module.Checked(tuple(said)))
        assert validate(doc) == said
        assert validate(copy.deepcopy(doc)) == []  # another object, checked
    assert validate(doc) == []


def test_remembered_activities_of_a_document_are_known_in_an_edit_of_it(monkeypatch):
    doc = journey(*(wait(f"W{n}", f"W{n + 1}") for n in range(5)), wait("W5"))
    checked = validate_module.check(copy.deepcopy(doc))  # another request checked it
    written = []
    monkeypatch.setattr(validate_module, "_findings_by_text", lambda a: written.append(a) or ())
    with validate_module.values_unchanged():
        validate_module.remember(doc, checked)
        validate(set_field(doc, ("activities", 2, "name"), "Renamed"))
    assert [activity["key"] for activity in written] == ["W2"]


def test_an_edit_s_graph_problems_are_found_again_where_it_changed_what_they_read():
    """Inside values_unchanged an edit that leaves keys, types, paths and names as they were
    keeps the graph problems found before; any change to those is checked again."""
    doc = journey(wait("A", "B"), named(wait("B"), "Lost"), named(wait("C"), "Orphan"))
    path = ("activities", 2, "configurationArguments", "waitDuration")
    with validate_module.values_unchanged():
        before = [p.message for p in validate(doc) if p.code in GRAPH_CODES]
        longer = validate(set_field(doc, path, 5))
        renamed = validate(set_field(doc, ("activities", 2, "name"), "Found"))
        relinked = validate(set_field(doc, ("activities", 1, "outcomes", 0, "next"), "C"))
    assert len(before) == 2 and all("'Orphan'" in message for message in before)
    assert [p.message for p in longer if p.code in GRAPH_CODES] == before
    assert [p.message for p in renamed if p.code in GRAPH_CODES] == [
        m.replace("Orphan", "Found") for m in before
    ]
    outside = validate(set_field(doc, ("activities", 1, "outcomes", 0, "next"), "C"))
    assert relinked == outside and not any(p.code in GRAPH_CODES for p in relinked)


def test_cached_problems_are_placed_at_the_activity_s_current_position():
    broken = wait("B", waitUnit="YEARS")
    validate(journey(wait("A", "B"), broken))
    problems = validate(journey(broken | {"key": "B"}, wait("A", "B")))
    assert [p.path for p in problems if p.code == "invalid-value"] == [
        "$.activities[0].configurationArguments.waitUnit"
    ]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4)
    ),
    max_leaves=30,
)
field_names = st.sampled_from(
    [
        "key",
        "type",
        "outcomes",
        "next",
        "arguments",
        "percentage",
        "criteria",
        "configurationArguments",
        "metaData",
        "refActivityCustomerKey",
        "isConfigured",
        "triggeredSend",
    ]
)
type_names = st.sampled_from(
    ["WAIT", "EMAILV2", "RANDOMSPLIT", "ENGAGEMENTDECISION", "MULTICRITERIADECISION", "REST"]
)
journey_like = st.recursive(
    json_values | type_names | st.sampled_from(["A", "B", "C"]),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(field_names, children, max_size=6)
    ),
    max_leaves=40,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(json_values)
def test_validate_never_raises_on_any_json_value(value):
    problems = validate(value)
    assert isinstance(problems, list)
    assert all(isinstance(problem, Problem) for problem in problems)
    assert "validator-crash" not in {problem.code for problem in problems}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(journey_like, max_size=6), st.lists(journey_like, max_size=2))
def test_validate_never_raises_on_journeys_full_of_wrong_shapes(activities, triggers):
    doc = minimal_journey("garbage") | {"activities": activities, "triggers": triggers}
    problems = validate(doc)
    assert "validator-crash" not in {problem.code for problem in problems}
    assert all(problem.path.startswith("$") for problem in problems)


def test_what_sfmc_refuses_to_save_is_an_error_before_the_push():
    journey = {
        "key": "k",
        "name": "",
        "description": "Tom & Jerry's <b>offer</b>",
        "workflowApiVersion": 1.0,
        "triggers": [{"key": "A", "type": "APIEvent"}, {"key": "B", "type": "APIEvent"}],
        "activities": [],
    }
    found = {(p.code, p.path): p.message for p in validate(journey) if p.severity == ERROR}
    assert found[("invalid-value", "$.name")] == "'name' should not be empty."
    assert (
        found[("trigger-count", "$.triggers")] == "A journey has one entry source; this one has 2."
    )
    assert found[("illegal-characters", "$.description")] == (
        "SFMC refuses a journey description with & ' / < > in it (error 121072)."
    )
