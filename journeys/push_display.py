"""What the screens show about pushes: an attempt in plain words, the editor bar's push panel,
and SFMC's own rejections drawn per activity on the canvas."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from journeys.domain.validate import Problem
from journeys.models import Draft, PushAttempt
from journeys.permissions import can_edit_draft, can_push_draft
from journeys.services import merging
from journeys.services.push import ACTIVE_STATES, MAX_TRIES, is_stalled
from journeys.services.review import valid_approval

State = PushAttempt.State


@dataclass(frozen=True)
class PushStatus:
    """One attempt in plain words, for the status partial."""

    attempt: PushAttempt
    title: str
    detail: str
    final: bool
    stalled: bool
    can_retry: bool
    notes: list[str]
    problems: list[dict[str, Any]]
    merge_id: int | None

    @property
    def state(self) -> str:
        return str(self.attempt.state)


def describe_attempt(attempt: PushAttempt) -> PushStatus:
    """The attempt's state, why, and what the user can do, in plain language."""
    stalled = is_stalled(attempt)
    title, detail = _words(attempt, stalled)
    details = attempt.error_details or {}
    return PushStatus(
        attempt=attempt,
        title=title,
        detail=detail,
        final=attempt.is_final,
        stalled=stalled,
        can_retry=stalled or attempt.state == State.FAILED,
        notes=list(details.get("notes") or []),
        problems=list(details.get("problems") or []),
        merge_id=details.get("merge"),
    )


def _words(attempt: PushAttempt, stalled: bool) -> tuple[str, str]:
    state, tries = attempt.state, attempt.tries
    if state == State.SUCCEEDED:
        return "Pushed", (
            f"SFMC now has version {attempt.remote_version_after}, "
            f"modified {attempt.remote_modified_after}."
        )
    if state in (State.CONFLICT, State.FAILED):
        return ("SFMC changed meanwhile" if state == State.CONFLICT else "Push failed"), (
            attempt.error_message
        )
    if stalled and state == State.RUNNING:
        return "Stalled", (
            f"The worker stopped while sending (try {tries}). Retry looks at SFMC first, "
            "so nothing is sent twice."
        )
    if stalled:
        waited = int(
            (timezone.now() - (attempt.next_retry_at or attempt.created_at)).total_seconds()
        )
        return "Waiting", (
            f"No worker seems to be running: this push has waited {waited} s for one. "
            "Start a worker, or queue it again."
        )
    if state == State.QUEUED:
        return "Queued", "Waiting for a worker to send it."
    if state == State.RUNNING:
        return "Sending", f"Sending to SFMC (try {tries} of {MAX_TRIES})."
    wait = max(0, int(((attempt.next_retry_at or timezone.now()) - timezone.now()).total_seconds()))
    return "Retrying", (
        f"Try {tries} of {MAX_TRIES} did not go through: {attempt.error_message} "
        f"Next try in {wait} s."
    )


@dataclass(frozen=True)
class PushPanel:
    """What the editor bar shows about pushing one draft."""

    status: PushStatus | None
    can_push: bool
    can_update: bool
    drift: merging.Drift | None
    open_merge_id: int | None


def push_panel(user: Any, draft: Draft) -> PushPanel:
    """The latest attempt, whether the Push button applies, drift and any open merge."""
    attempt = draft.push_attempts.order_by("-created_at", "-id").first()
    open_merge = merging.open_session_for(draft)
    active = attempt is not None and attempt.state in ACTIVE_STATES
    can_push = (
        not active
        and open_merge is None
        and can_push_draft(user, draft)
        and valid_approval(draft) is not None
    )
    return PushPanel(
        status=describe_attempt(attempt) if attempt else None,
        can_push=can_push,
        can_update=can_edit_draft(user, draft),
        drift=merging.drift(draft),
        open_merge_id=open_merge.pk if open_merge else None,
    )


def remote_rejections(draft: Draft) -> list[Problem]:
    """SFMC's validation errors from the last push of the draft's current revision."""
    attempt = (
        draft.push_attempts.filter(state=State.FAILED, revision__number=draft.revision_number)
        .order_by("-created_at", "-id")
        .first()
    )
    if attempt is None:
        return []
    return [
        Problem(
            severity="error",
            code="sfmc-rejected",
            path="",
            message=f"SFMC refused it: {item.get('message', '')}",
            activity_key=item.get("activity_key") or None,
        )
        for item in (attempt.error_details or {}).get("problems") or []
    ]
