"""Tidy-tree layout of a journey, left to right like Journey Builder.

Columns: the trigger sits in column 0; each activity's column is its longest path from the
start (so a join lands right of every activity leading to it). Rows: every node owns a
horizontal band; the band of an activity is split, in outcome order, into one slot per outcome
(the subtree it leads to, an end marker, or an empty lane for an edge to an activity placed
elsewhere), and the node is centred in its band. Bands of nodes that are not ancestor and
descendant are disjoint, and ancestor and descendant sit in different columns, so no two boxes
overlap. Edges are orthogonal polylines that turn only in the gaps between columns and run
horizontally only at a slot's own height, where no box of a later column can be; that is why no
edge crosses a box. An edge to an activity elsewhere (a join) runs along its lane and turns into
the target just left of it; an edge back to an earlier column (only in an invalid, looping
journey) leaves the flow to the right and comes back over the top.

Each activity is placed once, in the band of the first outcome (walking depth first from the
start, in outcome order) that reaches it from the column just left of it; its other incoming
outcomes are joins. The order of the `activities` array does not matter except for which root
comes first. Goals and exits are side boxes in a row above the flow. Sizes are in pixels.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from math import ceil
from typing import Any, Literal

from journeys.domain import topology
from journeys.domain.text_width import text_width

NODE_WIDTH = 168
NODE_HEIGHT = 64
END_SIZE = 24
COLUMN_GAP = 96
MARGIN = 40
_PITCH = NODE_WIDTH + COLUMN_GAP
_GUTTER = 24  # where a source's edges turn, right of its column
_ENTRY = 24  # where an edge from a lane turns into its target, left of the target's column
_NODE_BAND = NODE_HEIGHT + 24
_END_BAND = 48
_LANE_BAND = 40
_CHANNEL = 24  # the strip above the flow that looping edges run through
_LABEL_OFFSET = (8, -6)
_LABEL_CLEARANCE = 6  # between a label's end and what its edge runs into
# Edge labels are drawn at 11 px (app.css) and measured as if 12 px: the text width estimate
# runs up to 8 % short of the real font.
EDGE_LABEL_MEASURE_PX = 12
# A column gap grows with the longest label drawn in it, up to this much room for the label
# (about 40 characters); a longer label is cut there and shown whole on hover.
MAX_LABEL_ROOM = 280
_LABEL_START = _GUTTER + _LABEL_OFFSET[0]  # from a column's right side to where labels start

NodeKind = Literal["trigger", "activity", "end", "goal", "exit"]
EdgeKind = Literal["entry", "next", "join", "loop", "end"]
Point = tuple[int, int]


# Plain (not frozen) dataclasses: a layout builds hundreds of them and frozen ones cost 5x.
@dataclass(slots=True)
class NodeBox:
    """A box on the canvas; `key` is the item's key, or `end:<activity>:<outcome>` for ends."""

    key: str
    kind: NodeKind
    x: int
    y: int
    width: int
    height: int


@dataclass(slots=True)
class Edge:
    """One outcome (or the trigger's entry) drawn as an orthogonal polyline.

    `target` is a node key (an activity or an end marker). `d` is the SVG path of `points`.
    `label_at` is where the label text starts (just above the edge, after its turn),
    `label_room` how wide it may be drawn (pixels, up to what the edge runs into), and
    `drop_slot` is the middle of the edge's own horizontal run, where the canvas offers to
    insert an activity on this outcome.
    """

    source: str
    target: str
    outcome_key: str | None
    kind: EdgeKind
    label: str
    points: tuple[Point, ...]
    d: str
    label_at: Point
    label_room: int
    drop_slot: Point


@dataclass(frozen=True, slots=True)
class Layout:
    """Everything the canvas draws; `nodes` are in the flow, `side_boxes` are goals and exits."""

    nodes: tuple[NodeBox, ...]
    edges: tuple[Edge, ...]
    side_boxes: tuple[NodeBox, ...]
    width: int
    height: int


@dataclass(slots=True)
class _Slot:
    outcome_key: str
    target: str  # an activity key, or the end marker's key
    kind: EdgeKind
    height: int
    label: str


@dataclass(slots=True)
class _Plan:
    columns: dict[str, int]
    slots: dict[str, list[_Slot]]  # activities in preorder, each with one slot per outcome
    forest: list[str]  # activities whose band is a slot of the trigger (or of the canvas)
    heights: dict[str, int]
    lefts: list[int] = field(default_factory=list)  # x of each drawn column (trigger's: 0)

    def x(self, column: int) -> int:
        """The left side of a drawn column; past the last known one, columns are evenly spaced."""
        if column < len(self.lefts):
            return self.lefts[column]
        last = len(self.lefts) - 1
        return (self.lefts[last] if self.lefts else MARGIN - _PITCH) + (column - last) * _PITCH


@dataclass(slots=True)
class _Rows:
    """Vertical centres: of each activity, and of each (activity, outcome position) slot."""

    nodes: dict[str, int]
    slots: dict[tuple[str, int], int]


# An outcome, identified by its activity and its position among the activity's outcomes
# (keys may repeat in a broken document).
_Link = tuple[str, int]


def layout(doc: Any, labels: Mapping[tuple[str, str], str] | None = None) -> Layout:
    """Lay out a journey document (any JSON value; malformed parts are left out).

    `labels` are texts the canvas draws on outcomes instead of their own labels, by (activity
    key, outcome key) (a decision path labelled by its condition): the gap after a column is
    made wide enough for the labels drawn in it.

    Layouts are remembered by exactly what they read (`_skeleton`): an edit that changes no
    key, link or label (most panel saves) gets the layout it had, at a fraction of the cost.
    """
    drawn_labels = sorted((*link, text) for link, text in (labels or {}).items())
    return _remembered_layout(json.dumps([_skeleton(doc), drawn_labels]))


@lru_cache(maxsize=16)
def _remembered_layout(text: str) -> Layout:
    # A Layout is only read once built (its boxes and edges are never changed), so one may be
    # shared by every request that draws the same skeleton.
    skeleton, drawn_labels = json.loads(text)
    return _layout(skeleton, {(source, outcome): label for source, outcome, label in drawn_labels})


def _skeleton(doc: Any) -> Any:
    """The part of `doc` the layout reads, as a document: the keys of the triggers, goals and
    exits; each activity's key and outcomes (key, next, what `outcome_label` reads). Items
    that are not objects stay as placeholders, so positions are kept."""
    if not isinstance(doc, dict):
        return None
    skeleton: dict[str, Any] = {}
    for section in ("triggers", "goals", "exits", "activities"):
        items = doc.get(section)
        if isinstance(items, list):
            skeleton[section] = [_item_skeleton(item) for item in items]
    return skeleton


def _item_skeleton(item: Any) -> Any:
    if not isinstance(item, dict):
        return None
    found = {"key": item["key"]} if "key" in item else {}
    outcomes = item.get("outcomes")
    if isinstance(outcomes, list):
        found["outcomes"] = [_outcome_skeleton(outcome) for outcome in outcomes]
    return found


def _outcome_skeleton(outcome: Any) -> Any:
    if not isinstance(outcome, dict):
        return None
    found = {name: outcome[name] for name in ("key", "next") if name in outcome}
    label = outcome_label(outcome)
    if label:  # said as a plain label, which outcome_label gives back as it is
        found["metaData"] = {"label": label}
    return found


def _layout(doc: Any, labels: Mapping[tuple[str, str], str]) -> Layout:
    plan = _plan(doc)
    triggers = [key for key, _ in _keyed_items(doc, "triggers")]
    side = _side_boxes(doc)
    flow_top = MARGIN + (NODE_HEIGHT + 24 if side else 0)
    has_loops = any(s.kind == "loop" for slots in plan.slots.values() for s in slots)
    channel_y = flow_top + _CHANNEL // 2
    if has_loops:
        flow_top += _CHANNEL
    offset = 1 if triggers else 0
    plan.lefts = _column_lefts(plan, offset, labels)
    rows = _rows(plan, flow_top)
    nodes = [*_trigger_boxes(triggers, plan, flow_top), *_activity_boxes(plan, rows, offset)]
    nodes += _end_boxes(plan, rows, offset)
    last_column = max((plan.columns[k] + offset for k in plan.columns), default=0)
    far_x = plan.x(last_column + 1) - COLUMN_GAP // 2
    router = _Router(plan, rows, offset, far_x, channel_y)
    edges = _entry_edge(triggers, plan, flow_top, rows, offset) + router.outcome_edges()
    right = max((box.x + box.width for box in [*nodes, *side]), default=MARGIN)
    bottom = max((box.y + box.height for box in [*nodes, *side]), default=MARGIN)
    if has_loops:
        right = max(right, far_x)
    return Layout(tuple(nodes), tuple(edges), tuple(side), right + MARGIN, bottom + MARGIN)


def _column_lefts(plan: _Plan, offset: int, labels: Mapping[tuple[str, str], str]) -> list[int]:
    """Where each drawn column starts: a column is followed by the usual gap, or by a wider
    one where the labels of its activities' outcomes need it."""
    gaps: dict[int, int] = {}
    for key, slots in plan.slots.items():
        column = plan.columns[key] + offset
        for slot in slots:
            text = labels.get((key, slot.outcome_key), slot.label)
            gaps[column] = max(gaps.get(column, COLUMN_GAP), _label_gap(text))
    lefts = [MARGIN]
    for column in range(max(gaps, default=0) + 1):
        lefts.append(lefts[-1] + NODE_WIDTH + gaps.get(column, COLUMN_GAP))
    return lefts


def _label_gap(text: str) -> int:
    """The column gap that gives `text` its room after the turn of its edge."""
    room = min(ceil(text_width(text, EDGE_LABEL_MEASURE_PX)), MAX_LABEL_ROOM)
    return _LABEL_START + room + _LABEL_CLEARANCE


def _keyed_items(doc: Any, field: str) -> list[tuple[str, dict[str, Any]]]:
    items = doc.get(field) if isinstance(doc, dict) else None
    if not isinstance(items, list):
        return []
    found = []
    for index, item in enumerate(items):
        if isinstance(item, dict):
            key = item.get("key")
            found.append((key if isinstance(key, str) else f"{field}-{index}", item))
    return found


def _side_boxes(doc: Any) -> list[NodeBox]:
    items: list[tuple[NodeKind, str]] = [("goal", key) for key, _ in _keyed_items(doc, "goals")]
    items += [("exit", key) for key, _ in _keyed_items(doc, "exits")]
    return [
        NodeBox(key, kind, MARGIN + index * (NODE_WIDTH + 24), MARGIN, NODE_WIDTH, NODE_HEIGHT)
        for index, (kind, key) in enumerate(items)
    ]


def outcome_label(outcome: Any) -> str:
    """The text Journey Builder shows on an outcome: its label and branch name, else what its
    arguments say (a percentage, Yes/No, a custom split's branch result), else ""."""
    if not isinstance(outcome, dict):
        return ""
    meta = _dict_at(outcome, "metaData")
    name = meta.get("name") or meta.get("pathName")
    label = meta.get("label")
    if isinstance(name, str) and isinstance(label, str) and name and label and name != label:
        return f"{name} ({label})"
    for text in (label, name):
        if isinstance(text, str) and text:
            return text
    arguments = _dict_at(outcome, "arguments")
    if isinstance(arguments.get("percentage"), int | float):
        return f"{arguments['percentage']}%"
    if isinstance(arguments.get("when"), bool):
        return "Yes" if arguments["when"] else "No"
    branch = arguments.get("branchResult")
    return branch if isinstance(branch, str) else ""


def _dict_at(parent: dict[str, Any], field: str) -> dict[str, Any]:
    value = parent.get(field)
    return value if isinstance(value, dict) else {}


def _outcome_labels(doc: Any) -> dict[str, list[str]]:
    """Labels of each activity's outcomes, in the order of `topology.outcome_links`."""
    labels: dict[str, list[str]] = {}
    for key, activity in _keyed_items(doc, "activities"):
        outcomes = activity.get("outcomes")
        if key not in labels and isinstance(outcomes, list):
            labels[key] = [outcome_label(o) for o in outcomes if isinstance(o, dict)]
    return labels


def _plan(doc: Any) -> _Plan:
    graph = topology.JourneyGraph(doc)
    links = graph.links
    labels = _outcome_labels(doc)
    starts, preorder, back_links, topological = _depth_first(links, graph.roots())
    columns = _columns(links, back_links, topological)
    tree_links = _tree_links(links, preorder, back_links, columns)
    slots = {
        key: _slots(key, links, tree_links, back_links, labels.get(key, [])) for key in preorder
    }
    # a walk may start at an activity that a later walk reaches from its column's left
    forest = [key for key in starts if key not in tree_links]
    plan = _Plan(columns, slots, forest, {})
    _measure(plan)
    return plan


def _depth_first(
    links: topology.OutcomeLinks, roots: list[str]
) -> tuple[list[str], list[str], set[_Link], list[str]]:
    """Walk from the roots, then from each activity not reached yet (islands that only loop).

    Returns where the walks started, the preorder, the outcomes that go back up the current
    path, and a topological order of the graph without those (reverse postorder).
    """
    forest: list[str] = []
    preorder: list[str] = []
    postorder: list[str] = []
    back: set[_Link] = set()
    state: dict[str, bool] = {}  # False while on the current path, True when finished
    for root in [*roots, *links]:
        if root in state:
            continue
        forest.append(root)
        state[root] = False
        preorder.append(root)
        work = [(root, enumerate(links[root]))]
        while work:
            key, pending = work[-1]
            position, (_, target) = next(pending, (-1, ("", None)))
            if position < 0:
                work.pop()
                state[key] = True
                postorder.append(key)
            elif target is None or target not in links:
                continue
            elif target not in state:
                state[target] = False
                preorder.append(target)
                work.append((target, enumerate(links[target])))
            elif not state[target]:
                back.add((key, position))
    return forest, preorder, back, postorder[::-1]


def _forward(links: topology.OutcomeLinks, key: str, back: set[_Link]) -> list[tuple[int, str]]:
    """The (position, target) of the outcomes of `key` that lead forward to an activity."""
    return [
        (position, target)
        for position, (_, target) in enumerate(links[key])
        if target is not None and target in links and (key, position) not in back
    ]


def _columns(
    links: topology.OutcomeLinks, back_links: set[_Link], topological: list[str]
) -> dict[str, int]:
    columns = dict.fromkeys(links, 0)
    for key in topological:
        for _, target in _forward(links, key, back_links):
            columns[target] = max(columns[target], columns[key] + 1)
    return columns


def _tree_links(
    links: topology.OutcomeLinks,
    preorder: list[str],
    back_links: set[_Link],
    columns: dict[str, int],
) -> dict[str, _Link]:
    """For each placed activity, the first outcome (in preorder) from the column just left."""
    tree: dict[str, _Link] = {}
    for key in preorder:
        for position, target in _forward(links, key, back_links):
            if target not in tree and columns[target] == columns[key] + 1:
                tree[target] = (key, position)
    return tree


def _slots(
    key: str,
    links: topology.OutcomeLinks,
    tree_links: dict[str, _Link],
    back_links: set[_Link],
    labels: list[str],
) -> list[_Slot]:
    outcome_keys = [outcome_key for outcome_key, _ in links[key]]
    slots = []
    for position, (outcome_key, target) in enumerate(links[key]):
        label = labels[position] if position < len(labels) else ""
        if target is None or target not in links:
            repeated = outcome_keys.count(outcome_key) > 1
            end = f"end:{key}:{outcome_key}" + (f"#{position}" if repeated else "")
            slots.append(_Slot(outcome_key, end, "end", _END_BAND, label))
        elif tree_links.get(target) == (key, position):
            slots.append(_Slot(outcome_key, target, "next", 0, label))  # height: the subtree's
        else:
            kind: EdgeKind = "loop" if (key, position) in back_links else "join"
            slots.append(_Slot(outcome_key, target, kind, _LANE_BAND, label))
    return slots


def _measure(plan: _Plan) -> None:
    # a subtree's activities are all in later columns than its top
    for key in sorted(plan.slots, key=plan.columns.__getitem__, reverse=True):
        below = sum(_slot_height(plan, slot) for slot in plan.slots[key])
        plan.heights[key] = max(_NODE_BAND, below)


def _slot_height(plan: _Plan, slot: _Slot) -> int:
    return plan.heights[slot.target] if slot.kind == "next" else slot.height


def _rows(plan: _Plan, flow_top: int) -> _Rows:
    rows = _Rows({}, {})
    stack: list[tuple[str, int]] = []
    top = flow_top
    for root in plan.forest:
        stack.append((root, top))
        top += plan.heights[root]
    while stack:
        key, band_top = stack.pop()
        height = plan.heights[key]
        rows.nodes[key] = band_top + height // 2
        slot_top = band_top + (height - sum(_slot_height(plan, s) for s in plan.slots[key])) // 2
        for position, slot in enumerate(plan.slots[key]):
            slot_height = _slot_height(plan, slot)
            rows.slots[(key, position)] = slot_top + slot_height // 2
            if slot.kind == "next":
                stack.append((slot.target, slot_top))
            slot_top += slot_height
    return rows


def _flow_height(plan: _Plan) -> int:
    return sum(plan.heights[root] for root in plan.forest)


def _trigger_boxes(triggers: list[str], plan: _Plan, flow_top: int) -> list[NodeBox]:
    boxes = []
    band_top = flow_top
    for index, key in enumerate(triggers):
        band = max(_NODE_BAND, _flow_height(plan)) if index == 0 else _NODE_BAND
        y = band_top + band // 2 - NODE_HEIGHT // 2
        boxes.append(NodeBox(key, "trigger", plan.x(0), y, NODE_WIDTH, NODE_HEIGHT))
        band_top += band
    return boxes


def _activity_boxes(plan: _Plan, rows: _Rows, offset: int) -> list[NodeBox]:
    return [
        NodeBox(
            key,
            "activity",
            plan.x(plan.columns[key] + offset),
            rows.nodes[key] - NODE_HEIGHT // 2,
            NODE_WIDTH,
            NODE_HEIGHT,
        )
        for key in plan.slots
    ]


def _end_boxes(plan: _Plan, rows: _Rows, offset: int) -> list[NodeBox]:
    return [
        NodeBox(
            slot.target,
            "end",
            plan.x(plan.columns[key] + offset + 1),
            rows.slots[(key, position)] - END_SIZE // 2,
            END_SIZE,
            END_SIZE,
        )
        for key, slots in plan.slots.items()
        for position, slot in enumerate(slots)
        if slot.kind == "end"
    ]


def _leave(right: int, source_y: int, slot_y: int) -> tuple[list[Point], int]:
    """How every edge starts: out of the source's right side, turning in its gutter towards
    its slot. Also returns where the edge's own horizontal run begins."""
    if slot_y == source_y:
        return [(right, source_y)], right
    gutter = right + _GUTTER
    return [(right, source_y), (gutter, source_y), (gutter, slot_y)], gutter


def _edge(
    source: str,
    target: str,
    outcome_key: str | None,
    kind: EdgeKind,
    label: str,
    points: list[Point],
    run: tuple[int, int, int],
) -> Edge:
    """`run` is the edge's own horizontal stretch (x from, x to, y): label and drop slot."""
    x_from, x_to, y = run
    d = "M" + " L".join([f"{x} {y}" for x, y in points])
    label_at = (x_from + _LABEL_OFFSET[0], y + _LABEL_OFFSET[1])
    room = x_to - label_at[0] - _LABEL_CLEARANCE
    slot = ((x_from + x_to) // 2, y)
    return Edge(source, target, outcome_key, kind, label, tuple(points), d, label_at, room, slot)


def _entry_edge(
    triggers: list[str], plan: _Plan, flow_top: int, rows: _Rows, offset: int
) -> list[Edge]:
    if not triggers or not plan.forest:
        return []
    start = plan.forest[0]
    trigger_y = flow_top + max(_NODE_BAND, _flow_height(plan)) // 2
    start_y = rows.nodes[start]
    target_x = plan.x(plan.columns[start] + offset)
    points, run_from = _leave(plan.x(0) + NODE_WIDTH, trigger_y, start_y)
    points.append((target_x, start_y))
    return [_edge(triggers[0], start, None, "entry", "", points, (run_from, target_x, start_y))]


@dataclass(frozen=True, slots=True)
class _Router:
    plan: _Plan
    rows: _Rows
    offset: int
    far_x: int
    channel_y: int

    def outcome_edges(self) -> list[Edge]:
        return [
            self._route(key, position, slot)
            for key, slots in self.plan.slots.items()
            for position, slot in enumerate(slots)
        ]

    def _route(self, key: str, position: int, slot: _Slot) -> Edge:
        column = self.plan.columns[key] + self.offset
        slot_y = self.rows.slots[(key, position)]
        right = self.plan.x(column) + NODE_WIDTH
        points, run_from = _leave(right, self.rows.nodes[key], slot_y)
        if slot.kind == "end":
            run_to = self.plan.x(column + 1)
            points.append((run_to, slot_y))
        elif slot.kind == "next":
            run_to = self.plan.x(self.plan.columns[slot.target] + self.offset)
            points.append((run_to, slot_y))
        else:
            run_to = self._detour(slot, slot_y, points)
        run = (run_from, run_to, slot_y)
        return _edge(key, slot.target, slot.outcome_key, slot.kind, slot.label, points, run)

    def _detour(self, slot: _Slot, lane_y: int, points: list[Point]) -> int:
        """Go from the lane to the target, straight on for a join and round the top for a loop;
        return where the run along the lane ends."""
        target_x = self.plan.x(self.plan.columns[slot.target] + self.offset)
        entry_x = target_x - _ENTRY
        target_y = self.rows.nodes[slot.target]
        if slot.kind == "loop":
            points += [(self.far_x, lane_y), (self.far_x, self.channel_y)]
            points += [(entry_x, self.channel_y), (entry_x, target_y)]
            run_to = self.far_x
        elif target_y != lane_y:
            points += [(entry_x, lane_y), (entry_x, target_y)]
            run_to = entry_x
        else:
            run_to = entry_x
        points.append((target_x, target_y))
        return run_to
