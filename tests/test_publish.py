"""Publishing the version a push created, against the SFMC simulator over real HTTP.

Runs of the publish are called directly (the task's body), as tests/test_push_service.py does
for pushes; the request log tells what SFMC really received. The last tests go through the views.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from journeys.models import AuditEvent, Draft, PublishRequest, PushAttempt, RemoteSnapshot
from journeys.presentation.push import remote_rejections
from journeys.services import merging, publish, push
from journeys.tasks import publish_version
from tests.test_push_service import (
    WELCOME,
    approved_demo,
    approved_now,
    edited,
    import_demo,
    remote_doc,
    rename,
    run_until_final,
)

State = PublishRequest.State
HTMX = {"HX-Request": "true"}
PUBLISH_PATH = "/interaction/v1/interactions/publishAsync/*"
STATUS_PATH = "/interaction/v1/interactions/publishStatus/*"


def pushed(editor, approver, connection, draft=None):
    """The welcome series (or `draft`) approved and pushed: SFMC has it as a Draft version."""
    draft = draft or approved_demo(editor, approver, connection)
    attempt = push.request_push(editor, draft)
    run_until_final(attempt)
    assert attempt.state == PushAttempt.State.SUCCEEDED, attempt.error_message
    draft.refresh_from_db()
    return draft


def run_publish_until_final(request, limit=12):
    """Run the request like the task would, as if every wait had already passed."""
    for _ in range(limit):
        publish.run_publish(request.pk)
        request.refresh_from_db()
        if request.is_final:
            return request
        PublishRequest.objects.filter(pk=request.pk).update(next_poll_at=timezone.now())
    raise AssertionError(f"publish still {request.state} after {limit} runs")


def publish_sends(simulator, applied=None):
    filters = {"method": "POST"} | ({"applied": applied} if applied else {})
    return [e for e in simulator.request_log(**filters) if "/publishAsync/" in e["path"]]


def without_event_key(document):
    document["triggers"][0]["metaData"].pop("eventDefinitionKey")


def publish_refused_by_sfmc(editor, approver, connection):
    """The welcome series without its entry event key, approved, pushed, and its publish run
    to the end: SFMC refuses it (121500). The draft and the failed request."""
    draft = import_demo(editor, connection)
    draft = approved_now(editor, approver, edited(editor, draft, without_event_key))
    draft = pushed(editor, approver, connection, draft)
    return draft, run_publish_until_final(publish.request_publish(approver, draft))


@pytest.fixture
def instant_publishes(simulator):
    simulator.configure(publish_delay=0)


@pytest.fixture
def draft(editor, approver, sim_connection, demo_journeys, instant_publishes):
    return pushed(editor, approver, sim_connection)


# the happy path


def test_publishing_makes_the_pushed_version_published_and_rebases_the_draft_on_it(
    draft, approver, simulator, sim_connection
):
    request = publish.request_publish(approver, draft)
    assert request.state == State.QUEUED and request.version == draft.base_snapshot.version

    run_publish_until_final(request)

    assert request.state == State.SUCCEEDED and request.status_id
    remote = remote_doc(sim_connection)
    assert remote["status"] == "Published" and remote["version"] == request.version
    draft.refresh_from_db()
    assert draft.base_snapshot.status == "Published"
    assert draft.base_snapshot.modified_date == remote["modifiedDate"]
    journey = draft.journey
    assert (journey.latest_remote_status, journey.latest_remote_modified_date) == (
        "Published",
        remote["modifiedDate"],
    )
    assert merging.drift(draft) is None  # the published snapshot is the base: no drift banner
    assert request.last_published_date == remote["lastPublishedDate"]
    assert len(publish_sends(simulator, applied="true")) == 1
    actions = set(
        AuditEvent.objects.filter(action__startswith="publish.").values_list("action", flat=True)
    )
    assert actions == {
        "publish.queued",
        "publish.started",
        "publish.sending",
        "publish.sent",
        "publish.succeeded",
    }


def test_the_status_is_polled_after_one_second_then_every_two_then_every_five():
    delays = [publish.poll_delay(polls) for polls in range(12)]
    assert delays == [1.0] + [2.0] * 9 + [5.0] * 2


def test_a_publish_still_in_process_is_checked_again_later(
    draft, approver, simulator, sim_connection
):
    simulator.configure(publish_delay=30)
    request = publish.request_publish(approver, draft)

    first = publish.run_publish(request.pk)  # sends publishAsync
    PublishRequest.objects.filter(pk=request.pk).update(next_poll_at=timezone.now())
    second = publish.run_publish(request.pk)  # SFMC: PublishInProcess

    request.refresh_from_db()
    assert (first.state, first.retry_in) == (State.WAITING, 1.0)
    assert (second.state, second.retry_in) == (State.WAITING, 2.0)
    assert request.state == State.WAITING and request.polls == 1
    assert request.remote_status == "PublishInProcess"
    assert remote_doc(sim_connection)["status"] == "Draft"


# refusals


def test_a_draft_that_was_never_pushed_cannot_be_published(
    editor, approver, sim_connection, demo_journeys
):
    draft = approved_demo(editor, approver, sim_connection)
    with pytest.raises(publish.PublishRefused, match="Push the draft first"):
        publish.request_publish(approver, draft)


def test_publishing_is_refused_when_the_latest_push_failed(
    editor, approver, sim_connection, demo_journeys, simulator, monkeypatch
):
    monkeypatch.setattr(push, "MAX_TRIES", 1)
    simulator.add_fault("http_error", status=500, method="PUT", count=1)
    draft = approved_demo(editor, approver, sim_connection)
    attempt = push.request_push(editor, draft)
    run_until_final(attempt)
    assert attempt.state == PushAttempt.State.FAILED

    with pytest.raises(publish.PublishRefused, match="latest push did not succeed"):
        publish.request_publish(approver, draft)


def test_publishing_is_refused_when_the_draft_changed_since_the_push(draft, editor, approver):
    draft = edited(editor, draft, rename("changed after the push"))

    with pytest.raises(publish.PublishRefused, match="changed since its push"):
        publish.request_publish(approver, draft)
    assert not PublishRequest.objects.exists()


def test_only_approvers_publish_even_the_author_may_not(draft, editor):
    with pytest.raises(PermissionDenied):
        publish.request_publish(editor, draft)


def test_a_second_publish_while_one_is_under_way_is_refused(draft, approver):
    publish.request_publish(approver, draft)
    with pytest.raises(publish.PublishRefused, match="already under way"):
        publish.request_publish(approver, draft)


def test_a_published_version_is_not_published_again(draft, approver):
    run_publish_until_final(publish.request_publish(approver, draft))
    with pytest.raises(publish.PublishRefused, match="already published"):
        publish.request_publish(approver, draft)


def test_a_version_changed_in_sfmc_after_the_push_is_not_published(
    draft, approver, simulator, sim_connection
):
    simulator.control("POST", "remote-edit", {"key": WELCOME, "action": "rename", "name": "Theirs"})
    request = run_publish_until_final(publish.request_publish(approver, draft))

    assert request.state == State.FAILED and request.error_code == "changed-remotely"
    assert "someone changed it in SFMC" in request.error_message
    assert publish_sends(simulator) == []
    assert remote_doc(sim_connection)["status"] == "Draft"


# SFMC's errors and warnings


def test_sfmc_publish_errors_are_kept_and_shown_on_the_journey(
    editor, approver, sim_connection, demo_journeys, instant_publishes, client
):
    draft, request = publish_refused_by_sfmc(editor, approver, sim_connection)

    assert request.state == State.FAILED and request.error_code == "publish-error"
    [error] = request.errors
    assert (error["errorCode"], error["additionalInfo"]) == ("121500", {})  # journey-level
    [problem] = [p for p in remote_rejections(draft) if p.severity == "error"]
    assert problem.path == "" and problem.activity_key is None
    assert problem.message == "SFMC publish: The entry source has no event definition key. (121500)"
    client.force_login(approver)
    page = client.get(reverse("journeys:draft", args=[draft.pk])).content.decode()
    assert "SFMC publish: The entry source has no event definition key." in page
    assert "Publish failed" in page and 'id="publish-retry"' in page


def test_errors_and_warnings_are_listed_per_activity_and_warnings_stay_warnings(
    draft, approver, simulator, monkeypatch, client
):
    def answer_with_problems(status_id):
        return {
            "statusId": status_id,
            "status": "Error",
            "errors": [
                {
                    "errorDetail": "Email failed validation",
                    "errorCode": "121008",
                    "errorType": "Error",
                    "additionalInfo": {"activityKey": "EMAILV2-1", "activityType": "EMAILV2"},
                }
            ],
            "warnings": [
                {
                    "errorDetail": "The email is older than 6 months",
                    "errorCode": "121546",
                    "errorType": "Warning",
                    "additionalInfo": {"activityKey": "EMAILV2-2", "activityType": "EMAILV2"},
                }
            ],
        }

    monkeypatch.setattr(simulator.app.interactions, "publish_status", answer_with_problems)
    request = run_publish_until_final(publish.request_publish(approver, draft))

    assert request.state == State.FAILED
    problems = {(p.activity_key, p.severity, p.message) for p in remote_rejections(draft)}
    assert problems == {
        ("EMAILV2-1", "error", "SFMC publish: Email failed validation (121008)"),
        ("EMAILV2-2", "warning", "SFMC publish: The email is older than 6 months (121546)"),
    }
    client.force_login(approver)
    html = client.get(reverse("journeys:publish-status", args=[request.pk])).content.decode()
    select = reverse("journeys:draft", args=[draft.pk]) + "?select=activity:"
    names = {a["key"]: a["name"] for a in draft.document["activities"]}

    def shown(key):  # the activity by its name, the key on hover
        return f'<span class="activity-name" title="{key}">{escape(names[key])}</span>'

    assert f'<li class="problem error"><a href="{select}EMAILV2-1">{shown("EMAILV2-1")}</a>' in html
    assert (
        f'<li class="problem warning"><a href="{select}EMAILV2-2">{shown("EMAILV2-2")}</a>' in html
    )


def test_rejections_of_an_older_revision_are_not_drawn(
    draft, editor, approver, simulator, monkeypatch
):
    monkeypatch.setattr(
        simulator.app.interactions,
        "publish_status",
        lambda status_id: {"statusId": status_id, "status": "Error", "errors": [{}]},
    )
    run_publish_until_final(publish.request_publish(approver, draft))
    assert len(remote_rejections(draft)) == 1

    draft = edited(editor, draft, rename("fixed"))

    assert remote_rejections(draft) == []


# faults


def test_a_lost_publish_answer_is_never_sent_again_when_sfmc_published_it(
    draft, approver, simulator, sim_connection, settings
):
    settings.SFMC_READ_TIMEOUT = 0.5
    simulator.add_fault("lost_response", method="POST", path=PUBLISH_PATH, seconds=1.5)
    request = publish.request_publish(approver, draft)

    outcome = publish.run_publish(request.pk)
    request.refresh_from_db()
    assert outcome.state == State.WAITING and request.unconfirmed_send_at is not None
    run_publish_until_final(request)

    assert request.state == State.SUCCEEDED
    assert request.notes == ["SFMC already had this version published; nothing was sent again."]
    assert len(publish_sends(simulator)) == 1
    assert remote_doc(sim_connection)["status"] == "Published"
    assert AuditEvent.objects.filter(action="publish.answer-lost").count() == 1


def test_an_unconfirmed_send_is_watched_and_sent_again_only_after_the_grace(
    draft, approver, simulator, settings, monkeypatch
):
    settings.SFMC_MAX_RETRIES = 0
    simulator.add_fault("drop", method="POST", path=PUBLISH_PATH, count=1)  # nothing applied
    request = publish.request_publish(approver, draft)
    publish.run_publish(request.pk)
    PublishRequest.objects.filter(pk=request.pk).update(next_poll_at=timezone.now())

    watched = publish.run_publish(request.pk)  # within the grace: only looks

    assert watched.state == State.WAITING and len(publish_sends(simulator)) == 1
    monkeypatch.setattr(publish, "LOST_PUBLISH_GRACE", timedelta(0))
    run_publish_until_final(request)
    assert request.state == State.SUCCEEDED and request.sends == 2
    assert [e["applied"] for e in publish_sends(simulator)] == [False, True]


def test_server_errors_while_polling_the_status_are_retried_with_backoff(
    draft, approver, simulator, settings, monkeypatch
):
    monkeypatch.setattr(publish, "BACKOFF_BASE", 0.01)
    settings.SFMC_MAX_RETRIES = 0
    simulator.add_fault("http_error", status=503, method="GET", path=STATUS_PATH, count=3)

    request = run_publish_until_final(publish.request_publish(approver, draft))

    assert request.state == State.SUCCEEDED and request.failures == 3
    assert AuditEvent.objects.filter(action="publish.retrying").count() == 3
    assert len(publish_sends(simulator)) == 1


def test_a_rate_limited_publish_waits_for_retry_after(draft, approver, simulator, settings):
    settings.SFMC_MAX_RETRIES = 0
    simulator.add_fault("rate_limit", method="POST", path=PUBLISH_PATH, seconds=3)
    request = publish.request_publish(approver, draft)

    outcome = publish.run_publish(request.pk)

    request.refresh_from_db()
    assert (outcome.state, outcome.retry_in) == (State.RETRYING, 3.0)
    assert request.unconfirmed_send_at is None  # a 429 started nothing: no watching needed
    assert run_publish_until_final(request).state == State.SUCCEEDED
    assert [e["applied"] for e in publish_sends(simulator)] == [False, True]


def test_too_many_failures_end_in_a_visible_failure(
    draft, approver, simulator, settings, monkeypatch
):
    monkeypatch.setattr(publish, "BACKOFF_BASE", 0.01)
    settings.SFMC_MAX_RETRIES = 0
    simulator.add_fault("http_error", status=500, method="GET", path=STATUS_PATH, count=50)

    request = run_publish_until_final(publish.request_publish(approver, draft))

    assert request.state == State.FAILED and request.failures == publish.MAX_FAILURES - 1
    assert "Gave up after 5 failures" in request.error_message


def test_polling_is_bounded_and_retry_keeps_polling_the_same_publish(
    draft, approver, simulator, monkeypatch
):
    monkeypatch.setattr(publish, "MAX_POLLS", 3)
    simulator.configure(publish_delay=60)

    request = run_publish_until_final(publish.request_publish(approver, draft))

    assert request.state == State.FAILED and request.error_code == "publish-timeout"
    again = publish.retry_publish(approver, request)
    assert again.pk != request.pk and again.status_id == request.status_id
    publish.run_publish(again.pk)
    assert len(publish_sends(simulator)) == 1  # the retry polls; it does not ask again


def test_a_version_someone_else_published_counts_as_published_without_a_send(
    draft, approver, simulator
):
    simulator.control("POST", "publish", {"key": WELCOME, "version": draft.base_snapshot.version})

    request = run_publish_until_final(publish.request_publish(approver, draft))

    assert request.state == State.SUCCEEDED
    assert publish_sends(simulator) == []


def test_a_publish_whose_worker_died_is_recovered_and_finishes(draft, approver, simulator):
    request = publish.request_publish(approver, draft)
    past = timezone.now() - timedelta(seconds=1)
    PublishRequest.objects.filter(pk=request.pk).update(
        state=State.RUNNING, runs=1, lease_until=past
    )
    request.refresh_from_db()
    assert publish.is_stalled(request)

    assert publish.recover_publishes() == [request.pk]

    request.refresh_from_db()
    assert request.state == State.RETRYING
    assert AuditEvent.objects.filter(action="publish.requeued").count() == 1
    assert run_publish_until_final(request).state == State.SUCCEEDED


def test_a_duplicate_message_changes_nothing_while_a_run_holds_the_lease(draft, approver):
    request = publish.request_publish(approver, draft)
    claimed = publish.claim_request(request.pk)

    assert claimed is not None
    assert publish.run_publish(request.pk).state == "skipped"


def test_the_task_runs_the_publish_to_the_end(draft, approver, sim_connection):
    request = publish.request_publish(approver, draft)

    publish_version.apply(args=[request.pk])  # eager: each retry runs at once

    request.refresh_from_db()
    assert request.state == State.SUCCEEDED
    assert remote_doc(sim_connection)["status"] == "Published"


# views


def editor_page(client, draft):
    return client.get(reverse("journeys:draft", args=[draft.pk])).content.decode()


def test_an_old_publish_failure_is_not_shown_beside_a_newer_push(
    editor, approver, sim_connection, demo_journeys, instant_publishes, client
):
    draft, failed = publish_refused_by_sfmc(editor, approver, sim_connection)
    assert failed.state == State.FAILED
    client.force_login(approver)
    assert "Publish failed" in editor_page(client, draft)

    draft = approved_now(editor, approver, edited(editor, draft, rename("Welcome, fixed")))
    draft = pushed(editor, approver, sim_connection, draft)

    page = editor_page(client, draft)
    assert "Publish failed" not in page and 'id="publish-retry"' not in page
    assert 'id="publish-button"' in page


def test_the_editor_bar_offers_publish_to_approvers_after_a_successful_push_only(
    client, editor, approver, sim_connection, demo_journeys, instant_publishes
):
    draft = approved_demo(editor, approver, sim_connection)
    client.force_login(approver)
    assert 'id="publish-button"' not in editor_page(client, draft)

    draft = pushed(editor, approver, sim_connection, draft)

    assert 'id="publish-button"' in editor_page(client, draft)
    client.force_login(editor)
    assert 'id="publish-button"' not in editor_page(client, draft)


def test_publishing_with_htmx_returns_the_polling_status_with_a_real_link(client, approver, draft):
    client.force_login(approver)

    response = client.post(reverse("journeys:draft-publish", args=[draft.pk]), headers=HTMX)

    assert response.status_code == 200
    html = response.content.decode()
    request = PublishRequest.objects.get()
    status_url = reverse("journeys:publish-status", args=[request.pk])
    assert 'id="publish-status"' in html and "Publish queued" in html
    assert f'href="{status_url}"' in html and f'hx-get="{status_url}"' in html
    assert 'hx-trigger="every 2s"' in html
    assert 'id="publish-button"' not in html


def test_an_editor_may_not_post_a_publish(client, editor, draft):
    client.force_login(editor)
    response = client.post(reverse("journeys:draft-publish", args=[draft.pk]), headers=HTMX)
    assert response.status_code == 403
    assert not PublishRequest.objects.exists()


def test_a_refused_publish_says_why(client, editor, approver, draft):
    edited(editor, draft, rename("changed"))
    client.force_login(approver)

    response = client.post(reverse("journeys:draft-publish", args=[draft.pk]), headers=HTMX)

    assert response.status_code == 409
    assert "changed since its push" in response.content.decode()


def test_the_status_polls_until_sfmc_answers_then_reloads_the_editor(client, approver, draft):
    client.force_login(approver)
    request = publish.request_publish(approver, draft)
    url = reverse("journeys:publish-status", args=[request.pk])

    waiting = client.get(url, headers=HTMX)
    assert waiting.status_code == 200 and 'hx-trigger="every 2s"' in waiting.content.decode()

    run_publish_until_final(request)
    done = client.get(url, headers=HTMX)
    assert done.headers["HX-Refresh"] == "true"
    page = editor_page(client, draft)
    assert "Published" in page and "is live in SFMC" in page
    assert 'hx-get="' + url not in page  # final: no more polling


def test_a_failure_without_sfmc_errors_stops_the_polling(client, approver, draft, simulator):
    simulator.control("POST", "remote-edit", {"key": WELCOME, "action": "rename", "name": "Theirs"})
    client.force_login(approver)
    request = run_publish_until_final(publish.request_publish(approver, draft))

    response = client.get(reverse("journeys:publish-status", args=[request.pk]), headers=HTMX)

    assert response.status_code == 286
    assert "Publish failed" in response.content.decode()


def test_without_htmx_the_status_is_a_page_of_its_own(client, approver, draft):
    client.force_login(approver)
    request = publish.request_publish(approver, draft)

    page = client.get(reverse("journeys:publish-status", args=[request.pk])).content.decode()

    assert "Publish of" in page and 'http-equiv="refresh"' in page


def test_retry_after_a_failure_starts_a_new_publish(client, approver, draft, simulator):
    simulator.configure(publish_delay=60)
    client.force_login(approver)
    failed = publish.request_publish(approver, draft)
    PublishRequest.objects.filter(pk=failed.pk).update(state=State.FAILED, error_message="x")

    response = client.post(reverse("journeys:publish-retry", args=[failed.pk]))

    assert response.status_code == 302
    assert PublishRequest.objects.filter(state=State.QUEUED).count() == 1


def test_publish_requests_are_read_only_in_admin(admin_client, draft, approver):
    request = publish.request_publish(approver, draft)

    changelist = admin_client.get(reverse("admin:journeys_publishrequest_changelist"))
    detail = admin_client.get(reverse("admin:journeys_publishrequest_change", args=[request.pk]))

    assert changelist.status_code == 200 and detail.status_code == 200
    assert admin_client.get(reverse("admin:journeys_publishrequest_add")).status_code == 403
    delete = reverse("admin:journeys_publishrequest_delete", args=[request.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    assert Draft.objects.filter(pk=draft.pk).exists() and RemoteSnapshot.objects.exists()


def test_a_version_changed_while_sfmc_was_publishing_it_is_published_with_a_warning_note(
    draft, approver, simulator, sim_clock
):
    simulator.configure(publish_delay=0.5)
    request = publish.request_publish(approver, draft)
    publish.run_publish(request.pk)  # SFMC accepted it and is publishing
    simulator.control("POST", "remote-edit", {"key": WELCOME, "action": "rename", "name": "Theirs"})
    sim_clock.advance(0.6)

    run_publish_until_final(request)

    assert request.state == State.SUCCEEDED
    assert request.notes == [publish.CHANGED_WHILE_PUBLISHING]


def test_after_publishing_the_next_push_makes_a_new_version_that_can_be_published_too(
    draft, editor, approver, sim_connection
):
    run_publish_until_final(publish.request_publish(approver, draft))
    draft = approved_now(editor, approver, edited(editor, draft, rename("Welcome, version 2")))

    draft = pushed(editor, approver, sim_connection, draft)  # v1 is Published: POST makes v2
    second = run_publish_until_final(publish.request_publish(approver, draft))

    assert second.state == State.SUCCEEDED and second.version == 2
    assert remote_doc(sim_connection, version=1)["status"] == "Unpublished"
    assert remote_doc(sim_connection)["status"] == "Published"
    assert merging.drift(Draft.objects.get(pk=draft.pk)) is None


def test_no_push_starts_while_a_publish_is_under_way(draft, editor, approver):
    publish.request_publish(approver, draft)
    draft = approved_now(editor, approver, edited(editor, draft, rename("Next version")))
    with pytest.raises(push.PushRefused, match="publish of this draft is under way"):
        push.request_push(editor, draft)
    assert not draft.push_attempts.filter(state=PushAttempt.State.QUEUED).exists()
