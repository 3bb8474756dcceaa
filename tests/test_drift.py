"""Drift seen without asking: opening a draft, its review or approving it checks SFMC's latest
version in the background (at most once per freshness window), the page never waits on SFMC,
a poller swaps the drift banner in when the check lands, the review shows the change against
SFMC now, and approving a stale-based draft needs an explicit confirmation.

The remote is the simulator over real HTTP, edited on its side. The check's task body is called
directly (TestCase transactions never commit, so nothing is enqueued; the on-commit callbacks are
what would enqueue, and are counted); `test_a_real_worker_...` runs the whole path with a worker.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from journeys.models import Approval, AuditEvent, Draft, Journey, RemoteSnapshot
from journeys.services import remote
from journeys.services.drafts import create_new_journey
from journeys.services.review import ReviewRefused, approve, submit_for_review
from journeys.tasks import check_remote_version
from tests.test_push_service import WELCOME, edited, import_demo, rename

HTMX = {"HX-Request": "true"}


def remote_edit(simulator, action, **params):
    return simulator.control("POST", "remote-edit", {"key": WELCOME, "action": action, **params})


def gets(simulator):
    """How many journey GETs SFMC (the simulator) has answered."""
    entries = simulator.request_log(method="GET")
    return sum(1 for entry in entries if entry["path"].startswith("/interaction/"))


@pytest.fixture
def draft(editor, sim_connection, demo_journeys):
    draft = import_demo(editor, sim_connection)
    return edited(editor, draft, rename("Mine"))


@pytest.fixture
def as_editor(client, editor):
    client.force_login(editor)
    return client


@pytest.fixture
def as_approver(client, approver):
    client.force_login(approver)
    return client


def journey_of(draft):
    return Journey.objects.get(pk=draft.journey_id)


def editor_page(client, draft):
    response = client.get(reverse("journeys:draft", args=[draft.pk]))
    assert response.status_code == 200
    return response.content.decode()


def drift_fragment(client, draft, on="editor"):
    response = client.get(reverse("journeys:draft-drift", args=[draft.pk]), {"on": on})
    assert response.status_code == 200
    return response.content.decode()


def drifted(simulator, draft):
    """SFMC changed a wait; the background check has seen it."""
    remote_edit(simulator, "change-wait", activity_key="WAITBYDURATION-1", duration=9)
    check_remote_version(draft.journey_id)
    return journey_of(draft).snapshots.order_by("-fetched_at", "-id").first()


# queueing: once per freshness window, never for a journey new to SFMC


def drift_checks(queued: list) -> list:
    """The background drift checks among what a request queued (the editor's first visit
    also queues the first load of SFMC's catalog)."""
    return [task for task in queued if getattr(task, "func", None) == check_remote_version.delay]


def test_two_page_loads_in_the_window_queue_one_check(
    as_editor, draft, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as queued:
        editor_page(as_editor, draft)
        editor_page(as_editor, draft)
        as_editor.get(reverse("journeys:draft-review", args=[draft.pk]))
    assert len(drift_checks(queued)) == 1
    assert journey_of(draft).remote_check_requested_at is not None


def test_a_check_is_queued_again_once_the_window_has_passed(
    as_editor, draft, settings, django_capture_on_commit_callbacks
):
    settings.SFMC_DRIFT_FRESHNESS_SECONDS = 60
    long_ago = timezone.now() - timedelta(seconds=61)
    Journey.objects.filter(pk=draft.journey_id).update(
        remote_check_requested_at=long_ago, remote_checked_at=long_ago
    )
    with django_capture_on_commit_callbacks() as queued:
        editor_page(as_editor, draft)
    assert len(drift_checks(queued)) == 1
    assert journey_of(draft).remote_check_requested_at > long_ago


def test_a_recent_check_means_nothing_is_queued(
    as_editor, draft, django_capture_on_commit_callbacks
):
    check_remote_version(draft.journey_id)
    with django_capture_on_commit_callbacks() as queued:
        html = editor_page(as_editor, draft)
    assert drift_checks(queued) == []
    assert "Checking SFMC" not in html


def test_a_draft_new_to_sfmc_has_nothing_to_check(
    as_editor, editor, sim_connection, django_capture_on_commit_callbacks
):
    draft = create_new_journey(editor, sim_connection, "Brand new")
    with django_capture_on_commit_callbacks() as queued:
        html = editor_page(as_editor, draft)
    assert drift_checks(queued) == [] and journey_of(draft).remote_check_requested_at is None
    assert "Checking SFMC" not in html


# the page never waits on SFMC


def test_the_editor_page_does_not_call_sfmc(as_editor, draft, simulator):
    remote_edit(simulator, "rename", name="Renamed in SFMC")
    before = gets(simulator)
    html = editor_page(as_editor, draft)
    assert gets(simulator) == before  # the check is queued, not made
    assert 'id="remote-check-pending"' in html and "drift-banner" not in html


def test_the_pages_still_render_with_sfmc_down(as_editor, as_approver, draft, simulator):
    simulator.stop()
    html = editor_page(as_editor, draft)
    assert 'id="remote-check-pending"' in html and "drift-banner" not in html
    review = as_approver.get(reverse("journeys:draft-review", args=[draft.pk]))
    assert review.status_code == 200


# the check and the poller


def test_the_check_records_sfmc_new_version_and_the_poller_swaps_in_the_banner(
    as_editor, draft, simulator
):
    html = editor_page(as_editor, draft)
    assert 'hx-trigger="load delay:2s"' in html and "drift-banner" not in html
    snapshots = RemoteSnapshot.objects.count()

    newer = drifted(simulator, draft)

    assert RemoteSnapshot.objects.count() == snapshots + 1
    assert newer.document["modifiedDate"] == newer.modified_date
    journey = journey_of(draft)
    assert journey.remote_checked_at is not None and journey.remote_check_error == ""
    assert AuditEvent.objects.filter(action="journey.remote_changed", journey=journey).exists()
    fragment = drift_fragment(as_editor, draft)
    assert "drift-banner" in fragment and 'id="update-from-sfmc"' in fragment
    assert "hx-trigger" not in fragment.replace('id="update-from-sfmc"', "")  # polling ends
    assert "drift-banner" in editor_page(as_editor, draft)


def test_a_check_that_finds_nothing_new_stores_nothing(as_editor, draft):
    snapshots = RemoteSnapshot.objects.count()
    check_remote_version(draft.journey_id)
    assert RemoteSnapshot.objects.count() == snapshots
    assert journey_of(draft).remote_checked_at is not None
    assert "drift-banner" not in drift_fragment(as_editor, draft)


def test_a_failed_check_is_said_quietly_and_keeps_what_we_knew(
    as_editor, draft, simulator, settings
):
    settings.SFMC_MAX_RETRIES = 0
    editor_page(as_editor, draft)
    simulator.add_fault(
        "http_error", status=500, count=5, method="GET", path="/interaction/v1/interactions/*"
    )

    assert check_remote_version(draft.journey_id) is None

    journey = journey_of(draft)
    assert journey.remote_check_error and journey.remote_checked_at is not None
    at = timezone.localtime(journey.remote_checked_at).strftime("%H:%M")
    fragment = drift_fragment(as_editor, draft)
    assert f"Couldn't reach SFMC at {at}; showing what we knew." in fragment
    assert "remote-check-pending" not in fragment
    assert "Couldn't reach SFMC" in editor_page(as_editor, draft)


def test_the_poller_gives_up_after_the_freshness_window(as_editor, draft, settings):
    settings.SFMC_DRIFT_FRESHNESS_SECONDS = 60
    editor_page(as_editor, draft)
    assert 'id="remote-check-pending"' in drift_fragment(as_editor, draft)
    Journey.objects.filter(pk=draft.journey_id).update(
        remote_check_requested_at=timezone.now() - timedelta(seconds=61)
    )  # the check was lost (say, no worker running)
    assert 'id="remote-check-pending"' not in drift_fragment(as_editor, draft)


def test_the_drift_endpoint_is_for_those_who_may_see_the_draft(client, draft, django_user_model):
    client.force_login(django_user_model.objects.create_user("nobody"))
    response = client.get(reverse("journeys:draft-drift", args=[draft.pk]))
    assert response.status_code == 403


# review: the change against SFMC now


@pytest.fixture
def in_review(editor, draft):
    return submit_for_review(editor, draft, expected_revision=draft.revision_number, message="")


def test_the_review_shows_the_change_against_sfmc_now_when_the_base_is_stale(
    as_approver, in_review, simulator
):
    url = reverse("journeys:draft-review", args=[in_review.pk])
    html = as_approver.get(url).content.decode()
    assert "Against SFMC now" not in html and 'id="change-WAITBYDURATION-1"' not in html

    newer = drifted(simulator, in_review)

    html = as_approver.get(url).content.decode()
    heading = (
        f"Against SFMC now (version {newer.version}, changed by someone else since this draft "
        "started)"
    )
    assert heading in html
    assert f"Against its base (SFMC version {in_review.base_snapshot.version}" in html
    # SFMC's new wait shows only in the change against SFMC now (the draft still has the old one)
    assert html.count('id="change-WAITBYDURATION-1"') == 1
    assert html.index(heading) < html.index('id="change-WAITBYDURATION-1"')
    assert 'id="stale-approve-warning"' in html and 'id="stale-base-confirmed"' in html


# approving a stale-based draft


def test_approving_a_stale_base_needs_the_confirmation(approver, in_review, simulator):
    newer = drifted(simulator, in_review)
    before = gets(simulator)

    with pytest.raises(ReviewRefused, match="Update the draft first"):
        approve(approver, in_review, expected_revision=in_review.revision_number)
    with pytest.raises(ReviewRefused):  # a confirmation of another version is not one
        approve(
            approver,
            in_review,
            expected_revision=in_review.revision_number,
            stale_base_confirmed=in_review.base_snapshot_id,
        )
    assert not Approval.objects.exists()
    assert Draft.objects.get(pk=in_review.pk).state == Draft.State.IN_REVIEW

    approve(
        approver,
        in_review,
        expected_revision=in_review.revision_number,
        stale_base_confirmed=newer.pk,
    )
    assert Approval.objects.filter(draft=in_review, decision="approved").count() == 1
    assert Draft.objects.get(pk=in_review.pk).state == Draft.State.APPROVED
    assert AuditEvent.objects.filter(action="draft.approved_on_stale_base").exists()
    assert gets(simulator) == before  # the service judged on what was known: no SFMC call


def test_the_approve_form_refuses_without_confirmation_and_accepts_with_it(
    as_approver, in_review, simulator
):
    newer = drifted(simulator, in_review)
    url = reverse("journeys:draft-decide", args=[in_review.pk])
    data = {"revision": in_review.revision_number, "decision": "approve", "comment": ""}

    refused = as_approver.post(url, data, follow=True).content.decode()
    assert "changed by someone else since this draft started" in refused
    assert not Approval.objects.exists()

    as_approver.post(url, {**data, "stale_base_confirmed": newer.pk})
    assert Approval.objects.filter(draft=in_review, decision="approved").count() == 1


def test_an_editor_approver_is_offered_update_the_draft_first(
    client, approver, in_review, simulator
):
    from django.contrib.auth.models import Group

    approver.groups.add(Group.objects.get(name="Editors"))
    client.force_login(approver)
    drifted(simulator, in_review)
    html = client.get(reverse("journeys:draft-review", args=[in_review.pk])).content.decode()
    assert 'id="update-draft-first"' in html
    assert reverse("journeys:draft-update-from-sfmc", args=[in_review.pk]) in html


def test_approving_an_up_to_date_draft_needs_no_confirmation(approver, in_review):
    check_remote_version(in_review.journey_id)  # SFMC still has the base
    approve(approver, in_review, expected_revision=in_review.revision_number)
    assert Approval.objects.filter(draft=in_review).count() == 1


def test_the_service_request_checks_permission(draft, django_user_model):
    nobody = django_user_model.objects.create_user("nobody")
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        remote.request_remote_check(nobody, draft)
