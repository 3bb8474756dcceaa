"""Changes to catalog ids said by name: the email, profile, classification, data extension,
field, entry event or SMS message, keyword or code a change or conflict is about, with its id
on hover.

Used by the diff (review, compare, merge screen) and the merge screen's conflicts. Pure: the
caller passes the names it knows (``IdNames``: kind -> id -> name, from the connection's cache);
an id without a name is said as the id itself.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from journeys.domain.catalog_refs import EMAIL_FIELDS, KIND_WORDS, SEND, SMS_FIELDS
from journeys.domain.condition_words import AttributeWords, Segment, Words

IdNames = Mapping[str, Mapping[str, str]]
NO_NAMES: IdNames = {}
ROWS = ("arguments", "activityData", "updateContactFields")
WORDS = {**KIND_WORDS, "field": "data extension field"}
# Where an activity (after its key) holds one id of the catalog.
_ACTIVITY_PATHS = {
    ("configurationArguments", "dataExtensionId"): "data_extension",  # data extension update
    ("configurationArguments", "field"): "field",
    **{("configurationArguments", name): kind for name, kind in SMS_FIELDS.items()},  # SMS
}


@dataclass(frozen=True)
class CatalogWords(AttributeWords):
    """A catalog object by its name (``name``), its kind and id (``key``) shown on hover."""


def catalog_kind_at(path: Sequence[Any]) -> str | None:
    """The kind of catalog id at a diff or merge path (("activities", key, ...)), or "rows"
    for an update-contact activity's fields; None when the path holds no catalog id."""
    section, rest = (path[0] if path else None), tuple(path[2:])
    if section == "triggers":
        return "event" if rest == ("metaData", "eventDefinitionKey") else None
    if section != "activities":
        return None
    if len(rest) == 3 and rest[:2] == SEND:
        return EMAIL_FIELDS.get(str(rest[2]))
    if rest == ROWS:
        return "rows"
    return _ACTIVITY_PATHS.get(rest)


def catalog_change_words(path: Sequence[Any], old: Any, new: Any, names: IdNames) -> Words | None:
    """A change of the id at ``path`` in words ("Email 'Welcome' → 'Spring sale'"); None when
    ``path`` holds no catalog id. ``old``/``new`` may be anything; None where absent."""
    kind = catalog_kind_at(path)
    if kind is None:
        return None
    if kind == "rows":
        was = () if _empty(old) else (" (was ", *_rows(old, names), ")")
        return ("Contact data: sets ", *_rows(new, names), *was)
    label = WORDS[kind].capitalize()
    if _empty(old):
        return (f"{label} set to ", *named(kind, new, names))
    if _empty(new):
        return (f"{label} removed (was ", *named(kind, old, names), ")")
    return (f"{label} ", *named(kind, old, names), " → ", *named(kind, new, names))


def catalog_value_words(path: Sequence[Any], value: Any, names: IdNames) -> Words:
    """One side of a conflict at ``path`` by name; () when the path holds no catalog id."""
    kind = catalog_kind_at(path)
    if kind is None or _empty(value):
        return ()
    return tuple(_rows(value, names) if kind == "rows" else named(kind, value, names))


def catalog_conflict_words(
    path: Sequence[Any], ours: Any, theirs: Any, base: Any, names: IdNames
) -> Words | None:
    """ "Both sides changed the email of EMAILV2-1: your draft has 'A', SFMC has 'B' (was 'C')."
    for a conflict over one catalog id; None for any other path."""
    kind = catalog_kind_at(path)
    if kind is None or kind == "rows":
        return None

    def said(value: Any) -> list[Segment]:
        return ["nothing"] if _empty(value) else named(kind, value, names)

    return (
        f"Both sides changed the {WORDS[kind]} of {path[1]}: your draft has ",
        *said(ours),
        ", SFMC has ",
        *said(theirs),
        " (was ",
        *said(base),
        ").",
    )


def named(kind: str, value: Any, names: IdNames) -> list[Segment]:
    """'Its name' with "<kind> <id>" on hover, or the id when the name is not known."""
    text = _text(value)
    name = names.get(kind, {}).get(text)
    if not name:
        return [text]
    return ["'", CatalogWords(name, f"{WORDS[kind]} {text}"), "'"]


def _rows(rows: Any, names: IdNames) -> list[Segment]:
    """Update-contact rows: "in 'Loyalty': 'Points' = 0, 'Visited' = {{DateTime.Now}}"."""
    said: list[Segment] = []
    current = None
    for row in rows if isinstance(rows, list) else []:
        if not isinstance(row, dict):
            continue
        data_extension = _text(row.get("dataExtensionId"))
        if data_extension != current or not said:
            said += ["; " if said else "", "in ", *named("data_extension", data_extension, names)]
            said.append(": ")
            current = data_extension
        else:
            said.append(", ")
        said += [*named("field", row.get("field"), names), f" = {_short(row.get('value'))}"]
    return said or ["nothing"]


def _empty(value: Any) -> bool:
    return not value if isinstance(value, list) else not _text(value)


def _text(value: Any) -> str:
    if value is None or isinstance(value, bool | dict | list):
        return ""
    return str(value).strip()


def _short(value: Any) -> str:
    text = "empty" if value in (None, "") else str(value)
    return text if len(text) <= 40 else text[:37] + "…"
