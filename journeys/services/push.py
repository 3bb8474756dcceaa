"""Pushing an approved draft to SFMC: request, run (claim, send, classify), retry, recover.

The PushAttempt row is the source of truth. `request_push` creates it (the database refuses a
second active attempt per draft) and enqueues the task on commit; `run_push` claims the row with
a conditional UPDATE and a lease, then talks to SFMC holding no transaction or lock. Every later
change of the row is fenced by the claim's try number, so a run that was taken over changes
nothing. After a lost answer or a stale-modifiedDate rejection a run GETs and compares before
anything else: already applied is a success, never a false conflict nor a second send
(reliability notes §2.2). A published base version gets version N+1 by POST (API notes §1.3).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded
from django.db import IntegrityError, transaction

from journeys.domain.contact_records import changes_since, unmet_reason
from journeys.domain.diff import diff
from journeys.domain.document import content_hash, create_body, put_body
from journeys.domain.validate import ERROR, validate
from journeys.models import Approval, Draft, Journey, PublishRequest, PushAttempt
from journeys.permissions import can_push_draft, require
from journeys.services import leased_runs, merge_notices, merging, notifications
from journeys.services.audit import record_event
from journeys.services.leased_runs import (
    SKIPPED,
    TAKEN_OVER,
    LeasedRuns,
    Outcome,
    Refused,
    failure_words,
    plain,
)
from journeys.services.remote import client_for, record_snapshot
from journeys.services.review import test_results, valid_approval
from journeys.sfmc import errors as sfmc
from journeys.sfmc.client import SFMCClient

logger = logging.getLogger(__name__)

State = PushAttempt.State
Kind = notifications.Kind
ACTIVE_STATES = (State.QUEUED, State.RUNNING, State.RETRYING)
# Tries of one attempt (each run of the task is one); then it fails visibly.
MAX_TRIES = 5
# Between tries: exponential with "equal jitter" (half fixed, half random), capped.
BACKOFF_BASE = 5.0
BACKOFF_MAX = 300.0
# Sends of one body in one run when SFMC's answers keep getting lost.
MAX_SENDS_PER_RUN = 3
# A queued attempt nobody picked up for this long: probably no worker is running.
NO_WORKER_AFTER = timedelta(seconds=20)
TESTED_PUSH_RULE = (
    "This connection pushes only drafts whose test contacts all pass on the approved revision"
)


class PushRefused(Refused):
    """The push cannot be requested or retried now; `message` says why in plain words."""


# requesting


@transaction.atomic
def request_push(user: Any, draft: Draft) -> PushAttempt:
    """Queue a push of the draft's approved revision; the task runs after commit.

    Refused (PushRefused) unless the approval covers the draft's current content, which has
    no validation errors, and no other push or publish of this draft is queued or running; under
    the connection's rule, also unless the test contacts pass on it as they did when approved.
    """
    require(can_push_draft(user, draft), "You may not push this draft.")
    draft = Draft.objects.select_for_update().get(pk=draft.pk)
    approval = valid_approval(draft)
    if approval is None or approval.revision.content_hash != approval.content_hash:
        raise PushRefused(
            f"Only an approved draft can be pushed, and this one is "
            f"{draft.get_state_display().lower()}: its current content has no approval."
        )
    _refuse_untested(draft, approval)
    errors = [p for p in validate(draft.document) if p.severity == ERROR]
    if errors:
        raise PushRefused(
            f"The draft has {len(errors)} validation error(s); fix them first "
            f"(first: {errors[0].message})"
        )
    if draft.publish_requests.filter(state__in=PublishRequest.ACTIVE_STATES).exists():
        # A push would change the very version SFMC is publishing.
        raise PushRefused("A publish of this draft is under way; push once it has finished.")
    base = draft.base_snapshot
    ran_before = draft.push_attempts.filter(payload_hash=approval.content_hash, tries__gt=0)
    try:
        with transaction.atomic():
            attempt = PushAttempt.objects.create(
                draft=draft,
                revision=approval.revision,
                approval=approval,
                requested_by=user,
                payload_hash=approval.content_hash,
                remote_version_before=base.version if base else None,
                remote_modified_before=base.modified_date if base else "",
                # An earlier try of this content may have reached SFMC: look before sending.
                error_details={"check_first": True} if ran_before.exists() else {},
            )
    except IntegrityError:
        raise PushRefused("A push of this draft is already under way.") from None
    record_event("push.queued", actor=user, draft=draft, details=_facts(attempt))
    _enqueue(attempt.pk)
    return attempt


def _refuse_untested(draft: Draft, approval: Approval) -> None:
    """Under the connection's rule, the test contacts must pass on the approved revision and be
    the ones the approval recorded (the same contacts with the same results)."""
    if not draft.journey.connection.require_passing_tests:
        return
    now = test_results(draft, approval.revision.document)
    changed = changes_since(approval.test_results, now)
    if changed:
        raise PushRefused(
            f"{TESTED_PUSH_RULE}, and they are not the ones approved: {'; '.join(changed)}. "
            "Have the draft approved again (changing the journey or a test contact returns it "
            "to editing)."
        )
    reason = unmet_reason(now)
    if reason:
        raise PushRefused(f"{TESTED_PUSH_RULE}: {reason}.")


def _enqueue(attempt_id: int) -> None:
    from journeys.tasks import push_draft  # the tasks module imports the services

    # delay_on_commit (Celery's DjangoTask) is missing from celery-types' stubs.
    task: Any = push_draft
    task.delay_on_commit(attempt_id)


def _facts(attempt: PushAttempt, **more: Any) -> dict[str, Any]:
    return {
        "attempt": attempt.pk,
        "try": attempt.tries,
        "payload_hash": attempt.payload_hash,
        "remote_version_before": attempt.remote_version_before,
        "remote_modified_before": attempt.remote_modified_before,
        **more,
    }


RUNS = LeasedRuns(
    model=PushAttempt,
    name="push",
    draft_rows="push_attempts",
    counter="tries",
    due="next_retry_at",
    waiting=(State.QUEUED, State.RETRYING),
    early=timedelta(seconds=2),
    calls_per_run=MAX_SENDS_PER_RUN + 1,
    related=("draft__journey__connection", "draft__base_snapshot", "revision", "approval"),
    facts=_facts,
    no_worker_after=NO_WORKER_AFTER,
)


def retry_push(user: Any, attempt: PushAttempt) -> PushAttempt:
    """The Retry button: re-queue a stalled attempt, or start a new one after a failure."""
    require(can_push_draft(user, attempt.draft), "You may not push this draft.")
    requeued = requeue_attempt(attempt, actor=user, why="Retried by hand")
    if requeued is not None:
        return requeued
    attempt.refresh_from_db()
    if attempt.state != State.FAILED:
        raise PushRefused("This push is not stuck or failed, so there is nothing to retry.")
    return request_push(user, attempt.draft)


# claiming and finishing (each write fenced by the claim's try number)


def claim_attempt(attempt_id: int) -> PushAttempt | None:
    """Take the attempt for this run, or None if another run owns it or it is finished."""
    with transaction.atomic():
        attempt: PushAttempt | None = RUNS.claim(attempt_id)
        if attempt is not None:
            record_event("push.started", draft=attempt.draft, details=_facts(attempt))
    return attempt


def mark_succeeded(attempt: PushAttempt, remote: dict[str, Any], notes: list[str]) -> Outcome:
    """SFMC has the approved content: snapshot it, rebase the draft on it, finish the attempt."""
    with transaction.atomic():
        fields = {**_final_fields(attempt, State.SUCCEEDED, notes=notes), **remote_after(remote)}
        if not RUNS.fenced(attempt, **fields):
            return TAKEN_OVER
        snapshot = record_snapshot(attempt.draft.journey, remote)
        draft = Draft.objects.select_for_update().get(pk=attempt.draft_id)
        draft.base_snapshot = snapshot
        if draft.content_hash == attempt.payload_hash:
            draft.state = Draft.State.PUSHED
        draft.save(update_fields=["base_snapshot", "state", "updated_at"])
        merging.supersede_open_sessions(draft)
        details = _facts(attempt, version=snapshot.version, modified_date=snapshot.modified_date)
        record_event("push.succeeded", actor=attempt.requested_by, draft=draft, details=details)
        said = f"reached SFMC: it is version {snapshot.version} there."
        notifications.push_ended(attempt, Kind.PUSH_SUCCEEDED, said)
    return Outcome(State.SUCCEEDED)


def mark_conflict(attempt: PushAttempt, theirs: dict[str, Any]) -> Outcome:
    """SFMC changed meanwhile: keep its version as a snapshot and open the merge screen."""
    with transaction.atomic():
        message = (
            f"Someone changed this journey in SFMC (now version {theirs.get('version')}, "
            f"modified {theirs.get('modifiedDate')}) after your draft was based on it. "
            "Merge their changes into your draft, then push again."
        )
        fields = _final_fields(attempt, State.CONFLICT, code="conflict", message=message)
        if not RUNS.fenced(attempt, **fields):
            return TAKEN_OVER
        snapshot = record_snapshot(attempt.draft.journey, theirs)
        session = merging.open_push_conflict(attempt, snapshot)
        attempt.error_details = {**attempt.error_details, "merge": session.pk}
        attempt.save(update_fields=["error_details"])
        RUNS.audit(attempt, "push.conflict", merge=session.pk, conflicts=len(session.conflicts))
        merge_notices.push_conflicted(attempt, session)
    return Outcome(State.CONFLICT)


def mark_failed(
    attempt: PushAttempt, code: str, message: str, problems: list[dict[str, Any]] | None = None
) -> Outcome:
    """The push cannot succeed without a person: say why, keep SFMC's messages."""
    fields = _final_fields(attempt, State.FAILED, code=code, message=message)
    if problems:
        fields["error_details"] = {**fields["error_details"], "problems": problems}
    details = {"code": code, "message": message[:500]}
    with transaction.atomic():
        outcome = RUNS.record(attempt, Outcome(State.FAILED), fields, "failed", **details)
        if outcome != TAKEN_OVER:
            notifications.push_ended(attempt, Kind.PUSH_FAILED, f"failed: {message}")
    return outcome


def mark_not_recorded(
    attempt: PushAttempt, sfmc_has: str, error: Exception, reported: dict[str, Any] | None
) -> Outcome:
    """The run failed on our side (leased_runs.is_ours), maybe after SFMC took the push: fail
    the attempt saying what SFMC has (`reported`: the version it answered with, if any)."""
    message = leased_runs.unrecorded(sfmc_has, error, "pushing")
    fields = _final_fields(attempt, State.FAILED, code=leased_runs.NOT_RECORDED, message=message)
    if reported is not None:
        fields.update(leased_runs.storable(PushAttempt, remote_after(reported)))
    details = {"code": leased_runs.NOT_RECORDED, "message": message[:500]}
    return RUNS.record(attempt, Outcome(State.FAILED), fields, "failed", **details)


def remote_after(remote: dict[str, Any]) -> dict[str, Any]:
    """The attempt's facts about the version SFMC answered with."""
    return {
        "remote_version_after": leased_runs.as_count(remote.get("version")),
        "remote_modified_after": str(remote.get("modifiedDate") or ""),
    }


def mark_retrying(
    attempt: PushAttempt, code: str, reason: str, retry_after: float | None = None
) -> Outcome:
    """A transient failure: try again later, or fail once the tries are used up."""
    if attempt.tries >= MAX_TRIES:
        return mark_failed(attempt, code, f"{reason} Gave up after {attempt.tries} tries.")
    delay = leased_runs.retry_delay(attempt.tries, retry_after, BACKOFF_BASE, BACKOFF_MAX)
    return RUNS.retry_later(attempt, code, reason, delay)


def _final_fields(
    attempt: PushAttempt, state: str, *, notes: list[str] | None = None, **why: str
) -> dict[str, Any]:
    details = {k: v for k, v in attempt.error_details.items() if k != "check_first"}
    if notes:
        details["notes"] = list(notes)
    return RUNS.final(state, error_details=details, **why)


def release_after_timeout(attempt_id: int) -> Outcome:
    """The task ran out of time mid-run: let a later try look at SFMC and finish."""
    attempt = PushAttempt.objects.select_related("draft").get(pk=attempt_id)
    reason = "The push took too long and was stopped; the next try checks SFMC first."
    return mark_retrying(attempt, "timeout", reason)


# running


def run_push(
    attempt_id: int, *, client: SFMCClient | None = None, heartbeat: bool = False
) -> Outcome:
    """One run of a push (the task's body): claim, send, and record what happened; a worker
    renews the claim's lease meanwhile (`heartbeat`)."""
    attempt = claim_attempt(attempt_id)
    if attempt is None:
        return SKIPPED
    if attempt.tries > MAX_TRIES:
        return mark_failed(attempt, "gave-up", f"Gave up after {MAX_TRIES} tries.")
    if content_hash(attempt.revision.document) != attempt.payload_hash or (
        attempt.approval is not None and attempt.approval.content_hash != attempt.payload_hash
    ):
        return mark_failed(
            attempt, "not-approved", "The revision to push is not the approved one; nothing sent."
        )
    run: _PushRun | None = None
    try:
        run = _PushRun(attempt, client or client_for(attempt.draft.journey.connection))
        with RUNS.heartbeat(attempt, beat=heartbeat):
            return run.go()
    except sfmc.RateLimited as error:
        return mark_retrying(attempt, "rate-limited", plain(error), error.retry_after)
    except sfmc.RemoteError as error:  # sfmc.ResponseLost is handled inside; this is 5xx or network
        return mark_retrying(attempt, "remote-error", plain(error))
    except SoftTimeLimitExceeded:
        raise  # the task lets a later try finish, which looks at SFMC first
    except Exception as error:  # whatever it is, the attempt ends saying what SFMC has
        return _failed(attempt, run, error)


def _failed(attempt: PushAttempt, run: _PushRun | None, error: Exception) -> Outcome:
    """The run ended on an exception no retry helps: fail the attempt visibly, saying what SFMC
    has when this run wrote to it (never left "Sending")."""
    sfmc_has = run.sfmc_has() if run is not None else ""
    if leased_runs.is_ours(error):
        logger.error("push %s failed on our side", attempt.pk, exc_info=error)
        reported = run.reported if run is not None else None
        return mark_not_recorded(attempt, sfmc_has, error, reported)
    after = leased_runs.after_write(sfmc_has, "pushing")
    if isinstance(error, sfmc.AuthError):
        return mark_failed(attempt, "auth", plain(error) + after)
    if isinstance(error, sfmc.ValidationRejected):
        problems = [
            {"activity_key": p.activity_key, "message": p.message, "errorcode": p.errorcode}
            for p in error.problems
        ]
        return mark_failed(attempt, "validation", plain(error) + after, problems)
    return mark_failed(attempt, type(error).__name__, failure_words(error) + after)


class _PushRun:
    """The HTTP part of one run; returns an outcome after recording it on the attempt."""

    def __init__(self, attempt: PushAttempt, client: SFMCClient) -> None:
        self.attempt = attempt
        self.client = client
        self.journey: Journey = attempt.draft.journey
        self.base = attempt.draft.base_snapshot
        self.document: dict[str, Any] = attempt.revision.document
        self.key = str(self.document.get("key") or self.journey.key)
        self.notes: list[str] = []
        self.wrote = False  # a write of this run reached SFMC, or its answer was lost
        self.reported: dict[str, Any] | None = None  # SFMC's version with our content

    def sfmc_has(self) -> str:
        """What SFMC has after this run's writes, in words ("" when it wrote nothing)."""
        if self.reported is not None:
            version, modified = self.reported.get("version"), self.reported.get("modifiedDate")
            return f"SFMC has version {version} of this journey (modified {modified})"
        return "SFMC may have received this push" if self.wrote else ""

    def go(self) -> Outcome:
        if self.attempt.tries > 1 or self.attempt.error_details.get("check_first"):
            # An earlier run may have sent this already: look before sending again.
            remote = self.fetch_or_none()
            if remote is not None and merging.applied(create_body(self.document), remote):
                self.notes.append("SFMC already had this content; nothing was sent again.")
                return self.succeed(remote)
        if self.base is None or self.base.journey_id != self.journey.pk:
            return self.create(previous_version=None)
        return self.update()

    def fetch(self, version: int | None = None) -> dict[str, Any]:
        return self.client.get_journey(self.key, by_key=True, version=version)

    def fetch_or_none(self, version: int | None = None) -> dict[str, Any] | None:
        try:
            return self.fetch(version)
        except sfmc.NotFound:
            return None

    def succeed(self, remote: dict[str, Any]) -> Outcome:
        self.reported = remote
        return mark_succeeded(self.attempt, remote, self.notes)

    def update(self) -> Outcome:
        assert self.base is not None
        version, modified = self.base.version, self.base.modified_date
        body = put_body(self.document, version=version, modified_date=modified)
        for _ in range(MAX_SENDS_PER_RUN):
            try:
                self.client.put_journey(body)
            except sfmc.ResponseLost:
                self.wrote = True
                remote = self.fetch(version)
                if merging.applied(body, remote):
                    return self.succeed(remote)
                if remote.get("modifiedDate") != modified or remote.get("status") != "Draft":
                    return mark_conflict(self.attempt, self.fetch())
                self.notes.append("SFMC's answer was lost before the change applied; sent again.")
            except sfmc.VersionConflict:
                remote = self.fetch(version)
                if merging.applied(body, remote):
                    return self.succeed(remote)  # our own earlier send, whose answer was lost
                return mark_conflict(self.attempt, self.fetch())
            except sfmc.NotADraft:
                return self.next_version()
            else:
                self.wrote = True
                return self.succeed(self.fetch(version))
        raise sfmc.RemoteError(f"SFMC's answers kept getting lost ({MAX_SENDS_PER_RUN} sends).")

    def next_version(self) -> Outcome:
        """The base version is no longer a Draft: create version N+1 (same key) by POST."""
        assert self.base is not None
        latest, number = self.fetch(), self.base.version
        if merging.applied(create_body(self.document), latest):
            return self.succeed(latest)  # an earlier run got it there
        if int(latest.get("version") or 0) > number or diff(self.base.document, latest):
            return mark_conflict(self.attempt, latest)  # changed, or a newer version exists
        if latest.get("status") == "Draft":
            raise sfmc.RemoteError(
                f"SFMC will not change version {number} right now (it is being published or "
                "validated)."
            )
        self.notes.append(
            f"SFMC version {number} was {latest.get('status')}, "
            f"so this push created version {number + 1}."
        )
        return self.create(previous_version=number)

    def create(self, previous_version: int | None) -> Outcome:
        body = create_body(self.document)
        for _ in range(MAX_SENDS_PER_RUN):
            try:
                created = self.client.create_journey(body)
            except (sfmc.ResponseLost, sfmc.DraftExists) as error:
                self.wrote = self.wrote or isinstance(error, sfmc.ResponseLost)
                latest = self.fetch_or_none()
                if latest is not None and merging.applied(body, latest):
                    return self.succeed(latest)
                if latest is not None and (
                    isinstance(error, sfmc.DraftExists) or latest.get("version") != previous_version
                ):
                    return mark_conflict(self.attempt, latest)  # someone else made a version
                if isinstance(error, sfmc.DraftExists):
                    raise sfmc.RemoteError(
                        "SFMC says a Draft exists but does not show it."
                    ) from error
                self.notes.append("SFMC's answer was lost before the version existed; sent again.")
            else:
                self.wrote = True
                return self.succeed(self.fetch(int(created.get("version") or 0) or None))
        raise sfmc.RemoteError(f"SFMC's answers kept getting lost ({MAX_SENDS_PER_RUN} sends).")


# recovering


is_stalled = RUNS.is_stalled


def requeue_attempt(
    attempt: PushAttempt, *, actor: Any = None, why: str, grace: timedelta | None = None
) -> PushAttempt | None:
    """Send a stalled attempt's message again; the claim makes a duplicate harmless."""
    # A run that died mid-send may have reached SFMC: the next one looks first.
    details = {**attempt.error_details, "check_first": True}
    return RUNS.requeue(
        attempt, actor=actor, why=why, enqueue=_enqueue, grace=grace, error_details=details
    )


def recover_pushes(*, grace: timedelta = NO_WORKER_AFTER) -> list[int]:
    """Re-enqueue every stalled attempt: queued or retrying ones nobody ran for `grace`
    (their message was lost, or no worker ran), and running ones whose worker stopped."""
    why = "Recovered by recover_pushes"
    return [a.pk for a in RUNS.active() if requeue_attempt(a, why=why, grace=grace)]
