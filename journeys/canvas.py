"""What the canvas template draws: the domain layout dressed with labels, badges and problems.

The server owns the graph and its layout; the browser only pans and zooms. Everything here is
positioned with SVG attributes (no inline styles), so a strict content security policy holds.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from journeys.canvas_parts import Part, drawn_parts
from journeys.domain.catalog import (
    ENTRIES,
    PALETTE_GROUPS,
    CatalogEntry,
    activity_name,
    activity_summary,
    type_of,
)
from journeys.domain.contact_trace import Trace
from journeys.domain.document import items
from journeys.domain.journey_filters import BranchLabel, branch_labels
from journeys.domain.journey_items import entry_label, goal_outcome_words
from journeys.domain.layout import EDGE_LABEL_MEASURE_PX, Layout, NodeBox, layout
from journeys.domain.text_width import fit, wrap
from journeys.domain.validate import Problem

# Text must stay inside a 168 px card: it starts 50 px in and stops short of the problem dot.
# A name takes two lines: the first stops short of the problem badge (top right), the second
# may run to the card's edge. Measured as the estimate runs short on the page's bold font.
LABEL_LINE_WIDTHS_PX = (88.0, 104.0)
TYPE_WIDTH_PX = 104
LABEL_FONT_PX = 12
TYPE_FONT_PX = 10.5
# Two-letter badges: no icon font or emoji is needed, so the canvas looks the same everywhere.
BADGES = {
    "EMAILV2": "EM",
    "SMSSYNC": "SM",
    "MULTICRITERIADECISIONV2": "DS",
    "RANDOMSPLITV2": "RS",
    "ENGAGEMENTSPLITV2": "ES",
    "WAITBYDURATION": "WT",
    "WAITBYATTRIBUTE": "WA",
    "STOWAIT": "ST",
    "ABNTEST": "PO",
    "ABNTESTSTOP": "PW",
    "UPDATECONTACTDATAV2": "UC",
    "DATAEXTENSIONUPDATE": "DE",
    "SALESCLOUDACTIVITY": "SF",
    "REST": "CA",
    "RESTSPLIT": "CS",
}
GROUP_CLASSES = {
    "Messages": "messages",
    "Flow Control": "flow",
    "Customer Updates": "updates",
    "Sales & Service Cloud": "salesforce",
    "Custom": "custom",
}


@dataclass
class CanvasNode:
    key: str
    kind: str  # trigger | activity | end | goal | exit
    box: NodeBox
    title: str
    label_lines: list[str]  # the name over one or two lines, cut only after the second
    type_label: str  # cut to fit the card; `type_text` is the whole of it, for hover text
    badge: str
    css_class: str
    entry: CatalogEntry | None
    problems: list[Problem] = field(default_factory=list)
    outcomes: list[dict[str, Any]] = field(default_factory=list)
    mark: str = ""  # added | changed | removed, on review and compare canvases
    comments: int = 0  # unresolved comment threads pinned to this node
    type_text: str = ""
    search_text: str = ""  # what the canvas search finds it by (name, type, key, conditions)

    @property
    def severity(self) -> str:
        severities = {problem.severity for problem in self.problems}
        return "error" if "error" in severities else ("warning" if severities else "")

    @property
    def select(self) -> str:
        """The `select`/`target` parameter that opens this node in the side panel."""
        return f"activity:{self.key}" if self.kind == "activity" else self.kind

    # Positions of the parts of a node card, in canvas pixels.
    @property
    def badge_x(self) -> int:
        return self.box.x + 26

    @property
    def center_y(self) -> int:
        return self.box.y + self.box.height // 2

    @property
    def text_x(self) -> int:
        return self.box.x + 50

    @property
    def label_rows(self) -> list[tuple[int, str]]:
        """(baseline, text) of each line of the name: one line sits above the type line's
        middle, two lines share the space above it."""
        first = self.center_y - (11 if len(self.label_lines) > 1 else 4)
        return [(first + 14 * index, line) for index, line in enumerate(self.label_lines)]

    @property
    def name_cut(self) -> bool:
        """Whether the card cuts the name short: then it also holds the whole name, unseen, for
        the browser's find (which does not search <title> nor aria-label)."""
        return "".join(self.label_lines) != self.title

    @property
    def type_y(self) -> int:
        return self.center_y + (19 if len(self.label_lines) > 1 else 14)

    @property
    def dot_x(self) -> int:
        return self.box.x + self.box.width - 10

    @property
    def dot_y(self) -> int:
        return self.box.y + 10

    @property
    def comment_x(self) -> int:
        return self.box.x + self.box.width - 10

    @property
    def comment_y(self) -> int:
        return self.box.y + self.box.height - 10


@dataclass(frozen=True)
class PaletteGroup:
    name: str
    css_class: str
    entries: list[tuple[CatalogEntry, str]]


@dataclass
class Canvas:
    layout: Layout
    nodes: list[CanvasNode]
    ends: list[NodeBox]
    journey_problems: list[Problem]
    # Where the first activity goes when there is none yet (no edge to drop it on).
    start_slot: tuple[int, int] | None = None
    # (activity key, outcome key) of edges to mark as re-linked on a compare canvas.
    relinked: frozenset[tuple[str, str]] = frozenset()
    # Decision paths' labels that say their conditions, by (activity key, outcome key).
    branch_labels: dict[tuple[str, str], BranchLabel] = field(default_factory=dict)
    # A test contact's path, drawn highlighted (the editor's test contacts panel sets it).
    trace: Trace | None = None

    @property
    def width(self) -> int:
        return max(self.layout.width, self.start_slot[0] + 40 if self.start_slot else 0)

    @property
    def height(self) -> int:
        return self.layout.height

    @property
    def marked_edges(self) -> list[tuple[Any, bool, str, str, bool]]:
        """Each edge, whether it was re-linked, its label cut to the room the layout gave it,
        the whole label (shown on hover when cut, or when it adds the condition), and whether
        the traced path went along it."""
        traced = self.trace.edges if self.trace else frozenset()
        result = []
        for edge in self.layout.edges:
            text, full = self.edge_label(edge)
            label = fit(text, max(edge.label_room, 24), EDGE_LABEL_MEASURE_PX) if text else ""
            link = (edge.source, edge.outcome_key or "")
            result.append((edge, link in self.relinked, label, full, link in traced))
        return result

    @property
    def traced_nodes(self) -> frozenset[str]:
        return self.trace.nodes if self.trace else frozenset()

    @property
    def slots(self) -> list[tuple[Any, str]]:
        """Each edge an activity can be inserted on, with what a screen reader says of it:
        "Insert after 'Wait 2 days' on path 'Gold'"."""
        titles = {node.key: node.title for node in self.nodes}
        found = []
        for edge in self.layout.edges:
            if edge.kind == "loop":
                continue
            source = titles.get(edge.source, edge.source)
            where = "at the start" if edge.kind == "entry" else f"after '{source}'"
            path = self.edge_label(edge)[0]
            found.append((edge, f"Insert {where}" + (f" on path '{path}'" if path else "")))
        return found

    @cached_property
    def parts(self) -> dict[str, list[Part]]:
        """Its parts as the editor draws them, fingerprinted (journeys.canvas_parts); read once
        the canvas is complete (after `trace` is set)."""
        return drawn_parts(self)

    def edge_label(self, edge: Any) -> tuple[str, str]:
        """An edge's label and its whole text: a decision path's name a person gave it (the
        condition on hover), else its condition said short (the whole of it on hover)."""
        branch = self.branch_labels.get((edge.source, edge.outcome_key or ""))
        if branch is None:
            return edge.label, edge.label
        return branch.shown, branch.full


def _items_by_key(document: dict[str, Any]) -> dict[str, tuple[str, dict[str, Any]]]:
    found: dict[str, tuple[str, dict[str, Any]]] = {}
    for section, kind in (("triggers", "trigger"), ("goals", "goal"), ("exits", "exit")):
        for item in items(document, section):
            if isinstance(item.get("key"), str):
                found.setdefault(item["key"], (kind, item))
    for activity in items(document, "activities"):
        if isinstance(activity.get("key"), str):
            found[activity["key"]] = ("activity", activity)
    return found


def _dress(box: NodeBox, kind: str, item: dict[str, Any]) -> CanvasNode:
    entry = type_of(item) if kind == "activity" else None
    shown = ""  # what the card shows when the whole type text does not fit
    if kind == "activity":
        type_label = entry.label if entry else f"{item.get('type', 'Unknown')} (custom)"
        summary = activity_summary(item)
        if summary:  # the card says what it does; the hover text says the type too
            shown, type_label = summary, f"{type_label} · {summary}"
        badge = BADGES.get(entry.type_id, "??") if entry else "??"
        css = GROUP_CLASSES.get(entry.palette_group or "", "custom") if entry else "unknown"
    else:
        type_label = {"trigger": "Entry source", "goal": "Goal", "exit": "Exit criteria"}[kind]
        if kind == "trigger":  # the card shows the kind; the hover text says what it is
            shown = entry_label(item)
            type_label = f"{type_label} · {shown}"
        elif kind == "goal":  # whether contacts who meet it leave: the card says it
            shown, whole = goal_outcome_words(item)
            type_label = f"{type_label} · {whole}"
        badge, css = {"trigger": "IN", "goal": "GO", "exit": "EX"}[kind], kind
    # An activity without a name is called as Journey Builder calls one ("Wait 2 days"), never by
    # its key; the key stays in the search text and on the panel's hover.
    title = (
        activity_name(item)
        if kind == "activity"
        else str(item.get("name") or item.get("key") or "")
    )
    outcomes = items(item, "outcomes")
    return CanvasNode(
        key=box.key,
        kind=kind,
        box=box,
        title=title,
        label_lines=wrap(title, LABEL_LINE_WIDTHS_PX, LABEL_FONT_PX, bold=True),
        type_label=fit(shown or type_label, TYPE_WIDTH_PX, TYPE_FONT_PX),
        type_text=type_label,
        badge=badge,
        css_class=css,
        entry=entry,
        outcomes=outcomes,
    )


def build_canvas(
    document: dict[str, Any],
    problems: list[Problem],
    *,
    marks: dict[str, str] | None = None,
    comments: dict[str, int] | None = None,
    relinked: frozenset[tuple[str, str]] = frozenset(),
    details: dict[str, tuple[str, str]] | None = None,
) -> Canvas:
    """Lay out `document`; attach to each node its problems, change mark and comment count.

    `details` (catalog_names.activity_details) puts what an activity uses on its card by name:
    an email's name, with its subject and id on hover."""
    labels = branch_labels(document)
    drawn = layout(document, {link: label.shown for link, label in labels.items()})
    items = _items_by_key(document)
    by_key: dict[str, list[Problem]] = defaultdict(list)
    journey_problems = []
    for problem in problems:
        if problem.activity_key:
            by_key[problem.activity_key].append(problem)
        else:
            journey_problems.append(problem)
    conditions: dict[str, list[str]] = defaultdict(list)
    for (key, _), label in labels.items():
        conditions[key].append(label.full)
    nodes, ends = [], []
    for box in (*drawn.nodes, *drawn.side_boxes):
        if box.kind == "end":
            ends.append(box)
            continue
        kind, item = items.get(box.key, (box.kind, {"key": box.key}))
        node = _dress(box, kind, item)
        node.problems = by_key.get(box.key, [])
        node.mark = (marks or {}).get(box.key, "")
        node.comments = (comments or {}).get(box.key, 0)
        if box.key in (details or {}) and node.entry is not None:
            shown, whole = (details or {})[box.key]
            # The badge says the type; the line under the name says which email it sends.
            node.type_label = fit(shown, TYPE_WIDTH_PX, TYPE_FONT_PX)
            node.type_text = f"{node.entry.label} · {whole}"
        node.search_text = " ".join([node.title, node.type_text, box.key, *conditions[box.key]])
        nodes.append(node)
    # Problems of the trigger/goal/exit carry no activity key: show them on their node by path.
    for node in nodes:
        if node.kind in ("trigger", "goal", "exit"):
            section = {"trigger": "$.triggers", "goal": "$.goals", "exit": "$.exits"}[node.kind]
            node.problems = [p for p in journey_problems if p.path.startswith(section)]
    start = _start_slot(document, drawn)
    return Canvas(drawn, nodes, ends, journey_problems, start, relinked, labels)


def _start_slot(document: dict[str, Any], drawn: Layout) -> tuple[int, int] | None:
    if any(box.kind == "activity" for box in drawn.nodes):
        return None
    trigger = next((box for box in drawn.nodes if box.kind == "trigger"), None)
    if trigger is None:
        return (60, drawn.height // 2 or 60)
    return (trigger.x + trigger.width + 48, trigger.y + trigger.height // 2)


def palette() -> list[PaletteGroup]:
    """Every insertable activity type, grouped as Journey Builder groups them."""
    groups = []
    for name in PALETTE_GROUPS:
        entries = [(e, BADGES.get(e.type_id, "??")) for e in ENTRIES if e.palette_group == name]
        groups.append(PaletteGroup(name, GROUP_CLASSES.get(name, "custom"), entries))
    return groups
