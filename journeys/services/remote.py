"""Talking to SFMC through a Connection: clients, connection checks, snapshots and imports."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction

from journeys.domain.document import content_hash
from journeys.models import Connection, Draft, Journey, RemoteSnapshot
from journeys.permissions import can_create_draft, require
from journeys.services.audit import record_event
from journeys.services.drafts import start_draft
from journeys.services.identity import record_keys
from journeys.sfmc.client import SFMCClient
from journeys.sfmc.hosts import check_base_url

SIMULATOR_CONNECTION_NAME = "SFMC simulator"
SIMULATOR_CLIENT_ID = "sim-client-id"
SIMULATOR_CLIENT_SECRET = "sim-client-secret"


def insecure_hosts() -> tuple[str, ...]:
    """The simulator's host:port, the only plain-http host allowed, and only when enabled."""
    if not settings.SFMC_SIMULATOR_ENABLED:
        return ()
    return (urlsplit(settings.SFMC_SIMULATOR_URL).netloc,)


def check_connection_urls(*urls: str) -> None:
    """Raise HostNotAllowed unless every URL is on the SFMC allow-list (or is the simulator)."""
    for url in urls:
        check_base_url(url, settings.SFMC_ALLOWED_HOST_SUFFIXES, insecure_hosts())


def client_for(connection: Connection) -> SFMCClient:
    """A client for `connection`; the secret is decrypted here and nowhere else."""
    return SFMCClient(
        connection.auth_base_url,
        connection.rest_base_url,
        connection.client_id,
        connection.get_client_secret(),
        connection.account_id or None,
        allowed_host_suffixes=settings.SFMC_ALLOWED_HOST_SUFFIXES,
        allow_insecure_hosts=insecure_hosts(),
        connect_timeout=settings.SFMC_CONNECT_TIMEOUT,
        read_timeout=settings.SFMC_READ_TIMEOUT,
        max_retries=settings.SFMC_MAX_RETRIES,
    )


def verify_connection(user: Any, connection: Connection) -> str:
    """Authenticate and list one journey; returns a message or raises the exact SFMCError."""
    require(user.is_staff, "Only administrators test connections.")
    message = client_for(connection).test_connection()
    record_event("connection.tested", actor=user, details={"connection": connection.name})
    return message


def record_snapshot(journey: Journey, document: dict[str, Any]) -> RemoteSnapshot:
    """Store one fetched remote version verbatim and refresh the journey's remote facts."""
    snapshot = RemoteSnapshot.objects.create(
        journey=journey,
        version=int(document.get("version") or 1),
        modified_date=str(document.get("modifiedDate") or ""),
        status=str(document.get("status") or ""),
        document=document,
        content_hash=content_hash(document),
    )
    record_keys(journey.pk, document)
    journey.remote_id = str(document.get("id") or journey.remote_id)
    journey.name = str(document.get("name") or journey.name)
    journey.latest_remote_version = snapshot.version
    journey.latest_remote_status = snapshot.status
    journey.latest_remote_modified_date = snapshot.modified_date
    journey.save()
    return snapshot


@dataclass(frozen=True)
class ImportResult:
    draft: Draft
    created: bool


def import_journey(
    user: Any, connection: Connection, remote_id: str, *, version: int | None = None
) -> ImportResult:
    """Fetch one remote version as a snapshot and start a draft on it.

    A journey that already has an open draft keeps it untouched: the new snapshot is stored
    (so the draft can be told it is behind) and that draft is returned, not overwritten.
    """
    require(can_create_draft(user, connection))
    document = client_for(connection).get_journey(remote_id, version=version)
    with transaction.atomic():
        journey, _ = Journey.objects.get_or_create(
            connection=connection,
            key=str(document["key"]),
            defaults={"name": str(document.get("name") or document["key"])},
        )
        snapshot = record_snapshot(journey, document)
        open_draft = journey.drafts.exclude(state=Draft.State.PUSHED).order_by("-pk").first()
        if open_draft is not None:
            record_event(
                "journey.refetched",
                actor=user,
                journey=journey,
                details={"version": snapshot.version, "kept_draft": open_draft.pk},
            )
            return ImportResult(open_draft, created=False)
        draft = start_draft(
            user,
            journey,
            document,
            base_snapshot=snapshot,
            summary=f"Imported version {snapshot.version} from SFMC",
            action="draft.imported",
        )
        return ImportResult(draft, created=True)


def ensure_simulator_connection() -> Connection:
    """The demo Connection to the local simulator (development only)."""
    if not settings.SFMC_SIMULATOR_ENABLED:
        raise RuntimeError("The SFMC simulator is not enabled.")
    base = settings.SFMC_SIMULATOR_URL.rstrip("/")
    connection, _ = Connection.objects.update_or_create(
        name=SIMULATOR_CONNECTION_NAME,
        defaults={
            "auth_base_url": base,
            "rest_base_url": base,
            "client_id": SIMULATOR_CLIENT_ID,
            "account_id": "",
        },
    )
    connection.set_client_secret(SIMULATOR_CLIENT_SECRET)
    connection.save()
    return connection
