"""The whole loop in real headless Chromium, an editor and an approver each in their own browser:
submit → changes requested with a comment → the author, led there by the email's link, sees it,
fixes and resubmits → approved → pushed from the review page while SFMC changed the journey
meanwhile → SFMC refuses (its modifiedDate conflict) → the merge screen → resolved, keeping the
approved value → the push goes through. The SFMC simulator runs over HTTP and a real Celery
worker runs the pushes. Each step is photographed into test-artifacts/ (review-loop-*.png)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.core import mail
from playwright.sync_api import Page, expect

from journeys.models import Draft, MergeSession, Notification, PushAttempt
from tests.browser.test_canvas import Editor
from tests.browser.test_merge import roles  # noqa: F401  (fixture)
from tests.browser.test_review_flow import (  # noqa: F401  (fixtures)
    approver_page,
    browser_errors,
    editor_page,
    submit,
)
from tests.test_push_service import WELCOME, edited, import_demo, remote_doc, rename

pytestmark = [
    pytest.mark.browser,
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

Kind = Notification.Kind
NAME = "Welcome series (spring)"
WAIT = "WAITBYDURATION-1"  # "Wait 2 days" in SFMC
ASKED = "Two days is too short: make the first wait three days, please."
REPLY = "Done: the first wait is three days now."


class Photographer:
    """Numbered screenshots of the loop's steps, in the order they were taken."""

    def __init__(self, folder: Path) -> None:
        self.folder, self.taken = folder, 0

    def __call__(self, page: Page, step: str, *, full_page: bool = True) -> None:
        self.taken += 1
        path = self.folder / f"review-loop-{self.taken:02d}-{step}.png"
        page.screenshot(path=str(path), full_page=full_page)


def unread_badge(page: Page):
    """The top bar's unread count (absent when nothing is unread)."""
    return page.locator("#unread-count .unread-count")


def unread_kinds(user) -> list[str]:
    rows = Notification.objects.filter(recipient=user, read_at=None).order_by("id")
    return [row.kind for row in rows]


def emailed_link(user, notification: Notification, base: str) -> str:
    """The link in the mail `user` got for `notification`: its own open page."""
    link = f"{base}/notifications/{notification.pk}/open/"
    [email] = [m for m in mail.outbox if m.to == [user.email] and link in m.body]
    assert re.search(rf"{re.escape(link)}\s", email.body)
    return link


def test_review_changes_fix_approve_push_conflict_merge_and_push_again(
    editor_page,  # noqa: F811
    approver_page,  # noqa: F811
    live_server,
    editor,
    approver,
    sim_connection,
    demo_journeys,
    worker,
    artifacts,
    settings,
):
    settings.SITE_URL = live_server.url  # the emails' links lead to this live server
    simulator, base = demo_journeys, live_server.url
    draft = edited(editor, import_demo(editor, sim_connection), rename(NAME))
    review_url = f"{base}/drafts/{draft.pk}/review/"
    shot = Photographer(artifacts)
    ed, ap = editor_page, approver_page

    # 1. The editor submits the draft for review.
    canvas = Editor(ed, base, draft.pk).open()
    submit(ed, "The spring version of the welcome series")
    shot(ed, "submitted")
    assert unread_kinds(approver) == [Kind.REVIEW_REQUESTED] and unread_kinds(editor) == []

    # 2. The approver sees one unread notification and opens it from the inbox (a POST): it is
    # read, and the review page opens.
    ap.goto(f"{base}/")
    expect(unread_badge(ap)).to_have_text("1")
    ap.locator("#inbox-link").click()
    item = ap.locator("li.notification.unread")
    expect(item).to_have_count(1)
    expect(item).to_contain_text(f"asks you to review '{NAME}'")
    shot(ap, "approver-inbox")
    item.get_by_role("button").click()
    ap.wait_for_url(review_url)
    expect(unread_badge(ap)).to_have_count(0)
    assert unread_kinds(approver) == []

    # 3. The approver requests changes with a comment.
    expect(ap.locator("#draft-state")).to_have_text("In review")
    ap.fill("#id_comment", ASKED)
    ap.get_by_role("button", name="Request changes").click()
    expect(ap.locator(".messages")).to_contain_text("Sent back to the author.")
    expect(ap.locator("#draft-state")).to_have_text("Changes requested")
    expect(ap.locator("#changes-requested-comment")).to_have_text(ASKED)
    shot(ap, "changes-requested")

    # 4. The editor is told (one unread), follows the email's link (a GET): the notification is
    # read and the review page shows the state, who asked and what.
    [decided] = Notification.objects.filter(recipient=editor, kind=Kind.DECIDED)
    ed.goto(f"{base}/")
    expect(unread_badge(ed)).to_have_text("1")
    ed.goto(emailed_link(editor, decided, base))
    ed.wait_for_url(review_url)
    expect(unread_badge(ed)).to_have_count(0)
    decided.refresh_from_db()
    assert decided.read_at is not None
    expect(ed.locator("#draft-state")).to_have_text("Changes requested")
    expect(ed.locator("#changes-requested")).to_contain_text("Changes requested by arlo on")
    expect(ed.locator("#changes-requested-comment")).to_have_text(ASKED)
    shot(ed, "author-from-email")

    # 5. On the canvas: the same word and comment in the bar; the fix in the side panel, then
    # the resubmission with a reply.
    canvas.open()
    expect(ed.locator("#editor-bar .meta")).to_contain_text("Changes requested")
    expect(ed.locator("#state-banner #changes-requested-comment")).to_have_text(ASKED)
    canvas.open_panel(WAIT)
    canvas.change_field("#id_waitDuration", "3")
    expect(ed.locator("#panel #id_name")).to_have_value("Wait 3 days")  # the name followed
    expect(ed.locator("#resubmit-editor")).to_have_text(re.compile(r"^Resubmit revision \d+"))
    shot(ed, "author-fixed", full_page=False)
    ed.fill("#id_reply-editor", REPLY)
    ed.locator("#resubmit-editor").click()
    ed.wait_for_url(review_url)
    expect(ed.locator("#draft-state")).to_have_text("In review")
    draft.refresh_from_db()
    fixed = next(a for a in draft.document["activities"] if a["key"] == WAIT)
    assert fixed["configurationArguments"]["waitDuration"] == 3
    assert unread_kinds(approver) == [Kind.REVIEW_REQUESTED]

    # 6. The approver sees the reply and approves.
    ap.goto(review_url)
    expect(unread_badge(ap)).to_have_text("1")
    expect(ap.locator("#review-history")).to_contain_text(REPLY)
    ap.get_by_role("button", name=re.compile(r"^Approve revision \d+")).click()
    expect(ap.locator("#draft-state")).to_have_text("Approved")
    expect(ap.locator("#push-button")).to_be_visible()
    shot(ap, "approved")
    assert unread_kinds(editor) == [Kind.DECIDED]  # approved

    # 7. Meanwhile someone changes the same wait in Journey Builder; the approver pushes from
    # the review page; SFMC refuses (its modifiedDate moved) and the status leads to the merge.
    simulator.control(
        "POST",
        "remote-edit",
        {"key": WELCOME, "action": "change-wait", "activity_key": WAIT, "duration": 4},
    )
    ap.locator("#push-button").click()
    ap.wait_for_url(re.compile(rf"^{re.escape(base)}/merges/\d+/$"))
    conflict_attempt = PushAttempt.objects.get(draft=draft)
    assert conflict_attempt.state == PushAttempt.State.CONFLICT
    refused = simulator.request_log(method="PUT", applied="false")
    assert len(refused) == 1 and simulator.request_log(method="PUT", applied="true") == []

    # 8. The merge screen: the one conflict, named as the marketer knows it, in plain values.
    conflicts = ap.locator("fieldset.conflict")
    expect(conflicts).to_have_count(1)
    wait = conflicts.first
    expect(wait.locator("legend")).to_contain_text("duration")
    expect(wait.locator(".side-ours .value")).to_have_text("3 days")
    expect(wait.locator(".side-theirs .value")).to_have_text("4 days")
    shot(ap, "merge-screen")
    assert sorted(unread_kinds(editor)) == sorted([Kind.DECIDED, Kind.PUSH_CONFLICT])
    told = Notification.objects.get(recipient=editor, kind=Kind.PUSH_CONFLICT).text
    assert told == (
        f"The push of '{NAME}' by arlo met changes made in SFMC meanwhile (version 1): "
        "merge them (1 conflict to choose), then push again."
    )

    # 9. Keeping the approved value leaves the approved content as it was: the push goes again,
    # by itself, and this time SFMC takes it.
    wait.get_by_label("Keep mine").check()
    ap.click("#resolve-button")
    ap.wait_for_url(f"{base}/drafts/{draft.pk}/")
    expect(ap.locator(".messages")).to_contain_text(
        "the approved content is unchanged, so it is being pushed"
    )
    expect(ap.locator('#push-status[data-state="succeeded"]')).to_be_visible()
    expect(ap.locator("#push-status")).to_contain_text("SFMC now has version 1")
    expect(ap.locator(".drift-banner")).to_have_count(0)
    shot(ap, "pushed", full_page=False)

    # The facts: SFMC has the approved journey, one PUT refused and one applied, the merge
    # resolved, and the author told of the conflict and of the push.
    remote = remote_doc(sim_connection)
    assert remote["name"] == NAME and remote["version"] == 1
    pushed_wait = next(a for a in remote["activities"] if a["key"] == WAIT)
    assert pushed_wait["configurationArguments"]["waitDuration"] == 3
    assert len(simulator.request_log(method="PUT", applied="true")) == 1
    assert MergeSession.objects.get(draft=draft).state == MergeSession.State.RESOLVED
    draft.refresh_from_db()
    assert draft.state == Draft.State.PUSHED
    assert sorted(unread_kinds(editor)) == sorted(
        [Kind.DECIDED, Kind.PUSH_CONFLICT, Kind.PUSH_SUCCEEDED]
    )
    ed.goto(f"{base}/notifications/")
    expect(unread_badge(ed)).to_have_text("3")
    shot(ed, "author-inbox")
