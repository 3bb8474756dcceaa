"""Test contacts read from a CSV or JSON sheet against real journeys: what a good sheet gives,
and for a bad one every problem with its row, all at once, and no contacts."""

from __future__ import annotations

import json
from datetime import datetime
from fractions import Fraction

import pytest

from journeys.domain.contact_paths import Assumptions, TestContact
from journeys.domain.contact_runs import run_contacts
from journeys.domain.contact_sheet import MAX_CONTACTS, ContactSheetError, read_contacts
from journeys.domain.expectations import PASSED

DEFAULT_ENTRY = datetime(2026, 11, 1, 8, 0)
RANDOM_AND_DECISION = "10-coh-random-and-decision-split.json"  # emails, a 5-way random split
GOAL_AND_EXIT = "14-coh-goal-and-exit-criteria.json"  # Converted is compared with "is"
SALESFORCE_SMS = "07-greenpeace-sfobject-trigger-sms-salescloud.json"  # a count compared by number
APPOINTMENTS = "17-coh-exit-criteria-decision-small.json"  # ApptDate compared as a date
WAIT_BY_ATTRIBUTE = "21-coh-wait-by-attribute-sfobject.json"  # Salesforce relationship fields


@pytest.fixture
def load(real_fixtures_dir):
    return lambda name: json.loads((real_fixtures_dir / name).read_text())


def problems_of(text, journey, **kwargs):
    with pytest.raises(ContactSheetError) as raised:
        read_contacts(text, journey, DEFAULT_ENTRY, **kwargs)
    return raised.value.problems


def test_a_csv_sheet_gives_values_entry_key_expectations_and_assumptions(load):
    journey = load(RANDOM_AND_DECISION)
    sheet = (
        "\ufeffName,Entered,Contact Key,CancerFighterStatus,Expect,"
        "assume: Cancer Compass Final Message,Assume: RANDOMSPLITV2-1\n"
        "Alice,2026-12-01 09:00,alice-1, Active ,"
        "receives Cancer Compass Final Message;  ends in  branch Path 2,opened,Path 2\n"
        "Bob,,,,,clicked+bounced,every\n"
        "Cleo,2026-12-02,,,,,\n"
    )
    alice, bob, cleo = read_contacts(sheet, journey, DEFAULT_ENTRY)
    assert alice == TestContact(
        "Alice",
        {"CancerFighterStatus": "Active"},
        datetime(2026, 12, 1, 9, 0),
        "alice-1",
        Assumptions({"EMAILV2-1": frozenset({"opened"})}, {"RANDOMSPLITV2-1": "Path 2"}),
        ("receives Cancer Compass Final Message", "ends in branch Path 2"),
    )
    assert bob == TestContact(
        "Bob",
        {"CancerFighterStatus": ""},
        DEFAULT_ENTRY,  # no entry time: the caller's
        "",
        Assumptions({"EMAILV2-1": frozenset({"clicked", "bounced"})}, {"RANDOMSPLITV2-1": "every"}),
    )
    assert bob.identity == "Bob"
    assert cleo.entered_at == datetime(2026, 12, 2)
    assert cleo.assumptions == Assumptions()  # empty cells assume nothing


def test_the_contacts_of_a_sheet_walk_the_journey_as_their_assumptions_say(load):
    journey = load(RANDOM_AND_DECISION)
    sheet = (
        "name,CancerFighterStatus,expect,assume: RANDOMSPLITV2-1\n"
        "Alice,Active,receives Cancer Compass Final Message; ends in branch Path 2,Path 2\n"
        "Bob,,,every\n"
    )
    alice, bob = run_contacts(journey, read_contacts(sheet, journey, DEFAULT_ENTRY))
    assert [outcome.result for outcome in alice.outcomes] == [PASSED, PASSED]
    assert len(bob.paths) == 5
    assert [path.share for path in bob.paths] == [Fraction(1, 5)] * 5


def test_a_json_sheet_gives_the_same_with_json_values_as_text(load):
    journey = load(GOAL_AND_EXIT)
    sheet = json.dumps(
        [
            {
                "name": "Alice",
                "entered": "2026-12-01T09:00",
                "contact key": "alice-1",
                "values": {"Converted": True, "ContactStatus": 3, "RMTOptInStatus": None},
                "assume": {"Screening": "clicked", "EMAILV2-2": "none"},
                "expect": ["receives Screening", "meets the goal"],
            },
            {"name": "Bob", "expect": "never receives Healthy Lifestyle"},
        ]
    )
    alice, bob = read_contacts(sheet, journey, DEFAULT_ENTRY)  # JSON: it starts with "["
    assert alice == TestContact(
        "Alice",
        {"Converted": "true", "ContactStatus": "3", "RMTOptInStatus": ""},
        datetime(2026, 12, 1, 9, 0),
        "alice-1",
        Assumptions({"EMAILV2-1": frozenset({"clicked"}), "EMAILV2-2": frozenset()}, {}),
        ("receives Screening", "meets the goal"),
    )
    assert bob == TestContact("Bob", {}, DEFAULT_ENTRY, expectations=(bob.expectations[0],))
    assert bob.expectations == ("never receives Healthy Lifestyle",)


def test_a_json_random_split_assumption_names_the_split_by_its_key(load):
    journey = load("18-coh-randomsplit-goal-emailaudience.json")
    sheet = '[{"name": "Alice", "assume": {"randomsplitv2-1": "every"}}]'
    [alice] = read_contacts(sheet, journey, DEFAULT_ENTRY, is_json=True)
    assert alice.assumptions.branches == {"RANDOMSPLITV2-1": "every"}


@pytest.mark.parametrize(
    "header",
    [
        "Event.SalesforceObj6aa83635f8cdd12c79a086354c862110"
        ".Event_Registration__c:Event__r:Event_Start_Date__c",
        "Event_Registration__c:Event__r:Event_Start_Date__c",
        "Event_Start_Date__c",
        "event_start_date__c",
    ],
)
def test_an_attribute_is_named_by_its_whole_key_its_path_or_its_field_name(load, header):
    journey = load(WAIT_BY_ATTRIBUTE)
    [alice] = read_contacts(f"name,{header}\nAlice,2026-12-20\n", journey, DEFAULT_ENTRY)
    assert alice.values == {header: "2026-12-20"}


def test_values_of_the_type_the_journey_compares_are_accepted(load):
    sheet = "name,Active_Recurring_Donation_Count__c,Confirmed_Multiple_RD__c\nAlice,3,TRUE\n"
    [alice] = read_contacts(sheet, load(SALESFORCE_SMS), DEFAULT_ENTRY)
    assert alice.values == {
        "Active_Recurring_Donation_Count__c": "3",
        "Confirmed_Multiple_RD__c": "TRUE",
    }
    dates = "name,ApptDate\nAlice,2026-12-01\nBob,12/1/2026 9:00 AM\nCleo,;+;3;days\n"
    assert len(read_contacts(dates, load(APPOINTMENTS), DEFAULT_ENTRY)) == 3


# (fixture, sheet, the problems it has, all of them)
BAD_SHEETS = {
    "unknown column": (
        RANDOM_AND_DECISION,
        "name,Shoe size\nAlice,42\nBob,\n",
        ["rows 2 and 3: 'Shoe size' is not an attribute this journey uses"],
    ),
    "not a number": (
        SALESFORCE_SMS,
        "name,Active_Recurring_Donation_Count__c\nAlice,abc\nBob,4\n",
        [
            "row 2: Active_Recurring_Donation_Count__c is compared as a number or date, "
            "but “abc” is neither."
        ],
    ),
    "not true or false": (
        GOAL_AND_EXIT,
        "name,Converted\nAlice,true\nBob,maybe\n",
        ["row 3: Converted is compared with “is”, which takes true or false, not “maybe”."],
    ),
    "not a date": (
        APPOINTMENTS,
        "name,ApptDate\nAlice,soon\n",
        ["row 2: ApptDate is compared as a date, but “soon” is not a date."],
    ),
    "no such day": (
        APPOINTMENTS,
        "name,ApptDate\nAlice,2026-02-30\n",
        ["row 2: ApptDate is compared as a date, but “2026-02-30” is no day of the calendar."],
    ),
    "bad entry time": (
        RANDOM_AND_DECISION,
        "name,entered\nAlice,yesterday\nBob,2026-12-01 25:00\n",
        [
            "row 2: 'yesterday' is not an entry date and time like 2026-12-01 09:00",
            "row 3: '2026-12-01 25:00' is not an entry date and time like 2026-12-01 09:00",
        ],
    ),
    "duplicate names": (
        RANDOM_AND_DECISION,
        "name\nAlice\nBob\n Alice \n",
        ["rows 2 and 4: more than one contact is named 'Alice'"],
    ),
    "no name": (RANDOM_AND_DECISION, "name,entered\n,2026-12-01\n", ["row 2: has no name"]),
    "unknown expectation": (
        RANDOM_AND_DECISION,
        "name,expect\nAlice,receives Cancer Compass Final Message; gets a cake\n",
        [
            "row 2: 'gets a cake' is not an expectation; write one of: receives NAME, "
            "never receives NAME, ends in branch NAME, meets the goal, exits by the goal, "
            "exits by the exit criteria, reaches the end, is not admitted"
        ],
    ),
    "assumption of no activity": (
        RANDOM_AND_DECISION,
        "name,assume: Thank-you email\nAlice,opened\nBob,\n",
        ["row 2: assume: there is no activity 'Thank-you email'"],
    ),
    "assumption of a wait": (
        RANDOM_AND_DECISION,
        "name,assume: WAITBYDURATION-1\nAlice,2 hours\n",
        ["row 2: assume: 'WAITBYDURATION-1' is neither an email nor a split"],
    ),
    "engagement that is none": (
        RANDOM_AND_DECISION,
        "name,assume: EMAILV2-1\nAlice,read it twice\n",
        ["row 2: assume EMAILV2-1: say opened, clicked, bounced or none"],
    ),
    "more values than headers": (
        RANDOM_AND_DECISION,
        "name,CancerFighterStatus\nAlice,Active\nBob,Active,extra\nCleo,,,\n",
        ["rows 3 and 4: more values than headers"],
    ),
    "no name column": (
        RANDOM_AND_DECISION,
        "who,CancerFighterStatus\nAlice,Active\n",
        ["the first line must be the headers, with a 'name' column"],
    ),
    "JSON that is not a list of contacts": (
        RANDOM_AND_DECISION,
        '[{"name": "Alice"}, "Bob"]',
        ["the JSON must be a list of contacts (objects)"],
    ),
    "JSON of the wrong shapes": (
        RANDOM_AND_DECISION,
        json.dumps(
            [
                {"name": "Alice", "values": ["Active"]},
                {"name": "Bob", "values": {"CancerFighterStatus": {"is": "Active"}}},
                {"name": "Cleo", "assume": "opened", "expect": {"receives": "x"}},
            ]
        ),
        [
            "row 1: 'values' must be an object of attribute: value",
            "row 2: the value of 'CancerFighterStatus' must be text, a number or true/false",
            "row 3: 'assume' must be an object of activity: assumption",
            "row 3: 'expect' must be a list of phrases",
        ],
    ),
}


@pytest.mark.parametrize("case", BAD_SHEETS.values(), ids=BAD_SHEETS.keys())
def test_a_bad_sheet_gives_its_problems_with_their_rows_and_no_contacts(load, case):
    fixture, sheet, problems = case
    assert problems_of(sheet, load(fixture)) == problems


def test_every_problem_of_a_sheet_is_reported_at_once_in_row_order(load):
    journey = load(APPOINTMENTS)
    sheet = (
        "name,entered,ApptDate,Shoe size,expect,assume: Nowhere\n"
        "Alice,2026-12-01,soon,,reaches the end,\n"
        "Bob,later,2026-12-01,44,gets a cake,opened\n"
        "Alice,,,,,\n"
        "Dan,,,,,,,\n"
    )
    assert problems_of(sheet, journey) == [
        "row 2: ApptDate is compared as a date, but “soon” is not a date.",
        "rows 2, 3 and 4: 'Shoe size' is not an attribute this journey uses",
        "rows 2 and 4: more than one contact is named 'Alice'",
        "row 3: assume: there is no activity 'Nowhere'",
        "row 3: 'gets a cake' is not an expectation; write one of: receives NAME, never "
        "receives NAME, ends in branch NAME, meets the goal, exits by the goal, exits by the "
        "exit criteria, reaches the end, is not admitted",
        "row 3: 'later' is not an entry date and time like 2026-12-01 09:00",
        "row 5: more values than headers",
    ]


def test_a_sheet_of_more_contacts_than_the_limit_is_refused_whole(load):
    journey = load(RANDOM_AND_DECISION)
    rows = "".join(f"Contact {n}\n" for n in range(MAX_CONTACTS))
    assert len(read_contacts("name\n" + rows, journey, DEFAULT_ENTRY)) == MAX_CONTACTS
    too_many = "name\n" + rows + "One more\n"
    assert problems_of(too_many, journey) == [
        f"the sheet has {MAX_CONTACTS + 1} contacts; at most {MAX_CONTACTS}"
    ]
    as_json = json.dumps([{"name": f"C{n}"} for n in range(MAX_CONTACTS + 1)])
    assert problems_of(as_json, journey, is_json=True) == [
        f"the sheet has {MAX_CONTACTS + 1} contacts; at most {MAX_CONTACTS}"
    ]


def test_malformed_json_says_where_it_breaks(load):
    [problem] = problems_of('[{"name": "Alice",]', load(RANDOM_AND_DECISION))
    assert problem.startswith("the file is not valid JSON: ")
    assert "line 1 column 19" in problem


def test_the_error_says_all_its_problems_in_one_message(load):
    sheet = '[{}, {"name": " "}, {"name": "Alice", "entered": "soon"}]'
    expected = (
        "rows 1 and 2: has no name; "
        "row 3: 'soon' is not an entry date and time like 2026-12-01 09:00"
    )
    with pytest.raises(ContactSheetError) as raised:
        read_contacts(sheet, load(RANDOM_AND_DECISION), DEFAULT_ENTRY)
    assert str(raised.value) == expected


def test_csv_rows_are_the_lines_a_person_sees_and_rows_of_empty_cells_are_skipped(load):
    sheet = "name,entered\n\nAlice,soon\n,\n , \nBob,later\n"
    assert problems_of(sheet, load(RANDOM_AND_DECISION)) == [
        "row 3: 'soon' is not an entry date and time like 2026-12-01 09:00",
        "row 6: 'later' is not an entry date and time like 2026-12-01 09:00",
    ]
