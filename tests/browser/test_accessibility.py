"""axe-core (the published npm package, run in real Chromium) on every page people work on: the
journeys list, the editor with each kind of side panel, the review, compare and merge screens.
No violation of impact "serious" or "critical" may remain; each is reported with its rule, its
help text and the elements it found.
"""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from journeys.models import MergeSession, PushAttempt
from journeys.services import push
from tests.browser.test_canvas import Editor
from tests.browser.test_merge import (
    condition_conflict,
    roles,  # noqa: F401 - the autouse fixture, here too
)
from tests.npm_packages import npm_package
from tests.test_push_service import approved_demo, import_demo

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

AXE_VERSION = "4.11.0"
SERIOUS = ("serious", "critical")
RUN_AXE = """async () => {
  const result = await axe.run(document, { resultTypes: ["violations"] });
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 8).map((n) => n.target.join(" ") + " :: " + n.failureSummary),
  }));
}"""


@pytest.fixture(scope="module")
def browser_context_args(browser_context_args):
    """The pages' Content-Security-Policy forbids injected scripts: axe runs despite it."""
    return {**browser_context_args, "bypass_csp": True}


@pytest.fixture(scope="session")
def axe_script():
    prefix = npm_package("axe-core", AXE_VERSION)
    return str(prefix / "node_modules" / "axe-core" / "axe.min.js")


def serious_violations(page: Page, axe_script: str, where: str, shown: str) -> list[str]:
    """axe's serious and critical findings on the page, once `shown` (a selector) is there."""
    expect(page.locator(shown).first).to_be_visible()
    page.add_script_tag(path=axe_script)
    found = page.evaluate(RUN_AXE)
    return [
        f"{where}: {v['id']} ({v['impact']}): {v['help']}\n    " + "\n    ".join(v["nodes"])
        for v in found
        if v["impact"] in SERIOUS
    ]


PANELS = ("settings", "trigger", "history", "contacts")


def one_activity_of_each_type(document: dict) -> list[str]:
    firsts: dict[str, str] = {}
    for activity in document["activities"]:
        firsts.setdefault(activity["type"], activity["key"])
    return [f"activity:{key}" for key in firsts.values()]


def test_pages_people_work_on_have_no_serious_accessibility_violations(
    page, live_server, login, axe_script, editor, approver, sim_connection, demo_journeys
):
    draft = approved_demo(editor, approver, sim_connection)
    simulator = demo_journeys
    rename = {"key": draft.journey.key, "action": "rename", "name": "Renamed in SFMC"}
    simulator.control("POST", "remote-edit", rename)
    attempt = push.request_push(editor, draft)
    assert push.run_push(attempt.pk).state == PushAttempt.State.CONFLICT
    session = MergeSession.objects.get(attempt=attempt)
    other = import_demo(editor, sim_connection, key="demo-cart-abandonment")
    found: list[str] = []

    login(page, editor.username)
    page.goto(live_server.url + reverse("journeys:home"))
    found += serious_violations(page, axe_script, "journeys list", "table, .empty")
    editor_page = Editor(page, live_server.url, other.pk).open()
    for select in (*PANELS, *one_activity_of_each_type(other.document)):
        page.goto(f"{editor_page.url}?select={select}")
        found += serious_violations(page, axe_script, f"editor, panel {select}", "#panel h2")
    page.goto(live_server.url + reverse("journeys:merge", args=[session.pk]))
    found += serious_violations(page, axe_script, "merge screen", "#merge-form")
    page.goto(live_server.url + reverse("journeys:draft-compare", args=[draft.pk]))
    found += serious_violations(page, axe_script, "compare", ".canvas.readonly")

    page.context.clear_cookies()
    login(page, approver.username)
    page.goto(live_server.url + reverse("journeys:draft-review", args=[draft.pk]))
    found += serious_violations(page, axe_script, "review", ".canvas.readonly")

    assert found == [], "\n".join(found)


def test_the_merge_screens_condition_builder_has_no_serious_accessibility_violations(
    page, live_server, login, axe_script, editor, approver, sim_connection, demo_journeys
):
    session = condition_conflict(editor, approver, sim_connection)
    login(page, editor.username)
    page.goto(live_server.url + reverse("journeys:merge", args=[session.pk]))
    page.get_by_role("button", name="Add condition").click()
    expect(page.locator("#id_custom-0-n1-key")).to_be_focused()
    found = serious_violations(page, axe_script, "merge screen, conditions", ".condition-builder")
    assert found == [], "\n".join(found)
