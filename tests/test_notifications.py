"""Notifications: each state change tells the right people, by name, in their inbox (unread count
in the top bar, newest first, an absolute link to the page to open) and by email unless they
chose the app only; nobody sees anyone else's. The flows go through the views; the push's and
the publish's outcomes through their runs (tests/test_push_worker.py: through a real worker)."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Group, Permission
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from journeys.models import Draft, MergeSession, Notification, NotificationPreference
from journeys.roles import ROLE_PERMISSIONS
from journeys.services import publish, push, review
from journeys.services.drafts import create_new_journey, save_revision
from journeys.services.editing import apply_edit, structural_edit
from tests.factories import ConnectionFactory, UserFactory
from tests.test_publish import pushed, run_publish_until_final, without_event_key
from tests.test_push_service import (
    approved_demo,
    approved_now,
    edited,
    import_demo,
    run_until_final,
)
from tests.test_push_views import conflicted, remote_edit

SITE = "https://journeys.example.com"
HTMX = {"HX-Request": "true"}
Kind = Notification.Kind


@pytest.fixture(autouse=True)
def site_url(settings):
    settings.SITE_URL = SITE


@pytest.fixture
def people(editor, approver):
    """Edna Editor writes, Arlo Approver reviews: people are named, not by their keys."""
    for user, first, last in ((editor, "Edna", "Editor"), (approver, "Arlo", "Approver")):
        user.first_name, user.last_name = first, last
        user.save()
    return editor, approver


@pytest.fixture
def connection(db):
    return ConnectionFactory()


@pytest.fixture
def draft(people, connection):
    """Edna's 'Welcome' with one wait (revision 2)."""
    editor, _ = people
    draft = create_new_journey(editor, connection, "Welcome")
    insert = structural_edit("insert", {"type_id": "WAITBYDURATION"})
    return apply_edit(editor, draft, insert, expected_revision=1).draft


def submitted(editor, draft):
    return review.submit_for_review(
        editor, draft, expected_revision=draft.revision_number, message=""
    )


def told(user, kind=None):
    rows = Notification.objects.filter(recipient=user)
    return list(rows.filter(kind=kind) if kind else rows)


def mails_to(user):
    return [m for m in mail.outbox if m.to == [user.email]]


def as_user(user):
    client = Client()
    client.force_login(user)
    return client


def open_path(notification):
    return reverse("journeys:notification-open", args=[notification.pk])


def emailed_link(email):
    """The path of the one link of this site in a mail's text, besides the settings'."""
    settings_path = reverse("journeys:notification-settings")
    [path] = [p for p in re.findall(rf"{re.escape(SITE)}(\S+)", email.body) if p != settings_path]
    return path


def opens(user, notification):
    """The recipient follows the link: the page answers."""
    assert notification.absolute_url == f"{SITE}{notification.url}"
    return as_user(user).get(notification.url).status_code == 200


# each flow tells the right people


def test_submitting_tells_the_connection_s_approvers_by_name_with_a_link(
    people, draft, connection, django_capture_on_commit_callbacks
):
    editor, approver = people
    outsider = UserFactory(username="olga", roles=["Approvers"])
    connection.allowed_groups.add(Group.objects.create(name="Northwind team"))
    for user in people:
        user.groups.add(*connection.allowed_groups.all())
    url = reverse("journeys:draft-submit", args=[draft.pk])

    with django_capture_on_commit_callbacks(execute=True):
        as_user(editor).post(url, {"revision": 2, "message": "Ready for launch"})

    [notification] = told(approver)
    assert notification.kind == Kind.REVIEW_REQUESTED and notification.draft_id == draft.pk
    assert notification.text == "Edna Editor asks you to review 'Welcome': Ready for launch"
    assert notification.url == reverse("journeys:draft-review", args=[draft.pk])
    assert opens(approver, notification)
    [email] = mails_to(approver)
    assert email.subject == "Review requested: Welcome"
    assert f"{SITE}{open_path(notification)}" in email.body and "Edna Editor asks" in email.body
    assert f"{SITE}{reverse('journeys:notification-settings')}" in email.body
    assert not told(editor) and not told(outsider)  # not herself; not who may not see it
    assert len(mail.outbox) == 1


def test_a_decision_tells_the_author_with_the_approver_s_comment(
    people, draft, django_capture_on_commit_callbacks
):
    editor, approver = people
    draft = submitted(editor, draft)
    url = reverse("journeys:draft-decide", args=[draft.pk])
    posted = {"revision": 2, "decision": "changes", "comment": "Wait 3 days, not 1"}

    with django_capture_on_commit_callbacks(execute=True):
        as_user(approver).post(url, posted)

    [notification] = told(editor)
    assert notification.kind == Kind.DECIDED
    assert notification.text == "Arlo Approver requested changes on 'Welcome': Wait 3 days, not 1"
    assert opens(editor, notification)
    [email] = mails_to(editor)
    assert email.subject == "Welcome: changes requested"
    assert f"{SITE}{open_path(notification)}" in email.body
    assert not told(approver, Kind.DECIDED)


def test_a_comment_tells_the_author_and_a_reply_tells_the_thread(
    people, draft, django_capture_on_commit_callbacks
):
    editor, approver = people
    document = draft.document
    wait = {**document["activities"][0], "name": "Wait 1 day"}
    document = {**document, "activities": [wait, *document["activities"][1:]]}
    draft = save_revision(editor, draft, document, expected_revision=2, summary="Named the wait")
    url = reverse("journeys:comment-add", args=[draft.pk])
    with django_capture_on_commit_callbacks(execute=True):
        as_user(approver).post(url, {"body": "Too short?", "activity_key": wait["key"]})

    [to_author] = told(editor)
    assert to_author.kind == Kind.COMMENT
    assert (
        to_author.text == f"Arlo Approver commented on 'Welcome' (on '{wait['name']}'): Too short?"
    )
    thread = draft.comments.get()
    assert to_author.url.endswith(f"#comment-{thread.pk}") and opens(editor, to_author)
    assert [m.subject for m in mails_to(editor)] == ["Comment on Welcome"]

    with django_capture_on_commit_callbacks(execute=True):
        as_user(editor).post(url, {"body": "Fixed it", "parent": thread.pk})

    [to_reviewer] = told(approver)
    assert to_reviewer.text == f"Edna Editor replied on 'Welcome' (on '{wait['name']}'): Fixed it"
    assert len(told(editor)) == 1  # not of her own reply


def test_an_edit_after_approval_tells_the_approver_their_approval_no_longer_holds(
    people, draft, django_capture_on_commit_callbacks
):
    editor, approver = people
    review.approve(approver, submitted(editor, draft), expected_revision=2)
    draft = Draft.objects.get(pk=draft.pk)
    with django_capture_on_commit_callbacks(execute=True):
        save_revision(
            editor, draft, {**draft.document, "name": "Hi"}, expected_revision=2, summary="Renamed"
        )

    [notification] = told(approver, Kind.APPROVAL_VOIDED)
    assert notification.text == (
        "Edna Editor changed 'Welcome' after you approved it (Renamed): your approval no "
        "longer holds and the draft needs review again."
    )
    assert opens(approver, notification)
    assert [m.subject for m in mails_to(approver)][-1] == "Approval voided: Welcome"


# how each is told


def test_in_app_only_keeps_the_inbox_and_sends_no_email(
    people, draft, django_capture_on_commit_callbacks
):
    editor, approver = people
    page = as_user(approver).get(reverse("journeys:notification-settings")).content.decode()
    assert 'value="email" checked' in page.replace("\n", " ") or "checked" in page
    response = as_user(approver).post(
        reverse("journeys:notification-settings"), {"delivery": "in_app"}
    )
    assert response.status_code == 302
    assert NotificationPreference.objects.get(user=approver).delivery == "in_app"

    with django_capture_on_commit_callbacks(execute=True):
        submitted(editor, draft)

    [notification] = told(approver)
    assert not notification.emailed and mail.outbox == []


def test_a_wrong_choice_of_delivery_is_a_form_error_not_a_change(people):
    _, approver = people
    url = reverse("journeys:notification-settings")
    response = as_user(approver).post(url, {"delivery": "pigeon"})
    assert response.status_code == 400 and "Select a valid choice" in response.content.decode()
    assert not NotificationPreference.objects.exists()


def test_someone_without_an_email_address_is_told_in_the_app(people, draft):
    editor, approver = people
    approver.email = ""
    approver.save()
    submitted(editor, draft)
    assert [n.emailed for n in told(approver)] == [False]


# the inbox


def test_the_top_bar_counts_my_unread_notifications_on_every_page(people, draft):
    editor, approver = people
    client = as_user(approver)
    assert 'class="unread-count"' not in client.get(reverse("journeys:home")).content.decode()
    submitted(editor, draft)
    for url in (reverse("journeys:home"), reverse("journeys:review-queue")):
        bar = client.get(url).content.decode()
        assert re.search(r'id="unread-count">\s*<span class="unread-count">1</span>', bar)


def test_the_inbox_lists_mine_newest_first_and_opening_one_reads_it(people, draft):
    editor, approver = people
    draft = submitted(editor, draft)
    review.add_comment(approver, draft, "Looks good")
    review.approve(approver, draft, expected_revision=2)
    client = as_user(editor)

    page = client.get(reverse("journeys:notifications")).content.decode()
    approved, commented = told(editor)
    assert page.index(escape(approved.text)) < page.index(escape(commented.text))  # newest first
    assert f'title="{SITE}{approved.url}"' in page and "2 unread" in page

    response = client.post(reverse("journeys:notification-open", args=[approved.pk]))
    assert response.status_code == 302 and response["Location"] == approved.url
    approved.refresh_from_db()
    assert approved.read_at is not None
    page = client.get(reverse("journeys:notifications")).content.decode()
    assert f'<a href="{SITE}{approved.url}">' in page and "1 unread" in page


def test_following_the_email_link_marks_it_read_and_opens_its_page(
    people, draft, django_capture_on_commit_callbacks
):
    editor, approver = people
    with django_capture_on_commit_callbacks(execute=True):
        submitted(editor, draft)
    [notification] = told(approver)
    [email] = mails_to(approver)
    link = emailed_link(email)
    assert link == open_path(notification)
    client = as_user(approver)
    assert "1 unread" in client.get(reverse("journeys:notifications")).content.decode()

    response = client.get(link)

    assert response.status_code == 302 and response["Location"] == notification.url
    notification.refresh_from_db()
    first_read = notification.read_at
    assert first_read is not None
    assert client.get(response["Location"]).status_code == 200  # the review page
    inbox = client.get(reverse("journeys:notifications")).content.decode()
    assert "1 unread" not in inbox and 'class="unread-count"' not in inbox
    again = client.get(link)  # following it twice changes nothing more
    notification.refresh_from_db()
    assert again["Location"] == notification.url and notification.read_at == first_read


def test_each_recipient_s_mail_links_to_their_own_notification(
    people, draft, connection, django_capture_on_commit_callbacks
):
    editor, approver = people
    second = UserFactory(username="bea", email="bea@example.com", roles=["Approvers"])
    with django_capture_on_commit_callbacks(execute=True):
        submitted(editor, draft)
    for user in (approver, second):
        [notification] = told(user)
        [email] = mails_to(user)
        assert emailed_link(email) == open_path(notification)


def test_an_email_link_followed_before_logging_in_asks_for_the_login_and_reads_nothing(
    people, draft
):
    editor, approver = people
    submitted(editor, draft)
    [notification] = told(approver)

    response = Client().get(open_path(notification))

    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    notification.refresh_from_db()
    assert notification.read_at is None


def test_someone_else_s_email_link_is_not_found_and_reads_nothing(people, draft):
    editor, approver = people
    submitted(editor, draft)
    [notification] = told(approver)

    response = as_user(editor).get(open_path(notification))

    assert response.status_code == 404
    assert escape(notification.text) not in response.content.decode()
    notification.refresh_from_db()
    assert notification.read_at is None


def test_a_stored_link_off_this_site_opens_the_inbox_instead(people, draft):
    editor, approver = people
    submitted(editor, draft)
    [notification] = told(approver)
    Notification.objects.filter(pk=notification.pk).update(url="//elsewhere.example/x")

    response = as_user(approver).get(open_path(notification))

    assert response["Location"] == reverse("journeys:notifications")


def test_mark_all_read_with_htmx_updates_the_list_and_the_top_bar(people, draft):
    editor, approver = people
    submitted(editor, draft)
    response = as_user(approver).post(reverse("journeys:notifications-read-all"), headers=HTMX)
    html = response.content.decode()
    assert response.status_code == 200 and 'id="inbox"' in html
    assert '<span id="unread-count" hx-swap-oob="true"></span>' in html
    assert "<html" not in html and not Notification.objects.filter(read_at=None).exists()


def test_someone_else_s_notification_is_not_found(people, draft):
    editor, approver = people
    submitted(editor, draft)
    [notification] = told(approver)
    response = as_user(editor).post(reverse("journeys:notification-open", args=[notification.pk]))
    assert response.status_code == 404
    assert editor_page_lacks(editor, escape(notification.text))
    notification.refresh_from_db()
    assert notification.read_at is None


def editor_page_lacks(user, text):
    return text not in as_user(user).get(reverse("journeys:notifications")).content.decode()


def test_every_write_needs_the_csrf_token(people, draft):
    editor, approver = people
    submitted(editor, draft)
    [notification] = told(approver)
    client = Client(enforce_csrf_checks=True)
    client.force_login(approver)
    for url, data in (
        (reverse("journeys:notification-open", args=[notification.pk]), {}),
        (reverse("journeys:notifications-read-all"), {}),
        (reverse("journeys:notification-settings"), {"delivery": "in_app"}),
    ):
        assert client.post(url, data).status_code == 403
    notification.refresh_from_db()
    assert notification.read_at is None and not NotificationPreference.objects.exists()


def test_the_admin_shows_notifications_read_only(admin_user, people, draft):
    editor, approver = people
    submitted(editor, draft)
    [notification] = told(approver)
    client = as_user(admin_user)
    change = client.get(reverse("admin:journeys_notification_change", args=[notification.pk]))
    assert change.status_code == 200 and escape(notification.text) in change.content.decode()
    assert 'name="_save"' not in change.content.decode()
    assert client.get(reverse("admin:journeys_notification_add")).status_code == 403


# the push's and the publish's outcomes, and a merge that waits


@pytest.fixture
def pushing(people, sim_connection, demo_journeys):
    """Edna's approved welcome series; Arlo pushes it."""
    editor, approver = people
    return approved_demo(editor, approver, sim_connection)


def test_a_push_that_succeeds_tells_the_author_and_who_pushed(
    pushing, people, django_capture_on_commit_callbacks
):
    editor, approver = people
    with django_capture_on_commit_callbacks(execute=True):
        attempt = push.request_push(approver, pushing)
        run_until_final(attempt)

    for user in people:
        [notification] = told(user, Kind.PUSH_SUCCEEDED)
        assert notification.text == (
            f"The push of 'Welcome series (spring)' by Arlo Approver reached SFMC: it is "
            f"version {attempt.remote_version_after} there."
        )
        assert notification.url == reverse("journeys:push-status", args=[attempt.pk])
        assert opens(user, notification)
        assert [m.subject for m in mails_to(user)][-1] == "Push succeeded: Welcome series (spring)"


def test_a_push_that_fails_tells_why(
    pushing, people, sim_connection, django_capture_on_commit_callbacks
):
    editor, approver = people
    sim_connection.set_client_secret("wrong-secret")
    sim_connection.save()
    with django_capture_on_commit_callbacks(execute=True):
        attempt = push.request_push(editor, pushing)
        run_until_final(attempt)

    assert attempt.state == "failed"
    [notification] = told(editor, Kind.PUSH_FAILED)
    assert notification.text.startswith(
        "The push of 'Welcome series (spring)' by Edna Editor failed: SFMC did not accept"
    )
    assert opens(editor, notification)
    assert mails_to(editor)[-1].subject == "Push failed: Welcome series (spring)"
    assert told(approver, Kind.PUSH_FAILED) == []  # neither pushed by him nor his draft


def test_a_conflict_tells_who_pushed_and_a_merge_waits_for_the_other_editors(
    pushing, people, simulator, django_capture_on_commit_callbacks
):
    editor, approver = people
    colleague = UserFactory(username="cora", first_name="Cora", roles=["Editors"])
    draft = Draft.objects.get(pk=pushing.pk)
    review.add_comment(colleague, draft, "nice")  # she follows it, but wrote nothing
    remote_edit(simulator, "rename", name="Renamed in SFMC")
    with django_capture_on_commit_callbacks(execute=True):
        session = conflicted(approver, draft)

    for user in people:
        [notification] = told(user, Kind.PUSH_CONFLICT)
        assert notification.url == reverse("journeys:merge", args=[session.pk])
        assert "by Arlo Approver met changes made in SFMC meanwhile" in notification.text
        assert opens(user, notification)
    assert told(colleague, Kind.MERGE_WAITING) == []  # wrote no revision of it
    assert session.state == MergeSession.State.OPEN


def test_a_merge_met_by_someone_who_may_not_resolve_it_waits_for_the_editors(
    pushing, people, simulator, django_capture_on_commit_callbacks
):
    editor, _ = people
    remote_edit(simulator, "rename", name="Renamed in SFMC")
    session = conflicted(editor, pushing)
    reviewers = Group.objects.create(name="Reviewers without push")
    names = [p for p in ROLE_PERMISSIONS["Approvers"] if p != "push_draft"]
    reviewers.permissions.set(Permission.objects.filter(codename__in=names))
    viewer = UserFactory(username="vic", first_name="Vic")
    viewer.groups.add(reviewers)
    Notification.objects.all().delete()

    with django_capture_on_commit_callbacks(execute=True):
        as_user(viewer).get(reverse("journeys:merge", args=[session.pk]))

    [notification] = told(editor, Kind.MERGE_WAITING)
    assert "needs a merge (Vic opened it but may not resolve it)" in notification.text
    assert opens(editor, notification)
    assert mails_to(editor)[-1].subject == "Merge waiting: Welcome series (spring)"
    assert told(viewer) == []


def test_a_publish_that_finishes_or_fails_tells_the_author_and_who_asked(
    people, sim_connection, demo_journeys, simulator, django_capture_on_commit_callbacks
):
    editor, approver = people
    simulator.configure(publish_delay=0)
    draft = pushed(editor, approver, sim_connection)
    with django_capture_on_commit_callbacks(execute=True):
        request = run_publish_until_final(publish.request_publish(approver, draft))

    assert request.state == "succeeded"
    for user in people:
        [notification] = told(user, Kind.PUBLISH_SUCCEEDED)
        assert notification.text == (
            f"The publish of 'Welcome series (spring)' (SFMC version {request.version}) by "
            f"Arlo Approver finished with {len(request.warnings)} warning(s): the version is "
            "published."
        )
        assert notification.url == reverse("journeys:publish-status", args=[request.pk])
        assert opens(user, notification)
        assert mails_to(user)[-1].subject == "Publish finished: Welcome series (spring)"


def test_a_publish_that_fails_tells_why(
    people, sim_connection, demo_journeys, simulator, django_capture_on_commit_callbacks
):
    editor, approver = people
    simulator.configure(publish_delay=0)
    draft = import_demo(editor, sim_connection)
    draft = approved_now(editor, approver, edited(editor, draft, without_event_key))
    draft = pushed(editor, approver, sim_connection, draft)
    with django_capture_on_commit_callbacks(execute=True):
        request = run_publish_until_final(publish.request_publish(approver, draft))

    assert request.state == "failed"
    for user in people:
        [notification] = told(user, Kind.PUBLISH_FAILED)
        failed = f"by Arlo Approver failed: SFMC could not publish version {request.version}: "
        assert failed in notification.text
        assert opens(user, notification)
