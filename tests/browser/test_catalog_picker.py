"""Choosing from SFMC's catalog by name in real headless Chromium: an email (type part of the
name, choose it with the keyboard, and the card shows the email's name while the journey holds
its id), and an update-contact row's data extension field (a select of the fields by name)."""

from __future__ import annotations

import json

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from journeys.catalog_models import CatalogEmail, CatalogKind
from journeys.models import Draft
from journeys.services.drafts import create_draft_from_upload
from journeys.sfmc.simulator import demo
from tests.browser import test_canvas
from tests.browser.test_canvas import activities, open_editor
from tests.test_contact_field_rows import KEY, STATUS, cached_engagement

connection = test_canvas.connection
signed_in = test_canvas.signed_in
browser_errors = test_canvas.browser_errors

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def cached_emails(connection):
    """The connection's catalog as a refresh leaves it (the refresh itself: test_catalog_*)."""
    emails = [
        (1101, "Welcome to the club", "Welcome!", "Your first week"),
        (4242, "Spring sale 2026", "Spring is here: 20% off", "Only this week"),
        (4243, "Spring newsletter", "What's new in spring", ""),
    ]
    for legacy_id, name, subject, preheader in emails:
        CatalogEmail.objects.create(
            connection=connection,
            legacy_id=legacy_id,
            name=name,
            subject=subject,
            preheader=preheader,
        )
    for kind in ("emails", "events", "data_extensions", "attribute_sets", "profiles"):
        CatalogKind.objects.create(connection=connection, kind=kind, refreshed_at=timezone.now())


def test_the_catalog_status_polled_while_a_refresh_runs_leaves_the_canvas_in_place(
    signed_in, live_server, editor, connection
):
    # No worker here: the first visit's refresh stays "running", so the panel's status polls.
    page = signed_in
    upload = json.dumps(demo.welcome_series()).encode()
    draft = create_draft_from_upload(editor, connection, upload).draft
    canvas = open_editor(page, live_server, draft)
    canvas.open_panel("EMAILV2-1")
    expect(page.locator("#panel .catalog-status")).to_contain_text("Refreshing the catalog")
    with page.expect_response(lambda r: "/catalog/status/" in r.url):
        pass  # one poll answered and swapped
    with page.expect_response(lambda r: "/catalog/status/" in r.url):
        pass  # and the next: the first swap kept the poller where it was
    expect(page.locator("#panel .catalog-status")).to_have_count(1)
    canvas.open_panel("WAITBYDURATION-1")  # the canvas is still there to click


def test_an_email_is_picked_by_typing_its_name_and_shown_on_the_card(
    signed_in, live_server, editor, connection, artifacts
):
    page = signed_in
    cached_emails(connection)
    upload = json.dumps(demo.welcome_series()).encode()
    draft = create_draft_from_upload(editor, connection, upload).draft
    canvas = open_editor(page, live_server, draft)
    card = canvas.node("EMAILV2-1")
    expect(card.locator("text.node-type")).to_have_text("Welcome to the club")

    card.click()
    expect(page.locator("#panel .picked")).to_contain_text("Welcome to the club")
    search = page.locator("#panel #id_emailId_search")
    search.click()
    search.type("spring sa")
    option = page.locator("#panel button.pick", has_text="Spring sale 2026")
    expect(option).to_be_visible()
    expect(page.locator("#panel button.pick")).to_have_count(1)
    page.screenshot(path=artifacts / "catalog-picker-search.png")

    before = canvas.revision
    search.press("Enter")
    canvas.wait_for_revision_after(before)

    expect(card.locator("text.node-type")).to_have_text("Spring sale 2026")
    expect(card.locator("title")).to_contain_text("Subject: Spring is here: 20% off (email 4242)")
    expect(page.locator("#panel .picked")).to_contain_text("Spring sale 2026")
    draft = Draft.objects.get(pk=draft.pk)
    send = draft.document["activities"][0]["configurationArguments"]["triggeredSend"]
    assert (send["emailId"], send["emailSubject"]) == (4242, "Spring is here: 20% off")
    page.screenshot(path=artifacts / "catalog-picker-chosen.png")


def test_a_contact_row_field_is_chosen_by_name_and_the_comparison_names_it(
    signed_in, live_server, editor, connection, real_fixtures_dir, artifacts
):
    page = signed_in
    cached_engagement(connection)
    fixture = real_fixtures_dir / "08-greenpeace-automation-audience-stowait-updatecontact.json"
    draft = create_draft_from_upload(editor, connection, fixture.read_bytes()).draft
    canvas = open_editor(page, live_server, draft)
    canvas.node(KEY).click()

    first = page.locator("#panel #id_updateContactFields-field-0")
    expect(first.locator("option:checked")).to_have_text("Opens")
    canvas.wait_until_panel_is_live()
    before = canvas.revision
    first.select_option(label="Status")
    canvas.wait_for_revision_after(before)
    page.screenshot(path=artifacts / "contact-field-rows.png")

    rows = activities(draft)[KEY]["arguments"]["activityData"]["updateContactFields"]
    assert (rows[0]["field"], rows[0]["value"]) == (STATUS, 0)  # the number stays a number

    page.goto(f"{live_server.url}/drafts/{draft.pk}/compare/?a=rev:1&b=current")
    change = page.locator(f"#change-{KEY}")
    expect(change).to_contain_text("Contact data: sets in 'Engagement': 'Status' = 0")
    expect(change.locator(".catalog-name", has_text="Status").first).to_have_attribute(
        "title", f"data extension field {STATUS}"
    )
    page.screenshot(path=artifacts / "compare-catalog-names.png", full_page=True)
