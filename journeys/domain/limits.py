"""How large a journey the editor keeps: activities, bytes, nesting and outcomes per activity.

SFMC documents no hard limit on a journey's activities (its guidance only recommends at most 100
"to avoid issues loading a journey") and none on the definition's size; it documents up to 20
paths (and the Remainder) on a decision split and up to 10 on a random split. The bounds are
settings (see the README's security section for the defaults and why); this module only measures
a document against them, in one pass over it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class DocumentLimits:
    activities: int
    document_bytes: int
    nesting: int
    outcomes: int


def encoded_size(document: object) -> int:
    """Bytes of the document as stored: compact JSON, non-ASCII escaped (see fields.py)."""
    return len(json.dumps(document, separators=(",", ":")))


def limit_refusal(
    document: dict[str, Any],
    limits: DocumentLimits,
    *,
    size: int | None = None,
    nesting: bool = True,
    kept: object = None,
) -> str:
    """Why `document` is beyond `limits`, in plain words ("" when it is within them).

    `size` is its encoded_size when the caller has it already; `nesting=False` skips the one
    check that walks the whole document (what costs a page's time is activities and bytes).
    `kept` is the document this one was edited from: the nesting of the parts the edit left as
    they were (the very same objects) is not measured again. They were measured when they were
    stored; a draft stored before the limit was lowered is not refused every edit for a part
    the edit did not touch (the limit keeps deeper documents out, it does not purge them)."""
    activities = document.get("activities")
    activities = activities if isinstance(activities, list) else []
    if len(activities) > limits.activities:
        return (
            f"This journey has {len(activities):,} activities; the editor keeps journeys of at "
            f"most {limits.activities:,}. Split it into smaller journeys."
        )
    for activity in activities:
        outcomes = activity.get("outcomes") if isinstance(activity, dict) else None
        if isinstance(outcomes, list) and len(outcomes) > limits.outcomes:
            name = activity.get("name") or activity.get("key") or "An activity"
            return (
                f"'{name}' has {len(outcomes)} paths; an activity may have at most "
                f"{limits.outcomes} (SFMC allows 20 paths and the Remainder on a decision split)."
            )
    size = encoded_size(document) if size is None else size
    if size > limits.document_bytes:
        return (
            f"This journey is {size // 1024:,} KiB as JSON; the editor keeps journeys of at most "
            f"{limits.document_bytes // 1024:,} KiB."
        )
    depth = nesting_depth(document, skip=_kept_parts(kept)) if nesting else 0
    if depth > limits.nesting:
        return (
            f"This journey's JSON is nested {depth} levels deep; at most {limits.nesting} are "
            "kept (real journeys nest about 12)."
        )
    return ""


def nesting_depth(value: object, skip: dict[int, int] | None = None) -> int:
    """Levels of objects and arrays: {} is 1, {"a": []} is 2, a scalar 0. A part listed in
    `skip` (by id, with the level it was at) and found at that level is not walked."""
    skip = skip or {}
    deepest = 0
    stack: list[tuple[object, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children: Any = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        if skip.get(id(node)) == depth:
            continue
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return deepest


def _kept_parts(kept: object) -> dict[int, int]:
    """The activities (and other items of the top-level lists) of `kept`, by id, at level 3.
    Ids are only compared while `kept` holds these objects, so none can be another's."""
    if not isinstance(kept, dict):
        return {}
    return {
        id(item): 3
        for section in kept.values()
        if isinstance(section, list)
        for item in section
        if isinstance(item, dict | list)
    }
