"""The graph rules a saved journey must keep (API notes §5.5), as validationErrors[] items.

From the docs: one entry source, which has no outcomes (it leads to the start by itself); the start
is the one activity no outcome leads to, "generally" ``activities[0]``; an outcome's ``next`` names
another activity's key, and an absent or null ``next`` ends the path. Every real journey also has
unique activity keys, exactly one start, no unreachable activity; none has a loop, so loops are
refused. Runs on a body whose fields already have the documented types (checks.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .envelopes import validation_item as problem


def graph_problems(body: dict[str, Any], *, root_must_be_first: bool) -> list[dict[str, Any]]:
    activities = body.get("activities") or []
    errors = _trigger_outcomes(body.get("triggers") or [])
    errors += _duplicate_keys(activities)
    edges = _edges(activities)
    keys = {step["key"] for step in activities}
    for source, target in edges:
        if target not in keys:
            message = f'Activity {source} leads to "{target}", no activity of this journey.'
            errors.append(problem(message, activity_key=source))
    inside = [(source, target) for source, target in edges if target in keys]
    errors += _start_problems(activities, inside, root_must_be_first)
    errors += [
        problem(f"Activities {' → '.join(loop)} form a loop.", activity_key=loop[0])
        for loop in _loops(inside)
    ]
    return errors


def _trigger_outcomes(triggers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        problem(
            "The entry source has outcomes; it leads to the first activity by itself.",
            activity_key=trigger.get("key"),
        )
        for trigger in triggers
        if trigger.get("outcomes")
    ]


def _duplicate_keys(activities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: set[str] = set()
    repeated: list[str] = []
    for step in activities:
        if step["key"] in seen and step["key"] not in repeated:
            repeated.append(step["key"])
        seen.add(step["key"])
    return [
        problem(f"Activity key {key} is used by more than one activity.", activity_key=key)
        for key in repeated
    ]


def _edges(activities: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(activity key, next key) for every outcome that goes on."""
    return [
        (step["key"], outcome["next"])
        for step in activities
        for outcome in step.get("outcomes") or []
        if outcome.get("next") is not None
    ]


def _start_problems(
    activities: list[dict[str, Any]], edges: list[tuple[str, str]], root_must_be_first: bool
) -> list[dict[str, Any]]:
    """Exactly one activity without a predecessor, first in the list unless configured."""
    reached = {target for _, target in edges}
    roots = [step["key"] for step in activities if step["key"] not in reached]
    if not activities or not roots:
        return []  # no activity, or every one is in a loop: _loops says so
    errors = [
        problem(
            f"Activity {extra} has no predecessor, but only one activity starts the journey "
            f"({roots[0]}).",
            activity_key=extra,
        )
        for extra in dict.fromkeys(roots[1:])
    ]
    first = activities[0]["key"]
    if root_must_be_first and roots[0] != first:
        message = f"The first activity, {first}, must be the start, but an outcome leads to it."
        errors.append(problem(message, activity_key=first))
    return errors


def _loops(edges: list[tuple[str, str]]) -> Iterator[list[str]]:
    """Each loop once, as the keys along it, back to where it started."""
    following: dict[str, list[str]] = {}
    for source, target in edges:
        following.setdefault(source, []).append(target)
    done: set[str] = set()
    seen_loops: set[frozenset[str]] = set()
    for start in following:
        for loop in _loops_from(start, following, done):
            if frozenset(loop) not in seen_loops:
                seen_loops.add(frozenset(loop))
                yield loop


def _loops_from(start: str, following: dict[str, list[str]], done: set[str]) -> Iterator[list[str]]:
    """Depth-first from ``start`` without recursion; ``done`` holds keys fully explored."""
    path: list[str] = []
    on_path: set[str] = set()
    stack: list[tuple[str, Iterator[str]]] = []
    if start not in done:
        path, on_path, stack = [start], {start}, [(start, iter(following.get(start, [])))]
    while stack:
        node, targets = stack[-1]
        target = next(targets, None)
        if target is None:
            stack.pop()
            path.pop()
            on_path.discard(node)
            done.add(node)
        elif target in on_path:
            yield path[path.index(target) :] + [target]
        elif target not in done:
            path.append(target)
            on_path.add(target)
            stack.append((target, iter(following.get(target, []))))
