"""Panels for splits: decision, random, engagement and custom (REST) splits.

Path fields are added per outcome and named by position (`path_1_label`...), since outcome keys
are GUIDs or free text. Branch names are written with graph.relabel_branch, which knows where
each split keeps them (`metaData.name` for a random split, `label` otherwise).

Engagement split `statsTypeId` values: 2 = opened, 3 = clicked, 6 = bounced. Source: the
Journey Builder spec page "Engagement Split Format" (its sample says "2 = Email opened,
3 = Email clicked, 6 = Email bounced"); real fixture 13 confirms 6 on a split named
"Bounce RMT Abandoner Email", and the simulator's demo journeys use 2 for "Opened?".
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from django import forms

from journeys.domain.catalog import BRANCH_NAME_FIELDS, REMAINDER_PATH
from journeys.domain.document import JourneyDocument
from journeys.domain.graph import relabel_branch, set_criteria, set_field
from journeys.panel_forms.activities import (
    CONFIG,
    ActivityForm,
    CustomActivityForm,
    mark_configured,
)
from journeys.panel_forms.base import Document, ItemPath, Target, Together, stored, value_at
from journeys.panel_forms.condition_field import ConditionField
from journeys.panel_forms.fields import ExactTextField, LinesField

OPENED, CLICKED, BOUNCED = 2, 3, 6
SHARES = "Share of contacts per path"
ENGAGEMENT_KINDS = [(OPENED, "Opened the email"), (CLICKED, "Clicked a link"), (BOUNCED, "Bounced")]


class SplitForm(ActivityForm):
    """A split: its outcomes with string keys, and a label field per path."""

    def __init__(
        self, document: Document, target: Target, data: Mapping[str, Any] | None = None
    ) -> None:
        super().__init__(document, target, data)
        outcomes = self.item.get("outcomes")
        self.outcomes: list[dict[str, Any]] = [
            outcome
            for outcome in (outcomes if isinstance(outcomes, list) else [])
            if isinstance(outcome, dict) and isinstance(outcome.get("key"), str)
        ]
        self.groups = [("", ["name", "description"])]
        self.labels: dict[str, str] = {}  # form field → outcome key, for branch names

    def phrase(self, name: str) -> str:
        if name in self.labels:
            return f"{self.fields[name].label} → “{self.cleaned_data[name]}”"
        return super().phrase(name)

    def branch_name(self, outcome: dict[str, Any]) -> Any:
        """Where relabel_branch writes this split's branch names."""
        field = BRANCH_NAME_FIELDS.get(str(self.item.get("type")), "label")
        return value_at(outcome, ("metaData", field))

    def add_label_field(self, name: str, label: str, outcome: dict[str, Any]) -> None:
        """A text field for a branch's name, initialised from the document."""
        self.fields[name] = ExactTextField(label=label, required=False)
        self.set_initial(name, self.branch_name(outcome))
        self.labels[name] = outcome["key"]

    def relabel(self, document: Document) -> Document:
        """Write the changed branch names."""
        for name, outcome_key in self.labels.items():
            if name in self.changed_data:
                key = str(self.target.key)
                document = relabel_branch(document, key, outcome_key, self.cleaned_data[name])
        return document


class DecisionSplitForm(SplitForm):
    """One fieldset per path (name + filter XML); the remainder path has a name only."""

    def __init__(
        self, document: Document, target: Target, data: Mapping[str, Any] | None = None
    ) -> None:
        super().__init__(document, target, data)
        criteria = value_at(self.item, (CONFIG, "criteria"))
        self.criteria_fields: dict[str, str] = {}
        paths = [o for o in self.outcomes if o["key"] != REMAINDER_PATH]
        for number, outcome in enumerate(paths, start=1):
            label, xml = f"path_{number}_label", f"path_{number}_criteria"
            self.add_label_field(label, f"Path {number} name", outcome)
            self.fields[xml] = ConditionField(label=f"Path {number} condition", required=False)
            self.set_initial(xml, value_at(criteria, (outcome["key"],)))
            self.criteria_fields[xml] = outcome["key"]
            self.groups.append((f"Path {number}", [label, xml]))
        remainder = next((o for o in self.outcomes if o["key"] == REMAINDER_PATH), None)
        if remainder is not None:
            self.add_label_field("remainder_label", "Remainder path name", remainder)
            self.fields["remainder_label"].help_text = "Contacts who match no path go here."
            self.groups.append(("Everyone else", ["remainder_label"]))

    def edit(self, document: Document) -> Document:
        document = self.relabel(super().edit(document))
        item_path = self.activity_path(document)
        changed = [name for name in self.criteria_fields if name in self.changed_data]
        for name in changed:
            path = (*item_path, CONFIG, "criteria", self.criteria_fields[name])
            document = set_criteria(document, path, self.cleaned_data[name])
        if changed:
            filled = all(self.cleaned_data[name].strip() for name in self.criteria_fields)
            document = mark_configured(document, item_path, filled)
        return document


class RandomSplitForm(SplitForm):
    """Per path: its name and its share of contacts, which must add up to 100."""

    def __init__(
        self, document: Document, target: Target, data: Mapping[str, Any] | None = None
    ) -> None:
        super().__init__(document, target, data)
        self.shares: dict[str, str] = {}
        for number, outcome in enumerate(self.outcomes, start=1):
            label, share = f"path_{number}_name", f"path_{number}_percentage"
            self.add_label_field(label, f"Path {number} name", outcome)
            self.fields[share] = forms.IntegerField(
                label=f"Path {number} share (%)", min_value=1, max_value=99
            )
            self.set_initial(share, value_at(outcome, ("arguments", "percentage")))
            self.shares[share] = outcome["key"]
        # The shares in one group, saved together: one at a time, 60/40 → 70/30 would pass
        # through a refused 70/40.
        self.groups.append((SHARES, list(self.shares)))
        self.together[SHARES] = Together(
            "Percentages must add up to 100 — saved when they do.", total=100
        )
        self.groups.append(("Path names", list(self.labels)))

    def check_together(self) -> None:
        values = [self.cleaned_data.get(name) for name in self.shares]
        if None in values:
            return  # the empty share has its own error
        total = sum(value for value in values if value is not None)
        if total != 100:
            self.add_error(None, f"The percentages add up to {total}; they must add up to 100.")

    def edit(self, document: Document) -> Document:
        document = super().edit(document)
        changed = {self.shares[name]: name for name in self.shares if name in self.changed_data}
        if changed:
            # All shares in one write: one at a time, the total would be off in between.
            item_path = self.activity_path(document)
            outcomes = copy.deepcopy(value_at(document, (*item_path, "outcomes")))
            for outcome in outcomes:
                name = changed.get(str(outcome.get("key"))) if isinstance(outcome, dict) else None
                if name is not None:
                    self._set_share(outcome, self.cleaned_data[name])
            document = set_field(document, (*item_path, "outcomes"), outcomes)
        return self.relabel(document)

    def _set_share(self, outcome: dict[str, Any], share: int) -> None:
        arguments = outcome.setdefault("arguments", {})
        arguments["percentage"] = stored(share, arguments.get("percentage"))
        # Journey Builder shows the share as the branch label ("50%").
        outcome.setdefault("metaData", {})["label"] = f"{share}%"

    def phrase(self, name: str) -> str:
        if name in self.shares:
            path = str(self.fields[name].label).removesuffix(" share (%)")
            return f"{path} {self.initial.get(name)}% → {self.cleaned_data[name]}%"
        return super().phrase(name)


class EngagementSplitForm(ActivityForm):
    """Which email to check, and for what: opened, clicked (optionally which links), bounced."""

    refActivityCustomerKey = forms.ChoiceField(
        label="Email to check", help_text="An email earlier in this journey."
    )
    statsTypeId = forms.TypedChoiceField(label="Contacts who", choices=ENGAGEMENT_KINDS, coerce=int)
    engagementUrls = LinesField(
        label="Only these links",
        help_text="For clicks: one link per line; empty means any link.",
    )
    paths = {
        **ActivityForm.paths,
        "refActivityCustomerKey": (CONFIG, "refActivityCustomerKey"),
        "statsTypeId": (CONFIG, "statsTypeId"),
        "engagementUrls": (CONFIG, "engagementUrls", "urls"),
    }
    configuring_fields = ("refActivityCustomerKey",)

    def __init__(
        self, document: Document, target: Target, data: Mapping[str, Any] | None = None
    ) -> None:
        self.emails = {
            activity["key"]: activity
            for activity in JourneyDocument(document).activities
            if activity.get("type") == "EMAILV2" and isinstance(activity.get("key"), str)
        }
        super().__init__(document, target, data)
        email_field = self.fields["refActivityCustomerKey"]
        assert isinstance(email_field, forms.ChoiceField)
        email_field.choices = [(key, _email_label(key, mail)) for key, mail in self.emails.items()]
        # Again, now that the choices are known (keeps a missing or unknown reference).
        self.set_initial(
            "refActivityCustomerKey", value_at(self.item, self.paths["refActivityCustomerKey"])
        )
        urls = self.initial.get("engagementUrls")
        if isinstance(urls, list) and not all(isinstance(url, str) for url in urls):
            self.fields["engagementUrls"].disabled = True
            self.fields["engagementUrls"].help_text = "Saved in a form this panel cannot edit."

    def check_together(self) -> None:
        if (
            self.cleaned_data.get("engagementUrls")
            and self.cleaned_data.get("statsTypeId") != CLICKED
        ):
            self.add_error("engagementUrls", "Links only apply when the split checks clicks.")

    def edit(self, document: Document) -> Document:
        document = super().edit(document)
        if "refActivityCustomerKey" in self.changed_data:
            document = self._follow_email(document, self.activity_path(document))
        return document

    def _follow_email(self, document: Document, item_path: ItemPath) -> Document:
        # The split also names its email in data bindings and its cached name and send id.
        old = self.initial.get("refActivityCustomerKey")
        new = self.cleaned_data["refActivityCustomerKey"]
        activity = value_at(document, item_path)
        for name in ("requestId", "messageKey"):
            binding = value_at(activity, ("arguments", name))
            if isinstance(binding, str) and old and f"Interaction.{old}." in binding:
                fresh = binding.replace(f"Interaction.{old}.", f"Interaction.{new}.")
                document = set_field(document, (*item_path, "arguments", name), fresh)
        email = self.emails.get(new)
        if email is None:
            return document
        document = set_field(
            document, (*item_path, "metaData", "refActivityName"), email.get("name") or ""
        )
        if value_at(activity, (CONFIG, "triggeredSendId")) is not None:
            send_id = value_at(email, (CONFIG, "triggeredSendId")) or ""
            document = set_field(document, (*item_path, CONFIG, "triggeredSendId"), send_id)
        return document


def _email_label(key: str, email: dict[str, Any]) -> str:
    name = email.get("name")
    return f"{name} ({key})" if isinstance(name, str) and name else key


class CustomSplitForm(CustomActivityForm, SplitForm):
    """A custom (REST) split: the custom activity's settings plus a name per branch."""

    def __init__(
        self, document: Document, target: Target, data: Mapping[str, Any] | None = None
    ) -> None:
        super().__init__(document, target, data)
        self.groups = [("", list(self.fields))]
        for number, outcome in enumerate(self.outcomes, start=1):
            result = value_at(outcome, ("arguments", "branchResult"))
            label = f"path_{number}_label"
            self.add_label_field(label, f"Path {number} name", outcome)
            self.fields[label].help_text = f"Taken when the service answers {result!r}."
        self.groups.append(("Paths", list(self.labels)))

    def edit(self, document: Document) -> Document:
        return self.relabel(super().edit(document))
