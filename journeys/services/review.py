"""Review: submit, approve (bound to the exact content hash), request changes, comments."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from journeys.catalog_names import catalog_names
from journeys.contact_display import contacts_through
from journeys.domain.contact_records import Record, unmet_reason
from journeys.domain.diff import keyed_index
from journeys.models import Approval, AuditEvent, Comment, Connection, Draft
from journeys.permissions import (
    NOT_A_REVIEWER,
    approve_refusal,
    can_comment,
    can_edit_draft,
    can_review_draft,
    can_use_connection,
    require,
)
from journeys.services.audit import record_event
from journeys.services.notifications import Kind, journey_name, notify, person, review_path
from journeys.services.remote import newer_remote_snapshot
from journeys.team_rule_checks import rule_problems, rules_refusal

PASSING_TESTS_RULE = "This connection approves only drafts whose test contacts all pass"


class ReviewRefused(Exception):
    """The review action does not apply to the draft as it is now; `message` says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _locked(draft: Draft, expected_revision: int | None = None) -> Draft:
    locked = (
        Draft.objects.select_for_update().select_related("journey__connection").get(pk=draft.pk)
    )
    if expected_revision is not None and locked.revision_number != expected_revision:
        raise ReviewRefused(
            f"The draft changed while you were looking at it (you saw revision "
            f"{expected_revision}, it is now at {locked.revision_number}). Review it again."
        )
    return locked


def approvers_of(connection: Connection) -> list[Any]:
    """Active users who may approve drafts of `connection`."""
    users = get_user_model().objects.filter(is_active=True)
    return [
        u
        for u in users
        if u.has_perm("journeys.approve_draft") and can_use_connection(u, connection)
    ]


SUBMITTABLE = (Draft.State.EDITING, Draft.State.CHANGES_REQUESTED)


@transaction.atomic
def submit_for_review(user: Any, draft: Draft, *, expected_revision: int, message: str) -> Draft:
    """Ask for review of exactly this revision; approvers are notified.

    A draft sent back with changes requested is resubmitted the same way: `message` is then
    the author's reply to the decision, recorded with it (`in_reply_to`) for the review's
    history.
    """
    require(can_edit_draft(user, draft))
    draft = _locked(draft, expected_revision)
    if draft.state not in SUBMITTABLE:
        raise ReviewRefused(f"This draft is already {draft.get_state_display().lower()}.")
    answered = sent_back_by(draft)
    draft.state = Draft.State.IN_REVIEW
    draft.submitted_at = timezone.now()
    draft.save(update_fields=["state", "submitted_at", "updated_at"])
    details: dict[str, Any] = {"message": message[:2000]}
    if answered is not None:
        details["in_reply_to"] = answered.pk
    record_event("draft.submitted", actor=user, draft=draft, details=details)
    name, again = journey_name(draft), " again" if answered else ""
    said = f": {message.strip()}" if message.strip() else "."
    notify(
        Kind.REVIEW_REQUESTED,
        approvers_of(draft.journey.connection),
        draft=draft,
        actor=user,
        text=f"{person(user)} asks you to review '{name}'{again}{said}",
        path=review_path(draft),
        subject=f"Review requested{again}: {name}",
    )
    return draft


def sent_back_by(draft: Draft) -> Approval | None:
    """The decision that sent `draft` back, while it waits for its author (one query)."""
    if draft.state != Draft.State.CHANGES_REQUESTED:
        return None
    return (
        draft.approvals.filter(decision=Approval.Decision.CHANGES_REQUESTED)
        .select_related("reviewer", "revision")
        .order_by("-created_at", "-pk")
        .first()
    )


REVIEW_ACTIONS = ("draft.submitted", "draft.approved", "draft.changes_requested")


def review_history(draft: Draft) -> list[AuditEvent]:
    """Every submission (with its message or reply) and decision (with its comment), oldest
    first, as the audit trail recorded them."""
    events = draft.audit_events.filter(action__in=REVIEW_ACTIONS).select_related("actor")
    return list(events.order_by("created_at", "pk"))


def _decide(
    user: Any, draft: Draft, expected_revision: int, decision: str, comment: str
) -> Approval:
    require(can_review_draft(user, draft), NOT_A_REVIEWER)
    draft = _locked(draft, expected_revision)
    if draft.state != Draft.State.IN_REVIEW:
        raise ReviewRefused("Only a draft that is in review can be approved or sent back.")
    refusal = approve_refusal(user, draft)  # under the lock: no revision can slip in now
    if refusal:
        raise ReviewRefused(refusal)
    approved = decision == Approval.Decision.APPROVED
    tests = _tests_to_approve(draft) if approved else {}
    approval = Approval.objects.create(
        draft=draft,
        revision=draft.revisions.get(number=draft.revision_number),
        reviewer=user,
        decision=decision,
        comment=comment,
        content_hash=draft.content_hash,
        test_results=tests,
    )
    draft.state = Draft.State.APPROVED if approved else Draft.State.CHANGES_REQUESTED
    draft.save(update_fields=["state", "updated_at"])
    action = "draft.approved" if approved else "draft.changes_requested"
    details = {"comment": comment[:2000]}
    if approved:
        details["tests"] = approval.tests_summary
    record_event(action, actor=user, draft=draft, details=details)
    name = journey_name(draft)
    verdict = "approved" if approved else "requested changes on"
    said = f": {comment.strip()}" if comment.strip() else "."
    notify(
        Kind.DECIDED,
        [draft.author],
        draft=draft,
        actor=user,
        text=f"{person(user)} {verdict} '{name}'{said}",
        path=review_path(draft),
        subject=f"{name}: {'approved' if approved else 'changes requested'}",
    )
    return approval


def test_results(draft: Draft, document: dict[str, Any]) -> Record:
    """The draft's test contacts run through `document` (one of its revisions), as an approval
    records them."""
    names = catalog_names(draft.journey.connection, document)
    return contacts_through(document, list(draft.test_contacts.all()), names).record()


def tests_refusal(connection: Connection, record: Record) -> str:
    """Why the connection's rule refuses approving a draft with these test results ("" when
    it does not)."""
    if not connection.require_passing_tests:
        return ""
    reason = unmet_reason(record)
    return f"{PASSING_TESTS_RULE}: {reason}." if reason else ""


def _tests_to_approve(draft: Draft) -> Record:
    _refuse_failing_rules(draft)
    record = test_results(draft, draft.document)
    refusal = tests_refusal(draft.journey.connection, record)
    if refusal:
        raise ReviewRefused(refusal)
    return record


def _refuse_failing_rules(draft: Draft) -> None:
    connection = draft.journey.connection
    names = catalog_names(connection, draft.document)
    refusal = rules_refusal(rule_problems(connection, draft.document, names))
    if refusal:
        raise ReviewRefused(refusal)


@transaction.atomic
def approve(
    user: Any,
    draft: Draft,
    *,
    expected_revision: int,
    comment: str = "",
    stale_base_confirmed: int | None = None,
) -> Approval:
    """Approve the exact content of `expected_revision`; any later edit voids it. The approval
    records the draft's test contacts and their results; a connection that requires passing
    tests (`Connection.require_passing_tests`) refuses a draft without them, and one whose team
    rules (`TeamRule`) of error severity fail refuses it with what fails.

    A draft whose base SFMC has moved past (as last seen: SFMC is not called here) is approved
    only when `stale_base_confirmed` names that newer version's snapshot, the one the approver
    was warned about.
    """
    require(can_review_draft(user, draft), NOT_A_REVIEWER)
    _refuse_unconfirmed_stale_base(user, draft, stale_base_confirmed)
    return _decide(user, draft, expected_revision, Approval.Decision.APPROVED, comment)


def _refuse_unconfirmed_stale_base(user: Any, draft: Draft, confirmed: int | None) -> None:
    draft = _locked(draft)
    newer = newer_remote_snapshot(draft)
    if newer is None:
        return
    base_version = draft.base_snapshot.version if draft.base_snapshot else "?"
    if newer.pk != confirmed:
        raise ReviewRefused(
            f"SFMC now has version {newer.version}, changed by someone else since this draft "
            f"started from version {base_version}. Update the draft first, or confirm that "
            "you approve it anyway."
        )
    details = {"base_version": base_version, "remote_version": newer.version}
    record_event("draft.approved_on_stale_base", actor=user, draft=draft, details=details)


@transaction.atomic
def request_changes(user: Any, draft: Draft, *, expected_revision: int, comment: str) -> Approval:
    """Send the draft back to its author; a comment saying what to change is required."""
    if not comment.strip():
        raise ReviewRefused("Say what needs to change: a comment is required.")
    return _decide(user, draft, expected_revision, Approval.Decision.CHANGES_REQUESTED, comment)


def valid_approval(draft: Draft) -> Approval | None:
    """The approval that covers the draft's current content, if there is one."""
    if draft.state not in (Draft.State.APPROVED,):
        return None
    return (
        draft.approvals.filter(decision=Approval.Decision.APPROVED, content_hash=draft.content_hash)
        .order_by("-created_at")
        .first()
    )


def open_comment_counts(draft: Draft) -> dict[str, int]:
    """Unresolved comment threads per activity key (one query)."""
    counts: dict[str, int] = {}
    threads = draft.comments.filter(parent=None, resolved=False).exclude(activity_key="")
    for key in threads.values_list("activity_key", flat=True):
        counts[key] = counts.get(key, 0) + 1
    return counts


@transaction.atomic
def add_comment(
    user: Any,
    draft: Draft,
    body: str,
    *,
    activity_key: str = "",
    parent: Comment | None = None,
) -> Comment:
    """Comment on the draft, pinned to an activity when `activity_key` is given, or reply."""
    require(can_comment(user, draft))
    if not body.strip():
        raise ReviewRefused("A comment cannot be empty.")
    if parent is not None:
        if parent.draft_id != draft.pk:
            raise ReviewRefused("That comment belongs to another draft.")
        parent = parent.parent or parent  # replies always hang off the thread's first comment
        activity_key = parent.activity_key
    comment = Comment.objects.create(
        draft=draft,
        author=user,
        activity_key=activity_key,
        parent=parent,
        body=body.strip(),
        revision_number=draft.revision_number,
    )
    record_event(
        "comment.added",
        actor=user,
        draft=draft,
        details={
            "comment_id": comment.pk,
            "text": comment.body[:200],
            "activity_key": activity_key,
        },
    )
    _tell_about_comment(user, draft, comment)
    return comment


def _tell_about_comment(user: Any, draft: Draft, comment: Comment) -> None:
    """The draft's author is told of every comment and reply; a reply also tells those who
    wrote in its thread before."""
    thread = comment.parent
    told = [draft.author]
    if thread is not None:
        told += [thread.author, *(reply.author for reply in thread.replies.exclude(pk=comment.pk))]
    name = journey_name(draft)
    activities = keyed_index(draft.document.get("activities")) or {}
    activity = activities.get(comment.activity_key, {}).get("name") or ""
    on = f" (on '{activity}')" if activity else ""
    what = "replied on" if thread is not None else "commented on"
    on_key = f"?on={quote(comment.activity_key)}" if comment.activity_key else ""
    notify(
        Kind.COMMENT,
        told,
        draft=draft,
        actor=user,
        text=f"{person(user)} {what} '{name}'{on}: {comment.body}",
        path=f"{review_path(draft)}{on_key}#comment-{(thread or comment).pk}",
        subject=f"Comment on {name}",
    )


@transaction.atomic
def set_comment_resolved(user: Any, comment: Comment, resolved: bool) -> Comment:
    """Resolve or reopen a comment thread."""
    require(can_comment(user, comment.draft))
    thread = comment.parent or comment
    thread.resolved = resolved
    thread.resolved_by = user if resolved else None
    thread.save(update_fields=["resolved", "resolved_by"])
    action = "comment.resolved" if resolved else "comment.reopened"
    record_event(
        action,
        actor=user,
        draft=comment.draft,
        details={"comment_id": thread.pk, "text": thread.body[:200]},
    )
    return thread
