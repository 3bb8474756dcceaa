"""The condition builder's state: the tree it posts, what its buttons do, and what it shows.

The builder posts the tree it showed (`<field>-tree`, JSON from `filter_to_tree`, each node
with the `ref` that ties it to its part of `<field>-base`, the XML the tree was read from), and
one input per thing a person edits, named by the node's position: `<field>-n0_1-key` is the
attribute of the second item of the first group. `posted_tree` lays the inputs over the tree;
`filter_from_tree(tree, parse_filter(base))` then rewrites only what changed. The expert XML
box is the field itself (`<field>`); `<field>-shown` is what it showed, so an edit there is
seen and wins. Buttons post `<field>-action` ("add-condition n0", "remove n0_1", "up n0_1").

Nothing here saves: the field (condition_field.py) turns the result into the stored XML.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from journeys.domain.conditions import (
    OPERATORS,
    Condition,
    Filter,
    TreeError,
    explain_filter,
    filter_from_tree,
    filter_issues,
    filter_to_tree,
    operators_for,
    parse_filter,
    serialize_filter,
    walk,
)
from journeys.domain.operators import BOOLEAN, DATE, MANY, NUMBER, TEXT

Tree = dict[str, Any]
Path = tuple[int, ...]
TYPES = [(TEXT, "Text"), (NUMBER, "Number"), (DATE, "Date"), (BOOLEAN, "Yes / no")]
UNITS = ["days", "weeks", "months", "years"]
MAX_ITEMS = 500
MAX_DEPTH = 12
NEW_CONDITION: Tree = {"type": "condition", "key": "", "operator": "Equal", "value": "", "as": TEXT}
_RELATIVE = re.compile(r"^([^;]*);([+-]);(\d+);([A-Za-z]+)$")
ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
NUMBER_TEXT = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
_DATE_LIKE = re.compile(r"^\d{4}-\d{2}-\d{2}|^\d{1,2}/\d{1,2}/\d{4}")
_ACTIONS = ("add-condition", "add-group", "remove", "up", "down")


class BuilderError(ValueError):
    """What the builder posted cannot be read (a broken page or a tampered form)."""


def token(path: Path) -> str:
    """The name part of a node: "n" for the root, "n0_1" for the second item of the first."""
    return "n" + "_".join(str(index) for index in path)


# --- reading what was posted ------------------------------------------------------------------


def posted_tree(data: Mapping[str, Any], name: str, attributes: Mapping[str, str]) -> Tree:
    """The tree the builder showed with the posted inputs laid over it; BuilderError if the
    page sent something that is not a builder tree. `attributes` maps names to keys."""
    try:
        tree = json.loads(str(data.get(f"{name}-tree", "")))
    except (ValueError, RecursionError) as error:
        raise BuilderError("the condition builder's state is not readable") from error
    if not isinstance(tree, dict) or tree.get("type") != "group":
        raise BuilderError("the condition builder's state is not a group of conditions")
    _overlay(tree, (), data, name, {label: key for key, label in attributes.items()}, [0])
    return tree


def _overlay(
    node: Any,
    path: Path,
    data: Mapping[str, Any],
    name: str,
    keys: dict[str, str],
    count: list[int],
) -> None:
    count[0] += 1
    if not isinstance(node, dict) or count[0] > MAX_ITEMS or len(path) > MAX_DEPTH:
        raise BuilderError("the condition builder's state is too large or not a tree")
    prefix = f"{name}-{token(path)}-"
    kind = node.get("type")
    if kind == "group":
        items = node.get("items")
        if not isinstance(items, list):
            raise BuilderError("a group in the condition builder has no list of items")
        if data.get(prefix + "join") in ("AND", "OR"):
            node["operator"] = data[prefix + "join"]
        for index, child in enumerate(items):
            _overlay(child, (*path, index), data, name, keys, count)
    elif kind == "condition":
        _overlay_condition(node, prefix, data, keys)
    elif kind != "unknown":
        raise BuilderError("the condition builder sent an item that is not a condition")


def _overlay_condition(
    node: Tree, prefix: str, data: Mapping[str, Any], keys: dict[str, str]
) -> None:
    if prefix + "key" in data:
        typed = str(data[prefix + "key"]).strip()
        node["key"] = keys.get(typed, typed)
    if data.get(prefix + "as") in dict(TYPES):
        node["as"] = data[prefix + "as"]
    if data.get(prefix + "op") in OPERATORS:
        node["operator"] = data[prefix + "op"]
    kind = node.get("as") or guess_type(node)
    if node["operator"] not in operators_for(kind):
        node["operator"] = operators_for(kind)[0]
    arity = OPERATORS[node["operator"]].arity
    old = [str(v) for v in node.get("values") or [node.get("value") or ""]]
    if arity == 0:
        values = [""] if old != [""] else old  # SFMC writes an empty <Value> here
    elif arity == MANY:
        text = data.get(prefix + "values")
        values = old if text is None else [v.strip() for v in str(text).splitlines() if v.strip()]
    else:
        values = [
            _posted_value(data, f"{prefix}{part}", kind, old[i] if i < len(old) else "")
            for i, part in enumerate(("value", "value2")[:arity])
        ]
    node["values"] = values
    node["value"] = values[0] if values else ""


def _posted_value(data: Mapping[str, Any], prefix: str, kind: str, old: str) -> str:
    """One value from its inputs; the old spelling kept when it means the same."""
    if kind == DATE and data.get(prefix + "-when") == "relative":
        before = relative_date(old)
        sign = "-" if data.get(prefix + "-sign") == "-" else "+"
        amount = str(data.get(prefix + "-amount") or "0").strip()
        unit = str(data.get(prefix + "-unit") or "days")
        new = f"{before[0] if before else ''};{sign};{amount};{unit}"
        after = relative_date(new)
        same = before is not None and after is not None and _same_relative(before, after)
        return old if same else new
    switched = data.get(prefix + "-when") == "date" and prefix not in data
    if kind == DATE and switched and relative_date(old):
        return ""  # switched from "relative to today" to "on a date": no date chosen yet
    if prefix in data:
        value = str(data[prefix]).replace("\r\n", "\n")
        same = kind == BOOLEAN and value.strip().lower() == old.strip().lower()
        return old if same else value
    return old


def _same_relative(a: tuple[str, str, int, str], b: tuple[str, str, int, str]) -> bool:
    return a[1:3] == b[1:3] and a[3].lower() == b[3].lower()


def relative_date(value: str) -> tuple[str, str, int, str] | None:
    """SFMC's relative date "<base>;<sign>;<amount>;<unit>" (base "" = today), or None."""
    match = _RELATIVE.match(value.strip())
    if not match:
        return None
    base, sign, amount, unit = match.groups()
    return base, sign, int(amount), unit


def guess_type(node: Tree) -> str:
    """The type a condition compares as: its operator's only type, else its value's look."""
    operator = OPERATORS.get(str(node.get("operator")))
    types = operator.types if operator else frozenset({TEXT})
    if len(types) == 1:
        return next(iter(types))
    values = [str(v) for v in node.get("values") or [node.get("value") or ""] if str(v).strip()]
    if values and DATE in types and all(relative_date(v) or _DATE_LIKE.match(v) for v in values):
        return DATE
    if values and NUMBER in types and all(NUMBER_TEXT.match(v.strip()) for v in values):
        return NUMBER
    if values and BOOLEAN in types and all(v.strip().lower() in ("true", "false") for v in values):
        return BOOLEAN
    return TEXT if TEXT in types else sorted(types)[0]


# --- the buttons ------------------------------------------------------------------------------


def apply_action(tree: Tree, action: str) -> tuple[Tree, Path, str]:
    """The tree after one button, and where the focus goes (a node's path and its control)."""
    verb, _, where = action.partition(" ")
    path = _path_of(where)
    if verb not in _ACTIONS or path is None:
        raise BuilderError(f"the condition builder does not know the button “{action}”")
    tree = copy.deepcopy(tree)
    parent, index = (_node_at(tree, path[:-1]), path[-1]) if path else (None, 0)
    if parent is not None and parent.get("type") != "group":
        raise BuilderError("that item is not in the condition builder")
    if verb in ("add-condition", "add-group"):
        group = _node_at(tree, path)
        if group.get("type") != "group":
            raise BuilderError("conditions can only be added to a group")
        new = dict(NEW_CONDITION)
        if verb == "add-group":
            joined = "AND" if group.get("operator") == "OR" else "OR"
            new = {"type": "group", "operator": joined, "name": None, "items": [new]}
        group["items"].append(new)
        at = (*path, len(group["items"]) - 1)
        return tree, (*at, 0) if verb == "add-group" else at, "key"
    if parent is None or not 0 <= index < len(parent["items"]):
        raise BuilderError("that item is not in the condition builder")
    items = parent["items"]
    if verb == "remove":
        del items[index]
        return tree, path[:-1], "add"
    other = index - 1 if verb == "up" else index + 1
    if not 0 <= other < len(items):
        return tree, path, verb
    items[index], items[other] = items[other], items[index]
    return tree, (*path[:-1], other), verb


def _path_of(where: str) -> Path | None:
    if not where.startswith("n"):
        return None
    parts = where[1:].split("_") if where[1:] else []
    return tuple(int(p) for p in parts) if all(p.isdigit() for p in parts) else None


def _node_at(tree: Tree, path: Path) -> Tree:
    node = tree
    for index in path:
        items = node.get("items") if isinstance(node, dict) else None
        if not isinstance(items, list) or not 0 <= index < len(items):
            raise BuilderError("that item is not in the condition builder")
        node = items[index]
    return node


# --- turning a tree into a filter -------------------------------------------------------------


@dataclass
class Outcome:
    """A tree made into a filter: the filter (None if it cannot be made), and the problems
    that keep it from being saved yet, by node path."""

    filter: Filter | None
    pending: dict[Path, list[str]] = field(default_factory=dict)
    warnings: dict[Path, list[str]] = field(default_factory=dict)
    error: str | None = None

    @property
    def ready(self) -> bool:
        return self.filter is not None and not self.pending and self.error is None


def make_filter(tree: Tree, base: Filter) -> Outcome:
    """The filter `tree` describes (conditions still without an attribute left out, and said
    so), with the issues `filter_issues` finds, located on the tree's nodes."""
    outcome = Outcome(None)
    writable = _without_unfinished(tree, (), outcome.pending)
    try:
        outcome.filter = filter_from_tree(writable, base)
    except TreeError as error:
        outcome.error = f"The conditions cannot be written: {error}."
        return outcome
    if outcome.filter.error is not None:
        outcome.error = f"The conditions cannot be written: {outcome.filter.error}."
        return outcome
    places = _issue_places(tree)
    for issue in filter_issues(outcome.filter):
        path = places.get(issue.path, ())
        # A part not understood came with the filter and is kept as it is: it is said, but
        # it does not keep the person from saving what they changed around it.
        unknown = _kind_at(tree, path) == "unknown"
        bucket = outcome.warnings if issue.level == "warning" or unknown else outcome.pending
        bucket.setdefault(path, []).append(issue.message)
    return outcome


def _kind_at(tree: Tree, path: Path) -> str:
    try:
        return str(_node_at(tree, path).get("type"))
    except BuilderError:
        return ""


def _without_unfinished(node: Tree, path: Path, pending: dict[Path, list[str]]) -> Tree:
    if node.get("type") != "group":
        return node
    kept = []
    for index, child in enumerate(node["items"]):
        if child.get("type") == "condition" and not str(child.get("key") or "").strip():
            pending.setdefault((*path, index), []).append("Choose an attribute.")
            continue
        kept.append(_without_unfinished(child, (*path, index), pending))
    return {**node, "items": kept}


def _issue_places(tree: Tree) -> dict[str, Path]:
    """`filter_issues` paths ("0.1") → tree paths; unfinished conditions are left out of the
    filter, so the filter's positions skip them."""
    places: dict[str, Path] = {}

    def visit(node: Tree, path: Path, where: str) -> None:
        places[where] = path
        position = 0
        for index, child in enumerate(node.get("items") or []):
            if child.get("type") == "condition" and not str(child.get("key") or "").strip():
                continue
            visit(child, (*path, index), f"{where}.{position}")
            position += 1

    if tree.get("synthetic") and all(c.get("type") != "condition" for c in tree["items"]):
        for index, child in enumerate(tree["items"]):
            visit(child, (index,), str(index))
    else:
        visit(tree, (), "0")
    return places


def tree_of(parsed: Filter) -> Tree:
    """The builder's tree of a filter, each condition with the type it compares as."""
    tree = filter_to_tree(parsed)
    references = {ref for ref, item in walk(parsed) if _is_reference(item)}

    def dress(node: Tree) -> None:
        if node.get("type") == "condition":
            node["as"] = guess_type(node)
            if node.get("ref") in references:
                node["reference"] = True
        for child in node.get("items") or []:
            dress(child)

    dress(tree)
    return tree


def _is_reference(item: Any) -> bool:
    return isinstance(item, Condition) and item.value_is_reference


def text_of(outcome: Outcome, fallback: str) -> str:
    """The XML of a made filter, or `fallback` when none could be made."""
    return serialize_filter(outcome.filter) if outcome.filter is not None else fallback


def preview(outcome: Outcome, attribute_name: Any) -> str:
    """The plain-language preview of the builder's conditions."""
    if outcome.filter is None:
        return outcome.error or ""
    return explain_filter(outcome.filter, attribute_name)


__all__ = [
    "TYPES",
    "UNITS",
    "BuilderError",
    "Outcome",
    "apply_action",
    "guess_type",
    "make_filter",
    "parse_filter",
    "posted_tree",
    "preview",
    "relative_date",
    "text_of",
    "token",
    "tree_of",
]
