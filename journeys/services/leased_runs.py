"""One leased run of a queued row, for pushes (PushAttempt) and publishes (PublishRequest) alike.

The row is the source of truth. A run claims it with a conditional UPDATE that sets it running,
counts the run (`tries` of a push, `runs` of a publish: the fencing token) and takes a lease.
Every later write of the run is fenced by that count, so a run that was taken over changes
nothing. While a worker runs, a heartbeat renews the lease every WORKER_HEARTBEAT_SECONDS and
the lease ends MISSED_BEATS beats after the last one: a run whose worker died is stalled within
seconds, its status says so, and recovery (celery beat, `manage.py recover_pushes`, the Retry
button) queues it again for a new claim.

Lock order: every transaction that changes a run's row locks the row's draft first. Requesting
holds the draft's lock while it inserts a row, and that insert waits for any open transaction
changing the draft's active row (the one-active-per-draft constraints); such a transaction also
needs the draft (its audit events and snapshots reference it; a success rebases it), so taking
the row first deadlocked under load on PostgreSQL.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from threading import Event, Thread
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection, connections, transaction
from django.db.models import Case, F, Q, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from journeys.lengths import TooLongToStore, check_fits
from journeys.models import Draft
from journeys.services.audit import record_event
from journeys.sfmc import errors as sfmc

logger = logging.getLogger(__name__)

# The values of both models' states.
RUNNING, RETRYING = "running", "retrying"
# Beats a worker may miss before its run counts as stopped (its lease ends).
MISSED_BEATS = 4


class Refused(Exception):
    """The run cannot be requested or retried now; `message` says why in plain words."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Outcome:
    """What a run ended in; `retry_in` (seconds) when the task must run again."""

    state: str
    retry_in: float | None = None


SKIPPED, TAKEN_OVER = Outcome("skipped"), Outcome("taken-over")


def lock_draft(**which: Any) -> None:
    """Lock the draft row(s) `which` selects: first, in every transaction that changes a run."""
    list(Draft.objects.select_for_update(of=("self",)).filter(**which).values_list("pk"))


def retry_delay(failures: int, retry_after: float | None, base: float, cap: float) -> float:
    """Seconds before the next run: SFMC's Retry-After, else exponential backoff after
    `failures` with "equal jitter" (half fixed, half random); at most `cap`."""
    if retry_after is None:
        step = min(cap, base * 2 ** max(failures - 1, 0))
        retry_after = step / 2 + random.uniform(0, step / 2)
    return min(max(float(retry_after), 0.0), cap)


def plain(error: sfmc.SFMCError) -> str:
    """SFMC's error, led by what it means in plain words."""
    words = {
        sfmc.RateLimited: "SFMC asked us to slow down (rate limit).",
        sfmc.AuthError: "SFMC did not accept this connection's credentials.",
        sfmc.ValidationRejected: "SFMC refused the journey as invalid.",
        sfmc.RemoteError: "SFMC or the network failed.",
    }
    lead = next((text for kind, text in words.items() if isinstance(error, kind)), "")
    return f"{lead} {error.message}".strip()


# The largest PositiveIntegerField value every database engine keeps.
MAX_COUNT = 2**31 - 1
# A run that failed although SFMC has (or may have) what it sent: recording that failed.
NOT_RECORDED = "not-recorded"


def is_ours(error: Exception) -> bool:
    """Whether the run failed on our side rather than on SFMC's answer: what SFMC answered did
    not fit (TooLongToStore), the database failed, or a bug. Such a failure after a write must
    say what SFMC now has: nothing else records it."""
    return isinstance(error, TooLongToStore) or not isinstance(error, sfmc.SFMCError)


def failure_words(error: Exception) -> str:
    """An exception in plain words (the log keeps its traceback)."""
    if isinstance(error, sfmc.SFMCError):
        return plain(error)
    lines = str(error).strip().splitlines()
    text = f": {lines[0][:300]}" if lines else ""
    return f"an unexpected error ({type(error).__name__}{text})"


def as_count(value: Any) -> int | None:
    """A version number SFMC sent, when it is one a PositiveIntegerField keeps (else None)."""
    if isinstance(value, bool):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if 0 < number <= MAX_COUNT else None


def storable(model: Any, fields: dict[str, Any]) -> dict[str, Any]:
    """The fields whose values fit their columns (the rest are left out)."""
    kept = {}
    for name, value in fields.items():
        try:
            check_fits(model, {name: value})
        except TooLongToStore:
            continue
        kept[name] = value
    return kept


def after_write(sfmc_has: str, again: str) -> str:
    """The sentence a failure message ends with when the run wrote to SFMC ("" when not)."""
    return f" {sfmc_has}; check the journey in SFMC before {again} again." if sfmc_has else ""


def unrecorded(sfmc_has: str, error: Exception, again: str) -> str:
    """The message of a run that failed on our side (is_ours): what SFMC has, and why it is not
    recorded here; `again` is what the user would do again ("pushing")."""
    words = failure_words(error).rstrip(".")
    if not sfmc_has:
        return f"Recording SFMC's answer here failed: {words}."
    return (
        f"{sfmc_has}, but recording it here failed: {words}. "
        f"Check the journey in SFMC before {again} again."
    )


def beat_seconds() -> float:
    """How often a worker renews the lease of its run; 0 when nothing beats here.

    An in-memory SQLite database (the test runner's) lives in one process, so no other worker
    can take a run over, and its shared-cache connections fail rather than wait for each other.
    """
    if connection.vendor == "sqlite" and connection.is_in_memory_db():  # type: ignore[attr-defined]
        return 0.0
    return float(settings.WORKER_HEARTBEAT_SECONDS)


def worker_stopped(row: Any) -> bool:
    """Running, but its lease ended: the worker stopped beating (or, unbeaten, outlived it)."""
    return bool(row.state == RUNNING and row.lease_until and row.lease_until < timezone.now())


@dataclass(frozen=True)
class LeasedRuns:
    """The leased runs of one model: `counter` is its fencing token, `due` its next-run time."""

    model: Any
    name: str  # "push" or "publish": the audit actions' prefix, and the logs'
    draft_rows: str  # the draft's reverse name for the model
    counter: str
    due: str
    waiting: tuple[str, ...]  # the active states besides running
    early: timedelta  # a re-queued message may arrive a little before it is due (ETA rounding)
    calls_per_run: int
    related: tuple[str, ...]
    facts: Callable[[Any], dict[str, Any]]  # what the audit events say about a row
    no_worker_after: timedelta  # a row not taken this long after it was due is stalled

    def lease(self) -> timedelta:
        """How long a claim is exclusive before a heartbeat shortens it: longer than any one
        run lasts (the task's hard time limit; its HTTP calls, each within the read timeout).
        A run that outlives it anyway is still safe: its writes are fenced."""
        http_bound = self.calls_per_run * float(settings.SFMC_READ_TIMEOUT)
        return timedelta(seconds=max(float(settings.CELERY_TASK_TIME_LIMIT), http_bound) + 5)

    def claim(self, pk: int) -> Any | None:
        """Take the row for this run (inside the caller's transaction), or None if another run
        owns it, it is not due, or it is finished."""
        now = timezone.now()
        claimable = Q(state__in=self.waiting) | Q(state=RUNNING, lease_until__lt=now)
        due = Q(**{f"{self.due}__isnull": True}) | Q(**{f"{self.due}__lte": now + self.early})
        lock_draft(**{self.draft_rows: pk})
        claimed = self.model.objects.filter(claimable, due, pk=pk).update(
            state=RUNNING,
            lease_until=now + self.lease(),
            started_at=Coalesce("started_at", Value(now)),
            **{self.counter: F(self.counter) + 1, self.due: None},
        )
        if not claimed:
            logger.info("%s %s is not claimable; nothing to do", self.name, pk)
            return None
        return self.model.objects.select_related(*self.related).get(pk=pk)

    def fenced(self, row: Any, **fields: Any) -> bool:
        """Update the row only if this run still owns it (same count, still running).

        Raises TooLongToStore, changing nothing, when a text does not fit its column."""
        check_fits(self.model, fields)
        with transaction.atomic(savepoint=False):
            lock_draft(pk=row.draft_id)
            if not self._owned(row).update(**fields):
                logger.warning("%s %s was taken over; this run changes nothing", self.name, row.pk)
                return False
        for name, value in fields.items():
            setattr(row, name, value)
        return True

    def later(self, state: str, delay: float, **fields: Any) -> dict[str, Any]:
        """The fields of a run that ends wanting another in `delay` seconds."""
        due_at = timezone.now() + timedelta(seconds=delay)
        return {"state": state, "lease_until": None, self.due: due_at, **fields}

    def final(self, state: str, code: str = "", message: str = "", **fields: Any) -> dict[str, Any]:
        """The fields of a run that ends the row; `code` and `message` say why it failed."""
        ended = {"state": state, "finished_at": timezone.now(), "lease_until": None, self.due: None}
        return {**ended, "error_code": code, "error_message": message, **fields}

    def audit(self, row: Any, action: str, **details: Any) -> None:
        """An audit event of the run; the worker acts for whoever asked for it."""
        facts = {**self.facts(row), **details}
        record_event(action, actor=row.requested_by, draft=row.draft, details=facts)

    def record(
        self, row: Any, outcome: Outcome, fields: dict[str, Any], action: str = "", **details: Any
    ) -> Outcome:
        """Write what the run ended in (fenced) and its audit event, in one transaction."""
        with transaction.atomic():
            if not self.fenced(row, **fields):
                return TAKEN_OVER
            if action:
                self.audit(row, f"{self.name}.{action}", **details)
        return outcome

    def retry_later(self, row: Any, code: str, reason: str, delay: float, **fields: Any) -> Outcome:
        """A transient failure: the task runs again in `delay` seconds."""
        fields = self.later(RETRYING, delay, error_code=code, error_message=reason, **fields)
        details = {"code": code, "reason": reason[:500], "retry_in": round(delay, 2)}
        return self.record(row, Outcome(RETRYING, delay), fields, "retrying", **details)

    @contextmanager
    def heartbeat(self, row: Any, *, beat: bool = True) -> Iterator[None]:
        """Renew the run's lease from a thread while the block runs (the worker is alive)."""
        every = beat_seconds() if beat else 0.0
        if every <= 0:
            yield
            return
        stop = Event()
        beating = Thread(target=self._beat, args=(row, every, stop), daemon=True)
        beating.start()
        try:
            yield
        finally:
            stop.set()
            beating.join()

    def _beat(self, row: Any, every: float, stop: Event) -> None:
        try:
            while not stop.is_set():
                try:
                    if not self.renew(row, every):
                        return  # the run is over, or was taken over
                except DatabaseError as error:  # the next beat tries again
                    logger.warning("heartbeat of %s %s failed: %s", self.name, row.pk, error)
                stop.wait(every)
        finally:
            connections.close_all()  # this thread's own connection

    def renew(self, row: Any, every: float, at: datetime | None = None) -> bool:
        """One heartbeat of the run (`at` now): its lease ends MISSED_BEATS beats later. False
        when the run no longer owns the row."""
        lease_until = (at or timezone.now()) + timedelta(seconds=every * MISSED_BEATS)
        with transaction.atomic():
            lock_draft(pk=row.draft_id)
            return bool(self._owned(row).update(lease_until=lease_until))

    def _owned(self, row: Any) -> Any:
        """The row, while this run owns it: the same count, still running."""
        count = {self.counter: getattr(row, self.counter)}
        return self.model.objects.filter(pk=row.pk, state=RUNNING, **count)

    def is_stalled(self, row: Any, grace: timedelta | None = None) -> bool:
        """Active, but nothing is moving: its worker stopped (the lease ended), or nobody took
        the message within `grace` of when it was due."""
        if row.state == RUNNING:
            return worker_stopped(row)
        if row.state in self.waiting:
            due = getattr(row, self.due) or row.created_at
            grace = self.no_worker_after if grace is None else grace
            return bool(due < timezone.now() - grace)
        return False

    def requeue(
        self,
        row: Any,
        *,
        actor: Any,
        why: str,
        enqueue: Callable[[int], None],
        grace: timedelta | None = None,
        **fields: Any,
    ) -> Any | None:
        """Send a stalled row's message again (a running one becomes retrying); the claim
        makes a duplicate harmless. None when it is not stalled."""
        if not self.is_stalled(row, grace):
            return None
        with transaction.atomic():
            stalled = Q(state=RUNNING, lease_until__lt=timezone.now()) | Q(state__in=self.waiting)
            lock_draft(pk=row.draft_id)
            changed = self.model.objects.filter(stalled, pk=row.pk).update(
                state=Case(When(state=RUNNING, then=Value(RETRYING)), default=F("state")),
                lease_until=None,
                **{self.due: timezone.now(), **fields},  # stalled again `grace` from now
            )
            if not changed:
                return None
            row.refresh_from_db()
            details = {**self.facts(row), "why": why}
            record_event(f"{self.name}.requeued", actor=actor, draft=row.draft, details=details)
            enqueue(row.pk)
        return row

    def active(self) -> Any:
        """The rows that may be stalled: active ones, with their drafts."""
        return self.model.objects.filter(state__in=(RUNNING, *self.waiting)).select_related("draft")
