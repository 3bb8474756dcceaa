"""A journey cut into parts, so the revisions of a draft keep each unchanged part once.

A one-field edit changes one activity; every other activity, trigger, goal and exit is the same
text as in the revision before. `split` keeps the small top-level fields in a skeleton (the
document, same keys in the same order) and cuts out every large top-level value: a list item by
item (the activities, the triggers...), anything else whole (a big `metaData`). Each part is the
exact JSON text the document field would write for it, so `join` gives back a document equal to
the one split, key order, numbers and text included (the content hash is the same too).

A part is named by the SHA-256 of that text: two equal parts are one part. The exact text, not
the canonical JSON, is hashed: two activities that differ only in key order are different
parts, or a revision would come back in another order than it was saved.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

# A top-level value whose JSON is shorter than this stays in the skeleton: cutting out "name"
# or "stats" would cost more in references than it saves.
PART_MIN_CHARS = 256
# Where the skeleton had a value that became parts.
PLACEHOLDER = None

# {field: part text or [part text, ...]}: the values `split` cut out, in document order.
Parts = dict[str, str | list[str]]
# The same with each part's text replaced by its reference (a digest, a row id...).
Layout = dict[str, Any]


def part_text(value: object) -> str:
    """The JSON text a part is stored as: compact, ASCII, keys in their order."""
    return json.dumps(value, separators=(",", ":"), allow_nan=False)


def digest(text: str) -> str:
    """A part's name: the SHA-256 (hex) of its text (ASCII: part_text escapes the rest)."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def split(document: object) -> tuple[object, Parts]:
    """(skeleton, parts) of a document; a value that is not a JSON object is all skeleton."""
    if not isinstance(document, dict):
        return document, {}
    skeleton: dict[str, Any] = {}
    parts: Parts = {}
    for field, value in document.items():
        if isinstance(value, (dict, list, str)):
            # A list's items are written once; the list's own text is their texts joined.
            if type(value) is list:
                texts: str | list[str] = [part_text(item) for item in value]
                length = 2 + sum(map(len, texts)) + max(len(texts) - 1, 0)
            else:
                texts = part_text(value)
                length = len(texts)
            if length >= PART_MIN_CHARS:
                parts[field] = texts
                skeleton[field] = PLACEHOLDER
                continue
        skeleton[field] = value
    return skeleton, parts


def whole_text(document: object, parts: Parts) -> str:
    """part_text(document), written from `parts` (what `split` cut out of it) rather than
    serialising the document again: the revision, the draft's row and the size limit all need
    it, and writing a 500-activity journey out is an edit's largest cost after reading it."""
    if not isinstance(document, dict) or not all(isinstance(field, str) for field in document):
        return part_text(document)
    fields = []
    for field, value in document.items():
        part = parts.get(field)
        if part is None:
            text = part_text(value)
        else:
            text = f"[{','.join(part)}]" if isinstance(part, list) else part
        fields.append(f"{part_text(field)}:{text}")
    return "{" + ",".join(fields) + "}"


def references(parts: Parts, name: Callable[[str], Any]) -> Layout:
    """`parts` with each text replaced by `name(text)`."""
    return {
        field: [name(text) for text in value] if isinstance(value, list) else name(value)
        for field, value in parts.items()
    }


def join(skeleton: object, layout: Layout, texts: dict[Any, str]) -> object:
    """The document `split` cut: `skeleton` with each placeholder of `layout` filled from
    `texts` (reference -> part text). A list is read as one JSON text, so a part used twice is
    two separate values, as it was in the document saved."""
    if not layout:
        return skeleton
    assert isinstance(skeleton, dict)
    document = dict(skeleton)
    for field, ref in layout.items():
        text = f"[{','.join(texts[item] for item in ref)}]" if isinstance(ref, list) else texts[ref]
        document[field] = json.loads(text)
    return document


def referenced(layout: Layout) -> set[Any]:
    """Every reference `layout` holds."""
    found: set[Any] = set()
    for ref in layout.values():
        found.update(ref if isinstance(ref, list) else [ref])
    return found
