"""Drift seen without asking, end to end: the editor page queues the check, a real Celery worker
(in a thread, on the configured broker) runs it, and the poller's next answer is the banner."""

from __future__ import annotations

import pytest
from celery.signals import task_postrun
from django.urls import reverse

from journeys.models import Journey
from journeys.tasks import check_remote_version
from tests.test_drift import remote_edit
from tests.test_push_service import edited, import_demo, rename
from tests.test_push_worker import wait_for

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def checks_done():
    """The journey ids of every check_remote_version run the worker finished."""
    done = []

    def record(sender=None, args=None, state=None, **kwargs):
        if sender is not None and sender.name == check_remote_version.name and state == "SUCCESS":
            done.append(list(args or ()))

    task_postrun.connect(record, weak=False)
    yield done
    task_postrun.disconnect(record)


def test_opening_a_drifted_draft_brings_the_banner_without_asking(
    worker, checks_done, client, editor, sim_connection, demo_journeys, simulator
):
    draft = edited(editor, import_demo(editor, sim_connection), rename("Mine"))
    remote_edit(simulator, "change-wait", activity_key="WAITBYDURATION-1", duration=9)
    client.force_login(editor)

    page = client.get(reverse("journeys:draft", args=[draft.pk])).content.decode()
    assert 'id="remote-check-pending"' in page and "drift-banner" not in page

    assert wait_for(lambda: [draft.journey_id] in checks_done)
    assert Journey.objects.get(pk=draft.journey_id).remote_checked_at is not None
    fragment = client.get(reverse("journeys:draft-drift", args=[draft.pk])).content.decode()
    assert "drift-banner" in fragment and 'id="update-from-sfmc"' in fragment
