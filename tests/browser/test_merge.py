"""A push that meets a remote edit, merged in the browser, then pushed again by a real worker."""

from __future__ import annotations

import importlib

import pytest
from django.db import connection
from playwright.sync_api import expect

from journeys.models import MergeSession
from tests.test_push_service import (
    WELCOME,
    approved_now,
    edited,
    import_demo,
    remote_doc,
    rename,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture(autouse=True)
def roles(transactional_db):
    """The Editors and Approvers groups, made again by their migrations if they are gone.

    Under Playwright's event loop Django hands this test another connection object than the
    one holding the serialized database, so serialized_rollback restores nothing after a
    non-browser transactional test has flushed the database (roles included).
    """
    from django.contrib.auth.models import Group
    from django.db.migrations.executor import MigrationExecutor

    if Group.objects.filter(name="Editors").exists():
        return
    state = MigrationExecutor(connection).loader.project_state(("journeys", "0004_comments"))
    for name, function in (
        ("0002_roles", "create_roles"),
        ("0004_comments", "grant_comment_permissions"),
    ):
        getattr(importlib.import_module(f"journeys.migrations.{name}"), function)(state.apps, None)


def wait_days(days):
    def change(document):
        wait = next(a for a in document["activities"] if a["key"] == "WAITBYDURATION-1")
        wait["configurationArguments"]["waitDuration"] = days

    return change


def test_a_remote_edit_is_merged_on_the_merge_screen_and_the_push_then_succeeds(
    page, live_server, login, artifacts, editor, approver, sim_connection, demo_journeys, worker
):
    simulator = demo_journeys
    draft = import_demo(editor, sim_connection)
    draft = edited(editor, draft, rename("Welcome series (spring)"))
    draft = approved_now(editor, approver, edited(editor, draft, wait_days(3)))
    # Meanwhile, someone renames the journey and changes a wait in Journey Builder.
    for action, params in (
        ("rename", {"name": "Welcome series (SFMC)"}),
        ("change-wait", {"activity_key": "WAITBYDURATION-1", "duration": 4}),
    ):
        simulator.control("POST", "remote-edit", {"key": WELCOME, "action": action, **params})
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    login(page, "edna")
    page.goto(f"{live_server.url}/drafts/{draft.pk}/")
    page.click("#check-sfmc")
    expect(page.locator(".drift-banner")).to_contain_text("Someone changed SFMC version 1")
    page.screenshot(path=str(artifacts / "drift.png"))
    page.click("#push-button")
    page.wait_for_url(f"{live_server.url}/merges/*/")  # HX-Redirect on conflict

    expect(page.locator("fieldset.conflict")).to_have_count(2)
    name = page.locator("fieldset.conflict", has_text="Journey — name")
    expect(name.locator("legend")).to_have_attribute("title", "name")
    expect(name.locator(".side-ours .value")).to_have_text("Welcome series (spring)")
    expect(name.locator(".side-theirs .value")).to_have_text("Welcome series (SFMC)")
    wait = page.locator("fieldset.conflict", has_text="Wait 'Wait 2 days' — duration")
    expect(wait.locator(".side-ours .value")).to_have_text("3 days")
    expect(wait.locator(".side-theirs .value")).to_have_text("4 days")
    expect(wait.locator('.custom input[type="number"]')).to_have_value("3")
    expect(page.locator("#theirs-title + ul")).to_contain_text("Wait 2 days → 4 days")
    expect(
        page.locator('.merge-canvas .node.mark-conflict[data-key="WAITBYDURATION-1"]')
    ).to_be_visible()
    page.screenshot(path=str(artifacts / "merge.png"), full_page=True)

    name.get_by_label("Keep mine").check()
    wait.get_by_label("Take SFMC's").check()
    page.click("#resolve-button")
    page.wait_for_url(f"{live_server.url}/drafts/{draft.pk}/")
    expect(page.locator(".messages")).to_contain_text("needs review again")

    # The merged content (SFMC's wait, our name) is new, so it is reviewed and approved again.
    session = MergeSession.objects.get()
    draft.refresh_from_db()
    assert draft.base_snapshot == session.theirs_snapshot
    approved_now(editor, approver, draft)
    page.reload()
    page.click("#push-button")
    expect(page.locator('#push-status[data-state="succeeded"]')).to_be_visible()
    expect(page.locator("#push-status")).to_contain_text("SFMC now has version 1")
    page.screenshot(path=str(artifacts / "push-succeeded.png"), full_page=True)

    remote = remote_doc(sim_connection)
    assert remote["name"] == "Welcome series (spring)"
    wait = next(a for a in remote["activities"] if a["key"] == "WAITBYDURATION-1")
    assert wait["configurationArguments"]["waitDuration"] == 4
    assert len(simulator.request_log(method="PUT", applied="true")) == 1
    assert errors == []


def change_goal(old, new):
    def change(document):
        config = document["goals"][0]["configurationArguments"]
        config["criteria"] = config["criteria"].replace(old, new)

    return change


def condition_conflict(editor, approver, sim_connection):
    """The goal's condition: "equals False" in the approved draft, "does not equal True" in
    SFMC; the push meets it and opens the merge."""
    from journeys.domain.document import put_body
    from journeys.services.push import request_push, run_push
    from journeys.services.remote import client_for

    draft = import_demo(editor, sim_connection)
    draft = edited(editor, draft, change_goal("[CDATA[True]]", "[CDATA[False]]"))
    draft = approved_now(editor, approver, draft)
    theirs = remote_doc(sim_connection)  # meanwhile someone changes the goal in SFMC
    change_goal('Operator="Equal"', 'Operator="NotEqual"')(theirs)
    version, modified = theirs["version"], theirs["modifiedDate"]
    client_for(sim_connection).put_journey(
        put_body(theirs, version=version, modified_date=modified)
    )
    run_push(request_push(editor, draft).pk)
    return MergeSession.objects.get(state=MergeSession.State.OPEN)


def test_a_conflicting_condition_is_rebuilt_in_the_condition_builder_on_the_merge_screen(
    page, live_server, login, artifacts, editor, approver, sim_connection, demo_journeys
):
    session = condition_conflict(editor, approver, sim_connection)
    draft = session.draft
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    login(page, "edna")
    page.goto(f"{live_server.url}/merges/{session.pk}/")
    goal = page.locator("fieldset.conflict", has_text="Goal 'Made a first purchase' — condition")
    expect(goal.locator(".side-theirs .value")).to_have_text(
        "HasPurchased (Members) does not equal True"
    )
    goal.get_by_role("button", name="Add condition").click()  # htmx: the builder is re-drawn
    attribute = goal.locator("#id_custom-0-n1-key")
    expect(attribute).to_be_focused()
    attribute.fill("Email (entry data)")
    goal.locator("#id_custom-0-n1-value").fill("vip@example.com")
    expect(goal.locator(".cb-preview-text")).to_contain_text("Email (entry data) equals vip@")
    goal.get_by_label("Use this value instead").check()
    page.screenshot(path=str(artifacts / "merge-conditions.png"), full_page=True)
    page.click("#resolve-button")
    page.wait_for_url(f"{live_server.url}/drafts/{draft.pk}/")

    draft.refresh_from_db()
    criteria = draft.document["goals"][0]["configurationArguments"]["criteria"]
    assert "<![CDATA[False]]>" in criteria and "<![CDATA[vip@example.com]]>" in criteria
    assert errors == []
