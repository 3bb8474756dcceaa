"""Every length is checked where it enters: the side panel, a new journey, an upload, an import,
and what SFMC answers after a push, a publish or a check. SQLite keeps text of any length, so
these checks are explicit: the tests pass on both engines without relying on PostgreSQL's
varchar to refuse. A run that fails on our side after SFMC took the push or publish ends failed,
saying what SFMC has, never stuck "Sending"."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import DatabaseError
from django.urls import reverse
from django.utils import timezone

from journeys.domain.document import minimal_journey, put_body
from journeys.forms import NewJourneyForm
from journeys.lengths import TooLongToStore, journey_key_limit, journey_name_limit
from journeys.models import Connection, Draft, Journey, PublishRequest, PushAttempt, RemoteSnapshot
from journeys.panel_forms import Target, panel_form_for
from journeys.presentation.push import describe_attempt
from journeys.services import leased_runs, publish, push
from journeys.services.drafts import create_new_journey
from journeys.services.remote import check_remote_version, client_for
from journeys.sfmc.simulator.interactions import JourneyRef
from tests.factories import ConnectionFactory
from tests.test_publish import HTMX, instant_publishes, pushed  # noqa: F401 (a fixture)
from tests.test_push_service import (
    WELCOME,
    applied_writes,
    approved_now,
    edited,
    import_demo,
    remote_doc,
    rename,
)

LONG_NAME = "N" * 450  # over the 400 the database keeps
FAILED, RUNNING = PushAttempt.State.FAILED, PushAttempt.State.RUNNING


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


def json_file(document):
    return SimpleUploadedFile("journey.json", json.dumps(document).encode())


# the limits


def test_the_limits_come_from_the_model_and_sfmcs_own(settings):
    assert journey_key_limit() == 200  # the column's and SFMC's (confirmed)
    assert journey_name_limit() == 200  # the setting's default
    settings.SFMC_JOURNEY_NAME_MAX_LENGTH = 1000
    assert journey_name_limit() == Journey._meta.get_field("name").max_length == 400
    settings.SFMC_JOURNEY_NAME_MAX_LENGTH = 80
    assert journey_name_limit() == 80


# the side panel and the new-journey form


def test_the_settings_panel_refuses_a_name_over_the_limit_with_a_message(editor):
    document = minimal_journey("Short")
    too_long = panel_form_for(document, Target("settings"), settings_data("N" * 201))
    assert not too_long.is_valid()
    assert too_long.errors["name"] == ["The name is 201 characters long; at most 200 are allowed."]
    assert panel_form_for(document, Target("settings"), settings_data("N" * 200)).is_valid()


def test_a_name_over_the_limit_already_stored_does_not_block_other_settings():
    document = minimal_journey(LONG_NAME)  # stored before the limit was checked
    form = panel_form_for(document, Target("settings"), settings_data(LONG_NAME, "MultipleEntries"))
    assert form.is_valid(), form.errors


def settings_data(name, entry_mode="OnceAndDone"):
    return {"name": name, "description": "", "entryMode": entry_mode, "revision": 1}


def test_the_panel_view_answers_the_refusal_and_keeps_the_draft(editor_client, editor):
    draft = create_new_journey(editor, ConnectionFactory(), "Settings")
    url = reverse("journeys:draft-panel", args=[draft.pk]) + "?target=settings"

    response = editor_client.post(url, settings_data("N" * 250), headers=HTMX)

    assert response.status_code == 200
    assert b"The name is 250 characters long; at most 200 are allowed." in response.content
    draft.refresh_from_db()
    assert draft.document["name"] == "Settings" and draft.revision_number == 1


def test_a_new_journey_name_over_the_limit_is_refused(sim_connection):
    form = NewJourneyForm(
        {"connection": sim_connection.pk, "name": "N" * 201},
        connections=Connection.objects.all(),
    )
    assert form.errors["name"] == ["The name is 201 characters long; at most 200 are allowed."]


# uploads


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"name": "N" * 300}, "The journey&#x27;s name is 300 characters long; at most 200"),
        ({"key": "k" * 201}, "The journey&#x27;s key is 201 characters long; at most 200"),
    ],
)
def test_an_upload_with_an_over_long_name_or_key_is_refused_with_a_form_error(
    editor_client, sim_connection, change, message
):
    document = {**minimal_journey("Uploaded", key="uploaded"), **change}

    response = editor_client.post(
        reverse("journeys:draft-upload"),
        {"connection": sim_connection.pk, "file": json_file(document)},
    )

    assert response.status_code == 200
    assert message.encode() in response.content
    assert not Journey.objects.exists() and not Draft.objects.exists()


# imports and checks of SFMC


def remote_with_name(connection, name, key="long-named"):
    """A journey SFMC holds under `name` (SFMC itself sets no limit the simulator knows)."""
    return client_for(connection).create_journey(minimal_journey(name, key=key))


def import_response(client, connection, remote_id):
    url = reverse("journeys:remote-import", args=[connection.pk])
    return client.post(url, {"remote_id": remote_id})


def test_importing_a_journey_whose_name_is_over_long_says_so_instead_of_a_500(
    editor_client, sim_connection
):
    created = remote_with_name(sim_connection, LONG_NAME)

    response = import_response(editor_client, sim_connection, created["id"])

    assert response.status_code == 302
    [message] = [str(m) for m in get_messages(response.wsgi_request)]
    assert message == (
        "The import failed: SFMC's answer cannot be stored here: the journey name is 450 "
        "characters long, and at most 400 are kept."
    )
    assert not Journey.objects.exists() and not RemoteSnapshot.objects.exists()


def test_importing_a_journey_whose_key_is_over_long_says_so_instead_of_a_500(
    editor_client, sim_connection, simulator
):
    created = remote_with_name(sim_connection, "Odd key")
    interactions = simulator.app.interactions  # an SFMC that kept a key over its own limit
    item = interactions.get(JourneyRef(journey_id=created["id"]))
    item.key = "k" * 250
    interactions.store.save_version(item)

    response = import_response(editor_client, sim_connection, created["id"])

    assert response.status_code == 302
    [message] = [str(m) for m in get_messages(response.wsgi_request)]
    assert "the journey key is 250 characters long, and at most 200 are kept" in message
    assert not Journey.objects.exists()


@pytest.fixture
def renamed_remotely(editor, sim_connection, demo_journeys, simulator):
    """The welcome series imported, then renamed in SFMC to a name too long to keep."""
    draft = import_demo(editor, sim_connection)
    simulator.control(
        "POST", "remote-edit", {"key": WELCOME, "action": "rename", "name": LONG_NAME}
    )
    return draft


def test_checking_sfmc_reports_an_answer_too_long_to_keep(editor_client, renamed_remotely):
    draft = renamed_remotely
    snapshots = RemoteSnapshot.objects.count()

    response = editor_client.post(
        reverse("journeys:draft-check-sfmc", args=[draft.pk]), headers=HTMX
    )

    assert response.status_code == 409
    assert b"the journey name is 450 characters long, and at most 400 are kept" in (
        response.content
    )
    assert RemoteSnapshot.objects.count() == snapshots


def test_the_background_check_records_an_answer_too_long_to_keep(renamed_remotely):
    journey = renamed_remotely.journey

    assert check_remote_version(journey.pk) is None

    journey.refresh_from_db()
    assert "the journey name is 450 characters long" in journey.remote_check_error
    assert journey.name != LONG_NAME


# pushes: whatever fails after SFMC took the push ends the attempt, saying what SFMC has


@pytest.fixture
def long_named_draft(editor, approver, sim_connection, demo_journeys):
    """An approved draft named longer than the database keeps: stored before the panel checked
    lengths (the service takes what it is given)."""
    draft = import_demo(editor, sim_connection)
    return approved_now(editor, approver, edited(editor, draft, rename(LONG_NAME)))


def test_a_push_whose_answer_is_too_long_to_keep_ends_saying_what_sfmc_has(
    long_named_draft, editor, simulator, sim_connection
):
    draft = long_named_draft
    snapshots = RemoteSnapshot.objects.count()
    attempt = push.request_push(editor, draft)

    outcome = push.run_push(attempt.pk)

    attempt.refresh_from_db()
    remote = remote_doc(sim_connection)
    assert remote["name"] == LONG_NAME  # SFMC took it
    assert outcome.state == attempt.state == FAILED
    assert attempt.error_code == leased_runs.NOT_RECORDED
    assert attempt.error_message == (
        f"SFMC has version {remote['version']} of this journey (modified "
        f"{remote['modifiedDate']}), but recording it here failed: SFMC's answer cannot be "
        "stored here: the journey name is 450 characters long, and at most 400 are kept. "
        "Check the journey in SFMC before pushing again."
    )
    assert (attempt.remote_version_after, attempt.remote_modified_after) == (
        remote["version"],
        remote["modifiedDate"],
    )
    assert RemoteSnapshot.objects.count() == snapshots  # nothing half-recorded
    assert Draft.objects.get(pk=draft.pk).state == Draft.State.APPROVED
    assert describe_attempt(attempt).title == "Push not recorded"
    assert len(applied_writes(simulator)) == 1


def test_any_failure_after_sfmcs_answer_ends_the_attempt_too(
    approved_demo_draft, editor, sim_connection, monkeypatch
):
    def database_down(journey, document):  # a fault no real input produces on demand
        raise DatabaseError("could not extend file: No space left on device")

    monkeypatch.setattr(push, "record_snapshot", database_down)
    attempt = push.request_push(editor, approved_demo_draft)

    push.run_push(attempt.pk)

    attempt.refresh_from_db()
    remote = remote_doc(sim_connection)
    assert attempt.state == FAILED and attempt.error_code == "not-recorded"
    assert attempt.error_message.startswith(
        f"SFMC has version {remote['version']} of this journey (modified "
        f"{remote['modifiedDate']}), but recording it here failed: an unexpected error "
        "(DatabaseError: could not extend file: No space left on device)."
    )


@pytest.fixture
def approved_demo_draft(editor, approver, sim_connection, demo_journeys):
    draft = import_demo(editor, sim_connection)
    return approved_now(editor, approver, edited(editor, draft, rename("Spring")))


def test_a_failure_on_our_side_before_any_write_says_nothing_was_recorded(
    approved_demo_draft, editor, simulator, monkeypatch
):
    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(push, "put_body", broken)
    attempt = push.request_push(editor, approved_demo_draft)

    push.run_push(attempt.pk)

    attempt.refresh_from_db()
    assert attempt.state == FAILED
    assert attempt.error_message == (
        "Recording SFMC's answer here failed: an unexpected error (RuntimeError: a bug)."
    )
    assert not applied_writes(simulator)


def test_recovery_ends_an_attempt_a_pre_fix_worker_left_running(
    long_named_draft, editor, simulator, sim_connection
):
    """The worker that sent it died recording SFMC's answer: the attempt was left running. The
    recovery's try looks at SFMC first, finds the push applied, and ends the attempt visibly."""
    draft = long_named_draft
    attempt = push.request_push(editor, draft)
    assert push.claim_attempt(attempt.pk) is not None  # the dead worker's claim
    base = draft.base_snapshot
    client_for(sim_connection).put_journey(
        put_body(draft.document, version=base.version, modified_date=base.modified_date)
    )
    PushAttempt.objects.filter(pk=attempt.pk).update(
        lease_until=timezone.now() - timedelta(seconds=1)
    )

    call_command("recover_pushes")
    push.run_push(attempt.pk)  # the task the recovery queued

    attempt.refresh_from_db()
    remote = remote_doc(sim_connection)
    assert attempt.state == FAILED and attempt.tries == 2
    assert attempt.error_message.startswith(f"SFMC has version {remote['version']} of this")
    assert len(applied_writes(simulator)) == 1  # looked, never sent twice


def test_the_run_engine_refuses_to_store_an_over_long_value(approved_demo_draft, editor, simulator):
    attempt = push.request_push(editor, approved_demo_draft)
    claimed = push.claim_attempt(attempt.pk)

    with pytest.raises(TooLongToStore, match="remote modified after is 41 characters long"):
        push.RUNS.fenced(claimed, remote_modified_after="9" * 41)

    attempt.refresh_from_db()
    assert attempt.state == RUNNING and attempt.remote_modified_after == ""


# publishes


@pytest.mark.usefixtures("instant_publishes")
def test_a_publish_that_fails_on_our_side_ends_saying_what_sfmc_published(
    editor, approver, sim_connection, demo_journeys, monkeypatch
):
    draft = pushed(editor, approver, sim_connection)

    def database_down(journey, document):
        raise DatabaseError("connection lost")

    monkeypatch.setattr(publish, "record_snapshot", database_down)
    request = publish.request_publish(approver, draft)

    for _ in range(5):
        publish.run_publish(request.pk)
        request.refresh_from_db()
        if request.is_final:
            break
        PublishRequest.objects.filter(pk=request.pk).update(next_poll_at=timezone.now())

    remote = remote_doc(sim_connection)
    assert remote["status"] == "Published"
    assert request.state == PublishRequest.State.FAILED
    assert request.error_code == "not-recorded"
    assert request.error_message == (
        f"SFMC has published version {remote['version']} of this journey, but recording it "
        "here failed: an unexpected error (DatabaseError: connection lost). Check the journey "
        "in SFMC before publishing again."
    )
