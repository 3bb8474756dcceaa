"""Documents come back from the database exactly as they were saved, on SQLite and PostgreSQL:
same key order, same numbers (`1e20`, `-0.0`, big integers), same text, same content hash.

PostgreSQL's jsonb would sort keys and rewrite numbers; the document fields store JSON text.
"""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from journeys import models
from journeys.domain.document import content_hash, load_journeys
from tests.conftest import FIXTURES_DIR
from tests.factories import ConnectionFactory, UserFactory

FIXTURE_FILES = sorted(FIXTURES_DIR.glob("*.json"))

# Keys jsonb would reorder (it sorts by length, then bytes), and numbers it would rewrite.
AWKWARD = """{
  "zeta": {"yy": 1, "b": 2, "aaa": 3},
  "key": "awkward",
  "name": "Ünïcødé – 日本語 ✓ 🚀",
  "huge": 1e20,
  "HUGE": 1E+20,
  "negativeZero": -0.0,
  "bigInt": 12345678901234567890123,
  "one": 1.0,
  "tiny": 5e-324,
  "third": 0.3333333333333333,
  "activities": [{"z": [3, 2, 1], "a": {"b": null, "a": false}}],
  "": "empty key",
  "escape": "quote \\" backslash \\\\ tab \\t newline \\n"
}"""


def _rows(document: dict, *, user, journey) -> list[models.Model]:
    """Save `document` in every field that holds a document (or part of one), return the rows."""
    digest = content_hash(document)
    snapshot = models.RemoteSnapshot.objects.create(
        journey=journey,
        version=1,
        modified_date="d",
        status="Draft",
        document=document,
        content_hash=digest,
    )
    draft = models.Draft.objects.create(
        journey=journey,
        author=user,
        base_snapshot=snapshot,
        document=document,
        content_hash=digest,
    )
    revision = models.Revision.objects.create(
        draft=draft, number=1, document=document, content_hash=digest, author=user
    )
    merge = models.MergeSession.objects.create(
        draft=draft,
        origin="update",
        theirs_snapshot=snapshot,
        ours_revision=revision,
        ours_hash=digest,
        merged_document=document,
        conflicts=[{"id": "c1", "ours": {"present": True, "value": document}}],
        choices={"c1": {"custom": document}},
    )
    return [snapshot, draft, revision, merge]


def _stored_documents(row: models.Model) -> list[object]:
    fresh = type(row).objects.get(pk=row.pk)
    if isinstance(fresh, models.MergeSession):
        return [
            fresh.merged_document,
            fresh.conflicts[0]["ours"]["value"],
            fresh.choices["c1"]["custom"],
        ]
    return [fresh.document]


def _assert_round_trip(document: dict, *, user, journey) -> None:
    expected_text, expected_hash = json.dumps(document), content_hash(document)
    for row in _rows(document, user=user, journey=journey):
        for loaded in _stored_documents(row):
            assert json.dumps(loaded) == expected_text, f"{type(row).__name__} changed it"
            assert content_hash(loaded) == expected_hash


@pytest.fixture
def owner(db):
    user = UserFactory(username="keeper")
    journey = models.Journey.objects.create(
        connection=ConnectionFactory(), key="storage", name="Storage"
    )
    return user, journey


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=lambda path: path.name[:2])
def test_each_real_journey_comes_back_in_the_order_sfmc_sent_it(path, owner):
    user, journey = owner
    for document in load_journeys(json.loads(path.read_text(encoding="utf-8"))):
        _assert_round_trip(document, user=user, journey=journey)


def test_there_are_21_real_fixtures():
    assert len(FIXTURE_FILES) == 21


def test_numbers_unicode_and_key_order_jsonb_would_rewrite_survive_a_save(owner):
    user, journey = owner
    document = json.loads(AWKWARD)
    _assert_round_trip(document, user=user, journey=journey)
    loaded = models.Draft.objects.get(journey=journey).document
    assert list(loaded) == list(document)
    assert list(loaded["zeta"]) == ["yy", "b", "aaa"]
    assert repr(loaded["huge"]) == "1e+20" and isinstance(loaded["huge"], float)
    assert repr(loaded["negativeZero"]) == "-0.0"
    assert loaded["bigInt"] == 12345678901234567890123
    assert repr(loaded["one"]) == "1.0"
    assert loaded["tiny"] == 5e-324


def test_a_lone_surrogate_json_allows_is_stored_and_comes_back(owner):
    """SFMC's JSON may carry "\\ud800"; it is kept (escaped), not a 500 on either engine."""
    user, journey = owner
    _assert_round_trip({"key": "k", "name": "\ud800 and \u0000"}, user=user, journey=journey)


def test_the_column_is_text_on_every_engine(db):
    with connection.cursor() as cursor:
        columns = connection.introspection.get_table_description(cursor, "journeys_draft")
    document = next(column for column in columns if column.name == "document")
    assert connection.introspection.get_field_type(document.type_code, document) == "TextField"


BEFORE = [("journeys", "0006_publish_request")]
AFTER = [("journeys", "0007_documents_as_text")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets or executor.loader.graph.leaf_nodes())
    return executor.loader.project_state(targets).apps if targets else None


def legacy_journey(old) -> tuple:
    """A user and a journey made with the historical models `old` (a migration's state)."""
    user = old.get_model("auth", "User").objects.create(username="before")
    journey = old.get_model("journeys", "Journey").objects.create(
        connection=old.get_model("journeys", "Connection").objects.create(name="BU"),
        key="old",
        name="Old",
    )
    return user, journey


@pytest.mark.django_db(transaction=True)
def test_the_migration_keeps_every_stored_document(real_fixtures_dir):
    """Rows saved in the JSON columns before 0007 load back with the same content after it."""
    document = json.loads(next(real_fixtures_dir.glob("01-*.json")).read_text("utf-8"))
    try:
        old = _migrate(BEFORE)
        user, journey = legacy_journey(old)
        snapshot = old.get_model("journeys", "RemoteSnapshot").objects.create(
            journey=journey, version=1, modified_date="d", status="Draft", document=document
        )
        draft = old.get_model("journeys", "Draft").objects.create(
            journey=journey, author=user, document=document, undo_stack=[1]
        )
        revision = old.get_model("journeys", "Revision").objects.create(
            draft=draft, number=1, document=document, author=user
        )
        old.get_model("journeys", "MergeSession").objects.create(
            draft=draft,
            origin="update",
            theirs_snapshot=snapshot,
            ours_revision=revision,
            merged_document=document,
            conflicts=[{"id": "c", "ours": document}],
            choices={"c": {"custom": [document]}},
        )
        _migrate(AFTER)
    finally:
        _migrate(None)
    merge = models.MergeSession.objects.get()
    assert models.RemoteSnapshot.objects.get().document == document
    assert models.Draft.objects.get().document == document
    assert models.Draft.objects.get().undo_stack == [1]
    assert models.Revision.objects.get().document == document
    assert merge.merged_document == document
    assert merge.conflicts == [{"id": "c", "ours": document}]
    assert merge.choices == {"c": {"custom": [document]}}
    assert content_hash(models.Draft.objects.get().document) == content_hash(document)
