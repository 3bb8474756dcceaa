"""Structured, plain-language difference between two journey documents.

Keyed lists are compared by `key`: `activities`, `triggers`, `goals` and `exits` at the top
level, `outcomes` inside each of those items; so the order of activities never counts as a
change. A keyed list whose items are not all dicts with distinct string keys, and every other
list, is compared as one value. Layout is derived, never stored, so it never appears here.

`SERVER_OWNED_FIELDS` is the one list of fields SFMC owns; diff ignores them (at the top level
and on keyed items) and merge always takes them from the remote side.

Identity: an activity is its `key`, except that one SFMC made (its key is in `sfmc_keys`, the
caller's record of the keys first seen in an SFMC version) and that lost its SFMC `id` is another
activity that took the old key: the old one was removed and a new one added (`is_replaced`).
Different ids alone do not count: SFMC gives every activity a new id in each new version (a
POST), and a PUT carries no ids (SFMC matches them by key), so ids differ across versions of
the very same activity. The editor never hands an old key to a new activity (catalog.next_key).

Values compare with Python equality, the JSON-number reading of it: `1` and `1.0` are the same
value, and (as in Python) so are `true` and `1`.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from typing import Any, Final

from journeys.domain import catalog
from journeys.domain.catalog_changes import NO_NAMES, IdNames, catalog_change_words
from journeys.domain.condition_words import AttributeWords
from journeys.domain.conditions import Words, words_text
from journeys.domain.document import items
from journeys.domain.filter_changes import filter_change_words
from journeys.domain.layout import outcome_label

SERVER_OWNED_FIELDS: Final = frozenset(
    {
        "modifiedDate",
        "id",
        "createdDate",
        "lastPublishedDate",
        "status",
        "definitionId",
        "stats",
        "healthStats",
        "version",
    }
)
KEYED_LISTS: Final = ("triggers", "activities", "goals", "exits")
_ITEM_WORDS = {"triggers": "Entry source", "goals": "Goal", "exits": "Exit criteria"}

PathPart = str | int
Path = tuple[PathPart, ...]
# The activities of the old and the new document by key: a line names each by its name in the
# document it is about (a removed activity, or where a path went before, from the old one).
Activities = tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]


@dataclass(frozen=True)
class ActivityWords(AttributeWords):
    """An activity (or entry source, goal, exit) by its name (``name``), its key (``key``)
    shown on hover."""


class _Missing:
    """Marks a field or item that is absent (as opposed to present with the value null)."""

    _instance: _Missing | None = None

    def __new__(cls) -> _Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "MISSING"

    def __reduce__(self) -> str:
        return "MISSING"


MISSING: Final = _Missing()


def keyed_index(items: Any) -> dict[str, dict[str, Any]] | None:
    """Index a list of dicts by their `key`; None when it is not such a list (or keys repeat)."""
    if not isinstance(items, list):
        return None
    index: dict[str, dict[str, Any]] = {}
    for item in items:
        key = item.get("key") if isinstance(item, dict) else None
        if not isinstance(key, str) or key in index:
            return None
        index[key] = item
    return index


def is_replaced(key: str, before: Any, after: Any, sfmc_keys: Collection[str]) -> bool:
    """Whether `after` is another activity than `before` though both have `key`: SFMC made the
    activity (`key` in `sfmc_keys`) and `after` lost the `id` SFMC gave it."""
    if not (isinstance(before, dict) and isinstance(after, dict)) or key not in sfmc_keys:
        return False
    return bool(before.get("id")) and not after.get("id")


def union_keys(*sides: Any) -> list[str]:
    """Keys of the dicts (or keyed indexes) given, first side's order, then new ones in turn."""
    return list(dict.fromkeys(key for side in sides if isinstance(side, dict) for key in side))


@dataclass(frozen=True, slots=True)
class Change:
    """One difference. `old`/`new` are MISSING where the field or item does not exist."""

    kind: str
    path: Path
    old: Any
    new: Any
    activity_key: str | None
    summary: str
    # The summary in parts where it says conditions: attributes with their keys, for hover.
    words: Words = ()

    @property
    def said(self) -> Words:
        """The summary in parts (plain text when it names no attribute)."""
        return self.words or (self.summary,)


@dataclass(frozen=True, slots=True)
class JourneyDiff:
    """All changes in document order, plus the activity keys per kind of change."""

    changes: tuple[Change, ...]
    activities_added: tuple[str, ...]
    activities_removed: tuple[str, ...]
    activities_changed: tuple[str, ...]

    def __bool__(self) -> bool:
        return bool(self.changes)

    def summaries(self) -> list[str]:
        """The summary lines, each once (a wait's duration and unit share one line)."""
        return list(dict.fromkeys(change.summary for change in self.changes))

    def lines(self) -> list[Words]:
        """`summaries` in parts (attributes with their keys), each once."""
        return list({change.summary: change.said for change in self.changes}.values())


def diff(
    old: Any, new: Any, *, sfmc_keys: Collection[str] = frozenset(), names: IdNames = NO_NAMES
) -> JourneyDiff:
    """Compare two journey documents (old → new); see the module docstring for `sfmc_keys`.

    A changed catalog id (email, profile, data extension, entry event...) is said by the name
    `names` gives it (kind -> id -> name, domain.catalog_changes), else by the id."""
    old_doc = old if isinstance(old, dict) else {}
    new_doc = new if isinstance(new, dict) else {}
    activities = (_by_key(old_doc), _by_key(new_doc))
    changes: list[Change] = []
    for field in union_keys(new_doc, old_doc):
        if field in SERVER_OWNED_FIELDS:
            continue
        before, after = old_doc.get(field, MISSING), new_doc.get(field, MISSING)
        if before == after:
            continue
        if field in KEYED_LISTS:
            # An absent list of steps is an empty one: a journey new to SFMC adds each step.
            before, after = _empty_if_missing(before), _empty_if_missing(after)
        indexes = (keyed_index(before), keyed_index(after)) if field in KEYED_LISTS else None
        if indexes and indexes[0] is not None and indexes[1] is not None:
            pair = (indexes[0], indexes[1])
            changes += _keyed_items(field, pair, sfmc_keys, names, activities)
        else:
            changes += [_setting(path, a, b) for path, a, b in _leaves((field,), before, after)]
    by_kind = {
        kind: tuple(c.activity_key for c in changes if c.kind == kind and c.activity_key)
        for kind in ("activity-added", "activity-removed")
    }
    changed = (c.activity_key for c in changes if c.kind not in by_kind and c.activity_key)
    return JourneyDiff(
        tuple(changes),
        by_kind["activity-added"],
        by_kind["activity-removed"],
        tuple(dict.fromkeys(changed)),
    )


def _by_key(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {a["key"]: a for a in items(doc, "activities") if isinstance(a.get("key"), str)}


def _empty_if_missing(value: Any) -> Any:
    return [] if value is MISSING else value


def _none_if_missing(value: Any) -> Any:
    return None if value is MISSING else value


def _leaves(path: Path, old: Any, new: Any) -> Iterator[tuple[Path, Any, Any]]:
    """The differing leaves under `path`: dicts are descended into, anything else is a leaf."""
    if old == new:
        return
    if isinstance(old, dict) and isinstance(new, dict):
        for field in union_keys(new, old):
            yield from _leaves((*path, field), old.get(field, MISSING), new.get(field, MISSING))
    else:
        yield path, old, new


def _keyed_items(
    field: str,
    indexes: tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]],
    sfmc_keys: Collection[str],
    names: IdNames,
    activities: Activities,
) -> list[Change]:
    before, after = indexes
    changes: list[Change] = []
    for key in union_keys(after, before):
        item_old, item_new = before.get(key, MISSING), after.get(key, MISSING)
        if item_old == item_new:
            continue
        if field == "activities" and is_replaced(key, item_old, item_new, sfmc_keys):
            changes.append(_item_presence(field, key, item_old, MISSING))
            changes.append(_item_presence(field, key, MISSING, item_new))
        elif isinstance(item_old, dict) and isinstance(item_new, dict):
            changes += _item_changes(field, key, (item_old, item_new), names, activities)
        else:
            changes.append(_item_presence(field, key, item_old, item_new))
    return changes


def _describe_item(field: str, key: str, item: Any) -> ActivityWords:
    """An activity, entry source, goal or exit in a sentence by its name, its key on hover."""
    if field == "activities":
        return ActivityWords(catalog.activity_title(item), key)
    name = item.get("name") if isinstance(item, dict) else None
    word = _ITEM_WORDS[field]
    return ActivityWords(f"{word} '{name}'" if isinstance(name, str) and name else word, key)


def _item_presence(field: str, key: str, old: Any, new: Any) -> Change:
    added = old is MISSING
    noun = "activity" if field == "activities" else field.rstrip("s")
    kind = f"{noun}-{'added' if added else 'removed'}"
    activity = key if field == "activities" else None
    line = (_describe_item(field, key, new if added else old), f" {kind.split('-')[1]}")
    return Change(kind, (field, key), old, new, activity, words_text(line), line)


def _item_changes(
    field: str,
    key: str,
    sides: tuple[dict[str, Any], dict[str, Any]],
    names: IdNames,
    activities: Activities,
) -> list[Change]:
    old, new = sides
    activity = key if field == "activities" else None
    prefix: Words = () if activity else (_describe_item(field, key, new), ": ")
    changes: list[Change] = []
    for name in union_keys(new, old):
        if name in SERVER_OWNED_FIELDS:
            continue
        path: Path = (field, key, name)
        before, after = old.get(name, MISSING), new.get(name, MISSING)
        outcomes = (keyed_index(before), keyed_index(after)) if name == "outcomes" else None
        if outcomes and outcomes[0] is not None and outcomes[1] is not None:
            pair = (outcomes[0], outcomes[1])
            changes += _outcome_changes(path, pair, (old, new), activities)
            continue
        for leaf, a, b in _leaves(path, before, after):
            conditions = _condition_summaries(leaf[2:], a, b, old, new)
            if conditions:
                changes += [
                    Change("condition-changed", leaf, a, b, activity, words_text(line), line)
                    for line in ((*prefix, *words) for words in conditions)
                ]
                continue
            named = catalog_change_words(leaf, _none_if_missing(a), _none_if_missing(b), names)
            said = named if named is not None else (_field_summary(leaf[2:], a, b, old, new),)
            line: Words = (*prefix, *said) if prefix or named is not None else ()
            summary = words_text(line or said)
            changes.append(Change("field-changed", leaf, a, b, activity, summary, line))
    return changes


def _condition_summaries(
    path: Path, old: Any, new: Any, item_old: Any, item_new: Any
) -> list[Words]:
    """What changed inside a filter (a branch's, goal's or exit's criteria), per condition."""
    texts = ["" if value in (MISSING, None) else value for value in (old, new)]
    if path[:2] != ("configurationArguments", "criteria") or not all(
        isinstance(text, str) for text in texts
    ):
        return []
    lines = filter_change_words(*texts)
    if len(path) == 3:  # a decision split's path: criteria by outcome key
        key = str(path[2])
        outcomes = (keyed_index(i.get("outcomes")) or {} for i in (item_new, item_old))
        outcome = next((index[key] for index in outcomes if key in index), None)
        branch = branch_name(outcome) if outcome else key
        lines = [(f"Branch '{branch}': ", *line) for line in lines]
    return lines


def _outcome_changes(
    path: Path,
    outcomes: tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]],
    items: tuple[dict[str, Any], dict[str, Any]],
    activities: Activities,
) -> list[Change]:
    before, after = outcomes
    key = str(path[1])
    activity = key if path[0] == "activities" else None
    changes = []
    for outcome_key in union_keys(after, before):
        a, b = before.get(outcome_key, MISSING), after.get(outcome_key, MISSING)
        if a == b:
            continue
        branch = f"Branch '{branch_name(b if a is MISSING else a)}'"
        if not (isinstance(a, dict) and isinstance(b, dict)):
            kind = "branch-added" if a is MISSING else "branch-removed"
            summary = f"{branch} {kind.split('-')[1]}"
            changes.append(Change(kind, (*path, outcome_key), a, b, activity, summary))
            continue
        for leaf, x, y in _leaves((*path, outcome_key), a, b):
            if leaf[4:] == ("next",):
                subject: Words = (_describe_item(str(path[0]), key, items[1]),)
                if len(before) > 1:
                    subject = (f"Outcome '{branch_name(a)}' of ", *subject)
                line = _relink_words(subject, x, y, activities)
                changes.append(
                    Change("outcome-relinked", leaf, x, y, activity, words_text(line), line)
                )
            else:
                summary = f"{branch}: {_field_summary(leaf[4:], x, y, *items)}"
                changes.append(Change("field-changed", leaf, x, y, activity, summary))
    if [k for k in before if k in after] != [k for k in after if k in before]:
        order = (list(before), list(after))
        changes.append(Change("branches-reordered", path, *order, activity, "Branches reordered"))
    return changes


def branch_name(outcome: Any) -> str:
    """A branch's own name ("Path 2") rather than the canvas label ("Path 2 (50%)")."""
    if not isinstance(outcome, dict):
        return ""
    meta = outcome.get("metaData")
    names = (meta.get("name"), meta.get("pathName")) if isinstance(meta, dict) else ()
    name = next((n for n in names if isinstance(n, str) and n), None)
    return name or outcome_label(outcome) or str(outcome.get("key") or "")


def _relink_words(subject: Words, old: Any, new: Any, activities: Activities) -> Words:
    """ "Email 'Welcome' now goes to 'Wait 2 days' (was 'Opened?')": where a path went is named
    from the old document, where it goes from the new one."""
    was = (" (was ", *_target_words(old, activities[0]), ")")
    if not (isinstance(new, str) and new):
        return (*subject, " now ends the path", *was)
    return (*subject, " now goes to ", *_target_words(new, activities[1]), *was)


def _target_words(target: Any, activities: dict[str, dict[str, Any]]) -> Words:
    if not (isinstance(target, str) and target):
        return ("the end of the path",)
    activity = activities.get(target)
    if activity is None:
        return (f"an activity that does not exist (key {target})",)
    return ("'", ActivityWords(catalog.activity_name(activity), target), "'")


def _short(value: Any) -> str:
    text = repr(value) if isinstance(value, str) else str(value).replace("True", "true")
    return text if len(text) <= 40 else text[:37] + "…"


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def _generic_summary(path: Path, old: Any, new: Any) -> str:
    where = " › ".join(str(part) for part in path)
    if old is MISSING:
        return f"{where} added" + (f": {_short(new)}" if _is_scalar(new) else "")
    if new is MISSING:
        return f"{where} removed"
    if _is_scalar(old) and _is_scalar(new) and len(_short(old) + _short(new)) < 60:
        return f"{where}: {_short(old)} → {_short(new)}"
    return f"{where} changed"


def _rename_text(old: Any, new: Any) -> str:
    """A name given, changed or taken away (a name that was never there is not "MISSING")."""
    if old is MISSING or old in ("", None):
        return f"Named {_short(new)}"
    if new is MISSING or new in ("", None):
        return f"Name {_short(old)} removed"
    return f"Renamed {_short(old)} → {_short(new)}"


def _wait_text(activity: dict[str, Any]) -> str:
    config = activity.get("configurationArguments")
    config = config if isinstance(config, dict) else {}
    amount, unit = config.get("waitDuration"), str(config.get("waitUnit", "")).lower()
    return f"{amount} {unit[:-1] if amount == 1 and unit.endswith('s') else unit}".strip()


_ACTIVITY_SUMMARIES: dict[Path, Callable[[Any, Any, dict[str, Any], dict[str, Any]], str]] = {
    ("name",): lambda a, b, o, n: _rename_text(a, b),
    ("description",): lambda a, b, o, n: "Description changed",
    ("type",): lambda a, b, o, n: f"Type changed {a} → {b}",
    ("configurationArguments", "waitDuration"): lambda a, b, o, n: (
        f"Wait {_wait_text(o)} → {_wait_text(n)}"
    ),
    ("configurationArguments", "waitUnit"): lambda a, b, o, n: (
        f"Wait {_wait_text(o)} → {_wait_text(n)}"
    ),
    ("configurationArguments", "triggeredSend", "emailSubject"): lambda a, b, o, n: (
        "Email subject changed"
    ),
}


def _field_summary(path: Path, old: Any, new: Any, item_old: Any, item_new: Any) -> str:
    special = _ACTIVITY_SUMMARIES.get(path)
    if special is not None:
        return special(old, new, item_old, item_new)
    return _generic_summary(path, old, new)


_SETTING_WORDS = {
    "description": "Description",
    "entryMode": "Entry mode",
    "definitionType": "Journey type",
    "workflowApiVersion": "Workflow API version",
    "channel": "Channel",
    "executionMode": "Execution mode",
    "categoryId": "Folder",
    "defaults": "Defaults",
    "metaData": "Journey metadata",
}


def _setting(path: Path, old: Any, new: Any) -> Change:
    if path == ("name",) and isinstance(old, str) and isinstance(new, str):
        summary = f"Renamed journey '{old}' → '{new}'"
    elif path == ("description",):
        summary = "Journey description changed"
    else:
        words = _SETTING_WORDS.get(str(path[0]), str(path[0]))
        summary = _generic_summary((words, *path[1:]), old, new)
    return Change("setting-changed", path, old, new, None, summary)
