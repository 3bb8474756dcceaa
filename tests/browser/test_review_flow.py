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

from bench.journeys_gen import generate_journey
from journeys.models import Approval, Comment, Draft
from journeys.services import review as review_service
from journeys.services.drafts import create_new_journey
from tests.browser.test_canvas import BrowserErrors, Editor, build, insert
from tests.factories import ConnectionFactory
from tests.test_review_contacts import in_sfmc

pytestmark = [
    pytest.mark.browser,
    # The Editors and Approvers groups come from a data migration; without serialized rollback
    # the flush after a transactional test would drop them for the next test.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SEED = 1  # generate_journey(8, 1) starts with EMAILV2-1


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


def journey_in_sfmc_with_two_new_activities(user, connection) -> tuple[Draft, str, str]:
    """A journey as fetched from SFMC (version 1), uploaded as a draft, then a wait and an SMS
    inserted after its first email; the draft and the keys of the two new activities."""
    document = generate_journey(8, SEED)
    draft = in_sfmc(user, connection, document)
    assert draft.base_snapshot is not None
    known = {a["key"] for a in document["activities"]}
    draft = build(user, draft, insert("WAITBYDURATION", after="EMAILV2-1"))
    (wait,) = {a["key"] for a in draft.document["activities"]} - known
    draft = build(user, draft, insert("SMSSYNC", after=wait))
    (sms,) = {a["key"] for a in draft.document["activities"]} - known - {wait}
    return draft, wait, sms


def after_canvas(page: Page, section: int = 0):
    """The "after" canvas of the n-th comparison on the review screen (0: against SFMC)."""
    return page.locator(".canvas.readonly").nth(section)


MARKS = """canvas => Object.fromEntries(
  [...canvas.querySelectorAll("a.node")]
    .map((node) => [node.dataset.key, (node.className.baseVal.match(/\\bmark-(\\w+)/) || [])[1]])
    .filter(([, mark]) => mark)
)"""


def marks(canvas) -> dict[str, str]:
    """The marked nodes of a read-only canvas: {activity key: added | changed | removed}."""
    return canvas.evaluate(MARKS)


def change_lists(page: Page):
    return page.locator("ul.changes")


def thread_on(page: Page, key: str):
    """The comment threads pinned to the activity `key` (shown by its name, the key on hover)."""
    return page.locator("#comments article.comment", has=page.locator(f'header a [title="{key}"]'))


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
    draft, wait, sms = journey_in_sfmc_with_two_new_activities(editor, connection)
    assert draft.revision_number == 3
    name = draft.document["name"]

    # The editor opens the draft and submits it for review.
    ed = editor_page
    canvas = Editor(ed, base, draft.pk).open()
    submit(ed, "First version of the spring welcome, please have a look")

    # The approver finds it in the Reviews queue.
    ap = approver_page
    ap.get_by_role("navigation", name="Main").get_by_role("link", name="Reviews").click()
    ap.wait_for_url(f"{base}/reviews/")
    row = ap.locator("table.list tbody tr", has_text=name)
    expect(row).to_have_count(1)
    expect(row.locator("td").nth(2)).to_have_text("edna")
    expect(row.locator("td").nth(4)).to_have_text(re.compile(r"^\d+ changes$"))
    row.get_by_role("link", name=name).click()
    review_url = f"{base}/drafts/{draft.pk}/review/"
    ap.wait_for_url(review_url)

    # The review canvas marks the two new activities as added, and the email now leading to
    # them as changed; nothing was removed, so there is no "before" canvas ...
    expect(ap.locator("#draft-state")).to_have_text("In review")
    expect(ap.locator(".canvas.readonly")).to_have_count(1)
    review_canvas = after_canvas(ap)
    assert marks(review_canvas) == {wait: "added", sms: "added", "EMAILV2-1": "changed"}
    # ... and lists the changes in plain language, one group per activity.
    changes = change_lists(ap).first
    for key in (wait, sms):
        group = changes.locator(f"#change-{key}")
        expect(group).to_have_class(re.compile(r"\badded\b"))
        expect(group).to_contain_text("(added)")
    expect(changes.locator("#change-EMAILV2-1")).to_contain_text("(changed)")
    expect(ap.get_by_text("Changes since the last review")).to_have_count(0)

    # Clicking a node on the review canvas pins the next comment to that activity.
    review_canvas.locator(f'a.node[data-key="{wait}"]').click()
    ap.wait_for_url(f"{review_url}?on={wait}#comments")
    expect(ap.locator('label[for="new-comment"]')).to_have_text("Comment on Wait 1 day")
    ap.fill("#new-comment", "One day is too short: give them three days to open the email.")
    ap.get_by_role("button", name="Add comment").click()
    ap.wait_for_url(f"{review_url}#comments")
    thread = thread_on(ap, wait)
    expect(thread.locator("header").first).to_have_text("arlo · revision 3 · on Wait 1 day")
    expect(thread).to_contain_text("One day is too short")
    pinned = after_canvas(ap).locator(f'a.node[data-key="{wait}"]')
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
    expect(ap.locator("#draft-state")).to_have_text("Changes requested")
    expect(ap.get_by_role("button", name=re.compile("^Approve"))).to_have_count(0)

    # The editor sees the draft sent back, with the decision and the comment marker on the canvas.
    canvas.open()
    expect(ed.locator("#editor-bar .meta")).to_contain_text("Changes requested")
    expect(ed.locator("#state-banner")).to_contain_text("Please lengthen the first wait")
    marker = canvas.node(wait).locator("circle.comment-dot")
    expect(marker).to_be_visible()
    expect(marker.locator("title")).to_have_text("1 open comment")
    expect(ed.locator("#canvas circle.comment-dot")).to_have_count(1)

    # ... replies to the comment and resolves it on the review screen ...
    ed.get_by_role("link", name="Review & resubmit").click()
    ed.wait_for_url(review_url)
    expect(ed.locator(".meta")).to_contain_text("last decision: Changes requested by arlo")
    thread = thread_on(ed, wait)
    thread.get_by_placeholder("Reply").fill("Done: the wait is three days now.")
    thread.get_by_role("button", name="Reply").click()
    ed.wait_for_url(f"{review_url}#comments")
    thread = thread_on(ed, wait)
    expect(thread.locator(".reply")).to_have_count(1)
    expect(thread.locator(".reply")).to_contain_text("edna")
    expect(thread.locator(".reply")).to_contain_text("Done: the wait is three days now.")
    thread.get_by_role("button", name="Resolve").click()
    ed.wait_for_url(f"{review_url}#comments")
    thread = thread_on(ed, wait)
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
    canvas.open_panel(wait)
    canvas.change_field("#id_waitDuration", "3")
    draft.refresh_from_db()
    assert draft.revision_number == 4
    new_wait = next(a for a in draft.document["activities"] if a["key"] == wait)
    assert new_wait["configurationArguments"] == {"waitDuration": 3, "waitUnit": "DAYS"}
    ed.fill("#id_reply-editor", "Lengthened the first wait as asked")
    ed.locator("#resubmit-editor").click()
    expect(ed.locator(".messages")).to_contain_text("Submitted for review")
    expect(ed.locator("#draft-state")).to_have_text("In review")

    # The approver's review screen now shows the changes since the last review: only the wait.
    ap.goto(f"{base}/reviews/")
    ap.locator("table.list tbody tr", has_text=name).get_by_role("link").click()
    ap.wait_for_url(review_url)
    since = ap.get_by_role("heading", name="Changes since the last review (revision 3)")
    expect(since).to_be_visible()
    expect(ap.locator(".canvas.readonly")).to_have_count(2)
    since_canvas = after_canvas(ap, 1)
    assert marks(since_canvas) == {wait: "changed"}
    since_changes = change_lists(ap).nth(1)
    expect(since_changes.locator(":scope > li")).to_have_count(1)
    expect(since_changes.locator(":scope > li")).to_have_id(f"change-{wait}")
    expect(since_changes.locator(":scope > li")).to_contain_text("(changed)")
    # The wait was named for its duration, so its name followed the new value.
    expect(since_changes.locator(":scope > li li")).to_have_text(
        ["Renamed 'Wait 1 day' → 'Wait 3 days'", "Wait 1 day → 3 days"]
    )
    # Against SFMC nothing moved, and the resolved thread pins no marker.
    assert marks(after_canvas(ap)) == {wait: "added", sms: "added", "EMAILV2-1": "changed"}
    expect(ap.locator(".canvas.readonly circle.comment-dot")).to_have_count(0)
    since.scroll_into_view_if_needed()
    ap.screenshot(path=artifacts / "review-since-last.png")

    ap.fill("#id_comment", "Looks good now.")
    ap.get_by_role("button", name="Approve revision 4").click()
    expect(ap.locator(".messages")).to_contain_text("Approved.")
    expect(ap.locator("#draft-state")).to_have_text("Approved")
    draft.refresh_from_db()
    assert draft.state == Draft.State.APPROVED
    approval = draft.approvals.get(decision=Approval.Decision.APPROVED)
    assert (approval.revision.number, approval.content_hash) == (4, draft.content_hash)

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
        ("edna", "draft.uploaded", "1"),
        ("edna", "draft.edited", "2"),
        ("edna", "draft.edited", "3"),
        ("edna", "draft.submitted", "3"),
        ("arlo", "comment.added", "3"),
        ("arlo", "draft.changes_requested", "3"),
        ("edna", "comment.added", "3"),
        ("edna", "comment.resolved", "3"),
        ("edna", "draft.edited", "4"),
        ("edna", "draft.submitted (resubmitted after changes requested)", "4"),
        ("arlo", "draft.approved, with no test contacts", "4"),
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
    refusal = "You wrote part of this draft: someone else must approve it."
    expect(page.locator("#approve-refusal")).to_have_text(refusal)

    # Posting the decision form by hand is refused too.
    token = page.locator("input[name=csrfmiddlewaretoken]").first.input_value()
    response = page.request.post(
        f"{live_server.url}/drafts/{draft.pk}/decide/",
        form={"csrfmiddlewaretoken": token, "revision": "2", "decision": "approve", "comment": ""},
    )
    assert response.ok and refusal in response.text()  # back on the review page, told why
    draft.refresh_from_db()
    assert draft.state == Draft.State.IN_REVIEW
    assert not draft.approvals.exists()


def open_review_as(page: Page, base: str, draft: Draft) -> None:
    page.goto(f"{base}/drafts/{draft.pk}/review/")
    expect(page.locator("#draft-state")).to_be_visible()


def test_a_journey_new_to_sfmc_shows_every_activity_as_added_on_the_review_screen(
    approver_page, live_server, editor, connection
):
    draft = build(
        editor,
        create_new_journey(editor, connection, "Brand new"),
        insert("WAITBYDURATION"),
        insert("EMAILV2", after="WAITBYDURATION-1"),
    )
    page = approver_page
    open_review_as(page, live_server.url, draft)
    expect(page.get_by_text("This journey is new to SFMC: everything is added.")).to_be_visible()
    assert marks(after_canvas(page)) == {"WAITBYDURATION-1": "added", "EMAILV2-1": "added"}


def test_the_audit_trail_does_not_quote_a_comment_id_as_if_it_were_the_comment(
    approver_page, live_server, approver, editor, connection
):
    draft = build(
        editor, create_new_journey(editor, connection, "Commented"), insert("WAITBYDURATION")
    )
    review_service.add_comment(approver, draft, "Too short?", activity_key="WAITBYDURATION-1")
    page = approver_page
    page.goto(f"{live_server.url}/journeys/{draft.journey_id}/audit/")
    what = page.locator("table.list tbody td:nth-child(3)", has_text="comment.added")
    expect(what).to_have_count(1)
    assert what.inner_text() in ("comment.added", "comment.added — “Too short?”")
