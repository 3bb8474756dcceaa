"""The per-connection cache of SFMC's catalog: asking for a refresh, refreshing, and its state.

A refresh runs in the worker (tasks.refresh_catalog): every kind is fetched from SFMC before any
transaction, then replaced whole in one short transaction, so readers see the old or the new
catalog, never half of one. A kind that fails keeps what it had; its error is kept in plain
words for the picker, which offers a retry. Nothing here runs while a page waits.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from journeys.catalog_models import (
    CatalogAttributeSet,
    CatalogDataExtension,
    CatalogEmail,
    CatalogEvent,
    CatalogKind,
    CatalogMobile,
    CatalogProfile,
    CatalogRefresh,
)
from journeys.models import Connection
from journeys.services.remote import client_for
from journeys.sfmc import catalog as remote
from journeys.sfmc.client import SFMCClient
from journeys.sfmc.errors import AuthError, HostNotAllowed, SFMCError

logger = logging.getLogger(__name__)

# A refresh asked for this long ago and not finished is taken as lost (a worker died).
STALE_REFRESH = timedelta(minutes=10)
BATCH = 1000
PROFILE_KINDS = {
    "SenderProfile": "sender",
    "DeliveryProfile": "delivery",
    "SendClassification": "classification",
}
KIND_WORDS = dict(CatalogKind.KINDS)


@dataclass(frozen=True)
class CatalogStatus:
    """What the picker says about the cache: how fresh, whether a refresh runs, the last error."""

    refreshed_at: datetime | None
    running: bool
    error: str
    empty: bool


def catalog_status(connection: Connection) -> CatalogStatus:
    kinds = list(CatalogKind.objects.filter(connection=connection))
    refresh = CatalogRefresh.objects.filter(connection=connection).first()
    times = [kind.refreshed_at for kind in kinds if kind.refreshed_at]
    return CatalogStatus(
        refreshed_at=min(times) if times else None,
        running=bool(refresh and refresh.running and not _stale(refresh)),
        error=refresh.error if refresh else "",
        empty=not times,
    )


def request_refresh(connection: Connection, *, only_if_empty: bool = False) -> bool:
    """Queue a refresh unless one is already running; True when this call queued it.

    ``only_if_empty`` is the "first need": a picker searched on a connection never refreshed.
    """
    if only_if_empty and CatalogRefresh.objects.filter(connection=connection).exists():
        return False  # asked for before (done, running, or failed with its retry shown)
    # Two queries whatever the state: the row exists after this (an insert that ignores a
    # conflict), and the conditional UPDATE below lets exactly one caller claim the refresh.
    CatalogRefresh.objects.bulk_create(
        [CatalogRefresh(connection=connection)], ignore_conflicts=True
    )
    now = timezone.now()
    idle = (
        Q(requested_at__isnull=True)
        | Q(finished_at__gte=models.F("requested_at"))
        | Q(requested_at__lt=now - STALE_REFRESH)
    )
    claimed = CatalogRefresh.objects.filter(Q(connection=connection) & idle).update(
        requested_at=now
    )
    if claimed:
        from journeys.tasks import refresh_catalog as task  # tasks import the services

        transaction.on_commit(lambda: task.delay(connection.pk))
    return bool(claimed)


def refresh_catalog(connection_id: int) -> str:
    """Fetch every kind and replace the cache; returns the error text ("" when all went well)."""
    connection = Connection.objects.get(pk=connection_id)
    errors: list[str] = []
    try:
        client = client_for(connection)
        for kind, fetch in _FETCHES.items():
            error = _refresh_kind(connection, kind, fetch, client)
            if error:
                errors.append(error)
    except SFMCError as exc:  # credentials or address refused: every kind would fail alike
        errors.append(_words(exc, "the catalog"))
    text = " ".join(errors)
    CatalogRefresh.objects.update_or_create(
        connection=connection, defaults={"finished_at": timezone.now(), "error": text}
    )
    return text


def _refresh_kind(
    connection: Connection, kind: str, fetch: Callable[[SFMCClient], Any], client: SFMCClient
) -> str:
    try:
        rows = fetch(client)
    except (AuthError, HostNotAllowed):
        raise
    except SFMCError as exc:
        logger.warning("Catalog refresh of %s for %s failed: %s", kind, connection, exc)
        return _words(exc, KIND_WORDS[kind])
    _replace(connection, kind, rows)
    return ""


def _words(exc: SFMCError, what: str) -> str:
    if exc.status == 401:
        return f"SFMC refused the connection's credentials while reading {what}: {exc}"
    if exc.status == 403:
        return (
            f"SFMC does not let this connection read {what} (HTTP 403): the installed package "
            "needs that permission (scope)."
        )
    return f"Could not read {what} from SFMC: {exc}"


def _fetch_profiles(client: SFMCClient) -> list[dict[str, Any]]:
    return [
        {**row, "kind": kind}
        for object_type, kind in PROFILE_KINDS.items()
        for row in remote.fetch_profiles(client, object_type)
    ]


_FETCHES: dict[str, Callable[[SFMCClient], Any]] = {
    "emails": remote.fetch_emails,
    "events": remote.fetch_event_definitions,
    "data_extensions": remote.fetch_data_extensions,
    "attribute_sets": remote.fetch_attribute_sets,
    "profiles": _fetch_profiles,
    "sms": remote.fetch_mobile,
}


def _replace(connection: Connection, kind: str, rows: list[dict[str, Any]] | None) -> None:
    """Replace one kind whole (``rows`` None: the tenant has no such API)."""
    model = _MODELS[kind]
    with transaction.atomic():
        model.objects.filter(connection=connection).delete()
        model.objects.bulk_create(
            [model(connection=connection, **row) for row in rows or []], batch_size=BATCH
        )
        CatalogKind.objects.update_or_create(
            connection=connection,
            kind=kind,
            defaults={
                "refreshed_at": timezone.now(),
                "available": rows is not None,
                "count": len(rows or []),
            },
        )


_MODELS: dict[str, Any] = {
    "emails": CatalogEmail,
    "events": CatalogEvent,
    "data_extensions": CatalogDataExtension,
    "attribute_sets": CatalogAttributeSet,
    "profiles": CatalogProfile,
    "sms": CatalogMobile,
}


def _stale(refresh: CatalogRefresh) -> bool:
    return (
        refresh.requested_at is not None and refresh.requested_at < timezone.now() - STALE_REFRESH
    )
