"""Bounds on what is written, checked where every revision is written (services/drafts.py).

Three bounds, all settings (the README's security section gives the defaults and why):

- a document: activities, bytes, nesting and paths per activity (domain/limits.py), so that no
  journey can make a page or an edit pin a worker;
- a user: revisions and document bytes per window (a minute), counted in the database in the
  transaction that writes the revision, under a lock on the user's WriteQuota row (PostgreSQL;
  SQLite's IMMEDIATE transactions serialise writers anyway), so concurrent saves cannot both
  take the last place and a save that fails counts nothing;
- a draft: at most JOURNEY_MAX_REVISIONS_PER_DRAFT revisions. Beyond it a save is refused, never
  compacted: every revision stays as it was (a review, an approval or a restore may point at any
  of them), and the user goes on in a new draft.

A refusal raises LimitRefused before anything is stored; its message says what to do.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from journeys.domain.limits import DocumentLimits, encoded_size, limit_refusal
from journeys.quota_models import WriteQuota


class LimitRefused(Exception):
    """A write beyond a bound; `message` says which and what to do. Nothing was stored."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def document_limits() -> DocumentLimits:
    return DocumentLimits(
        activities=settings.JOURNEY_MAX_ACTIVITIES,
        document_bytes=settings.JOURNEY_MAX_DOCUMENT_BYTES,
        nesting=settings.JOURNEY_MAX_NESTING,
        outcomes=settings.JOURNEY_MAX_OUTCOMES,
    )


def check_document(
    document: dict[str, Any], *, size: int | None = None, kept: object = None
) -> None:
    """Raise LimitRefused for a journey beyond the document bounds (`kept`: the document it
    was edited from; see limit_refusal)."""
    refusal = limit_refusal(document, document_limits(), size=size, kept=kept)
    if refusal:
        raise LimitRefused(refusal)


def too_large_to_open(document: dict[str, Any]) -> str:
    """Why a stored journey (kept before these limits, or before they were lowered) is too large
    for the editor to draw ("" when it is not): its activities and bytes, not its nesting."""
    return limit_refusal(document, document_limits(), nesting=False)


def guard_revision(
    user: Any,
    document: dict[str, Any],
    *,
    revisions: int,
    kept: object = None,
    size: int | None = None,
    now: datetime | None = None,
) -> None:
    """Refuse the next revision of a draft that has `revisions`, or count it for `user`.
    `kept` is the draft's current document, which `document` was edited from; `size` its
    encoded_size when the caller has it.

    Call it inside the transaction that writes the revision, after every other check: the
    count it adds is undone with that transaction if the write fails later.
    """
    most = settings.JOURNEY_MAX_REVISIONS_PER_DRAFT
    if revisions >= most:
        raise LimitRefused(
            f"This draft has {revisions:,} revisions, the most one draft keeps; this change was "
            "not saved. Download the journey and upload the file to go on in a new draft."
        )
    size = encoded_size(document) if size is None else size
    check_document(document, size=size, kept=kept)
    _count_write(user, size, now or timezone.now())


def _count_write(user: Any, size: int, now: datetime) -> None:
    window = timedelta(seconds=settings.JOURNEY_WRITE_WINDOW_SECONDS)
    WriteQuota.objects.get_or_create(user=user, defaults={"window_start": now})
    quota = WriteQuota.objects.select_for_update().get(user=user)
    if now - quota.window_start >= window or now < quota.window_start:
        quota.window_start, quota.revisions, quota.bytes = now, 0, 0
    seconds = max(1, math.ceil((quota.window_start + window - now).total_seconds()))
    minute = _per(window)
    if quota.revisions >= settings.JOURNEY_REVISIONS_PER_USER_PER_WINDOW:
        raise LimitRefused(
            f"You are saving faster than {settings.JOURNEY_REVISIONS_PER_USER_PER_WINDOW} changes "
            f"{minute}; this change was not saved. Wait {seconds} s and save again."
        )
    # The first write of a window always fits: a bound below one document would refuse all.
    if quota.revisions and quota.bytes + size > settings.JOURNEY_BYTES_PER_USER_PER_WINDOW:
        most = settings.JOURNEY_BYTES_PER_USER_PER_WINDOW / 1024 / 1024
        raise LimitRefused(
            f"You are saving more than {most:g} MiB of journeys {minute}; this change was not "
            f"saved. Wait {seconds} s and save again."
        )
    quota.revisions += 1
    quota.bytes += size
    quota.save(update_fields=["window_start", "revisions", "bytes"])


def _per(window: timedelta) -> str:
    seconds = int(window.total_seconds())
    return "a minute" if seconds == 60 else f"in {seconds} seconds"
