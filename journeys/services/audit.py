"""The append-only audit trail."""

from __future__ import annotations

import logging
from typing import Any

from journeys.models import AuditEvent, Draft, Journey

logger = logging.getLogger(__name__)


def record_event(
    action: str,
    *,
    actor: Any = None,
    journey: Journey | None = None,
    draft: Draft | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one audit event; the caller's transaction makes it atomic with the change."""
    if draft is not None and journey is None:
        journey = draft.journey
    event = AuditEvent.objects.create(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=action,
        journey=journey,
        draft=draft,
        revision_number=draft.revision_number if draft is not None else None,
        content_hash=draft.content_hash if draft is not None else "",
        details=details or {},
    )
    logger.info("audit %s draft=%s", action, draft.pk if draft is not None else "-")
    return event
