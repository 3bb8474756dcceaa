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
from datetime import timedelta
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded
from django.db import IntegrityError, transaction
from django.utils import timezone

from journeys.domain.document import create_body
from journeys.models import Draft, PublishRequest, PushAttempt
from journeys.permissions import can_publish_draft, require
from journeys.services import leased_runs, merging, notifications
from journeys.services.audit import record_event
from journeys.services.leased_runs import SKIPPED, TAKEN_OVER, LeasedRuns, Outcome, Refused, plain
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
# An active request nothing moved for this long: probably no worker is running.
NO_WORKER_AFTER = timedelta(seconds=30)
CHANGED_WHILE_PUBLISHING = (
    "SFMC's version changed while it was being published: what went live is not exactly the "
    "pushed revision. Check SFMC."
)


class PublishRefused(Refused):
    """The publish cannot be requested now; `message` says why in plain words."""


def poll_delay(polls: int) -> float:
    """Seconds before status check number `polls + 1`."""
    if polls == 0:
        return FIRST_POLL_AFTER
    return POLL_EVERY if polls < FAST_POLLS else SLOW_POLL_EVERY


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


RUNS = LeasedRuns(
    model=PublishRequest,
    name="publish",
    draft_rows="publish_requests",
    counter="runs",
    due="next_poll_at",
    waiting=(State.QUEUED, State.WAITING, State.RETRYING),
    early=timedelta(seconds=1),
    calls_per_run=3,  # GET, publishAsync, GET (or publishStatus, GET)
    related=("draft__journey__connection", "push_attempt", "revision", "requested_by"),
    facts=_facts,
    no_worker_after=NO_WORKER_AFTER,
)


# claiming and recording (each write fenced by the claim's run number)


def claim_request(request_id: int) -> PublishRequest | None:
    """Take the request for this run, or None if another run owns it or it is finished."""
    with transaction.atomic():
        request: PublishRequest | None = RUNS.claim(request_id)
        if request is not None and request.runs == 1:
            RUNS.audit(request, "publish.started")
    return request


def _final(state: str, **fields: Any) -> dict[str, Any]:
    return RUNS.final(state, unconfirmed_send_at=None, **fields)  # any send is confirmed


def mark_sending(request: PublishRequest) -> bool:
    """About to call publishAsync: until its answer arrives, the send counts as unconfirmed."""
    fields = {"sends": request.sends + 1, "unconfirmed_send_at": timezone.now()}
    sending = Outcome("sending")
    return RUNS.record(request, sending, fields, "sending", send=request.sends + 1) == sending


def mark_not_sent(request: PublishRequest) -> None:
    """SFMC answered publishAsync with an error that says nothing was started."""
    RUNS.fenced(request, unconfirmed_send_at=None)


def mark_sent(request: PublishRequest, status_id: str) -> Outcome:
    """SFMC accepted the publish: poll its status after the first delay."""
    delay = poll_delay(0)
    fields = RUNS.later(State.WAITING, delay, status_id=status_id, unconfirmed_send_at=None)
    return RUNS.record(request, Outcome(State.WAITING, delay), fields, "sent", status_id=status_id)


def mark_answer_lost(request: PublishRequest, reason: str) -> Outcome:
    """publishAsync's answer never came: watch the version before deciding to send again."""
    delay = poll_delay(request.polls)
    fields = RUNS.later(State.WAITING, delay, error_message=reason)
    waiting = Outcome(State.WAITING, delay)
    return RUNS.record(request, waiting, fields, "answer-lost", reason=reason[:500])


def mark_in_process(request: PublishRequest, remote_status: str) -> Outcome:
    """SFMC is still publishing (or an unconfirmed send is being watched): check again later."""
    if request.polls + 1 >= MAX_POLLS:
        return mark_failed(
            request,
            "publish-timeout",
            f"SFMC was still publishing version {request.version} after {request.polls + 1} "
            "checks. Look at the journey in SFMC; Retry checks it again without re-sending.",
        )
    delay = poll_delay(request.polls + 1)
    fields = RUNS.later(State.WAITING, delay, polls=request.polls + 1, remote_status=remote_status)
    return RUNS.record(request, Outcome(State.WAITING, delay), fields)


def mark_published(
    request: PublishRequest,
    remote: dict[str, Any],
    *,
    warnings: list[dict[str, Any]] | None = None,
    note: str = "",
) -> Outcome:
    """SFMC published the version: snapshot it (the journey's remote facts follow), rebase the
    draft on it so no drift is reported, finish the request."""
    with transaction.atomic():
        fields = _final(
            State.SUCCEEDED,
            remote_status=str(remote.get("status") or ""),
            last_published_date=str(remote.get("lastPublishedDate") or ""),
            warnings=list(warnings or []),
            notes=[*request.notes, note] if note else list(request.notes),
        )
        if not RUNS.fenced(request, **fields):
            return TAKEN_OVER
        snapshot = record_snapshot(request.draft.journey, remote)
        draft = Draft.objects.select_for_update().get(pk=request.draft_id)
        base, pushed = draft.base_snapshot, request.push_attempt
        if base is not None and (base.version, base.modified_date) == (
            pushed.remote_version_after,
            pushed.remote_modified_after,
        ):
            draft.base_snapshot = snapshot
            draft.save(update_fields=["base_snapshot", "updated_at"])
        details = {"modified_date": snapshot.modified_date, "warnings": len(request.warnings)}
        RUNS.audit(request, "publish.succeeded", **details)
        said = "finished: the version is published in SFMC."
        if request.warnings:
            said = f"finished with {len(request.warnings)} warning(s): the version is published."
        notifications.publish_ended(request, notifications.Kind.PUBLISH_SUCCEEDED, said)
    return Outcome(State.SUCCEEDED)


def mark_rejected(
    request: PublishRequest, errors: list[dict[str, Any]], warnings: list[dict[str, Any]]
) -> Outcome:
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
) -> Outcome:
    """The publish cannot succeed without a person: say why."""
    fields = _final(State.FAILED, code=code, message=message)
    if errors is not None:
        fields["errors"] = errors
    if warnings is not None:
        fields["warnings"] = warnings
    details = {"code": code, "message": message[:500]}
    with transaction.atomic():
        outcome = RUNS.record(request, Outcome(State.FAILED), fields, "failed", **details)
        if outcome != TAKEN_OVER:
            said = f"failed: {message}"
            notifications.publish_ended(request, notifications.Kind.PUBLISH_FAILED, said)
    return outcome


def mark_retrying(
    request: PublishRequest, code: str, reason: str, retry_after: float | None = None
) -> Outcome:
    """A transient failure: run again later, or fail once MAX_FAILURES are used up."""
    failures = request.failures + 1
    if failures >= MAX_FAILURES:
        return mark_failed(request, code, f"{reason} Gave up after {failures} failures.")
    delay = leased_runs.retry_delay(failures, retry_after, BACKOFF_BASE, BACKOFF_MAX)
    return RUNS.retry_later(request, code, reason, delay, failures=failures)


def release_after_timeout(request_id: int) -> Outcome:
    """The task ran out of time mid-run: a later run looks at SFMC and goes on."""
    request = PublishRequest.objects.select_related("draft__journey").get(pk=request_id)
    reason = "The publish step took too long and was stopped; the next run checks SFMC first."
    return mark_retrying(request, "timeout", reason)


# running


def run_publish(
    request_id: int, *, client: SFMCClient | None = None, heartbeat: bool = False
) -> Outcome:
    """One run of a publish (the task's body): claim, one step, record what happened; a worker
    renews the claim's lease meanwhile (`heartbeat`)."""
    request = claim_request(request_id)
    if request is None:
        return SKIPPED
    if request.runs > MAX_POLLS + MAX_FAILURES + MAX_SENDS:
        return mark_failed(request, "gave-up", f"Gave up after {request.runs - 1} runs.")
    run: _PublishRun | None = None
    try:
        run = _PublishRun(request, client or client_for(request.draft.journey.connection))
        with RUNS.heartbeat(request, beat=heartbeat):
            return run.go()
    except sfmc.RateLimited as error:
        return mark_retrying(request, "rate-limited", plain(error), error.retry_after)
    except sfmc.RemoteError as error:  # 5xx or the network, after the client's own retries
        return mark_retrying(request, "remote-error", plain(error))
    except SoftTimeLimitExceeded:
        raise  # the task lets a later run finish, which looks at SFMC first
    except Exception as error:  # whatever it is, the request ends saying what SFMC has
        return _failed(request, run, error)


def _failed(request: PublishRequest, run: _PublishRun | None, error: Exception) -> Outcome:
    """The run ended on an exception no retry helps: fail the request visibly, saying what SFMC
    has when it was asked to publish (never left running)."""
    sfmc_has = run.sfmc_has() if run is not None else ""
    if leased_runs.is_ours(error):
        logger.error("publish %s failed on our side", request.pk, exc_info=error)
        message = leased_runs.unrecorded(sfmc_has, error, "publishing")
        return mark_failed(request, leased_runs.NOT_RECORDED, message)
    after = leased_runs.after_write(sfmc_has, "publishing")
    if isinstance(error, sfmc.NotFound):
        message = f"SFMC has no version {request.version}: {error}"
        return mark_failed(request, "not-found", message + after)
    return mark_failed(request, type(error).__name__, leased_runs.failure_words(error) + after)


class _PublishRun:
    """The HTTP part of one run; returns an outcome after recording it on the request."""

    def __init__(self, request: PublishRequest, client: SFMCClient) -> None:
        self.request = request
        self.client = client
        self.journey = request.draft.journey
        self.ours = create_body(request.revision.document)
        self.key = str(request.revision.document.get("key") or self.journey.key)
        self.published: dict[str, Any] | None = None  # SFMC's published version, once seen

    def sfmc_has(self) -> str:
        """What SFMC has after this request's publishAsync calls ("" when none was made)."""
        if self.published is not None:
            version = self.published.get("version", self.request.version)
            return f"SFMC has published version {version} of this journey"
        if self.request.sends or self.request.status_id:
            return f"SFMC was asked to publish version {self.request.version} of this journey"
        return ""

    def published_now(
        self, remote: dict[str, Any], warnings: list[dict[str, Any]] | None = None, note: str = ""
    ) -> Outcome:
        self.published = remote
        return mark_published(self.request, remote, warnings=warnings, note=note)

    def go(self) -> Outcome:
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

    def judge(self, remote: dict[str, Any], note: str = "") -> Outcome | None:
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
            return self.published_now(remote, note=note or already)
        if status != "Draft":
            return mark_failed(
                self.request,
                "not-publishable",
                f"SFMC version {version} is {status}, so it cannot be published. Push again to "
                "make a new version.",
            )
        return None

    def send(self) -> Outcome:
        if not mark_sending(self.request):
            return TAKEN_OVER
        try:
            status_id = self.publish_async()
        except sfmc.ResponseLost as error:
            return mark_answer_lost(self.request, plain(error))
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

    def poll(self) -> Outcome:
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
            return self.published_now(remote, warnings, changed)
        if status == "Error":
            return mark_rejected(self.request, _items(answer.get("errors")), warnings)
        return mark_in_process(self.request, status)


def _items(value: Any) -> list[dict[str, Any]]:
    """SFMC's errors[] or warnings[], each kept as sent (errorDetail, errorCode, additionalInfo)."""
    if not isinstance(value, list):
        return []
    return [item for item in value if isinstance(item, dict)]


# recovering


is_stalled = RUNS.is_stalled


def requeue_request(
    request: PublishRequest, *, actor: Any = None, why: str, grace: timedelta | None = None
) -> PublishRequest | None:
    """Send a stalled request's message again; the claim makes a duplicate harmless."""
    return RUNS.requeue(request, actor=actor, why=why, enqueue=_enqueue, grace=grace)


def recover_publishes(*, grace: timedelta = NO_WORKER_AFTER) -> list[int]:
    """Re-enqueue every stalled publish request (see is_stalled)."""
    why = "Recovered by recover_publishes"
    return [r.pk for r in RUNS.active() if requeue_request(r, why=why, grace=grace)]
