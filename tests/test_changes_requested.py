"""A draft sent back: "Changes requested" is its own state, shown with the approver's comment
(who, when) in the list, the editor bar and the review page, kept through the author's edits,
and left by resubmitting (the submit service, with an optional reply in the review's history)."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from journeys.models import Approval, AuditEvent, Draft
from journeys.services import review
from journeys.services.drafts import create_new_journey, save_revision
from journeys.services.editing import apply_edit, structural_edit
from tests.factories import ConnectionFactory, UserFactory

HTMX = {"HX-Request": "true"}
COMMENT = "Wait 3 days, not 1 <please>"


@pytest.fixture
def connection(db):
    return ConnectionFactory()


@pytest.fixture
def sent_back(editor, approver, connection):
    """Edna's draft (revision 2), submitted and sent back by Arlo."""
    draft = create_new_journey(editor, connection, "Welcome")
    insert = structural_edit("insert", {"type_id": "WAITBYDURATION"})
    draft = apply_edit(editor, draft, insert, expected_revision=1).draft
    draft = review.submit_for_review(editor, draft, expected_revision=2, message="first try")
    review.request_changes(approver, draft, expected_revision=2, comment=COMMENT)
    return Draft.objects.get(pk=draft.pk)


def renamed(user, draft, name="Welcome v2"):
    return save_revision(
        user,
        draft,
        {**draft.document, "name": name},
        expected_revision=draft.revision_number,
        summary="Renamed",
    )


# The service: states, permissions, audit.


def test_request_changes_sends_the_draft_back_with_who_when_and_why(sent_back, approver):
    assert sent_back.state == Draft.State.CHANGES_REQUESTED
    decision = review.sent_back_by(sent_back)
    assert (decision.reviewer, decision.comment, decision.revision.number) == (approver, COMMENT, 2)
    event = AuditEvent.objects.get(action="draft.changes_requested")
    assert (event.actor, event.details["comment"]) == (approver, COMMENT)


def test_editing_keeps_the_draft_sent_back_until_resubmitted(sent_back, editor):
    draft = renamed(editor, sent_back)
    assert draft.revision_number == 3
    assert Draft.objects.get(pk=draft.pk).state == Draft.State.CHANGES_REQUESTED
    assert review.sent_back_by(draft).comment == COMMENT
    assert not AuditEvent.objects.filter(action__in=["draft.withdrawn", "approval.voided"])


def test_resubmitting_records_the_reply_and_asks_the_approvers_again(
    sent_back, editor, approver, django_capture_on_commit_callbacks
):
    draft = renamed(editor, sent_back)
    decision = review.sent_back_by(draft)
    with django_capture_on_commit_callbacks(execute=True):
        draft = review.submit_for_review(editor, draft, expected_revision=3, message="Now 3 days")
    assert Draft.objects.get(pk=draft.pk).state == Draft.State.IN_REVIEW
    assert review.sent_back_by(draft) is None
    event = AuditEvent.objects.filter(action="draft.submitted").first()
    assert event.details == {"message": "Now 3 days", "in_reply_to": decision.pk}
    assert [m.subject for m in mail.outbox] == ["Review requested again: Welcome v2"]
    assert mail.outbox[0].to == [approver.email]
    history = [(e.action, e.actor.username) for e in review.review_history(draft)]
    assert history == [
        ("draft.submitted", "edna"),
        ("draft.changes_requested", "arlo"),
        ("draft.submitted", "edna"),
    ]


def test_a_reply_is_optional_and_the_approver_then_approves(sent_back, editor, approver):
    draft = review.submit_for_review(editor, sent_back, expected_revision=2, message="")
    review.approve(approver, draft, expected_revision=2)
    assert Draft.objects.get(pk=draft.pk).state == Draft.State.APPROVED


def test_only_editors_resubmit_and_nobody_decides_on_a_sent_back_draft(sent_back, approver):
    with pytest.raises(PermissionDenied):
        review.submit_for_review(approver, sent_back, expected_revision=2, message="")
    with pytest.raises(review.ReviewRefused, match="Only a draft that is in review"):
        review.approve(approver, sent_back, expected_revision=2)
    assert Draft.objects.get(pk=sent_back.pk).state == Draft.State.CHANGES_REQUESTED
    assert Approval.objects.count() == 1


def test_four_eyes_still_holds_after_a_resubmission(editor, approver, connection):
    both = UserFactory(username="bea", roles=["Editors", "Approvers"])
    draft = create_new_journey(editor, connection, "Welcome")
    draft = review.submit_for_review(editor, draft, expected_revision=1, message="")
    review.request_changes(both, draft, expected_revision=1, comment="Rename it")
    draft = renamed(both, Draft.objects.get(pk=draft.pk))  # bea fixes it herself
    draft = review.submit_for_review(editor, draft, expected_revision=2, message="bea fixed it")
    with pytest.raises(review.ReviewRefused, match="someone else must approve it"):
        review.approve(both, draft, expected_revision=2)
    review.approve(approver, draft, expected_revision=2)
    assert Draft.objects.get(pk=draft.pk).state == Draft.State.APPROVED


def test_the_data_migration_marks_only_drafts_still_waiting_for_their_author(
    sent_back, editor, approver, connection
):
    migration = importlib.import_module("journeys.migrations.0014_changes_requested_state")
    # Before the state existed: sent back meant Editing with the last decision "changes".
    waiting = sent_back
    answered = create_new_journey(editor, connection, "Answered")  # resubmitted, then withdrawn
    answered = review.submit_for_review(editor, answered, expected_revision=1, message="")
    review.request_changes(approver, answered, expected_revision=1, comment="No")
    review.submit_for_review(editor, answered, expected_revision=1, message="")
    approved = create_new_journey(editor, connection, "Approved")  # approved, then edited
    review.approve(
        approver,
        review.submit_for_review(editor, approved, expected_revision=1, message=""),
        expected_revision=1,
    )
    Draft.objects.update(state=Draft.State.EDITING)
    migration.mark_sent_back_drafts(apps, None)
    states = dict(Draft.objects.values_list("pk", "state"))
    assert states == {
        waiting.pk: Draft.State.CHANGES_REQUESTED,
        answered.pk: Draft.State.EDITING,
        approved.pk: Draft.State.EDITING,
    }
    migration.back_to_editing(apps, None)
    assert set(Draft.objects.values_list("state", flat=True)) == {Draft.State.EDITING}


# The pages.


def test_the_journeys_list_says_changes_requested_and_filters_on_it(client, sent_back, editor):
    create_new_journey(editor, sent_back.journey.connection, "Other")
    client.force_login(editor)
    page = client.get(reverse("journeys:home"), {"state": "changes_requested"}).content.decode()
    assert "<td>Changes requested</td>" in page
    assert "Welcome" in page and "Other" not in page


def test_the_editor_bar_shows_the_comment_with_who_and_when_and_resubmit(client, sent_back, editor):
    client.force_login(editor)
    page = client.get(reverse("journeys:draft", args=[sent_back.pk])).content.decode()
    decision = review.sent_back_by(sent_back)
    assert 'revision <span id="revision-number">2</span> · Changes requested' in page
    assert "Changes requested</strong> by arlo" in page
    assert f'datetime="{decision.created_at.isoformat()}"' in page
    assert "Wait 3 days, not 1 &lt;please&gt;" in page
    assert 'id="resubmit-editor"' in page and "Review &amp; resubmit" in page


def test_an_edit_keeps_the_comment_in_the_redrawn_banner(client, sent_back, editor):
    client.force_login(editor)
    response = client.post(
        reverse("journeys:draft-edit", args=[sent_back.pk]),
        {"op": "insert", "type_id": "EMAILV2", "after": "", "revision": 2},
        headers=HTMX,
    )
    html = response.content.decode()
    banner = html[html.index('id="state-banner"') :]
    assert "Wait 3 days, not 1 &lt;please&gt;" in banner
    assert 'name="revision" value="3"' in banner  # resubmits the revision just made


def test_an_approver_sees_the_comment_but_no_resubmit(client, sent_back, approver):
    client.force_login(approver)
    page = client.get(reverse("journeys:draft-review", args=[sent_back.pk])).content.decode()
    assert 'id="changes-requested-comment">Wait 3 days, not 1 &lt;please&gt;' in page
    assert "resubmit-review" not in page and "Submit for review" not in page


def test_resubmitting_from_the_review_page_shows_the_reply_in_its_history(
    client, sent_back, editor
):
    client.force_login(editor)
    review_url = reverse("journeys:draft-review", args=[sent_back.pk])
    page = client.get(review_url).content.decode()
    assert 'id="resubmit-review"' in page and "Reply to arlo (optional)" in page
    response = client.post(
        reverse("journeys:draft-submit", args=[sent_back.pk]),
        {"revision": 2, "message": "Done: 3 days"},
        follow=True,
    )
    page = response.content.decode()
    assert Draft.objects.get(pk=sent_back.pk).state == Draft.State.IN_REVIEW
    history = page[page.index('id="review-history"') :]
    assert history.index("Submitted") < history.index("Changes requested")
    assert history.index("Changes requested") < history.index("Resubmitted by edna")
    assert "Done: 3 days" in history and "first try" in history
    assert 'id="changes-requested"' not in page
