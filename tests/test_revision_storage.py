"""Revisions keep each unchanged part once (journeys.revision_store): a one-field edit of the
largest real journey stores a few KB, and every revision still comes back exactly as saved."""

from __future__ import annotations

import copy
import json

import pytest
from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext

from journeys import models
from journeys.domain.document import content_hash
from journeys.domain.document_parts import split, whole_text
from journeys.revision_store import stored_bytes
from journeys.services import editing
from journeys.services.drafts import create_draft_from_upload, save_revision
from tests.factories import ConnectionFactory
from tests.test_document_storage import AWKWARD, _migrate, legacy_journey

LARGEST = "08-greenpeace-automation-audience-stowait-updatecontact.json"


@pytest.fixture
def large_draft(editor, real_fixtures_dir):
    raw = (real_fixtures_dir / LARGEST).read_bytes()
    return create_draft_from_upload(editor, ConnectionFactory(), raw).draft


def _stored_bytes(draft: models.Draft) -> int:
    return stored_bytes(models.Revision, models.DocumentPart, draft.pk)


def _renamed(document: dict, index: int, name: str) -> dict:
    changed = copy.deepcopy(document)
    changed["activities"][index]["name"] = name
    return changed


def test_a_one_field_edit_of_the_largest_real_journey_stores_under_10_kb(editor, large_draft):
    document = large_draft.document
    whole = len(json.dumps(document, separators=(",", ":")).encode())
    before = _stored_bytes(large_draft)

    save_revision(
        editor, large_draft, _renamed(document, 20, "Renamed"), expected_revision=1, summary="x"
    )

    added = _stored_bytes(large_draft) - before
    assert whole > 90_000
    assert added <= 10_000, f"{added} bytes stored for a one-field edit of {whole}"


def test_every_revision_comes_back_exactly_as_saved(editor, large_draft):
    saved = {1: json.dumps(large_draft.document)}
    document, draft = large_draft.document, large_draft
    edits = [
        lambda d: _renamed(d, 3, "Welcome"),
        lambda d: {**d, "activities": [*d["activities"], d["activities"][0]]},  # a part twice
        lambda d: {"zz": 1, **dict(reversed(d.items()))},  # another key order
        lambda d: {**d, "activities": [dict(reversed(d["activities"][0].items()))]},
        lambda d: {**d, "description": "é" * 300, "metaData": {"big": "\ud800" * 300}},
        lambda d: json.loads(AWKWARD),
        lambda d: {**d, "activities": []},
    ]
    for edit in edits:
        document = edit(copy.deepcopy(document))
        number = draft.revision_number
        draft = save_revision(editor, draft, document, expected_revision=number, summary="e")
        saved[draft.revision_number] = json.dumps(document)

        # The draft's row holds the text its field would write: save_revision writes the
        # document out once (document_parts.whole_text) for the row, the parts and the limit.
        assert _row_text(draft) == json.dumps(document, separators=(",", ":"), allow_nan=False)

    for revision in models.Revision.objects.filter(draft=draft):
        assert json.dumps(revision.document) == saved[revision.number]
        assert content_hash(revision.document) == revision.content_hash


def _row_text(draft: models.Draft) -> str:
    with db_connection.cursor() as cursor:
        table = models.Draft._meta.db_table
        cursor.execute(f"SELECT document FROM {table} WHERE id = %s", [draft.pk])
        return cursor.fetchone()[0]


def test_a_document_is_written_whole_from_its_parts_as_it_would_be_written(
    real_fixtures_dir,
):
    documents = [json.loads(path.read_text()) for path in sorted(real_fixtures_dir.glob("*.json"))]
    documents += [json.loads(AWKWARD), {}, [], {"activities": []}, {"a": "x" * 300}]
    for document in documents:
        expected = json.dumps(document, separators=(",", ":"), allow_nan=False)
        assert whole_text(document, split(document)[1]) == expected


def test_a_part_used_twice_comes_back_as_two_values(editor, large_draft):
    document = large_draft.document
    twice = {**document, "activities": [document["activities"][0]] * 2}
    save_revision(editor, large_draft, twice, expected_revision=1, summary="twice")

    loaded = models.Revision.objects.get(draft=large_draft, number=2).document
    assert loaded["activities"][0] == loaded["activities"][1]
    assert loaded["activities"][0] is not loaded["activities"][1]


def test_undo_redo_and_restore_bring_back_the_same_content(editor, large_draft):
    first = large_draft.document
    draft = save_revision(
        editor, large_draft, _renamed(first, 5, "Changed"), expected_revision=1, summary="x"
    )
    draft = editing.undo(editor, draft, expected_revision=2).draft
    assert json.dumps(draft.document) == json.dumps(first)
    draft = editing.redo(editor, draft, expected_revision=3).draft
    assert draft.document["activities"][5]["name"] == "Changed"
    draft = editing.restore_revision(editor, draft, 1, expected_revision=4).draft
    assert json.dumps(draft.document) == json.dumps(first)
    assert draft.content_hash == models.Revision.objects.get(draft=draft, number=1).content_hash


def test_parts_are_stored_once_per_draft_and_read_only_from_their_draft(editor, large_draft):
    activities = len(large_draft.document["activities"])
    assert models.DocumentPart.objects.filter(draft=large_draft).count() >= activities
    other = create_draft_from_upload(
        editor, ConnectionFactory(name="Other BU"), json.dumps(large_draft.document).encode()
    ).draft
    mine = set(models.DocumentPart.objects.filter(draft=large_draft).values_list("digest"))
    theirs = set(models.DocumentPart.objects.filter(draft=other).values_list("digest"))
    assert mine == theirs
    assert json.dumps(other.revisions.get().document) == json.dumps(large_draft.document)


def test_reading_a_revision_costs_one_query_whatever_its_size(editor, large_draft):
    small = models.Revision.objects.create(
        draft=large_draft, number=9, document={"key": "k", "activities": []}, author=editor
    )
    counts = []
    for revision in (small, models.Revision.objects.get(draft=large_draft, number=1)):
        fresh = models.Revision.objects.get(pk=revision.pk)
        with CaptureQueriesContext(db_connection) as queries:
            assert fresh.document
        counts.append(len(queries))
    assert counts == [0, 1]  # the small one is all skeleton: no part to read


def test_writing_a_revision_costs_the_same_queries_whatever_its_size(editor, large_draft):
    one = {"key": "s", "activities": [{"key": "A", "description": "d" * 300}]}
    small = create_draft_from_upload(
        editor, ConnectionFactory(name="Small"), json.dumps(one).encode()
    ).draft
    counts = []
    for draft in (small, large_draft):
        changed = _renamed(draft.document, 0, "Renamed")
        with CaptureQueriesContext(db_connection) as queries:
            save_revision(editor, draft, changed, expected_revision=1, summary="x")
        counts.append(len(queries))
    assert counts[0] == counts[1]


# --- the migration of stored revisions -------------------------------------------------------

BEFORE = [("journeys", "0016_limits_write_quota")]
AFTER = [("journeys", "0017_revision_parts")]


@pytest.mark.django_db(transaction=True)
def test_stored_revisions_are_converted_and_converted_back(real_fixtures_dir):
    largest = json.loads((real_fixtures_dir / LARGEST).read_text("utf-8"))
    documents = [largest, _renamed(largest, 7, "Edited"), json.loads(AWKWARD), [1, "not a dict"]]
    try:
        old = _migrate(BEFORE)
        user, journey = legacy_journey(old)
        draft = old.get_model("journeys", "Draft").objects.create(
            journey=journey, author=user, document=documents[-1]
        )
        for number, document in enumerate(documents, start=1):
            old.get_model("journeys", "Revision").objects.create(
                draft=draft, number=number, document=document, author=user
            )

        new = _migrate(AFTER)
        parts = new.get_model("journeys", "DocumentPart").objects.count()
        assert parts < 2 * len(split(largest)[1]["activities"])  # the unchanged ones once

        back = _migrate(BEFORE)
        restored = back.get_model("journeys", "Revision").objects.order_by("number")
        assert [json.dumps(r.document) for r in restored] == [json.dumps(d) for d in documents]
    finally:
        _migrate(None)
    converted = models.Revision.objects.order_by("number")
    assert [json.dumps(r.document) for r in converted] == [json.dumps(d) for d in documents]
