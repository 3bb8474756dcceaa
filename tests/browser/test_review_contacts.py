"""The passing-tests rule in real headless Chromium: an approver sees a test contact's failing
expectation on the review with what the draft changes for each contact, and the Approve button
disabled with the reason; the editor re-imports the corrected contact; the approver approves and
the review says what the approval recorded."""

from __future__ import annotations

import copy
import json

import pytest
from playwright.sync_api import expect

from journeys.models import Draft
from journeys.services import test_contacts
from tests.browser import test_review_flow
from tests.browser.test_canvas import open_editor
from tests.test_review_contacts import FIXED, NURTURE, SHEET, changed, in_sfmc, submitted, vip_offer

connection = test_review_flow.connection
browser_errors = test_review_flow.browser_errors
editor_page = test_review_flow.editor_page
approver_page = test_review_flow.approver_page

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_a_failing_expectation_blocks_approval_until_the_contact_is_fixed(
    editor_page, approver_page, live_server, editor, connection, real_fixtures_dir, artifacts
):
    connection.require_passing_tests = True
    connection.save()
    nurture = json.loads((real_fixtures_dir / NURTURE).read_text())
    draft = changed(editor, in_sfmc(editor, connection, copy.deepcopy(nurture)), vip_offer)
    # Alice still expects the email by its old name: the draft renamed it 'VIP offer'.
    test_contacts.import_test_contacts(editor, draft, FIXED)
    draft = submitted(editor, draft)
    review_url = f"{live_server.url}/drafts/{draft.pk}/review/"

    page = approver_page
    page.goto(review_url)
    alice = page.locator('#test-contacts tr[data-contact="Alice"]')
    expect(alice.locator("td.expectations")).to_contain_text(
        "failed: receives Healthy Lifestyle — received 'Screening', 'Nutrition and Wellness', "
        "'VIP offer'"
    )
    expect(alice.locator("td.changes li").nth(1)).to_have_text(
        "receives 'VIP offer' instead of 'Healthy Lifestyle' on day 10 09:00"
    )
    expect(alice.locator("td.changes li").nth(1)).to_have_attribute("title", "EMAILV2-3")
    expect(page.locator('#test-contacts tr[data-contact="Bob"] td.changes')).to_have_text(
        "no change for this contact"
    )
    expect(page.locator("#contact-warnings")).to_contain_text(
        "Test contact 'Alice': expected to receive 'Healthy Lifestyle'"
    )
    approve = page.locator("#approve-button")
    expect(approve).to_be_disabled()
    expect(page.locator("#tests-refusal")).to_have_text(
        "This connection approves only drafts whose test contacts all pass: 1 expectation not "
        "met: Alice: 'receives Healthy Lifestyle' failed (received 'Screening', 'Nutrition and "
        "Wellness', 'VIP offer'; took 'Still a Lead Record', 'Still a Lead Record'; reached the "
        "end of the path)."
    )
    page.locator("#test-contacts").scroll_into_view_if_needed()
    page.screenshot(path="/tmp/review-contacts.png", full_page=True)
    page.screenshot(path=artifacts / "review-contacts-refused.png", full_page=True)

    # The editor pastes the corrected sheet: Alice now expects the email by its new name.
    open_editor(editor_page, live_server, draft)
    editor_page.click("#contacts-button")
    editor_page.click("#import-contacts-summary")
    editor_page.fill("#panel #id_text", SHEET)
    editor_page.click("#import-contacts")
    expect(
        editor_page.locator('#panel tr.contact-row[data-contact="Alice"] td.expectations')
    ).to_have_text("1 passed")

    page.reload()
    expect(alice.locator("td.expectations")).to_contain_text("passed: receives VIP offer")
    expect(page.locator("#contact-warnings")).to_have_count(0)
    expect(page.locator("#tests-rule")).to_contain_text("they do")
    expect(approve).to_be_enabled()
    approve.click()
    expect(page.locator("#draft-state")).to_have_text("Approved")
    expect(page.locator("#approval-tests")).to_have_text(
        "with 2 test contacts, all expectations met"
    )
    draft.refresh_from_db()
    assert draft.state == Draft.State.APPROVED
    assert draft.approvals.get().test_results["all_passed"] is True
    page.screenshot(path=artifacts / "review-contacts-approved.png", full_page=True)
