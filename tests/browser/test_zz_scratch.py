from __future__ import annotations

import pytest

from tests.browser.test_canvas import build, insert, open_editor, tab_to, activities
from journeys.services.drafts import create_new_journey

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_scratch(page, live_server, login, editor):
    from tests.factories import ConnectionFactory
    connection = ConnectionFactory()
    login(page, "edna")
    draft = build(editor, create_new_journey(editor, connection, "x"), insert("EMAILV2"), insert("SMSSYNC", after="EMAILV2-1"))
    c = open_editor(page, live_server, draft)
    c.open_panel("SMSSYNC-1")
    page.locator("#viewport").click(position={"x": 5, "y": 5})
    tab_to(page, 'a.node[data-key="EMAILV2-1"]')
    print(page.evaluate("document.activeElement.dataset.key"), page.locator("#panel h2").text_content())
    c.press_and_wait("Delete")
    print(list(activities(draft)))
