"""Whether a test contact meets a filter: every SFMC operator, dates relative to the moment the
contact reaches the decision, empty values, references and the three answers (yes, no, cannot
tell) through AND and OR groups."""

from __future__ import annotations

from datetime import datetime

import pytest

from journeys.domain.condition_eval import (
    CANNOT_TELL,
    NO,
    YES,
    add_time,
    attribute_lookup,
    evaluate_filter,
    parse_date,
)
from journeys.domain.conditions import parse_filter
from journeys.domain.operators import OPERATORS

NOW = datetime(2026, 3, 1, 15, 0)  # a Sunday afternoon: the contact reaches the decision


def condition(key, operator, *values, reference=False):
    extra = ' ValueIsReference="true"' if reference else ""
    inner = "".join(f"<Value><![CDATA[{value}]]></Value>" for value in values)
    return (
        f'<Condition Key="{key}" Operator="{operator}"{extra} UiMetaData="{{}}">{inner}</Condition>'
    )


def group(operator, *items):
    return (
        f'<ConditionSet Operator="{operator}" ConditionSetName="G">{"".join(items)}</ConditionSet>'
    )


def filter_text(*groups):
    return f"<FilterDefinition>{''.join(groups)}</FilterDefinition>"


def answer(text, values, now=NOW):
    return evaluate_filter(parse_filter(text), attribute_lookup(values), now)[0]


def one(operator, values, actual, now=NOW):
    """The answer of `Points <operator> values` for a contact whose Points is `actual`."""
    text = filter_text(group("AND", condition("Points", operator, *values)))
    return answer(text, {} if actual is None else {"Points": actual}, now)


# (operator, the condition's values, the contact's value, the answer)
CASES = [
    ("Equal", ["Gold"], " gold ", YES),
    ("Equal", ["Gold"], "Silver", NO),
    ("Equal", ["5"], "5.00", YES),
    ("Equal", ["5"], "50", NO),
    ("Equal", ["2026-03-04"], "2026-03-04T10:30:00", YES),
    ("Equal", ["2026-03-04"], "3/4/2026", YES),
    ("Equal", ["2026-03-04"], "2026-03-05", NO),
    ("NotEqual", ["Gold"], "Silver", YES),
    ("NotEqual", ["Gold"], "GOLD", NO),
    ("NotEqual", ["5"], "5.0", NO),
    ("Is", ["true"], "True", YES),
    ("Is", ["True"], "yes", YES),
    ("Is", ["false"], "0", YES),
    ("Is", ["true"], "false", NO),
    ("IsNull", [], "  ", YES),
    ("IsNull", [], "x", NO),
    ("IsNotNull", [], "x", YES),
    ("IsNotNull", [], "", NO),
    ("Contains", ["GOLD"], "Gold member", YES),
    ("Contains", ["platinum"], "Gold member", NO),
    ("NotContains", ["platinum"], "Gold member", YES),
    ("NotContains", ["member"], "Gold MEMBER", NO),
    ("BeginsWith", ["go"], "Gold", YES),
    ("BeginsWith", ["old"], "Gold", NO),
    ("Begins", ["GO"], "gold", YES),
    ("Begins", ["si"], "gold", NO),
    ("EndsWith", ["LD"], "gold", YES),
    ("EndsWith", ["go"], "gold", NO),
    ("Ends", ["old"], "Gold", YES),
    ("Ends", ["gol"], "Gold", NO),
    ("GreaterThan", ["20"], "100", YES),  # as numbers, not as text ("100" < "20")
    ("GreaterThan", ["10"], "9", NO),
    ("GreaterThan", ["10"], "10", NO),
    ("GreaterThan", ["2026-03-01"], "2026-03-02", YES),
    ("GreaterThanOrEqual", ["10"], "10", YES),
    ("GreaterThanOrEqual", ["10"], "9.99", NO),
    ("LessThan", ["10"], "-3", YES),
    ("LessThan", ["10"], "10", NO),
    ("LessThanOrEqual", ["10"], "10.0", YES),
    ("LessThanOrEqual", ["10"], "10.01", NO),
    ("After", ["2026-03-01"], "2026-03-02", YES),
    ("After", ["2026-03-01"], "2026-03-01T23:59:00", NO),  # by day: the same day is not after
    ("AtOrAfter", ["2026-03-01"], "2026-03-01T00:01:00", YES),
    ("AtOrAfter", ["2026-03-01"], "2026-02-28", NO),
    ("Before", ["2026-03-01T12:00:00"], "2026-03-01T11:59:00", YES),  # both times: by minute
    ("Before", ["2026-03-01T12:00:00"], "2026-03-01T12:00:00", NO),
    ("AtOrBefore", ["03/01/2026"], "2026-03-01T18:00:00", YES),
    ("AtOrBefore", ["03/01/2026"], "2026-03-02", NO),
    ("Between", ["1", "10"], "10", YES),  # both ends included
    ("Between", ["1", "10"], "1", YES),
    ("Between", ["1", "10"], "11", NO),
    ("Between", ["2026-01-01", "2026-01-31"], "2026-01-31T22:00:00", YES),
    ("Between", ["2026-01-01", "2026-01-31"], "2026-02-01", NO),
    ("In", ["Gold,Silver"], " silver", YES),
    ("In", ["Gold", "Silver"], "SILVER", YES),  # one <Value> per choice
    ("In", ["Gold, Silver"], "Bronze", NO),
    ("In", ["1,2,3"], "2.0", YES),
    ("NotIn", ["Gold,Silver"], "Bronze", YES),
    ("NotIn", ["Gold", "Silver"], "gold", NO),
]


@pytest.mark.parametrize(("operator", "values", "actual", "expected"), CASES)
def test_each_operator_matches_and_does_not_match(operator, values, actual, expected):
    assert one(operator, values, actual) is expected


def test_every_operator_sfmc_knows_has_a_matching_and_a_non_matching_case():
    covered = {(operator, expected) for operator, _, _, expected in CASES}
    missing = [
        (operator, expected)
        for operator in OPERATORS
        for expected in (YES, NO)
        if (operator, expected) not in covered
    ]
    assert missing == []


@pytest.mark.parametrize("operator", sorted(OPERATORS))
def test_a_missing_value_is_empty_it_is_empty_and_fails_every_comparison(operator):
    values = {0: [], 1: ["5"], 2: ["1", "10"], -1: ["5,6"]}[OPERATORS[operator].arity]
    if operator == "Is":
        values = ["false"]  # not even "is false": an empty value is not false
    expected = YES if operator == "IsNull" else NO
    assert one(operator, values, None) is expected
    assert one(operator, values, "") is expected
    assert one(operator, values, "   ") is expected


@pytest.mark.parametrize(
    ("operator", "value", "actual", "expected"),
    [
        ("Equal", ";+;0;days", "2026-03-01T08:00:00", YES),  # today, whatever the hour
        ("AtOrAfter", ";+;3;days", "2026-03-04T08:00:00", YES),  # by calendar day, not 72 h
        ("AtOrAfter", ";+;3;days", "2026-03-03T23:59:00", NO),
        ("Before", ";-;14;days", "2026-02-14", YES),
        ("Before", ";-;14;days", "2026-02-15", NO),
        ("After", ";-;1;weeks", "2026-02-23", YES),
        ("After", ";-;1;weeks", "2026-02-22", NO),
        ("Equal", ";+;1;months", "2026-04-01", YES),
        ("Equal", ";-;1;years", "2025-03-01", YES),
        ("Before", ";+;2;hours", "2026-03-01T16:59:00", YES),  # hours: by the minute
        ("Before", ";+;2;hours", "2026-03-01T17:00:00", NO),
        ("Equal", "today;+;1;days", "2026-03-02", YES),
        ("Equal", "2026-01-31;+;1;months", "2026-02-28", YES),  # a month on keeps the day it can
        ("Equal", "2026-01-31;+;1;months", "2026-03-03", NO),
    ],
)
def test_a_relative_date_counts_from_the_moment_the_contact_is_evaluated(
    operator, value, actual, expected
):
    assert one(operator, [value], actual) is expected


def test_the_same_relative_date_answers_differently_on_another_day():
    assert one("AtOrAfter", [";+;3;days"], "2026-03-04") is YES
    assert one("AtOrAfter", [";+;3;days"], "2026-03-04", now=datetime(2026, 3, 2, 9, 0)) is NO


def test_dates_are_read_in_the_spellings_sfmc_uses_and_moved_by_calendar_units():
    assert parse_date("2026-03-04", NOW) == datetime(2026, 3, 4)
    assert parse_date("3/4/2026", NOW) == datetime(2026, 3, 4)
    assert parse_date("2026-03-04T10:30:00.000Z", NOW) == datetime(2026, 3, 4, 10, 30)
    assert parse_date(";-;2;hours", NOW) == datetime(2026, 3, 1, 13, 0)
    assert parse_date("next tuesday", NOW) is None
    assert add_time(datetime(2024, 1, 31), 1, "MONTHS") == datetime(2024, 2, 29)
    assert add_time(datetime(2025, 12, 15), 1, "months") == datetime(2026, 1, 15)
    assert add_time(datetime(2024, 2, 29), 1, "years") == datetime(2025, 2, 28)
    assert add_time(datetime(2026, 3, 1), 2, "Weeks") == datetime(2026, 3, 15)
    assert add_time(datetime(2026, 3, 1), 1, "fortnights") is None


@pytest.mark.parametrize(
    ("value", "moment"),
    [
        ("12/1/2026 9:00 AM", datetime(2026, 12, 1, 9, 0)),
        ("12/01/2026 09:00:00 PM", datetime(2026, 12, 1, 21, 0)),
        ("12/1/2026 13:45", datetime(2026, 12, 1, 13, 45)),
    ],
)
def test_us_dates_with_a_time_are_dates_as_the_filter_checks_accept_them(value, moment):
    assert parse_date(value, NOW) == moment
    assert one("After", [value], "2026-12-02") is YES


@pytest.mark.parametrize(
    "value",
    [";+;99999999;days", ";+;99999;years", ";-;9999999;months", ";+;" + "9" * 5000 + ";days"],
)
def test_a_relative_date_beyond_the_calendar_cannot_be_told_rather_than_failing(value):
    assert parse_date(value, NOW) is None
    assert one("After", [value], "2026-12-02") is CANNOT_TELL


@pytest.mark.parametrize("actual", ["NaN", "sNaN", "-nan", "Infinity"])
def test_numbers_that_are_not_finite_are_text_and_never_fail(actual):
    assert one("GreaterThan", ["5"], actual) is CANNOT_TELL
    assert one("Equal", ["5"], actual) is NO
    assert one("Equal", [actual.upper()], actual) is YES  # equal as text
    assert one("In", ["5,6"], actual) is NO


@pytest.mark.parametrize(
    ("operator", "values", "actual", "reason"),
    [
        ("GreaterThan", ["10"], "lots", "not a number or a date"),
        ("Before", [";+;3;days"], "soon", "not a number or a date"),
        ("Between", ["1", "ten"], "5", "not a number or a date"),
        ("Is", ["true"], "maybe", "not true or false"),
        ("Is", ["perhaps"], "true", "'perhaps' is not true or false"),
        ("Between", ["1"], "5", "'between' needs two values"),
    ],
)
def test_values_that_cannot_be_compared_cannot_be_told_and_say_why(
    operator, values, actual, reason
):
    text = filter_text(group("AND", condition("Points", operator, *values)))
    found, verdicts = evaluate_filter(parse_filter(text), attribute_lookup({"Points": actual}), NOW)
    assert found is CANNOT_TELL
    assert reason in verdicts[0].because
    assert f"Points is '{actual}'" in verdicts[0].because


def test_a_value_that_is_a_reference_compares_with_the_other_attribute():
    text = filter_text(
        group("AND", condition("Points", "GreaterThan", "Threshold", reference=True))
    )
    assert answer(text, {"Points": "12", "Threshold": "10"}) is YES
    assert answer(text, {"Points": "12", "Threshold": "15"}) is NO
    same = filter_text(group("AND", condition("Tier", "Equal", "Event.DE.Wanted", reference=True)))
    assert answer(same, {"Tier": "Gold", "Event.DE.Wanted": "gold"}) is YES
    assert answer(same, {"Tier": "Gold"}) is NO  # the other attribute is empty


def test_a_part_not_understood_cannot_be_told_and_says_what_it_is():
    text = filter_text(group("AND", condition("Points", "Fuzzy", "5")))
    found, verdicts = evaluate_filter(parse_filter(text), attribute_lookup({"Points": "5"}), NOW)
    assert found is CANNOT_TELL
    assert "not understood" in verdicts[0].because
    assert "Fuzzy" in verdicts[0].because


def test_a_filter_that_is_not_xml_cannot_be_told():
    found, verdicts = evaluate_filter(parse_filter("<FilterDefinition><oops>"), lambda _: None, NOW)
    assert found is CANNOT_TELL
    assert "could not be read" in verdicts[0].because


def test_an_operator_the_evaluator_does_not_know_cannot_be_told(monkeypatch):
    from journeys.domain import operators

    monkeypatch.setitem(operators.OPERATORS, "Resembles", operators._op("resembles", 1))
    text = filter_text(group("AND", condition("Points", "Resembles", "5")))
    found, verdicts = evaluate_filter(parse_filter(text), attribute_lookup({"Points": "5"}), NOW)
    assert found is CANNOT_TELL
    assert "the operator Resembles is not known" in verdicts[0].because


TRUE = condition("Tier", "Equal", "Gold")
FALSE = condition("Tier", "Equal", "Silver")
UNKNOWN = condition("Tier", "Mystery", "x")


@pytest.mark.parametrize(
    ("operator", "items", "expected"),
    [
        ("AND", [TRUE, TRUE], YES),
        ("AND", [TRUE, FALSE], NO),
        ("AND", [TRUE, UNKNOWN], CANNOT_TELL),
        ("AND", [UNKNOWN, FALSE], NO),  # one "no" settles an AND
        ("OR", [FALSE, FALSE], NO),
        ("OR", [FALSE, UNKNOWN], CANNOT_TELL),
        ("OR", [UNKNOWN, TRUE], YES),  # one "yes" settles an OR
        ("OR", [FALSE, TRUE], YES),
        ("AND", [TRUE, group("OR", FALSE, TRUE)], YES),
        ("AND", [TRUE, group("OR", FALSE, UNKNOWN)], CANNOT_TELL),
        ("OR", [FALSE, group("AND", TRUE, FALSE)], NO),
        ("OR", [UNKNOWN, group("AND", TRUE, TRUE)], YES),
    ],
)
def test_and_or_have_three_answers(operator, items, expected):
    assert answer(filter_text(group(operator, *items)), {"Tier": "gold"}) is expected


def test_the_filters_top_level_groups_must_all_match_and_each_condition_has_its_verdict():
    text = filter_text(group("OR", TRUE, FALSE), group("AND", condition("Points", "LessThan", "9")))
    found, verdicts = evaluate_filter(
        parse_filter(text), attribute_lookup({"Tier": "Gold", "Points": "12"}), NOW
    )
    assert found is NO
    assert [v.answer for v in verdicts] == [YES, NO, NO]
    assert verdicts[0].because == "'Tier equals Gold' matched (Tier is 'Gold')"
    assert verdicts[2].because == "'Points is less than 9' did not match (Points is '12')"


def test_an_empty_filter_is_met():
    assert answer(filter_text(group("AND")), {}) is YES


START = "Event.SalesforceObj6aa8.Event_Registration__c:Event__r:Event_Start_Date__c"


@pytest.mark.parametrize(
    "values",
    [
        {START: "2026-05-01"},  # the whole key
        {"Event_Registration__c:Event__r:Event_Start_Date__c": "2026-05-01"},  # its path
        {"event_start_date__c": "2026-05-01"},  # the field's name, in any case
        {" Event_Start_Date__c ": "2026-05-01"},
    ],
)
def test_an_attribute_is_found_by_its_whole_key_its_field_name_or_its_last_part(values):
    assert attribute_lookup(values)(START) == "2026-05-01"
    text = filter_text(group("AND", condition(START, "After", "2026-04-30")))
    assert answer(text, values) is YES


def test_the_whole_key_wins_over_another_attribute_with_the_same_field_name():
    lookup = attribute_lookup({"Event.DE-1.Tier": "Gold", "Contact.Tier": "Silver"})
    assert lookup("Event.DE-1.Tier") == "Gold"
    assert lookup("Contact.Tier") == "Silver"
    assert lookup("Event.DE-1.Points") is None
