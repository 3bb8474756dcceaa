"""A sent-back draft in real headless Chromium: the approver requests changes, the author sees
the comment (who, when) in the editor bar, edits (the draft stays "Changes requested"),
resubmits from the bar with a reply, and the approver, seeing the reply in the review history,
approves."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from journeys.models import Draft
from journeys.services import review
from journeys.services.drafts import create_new_journey
from tests.browser.test_canvas import Editor, build, insert
from tests.browser.test_review_flow import (  # noqa: F401  (fixtures)
    approver_page,
    browser_errors,
    connection,
    editor_page,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

ASKED = "Three days, please: one is too short to open the email."
REPLY = "Done, the wait is three days now."


def test_changes_requested_reach_the_author_who_edits_and_resubmits(
    editor_page,  # noqa: F811
    approver_page,  # noqa: F811
    live_server,
    editor,
    connection,  # noqa: F811
    artifacts,
):
    base = live_server.url
    draft = build(
        editor, create_new_journey(editor, connection, "Spring welcome"), insert("WAITBYDURATION")
    )
    review.submit_for_review(editor, draft, expected_revision=2, message="First version")
    review_url = f"{base}/drafts/{draft.pk}/review/"

    # The approver sends it back with a comment.
    ap = approver_page
    ap.goto(review_url)
    ap.fill("#id_comment", ASKED)
    ap.get_by_role("button", name="Request changes").click()
    expect(ap.locator(".messages")).to_contain_text("Sent back to the author.")
    expect(ap.locator("#draft-state")).to_have_text("Changes requested")
    expect(ap.locator("#changes-requested-comment")).to_have_text(ASKED)
    expect(ap.locator("#resubmit-review")).to_have_count(0)  # only the author's side resubmits

    # The author opens the editor: the state, who asked, when, and what, in the bar's banner.
    ed = editor_page
    canvas = Editor(ed, base, draft.pk).open()
    expect(ed.locator("#editor-bar .meta")).to_contain_text("Changes requested")
    banner = ed.locator("#state-banner")
    expect(banner).to_contain_text("Changes requested by arlo on")
    expect(banner.locator("time")).to_have_text(re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d$"))
    expect(banner.locator("#changes-requested-comment")).to_have_text(ASKED)
    expect(ed.get_by_role("link", name="Review & resubmit")).to_be_visible()
    ed.screenshot(path=artifacts / "changes-requested-editor.png")

    # An edit keeps the draft sent back; the banner now resubmits the new revision.
    canvas.open_panel("WAITBYDURATION-1")
    canvas.change_field("#id_waitDuration", "3")
    expect(ed.locator("#revision-number")).to_have_text("3")
    expect(ed.locator("#editor-bar .meta")).to_contain_text("Changes requested")
    expect(banner.locator("#changes-requested-comment")).to_have_text(ASKED)
    expect(ed.locator("#resubmit-editor")).to_have_text("Resubmit revision 3 for review")
    assert Draft.objects.get(pk=draft.pk).state == Draft.State.CHANGES_REQUESTED

    # Resubmitting with a reply: the review page says so, and its history carries the reply.
    ed.fill("#id_reply-editor", REPLY)
    ed.locator("#resubmit-editor").click()
    ed.wait_for_url(review_url)
    expect(ed.locator(".messages")).to_contain_text("Submitted for review")
    expect(ed.locator("#draft-state")).to_have_text("In review")

    # The approver sees the whole exchange and approves the new revision.
    ap.goto(review_url)
    history = ap.locator("#review-history > li")
    expect(history).to_have_count(3)
    expect(history.nth(1)).to_contain_text("Changes requested by arlo on revision 2")
    expect(history.nth(1)).to_contain_text(ASKED)
    expect(history.nth(2)).to_contain_text("Resubmitted by edna on revision 3")
    expect(history.nth(2)).to_contain_text(REPLY)
    ap.get_by_role("button", name="Approve revision 3").click()
    expect(ap.locator("#draft-state")).to_have_text("Approved")
    expect(ap.locator("#review-history > li")).to_have_count(4)
    ap.screenshot(path=artifacts / "changes-requested-review-history.png", full_page=True)
    assert Draft.objects.get(pk=draft.pk).state == Draft.State.APPROVED
