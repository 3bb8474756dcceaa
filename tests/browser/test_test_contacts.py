"""Test contacts in real headless Chromium: a contact pasted as CSV, selected, its path drawn
highlighted on the canvas (exactly the nodes it went through) and its timeline in the panel."""

from __future__ import annotations

import json

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from journeys.catalog_models import CatalogEmail, CatalogKind
from journeys.services.drafts import create_draft_from_upload
from tests.browser import test_canvas
from tests.browser.test_canvas import open_editor
from tests.test_contact_trace import ALICES_NODES

connection = test_canvas.connection
signed_in = test_canvas.signed_in
browser_errors = test_canvas.browser_errors

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
SHEET = "name,Converted,entered,expect\nAlice,false,2026-12-01 09:00,receives Welcome\n"


def test_a_pasted_contact_is_selected_and_its_path_is_drawn_with_its_timeline(
    signed_in, live_server, editor, connection, real_fixtures_dir, artifacts
):
    page = signed_in
    document = json.loads((real_fixtures_dir / "14-coh-goal-and-exit-criteria.json").read_text())
    draft = create_draft_from_upload(editor, connection, json.dumps(document).encode()).draft
    # The catalog knows the first email by another name than the activity's: the timeline says it.
    CatalogEmail.objects.create(connection=connection, legacy_id=29302, name="Welcome to screening")
    CatalogKind.objects.create(connection=connection, kind="emails", refreshed_at=timezone.now())
    open_editor(page, live_server, draft)

    page.click("#contacts-button")
    expect(page.locator("#panel h2")).to_have_text("Test contacts")
    page.click("#import-contacts-summary")
    page.fill("#panel #id_text", SHEET)
    page.click("#import-contacts")
    row = page.locator('#panel tr.contact-row[data-contact="Alice"]')
    expect(row).to_be_visible()
    expect(row.locator("td.ended")).to_have_text("ended after 'Healthy Lifestyle'")
    expect(row.locator("td.expectations")).to_have_text("1 failed")
    expect(page.locator("#canvas.tracing")).to_have_count(0)  # nothing selected yet

    row.locator("a.contact-link").click()
    expect(page.locator("#canvas.tracing")).to_be_visible()
    highlighted = page.locator("#canvas a.node.on-path")
    expect(highlighted).to_have_count(len(ALICES_NODES))
    keys = highlighted.evaluate_all("nodes => nodes.map(n => n.dataset.key)")
    assert sorted(keys) == sorted(ALICES_NODES)
    # The entry, one link out of each activity, and the last one to its end marker.
    expect(page.locator("#canvas path.edge.on-path")).to_have_count(len(ALICES_NODES))
    expect(page.locator("#canvas rect.end.on-path")).to_have_count(1)
    expect(page.locator("#canvas a.node:not(.on-path)").first).to_have_css("opacity", "0.4")

    timeline = page.locator("#panel ol.timeline")
    expect(timeline).to_contain_text("Day 0 09:00 email 'Welcome to screening' sent")
    expect(timeline).to_contain_text("'Converted (Risk Management Info) is false' matched")
    expect(timeline.locator("li").last).to_have_text("Day 21 09:00 reached the end of the path")
    expect(timeline.locator('span.what[title="EMAILV2-1"]')).to_be_visible()  # the key on hover
    expect(page.locator("#panel .outcomes")).to_contain_text("failed: receives Welcome")
    page.screenshot(path="/tmp/contacts.png")
    page.screenshot(path=artifacts / "test-contact-path.png")
