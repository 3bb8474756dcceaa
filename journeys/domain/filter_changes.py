"""What changed inside a filter, and the three-way merge of a filter, condition by condition.

The parts of two versions of a group are matched in order (difflib over their exact text);
where a run of parts differs, parts on the same attribute are paired first, then the rest by
position, so "Tier equals Gold" edited to "Tier is one of Gold, Platinum" is one changed
condition, not a removal and an addition.
"""

from __future__ import annotations

from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any

from journeys.domain.conditions import (
    Condition,
    ConditionGroup,
    Filter,
    Item,
    Words,
    explain_item,
    filter_from_tree,
    filter_words,
    has_conditions,
    item_text,
    item_to_tree,
    item_words,
    parse_filter,
    serialize_filter,
    walk,
    words_text,
)

_SIDE_WORDS = {"ours": "your draft", "theirs": "SFMC"}


def _identity(item: Item) -> tuple[str, str]:
    if isinstance(item, Condition):
        return ("condition", item.key)
    return ("group", "") if isinstance(item, ConditionGroup) else ("unknown", "")


def align(base: tuple[Item, ...], side: tuple[Item, ...]) -> dict[int, int]:
    """Which part of `side` each part of `base` became (same or edited); absent = removed."""
    texts = [item_text(item) for item in base], [item_text(item) for item in side]
    matches: dict[int, int] = {}
    opcodes = SequenceMatcher(None, *texts, autojunk=False).get_opcodes()
    for tag, b1, b2, s1, s2 in opcodes:
        if tag == "equal":
            matches.update(zip(range(b1, b2), range(s1, s2), strict=True))
        elif tag == "replace":
            matches.update(_pair_run(base, side, list(range(b1, b2)), list(range(s1, s2))))
    return matches


def _pair_run(
    base: tuple[Item, ...], side: tuple[Item, ...], olds: list[int], news: list[int]
) -> dict[int, int]:
    pairs: dict[int, int] = {}
    for strict in (True, False):  # same attribute first, then same kind of part by position
        for old in [o for o in olds if o not in pairs]:
            wanted = _identity(base[old]) if strict else _identity(base[old])[0]
            for new in news:
                found = _identity(side[new]) if strict else _identity(side[new])[0]
                if found == wanted and new not in pairs.values():
                    pairs[old] = new
                    break
    return pairs


def filter_changes(old_text: str, new_text: str) -> list[str]:
    """What changed between two filters, one plain-language line per condition."""
    return [words_text(line) for line in filter_change_words(old_text, new_text)]


def filter_change_words(old_text: str, new_text: str) -> list[Words]:
    """`filter_changes` in parts: each attribute with its key, for hover text."""
    old, new = parse_filter(old_text), parse_filter(new_text)
    if old.error is not None or new.error is not None:
        return [(*filter_words(old), " → ", *filter_words(new))]
    if not has_conditions(old):
        return [("condition added: ", *item_words(item)) for item in _leaves(new)]
    if not has_conditions(new):
        return [("condition removed: ", *item_words(item)) for item in _leaves(old)]
    return _item_changes(old.groups, new.groups) or [("the same conditions, written differently",)]


def _leaves(f: Filter) -> list[Item]:
    return [item for _, item in walk(f) if not isinstance(item, ConditionGroup)]


def _item_changes(olds: tuple[Item, ...], news: tuple[Item, ...]) -> list[Words]:
    matches = align(olds, news)
    lines: list[Words] = [
        (f"{_noun(old)} removed: ", *item_words(old))
        for i, old in enumerate(olds)
        if i not in matches
    ]
    for i, j in matches.items():
        lines += _pair_changes(olds[i], news[j])
    taken = set(matches.values())
    lines += [(f"{_noun(n)} added: ", *item_words(n)) for j, n in enumerate(news) if j not in taken]
    return lines


def _pair_changes(old: Item, new: Item) -> list[Words]:
    if item_text(old) == item_text(new):
        return []
    if isinstance(old, ConditionGroup) and isinstance(new, ConditionGroup):
        lines: list[Words] = []
        if old.operator != new.operator:
            joined = f"conditions joined by “{new.operator.lower()}” instead of "
            joined += f"“{old.operator.lower()}”: "
            lines.append((joined, *item_words(new, nested=False)))
        return lines + _item_changes(old.items, new.items)
    return [(*item_words(old), " → ", *item_words(new))]


def _noun(item: Item) -> str:
    return "group" if isinstance(item, ConditionGroup) else "condition"


@dataclass(frozen=True)
class FilterMerge:
    """A merged filter, or (text None) the conditions both sides changed differently."""

    text: str | None
    clashes: tuple[str, ...] = ()


def merge_filters(base_text: str, ours_text: str, theirs_text: str) -> FilterMerge | None:
    """Merge two edits of a filter condition by condition; None when one is not a filter."""
    base, ours, theirs = (parse_filter(t) for t in (base_text, ours_text, theirs_text))
    if any(f.error is not None for f in (base, ours, theirs)):
        return None
    merger = _FilterMerger(ours)
    items = merger.items("", base.groups, ours.groups, theirs.groups)
    if merger.clashes:
        return FilterMerge(None, tuple(merger.clashes))
    tree = {"type": "group", "operator": "AND", "name": None, "items": items, "synthetic": True}
    merged = filter_from_tree(tree, ours)
    return None if merged.error is not None else FilterMerge(serialize_filter(merged))


class _FilterMerger:
    def __init__(self, ours: Filter) -> None:
        self.ours = ours
        self.clashes: list[str] = []

    def items(
        self, prefix: str, base: tuple[Item, ...], ours: tuple[Item, ...], theirs: tuple[Item, ...]
    ) -> list[dict[str, Any]]:
        to_ours, to_theirs = align(base, ours), align(base, theirs)
        from_ours = {j: i for i, j in to_ours.items()}
        inserted: dict[int, list[Item]] = {}  # theirs' new parts, after the base part they follow
        anchor = -1
        for j, item in enumerate(theirs):
            if j in to_theirs.values():
                anchor = next(i for i, k in to_theirs.items() if k == j)
            else:
                inserted.setdefault(anchor, []).append(item)
        ours_new = {item_text(item) for j, item in enumerate(ours) if j not in from_ours}
        nodes = [_raw(item) for item in inserted.pop(-1, []) if item_text(item) not in ours_new]
        for j, item in enumerate(ours):
            i = from_ours.get(j)
            if i is None:
                nodes.append(item_to_tree(item, f"{prefix}{j}"))
                continue
            theirs_item = theirs[to_theirs[i]] if i in to_theirs else None
            nodes += self.part(f"{prefix}{j}", base[i], item, theirs_item)
            mine = inserted.pop(i, [])
            nodes += [_raw(part) for part in mine if item_text(part) not in ours_new]
        for i in sorted(set(range(len(base))) - set(to_ours)):
            theirs_item = theirs[to_theirs[i]] if i in to_theirs else None
            if theirs_item is not None and item_text(theirs_item) != item_text(base[i]):
                self.clash(base[i], None, theirs_item)
            nodes += [_raw(part) for part in inserted.pop(i, []) if item_text(part) not in ours_new]
        return nodes

    def part(self, ref: str, base: Item, ours: Item, theirs: Item | None) -> list[dict[str, Any]]:
        texts = item_text(base), item_text(ours), None if theirs is None else item_text(theirs)
        if theirs is None:
            if texts[1] != texts[0]:
                self.clash(base, ours, None)
            return []
        if texts[1] in (texts[0], texts[2]):
            return [item_to_tree(ours, ref) if texts[1] == texts[2] else _raw(theirs)]
        if texts[2] == texts[0]:
            return [item_to_tree(ours, ref)]
        groups = (base, ours, theirs)
        if all(isinstance(g, ConditionGroup) for g in groups):
            return [self.group(ref, *groups)]  # type: ignore[arg-type]
        self.clash(base, ours, theirs)
        return []

    def group(
        self, ref: str, base: ConditionGroup, ours: ConditionGroup, theirs: ConditionGroup
    ) -> dict[str, Any]:
        operator = ours.operator if theirs.operator == base.operator else theirs.operator
        if ours.operator not in (base.operator, theirs.operator):
            self.clashes.append(
                f"your draft joins the conditions of ({explain_item(base)}) with "
                f"“{ours.operator.lower()}”, SFMC with “{theirs.operator.lower()}”"
            )
        name = ours.name if theirs.name == base.name else theirs.name
        items = self.items(f"{ref}.", base.items, ours.items, theirs.items)
        return {"type": "group", "ref": ref, "operator": operator, "name": name, "items": items}

    def clash(self, base: Item, ours: Item | None, theirs: Item | None) -> None:
        def side(name: str, item: Item | None) -> str:
            if item is None:
                return f"{_SIDE_WORDS[name]} removed it"
            return f"{_SIDE_WORDS[name]} has “{explain_item(item)}”"

        self.clashes.append(
            f"“{explain_item(base)}”: {side('ours', ours)}, {side('theirs', theirs)}"
        )


def _raw(item: Item) -> dict[str, Any]:
    """A part taken from theirs as it is: written back verbatim and read again."""
    return {"type": "unknown", "raw": item_text(item), "reason": "taken from the other side"}
