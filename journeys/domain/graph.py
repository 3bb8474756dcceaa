"""The edits the canvas makes to a journey: each returns a new document, never a broken one.

Every function copies what it changes and leaves its input untouched; the result shares the
activities an edit did not change with the input (documents are values: nothing changes one in
place), so that what is remembered of them by identity (validate.values_unchanged) holds.

An edit that cannot be made (an unknown key, a loop, a split left with too few paths...) raises
EditError with a message for the editor. The edits of the graph (insert, delete, paths, links)
first check its shapes: a stored journey may hold anything (`"outcomes": 1.5`, a key that is a
list), and such a journey is refused with the validator's own words for the first malformed
part, never half-edited. As a last guard, an edit that would introduce a graph error
(validate.GRAPH_CODES) into a journey that had none is refused, so a sound journey stays sound.

The start activity is kept first in `activities`, as SFMC keeps it. Random split and Path
Optimizer shares are spread evenly again whenever a branch is added or removed (100 split into
whole percentages, the last branches taking the remainder: 33/33/34).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Collection, Sequence
from typing import Any

from journeys.domain import topology
from journeys.domain.catalog import (
    BRANCH_NAME_FIELDS,
    BRANCHABLE_TYPES,
    BY_TYPE_ID,
    REMAINDER_PATH,
    CatalogEntry,
    activity_title,
    activity_titles,
    add_branch_outcome,
    default_name,
    new_activity,
    next_key,
    remove_branch_outcome,
    title_of,
    type_of,
)
from journeys.domain.document import SETTINGS_FIELDS, Journey, minimal_journey
from journeys.domain.journey_filters import criteria_description, description_path
from journeys.domain.validate import ERROR, GRAPH_CODES, SHAPE_CODES, Problem, validate

# A new journey is Journey Builder's empty canvas; see document.minimal_journey.
new_journey = minimal_journey
# The activities whose own fields (not only their paths' `next`) a graph edit may change.
_SPLIT_TYPES = BRANCHABLE_TYPES


class EditError(ValueError):
    """An edit that cannot be made; `message` says why in plain language."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def insert_activity(
    doc: Journey,
    type_id: str,
    *,
    after: str | None,
    outcome_key: str | None = None,
    taken: Collection[str] = (),
) -> tuple[Journey, str]:
    """Insert a new activity of a catalogue type on an edge; return the journey and its key.

    `after=None` inserts at the start, before the current start activity. Otherwise the new
    activity goes on the outcome `outcome_key` of `after` (which may be omitted when `after`
    has a single outcome) and takes over that outcome's old `next` on its first outcome; the
    other branches of a new split end. The key is new to the journey and to `taken` (the keys
    its lineage ever used; see catalog.next_key).
    """
    if type_id not in BY_TYPE_ID:
        raise EditError(f"There is no activity type called {type_id!r}.")
    new = _graph_copy(doc)
    activities = _activities(new, create=True)
    key = next_key(new, BY_TYPE_ID[type_id].key_prefix, taken)
    activity = new_activity(type_id, key)
    activity["name"] = default_name(type_id, new, activity)
    if after is None:
        if outcome_key is not None:
            raise EditError("A path can only be chosen when inserting after an activity.")
        _link(activity["outcomes"][0], topology.start_key(new))
        activities.insert(0, activity)
    else:
        source = _activity(new, after)
        outcome = _outcome(source, outcome_key)
        _link(activity["outcomes"][0], outcome.get("next") or None)
        outcome["next"] = key
        activities.insert(_position(activities, after) + 1, activity)
    return _checked(doc, _shared(doc, new)), key


def delete_activity(doc: Journey, key: str, *, keep_branch: str | None = None) -> Journey:
    """Delete an activity, joining what led to it to what came after it.

    For a split, `keep_branch` names the outcome whose path takes the split's place; the
    activities only reachable through the other branches are deleted. With `keep_branch=None`
    a split is deleted with everything only reachable from it, and the paths into it end.
    """
    new = _graph_copy(doc)
    activity = _activity(new, key)
    outcomes = _outcomes(activity)
    if keep_branch is not None:
        successor = _outcome(activity, keep_branch).get("next") or None
    elif len(outcomes) == 1:
        successor = outcomes[0].get("next") or None
    else:
        successor = None
    start, lost_before = topology.start_key(new), set(topology.unreachable(new))
    for outcome in _outcomes_leading_to(new, key):
        _link(outcome, successor)
    _remove(new, {key})
    if start == key:
        start = successor
        if successor is not None:
            _move_to_front(new, successor)
    _remove_orphans(new, start, lost_before, removed={key}, original=doc)
    return _checked(doc, _shared(doc, new))


def add_branch(doc: Journey, key: str, *, label: str | None = None) -> Journey:
    """Add a path (ending at once) to a decision split, random split or Path Optimizer."""
    new = _graph_copy(doc)
    activity = _activity(new, key)
    entry = _branchable(activity, key)
    if len(_outcomes(activity)) >= entry.max_outcomes:
        raise EditError(f"{activity_title(activity)} can have at most {entry.max_outcomes} paths.")
    add_branch_outcome(activity, label)
    return _checked(doc, _shared(doc, new))


def remove_branch(doc: Journey, key: str, outcome_key: str) -> Journey:
    """Remove a path of a split, with the activities only reachable through it."""
    new = _graph_copy(doc)
    activity = _activity(new, key)
    entry = _branchable(activity, key)
    _outcome(activity, outcome_key)
    if outcome_key == REMAINDER_PATH:
        raise EditError("The remainder path catches everyone else; it cannot be removed.")
    if len(_outcomes(activity)) <= entry.min_outcomes:
        raise EditError(f"{activity_title(activity)} needs at least {entry.min_outcomes} paths.")
    start, lost_before = topology.start_key(new), set(topology.unreachable(new))
    remove_branch_outcome(activity, outcome_key)
    _remove_orphans(new, start, lost_before, removed=set(), original=doc)
    return _checked(doc, _shared(doc, new))


def relabel_branch(doc: Journey, key: str, outcome_key: str, label: str) -> Journey:
    """Rename a path: `metaData.name` for a random split, `pathName` for a Path Optimizer and
    `label` otherwise (a random split's `label` shows its percentage)."""
    new = _graph_copy(doc)
    activity = _activity(new, key)
    outcome = _outcome(activity, outcome_key)
    meta = outcome.get("metaData", {})
    if not isinstance(meta, dict):
        raise EditError(f"A path of {activity_title(activity)} has unreadable metadata.")
    meta = outcome["metaData"] = dict(meta)  # the copy shares it with `doc` (_graph_item_copy)
    meta[BRANCH_NAME_FIELDS.get(activity.get("type", ""), "label")] = label
    return _shared(doc, new)


def relink_outcome(doc: Journey, key: str, outcome_key: str, target: str | None) -> Journey:
    """Point an outcome at another activity (a join), or end the path with `target=None`.

    Refused when it would make the journey loop or leave activities with no way in.
    """
    new = _graph_copy(doc)
    outcome = _outcome(_activity(new, key), outcome_key)
    if target is not None:
        _activity(new, target)
    start, lost_before = topology.start_key(new), set(topology.unreachable(new))
    loops_before = len(topology.cycles(new))
    _link(outcome, target)
    titles = activity_titles(new)
    if len(topology.cycles(new)) > loops_before:
        linked = f"{title_of(key, titles)} to {title_of(target or '', titles)}"
        raise EditError(f"Linking {linked} would make the journey loop.")
    orphans = _orphans(new, start, lost_before)
    if orphans:
        names = ", ".join(sorted(title_of(orphan, titles) for orphan in orphans))
        raise EditError(f"That would leave {names} with no way in; delete or relink them first.")
    return _checked(doc, _shared(doc, new))


def set_field(doc: Journey, path: Sequence[str | int], value: Any) -> Journey:
    """Set any field by path (keys and list indexes), creating missing objects on the way."""
    if not path:
        raise EditError("Say which field to set.")
    new = _copy_item(doc, path)
    node: Any = new
    for part, following in zip(path, path[1:], strict=False):
        node = _step(node, part, create=isinstance(following, str))
    last = path[-1]
    fits_object = isinstance(node, dict) and isinstance(last, str)
    fits_list = isinstance(node, list) and isinstance(last, int) and 0 <= last < len(node)
    if not (fits_object or fits_list):
        raise EditError(f"There is no field at {_path_words(path)}.")
    node[last] = copy.deepcopy(value)
    return _checked(doc, new) if _reads_graph(path) else new


# The fields the graph rules (GRAPH_CODES) read: an activity's key, type, outcomes (links,
# counts, percentages) and the email an engagement split checks; a trigger's outcomes.
_GRAPH_FIELDS = {"activities": {"key", "type", "outcomes"}, "triggers": {"outcomes"}}
_ENGAGEMENT_REFERENCE = ("configurationArguments", "refActivityCustomerKey")


def _reads_graph(path: Sequence[str | int]) -> bool:
    """Whether setting the field at `path` can change what the graph rules find: the check
    validates the whole journey, and a wait's duration or an email's subject never could."""
    section, rest = path[0], tuple(path[2:])
    if section not in _GRAPH_FIELDS:
        return section in ("activities", "triggers") or not isinstance(section, str)
    if len(path) < 3 or rest[0] in _GRAPH_FIELDS[str(section)]:
        return True
    return section == "activities" and _ENGAGEMENT_REFERENCE[: len(rest)] == rest[:2]


def set_criteria(doc: Journey, path: Sequence[str | int], text: str) -> Journey:
    """Set a filter (a decision path's, goal's, exit's or entry source's `criteria`) and bring
    SFMC's plain-language copy of it (`criteriaDescription`, `configurationDescription`) up to
    date, so that Journey Builder does not show a description of the old condition."""
    new = set_field(doc, path, text)
    where = description_path(new, tuple(path))
    if where is None:
        return new
    node: Any = new  # a copy of our own: set_field copied the document
    for part in where[:-2]:
        node = node[part]
    if not isinstance(node.get("metaData"), dict):
        node["metaData"] = {}
    node["metaData"][where[-1]] = criteria_description(text)
    return new


def set_trigger(doc: Journey, trigger: dict[str, Any]) -> Journey:
    """Replace the entry source (the first trigger)."""
    if not isinstance(trigger, dict):
        raise EditError("An entry source must be an object.")
    new = _copy(doc)
    triggers = new.get("triggers")
    if isinstance(triggers, list) and triggers:
        triggers[0] = copy.deepcopy(trigger)
    else:
        new["triggers"] = [copy.deepcopy(trigger)]
    return _checked(doc, new)


def set_goal(doc: Journey, goal: dict[str, Any] | None) -> Journey:
    """Set the journey's goal, or remove it with None."""
    return _set_single(doc, "goals", goal, "A goal")


def set_exit(doc: Journey, exit: dict[str, Any] | None) -> Journey:
    """Set the journey's exit criteria, or remove them with None."""
    return _set_single(doc, "exits", exit, "Exit criteria")


def set_settings(doc: Journey, **fields: Any) -> Journey:
    """Set journey-level settings (see document.SETTINGS_FIELDS), e.g. name or entryMode."""
    unknown = sorted(set(fields) - set(SETTINGS_FIELDS))
    if unknown:
        raise EditError(f"{', '.join(unknown)} is not a journey setting.")
    new = _copy(doc)
    for name, value in fields.items():
        new[name] = copy.deepcopy(value)
    return new


# --- helpers -------------------------------------------------------------------------------


def _copy(doc: Journey) -> Journey:
    if not isinstance(doc, dict):
        raise EditError("This is not a journey document.")
    return copy.deepcopy(doc)


def _copy_item(doc: Journey, path: Sequence[str | int]) -> Journey:
    """A copy of `doc` whose item on `path` (an activity, trigger, goal, a section) is its own,
    sharing every other part with `doc`: a field edit changes one activity, and copying the
    other 499 was most of its cost. Documents are values: no edit changes one in place."""
    if not isinstance(doc, dict):
        raise EditError("This is not a journey document.")
    new = dict(doc)
    section, index = path[0], path[1] if len(path) > 1 else None
    if not isinstance(section, str) or section not in doc:
        return new
    items = doc[section]
    if isinstance(items, list) and isinstance(index, int) and 0 <= index < len(items):
        new[section] = [*items[:index], copy.deepcopy(items[index]), *items[index + 1 :]]
    else:
        new[section] = copy.deepcopy(items)
    return new


# The parts of a journey the graph edits read: the activities list, each activity's key, type,
# outcomes, sections and decision criteria, and each outcome's key, next and sections.
_GRAPH_PARTS = re.compile(
    r"\$\.activities(\[\d+\](\.(key|type|outcomes|arguments|configurationArguments|metaData)"
    r"(\[\d+\](\.(key|next|arguments|metaData))?|\.criteria)?)?)?"
)


def _graph_copy(doc: Journey) -> Journey:
    """A copy of `doc` for an edit of its graph; refused when a part the edit reads is
    malformed, with the validator's message for it (the editor lists the same one)."""
    if not isinstance(doc, dict):
        raise EditError("This is not a journey document.")
    malformed = [
        p for p in validate(doc) if p.code in SHAPE_CODES and _GRAPH_PARTS.fullmatch(p.path)
    ]
    if malformed:
        where = _where(malformed[0], doc)
        raise EditError(
            "The canvas cannot change this journey's paths while a part of it is malformed: "
            f"{where}{malformed[0].message} Correct it first (in the activity's "
            "panel, or download the journey, fix the file and upload it)."
        )
    return {
        section: [_graph_item_copy(item) for item in value]
        if section == "activities" and isinstance(value, list)
        else copy.deepcopy(value)
        for section, value in doc.items()
    }


def _graph_item_copy(activity: Any) -> Any:
    """What a graph edit may change of an activity is its own in the copy: a split whole (its
    paths, shares and criteria), any other activity's paths' `next` (_link). The rest (the
    configuration, a path's metaData) is shared; _shared then shares what stayed equal."""
    if not isinstance(activity, dict) or activity.get("type") in _SPLIT_TYPES:
        return copy.deepcopy(activity)
    outcomes = activity.get("outcomes")
    if not isinstance(outcomes, list):
        return dict(activity)
    return {**activity, "outcomes": [dict(o) if isinstance(o, dict) else o for o in outcomes]}


def _shared(before: Journey, after: Journey) -> Journey:
    """`after` (a _graph_copy of `before`, edited) with every activity the edit left as it was
    replaced by `before`'s very object: the revision store, the limits and validation skip what
    they know. "As it was" is by identity, not ==, which would take 1.0 for 1 or True."""
    kept = {
        a["key"]: a
        for a in _items(before.get("activities"))
        if isinstance(a, dict) and isinstance(a.get("key"), str)
    }
    activities = after.get("activities")
    if isinstance(activities, list):
        after["activities"] = [_kept_as_it_was(item, kept) for item in activities]
    return after


def _kept_as_it_was(item: Any, kept: dict[str, Any]) -> Any:
    """`kept`'s activity of `item`'s key if `item` is a copy of it (_graph_item_copy) holding
    the very same values, its paths' included; else `item`."""
    key = item.get("key") if isinstance(item, dict) else None
    original = kept.get(key) if isinstance(key, str) else None
    if original is None or original.keys() != item.keys():
        return item
    for field, value in item.items():
        if field == "outcomes" and isinstance(value, list):
            if not _same_outcomes(value, original[field]):
                return item
        elif value is not original[field]:
            return item
    return original


def _same_outcomes(outcomes: list[Any], original: Any) -> bool:
    if not isinstance(original, list) or len(outcomes) != len(original):
        return False
    for outcome, was in zip(outcomes, original, strict=True):
        if outcome is was:
            continue
        if not (isinstance(outcome, dict) and isinstance(was, dict)):
            return False
        if outcome.keys() != was.keys() or any(outcome[k] is not was[k] for k in outcome):
            return False
    return True


def _items(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def _where(problem: Problem, doc: Journey) -> str:
    if not problem.activity_key:
        return ""
    return f"in {title_of(problem.activity_key, activity_titles(doc))}, "


def _checked(before: Journey, after: Journey) -> Journey:
    """`after`, refused if it breaks the graph."""
    broken = [p for p in validate(after) if p.severity == ERROR and p.code in GRAPH_CODES]
    if broken and not any(p.severity == ERROR and p.code in GRAPH_CODES for p in validate(before)):
        raise EditError(f"That change would break the journey: {broken[0].message}")
    return after


def _activities(doc: Journey, *, create: bool = False) -> list[Any]:
    if create:
        doc.setdefault("activities", [])
    activities = doc.get("activities")
    if not isinstance(activities, list):
        raise EditError("This journey has no list of activities.")
    return activities


def _activity(doc: Journey, key: str) -> dict[str, Any]:
    for activity in _activities(doc):
        if isinstance(activity, dict) and activity.get("key") == key:
            return activity
    raise EditError(f"There is no activity {key!r} in this journey.")


def _position(activities: list[Any], key: str) -> int:
    return next(
        i for i, item in enumerate(activities) if isinstance(item, dict) and item.get("key") == key
    )


def _outcomes(activity: dict[str, Any]) -> list[dict[str, Any]]:
    outcomes = activity.get("outcomes")
    return [o for o in outcomes if isinstance(o, dict)] if isinstance(outcomes, list) else []


def _outcome(activity: dict[str, Any], outcome_key: str | None) -> dict[str, Any]:
    outcomes = _outcomes(activity)
    if outcome_key is None:
        if len(outcomes) == 1:
            return outcomes[0]
        raise EditError(f"{activity_title(activity)} has {len(outcomes)} paths: say which one.")
    for outcome in outcomes:
        if outcome.get("key") == outcome_key:
            return outcome
    raise EditError(f"{activity_title(activity)} has no path {outcome_key!r}.")


def _outcomes_leading_to(doc: Journey, key: str) -> list[dict[str, Any]]:
    return [
        outcome
        for activity in _activities(doc)
        if isinstance(activity, dict)
        for outcome in _outcomes(activity)
        if outcome.get("next") == key
    ]


def _link(outcome: dict[str, Any], target: str | None) -> None:
    # An outcome that ends has no `next` at all, as Journey Builder saves it.
    if target:
        outcome["next"] = target
    else:
        outcome.pop("next", None)


def _branchable(activity: dict[str, Any], key: str) -> CatalogEntry:
    entry = type_of(activity)
    if entry is None or not entry.is_split:
        what = activity_title(activity)
        raise EditError(f"{what} is not a split; only splits have paths to add or remove.")
    if activity.get("type") not in BRANCHABLE_TYPES:
        what = activity_title(activity)
        raise EditError(f"The paths of {what} are fixed; they cannot be added or removed.")
    return entry


def _orphans(doc: Journey, start: str | None, lost_before: set[str]) -> set[str]:
    """Activities an edit has cut off from the start (those cut off already are not counted)."""
    reached = topology.reachable_from(doc, start) if start is not None else set()
    return set(topology.successors(doc)) - reached - lost_before


def _remove_orphans(
    doc: Journey, start: str | None, lost_before: set[str], removed: set[str], original: Journey
) -> None:
    orphans = _orphans(doc, start, lost_before)
    _remove(doc, orphans)
    _refuse_lost_engagement_email(doc, removed | orphans, original)


def _remove(doc: Journey, keys: set[str]) -> None:
    doc["activities"] = [
        item
        for item in _activities(doc)
        if not (isinstance(item, dict) and item.get("key") in keys)
    ]


def _move_to_front(doc: Journey, key: str) -> None:
    """Put the activity `key` first; a key no activity has (a dangling `next`) moves nothing."""
    activities = _activities(doc)
    if any(isinstance(item, dict) and item.get("key") == key for item in activities):
        activities.insert(0, activities.pop(_position(activities, key)))


def _refuse_lost_engagement_email(doc: Journey, removed: set[str], original: Journey) -> None:
    """Refuse an edit that removes an email an engagement split checks (named as `original`,
    the document before the edit, has it)."""
    for activity in _activities(doc):
        if not isinstance(activity, dict) or activity.get("type") != "ENGAGEMENTDECISION":
            continue
        config = activity.get("configurationArguments")
        reference = config.get("refActivityCustomerKey") if isinstance(config, dict) else None
        if reference in removed:
            email = title_of(reference, activity_titles(original))
            raise EditError(
                f"{activity_title(activity)} checks {email}; "
                "point it at another email or delete it first."
            )


def _step(node: Any, part: str | int, *, create: bool) -> Any:
    if isinstance(node, dict) and isinstance(part, str):
        if node.get(part) is None and create:
            node[part] = {}
        if part in node:
            return node[part]
    if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
        return node[part]
    raise EditError(f"There is no field {part!r} here.")


def _path_words(path: Sequence[str | int]) -> str:
    return "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in path)


def _set_single(doc: Journey, field: str, item: dict[str, Any] | None, what: str) -> Journey:
    if item is not None and not isinstance(item, dict):
        raise EditError(f"{what} must be an object.")
    new = _copy(doc)
    new[field] = [] if item is None else [copy.deepcopy(item)]
    return new
