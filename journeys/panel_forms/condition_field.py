"""The condition builder as a form field: it shows a filter as groups and conditions, and cleans
to the filter XML SFMC stores.

    criteria = ConditionField(label="Condition", required=False)

Its value is the XML, as with FilterXmlField, so the forms that use it write it unchanged. What
the builder posts is read by `resolve`: an edit in the expert XML box wins; else the posted tree
becomes XML through `filter_from_tree`, so the parts nobody touched keep their exact text. A
tree that is not finished yet (a condition without attribute or value, an empty group) is not
a change: the stored filter stays, and the builder says what is missing. A page that posts a
tree it cannot read gets a clear error and keeps what was typed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.forms.boundfield import BoundField
from django.http import QueryDict

from journeys.domain.conditions import attribute_label, explain_filter, parse_filter
from journeys.domain.journey_filters import journey_attributes
from journeys.panel_forms.condition_builder import (
    BuilderError,
    Outcome,
    apply_action,
    make_filter,
    posted_tree,
    preview,
    text_of,
    tree_of,
)
from journeys.panel_forms.condition_view import Context, NodeView, node_view
from journeys.panel_forms.fields import FilterXmlField

ACTION = "-action"  # the name suffix of the builder buttons


def _lf(text: Any) -> str:
    return str(text or "").replace("\r\n", "\n")


@dataclass
class Resolution:
    """What a post of the builder means: the XML to store (None = no change yet), and the
    builder as it is to be shown again."""

    text: str | None
    tree: dict[str, Any]
    base: str
    shown: str
    outcome: Outcome | None
    error: str | None = None
    xml_won: bool = False
    focus: tuple[tuple[int, ...], str] | None = None


def resolve(data: Mapping[str, Any], name: str, attributes: Mapping[str, str]) -> Resolution:
    """Read the builder's post for field `name` (see the module docstring)."""
    xml = _lf(data.get(name))
    if f"{name}-tree" not in data:  # only the XML was posted (no builder on that page)
        parsed = parse_filter(xml)
        return Resolution(xml, tree_of(parsed), xml, xml, None, xml_won=True)
    shown, base = _lf(data.get(f"{name}-shown")), _lf(data.get(f"{name}-base"))
    if xml != shown:
        return Resolution(xml, tree_of(parse_filter(xml)), xml, xml, None, xml_won=True)
    try:
        tree = posted_tree(data, name, attributes)
        focus = None
        action = data.get(name + ACTION)
        if action:
            tree, path, control = apply_action(tree, str(action))
            focus = (path, control)
    except BuilderError as error:
        message = f"The condition builder sent something it cannot read ({error}); nothing was "
        message += "changed. Reload the panel, or edit the XML below."
        return Resolution(None, tree_of(parse_filter(shown)), base, shown, None, message)
    outcome = make_filter(tree, parse_filter(base))
    text = text_of(outcome, shown) if outcome.ready else None
    return Resolution(text, tree, base, text_of(outcome, shown), outcome, focus=focus)


def without_buttons(data: QueryDict, keep: str | None = None) -> QueryDict:
    """`data` without the builder buttons' actions, but `keep`'s. htmx sends the value of the
    panel's focused button with every request of the form (a change saved just as the focus
    lands on "Remove" must not remove anything), so only a button's own request counts."""
    cleaned = data.copy()
    for name in [name for name in cleaned if name.endswith(ACTION) and name != keep]:
        del cleaned[name]
    return cleaned


class ConditionWidget(forms.Textarea):
    """The expert XML box; what the builder posts around it comes along (see `resolve`)."""

    def __init__(self) -> None:
        super().__init__(attrs={"rows": 6, "spellcheck": "false"})

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        return data if f"{name}-tree" in data else super().value_from_datadict(data, files, name)


class ConditionField(FilterXmlField):
    """A filter edited in the condition builder; cleans to the XML to store."""

    widget = ConditionWidget()

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.stored = ""
        self.attributes: dict[str, str] = {}
        self.name = ""

    def prepare_for(self, document: Any, stored: Any, name: str) -> None:
        """Called by the panel form: the journey (for its attributes) and the stored filter."""
        self.stored = _lf(stored)
        self.attributes = journey_attributes(document)
        self.name = name

    def describe(self, text: str) -> str:
        """The filter in plain words, for the revision's one-line summary."""
        words = explain_filter(parse_filter(text))
        return words if len(words) <= 200 else words[:199] + "…"

    def get_bound_field(self, form: forms.BaseForm, field_name: str) -> BoundField:
        return ConditionBoundField(form, self, field_name)

    def to_python(self, value: Any) -> str:
        if isinstance(value, Mapping):
            resolution = resolve(value, self.name, self.attributes)
            if resolution.error:
                raise ValidationError(resolution.error, code="builder")
            return self.stored if resolution.text is None else resolution.text
        return super().to_python(value)

    def has_changed(self, initial: Any, data: Any) -> bool:
        try:
            return not self.disabled and self.to_python(data) != _lf(initial)
        except ValidationError:
            return True

    def validate(self, value: Any) -> None:
        forms.CharField.validate(self, value)
        parsed = parse_filter(value)
        if value.strip() and parsed.error is not None:
            raise ValidationError(parsed.error[:1].upper() + parsed.error[1:] + ".", code="xml")


@dataclass
class Builder:
    """Everything the builder template needs."""

    name: str
    label: str
    help_text: str
    root: NodeView
    tree_json: str
    base: str
    shown: str
    preview: str
    pending: list[str]  # what keeps the conditions from being saved, "Condition 2.1: …"
    warnings: list[str]
    error: str | None
    xml_open: bool
    attributes: list[tuple[str, str]]  # (name people read, key)
    waiting: bool  # posted, with something to finish before it can be saved
    unsaved_change: bool  # finished, and not what is stored

    @property
    def id(self) -> str:
        return f"cb-{self.name}"


class ConditionBoundField(BoundField):
    field: ConditionField

    @cached_property
    def builder(self) -> Builder:
        """The builder as it is to be shown: from the post when bound, else from the document."""
        name, field = self.html_name, self.field
        if self.form.is_bound and f"{name}-tree" in self.form.data:
            state = resolve(self.form.data, name, field.attributes)
        else:
            text = _lf(self.value()) if self.form.is_bound else field.stored
            parsed = parse_filter(text)
            tree = tree_of(parsed)
            state = Resolution(text, tree, text, text, make_filter(tree, parsed))
        outcome = state.outcome or make_filter(state.tree, parse_filter(state.base))
        context = Context(name, field.attributes, state.focus)
        pending = _located(state.tree, outcome.pending)
        error = state.error or outcome.error or _unreadable(state)
        return Builder(
            name=name,
            label=str(field.label),
            help_text=str(field.help_text or ""),
            root=node_view(state.tree, (), context),
            tree_json=json.dumps(state.tree, ensure_ascii=False),
            base=state.base,
            shown=state.shown,
            preview=preview(outcome, attribute_label),
            pending=pending,
            warnings=_located(state.tree, outcome.warnings),
            error=error,
            xml_open=bool(error or self.errors or (state.xml_won and self.form.is_bound)),
            attributes=[(label, key) for key, label in field.attributes.items()],
            waiting=bool(pending) and self.form.is_bound,
            unsaved_change=state.text is not None and state.text != field.stored,
        )


def _located(tree: dict[str, Any], messages: dict[tuple[int, ...], list[str]]) -> list[str]:
    return [f"{_where(tree, path)}{text}" for path, texts in messages.items() for text in texts]


def _where(tree: dict[str, Any], path: tuple[int, ...]) -> str:
    """ "Condition 2.1: ", "Group 2: " or "" for the whole filter."""
    node: Any = tree
    for index in path:
        items = node.get("items") if isinstance(node, dict) else None
        node = items[index] if isinstance(items, list) and index < len(items) else {}
    noun = "Group" if isinstance(node, dict) and node.get("type") == "group" else "Condition"
    return f"{noun} {'.'.join(str(i + 1) for i in path)}: " if path else ""


def _unreadable(state: Resolution) -> str | None:
    parsed = parse_filter(state.shown)
    if parsed.error is None:
        return None
    return f"This filter cannot be shown as conditions ({parsed.error}); it is kept as it is."
