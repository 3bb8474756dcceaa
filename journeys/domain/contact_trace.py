"""Which canvas nodes and links one stepper path went through, for drawing it highlighted.

Nodes are named by the canvas's keys (the entry source's, activities', the goal's and exit's,
and `end:<activity>:<outcome>` for the end of a path, as `layout.py` names them); links by
(activity key, outcome key), the entry's link by (entry source key, "").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from journeys.domain.contact_paths import END, EXIT, GOAL, Path


@dataclass(frozen=True)
class Trace:
    nodes: frozenset[str]
    edges: frozenset[tuple[str, str]]
    stop: str = ""  # where the path stopped other than at an end: cannot tell, exit, goal


def path_trace(journey: dict[str, Any], path: Path) -> Trace:
    """The nodes and links `path` went through in `journey`."""
    activities = keyed_items(journey, "activities")
    trigger = next(iter(keyed_items(journey, "triggers")), "")
    walked = [step for step in path.steps if step.key in activities]
    nodes = {trigger, *(step.key for step in walked)} if path.steps else {trigger}
    nodes |= {step.key for step in path.steps if step.key in keyed_items(journey, "goals")}
    edges: set[tuple[str, str]] = {(trigger, "")} if walked else set()
    outs = [_outcome_taken(activities[step.key], step.branch) for step in walked]
    edges |= {(step.key, out) for step, out in zip(walked[:-1], outs[:-1], strict=True) if out}
    last = walked[-1].key if walked else ""
    stop = _stop(journey, path, activities)
    if path.ending.kind == END and last and outs[-1]:
        edges.add((last, outs[-1]))
        nodes.add(f"end:{last}:{outs[-1]}")
    elif stop in activities and stop != last:
        edges.add((last, outs[-1]) if last and outs[-1] else (trigger, ""))
    nodes |= {stop} - {""}
    return Trace(frozenset(nodes - {""}), frozenset(edges), stop)


def _stop(journey: dict[str, Any], path: Path, activities: dict[str, dict[str, Any]]) -> str:
    if path.ending.kind == GOAL:
        return next(iter(keyed_items(journey, "goals")), "")
    if path.ending.kind == EXIT:
        return next(iter(keyed_items(journey, "exits")), "")
    return path.ending.key if path.ending.key in activities else ""


def _outcome_taken(activity: dict[str, Any], branch: str | None) -> str:
    """The outcome a step left its activity by: the branch taken, else its only way out."""
    if branch:
        return branch
    outcomes = [o for o in activity.get("outcomes") or [] if isinstance(o, dict)]
    return str(outcomes[0].get("key") or "") if len(outcomes) == 1 else ""


def keyed_items(journey: dict[str, Any], section: str) -> dict[str, dict[str, Any]]:
    """The items of a section ("activities", "triggers", "goals", "exits") by their key."""
    items = journey.get(section)
    return {
        item["key"]: item
        for item in (items if isinstance(items, list) else [])
        if isinstance(item, dict) and isinstance(item.get("key"), str)
    }
