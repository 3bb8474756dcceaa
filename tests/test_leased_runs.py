"""The one leased-run engine of pushes and publishes: the order it takes row locks in, and what
a run whose worker stopped beating looks like (tests/test_push_processes.py kills a real one).

A run's lease ends MISSED_BEATS heartbeats after its worker's last one, so "the last heartbeat
was long ago" is a lease that ended: the tests write that into the database rather than wait.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from journeys.services import publish, push
from journeys.services.leased_runs import MISSED_BEATS
from tests.test_publish import pushed
from tests.test_push_service import approved_demo

HTMX = {"HX-Request": "true"}
STOPPED = "The worker stopped; resuming"


def _is_draft_lock(sql: str) -> bool:
    locks = 'FOR UPDATE OF "journeys_draft"' in sql or not connection.features.has_select_for_update
    return sql.startswith("SELECT") and 'FROM "journeys_draft"' in sql and locks


def unlocked_updates(queries: list[dict[str, str]], table: str) -> list[str]:
    """The UPDATEs of `table` that no lock of a draft row came before (since the last one)."""
    unlocked, locked = [], False
    for sql in (query["sql"] for query in queries):
        if _is_draft_lock(sql):
            locked = True
        elif sql.startswith(f'UPDATE "{table}"'):
            if not locked:
                unlocked.append(sql)
            locked = False
    return unlocked


def push_steps(editor, approver, sim_connection):
    """A requested push, and the steps of its run: claim, retry, recover; its due field."""
    attempt = push.request_push(editor, approved_demo(editor, approver, sim_connection))
    return attempt, push.claim_attempt, push.mark_retrying, push.recover_pushes, "next_retry_at"


def publish_steps(editor, approver, sim_connection):
    request = publish.request_publish(approver, pushed(editor, approver, sim_connection))
    steps = (publish.claim_request, publish.mark_retrying, publish.recover_publishes)
    return (request, *steps, "next_poll_at")


STEPS = {"push": push_steps, "publish": publish_steps}
ENGINES = {"push": push.RUNS, "publish": publish.RUNS}


@pytest.mark.parametrize("kind", STEPS)
def test_every_write_of_a_run_locks_its_draft_first(
    kind, editor, approver, sim_connection, demo_journeys
):
    """Requesting locks the draft, then inserts the row (which waits for any transaction that
    changes the draft's active row): so every change of the row must lock the draft first, or
    two transactions wait for each other (a deadlock on PostgreSQL)."""
    row, claim, retry, recover, due = STEPS[kind](editor, approver, sim_connection)
    model, table = type(row), row._meta.db_table
    with CaptureQueriesContext(connection) as claimed:
        row = claim(row.pk)
    with CaptureQueriesContext(connection) as fenced:
        retry(row, "remote-error", "SFMC or the network failed.")
    an_hour_ago = timezone.now() - timedelta(hours=1)
    model.objects.filter(pk=row.pk).update(created_at=an_hour_ago, **{due: an_hour_ago})
    with CaptureQueriesContext(connection) as recovered:
        assert recover() == [row.pk]

    for step in (claimed, fenced, recovered):
        assert any(sql["sql"].startswith(f'UPDATE "{table}"') for sql in step.captured_queries)
        assert unlocked_updates(step.captured_queries, table) == []


def stopped_beating(runs, row) -> None:
    """The worker's last heartbeat was MISSED_BEATS + 1 beats ago."""
    beat = float(settings.WORKER_HEARTBEAT_SECONDS)
    assert runs.renew(row, beat, at=timezone.now() - timedelta(seconds=beat * (MISSED_BEATS + 1)))


@pytest.mark.parametrize("kind", STEPS)
def test_a_run_whose_worker_stopped_beating_says_so_and_is_resumed(
    kind,
    editor,
    approver,
    sim_connection,
    demo_journeys,
    client,
    django_capture_on_commit_callbacks,
):
    row, claim, _, recover, _ = STEPS[kind](editor, approver, sim_connection)
    runs, row = ENGINES[kind], claim(row.pk)
    client.force_login(approver)
    url = reverse(f"journeys:{kind}-status", args=[row.pk])
    assert runs.renew(row, float(settings.WORKER_HEARTBEAT_SECONDS))  # beating now: still busy
    busy = client.get(url, headers=HTMX).content.decode()
    assert STOPPED not in busy and 'data-state="running"' in busy

    stopped_beating(runs, row)
    html = client.get(url, headers=HTMX).content.decode()

    assert "Worker stopped" in html and STOPPED in html and f'id="{kind}-retry"' in html
    with django_capture_on_commit_callbacks() as enqueued:
        assert recover() == [row.pk]  # what celery beat does every RECOVER_EVERY_SECONDS
    row.refresh_from_db()
    assert row.state == "retrying" and len(enqueued) == 1
    assert STOPPED not in client.get(url, headers=HTMX).content.decode()


@pytest.mark.parametrize("kind", STEPS)
def test_a_heartbeat_of_a_run_that_was_taken_over_changes_nothing(
    kind, editor, approver, sim_connection, demo_journeys
):
    row, claim, _, recover, _ = STEPS[kind](editor, approver, sim_connection)
    runs, first = ENGINES[kind], claim(row.pk)
    stopped_beating(runs, first)
    assert recover() == [row.pk]
    second = claim(row.pk)
    assert second is not None

    assert not runs.renew(first, float(settings.WORKER_HEARTBEAT_SECONDS))
    assert runs.renew(second, float(settings.WORKER_HEARTBEAT_SECONDS))


def test_a_worker_runs_pushes_and_publishes_with_a_heartbeat(monkeypatch):
    """The tasks ask for the heartbeat; services called directly (tests, tools) do not."""
    seen = []
    monkeypatch.setattr(push, "run_push", lambda pk, **kw: seen.append(kw) or push.SKIPPED)
    monkeypatch.setattr(publish, "run_publish", lambda pk, **kw: seen.append(kw) or push.SKIPPED)
    from journeys.tasks import publish_version, push_draft

    push_draft(1)
    publish_version(1)

    assert seen == [{"heartbeat": True}, {"heartbeat": True}]
