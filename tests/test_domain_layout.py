from __future__ import annotations

import copy
import json
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.journeys_gen import edit_journey, generate_journey
from journeys.domain import topology
from journeys.domain.layout import (
    EDGE_LABEL_MEASURE_PX,
    MAX_LABEL_ROOM,
    NODE_WIDTH,
    layout,
    outcome_label,
)
from journeys.domain.text_width import fit, text_width, wrap


def real_journeys(real_fixtures_dir):
    docs = [json.loads(p.read_text()) for p in sorted(real_fixtures_dir.glob("*.json"))]
    return [d for d in docs if "activities" in d]


def load_real(real_fixtures_dir, name):
    return json.loads((real_fixtures_dir / name).read_text())


def act(key, *nexts):
    return {
        "key": key,
        "type": "WAIT",
        "outcomes": [{"key": f"o{i}", "next": n} for i, n in enumerate(nexts)],
    }


def with_trigger(*activities, **extra):
    return {
        "triggers": [{"key": "TRIGGER", "outcomes": []}],
        "activities": list(activities),
        **extra,
    }


def boxes_overlap(a, b):
    return (
        a.x < b.x + b.width
        and b.x < a.x + a.width
        and a.y < b.y + b.height
        and b.y < a.y + a.height
    )


def segment_enters(box, start, end):
    (x1, y1), (x2, y2) = start, end
    if y1 == y2:
        return (
            box.y < y1 < box.y + box.height
            and min(x1, x2) < box.x + box.width
            and max(x1, x2) > box.x
        )
    return (
        box.x < x1 < box.x + box.width and min(y1, y2) < box.y + box.height and max(y1, y2) > box.y
    )


def on_path(point, points):
    x, y = point
    return any(
        min(a[0], b[0]) <= x <= max(a[0], b[0]) and min(a[1], b[1]) <= y <= max(a[1], b[1])
        for a, b in zip(points, points[1:], strict=False)
    )


def assert_well_formed(result):
    boxes = [*result.nodes, *result.side_boxes]
    for i, a in enumerate(boxes):
        assert (
            a.x >= 0
            and a.x + a.width <= result.width
            and a.y >= 0
            and a.y + a.height <= result.height
        )
        for b in boxes[i + 1 :]:
            assert not boxes_overlap(a, b), (a, b)
    by_key = {box.key: box for box in result.nodes}
    for edge in result.edges:
        points = edge.points
        for start, end in zip(points, points[1:], strict=False):
            assert start != end and (start[0] == end[0] or start[1] == end[1]), edge
            for box in result.nodes:
                assert not segment_enters(box, start, end), (edge.source, edge.target, box.key)
        source, target = by_key[edge.source], by_key[edge.target]
        assert points[0] == (source.x + source.width, source.y + source.height // 2)
        assert points[-1] == (target.x, target.y + target.height // 2)
        assert on_path(edge.drop_slot, points)
        assert not any(segment_enters(box, edge.drop_slot, edge.drop_slot) for box in result.nodes)
        assert edge.d.startswith(f"M{points[0][0]} {points[0][1]}")
    assert len({e.drop_slot for e in result.edges}) == len(result.edges)


def test_every_real_journey_lays_out_without_overlaps_or_crossings(real_fixtures_dir):
    for doc in real_journeys(real_fixtures_dir):
        result = layout(doc)
        assert_well_formed(result)
        activity_keys = [b.key for b in result.nodes if b.kind == "activity"]
        assert sorted(activity_keys) == sorted(a["key"] for a in doc["activities"])


def test_trigger_is_leftmost_and_leads_to_the_start(real_fixtures_dir):
    doc = load_real(
        real_fixtures_dir, "08-greenpeace-automation-audience-stowait-updatecontact.json"
    )
    result = layout(doc)
    trigger = next(b for b in result.nodes if b.kind == "trigger")
    assert trigger.x == min(b.x for b in result.nodes)
    entry = [e for e in result.edges if e.kind == "entry"]
    assert [(e.source, e.target) for e in entry] == [("TRIGGER", "SALESCLOUDACTIVITY-2")]


def test_columns_follow_the_longest_path_so_a_join_is_right_of_all_its_sources():
    doc = with_trigger(act("A", "B", "J"), act("B", "C"), act("C", "J"), act("J", None))
    by_key = {b.key: b for b in layout(doc).nodes}
    assert by_key["J"].x > by_key["C"].x > by_key["B"].x > by_key["A"].x
    assert by_key["J"].x - by_key["C"].x == by_key["C"].x - by_key["B"].x


def test_a_join_target_is_placed_once_and_every_source_has_an_edge_to_it():
    doc = with_trigger(act("A", "B", "C"), act("B", "J"), act("C", "J"), act("J"))
    result = layout(doc)
    assert [b.key for b in result.nodes].count("J") == 1
    into_j = sorted((e.source, e.kind) for e in result.edges if e.target == "J")
    assert into_j == [("B", "next"), ("C", "join")]


def test_each_path_end_gets_its_own_end_marker():
    doc = with_trigger(act("A", "B", None, ""), act("B", None))
    result = layout(doc)
    ends = sorted(b.key for b in result.nodes if b.kind == "end")
    assert ends == ["end:A:o1", "end:A:o2", "end:B:o0"]
    assert {e.target for e in result.edges if e.kind == "end"} == set(ends)


def test_branches_are_stacked_in_outcome_order_without_overlap():
    doc = with_trigger(act("S", "X", "Y", "Z"), act("X"), act("Y", "Y2"), act("Y2"), act("Z"))
    by_key = {b.key: b for b in layout(doc).nodes}
    assert by_key["X"].y < by_key["Y"].y < by_key["Z"].y
    assert by_key["X"].x == by_key["Y"].x == by_key["Z"].x
    assert by_key["Y"].y + 64 <= by_key["Z"].y


def test_goals_and_exits_are_side_boxes_outside_the_flow(real_fixtures_dir):
    doc = load_real(real_fixtures_dir, "14-coh-goal-and-exit-criteria.json")
    result = layout(doc)
    assert [(b.kind, b.key) for b in result.side_boxes] == [
        ("goal", "GOAL"),
        ("exit", "EXITCRITERIA"),
    ]
    assert not {"GOAL", "EXITCRITERIA"} & {b.key for b in result.nodes}
    assert max(b.y + b.height for b in result.side_boxes) < min(b.y for b in result.nodes)


def test_outcome_labels_come_from_metadata_or_arguments(real_fixtures_dir):
    split = load_real(real_fixtures_dir, "10-coh-random-and-decision-split.json")
    labels = {e.outcome_key: e.label for e in layout(split).edges if e.source == "RANDOMSPLITV2-1"}
    assert labels["branchResult-1"] == "Path 1 (20%)"
    engagement = load_real(real_fixtures_dir, "13-coh-engagement-decision-goal.json")
    assert [e.label for e in layout(engagement).edges if e.source == "ENGAGEMENTSPLITV2-1"] == [
        "Yes",
        "No",
    ]
    assert outcome_label({"arguments": {"percentage": 30}}) == "30%"
    assert outcome_label({"arguments": {"when": False}}) == "No"
    assert outcome_label({"arguments": {"branchResult": "redeemed"}}) == "redeemed"
    assert outcome_label({"metaData": {"invalid": False}}) == ""


def test_split_labels_start_after_the_turn_above_their_own_branch():
    doc = with_trigger(act("S", "X", "Y"), act("X"), act("Y"))
    result = layout(doc)
    edges = [e for e in result.edges if e.source == "S"]
    assert edges[0].label_at[1] < edges[1].label_at[1]
    assert all(e.label_at[0] > NODE_WIDTH for e in edges)


LONG_CONDITION = (
    "MobilePhone is empty or MobilePhone does not contain +886 or MobilePhone contains 0000000"
)


def test_a_labelled_column_gets_room_for_at_least_40_characters_of_its_labels():
    doc = with_trigger(act("S", "X", None), act("X", None))
    plain = layout(doc)
    drawn = layout(doc, {("S", "o0"): LONG_CONDITION})
    label = next(e for e in drawn.edges if e.source == "S" and e.outcome_key == "o0")
    shown = fit(LONG_CONDITION, label.label_room, EDGE_LABEL_MEASURE_PX)
    assert len(shown) >= 40 and label.label_room >= MAX_LABEL_ROOM
    assert_well_formed(drawn)
    # Only the gap after the labelled column grew; the next one did not.
    x = {box.key: box.x for box in drawn.nodes}
    x_plain = {box.key: box.x for box in plain.nodes}
    assert x["X"] - x["S"] > x_plain["X"] - x_plain["S"]
    assert drawn.width - x["X"] == plain.width - x_plain["X"]


def test_a_short_label_keeps_the_usual_gap_and_a_real_branch_name_fits_whole(real_fixtures_dir):
    doc = with_trigger(act("S", "X"), act("X"))
    assert layout(doc, {("S", "o0"): "Yes"}) == layout(doc)
    real = layout(
        load_real(real_fixtures_dir, "07-greenpeace-sfobject-trigger-sms-salescloud.json")
    )
    for edge in real.edges:
        assert edge.label_room >= text_width(edge.label, EDGE_LABEL_MEASURE_PX), edge.label


def test_same_input_gives_identical_output():
    doc = generate_journey(120, 7)
    assert layout(doc) == layout(copy.deepcopy(doc))


def test_layout_ignores_activity_order_and_key_order_of_unrelated_fields():
    doc = generate_journey(80, 3)
    shuffled = copy.deepcopy(doc)
    rest = shuffled["activities"][1:]
    random.Random(1).shuffle(rest)
    shuffled["activities"][1:] = rest
    for activity in shuffled["activities"]:
        activity["schema"]["arguments"] = dict(reversed(activity["schema"]["arguments"].items()))
        for key in reversed(list(activity)):
            activity[key] = activity.pop(key)
    shuffled = dict(reversed(shuffled.items()))
    assert layout(shuffled) == layout(doc)


def test_a_loop_is_routed_round_the_top_without_crossing_boxes():
    doc = with_trigger(act("A", "B"), act("B", "C", None), act("C", "A"))
    result = layout(doc)
    assert_well_formed(result)
    loop = next(e for e in result.edges if e.kind == "loop")
    assert (loop.source, loop.target) == ("C", "A")
    assert min(y for _, y in loop.points) < min(b.y for b in result.nodes)


def test_second_roots_and_islands_are_still_drawn_without_an_entry_edge():
    doc = with_trigger(act("A", "B"), act("B"), act("LOST", "B"), act("I1", "I2"), act("I2", "I1"))
    result = layout(doc)
    assert_well_formed(result)
    assert {b.key for b in result.nodes if b.kind == "activity"} == {"A", "B", "LOST", "I1", "I2"}
    assert [e.target for e in result.edges if e.kind == "entry"] == ["A"]


def test_a_journey_without_trigger_starts_in_the_first_column():
    result = layout({"activities": [act("A", "B"), act("B")]})
    assert min(b.x for b in result.nodes) == 40
    assert not [e for e in result.edges if e.kind == "entry"]


@pytest.mark.parametrize(
    "doc",
    [
        None,
        {},
        [],
        {"activities": "x", "triggers": 5, "goals": [1]},
        {"activities": [{"key": "A", "outcomes": 3}, 4]},
    ],
)
def test_malformed_documents_lay_out_what_they_can(doc):
    result = layout(doc)
    assert_well_formed(result)
    assert result.width > 0 and result.height > 0


def test_an_empty_journey_with_only_a_trigger_has_just_the_trigger():
    result = layout({"triggers": [{"key": "T"}], "activities": []})
    assert [(b.key, b.kind) for b in result.nodes] == [("T", "trigger")]
    assert result.edges == ()


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 150), st.integers(0, 10**6), st.integers(0, 20))
def test_generated_journeys_never_overlap_or_cross(size, seed, edits):
    doc = edit_journey(generate_journey(size, seed), edits, seed)
    result = layout(doc)
    assert_well_formed(result)
    columns = {b.key: b.x for b in result.nodes}
    for key, parents in topology.predecessors(doc).items():
        assert all(columns[parent] < columns[key] for parent in parents)


@st.composite
def arbitrary_graphs(draw):
    """Any graph: loops, islands, dangling targets, repeated activity and outcome keys."""
    keys = [f"K{i}" for i in range(draw(st.integers(1, 25)))]
    keys += draw(st.lists(st.sampled_from(keys), max_size=2))
    targets = st.sampled_from([*keys, None, "", "DANGLING"])
    outcome_keys = st.sampled_from(["o1", "o2", "o3", None])
    activities = [
        {
            "key": key,
            "outcomes": [
                {"key": draw(outcome_keys), "next": t} for t in draw(st.lists(targets, max_size=4))
            ],
        }
        for key in keys
    ]
    triggers = [{"key": f"T{i}"} for i in range(draw(st.integers(0, 2)))]
    goals = [{"key": "GOAL"}] if draw(st.booleans()) else []
    return {"triggers": triggers, "activities": draw(st.permutations(activities)), "goals": goals}


@settings(max_examples=150, deadline=None)
@given(arbitrary_graphs())
def test_any_graph_even_looping_or_broken_never_overlaps_or_crosses(doc):
    assert_well_formed(layout(doc))


def test_a_name_wraps_at_spaces_over_two_lines_and_is_cut_only_after_the_second():
    widths = (88.0, 104.0)
    assert wrap("Email 1", widths, 12, bold=True) == ["Email 1"]
    lines = wrap("Decision Split 1", widths, 12, bold=True)
    assert lines == ["Decision ", "Split 1"] and "".join(lines) == "Decision Split 1"
    for line, room in zip(lines, widths, strict=True):
        assert text_width(line.rstrip(), 12, bold=True) <= room
    long = wrap("Send the spring welcome offer to new gold members", widths, 12, bold=True)
    assert len(long) == 2 and long[1].endswith("…")
    assert (
        "".join(long)[:-1]
        == "Send the spring welcome offer to new gold members"[: len("".join(long)) - 1]
    )
    key = wrap("MULTICRITERIADECISIONV2-1", widths, 12, bold=True)  # one word: broken inside it
    assert len(key) == 2 and key[0] and "".join(key).rstrip("…") in "MULTICRITERIADECISIONV2-1"
