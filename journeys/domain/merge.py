"""Keyed three-way merge of journey documents: base, ours (the approved draft), theirs (SFMC now).

Rules, per path (reliability notes §1.3 and §1.4):

* A value both sides agree on is kept; a value only one side changed takes that side; dicts
  are merged field by field; anything else both sides changed differently is a conflict.
  Absent and null differ (MISSING is the absent marker). Values compare with Python equality,
  so `1` and `1.0` agree (the merged value is then ours' spelling).
* `activities`, `triggers`, `goals` and `exits` are merged item by item by `key`, outcomes by
  `key` within their item; a list whose items lack distinct string keys, and every other list
  (suppression lists, inArguments...), is one value. A list only one side changed is that
  side's list; otherwise the order is ours, then theirs-only items, except that for outcomes
  (branch order matters) a reordering made only by theirs wins.
* Activities are matched by key and identity (`diff.is_replaced`): when one side holds another
  activity under a key (it lost the SFMC `id` of an activity SFMC made, the keys in `sfmc_keys`),
  that side deleted the base's activity and added a new one. Against the other side's edit of
  the old activity that is a delete-vs-modify conflict; nothing of one is grafted onto the other.
* Fields in `diff.SERVER_OWNED_FIELDS` (top level and on keyed items) always come from theirs,
  so the next PUT carries SFMC's current `modifiedDate` and `version`.
* Fields that only mean something together (a wait's `waitDuration` and `waitUnit`; a random
  split's percentages across its outcomes) conflict as one unit, kind `changed-together`, when
  the two sides changed them differently and not just the same one of them: taking one side's
  number and the other's unit would make a wait nobody asked for (2 days, 4 days and 2 weeks
  must not give 4 weeks). Its values are dicts of the members (`Conflict.members` says where
  each goes) and its path is the lead member's (the duration) or the outcomes'.
* An item deleted on one side and changed on the other, added on both with different content,
  or an activity whose `type` one side changed while the other edited it, conflicts as a whole.
* The provisional document holds ours' value wherever there is a conflict. It is then checked as
  a graph and what is broken is reported too: `dangling-next`, `cycle`, `orphan` (nothing leads
  to the activity any more) and `multiple-roots` (the two sides start the journey differently).
  A graph conflict at or under the path of another conflict is left out; validate after resolving.
* The activity the journey starts at is moved to `activities[0]` when there is exactly one.

The merged document shares unchanged parts with the inputs; never mutate any of them in place
(`resolve` copies what it changes). Conflict ids are `<kind>:<path>` and stay the same while the
path and kind do, so choices posted in one merge round can be offered again in the next
(see `reapply`); `resolve` ignores ids it does not know.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

from journeys.domain import merge_sentences as sentences
from journeys.domain import topology
from journeys.domain.conditions import Words, words_text
from journeys.domain.diff import (
    KEYED_LISTS,
    MISSING,
    SERVER_OWNED_FIELDS,
    Path,
    is_replaced,
    keyed_index,
    union_keys,
)
from journeys.domain.filter_changes import merge_filters
from journeys.domain.merge_words import Documents


@dataclass(frozen=True, slots=True)
class Conflict:
    """Something the user must decide. `base`/`ours`/`theirs` are MISSING where absent."""

    id: str
    kind: str
    path: Path
    base: Any
    ours: Any
    theirs: Any
    activity_key: str | None
    description: str
    # Fields decided together (kind "changed-together"): each value is a dict {name: value},
    # and the name's value goes to its path (absent from the dict: the field is removed).
    members: tuple[tuple[str, Path], ...] = ()
    said: Words = ()  # the description in parts: activities by name, their keys on hover

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready form for the merge screen; each side is {"present": bool, "value": ...}."""
        sides = {"base": self.base, "ours": self.ours, "theirs": self.theirs}
        together = {"members": {name: list(path) for name, path in self.members}}
        return {
            "id": self.id,
            "kind": self.kind,
            "path": list(self.path),
            "activity_key": self.activity_key,
            "description": self.description,
            "said": [
                part if isinstance(part, str) else {"name": part.name, "key": part.key}
                for part in self.said
            ],
            **{name: _presence(value) for name, value in sides.items()},
            **(together if self.members else {}),
        }


def _presence(value: Any) -> dict[str, Any]:
    present = value is not MISSING
    return {"present": present, "value": value if present else None}


@dataclass(frozen=True, slots=True)
class MergeResult:
    """The provisional merged document and the conflicts left to decide."""

    document: dict[str, Any]
    conflicts: list[Conflict]


class Take(enum.StrEnum):
    """Resolve a conflict with one side's value."""

    OURS = "ours"
    THEIRS = "theirs"
    BASE = "base"


@dataclass(frozen=True, slots=True)
class Custom:
    """Resolve a conflict with a value the user typed; MISSING removes the field or item."""

    value: Any


Choice = Take | Custom


def conflict_id(kind: str, path: Path) -> str:
    """The stable id of a conflict: its kind and its path, JSON-pointer escaped."""
    parts = (str(part).replace("~", "~0").replace("/", "~1") for part in path)
    return f"{kind}:/" + "/".join(parts)


def merge(
    base: Any, ours: Any, theirs: Any, *, sfmc_keys: Collection[str] = frozenset()
) -> MergeResult:
    """Merge two descendants of `base`; see the module docstring for the rules."""
    sides = tuple(side if isinstance(side, dict) else {} for side in (base, ours, theirs))
    merger = _Merger(sfmc_keys, Documents(sides[0], sides[1], sides[2], merged={}))
    document = merger.document(*sides)
    _start_first(document)
    documents = Documents(sides[0], sides[1], sides[2], merged=document)
    conflicts = merger.conflicts + _graph_conflicts(document, documents, merger.conflicts)
    return MergeResult(document, conflicts)


def resolve(result: MergeResult, choices: dict[str, Choice]) -> dict[str, Any]:
    """Apply the choices to the provisional document and return the final one (validate it).

    Conflicts without a choice keep ours' value; choices for unknown ids are ignored.
    """
    document: Any = result.document
    for conflict in result.conflicts:
        choice = choices.get(conflict.id)
        if choice is None:
            continue
        if isinstance(choice, Custom):
            value = choice.value
        else:
            value = getattr(conflict, Take(choice).value)  # a plain "ours" string works too
        if conflict.members and isinstance(value, dict):
            for name, member in conflict.members:
                document = _replaced(document, member, value.get(name, MISSING))
            continue
        document = _replaced(document, conflict.path, value)
    final = dict(document)  # never the provisional document itself, which the caller holds
    _start_first(final)
    return final


def reapply(result: MergeResult, previous_choices: dict[str, Choice]) -> dict[str, Choice]:
    """The choices of an earlier round that apply to this one, to pre-select on the screen.

    After a push is rejected again, the next round merges base := the remote the last round
    used, ours := the resolved document, theirs := SFMC now. Resolutions already in ours
    do not conflict again; a field SFMC changed once more conflicts under the same id.
    """
    current = {conflict.id for conflict in result.conflicts}
    return {key: choice for key, choice in previous_choices.items() if key in current}


class _Merger:
    def __init__(self, sfmc_keys: Collection[str], documents: Documents) -> None:
        self.conflicts: list[Conflict] = []
        self.sfmc_keys = sfmc_keys
        self.documents = documents

    def document(self, base: dict[str, Any], ours: dict[str, Any], theirs: dict[str, Any]) -> Any:
        merged: dict[str, Any] = {}
        for field in union_keys(ours, theirs, base):
            path = (field,)
            b, o, t = base.get(field, MISSING), ours.get(field, MISSING), theirs.get(field, MISSING)
            if field in SERVER_OWNED_FIELDS:
                value = t
            elif field in KEYED_LISTS:
                value = self.keyed_list(path, b, o, t, self.item)
            else:
                value = self.value(path, b, o, t, None)
            if value is not MISSING:
                merged[field] = value
        return merged

    def value(self, path: Path, b: Any, o: Any, t: Any, activity: str | None) -> Any:
        if o == t:
            return o
        if o == b:
            return t
        if t == b:
            return o
        if isinstance(b, dict) and isinstance(o, dict) and isinstance(t, dict):
            return self.fields(path, b, o, t, activity, item=False)
        if b is MISSING and isinstance(o, dict) and isinstance(t, dict):
            return self.fields(path, {}, o, t, activity, item=False)
        if _is_criteria(path) and all(isinstance(side, str) for side in (b, o, t)):
            return self.criteria(path, b, o, t, activity)
        return self.conflict(_value_kind(path, b, o, t), path, b, o, t, activity)

    def criteria(self, path: Path, b: str, o: str, t: str, activity: str | None) -> Any:
        """Both sides changed a filter: merge it condition by condition."""
        merged = merge_filters(b, o, t)
        if merged is None:
            return self.conflict("both-modified", path, b, o, t, activity)
        if merged.text is not None:
            return merged.text
        said = sentences.criteria_clash(path, merged.clashes, self.documents)
        return self.conflict("both-modified", path, b, o, t, activity, said)

    def fields(
        self,
        path: Path,
        b: Any,
        o: dict[str, Any],
        t: dict[str, Any],
        activity: str | None,
        *,
        item: bool,
    ) -> dict[str, Any]:
        base = b if isinstance(b, dict) else {}
        merged: dict[str, Any] = {}
        for field in union_keys(o, t, base):
            here = (*path, field)
            fb, fo, ft = base.get(field, MISSING), o.get(field, MISSING), t.get(field, MISSING)
            if item and field in SERVER_OWNED_FIELDS:
                value = ft
            elif item and field == "outcomes":
                value = self.keyed_list(here, fb, fo, ft, self.outcome, activity)
            else:
                value = self.value(here, fb, fo, ft, activity)
            if value is not MISSING:
                merged[field] = value
        return merged

    def keyed_list(
        self,
        path: Path,
        b: Any,
        o: Any,
        t: Any,
        merge_item: Callable[[Path, str, Any, Any, Any], Any],
        activity: str | None = None,
    ) -> Any:
        if o is MISSING or t is MISSING or o in (t, b) or t == b:
            return self.value(path, b, o, t, activity)
        base, ours, theirs = (keyed_index([] if s is MISSING else s) for s in (b, o, t))
        if base is None or ours is None or theirs is None:
            return self.value(path, b, o, t, activity)
        merged = []
        for key in _item_order(path, base, ours, theirs):
            sides = (index.get(key, MISSING) for index in (base, ours, theirs))
            value = merge_item((*path, key), key, *sides)
            if value is not MISSING:
                merged.append(value)
        return merged

    def item(self, path: Path, key: str, b: Any, o: Any, t: Any) -> Any:
        activity = key if path[0] == "activities" else None
        if o == t:
            return o
        if o == b:
            return t
        if t == b:
            return o
        if activity is not None:
            ours_new, theirs_new = (is_replaced(key, b, side, self.sfmc_keys) for side in (o, t))
            if ours_new or theirs_new:
                return self.replaced(path, key, b, o, t, ours_new, theirs_new)
        kind = _item_conflict(path, b, o, t)
        if kind == "deleted":
            return MISSING
        if kind:
            return self.conflict(kind, path, b, o, t, activity)
        if activity is not None and isinstance(b, dict):
            b, t = self.together(path, b, o, t, activity)
        return self.fields(path, b, o, t, activity, item=True)

    def together(
        self, path: Path, b: dict[str, Any], o: dict[str, Any], t: dict[str, Any], activity: str
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Conflict on each group of fields both sides changed differently (see the module
        docstring), and give base and theirs ours' values there, so that the field by field
        merge keeps ours' (the provisional value of a conflict) without conflicting again."""
        for lead, members in _groups(b, o, t):
            values = [_members_of(side, members) for side in (b, o, t)]
            changed = [
                {
                    n
                    for n in values[0].keys() | side.keys()
                    if side.get(n, MISSING) != values[0].get(n, MISSING)
                }
                for side in values[1:]
            ]
            if values[1] == values[2] or not all(changed) or len(changed[0] | changed[1]) < 2:
                continue
            where = (*path, *lead)
            absolute = tuple((name, (*path, *member)) for name, member in members)
            b_value, o_value, t_value = values
            together = ("changed-together", where, b_value, o_value, t_value, activity)
            self.conflict(*together, members=absolute)
            for _name, member in members:
                mine = _get(o, member)
                b, t = (_replaced(side, member, mine) for side in (b, t))
        return b, t

    def replaced(
        self, path: Path, key: str, b: Any, o: Any, t: Any, ours_new: bool, theirs_new: bool
    ) -> Any:
        """One side (or both) deleted the base's activity and added another under its key."""
        if ours_new and theirs_new:
            return self.conflict("both-added", path, b, o, t, key)
        kept = t if ours_new else o  # the other side's version of the base's activity
        if kept is MISSING or not _edited(b, kept):
            return o if ours_new else t
        said = sentences.replaced(key, ours_new, self.documents)
        return self.conflict("delete-vs-modify", path, b, o, t, key, said)

    def outcome(self, path: Path, key: str, b: Any, o: Any, t: Any) -> Any:
        return self.value(path, b, o, t, str(path[1]) if path[0] == "activities" else None)

    def conflict(
        self,
        kind: str,
        path: Path,
        b: Any,
        o: Any,
        t: Any,
        activity: str | None,
        said: Words = (),
        *,
        members: tuple[tuple[str, Path], ...] = (),
    ) -> Any:
        said = said or sentences.describe(kind, path, b, o, t, self.documents)
        self.conflicts.append(_conflict(kind, path, (b, o, t), activity, said, members))
        return o


def _conflict(
    kind: str,
    path: Path,
    sides: tuple[Any, Any, Any],
    activity: str | None,
    said: Words,
    members: tuple[tuple[str, Path], ...] = (),
) -> Conflict:
    description = words_text(said)
    return Conflict(
        conflict_id(kind, path), kind, path, *sides, activity, description, members, said
    )


def _item_conflict(path: Path, b: Any, o: Any, t: Any) -> str | None:
    """The conflict kind when both sides touched a keyed item, or "deleted" when one side
    deleted it and the other changed only fields SFMC owns (it may re-assign ids on save)."""
    if b is MISSING:
        return "both-added" if _edited(o, t) else None
    if o is MISSING or t is MISSING:
        return "delete-vs-modify" if _edited(b, t if o is MISSING else o) else "deleted"
    type_changed = not (o.get("type") == t.get("type") == b.get("type"))
    if path[0] == "activities" and type_changed and _edited(b, o) and _edited(b, t):
        return "type-changed"
    return None


def _groups(*sides: dict[str, Any]) -> list[tuple[Path, tuple[tuple[str, Path], ...]]]:
    """An activity's groups of fields that change together, as (lead path, ((name, path),
    ...)) relative to the activity: its wait's length, its outcomes' percentages (only of the
    outcomes all three sides have: an added or deleted path is merged as an item)."""
    groups: list[tuple[Path, tuple[tuple[str, Path], ...]]] = []
    config = ("configurationArguments",)
    if any(_get(side, (*config, "waitDuration")) is not MISSING for side in sides):
        wait = tuple((name, (*config, name)) for name in ("waitDuration", "waitUnit"))
        groups.append(((*config, "waitDuration"), wait))
    indexes = [keyed_index(side.get("outcomes")) or {} for side in sides]
    shared = [key for key in indexes[1] if all(key in index for index in indexes)]
    percentages = [
        (key, ("outcomes", key, "arguments", "percentage"))
        for key in shared
        if any(_get(index[key], ("arguments", "percentage")) is not MISSING for index in indexes)
    ]
    if len(percentages) > 1:
        groups.append((("outcomes",), tuple(percentages)))
    return groups


def _members_of(side: dict[str, Any], members: tuple[tuple[str, Path], ...]) -> dict[str, Any]:
    found = {name: _get(side, member) for name, member in members}
    return {name: value for name, value in found.items() if value is not MISSING}


def _edited(before: dict[str, Any], after: dict[str, Any]) -> bool:
    """Whether an item differs in anything but the fields SFMC owns."""
    return any(
        before.get(field, MISSING) != after.get(field, MISSING)
        for field in union_keys(before, after)
        if field not in SERVER_OWNED_FIELDS
    )


def _item_order(
    path: Path, base: dict[str, Any], ours: dict[str, Any], theirs: dict[str, Any]
) -> list[str]:
    first, second = ours, theirs
    if path[-1] == "outcomes" and _same_order(base, ours) and not _same_order(base, theirs):
        first, second = theirs, ours
    return union_keys(first, second, base)


def _same_order(base: dict[str, Any], side: dict[str, Any]) -> bool:
    return [k for k in base if k in side] == [k for k in side if k in base]


def _shape(value: Any) -> str:
    if value is MISSING:
        return "missing"
    return "object" if isinstance(value, dict) else "list" if isinstance(value, list) else "value"


def _value_kind(path: Path, b: Any, o: Any, t: Any) -> str:
    if _is_next(path):
        return "both-relinked"  # an absent `next` is a link too: to the end of the path
    if b is MISSING:
        return "both-added"
    if o is MISSING or t is MISSING:
        return "delete-vs-modify"
    if _shape(o) != _shape(t) and "object" in (_shape(o), _shape(t)):
        return "shape-changed"
    return "both-modified"


def _is_next(path: Path) -> bool:
    return (
        len(path) == 5 and path[0] == "activities" and path[2] == "outcomes" and path[4] == "next"
    )


def _is_criteria(path: Path) -> bool:
    """A filter: a decision split path's, a goal's, an exit's or an entry source's criteria."""
    return path[0] in KEYED_LISTS and path[2:4] == ("configurationArguments", "criteria")


def _get(node: Any, path: Path) -> Any:
    for part in path:
        if isinstance(node, dict):
            node = node.get(part, MISSING)
        elif isinstance(node, list):
            node = next(
                (item for item in node if isinstance(item, dict) and item.get("key") == part),
                MISSING,
            )
        else:
            return MISSING
    return node


def _replaced(node: Any, path: Path, value: Any) -> Any:
    """A copy of `node` with `value` at `path` (MISSING deletes), copying only along the path.

    Nothing happens when a container on the way is gone (another choice removed it)."""
    head, rest = path[0], path[1:]
    if isinstance(node, dict):
        if rest and head not in node:
            return node
        copied = dict(node)
        if rest:
            copied[head] = _replaced(node[head], rest, value)
        elif value is MISSING:
            copied.pop(head, None)
        else:
            copied[head] = value
        return copied
    if not isinstance(node, list):
        return node
    index = next(
        (i for i, item in enumerate(node) if isinstance(item, dict) and item.get("key") == head),
        None,
    )
    copied_list = list(node)
    if index is None:
        if not rest and value is not MISSING:
            copied_list.append(value)
    elif rest:
        copied_list[index] = _replaced(node[index], rest, value)
    elif value is MISSING:
        del copied_list[index]
    else:
        copied_list[index] = value
    return copied_list


def _start_first(document: dict[str, Any]) -> None:
    """SFMC starts a journey at `activities[0]`: move the single root there (new list)."""
    activities = document.get("activities")
    roots = topology.roots(document)
    if not isinstance(activities, list) or len(roots) != 1:
        return
    first = next(a for a in activities if isinstance(a, dict) and a.get("key") == roots[0])
    if activities[0] is not first:
        document["activities"] = [first, *(a for a in activities if a is not first)]


def _graph_conflicts(
    document: dict[str, Any], documents: Documents, existing: list[Conflict]
) -> list[Conflict]:
    graph = topology.JourneyGraph(document)
    found = [
        *_dangling(graph, document, documents),
        *_cycles(graph, document, documents),
        *_orphans(graph, documents),
    ]
    taken = [conflict.path for conflict in existing]
    return [c for c in found if not any(c.path[: len(path)] == path for path in taken)]


def _graph_conflict(kind: str, path: Path, documents: Documents, said: Words) -> Conflict:
    sides = (documents.base, documents.ours, documents.theirs)
    b, o, t = (_get(side, path) for side in sides)
    return _conflict(kind, path, (b, o, t), str(path[1]), said)


def _outcome_path(document: dict[str, Any], key: str, outcome_key: str) -> Path:
    activity = _get(document, ("activities", key))
    if keyed_index(activity.get("outcomes")) is None:
        return ("activities", key, "outcomes")  # unkeyed outcomes are one value
    return ("activities", key, "outcomes", outcome_key, "next")


def _dangling(
    graph: topology.JourneyGraph, document: dict[str, Any], documents: Documents
) -> list[Conflict]:
    return [
        _graph_conflict(
            "dangling-next",
            _outcome_path(document, key, outcome_key),
            documents,
            sentences.dangling(key, outcome_key, target, documents),
        )
        for key, outcome_key, target in graph.dangling_nexts()
    ]


def _cycles(
    graph: topology.JourneyGraph, document: dict[str, Any], documents: Documents
) -> list[Conflict]:
    conflicts = []
    for cycle in graph.cycles():
        steps = list(zip(cycle, [*cycle[1:], cycle[0]], strict=True))
        links = [
            _outcome_path(document, source, outcome_key)
            for source, target in steps
            for outcome_key, next_key in graph.links[source]
            if next_key == target
        ]
        relinked = [path for path in links if _get(documents.base, path) != _get(document, path)]
        said = sentences.loop(cycle, documents)
        conflicts.append(_graph_conflict("cycle", (relinked or links)[0], documents, said))
    return conflicts


def _orphans(graph: topology.JourneyGraph, documents: Documents) -> list[Conflict]:
    unreachable = graph.unreachable()
    if not unreachable:
        return []
    predecessors = graph.predecessors()
    side_starts = {topology.start_key(documents.ours), topology.start_key(documents.theirs)}
    conflicts = []
    for key in unreachable:
        if predecessors[key]:
            continue  # it hangs off another unreachable activity, reported on its own
        starts = key in side_starts
        said = sentences.cut_off(key, starts, documents)
        kind = "multiple-roots" if starts else "orphan"
        conflicts.append(_graph_conflict(kind, ("activities", key), documents, said))
    return conflicts
