"""SFMC's catalog by name in real headless Chromium: an SMS activity's MobileConnect message is
chosen by typing part of its name (its keyword and short code follow it into their selects, and
the card shows the message's name), and the review page's read-only canvas names an email's card
as the editor does."""

from __future__ import annotations

import json

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from journeys.catalog_models import CatalogKind, CatalogMobile
from journeys.models import Draft
from journeys.services.drafts import create_draft_from_upload
from journeys.sfmc.simulator import demo
from tests.browser import test_canvas
from tests.browser.test_canvas import activities, open_editor
from tests.browser.test_catalog_picker import cached_emails

connection = test_canvas.connection
signed_in = test_canvas.signed_in
browser_errors = test_canvas.browser_errors

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

KEY = "SMSSYNC-1"  # the demo "Win-back" journey's SMS
ORDER_SHIPPED = demo.mobile_id("603", 78)
INFO, LONG_CODE = "SU5GTzo4Njow", "TE9ORzo4MTow"


def cached_sms(connection):
    """MobileConnect's listings in the connection's catalog, as a refresh leaves them (the refresh
    itself: tests/test_catalog_service.py, tests/test_catalog_sms.py)."""
    rows = [
        ("sms_code", demo.SMS_CODE_ID, "55123", "short code · US", "", ""),
        ("sms_code", LONG_CODE, "447700900123", "long code · GB", "", ""),
        ("sms_keyword", demo.SMS_KEYWORD_ID, "COMEBACK", "on 55123", demo.SMS_CODE_ID, ""),
        ("sms_keyword", INFO, "INFO", "on 447700900123", LONG_CODE, ""),
        (
            "sms_message",
            demo.SMS_MESSAGE_ID,
            "Win-back - A last text",
            "We miss you! Reply COMEBACK for 15% off.",
            demo.SMS_CODE_ID,
            demo.SMS_KEYWORD_ID,
        ),
        (
            "sms_message",
            ORDER_SHIPPED,
            "Order shipped",
            "Your order is on its way.",
            LONG_CODE,
            INFO,
        ),
    ]
    for kind, object_id, name, detail, code_id, keyword_id in rows:
        CatalogMobile.objects.create(
            connection=connection,
            kind=kind,
            object_id=object_id,
            name=name,
            detail=detail,
            code_id=code_id,
            keyword_id=keyword_id,
        )
    CatalogKind.objects.create(connection=connection, kind="sms", refreshed_at=timezone.now())


def test_an_sms_message_is_picked_by_name_and_brings_its_keyword_and_code(
    signed_in, live_server, editor, connection, artifacts
):
    page = signed_in
    cached_sms(connection)
    draft = create_draft_from_upload(editor, connection, json.dumps(demo.win_back()).encode()).draft
    canvas = open_editor(page, live_server, draft)
    card = canvas.node(KEY)
    expect(card.locator("text.node-type")).to_have_text("Win-back - A last t…")

    canvas.open_panel(KEY)
    expect(page.locator("#panel .picked")).to_contain_text("Win-back - A last text")
    keyword = page.locator("#panel select#id_keywordId")
    expect(keyword.locator("option:checked")).to_have_text("COMEBACK (on 55123)")
    search = page.locator("#panel #id_messageId_search")
    search.click()
    search.type("shipp")
    expect(page.locator("#panel button.pick")).to_have_count(1)
    expect(page.locator("#panel button.pick")).to_contain_text("Order shipped")
    page.screenshot(path=artifacts / "catalog-sms-search.png")

    before = canvas.revision
    search.press("Enter")
    canvas.wait_for_revision_after(before)

    expect(card.locator("text.node-type")).to_have_text("Order shipped")
    expect(card.locator("title")).to_contain_text(f"(SMS message {ORDER_SHIPPED})")
    expect(keyword.locator("option:checked")).to_have_text("INFO (on 447700900123)")
    expect(page.locator("#panel select#id_codeId option:checked")).to_have_text(
        "447700900123 (long code · GB)"
    )
    draft = Draft.objects.get(pk=draft.pk)
    config = activities(draft)[KEY]["configurationArguments"]
    assert (config["messageId"], config["keywordId"], config["codeId"]) == (
        ORDER_SHIPPED,
        INFO,
        LONG_CODE,
    )
    page.screenshot(path=artifacts / "catalog-sms-chosen.png")


def test_the_review_canvas_shows_an_emails_name_on_its_card(
    signed_in, live_server, editor, connection, artifacts
):
    page = signed_in
    cached_emails(connection)
    upload = json.dumps(demo.welcome_series()).encode()
    draft = create_draft_from_upload(editor, connection, upload).draft

    page.goto(f"{live_server.url}/drafts/{draft.pk}/review/")

    card = page.locator('.canvas.readonly [data-key="EMAILV2-1"]').first
    expect(card.locator("text.node-type")).to_have_text("Welcome to the club")
    expect(card.locator("title")).to_contain_text(
        "Welcome to the club · Subject: Welcome! (email 1101)"
    )
    page.screenshot(path=artifacts / "catalog-review-canvas-names.png", full_page=True)
