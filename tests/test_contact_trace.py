"""Which canvas nodes and links a test contact's path went through, and how the editor words
its ending and its failed expectations (pure: no database)."""

from __future__ import annotations

import json
from datetime import datetime

from journeys.contact_display import ending_words, expectation_problem, timeline_rows
from journeys.domain.contact_paths import Assumptions, TestContact
from journeys.domain.contact_trace import keyed_items, path_trace
from journeys.domain.expectations import check, parse_expectation
from journeys.domain.stepper import step_contact

ENTRY = datetime(2026, 12, 1, 9, 0)
# Alice (not converted) through fixture 14, as test_stepper checked it by hand.
ALICES_NODES = [
    "TRIGGER",
    "EMAILV2-1",
    "WAITBYDURATION-2",
    "MULTICRITERIADECISIONV2-1",
    "STOWAIT-3",
    "EMAILV2-2",
    "WAITBYDURATION-3",
    "MULTICRITERIADECISIONV2-2",
    "STOWAIT-4",
    "EMAILV2-3",
    "WAITBYDURATION-4",
]


def load(real_fixtures_dir, name):
    return json.loads((real_fixtures_dir / name).read_text())


def walk(journey, branches=None, **values):
    contact = TestContact("Alice", values, ENTRY, assumptions=Assumptions(branches=branches or {}))
    return step_contact(journey, contact)


def outcome_key(journey, key):
    [outcome] = keyed_items(journey, "activities")[key]["outcomes"]
    return outcome["key"]


def test_a_path_to_the_end_traces_every_activity_each_link_taken_and_its_end(real_fixtures_dir):
    journey = load(real_fixtures_dir, "14-coh-goal-and-exit-criteria.json")
    [path] = walk(journey, Converted="false")
    trace = path_trace(journey, path)
    last = outcome_key(journey, "WAITBYDURATION-4")
    assert trace.nodes == {*ALICES_NODES, f"end:WAITBYDURATION-4:{last}"}
    assert ("TRIGGER", "") in trace.edges
    assert ("MULTICRITERIADECISIONV2-1", "default_path_1") in trace.edges
    assert ("MULTICRITERIADECISIONV2-1", "remainder_path") not in trace.edges
    assert ("EMAILV2-1", outcome_key(journey, "EMAILV2-1")) in trace.edges
    assert len(trace.edges) == len(ALICES_NODES)  # the entry's, and one out of each activity
    assert trace.stop == ""
    assert ending_words(path, keyed_items(journey, "activities")) == (
        "ended after 'Healthy Lifestyle'"  # the last activity that is not a wait
    )


def test_a_goal_met_at_entry_traces_the_entry_and_the_goal_only(real_fixtures_dir):
    journey = load(real_fixtures_dir, "14-coh-goal-and-exit-criteria.json")
    [path] = walk(journey, Converted="true")
    trace = path_trace(journey, path)
    assert (trace.nodes, trace.edges, trace.stop) == ({"TRIGGER", "GOAL"}, frozenset(), "GOAL")


def test_exit_criteria_stop_the_trace_at_the_wait_and_mark_the_exit(real_fixtures_dir):
    journey = load(real_fixtures_dir, "14-coh-goal-and-exit-criteria.json")
    [path] = walk(journey, Converted="false", RMTOptInStatus="Unsubscribed")
    trace = path_trace(journey, path)
    assert trace.nodes == {"TRIGGER", "EMAILV2-1", "WAITBYDURATION-2", "EXITCRITERIA"}
    assert trace.stop == "EXITCRITERIA"
    assert ("WAITBYDURATION-2", outcome_key(journey, "WAITBYDURATION-2")) not in trace.edges


def test_a_path_that_cannot_be_told_traces_the_link_into_the_activity_it_stopped_at():
    journey = {
        "key": "j",
        "triggers": [{"key": "IN", "type": "APIEvent"}],
        "activities": [
            {
                "key": "MAIL",
                "type": "EMAILV2",
                "name": "Hello",
                "outcomes": [{"key": "a", "next": "X"}],
            },
            {"key": "X", "type": "SOMETHINGNEW", "outcomes": [{"key": "b"}]},
        ],
    }
    [path] = walk(journey)
    trace = path_trace(journey, path)
    assert trace.nodes == {"IN", "MAIL", "X"}
    assert trace.edges == {("IN", ""), ("MAIL", "a")}
    assert trace.stop == "X"
    assert ending_words(path, {}) == "cannot tell what SOMETHINGNEW does (type SOMETHINGNEW)"
    [rows_end] = timeline_rows(path)[-1:]
    assert rows_end.ending and rows_end.key == "X"
    outcome = check(parse_expectation("receives Goodbye"), [path])
    assert expectation_problem("Alice", outcome) == (
        "Test contact 'Alice': expected to receive 'Goodbye' — "
        "cannot tell what SOMETHINGNEW does (type SOMETHINGNEW)"
    )


def test_each_random_split_path_traces_its_own_branch(real_fixtures_dir):
    journey = load(real_fixtures_dir, "10-coh-random-and-decision-split.json")
    paths = walk(journey)
    traced = [path_trace(journey, path) for path in paths]
    branches = {edge for trace in traced for edge in trace.edges if edge[0] == "RANDOMSPLITV2-1"}
    assert len(branches) == 5  # one branch per path, all five different
    assert all(len([e for e in t.edges if e[0] == "RANDOMSPLITV2-1"]) == 1 for t in traced)
    [chosen] = walk(journey, branches={"RANDOMSPLITV2-1": "branchResult-2"})
    trace = path_trace(journey, chosen)
    assert ("RANDOMSPLITV2-1", "branchResult-2") in trace.edges
    assert "WAITBYDURATION-1" in trace.nodes and "WAITBYDURATION-4" not in trace.nodes
