"""Who resolves a merge, and how the merge screen speaks to them: errors numbered as the screen
numbers its conflicts; whoever may push the draft resolves it (four eyes still apply to what
they wrote); someone who may not gets the draft's editors told, and sees whom."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission
from django.core import mail
from django.urls import reverse

from journeys.models import AuditEvent, Draft, MergeSession
from journeys.notification_models import Notification
from journeys.roles import ROLE_PERMISSIONS
from journeys.services import review
from journeys.services.notifications import open_path
from tests.factories import UserFactory
from tests.test_push_service import approved_demo
from tests.test_push_views import conflicted, remote_edit


@pytest.fixture
def session(editor, approver, sim_connection, demo_journeys, simulator):
    """Edna's approved draft met SFMC's rename on its push: one conflict (the name)."""
    draft = approved_demo(editor, approver, sim_connection)
    remote_edit(simulator, "rename", name="Renamed in SFMC")
    return conflicted(editor, draft)


@pytest.fixture
def reviewer_only(db):
    """Rita approves but may neither edit nor push: she may not resolve a merge."""
    group = Group.objects.create(name="Reviewers without push")
    names = [p for p in ROLE_PERMISSIONS["Approvers"] if p != "push_draft"]
    group.permissions.set(Permission.objects.filter(codename__in=names))
    user = UserFactory(username="rita")
    user.groups.add(group)
    return user


def resolve_url(session):
    return reverse("journeys:merge-resolve", args=[session.pk])


def test_errors_are_numbered_as_the_screen_numbers_the_conflicts(client, editor, session):
    client.force_login(editor)
    missing = client.post(resolve_url(session), {}).content.decode()
    assert "<li>Conflict 1: Choose a value.</li>" in missing
    assert "Choice-0" not in missing and "Conflict 0" not in missing
    assert 'id="conflict-1-errors"><li>Conflict 1: Choose a value.</li>' in missing
    assert MergeSession.objects.get(pk=session.pk).state == MergeSession.State.OPEN


def test_an_approver_resolves_the_merge_and_four_eyes_still_hold(client, editor, approver, session):
    client.force_login(approver)
    page = client.get(reverse("journeys:merge", args=[session.pk])).content.decode()
    assert 'id="resolve-button"' in page and 'id="editors-told"' not in page
    client.post(resolve_url(session), {"choice-0": "theirs"})  # new content: review again
    resolved = MergeSession.objects.get(pk=session.pk)
    assert (resolved.state, resolved.resolved_by) == (MergeSession.State.RESOLVED, approver)
    draft = Draft.objects.get(pk=session.draft_id)
    assert draft.document["name"] == "Renamed in SFMC" and draft.state == Draft.State.EDITING
    assert draft.revisions.get(number=draft.revision_number).author == approver
    assert AuditEvent.objects.filter(action="merge.resolved", actor=approver).count() == 1
    draft = review.submit_for_review(
        editor, draft, expected_revision=draft.revision_number, message=""
    )
    with pytest.raises(review.ReviewRefused, match="someone else must approve it"):
        review.approve(approver, draft, expected_revision=draft.revision_number)
    assert not mail.outbox or all("Merge waiting" not in m.subject for m in mail.outbox)


def test_someone_who_may_not_resolve_has_the_editors_told_once(
    client, editor, reviewer_only, session, django_capture_on_commit_callbacks, settings
):
    client.force_login(reviewer_only)
    url = reverse("journeys:merge", args=[session.pk])
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        page = client.get(url).content.decode()
        again = client.get(url).content.decode()
    assert [m.to for m in mail.outbox] == [[editor.email]]  # once, however often it is opened
    message = mail.outbox[0]
    assert message.subject == "Merge waiting: Welcome series (spring)"
    assert "rita opened it" in message.body
    # The email's link marks the notice read on the way to the merge screen.
    to_merge = Notification.objects.filter(recipient=editor, url=url)
    assert any(f"{settings.SITE_URL}{open_path(n)}" in message.body for n in to_merge)
    told = page[page.index('id="editors-told"') :]
    assert "Its editors were told on" in told and "(when rita opened it): edna." in told
    assert "(when rita opened it): edna." in again
    assert 'id="resolve-button"' not in page
    event = AuditEvent.objects.get(action="merge.editors_told")
    assert (event.actor, event.details) == (reviewer_only, {"merge": session.pk, "told": ["edna"]})
    response = client.post(resolve_url(session), {"choice-0": "ours"})
    assert response.status_code == 403
    assert MergeSession.objects.get(pk=session.pk).state == MergeSession.State.OPEN
