"""Drift seen without asking: the editor of a drifted draft shows the banner by itself."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.test_merge import roles  # noqa: F401 (fixture)
from tests.test_push_service import WELCOME, edited, import_demo, rename

pytestmark = [
    pytest.mark.browser,
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_the_drift_banner_appears_without_checking_by_hand(
    page,
    live_server,
    login,
    artifacts,
    editor,
    sim_connection,
    demo_journeys,
    worker,  # noqa: F811
):
    draft = edited(editor, import_demo(editor, sim_connection), rename("Mine"))
    demo_journeys.control(
        "POST",
        "remote-edit",
        {
            "key": WELCOME,
            "action": "change-wait",
            "activity_key": "WAITBYDURATION-1",
            "duration": 4,
        },
    )
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    login(page, "edna")
    page.goto(f"{live_server.url}/drafts/{draft.pk}/")

    # No click on "Check SFMC now": the page's background check lands and its poller swaps in
    # the banner (the worker's run, then the next 2 s poll).
    banner = page.locator(".drift-banner")
    expect(banner).to_contain_text("Someone changed SFMC version 1", timeout=20_000)
    expect(banner.locator("#update-from-sfmc")).to_be_visible()
    expect(page.locator("#remote-check-pending")).to_have_count(0)
    page.screenshot(path=str(artifacts / "drift-without-asking.png"))
    assert errors == []
