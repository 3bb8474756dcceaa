from __future__ import annotations

import json

import pytest
from django.core.exceptions import PermissionDenied

from journeys.domain.document import DocumentError, content_hash
from journeys.domain.validate import validate
from journeys.models import AuditEvent, Draft, Journey, RemoteSnapshot, Revision
from journeys.services.drafts import (
    StaleRevision,
    create_draft_from_upload,
    create_new_journey,
    draft_problems,
    save_revision,
)
from tests.factories import ConnectionFactory


@pytest.fixture
def connection(db):
    return ConnectionFactory()


def test_new_journey_starts_a_draft_with_revision_one_and_an_audit_event(editor, connection):
    draft = create_new_journey(editor, connection, "Welcome series")
    assert draft.document["name"] == "Welcome series"
    assert draft.revision_number == 1
    assert draft.base_snapshot is None
    assert draft.content_hash == content_hash(draft.document)
    assert Revision.objects.get(draft=draft).number == 1
    event = AuditEvent.objects.get(draft=draft)
    assert (event.action, event.actor, event.revision_number) == ("draft.created", editor, 1)


def test_approver_without_editor_role_cannot_create_a_journey(approver, connection):
    with pytest.raises(PermissionDenied):
        create_new_journey(approver, connection, "Nope")
    assert not Draft.objects.exists()


def test_connection_restricted_to_another_group_refuses_an_editor(editor, connection):
    from django.contrib.auth.models import Group

    connection.allowed_groups.add(Group.objects.create(name="Team B"))
    with pytest.raises(PermissionDenied):
        create_new_journey(editor, connection, "Nope")


def test_save_revision_appends_history_and_moves_the_lock(editor, connection):
    draft = create_new_journey(editor, connection, "A")
    changed = {**draft.document, "name": "B"}
    draft = save_revision(editor, draft, changed, expected_revision=1, summary="Renamed")
    assert draft.revision_number == 2
    assert draft.document["name"] == "B"
    assert list(draft.revisions.values_list("number", "summary")) == [
        (2, "Renamed"),
        (1, "New journey"),
    ]


def test_save_on_a_stale_revision_is_refused_and_keeps_the_newer_content(editor, connection):
    draft = create_new_journey(editor, connection, "A")
    save_revision(
        editor, draft, {**draft.document, "name": "Tab one"}, expected_revision=1, summary="tab one"
    )
    with pytest.raises(StaleRevision) as refused:
        save_revision(
            editor,
            draft,
            {**draft.document, "name": "Tab two"},
            expected_revision=1,
            summary="tab two",
        )
    assert "revision 1" in str(refused.value) and "revision 2" in str(refused.value)
    draft.refresh_from_db()
    assert draft.document["name"] == "Tab one"
    assert draft.revisions.count() == 2


def test_upload_of_a_real_journey_makes_a_draft(editor, connection, real_fixtures_dir):
    raw = (real_fixtures_dir / "01-mcdev-api-multistep-decision-email-waits.json").read_bytes()
    result = create_draft_from_upload(editor, connection, raw)
    assert result.draft.document == json.loads(raw)
    assert not [p for p in result.problems if p.severity == "error"]
    assert AuditEvent.objects.filter(action="draft.uploaded").count() == 1


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b'{"key": "x", "activities": [', "not valid JSON"),
        (b"[1, 2]", "not a list"),
        (b'{"count": 1, "page": 1, "pageSize": 50, "items": [{}]}', "list of 1 journeys"),
        (b'{"name": "no key"}', "not a journey"),
        (b"\xff\xfe\x00garbage", "JSON"),
    ],
)
def test_bad_uploads_get_a_clear_message_and_store_nothing(editor, connection, raw, message):
    with pytest.raises(DocumentError) as refused:
        create_draft_from_upload(editor, connection, raw)
    assert message.lower() in refused.value.message.lower()
    assert not Draft.objects.exists() and not Journey.objects.exists()


def test_oversized_upload_is_refused_before_parsing(editor, connection, settings):
    settings.JOURNEY_UPLOAD_MAX_BYTES = 1024
    with pytest.raises(DocumentError, match="largest journey accepted is 1 KiB"):
        create_draft_from_upload(editor, connection, b"{" + b" " * 2048 + b"}")
    assert not Draft.objects.exists()


def test_upload_of_a_known_key_is_based_on_that_journeys_latest_snapshot(editor, connection):
    journey = Journey.objects.create(connection=connection, key="k1", name="Known")
    snapshot = RemoteSnapshot.objects.create(
        journey=journey,
        version=3,
        modified_date="2026-01-01T00:00:00.1",
        status="Draft",
        document={"key": "k1"},
        content_hash="x",
    )
    raw = json.dumps({"key": "k1", "name": "Known", "activities": []}).encode()
    result = create_draft_from_upload(editor, connection, raw)
    assert result.draft.journey == journey
    assert result.draft.base_snapshot == snapshot


def test_an_edit_that_changes_nothing_saves_no_revision_and_keeps_the_review(editor, connection):
    from journeys.services.review import submit_for_review

    draft = create_new_journey(editor, connection, "Same")
    draft = submit_for_review(editor, draft, expected_revision=1, message="")
    same = save_revision(editor, draft, dict(draft.document), expected_revision=1, summary="noop")
    assert same.revision_number == 1
    assert same.state == Draft.State.IN_REVIEW
    assert draft.revisions.count() == 1


def test_draft_problems_are_those_of_the_revision_the_draft_is_at(editor, connection):
    draft = create_new_journey(editor, connection, "A")
    assert draft_problems(draft) == validate(draft.document)
    broken = {**draft.document, "activities": [{"key": "X", "type": "WAIT", "outcomes": 1}]}
    draft = save_revision(editor, draft, broken, expected_revision=1, summary="Broken")
    assert draft_problems(draft) == validate(broken) != []
    again = Draft.objects.get(pk=draft.pk)  # another request, the same revision
    assert draft_problems(again) == validate(broken)
