"""The merge screen's form: per conflict, keep mine, take SFMC's, or type a value of my own.

One field group per conflict: `choice-<n>` (ours, theirs or custom) and `custom-<n>`, the value
typed in the widget the side panel uses for that field (text, a number, a wait's number and
unit, a choice, the condition builder for conditions), JSON only for whole objects without a
plain form. Fields decided together (a "changed-together" conflict) get one widget for all of
them: a wait's number and unit, or one percentage per path of a random split.
The side panel's own field is reused where it edits exactly the conflict's path, so its checks
(a whole number, a time as HH:MM...) apply here too. Errors are said as the screen numbers its
conflicts: "Conflict 2: Enter a whole number."
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.forms.boundfield import BoundField, BoundWidget
from django.utils.html import format_html_join
from django.utils.safestring import SafeString

from journeys.domain.diff import KEYED_LISTS
from journeys.domain.document import TOO_DEEP, DocumentError, check_storable
from journeys.domain.merge import Choice, Custom, Take
from journeys.domain.merge_words import (
    CONFIG,
    WAIT_DURATION,
    WAIT_UNIT,
    Documents,
    find_item,
    item_words,
    outcome_words,
)
from journeys.models import MergeSession
from journeys.panel_forms import Target, panel_form_for
from journeys.panel_forms.activities import WAIT_UNITS
from journeys.panel_forms.base import initial_for, stored
from journeys.panel_forms.condition_field import ConditionBoundField, ConditionField
from journeys.panel_forms.fields import ExactTextField, JsonTextField

SIDES = [("ours", "Keep mine"), ("theirs", "Take SFMC's"), ("custom", "Use this value instead")]
_TARGETS = {"activities": "activity", "triggers": "trigger", "goals": "goal", "exits": "exit"}
# A wait's units in minutes, to say a duration typed in another unit in the wait's own unit.
_MINUTES = {"MINUTES": 1, "HOURS": 60, "DAYS": 1440, "WEEKS": 10080}


def documents_of(session: MergeSession) -> Documents:
    """The merge's three documents and its provisional result."""
    return Documents(
        base=session.base_snapshot.document if session.base_snapshot else {},
        ours=session.ours_revision.document,
        theirs=session.theirs_snapshot.document,
        merged=session.merged_document,
    )


def merge_choices_form(
    session: MergeSession, data: Mapping[str, Any] | None = None, *, redraw: bool = False
) -> MergeForm:
    """The form of `session`, bound to `data` when posted, else showing its stored choices.
    `redraw`: the post only re-draws the screen (a condition builder's button), so nothing it
    holds is an error yet."""
    return MergeForm(
        session.conflicts,
        documents_of(session),
        stored=session.choices,
        data=data,
        disabled=session.state != MergeSession.State.OPEN,
        redraw=redraw,
    )


class DurationWidget(forms.MultiWidget):
    """A wait's length as the side panel takes it: a number and a unit."""

    def __init__(self) -> None:
        super().__init__([forms.NumberInput(attrs={"step": 1}), forms.Select(choices=WAIT_UNITS)])

    def decompress(self, value: Any) -> list[Any]:
        return list(value) if isinstance(value, list | tuple) else [value, None]


class DurationField(forms.MultiValueField):
    """A whole number of units; cleans to the number in `unit`, the unit the wait keeps."""

    widget = DurationWidget

    def __init__(self, unit: str, **kwargs: Any) -> None:
        self.unit = unit
        fields = (
            forms.IntegerField(
                error_messages={"invalid": "Enter a whole number.", "required": "Enter a number."}
            ),
            forms.ChoiceField(choices=WAIT_UNITS),
        )
        super().__init__(fields, required=False, **kwargs)

    def compress(self, data_list: Any) -> int | None:
        if not data_list:
            return None
        amount, unit = data_list
        if amount is None:
            return None
        if unit == self.unit or unit not in _MINUTES or self.unit not in _MINUTES:
            if unit != self.unit:
                raise ValidationError(f"This wait counts in {self.unit.lower()}; enter it so.")
            return int(amount)
        minutes = int(amount) * _MINUTES[unit]
        if minutes % _MINUTES[self.unit]:
            raise ValidationError(
                f"This wait counts in whole {self.unit.lower()}: {amount} {unit.lower()} is not."
            )
        return minutes // _MINUTES[self.unit]


class WaitLengthWidget(DurationWidget):
    def decompress(self, value: Any) -> list[Any]:
        if isinstance(value, dict):
            return [value.get("waitDuration"), value.get("waitUnit")]
        return super().decompress(value)


class WaitLengthField(DurationField):
    """A wait's number and unit decided together: cleans to {"waitDuration", "waitUnit"}."""

    widget = WaitLengthWidget

    def compress(self, data_list: Any) -> dict[str, Any] | None:  # type: ignore[override]
        if not data_list or data_list[0] is None:
            return None
        amount, unit = data_list
        return {"waitDuration": int(amount), "waitUnit": unit}


class SharesWidget(forms.MultiWidget):
    """One number per path of a random split, each labelled by its path's name."""

    def __init__(self, names: list[tuple[str, str]]) -> None:
        self.keys = [key for key, _ in names]
        self.labels = [name for _, name in names]
        widgets = [forms.NumberInput(attrs={"step": 1, "min": 0, "max": 100}) for _ in names]
        super().__init__(widgets)

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        """Each path's number inside a label with the path's name ("Path 1 [70] %")."""
        context = self.get_context(name, value, attrs)["widget"]["subwidgets"]
        return format_html_join(
            "",
            '<label class="share">{} {} %</label>',
            (
                (label, widget.render(sub["name"], sub["value"], sub["attrs"], renderer))
                for label, widget, sub in zip(self.labels, self.widgets, context, strict=True)
            ),
        )

    def decompress(self, value: Any) -> list[Any]:
        if isinstance(value, dict):
            return [value.get(key) for key in self.keys]
        return [None] * len(self.keys)


class SharesField(forms.MultiValueField):
    """A random split's percentages decided together: cleans to {outcome key: percentage}."""

    def __init__(self, names: list[tuple[str, str]], **kwargs: Any) -> None:
        self.keys = [key for key, _ in names]
        fields = tuple(
            forms.IntegerField(
                min_value=0,
                max_value=100,
                error_messages={
                    "invalid": "Enter whole percentages.",
                    "required": "Enter every percentage.",
                },
            )
            for _ in names
        )
        super().__init__(fields, required=False, widget=SharesWidget(names), **kwargs)

    def compress(self, data_list: Any) -> dict[str, int] | None:
        if not data_list:
            return None
        if None in data_list:
            raise ValidationError("Enter a percentage for every path.")
        total = sum(data_list)
        if total != 100:
            raise ValidationError(f"The percentages add up to {total}; they must add up to 100.")
        return dict(zip(self.keys, data_list, strict=True))


@dataclass(frozen=True)
class CustomInput:
    """How a conflict's own value is typed: the field, and what it shows for a value."""

    field: forms.Field
    kind: str  # "text", "number", "duration", "choice", "yes/no", "conditions", "json"
    panel_label: str = ""  # the side panel's name for the field, when it is the panel's field

    def initial(self, value: Any) -> Any:
        if self.kind == "json" or isinstance(self.field, JsonTextField):
            return value
        if self.kind == "duration" and not isinstance(value, dict):
            return [value, getattr(self.field, "unit", None)]
        if self.kind in ("duration", "percentages"):
            return value
        return initial_for(self.field, value)


def custom_input(conflict: dict[str, Any], documents: Documents) -> CustomInput:
    """The widget for the conflict's own value, by the field's kind (see the module docstring)."""
    path = tuple(conflict["path"])
    values = [conflict[n]["value"] for n in ("ours", "theirs", "base") if conflict[n]["present"]]
    rest = path[2:] if path[0] in KEYED_LISTS else ()
    if conflict["kind"] == "changed-together":
        return _together_input(conflict, documents)
    if path[0] == "activities" and rest == WAIT_DURATION:
        item = documents.item("activities", path[1], side="merged") or {}
        unit = str((item.get(CONFIG) or {}).get("waitUnit") or "DAYS").upper()
        return CustomInput(DurationField(unit, label="Wait for"), "duration")
    if path[0] == "activities" and rest[:1] == ("outcomes",) and rest[2:] == ("next",):
        return CustomInput(_next_step_field(str(path[1]), documents), "choice")
    if path[0] == "activities" and rest == WAIT_UNIT:
        return CustomInput(forms.ChoiceField(label="Unit", choices=WAIT_UNITS), "choice")
    if any(isinstance(v, str) and v.lstrip().startswith("<FilterDefinition") for v in values):
        field = ConditionField(label="The conditions to use", required=False)
        return CustomInput(field, "conditions")  # the side panel's condition builder
    panel = _panel_field(path, documents)
    if panel is not None and not isinstance(panel, JsonTextField):
        return CustomInput(panel, _kind_of(panel), str(panel.label or ""))
    return _by_value(values)


def _together_input(conflict: dict[str, Any], documents: Documents) -> CustomInput:
    """Fields decided together: a wait's number and unit, or a random split's percentages."""
    path = conflict["path"]
    if path[-1] == "waitDuration":
        return CustomInput(WaitLengthField("DAYS", label="Wait for"), "duration")
    keys = list(conflict.get("members") or {})
    names = [(key, outcome_words(documents, path[0], path[1], key)) for key in keys]
    return CustomInput(SharesField(names, label="Percentages"), "percentages")


def _next_step_field(key: str, documents: Documents) -> forms.ChoiceField:
    """Where a branch goes next: another activity of the merged journey, by its name."""
    activities = documents.merged.get("activities")
    steps = [
        (item["key"], item_words("activities", item, item["key"]))
        for item in (activities if isinstance(activities, list) else [])
        if isinstance(item, dict) and isinstance(item.get("key"), str) and item["key"] != key
    ]
    return forms.ChoiceField(label="Go next to", choices=[("", "— choose an activity —"), *steps])


def _panel_field(path: tuple[Any, ...], documents: Documents) -> forms.Field | None:
    """The side panel's field that edits exactly `path`, if any."""
    if path[0] in _TARGETS and len(path) > 2:
        target, rest = Target(_TARGETS[path[0]], str(path[1])), path[2:]  # type: ignore[arg-type]
    elif path[0] not in KEYED_LISTS:
        target, rest = Target("settings"), path
    else:
        return None
    for side in ("merged", "ours", "theirs"):
        document = documents.side(side)
        if target.kind != "settings" and find_item(document.get(path[0]), path[1]) is None:
            continue
        try:
            form = panel_form_for(document, target)
        except LookupError:
            continue
        for name, field_path in form.paths.items():
            if tuple(field_path) == rest and not hasattr(form.fields[name], "attributes"):
                return copy.deepcopy(form.fields[name])
        return None
    return None


def _kind_of(field: forms.Field) -> str:
    if isinstance(field, forms.BooleanField):
        return "yes/no"
    if isinstance(field, forms.IntegerField | forms.FloatField):
        return "number"
    if isinstance(field, forms.ChoiceField):
        return "choice"
    return "text"


def _by_value(values: list[Any]) -> CustomInput:
    """Without a side-panel field: text, a yes/no, a number, else JSON for an object."""
    plain = [v for v in values if v is not None]
    if plain and all(isinstance(v, str) for v in plain):
        return CustomInput(ExactTextField(label="Value", required=False), "text")
    if plain and all(isinstance(v, bool) for v in plain):
        return CustomInput(forms.BooleanField(label="Yes", required=False), "yes/no")
    if plain and all(isinstance(v, int) and not isinstance(v, bool) for v in plain):
        return CustomInput(forms.IntegerField(label="Number", required=False), "number")
    if plain and all(isinstance(v, int | float) and not isinstance(v, bool) for v in plain):
        return CustomInput(forms.FloatField(label="Number", required=False), "number")
    field = JsonTextField(label="Value as JSON", section="JSON", expect=None)
    return CustomInput(field, "json")


@dataclass
class ConflictFields:
    """One conflict's group of fields, for the screen."""

    index: int
    choice: BoundField
    custom: BoundField
    kind: str
    panel_label: str
    errors: list[str]

    @property
    def number(self) -> int:
        return self.index + 1

    @property
    def radios(self) -> dict[str, BoundWidget]:
        return {str(radio.data["value"]): radio for radio in self.choice.subwidgets}


class MergeForm(forms.Form):
    """The choices of a merge; see the module docstring."""

    def __init__(
        self,
        conflicts: list[dict[str, Any]],
        documents: Documents,
        *,
        stored: Mapping[str, Any] | None = None,
        data: Mapping[str, Any] | None = None,
        disabled: bool = False,
        redraw: bool = False,
    ) -> None:
        super().__init__(data=data)
        self.redraw = redraw
        self.conflicts = conflicts
        self.inputs: list[CustomInput] = []
        for index, conflict in enumerate(conflicts):
            number = index + 1
            picked = (stored or {}).get(conflict["id"]) or {}
            choice = forms.ChoiceField(
                label=f"Conflict {number}",
                choices=SIDES,
                widget=forms.RadioSelect,
                required=False,  # a value typed without picking its radio picks it (clean)
                disabled=disabled,
            )
            entry = custom_input(conflict, documents)
            entry.field.required = False
            entry.field.disabled = disabled
            self.inputs.append(entry)
            self.fields[f"choice-{index}"] = choice
            self.fields[f"custom-{index}"] = entry.field
            side = "custom" if "custom" in picked else str(picked.get("take") or "")
            value = picked["custom"] if side == "custom" else _shown(conflict)
            self.initial[f"choice-{index}"] = side or None
            self.initial[f"custom-{index}"] = entry.initial(value)
            if isinstance(entry.field, ConditionField):  # the builder starts from the value
                entry.field.prepare_for(documents.merged, value, f"custom-{index}")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for index, conflict in enumerate(self.conflicts):
            name, choice = f"custom-{index}", f"choice-{index}"
            if not data.get(choice) and choice not in self.errors:
                if self._typed(name):
                    data[choice] = "custom"  # typed a value of its own: that is the pick
                else:
                    self.add_error(choice, "Choose a value.")
            if data.get(choice) != "custom":
                self.errors.pop(name, None)  # only the value that is used is checked
                continue
            if name not in data:
                continue
            value = data[name]
            unfinished = self._unfinished(name)
            if unfinished:
                self.add_error(name, unfinished)
                continue
            if value in (None, "") and self.inputs[index].kind not in ("text", "conditions"):
                self.add_error(name, "Enter the value to use.")
                continue
            try:
                check_storable(value)  # NaN, 1e400, a lone surrogate
            except DocumentError as error:
                self.add_error(name, error.message)
            except ValueError as error:
                self.add_error(name, str(error))
            except RecursionError:
                self.add_error(name, TOO_DEEP)
            else:
                data[f"value-{index}"] = stored(value, _shown(conflict))
        return data

    @property
    def show_errors(self) -> bool:
        """Whether the screen says this form's errors: posted to be applied, not re-drawn."""
        return self.is_bound and not self.redraw

    def _unfinished(self, name: str) -> str:
        """What keeps conditions built in the builder from being used, else ""."""
        bound = self[name]
        pending = bound.builder.pending if isinstance(bound, ConditionBoundField) else []
        return f"Finish the conditions first: {'; '.join(pending)}" if pending else ""

    def _typed(self, name: str) -> bool:
        """Whether a value other than the one shown was posted in field `name`."""
        widget = self.fields[name].widget
        posted = not widget.value_omitted_from_data(self.data, self.files, name)
        return posted and name in self.changed_data

    def choices(self) -> dict[str, Choice]:
        """The choices to resolve with; only after is_valid()."""
        picked: dict[str, Choice] = {}
        for index, conflict in enumerate(self.conflicts):
            side = self.cleaned_data[f"choice-{index}"]
            value = self.cleaned_data.get(f"value-{index}")
            picked[conflict["id"]] = Custom(value) if side == "custom" else Take(side)
        return picked

    def group(self, index: int) -> ConflictFields:
        """Conflict `index`'s fields and its errors."""
        choice, custom = self[f"choice-{index}"], self[f"custom-{index}"]
        errors = [str(e) for e in (*choice.errors, *custom.errors)]
        entry = self.inputs[index]
        return ConflictFields(index, choice, custom, entry.kind, entry.panel_label, errors)

    def numbered_errors(self) -> list[str]:
        """Every error, said as the screen numbers the conflicts ("Conflict 2: …")."""
        said = [str(error) for error in self.non_field_errors()]
        for index in range(len(self.conflicts)):
            said += [f"Conflict {index + 1}: {error}" for error in self.group(index).errors]
        return said


def _shown(conflict: dict[str, Any]) -> Any:
    """The value the custom field starts from: ours, else SFMC's."""
    for side in ("ours", "theirs", "base"):
        if conflict[side]["present"]:
            return conflict[side]["value"]
    return None
