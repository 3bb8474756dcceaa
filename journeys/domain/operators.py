"""The operators of SFMC filter conditions: their plain words, how many values, which types.

Every operator seen in real journeys (`../shared/fixtures/sfmc-real/`) plus the others SFMC's
filter builder documents. Spellings are SFMC's; a condition whose operator is not in this table
is kept verbatim as not understood.
"""

from __future__ import annotations

from dataclasses import dataclass

TEXT, NUMBER, DATE, BOOLEAN = "text", "number", "date", "boolean"
ALL_TYPES = frozenset({TEXT, NUMBER, DATE, BOOLEAN})
MANY = -1  # an operator that takes a list of values


@dataclass(frozen=True)
class Operator:
    words: str  # "is at most": reads after the attribute's name
    arity: int  # how many values: 0, 1, 2 or MANY
    types: frozenset[str]  # the attribute types it fits


def _op(words: str, arity: int, *types: str) -> Operator:
    return Operator(words, arity, frozenset(types) if types else ALL_TYPES)


OPERATORS: dict[str, Operator] = {
    "Equal": _op("equals", 1),
    "NotEqual": _op("does not equal", 1),
    "Is": _op("is", 1, BOOLEAN),
    "IsNull": _op("is empty", 0),
    "IsNotNull": _op("is not empty", 0),
    "Contains": _op("contains", 1, TEXT),
    "NotContains": _op("does not contain", 1, TEXT),
    "BeginsWith": _op("begins with", 1, TEXT),
    "Begins": _op("begins with", 1, TEXT),
    "EndsWith": _op("ends with", 1, TEXT),
    "Ends": _op("ends with", 1, TEXT),
    "GreaterThan": _op("is more than", 1, NUMBER, DATE),
    "GreaterThanOrEqual": _op("is at least", 1, NUMBER, DATE),
    "LessThan": _op("is less than", 1, NUMBER, DATE),
    "LessThanOrEqual": _op("is at most", 1, NUMBER, DATE),
    "After": _op("is after", 1, DATE),
    "AtOrAfter": _op("is on or after", 1, DATE),
    "Before": _op("is before", 1, DATE),
    "AtOrBefore": _op("is on or before", 1, DATE),
    "Between": _op("is between", 2, NUMBER, DATE),
    "In": _op("is one of", MANY, TEXT, NUMBER),
    "NotIn": _op("is not one of", MANY, TEXT, NUMBER),
}


def operators_for(attribute_type: str) -> list[str]:
    """The operators that fit an attribute of `attribute_type`, in the table's order."""
    return [name for name, operator in OPERATORS.items() if attribute_type in operator.types]
