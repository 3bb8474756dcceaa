"""Goal, exit criteria and entry source in real headless Chromium: the canvas buttons, the
panels, the confirmed removal, undo, and the entry source's warning clearing once configured."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from journeys.models import Draft
from journeys.services.drafts import create_new_journey
from tests.browser import test_canvas
from tests.browser.test_canvas import open_editor

# The canvas tests' fixtures: a connection, a signed-in page that fails on JavaScript errors.
connection = test_canvas.connection
signed_in = test_canvas.signed_in
browser_errors = test_canvas.browser_errors

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
API_KEY = "APIEvent-bb20a5d2-8d0d-1116-c91a-3631522fe5f6"
WARNED = re.compile(r"\bhas-warning\b")


def document(draft: Draft) -> dict:
    draft.refresh_from_db()
    return draft.document


def test_a_goal_is_added_from_the_canvas_edited_removed_after_confirming_and_undone(
    signed_in, live_server, editor, connection, artifacts
):
    page = signed_in
    draft = create_new_journey(editor, connection, "Goal by button")
    canvas = open_editor(page, live_server, draft)
    goal = page.locator('#canvas a.node[data-select="goal"]')
    expect(goal).to_have_count(0)

    canvas.click_and_wait("#add-goal-button")

    expect(goal).to_be_visible()
    expect(goal.locator("text.node-label")).to_have_text("Goal")
    expect(goal.locator("text.node-type")).to_have_text("Stay when met")
    expect(page.locator("#panel h2")).to_have_text("Goal · Goal")
    expect(page.locator("#panel-problems")).to_contain_text("The goal has no condition yet")
    expect(page.locator("#add-goal-button")).to_have_count(0)
    expect(page.locator("#add-exit-button")).to_be_visible()

    canvas.change_field("#id_name", "Bought")
    expect(goal.locator("text.node-label")).to_have_text("Bought")
    canvas.change_field("#id_conversionValue", "25")
    canvas.wait_until_panel_is_live()
    before = canvas.revision
    page.check("#panel #id_isExitCriteria")
    canvas.wait_for_revision_after(before)
    saved = document(draft)["goals"][0]
    assert saved["name"] == "Bought"
    assert saved["metaData"]["isExitCriteria"] is True
    assert saved["metaData"]["conversionValue"] == "25"
    expect(goal.locator("text.node-type")).to_have_text("Exit when met")  # the card says it
    page.screenshot(path=artifacts / "goal-added-and-edited.png")

    # Removing asks first: the button only appears once the disclosure is opened.
    confirm = page.locator("#remove-confirm")
    expect(confirm).to_be_hidden()
    page.click("#remove-summary")
    expect(page.locator("#panel .remove-item")).to_contain_text(
        "Remove the goal “Bought” and its condition from this journey?"
    )
    page.screenshot(path=artifacts / "goal-remove-confirm.png")
    canvas.click_and_wait("#remove-confirm")
    expect(goal).to_have_count(0)
    expect(page.locator("#add-goal-button")).to_be_visible()
    assert document(draft)["goals"] == []

    canvas.click_and_wait("#undo-button")
    expect(goal).to_be_visible()
    expect(goal.locator("text.node-label")).to_have_text("Bought")
    assert document(draft)["goals"][0]["metaData"]["isExitCriteria"] is True

    goal.click()
    expect(page.locator("#panel h2")).to_have_text("Goal · Bought")
    canvas.click_and_wait("#add-exit-button")
    exit_node = page.locator('#canvas a.node[data-select="exit"]')
    expect(exit_node.locator("text.node-label")).to_have_text("Exit criteria")
    expect(page.locator("#panel h2")).to_have_text("Exit criteria · Exit criteria")
    page.screenshot(path=artifacts / "goal-and-exit-on-canvas.png")


def test_an_api_event_entry_is_configured_in_its_panel_and_the_warning_goes(
    signed_in, live_server, editor, connection, artifacts
):
    page = signed_in
    draft = create_new_journey(editor, connection, "API entry")
    canvas = open_editor(page, live_server, draft)
    trigger = canvas.node("TRIGGER")
    expect(trigger).to_have_class(WARNED)

    trigger.click()
    expect(page.locator("#panel h2")).to_have_text("Entry source · TRIGGER")
    expect(page.locator("#panel-problems")).to_contain_text("not configured yet")

    canvas.change_field("#id_type", "APIEvent")
    expect(page.locator("#panel .explanation")).to_contain_text("POST /interaction/v1/events")
    expect(page.locator("#panel-problems")).to_contain_text(
        "The entry source (API event) is not configured yet"
    )
    expect(trigger.locator("title")).to_contain_text("Entry source · API event")
    page.screenshot(path=artifacts / "entry-api-event-chosen.png")

    canvas.change_field("#id_eventDefinitionKey", API_KEY)

    expect(trigger).not_to_have_class(WARNED)
    expect(trigger.locator(".problem-dot")).to_have_count(0)
    expect(page.locator("#panel-problems")).not_to_contain_text("not configured")
    expect(page.locator("#validity")).to_have_text("No errors; needs approval before a push")
    page.screenshot(path=artifacts / "entry-api-event-configured.png")
    meta = document(draft)["triggers"][0]["metaData"]
    assert meta["eventDefinitionKey"] == API_KEY and meta["configurationRequired"] is False

    # An emptied key is refused with a message; the saved key stays.
    before = canvas.revision
    page.fill("#panel #id_eventDefinitionKey", "")
    page.press("#panel #id_eventDefinitionKey", "Tab")
    expect(page.locator("#panel")).to_contain_text("Give the event definition key")
    assert canvas.revision == before
    assert document(draft)["triggers"][0]["metaData"]["eventDefinitionKey"] == API_KEY
