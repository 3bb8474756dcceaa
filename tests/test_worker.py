"""A real Celery worker runs a real task against the real database and broker.

The broker is whatever the settings configure: kombu's filesystem transport by default, Redis
when CELERY_BROKER_URL says so (CI runs both).
"""

from __future__ import annotations

import time
import uuid

import pytest
from django.conf import settings

from journeys.celery import app
from journeys.models import AuditEvent
from journeys.tasks import check_worker


def wait_for(predicate, timeout=120.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_real_worker_runs_a_task_enqueued_on_commit(worker):
    nonce = uuid.uuid4().hex
    from django.db import transaction

    with transaction.atomic():
        check_worker.delay_on_commit(nonce)
        # Nothing is sent before the transaction commits.
        assert not AuditEvent.objects.filter(details__nonce=nonce).exists()
    assert wait_for(
        lambda: AuditEvent.objects.filter(action="worker.checked", details__nonce=nonce).exists()
    ), f"the worker did not run the task on broker {settings.CELERY_BROKER_URL}"


def test_celery_is_configured_for_json_only_and_late_acks():
    conf = app.conf
    assert conf.task_serializer == "json"
    assert conf.accept_content == ["json"]
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1
    assert conf.task_time_limit > conf.task_soft_time_limit > 0


def test_beat_runs_the_stalled_push_recovery_every_ten_seconds():
    from journeys.tasks import recover_stalled_pushes

    entry = app.conf.beat_schedule["recover-stalled-pushes"]
    assert entry["task"] == recover_stalled_pushes.name
    assert entry["schedule"] == 10.0
    from journeys.tasks import recover_stalled_publishes

    assert app.conf.beat_schedule["recover-stalled-publishes"]["task"] == (
        recover_stalled_publishes.name
    )
