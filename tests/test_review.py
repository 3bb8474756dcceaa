"""Review and approval: decisions bound to content, comments, comparisons, audit trail."""

from __future__ import annotations

import json
import re

import pytest
from django.core import mail
from django.urls import reverse

from journeys.models import Approval, AuditEvent, Comment, Draft
from journeys.services import review
from journeys.services.drafts import create_draft_from_upload, create_new_journey, save_revision
from journeys.services.editing import apply_edit, structural_edit
from journeys.services.remote import record_snapshot
from tests.factories import ConnectionFactory, UserFactory


@pytest.fixture
def connection(db):
    return ConnectionFactory()


@pytest.fixture
def draft(editor, connection):
    draft = create_new_journey(editor, connection, "Welcome")
    result = apply_edit(
        editor, draft, structural_edit("insert", {"type_id": "WAITBYDURATION"}), expected_revision=1
    )
    return result.draft


def submitted(editor, draft):
    return review.submit_for_review(
        editor, draft, expected_revision=draft.revision_number, message="please"
    )


def test_submit_notifies_approvers_and_records_the_event(
    editor, approver, draft, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        draft = submitted(editor, draft)
    assert draft.state == Draft.State.IN_REVIEW
    assert [m.to for m in mail.outbox] == [[approver.email]]
    assert "Review requested: Welcome" in mail.outbox[0].subject
    assert AuditEvent.objects.filter(action="draft.submitted", draft=draft).count() == 1


def test_approval_binds_the_exact_content_hash_and_notifies_the_author(
    editor, approver, draft, django_capture_on_commit_callbacks
):
    draft = submitted(editor, draft)
    with django_capture_on_commit_callbacks(execute=True):
        approval = review.approve(approver, draft, expected_revision=draft.revision_number)
    draft.refresh_from_db()
    assert draft.state == Draft.State.APPROVED
    assert approval.content_hash == draft.content_hash
    assert approval.revision.number == draft.revision_number
    assert review.valid_approval(draft) == approval
    assert mail.outbox[-1].to == [editor.email]


def test_any_edit_after_approval_voids_it(editor, approver, draft):
    draft = review.approve(approver, submitted(editor, draft), expected_revision=2).draft
    draft = save_revision(
        editor, draft, {**draft.document, "name": "Changed"}, expected_revision=2, summary="x"
    )
    assert draft.state == Draft.State.EDITING
    assert review.valid_approval(draft) is None
    assert AuditEvent.objects.filter(action="approval.voided").count() == 1


def test_an_edit_withdraws_a_submission(editor, draft):
    draft = submitted(editor, draft)
    draft = save_revision(
        editor, draft, {**draft.document, "name": "Changed"}, expected_revision=2, summary="x"
    )
    assert draft.state == Draft.State.EDITING
    assert AuditEvent.objects.filter(action="draft.withdrawn").count() == 1


def test_approving_a_revision_other_than_the_one_seen_is_refused(editor, approver, draft):
    draft = submitted(editor, draft)
    with pytest.raises(review.ReviewRefused, match="changed while you were looking"):
        review.approve(approver, draft, expected_revision=1)
    assert not Approval.objects.exists()


def test_request_changes_needs_a_comment_and_returns_the_draft(editor, approver, draft):
    draft = submitted(editor, draft)
    with pytest.raises(review.ReviewRefused, match="comment is required"):
        review.request_changes(approver, draft, expected_revision=2, comment="  ")
    review.request_changes(approver, draft, expected_revision=2, comment="Wait longer")
    draft.refresh_from_db()
    assert draft.state == Draft.State.CHANGES_REQUESTED
    assert Approval.objects.get().decision == Approval.Decision.CHANGES_REQUESTED


def test_an_approver_may_not_approve_their_own_draft(approver, connection):
    approver.groups.add(*UserFactory(username="both", roles=["Editors"]).groups.all())
    own = create_new_journey(approver, connection, "Mine")
    own = review.submit_for_review(approver, own, expected_revision=1, message="")
    with pytest.raises(review.ReviewRefused, match="someone else must approve it"):
        review.approve(approver, own, expected_revision=1)
    assert not Approval.objects.exists()
    assert Draft.objects.get(pk=own.pk).state == Draft.State.IN_REVIEW


def test_comments_pin_to_activities_reply_in_threads_and_resolve(editor, approver, draft):
    thread = review.add_comment(approver, draft, "Too short?", activity_key="WAITBYDURATION-1")
    reply = review.add_comment(editor, draft, "Fixed", parent=thread)
    reply_to_reply = review.add_comment(approver, draft, "Thanks", parent=reply)
    assert reply.activity_key == reply_to_reply.activity_key == "WAITBYDURATION-1"
    assert reply_to_reply.parent == thread
    review.set_comment_resolved(editor, reply, True)
    thread.refresh_from_db()
    assert thread.resolved and thread.resolved_by == editor
    review.set_comment_resolved(editor, thread, False)
    thread.refresh_from_db()
    assert not thread.resolved


def test_pinned_comments_stay_attached_across_revisions_and_show_on_the_canvas(
    client, editor, approver, draft
):
    review.add_comment(approver, draft, "Check this", activity_key="WAITBYDURATION-1")
    apply_edit(
        editor,
        draft,
        structural_edit("insert", {"type_id": "EMAILV2", "after": "WAITBYDURATION-1"}),
        expected_revision=2,
    )
    client.force_login(approver)
    page = client.get(reverse("journeys:draft-review", args=[draft.pk]))
    assert b"1 open comment" in page.content
    name = next(a["name"] for a in draft.document["activities"] if a["key"] == "WAITBYDURATION-1")
    pin = f'<span class="activity-name" title="WAITBYDURATION-1">{name}</span>'
    assert f'on <a href="?on=WAITBYDURATION-1#comments">{pin}</a>'.encode() in page.content


def test_review_screen_marks_added_changed_and_removed_activities(
    client, editor, approver, connection, real_fixtures_dir
):
    raw = (real_fixtures_dir / "01-mcdev-api-multistep-decision-email-waits.json").read_text()
    document = json.loads(raw)
    from journeys.models import Journey, RemoteSnapshot

    journey = Journey.objects.create(connection=connection, key=document["key"], name="x")
    RemoteSnapshot.objects.create(
        journey=journey,
        version=1,
        modified_date=document["modifiedDate"],
        status="Draft",
        document=document,
        content_hash="x",
    )
    draft = create_draft_from_upload(editor, connection, raw.encode()).draft
    wait = next(a for a in draft.document["activities"] if a["type"] == "WAIT")
    leaf = next(
        a["key"]
        for a in document["activities"]
        if not any(o.get("next") for o in a["outcomes"]) and a["key"] != wait["key"]
    )
    edited = apply_edit(
        editor, draft, structural_edit("delete", {"key": leaf}), expected_revision=1
    ).draft
    doc = json.loads(json.dumps(edited.document))
    changed = next(a for a in doc["activities"] if a["type"] == "WAIT")
    changed["configurationArguments"]["waitDuration"] = 9
    save_revision(editor, edited, doc, expected_revision=2, summary="longer wait")
    client.force_login(approver)
    page = client.get(reverse("journeys:draft-review", args=[draft.pk])).content.decode()
    marks = {
        key: mark
        for mark, key in re.findall(
            r'class="node [^"]*mark-(\w+)[^"]*"\s+href="\?on=([^"#]+)', page
        )
    }
    assert marks.get(changed["key"]) == "changed"
    assert marks.get(leaf) == "removed"
    assert "(removed)" in page and "(changed)" in page


def test_compare_any_two_revisions_shows_the_plain_language_diff(client, editor, draft):
    client.force_login(editor)
    page = client.get(
        reverse("journeys:draft-compare", args=[draft.pk]), {"a": "rev:1", "b": "rev:2"}
    )
    assert page.status_code == 200
    assert b"Revision 1" in page.content and b"Revision 2" in page.content
    assert b"mark-added" in page.content
    assert b"(added)" in page.content


def test_identical_revisions_compare_as_no_change(client, editor, draft):
    client.force_login(editor)
    page = client.get(
        reverse("journeys:draft-compare", args=[draft.pk]), {"a": "rev:2", "b": "current"}
    )
    assert b"No changes: the content is identical." in page.content


def test_compare_lists_each_version_once(client, editor, draft):
    """SFMC's version fetched again (drift checks, pushes) and the current revision, listed once."""
    fetched = {**draft.document, "version": 1, "modifiedDate": "2024-05-01T10:00:00"}
    base = record_snapshot(draft.journey, fetched)
    record_snapshot(draft.journey, fetched)  # the same version, checked again
    record_snapshot(draft.journey, {**fetched, "version": 2, "modifiedDate": "2024-06-01T10:00:00"})
    Draft.objects.filter(pk=draft.pk).update(base_snapshot=base)
    client.force_login(editor)
    page = client.get(reverse("journeys:draft-compare", args=[draft.pk])).content.decode()

    select = page[page.index('<select id="id_a"') : page.index("</select>")]
    labels = re.findall(r"<option [^>]*>([^<]*)</option>", select)
    assert labels == [
        "Revision 2 (current)",
        "SFMC version 1 (base)",
        "SFMC version 2 (2024-06-01T10:00:00)",
        "Revision 1: New journey",
    ]
    assert 'value="base" selected' in select


def test_review_queue_lists_waiting_drafts_oldest_first_with_their_size(
    client, editor, approver, connection
):
    first = create_new_journey(editor, connection, "First")
    second = create_new_journey(editor, connection, "Second")
    review.submit_for_review(editor, second, expected_revision=1, message="")
    review.submit_for_review(editor, first, expected_revision=1, message="")
    client.force_login(approver)
    page = client.get(reverse("journeys:review-queue")).content.decode()
    assert page.index("Second") < page.index("First")
    assert "change" in page


def test_audit_trail_lists_every_state_change_with_revision_and_hash(
    client, editor, approver, draft
):
    draft = submitted(editor, draft)
    review.approve(approver, draft, expected_revision=2)
    client.force_login(editor)
    page = client.get(reverse("journeys:journey-audit", args=[draft.journey.pk])).content.decode()
    for action in ("draft.created", "draft.edited", "draft.submitted", "draft.approved"):
        assert action in page
    assert draft.content_hash[:12] in page


def test_decision_views_post_through_forms_and_refuse_a_missing_comment(
    client, editor, approver, draft
):
    draft = submitted(editor, draft)
    client.force_login(approver)
    url = reverse("journeys:draft-decide", args=[draft.pk])
    response = client.post(url, {"revision": 2, "decision": "changes", "comment": ""}, follow=True)
    assert b"a comment is required" in response.content
    draft.refresh_from_db()
    assert draft.state == Draft.State.IN_REVIEW
    client.post(url, {"revision": 2, "decision": "approve", "comment": "ok"})
    draft.refresh_from_db()
    assert draft.state == Draft.State.APPROVED


# The permission matrix: every role against every review and editing action, via the views.
# Each action says what it changes, and the test checks that change happened exactly for the
# roles allowed to do it: a view that answers as expected but does nothing (or does it for the
# wrong person) fails here, not only one that answers with the wrong status.
ROLES = ["anonymous", "editor", "approver", "admin", "outsider"]


def _user(role, editor, approver, admin_user):
    return {
        "anonymous": None,
        "editor": editor,
        "approver": approver,
        "admin": admin_user,
        "outsider": UserFactory(username="outsider"),
    }[role]


def _revision(draft):
    return Draft.objects.get(pk=draft.pk).revision_number


def _state(draft):
    return Draft.objects.get(pk=draft.pk).state


ACTIONS = {
    # name: (method, url name, draft state, data factory, {role: expected status},
    #        what the action changed, read after it: the same value means it did nothing)
    "view editor": (
        "get",
        "journeys:draft",
        Draft.State.EDITING,
        None,
        {"anonymous": 302, "editor": 200, "approver": 200, "admin": 200, "outsider": 403},
        _revision,
    ),
    "edit canvas": (
        "post",
        "journeys:draft-edit",
        Draft.State.EDITING,
        lambda d: {"op": "insert", "type_id": "EMAILV2", "revision": d.revision_number},
        {"anonymous": 302, "editor": 302, "approver": 403, "admin": 302, "outsider": 403},
        _revision,
    ),
    "view review": (
        "get",
        "journeys:draft-review",
        Draft.State.EDITING,
        None,
        {"anonymous": 302, "editor": 200, "approver": 200, "admin": 200, "outsider": 403},
        _revision,
    ),
    "submit": (
        "post",
        "journeys:draft-submit",
        Draft.State.EDITING,
        lambda d: {"revision": d.revision_number},
        {"anonymous": 302, "editor": 302, "approver": 403, "admin": 302, "outsider": 403},
        _state,
    ),
    "approve": (
        "post",
        "journeys:draft-decide",
        Draft.State.IN_REVIEW,
        lambda d: {"revision": d.revision_number, "decision": "approve"},
        {"anonymous": 302, "editor": 403, "approver": 302, "admin": 302, "outsider": 403},
        lambda d: (_state(d), list(Approval.objects.values_list("decision", "reviewer"))),
    ),
    "request changes": (
        "post",
        "journeys:draft-decide",
        Draft.State.IN_REVIEW,
        lambda d: {"revision": d.revision_number, "decision": "changes", "comment": "Why?"},
        {"anonymous": 302, "editor": 403, "approver": 302, "admin": 302, "outsider": 403},
        lambda d: (_state(d), list(Approval.objects.values_list("decision", "reviewer"))),
    ),
    "comment": (
        "post",
        "journeys:comment-add",
        Draft.State.EDITING,
        lambda d: {"body": "hi"},
        {"anonymous": 302, "editor": 302, "approver": 302, "admin": 302, "outsider": 403},
        lambda d: list(Comment.objects.values_list("body", "author")),
    ),
    "download": (
        "get",
        "journeys:draft-download",
        Draft.State.EDITING,
        None,
        {"anonymous": 302, "editor": 200, "approver": 200, "admin": 200, "outsider": 403},
        _revision,
    ),
}
# What each action leaves behind when the role is allowed to do it (user is the actor's pk).
EFFECTS = {
    "edit canvas": lambda draft, user: draft.revision_number + 1,
    "submit": lambda draft, user: Draft.State.IN_REVIEW,
    "approve": lambda draft, user: (Draft.State.APPROVED, [("approved", user)]),
    "request changes": lambda draft, user: (
        Draft.State.CHANGES_REQUESTED,
        [("changes_requested", user)],
    ),
    "comment": lambda draft, user: [("hi", user)],
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", list(ACTIONS))
def test_permission_matrix(client, editor, approver, admin_user, connection, role, action):
    author = UserFactory(username="author", roles=["Editors"])
    draft = create_new_journey(author, connection, "Matrix")
    method, url_name, state, data, expected, observe = ACTIONS[action]
    if state == Draft.State.IN_REVIEW:
        draft = review.submit_for_review(author, draft, expected_revision=1, message="")
    user = _user(role, editor, approver, admin_user)
    if user is not None:
        client.force_login(user)
    before = observe(draft)
    url = reverse(url_name, args=[draft.pk])
    response = getattr(client, method)(url, data(draft) if data else None)
    assert response.status_code == expected[role], (role, action, response.status_code)
    allowed = method == "post" and user is not None and expected[role] != 403
    after = observe(draft)
    if allowed:
        assert after == EFFECTS[action](draft, user.pk), (role, action, "did not happen")
    else:
        assert after == before, (role, action, "changed the draft though refused")
    if not allowed and method == "post":
        assert _revision(draft) == draft.revision_number
        assert not Comment.objects.exists() and not Approval.objects.exists()


def test_open_comments_show_as_markers_on_the_editor_canvas(client, editor, approver, draft):
    review.add_comment(approver, draft, "Why 1 day?", activity_key="WAITBYDURATION-1")
    resolved = review.add_comment(approver, draft, "Old", activity_key="WAITBYDURATION-1")
    review.set_comment_resolved(approver, resolved, True)
    client.force_login(editor)
    page = client.get(reverse("journeys:draft", args=[draft.pk])).content.decode()
    assert page.count('class="comment-dot"') == 1
    assert "1 open comment<" in page


def test_change_lines_name_activities_with_their_keys_on_hover(client, editor, draft):
    apply_edit(
        editor,
        draft,
        structural_edit("insert", {"type_id": "EMAILV2", "after": "WAITBYDURATION-1"}),
        expected_revision=2,
    )
    client.force_login(editor)
    page = client.get(
        reverse("journeys:draft-compare", args=[draft.pk]), {"a": "rev:2", "b": "rev:3"}
    ).content.decode()
    wait = "Wait by Duration &#x27;Wait 1 day&#x27;"
    wait = f'<span class="activity-name" title="WAITBYDURATION-1">{wait}</span>'
    email = '<span class="activity-name" title="EMAILV2-1">Email 1</span>'
    assert f"<li>{wait} now goes to &#x27;{email}&#x27; (was the end of the path)</li>" in page
    added = '<span class="activity-name" title="EMAILV2-1">Email &#x27;Email 1&#x27;</span>'
    assert f"<li>{added} added</li>" in page
    assert "(EMAILV2-1)" not in page and "goes to EMAILV2-1" not in page
