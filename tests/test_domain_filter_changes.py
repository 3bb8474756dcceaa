from __future__ import annotations

import copy
import json

from journeys.domain.conditions import parse_filter
from journeys.domain.diff import diff
from journeys.domain.filter_changes import filter_changes, merge_filters
from journeys.domain.merge import merge

TIER = "Event.DEAudience-abc.Tier"
POINTS = "Event.DEAudience-abc.Points"
SPLIT = "MULTICRITERIADECISIONV2-3"
PHONE_PATH = "e660b40c-50de-c550-d689-da9c22155104"


def cond(key, operator, *values):
    body = "".join(f"<Value><![CDATA[{v}]]></Value>" for v in values or ("",))
    return (
        f'<Condition IsEphemeralAttribute="true" Key="{key}" Operator="{operator}" '
        f'UiMetaData="{{}}">{body}</Condition>'
    )


def group(*items, operator="AND"):
    body = "".join(items)
    head = f'<ConditionSet Operator="{operator}" ConditionSetName="Individual Filter Grouping">'
    return f"{head}{body}</ConditionSet>"


def f(*items, operator="AND"):
    return f"<FilterDefinition>{group(*items, operator=operator)}</FilterDefinition>"


GOLD = cond(TIER, "Equal", "Gold")
POINTS_500 = cond(POINTS, "LessThanOrEqual", "500")


def test_a_changed_condition_is_one_line_old_to_new():
    lines = filter_changes(f(GOLD, POINTS_500), f(cond(TIER, "In", "Gold", "Platinum"), POINTS_500))
    assert lines == ["Tier (entry data) equals Gold → Tier (entry data) is one of Gold, Platinum"]


def test_added_and_removed_conditions_are_named():
    assert filter_changes(f(GOLD), f(GOLD, cond(POINTS, "GreaterThanOrEqual", "500"))) == [
        "condition added: Points (entry data) is at least 500"
    ]
    assert filter_changes(f(GOLD, POINTS_500), f(POINTS_500)) == [
        "condition removed: Tier (entry data) equals Gold"
    ]
    assert filter_changes("", f(GOLD)) == ["condition added: Tier (entry data) equals Gold"]


def test_a_changed_join_and_a_nested_group_are_said_in_words():
    nested = group(POINTS_500, cond(POINTS, "IsNull"), operator="OR")
    lines = filter_changes(f(GOLD, nested), f(GOLD, nested, operator="OR"))
    assert lines[0].startswith("conditions joined by “or” instead of “and”: Tier")
    assert filter_changes(f(GOLD), f(GOLD, nested)) == [
        "group added: (Points (entry data) is at most 500 or Points (entry data) is empty)"
    ]


def test_a_filter_that_cannot_be_read_is_shown_as_not_understood():
    assert filter_changes(f(GOLD), "<FilterDefinition>") == [
        "Tier (entry data) equals Gold → (not understood: this filter is not well-formed XML: "
        "<FilterDefinition> is never closed)"
    ]


def test_different_conditions_changed_on_each_side_merge_cleanly():
    base = f(GOLD, POINTS_500)
    ours = f(cond(TIER, "Equal", "Silver"), POINTS_500)
    theirs = f(GOLD, cond(POINTS, "LessThanOrEqual", "900"))
    merged = merge_filters(base, ours, theirs)
    assert merged.text == f(cond(TIER, "Equal", "Silver"), cond(POINTS, "LessThanOrEqual", "900"))


def test_additions_on_both_sides_and_a_removal_merge_cleanly():
    base = f(GOLD, POINTS_500)
    ours = f(GOLD, POINTS_500, cond(POINTS, "IsNotNull"))
    theirs = f(POINTS_500, cond(TIER, "Contains", "Plat"))
    merged = merge_filters(base, ours, theirs)
    expected = f(POINTS_500, cond(TIER, "Contains", "Plat"), cond(POINTS, "IsNotNull"))
    assert merged.text == expected
    assert parse_filter(merged.text).error is None


def test_the_same_condition_changed_differently_is_one_clash_in_words():
    base = f(GOLD, POINTS_500)
    merged = merge_filters(
        base,
        f(cond(TIER, "Equal", "Silver"), POINTS_500),
        f(cond(TIER, "Equal", "Platinum"), POINTS_500),
    )
    assert merged.text is None
    assert merged.clashes == (
        "“Tier (entry data) equals Gold”: your draft has “Tier (entry data) equals Silver”, "
        "SFMC has “Tier (entry data) equals Platinum”",
    )
    removed = merge_filters(base, f(POINTS_500), f(cond(TIER, "Equal", "Platinum"), POINTS_500))
    assert removed.clashes[0].endswith(
        "your draft removed it, SFMC has “Tier (entry data) equals Platinum”"
    )


def load(real_fixtures_dir, name):
    return json.loads((real_fixtures_dir / name).read_text())


def branch_criteria(doc, outcome_key=PHONE_PATH):
    split = next(a for a in doc["activities"] if a["key"] == SPLIT)
    return split["configurationArguments"]["criteria"], outcome_key


def edit_branch(doc, old, new, outcome_key=PHONE_PATH):
    edited = copy.deepcopy(doc)
    criteria, key = branch_criteria(edited, outcome_key)
    assert old in criteria[key]
    criteria[key] = criteria[key].replace(old, new, 1)
    return edited


def test_the_diff_says_what_changed_inside_a_branch(real_fixtures_dir):
    doc = load(real_fixtures_dir, "08-greenpeace-automation-audience-stowait-updatecontact.json")
    edited = edit_branch(doc, "[CDATA[1234567]]", "[CDATA[7654321]]")
    summaries = diff(doc, edited).summaries()
    assert summaries == [
        "Branch '🤖PHONE_NOT_VALID': MobilePhone (Contact) contains 1234567 → "
        "MobilePhone (Contact) contains 7654321"
    ]


def test_the_diff_says_which_condition_a_goal_gained(real_fixtures_dir):
    doc = load(real_fixtures_dir, "14-coh-goal-and-exit-criteria.json")
    edited = copy.deepcopy(doc)
    criteria = edited["goals"][0]["configurationArguments"]["criteria"]
    edited["goals"][0]["configurationArguments"]["criteria"] = criteria.replace(
        "</ConditionSet>", cond(POINTS, "GreaterThanOrEqual", "500") + "</ConditionSet>"
    )
    assert diff(doc, edited).summaries() == [
        "Goal 'GOAL': condition added: Points (entry data) is at least 500"
    ]


def test_a_three_way_merge_of_different_conditions_of_one_branch_is_clean(real_fixtures_dir):
    base = load(real_fixtures_dir, "08-greenpeace-automation-audience-stowait-updatecontact.json")
    ours = edit_branch(base, "[CDATA[1234567]]", "[CDATA[7654321]]")
    theirs = edit_branch(base, "[CDATA[+886]]", "[CDATA[+852]]")
    result = merge(base, ours, theirs)
    assert result.conflicts == []
    merged, key = branch_criteria(result.document)
    both = edit_branch(ours, "[CDATA[+886]]", "[CDATA[+852]]")
    assert merged[key] == branch_criteria(both)[0][key]


def test_the_same_condition_changed_differently_is_one_conflict_in_plain_words(real_fixtures_dir):
    base = load(real_fixtures_dir, "08-greenpeace-automation-audience-stowait-updatecontact.json")
    ours = edit_branch(base, "[CDATA[1234567]]", "[CDATA[7654321]]")
    theirs = edit_branch(base, "[CDATA[1234567]]", "[CDATA[1111111]]")
    result = merge(base, ours, theirs)
    [conflict] = result.conflicts
    assert conflict.path == ("activities", SPLIT, "configurationArguments", "criteria", PHONE_PATH)
    assert conflict.description == (
        "Both sides changed the conditions of branch '🤖PHONE_NOT_VALID' of Decision Split: "
        "“MobilePhone (Contact) contains 1234567”: your draft has “MobilePhone (Contact) contains "
        "7654321”, SFMC has “MobilePhone (Contact) contains 1111111”."
    )
    assert branch_criteria(result.document)[0][PHONE_PATH] == branch_criteria(ours)[0][PHONE_PATH]
