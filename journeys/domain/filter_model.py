"""SFMC filter XML as a lossless condition model: the data classes, parsing and serialising.

Decision-split paths, goals, exit criteria and event entry sources hold their conditions as a
`<FilterDefinition>` string. `parse_filter` reads one into groups and conditions while keeping
every part's exact source text, so `serialize_filter` of an untouched parse gives back the same
bytes, and `filter_from_tree` rewrites only the parts a tree changed. Anything not understood
is an `Unknown`, kept verbatim. Text that is not a filter at all (malformed, too big, with a
DOCTYPE) is a `Filter` with `error` set and its source kept untouched.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from journeys.domain.filter_xml import Element, Text, XmlError, parse_document
from journeys.domain.operators import OPERATORS

MAX_FILTER_BYTES = 256 * 1024
GROUP_OPERATORS = ("AND", "OR")
DEFAULT_GROUP_NAME = "Individual Filter Grouping"
_CONDITION_ATTRIBUTES = {
    "Key",
    "Operator",
    "UiMetaData",
    "IsEphemeralAttribute",
    "ValueIsReference",
}
_GROUP_ATTRIBUTES = {"Operator", "ConditionSetName"}

Span = tuple[int, int]


@dataclass(frozen=True)
class Condition:
    """`<Condition Key Operator UiMetaData…>` with its value(s); `raw` is its exact text."""

    key: str
    operator: str
    value: str | None  # the first <Value>'s text (CDATA unwrapped); None without a <Value>
    raw: str
    values: tuple[str, ...] = ()  # every <Value>, for Between/In
    attributes: tuple[tuple[str, str], ...] = ()
    relationship_id: str | None = None  # <AttributePath RelationshipID=..>
    key_span: Span = (0, 0)  # spans inside `raw`, for rewriting only what changed
    operator_span: Span = (0, 0)
    values_span: Span | None = None  # from the first <Value> to the end of the last

    def attribute(self, name: str) -> str | None:
        return next((value for key, value in self.attributes if key == name), None)

    @property
    def value_is_reference(self) -> bool:
        """The value names another attribute (compare two fields) rather than a constant."""
        return (self.attribute("ValueIsReference") or "").lower() == "true"


@dataclass(frozen=True)
class Unknown:
    """A part not understood: kept verbatim and shown as such."""

    raw: str
    reason: str


@dataclass(frozen=True)
class ConditionGroup:
    """`<ConditionSet Operator="AND|OR" ConditionSetName="..">`: its items joined by operator."""

    operator: str
    name: str | None
    items: tuple[Item, ...]
    head: str = ""  # the start tag, exactly
    gaps: tuple[str, ...] = ()  # the text (spaces, comments) before each item
    trailing: str = ""  # the text after the last item
    tail: str = "</ConditionSet>"


Item = Condition | ConditionGroup | Unknown


@dataclass(frozen=True)
class Filter:
    """A whole `<FilterDefinition>`; when `error` is set, only `source` is to be trusted."""

    groups: tuple[ConditionGroup | Unknown, ...]
    source: str
    error: str | None = None
    head: str = ""  # everything up to the end of the <FilterDefinition> start tag
    gaps: tuple[str, ...] = ()
    trailing: str = ""
    tail: str = ""  # the end tag and whatever follows it


def parse_filter(text: str) -> Filter:
    """Read filter XML into the model; never raises and never expands an entity."""
    if len(text) > MAX_FILTER_BYTES or len(text.encode()) > MAX_FILTER_BYTES:
        return Filter((), text, f"this filter is larger than {MAX_FILTER_BYTES // 1024} KiB")
    if not text.strip():
        return Filter((), text, None, head=text)
    try:
        root = parse_document(text)
    except XmlError as error:
        return Filter((), text, f"this filter is not well-formed XML: {error}")
    if root.name != "FilterDefinition":
        return Filter((), text, f"a filter must be a <FilterDefinition>, not <{root.name}>")
    items, gaps, trailing = _items(text, root)
    groups = tuple(i if isinstance(i, ConditionGroup | Unknown) else _outside(i) for i in items)
    head, tail = text[: root.head_end], text[root.tail_start :]
    return Filter(groups, text, None, head, gaps, trailing, tail)


def _outside(item: Condition) -> Unknown:
    return Unknown(item.raw, "a condition outside any condition set")


def _items(text: str, parent: Element) -> tuple[tuple[Item, ...], tuple[str, ...], str]:
    items: list[Item] = []
    gaps: list[str] = []
    pending = parent.head_end
    for child in parent.children:
        if isinstance(child, Text) and (child.kind == "comment" or not child.value.strip()):
            continue  # spaces and comments between items stay in the gap before the next
        gaps.append(text[pending : child.start])
        items.append(_item(text, child))
        pending = child.end
    return tuple(items), tuple(gaps), text[pending : parent.tail_start]


def _item(text: str, node: Element | Text) -> Item:
    raw = text[node.start : node.end]
    if isinstance(node, Text):
        return Unknown(raw, "text outside any condition")
    if node.name == "ConditionSet":
        return _group(text, node)
    if node.name == "Condition":
        return _condition(text, node)
    return Unknown(raw, f"an element SFMC filters do not use: <{node.name}>")


def _group(text: str, element: Element) -> ConditionGroup | Unknown:
    raw = text[element.start : element.end]
    odd = sorted({a.name for a in element.attributes} - _GROUP_ATTRIBUTES)
    operator = element.attribute("Operator")
    if odd:
        return Unknown(raw, f"a condition set with unexpected attributes: {', '.join(odd)}")
    if operator not in GROUP_OPERATORS:
        return Unknown(raw, f"a condition set joined by “{operator}” (not AND or OR)")
    items, gaps, trailing = _items(text, element)
    head, tail = text[element.start : element.head_end], text[element.tail_start : element.end]
    name = element.attribute("ConditionSetName")
    return ConditionGroup(operator, name, items, head, gaps, trailing, tail)


def _condition(text: str, element: Element) -> Condition | Unknown:
    raw = text[element.start : element.end]
    odd = sorted({a.name for a in element.attributes} - _CONDITION_ATTRIBUTES)
    key, operator = element.attribute("Key"), element.attribute("Operator")
    if odd:
        return Unknown(raw, f"a condition with unexpected attributes: {', '.join(odd)}")
    if not key:
        return Unknown(raw, "a condition without an attribute (Key)")
    if operator not in OPERATORS:
        return Unknown(raw, f"the operator “{operator}” is not known")
    try:
        value_elements, relationship = _value_elements(element)
    except ValueError as error:
        return Unknown(raw, str(error))
    spans = {a.name: (a.start - element.start, a.end - element.start) for a in element.attributes}
    values = tuple(_text_of(v) for v in value_elements)
    values_span = None
    if value_elements:
        values_span = (
            value_elements[0].start - element.start,
            value_elements[-1].end - element.start,
        )
    return Condition(
        key,
        operator,
        values[0] if values else None,
        raw,
        values,
        tuple((a.name, a.value) for a in element.attributes),
        relationship,
        spans["Key"],
        spans["Operator"],
        values_span,
    )


def _value_elements(condition: Element) -> tuple[list[Element], str | None]:
    """The <Value> elements of a condition, directly or inside one <AttributePath>."""
    elements = _elements(condition, "condition")
    if len(elements) == 1 and elements[0].name == "AttributePath":
        path = elements[0]
        if [a.name for a in path.attributes] != ["RelationshipID"]:
            raise ValueError("an <AttributePath> without exactly a RelationshipID")
        values = _elements(path, "attribute path")
        relationship = path.attribute("RelationshipID")
    else:
        values, relationship = elements, None
    for value in values:
        if value.name != "Value" or value.attributes:
            raise ValueError(f"an element SFMC conditions do not hold: <{value.name}>")
        if any(not isinstance(part, Text) for part in value.children):
            raise ValueError("a <Value> holding elements")
    return values, relationship


def _elements(parent: Element, where: str) -> list[Element]:
    elements = []
    for child in parent.children:
        if isinstance(child, Element):
            elements.append(child)
        elif child.kind == "cdata" or child.value.strip():
            raise ValueError(f"text directly inside a {where}")
    return elements


def _text_of(value: Element) -> str:
    return "".join(
        part.value
        for part in value.children
        if isinstance(part, Text) and part.kind in ("text", "cdata")
    )


def serialize_filter(f: Filter) -> str:
    """The filter's XML: an untouched parse gives back its source byte for byte."""
    if f.error is not None:
        return f.source
    return f.head + _join(f.groups, f.gaps) + f.trailing + f.tail


def _join(items: tuple[Item, ...], gaps: tuple[str, ...]) -> str:
    return "".join(gap + item_text(item) for gap, item in zip(gaps, items, strict=True))


def item_text(item: Item) -> str:
    """The exact XML of one group, condition or unknown part."""
    if isinstance(item, ConditionGroup):
        return item.head + _join(item.items, item.gaps) + item.trailing + item.tail
    return item.raw


def walk(f: Filter) -> Iterator[tuple[str, Item]]:
    """Every group, condition and unknown part with its path ("0", "0.2", …), depth first."""
    for index, group in enumerate(f.groups):
        yield from _walk(group, str(index))


def _walk(item: Item, path: str) -> Iterator[tuple[str, Item]]:
    yield path, item
    if isinstance(item, ConditionGroup):
        for index, child in enumerate(item.items):
            yield from _walk(child, f"{path}.{index}")
