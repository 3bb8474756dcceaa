"""Filters in plain words: attribute names, explanations and the problems a filter has.

"Tier equals Gold and Points is at most 500", "Appointment date is on or after today + 3 days",
"Email address is empty". People see field names, never keys; callers put the key on hover.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from journeys.domain.filter_model import Condition, ConditionGroup, Filter, Item, Unknown, walk
from journeys.domain.operators import BOOLEAN, DATE, MANY, NUMBER, OPERATORS

# SFMC's relative dates: "<base>;<sign>;<amount>;<unit>", an empty base meaning today.
_RELATIVE_DATE = re.compile(r"^([^;]*);([+-]);(\d+);([A-Za-z]+)$")
_ISO_DATE = re.compile(
    r"^\d{4}-\d{2}-\d{2}([T ][\d:.]+)?$|^\d{1,2}/\d{1,2}/\d{4}( [\d:]+( [AP]M)?)?$"
)
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
_SALESFORCE_SUFFIX = re.compile(r"(__c)?_Salesforce(_\d+)?$")
AttributeNamer = Callable[[str], str]


@dataclass(frozen=True)
class AttributeWords:
    """An attribute as people read it (`name`), with its key, the full path shown on hover."""

    name: str
    key: str


Segment = str | AttributeWords
Words = tuple[Segment, ...]  # an explanation in parts, so that pages can put keys on hover


def words_text(words: Iterable[Segment]) -> str:
    """Words as plain text: each attribute by its name."""
    return "".join(part if isinstance(part, str) else part.name for part in words)


def field_name(key: str) -> str:
    """Just the field's name: "Event.DEAudience-….Tier" -> "Tier"."""
    return key.rpartition(".")[2].rpartition(":")[2].strip('"') or key


def attribute_label(key: str) -> str:
    """A field's name and where it comes from: "Event.DEAudience-….Tier" -> "Tier (entry data)"."""
    source = key.rpartition(".")[0]
    field = field_name(key)
    if not source:
        return field
    if source.startswith("Event."):
        return f"{field} (entry data)"
    return f"{field} ({_SALESFORCE_SUFFIX.sub('', source).replace('_', ' ').strip()})"


def explain_filter(f: Filter, attribute_name: AttributeNamer = attribute_label) -> str:
    """The filter in plain language; nested groups in parentheses, unknown parts said so."""
    return words_text(filter_words(f, attribute_name))


def summarize_filter(f: Filter) -> str:
    """The filter said short, for a label: field names without where they come from, and the
    groups of the top level without parentheses ("Tier equals Gold and Points is at least 500,
    or Tier equals Platinum"). The whole explanation belongs on hover."""
    return words_text(filter_words(f, field_name, compact=True))


def filter_words(
    f: Filter, attribute_name: AttributeNamer = attribute_label, *, compact: bool = False
) -> Words:
    """`explain_filter` in parts: text, and attributes with their keys."""
    if f.error is not None:
        return (f"(not understood: {f.error})",)
    if not has_conditions(f) and all(isinstance(g, ConditionGroup) for g in f.groups):
        return ("no conditions (everyone)",)
    only = f.groups[0] if len(f.groups) == 1 else None
    if compact and isinstance(only, ConditionGroup) and only.items:
        return tuple(_top_level(only, attribute_name))
    several = len(f.groups) > 1
    return tuple(_joined([_explain(g, attribute_name, several) for g in f.groups], " and "))


def explain_item(
    item: Item, attribute_name: AttributeNamer = attribute_label, *, nested: bool = True
) -> str:
    """One condition, group (nested: in parentheses when it has several items) or unknown part."""
    return words_text(item_words(item, attribute_name, nested=nested))


def item_words(
    item: Item, attribute_name: AttributeNamer = attribute_label, *, nested: bool = True
) -> Words:
    """`explain_item` in parts."""
    return tuple(_explain(item, attribute_name, nested))


def explain_condition(
    condition: Condition, attribute_name: AttributeNamer = attribute_label
) -> str:
    """One condition: "Points is at most 500"."""
    return words_text(_condition_words(condition, attribute_name))


def _joined(parts: Iterable[list[Segment]], joiner: str) -> list[Segment]:
    joined: list[Segment] = []
    for index, part in enumerate(parts):
        joined += [joiner, *part] if index else part
    return joined


def _top_level(group: ConditionGroup, attribute_name: AttributeNamer) -> list[Segment]:
    """A group's parts where groups of plain conditions need no parentheses: "A and B, or C"."""
    flat = [
        isinstance(child, ConditionGroup)
        and len(child.items) > 1
        and all(isinstance(grandchild, Condition) for grandchild in child.items)
        for child in group.items
    ]
    parts = [_explain(c, attribute_name, not f) for c, f in zip(group.items, flat, strict=True)]
    operator = group.operator.lower()
    return _joined(parts, f", {operator} " if any(flat) else f" {operator} ")


def _explain(item: Item, attribute_name: AttributeNamer, nested: bool) -> list[Segment]:
    if isinstance(item, Unknown):
        return [f"(not understood: {item.reason})"]
    if isinstance(item, Condition):
        return _condition_words(item, attribute_name)
    if not item.items:
        return ["(no conditions)" if nested else "no conditions"]
    joiner = f" {item.operator.lower()} "
    words = _joined((_explain(child, attribute_name, True) for child in item.items), joiner)
    return ["(", *words, ")"] if nested and len(item.items) > 1 else words


def _condition_words(condition: Condition, attribute_name: AttributeNamer) -> list[Segment]:
    operator = OPERATORS[condition.operator]
    subject: list[Segment] = [
        AttributeWords(attribute_name(condition.key), condition.key),
        f" {operator.words}",
    ]
    if operator.arity == 0:
        return subject
    shown = [_value_words(v, condition, attribute_name) for v in condition.values]
    if not shown:
        shown = [["(no value)"]]
    elif operator.arity != MANY and operator.arity != 2:
        shown = shown[:1]
    joiner = " and " if operator.arity == 2 else ", "
    return [*subject, " ", *_joined(shown, joiner)]


def _value_words(value: str, condition: Condition, attribute_name: AttributeNamer) -> list[Segment]:
    if condition.value_is_reference:
        return [AttributeWords(attribute_name(value), value)]
    relative = _RELATIVE_DATE.match(value.strip())
    if relative:
        base, sign, amount, unit = relative.groups()
        base = base.strip() or "today"
        amount = amount.lstrip("0") or "0"  # as text: int() refuses thousands of digits
        if amount == "0":
            return [base]
        unit = unit.lower().rstrip("s") + ("" if amount == "1" else "s")
        return [f"{base} {sign} {amount} {unit}"]
    shown = " ".join(value.split())
    return [shown if shown else '""']


def has_conditions(f: Filter) -> bool:
    """Whether the filter holds at least one condition or unknown part (not only empty groups)."""
    return any(not isinstance(item, ConditionGroup) for _, item in walk(f)) or f.error is not None


@dataclass(frozen=True)
class FilterIssue:
    """A problem of one part of a filter, in plain words; `path` as in `walk` ("" = all)."""

    path: str
    message: str
    level: str = "error"  # or "warning"


def filter_issues(f: Filter, attribute_types: Mapping[str, str] | None = None) -> list[FilterIssue]:
    """Empty groups, missing values, operators that do not fit a type, parts not understood.

    `attribute_types` maps attribute keys to "text", "number", "date" or "boolean" where known;
    without it, the type is guessed from the value. A filter with no condition at all ("everyone")
    is not an issue here: whether one is needed depends on where the filter is.
    """
    if f.error is not None:
        return [FilterIssue("", f.error)]
    issues: list[FilterIssue] = []
    only_group = len(f.groups) == 1
    for path, item in walk(f):
        if isinstance(item, Unknown):
            issues.append(FilterIssue(path, f"Not understood: {item.reason}."))
        elif isinstance(item, ConditionGroup):
            if not item.items and not (only_group and path == "0"):
                issues.append(FilterIssue(path, "This group has no conditions."))
        else:
            issues.extend(FilterIssue(path, m) for m in _condition_issues(item, attribute_types))
    return issues


def _condition_issues(condition: Condition, attribute_types: Mapping[str, str] | None) -> list[str]:
    operator = OPERATORS[condition.operator]
    name = attribute_label(condition.key)
    filled = [v for v in condition.values if v.strip()]
    needed = {0: 0, 1: 1, 2: 2, MANY: 1}[operator.arity]
    if len(filled) < needed:
        return [f"{name} {operator.words}: give {'two values' if needed == 2 else 'a value'}."]
    known_type = (attribute_types or {}).get(condition.key)
    if known_type is not None and known_type not in operator.types:
        return [f"“{operator.words}” does not fit {name}, which is a {known_type}."]
    if known_type is None and filled and not condition.value_is_reference:
        return [m for v in filled if (m := value_misfit(name, operator.types, v))][:1]
    return []


def value_misfit(name: str, types: frozenset[str], value: str) -> str | None:
    """Why `value` cannot be a value of the operator's types, guessed from its spelling."""
    value = value.strip()
    if types == {BOOLEAN} and value.lower() not in ("true", "false"):
        return f"{name} is compared with “is”, which takes true or false, not “{value}”."
    is_date = bool(_RELATIVE_DATE.match(value) or _ISO_DATE.match(value))
    if types == {DATE} and not is_date:
        return f"{name} is compared as a date, but “{value}” is not a date."
    if types == {NUMBER, DATE} and not (is_date or _NUMBER.match(value)):
        return f"{name} is compared as a number or date, but “{value}” is neither."
    return None
