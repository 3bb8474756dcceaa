"""Review: the queue, the review screen, decisions, comments, comparisons and the audit trail."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import OuterRef, Prefetch, Subquery
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from journeys.catalog_names import catalog_names
from journeys.comparison import activity_names
from journeys.comparison import compare as compare_documents
from journeys.contact_review import review_contacts
from journeys.domain.diff import diff
from journeys.domain.validate import Problem
from journeys.forms import CommentForm, DecisionForm, SubmitForm
from journeys.models import AuditEvent, Comment, Draft, Journey
from journeys.permissions import (
    NOT_A_REVIEWER,
    approve_refusal,
    can_comment,
    can_edit_draft,
    can_review_draft,
    can_view_journey,
    require,
)
from journeys.presentation.push import push_panel
from journeys.services import remote
from journeys.services import review as review_service
from journeys.services.identity import lineage
from journeys.team_rule_checks import rule_problems, rules_refusal
from journeys.views.base import HtmxHttpRequest, get_draft_for_user


def _base_document(draft: Draft) -> dict[str, Any]:
    return draft.base_snapshot.document if draft.base_snapshot else {}


def _sfmc(draft: Draft) -> frozenset[str]:
    return lineage(draft.journey_id).sfmc_keys


@require_GET
@login_required
def review_queue(request: HtmxHttpRequest) -> HttpResponse:
    messages_ = AuditEvent.objects.filter(draft=OuterRef("pk"), action="draft.submitted")
    drafts = list(
        Draft.objects.awaiting_review()
        .visible_to(request.user)
        .exclude(author_id=request.user.pk)  # nobody reviews their own draft
        .select_related("journey__connection", "author", "base_snapshot")
        .annotate(submit_message=Subquery(messages_.values("details__message")[:1]))[:100]
    )
    rows = [
        (draft, len(diff(_base_document(draft), draft.document).summaries())) for draft in drafts
    ]
    return render(request, "journeys/review_queue.html", {"rows": rows})


def _threads(draft: Draft) -> list[Comment]:
    replies = Prefetch("replies", queryset=Comment.objects.select_related("author"))
    return list(
        draft.comments.filter(parent=None).select_related("author").prefetch_related(replies)
    )


@require_GET
@login_required
def review(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    draft = get_draft_for_user(request, pk)
    remote.request_remote_check(request.user, draft)
    threads = _threads(draft)
    open_counts = review_service.open_comment_counts(draft)
    newer = remote.newer_remote_snapshot(draft)
    last_review = draft.approvals.select_related("revision", "reviewer").first()
    reviewed = last_review.revision.document if last_review else None
    others = [d for d in (_base_document(draft), reviewed, newer and newer.document) if d]
    # Names for every catalog id on either side; warnings only for the draft's own ids.
    catalog = catalog_names(draft.journey.connection, draft.document, also=others)
    contacts = review_contacts(
        list(draft.test_contacts.all()),
        draft.base_snapshot.document if draft.base_snapshot else None,
        draft.document,
        catalog,
    )
    rules = rule_problems(draft.journey.connection, draft.document, catalog)
    since_review = None
    if last_review and last_review.revision.number != draft.revision_number:
        since_review = compare_documents(
            last_review.revision.document, draft.document, sfmc_keys=_sfmc(draft), catalog=catalog
        )
    context = {
        "draft": draft,
        "comparison": compare_documents(
            _base_document(draft),
            draft.document,
            comments=open_counts,
            sfmc_keys=_sfmc(draft),
            catalog=catalog,
        ),
        "catalog_problems": _titled(draft.document, catalog.problems()),
        "rule_problems": _titled(draft.document, rules),
        "rules_refusal": rules_refusal(rules),
        "contacts": contacts,
        "contact_problems": contacts.on_draft.problems(),
        "tests_refusal": review_service.tests_refusal(
            draft.journey.connection, contacts.on_draft.record()
        ),
        "since_review": since_review,
        "newer_snapshot": newer,
        "against_now": newer
        and compare_documents(
            newer.document, draft.document, comments=open_counts, catalog=catalog
        ),
        "last_review": last_review,
        "push": push_panel(request.user, draft),
        "sent_back": review_service.sent_back_by(draft),
        "history": review_service.review_history(draft),
        "threads": threads,
        "pin_key": request.GET.get("on", ""),
        "can_edit": can_edit_draft(request.user, draft),
        "approve_refusal": approve_refusal(request.user, draft),
        "can_comment": can_comment(request.user, draft),
        "submission": AuditEvent.objects.filter(draft=draft, action="draft.submitted")
        .select_related("actor")
        .first(),
    }
    return render(request, "journeys/review.html", context)


def _titled(document: dict[str, Any], problems: list[Problem]) -> list[tuple[str, Problem]]:
    """Each problem with the name of the activity it is about ("" for the journey's own)."""
    titles = activity_names(document)
    return [(titles.get(p.activity_key or "", ""), p) for p in problems]


def _back(draft: Draft) -> HttpResponse:
    return redirect("journeys:draft-review", pk=draft.pk)


@require_POST
@login_required
def submit(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    draft = get_draft_for_user(request, pk)
    form = SubmitForm(request.POST)
    if not form.is_valid():
        messages.error(request, "That request was incomplete.")
        return _back(draft)
    try:
        review_service.submit_for_review(
            request.user,
            draft,
            expected_revision=form.cleaned_data["revision"],
            message=form.cleaned_data["message"],
        )
    except review_service.ReviewRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, "Submitted for review. Approvers have been notified.")
    return _back(draft)


@require_POST
@login_required
def decide(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    draft = get_draft_for_user(request, pk)
    require(can_review_draft(request.user, draft), NOT_A_REVIEWER)  # four eyes: the service
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return _back(draft)
    data = form.cleaned_data
    remote.request_remote_check(request.user, draft)  # in the background, for the next page
    revision, comment = data["revision"], data["comment"]
    try:
        if data["decision"] == "approve":
            confirmed = data["stale_base_confirmed"]
            review_service.approve(
                request.user,
                draft,
                expected_revision=revision,
                comment=comment,
                stale_base_confirmed=confirmed,
            )
        else:
            review_service.request_changes(
                request.user, draft, expected_revision=revision, comment=comment
            )
    except review_service.ReviewRefused as refused:
        messages.error(request, refused.message)
    else:
        done = "Approved." if data["decision"] == "approve" else "Sent back to the author."
        messages.success(request, done)
    return _back(draft)


@require_POST
@login_required
def comment_add(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    draft = get_draft_for_user(request, pk)
    form = CommentForm(request.POST)
    if not form.is_valid():
        messages.error(request, "A comment cannot be empty.")
        return _back(draft)
    parent_pk = form.cleaned_data["parent"]
    parent = get_object_or_404(Comment, pk=parent_pk, draft=draft) if parent_pk else None
    try:
        review_service.add_comment(
            request.user,
            draft,
            form.cleaned_data["body"],
            activity_key=form.cleaned_data["activity_key"],
            parent=parent,
        )
    except review_service.ReviewRefused as refused:
        messages.error(request, refused.message)
    return redirect(reverse("journeys:draft-review", args=[draft.pk]) + "#comments")


@require_POST
@login_required
def comment_resolve(request: HtmxHttpRequest, pk: int, comment_pk: int) -> HttpResponse:
    draft = get_draft_for_user(request, pk)
    comment = get_object_or_404(Comment, pk=comment_pk, draft=draft)
    review_service.set_comment_resolved(request.user, comment, request.POST.get("resolved") == "1")
    return redirect(reverse("journeys:draft-review", args=[draft.pk]) + "#comments")


def _version(draft: Draft, spec: str) -> tuple[str, dict[str, Any]]:
    """`base`, `current`, `rev:N` or `snapshot:ID` (a snapshot of the same journey)."""
    kind, _, value = spec.partition(":")
    if kind == "rev" and value.isdigit():
        revision = get_object_or_404(draft.revisions, number=int(value))
        return f"Revision {revision.number}", revision.document
    if kind == "snapshot" and value.isdigit():
        snapshot = get_object_or_404(draft.journey.snapshots, pk=int(value))
        return f"SFMC version {snapshot.version} ({snapshot.modified_date})", snapshot.document
    if kind == "base" and draft.base_snapshot:
        return f"SFMC version {draft.base_snapshot.version} (base)", draft.base_snapshot.document
    return f"Revision {draft.revision_number} (current)", draft.document


@require_GET
@login_required
def compare(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    draft = get_draft_for_user(request, pk)
    a_spec, b_spec = request.GET.get("a", "base"), request.GET.get("b", "current")
    (a_label, a_doc), (b_label, b_doc) = _version(draft, a_spec), _version(draft, b_spec)
    catalog = catalog_names(draft.journey.connection, b_doc, also=[a_doc])
    context = {
        "draft": draft,
        "comparison": compare_documents(a_doc, b_doc, sfmc_keys=_sfmc(draft), catalog=catalog),
        "a_label": a_label,
        "b_label": b_label,
        "a_spec": a_spec,
        "b_spec": b_spec,
        "options": _version_options(draft),
    }
    return render(request, "journeys/compare.html", context)


def _version_options(draft: Draft) -> list[tuple[str, str]]:
    """Each version once: SFMC's version is fetched again by every check and push (a snapshot
    each), its base is one of them, and the current revision is the newest revision."""
    base = draft.base_snapshot
    options = [("current", f"Revision {draft.revision_number} (current)")]
    if base:
        options.append(("base", f"SFMC version {base.version} (base)"))
    seen = {(base.version, base.modified_date, base.content_hash)} if base else set()
    snapshots = draft.journey.snapshots.only("pk", "version", "modified_date", "content_hash")
    for snapshot in snapshots[:200]:
        identity = (snapshot.version, snapshot.modified_date, snapshot.content_hash)
        if identity not in seen:
            seen.add(identity)
            label = f"SFMC version {snapshot.version} ({snapshot.modified_date})"
            options.append((f"snapshot:{snapshot.pk}", label))
    revisions = draft.revisions.exclude(number=draft.revision_number).only("number", "summary")
    for revision in revisions[:200]:
        label = f"Revision {revision.number}: {revision.summary[:60]}"
        options.append((f"rev:{revision.number}", label))
    return options


@require_GET
@login_required
def journey_audit(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    journey = get_object_or_404(Journey.objects.select_related("connection"), pk=pk)
    require(can_view_journey(request.user, journey))
    events = AuditEvent.objects.filter(journey=journey).select_related("actor", "draft")[:500]
    return render(request, "journeys/audit.html", {"journey": journey, "events": events})
