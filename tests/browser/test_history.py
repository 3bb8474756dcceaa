"""Restoring a revision in real headless Chromium: from the history page of its own (no canvas
there: a plain post that lands on the editor) and from the editor's History panel (htmx swaps the
canvas). Every page fails the test if it logs a JavaScript error (htmx's targetError among them).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from journeys.models import Draft
from journeys.services.drafts import create_new_journey
from tests.browser.test_canvas import BrowserErrors, Editor, build, insert, open_editor
from tests.factories import ConnectionFactory

pytestmark = [
    pytest.mark.browser,
    # The Editors and Approvers groups come from a data migration; without serialized rollback
    # the flush after a transactional test would drop them for the next test.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def signed_in(page, login, editor):
    errors = BrowserErrors()
    errors.watch(page)
    login(page, editor.username)
    yield page
    assert errors.unexpected() == [], "the page logged JavaScript errors"


@pytest.fixture
def draft(editor) -> Draft:
    """Revision 1 is empty; revision 2 has a wait."""
    draft = create_new_journey(editor, ConnectionFactory(), "History")
    return build(editor, draft, insert("WAITBYDURATION"))


def restored(draft: Draft) -> bool:
    draft.refresh_from_db()
    return draft.revision_number == 3 and draft.document["activities"] == []


def test_restore_from_the_history_page_lands_on_the_editor(signed_in, live_server, draft):
    page = signed_in
    page.goto(f"{live_server.url}/drafts/{draft.pk}/history/")
    page.locator("li.revision", has_text="Revision 1").get_by_role(
        "button", name="Restore this revision"
    ).click()

    editor = Editor(page, live_server.url, draft.pk)
    page.wait_for_url(editor.url)
    editor.wait_until_drawn()
    expect(page.locator(".messages")).to_contain_text("Restored revision 1.")
    assert editor.revision == 3
    assert editor.page.locator("#canvas a.node[data-key^='WAITBYDURATION']").count() == 0
    assert restored(draft)


def test_restore_from_the_editors_history_panel_redraws_the_canvas(signed_in, live_server, draft):
    editor = open_editor(signed_in, live_server, draft)
    assert editor.node("WAITBYDURATION-1").count() == 1
    editor.page.click("#history-button")
    expect(editor.page.locator("#panel h2")).to_have_text("History")

    editor.page.locator("li.revision", has_text="Revision 1").get_by_role(
        "button", name="Restore this revision"
    ).click()

    editor.wait_for_revision_after(2)
    assert editor.page.url == editor.url  # stayed on the page
    expect(editor.node("WAITBYDURATION-1")).to_have_count(0)
    assert restored(draft)
