"""Script injection, in real headless Chromium: every user-controlled string holds a payload.

The corpus goes into the journey's name and description, every activity's name and description,
the branch labels and an outcome key of the splits, the entry source, goal and exit criteria,
JSON values (keys too) of an activity edited in the JSON editor panel, comments and replies, the
submission message, a review decision, the remote journey's name in the simulator (so it shows
on the import list, in the snapshot and on the merge screen) and the connection's name.

Then every page that shows them is opened: the journeys list, the editor and each of its panels
(by URL and by clicking a node, which swaps the panel in with htmx), history, review, compare,
the audit trail, the review queue, the import list and versions, the push status, the merge
screen and the Django admin's change pages. On each: window.__xss stays undefined, no dialog
opens, the page logs no error and no CSP violation, no element carries an injected `on*`
attribute, `javascript:` URL, <img src=x> or foreign <script>, and some payload IS shown as text
(so the page really rendered it, escaped).
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from journeys.domain.catalog import ENTRIES, type_of
from journeys.domain.journey_items import new_exit, new_goal
from journeys.models import AuditEvent, Comment, MergeSession, PushAttempt, Revision
from journeys.services import editing, push, review
from journeys.services.drafts import create_new_journey, save_revision
from tests.browser.test_canvas import BrowserErrors
from tests.test_push_service import WELCOME, approved_now, edited, import_demo

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

CORPUS = [
    "<script>window.__xss=1</script>",
    '"><img src=x onerror="window.__xss=1">',
    '</svg><svg onload="window.__xss=1">',
    "javascript:window.__xss=1",
    "{{ 7*7 }}",
    "' onmouseover='window.__xss=1",
    "</textarea><script>window.__xss=1</script>",
]
ALL = " ".join(CORPUS)


def payload(index: int) -> str:
    return CORPUS[index % len(CORPUS)]


CRITERIA = (
    '<FilterDefinition><ConditionSet Operator="AND" ConditionSetName="Individual Filter Grouping">'
    '<Condition ID="x" Operator="Equal"><Value><![CDATA[{value}]]></Value></Condition>'
    "</ConditionSet></FilterDefinition>"
)

PAGE_FACTS = r"""() => {
  const all = [...document.querySelectorAll("*")];
  const attribute = (el, name) => el.getAttribute(name) || "";
  const urlAttributes = ["href", "src", "action", "formaction", "xlink:href", "data"];
  return {
    xss: typeof window.__xss,
    handlers: all.flatMap(el => [...el.attributes]
      .filter(a => a.name.toLowerCase().startsWith("on"))
      .map(a => `${el.tagName} ${a.name}="${a.value}"`)),
    javascriptUrls: all.filter(el => urlAttributes.some(
      name => /^\s*javascript:/i.test(attribute(el, name)))).map(el => el.outerHTML.slice(0, 200)),
    injected: all.filter(el =>
      (el.tagName === "IMG" && attribute(el, "src") === "x")
      || (el.tagName.toLowerCase() === "script" && el.textContent.includes("__xss")))
      .map(el => el.outerHTML.slice(0, 200)),
    text: document.documentElement.textContent
      + [...document.querySelectorAll("input, textarea")].map(el => el.value).join("\n"),
  };
}"""


class Visitor:
    """One signed-in browser tab that checks every page it opens."""

    def __init__(self, page: Page, base_url: str) -> None:
        self.page = page
        self.base_url = base_url
        self.errors = BrowserErrors()
        self.errors.watch(page)
        self.dialogs: list[str] = []
        page.on("dialog", self._dialog)
        self.shown: set[str] = set()

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def login(self, username: str) -> Visitor:
        self.page.goto(f"{self.base_url}/accounts/login/")
        self.page.fill("#id_username", username)
        self.page.fill("#id_password", "pw-for-tests-1")
        self.page.click("button[type=submit]")
        self.page.wait_for_url(f"{self.base_url}/")
        return self

    def visit(self, path: str, *, shows_payload: bool = True) -> None:
        response = self.page.goto(self.base_url + path)
        assert response is not None and response.status == 200, (path, response)
        self.page.wait_for_load_state("networkidle")
        self.check(path, shows_payload=shows_payload)

    def check(self, where: str, *, shows_payload: bool = True) -> None:
        facts = self.page.evaluate(PAGE_FACTS)
        assert facts["xss"] == "undefined", f"a payload ran on {where}"
        assert self.dialogs == [], f"a dialog opened on {where}: {self.dialogs}"
        assert facts["handlers"] == [], f"injected event handlers on {where}"
        assert facts["javascriptUrls"] == [], f"javascript: URLs on {where}"
        assert facts["injected"] == [], f"injected elements on {where}"
        shown = {p for p in CORPUS if p in facts["text"]}
        if shows_payload:
            assert shown, f"no payload is shown as text on {where}: the page rendered none"
        self.shown |= shown
        assert self.errors.unexpected() == [], f"errors or CSP violations on {where}"


# the data: every user-controlled string holds a payload


def _hostile_document(document: dict[str, Any]) -> dict[str, Any]:
    """The document with a payload in every string a marketer (or SFMC) can set."""
    document = copy.deepcopy(document)
    document["name"] = ALL[:190]
    document["description"] = ALL
    document["triggers"][0]["name"] = payload(1)
    document["triggers"][0]["description"] = payload(2)
    for index, activity in enumerate(document["activities"]):
        activity["name"] = payload(index)
        activity["description"] = payload(index + 3)
        entry = type_of(activity)
        for number, outcome in enumerate(activity.get("outcomes", [])):
            meta = outcome.setdefault("metaData", {})
            if entry is not None and entry.min_outcomes >= 2:
                meta["label"] = payload(index + number)
                meta["name"] = payload(index + number + 1)
        if entry is not None and entry.type_id == "SALESCLOUDACTIVITY":
            activity["arguments"][payload(5)] = {"value": ALL, "list": list(CORPUS)}
            activity["metaData"]["note"] = payload(6)
    splits = [a for a in document["activities"] if a["type"] == "RANDOMSPLIT"]
    old_key = splits[0]["outcomes"][0]["key"]
    splits[0]["outcomes"][0]["key"] = payload(5)  # an outcome key, free text in a document
    assert old_key
    for items, factory in (("goals", new_goal), ("exits", new_exit)):
        item = factory(payload(0))
        item["description"] = payload(1)
        item["configurationArguments"] = {"criteria": CRITERIA.format(value=payload(6))}
        document[items] = [item]
    return document


def rename_activity(key: str, name: str) -> Any:
    def change(document: dict[str, Any]) -> None:
        next(a for a in document["activities"] if a["key"] == key)["name"] = f"Ours {name}"

    return change


@pytest.fixture
def hostile(editor, approver, admin_user, sim_connection, demo_journeys, monkeypatch):
    """Draft B: every type, payloads everywhere, in review with payload comments. Draft A: the
    demo journey, renamed with payloads here and in SFMC, pushed into a conflict."""
    simulator = demo_journeys
    monkeypatch.setattr(push, "_enqueue", lambda attempt_id: None)  # the test runs the push
    sim_connection.name = f"BU {payload(0)}"
    sim_connection.save()

    b = create_new_journey(editor, sim_connection, ALL[:190])
    for entry in ENTRIES:
        b = editing.apply_edit(
            editor,
            b,
            editing.structural_edit("insert", {"type_id": entry.type_id, "after": ""}),
            expected_revision=b.revision_number,
        ).draft
    b = save_revision(
        editor,
        b,
        _hostile_document(b.document),
        expected_revision=b.revision_number,
        summary=f"Renamed everything {payload(2)}",
    )
    first_key = b.document["activities"][0]["key"]
    thread = review.add_comment(approver, b, ALL, activity_key=first_key)
    review.add_comment(editor, b, payload(2), parent=thread)
    review.add_comment(approver, b, payload(3))
    b = review.submit_for_review(editor, b, expected_revision=b.revision_number, message=ALL)
    review.request_changes(approver, b, expected_revision=b.revision_number, comment=payload(1))
    b = review.submit_for_review(
        editor, b, expected_revision=b.revision_number, message=payload(0) + payload(6)
    )

    # The conflict is over an activity's name: SFMC refuses & < > " ' / in a journey's name.
    a = import_demo(editor, sim_connection)
    first = a.document["activities"][0]["key"]
    a = approved_now(editor, approver, edited(editor, a, rename_activity(first, payload(0))))
    simulator.control(
        "POST",
        "remote-edit",
        {"key": WELCOME, "action": "rename-activity", "activity_key": first, "name": ALL[:190]},
    )
    attempt = push.request_push(editor, a)
    push.run_push(attempt.pk)
    session = MergeSession.objects.get(attempt=attempt)
    b.refresh_from_db()
    a.refresh_from_db()
    return {"a": a, "b": b, "session": session, "attempt": attempt, "connection": sim_connection}


@pytest.fixture
def visitor(browser, browser_context_args, live_server):
    """A tab in its own browser context (one signed-in user each)."""
    contexts = []

    def open_as(username: str) -> Visitor:
        context = browser.new_context(**browser_context_args)
        contexts.append(context)
        return Visitor(context.new_page(), live_server.url).login(username)

    yield open_as
    for context in contexts:
        context.close()


def _targets(document: dict[str, Any]) -> list[str]:
    keys = [f"activity:{a['key']}" for a in document["activities"]]
    return [*keys, "trigger", "goal", "exit", "settings"]


def test_no_payload_runs_on_any_page_of_the_editor_review_and_merge(hostile, visitor):
    a, b = hostile["a"], hostile["b"]
    edna = visitor("edna")
    edna.visit(reverse("journeys:home"))
    edna.visit(reverse("journeys:draft", args=[b.pk]))
    for target in _targets(b.document):
        edna.visit(reverse("journeys:draft", args=[b.pk]) + f"?select={target}")
    # Clicking nodes swaps each panel in with htmx, as a marketer opens them.
    edna.visit(reverse("journeys:draft", args=[b.pk]))
    for key in [a_["key"] for a_ in b.document["activities"]][:6]:
        edna.page.locator(f'#canvas a.node[data-key="{key}"]').click()
        expect(edna.page.locator("#panel h2")).to_have_attribute("title", key)
        edna.page.wait_for_load_state("networkidle")
        edna.check(f"the panel of {key}")
    for name, args, query in (
        ("journeys:draft-history", [b.pk], ""),
        ("journeys:draft-review", [b.pk], ""),
        ("journeys:draft-review", [b.pk], f"?on={b.document['activities'][0]['key']}"),
        ("journeys:draft-compare", [b.pk], ""),
        ("journeys:draft-compare", [b.pk], "?a=rev:1&b=current"),
        ("journeys:journey-audit", [b.journey_id], ""),
        ("journeys:draft", [a.pk], ""),
        ("journeys:draft-compare", [a.pk], ""),
        ("journeys:merge", [hostile["session"].pk], ""),
        ("journeys:push-status", [hostile["attempt"].pk], ""),
        ("journeys:journey-audit", [a.journey_id], ""),
        ("journeys:remote-list", [hostile["connection"].pk], ""),
        ("journeys:remote-versions", [hostile["connection"].pk, a.journey.remote_id], ""),
    ):
        if name == "journeys:push-status":
            # A conflicted push sends the browser on to its merge screen.
            edna.page.goto(edna.base_url + reverse(name, args=args))
            edna.page.wait_for_url("**/merges/*/")
            edna.check("the push status")
            continue
        edna.visit(reverse(name, args=args) + query)

    arlo = visitor("arlo")
    arlo.visit(reverse("journeys:review-queue"))
    arlo.visit(reverse("journeys:draft-review", args=[b.pk]))

    # Not vacuous: every payload was shown, as text, somewhere.
    assert edna.shown | arlo.shown == set(CORPUS)


def test_no_payload_runs_on_the_admin_change_pages(hostile, visitor):
    b = hostile["b"]
    ada = visitor("ada")
    rows = {
        "journeys_draft": b.pk,
        "journeys_journey": b.journey_id,
        "journeys_revision": Revision.objects.filter(draft=b).order_by("-number")[0].pk,
        "journeys_comment": Comment.objects.filter(draft=b).order_by("pk")[0].pk,
        "journeys_auditevent": AuditEvent.objects.filter(action="draft.submitted", draft=b)[0].pk,
        "journeys_mergesession": hostile["session"].pk,
        "journeys_remotesnapshot": hostile["session"].theirs_snapshot_id,
        "journeys_approval": b.approvals.order_by("pk")[0].pk,
        "journeys_pushattempt": PushAttempt.objects.get().pk,
        "journeys_connection": hostile["connection"].pk,
    }
    # The pushed journey's name cannot hold a payload (SFMC refuses < > in a journey's name):
    # its push attempt's page is checked for injections, not for a payload shown.
    quiet = {"journeys_pushattempt"}
    for model, pk in rows.items():
        ada.visit(reverse(f"admin:{model}_change", args=[pk]), shows_payload=model not in quiet)
        # Some lists show only ids and dates; they are checked for injections all the same.
        ada.visit(reverse(f"admin:{model}_changelist"), shows_payload=False)
    assert ada.shown == set(CORPUS)
