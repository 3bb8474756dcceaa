"""What the screens show about pushes and publishes: an attempt or a publish request in plain
words, the editor bar's push panel, and SFMC's own rejections drawn per activity on the canvas."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from django.urls import reverse
from django.utils import timezone

from journeys.domain.catalog import activity_titles, named_keys
from journeys.domain.validate import Problem
from journeys.models import Draft, MergeSession, PublishRequest, PushAttempt
from journeys.permissions import can_edit_draft, can_publish_draft, can_push_draft
from journeys.services import merging
from journeys.services import publish as publishing
from journeys.services import push as pushing
from journeys.services.leased_runs import NOT_RECORDED, worker_stopped
from journeys.services.remote import RemoteCheck, remote_check_state
from journeys.services.review import valid_approval

State = PushAttempt.State
PublishState = PublishRequest.State


@dataclass(frozen=True)
class ShownProblem:
    """One of SFMC's objections as the status partial lists it: a push's validation error, or
    an item of publishStatus' errors[] or warnings[]."""

    severity: str
    detail: str
    code: str = ""
    activity_key: str = ""
    activity_type: str = ""

    @classmethod
    def from_publish(cls, item: dict[str, Any], severity: str) -> ShownProblem:
        info = item.get("additionalInfo")
        info = info if isinstance(info, dict) else {}
        return cls(
            severity=severity,
            detail=str(item.get("errorDetail") or item.get("message") or "(no detail given)"),
            code=str(item.get("errorCode") or ""),
            activity_key=str(info.get("activityKey") or ""),
            activity_type=str(info.get("activityType") or ""),
        )


@dataclass(frozen=True)
class RunStatus:
    """A push attempt or a publish request in plain words, for the one status partial."""

    kind: str  # "push" or "publish": the partial's ids and links
    run: PushAttempt | PublishRequest
    title: str
    detail: str
    stalled: bool
    problems: list[ShownProblem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    merge_id: int | None = None
    merged: bool = False  # a conflict whose merge was resolved: history, not a problem

    @property
    def state(self) -> str:
        return str(self.run.state)

    @property
    def final(self) -> bool:
        return self.run.is_final

    @property
    def can_retry(self) -> bool:
        return self.stalled or self.run.state == State.FAILED

    @property
    def look(self) -> str:
        """The colour class: a push's state; a publish borrows the push states' colours."""
        if self.merged:
            return "merged"
        if self.kind == "push" or self.state in (PublishState.SUCCEEDED, PublishState.FAILED):
            return self.state
        return "retrying"

    @property
    def status_url(self) -> str:
        return reverse(f"journeys:{self.kind}-status", args=[self.run.pk])

    @property
    def retry_url(self) -> str:
        return reverse(f"journeys:{self.kind}-retry", args=[self.run.pk])


def _stalled(run: PushAttempt | PublishRequest, due: Any, doing: str, done: str) -> tuple[str, str]:
    """Words for a run nothing moves: its worker stopped (recovery resumes it), or no worker
    took it."""
    if worker_stopped(run):
        return "Worker stopped", (
            f"The worker stopped; resuming… It was {doing}; the next try looks at SFMC first, "
            f"so nothing is {done} twice."
        )
    waited = int((timezone.now() - (due or run.created_at)).total_seconds())
    return "Waiting", (
        f"No worker seems to be running: this has waited {waited} s for one. "
        "Start a worker, or queue it again."
    )


def describe_attempt(attempt: PushAttempt) -> RunStatus:
    """The attempt's state, why, and what the user can do, in plain language."""
    stalled = pushing.is_stalled(attempt)
    merged = attempt.state == State.CONFLICT and _merged(attempt)
    title, detail = _words(attempt, stalled) if not merged else _MERGED_WORDS
    details = attempt.error_details or {}
    problems = [
        ShownProblem("error", str(item.get("message", "")), "", item.get("activity_key") or "")
        for item in details.get("problems") or []
    ]
    if problems or attempt.state == State.FAILED:
        detail, problems = _named(detail, problems, attempt.draft)
    return RunStatus(
        kind="push",
        run=attempt,
        title=title,
        detail=detail,
        stalled=stalled,
        problems=problems,
        notes=list(details.get("notes") or []),
        merge_id=None if merged else details.get("merge"),
        merged=merged,
    )


_MERGED_WORDS = (
    "Merged with SFMC's changes",
    "SFMC changed the journey before this push, and its changes are now merged into the draft. "
    "The merged draft needs approval before it is pushed.",
)


def _words(attempt: PushAttempt, stalled: bool) -> tuple[str, str]:
    state, tries = attempt.state, attempt.tries
    if state == State.SUCCEEDED:
        return "Pushed", (
            f"SFMC now has version {attempt.remote_version_after}, "
            f"modified {attempt.remote_modified_after}."
        )
    if state == State.FAILED and attempt.error_code == NOT_RECORDED:
        return "Push not recorded", attempt.error_message  # says what SFMC has
    if state in (State.CONFLICT, State.FAILED):
        return ("SFMC changed meanwhile" if state == State.CONFLICT else "Push failed"), (
            attempt.error_message
        )
    if stalled:
        return _stalled(attempt, attempt.next_retry_at, f"sending (try {tries})", "sent")
    if state == State.QUEUED:
        return "Queued", "Waiting for a worker to send it."
    if state == State.RUNNING:
        return "Sending", f"Sending to SFMC (try {tries} of {pushing.MAX_TRIES})."
    wait = _seconds_until(attempt.next_retry_at)
    return "Retrying", (
        f"Try {tries} of {pushing.MAX_TRIES} did not go through: {attempt.error_message} "
        f"Next try in {wait} s."
    )


def _seconds_until(moment: Any) -> int:
    """Whole seconds from now until `moment` (0 once passed, or when there is none)."""
    now = timezone.now()
    return max(0, int(((moment or now) - now).total_seconds()))


@dataclass(frozen=True)
class DriftPanel:
    """What a draft's pages show about SFMC drift: the banner and the background check."""

    banner: merging.Drift | None  # SFMC has moved past the draft's base
    check: RemoteCheck
    can_update: bool  # "Update my draft" applies: an editor, and no merge is open already


@dataclass(frozen=True)
class PushPanel:
    """What the editor bar (and the review page) shows about pushing one draft."""

    status: RunStatus | None
    can_push: bool
    open_merge_id: int | None
    drift: DriftPanel
    publish: PublishPanel


@dataclass(frozen=True)
class Readiness:
    """The editor bar's word on the draft, its colour ("ready" green, "blocked" red, "waiting"
    neutral), and the warnings apart: amber, never mistaken for errors or for readiness."""

    text: str
    look: str
    warnings: str = ""


def _counted(count: int, word: str) -> str:
    return f"{count} {word}{'s' if count != 1 else ''}"


def readiness(draft: Draft, error_count: int, warning_count: int = 0) -> Readiness:
    """ "Ready to push" only when a push would be taken: no errors, an approval of this very
    content, no push under way and no change in SFMC still to merge."""
    warnings = _counted(warning_count, "warning") if warning_count else ""
    if error_count:
        return Readiness(_counted(error_count, "error"), "blocked", warnings)
    if draft.state == Draft.State.PUSHED:
        return Readiness("Pushed", "ready", warnings)
    if valid_approval(draft) is None:  # no query unless the draft is approved
        return Readiness("No errors; needs approval before a push", "waiting", warnings)
    if merging.open_session_for(draft) is not None:
        return Readiness("SFMC changed meanwhile: resolve the merge first", "blocked", warnings)
    latest = draft.push_attempts.order_by("-created_at", "-id").first()
    if latest is not None and latest.state in pushing.ACTIVE_STATES:
        return Readiness("Push under way", "waiting", warnings)
    if latest is not None and latest.state == State.CONFLICT and not _merged(latest):
        return Readiness("SFMC changed meanwhile: merge its changes first", "blocked", warnings)
    return Readiness("Ready to push", "ready", warnings)


def _merged(attempt: PushAttempt) -> bool:
    return attempt.merges.filter(state=MergeSession.State.RESOLVED).exists()


def push_panel(user: Any, draft: Draft) -> PushPanel:
    """The latest attempt, whether the Push button applies, drift and any open merge."""
    attempt = draft.push_attempts.order_by("-created_at", "-id").first()
    open_merge = merging.open_session_for(draft)
    active = attempt is not None and attempt.state in pushing.ACTIVE_STATES
    can_push = (
        not active
        and open_merge is None
        and can_push_draft(user, draft)
        and valid_approval(draft) is not None
    )
    return PushPanel(
        status=describe_attempt(attempt) if attempt else None,
        can_push=can_push,
        open_merge_id=open_merge.pk if open_merge else None,
        drift=_drift_panel(user, draft, lambda: open_merge),
        publish=publish_panel(user, draft),
    )


def drift_panel(user: Any, draft: Draft) -> DriftPanel:
    """The drift banner, whether "Update my draft" applies, and the background check's state."""
    return _drift_panel(user, draft, lambda: merging.open_session_for(draft))


def _drift_panel(
    user: Any, draft: Draft, open_merge: Callable[[], MergeSession | None]
) -> DriftPanel:
    """`open_merge` is asked only when the banner shows to an editor; the push panel passes the
    merge it has looked up already, so it is not asked for twice."""
    banner = merging.drift(draft)
    can_update = banner is not None and can_edit_draft(user, draft) and open_merge() is None
    return DriftPanel(banner=banner, check=remote_check_state(draft.journey), can_update=can_update)


def _named(
    detail: str, problems: list[ShownProblem], draft: Draft
) -> tuple[str, list[ShownProblem]]:
    """SFMC's words (a failure's detail, its objections) with the activity keys they quote
    said by the activities' names; the links and hovers keep the keys."""
    titles = activity_titles(draft.document)
    named = [replace(problem, detail=named_keys(problem.detail, titles)) for problem in problems]
    return named_keys(detail, titles), named


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
    titles = activity_titles(draft.document)
    return [
        Problem(
            severity="error",
            code="sfmc-rejected",
            path="",
            message=f"SFMC refused it: {named_keys(str(item.get('message', '')), titles)}",
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
    titles = activity_titles(draft.document)
    return [
        _publish_problem(draft.document, item, severity, titles)
        for severity, items in (("error", errors), ("warning", request.warnings))
        for item in items
    ]


def _publish_problem(
    document: dict[str, Any], item: dict[str, Any], severity: str, titles: dict[str, str]
) -> Problem:
    """One publishStatus error or warning, placed on its node: an activity by key; the entry
    source, a goal or an exit by path (the canvas places those by path)."""
    problem = ShownProblem.from_publish(item, severity)
    path, activity_key = _place(document, problem.activity_key)
    code = f" ({problem.code})" if problem.code else ""
    return Problem(
        severity=severity,
        code=f"sfmc-publish-{severity}",
        path=path,
        message=f"SFMC publish: {named_keys(problem.detail, titles)}{code}",
        activity_key=activity_key,
    )


def _place(document: dict[str, Any], key: str) -> tuple[str, str | None]:
    if not key:
        return "", None
    for section in ("triggers", "goals", "exits"):
        stored = document.get(section)
        for index, item in enumerate(stored if isinstance(stored, list) else []):
            if isinstance(item, dict) and item.get("key") == key:
                return f"$.{section}[{index}]", None
    return "", key


# publishing


def describe_publish(request: PublishRequest) -> RunStatus:
    """The request's state, why, and what the user can do, in plain language."""
    stalled = publishing.is_stalled(request)
    title, detail = _publish_words(request, stalled)
    errors = [ShownProblem.from_publish(item, "error") for item in request.errors or []]
    warnings = [ShownProblem.from_publish(item, "warning") for item in request.warnings or []]
    problems = errors + warnings
    if problems or request.state == PublishState.FAILED:
        detail, problems = _named(detail, problems, request.draft)
    return RunStatus(
        kind="publish",
        run=request,
        title=title,
        detail=detail,
        stalled=stalled,
        problems=problems,
        notes=list(request.notes or []),
    )


def _publish_words(request: PublishRequest, stalled: bool) -> tuple[str, str]:
    state, version = request.state, request.version
    if state == PublishState.SUCCEEDED:
        when = f" (published {request.last_published_date})" if request.last_published_date else ""
        return "Published", f"Version {version} is live in SFMC{when}."
    if state == PublishState.FAILED:
        not_recorded = request.error_code == NOT_RECORDED
        return ("Publish not recorded" if not_recorded else "Publish failed"), request.error_message
    if stalled:
        return _stalled(request, request.next_poll_at, f"publishing version {version}", "published")
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
    wait = _seconds_until(request.next_poll_at)
    return "Retrying", (
        f"{request.error_message} Failure {request.failures} of {publishing.MAX_FAILURES}; "
        f"next try in {wait} s."
    )


@dataclass(frozen=True)
class PublishPanel:
    """What the editor bar shows about publishing: the latest request and the Publish button."""

    status: RunStatus | None
    can_publish: bool


def publish_panel(user: Any, draft: Draft) -> PublishPanel:
    """The latest publish of the draft's latest push, and whether the Publish button applies.

    A publish of an earlier push is history: its failure says nothing about the version pushed
    since, so the bar does not show it beside the new push."""
    latest = publishing.latest_push(draft)
    request = latest.publish_requests.order_by("-created_at", "-id").first() if latest else None
    active = request is not None and request.state in PublishRequest.ACTIVE_STATES
    can_publish = (
        not active
        and can_publish_draft(user, draft)
        and not publishing.publish_blocker(draft, latest)
    )
    return PublishPanel(
        status=describe_publish(request) if request else None, can_publish=can_publish
    )
