"""The editor's canvas as parts the browser can hold: after an edit, send only what changed.

Every drawn part (a node, an edge with its label, an end marker, an insert slot) carries
`data-pk` (which part it is) and `data-fp` (a digest of everything its markup is made from).
editor.js sends back the fingerprints it holds with each edit; `patch_for` answers with the
parts whose fingerprint is new, each with the part it goes before, and the fingerprints of the
parts that are gone. A one-field save sends one node; an insert sends its node and the edges,
ends and slots that moved, not the 500 that did not.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from journeys.canvas import Canvas, CanvasNode

GROUPS = ("nodes", "edges", "ends", "slots")


class Part(NamedTuple):  # a tuple: thousands are made per edit, and a frozen dataclass is slow
    key: str  # data-pk: which part this is, whatever it looks like
    fp: str  # data-fp: what it looks like
    item: Any  # what the template draws it from
    next: str = ""  # the key of the part it goes before in its group (set in a patch)


@dataclass(frozen=True)
class CanvasPatch:
    """The parts a browser lacks, by group, and the fingerprints of those it must drop."""

    nodes: list[Part]
    edges: list[Part]
    ends: list[Part]
    slots: list[Part]
    remove: str


def drawn_parts(canvas: Canvas) -> dict[str, list[Part]]:
    """Every part of the canvas by group, in drawing order."""
    traced = canvas.traced_nodes
    stop = canvas.trace.stop if canvas.trace else None
    nodes = [
        Part(node.key, _digest(_node_parts(node), node.key in traced, node.key == stop), node)
        for node in canvas.nodes
    ]
    edges = [
        Part(_edge_key(edge), _digest(edge.kind, edge.d, edge.label_at, rest), (edge, *rest))
        for edge, *rest in canvas.marked_edges
    ]
    ends = [
        Part(end.key, _digest(end.x, end.y, end.width, end.height, end.key in traced), end)
        for end in canvas.ends
    ]
    slots = [
        Part(_edge_key(edge), _digest(edge.target, edge.drop_slot, said), (edge, said))
        for edge, said in canvas.slots
    ]
    if canvas.start_slot:  # where the first activity goes (`item` None: drawn as the start)
        slots.append(Part("start", _digest("start", canvas.start_slot), None))
    return {"nodes": nodes, "edges": edges, "ends": ends, "slots": slots}


def patch_for(parts: dict[str, list[Part]], drawn: Collection[str]) -> CanvasPatch | None:
    """What a browser holding the parts fingerprinted `drawn` lacks; None when it says it holds
    nothing, or lacks most of the canvas (the whole canvas is then as small and simpler)."""
    if not drawn:
        return None
    new: dict[str, list[Part]] = {}
    for group, found in parts.items():
        following = [part.key for part in found[1:]] + [""]  # the last goes at the end
        new[group] = [
            Part(part.key, part.fp, part.item, after)
            for part, after in zip(found, following, strict=False)  # an empty group: none
            if part.fp not in drawn
        ]
    total = sum(len(found) for found in parts.values())
    if sum(len(found) for found in new.values()) * 2 > total:
        return None
    current = {part.fp for found in parts.values() for part in found}
    remove = " ".join(sorted(fp for fp in drawn if fp not in current))
    return CanvasPatch(**new, remove=remove)


def _edge_key(edge: Any) -> str:
    return f"{edge.kind}:{edge.source}:{edge.outcome_key or ''}"


def _node_parts(node: CanvasNode) -> tuple[object, ...]:
    """Everything a node's markup is drawn from (the `canvas-node` partial)."""
    box = node.box
    problems = [(problem.severity, problem.message) for problem in node.problems]
    return (
        *(node.key, node.kind, box.x, box.y, box.width, box.height, node.title),
        *(node.label_lines, node.type_label, node.type_text, node.badge, node.css_class),
        *(problems, node.mark, node.comments, node.search_text),
    )


def _digest(*parts: object) -> str:
    # Stable across processes (unlike hash()): any web worker may answer the next edit.
    return hashlib.blake2b(repr(parts).encode(), digest_size=8).hexdigest()
