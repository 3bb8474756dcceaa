"""Panels for the journey itself: entry source, goal, exit criteria and settings.

A journey without a goal (or exit criteria) gets a panel that creates one in the shape SFMC
serves (API notes §5.4: key "GOAL", type "Event"; key "EXITCRITERIA", type "ExitCriteria") once a
condition is given; a "remove" box takes it away again. The server fills in `filterResult`,
`filterDefinitionId` and `schemaVersionId` when it stores the filter, so they are not invented.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any, ClassVar

from django import forms

from journeys.domain.graph import set_exit, set_field, set_goal, set_settings
from journeys.panel_forms.base import (
    Document,
    FieldPath,
    ItemPath,
    PanelForm,
    Target,
    locate,
    value_at,
)
from journeys.panel_forms.condition_field import ConditionField
from journeys.panel_forms.fields import DIGITS, ExactTextField, JsonTextField, LinesField

CONFIG = "configurationArguments"
ENTRY_MODES = [
    ("OnceAndDone", "No re-entry"),
    ("MultipleEntries", "Re-entry anytime"),
    ("SingleEntryAcrossAllVersions", "Re-entry only after exiting"),
    ("NotSet", "Not set"),
]
CONVERSION_UNITS = [("percentage", "Percentage of contacts"), ("wholenumber", "Number of contacts")]
# API notes §1.3: SFMC refuses a journey name or description containing these.
REFUSED_CHARACTERS = "&<>\"'/"
# Real goals bind these (fixtures 13, 14, 18); `filterResult` is the server's.
GOAL_ARGUMENTS = {
    "startActivityKey": "{{Context.StartActivityKey}}",
    "dequeueReason": "{{Context.DequeueReason}}",
    "lastExecutedActivityKey": "{{Context.LastExecutedActivityKey}}",
}
_NAME_AND_DESCRIPTION: dict[str, FieldPath] = {"name": ("name",), "description": ("description",)}


def _description_field(label: str = "Description") -> ExactTextField:
    return ExactTextField(label=label, required=False, widget=forms.Textarea(attrs={"rows": 2}))


class TriggerForm(PanelForm):
    """The entry source; its type is chosen when it is configured, so it is shown read-only."""

    summary_prefix = "Entry source: "
    name = ExactTextField(label="Name", required=False)
    description = _description_field()
    type = forms.CharField(
        label="Entry source type",
        required=False,
        disabled=True,
        help_text="Chosen when the entry source is set up in Journey Builder.",
    )
    eventDefinitionKey = ExactTextField(
        label="Entry event key",
        required=False,
        help_text='Journey data is read as {{Event.<this key>."Field"}}.',
    )
    criteria = ConditionField(
        label="Entry filter",
        required=False,
        help_text="Only contacts matching these conditions enter; none lets everyone in.",
    )
    otherConfiguration = JsonTextField(
        label="Other entry settings (JSON)", section="configurationArguments", expect=dict
    )
    paths = {
        **_NAME_AND_DESCRIPTION,
        "type": ("type",),
        "eventDefinitionKey": ("metaData", "eventDefinitionKey"),
        "criteria": (CONFIG, "criteria"),
    }

    def __init__(
        self, document: Document, target: Target, data: Mapping[str, Any] | None = None
    ) -> None:
        super().__init__(document, target, data)
        self.title = f"Entry source · {self.item.get('key')}"
        config = self.item.get(CONFIG)
        rest = (
            {k: v for k, v in config.items() if k != "criteria"}
            if isinstance(config, dict)
            else None
        )
        self.set_initial("otherConfiguration", rest)

    def edit(self, document: Document) -> Document:
        item_path = self.locate(document)
        assert item_path is not None
        if "otherConfiguration" in self.changed_data:
            config = dict(self.cleaned_data["otherConfiguration"] or {})
            criteria = value_at(document, (*item_path, CONFIG, "criteria"))
            if criteria is not None:
                config["criteria"] = criteria
            document = set_field(document, (*item_path, CONFIG), config)
        return self.write_paths(document, item_path)


class FilterStepForm(PanelForm):
    """Goal or exit criteria: a filter plus a name, created or removed as a whole."""

    noun: ClassVar[str]
    key: ClassVar[str]
    sfmc_type: ClassVar[str]
    name = ExactTextField(label="Name", required=False)
    description = _description_field()
    criteria = ConditionField(label="Condition", required=False)
    remove = forms.BooleanField(required=False)
    paths = {**_NAME_AND_DESCRIPTION, "criteria": (CONFIG, "criteria")}

    def __init__(
        self, document: Document, target: Target, data: Mapping[str, Any] | None = None
    ) -> None:
        super().__init__(document, target, data)
        self.creating = self.item_path is None
        if self.creating:
            del self.fields["remove"]
            self.title = f"New {self.noun.lower()}"
        else:
            self.fields["remove"].label = f"Remove the {self.noun.lower()}"
            self.title = f"{self.noun} · {self.item.get('key')}"
        self.groups = [("", list(self.fields))]

    def locate(self, document: Document) -> ItemPath | None:
        try:
            return locate(document, self.target)
        except LookupError:
            if self.target.key is None:
                return None  # none yet: this panel creates it
            raise

    def check_together(self) -> None:
        if self.removing():
            return
        has_criteria = bool(self.cleaned_data.get("criteria", "").strip())
        if self.creating and self.changed_data and not has_criteria:
            self.add_error("criteria", f"Give the condition to create the {self.noun.lower()}.")
        elif not self.creating and "criteria" in self.changed_data and not has_criteria:
            self.add_error(
                "criteria", f"Give a condition, or tick “{self.fields['remove'].label}”."
            )

    def removing(self) -> bool:
        """Whether the user asked to remove the goal or exit criteria."""
        return bool(self.cleaned_data.get("remove"))

    def edit(self, document: Document) -> Document:
        if self.removing():
            return self.store(document, None)
        item_path = self.locate(document)
        if item_path is not None:
            return self.write_paths(document, item_path)
        if not self.cleaned_data.get("criteria", "").strip():
            return document
        return self.store(document, self.new_item())

    def store(self, document: Document, item: dict[str, Any] | None) -> Document:
        """Set or (with None) remove the goal or exit criteria."""
        raise NotImplementedError

    def new_item(self) -> dict[str, Any]:
        """The goal or exit criteria as SFMC serves them, with what the form holds."""
        return {
            "key": self.key,
            "name": self.cleaned_data["name"] or self.key,
            "description": self.cleaned_data["description"],
            "type": self.sfmc_type,
            "outcomes": [],
            "arguments": {},
            "configurationArguments": {"criteria": self.cleaned_data["criteria"]},
            "metaData": {},
        }

    def summary(self) -> str:
        if self.removing():
            return f"{self.noun} removed"
        if self.creating and self.changed_data:
            return f"{self.noun} added"
        return super().summary()


class GoalForm(FilterStepForm):
    """The journey's goal: who counts as converted, and the target for it."""

    noun, key, sfmc_type = "Goal", "GOAL", "Event"
    summary_prefix = "Goal: "
    isExitCriteria = forms.BooleanField(
        label="Contacts leave the journey when they meet the goal", required=False
    )
    conversionUnit = forms.ChoiceField(label="Target counted as", choices=CONVERSION_UNITS)
    conversionValue = ExactTextField(
        label="Target", required=False, validators=[DIGITS], help_text="e.g. 10"
    )
    field_order = [
        "name",
        "description",
        "criteria",
        "isExitCriteria",
        "conversionUnit",
        "conversionValue",
    ]
    paths = {
        **FilterStepForm.paths,
        "isExitCriteria": ("metaData", "isExitCriteria"),
        "conversionUnit": ("metaData", "conversionUnit"),
        "conversionValue": ("metaData", "conversionValue"),
    }

    def check_together(self) -> None:
        super().check_together()
        value = self.cleaned_data.get("conversionValue")
        unit = self.cleaned_data.get("conversionUnit")
        if value and unit == "percentage" and int(value) > 100:
            self.add_error("conversionValue", "A percentage target is at most 100.")

    def store(self, document: Document, item: dict[str, Any] | None) -> Document:
        return set_goal(document, item)

    def new_item(self) -> dict[str, Any]:
        goal = super().new_item()
        goal["arguments"] = dict(GOAL_ARGUMENTS)
        goal["metaData"] = {
            name: self.cleaned_data[name]
            for name in ("isExitCriteria", "conversionUnit", "conversionValue")
            if self.cleaned_data[name] not in (None, "")
        }
        return goal


class ExitForm(FilterStepForm):
    """Exit criteria: contacts who meet the condition leave the journey."""

    noun, key, sfmc_type = "Exit criteria", "EXITCRITERIA", "ExitCriteria"
    summary_prefix = "Exit criteria: "

    def store(self, document: Document, item: dict[str, Any] | None) -> Document:
        return set_exit(document, item)


class SettingsForm(PanelForm):
    """Journey-level settings: name, description, re-entry and default addresses."""

    summary_prefix = "Settings: "
    title = "Journey settings"
    name = ExactTextField(label="Journey name")
    description = _description_field()
    entryMode = forms.ChoiceField(
        label="Entry mode",
        choices=ENTRY_MODES,
        help_text="Whether a contact may enter this journey more than once.",
    )
    email = LinesField(
        label="Email address attribute",
        help_text="Where each contact's email address comes from, e.g. "
        '{{Event.<entry key>."Email"}}. One per line.',
    )
    mobileNumber = LinesField(
        label="Mobile number attribute",
        help_text="Where each contact's mobile number comes from, for SMS. One per line.",
    )
    paths = {
        **_NAME_AND_DESCRIPTION,
        "entryMode": ("entryMode",),
        "email": ("defaults", "email"),
        "mobileNumber": ("defaults", "mobileNumber"),
    }

    def __init__(
        self, document: Document, target: Target, data: Mapping[str, Any] | None = None
    ) -> None:
        super().__init__(document, target, data)
        self.fields["name"].required = True  # SFMC requires a name, even if a draft lacks one

    def check_together(self) -> None:
        for name in ("name", "description"):
            refused = sorted(
                {c for c in self.cleaned_data.get(name, "") if c in REFUSED_CHARACTERS}
            )
            if name in self.changed_data and refused:
                found = " ".join(refused)
                self.add_error(name, f"SFMC does not accept {found} in a journey {name}.")

    def edit(self, document: Document) -> Document:
        changed = self.changed_data
        fields = {
            name: self.cleaned_data[name]
            for name in ("name", "description", "entryMode")
            if name in changed
        }
        if {"email", "mobileNumber"} & set(changed):
            defaults = document.get("defaults")
            fields["defaults"] = copy.deepcopy(defaults) if isinstance(defaults, dict) else {}
            for name in ("email", "mobileNumber"):
                if name in changed:
                    fields["defaults"][name] = self.cleaned_data[name]
        return set_settings(document, **fields) if fields else document
