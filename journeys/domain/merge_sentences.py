"""What a merge conflict is, said in a sentence that names activities as people know them.

"Wait 'Wait 2 days' was deleted in SFMC but you changed its duration." Each activity (goal,
exit, entry source) is an `ActivityWords`, so that pages show its key on hover; `words_text` gives
the plain sentence (the conflict's `description`). Pure: the merge passes its three documents.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from journeys.domain import catalog
from journeys.domain.conditions import Words, explain_filter, parse_filter
from journeys.domain.diff import KEYED_LISTS, MISSING, SERVER_OWNED_FIELDS, ActivityWords
from journeys.domain.merge_words import (
    Documents,
    conflict_title,
    field_words,
    item_said,
    outcome_words,
    together_text,
)

Path = tuple[Any, ...]
_SHAPES: dict[type, str] = {dict: "an object", list: "a list"}


def subject(path: Path, documents: Documents) -> Words:
    """What the conflict is about: "Email 'Welcome' — subject", the item with its key."""
    title = conflict_title(path, documents)
    if path[0] not in KEYED_LISTS or len(path) < 2:
        return (title,)
    item = item_said(documents, path[0], path[1])
    if title.startswith(item.name):
        return (item, title[len(item.name) :]) if title != item.name else (item,)
    head, dash, rest = title.partition(" — ")  # "Branch 'Gold' — condition"
    return (ActivityWords(head, str(path[1])), dash + rest)


def describe(kind: str, path: Path, b: Any, o: Any, t: Any, documents: Documents) -> Words:
    """The sentence of a conflict of `kind` at `path` with the sides' values b, o, t."""
    about = subject(path, documents)
    if kind == "both-added":
        return ("Both sides added ", *about, ", differently.")
    if kind == "delete-vs-modify":
        its = _changed_part(path, b, o if t is MISSING else t)
        if len(path) == 2:  # the item as both sides knew it
            about = (item_said(documents, path[0], path[1], first="base"),)
        if o is MISSING:
            return ("You deleted ", *about, f" but SFMC changed {its}.")
        return (*about, f" was deleted in SFMC but you changed {its}.")
    if kind == "type-changed":
        nouns = [_noun(side) for side in (o, t, b)]
        said = " is {} in your draft and {} in SFMC (was {}), and both changed it.".format(*nouns)
        return (*about, said)
    if kind == "shape-changed":
        shapes = [_SHAPES.get(type(side), "a value") for side in (o, t, b)]
        return (*about, " is {} in your draft but {} in SFMC (was {}).".format(*shapes))
    if kind == "both-relinked":
        return (
            item_said(documents, path[0], path[1]),
            f", branch '{outcome_words(documents, path[0], path[1], path[3])}' goes to ",
            *next_step(o, documents),
            " in your draft and to ",
            *next_step(t, documents),
            " in SFMC (was ",
            *next_step(b, documents),
            ").",
        )
    if kind == "changed-together":
        values = [together_text(path, side, documents) for side in (o, t, b)]
        said = ", in parts that only mean something together: your draft has {}, SFMC has {} "
        return ("Both sides changed ", *about, (said + "(was {}).").format(*values))
    values = [value_text(side) for side in (o, t, b)]
    said = ": your draft has {}, SFMC has {} (was {}).".format(*values)
    return ("Both sides changed ", *about, said)


def replaced(key: str, ours_new: bool, documents: Documents) -> Words:
    """One side deleted the activity and added another under its key; the other changed it."""
    item = item_said(documents, "activities", key)
    if ours_new:
        return ("You deleted ", item, " and added a new activity in its place; SFMC changed it.")
    return ("SFMC deleted ", item, " and added a new activity in its place; you changed it.")


def criteria_clash(path: Path, clashes: Sequence[str], documents: Documents) -> Words:
    """Both sides changed the same conditions of a filter differently."""
    item = item_said(documents, path[0], path[1])
    where: Words = (item,)
    if path[0] == "activities" and len(path) == 5:
        where = (f"branch '{outcome_words(documents, path[0], path[1], path[4])}' of ", item)
    return ("Both sides changed the conditions of ", *where, f": {'; '.join(clashes)}.")


def dangling(key: str, outcome_key: str, target: str, documents: Documents) -> Words:
    return (
        item_said(documents, "activities", key),
        f", branch '{outcome_words(documents, 'activities', key, outcome_key)}' leads to ",
        item_said(documents, "activities", target),
        ", which is no longer in the journey.",
    )


def loop(cycle: Sequence[str], documents: Documents) -> Words:
    steps: list[str | ActivityWords] = []
    for key in [*cycle, cycle[0]]:
        steps += [" → ", item_said(documents, "activities", key)]
    return ("Together the two sides' links make a loop: ", *steps[1:], ".")


def cut_off(key: str, starts: bool, documents: Documents) -> Words:
    item = item_said(documents, "activities", key)
    if starts:
        return (item, " starts the journey on one side, so the merged journey has two starts.")
    return ("Nothing leads to ", item, " any more: it would be cut off from the journey.")


def next_step(target: Any, documents: Documents) -> Words:
    """Where a branch goes: an activity by name, or the end of the path."""
    if not (isinstance(target, str) and target):
        return ("the end of the path",)
    return (item_said(documents, "activities", target),)


def value_text(value: Any) -> str:
    """A side's value, short: a filter in words, text in quotes, "nothing" when absent."""
    if value is MISSING:
        return "nothing"
    if isinstance(value, str) and value.lstrip().startswith("<FilterDefinition"):
        value = explain_filter(parse_filter(value))
        text = f"“{value}”"
    elif isinstance(value, str):
        text = repr(value)
    else:
        text = "null" if value is None else str(value)
    return text if len(text) <= 60 else text[:57] + "…"


def _noun(item: Any) -> str:
    entry = catalog.type_of(item) if isinstance(item, dict) else None
    noun = entry.label.split(" by ")[0].lower() if entry else None
    if noun is None:
        noun = str(item.get("type")) if isinstance(item, dict) else ""
    if not noun:
        return "nothing"
    return f"{'an' if noun[:1].lower() in 'aeiou' else 'a'} {noun}"


def _changed_part(path: Path, before: Any, after: Any) -> str:
    """ "its duration" when the side that kept the item changed one field of it, else "it"."""
    if len(path) != 2 or path[0] != "activities":
        return "it"
    changed = _leaves((), before, after)
    return f"its {field_words(changed[0])}" if len(changed) == 1 else "it"


def _leaves(path: Path, before: Any, after: Any) -> list[Path]:
    if before == after:
        return []
    if not (isinstance(before, dict) and isinstance(after, dict)):
        return [path]
    return [
        leaf
        for field in dict.fromkeys([*before, *after])
        if not (not path and field in SERVER_OWNED_FIELDS)
        for leaf in _leaves((*path, field), before.get(field, MISSING), after.get(field, MISSING))
    ]
