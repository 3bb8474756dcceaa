"""Publishing (activating) the SFMC version a successful push created (API notes §1.6).

The PublishRequest row is the source of truth, as the PushAttempt is for a push. `request_publish`
creates it (the database refuses a second active one per draft) and enqueues the task on commit.
Each run of the task does one step and asks to be run again when SFMC is still busy:

1. claim the row (conditional UPDATE, a lease, the run number that fences every later write);
2. with no statusId yet: GET the version first. Published with our content is a success (an
   earlier publishAsync whose answer was lost got there); changed or in another status fails
   visibly. While an earlier publishAsync is unconfirmed (its answer was lost, or its worker
   died) the run only watches the version, for LOST_PUBLISH_GRACE, before it asks again; so a
   publish is never sent twice;
3. with a statusId: GET publishStatus once. PublishCompleted GETs the version, records it as a
   snapshot (the journey's latest_remote_* follow) and rebases the draft on it; Error keeps
   SFMC's errors and warnings per activity; PublishInProcess polls again after 1 s, then 2 s,
   then 5 s, at most MAX_POLLS times, as mcdev does.

5xx, 429 and connection failures are retried by the client in-line for the idempotent GETs,
then here with backoff (MAX_FAILURES); publishAsync is re-sent only when it certainly did not
reach SFMC. Status checks that find SFMC still publishing change only counters and record no
audit event (there may be 50 of them); every other change records one.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Case, F, Q, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from journeys.domain.document import create_body
from journeys.models import Draft, PublishRequest, PushAttempt
from journeys.permissions import can_publish_draft, require
from journeys.services import merging
from journeys.services.audit import record_event
from journeys.services.remote import client_for, record_snapshot
from journeys.sfmc import errors as sfmc
from journeys.sfmc.client import SFMCClient

logger = logging.getLogger(__name__)

State = PublishRequest.State
ACTIVE_STATES = PublishRequest.ACTIVE_STATES
# Status polling like mcdev: the first check after 1 s, then every 2 s, then every 5 s.
FIRST_POLL_AFTER = 1.0
POLL_EVERY = 2.0
FAST_POLLS = 10
SLOW_POLL_EVERY = 5.0
MAX_POLLS = 50
# Transient failures (5xx, 429, network) of one request before it fails visibly.
MAX_FAILURES = 5
BACKOFF_BASE = 2.0
BACKOFF_MAX = 120.0
# publishAsync calls of one request whose answers were all lost; then it fails visibly.
MAX_SENDS = 3
# How long an unconfirmed publishAsync is watched (GET the version) before it is sent again.
LOST_PUBLISH_GRACE = timedelta(seconds=60)
EARLY_CLAIM_SLACK = timedelta(seconds=1)
# An active request nothing moved for this long: probably no worker is running.
NO_WORKER_AFTER = timedelta(seconds=30)
# HTTP calls of one run at most: GET, publishAsync, GET (or publishStatus, GET).
CALLS_PER_RUN = 3


CHANGED_WHILE_PUBLISHING = (
    "SFMC's version changed while it was being published: what went live is not exactly the "
    "pushed revision. Check SFMC."
)


class PublishRefused(Exception):
    """The publish cannot be requested now; `message` says why in plain words."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class PublishOutcome:
    """What a run ended in; `retry_in` (seconds) when the task must run again."""

    state: str
    retry_in: float | None = None


def poll_delay(polls: int) -> float:
    """Seconds before status check number `polls + 1`."""
    if polls == 0:
        return FIRST_POLL_AFTER
    return POLL_EVERY if polls < FAST_POLLS else SLOW_POLL_EVERY


def backoff(failures: int) -> float:
    """Seconds before the next run after `failures` transient failures: exponential, jittered."""
    step = min(BACKOFF_MAX, BACKOFF_BASE * 2 ** max(failures - 1, 0))
    return float(step / 2 + random.uniform(0, step / 2))


def lease_duration() -> timedelta:
    """How long a claim is exclusive: longer than one run (few calls, each time-bounded)."""
    http_bound = CALLS_PER_RUN * float(settings.SFMC_READ_TIMEOUT)
    return timedelta(seconds=max(float(settings.CELERY_TASK_TIME_LIMIT), http_bound) + 5)


# requesting


def latest_push(draft: Draft) -> PushAttempt | None:
    return draft.push_attempts.select_related("revision").order_by("-created_at", "-id").first()


def publish_blocker(draft: Draft, attempt: PushAttempt | None) -> str:
    """Why the draft's pushed version cannot be published now ("" when it can)."""
    if attempt is None:
        return "Push the draft first: only a version pushed to SFMC can be published."
    if attempt.state != PushAttempt.State.SUCCEEDED or not attempt.remote_version_after:
        return (
            f"The latest push did not succeed (it is {attempt.get_state_display().lower()}); "
            "only a version pushed successfully can be published."
        )
    pushed = (attempt.revision.number, attempt.payload_hash)
    if (draft.revision_number, draft.content_hash) != pushed:
        return (
            f"The draft changed since its push (now revision {draft.revision_number}, pushed "
            f"revision {attempt.revision.number}): push it again, then publish."
        )
    done = attempt.publish_requests.filter(state=State.SUCCEEDED).exists()
    if done:
        return f"SFMC version {attempt.remote_version_after} is already published."
    return ""


@transaction.atomic
def request_publish(user: Any, draft: Draft, *, status_id: str = "") -> PublishRequest:
    """Queue the publish of the version the draft's latest (successful) push created.

    `status_id` resumes polling a publish SFMC already accepted (Retry after a poll timeout).
    """
    require(can_publish_draft(user, draft), "Only an approver may publish.")
    draft = Draft.objects.select_for_update(of=("self",)).select_related("journey").get(pk=draft.pk)
    attempt = latest_push(draft)
    blocker = publish_blocker(draft, attempt)
    if blocker or attempt is None or attempt.remote_version_after is None:
        raise PublishRefused(blocker)
    try:
        with transaction.atomic():
            request = PublishRequest.objects.create(
                draft=draft,
                push_attempt=attempt,
                revision=attempt.revision,
                requested_by=user,
                remote_id=draft.journey.remote_id,
                version=attempt.remote_version_after,
                status_id=status_id,
            )
    except IntegrityError:
        raise PublishRefused("A publish of this draft is already under way.") from None
    record_event("publish.queued", actor=user, draft=draft, details=_facts(request))
    _enqueue(request.pk)
    return request


def retry_publish(user: Any, request: PublishRequest) -> PublishRequest:
    """The Retry button: re-queue a stalled request, or start a new one after a failure (one
    that timed out polling keeps polling SFMC's publish rather than asking again)."""
    require(can_publish_draft(user, request.draft), "Only an approver may publish.")
    if is_stalled(request):
        requeued = requeue_request(request, actor=user, why="Retried by hand")
        if requeued is not None:
            return requeued
    request.refresh_from_db()
    if request.state != State.FAILED:
        raise PublishRefused("This publish is not stuck or failed, so there is nothing to retry.")
    resume = request.status_id if request.error_code == "publish-timeout" else ""
    return request_publish(user, request.draft, status_id=resume)


def _enqueue(request_id: int) -> None:
    from journeys.tasks import publish_version  # the tasks module imports the services

    task: Any = publish_version  # delay_on_commit is missing from celery-types' stubs
    task.delay_on_commit(request_id)


def _facts(request: PublishRequest, **more: Any) -> dict[str, Any]:
    return {
        "publish": request.pk,
        "push": request.push_attempt_id,
        "version": request.version,
        "run": request.runs,
        "status_id": request.status_id,
        **more,
    }


def _audit(request: PublishRequest, action: str, **details: Any) -> None:
    # The worker acts for whoever asked for the publish.
    facts = _facts(request, **details)
    record_event(action, actor=request.requested_by, draft=request.draft, details=facts)


# claiming and recording (each write fenced by the claim's run number)


def claim_request(request_id: int) -> PublishRequest | None:
    """Take the request for this run, or None if another run owns it or it is finished."""
    now = timezone.now()
    claimable = Q(state__in=[State.QUEUED, State.WAITING, State.RETRYING]) | Q(
        state=State.RUNNING, lease_until__lt=now
    )
    due = Q(next_poll_at__isnull=True) | Q(next_poll_at__lte=now + EARLY_CLAIM_SLACK)
    with transaction.atomic():
        claimed = PublishRequest.objects.filter(claimable, due, pk=request_id).update(
            state=State.RUNNING,
            runs=F("runs") + 1,
            lease_until=now + lease_duration(),
            next_poll_at=None,
            started_at=Coalesce("started_at", Value(now)),
        )
        if not claimed:
            logger.info("publish request %s is not claimable; nothing to do", request_id)
            return None
        request = PublishRequest.objects.select_related(
            "draft__journey__connection", "push_attempt", "revision", "requested_by"
        ).get(pk=request_id)
        if request.runs == 1:
            _audit(request, "publish.started")
    return request


def _fenced(request: PublishRequest, **fields: Any) -> bool:
    """Update the request only if this run still owns it (same run, still running)."""
    owned = PublishRequest.objects.filter(pk=request.pk, state=State.RUNNING, runs=request.runs)
    if not owned.update(**fields):
        logger.warning("publish request %s was taken over; this run changes nothing", request.pk)
        return False
    for name, value in fields.items():
        setattr(request, name, value)
    return True


def _later(state: str, delay: float, **fields: Any) -> dict[str, Any]:
    return {
        "state": state,
        "lease_until": None,
        "next_poll_at": timezone.now() + timedelta(seconds=delay),
        **fields,
    }


def _final(state: str, **fields: Any) -> dict[str, Any]:
    return {
        "state": state,
        "finished_at": timezone.now(),
        "lease_until": None,
        "next_poll_at": None,
        "unconfirmed_send_at": None,
        **fields,
    }


def mark_sending(request: PublishRequest) -> bool:
    """About to call publishAsync: until its answer arrives, the send counts as unconfirmed."""
    with transaction.atomic():
        fields = {"sends": request.sends + 1, "unconfirmed_send_at": timezone.now()}
        if not _fenced(request, **fields):
            return False
        _audit(request, "publish.sending", send=request.sends)
    return True


def mark_not_sent(request: PublishRequest) -> None:
    """SFMC answered publishAsync with an error that says nothing was started."""
    _fenced(request, unconfirmed_send_at=None)


def mark_sent(request: PublishRequest, status_id: str) -> PublishOutcome:
    """SFMC accepted the publish: poll its status after the first delay."""
    delay = poll_delay(0)
    with transaction.atomic():
        fields = _later(State.WAITING, delay, status_id=status_id, unconfirmed_send_at=None)
        if not _fenced(request, **fields):
            return PublishOutcome("taken-over")
        _audit(request, "publish.sent", status_id=status_id)
    return PublishOutcome(State.WAITING, retry_in=delay)


def mark_answer_lost(request: PublishRequest, reason: str) -> PublishOutcome:
    """publishAsync's answer never came: watch the version before deciding to send again."""
    delay = poll_delay(request.polls)
    with transaction.atomic():
        fields = _later(State.WAITING, delay, error_message=reason)
        if not _fenced(request, **fields):
            return PublishOutcome("taken-over")
        _audit(request, "publish.answer-lost", reason=reason[:500])
    return PublishOutcome(State.WAITING, retry_in=delay)


def mark_in_process(request: PublishRequest, remote_status: str) -> PublishOutcome:
    """SFMC is still publishing (or an unconfirmed send is being watched): check again later."""
    if request.polls + 1 >= MAX_POLLS:
        return mark_failed(
            request,
            "publish-timeout",
            f"SFMC was still publishing version {request.version} after {request.polls + 1} "
            "checks. Look at the journey in SFMC; Retry checks it again without re-sending.",
        )
    delay = poll_delay(request.polls + 1)
    fields = _later(State.WAITING, delay, polls=request.polls + 1)
    if not _fenced(request, remote_status=remote_status, **fields):
        return PublishOutcome("taken-over")
    return PublishOutcome(State.WAITING, retry_in=delay)


def mark_published(
    request: PublishRequest,
    remote: dict[str, Any],
    *,
    warnings: list[dict[str, Any]] | None = None,
    note: str = "",
) -> PublishOutcome:
    """SFMC published the version: snapshot it (the journey's remote facts follow), rebase the
    draft on it so no drift is reported, finish the request."""
    with transaction.atomic():
        fields = _final(
            State.SUCCEEDED,
            remote_status=str(remote.get("status") or ""),
            last_published_date=str(remote.get("lastPublishedDate") or ""),
            warnings=list(warnings or []),
            notes=[*request.notes, note] if note else list(request.notes),
            error_code="",
            error_message="",
        )
        if not _fenced(request, **fields):
            return PublishOutcome("taken-over")
        snapshot = record_snapshot(request.draft.journey, remote)
        draft = Draft.objects.select_for_update().get(pk=request.draft_id)
        base, pushed = draft.base_snapshot, request.push_attempt
        if base is not None and (base.version, base.modified_date) == (
            pushed.remote_version_after,
            pushed.remote_modified_after,
        ):
            draft.base_snapshot = snapshot
            draft.save(update_fields=["base_snapshot", "updated_at"])
        _audit(
            request,
            "publish.succeeded",
            modified_date=snapshot.modified_date,
            warnings=len(request.warnings),
        )
    return PublishOutcome(State.SUCCEEDED)


def mark_rejected(
    request: PublishRequest, errors: list[dict[str, Any]], warnings: list[dict[str, Any]]
) -> PublishOutcome:
    """publishStatus said Error: keep SFMC's errors and warnings (per activity) for the user."""
    message = f"SFMC could not publish version {request.version}: {len(errors)} error(s)" + (
        f" and {len(warnings)} warning(s)." if warnings else "."
    )
    return mark_failed(request, "publish-error", message, errors=errors, warnings=warnings)


def mark_failed(
    request: PublishRequest,
    code: str,
    message: str,
    *,
    errors: list[dict[str, Any]] | None = None,
    warnings: list[dict[str, Any]] | None = None,
) -> PublishOutcome:
    """The publish cannot succeed without a person: say why."""
    with transaction.atomic():
        fields = _final(State.FAILED, error_code=code, error_message=message)
        if errors is not None:
            fields["errors"] = errors
        if warnings is not None:
            fields["warnings"] = warnings
        if not _fenced(request, **fields):
            return PublishOutcome("taken-over")
        _audit(request, "publish.failed", code=code, message=message[:500])
    return PublishOutcome(State.FAILED)


def mark_retrying(
    request: PublishRequest, code: str, reason: str, retry_after: float | None = None
) -> PublishOutcome:
    """A transient failure: run again later, or fail once MAX_FAILURES are used up."""
    failures = request.failures + 1
    if failures >= MAX_FAILURES:
        return mark_failed(request, code, f"{reason} Gave up after {failures} failures.")
    delay = retry_after if retry_after is not None else backoff(failures)
    delay = min(max(delay, 0.0), BACKOFF_MAX)
    with transaction.atomic():
        fields = _later(
            State.RETRYING, delay, failures=failures, error_code=code, error_message=reason
        )
        if not _fenced(request, **fields):
            return PublishOutcome("taken-over")
        details = {"code": code, "reason": reason[:500], "retry_in": round(delay, 2)}
        _audit(request, "publish.retrying", **details)
    return PublishOutcome(State.RETRYING, retry_in=delay)


def release_after_timeout(request_id: int) -> PublishOutcome:
    """The task ran out of time mid-run: a later run looks at SFMC and goes on."""
    request = PublishRequest.objects.select_related("draft__journey").get(pk=request_id)
    reason = "The publish step took too long and was stopped; the next run checks SFMC first."
    return mark_retrying(request, "timeout", reason)


# running


def run_publish(request_id: int, *, client: SFMCClient | None = None) -> PublishOutcome:
    """One run of a publish (the task's body): claim, one step, record what happened."""
    request = claim_request(request_id)
    if request is None:
        return PublishOutcome("skipped")
    if request.runs > MAX_POLLS + MAX_FAILURES + MAX_SENDS:
        return mark_failed(request, "gave-up", f"Gave up after {request.runs - 1} runs.")
    try:
        run = _PublishRun(request, client or client_for(request.draft.journey.connection))
        return run.go()
    except sfmc.RateLimited as error:
        return mark_retrying(request, "rate-limited", _plain(error), error.retry_after)
    except sfmc.RemoteError as error:  # 5xx or the network, after the client's own retries
        return mark_retrying(request, "remote-error", _plain(error))
    except sfmc.NotFound as error:
        return mark_failed(request, "not-found", f"SFMC has no version {request.version}: {error}")
    except sfmc.SFMCError as error:
        return mark_failed(request, type(error).__name__, _plain(error))


def _plain(error: sfmc.SFMCError) -> str:
    words = {
        sfmc.RateLimited: "SFMC asked us to slow down (rate limit).",
        sfmc.AuthError: "SFMC did not accept this connection's credentials.",
        sfmc.RemoteError: "SFMC or the network failed.",
    }
    lead = next((text for kind, text in words.items() if isinstance(error, kind)), "")
    return f"{lead} {error.message}".strip()


class _PublishRun:
    """The HTTP part of one run; returns an outcome after recording it on the request."""

    def __init__(self, request: PublishRequest, client: SFMCClient) -> None:
        self.request = request
        self.client = client
        self.journey = request.draft.journey
        self.ours = create_body(request.revision.document)
        self.key = str(request.revision.document.get("key") or self.journey.key)

    def go(self) -> PublishOutcome:
        if self.request.status_id:
            return self.poll()
        remote = self.fetch()
        verdict = self.judge(remote)
        if verdict is not None:
            return verdict
        if self.request.unconfirmed_send_at is not None:
            if timezone.now() < self.request.unconfirmed_send_at + LOST_PUBLISH_GRACE:
                return mark_in_process(self.request, str(remote.get("status") or ""))
            if self.request.sends >= MAX_SENDS:
                return mark_failed(
                    self.request,
                    "answers-lost",
                    f"SFMC's answers to {self.request.sends} publish requests were lost and "
                    f"version {self.request.version} is still not published.",
                )
        return self.send()

    def fetch(self) -> dict[str, Any]:
        return self.client.get_journey(self.key, by_key=True, version=self.request.version)

    def judge(self, remote: dict[str, Any], note: str = "") -> PublishOutcome | None:
        """Success, failure, or None when the version is still our unpublished Draft."""
        status = str(remote.get("status") or "")
        version = self.request.version
        if not merging.applied(self.ours, remote):
            return mark_failed(
                self.request,
                "changed-remotely",
                f"SFMC version {version} ({status}, modified {remote.get('modifiedDate')}) no "
                "longer holds the pushed revision: someone changed it in SFMC. Update the draft "
                "and push again before publishing.",
            )
        if status == "Published":
            already = "SFMC already had this version published; nothing was sent again."
            return mark_published(self.request, remote, note=note or already)
        if status != "Draft":
            return mark_failed(
                self.request,
                "not-publishable",
                f"SFMC version {version} is {status}, so it cannot be published. Push again to "
                "make a new version.",
            )
        return None

    def send(self) -> PublishOutcome:
        if not mark_sending(self.request):
            return PublishOutcome("taken-over")
        try:
            status_id = self.publish_async()
        except sfmc.ResponseLost as error:
            return mark_answer_lost(self.request, _plain(error))
        except sfmc.NotADraft:
            # Someone (or our own unconfirmed send) got there first: look at what SFMC has.
            mark_not_sent(self.request)
            return self.judge(self.fetch()) or mark_failed(
                self.request, "not-publishable", "SFMC refused to publish this version."
            )
        except sfmc.SFMCError:
            mark_not_sent(self.request)
            raise
        return mark_sent(self.request, status_id)

    def publish_async(self) -> str:
        if self.request.remote_id:
            return self.client.publish(self.request.remote_id, self.request.version)
        return self.client.publish(self.key, self.request.version, by_key=True)

    def poll(self) -> PublishOutcome:
        try:
            answer = self.client.publish_status(self.request.status_id)
        except sfmc.NotFound:
            return self.judge(self.fetch()) or mark_failed(
                self.request,
                "status-unknown",
                "SFMC no longer knows this publish request and the version is not published.",
            )
        status = str(answer.get("status") or "")
        warnings = _items(answer.get("warnings"))
        if status == "PublishCompleted":
            remote = self.fetch()
            changed = "" if merging.applied(self.ours, remote) else CHANGED_WHILE_PUBLISHING
            return mark_published(self.request, remote, warnings=warnings, note=changed)
        if status == "Error":
            return mark_rejected(self.request, _items(answer.get("errors")), warnings)
        return mark_in_process(self.request, status)


def _items(value: Any) -> list[dict[str, Any]]:
    """SFMC's errors[] or warnings[], each kept as sent (errorDetail, errorCode, additionalInfo)."""
    if not isinstance(value, list):
        return []
    return [item for item in value if isinstance(item, dict)]


# recovering


def is_stalled(request: PublishRequest, *, grace: timedelta = NO_WORKER_AFTER) -> bool:
    """Active, but nothing is moving: a worker died mid-run (its lease expired), or nobody
    took the message within `grace` of when it was due."""
    now = timezone.now()
    if request.state == State.RUNNING:
        return request.lease_until is not None and request.lease_until < now
    if request.state in (State.QUEUED, State.WAITING, State.RETRYING):
        due = request.next_poll_at or request.created_at
        return due < now - grace
    return False


def requeue_request(
    request: PublishRequest, *, actor: Any = None, why: str
) -> PublishRequest | None:
    """Send a stalled request's message again; the claim makes a duplicate harmless."""
    with transaction.atomic():
        now = timezone.now()
        stalled = Q(state=State.RUNNING, lease_until__lt=now) | Q(
            state__in=[State.QUEUED, State.WAITING, State.RETRYING]
        )
        changed = PublishRequest.objects.filter(stalled, pk=request.pk).update(
            state=Case(When(state=State.RUNNING, then=Value(State.RETRYING)), default=F("state")),
            lease_until=None,
            next_poll_at=None,
        )
        if not changed:
            return None
        request.refresh_from_db()
        record_event(
            "publish.requeued", actor=actor, draft=request.draft, details=_facts(request, why=why)
        )
        _enqueue(request.pk)
    return request


def recover_publishes(*, grace: timedelta = NO_WORKER_AFTER) -> list[int]:
    """Re-enqueue every stalled publish request (see is_stalled)."""
    recovered = []
    active = PublishRequest.objects.filter(state__in=ACTIVE_STATES).select_related("draft")
    for request in active:
        if is_stalled(request, grace=grace) and requeue_request(
            request, why="Recovered by recover_publishes"
        ):
            recovered.append(request.pk)
    return recovered
