"""Push button, push status, drift banner and the merge screen, through Django's test client.

The remote is the simulator over real HTTP; runs of the push are called directly (the task's
body), since TestCase transactions never commit and so never enqueue.
"""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from journeys.models import AuditEvent, Draft, MergeSession, PushAttempt
from journeys.services import push
from tests.factories import UserFactory
from tests.test_push_service import (
    WELCOME,
    approved_demo,
    approved_now,
    edited,
    import_demo,
    remote_doc,
    rename,
)

State = PushAttempt.State
HTMX = {"HX-Request": "true"}


@pytest.fixture
def approved_draft(editor, approver, sim_connection, demo_journeys):
    return approved_demo(editor, approver, sim_connection)


@pytest.fixture
def as_editor(client, editor):
    client.force_login(editor)
    return client


def remote_edit(simulator, action, **params):
    return simulator.control("POST", "remote-edit", {"key": WELCOME, "action": action, **params})


def conflicted(editor, draft):
    attempt = push.request_push(editor, draft)
    assert push.run_push(attempt.pk).state == State.CONFLICT
    return MergeSession.objects.get(attempt=attempt, state=MergeSession.State.OPEN)


def editor_page(client, draft):
    return client.get(reverse("journeys:draft", args=[draft.pk])).content.decode()


# push button and status


def test_the_editor_bar_offers_push_for_an_approved_draft_only(as_editor, editor, approved_draft):
    assert 'id="push-button"' in editor_page(as_editor, approved_draft)
    draft = edited(editor, approved_draft, rename("edited again"))
    assert 'id="push-button"' not in editor_page(as_editor, draft)


def test_pushing_with_htmx_returns_the_polling_status(as_editor, approved_draft):
    response = as_editor.post(
        reverse("journeys:draft-push", args=[approved_draft.pk]), headers=HTMX
    )

    assert response.status_code == 200
    html = response.content.decode()
    attempt = PushAttempt.objects.get()
    assert 'id="push-actions"' in html and "Queued" in html
    assert 'hx-trigger="every 2s"' in html
    assert f'href="{reverse("journeys:push-status", args=[attempt.pk])}"' in html
    assert 'id="push-button"' not in html  # no second push while one is active


def validity(client, draft):
    page = editor_page(client, draft)
    return re.search(r'id="validity">\s*(.*?)\s*</p>', page, re.S)[1]


def test_ready_to_push_only_for_an_approved_draft_without_an_open_merge(
    as_editor, editor, approved_draft, simulator
):
    assert validity(as_editor, approved_draft) == "Ready to push"
    remote_edit(simulator, "rename", name="Renamed in SFMC")
    conflicted(editor, approved_draft)
    assert validity(as_editor, approved_draft) == "SFMC changed meanwhile: resolve the merge first"
    draft = edited(editor, approved_draft, rename("edited again"))
    assert validity(as_editor, draft) == "No errors; needs approval before a push"


def test_ready_to_push_is_not_said_while_a_push_is_under_way(
    as_editor, editor, approved_draft, simulator
):
    push.request_push(editor, approved_draft)
    assert validity(as_editor, approved_draft) == "Push under way"


def review_page(client, draft):
    return client.get(reverse("journeys:draft-review", args=[draft.pk])).content.decode()


def test_the_review_page_offers_push_once_approved_to_whoever_may_push(
    client, approver, editor, approved_draft
):
    other_editor = UserFactory(username="eve", roles=["Editors"])  # not the author: no push
    client.force_login(other_editor)
    assert 'id="push-button"' not in review_page(client, approved_draft)
    client.force_login(approver)
    page = review_page(client, approved_draft)
    assert 'id="push-button"' in page and '<input type="hidden" name="on" value="review">' in page
    assert page.count('id="sfmc-drift"') == 1  # the review's own drift banner, not a second one
    draft = edited(editor, approved_draft, rename("edited again"))
    assert 'id="push-button"' not in review_page(client, draft)


def test_pushing_from_the_review_page_needs_the_csrf_token_and_comes_back_there(
    approver, approved_draft
):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(approver)
    url = reverse("journeys:draft-push", args=[approved_draft.pk])
    assert browser.post(url, {"on": "review"}).status_code == 403
    assert not PushAttempt.objects.exists()
    page = review_page(browser, approved_draft)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token is not None

    response = browser.post(url, {"on": "review", "csrfmiddlewaretoken": token[1]})

    assert response["Location"] == reverse("journeys:draft-review", args=[approved_draft.pk])
    attempt = PushAttempt.objects.get()
    assert attempt.requested_by == approver and attempt.state == State.QUEUED
    assert 'id="push-status"' in review_page(browser, approved_draft)


def test_pushing_from_the_review_page_with_htmx_keeps_the_review_flavour(
    client, approver, approved_draft
):
    client.force_login(approver)
    url = reverse("journeys:draft-push", args=[approved_draft.pk])
    html = client.post(url, {"on": "review"}, headers=HTMX).content.decode()
    assert "Queued" in html and """hx-vals='{"on": "review"}'""" in html
    assert 'id="sfmc-drift"' not in html  # the review page draws its own


def test_a_refused_push_says_why(as_editor, approved_draft, editor):
    push.request_push(editor, approved_draft)
    url = reverse("journeys:draft-push", args=[approved_draft.pk])

    response = as_editor.post(url, headers=HTMX)
    assert response.status_code == 409
    assert "A push of this draft is already under way." in response.content.decode()

    response = as_editor.post(url, follow=True)  # without JavaScript: back to the editor
    assert "A push of this draft is already under way." in response.content.decode()


def test_the_status_polls_until_final_then_stops_polling(as_editor, editor, approved_draft):
    attempt = push.request_push(editor, approved_draft)
    url = reverse("journeys:push-status", args=[attempt.pk])
    queued = as_editor.get(url, headers=HTMX)
    assert queued.status_code == 200 and 'hx-trigger="every 2s"' in queued.content.decode()

    push.run_push(attempt.pk)

    done = as_editor.get(url, headers=HTMX)
    assert done["HX-Refresh"] == "true"  # the editor reloads: its state and buttons changed
    html = editor_page(as_editor, approved_draft)
    assert "Pushed" in html and "every 2s" not in html
    assert f"SFMC now has version {remote_doc_version(approved_draft)}" in html
    page = as_editor.get(url)  # the same status as a page, without JavaScript
    assert page.status_code == 200 and "Back to the editor" in page.content.decode()


def remote_doc_version(draft):
    draft.refresh_from_db()
    return draft.base_snapshot.version


def test_a_failed_push_shows_the_reason_and_a_retry_that_makes_a_new_attempt(
    as_editor, editor, approved_draft, sim_connection
):
    sim_connection.set_client_secret("wrong")
    sim_connection.save()
    attempt = push.request_push(editor, approved_draft)
    push.run_push(attempt.pk)

    response = as_editor.get(reverse("journeys:push-status", args=[attempt.pk]), headers=HTMX)
    html = response.content.decode()
    assert response.status_code == 286
    assert "Push failed" in html and "credentials" in html and 'id="push-retry"' in html

    as_editor.post(reverse("journeys:push-retry", args=[attempt.pk]), headers=HTMX)
    assert PushAttempt.objects.filter(draft=approved_draft).count() == 2
    assert PushAttempt.objects.latest("created_at").state == State.QUEUED


def test_a_conflict_sends_the_browser_to_the_merge_screen(
    as_editor, editor, approved_draft, simulator
):
    remote_edit(simulator, "rename", name="Renamed in SFMC")
    attempt = push.request_push(editor, approved_draft)
    push.run_push(attempt.pk)
    session = MergeSession.objects.get()
    url = reverse("journeys:push-status", args=[attempt.pk])

    response = as_editor.get(url, headers=HTMX)
    assert response["HX-Redirect"] == reverse("journeys:merge", args=[session.pk])
    assert as_editor.get(url)["Location"] == reverse("journeys:merge", args=[session.pk])
    assert 'id="open-merge"' in editor_page(as_editor, approved_draft)


# the merge screen


def test_the_merge_screen_shows_both_sides_what_merged_and_each_conflict(
    as_editor, editor, approved_draft, simulator
):
    remote_edit(simulator, "rename", name="Renamed in SFMC")
    remote_edit(simulator, "change-wait", activity_key="WAITBYDURATION-1", duration=5)
    session = conflicted(editor, approved_draft)

    response = as_editor.get(reverse("journeys:merge", args=[session.pk]))

    html = response.content.decode()
    assert response.status_code == 200
    assert "What SFMC changed" in html and "What you changed" in html and "Merged cleanly" in html
    assert "Renamed journey &#x27;Welcome series&#x27; → &#x27;Renamed in SFMC&#x27;" in html
    assert "Wait 2 days → 5 days" in html  # SFMC's change that merged by itself
    assert html.count('class="conflict"') == 1
    assert "1. Journey — name</legend>" in html
    for value in ("Welcome series", "Welcome series (spring)", "Renamed in SFMC"):
        assert f'<p class="value">{value}</p>' in html
    assert 'name="choice-0" value="ours"' in html and 'name="choice-0" value="theirs"' in html
    assert 'class="node node-activity' in html and "mark-changed" in html


def test_resolving_to_the_approved_content_keeps_the_approval_and_pushes_again(
    as_editor, editor, approved_draft, simulator, sim_connection
):
    remote_edit(simulator, "rename", name="Renamed in SFMC")
    session = conflicted(editor, approved_draft)
    approved_hash = approved_draft.content_hash

    response = as_editor.post(
        reverse("journeys:merge-resolve", args=[session.pk]), {"choice-0": "ours"}, follow=True
    )

    assert "it is being pushed" in response.content.decode()
    draft = Draft.objects.get(pk=approved_draft.pk)
    assert draft.content_hash == approved_hash and draft.state == Draft.State.APPROVED
    assert draft.base_snapshot == session.theirs_snapshot  # rebased on SFMC now
    requeued = PushAttempt.objects.get(state=State.QUEUED)
    assert requeued.remote_modified_before == session.theirs_snapshot.modified_date
    assert push.run_push(requeued.pk).state == State.SUCCEEDED
    assert remote_doc(sim_connection)["name"] == "Welcome series (spring)"


def test_resolving_to_new_content_saves_a_revision_that_needs_review_again(
    as_editor, editor, approver, approved_draft, simulator, sim_connection
):
    remote_edit(simulator, "rename", name="Renamed in SFMC")
    remote_edit(simulator, "change-wait", activity_key="WAITBYDURATION-1", duration=5)
    session = conflicted(editor, approved_draft)
    before = approved_draft.revision_number

    as_editor.post(reverse("journeys:merge-resolve", args=[session.pk]), {"choice-0": "theirs"})

    draft = Draft.objects.get(pk=approved_draft.pk)
    assert draft.revision_number == before + 1 and draft.state == Draft.State.EDITING
    assert draft.base_snapshot == session.theirs_snapshot
    assert draft.document["name"] == "Renamed in SFMC"
    wait = next(a for a in draft.document["activities"] if a["key"] == "WAITBYDURATION-1")
    assert wait["configurationArguments"]["waitDuration"] == 5
    assert not PushAttempt.objects.filter(state=State.QUEUED).exists()
    with pytest.raises(push.PushRefused):
        push.request_push(editor, draft)
    assert AuditEvent.objects.filter(action="approval.voided", draft=draft).exists()

    draft = approved_now(editor, approver, edited(editor, draft, rename("Spring, merged")))
    attempt = push.request_push(editor, draft)
    assert push.run_push(attempt.pk).state == State.SUCCEEDED
    remote = remote_doc(sim_connection)
    assert remote["name"] == "Spring, merged"
    assert (
        next(a for a in remote["activities"] if a["key"] == "WAITBYDURATION-1")[
            "configurationArguments"
        ]["waitDuration"]
        == 5
    )


def test_after_the_merge_the_bar_says_it_was_merged_not_that_sfmc_changed_meanwhile(
    as_editor, editor, approved_draft, simulator
):
    remote_edit(simulator, "rename", name="Renamed in SFMC")
    session = conflicted(editor, approved_draft)
    page = editor_page(as_editor, approved_draft)
    assert "SFMC changed meanwhile" in page and "push-conflict" in page

    as_editor.post(reverse("journeys:merge-resolve", args=[session.pk]), {"choice-0": "theirs"})

    page = editor_page(as_editor, approved_draft)
    assert "SFMC changed meanwhile" not in page and "push-conflict" not in page
    assert "Merged with SFMC" in page and "push-merged" in page
    assert "needs approval" in page


def test_if_sfmc_changes_again_the_next_merge_preselects_the_earlier_choices(
    as_editor, editor, approved_draft, simulator
):
    remote_edit(simulator, "rename", name="First remote name")
    session = conflicted(editor, approved_draft)
    as_editor.post(reverse("journeys:merge-resolve", args=[session.pk]), {"choice-0": "ours"})
    requeued = PushAttempt.objects.get(state=State.QUEUED)
    remote_edit(simulator, "rename", name="Second remote name")  # while the push waited

    assert push.run_push(requeued.pk).state == State.CONFLICT

    again = MergeSession.objects.get(state=MergeSession.State.OPEN)
    assert again.base_snapshot == session.theirs_snapshot  # base := the previous remote
    assert again.choices == {"both-modified:/name": {"take": "ours"}}
    html = as_editor.get(reverse("journeys:merge", args=[again.pk])).content.decode()
    assert re.search(r'name="choice-0" value="ours"[^>]* checked', html)
    assert MergeSession.objects.get(pk=session.pk).state == MergeSession.State.RESOLVED


def test_a_name_typed_as_plain_text_resolves_a_conflict(
    as_editor, editor, approved_draft, simulator
):
    remote_edit(simulator, "rename", name="Renamed in SFMC")
    session = conflicted(editor, approved_draft)
    html = as_editor.get(reverse("journeys:merge", args=[session.pk])).content.decode()
    assert 'type="text" name="custom-0" value="Welcome series (spring)"' in html

    as_editor.post(
        reverse("journeys:merge-resolve", args=[session.pk]),
        {"choice-0": "custom", "custom-0": "Both, combined"},
    )
    assert Draft.objects.get(pk=approved_draft.pk).document["name"] == "Both, combined"


def test_every_conflict_needs_a_choice_and_a_broken_result_is_refused(
    as_editor, editor, approved_draft, simulator
):
    remote_edit(simulator, "rename", name="Renamed in SFMC")
    session = conflicted(editor, approved_draft)
    url = reverse("journeys:merge-resolve", args=[session.pk])

    assert as_editor.post(url, {}).status_code == 400
    response = as_editor.post(url, {"choice-0": "custom", "custom-0": ""})
    assert response.status_code == 409
    assert "would have 1 error(s)" in response.content.decode()
    assert MergeSession.objects.get(pk=session.pk).state == MergeSession.State.OPEN


def test_whoever_may_push_resolves_a_merge(client, approver, editor, approved_draft, simulator):
    """Arlo may push (he approves), so he resolves the conflict his push met; see
    tests/test_merge_resolvers.py for who may not and whom they tell."""
    remote_edit(simulator, "rename", name="Renamed in SFMC")
    session = conflicted(editor, approved_draft)
    client.force_login(approver)

    page = client.get(reverse("journeys:merge", args=[session.pk])).content.decode()
    assert 'id="resolve-button"' in page
    response = client.post(
        reverse("journeys:merge-resolve", args=[session.pk]), {"choice-0": "ours"}
    )
    assert response.status_code == 302
    assert MergeSession.objects.get(pk=session.pk).resolved_by == approver


# drift


def test_the_editor_warns_when_sfmc_has_a_newer_version_and_updates_the_draft(
    as_editor, editor, sim_connection, demo_journeys, simulator
):
    draft = import_demo(editor, sim_connection)
    draft = edited(editor, draft, rename("Mine"))
    remote_edit(simulator, "change-wait", activity_key="WAITBYDURATION-1", duration=9)
    assert "drift-banner" not in editor_page(as_editor, draft)  # nobody looked yet

    as_editor.post(reverse("journeys:draft-check-sfmc", args=[draft.pk]), headers=HTMX)
    html = editor_page(as_editor, draft)
    assert "drift-banner" in html and 'id="update-from-sfmc"' in html

    response = as_editor.post(reverse("journeys:draft-update-from-sfmc", args=[draft.pk]))
    session = MergeSession.objects.get()
    assert response["Location"] == reverse("journeys:merge", args=[session.pk])
    assert session.origin == MergeSession.Origin.UPDATE and session.conflicts == []
    as_editor.post(reverse("journeys:merge-resolve", args=[session.pk]))

    draft.refresh_from_db()
    assert draft.document["name"] == "Mine"
    wait = next(a for a in draft.document["activities"] if a["key"] == "WAITBYDURATION-1")
    assert wait["configurationArguments"]["waitDuration"] == 9
    assert draft.base_snapshot.modified_date == remote_doc(sim_connection)["modifiedDate"]
    assert "drift-banner" not in editor_page(as_editor, draft)


def test_updating_a_draft_that_is_up_to_date_says_so(
    as_editor, editor, sim_connection, demo_journeys
):
    draft = import_demo(editor, sim_connection)
    response = as_editor.post(
        reverse("journeys:draft-update-from-sfmc", args=[draft.pk]), headers=HTMX
    )
    assert response.status_code == 409
    assert "already based on SFMC&#x27;s latest version" in response.content.decode()


def test_recover_pushes_command_reports_what_it_queued(approved_draft, editor, capsys):
    call_command("recover_pushes")
    assert "No push needed recovering." in capsys.readouterr().out
    attempt = push.request_push(editor, approved_draft)
    call_command("recover_pushes", "--older-than", "0")
    assert f"Queued again 1 push attempt(s): {attempt.pk}." in capsys.readouterr().out


def test_sfmc_validation_errors_are_listed_per_activity_with_links(
    as_editor, editor, approver, sim_connection, demo_journeys
):
    draft = import_demo(editor, sim_connection)

    def dangle(document):
        document["activities"][1]["outcomes"][0]["next"] = "NOWHERE-1"

    draft = approved_now(editor, approver, edited(editor, draft, dangle))
    approval = draft.approvals.get()
    attempt = PushAttempt.objects.create(  # as a push approved before the rules changed
        draft=draft,
        revision=approval.revision,
        approval=approval,
        requested_by=editor,
        payload_hash=approval.content_hash,
    )
    push.run_push(attempt.pk)

    html = editor_page(as_editor, draft)
    key, name = (draft.document["activities"][1][field] for field in ("key", "name"))
    assert "Push failed" in html and "SFMC refused the journey as invalid" in html
    shown = f'<span class="activity-name" title="{key}">{escape(name)}</span>'  # key on hover
    assert f'?select=activity:{key}">{shown}</a>: ' in html
    # SFMC's own sentence names the activity too; the key it quoted is only on hover.
    assert escape(f"'{name}' leads to \"NOWHERE-1\"") in html
    assert f"Activity {key} leads to" not in html
