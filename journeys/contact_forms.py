"""The test contacts panel's forms: one contact (fields from the journey), and a sheet.

The contact form offers what the journey makes matter: the attributes its conditions and
bindings use (by name, the key on hover), what the contact does with each email (for
engagement splits), and the branch of each split the stepper cannot decide (random split, Path
Optimizer, custom split). What it posts becomes one row of a JSON sheet, read by the same
reader as an imported sheet (services/test_contacts.py).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone

from journeys.catalog_names import CatalogNames
from journeys.contact_models import TestContact, wall_clock
from journeys.domain.catalog import activity_title
from journeys.domain.condition_eval import attribute_lookup
from journeys.domain.contact_paths import CLICKED, EVERY_BRANCH, OPENED
from journeys.domain.contact_sheet import NO_ENGAGEMENT
from journeys.domain.contact_trace import keyed_items
from journeys.domain.diff import branch_name
from journeys.domain.expectations import PHRASE_HELP
from journeys.domain.journey_filters import journey_attributes
from journeys.domain.stepper_activities import asks_for_a_branch
from journeys.uploads import UploadField

ENTRY_FORMAT = "%Y-%m-%dT%H:%M"
ENGAGEMENT_CHOICES = [
    (NO_ENGAGEMENT, "does not open it"),
    (OPENED, "opens it"),
    (CLICKED, "opens it and clicks"),
    ("bounced", "bounces"),
]
VALUE, ENGAGEMENT, BRANCH = "value:", "engagement:", "branch:"
SHEET_EXAMPLE = "name,Tier,entered,expect\nAlice,Gold,2026-12-01 09:00,receives Welcome"


class ContactForm(forms.Form):
    contact = forms.IntegerField(required=False, widget=forms.HiddenInput)  # the one changed
    name = forms.CharField(max_length=100)
    contact_key = forms.CharField(
        max_length=200,
        required=False,
        help_text="Who the contact is, for re-entry; the name when empty.",
    )
    entered_at = forms.DateTimeField(
        label="Enters the journey",
        input_formats=[ENTRY_FORMAT, "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=ENTRY_FORMAT),
    )
    expectations = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=f"One per line: {PHRASE_HELP}.",
    )

    def __init__(self, document: dict[str, Any], names: CatalogNames, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.groups: dict[str, list[str]] = {"Attributes": [], "Emails": [], "Splits": []}
        for key, label in journey_attributes(document).items():
            value = forms.CharField(required=False, max_length=500, label=label)
            self._add("Attributes", VALUE + key, value, key)
        for key, activity in keyed_items(document, "activities").items():
            if activity.get("type") == "EMAILV2":
                field = forms.ChoiceField(choices=ENGAGEMENT_CHOICES, label=_email(activity, names))
                self._add("Emails", ENGAGEMENT + key, field, key)
            elif asks_for_a_branch(activity):
                self._add("Splits", BRANCH + key, _branches(activity), key)

    def _add(self, group: str, name: str, field: forms.Field, hover: str = "") -> None:
        if hover:
            field.widget.attrs["title"] = hover
        self.fields[name] = field
        self.groups[group].append(name)

    def fieldsets(self) -> list[tuple[str, list[forms.BoundField]]]:
        head = [self[name] for name in ("name", "contact_key", "entered_at")]
        sets = [("", head)]
        sets += [
            (legend, [self[n] for n in names]) for legend, names in self.groups.items() if names
        ]
        return [*sets, ("Expectations", [self["expectations"]])]

    def add_problems(self, problems: list[str]) -> None:
        """The reader's problems, each next to the field it is about, attributes by name."""
        attributes = sorted(self.groups["Attributes"], key=len, reverse=True)
        for problem in problems:
            field = next((f for f in attributes if f.removeprefix(VALUE) in problem), None)
            if field is not None:
                label = str(self.fields[field].label)
                self.add_error(field, problem.replace(field.removeprefix(VALUE), label))
            elif "is not an expectation" in problem:
                self.add_error("expectations", problem)
            else:
                self.add_error(None, problem)

    def sheet_row(self) -> dict[str, Any]:
        """The cleaned form as one row of a JSON sheet (contact_sheet.py)."""
        data = self.cleaned_data
        return {
            "name": data["name"],
            "contact key": data["contact_key"],
            "entered": data["entered_at"].strftime("%Y-%m-%d %H:%M"),
            "values": {
                name.removeprefix(VALUE): value
                for name, value in data.items()
                if name.startswith(VALUE) and value.strip()
            },
            "assume": {
                name.split(":", 1)[1]: value
                for name, value in data.items()
                if name.startswith((ENGAGEMENT, BRANCH))
            },
            "expect": [line for line in data["expectations"].splitlines() if line.strip()],
        }


def contact_initial(row: TestContact, document: dict[str, Any]) -> dict[str, Any]:
    """The form's values for an existing contact."""
    lookup = attribute_lookup(row.values or {})
    assumptions = row.assumptions if isinstance(row.assumptions, dict) else {}
    initial: dict[str, Any] = {
        "contact": row.pk,
        "name": row.name,
        "contact_key": row.contact_key,
        "entered_at": wall_clock(row.entered_at),
        "expectations": "\n".join(row.expectations or []),
    }
    for key in journey_attributes(document):
        initial[VALUE + key] = lookup(key) or ""
    for key, kinds in (assumptions.get("engagement") or {}).items():
        strongest = [k for k in (CLICKED, OPENED, "bounced") if k in kinds]
        initial[ENGAGEMENT + key] = strongest[0] if strongest else NO_ENGAGEMENT
    for key, branch in (assumptions.get("branches") or {}).items():
        initial[BRANCH + key] = branch
    return initial


def new_contact_initial() -> dict[str, Any]:
    today = wall_clock(timezone.now()).replace(hour=9, minute=0, second=0, microsecond=0)
    return {"entered_at": today}


class SheetForm(forms.Form):
    text = forms.CharField(
        required=False,
        label="Paste CSV or JSON",
        widget=forms.Textarea(attrs={"rows": 5, "placeholder": SHEET_EXAMPLE}),
    )
    file = UploadField(required=False, label="or upload a .csv or .json file")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        chosen = data.get("file") or self.has_error("file", "too_large")  # says why itself
        if not (data.get("text") or "").strip() and not chosen:
            raise forms.ValidationError("Paste a sheet or choose a file.")
        return data


def _email(activity: dict[str, Any], names: CatalogNames) -> str:
    config = activity.get("configurationArguments")
    send = config.get("triggeredSend") if isinstance(config, dict) else None
    email_id = send.get("emailId") if isinstance(send, dict) else None
    named = names.get("email", email_id)
    title = str(activity.get("name") or activity.get("key"))
    return f"{title} (email '{named.name}')" if named and named.name != title else title


def _branches(activity: dict[str, Any]) -> forms.ChoiceField:
    outcomes = [o for o in activity.get("outcomes") or [] if isinstance(o, dict)]
    choices = [(EVERY_BRANCH, "every branch")]
    choices += [(str(o.get("key")), branch_name(o) or str(o.get("key"))) for o in outcomes]
    label = str(activity.get("name") or activity_title(activity))
    return forms.ChoiceField(choices=choices, label=label, initial=EVERY_BRANCH)
