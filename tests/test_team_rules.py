"""The team's own rules (journeys.domain.team_rules) on the real fixtures and edited copies."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from journeys.domain.team_rules import RULES, RuleSetting, check_rules, parameter_errors
from journeys.domain.team_rules import settings_from_json as read_settings


def _journeys(folder: Path) -> dict[str, dict]:
    found = {}
    for path in sorted(folder.glob("*.json")):
        doc = json.loads(path.read_text())
        if isinstance(doc, dict) and "activities" in doc:  # not the collection pages
            found[path.name[:2]] = doc
    return found


def _rule(rule_id: str, severity: str = "error", **parameters) -> list[RuleSetting]:
    return [RuleSetting(rule_id, severity, parameters)]


def _activity(doc: dict, name: str) -> dict:
    return next(a for a in doc["activities"] if a.get("name") == name)


def _codes(problems) -> list[tuple[str, str | None]]:
    return [(p.code, p.activity_key) for p in problems]


def test_no_real_fixture_has_a_decision_without_remainder_or_a_name_that_contradicts_it(
    real_fixtures_dir,
):
    # 21 real journeys: waits named "26 hours", "2 weeks", "8 days before <date>" (set to -8),
    # splits named "33%"... all say what they are set to, and every decision has a remainder.
    journeys = _journeys(real_fixtures_dir)
    assert len(journeys) == 19
    for rule_id in ("names-match-configuration", "decision-remainder"):
        found = {n: check_rules(doc, _rule(rule_id)) for n, doc in journeys.items()}
        assert not any(found.values()), (rule_id, found)


def test_a_decision_split_without_remainder_is_found_with_its_activity(real_fixtures_dir):
    doc = _journeys(real_fixtures_dir)["10"]
    decision = next(a for a in doc["activities"] if a["type"] == "MULTICRITERIADECISION")
    decision["outcomes"] = [o for o in decision["outcomes"] if o["key"] != "remainder_path"]
    [problem] = check_rules(doc, _rule("decision-remainder"))
    assert (problem.code, problem.severity) == ("rule:decision-remainder", "error")
    assert problem.activity_key == decision["key"]
    assert problem.path.endswith(".outcomes") and "no remainder path" in problem.message


def test_a_wait_named_for_another_duration_is_found(real_fixtures_dir):
    doc = _journeys(real_fixtures_dir)["10"]
    wait = _activity(doc, "4 hours")
    wait["configurationArguments"]["waitDuration"] = 5
    same_in_other_units = _activity(doc, "1 day")
    same_in_other_units["configurationArguments"].update(waitDuration=24, waitUnit="HOURS")
    other_unit = copy.deepcopy(wait) | {"key": "WAIT-X", "name": "Wait 2 hours"}
    other_unit["configurationArguments"].update(waitDuration=2, waitUnit="DAYS")
    doc["activities"].append(other_unit)
    problems = check_rules(doc, _rule("names-match-configuration", "warning"))
    assert [p.message for p in problems] == [
        "Wait by Duration '4 hours' is named for 4 hours, but it is set to 5 hours.",
        "Wait by Duration 'Wait 2 hours' is named for 2 hours, but it is set to 2 days.",
    ]
    assert [p.path.rsplit(".", 1)[1] for p in problems] == ["waitDuration", "waitUnit"]
    assert {p.severity for p in problems} == {"warning"}


def test_a_wait_by_attribute_named_before_but_set_after_is_found(real_fixtures_dir):
    doc = _journeys(real_fixtures_dir)["21"]
    wait = next(a for a in doc["activities"] if str(a.get("name")).startswith("8 days before"))
    wait["configurationArguments"]["waitDuration"] = 8
    [problem] = check_rules(doc, _rule("names-match-configuration"))
    assert "is set to 8 days after" in problem.message and problem.activity_key == wait["key"]


def test_a_random_split_path_named_for_another_share_is_found(real_fixtures_dir):
    doc = _journeys(real_fixtures_dir)["18"]
    split = next(a for a in doc["activities"] if a["type"] == "RANDOMSPLIT")
    split["outcomes"][0]["arguments"]["percentage"] = 70
    split["outcomes"][1]["arguments"]["percentage"] = 30
    problems = check_rules(doc, _rule("names-match-configuration"))
    assert [p.path.rsplit("[", 1)[1] for p in problems] == ["0].metaData", "1].metaData"]
    assert "named for 50%, but it is set to 70%" in problems[0].message


def test_test_words_in_names_and_subjects_including_the_catalogs(real_fixtures_dir):
    doc = _journeys(real_fixtures_dir)["12"]
    email = _activity(doc, "CancerCenter Subscription Confirmation")
    assert check_rules(doc, _rule("test-words")) == []
    doc["name"] = "[draft] Newsletter"
    email["configurationArguments"]["triggeredSend"]["emailSubject"] = "Lorem ipsum"
    email_id = str(email["configurationArguments"]["triggeredSend"]["emailId"])
    problems = check_rules(doc, _rule("test-words"), {email_id: "[TEST] Success"})
    assert [p.path.rsplit(".", 1)[1] for p in problems] == ["name", "emailSubject", "emailId"]
    assert "“[DRAFT]”" in problems[0].message and problems[0].activity_key is None
    assert "“lorem”" in problems[1].message and problems[1].activity_key == email["key"]
    assert "(in SFMC)" in problems[2].message
    # The team's own list replaces the default one.
    assert _codes(check_rules(doc, _rule("test-words", words=["ipsum"]))) == [
        ("rule:test-words", email["key"])
    ]


def test_goal_exit_entry_mode_and_conventions(real_fixtures_dir):
    journeys = _journeys(real_fixtures_dir)
    with_both, without = journeys["14"], journeys["01"]
    settings = [
        *_rule("goal-required"),
        *_rule("exit-required"),
        *_rule("entry-mode-set"),
        *_rule("journey-name-pattern", pattern=r"RMT .+", explanation="it starts with the team"),
        *_rule("journey-key-pattern", pattern=r"[0-9a-f-]{36}"),
    ]
    assert check_rules(with_both, settings) == []
    problems = check_rules(without, settings)
    assert [p.code for p in problems] == [
        "rule:goal-required",
        "rule:exit-required",
        "rule:entry-mode-set",  # "NotSet" in this fixture
        "rule:journey-name-pattern",
        "rule:journey-key-pattern",
    ]
    assert problems[3].message.endswith("breaks the team's rule: it starts with the team.")
    assert "must match the pattern [0-9a-f-]{36}" in problems[4].message


def test_parameters_are_checked_in_plain_words():
    assert parameter_errors("journey-name-pattern", {"pattern": "[a-"})[0].startswith(
        "The pattern “[a-” is not a valid regular expression"
    )
    assert "needs a “pattern”" in parameter_errors("journey-key-pattern", {})[0]
    assert "no parameter “size”" in parameter_errors("entry-mode-set", {"size": 1})[0]
    assert parameter_errors("test-words", {"words": ["", "x"]}) != []
    assert parameter_errors("no-such-rule", {})[0].startswith("There is no rule")
    assert all(parameter_errors(r.id, {}) == [] for r in RULES.values() if not r.required)


def test_a_rules_file_is_read_with_every_problem_named():
    settings, errors = read_settings(
        {"test-words": {}, "goal-required": {"severity": "error"}, "entry-mode-set": None}
    )
    assert errors == []
    assert [(s.rule_id, s.severity) for s in settings] == [
        ("test-words", "error"),
        ("goal-required", "error"),
        ("entry-mode-set", "warning"),
    ]
    _, errors = read_settings(
        [{"rule": "journey-name-pattern", "parameters": {"pattern": "("}}, {"rule": "x"}, 3]
    )
    assert len(errors) == 3 and errors[0].startswith("journey-name-pattern: The pattern")


@pytest.mark.parametrize("doc", [None, [], {"activities": "no"}, {"activities": [None, 3]}])
def test_odd_documents_never_raise(doc):
    settings = [
        RuleSetting(r.id, r.severity, {"pattern": "x"} if r.required else {})
        for r in RULES.values()
    ]
    assert isinstance(check_rules(doc, settings), list)
