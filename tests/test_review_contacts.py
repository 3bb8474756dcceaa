"""Test contacts in the review and the approval: each contact on SFMC's version and on the draft
(what the draft changes for it), the results an approval records, and the connection's rule that
approval and push need passing tests."""

from __future__ import annotations

import copy
import json
import re

import pytest
from django.test import Client
from django.urls import reverse

from journeys import contact_display
from journeys.domain.document import content_hash
from journeys.models import Approval, AuditEvent, Draft, Journey, RemoteSnapshot, TestContact
from journeys.services import push, review, test_contacts
from journeys.services.drafts import create_draft_from_upload, save_revision
from tests.factories import ConnectionFactory

NURTURE = "14-coh-goal-and-exit-criteria.json"  # emails, decision splits, a goal
# Alice (not converted) goes down every email; Bob (converted) meets the goal at entry.
SHEET = (
    "name,Converted,entered,expect\n"
    "Alice,false,2026-12-01 09:00,receives VIP offer\n"
    "Bob,true,2026-12-01 09:00,exits by the goal\n"
)
FIXED = SHEET.replace("receives VIP offer", "receives Healthy Lifestyle")


@pytest.fixture
def connection(db):
    return ConnectionFactory()


def in_sfmc(user, connection, document):
    """A draft of a journey SFMC has (version 1 = `document`), as imported."""
    journey = Journey.objects.create(
        connection=connection, key=document["key"], name=document["name"]
    )
    RemoteSnapshot.objects.create(
        journey=journey,
        version=1,
        modified_date="2026-11-20T10:00:00",
        status="Draft",
        document=document,
        content_hash=content_hash(document),
    )
    return create_draft_from_upload(user, connection, json.dumps(document).encode()).draft


def vip_offer(document):
    """The first wait shortened to 3 days, 'Healthy Lifestyle' renamed 'VIP offer'."""
    by_key = {a["key"]: a for a in document["activities"]}
    by_key["WAITBYDURATION-2"]["configurationArguments"]["waitDuration"] = 3
    by_key["EMAILV2-3"]["name"] = "VIP offer"


def changed(user, draft, change):
    document = copy.deepcopy(draft.document)
    change(document)
    return save_revision(
        user, draft, document, expected_revision=draft.revision_number, summary="edit"
    )


@pytest.fixture
def nurture(real_fixtures_dir):
    return json.loads((real_fixtures_dir / NURTURE).read_text())


@pytest.fixture
def draft(editor, connection, nurture):
    """SFMC's nurture journey with the VIP offer, Alice and Bob, submitted for review."""
    draft = changed(editor, in_sfmc(editor, connection, nurture), vip_offer)
    test_contacts.import_test_contacts(editor, draft, SHEET)
    return submitted(editor, draft)


def submitted(editor, draft):
    return review.submit_for_review(
        editor, draft, expected_revision=draft.revision_number, message=""
    )


def approve(approver, draft):
    return review.approve(approver, draft, expected_revision=draft.revision_number)


def require_passing_tests(connection, on=True):
    connection.require_passing_tests = on
    connection.save()


def review_page(client, user, draft):
    client.force_login(user)
    return client.get(reverse("journeys:draft-review", args=[draft.pk])).content.decode()


def row(html, name):
    return html.split(f'data-contact="{name}"', 1)[1].split("</tr>", 1)[0]


# What an approval records


def test_an_approval_records_the_contacts_their_paths_and_each_expectations_result(approver, draft):
    approval = approve(approver, draft)

    results = Approval.objects.get(pk=approval.pk).test_results
    alice, bob = results["contacts"]
    assert alice["name"] == "Alice" and alice["values"] == {"Converted": "false"}
    assert alice["entered_at"] == "2026-12-01T09:00"
    assert alice["expectations"] == ["receives VIP offer"]
    assert alice["assumptions"] == {"engagement": {}, "branches": {}}
    [path] = alice["paths"]
    assert path["keys"][:3] == ["TRIGGER", "EMAILV2-1", "WAITBYDURATION-2"]
    assert "EMAILV2-3" in path["keys"] and path["ended"] == "end"
    assert alice["outcomes"] == [
        {"expectation": "receives VIP offer", "result": "passed", "why": ""}
    ]
    assert bob["paths"][0]["ended"] == "goal"
    assert results["all_passed"] is True
    event = AuditEvent.objects.get(action="draft.approved", draft=draft)
    assert event.details["tests"] == "2 test contacts, all expectations met"


def test_without_the_rule_a_failing_expectation_is_recorded_not_refused(approver, editor, draft):
    test_contacts.import_test_contacts(editor, draft, FIXED)  # Alice now expects the old name

    approval = approve(approver, draft)

    assert approval.test_results["all_passed"] is False
    [outcome] = approval.test_results["contacts"][0]["outcomes"]
    assert outcome["result"] == "failed" and "'VIP offer'" in outcome["why"]
    assert approval.tests_summary == "2 test contacts, 1 expectation not met"


# The team's rule: approving


def test_the_rule_refuses_a_draft_without_test_contacts(approver, editor, connection, nurture):
    require_passing_tests(connection)
    draft = submitted(editor, in_sfmc(editor, connection, nurture))

    with pytest.raises(review.ReviewRefused) as refused:
        approve(approver, draft)

    assert "the draft has no test contacts" in refused.value.message
    assert not Approval.objects.filter(draft=draft).exists()


def test_the_rule_refuses_a_failing_expectation_until_the_contact_is_fixed(
    approver, editor, connection, draft
):
    require_passing_tests(connection)
    test_contacts.import_test_contacts(editor, draft, FIXED.replace("Healthy", "Wealthy"))

    with pytest.raises(review.ReviewRefused) as refused:
        approve(approver, draft)

    assert refused.value.message.startswith(
        "This connection approves only drafts whose test contacts all pass: 1 expectation not "
        "met: Alice: 'receives Wealthy Lifestyle' failed (received 'Screening'"
    )
    draft.refresh_from_db()
    assert draft.state == Draft.State.IN_REVIEW and not draft.approvals.exists()

    test_contacts.import_test_contacts(editor, draft, SHEET)  # back to "receives VIP offer"
    approval = approve(approver, draft)

    assert approval.test_results["all_passed"] is True


def test_under_the_rule_a_contact_that_cannot_be_told_does_not_pass(
    approver, editor, connection, draft
):
    require_passing_tests(connection)

    def fortnights(document):
        wait = next(a for a in document["activities"] if a["key"] == "WAITBYDURATION-2")
        wait["configurationArguments"]["waitUnit"] = "FORTNIGHTS"

    draft = submitted(editor, changed(editor, draft, fortnights))

    with pytest.raises(review.ReviewRefused) as refused:
        approve(approver, draft)

    assert (
        "Alice: 'receives VIP offer' cannot be told (cannot tell how long the wait is (3 "
        "FORTNIGHTS))"
    ) in refused.value.message


def test_under_the_rule_changing_a_contact_of_an_approved_draft_voids_the_approval(
    approver, editor, connection, draft
):
    approve(approver, draft)
    alice = draft.test_contacts.get(name="Alice")
    test_contacts.delete_test_contact(editor, draft, alice.pk)  # the rule is off: it stands
    draft.refresh_from_db()
    assert draft.state == Draft.State.APPROVED

    require_passing_tests(connection)
    test_contacts.import_test_contacts(editor, draft, "name,Converted\nDora,false\n")

    draft.refresh_from_db()
    assert draft.state == Draft.State.EDITING
    assert review.valid_approval(draft) is None
    assert AuditEvent.objects.filter(action="approval.voided", draft=draft).count() == 1


# The team's rule: pushing


def test_under_the_rule_the_push_goes_when_the_tests_pass_as_approved(
    approver, editor, connection, draft
):
    require_passing_tests(connection)
    draft = Draft.objects.get(pk=approve(approver, draft).draft_id)

    attempt = push.request_push(editor, draft)

    assert attempt.approval.test_results["all_passed"] is True


def test_the_push_is_refused_when_the_contacts_changed_since_the_approval(
    approver, editor, connection, draft
):
    approve(approver, draft)
    draft.refresh_from_db()
    # Changed while the rule was off (so the approval stood), then the rule is switched on.
    TestContact.objects.filter(draft=draft, name="Bob").update(values={"Converted": "false"})
    test_contacts.import_test_contacts(editor, draft, "name,Converted\nDora,false\n")
    require_passing_tests(connection)

    with pytest.raises(push.PushRefused) as refused:
        push.request_push(editor, draft)

    assert refused.value.message == (
        "This connection pushes only drafts whose test contacts all pass on the approved "
        "revision, and they are not the ones approved: 'Dora' was added; 'Bob' was changed. "
        "Have the draft approved again (changing the journey or a test contact returns it to "
        "editing)."
    )
    assert not draft.push_attempts.exists()


def test_the_push_is_refused_when_an_expectation_does_not_pass(approver, editor, connection, draft):
    test_contacts.import_test_contacts(editor, draft, FIXED)  # fails, approved without the rule
    approve(approver, draft)
    draft.refresh_from_db()
    require_passing_tests(connection)

    with pytest.raises(push.PushRefused) as refused:
        push.request_push(editor, draft)

    assert refused.value.message.startswith(
        "This connection pushes only drafts whose test contacts all pass on the approved "
        "revision: 1 expectation not met: Alice: 'receives Healthy Lifestyle' failed"
    )
    require_passing_tests(connection, on=False)
    assert push.request_push(editor, draft).pk  # without the rule the push goes


def test_the_push_is_refused_for_an_approval_that_recorded_no_tests(
    approver, editor, connection, draft
):
    approval = approve(approver, draft)
    Approval.objects.filter(pk=approval.pk).update(test_results={})  # approved before this
    draft.refresh_from_db()
    require_passing_tests(connection)

    with pytest.raises(push.PushRefused) as refused:
        push.request_push(editor, draft)

    assert "not the ones approved: the approval recorded no test results." in (
        refused.value.message
    )


def test_the_push_button_shows_why_the_push_was_refused(
    client, approver, editor, connection, draft
):
    test_contacts.import_test_contacts(editor, draft, FIXED)
    approve(approver, draft)
    require_passing_tests(connection)
    client.force_login(editor)

    answer = client.post(
        reverse("journeys:draft-push", args=[draft.pk]), headers={"HX-Request": "true"}
    )

    assert answer.status_code == 409
    notice = re.search(
        r'<p class="push-notice refused" role="alert">([^<]*)</p>', answer.content.decode()
    )
    assert notice.group(1).startswith(
        "This connection pushes only drafts whose test contacts all pass on the approved revision: "
        "1 expectation not met: Alice: &#x27;receives Healthy Lifestyle&#x27; failed"
    )
    assert not draft.push_attempts.exists()


# The review screen


def test_the_review_says_per_contact_where_it_ends_its_expectations_and_what_changes(
    client, approver, draft
):
    html = review_page(client, approver, draft)

    alice = row(html, "Alice")
    assert "ended after &#x27;VIP offer&#x27;" in alice
    assert re.search(r'title="TRIGGER → EMAILV2-1 → WAITBYDURATION-2 → [^"]*EMAILV2-3', alice)
    assert "<strong>passed</strong>: receives VIP offer" in alice
    assert (
        '<li title="EMAILV2-3">receives &#x27;VIP offer&#x27; instead of &#x27;Healthy '
        "Lifestyle&#x27; on day 10 09:00</li>"
    ) in alice
    assert "receives &#x27;Nutrition and Wellness&#x27; on day 3 09:00 (was day 7 09:00)" in alice
    bob = row(html, "Bob")
    assert "no change for this contact" in bob
    assert "<strong>passed</strong>: exits by the goal" in bob
    assert 'id="contact-warnings"' not in html


def test_a_failing_expectation_is_a_warning_on_the_review_with_its_why(
    client, approver, editor, draft
):
    test_contacts.import_test_contacts(editor, draft, FIXED)

    html = review_page(client, approver, draft)

    warnings = html.split('id="contact-warnings"', 1)[1].split("</div>", 1)[0]
    assert "1 test contact expectation not met on this draft" in warnings
    assert "Test contact &#x27;Alice&#x27;: expected to receive &#x27;Healthy Lifestyle&#x27;" in (
        warnings
    )
    assert "<strong>failed</strong>: receives Healthy Lifestyle" in row(html, "Alice")
    assert 'id="tests-refusal"' not in html  # the rule is off: Approve stays enabled


def test_a_new_journey_has_no_base_to_compare_its_contacts_with(
    client, approver, editor, connection, nurture
):
    draft = create_draft_from_upload(editor, connection, json.dumps(nurture).encode()).draft
    test_contacts.import_test_contacts(editor, draft, FIXED)

    html = review_page(client, approver, draft)

    assert "a new journey: SFMC has no version to compare with" in html
    assert '<span class="meta">new journey</span>' in row(html, "Alice")


def test_under_the_rule_the_approve_button_is_disabled_with_the_reason_and_a_post_is_refused(
    client, approver, editor, connection, draft
):
    require_passing_tests(connection)
    test_contacts.import_test_contacts(editor, draft, FIXED)

    html = review_page(client, approver, draft)
    button = re.search(r'<button[^>]*id="approve-button"[^>]*>', html).group(0)
    assert "disabled" in button and 'aria-describedby="tests-refusal"' in button
    reason = re.search(r'<p class="hint refusal" id="tests-refusal">([^<]*)</p>', html).group(1)
    assert reason.startswith("This connection approves only drafts whose test contacts all pass")

    url = reverse("journeys:draft-decide", args=[draft.pk])
    answer = client.post(
        url, {"decision": "approve", "revision": draft.revision_number}, follow=True
    )

    shown = answer.content.decode()
    assert "1 expectation not met: Alice: &#x27;receives Healthy Lifestyle&#x27; failed" in shown
    assert not draft.approvals.exists()


def test_the_review_says_what_the_approval_recorded(client, approver, editor, draft):
    approve(approver, draft)

    html = review_page(client, editor, draft)

    assert '<span id="approval-tests">with 2 test contacts, all expectations met</span>' in html
    audit = client.get(reverse("journeys:journey-audit", args=[draft.journey_id]))
    assert "draft.approved, with 2 test contacts, all expectations met" in audit.content.decode()


def test_the_decision_needs_the_csrf_token(approver, draft):
    client = Client(enforce_csrf_checks=True)
    client.force_login(approver)

    answer = client.post(
        reverse("journeys:draft-decide", args=[draft.pk]),
        {"decision": "approve", "revision": draft.revision_number},
    )

    assert answer.status_code == 403
    assert not draft.approvals.exists()


def test_the_review_steps_all_contacts_once_on_each_version(
    client, approver, editor, draft, monkeypatch
):
    test_contacts.import_test_contacts(
        editor, draft, "name,Converted\n" + "".join(f"C{n},false\n" for n in range(20))
    )
    real, calls = contact_display.run_contacts, []
    monkeypatch.setattr(
        contact_display,
        "run_contacts",
        lambda document, contacts, names: (
            calls.append(len(contacts)) or real(document, contacts, names)
        ),
    )

    html = review_page(client, approver, draft)

    assert calls == [22, 22]  # SFMC's version and the draft, every contact at once
    assert html.count('class="contact-row') == 22
