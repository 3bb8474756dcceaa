"""Celery tasks: thin wrappers that take ids and call services."""

from __future__ import annotations

from typing import Any

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded

from journeys import services
from journeys.services import catalog, publish, push, remote


@shared_task
def check_worker(nonce: str) -> None:
    """Prove a worker is alive and can write: records a `worker.checked` audit event."""
    services.record_event("worker.checked", details={"nonce": nonce})


# Late ack plus the row's claim and lease: a message redelivered after a crash is safe, and
# the service bounds the tries (no autoretry: a lost answer must be compared, not re-sent).
# The worker renews the lease while it runs (heartbeat): a dead one's push is resumed soon.
@shared_task(bind=True, acks_late=True, ignore_result=True, max_retries=None)
def push_draft(self: Any, attempt_id: int) -> None:
    """Run one push attempt; schedule the next try when the service asks for one."""
    try:
        outcome = push.run_push(attempt_id, heartbeat=True)
    except SoftTimeLimitExceeded:
        outcome = push.release_after_timeout(attempt_id)
    if outcome.retry_in is not None:
        raise self.retry(countdown=outcome.retry_in)


@shared_task(ignore_result=True)
def recover_stalled_pushes() -> None:
    """Re-enqueue pushes whose message was lost or whose worker died (run by celery beat)."""
    push.recover_pushes()


# Like push_draft: late ack plus the row's claim and lease. One run is one step (send, or one
# status check); the service says when to run again. Returns the state, for logs and tests.
@shared_task(bind=True, acks_late=True, ignore_result=True, max_retries=None)
def publish_version(self: Any, request_id: int) -> str:
    """Run one step of a publish request; schedule the next when the service asks for one."""
    try:
        outcome = publish.run_publish(request_id, heartbeat=True)
    except SoftTimeLimitExceeded:
        outcome = publish.release_after_timeout(request_id)
    if outcome.retry_in is not None:
        raise self.retry(countdown=outcome.retry_in)
    return outcome.state


@shared_task(ignore_result=True)
def recover_stalled_publishes() -> None:
    """Re-enqueue publishes whose message was lost or whose worker died (for celery beat)."""
    publish.recover_publishes()


@shared_task(ignore_result=True)
def check_remote_version(journey_id: int) -> None:
    """Fetch SFMC's latest version of a journey in the background (drift seen without asking)."""
    remote.check_remote_version(journey_id)


@shared_task(ignore_result=True)
def refresh_catalog(connection_id: int) -> None:
    """Refresh one connection's catalog cache (services.catalog.refresh_catalog)."""
    catalog.refresh_catalog(connection_id)
