"""The condition model of SFMC filters: parse, serialise, a tree for the builder, plain words.

A filter is the `<FilterDefinition>` XML string SFMC keeps in decision-split paths
(`configurationArguments.criteria.{outcomeKey}`), goals and exit criteria
(`configurationArguments.criteria`) and event entry sources. The model itself (data classes,
parsing, serialising) is in `filter_model.py`, the operator table in `operators.py`; this module
is the API the rest of the product uses.
"""

from __future__ import annotations

from typing import Any

from journeys.domain.condition_words import (
    AttributeWords,
    FilterIssue,
    Segment,
    Words,
    attribute_label,
    explain_condition,
    explain_filter,
    explain_item,
    field_name,
    filter_issues,
    filter_words,
    has_conditions,
    item_words,
    summarize_filter,
    words_text,
)
from journeys.domain.filter_model import (
    DEFAULT_GROUP_NAME,
    GROUP_OPERATORS,
    MAX_FILTER_BYTES,
    Condition,
    ConditionGroup,
    Filter,
    Item,
    Unknown,
    item_text,
    parse_filter,
    serialize_filter,
    walk,
)
from journeys.domain.operators import MANY, OPERATORS, Operator, operators_for

__all__ = [
    "DEFAULT_GROUP_NAME",
    "MAX_FILTER_BYTES",
    "OPERATORS",
    "AttributeWords",
    "Condition",
    "ConditionGroup",
    "Filter",
    "FilterIssue",
    "Item",
    "Operator",
    "Segment",
    "TreeError",
    "Unknown",
    "Words",
    "attribute_label",
    "explain_condition",
    "explain_filter",
    "explain_item",
    "field_name",
    "filter_from_tree",
    "filter_issues",
    "filter_words",
    "filter_to_tree",
    "item_text",
    "item_to_tree",
    "item_words",
    "has_conditions",
    "operators_for",
    "parse_filter",
    "serialize_filter",
    "summarize_filter",
    "walk",
    "words_text",
]

Tree = dict[str, Any]


class TreeError(ValueError):
    """A tree (from the builder) that does not describe a filter; the message says why."""


def filter_to_tree(f: Filter) -> Tree:
    """The filter as a JSON-able tree for the builder; every node carries its `ref` (path).

    The root is the FilterDefinition's single ConditionSet, or a synthetic AND group
    (`"synthetic": True`) over several, none, or a filter that could not be read at all.
    """
    if f.error is not None:
        unknown = {"type": "unknown", "raw": f.source, "reason": f.error}
        return _synthetic([unknown]) | {"error": f.error}
    if len(f.groups) == 1 and isinstance(f.groups[0], ConditionGroup):
        return _node(f.groups[0], "0")
    return _synthetic([_node(group, str(index)) for index, group in enumerate(f.groups)])


def _synthetic(items: list[Tree]) -> Tree:
    return {"type": "group", "operator": "AND", "name": None, "items": items, "synthetic": True}


def item_to_tree(item: Item, ref: str) -> Tree:
    """One part of a filter as a tree node; `ref` is its path in the filter (see `walk`)."""
    return _node(item, ref)


def _node(item: Item, ref: str) -> Tree:
    if isinstance(item, Unknown):
        return {"type": "unknown", "ref": ref, "raw": item.raw, "reason": item.reason}
    if isinstance(item, Condition):
        return {
            "type": "condition",
            "ref": ref,
            "key": item.key,
            "operator": item.operator,
            "value": item.value,
            "values": list(item.values),
        }
    children = [_node(child, f"{ref}.{index}") for index, child in enumerate(item.items)]
    return {
        "type": "group",
        "ref": ref,
        "operator": item.operator,
        "name": item.name,
        "items": children,
    }


def filter_from_tree(tree: Tree, original: Filter | None = None) -> Filter:
    """The filter `tree` describes, reusing `original`'s exact text for every unchanged part.

    A node's `ref` (as `filter_to_tree` gave it) ties it to its original part: an unchanged
    condition keeps its text, a changed one is rewritten in place (its other attributes,
    UiMetaData and AttributePath kept), a new one borrows an existing condition on the same
    data source, else is written as SFMC writes it. Raises TreeError for a malformed tree.
    """
    if original is not None and original.error is not None:
        if tree.get("items") == filter_to_tree(original)["items"]:
            return original
        original = None
    return parse_filter(_Writer(original).filter_text(tree))


class _Writer:
    def __init__(self, original: Filter | None) -> None:
        self.original = original
        self.parts: dict[str, Item] = dict(walk(original)) if original else {}
        self.by_source: dict[str, Condition] = {}
        for item in self.parts.values():
            if isinstance(item, Condition):
                self.by_source.setdefault(_source_of(item.key), item)

    def filter_text(self, tree: Tree) -> str:
        items = _list(tree, "items")
        if not (tree.get("synthetic") and all(_kind(n) in ("group", "unknown") for n in items)):
            items = [tree]  # a real root group, or conditions added to a synthetic root
        original = self.original
        if original is None or not original.tail:  # no filter yet, blank or <FilterDefinition/>
            if not items:
                return original.source if original else ""
            body = "".join(self.item_text(node) for node in items)
            return f"<FilterDefinition>{body}</FilterDefinition>"
        body = self._body(items, "", original.groups, original.gaps)
        return original.head + body + original.trailing + original.tail

    def _body(
        self, nodes: list[Tree], prefix: str, items: tuple[Item, ...], gaps: tuple[str, ...]
    ) -> str:
        by_ref = {f"{prefix}{index}": gap for index, gap in enumerate(gaps)}
        default_gap = gaps[0] if gaps else ""
        return "".join(
            by_ref.get(str(n.get("ref")), default_gap) + self.item_text(n) for n in nodes
        )

    def item_text(self, node: Tree) -> str:
        kind = _kind(node)
        if kind == "unknown":
            return _text(node, "raw")
        if kind == "condition":
            return self.condition_text(node)
        return self.group_text(node)

    def group_text(self, node: Tree) -> str:
        operator, name = node.get("operator", "AND"), node.get("name")
        if operator not in GROUP_OPERATORS:
            raise TreeError(f"a group must be joined by AND or OR, not {operator!r}")
        if name is not None and not isinstance(name, str):
            raise TreeError("a group's name must be text")
        items = _list(node, "items")
        original = self.parts.get(str(node.get("ref")))
        if not isinstance(original, ConditionGroup) or not original.tail:
            return (
                _group_head(operator, name)
                + "".join(map(self.item_text, items))
                + "</ConditionSet>"
            )
        head = original.head
        if (operator, name) != (original.operator, original.name):
            head = _group_head(operator, name)
        body = self._body(items, f"{node['ref']}.", original.items, original.gaps)
        return head + body + original.trailing + original.tail

    def condition_text(self, node: Tree) -> str:
        key, operator = _text(node, "key"), _text(node, "operator")
        if not key:
            raise TreeError("a condition needs an attribute")
        values = _tree_values(node, OPERATORS.get(operator))
        original = self.parts.get(str(node.get("ref")))
        if isinstance(original, Condition):
            if (key, operator, values) == (original.key, original.operator, original.values):
                return original.raw
            if _source_of(original.key) == _source_of(key):
                return _rewrite(original, key, operator, values)
        template = self.by_source.get(_source_of(key))
        if template is not None:
            return _rewrite(template, key, operator, values)
        return _new_condition(key, operator, values)


def _kind(node: Any) -> str:
    if not isinstance(node, dict) or node.get("type") not in ("group", "condition", "unknown"):
        raise TreeError("each item must be a group, a condition or an unknown part")
    return str(node["type"])


def _list(node: Tree, name: str) -> list[Tree]:
    value = node.get(name, [])
    if not isinstance(value, list):
        raise TreeError(f"a group's {name} must be a list")
    return value


def _text(node: Tree, name: str) -> str:
    value = node.get(name)
    if not isinstance(value, str):
        raise TreeError(f"a {node.get('type')}'s {name} must be text")
    return value


def _tree_values(node: Tree, operator: Operator | None) -> tuple[str, ...]:
    """`values` for operators taking several (Between, In), else the single `value`."""
    if operator is not None and operator.arity in (2, MANY):
        values = node.get("values") or []
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise TreeError("a condition's values must be a list of texts")
        return tuple(values)
    value = node.get("value")
    if value is not None and not isinstance(value, str):
        raise TreeError("a condition's value must be text")
    return () if value is None else (value,)


def _source_of(key: str) -> str:
    """The data source of an attribute key: "Event.DEAudience-x" of "Event.DEAudience-x.Tier"."""
    return key.rpartition(".")[0]


def _attribute(value: str) -> str:
    return (
        value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )


def _values_xml(values: tuple[str, ...]) -> str:
    # An operator without a value still gets an empty <Value>, as SFMC writes IsNull.
    cdata = (v.replace("]]>", "]]]]><![CDATA[>") for v in values or ("",))
    return "".join(f"<Value><![CDATA[{text}]]></Value>" for text in cdata)


def _group_head(operator: str, name: str | None) -> str:
    name = _attribute(name or DEFAULT_GROUP_NAME)
    return f'<ConditionSet Operator="{operator}" ConditionSetName="{name}">'


def _new_condition(key: str, operator: str, values: tuple[str, ...]) -> str:
    """A condition spelled as SFMC's builder writes one (attribute order, UiMetaData, CDATA)."""
    ephemeral = 'IsEphemeralAttribute="true" ' if key.startswith("Event.") else ""
    key, operator = _attribute(key), _attribute(operator)
    head = f'<Condition {ephemeral}Key="{key}" Operator="{operator}" UiMetaData="{{}}">'
    return head + _values_xml(values) + "</Condition>"


def _rewrite(template: Condition, key: str, operator: str, values: tuple[str, ...]) -> str:
    """`template`'s text with only its key, operator and values replaced where they differ."""
    if template.values_span is None:
        return _new_condition(key, operator, values)
    edits: list[tuple[tuple[int, int], str]] = []
    if key != template.key:
        edits.append((template.key_span, _attribute(key)))
    if operator != template.operator:
        edits.append((template.operator_span, _attribute(operator)))
    if values != template.values:
        edits.append((template.values_span, _values_xml(values)))
    raw = template.raw
    for (start, end), text in sorted(edits, reverse=True):
        raw = raw[:start] + text + raw[end:]
    return raw
