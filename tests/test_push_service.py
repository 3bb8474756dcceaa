"""The push service against the SFMC simulator over real HTTP (no worker: runs are called).

Each test drives `run_push` the way the task does, so it sees every answer the simulator gives,
including injected faults; the request log tells what SFMC really applied.
"""

from __future__ import annotations

import copy
from datetime import timedelta

import pytest
from django.utils import timezone

from journeys.domain import graph
from journeys.domain.document import put_body
from journeys.models import AuditEvent, Draft, MergeSession, PushAttempt, Revision
from journeys.presentation.push import describe_attempt
from journeys.services import push
from journeys.services.drafts import create_new_journey, save_revision
from journeys.services.remote import client_for, import_journey
from journeys.services.review import approve, submit_for_review

WELCOME = "demo-welcome-series"
State = PushAttempt.State


# helpers shared by the other test_push_* modules


def import_demo(user, connection, key=WELCOME):
    remote = client_for(connection).get_journey(key, by_key=True)
    return import_journey(user, connection, remote["id"]).draft


def edited(user, draft, change, summary="test edit"):
    document = copy.deepcopy(draft.document)
    change(document)
    return save_revision(
        user, draft, document, expected_revision=draft.revision_number, summary=summary
    )


def rename(name):
    def change(document):
        document["name"] = name

    return change


def approved_now(author, approver, draft):
    draft = submit_for_review(author, draft, expected_revision=draft.revision_number, message="")
    approve(approver, draft, expected_revision=draft.revision_number)
    draft.refresh_from_db()
    return draft


def remote_doc(connection, key=WELCOME, version=None):
    return client_for(connection).get_journey(key, by_key=True, version=version)


def applied_writes(simulator, method="PUT"):
    return simulator.request_log(method=method, applied="true")


def run_until_final(attempt, limit=10):
    """Run the attempt like the task would, as if every backoff had already passed."""
    for _ in range(limit):
        outcome = push.run_push(attempt.pk)
        attempt.refresh_from_db()
        if attempt.is_final:
            return outcome
        PushAttempt.objects.filter(pk=attempt.pk).update(next_retry_at=timezone.now())
    raise AssertionError(f"attempt still {attempt.state} after {limit} runs")


def approved_demo(editor, approver, connection):
    """The welcome series imported, renamed, submitted and approved."""
    draft = import_demo(editor, connection)
    draft = edited(editor, draft, rename("Welcome series (spring)"))
    return approved_now(editor, approver, draft)


@pytest.fixture
def approved_draft(editor, approver, sim_connection, demo_journeys):
    return approved_demo(editor, approver, sim_connection)


# the happy path


def test_push_sends_the_approved_content_and_rebases_the_draft_on_it(
    approved_draft, editor, simulator, sim_connection
):
    base = approved_draft.base_snapshot
    attempt = push.request_push(editor, approved_draft)
    assert attempt.state == State.QUEUED
    assert (attempt.remote_version_before, attempt.remote_modified_before) == (
        base.version,
        base.modified_date,
    )

    outcome = push.run_push(attempt.pk)

    attempt.refresh_from_db()
    remote = remote_doc(sim_connection)
    assert outcome.state == State.SUCCEEDED and attempt.state == State.SUCCEEDED
    assert remote["name"] == "Welcome series (spring)"
    assert attempt.remote_modified_after == remote["modifiedDate"] != base.modified_date
    assert attempt.tries == 1
    draft = Draft.objects.get(pk=approved_draft.pk)
    assert draft.state == Draft.State.PUSHED
    assert draft.base_snapshot.modified_date == remote["modifiedDate"]
    assert draft.journey.latest_remote_modified_date == remote["modifiedDate"]
    [put] = applied_writes(simulator)
    assert put["version"] == base.version
    actions = list(
        AuditEvent.objects.filter(draft=draft, action__startswith="push.").values_list(
            "action", flat=True
        )
    )
    assert sorted(actions) == ["push.queued", "push.started", "push.succeeded"]


def test_a_new_journey_is_created_by_post(editor, approver, sim_connection, simulator):
    draft = create_new_journey(editor, sim_connection, "Brand new")
    document, _ = graph.insert_activity(draft.document, "WAITBYDURATION", after=None)
    draft = save_revision(editor, draft, document, expected_revision=1, summary="a wait")
    draft = approved_now(editor, approver, draft)

    attempt = push.request_push(editor, draft)
    assert push.run_push(attempt.pk).state == State.SUCCEEDED

    attempt.refresh_from_db()
    assert attempt.remote_version_after == 1
    assert len(applied_writes(simulator, "POST")) == 1
    draft.refresh_from_db()
    assert draft.base_snapshot.version == 1 and draft.journey.remote_id


# preconditions


def test_push_is_refused_without_an_approval_of_the_current_content(
    approved_draft, editor, approver
):
    draft = edited(editor, approved_draft, rename("Changed after approval"))
    with pytest.raises(push.PushRefused, match="approved"):
        push.request_push(editor, draft)
    assert not PushAttempt.objects.exists()


def test_push_is_refused_when_the_draft_has_validation_errors(
    editor, approver, sim_connection, demo_journeys
):
    draft = import_demo(editor, sim_connection)

    def dangle(document):
        document["activities"][0]["outcomes"][0]["next"] = "NOWHERE-1"

    draft = approved_now(editor, approver, edited(editor, draft, dangle))
    with pytest.raises(push.PushRefused, match="validation error"):
        push.request_push(editor, draft)


def test_a_second_push_of_the_same_draft_is_refused_while_one_is_active(approved_draft, editor):
    push.request_push(editor, approved_draft)
    with pytest.raises(push.PushRefused, match="already under way"):
        push.request_push(editor, approved_draft)
    assert PushAttempt.objects.count() == 1


def test_only_the_author_or_an_approver_may_push(approved_draft, db):
    from django.core.exceptions import PermissionDenied

    from tests.factories import UserFactory

    other_editor = UserFactory(username="otto", roles=["Editors"])
    with pytest.raises(PermissionDenied):
        push.request_push(other_editor, approved_draft)


def test_a_revision_that_is_not_the_approved_one_is_never_sent(approved_draft, editor, simulator):
    attempt = push.request_push(editor, approved_draft)
    Revision.objects.filter(pk=attempt.revision_id).update(skeleton={"tampered": True}, layout={})

    assert push.run_push(attempt.pk).state == State.FAILED
    attempt.refresh_from_db()
    assert attempt.error_code == "not-approved"
    assert simulator.request_log(method="PUT") == []


# claiming


def test_a_claimed_attempt_cannot_be_claimed_again_until_its_lease_expires(approved_draft, editor):
    attempt = push.request_push(editor, approved_draft)
    first = push.claim_attempt(attempt.pk)
    assert first is not None and first.tries == 1
    assert push.claim_attempt(attempt.pk) is None

    PushAttempt.objects.filter(pk=attempt.pk).update(
        lease_until=timezone.now() - timedelta(seconds=1)
    )
    second = push.claim_attempt(attempt.pk)
    assert second is not None and second.tries == 2
    # The first run was taken over: whatever it finds, it changes nothing.
    assert push.mark_failed(first, "x", "stale run").state == "taken-over"
    attempt.refresh_from_db()
    assert attempt.state == State.RUNNING and attempt.tries == 2


def test_a_finished_attempt_is_never_run_again(approved_draft, editor, simulator):
    attempt = push.request_push(editor, approved_draft)
    push.run_push(attempt.pk)
    assert push.run_push(attempt.pk).state == "skipped"
    assert len(simulator.request_log(method="PUT")) == 1


# transient faults


def test_a_burst_of_server_errors_is_retried_then_succeeds(
    approved_draft, editor, simulator, monkeypatch
):
    monkeypatch.setattr(push, "BACKOFF_BASE", 0.01)
    simulator.add_fault("http_error", status=500, method="PUT", count=2)
    attempt = push.request_push(editor, approved_draft)

    first = push.run_push(attempt.pk)
    attempt.refresh_from_db()
    assert first.state == State.RETRYING and first.retry_in is not None
    assert attempt.state == State.RETRYING and attempt.tries == 1
    assert attempt.next_retry_at is not None and attempt.error_code == "remote-error"
    assert "SFMC or the network failed" in attempt.error_message
    status = describe_attempt(attempt)
    assert status.title == "Retrying" and "Try 1 of 5" in status.detail

    run_until_final(attempt)
    assert attempt.state == State.SUCCEEDED and attempt.tries == 3
    assert len(applied_writes(simulator)) == 1


def test_a_rate_limit_is_honoured_with_its_retry_after(approved_draft, editor, simulator, settings):
    settings.SFMC_MAX_RETRIES = 0  # the client would otherwise wait in line itself
    simulator.add_fault("rate_limit", seconds=120, method="PUT", count=1)
    attempt = push.request_push(editor, approved_draft)

    before = timezone.now()
    outcome = push.run_push(attempt.pk)
    after = timezone.now()

    attempt.refresh_from_db()
    assert outcome.retry_in == pytest.approx(120)
    assert attempt.state == State.RETRYING and attempt.error_code == "rate-limited"
    retry_after = timedelta(seconds=120)
    assert before + retry_after <= attempt.next_retry_at <= after + retry_after
    assert push.run_push(attempt.pk).state == "skipped"  # not due yet
    run_until_final(attempt)
    assert attempt.state == State.SUCCEEDED


def test_a_short_rate_limit_is_waited_out_by_the_client_within_one_try(
    approved_draft, editor, simulator
):
    simulator.add_fault("rate_limit", seconds=1, method="PUT", count=1)
    attempt = push.request_push(editor, approved_draft)
    assert push.run_push(attempt.pk).state == State.SUCCEEDED
    attempt.refresh_from_db()
    assert attempt.tries == 1


def test_a_dropped_connection_is_checked_then_sent_again_once(approved_draft, editor, simulator):
    simulator.add_fault("drop", method="PUT", count=1)
    attempt = push.request_push(editor, approved_draft)

    assert push.run_push(attempt.pk).state == State.SUCCEEDED

    attempt.refresh_from_db()
    puts = simulator.request_log(method="PUT")
    assert [entry["applied"] for entry in puts] == [False, True]
    assert any("sent again" in note for note in attempt.error_details["notes"])


def test_a_lost_response_is_a_success_without_a_second_put_nor_a_false_conflict(
    approved_draft, editor, simulator
):
    simulator.add_fault("lost_response", method="PUT", count=1)
    attempt = push.request_push(editor, approved_draft)

    assert push.run_push(attempt.pk).state == State.SUCCEEDED

    puts = simulator.request_log(method="PUT")
    assert len(puts) == 1 and puts[0]["applied"] and puts[0]["outcome"] == "lost_response"
    assert not MergeSession.objects.exists()


def test_a_read_timeout_after_the_write_is_a_success_too(
    approved_draft, editor, simulator, settings
):
    settings.SFMC_READ_TIMEOUT = 0.5
    simulator.add_fault("lost_response", seconds=1.5, method="PUT", count=1)
    attempt = push.request_push(editor, approved_draft)

    assert push.run_push(attempt.pk).state == State.SUCCEEDED
    assert len(simulator.request_log(method="PUT")) == 1


def test_a_conflict_caused_by_our_own_earlier_write_is_no_conflict(
    approved_draft, editor, simulator, sim_connection
):
    """The false-conflict trap: a previous try's PUT landed but its answer never came."""
    base = approved_draft.base_snapshot
    body = put_body(approved_draft.document, version=base.version, modified_date=base.modified_date)
    client_for(sim_connection).put_journey(body)  # "the earlier try"
    attempt = push.request_push(editor, approved_draft)

    assert push.run_push(attempt.pk).state == State.SUCCEEDED
    assert not MergeSession.objects.exists()
    assert len(applied_writes(simulator)) == 1


def test_a_retry_after_a_stalled_try_looks_before_sending(
    approved_draft, editor, simulator, sim_connection
):
    attempt = push.request_push(editor, approved_draft)
    claimed = push.claim_attempt(attempt.pk)  # the worker that will die
    base = approved_draft.base_snapshot
    body = put_body(approved_draft.document, version=base.version, modified_date=base.modified_date)
    client_for(sim_connection).put_journey(body)  # ...after its PUT landed
    PushAttempt.objects.filter(pk=attempt.pk).update(
        lease_until=timezone.now() - timedelta(seconds=1)
    )
    assert claimed.tries == 1

    assert push.run_push(attempt.pk).state == State.SUCCEEDED
    assert len(simulator.request_log(method="PUT")) == 1  # only the dead worker's


def test_after_too_many_tries_the_push_fails_visibly(
    approved_draft, editor, simulator, monkeypatch
):
    monkeypatch.setattr(push, "BACKOFF_BASE", 0.01)
    simulator.add_fault("http_error", status=500, method="PUT", count=50)
    attempt = push.request_push(editor, approved_draft)

    run_until_final(attempt)

    assert attempt.state == State.FAILED and attempt.tries == push.MAX_TRIES
    status = describe_attempt(attempt)
    assert status.final and status.can_retry and "Gave up after 5 tries" in status.detail
    assert applied_writes(simulator) == []


# failures that need a person


def test_refused_credentials_fail_at_once(approved_draft, editor, sim_connection):
    sim_connection.set_client_secret("wrong-secret")
    sim_connection.save()
    attempt = push.request_push(editor, approved_draft)

    assert push.run_push(attempt.pk).state == State.FAILED
    attempt.refresh_from_db()
    assert attempt.error_code == "auth" and attempt.tries == 1
    assert "credentials" in attempt.error_message


def test_sfmc_validation_errors_are_kept_per_activity(
    editor, approver, sim_connection, demo_journeys, simulator
):
    # The push refuses invalid drafts itself; this one reaches SFMC as a stale approval might.
    draft = import_demo(editor, sim_connection)

    def dangle(document):
        document["activities"][1]["outcomes"][0]["next"] = "NOWHERE-1"

    draft = approved_now(editor, approver, edited(editor, draft, dangle))
    approval = draft.approvals.get()
    attempt = PushAttempt.objects.create(
        draft=draft,
        revision=approval.revision,
        approval=approval,
        requested_by=editor,
        payload_hash=approval.content_hash,
    )

    assert push.run_push(attempt.pk).state == State.FAILED

    attempt.refresh_from_db()
    assert attempt.error_code == "validation"
    problems = attempt.error_details["problems"]
    [dangling] = [p for p in problems if "NOWHERE-1" in p["message"]]
    assert dangling["activity_key"] == draft.document["activities"][1]["key"]
    assert all(p["activity_key"] for p in problems)  # each one can be drawn on its activity
    shown = [(p.activity_key, p.detail) for p in describe_attempt(attempt).problems]
    assert [key for key, _ in shown] == [p["activity_key"] for p in problems]
    # SFMC's sentences are shown with the activities it quotes by key said by name.
    assert shown[0][1] == (
        "Activity Wait by Duration 'Wait 2 days' leads to \"NOWHERE-1\", no activity of this "
        "journey."
    )
    assert not any(key in detail for key, detail in shown)


# the remote moved on


def test_a_published_version_gets_version_n_plus_one_by_post(
    editor, approver, sim_connection, demo_journeys, simulator
):
    draft = import_demo(editor, sim_connection, key="demo-birthday-offer")
    assert draft.base_snapshot.status == "Published"
    draft = approved_now(editor, approver, edited(editor, draft, rename("Birthday offer v2")))

    attempt = push.request_push(editor, draft)
    assert push.run_push(attempt.pk).state == State.SUCCEEDED

    attempt.refresh_from_db()
    assert attempt.remote_version_after == 2
    assert attempt.error_details["notes"] == [
        "SFMC version 1 was Published, so this push created version 2."
    ]
    assert len(applied_writes(simulator, "POST")) == 1 and applied_writes(simulator) == []
    latest = remote_doc(sim_connection, "demo-birthday-offer")
    assert (latest["version"], latest["status"], latest["name"]) == (
        2,
        "Draft",
        "Birthday offer v2",
    )


def test_a_remote_edit_turns_the_push_into_a_merge(
    approved_draft, editor, simulator, sim_connection
):
    simulator.control("POST", "remote-edit", {"key": WELCOME, "action": "rename", "name": "SFMC"})
    attempt = push.request_push(editor, approved_draft)

    assert push.run_push(attempt.pk).state == State.CONFLICT

    attempt.refresh_from_db()
    session = MergeSession.objects.get()
    assert attempt.error_details["merge"] == session.pk
    assert session.attempt == attempt and session.origin == MergeSession.Origin.PUSH
    assert session.theirs_snapshot.modified_date == remote_doc(sim_connection)["modifiedDate"]
    assert session.base_snapshot == approved_draft.base_snapshot
    assert [c["id"] for c in session.conflicts] == ["both-modified:/name"]
    assert applied_writes(simulator) == []
    assert AuditEvent.objects.filter(action="push.conflict").count() == 1
    status = describe_attempt(attempt)
    assert status.final and status.merge_id == session.pk


# recovering


def test_a_worker_that_died_mid_run_shows_as_stalled_and_is_recovered(
    approved_draft, editor, django_capture_on_commit_callbacks
):
    attempt = push.request_push(editor, approved_draft)
    push.claim_attempt(attempt.pk)
    PushAttempt.objects.filter(pk=attempt.pk).update(
        lease_until=timezone.now() - timedelta(seconds=1)
    )
    attempt.refresh_from_db()
    status = describe_attempt(attempt)
    assert status.stalled and status.can_retry and status.title == "Worker stopped"

    with django_capture_on_commit_callbacks() as callbacks:
        assert push.recover_pushes() == [attempt.pk]
    attempt.refresh_from_db()
    assert attempt.state == State.RETRYING and attempt.error_details["check_first"]
    assert len(callbacks) == 1  # the task is enqueued again on commit


def test_a_queued_push_nobody_picks_up_says_no_worker_seems_to_run(approved_draft, editor):
    attempt = push.request_push(editor, approved_draft)
    PushAttempt.objects.filter(pk=attempt.pk).update(
        created_at=timezone.now() - timedelta(minutes=2)
    )
    attempt.refresh_from_db()
    assert "No worker seems to be running" in describe_attempt(attempt).detail
    assert push.recover_pushes() == [attempt.pk]
    assert push.recover_pushes(grace=timedelta(minutes=5)) == []


def test_a_redirect_is_never_followed_and_the_push_fails_visibly(approved_draft, editor, simulator):
    simulator.add_fault("redirect", location="http://127.0.0.1:9/steal", method="PUT", count=1)
    attempt = push.request_push(editor, approved_draft)

    assert push.run_push(attempt.pk).state == State.FAILED

    attempt.refresh_from_db()
    assert "redirects are never followed" in attempt.error_message
    assert applied_writes(simulator) == []
