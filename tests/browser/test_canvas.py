"""The canvas editor in real headless Chromium against the live server.

Building a journey by drag-and-drop and by keyboard, the side panel, undo/redo, two tabs on one
draft, validation badges, pan and zoom. Every test fails if the page logs a JavaScript error, an
uncaught exception or a content security policy violation.
"""

from __future__ import annotations

import copy
import json
import re

import pytest
from playwright.sync_api import Page, expect

from bench.journeys_gen import generate_journey
from journeys.domain.catalog import REMAINDER_PATH
from journeys.models import Draft
from journeys.services import editing
from journeys.services.drafts import create_draft_from_upload, create_new_journey, save_revision
from tests.factories import ConnectionFactory

pytestmark = [
    pytest.mark.browser,
    # The Editors and Approvers groups come from a data migration; without serialized rollback
    # the flush after a transactional test would drop them for the next test.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

FOCUS_COLOUR = "rgb(240, 165, 0)"  # #f0a500, the focus ring of app.css
CONDITION = (
    '<FilterDefinition><ConditionSet Operator="AND" ConditionSetName="Individual Filter Grouping">'
    '<Condition Key="Contact.{id}" Operator="Equal"><Value><![CDATA[{value}]]></Value></Condition>'
    "</ConditionSet></FilterDefinition>"
)
CANVAS_FITS = """() => {
  const svg = document.querySelector("#canvas svg").getBoundingClientRect();
  const view = document.getElementById("viewport").getBoundingClientRect();
  return svg.left >= view.left - 1 && svg.top >= view.top - 1
    && svg.right <= view.right + 1 && svg.bottom <= view.bottom + 1;
}"""
NEXT_FRAME = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI}`);
});
"""


class BrowserErrors:
    """Console errors, uncaught exceptions and CSP violations of the pages it watches."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        self.expected: list[str] = []

    def watch(self, page: Page) -> Page:
        page.add_init_script(CSP_LISTENER)
        page.on("console", lambda m: self.seen.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda error: self.seen.append(f"uncaught: {error}"))
        return page

    def expect(self, fragment: str) -> None:
        """Tolerate errors containing `fragment` (the browser's own log of an expected 409)."""
        self.expected.append(fragment)

    def unexpected(self) -> list[str]:
        return [e for e in self.seen if not any(fragment in e for fragment in self.expected)]


@pytest.fixture
def browser_errors(page):
    errors = BrowserErrors()
    errors.watch(page)
    yield errors
    assert errors.unexpected() == [], "the page logged JavaScript errors"


class Editor:
    """One browser tab on the editor of a draft."""

    def __init__(self, page: Page, base_url: str, pk: int) -> None:
        self.page = page
        self.url = f"{base_url}/drafts/{pk}/"
        self.pk = pk

    def open(self) -> Editor:
        self.page.goto(self.url)
        self.wait_until_drawn()
        return self

    def reload(self) -> None:
        self.page.reload()
        self.wait_until_drawn()

    def wait_until_drawn(self) -> None:
        # editor.js fits the canvas on load: a scale, then (a tick later) a non-zero pan.
        self.page.wait_for_function(
            """() => {
              const t = document.getElementById("stage").style.transform;
              return t.includes("scale") && t.includes("translate") && !t.includes("(0px, 0px)");
            }"""
        )

    @property
    def revision(self) -> int:
        return int(self.page.locator("#canvas").get_attribute("data-revision") or 0)

    def wait_for_revision_after(self, before: int) -> None:
        self.page.wait_for_selector(f'#canvas:not([data-revision="{before}"])')

    def node(self, key: str):
        return self.page.locator(f'#canvas a.node[data-key="{key}"]')

    def slot(self, after: str, outcome: str | None = None):
        selector = f'#canvas a.slot[data-after="{after}"]'
        if outcome is not None:
            selector += f'[data-outcome="{outcome}"]'
        return self.page.locator(selector)

    def palette_item(self, type_id: str):
        return self.page.locator(f'#palette .palette-item[data-type="{type_id}"]')

    def drag(self, type_id: str, slot) -> None:
        """Drag a palette item onto a slot with native HTML5 drag-and-drop; wait for the swap."""
        before = self.revision
        self.palette_item(type_id).drag_to(slot)
        self.wait_for_revision_after(before)

    def open_panel(self, key: str) -> None:
        self.node(key).click()
        expect(self.page.locator("#panel h2")).to_have_attribute("title", key)
        self.wait_until_panel_is_live()

    def change_field(self, selector: str, value: str) -> None:
        """Type into a panel field and leave it, as a user does; wait for the auto-save."""
        self.wait_until_panel_is_live()
        before = self.revision
        field = self.page.locator(f"#panel {selector}")
        fold = field.locator("xpath=ancestor::details[1]")
        if fold.count() and not fold.evaluate("d => d.open"):
            fold.locator("summary").click()  # a field kept in a fold (an ID beside its picker)
        if field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)
            field.press("Tab")
        # Fields saved together (a wait's number and unit) save once the focus leaves them all.
        group = field.locator("xpath=ancestor::fieldset[@data-together][1]")
        if group.count():
            field.focus()
            while group.evaluate("g => g.contains(document.activeElement)"):
                self.page.keyboard.press("Tab")
        self.wait_for_revision_after(before)

    def wait_until_panel_is_live(self) -> None:
        """A panel swapped in is live once htmx has processed it (it then drops the class
        `htmx-added`): a change typed before that would reach no listener."""
        expect(self.page.locator("#panel.htmx-added, #panel .htmx-added")).to_have_count(0)

    def click_and_wait(self, selector: str) -> None:
        before = self.revision
        self.page.click(selector)
        self.wait_for_revision_after(before)

    def press_and_wait(self, keys: str) -> None:
        before = self.revision
        self.page.keyboard.press(keys)
        self.wait_for_revision_after(before)

    def zoom(self, button: str) -> float:
        """Click a zoom button; wait until the stage shows it; the new scale."""
        before = self.transform()
        self.page.click(f"[data-zoom={button}]")
        self.page.wait_for_function(
            """before => {
              const stage = document.getElementById("stage");
              return stage.style.transform !== before && stage.getAnimations().length === 0;
            }""",
            arg=before,
        )
        return self.scale()

    def transform(self) -> str:
        return self.page.locator("#stage").evaluate("e => e.style.transform")

    def scale(self) -> float:
        return float(re.search(r"scale\(([\d.]+)\)", self.transform()).group(1))

    def canvas_fits_viewport(self) -> bool:
        return self.page.evaluate(CANVAS_FITS)

    def wait_until_canvas_fits(self) -> None:
        self.page.wait_for_function(CANVAS_FITS)


@pytest.fixture
def connection(db):
    return ConnectionFactory()


@pytest.fixture
def signed_in(page, login, editor, browser_errors):
    login(page, editor.username)
    return page


def open_editor(page, live_server, draft) -> Editor:
    return Editor(page, live_server.url, draft.pk).open()


def activities(draft: Draft) -> dict[str, dict]:
    draft.refresh_from_db()
    return {a["key"]: a for a in draft.document["activities"]}


def next_of(activity: dict, outcome: int = 0) -> str | None:
    return activity["outcomes"][outcome].get("next")


def build(user, draft: Draft, *steps: dict) -> Draft:
    """Structural edits through the service the views use, each on the latest revision."""
    for step in steps:
        draft.refresh_from_db()
        edit = editing.structural_edit(step["op"], step)
        draft = editing.apply_edit(user, draft, edit, expected_revision=draft.revision_number).draft
    return draft


def insert(type_id: str, after: str = "", outcome_key: str = "") -> dict:
    return {"op": "insert", "type_id": type_id, "after": after, "outcome_key": outcome_key}


def upload(user, connection, document: dict) -> Draft:
    return create_draft_from_upload(user, connection, json.dumps(document).encode()).draft


def test_a_journey_is_built_from_scratch_by_dragging_activities_onto_the_canvas(
    signed_in, live_server, connection, artifacts
):
    page = signed_in
    page.click("text=New journey")
    page.fill("#id_name", "Welcome series")
    page.locator("#id_connection").select_option(str(connection.pk))
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r"/drafts/\d+/$"))
    draft = Draft.objects.get(journey__name="Welcome series")
    canvas = Editor(page, live_server.url, draft.pk)
    canvas.wait_until_drawn()

    canvas.drag("WAITBYDURATION", page.locator("#canvas a.slot.start-slot"))
    expect(canvas.node("WAITBYDURATION-1")).to_be_visible()
    canvas.drag("EMAILV2", canvas.slot("WAITBYDURATION-1"))
    expect(canvas.node("EMAILV2-1")).to_be_visible()
    canvas.drag("MULTICRITERIADECISIONV2", canvas.slot("EMAILV2-1"))
    split = "MULTICRITERIADECISIONV2-1"
    expect(canvas.node(split)).to_be_visible()
    # Each branch of the split has its own slot: drop on the path and on the remainder.
    canvas.drag("SMSSYNC", canvas.slot(split, "default_path_1"))
    canvas.drag("RANDOMSPLITV2", canvas.slot(split, REMAINDER_PATH))
    canvas.drag("UPDATECONTACTDATAV2", canvas.slot("RANDOMSPLITV2-1", "branchResult-2"))

    found = activities(draft)
    assert list(found)[0] == "WAITBYDURATION-1"
    assert set(found) == {
        "WAITBYDURATION-1",
        "EMAILV2-1",
        split,
        "SMSSYNC-1",
        "RANDOMSPLITV2-1",
        "UPDATECONTACTDATAV2-1",
    }
    assert next_of(found["WAITBYDURATION-1"]) == "EMAILV2-1"
    assert next_of(found["EMAILV2-1"]) == split
    paths = {o["key"]: o.get("next") for o in found[split]["outcomes"]}
    assert paths == {"default_path_1": "SMSSYNC-1", REMAINDER_PATH: "RANDOMSPLITV2-1"}
    assert next_of(found["RANDOMSPLITV2-1"], 1) == "UPDATECONTACTDATAV2-1"
    assert draft.revision_number == 7
    expect(page.locator("#canvas a.node.node-activity")).to_have_count(6)
    expect(page.locator("#revision-number")).to_have_text("7")
    canvas.zoom("fit")
    canvas.wait_until_canvas_fits()
    page.screenshot(path=artifacts / "canvas-small.png")


def tab_to(page: Page, selector: str, limit: int = 120) -> None:
    """Press Tab until the focused element matches `selector`."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement?.matches(s) ?? false", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def test_a_journey_is_built_with_the_keyboard_alone(signed_in, live_server, editor, connection):
    page = signed_in
    canvas = open_editor(page, live_server, create_new_journey(editor, connection, "By keyboard"))

    tab_to(page, "a.slot.start-slot")
    ring = page.evaluate(
        "() => getComputedStyle(document.activeElement.querySelector('circle')).fill"
    )
    assert ring == FOCUS_COLOUR  # the focused slot is visibly marked
    page.keyboard.press("Enter")
    expect(page.locator("a.slot.start-slot")).to_have_class(re.compile(r"\barmed\b"))
    expect(page.locator("#notice")).to_contain_text("Now choose an activity")
    focused = page.evaluate(
        """() => {
          const item = document.activeElement;
          const style = getComputedStyle(item);
          return [item.dataset.type, style.outlineStyle, style.outlineColor];
        }"""
    )
    assert focused == ["EMAILV2", "solid", FOCUS_COLOUR]  # the palette took the focus
    canvas.press_and_wait("Enter")
    expect(canvas.node("EMAILV2-1")).to_be_visible()

    # Escape disarms a slot without inserting anything.
    tab_to(page, 'a.slot[data-after="EMAILV2-1"]')
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")
    expect(page.locator("a.slot.armed")).to_have_count(0)
    expect(page.locator("#notice")).to_have_text("")

    tab_to(page, 'a.slot[data-after="EMAILV2-1"]')
    page.keyboard.press("Enter")
    tab_to(page, '#palette .palette-item[data-type="WAITBYDURATION"]')
    canvas.press_and_wait("Enter")
    expect(canvas.node("WAITBYDURATION-1")).to_be_visible()
    found = activities(Draft.objects.get(pk=canvas.pk))
    assert list(found) == ["EMAILV2-1", "WAITBYDURATION-1"]
    assert next_of(found["EMAILV2-1"]) == "WAITBYDURATION-1"

    # A node takes a visible focus too, and Enter opens its panel.
    tab_to(page, 'a.node[data-key="WAITBYDURATION-1"]')
    stroke = page.evaluate(
        "() => getComputedStyle(document.activeElement.querySelector('rect.card')).stroke"
    )
    assert stroke == FOCUS_COLOUR
    page.keyboard.press("Enter")
    expect(page.locator("#panel h2")).to_have_text("Wait by Duration · Wait 1 day")


def focused_key(page: Page) -> str | None:
    return page.evaluate("() => document.activeElement?.dataset?.key ?? null")


def test_arrow_keys_walk_the_journey_and_plus_reaches_the_insert_slot(
    signed_in, live_server, editor, connection
):
    page = signed_in
    split = "RANDOMSPLITV2-1"
    draft = build(
        editor,
        create_new_journey(editor, connection, "Arrows"),
        insert("EMAILV2"),
        insert("RANDOMSPLITV2", after="EMAILV2-1"),
        insert("WAITBYDURATION", after=split, outcome_key="branchResult-1"),
        insert("SMSSYNC", after=split, outcome_key="branchResult-2"),
    )
    open_editor(page, live_server, draft)
    tab_to(page, 'a.node[data-key="EMAILV2-1"]')
    assert page.locator("#palette .palette-item[tabindex='0']").count() == 0  # not tab stops

    steps = [
        ("ArrowRight", split),
        ("ArrowRight", "WAITBYDURATION-1"),
        ("ArrowDown", "SMSSYNC-1"),
        ("ArrowDown", "SMSSYNC-1"),  # the last path: stays
        ("ArrowUp", "WAITBYDURATION-1"),
        ("ArrowLeft", split),
        ("ArrowLeft", "EMAILV2-1"),
        ("ArrowLeft", "EMAILV2-1"),  # the start: stays
    ]
    for key, expected in steps:
        page.keyboard.press(key)
        assert focused_key(page) == expected, f"{key} went to {focused_key(page)}"
    expect(canvas_node(page, "EMAILV2-1")).to_have_class(re.compile(r"\bselected\b"))

    page.keyboard.press("+")
    slot = page.evaluate("() => document.activeElement.getAttribute('aria-label')")
    assert slot == "Insert after 'Email 1'"
    page.keyboard.press("ArrowRight")  # from the slot to the activity it leads to
    assert focused_key(page) == split
    page.keyboard.press("+")
    spoken = page.evaluate("() => document.activeElement.getAttribute('aria-label')")
    assert spoken == "Insert after 'Random Split 1' on path 'Path 1 (50%)'"


def test_search_finds_activities_by_name_type_or_key_and_enter_goes_to_one(
    signed_in, live_server, editor, connection
):
    page = signed_in
    document = generate_journey(40, seed=2)
    draft = upload(editor, connection, document)
    canvas = open_editor(page, live_server, draft)
    target = document["activities"][7]  # "Email Offer 1822 for you", EMAILV2-3
    box = page.locator("#canvas-search")
    results = page.locator("#search-results li")

    box.fill("offer 1822")
    expect(results).to_have_count(1)
    expect(results.first).to_contain_text(target["name"])
    box.fill("random split")
    splits = [a for a in document["activities"] if a["type"] == "RANDOMSPLIT"]
    expect(results).to_have_count(min(len(splits), 30))
    box.fill(target["key"].lower())
    expect(results.first).to_have_attribute("title", target["key"])

    box.press("Enter")
    node = canvas.node(target["key"])
    expect(node).to_have_class(re.compile(r"\bselected\b"))
    expect(page.locator("#panel h2")).to_have_attribute("title", target["key"])
    view = page.locator("#viewport").bounding_box()
    assert centre_of(node) == pytest.approx(
        (view["x"] + view["width"] / 2, view["y"] + view["height"] / 2), abs=2
    )


def test_a_large_journey_has_a_minimap_that_frames_the_view_and_moves_it_on_click(
    signed_in, live_server, editor, connection, artifacts
):
    page = signed_in
    document = generate_journey(104, seed=5)
    draft = upload(editor, connection, document)
    canvas = open_editor(page, live_server, draft)
    minimap = page.locator("#minimap")
    expect(minimap).to_be_visible()
    expect(minimap.locator("rect.minimap-node")).to_have_count(
        page.locator("#canvas a.node rect.card").count()
    )
    canvas.zoom("reset")
    node = canvas.node(document["activities"][-1]["key"])
    # The minimap's frame shows the view: the last activity is outside it, then a click on
    # the activity's box in the minimap brings it into the middle of the view.
    mark = minimap.locator("rect.minimap-node").nth(
        page.locator("#canvas a.node").evaluate_all(
            "(nodes, key) => nodes.findIndex((n) => n.dataset.key === key)",
            document["activities"][-1]["key"],
        )
    )
    view = page.locator("#viewport").bounding_box()
    x, y = centre_of(mark)
    page.mouse.click(x, y)
    cx, cy = centre_of(node)
    assert abs(cx - (view["x"] + view["width"] / 2)) < 40
    assert abs(cy - (view["y"] + view["height"] / 2)) < 40
    frame = minimap.locator("#minimap-view").bounding_box()
    assert frame["x"] <= x <= frame["x"] + frame["width"]
    assert frame["y"] <= y <= frame["y"] + frame["height"]
    page.locator("#canvas-search").fill("offer")
    page.screenshot(path=artifacts / "canvas-minimap-and-search.png")


def canvas_node(page: Page, key: str):
    return page.locator(f'#canvas a.node[data-key="{key}"]')


# Counts clicks on the panel's Delete button (what the Delete key does when it deletes).
DELETE_CLICKS = """() => {
  window.deleteClicks = 0;
  document.addEventListener("click", (event) => {
    if (event.target.closest("#delete-button")) window.deleteClicks += 1;
  }, true);
}"""


def test_the_delete_key_deletes_the_focused_activity_only_when_its_panel_is_open(
    signed_in, live_server, editor, connection
):
    page = signed_in
    draft = build(
        editor,
        create_new_journey(editor, connection, "Delete key"),
        insert("EMAILV2"),
        insert("SMSSYNC", after="EMAILV2-1"),
    )
    canvas = open_editor(page, live_server, draft)
    canvas.open_panel("SMSSYNC-1")

    # The focus is on the email while the panel shows the SMS: Delete must not delete the SMS.
    tab_to(page, 'a.node[data-key="EMAILV2-1"]')
    page.evaluate(DELETE_CLICKS)
    page.keyboard.press("Delete")  # returns once the key's handlers have run
    assert page.evaluate("window.deleteClicks") == 0
    assert canvas.revision == 3
    assert list(activities(draft)) == ["EMAILV2-1", "SMSSYNC-1"]

    page.keyboard.press("Enter")
    expect(page.locator("#panel h2")).to_have_text("Email · Email 1")
    canvas.press_and_wait("Delete")
    expect(canvas.node("EMAILV2-1")).to_have_count(0)
    assert list(activities(draft)) == ["SMSSYNC-1"]


def test_the_panel_configures_a_wait_an_email_and_a_two_branch_decision_split(
    signed_in, live_server, editor, connection, artifacts
):
    page = signed_in
    draft = create_new_journey(editor, connection, "Configured")
    split = "MULTICRITERIADECISIONV2-1"
    draft = build(
        editor,
        draft,
        insert("WAITBYDURATION"),
        insert("EMAILV2", after="WAITBYDURATION-1"),
        insert("MULTICRITERIADECISIONV2", after="EMAILV2-1"),
    )
    canvas = open_editor(page, live_server, draft)

    canvas.open_panel("WAITBYDURATION-1")
    # The number and unit save together (tests/browser/test_panel_feedback.py), once the
    # focus leaves them.
    page.fill("#panel #id_waitDuration", "3")
    page.press("#panel #id_waitDuration", "Tab")
    before = canvas.revision
    page.select_option("#panel #id_waitUnit", "WEEKS")
    page.press("#panel #id_waitUnit", "Tab")
    canvas.wait_for_revision_after(before)
    # The auto-save leaves the panel alone, so the focus stays where the user tabbed to.
    assert page.evaluate("() => document.activeElement.id") == "id_isExtended"
    canvas.change_field("#id_name", "Wait three weeks")
    expect(canvas.node("WAITBYDURATION-1").locator(".node-label")).to_have_text("Wait three weeks")
    wait = activities(draft)["WAITBYDURATION-1"]["configurationArguments"]
    assert (wait["waitDuration"], wait["waitUnit"]) == (3, "WEEKS")

    canvas.open_panel("EMAILV2-1")
    expect(canvas.node("EMAILV2-1")).to_have_class(re.compile(r"\bhas-warning\b"))
    canvas.change_field("#id_emailId", "48213")
    canvas.change_field("#id_emailSubject", "Welcome aboard, {{FirstName}}")
    expect(canvas.node("EMAILV2-1")).not_to_have_class(re.compile(r"\bhas-"))
    send = activities(draft)["EMAILV2-1"]["configurationArguments"]["triggeredSend"]
    assert (send["emailId"], send["emailSubject"]) == (48213, "Welcome aboard, {{FirstName}}")

    canvas.open_panel(split)
    canvas.click_and_wait("#panel button:has-text('Add a path')")
    expect(page.locator("#panel #cb-path_2_criteria")).to_be_visible()
    # Experts write the filter XML under "Show XML" (the condition builder is tested apart).
    page.locator("#cb-path_1_criteria summary").click()
    page.locator("#cb-path_2_criteria summary").click()
    canvas.change_field("#id_path_1_label", "Gold members")
    canvas.change_field("#id_path_1_criteria", CONDITION.format(id="tier", value="Gold"))
    canvas.change_field("#id_path_2_label", "Silver members")
    canvas.change_field("#id_path_2_criteria", CONDITION.format(id="tier", value="Silver"))
    expect(page.locator("#canvas text.edge-label", has_text="Gold members")).to_be_visible()
    expect(page.locator("#canvas text.edge-label", has_text="Silver members")).to_be_visible()
    decision = activities(draft)[split]
    labels = {o["key"]: o["metaData"].get("label") for o in decision["outcomes"]}
    assert labels == {
        "default_path_1": "Gold members",
        "default_path_2": "Silver members",
        REMAINDER_PATH: "Remainder",
    }
    criteria = decision["configurationArguments"]["criteria"]
    assert criteria == {
        "default_path_1": CONDITION.format(id="tier", value="Gold"),
        "default_path_2": CONDITION.format(id="tier", value="Silver"),
    }
    expect(canvas.node(split)).not_to_have_class(re.compile(r"\bhas-"))
    page.locator("#panel h2").scroll_into_view_if_needed()
    page.screenshot(path=artifacts / "canvas-panel.png")


def test_undo_and_redo_work_by_button_and_shortcut_and_survive_a_reload(
    signed_in, live_server, editor, connection
):
    page = signed_in
    draft = build(editor, create_new_journey(editor, connection, "Undoable"), insert("STOWAIT"))
    canvas = open_editor(page, live_server, draft)
    canvas.drag("EMAILV2", canvas.slot("STOWAIT-1"))
    email = canvas.node("EMAILV2-1")
    expect(email).to_be_visible()

    canvas.click_and_wait("#undo-button")
    expect(email).to_have_count(0)
    expect(page.locator("#notice")).to_contain_text("Undo: back to the content of revision 2")
    canvas.click_and_wait("#redo-button")
    expect(email).to_be_visible()

    page.locator("#viewport").click(position={"x": 5, "y": 5})  # focus out of any field
    canvas.press_and_wait("Control+z")
    expect(email).to_have_count(0)
    canvas.press_and_wait("Control+Shift+Z")
    expect(email).to_be_visible()
    canvas.press_and_wait("Control+z")
    expect(email).to_have_count(0)

    canvas.reload()
    expect(email).to_have_count(0)
    expect(page.locator("#redo-button")).to_be_enabled()
    canvas.click_and_wait("#redo-button")
    expect(email).to_be_visible()
    canvas.reload()
    expect(email).to_be_visible()
    expect(page.locator("#redo-button")).to_be_disabled()
    expect(page.locator("#undo-button")).to_be_enabled()
    assert list(activities(draft)) == ["STOWAIT-1", "EMAILV2-1"]


def test_two_tabs_an_overlapping_edit_is_refused_and_a_separate_one_is_merged(
    signed_in, live_server, editor, connection, browser_errors, artifacts
):
    draft = build(editor, create_new_journey(editor, connection, "Two tabs"), insert("STOWAIT"))
    tab_a = open_editor(signed_in, live_server, draft)
    tab_b = open_editor(browser_errors.watch(signed_in.context.new_page()), live_server, draft)
    assert tab_a.revision == tab_b.revision == 2

    tab_a.drag("EMAILV2", tab_a.slot("STOWAIT-1"))
    expect(tab_a.node("EMAILV2-1")).to_be_visible()

    # Tab B still shows revision 2 and inserts on the very edge tab A just used.
    browser_errors.expect("409 (Conflict)")  # Chromium logs every 4xx response
    tab_b.drag("SMSSYNC", tab_b.slot("STOWAIT-1"))
    notice = tab_b.page.locator("#notice")
    expect(notice).to_contain_text("Someone changed this draft since you loaded it")
    expect(notice).to_be_visible()
    expect(tab_b.node("EMAILV2-1")).to_be_visible()
    expect(tab_b.node("SMSSYNC-1")).to_have_count(0)
    assert tab_b.revision == 3
    tab_b.page.screenshot(path=artifacts / "two-tab-conflict.png")
    assert list(activities(draft)) == ["STOWAIT-1", "EMAILV2-1"]

    # Tab A moves on again; tab B, stale once more, inserts on another edge: merged.
    tab_a.drag("WAITBYDURATION", tab_a.slot("EMAILV2-1"))
    tab_b.drag("SMSSYNC", tab_b.slot(""))
    expect(notice).to_contain_text("merged with newer changes")
    for key in ("SMSSYNC-1", "STOWAIT-1", "EMAILV2-1", "WAITBYDURATION-1"):
        expect(tab_b.node(key)).to_be_visible()
    found = activities(draft)
    assert list(found)[0] == "SMSSYNC-1"
    assert next_of(found["SMSSYNC-1"]) == "STOWAIT-1"
    assert next_of(found["EMAILV2-1"]) == "WAITBYDURATION-1"
    assert tab_b.revision == draft.revision_number == 5


def test_validation_problems_show_as_badges_on_nodes_until_fixed(
    signed_in, live_server, editor, connection, artifacts
):
    page = signed_in
    draft = build(
        editor,
        create_new_journey(editor, connection, "With problems"),
        insert("RANDOMSPLITV2"),
        insert("EMAILV2", after="RANDOMSPLITV2-1", outcome_key="branchResult-1"),
    )
    document = copy.deepcopy(draft.document)  # graph.set_field refuses to break a journey
    document["activities"][0]["outcomes"][1]["arguments"]["percentage"] = 30
    draft = save_revision(editor, draft, document, expected_revision=3, summary="60/30 by hand")
    canvas = open_editor(page, live_server, draft)

    split, email = canvas.node("RANDOMSPLITV2-1"), canvas.node("EMAILV2-1")
    expect(split).to_have_class(re.compile(r"\bhas-error\b"))
    expect(split.locator("circle.problem-dot.error")).to_be_visible()
    expect(split.locator("text.problem-count")).to_have_text("1")
    expect(split.locator("title")).to_contain_text("add up to 80, but they must add up to 100")
    expect(email).to_have_class(re.compile(r"\bhas-warning\b"))
    expect(email.locator("circle.problem-dot.warning")).to_be_visible()
    expect(page.locator("#validity")).to_have_text("1 error")
    page.screenshot(path=artifacts / "canvas-errors.png")

    # The panel refuses a total that is still wrong, and says why.
    canvas.open_panel("RANDOMSPLITV2-1")
    page.fill("#panel #id_path_1_percentage", "90")
    page.locator("#panel #id_path_1_name").click()  # leaving the shares saves them
    expect(page.locator("#panel")).to_contain_text("The percentages add up to 120")
    expect(page.locator("#notice")).to_have_text("Check the highlighted fields.")
    assert canvas.revision == 4

    canvas.change_field("#id_path_1_percentage", "70")
    expect(split).not_to_have_class(re.compile(r"\bhas-"))
    expect(split.locator(".problem-dot")).to_have_count(0)
    expect(page.locator("#validity")).to_have_text("No errors; needs approval before a push")
    shares = [
        o["arguments"]["percentage"] for o in activities(draft)["RANDOMSPLITV2-1"]["outcomes"]
    ]
    assert shares == [70, 30]

    canvas.open_panel("EMAILV2-1")
    canvas.change_field("#id_emailId", "9001")
    expect(email).not_to_have_class(re.compile(r"\bhas-"))
    expect(page.locator("#canvas a.node.node-activity .problem-dot")).to_have_count(0)


def test_zoom_buttons_scale_the_stage_and_fit_shows_a_100_activity_journey_whole(
    signed_in, live_server, editor, connection, artifacts
):
    page = signed_in
    document = generate_journey(100, seed=11)
    draft = upload(editor, connection, document)
    canvas = open_editor(page, live_server, draft)
    expect(page.locator("#canvas a.node.node-activity")).to_have_count(100)

    fitted = canvas.scale()
    assert fitted < 1
    canvas.wait_until_canvas_fits()

    assert canvas.zoom("reset") == 1
    assert not canvas.canvas_fits_viewport()
    assert canvas.zoom("in") > 1
    canvas.zoom("out")
    assert canvas.zoom("out") < 1

    # Dragging the background pans the stage (away from the zoom buttons at the bottom right).
    before = page.locator("#stage").bounding_box()
    view = page.locator("#viewport").bounding_box()
    x, y = view["x"] + view["width"] * 0.4, view["y"] + view["height"] - 20
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x - 100, y - 60, steps=5)
    page.mouse.up()
    page.evaluate(NEXT_FRAME)  # the move is drawn on the next animation frame
    after = page.locator("#stage").bounding_box()
    assert (round(after["x"] - before["x"]), round(after["y"] - before["y"])) == (-100, -60)

    assert canvas.zoom("fit") == pytest.approx(fitted, abs=0.001)
    canvas.wait_until_canvas_fits()  # the pan follows the zoom a tick later
    page.screenshot(path=artifacts / "canvas-large.png")


def centre_of(locator) -> tuple[float, float]:
    box = locator.bounding_box()
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def wheel(page: Page, canvas: Editor, delta: float) -> None:
    before = canvas.transform()
    page.mouse.wheel(0, delta)
    page.wait_for_function(
        "t => document.getElementById('stage').style.transform !== t", arg=before
    )


VISIBLE_PART = """() => {
  const svg = document.querySelector("#canvas svg").getBoundingClientRect();
  const view = document.getElementById("viewport").getBoundingClientRect();
  const w = Math.min(svg.right, view.right) - Math.max(svg.left, view.left);
  const h = Math.min(svg.bottom, view.bottom) - Math.max(svg.top, view.top);
  return [Math.max(w, 0), Math.max(h, 0)];
}"""


def test_the_wheel_zooms_around_the_pointer_and_never_loses_the_journey(
    signed_in, live_server, editor, connection
):
    page = signed_in
    draft = upload(editor, connection, generate_journey(104, seed=5))
    canvas = open_editor(page, live_server, draft)
    node = canvas.node(draft.document["activities"][10]["key"])
    x, y = centre_of(node)
    page.mouse.move(x, y)
    fitted = canvas.scale()
    for _ in range(6):  # six notches in: the activity stays under the pointer
        wheel(page, canvas, -100)
        assert centre_of(node) == pytest.approx((x, y), abs=1.5)
    assert canvas.scale() > 2 * fitted
    expect(page.locator("#zoom-level")).to_have_text(f"{round(canvas.scale() * 100)}%")

    view = page.locator("#viewport").bounding_box()
    page.mouse.move(view["x"] + 5, view["y"] + 5)  # at the very corner, out and in again
    for delta in [300] * 12 + [-300] * 12:
        if (delta > 0 and canvas.scale() <= 0.1) or (delta < 0 and canvas.scale() >= 3):
            continue
        wheel(page, canvas, delta)
        width, height = page.evaluate(VISIBLE_PART)
        assert width >= 40 and height >= 40, "the journey drifted out of view"


def test_an_inserted_activity_is_centred_and_selected(signed_in, live_server, editor, connection):
    page = signed_in
    draft = upload(editor, connection, generate_journey(60, seed=3))
    canvas = open_editor(page, live_server, draft)
    canvas.zoom("reset")  # at 100 % the end of the journey is far out of view
    keys = {a["key"] for a in draft.document["activities"]}
    last = draft.document["activities"][-1]["key"]
    canvas.slot(last).first.dispatch_event("click")  # arm it, as Enter on it does
    before = canvas.revision
    canvas.palette_item("WAITBYDURATION").click()
    canvas.wait_for_revision_after(before)

    (key,) = set(activities(draft)) - keys
    new = canvas.node(key)
    expect(new).to_have_class(re.compile(r"\bselected\b"))
    expect(page.locator("#panel h2")).to_have_attribute("title", key)
    view = page.locator("#viewport").bounding_box()
    x, y = centre_of(new)
    assert x == pytest.approx(view["x"] + view["width"] / 2, abs=2)
    assert y == pytest.approx(view["y"] + view["height"] / 2, abs=2)


LABEL_COLLISIONS = """() => {
  const overlap = (a, b) => a.x < b.x + b.width && b.x < a.x + a.width
    && a.y < b.y + b.height && b.y < a.y + a.height;
  const found = [];
  for (const node of document.querySelectorAll("#canvas a.node")) {
    const card = node.querySelector("rect.card").getBBox();
    const dot = node.querySelector("circle.problem-dot");
    for (const text of node.querySelectorAll("text.node-label tspan, text.node-type")) {
      const box = text.getBBox();
      if (box.x + box.width > card.x + card.width - 2) {
        found.push(`${node.dataset.key}: "${text.textContent}" runs out of its card`);
      } else if (dot && overlap(box, dot.getBBox())) {
        found.push(`${node.dataset.key}: "${text.textContent}" runs under the problem badge`);
      }
    }
  }
  const slots = [...document.querySelectorAll("#canvas a.slot circle")].map((c) => c.getBBox());
  for (const label of document.querySelectorAll("#canvas text.edge-label")) {
    if (slots.some((slot) => overlap(label.getBBox(), slot))) {
      found.push(`path label "${label.textContent}" lies under a + slot`);
    }
  }
  return found;
}"""


def test_labels_stay_inside_their_cards_and_clear_of_the_drop_slots(
    signed_in, live_server, editor, connection
):
    page = signed_in
    split = "MULTICRITERIADECISIONV2-1"
    draft = build(
        editor,
        create_new_journey(editor, connection, "Labels"),
        insert("MULTICRITERIADECISIONV2"),
        {"op": "add-branch", "key": split},
        insert("UPDATECONTACTDATAV2", after=split, outcome_key="default_path_1"),
        insert("RANDOMSPLITV2", after="UPDATECONTACTDATAV2-1"),
    )
    open_editor(page, live_server, draft)
    collisions = page.evaluate(LABEL_COLLISIONS)
    assert collisions == [], "\n".join(collisions)


EDGE_LABEL_CLEARANCE = """() => {
  const overlap = (a, b) => a.x < b.x + b.width && b.x < a.x + a.width
    && a.y < b.y + b.height && b.y < a.y + a.height;
  const cards = [...document.querySelectorAll("#canvas rect.card, #canvas rect.end")];
  const found = [];
  for (const label of document.querySelectorAll("#canvas text.edge-label")) {
    const box = label.getBBox();
    const card = cards.find((c) => overlap(box, c.getBBox()));
    if (card) {
      const at = card.getBBox();
      found.push(`path label "${label.textContent}" (x ${box.x} to ${box.x + box.width}) `
        + `runs into the card at x ${at.x}, y ${at.y}`);
    }
  }
  return found;
}"""


def test_branch_labels_of_a_real_journey_get_room_to_be_read(
    signed_in, live_server, editor, connection, real_fixtures_dir, artifacts
):
    page = signed_in
    page.set_viewport_size({"width": 3900, "height": 1100})  # the whole journey at 100 %
    document = json.loads(
        (real_fixtures_dir / "07-greenpeace-sfobject-trigger-sms-salescloud.json").read_text()
    )
    split = next(a for a in document["activities"] if a["key"] == "MULTICRITERIADECISIONV2-2")
    split["outcomes"][0]["metaData"]["label"] = "Path 1"  # no name of its own: its condition
    canvas = open_editor(page, live_server, upload(editor, connection, document))
    assert canvas.scale() == 1
    page.screenshot(path=artifacts / "canvas-branch-labels.png")
    at = canvas.node("MULTICRITERIADECISIONV2-2").bounding_box()
    detail = {"x": at["x"] - 10, "y": at["y"] - 200, "width": 760, "height": 400}
    page.screenshot(path=artifacts / "canvas-branch-labels-detail.png", clip=detail)

    labels = page.locator("#canvas text.edge-label")
    named = labels.filter(has_text="STILL HAVE OPEN")
    expect(named).to_have_text(re.compile(r"^STILL HAVE OPEN mutiple RD CASE"))
    expect(named.locator("title")).to_contain_text("Sub_Category__c (Case) equals")
    by_condition = labels.filter(has_text=re.compile(r"^MobilePhone is empty or MobilePhone"))
    expect(by_condition).to_have_count(1)
    expect(by_condition.locator("title")).to_have_text(
        re.compile(r"^MobilePhone \(Contact\) is empty or MobilePhone \(Contact\) does not")
    )
    for text in labels.all_text_contents():
        assert not text.startswith("("), text
    assert page.evaluate(EDGE_LABEL_CLEARANCE) == []
    assert page.evaluate(LABEL_COLLISIONS) == []


LONG_NAME = "Welcome to the spring collection for our most loyal customers in Europe"
# The canvas cards on which the browser's find (Ctrl+F) finds `name`, from the top of the page.
FOUND_ON = """name => {
  window.getSelection().removeAllRanges();
  const keys = [];
  for (let i = 0; i < 50 && window.find(name, false, false, false); i++) {
    const node = window.getSelection().anchorNode.parentElement.closest("a.node");
    if (node) keys.push(node.dataset.key);
  }
  window.getSelection().removeAllRanges();
  return keys;
}"""


TAKE_WHOLE_NAMES = """() => {
  window.wholeNames = [...document.querySelectorAll(".node-name-whole")]
    .map((e) => [e, e.parentNode, e.nextSibling]);
  window.wholeNames.forEach(([e]) => e.remove());
}"""
PUT_BACK_WHOLE_NAMES = """() => {
  window.wholeNames.forEach(([e, parent, next]) => parent.insertBefore(e, next));
}"""


def test_browser_find_finds_a_cut_name_whole_and_the_card_looks_the_same(
    signed_in, live_server, editor, connection, artifacts
):
    page = signed_in
    draft = build(editor, create_new_journey(editor, connection, "Find"), insert("EMAILV2"))
    document = copy.deepcopy(draft.document)
    document["activities"][0]["name"] = LONG_NAME
    save_revision(editor, draft, document, expected_revision=draft.revision_number, summary="n")
    canvas = open_editor(page, live_server, draft)
    card = canvas.node("EMAILV2-1")
    shown = card.locator("text.node-label").text_content()
    assert shown.endswith("…") and len(shown) < len(LONG_NAME)  # the card cuts it

    # Both looks taken before any find, which scrolls the page to what it finds.
    page.evaluate("document.fonts.ready")
    page.wait_for_function("() => document.getElementById('stage').getAnimations().length === 0")
    with_whole = card.screenshot(path=str(artifacts / "find-card-with-whole-name.png"))
    page.evaluate(TAKE_WHOLE_NAMES)
    without = card.screenshot(path=str(artifacts / "find-card-without-whole-name.png"))
    assert with_whole == without  # the whole name is not seen
    assert page.evaluate(FOUND_ON, LONG_NAME) == []  # and without it find misses the card

    page.evaluate(PUT_BACK_WHOLE_NAMES)
    assert page.evaluate(FOUND_ON, LONG_NAME) == ["EMAILV2-1"]
    assert page.evaluate(FOUND_ON, "loyal customers in Europe") == ["EMAILV2-1"]
    page.evaluate("name => window.find(name)", LONG_NAME)  # to look at: the card found
    card.screenshot(path=str(artifacts / "find-card-found.png"))
