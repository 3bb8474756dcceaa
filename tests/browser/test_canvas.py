from __future__ import annotations

import pytest

from journeys.services.drafts import create_new_journey
from tests.factories import ConnectionFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_explore(page, live_server, login, editor):
    draft = create_new_journey(editor, ConnectionFactory(), "Fresh")
    msgs = []
    page.on("console", lambda m: msgs.append((m.type, m.text)))
    page.on("pageerror", lambda e: msgs.append(("pageerror", str(e))))
    login(page, "edna")
    page.goto(f"{live_server.url}/drafts/{draft.pk}/")
    page.wait_for_function("document.getElementById('stage').style.transform !== ''")
    print(page.evaluate("document.getElementById('stage').style.transform"))
    page.locator('.palette-item[data-type="WAITBYDURATION"]').drag_to(page.locator("a.slot.start-slot"))
    page.wait_for_selector('[data-key="WAITBYDURATION-1"]', timeout=5000)
    page.screenshot(path="/tmp/explore/a.png")
    print(msgs)


def test_explore2(page, live_server, login, editor):
    draft = create_new_journey(editor, ConnectionFactory(), "Fresh")
    login(page, "edna")
    page.goto(f"{live_server.url}/drafts/{draft.pk}/")
