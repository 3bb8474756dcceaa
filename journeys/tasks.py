"""Celery tasks: thin wrappers that take ids and call services."""

from __future__ import annotations

from celery import shared_task

from journeys import services


@shared_task
def check_worker(nonce: str) -> None:
    """Prove a worker is alive and can write: records a `worker.checked` audit event."""
    services.record_event("worker.checked", details={"nonce": nonce})
