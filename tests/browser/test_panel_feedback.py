"""Panel feedback that cannot mislead, in real Chromium: fields saved together as one revision,
messages that go with their cause, and a tab that learns of newer revisions made elsewhere."""

from __future__ import annotations

import copy
import re

import pytest
from playwright.sync_api import Page, expect

from journeys.models import Draft
from journeys.services.drafts import create_new_journey, save_revision
from tests.browser import test_canvas
from tests.browser.test_canvas import activities, build, insert, open_editor

# The canvas tests' fixtures: a connection, a signed-in page that fails on JavaScript errors.
connection = test_canvas.connection
signed_in = test_canvas.signed_in
browser_errors = test_canvas.browser_errors

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
SPLIT = "RANDOMSPLITV2-1"
# Every error message that ever appears in the panel, and every panel post, kept by the page.
WATCH_PANEL = """() => {
  window.seenErrors = [];
  window.panelPosts = 0;
  new MutationObserver(() => {
    document.querySelectorAll("#panel .errorlist")
      .forEach((e) => window.seenErrors.push(e.textContent));
  }).observe(document.body, { childList: true, subtree: true });
  document.addEventListener("htmx:beforeRequest", (event) => {
    const elt = event.detail.elt;
    if (elt.matches && elt.matches("form.panel-form")) window.panelPosts++;
  });
}"""


def split_of_60_40(editor, connection) -> Draft:
    draft = build(editor, create_new_journey(editor, connection, "Shares"), insert("RANDOMSPLITV2"))
    document = copy.deepcopy(draft.document)
    for outcome, share in zip(document["activities"][0]["outcomes"], (60, 40), strict=True):
        outcome["arguments"]["percentage"] = share
        outcome["metaData"]["label"] = f"{share}%"
    return save_revision(editor, draft, document, expected_revision=2, summary="60/40")


def shares(draft: Draft) -> list[int]:
    return [o["arguments"]["percentage"] for o in activities(draft)[SPLIT]["outcomes"]]


def test_shares_typed_one_after_the_other_save_once_together_and_never_show_an_error(
    signed_in, live_server, editor, connection, artifacts
):
    page = signed_in
    draft = split_of_60_40(editor, connection)
    canvas = open_editor(page, live_server, draft)
    canvas.open_panel(SPLIT)
    page.evaluate(WATCH_PANEL)
    revisions = draft.revisions.count()

    page.fill("#panel #id_path_1_percentage", "70")
    page.press("#panel #id_path_1_percentage", "Tab")  # to the next share, in the same group
    hint = page.locator("#panel .together-hint")
    expect(hint).to_be_visible()
    expect(hint).to_have_text("Percentages must add up to 100 — saved when they do.")
    page.screenshot(path=artifacts / "panel-shares-together.png")
    assert page.evaluate("() => window.panelPosts") == 0  # 70/40 was never sent

    before = canvas.revision
    page.fill("#panel #id_path_2_percentage", "30")
    page.press("#panel #id_path_2_percentage", "Tab")
    canvas.wait_for_revision_after(before)
    expect(hint).to_be_hidden()

    assert shares(draft) == [70, 30]
    assert draft.revisions.count() == revisions + 1
    assert draft.revisions.first().summary == "Path 1 60% → 70%; path 2 40% → 30%"
    assert page.evaluate("() => window.seenErrors") == []
    assert page.evaluate("() => window.panelPosts") == 1


def test_a_refused_total_shows_at_once_and_goes_when_the_total_is_fixed(
    signed_in, live_server, editor, connection
):
    page = signed_in
    draft = split_of_60_40(editor, connection)
    canvas = open_editor(page, live_server, draft)
    canvas.open_panel(SPLIT)

    page.fill("#panel #id_path_2_percentage", "45")
    page.locator("#panel #id_path_2_name").click()  # leaving the shares saves them: refused
    panel = page.locator("#panel")
    expect(panel).to_contain_text("The percentages add up to 105; they must add up to 100.")
    expect(page.locator("#id_path_2_percentage-errors")).to_contain_text(
        "Not saved: the journey still has “40”."
    )
    assert shares(draft) == [60, 40]

    canvas.change_field("#id_path_1_percentage", "55")  # 55/45: consistent, saved at once
    expect(panel).not_to_contain_text("add up to 105")
    expect(panel).not_to_contain_text("Not saved")
    expect(page.locator("#panel #id_path_2_percentage")).not_to_have_attribute(
        "aria-invalid", "true"
    )
    assert shares(draft) == [55, 45]


def test_a_negative_wait_is_refused_at_once_and_its_number_and_unit_save_as_one_revision(
    signed_in, live_server, editor, connection
):
    page = signed_in
    draft = build(editor, create_new_journey(editor, connection, "Waits"), insert("WAITBYDURATION"))
    canvas = open_editor(page, live_server, draft)
    canvas.open_panel("WAITBYDURATION-1")

    page.fill("#panel #id_waitDuration", "-3")
    page.press("#panel #id_waitDuration", "Tab")
    expect(page.locator("#id_waitDuration-errors")).to_contain_text("greater than or equal to 1")
    expect(page.locator("#id_waitDuration-errors")).to_contain_text(
        "Not saved: the journey still has “1”."
    )

    revisions = draft.revisions.count()
    page.fill("#panel #id_waitDuration", "3")
    page.press("#panel #id_waitDuration", "Tab")
    expect(page.locator("#panel .together-hint")).to_be_visible()
    page.select_option("#panel #id_waitUnit", "WEEKS")
    before = canvas.revision
    page.press("#panel #id_waitUnit", "Tab")  # out of the group: both saved together
    canvas.wait_for_revision_after(before)
    expect(page.locator("#panel")).not_to_contain_text("greater than or equal to 1")
    wait = activities(draft)["WAITBYDURATION-1"]
    assert (wait["configurationArguments"]["waitDuration"], wait["name"]) == (3, "Wait 3 weeks")
    assert draft.revisions.count() == revisions + 1


def wake(page: Page) -> None:
    """What the browser does when the user comes back to a tab (the poll also runs every 10 s)."""
    page.evaluate("() => window.dispatchEvent(new Event('focus'))")


def test_a_tab_left_open_learns_of_a_newer_revision_and_reloads_keeping_what_is_typed(
    signed_in, live_server, editor, connection, browser_errors
):
    draft = build(
        editor,
        create_new_journey(editor, connection, "Two tabs"),
        insert("STOWAIT"),
        insert("EMAILV2", after="STOWAIT-1"),
    )
    tab_a = open_editor(signed_in, live_server, draft)
    tab_b = open_editor(browser_errors.watch(signed_in.context.new_page()), live_server, draft)
    bar = tab_a.page.locator("#newer-bar")
    wake(tab_a.page)
    expect(tab_a.page.locator("#canvas")).to_have_attribute("data-revision", "3")
    expect(bar).to_be_hidden()

    # Tab A is typing into the email's description; tab B renames the send time activity.
    tab_a.open_panel("EMAILV2-1")
    tab_a.page.fill("#panel #id_description", "Typed in tab A, not saved yet")
    tab_b.open_panel("STOWAIT-1")
    tab_b.change_field("#id_name", "Best hour")

    wake(tab_a.page)
    expect(bar).to_be_visible()
    expect(bar).to_contain_text("This draft changed in another tab (revision 4).")
    # The button, clicked without taking the focus from the field (as a user's click would,
    # which saves the field first and merges it).
    tab_a.page.evaluate("() => document.getElementById('newer-reload').click()")
    expect(tab_a.node("STOWAIT-1").locator(".node-label")).to_have_text("Best hour")
    expect(bar).to_be_hidden()
    expect(tab_a.page.locator("#panel #id_description")).to_have_value(
        "Typed in tab A, not saved yet"
    )
    expect(tab_a.page.locator("#notice")).to_contain_text("The panel keeps what you typed")

    before = tab_a.revision
    tab_a.page.press("#panel #id_description", "Tab")
    tab_a.wait_for_revision_after(before)
    found = activities(draft)
    assert found["STOWAIT-1"]["name"] == "Best hour"
    assert found["EMAILV2-1"]["description"] == "Typed in tab A, not saved yet"


def test_not_configured_yet_leaves_the_panel_with_the_canvas_badge(
    signed_in, live_server, editor, connection
):
    page = signed_in
    draft = build(editor, create_new_journey(editor, connection, "Email"), insert("EMAILV2"))
    canvas = open_editor(page, live_server, draft)
    canvas.open_panel("EMAILV2-1")
    problems = page.locator("#panel-problems")
    expect(problems).to_contain_text("is not configured yet: it needs an email to send")

    canvas.change_field("#id_emailId", "48213")
    expect(canvas.node("EMAILV2-1")).not_to_have_class(re.compile(r"\bhas-warning\b"))
    expect(problems).not_to_contain_text("not configured yet")
    expect(page.locator("#warning-count")).to_have_text("1 warning")  # the entry source's


def test_a_save_answered_after_another_item_opened_leaves_the_new_panel_alone(
    signed_in, live_server, editor, connection
):
    page = signed_in
    draft = build(
        editor,
        create_new_journey(editor, connection, "Quick"),
        insert("WAITBYDURATION"),
        insert("EMAILV2", after="WAITBYDURATION-1"),
    )
    canvas = open_editor(page, live_server, draft)
    canvas.open_panel("WAITBYDURATION-1")
    held = []  # the wait's save, answered only once the email's panel is open

    def hold_the_save(route):
        if route.request.method == "POST":
            held.append(route)
        else:
            route.continue_()

    page.route(lambda url: "/panel/" in url and "WAITBYDURATION-1" in url, hold_the_save)
    before = canvas.revision
    page.fill("#panel #id_waitDuration", "3")
    page.press("#panel #id_waitDuration", "Tab")  # the unit is next: held in the group
    canvas.node("EMAILV2-1").click()  # leaving the group saves it; the email's panel opens
    title = page.locator("#panel h2")
    expect(title).to_have_attribute("title", "EMAILV2-1")
    while not held:  # the route handler runs while Playwright waits
        page.wait_for_timeout(50)
    held[0].continue_()
    canvas.wait_for_revision_after(before)

    expect(canvas.node("WAITBYDURATION-1").locator(".node-label")).to_have_text("Wait 3 days")
    expect(title).to_have_attribute("title", "EMAILV2-1")
    expect(title).to_contain_text("Email")
    expect(page.locator("#panel-problems")).to_contain_text("needs an email to send")
    assert activities(draft)["WAITBYDURATION-1"]["configurationArguments"]["waitDuration"] == 3
