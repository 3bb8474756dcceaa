"""What every side-panel form shares: finding its target, reading and writing bound fields, the
one-line summary, and the last check that an edit leaves the journey no more broken than it was.

A form lists its simple fields in `paths` (form field name → path inside the edited item). Only
the fields in `changed_data` are written, each through `graph.set_field`, so what the panel does
not show, and what the user left alone, stays byte for byte as SFMC served it.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, cast

from django import forms
from django.forms.boundfield import BoundField

from journeys.domain.graph import EditError, set_criteria, set_field
from journeys.domain.journey_filters import CONFIG
from journeys.domain.validate import ERROR, Problem, validate
from journeys.panel_forms.fields import fit_to_current, whole_number

Document = dict[str, Any]
ItemPath = tuple[str | int, ...]
FieldPath = tuple[str, ...]
SHORT_VALUE = 60  # longer stored values are not quoted in a refusal's note
_LISTS = {"activity": "activities", "trigger": "triggers", "goal": "goals", "exit": "exits"}


@dataclass(frozen=True)
class Together:
    """Fields the panel saves as one edit (a split's shares, a wait's number and unit): they are
    not auto-saved one by one, so no refused in-between state (60/40 → 70/40 → 70/30) is ever
    posted. They are saved once they add up to `total` (when given), when the focus leaves them,
    or on Save."""

    hint: str
    total: int | None = None


@dataclass(frozen=True)
class Fieldset:
    """A group of fields as the template draws it; `note` is what a refusal left unsaved."""

    legend: str
    rows: list[tuple[BoundField, str]]
    together: Together | None

    @property
    def fields(self) -> list[BoundField]:
        return [bound for bound, _ in self.rows]


@dataclass(frozen=True)
class Target:
    """What a panel edits: an activity by key, the entry source, goal or exit criteria (by key,
    or None for the first one) or the journey settings."""

    kind: Literal["activity", "trigger", "goal", "exit", "settings"]
    key: str | None = None


def locate(document: Document, target: Target) -> ItemPath:
    """The path of the target inside the document; LookupError when it is not there."""
    if target.kind == "settings":
        return ()
    field = _LISTS[target.kind]
    items = document.get(field)
    for index, item in enumerate(items if isinstance(items, list) else []):
        if not isinstance(item, dict):
            continue
        if item.get("key") == target.key or (target.key is None and target.kind != "activity"):
            return (field, index)
    raise LookupError(f"This journey has no {target.kind} {target.key or ''}".strip() + ".")


def value_at(node: Any, path: tuple[str | int, ...]) -> Any:
    """The value at `path`, or None where the path runs out."""
    for part in path:
        if isinstance(node, dict) and isinstance(part, str):
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            return None
    return node


def stored(new: Any, old: Any) -> Any:
    """A number is written as text where the document already kept it as text ("3")."""
    if isinstance(new, int) and not isinstance(new, bool) and isinstance(old, str):
        return str(new)
    return new


def initial_for(field: forms.Field, value: Any) -> Any:
    """The document value as the field shows it (and cleans it back when left alone)."""
    if isinstance(field, forms.BooleanField):
        return value is True
    if isinstance(field, forms.IntegerField):
        return whole_number(value)
    if isinstance(field, forms.CharField) and not isinstance(field, forms.JSONField):
        return "" if value is None else str(value)
    return value


class PanelForm(forms.Form):
    """A side-panel form over one part of a journey document.

    Subclasses declare fields, map the simple ones in `paths`, and extend `edit` for the rest.
    """

    title: str = ""
    title_hint: str = ""  # the key behind the title's name, shown on hover
    explanation: str = ""  # what the edited thing is, in plain words, above the fields
    summary_prefix: ClassVar[str] = ""
    paths: ClassVar[dict[str, FieldPath]] = {}

    def __init__(
        self, document: Document, target: Target, data: Mapping[str, Any] | None = None
    ) -> None:
        super().__init__(data=data)
        self.document = document
        self.target = target
        self.item_path = self.locate(document)
        self.item: dict[str, Any] = (
            {} if self.item_path is None else value_at(document, self.item_path)
        )
        for name, path in self.paths.items():
            self.set_initial(name, value_at(self.item, path))
        self.groups: list[tuple[str, list[str]]] = [("", list(self.fields))]
        self.together: dict[str, Together] = {}  # legend of a group → how its fields save

    def use_catalog(self, catalog: Any) -> None:
        """Offer SFMC's catalog (panel_forms.catalog_pickers.PanelCatalog) in the fields: here the
        condition builders' attributes; forms with ids to pick add their pickers."""
        builders: list[Any] = [f for f in self.fields.values() if hasattr(f, "attributes")]
        if builders:
            extra = catalog.attributes(self.document)
            for field in builders:  # the journey's own attributes first, then the catalog's
                new = {key: label for key, label in extra.items() if key not in field.attributes}
                field.attributes = {**field.attributes, **new}

    def locate(self, document: Document) -> ItemPath | None:
        """Where the edited item is; None only for a goal or exit the form will create."""
        return locate(document, self.target)

    def reshapes_panel(self) -> bool:
        """Whether the valid edit changes which fields the panel shows (so it is redrawn)."""
        return False

    def set_initial(self, name: str, value: Any) -> None:
        """Give a field (often one added in __init__) its initial value from the document."""
        self.initial[name] = initial_for(self.fields[name], value)
        fit_to_current(self.fields[name], self.initial[name])
        prepare = getattr(self.fields[name], "prepare_for", None)
        if prepare is not None:  # a field that needs the journey (the condition builder)
            prepare(self.document, self.initial[name], name)

    @property
    def fieldsets(self) -> list[Fieldset]:
        """The fields in groups for the template ("" = no legend), each field with its note."""
        return [
            Fieldset(
                legend,
                [(self[name], self.unsaved_note(name)) for name in names],
                self.together.get(legend) if legend else None,
            )
            for legend, names in self.groups
        ]

    def unsaved_note(self, name: str) -> str:
        """After a refusal, what the journey still has where the user typed something else: the
        field keeps what was typed (nothing is lost) and says what is stored."""
        if not self.is_bound or not self.errors or name not in self.changed_data:
            return ""
        return f"Not saved: the journey still has {self.shown_value(name)}."

    def shown_value(self, name: str) -> str:
        """A field's stored (initial) value as people read it."""
        field, value = self.fields[name], self.initial.get(name)
        if value in (None, "", []):
            return "nothing here"
        if isinstance(field, forms.BooleanField):
            return "yes" if value else "no"
        if isinstance(field, forms.ChoiceField):
            return f"“{choice_label(field, value)}”"
        text = str(value)
        if len(text) > SHORT_VALUE or "\n" in text:  # a condition or JSON: not quoted whole
            return "its earlier value"
        return f"“{text}”"

    # --- checking ------------------------------------------------------------------------

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        self._forgive_untouched_fields()
        self._refuse_emptied_numbers()
        self.check_together()
        if not self.errors:
            self._refuse_new_errors()
        return cleaned or {}

    def check_together(self) -> None:
        """Cross-field checks, with add_error; a field that failed is not in cleaned_data."""

    def _forgive_untouched_fields(self) -> None:
        # What the user left alone is never written back, so an odd value SFMC saved there
        # (a 0-minute wait, "9:00") must not block saving another field.
        for name in [name for name in self.errors if name in self.fields]:
            if name not in self.changed_data:
                del self.errors[name]
                self.cleaned_data[name] = self.initial.get(name)

    def _refuse_emptied_numbers(self) -> None:
        # SFMC types these as numbers or fixed choices: "" or null would break the journey.
        for name in self.changed_data:
            field = self.fields[name]
            numeric = isinstance(field, forms.IntegerField | forms.TypedChoiceField)
            emptied = name in self.cleaned_data and self.cleaned_data[name] in (None, "")
            if numeric and emptied and self.initial.get(name) not in (None, ""):
                self.add_error(name, "This needs a value once it has one; enter one.")

    def _refuse_new_errors(self) -> None:
        try:
            after = self.edit(self.document)
        except EditError as error:
            self.add_error(None, error.message)
            return
        self._edited = (self.document, after)  # apply() to the same document reuses it
        before = {_signature(p) for p in validate(self.document) if p.severity == ERROR}
        for problem in validate(after):
            if problem.severity == ERROR and _signature(problem) not in before:
                self.add_error(None, problem.message)

    # --- applying ------------------------------------------------------------------------

    def apply(self, document: Document) -> tuple[Document, str]:
        """Return the NEW document (the input is never changed) and a one-line summary.

        Only call after is_valid(). Fields the form does not show are never touched.
        """
        if not self.is_valid():
            raise ValueError("Only a valid panel form can be applied; check is_valid() first.")
        edited = getattr(self, "_edited", None)
        new = edited[1] if edited and edited[0] is document else self.edit(document)
        return (copy.deepcopy(document) if new is document else new), self.summary()

    def edit(self, document: Document) -> Document:
        """The document with the changed fields written; may return the input if none changed."""
        item_path = self.locate(document)
        if item_path is None:
            return document
        return self.write_paths(document, item_path)

    def write_paths(self, document: Document, item_path: ItemPath) -> Document:
        """Write the changed fields listed in `paths` below `item_path`."""
        item = value_at(document, item_path) if item_path else document
        for name in self.changed_data:
            if name in self.paths:
                path = self.paths[name]
                value = stored(self.cleaned_data[name], value_at(item, path))
                if path == (CONFIG, "criteria") and isinstance(value, str):
                    document = set_criteria(document, (*item_path, *path), value)
                else:
                    document = set_field(document, (*item_path, *path), value)
        return document

    # --- summary -------------------------------------------------------------------------

    def summary(self) -> str:
        """One line in plain language saying what the form changed."""
        phrases = [_lower_first(phrase) for phrase in self.describe_changes()]
        if not phrases:
            return "No changes"
        text = "; ".join(phrases)
        return self.summary_prefix + text if self.summary_prefix else _upper_first(text)

    def describe_changes(self) -> list[str]:
        """A phrase per change; subclasses merge or reword phrases here."""
        return [self.phrase(name) for name in self.changed_data]

    def phrase(self, name: str) -> str:
        """The default phrase for one changed field, by the kind of field."""
        field = self.fields[name]
        label = str(field.label)
        new = self.cleaned_data.get(name)
        old = self.initial.get(name)
        if isinstance(field, forms.BooleanField):
            return f"{label} → {'yes' if new else 'no'}"
        if isinstance(field, forms.ChoiceField):
            return f"{label} → {choice_label(field, new)}"
        if isinstance(field, forms.IntegerField) and old is not None and new is not None:
            return f"{label} {old} → {new}"
        describe = getattr(field, "describe", None)
        if describe is not None:  # a condition: what it says now, in plain words
            return f"{label} → {describe(new)}"
        return f"{label} changed"


def choice_label(field: forms.ChoiceField, value: Any) -> str:
    """The human label of a choice value."""
    labels = {str(key): str(label) for key, label in cast(Iterable[tuple[Any, Any]], field.choices)}
    return labels.get(str(value), str(value))


def _signature(problem: Problem) -> tuple[str, str, str]:
    return problem.code, problem.path, problem.message


def _lower_first(text: str) -> str:
    # Keep acronyms ("SMS", "URL") as they are.
    if len(text) > 1 and text[0].isupper() and text[1].islower():
        return text[0].lower() + text[1:]
    return text


def _upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]
