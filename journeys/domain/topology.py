"""The activity graph of a journey document, read tolerantly.

A journey's graph is `activities[].outcomes[].next`: each `next` names another activity's `key`;
`next` absent, null or "" ends the path. Every function here accepts any JSON value and never
raises: what is malformed (a non-dict activity, a missing or non-string key, non-list outcomes,
a non-string `next`) is skipped, because reporting shapes is the validator's job. When two
activities share a key, the first one in document order is the one the graph uses.

The start of a journey is its first root in document order (SFMC puts it at `activities[0]`);
when every activity has a predecessor (a cycle through all of them) it is `activities[0]`.

`JourneyGraph(doc)` reads a document once for callers with several questions; the module-level
functions are one-question shortcuts over it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

OutcomeLinks = dict[str, list[tuple[str, str | None]]]


def _activities(doc: Any) -> Iterator[dict[str, Any]]:
    if not isinstance(doc, dict):
        return
    activities = doc.get("activities")
    if isinstance(activities, list):
        yield from (item for item in activities if isinstance(item, dict))


def _outcome_links(activity: dict[str, Any]) -> list[tuple[str, str | None]]:
    outcomes = activity.get("outcomes")
    if not isinstance(outcomes, list):
        return []
    pairs: list[tuple[str, str | None]] = []
    for index, outcome in enumerate(outcomes):
        if not isinstance(outcome, dict):
            continue
        outcome_key = outcome.get("key")
        target = outcome.get("next")
        pairs.append(
            (
                outcome_key if isinstance(outcome_key, str) else str(index),
                target if isinstance(target, str) and target else None,
            )
        )
    return pairs


def outcome_links(doc: Any) -> OutcomeLinks:
    """Map every activity key, in document order, to its outcomes as (outcome key, next) pairs.

    `next` is None where the path ends (absent, null, "" or not a string); a dangling target is
    kept as it is. An outcome without a string key is identified by its index, as a string.
    """
    links: OutcomeLinks = {}
    for activity in _activities(doc):
        key = activity.get("key")
        if isinstance(key, str) and key not in links:
            links[key] = _outcome_links(activity)
    return links


class JourneyGraph:
    """The graph of one document, read once, for callers that ask several questions."""

    def __init__(self, doc: Any) -> None:
        self.links = outcome_links(doc)
        self.successors = {
            key: list(dict.fromkeys(t for _, t in pairs if t is not None and t in self.links))
            for key, pairs in self.links.items()
        }

    def predecessors(self) -> dict[str, list[str]]:
        """See the module-level `predecessors`."""
        result: dict[str, list[str]] = {key: [] for key in self.successors}
        for key, targets in self.successors.items():
            for target in targets:
                result[target].append(key)
        return result

    def roots(self) -> list[str]:
        """See the module-level `roots`."""
        pointed_at = {target for targets in self.successors.values() for target in targets}
        return [key for key in self.successors if key not in pointed_at]

    def start_key(self) -> str | None:
        """See the module-level `start_key`."""
        found = self.roots()
        return found[0] if found else next(iter(self.links), None)

    def reachable_from(self, key: str) -> set[str]:
        """See the module-level `reachable_from`."""
        if key not in self.successors:
            return set()
        seen = {key}
        stack = [key]
        while stack:
            for target in self.successors[stack.pop()]:
                if target not in seen:
                    seen.add(target)
                    stack.append(target)
        return seen

    def dangling_nexts(self) -> list[tuple[str, str, str]]:
        """See the module-level `dangling_nexts`."""
        return [
            (key, outcome_key, target)
            for key, pairs in self.links.items()
            for outcome_key, target in pairs
            if target is not None and target not in self.links
        ]

    def cycles(self) -> list[list[str]]:
        """See the module-level `cycles`."""
        adjacency = self.successors
        position = {key: index for index, key in enumerate(adjacency)}
        found = []
        for component in _strongly_connected(adjacency):
            first = min(component, key=position.__getitem__)
            if len(component) > 1 or first in adjacency[first]:
                found.append(_cycle_through(adjacency, component, first))
        return sorted(found, key=lambda cycle: position[cycle[0]])

    def unreachable(self) -> list[str]:
        """See the module-level `unreachable`."""
        start = self.start_key()
        reached = self.reachable_from(start) if start is not None else set()
        return [key for key in self.successors if key not in reached]


def successors(doc: Any) -> dict[str, list[str]]:
    """Map every activity key to the distinct keys its outcomes lead to, in outcome order.

    Dangling targets (keys no activity has) are left out; see `dangling_nexts`.
    """
    return JourneyGraph(doc).successors


def predecessors(doc: Any) -> dict[str, list[str]]:
    """Map every activity key to the distinct keys of the activities leading to it.

    Predecessors are listed in document order.
    """
    return JourneyGraph(doc).predecessors()


def roots(doc: Any) -> list[str]:
    """Return the keys of activities that no outcome points to, in document order."""
    return JourneyGraph(doc).roots()


def start_key(doc: Any) -> str | None:
    """Return the journey's start activity key (see the module docstring), or None if empty."""
    return JourneyGraph(doc).start_key()


def dangling_nexts(doc: Any) -> list[tuple[str, str, str]]:
    """Return (activity key, outcome key, missing target) for every `next` naming no activity.

    An outcome without a string key is identified by its index in `outcomes`, as a string.
    """
    return JourneyGraph(doc).dangling_nexts()


def reachable_from(doc: Any, key: str) -> set[str]:
    """Return the keys reachable from `key` by following outcomes, `key` itself included.

    An unknown key reaches nothing: the result is empty.
    """
    return JourneyGraph(doc).reachable_from(key)


def unreachable(doc: Any) -> list[str]:
    """Return the activity keys not reachable from the start activity, in document order.

    The start is the first root in document order (so with several roots, the later roots and
    what only they lead to are unreachable), or `activities[0]` when there is no root at all.
    """
    return JourneyGraph(doc).unreachable()


def cycles(doc: Any) -> list[list[str]]:
    """Return one cycle for every strongly connected part of the graph that loops.

    Each cycle starts at its member that comes first in document order and follows outcome
    order, so `["A", "B"]` means A → B → A. Cycles are ordered by their first member's
    position in the document; a self-loop is a one-key cycle.
    """
    return JourneyGraph(doc).cycles()


def _strongly_connected(adjacency: dict[str, list[str]]) -> list[set[str]]:
    """Tarjan's algorithm without recursion, so long chains cannot hit the recursion limit."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[set[str]] = []
    for origin in adjacency:
        if origin in index:
            continue
        work = [(origin, iter(adjacency[origin]))]
        index[origin] = low[origin] = len(index)
        stack.append(origin)
        on_stack.add(origin)
        while work:
            node, targets = work[-1]
            target = next(targets, None)
            if target is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    components.append(_pop_component(stack, on_stack, node))
            elif target not in index:
                index[target] = low[target] = len(index)
                stack.append(target)
                on_stack.add(target)
                work.append((target, iter(adjacency[target])))
            elif target in on_stack:
                low[node] = min(low[node], index[target])
    return components


def _pop_component(stack: list[str], on_stack: set[str], root: str) -> set[str]:
    component = set()
    while True:
        member = stack.pop()
        on_stack.discard(member)
        component.add(member)
        if member == root:
            return component


def _cycle_through(adjacency: dict[str, list[str]], component: set[str], first: str) -> list[str]:
    """Find a path first → … → first inside the component by depth-first search."""
    path = [first]
    visited = {first}
    iterators = [iter(adjacency[first])]
    while iterators:
        target = next(iterators[-1], None)
        if target is None:
            iterators.pop()
            path.pop()
        elif target == first:
            return path
        elif target in component and target not in visited:
            visited.add(target)
            path.append(target)
            iterators.append(iter(adjacency[target]))
    return [first]
