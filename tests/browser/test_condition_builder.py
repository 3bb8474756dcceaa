"""The condition builder in real headless Chromium: a decision path's condition built with the
keyboard alone (two groups, AND inside OR), saved as it is built, and read back on the canvas
in plain words."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from journeys.domain.conditions import ConditionGroup, parse_filter
from journeys.services.drafts import create_new_journey
from tests.browser.test_canvas import Editor, activities, browser_errors, build, insert
from tests.factories import ConnectionFactory

__all__ = ["browser_errors"]  # a fixture of test_canvas, used here

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SPLIT = "MULTICRITERIADECISIONV2-1"
FIELD = "path_1_criteria"
ENTRY = "Event.DEAudience-7f3c.{}"


class Builder:
    """The condition builder of one field in the side panel, driven by the keyboard."""

    def __init__(self, page: Page, canvas: Editor, field: str) -> None:
        self.page = page
        self.canvas = canvas
        self.field = field

    def focused(self) -> str:
        return self.page.evaluate("() => document.activeElement.id")

    def focused_button(self) -> str:
        return self.page.evaluate("() => document.activeElement.value || ''")

    def redraw_with(self, key: str) -> None:
        """Press a key that makes the builder re-draw itself; wait until it has."""
        with self.page.expect_response(lambda r: "/conditions/" in r.url):
            self.page.keyboard.press(key)
        expect(self.page.locator("#panel .htmx-request")).to_have_count(0)
        expect(self.page.locator("#panel .htmx-settling")).to_have_count(0)
        # The re-drawn builder puts the focus back after it settles: wait for that, not luck.
        self.page.wait_for_function("() => !!document.activeElement.closest('#panel')")

    def tab_to_button(self, value: str, limit: int = 30) -> None:
        """Tab (only) until the focus is on the builder button that posts `value`."""
        for _ in range(limit):
            if self.focused_button() == value:
                return
            self.page.keyboard.press("Tab")
        raise AssertionError(f"no builder button {value!r} within {limit} presses of Tab")

    def choose(self, option: str, limit: int = 15) -> None:
        """On a focused select, press the down arrow until `option` is chosen (each press
        re-draws the builder, which keeps the focus on the select)."""
        select = self.page.locator(f"#{self.focused()}")
        for _ in range(limit):
            if select.input_value() == option:
                return
            self.redraw_with("ArrowDown")
            select = self.page.locator(f"#{self.focused()}")
        raise AssertionError(f"{option!r} is not offered")

    def type_and_leave(self, text: str, *, saves: bool = False) -> None:
        """Type into the focused input and Tab out, as a user does; `saves`: wait for the
        auto-save of the finished conditions."""
        self.page.keyboard.type(text)
        before = self.canvas.revision
        self.page.keyboard.press("Tab")
        if saves:
            self.canvas.wait_for_revision_after(before)

    def preview(self):
        return self.page.locator(f"#cb-{self.field}-live .cb-preview-text")


@pytest.fixture
def split_draft(editor):
    draft = create_new_journey(editor, ConnectionFactory(), "Tiers")
    return build(
        editor,
        draft,
        insert("WAITBYDURATION"),
        insert("MULTICRITERIADECISIONV2", after="WAITBYDURATION-1"),
    )


def test_a_two_group_condition_is_built_by_keyboard_and_labels_its_branch(
    page, login, live_server, editor, split_draft, browser_errors, artifacts
):
    login(page, editor.username)
    canvas = Editor(page, live_server.url, split_draft.pk).open()
    # Open the split's panel from the keyboard: focus its card, press Enter.
    canvas.node(SPLIT).focus()
    page.keyboard.press("Enter")
    expect(page.locator("#panel h2")).to_have_attribute("title", SPLIT)
    builder = Builder(page, canvas, FIELD)
    expect(page.locator(f"#cb-{FIELD}")).to_be_visible()

    # Into the builder from the path's name: its first control is how the groups are joined.
    page.locator("#id_path_1_label").focus()
    page.keyboard.press("Tab")
    assert builder.focused() == f"id_{FIELD}-n-join"
    builder.choose("OR")

    # Group 1: Tier equals Gold and Points is at least 500.
    builder.tab_to_button("add-group n")
    builder.redraw_with("Enter")
    assert builder.focused() == f"id_{FIELD}-n0_0-key"  # the new condition's attribute
    builder.type_and_leave(ENTRY.format("Tier"))
    assert builder.focused() == f"id_{FIELD}-n0_0-as"
    page.keyboard.press("Tab")
    assert builder.focused() == f"id_{FIELD}-n0_0-op"
    page.keyboard.press("Tab")
    assert builder.focused() == f"id_{FIELD}-n0_0-value"
    builder.type_and_leave("Gold", saves=True)
    builder.tab_to_button("add-condition n0")
    builder.redraw_with("Enter")
    assert builder.focused() == f"id_{FIELD}-n0_1-key"
    builder.type_and_leave(ENTRY.format("Points"))
    builder.choose("number")  # compare as a number: the operators change with it
    page.keyboard.press("Tab")
    builder.choose("GreaterThanOrEqual")
    page.keyboard.press("Tab")
    assert builder.focused() == f"id_{FIELD}-n0_1-value"
    assert page.locator(f"#id_{FIELD}-n0_1-value").get_attribute("type") == "number"
    builder.type_and_leave("500", saves=True)

    # Group 2: Tier equals Platinum.
    builder.tab_to_button("add-group n")
    builder.redraw_with("Enter")
    assert builder.focused() == f"id_{FIELD}-n1_0-key"
    builder.type_and_leave("Tier (entry data)")  # the name the attribute list offers
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    builder.type_and_leave("Platinum", saves=True)

    words = (
        "(Tier (entry data) equals Gold and Points (entry data) is at least 500)"
        " or Tier (entry data) equals Platinum"
    )
    expect(builder.preview()).to_have_text(words)
    page.locator(f"#cb-{FIELD}").scroll_into_view_if_needed()
    page.screenshot(path=artifacts / "condition-builder-panel.png")

    stored = activities(split_draft)[SPLIT]["configurationArguments"]["criteria"]["default_path_1"]
    root = parse_filter(stored).groups[0]
    assert isinstance(root, ConditionGroup) and root.operator == "OR"
    groups = [item for item in root.items if isinstance(item, ConditionGroup)]
    assert [(g.operator, [(c.key, c.operator, c.value) for c in g.items]) for g in groups] == [
        (
            "AND",
            [
                (ENTRY.format("Tier"), "Equal", "Gold"),
                (ENTRY.format("Points"), "GreaterThanOrEqual", "500"),
            ],
        ),
        ("AND", [(ENTRY.format("Tier"), "Equal", "Platinum")]),
    ]

    # The canvas names the branch by its condition (it has no name of its own), said short
    # with room to be read, the whole condition on hover; after a reload too.
    canvas.reload()
    label = page.locator("#canvas text.edge-label", has_text=re.compile(r"^Tier equals Gold"))
    expect(label).to_be_visible()
    expect(label.locator("title")).to_have_text(words)
    shown = label.evaluate("e => e.firstChild.textContent")
    assert shown.startswith("Tier equals Gold and Points is at least 500, or")  # then cut: "…"
    page.screenshot(path=artifacts / "condition-builder-canvas.png")
