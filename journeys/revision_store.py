"""Revisions kept as a skeleton and shared parts (journeys.domain.document_parts).

A revision row holds its document's skeleton and `layout`, the ids of the DocumentPart rows
that fill it; a part is stored once per draft, however many revisions use it. Writing a document
costs two queries (which of its parts the draft has, then one insert of those it lacks) and
reading one a single query (the parts by id), whatever the number of activities or revisions.

The functions take the part model as an argument, so the data migration that converted the
stored revisions runs the same code on its historical models.
"""

from __future__ import annotations

from typing import Any

from journeys.domain import document_parts
from journeys.domain.document_parts import Layout


def write_document(
    part_model: Any,
    draft_id: int,
    document: object,
    split: tuple[object, document_parts.Parts] | None = None,
) -> tuple[object, Layout]:
    """Store the parts of `document` the draft does not have yet; return (skeleton, layout).
    `split` is document_parts.split(document) when the caller has it already."""
    skeleton, parts = split or document_parts.split(document)
    if not parts:
        return skeleton, {}
    names: dict[str, str] = {}
    for value in parts.values():
        for text in value if isinstance(value, list) else [value]:
            if text not in names:
                names[text] = document_parts.digest(text)
    texts = {name: text for text, name in names.items()}
    ids = dict(
        part_model.objects.filter(draft_id=draft_id, digest__in=list(texts)).values_list(
            "digest", "id"
        )
    )
    missing = [
        part_model(draft_id=draft_id, digest=name, text=text)
        for name, text in texts.items()
        if name not in ids
    ]
    created = part_model.objects.bulk_create(missing)
    ids.update((row.digest, row.pk) for row in created)
    if any(row.pk is None for row in created):  # an engine that does not return new ids
        ids.update(
            part_model.objects.filter(draft_id=draft_id, digest__in=list(texts)).values_list(
                "digest", "id"
            )
        )
    return skeleton, document_parts.references(parts, lambda text: ids[names[text]])


def read_document(part_model: Any, draft_id: int, skeleton: object, layout: Layout) -> object:
    """The document stored as (skeleton, layout): its parts read in one query."""
    if not layout:
        return skeleton
    wanted = document_parts.referenced(layout)
    texts = dict(
        part_model.objects.filter(draft_id=draft_id, pk__in=wanted).values_list("id", "text")
    )
    return document_parts.join(skeleton, layout, texts)


def stored_bytes(revision_model: Any, part_model: Any, draft_id: int) -> int:
    """What a draft's revisions take: the bytes of every value of their rows and of its parts'
    (text as UTF-8, numbers and dates as their text)."""
    rows = [
        *revision_model.objects.filter(draft_id=draft_id).values_list(),
        *part_model.objects.filter(draft_id=draft_id).values_list(),
    ]
    return sum(len(str(value).encode()) for row in rows for value in row if value is not None)
