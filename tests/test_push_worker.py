"""The push task with a real Celery worker (in a thread) on the configured broker and database.

Run these with a VAR_DIR of your own when other test sessions share the tree: the filesystem
broker's queue lives under VAR_DIR, and a worker of another session would take the messages.
"""

from __future__ import annotations

import time

import pytest
from celery.signals import task_postrun
from django.core import mail
from django.urls import reverse

from journeys.models import AuditEvent, Draft, Notification, PushAttempt
from journeys.services import push
from journeys.tasks import push_draft
from tests.test_push_service import approved_now, edited, import_demo, remote_doc, rename

# serialized_rollback: the flush after each test would drop the roles the migrations made.
pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
State = PushAttempt.State


def wait_for(predicate, timeout=120.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


@pytest.fixture
def task_runs():
    """(args, state) of every push_draft run the worker finished (RETRY or SUCCESS).

    Tests wait on these, the worker's own word that a run ended, rather than on rows that a
    run writes before it ends.
    """
    runs = []

    def record(sender=None, args=None, state=None, **kwargs):
        if sender is not None and sender.name == push_draft.name:
            runs.append((list(args or ()), state))

    task_postrun.connect(record, weak=False)
    yield runs
    task_postrun.disconnect(record)


def finished(runs, attempt, count=1):
    return sum(1 for args, state in runs if args == [attempt.pk] and state == "SUCCESS") >= count


@pytest.fixture
def draft(editor, approver, sim_connection, demo_journeys):
    draft = import_demo(editor, sim_connection)
    return approved_now(editor, approver, edited(editor, draft, rename("Pushed by a worker")))


def test_an_approved_draft_is_pushed_end_to_end_by_a_real_worker(
    worker, task_runs, draft, editor, simulator, sim_connection
):
    attempt = push.request_push(editor, draft)  # commits, then enqueues

    assert wait_for(lambda: finished(task_runs, attempt))
    attempt.refresh_from_db()
    assert attempt.state == State.SUCCEEDED
    remote = remote_doc(sim_connection)
    assert remote["name"] == "Pushed by a worker"
    assert attempt.remote_modified_after == remote["modifiedDate"]
    assert Draft.objects.get(pk=draft.pk).state == Draft.State.PUSHED
    assert len(simulator.request_log(method="PUT", applied="true")) == 1


def test_the_worker_tells_the_author_and_who_pushed_in_the_app_and_by_email(
    worker, task_runs, draft, editor, approver
):
    attempt = push.request_push(approver, draft)

    assert wait_for(lambda: finished(task_runs, attempt))
    told = Notification.objects.filter(kind=Notification.Kind.PUSH_SUCCEEDED)
    assert sorted(n.recipient.username for n in told) == ["arlo", "edna"]
    assert {n.url for n in told} == {reverse("journeys:push-status", args=[attempt.pk])}
    mailed = [m.to for m in mail.outbox if m.subject == "Push succeeded: Pushed by a worker"]
    assert sorted(mailed) == [[approver.email], [editor.email]]  # sent once committed


def test_the_worker_retries_server_errors_with_backoff_then_succeeds(
    worker, task_runs, draft, editor, simulator, monkeypatch, settings
):
    monkeypatch.setattr(push, "BACKOFF_BASE", 0.2)
    settings.SFMC_MAX_RETRIES = 0  # no waiting inside the client: each 503 ends a try
    simulator.add_fault("http_error", status=503, method="PUT", count=2)

    attempt = push.request_push(editor, draft)

    assert wait_for(lambda: finished(task_runs, attempt))
    attempt.refresh_from_db()
    assert [state for _, state in task_runs] == ["RETRY", "RETRY", "SUCCESS"]
    assert attempt.state == State.SUCCEEDED and attempt.tries == 3
    assert AuditEvent.objects.filter(action="push.retrying").count() == 2
    assert len(simulator.request_log(method="PUT", applied="true")) == 1


def test_a_duplicate_message_for_one_attempt_sends_only_once(
    worker, task_runs, draft, editor, simulator
):
    attempt = push.request_push(editor, draft)
    push_draft.delay(attempt.pk)  # as after a redelivery

    assert wait_for(lambda: finished(task_runs, attempt, count=2))
    attempt.refresh_from_db()
    assert attempt.state == State.SUCCEEDED and attempt.tries == 1
    assert len(simulator.request_log(method="PUT")) == 1


def test_the_task_retries_itself_when_the_service_says_so(draft, editor, simulator, monkeypatch):
    monkeypatch.setattr(push, "BACKOFF_BASE", 0.01)
    simulator.add_fault("http_error", status=500, method="PUT", count=2)
    attempt = push.request_push(editor, draft)

    push_draft.apply(args=[attempt.pk])  # eager: each retry runs at once, in this thread

    attempt.refresh_from_db()
    assert attempt.state == State.SUCCEEDED and attempt.tries == 3


def test_a_push_whose_answer_cannot_be_recorded_ends_visibly_not_sending(
    worker, task_runs, editor, approver, sim_connection, demo_journeys, simulator
):
    """The attack's case: SFMC takes a journey whose name is longer than the database keeps,
    and recording its answer fails. The worker ends the attempt saying what SFMC has."""
    name = "N" * 450  # stored before the panel checked lengths
    draft = approved_now(
        editor, approver, edited(editor, import_demo(editor, sim_connection), rename(name))
    )
    attempt = push.request_push(editor, draft)

    assert wait_for(lambda: finished(task_runs, attempt))
    attempt.refresh_from_db()
    remote = remote_doc(sim_connection)
    assert remote["name"] == name
    assert attempt.state == State.FAILED and attempt.error_code == "not-recorded"
    assert attempt.error_message.startswith(f"SFMC has version {remote['version']} of this")
    assert "Check the journey in SFMC before pushing again." in attempt.error_message
    assert len(simulator.request_log(method="PUT", applied="true")) == 1
