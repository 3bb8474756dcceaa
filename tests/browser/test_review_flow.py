"""A full review round trip in real headless Chromium: an editor and an approver, each in their
own browser context and logged in through the real login form.

Submit → the Reviews queue → the review canvas with its marks → a comment pinned to an activity →
changes requested → the comment on the editor canvas, replied to and resolved → an edit in the
side panel → submitted again → "changes since the last review" → approved → the banner that the
next change voids the approval; an approver cannot approve their own draft; the audit trail
lists every step. Every page fails the test if it logs a JavaScript error, an uncaught exception
or a content security policy violation.
"""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import Page, expect

from journeys.models import Approval, Comment, Draft
from journeys.services.drafts import create_new_journey
from tests.browser.test_canvas import BrowserErrors, Editor, build, insert
from tests.factories import ConnectionFactory

pytestmark = [
    pytest.mark.browser,
    # The Editors and Approvers groups come from a data migration; without serialized rollback
    # the flush after a transactional test would drop them for the next test.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

WAIT, EMAIL, SMS = "WAITBYDURATION-1", "EMAILV2-1", "SMSSYNC-1"


@pytest.fixture
def connection(db):
    return ConnectionFactory()


@pytest.fixture
def browser_errors():
    errors = BrowserErrors()
    yield errors
    assert errors.unexpected() == [], "a page logged JavaScript errors"


@pytest.fixture
def editor_page(page, login, editor, browser_errors) -> Page:
    browser_errors.watch(page)
    login(page, editor.username)
    return page


@pytest.fixture
def approver_page(browser, browser_context_args, login, approver, browser_errors):
    """A second browser context: its own cookies, so its own session."""
    context = browser.new_context(**browser_context_args)
    page = browser_errors.watch(context.new_page())
    login(page, approver.username)
    yield page
    context.close()


def after_canvas(page: Page, section: int = 0):
    """The "after" canvas of the n-th comparison on the review screen (0: against SFMC)."""
    return page.locator(".canvas.readonly").nth(section)


def change_lists(page: Page):
    return page.locator("ul.changes")


def thread_on(page: Page, key: str):
    return page.locator("#comments article.comment", has=page.locator(f'header a:text-is("{key}")'))


def submit(page: Page, message: str) -> None:
    """On the editor canvas: "Review & submit", then submit with a message to the approvers."""
    page.get_by_role("link", name="Review & submit").click()
    page.wait_for_url(re.compile(r"/drafts/\d+/review/$"))
    page.fill("#id_message", message)
    page.locator(".decision button[type=submit]", has_text="Submit revision").click()
    expect(page.locator(".messages")).to_contain_text("Submitted for review")
    expect(page.locator("#draft-state")).to_have_text("In review")


def test_a_draft_goes_from_submission_through_requested_changes_to_approval_in_two_browsers(
    editor_page, approver_page, live_server, editor, approver, connection, artifacts
):
    base = live_server.url
    draft = build(
        editor,
        create_new_journey(editor, connection, "Spring welcome"),
        insert("WAITBYDURATION"),
        insert("EMAILV2", after=WAIT),
        insert("SMSSYNC", after=EMAIL),
    )
    assert draft.revision_number == 4

    # The editor opens the draft and submits it for review.
    ed = editor_page
    canvas = Editor(ed, base, draft.pk).open()
    submit(ed, "First version of the spring welcome, please have a look")

    # The approver finds it in the Reviews queue.
    ap = approver_page
    ap.get_by_role("navigation", name="Main").get_by_role("link", name="Reviews").click()
    ap.wait_for_url(f"{base}/reviews/")
    row = ap.locator("table.list tbody tr", has_text="Spring welcome")
    expect(row).to_have_count(1)
    expect(row.locator("td").nth(2)).to_have_text("edna")
    expect(row.locator("td").nth(4)).to_have_text(re.compile(r"^\d+ changes$"))
    row.get_by_role("link", name="Spring welcome").click()
    review_url = f"{base}/drafts/{draft.pk}/review/"
    ap.wait_for_url(review_url)

    # The review canvas marks every activity as added (the journey is new to SFMC) ...
    expect(ap.locator("#draft-state")).to_have_text("In review")
    review_canvas = after_canvas(ap)
    for key in (WAIT, EMAIL, SMS):
        expect(review_canvas.locator(f'a.node[data-key="{key}"]')).to_have_class(
            re.compile(r"\bmark-added\b")
        )
    expect(review_canvas.locator("a.node.mark-changed, a.node.mark-removed")).to_have_count(0)
    # ... and lists the changes in plain language, one group per activity.
    changes = change_lists(ap).first
    for key in (WAIT, EMAIL, SMS):
        group = changes.locator(f"#change-{key}")
        expect(group).to_have_class(re.compile(r"\badded\b"))
        expect(group).to_contain_text("(added)")
    expect(ap.get_by_role("heading", name=re.compile("Changes since the last review"))).to_have_count(
        0
    )

    # Clicking a node on the review canvas pins the next comment to that activity.
    review_canvas.locator(f'a.node[data-key="{WAIT}"]').click()
    ap.wait_for_url(f"{review_url}?on={WAIT}#comments")
    expect(ap.locator('label[for="new-comment"]')).to_have_text(f"Comment on {WAIT}")
    ap.fill("#new-comment", "One day is too short: give them three days to open the email.")
    ap.get_by_role("button", name="Add comment").click()
    ap.wait_for_url(f"{review_url}#comments")
    thread = thread_on(ap, WAIT)
    expect(thread).to_contain_text("arlo · revision 4 · on WAITBYDURATION-1")
    expect(thread).to_contain_text("One day is too short")
    pinned = after_canvas(ap).locator(f'a.node[data-key="{WAIT}"]')
    expect(pinned.locator("circle.comment-dot")).to_be_visible()
    expect(pinned).to_have_attribute("aria-label", re.compile(r", 1 open comment$"))
    expect(after_canvas(ap).locator("circle.comment-dot")).to_have_count(1)
    ap.screenshot(path=artifacts / "review-canvas.png", full_page=True)

    # Requesting changes without a comment is refused; with one, the draft goes back.
    ap.get_by_role("button", name="Request changes").click()
    expect(ap.locator(".messages")).to_contain_text("a comment is required")
    expect(ap.locator("#draft-state")).to_have_text("In review")
    ap.fill("#id_comment", "Please lengthen the first wait, see my comment.")
    ap.get_by_role("button", name="Request changes").click()
    expect(ap.locator(".messages")).to_contain_text("Sent back to the author.")
    expect(ap.locator("#draft-state")).to_have_text("Editing")
    expect(ap.get_by_role("button", name=re.compile("^Approve"))).to_have_count(0)

    # The editor sees the draft back in Editing, with the comment marker on the canvas.
    canvas.open()
    expect(ed.locator("#editor-bar .meta")).to_contain_text("Editing")
    expect(ed.locator("#state-banner")).to_have_text("")
    marker = canvas.node(WAIT).locator("circle.comment-dot")
    expect(marker).to_be_visible()
    expect(marker.locator("title")).to_have_text("1 open comment")
    expect(ed.locator("#canvas circle.comment-dot")).to_have_count(1)

    # ... replies to the comment and resolves it on the review screen ...
    ed.get_by_role("link", name="Review & submit").click()
    ed.wait_for_url(review_url)
    expect(ed.locator(".meta")).to_contain_text("last decision: Changes requested by arlo")
    thread = thread_on(ed, WAIT)
    thread.get_by_placeholder("Reply").fill("Done: the wait is three days now.")
    thread.get_by_role("button", name="Reply").click()
    ed.wait_for_url(f"{review_url}#comments")
    thread = thread_on(ed, WAIT)
    expect(thread.locator(".reply")).to_have_count(1)
    expect(thread.locator(".reply")).to_contain_text("edna")
    expect(thread.locator(".reply")).to_contain_text("Done: the wait is three days now.")
    thread.get_by_role("button", name="Resolve").click()
    ed.wait_for_url(f"{review_url}#comments")
    thread = thread_on(ed, WAIT)
    expect(thread).to_have_class(re.compile(r"\bresolved\b"))
    expect(thread.locator("header").first).to_contain_text("resolved")
    expect(thread.get_by_role("button", name="Reopen")).to_be_visible()
    thread_row = Comment.objects.get(draft=draft, parent=None)
    assert (thread_row.resolved, thread_row.resolved_by) == (True, editor)

    # ... changes the wait in the side panel (the resolved comment no longer marks the canvas)
    # and submits again.
    ed.get_by_role("link", name="Open the canvas").click()
    canvas.wait_until_drawn()
    expect(ed.locator("#canvas circle.comment-dot")).to_have_count(0)
    canvas.open_panel(WAIT)
    canvas.change_field("#id_waitDuration", "3")
    draft.refresh_from_db()
    assert draft.revision_number == 5
    assert draft.document["activities"][0]["configurationArguments"]["waitDuration"] == 3
    submit(ed, "Lengthened the first wait as asked")

    # The approver's review screen now shows the changes since the last review: only the wait.
    ap.goto(f"{base}/reviews/")
    ap.locator("table.list tbody tr", has_text="Spring welcome").get_by_role("link").click()
    ap.wait_for_url(review_url)
    since = ap.get_by_role("heading", name="Changes since the last review (revision 4)")
    expect(since).to_be_visible()
    expect(ap.locator(".canvas.readonly")).to_have_count(2)
    since_canvas = after_canvas(ap, 1)
    expect(since_canvas.locator("a.node.mark-changed")).to_have_count(1)
    expect(since_canvas.locator(f'a.node[data-key="{WAIT}"]')).to_have_class(
        re.compile(r"\bmark-changed\b")
    )
    expect(since_canvas.locator("a.node.mark-added, a.node.mark-removed")).to_have_count(0)
    since_changes = change_lists(ap).nth(1)
    expect(since_changes.locator(":scope > li")).to_have_count(1)
    expect(since_changes.locator(":scope > li")).to_have_id(f"change-{WAIT}")
    expect(since_changes.locator(":scope > li")).to_contain_text("(changed)")
    expect(since_changes.locator(":scope > li li")).to_have_text(["Wait 1 day → 3 days"])
    # Against SFMC the journey is still all new, and the resolved thread pins no marker.
    expect(after_canvas(ap).locator("a.node.mark-added")).to_have_count(3)
    expect(ap.locator(".canvas.readonly circle.comment-dot")).to_have_count(0)
    since.scroll_into_view_if_needed()
    ap.screenshot(path=artifacts / "review-since-last.png")

    ap.fill("#id_comment", "Looks good now.")
    ap.get_by_role("button", name="Approve revision 5").click()
    expect(ap.locator(".messages")).to_contain_text("Approved.")
    expect(ap.locator("#draft-state")).to_have_text("Approved")
    draft.refresh_from_db()
    assert draft.state == Draft.State.APPROVED
    approval = draft.approvals.get(decision=Approval.Decision.APPROVED)
    assert (approval.revision.number, approval.content_hash) == (5, draft.content_hash)

    # The editor's canvas now warns that the next change voids the approval.
    canvas.open()
    expect(ed.locator("#state-banner")).to_have_text(
        "This draft is approved. Your next change voids the approval; "
        "it will need to be submitted again."
    )
    expect(ed.locator("#state-banner")).to_be_visible()

    # The audit trail lists every step, newest first.
    ed.goto(review_url)
    ed.get_by_role("link", name="Audit trail").click()
    ed.wait_for_url(f"{base}/journeys/{draft.journey_id}/audit/")
    rows = ed.locator("table.list tbody tr")
    steps = [
        (cells[1], cells[2].split(":")[0].split(" — ")[0], cells[4])
        for cells in (row.locator("td").all_inner_texts() for row in rows.all())
    ]
    assert steps[::-1] == [
        ("edna", "draft.created", "1"),
        ("edna", "draft.edited", "2"),
        ("edna", "draft.edited", "3"),
        ("edna", "draft.edited", "4"),
        ("edna", "draft.submitted", "4"),
        ("arlo", "comment.added", "4"),
        ("arlo", "draft.changes_requested", "4"),
        ("edna", "comment.added", "4"),
        ("edna", "comment.resolved", "4"),
        ("edna", "draft.edited", "5"),
        ("edna", "draft.submitted", "5"),
        ("arlo", "draft.approved", "5"),
    ]
    what = rows.locator("td:nth-child(3)")
    expect(what.filter(has_text="draft.changes_requested")).to_contain_text(
        "Please lengthen the first wait"
    )
    expect(what.filter(has_text="draft.approved")).to_contain_text("Looks good now.")
    ed.screenshot(path=artifacts / "audit-trail.png", full_page=True)


def test_an_approver_cannot_approve_a_draft_they_wrote(
    approver_page, live_server, approver, connection
):
    approver.groups.add(Group.objects.get(name="Editors"))  # an approver who also edits
    draft = build(
        approver, create_new_journey(approver, connection, "Arlo's own"), insert("EMAILV2")
    )
    page = approver_page
    Editor(page, live_server.url, draft.pk).open()
    submit(page, "My own journey")

    decision = page.locator("section.decision", has_text="Your decision")
    expect(decision).to_have_count(0)
    expect(page.get_by_role("button", name=re.compile(r"^Approve"))).to_have_count(0)
    expect(page.get_by_role("button", name="Request changes")).to_have_count(0)
    expect(page.locator(".hint")).to_have_text("You cannot approve a draft you wrote.")

    # Posting the decision form by hand is refused too.
    token = page.locator("input[name=csrfmiddlewaretoken]").first.input_value()
    response = page.request.post(
        f"{live_server.url}/drafts/{draft.pk}/decide/",
        form={"csrfmiddlewaretoken": token, "revision": "2", "decision": "approve", "comment": ""},
    )
    assert response.status == 403
    draft.refresh_from_db()
    assert draft.state == Draft.State.IN_REVIEW
    assert not draft.approvals.exists()
