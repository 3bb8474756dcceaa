from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.journeys_gen import edit_journey, generate_journey
from journeys.domain import topology


def journey(*activities):
    return {"activities": list(activities)}


def act(key, *nexts):
    return {
        "key": key,
        "type": "WAIT",
        "outcomes": [{"key": f"{key}-o{i}", "next": n} for i, n in enumerate(nexts)],
    }


def load_real(real_fixtures_dir, name):
    return json.loads((real_fixtures_dir / name).read_text())


def real_journeys(real_fixtures_dir):
    docs = [json.loads(p.read_text()) for p in sorted(real_fixtures_dir.glob("*.json"))]
    return [d for d in docs if "activities" in d]


def test_successors_follow_outcome_order_and_skip_ends_and_dangling():
    doc = journey(act("A", "C", None, "B", "GONE", "C"), act("B"), act("C", ""))
    assert topology.successors(doc) == {"A": ["C", "B"], "B": [], "C": []}


def test_predecessors_list_each_source_once_in_document_order():
    doc = journey(act("A", "B", "C"), act("B", "C", "C"), act("C"))
    assert topology.predecessors(doc) == {"A": [], "B": ["A"], "C": ["A", "B"]}


def test_roots_are_activities_nobody_points_to_in_document_order():
    doc = journey(act("X", "A"), act("A"), act("Y", "A"))
    assert topology.roots(doc) == ["X", "Y"]
    assert topology.start_key(doc) == "X"


def test_start_is_first_activity_when_everything_loops():
    doc = journey(act("A", "B"), act("B", "A"))
    assert topology.roots(doc) == []
    assert topology.start_key(doc) == "A"
    assert topology.unreachable(doc) == []


def test_dangling_next_is_reported_with_its_outcome_key():
    doc = journey(act("A", "B", "NOPE"), act("B"))
    assert topology.dangling_nexts(doc) == [("A", "A-o1", "NOPE")]


def test_dangling_next_of_an_unkeyed_outcome_is_identified_by_its_index():
    doc = journey({"key": "A", "outcomes": [{"next": None}, {"next": "NOPE"}]})
    assert topology.dangling_nexts(doc) == [("A", "1", "NOPE")]


def test_unreachable_counts_from_the_first_root_so_a_second_start_is_unreachable():
    doc = journey(act("A", "B"), act("B"), act("LOST", "B2"), act("B2"))
    assert topology.unreachable(doc) == ["LOST", "B2"]


def test_an_island_loop_is_unreachable():
    doc = journey(act("A"), act("L1", "L2"), act("L2", "L1"))
    assert topology.unreachable(doc) == ["L1", "L2"]


def test_reachable_from_includes_the_start_key_and_ignores_unknown_keys():
    doc = journey(act("A", "B"), act("B", "C"), act("C"), act("D", "C"))
    assert topology.reachable_from(doc, "B") == {"B", "C"}
    assert topology.reachable_from(doc, "nope") == set()


def test_cycles_start_at_their_first_member_in_document_order():
    doc = journey(act("A", "B"), act("B", "C"), act("C", "B"), act("D", "D"))
    assert topology.cycles(doc) == [["B", "C"], ["D"]]


def test_one_cycle_is_reported_per_looping_component():
    doc = journey(act("A", "B"), act("B", "C", "A"), act("C", "A"))
    assert topology.cycles(doc) == [["A", "B", "C"]]


def test_acyclic_joins_are_not_cycles():
    doc = journey(act("A", "B", "C"), act("B", "D"), act("C", "D"), act("D"))
    assert topology.cycles(doc) == []


def test_a_long_chain_does_not_hit_the_recursion_limit():
    keys = [f"W-{i}" for i in range(5000)]
    doc = journey(*(act(k, n) for k, n in zip(keys, [*keys[1:], keys[0]], strict=True)))
    assert topology.cycles(doc) == [keys]
    assert topology.unreachable(doc) == []


@pytest.mark.parametrize(
    "doc",
    [
        None,
        [],
        "text",
        {},
        {"activities": "nope"},
        {"activities": [1, None, "x", [], {"key": 7}, {"outcomes": [{"next": "A"}]}]},
        {"activities": [{"key": "A", "outcomes": "bad"}, {"key": "B", "outcomes": [3, None]}]},
        {"activities": [{"key": "A", "outcomes": [{"next": 5}, {"next": ["B"]}]}, {"key": "B"}]},
    ],
)
def test_malformed_documents_never_raise(doc):
    for function in (
        topology.successors,
        topology.predecessors,
        topology.roots,
        topology.dangling_nexts,
        topology.unreachable,
        topology.cycles,
        topology.start_key,
    ):
        function(doc)
    assert topology.reachable_from(doc, "A") <= {"A"}


def test_malformed_items_are_skipped_but_the_rest_is_read():
    doc = {"activities": [7, {"key": "A", "outcomes": [None, {"next": "B"}]}, {"key": "B"}]}
    assert topology.successors(doc) == {"A": ["B"], "B": []}


def test_a_duplicated_key_uses_the_first_activity():
    doc = journey(act("A", "B"), act("B"), act("A", "C"), act("C"))
    assert topology.successors(doc)["A"] == ["B"]
    assert topology.roots(doc) == ["A", "C"]


def test_every_real_journey_has_one_root_first_and_no_graph_defect(real_fixtures_dir):
    docs = real_journeys(real_fixtures_dir)
    assert len(docs) == 19
    for doc in docs:
        assert topology.roots(doc) == [doc["activities"][0]["key"]]
        assert topology.unreachable(doc) == []
        assert topology.dangling_nexts(doc) == []
        assert topology.cycles(doc) == []


def test_real_random_split_lists_its_five_paths(real_fixtures_dir):
    doc = load_real(real_fixtures_dir, "10-coh-random-and-decision-split.json")
    assert topology.successors(doc)["RANDOMSPLITV2-1"] == [
        "EMAILV2-1",
        "WAITBYDURATION-1",
        "WAITBYDURATION-4",
        "WAITBYDURATION-5",
        "WAITBYDURATION-6",
    ]


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 120), st.integers(0, 10**6), st.integers(0, 30))
def test_generated_and_edited_journeys_keep_the_real_graph_invariants(size, seed, edits):
    doc = edit_journey(generate_journey(size, seed), edits, seed + 1)
    assert topology.roots(doc) == [doc["activities"][0]["key"]]
    assert topology.unreachable(doc) == []
    assert topology.dangling_nexts(doc) == []
    assert topology.cycles(doc) == []
    successors = topology.successors(doc)
    mirrored = {(p, k) for k, parents in topology.predecessors(doc).items() for p in parents}
    assert mirrored == {(k, n) for k, nexts in successors.items() for n in nexts}


def test_outcome_links_keep_ends_and_dangling_targets_in_outcome_order():
    doc = journey({"key": "A", "outcomes": [{"key": "y", "next": "B"}, {"next": ""}, 5]}, act("B"))
    assert topology.outcome_links(doc) == {"A": [("y", "B"), ("1", None)], "B": []}
