"""Four eyes on every change: nobody approves content they wrote any part of since the draft's
last approved or pushed content, whatever their roles (superusers included).

The reported sequence runs twice: through the views, as a browser does (pages fetched, their
CSRF token posted back), and through the services. Then what counts as writing: undo, restore,
resolving a merge; and what settles content: an approval, a successful push.
"""

from __future__ import annotations

import re

import pytest
from django.db import connection as db_connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from journeys.models import Approval, Draft, PushAttempt
from journeys.permissions import approve_refusal, can_approve_draft
from journeys.services import push, review
from journeys.services.drafts import create_new_journey
from journeys.services.editing import apply_edit, restore_revision, structural_edit, undo
from journeys.services.merging import resolve_merge, start_update
from tests.factories import ConnectionFactory, UserFactory
from tests.test_push_service import WELCOME, approved_now, edited, import_demo, rename

EDITED_SINCE = "You edited this draft since it was last approved: someone else must approve it."
WROTE_PART = "You wrote part of this draft: someone else must approve it."
INSERT_WAIT = {"type_id": "WAITBYDURATION"}


@pytest.fixture
def connection(db):
    return ConnectionFactory()


@pytest.fixture
def both(db):
    """Bea: editor and approver."""
    return UserFactory(username="bea", roles=["Editors", "Approvers"])


@pytest.fixture
def commenter(db):
    """Cora: an approver who only ever comments."""
    return UserFactory(username="cora", roles=["Approvers"])


def state_of(draft):
    return Draft.objects.get(pk=draft.pk).state


def approvals(draft):
    return list(
        Approval.objects.filter(draft=draft)
        .order_by("pk")
        .values_list("reviewer__username", "decision", "revision__number")
    )


# through the views, as the browser does


class Browser:
    """One user's session with CSRF enforced: every POST carries the token of a page it got."""

    def __init__(self, user):
        self.client = Client(enforce_csrf_checks=True)
        self.client.force_login(user)

    def get(self, url):
        response = self.client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        return response.content.decode()

    def post(self, page_url, url, data):
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', self.get(page_url))
        assert token, f"{page_url} renders no CSRF token"
        response = self.client.post(url, {**data, "csrfmiddlewaretoken": token[1]}, follow=True)
        assert response.status_code == 200, (url, response.status_code)
        return response.content.decode()

    def review_page(self, draft):
        return self.get(reverse("journeys:draft-review", args=[draft.pk]))

    def edit(self, draft, type_id="EMAILV2"):
        page = reverse("journeys:draft", args=[draft.pk])
        data = {"op": "insert", "type_id": type_id, "revision": revision_of(draft)}
        self.post(page, reverse("journeys:draft-edit", args=[draft.pk]), data)

    def submit(self, draft):
        data = {"revision": revision_of(draft), "message": "please review"}
        self._on_review(draft, "journeys:draft-submit", data)

    def approve(self, draft):
        data = {"revision": revision_of(draft), "decision": "approve", "comment": ""}
        return self._on_review(draft, "journeys:draft-decide", data)

    def comment(self, draft, body):
        self._on_review(draft, "journeys:comment-add", {"body": body})

    def _on_review(self, draft, name, data):
        page = reverse("journeys:draft-review", args=[draft.pk])
        return self.post(page, reverse(name, args=[draft.pk]), data)


def revision_of(draft):
    return Draft.objects.get(pk=draft.pk).revision_number


APPROVE_BUTTON = "Approve revision"


def test_the_reported_sequence_through_the_views(
    editor, both, approver, admin_user, commenter, connection
):
    draft = create_new_journey(editor, connection, "Welcome")
    Browser(editor).edit(draft, "WAITBYDURATION")
    Browser(editor).submit(draft)
    bea = Browser(both)

    # B edits A's draft, submits it again, and may not approve it: no button, the reason shown.
    bea.edit(draft)
    bea.submit(draft)
    assert state_of(draft) == Draft.State.IN_REVIEW
    page = bea.review_page(draft)
    assert APPROVE_BUTTON not in page and WROTE_PART in page
    answer = bea.approve(draft)
    assert WROTE_PART in answer and "Approved." not in answer
    assert approvals(draft) == [] and state_of(draft) == Draft.State.IN_REVIEW

    # Another approver, who wrote nothing, approves.
    assert APPROVE_BUTTON in Browser(approver).review_page(draft)
    assert "Approved." in Browser(approver).approve(draft)
    assert approvals(draft) == [("arlo", "approved", 3)]
    assert state_of(draft) == Draft.State.APPROVED

    # B edits after that approval (which voids it), and still may not approve.
    bea.edit(draft)
    assert state_of(draft) == Draft.State.EDITING
    bea.submit(draft)
    assert EDITED_SINCE in bea.approve(draft)
    assert approvals(draft) == [("arlo", "approved", 3)]
    assert state_of(draft) == Draft.State.IN_REVIEW

    # A superuser is no exception.
    ada = Browser(admin_user)
    ada.edit(draft)
    ada.submit(draft)
    assert APPROVE_BUTTON not in ada.review_page(draft)
    assert EDITED_SINCE in ada.approve(draft)
    assert approvals(draft) == [("arlo", "approved", 3)]
    assert state_of(draft) == Draft.State.IN_REVIEW

    # An approver who only commented approves.
    cora = Browser(commenter)
    cora.comment(draft, "Looks right to me")
    assert "Approved." in cora.approve(draft)
    assert approvals(draft) == [("arlo", "approved", 3), ("cora", "approved", 5)]
    assert state_of(draft) == Draft.State.APPROVED


# through the services


def edit_as(user, draft, type_id="EMAILV2"):
    insert = structural_edit("insert", {"type_id": type_id})
    return apply_edit(user, draft, insert, expected_revision=revision_of(draft)).draft


def submit_as(user, draft):
    return review.submit_for_review(user, draft, expected_revision=revision_of(draft), message="")


def refused(user, draft, message):
    """`user` may not approve `draft`: the permission says why, the service refuses the same."""
    assert approve_refusal(user, draft) == message
    assert not can_approve_draft(user, draft)
    before = approvals(draft)
    with pytest.raises(review.ReviewRefused) as refusal:
        review.approve(user, draft, expected_revision=revision_of(draft))
    assert refusal.value.message == message
    assert approvals(draft) == before and state_of(draft) == Draft.State.IN_REVIEW


def approves(user, draft):
    assert approve_refusal(user, draft) == ""
    approval = review.approve(user, draft, expected_revision=revision_of(draft))
    assert state_of(draft) == Draft.State.APPROVED
    assert approvals(draft)[-1] == (user.username, "approved", revision_of(draft))
    return approval


def test_the_reported_sequence_through_the_services(
    editor, both, approver, admin_user, commenter, connection
):
    draft = create_new_journey(editor, connection, "Welcome")
    draft = submit_as(editor, edit_as(editor, draft, "WAITBYDURATION"))
    draft = submit_as(both, edit_as(both, draft))
    refused(both, draft, WROTE_PART)
    approves(approver, draft)

    draft = submit_as(both, edit_as(both, draft))
    refused(both, draft, EDITED_SINCE)

    draft = submit_as(admin_user, edit_as(admin_user, draft))
    refused(admin_user, draft, EDITED_SINCE)
    review.add_comment(commenter, draft, "Looks right to me")
    approves(commenter, draft)


def test_request_changes_follows_the_same_rule(editor, both, approver, connection):
    draft = submit_as(both, edit_as(both, create_new_journey(editor, connection, "Welcome")))
    with pytest.raises(review.ReviewRefused, match="someone else must approve it"):
        review.request_changes(both, draft, expected_revision=2, comment="Hmm")
    review.request_changes(approver, draft, expected_revision=2, comment="Longer wait")
    assert approvals(draft) == [("arlo", "changes_requested", 2)]


def test_the_author_may_approve_a_later_change_when_their_own_part_was_approved(
    both, approver, editor, connection
):
    draft = submit_as(both, create_new_journey(both, connection, "Welcome"))
    refused(both, draft, WROTE_PART)  # the draft's author wrote revision 1 by creating it
    approves(approver, draft)
    draft = submit_as(editor, edit_as(editor, draft))
    approves(both, draft)  # only edna's revision 2 is new, and bea did not write it


def test_the_author_is_counted_again_once_they_edit_after_an_approval(
    both, approver, editor, commenter, connection
):
    draft = submit_as(both, create_new_journey(both, connection, "Welcome"))
    approves(approver, draft)
    draft = edit_as(editor, draft)
    draft = submit_as(both, edit_as(both, draft))
    refused(both, draft, EDITED_SINCE)
    approves(commenter, draft)


def test_an_undo_counts_as_writing_for_whoever_undid(editor, both, approver, connection):
    draft = edit_as(editor, create_new_journey(editor, connection, "Welcome"))
    draft = edit_as(editor, draft, "WAITBYDURATION")
    draft = undo(both, draft, expected_revision=3).draft
    assert draft.revisions.get(number=4).author == both
    draft = submit_as(editor, draft)
    refused(both, draft, WROTE_PART)
    approves(approver, draft)


def test_a_restore_counts_as_writing_for_whoever_restored(editor, both, approver, connection):
    draft = edit_as(editor, create_new_journey(editor, connection, "Welcome"))
    draft = submit_as(editor, draft)
    approves(approver, draft)
    draft = restore_revision(both, draft, 1, expected_revision=2).draft
    draft = submit_as(editor, draft)
    refused(both, draft, EDITED_SINCE)


@pytest.mark.usefixtures("demo_journeys")
def test_whoever_resolves_a_merge_wrote_its_result_even_when_it_changed_nothing(
    editor, both, approver, sim_connection, simulator
):
    draft = edited(editor, import_demo(editor, sim_connection), rename("Renamed in SFMC"))
    simulator.control(
        "POST", "remote-edit", {"key": WELCOME, "action": "rename", "name": "Renamed in SFMC"}
    )
    session = start_update(both, draft)
    resolution = resolve_merge(both, session, {})
    assert not resolution.changed  # SFMC made the same change: no new revision, edna's stays
    draft = submit_as(editor, resolution.draft)
    assert draft.revisions.get(number=draft.revision_number).author == editor
    refused(both, draft, WROTE_PART)
    approves(approver, draft)


@pytest.mark.usefixtures("demo_journeys")
def test_pushed_content_is_settled_and_only_later_revisions_count(editor, approver, sim_connection):
    writer = UserFactory(username="wendy", roles=["Editors", "Approvers"])
    draft = approved_now(
        writer, approver, edited(writer, import_demo(writer, sim_connection), rename("Spring"))
    )
    attempt = push.request_push(approver, draft)
    push.run_push(attempt.pk)
    assert PushAttempt.objects.get(pk=attempt.pk).state == PushAttempt.State.SUCCEEDED
    draft = submit_as(editor, edited(editor, Draft.objects.get(pk=draft.pk), rename("Summer")))
    approves(writer, draft)  # wendy's revisions are pushed; edna's rename is not hers


def test_the_check_costs_the_same_few_queries_however_long_the_history(editor, both, connection):
    def queries(draft):
        approve_refusal(both, draft)  # warm the per-request permission caches
        with CaptureQueriesContext(db_connection) as captured:
            assert approve_refusal(both, draft) == ""
        return len(captured)

    short = create_new_journey(editor, connection, "Short")
    long = create_new_journey(editor, connection, "Long")
    for _ in range(8):
        long = edit_as(editor, long)
    assert queries(short) == queries(long) <= 2
