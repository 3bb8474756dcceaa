"""Talking to SFMC through a Connection: clients, connection checks, snapshots and imports."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from journeys.domain.document import content_hash
from journeys.lengths import check_fits
from journeys.models import Connection, Draft, Journey, RemoteSnapshot
from journeys.permissions import can_create_draft, can_view_draft, require
from journeys.services.audit import record_event
from journeys.services.drafts import start_draft
from journeys.services.identity import record_keys
from journeys.services.limits import check_document
from journeys.sfmc.client import SFMCClient
from journeys.sfmc.errors import SFMCError
from journeys.sfmc.hosts import check_base_url

logger = logging.getLogger(__name__)

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


def client_for(connection: Connection, *, interactive: bool = False) -> SFMCClient:
    """A client for `connection`; the secret is decrypted here and nowhere else.

    ``interactive``: for one request someone waits on; everything it does ends within
    SFMC_INTERACTIVE_DEADLINE_SECONDS (then ``SlowAnswer``). Background work keeps the retries.
    """
    deadline = settings.SFMC_INTERACTIVE_DEADLINE_SECONDS if interactive else None
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
        deadline=deadline,
    )


def verify_connection(user: Any, connection: Connection) -> str:
    """Authenticate and list one journey; returns a message or raises the exact SFMCError."""
    require(user.is_staff, "Only administrators test connections.")
    message = client_for(connection, interactive=True).test_connection()
    record_event("connection.tested", actor=user, details={"connection": connection.name})
    return message


def record_snapshot(journey: Journey, document: dict[str, Any]) -> RemoteSnapshot:
    """Store one fetched remote version verbatim and refresh the journey's remote facts.

    Raises TooLongToStore, before anything is written, when a fact does not fit its column."""
    facts = {
        "remote_id": str(document.get("id") or journey.remote_id),
        "name": str(document.get("name") or journey.name),
    }
    check_fits(Journey, facts)
    snapshot = RemoteSnapshot(
        journey=journey,
        version=int(document.get("version") or 1),
        modified_date=str(document.get("modifiedDate") or ""),
        status=str(document.get("status") or ""),
        document=document,
        content_hash=content_hash(document),
    )
    check_fits(RemoteSnapshot, {"modified_date": snapshot.modified_date, "status": snapshot.status})
    snapshot.save()
    record_keys(journey.pk, document)
    journey.remote_id, journey.name = facts["remote_id"], facts["name"]
    journey.latest_remote_version = snapshot.version
    journey.latest_remote_status = snapshot.status
    journey.latest_remote_modified_date = snapshot.modified_date
    # Only these fields: a whole-row save would undo a concurrent background check's marks.
    journey.save(update_fields=[*REMOTE_FACTS, "updated_at"])
    return snapshot


REMOTE_FACTS = [
    "remote_id",
    "name",
    "latest_remote_version",
    "latest_remote_status",
    "latest_remote_modified_date",
]


def fetch_latest(journey: Journey, *, interactive: bool = False) -> tuple[RemoteSnapshot, bool]:
    """Fetch SFMC's latest version of `journey`; returns its snapshot and whether it is new.

    The snapshot already stored is reused when SFMC has nothing newer; the HTTP call is made
    before any transaction, so no lock is held while SFMC answers. Marks the journey checked.
    """
    client = client_for(journey.connection, interactive=interactive)
    remote = client.get_journey(journey.key, by_key=True)
    version, modified = int(remote.get("version") or 1), str(remote.get("modifiedDate") or "")
    with transaction.atomic():
        snapshot = (
            journey.snapshots.filter(version=version, modified_date=modified)
            .order_by("-fetched_at", "-id")
            .first()
        )
        new = snapshot is None
        if snapshot is None:
            snapshot = record_snapshot(journey, remote)
        Journey.objects.filter(pk=journey.pk).update(
            remote_checked_at=timezone.now(), remote_check_error=""
        )
    return snapshot, new


# drift seen without asking: a background check of SFMC's latest version


def freshness() -> timedelta:
    return timedelta(seconds=settings.SFMC_DRIFT_FRESHNESS_SECONDS)


def request_remote_check(user: Any, draft: Draft) -> bool:
    """Ask a worker to fetch SFMC's latest version of the draft's journey, unless a check ended
    or was asked for within the freshness window. Never calls SFMC; True when one was queued.

    The claim is one conditional UPDATE, so two page loads in the window queue one check.
    """
    require(can_view_draft(user, draft))
    if draft.base_snapshot_id is None:
        return False  # new to SFMC: nothing there to compare with yet
    now = timezone.now()
    stale = now - freshness()
    claimed = (
        Journey.objects.filter(pk=draft.journey_id)
        .filter(Q(remote_checked_at__isnull=True) | Q(remote_checked_at__lt=stale))
        .filter(Q(remote_check_requested_at__isnull=True) | Q(remote_check_requested_at__lt=stale))
        .update(remote_check_requested_at=now)
    )
    if claimed:
        draft.journey.remote_check_requested_at = now  # the page shows the check as pending
        from journeys.tasks import check_remote_version  # the tasks module imports the services

        task: Any = check_remote_version  # delay_on_commit is missing from celery-types' stubs
        task.delay_on_commit(draft.journey_id)
    return bool(claimed)


def check_remote_version(journey_id: int) -> RemoteSnapshot | None:
    """The background check: fetch SFMC's latest version, record it if it is new, and mark the
    journey checked. A failure is recorded (and shown quietly), never raised."""
    journey = Journey.objects.select_related("connection").get(pk=journey_id)
    try:
        snapshot, new = fetch_latest(journey)
    except SFMCError as error:
        logger.warning("Background check of %s failed: %s", journey.key, error.message)
        Journey.objects.filter(pk=journey_id).update(
            remote_checked_at=timezone.now(), remote_check_error=error.message[:500]
        )
        return None
    if new:
        details = {"version": snapshot.version, "modified_date": snapshot.modified_date}
        record_event("journey.remote_changed", journey=journey, details=details)
    return snapshot


@dataclass(frozen=True)
class RemoteCheck:
    """Where the background check of a journey stands, for the page."""

    pending: bool
    failed_at: datetime | None
    error: str


def remote_check_state(journey: Journey) -> RemoteCheck:
    """Pending while a check asked for within the freshness window has not ended (so a poller
    is bounded by that window), and when the last one failed."""
    requested, checked = journey.remote_check_requested_at, journey.remote_checked_at
    pending = (
        requested is not None
        and (checked is None or checked < requested)
        and requested > timezone.now() - freshness()
    )
    failed = checked if journey.remote_check_error and not pending else None
    return RemoteCheck(pending=pending, failed_at=failed, error=journey.remote_check_error)


def base_is_stale(draft: Draft) -> bool:
    """Whether SFMC's latest version as last seen is not the one the draft is based on."""
    base, journey = draft.base_snapshot, draft.journey
    if base is None or journey.latest_remote_version is None:
        return False
    latest = (journey.latest_remote_version, journey.latest_remote_modified_date)
    return latest != (base.version, base.modified_date)


def newer_remote_snapshot(draft: Draft) -> RemoteSnapshot | None:
    """SFMC's latest version as last seen (no call to SFMC), when it is not the draft's base."""
    journey = draft.journey
    if not base_is_stale(draft) or journey.latest_remote_version is None:
        return None
    return (
        journey.snapshots.filter(
            version=journey.latest_remote_version,
            modified_date=journey.latest_remote_modified_date,
        )
        .order_by("-fetched_at", "-id")
        .first()
    )


@dataclass(frozen=True)
class ImportResult:
    draft: Draft
    created: bool


def import_journey(
    user: Any,
    connection: Connection,
    remote_id: str,
    *,
    version: int | None = None,
    interactive: bool = False,
) -> ImportResult:
    """Fetch one remote version as a snapshot and start a draft on it.

    A journey that already has an open draft keeps it untouched: the new snapshot is stored
    (so the draft can be told it is behind) and that draft is returned, not overwritten.
    ``interactive``: someone waits on the page (the deadline of ``client_for``).
    """
    require(can_create_draft(user, connection))
    document = client_for(connection, interactive=interactive).get_journey(
        remote_id, version=version
    )
    check_document(document)  # before its snapshot is stored, even beside an open draft
    key = str(document["key"])
    name = str(document.get("name") or key)
    check_fits(Journey, {"key": key, "name": name})
    with transaction.atomic():
        journey, _ = Journey.objects.get_or_create(
            connection=connection, key=key, defaults={"name": name}
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
