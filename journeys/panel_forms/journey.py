"""Panels for the journey itself: entry source, goal, exit criteria and settings.

The canvas adds a goal or exit criteria (with an empty condition) and removes them after a
confirmation; a journey without one also gets a panel that creates it in the shape SFMC serves
(API notes §5.4: key "GOAL", type "Event"; key "EXITCRITERIA", type "ExitCriteria") once a
condition is given. The server fills in `filterResult`,
`filterDefinitionId` and `schemaVersionId` when it stores the filter, so they are not invented.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from typing import Any, ClassVar, cast

from django import forms

from journeys.domain.graph import (
    set_criteria,
    set_exit,
    set_field,
    set_goal,
    set_settings,
    set_trigger,
)
from journeys.domain.journey_items import (
    CONFIGURABLE_KINDS,
    entry_explanation,
    entry_kind,
    entry_label,
    event_key,
    event_key_problem,
    new_entry_source,
    new_exit,
    new_goal,
    with_event_key,
)
from journeys.lengths import journey_name_limit, length_refusal
from journeys.panel_forms.base import (
    Document,
    FieldPath,
    ItemPath,
    PanelForm,
    Target,
    choice_label,
    locate,
    value_at,
)
from journeys.panel_forms.catalog_pickers import select_widget
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
ANALYTICS = ("defaults", "properties", "analyticsTracking")
NEW_ANALYTICS = {"enabled": False, "analyticsType": "google", "urlDomainsToTrack": []}
DOMAIN = re.compile(r"^(?=.{1,253}$)([A-Za-z0-9-]{1,63}\.)+[A-Za-z]{2,63}$")
_NAME_AND_DESCRIPTION: dict[str, FieldPath] = {"name": ("name",), "description": ("description",)}


def _description_field(label: str = "Description") -> ExactTextField:
    return ExactTextField(label=label, required=False, widget=forms.Textarea(attrs={"rows": 2}))


class TriggerForm(PanelForm):
    """The entry source: its kind (API event or data extension entry, which the editor sets up;
    any other kind is shown as imported), its event definition and its entry filter."""

    summary_prefix = "Entry source: "
    name = ExactTextField(label="Name", required=False)
    description = _description_field()
    type = forms.ChoiceField(
        label="Type",
        choices=[(kind.sfmc_type, kind.label) for kind in CONFIGURABLE_KINDS],
        error_messages={
            "invalid_choice": "The editor sets up API event and data extension entry sources "
            "only; choose one of them (%(value)s is not one)."
        },
    )
    eventDefinitionKey = ExactTextField(
        label="Event definition key",
        required=False,
        help_text='Journey data is read as {{Event.<this key>."Field"}}.',
    )
    schemaVersionId = forms.IntegerField(
        label="Event schema version",
        required=False,
        min_value=0,
        help_text="The version of the event's data schema, as SFMC numbers it; leave it empty "
        "if you do not know it.",
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
        "schemaVersionId": (CONFIG, "schemaVersionId"),
        "criteria": (CONFIG, "criteria"),
    }
    _CONFIGURES = ("eventDefinitionKey", "schemaVersionId", "otherConfiguration")
    field_order = ["type", "eventDefinitionKey", "schemaVersionId", "name", "description"]

    def __init__(
        self, document: Document, target: Target, data: Mapping[str, Any] | None = None
    ) -> None:
        super().__init__(document, target, data)
        self.title = f"Entry source · {self.item.get('name') or self.item.get('key')}"
        self.kind = entry_kind(self.item)
        self.explanation = entry_explanation(self.item)
        self.set_initial("type", self.item.get("type"))
        self.set_initial("eventDefinitionKey", event_key(self.item))
        config = self.item.get(CONFIG)
        rest = (
            {k: v for k, v in config.items() if k != "criteria"}
            if isinstance(config, dict)
            else None
        )
        self.set_initial("otherConfiguration", rest)
        if not self.kind.configurable:
            self._show_as_imported()

    def use_catalog(self, catalog: Any) -> None:
        super().use_catalog(catalog)
        field = self.fields["eventDefinitionKey"]
        choices = catalog.choices("event", self.initial.get("eventDefinitionKey"))
        if choices is not None and not field.disabled:
            field.label = "Entry event"
            field.help_text = "The event definition contacts enter by (its key is stored)."
            select_widget(field, choices)

    def _show_as_imported(self) -> None:
        current = (self.kind.sfmc_type, f"{entry_label(self.item)} (as imported)")
        others = [(kind.sfmc_type, kind.label) for kind in CONFIGURABLE_KINDS]
        cast(forms.ChoiceField, self.fields["type"]).choices = [current, *others]
        for name in self._CONFIGURES:
            self.fields[name].disabled = True

    def reshapes_panel(self) -> bool:
        return "type" in self.changed_data

    def check_together(self) -> None:
        if "eventDefinitionKey" not in self.changed_data:
            return
        key = self.cleaned_data.get("eventDefinitionKey", "")
        if "type" in self.changed_data and not key:
            return  # a newly chosen kind gets its key next
        problem = event_key_problem(key)
        if problem:
            self.add_error("eventDefinitionKey", problem)

    def edit(self, document: Document) -> Document:
        item_path = self.locate(document)
        assert item_path is not None
        changed = self.changed_data
        if "type" in changed:
            # The old kind's configuration goes; what the user typed with the new type stays.
            document = set_trigger(document, new_entry_source(self.item, self.cleaned_data["type"]))
        elif "otherConfiguration" in changed:
            config = dict(self.cleaned_data["otherConfiguration"] or {})
            criteria = value_at(document, (*item_path, CONFIG, "criteria"))
            if criteria is not None:
                config["criteria"] = criteria
            document = set_field(document, (*item_path, CONFIG), config)
        document = self.write_paths(document, item_path)
        if "eventDefinitionKey" in changed:
            trigger = value_at(document, item_path)
            key = self.cleaned_data["eventDefinitionKey"]
            document = set_trigger(document, with_event_key(trigger, key))
        return document

    def describe_changes(self) -> list[str]:
        if "type" in self.changed_data:
            label = choice_label(
                cast(forms.ChoiceField, self.fields["type"]), self.cleaned_data["type"]
            )
            others = [self.phrase(name) for name in self.changed_data if name != "type"]
            return [f"type → {label} (its earlier configuration and filter replaced)", *others]
        return super().describe_changes()


class FilterStepForm(PanelForm):
    """Goal or exit criteria: a filter plus a name. The canvas adds and removes them (with a
    confirmation, see views.panel); a journey without one still gets a panel that creates it
    once a condition is given."""

    noun: ClassVar[str]
    name = ExactTextField(label="Name", required=False)
    description = _description_field()
    criteria = ConditionField(label="Condition", required=False)
    paths = {**_NAME_AND_DESCRIPTION, "criteria": (CONFIG, "criteria")}

    def __init__(
        self, document: Document, target: Target, data: Mapping[str, Any] | None = None
    ) -> None:
        super().__init__(document, target, data)
        self.creating = self.item_path is None
        name = self.item.get("name") or self.item.get("key")
        self.title = f"New {self.noun.lower()}" if self.creating else f"{self.noun} · {name}"

    def locate(self, document: Document) -> ItemPath | None:
        try:
            return locate(document, self.target)
        except LookupError:
            if self.target.key is None:
                return None  # none yet: this panel creates it
            raise

    def check_together(self) -> None:
        has_criteria = bool(self.cleaned_data.get("criteria", "").strip())
        if self.creating and self.changed_data and not has_criteria:
            self.add_error("criteria", f"Give the condition to create the {self.noun.lower()}.")
        elif not self.creating and "criteria" in self.changed_data and not has_criteria:
            self.add_error(
                "criteria",
                f"Give a condition, or remove the {self.noun.lower()} with the button below.",
            )

    def edit(self, document: Document) -> Document:
        item_path = self.locate(document)
        if item_path is not None:
            return self.write_paths(document, item_path)
        criteria = self.cleaned_data.get("criteria", "")
        if not criteria.strip():
            return document
        document = self.store(document, self.new_item())
        created = self.locate(document) or ()  # said in plain words beside it, as SFMC does
        return set_criteria(document, (*created, CONFIG, "criteria"), criteria)

    def store(self, document: Document, item: dict[str, Any]) -> Document:
        """Set the goal or exit criteria."""
        raise NotImplementedError

    def new_item(self) -> dict[str, Any]:
        """The goal or exit criteria as SFMC serves them, with what the form holds."""
        raise NotImplementedError

    def fill(self, item: dict[str, Any]) -> dict[str, Any]:
        item["name"] = self.cleaned_data["name"] or item["key"]
        item["description"] = self.cleaned_data["description"]
        item["configurationArguments"] = {"criteria": self.cleaned_data["criteria"]}
        return item

    def summary(self) -> str:
        if self.creating and self.changed_data:
            return f"{self.noun} added"
        return super().summary()


class GoalForm(FilterStepForm):
    """The journey's goal: who counts as converted, the target for it, and whether contacts
    who meet it leave the journey (SFMC's `metaData.isExitCriteria`)."""

    noun = "Goal"
    summary_prefix = "Goal: "
    isExitCriteria = forms.BooleanField(
        label="Exit contacts when the goal is met",
        required=False,
        help_text="Contacts who meet the goal leave the journey at once.",
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

    def store(self, document: Document, item: dict[str, Any]) -> Document:
        return set_goal(document, item)

    def new_item(self) -> dict[str, Any]:
        goal = self.fill(new_goal())
        goal["metaData"] = {
            name: self.cleaned_data[name]
            for name in ("isExitCriteria", "conversionUnit", "conversionValue")
            if self.cleaned_data[name] not in (None, "")
        }
        return goal


class ExitForm(FilterStepForm):
    """Exit criteria: contacts who meet the condition leave the journey."""

    noun = "Exit criteria"
    summary_prefix = "Exit criteria: "

    def store(self, document: Document, item: dict[str, Any]) -> Document:
        return set_exit(document, item)

    def new_item(self) -> dict[str, Any]:
        return self.fill(new_exit())


class SettingsForm(PanelForm):
    """Journey-level settings: name, description, re-entry and the journey defaults (default
    addresses, link tracking: `defaults` in API notes §5.1)."""

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
    analyticsEnabled = forms.BooleanField(
        label="Track links with Google Analytics",
        required=False,
        help_text="SFMC adds campaign parameters to the links of this journey's messages.",
    )
    urlDomainsToTrack = LinesField(
        label="Also track links to these domains",
        help_text="Beyond your own sites; one domain per line, e.g. shop.example.com.",
    )
    paths = {
        **_NAME_AND_DESCRIPTION,
        "entryMode": ("entryMode",),
        "email": ("defaults", "email"),
        "mobileNumber": ("defaults", "mobileNumber"),
        "analyticsEnabled": (*ANALYTICS, "enabled"),
        "urlDomainsToTrack": (*ANALYTICS, "urlDomainsToTrack"),
    }

    def __init__(
        self, document: Document, target: Target, data: Mapping[str, Any] | None = None
    ) -> None:
        super().__init__(document, target, data)
        self.fields["name"].required = True  # SFMC requires a name, even if a draft lacks one
        self.groups = [
            ("", ["name", "description", "entryMode"]),
            (
                "Journey defaults",
                ["email", "mobileNumber", "analyticsEnabled", "urlDomainsToTrack"],
            ),
        ]

    def check_together(self) -> None:
        refusal = length_refusal("The name", self.cleaned_data.get("name"), journey_name_limit())
        if "name" in self.changed_data and refusal:
            self.add_error("name", refusal)
        for name in ("name", "description"):
            refused = sorted(
                {c for c in self.cleaned_data.get(name, "") if c in REFUSED_CHARACTERS}
            )
            if name in self.changed_data and refused:
                found = " ".join(refused)
                self.add_error(name, f"SFMC does not accept {found} in a journey {name}.")
        if "urlDomainsToTrack" in self.changed_data:
            odd = [d for d in self.cleaned_data.get("urlDomainsToTrack", []) if not DOMAIN.match(d)]
            if odd:
                self.add_error("urlDomainsToTrack", f"Not a domain name: {', '.join(odd)}.")

    def edit(self, document: Document) -> Document:
        changed = self.changed_data
        fields = {
            name: self.cleaned_data[name]
            for name in ("name", "description", "entryMode")
            if name in changed
        }
        defaults_changed = [name for name in changed if self.paths[name][0] == "defaults"]
        if defaults_changed:
            old = document.get("defaults")
            fields["defaults"] = copy.deepcopy(old) if isinstance(old, dict) else {}
            for name in defaults_changed:
                _set_nested(fields["defaults"], self.paths[name][1:], self.cleaned_data[name])
        return set_settings(document, **fields) if fields else document


def _set_nested(node: dict[str, Any], path: FieldPath, value: Any) -> None:
    # Link tracking is created as SFMC stores it (fixtures 12-14): google, no extra domains.
    for part in path[:-1]:
        if not isinstance(node.get(part), dict):
            node[part] = NEW_ANALYTICS.copy() if part == "analyticsTracking" else {}
        node = node[part]
    node[path[-1]] = value
