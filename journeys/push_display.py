"""What the screens show about pushes and publishes: an attempt or a publish request in plain
words, the editor bar's push panel, and SFMC's own rejections drawn per activity on the canvas."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from journeys.domain.validate import Problem
from journeys.models import Draft, PublishRequest, PushAttempt
from journeys.permissions import can_edit_draft, can_publish_draft, can_push_draft
from journeys.services import merging
from journeys.services import publish as publishing
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
    publish: PublishPanel


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
        publish=publish_panel(user, draft),
    )


def remote_rejections(draft: Draft) -> list[Problem]:
    """SFMC's own objections to the draft's current revision: the validation errors of its last
    failed push, and the errors and warnings of its last finished publish."""
    return _push_rejections(draft) + _publish_rejections(draft)


def _push_rejections(draft: Draft) -> list[Problem]:
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


def _publish_rejections(draft: Draft) -> list[Problem]:
    request = (
        draft.publish_requests.filter(
            state__in=PublishRequest.FINAL_STATES, revision__number=draft.revision_number
        )
        .order_by("-created_at", "-id")
        .first()
    )
    if request is None:
        return []
    errors = request.errors if request.state == PublishState.FAILED else []
    return [
        _publish_problem(draft.document, item, severity)
        for severity, items in (("error", errors), ("warning", request.warnings))
        for item in items
    ]


def _publish_problem(document: dict[str, Any], item: dict[str, Any], severity: str) -> Problem:
    """One publishStatus error or warning, placed on its node: an activity by key; the entry
    source, a goal or an exit by path (the canvas places those by path)."""
    problem = PublishProblem.from_item(item)
    path, activity_key = _place(document, problem.activity_key)
    code = f" ({problem.code})" if problem.code else ""
    return Problem(
        severity=severity,
        code=f"sfmc-publish-{severity}",
        path=path,
        message=f"SFMC publish: {problem.detail}{code}",
        activity_key=activity_key,
    )


def _place(document: dict[str, Any], key: str) -> tuple[str, str | None]:
    if not key:
        return "", None
    for section in ("triggers", "goals", "exits"):
        for index, item in enumerate(document.get(section) or []):
            if isinstance(item, dict) and item.get("key") == key:
                return f"$.{section}[{index}]", None
    return "", key


# publishing


PublishState = PublishRequest.State


@dataclass(frozen=True)
class PublishProblem:
    """One item of publishStatus' errors[] or warnings[], as the status partial lists it."""

    detail: str
    code: str
    activity_key: str
    activity_type: str

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> PublishProblem:
        info = item.get("additionalInfo")
        info = info if isinstance(info, dict) else {}
        return cls(
            detail=str(item.get("errorDetail") or item.get("message") or "(no detail given)"),
            code=str(item.get("errorCode") or ""),
            activity_key=str(info.get("activityKey") or ""),
            activity_type=str(info.get("activityType") or ""),
        )


@dataclass(frozen=True)
class PublishStatus:
    """One publish request in plain words, for the publish status partial."""

    request: PublishRequest
    title: str
    detail: str
    final: bool
    stalled: bool
    can_retry: bool
    errors: list[PublishProblem]
    warnings: list[PublishProblem]
    notes: list[str]

    @property
    def state(self) -> str:
        return str(self.request.state)

    @property
    def look(self) -> str:
        """The push-status colour class this state borrows."""
        if self.stalled:
            return "stalled"
        looks = {PublishState.SUCCEEDED: "succeeded", PublishState.FAILED: "failed"}
        return looks.get(PublishState(self.request.state), "retrying")


def describe_publish(request: PublishRequest) -> PublishStatus:
    """The request's state, why, and what the user can do, in plain language."""
    stalled = publishing.is_stalled(request)
    title, detail = _publish_words(request, stalled)
    return PublishStatus(
        request=request,
        title=title,
        detail=detail,
        final=request.is_final,
        stalled=stalled,
        can_retry=stalled or request.state == PublishState.FAILED,
        errors=[PublishProblem.from_item(item) for item in request.errors or []],
        warnings=[PublishProblem.from_item(item) for item in request.warnings or []],
        notes=list(request.notes or []),
    )


def _publish_words(request: PublishRequest, stalled: bool) -> tuple[str, str]:
    state, version = request.state, request.version
    if state == PublishState.SUCCEEDED:
        when = f" (published {request.last_published_date})" if request.last_published_date else ""
        return "Published", f"Version {version} is live in SFMC{when}."
    if state == PublishState.FAILED:
        return "Publish failed", request.error_message
    if stalled and state == PublishState.RUNNING:
        return "Stalled", (
            f"The worker stopped while publishing version {version}. Retry looks at SFMC first, "
            "so nothing is published twice."
        )
    if stalled:
        return "Waiting", "No worker seems to be running: start one, or queue the publish again."
    if state == PublishState.QUEUED:
        return "Publish queued", "Waiting for a worker to ask SFMC to publish."
    if state == PublishState.RUNNING:
        return "Publishing", f"Talking to SFMC about version {version}."
    if state == PublishState.WAITING and not request.status_id:
        return "Publishing", (
            f"SFMC's answer was lost; checking whether version {version} got published before "
            "asking again."
        )
    if state == PublishState.WAITING:
        checks = f" (checked {request.polls} times)" if request.polls > 1 else ""
        return "Publishing", f"SFMC is publishing version {version}{checks}."
    wait = max(0, int(((request.next_poll_at or timezone.now()) - timezone.now()).total_seconds()))
    return "Retrying", (
        f"{request.error_message} Failure {request.failures} of {publishing.MAX_FAILURES}; "
        f"next try in {wait} s."
    )


@dataclass(frozen=True)
class PublishPanel:
    """What the editor bar shows about publishing: the latest request and the Publish button."""

    status: PublishStatus | None
    can_publish: bool


def publish_panel(user: Any, draft: Draft) -> PublishPanel:
    """The latest publish request of the draft, and whether the Publish button applies."""
    request = draft.publish_requests.order_by("-created_at", "-id").first()
    active = request is not None and request.state in PublishRequest.ACTIVE_STATES
    can_publish = (
        not active
        and can_publish_draft(user, draft)
        and not publishing.publish_blocker(draft, publishing.latest_push(draft))
    )
    return PublishPanel(
        status=describe_publish(request) if request else None, can_publish=can_publish
    )
