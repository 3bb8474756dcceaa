"""Edits in real Chromium: the canvas takes the answer's patch, not a new canvas.

The nodes an edit did not change stay the very same elements in the page (a property set on
them before the edit is still there after it); the changed node is replaced, still opens its
panel, and an insert brings its node, edges and slots and opens the new activity.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from bench.journeys_gen import generate_journey
from tests.browser.test_canvas import Editor, activities, browser_errors, upload  # noqa: F401

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.usefixtures("browser_errors"),  # fails a test on any JavaScript error
]

MARK_ALL = "() => document.querySelectorAll('#canvas a.node').forEach(n => { n.__before = true; })"
UNMARKED = """() => [...document.querySelectorAll('#canvas a.node')]
  .filter(n => !n.__before).map(n => n.dataset.key)"""


@pytest.fixture
def journey(editor, connection):
    return upload(editor, connection, generate_journey(40, seed=11))


@pytest.fixture
def connection(db):
    from tests.factories import ConnectionFactory

    return ConnectionFactory()


def test_a_panel_save_replaces_only_the_changed_node(
    page, login, editor, journey, live_server, artifacts
):
    login(page, editor.username)
    canvas = Editor(page, live_server.url, journey.pk).open()
    wait = next(key for key, a in activities(journey).items() if a["type"] == "WAIT")
    canvas.open_panel(wait)
    page.evaluate(MARK_ALL)
    nodes_before = page.locator("#canvas a.node").count()

    canvas.change_field("#id_waitDuration", "7")

    expect(canvas.node(wait)).to_contain_text("7")
    assert page.evaluate(UNMARKED) == [wait]  # every other node is the element it was
    assert page.locator("#canvas a.node").count() == nodes_before
    assert page.locator("#canvas-patch *").count() == 0  # the patch moved into the canvas
    wait_node = activities(journey)[wait]
    assert wait_node["configurationArguments"]["waitDuration"] == 7
    page.screenshot(path=artifacts / "canvas-after-patch.png")

    # The replaced node is a live one: a click opens its panel again.
    canvas.node(wait).click()
    expect(page.locator("#panel #id_waitDuration")).to_have_value("7")


def test_an_insert_patches_in_the_new_node_with_its_edges_and_opens_it(
    page, login, editor, journey, live_server
):
    login(page, editor.username)
    canvas = Editor(page, live_server.url, journey.pk).open()
    before = set(activities(journey))
    last = journey.document["activities"][-1]["key"]
    page.evaluate(MARK_ALL)
    edges_before = page.locator("#canvas path.edge").count()

    canvas.drag("WAITBYDURATION", canvas.slot(last))

    (new,) = set(activities(journey)) - before
    expect(canvas.node(new)).to_be_visible()
    unmarked = page.evaluate(UNMARKED)
    assert new in unmarked and len(unmarked) <= 2  # not a new canvas of 40 nodes
    assert page.locator("#canvas a.node.node-activity").count() == len(before) + 1
    assert page.locator("#canvas path.edge").count() == edges_before + 1
    expect(page.locator("#panel h2")).to_have_attribute("title", new)  # the new one is open
