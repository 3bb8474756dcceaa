"""Panels for single-path activities: waits, messages, customer updates, custom activities.

Field names are the SFMC field names they edit (see the API notes §5.3 and the real fixtures).
Where Journey Builder marks a new activity `metaData.isConfigured: false` until its key choice
is made (which email, which SMS message...), making that choice sets it true, and clearing it
sets it false again, so the validator says "not configured yet" rather than "broken".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from django import forms
from django.core.validators import URLValidator

from journeys.domain.catalog import duration_words, type_of, wait_name
from journeys.domain.graph import set_field
from journeys.panel_forms.base import (
    Document,
    FieldPath,
    ItemPath,
    PanelForm,
    Target,
    Together,
    value_at,
)
from journeys.panel_forms.catalog_pickers import select_widget, use_selects
from journeys.panel_forms.field_rows import FieldRowsWidget
from journeys.panel_forms.fields import (
    HOUR_MINUTE,
    ExactTextField,
    JsonTextField,
    LinesField,
    RowsField,
)

CONFIG = "configurationArguments"
SEND = (CONFIG, "triggeredSend")
EXECUTE = ("arguments", "execute")
# The units validate.py accepts (journey.schema.json, waitActivity).
WAIT_UNITS = [
    ("MINUTES", "minutes"),
    ("HOURS", "hours"),
    ("DAYS", "days"),
    ("WEEKS", "weeks"),
    ("MONTHS", "months"),
]
# Custom activity verbs: Journey Builder's config.json `execute.verb`; POST when absent.
VERBS = [("POST", "POST"), ("PUT", "PUT"), ("GET", "GET"), ("DELETE", "DELETE")]


def _short_text(label: str, help_text: str = "", required: bool = False) -> ExactTextField:
    return ExactTextField(label=label, help_text=help_text, required=required)


def mark_configured(document: Document, item_path: ItemPath, configured: bool) -> Document:
    """Set `metaData.isConfigured` when it disagrees with `configured`.

    A missing flag counts as configured (real activities often have none), so it is only
    added when the activity becomes unconfigured.
    """
    current = value_at(document, (*item_path, "metaData", "isConfigured"))
    if configured == (current is not False):
        return document
    return set_field(document, (*item_path, "metaData", "isConfigured"), configured)


class ActivityForm(PanelForm):
    """Name and description, which every activity has."""

    name = _short_text("Name", "Shown on the canvas and in reports.")
    description = ExactTextField(
        label="Description", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    paths: ClassVar[dict[str, FieldPath]] = {"name": ("name",), "description": ("description",)}
    # The fields whose change decides whether the activity is configured (see mark_configured).
    configuring_fields: ClassVar[tuple[str, ...]] = ()

    def __init__(
        self, document: Document, target: Target, data: Mapping[str, Any] | None = None
    ) -> None:
        super().__init__(document, target, data)
        entry = type_of(self.item)
        what = entry.label if entry else f"Activity {self.item.get('type')}"
        name = self.item.get("name")
        self.title = f"{what} · {name if isinstance(name, str) and name else target.key}"
        self.title_hint = target.key or ""

    def activity_path(self, document: Document) -> ItemPath:
        """The activity's path in `document` (LookupError when it is not there)."""
        item_path = self.locate(document)
        assert item_path is not None  # only a new goal or exit has none
        return item_path

    def edit(self, document: Document) -> Document:
        item_path = self.activity_path(document)
        document = self.write_paths(document, item_path)
        if set(self.configuring_fields) & set(self.changed_data):
            document = mark_configured(document, item_path, self.is_configured())
        return document

    def is_configured(self) -> bool:
        """Whether the configuring fields are all filled in (after the edit)."""
        return all(
            self.cleaned_data.get(name) not in (None, "") for name in self.configuring_fields
        )


HOW_LONG = "How long"
EXTENSION = ("isExtended", "specifiedTime", "timeZone")


class WaitByDurationForm(ActivityForm):
    waitDuration = forms.IntegerField(label="Wait for", min_value=1)
    waitUnit = forms.ChoiceField(label="Unit", choices=WAIT_UNITS)
    isExtended = forms.BooleanField(
        label="Then wait until a time of day",
        required=False,
        help_text="Extend the wait so contacts move on at the time below.",
    )
    specifiedTime = ExactTextField(
        label="Time of day", required=False, validators=[HOUR_MINUTE], help_text="HH:MM, 24-hour."
    )
    timeZone = _short_text(
        "Time zone", 'As Journey Builder names it, e.g. "Central Standard Time".'
    )
    paths = {
        **ActivityForm.paths,
        "waitDuration": (CONFIG, "waitDuration"),
        "waitUnit": (CONFIG, "waitUnit"),
        "isExtended": ("metaData", "isExtended"),
        "specifiedTime": (CONFIG, "specifiedTime"),
        "timeZone": (CONFIG, "timeZone"),
    }

    def __init__(
        self, document: Document, target: Target, data: Mapping[str, Any] | None = None
    ) -> None:
        super().__init__(document, target, data)
        # The number and unit are one value ("3 weeks"): saved together, as one revision that
        # renames a wait named for its duration once, not twice.
        duration = ["waitDuration", "waitUnit"]
        self.groups = [
            ("", [name for name in self.fields if name not in (*duration, *EXTENSION)]),
            (HOW_LONG, duration),
            ("", list(EXTENSION)),
        ]
        self.together[HOW_LONG] = Together(
            "The number and unit are saved together when you leave them (or press Enter)."
        )

    def check_together(self) -> None:
        if not self.cleaned_data.get("isExtended"):
            return
        if not self.cleaned_data.get("specifiedTime"):
            self.add_error("specifiedTime", "Choose the time of day to wait until.")
        if not self.cleaned_data.get("timeZone"):
            self.add_error("timeZone", "Choose the time zone of that time.")

    def edit(self, document: Document) -> Document:
        document = super().edit(document)
        return self._name_follows_the_wait(document)

    def _name_follows_the_wait(self, document: Document) -> Document:
        new_name = self.followed_name()
        if new_name is None:
            return document
        return set_field(document, (*self.activity_path(document), "name"), new_name)

    def followed_name(self) -> str | None:
        """A name that stated the old wait ("Wait 1 day", as a new wait is named) states the
        new one; a name the user gave (or changed in this save) stays as it is (None)."""
        if "name" in self.changed_data or not {"waitDuration", "waitUnit"} & set(self.changed_data):
            return None
        stated = wait_name(self.initial.get("waitDuration"), self.initial.get("waitUnit"))
        if str(self.initial.get("name") or "").casefold() != stated.casefold():
            return None
        return wait_name(self.cleaned_data["waitDuration"], self.cleaned_data["waitUnit"])

    def reshapes_panel(self) -> bool:
        """A name that followed the wait is redrawn in the panel: a kept panel would show the
        old name, and its next save would write that old name back."""
        return self.followed_name() is not None

    def describe_changes(self) -> list[str]:
        changed = self.changed_data
        phrases = [
            self.phrase(name) for name in changed if name not in ("waitDuration", "waitUnit")
        ]
        if "waitDuration" in changed or "waitUnit" in changed:
            old = self.wait_words(self.initial.get("waitDuration"), self.initial.get("waitUnit"))
            new = self.wait_words(self.cleaned_data["waitDuration"], self.cleaned_data["waitUnit"])
            phrases.insert(0, f"Wait {old} → {new}")
        return phrases

    def wait_words(self, amount: int | None, unit: str | None) -> str:
        """The wait in words: "3 days", "1 day"."""
        return "(not set)" if amount is None else duration_words(amount, unit)


class WaitByAttributeForm(WaitByDurationForm):
    waitEndDateAttributeExpression = _short_text(
        "Date to wait for",
        'The date attribute as Journey Builder writes it, e.g. {{Event.<entry key>."Birthday"}}.',
        required=True,
    )
    waitDuration = forms.IntegerField(
        label="Before (-) or after (+) the date",
        help_text="How long before or after the date contacts move on: -8 = 8 days before.",
    )
    field_order = ["name", "description", "waitEndDateAttributeExpression"]
    paths = {
        **WaitByDurationForm.paths,
        "waitEndDateAttributeExpression": (CONFIG, "waitEndDateAttributeExpression"),
    }
    configuring_fields = ("waitEndDateAttributeExpression",)

    def followed_name(self) -> str | None:
        return None  # "Wait 8 days" before a date is not a name new waits are given

    def wait_words(self, amount: int | None, unit: str | None) -> str:
        if amount is None or amount == 0:
            return "until the date" if amount == 0 else "(not set)"
        side = "before" if amount < 0 else "after"
        return f"{super().wait_words(abs(amount), unit)} {side} the date"


class EmailForm(ActivityForm):
    emailId = forms.IntegerField(
        label="Email ID",
        required=False,
        min_value=1,
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
        help_text="The Content Builder id of the email to send.",
    )
    emailSubject = _short_text("Email subject")
    preHeader = _short_text("Preheader", "The preview text shown after the subject.")
    senderProfileId = _short_text("Sender profile ID", "Who the email comes from.")
    deliveryProfileId = _short_text("Delivery profile ID")
    sendClassificationId = _short_text(
        "Send classification ID", "Commercial or transactional, and the profiles to use."
    )
    isTrackingClicks = forms.BooleanField(label="Track clicks", required=False)
    suppressionLists = LinesField(
        label="Suppression lists",
        separator=",",
        widget=forms.TextInput,
        help_text="Ids of the lists whose members never get this email, separated by commas.",
    )
    paths = {
        **ActivityForm.paths,
        **{
            name: (*SEND, name)
            for name in (
                "emailId",
                "emailSubject",
                "preHeader",
                "senderProfileId",
                "deliveryProfileId",
                "sendClassificationId",
                "isTrackingClicks",
                "suppressionLists",
            )
        },
    }
    configuring_fields = ("emailId",)

    def __init__(
        self, document: Document, target: Target, data: Mapping[str, Any] | None = None
    ) -> None:
        super().__init__(document, target, data)
        current = value_at(self.item, (*SEND, "suppressionLists"))
        if isinstance(current, list) and not all(isinstance(item, str) for item in current):
            # Lists of objects keep their shape: edit them as JSON rather than flatten them.
            self.fields["suppressionLists"] = JsonTextField(
                label="Suppression lists (JSON)", section="suppressionLists", expect=list
            )
            self.set_initial("suppressionLists", current)

    def use_catalog(self, catalog: Any) -> None:
        super().use_catalog(catalog)
        email = self.fields["emailId"]
        email.label = "Email"
        email.picker = catalog.picker("email", self.initial.get("emailId"))  # type: ignore[attr-defined]
        use_selects(self, catalog, PROFILE_FIELDS)


PROFILE_FIELDS = {
    "senderProfileId": "sender",
    "deliveryProfileId": "delivery",
    "sendClassificationId": "classification",
}


class SmsForm(ActivityForm):
    """An SMS: the MobileConnect message by name (searched, like an email), its keyword and
    short or long code by name in selects, where SFMC's catalog lists them
    (sfmc.catalog.fetch_mobile); choosing a message fills in its own keyword and code.

    The content asset (``assetId``, fixture 07) stays a free id field: no documented Content
    Builder asset type holds SMS content, so nothing lists those assets by name."""

    messageId = _short_text("Message ID", "The MobileConnect message to send.")
    keywordId = _short_text("Keyword ID")
    codeId = _short_text("Short or long code ID")
    assetId = forms.IntegerField(
        label="Content asset ID",
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )
    fromName = _short_text("From name", "The sender name or number contacts see.")
    isOptIn = forms.BooleanField(
        label="Opt-in message",
        required=False,
        help_text="Subscribes contacts to the keyword when sent.",
    )
    paths = {
        **ActivityForm.paths,
        **{
            name: (CONFIG, name)
            for name in ("messageId", "keywordId", "codeId", "assetId", "fromName", "isOptIn")
        },
    }
    configuring_fields = ("messageId",)

    def use_catalog(self, catalog: Any) -> None:
        super().use_catalog(catalog)
        message = self.fields["messageId"]
        message.label = "SMS message"
        message.picker = catalog.picker("sms_message", self.initial.get("messageId"))  # type: ignore[attr-defined]
        use_selects(self, catalog, {"keywordId": "sms_keyword", "codeId": "sms_code"})


class SendTimeForm(ActivityForm):
    slidingWindowHours = forms.IntegerField(
        label="Send within (hours)",
        min_value=1,
        help_text="Einstein sends at each contact's best time within this many hours.",
    )
    enableRandomTime = forms.BooleanField(label="Random send time", required=False)
    paths = {
        **ActivityForm.paths,
        "slidingWindowHours": (CONFIG, "params", "slidingWindowHours"),
        "enableRandomTime": (CONFIG, "params", "enableRandomTime"),
    }


class DataExtensionUpdateForm(ActivityForm):
    dataExtensionId = _short_text("Data extension ID", "The data extension to update.")
    field = _short_text("Field", "The id of the data extension field to set.")
    value = _short_text("Value", "Text or personalization such as {{DateTime.Now}}.")
    paths = {
        **ActivityForm.paths,
        "dataExtensionId": (CONFIG, "dataExtensionId"),
        "field": (CONFIG, "field"),
        "value": ("arguments", "value"),
    }
    configuring_fields = ("dataExtensionId", "field")

    def use_catalog(self, catalog: Any) -> None:
        super().use_catalog(catalog)
        use_data_extension_picker(self, catalog)
        fields = catalog.data_extension_fields(self.initial.get("dataExtensionId"))
        if fields:
            current = self.initial.get("field") or ""
            choices = [("", "— choose a field —"), *fields]
            if current and current not in dict(fields):
                choices.append((current, f"{current} (not a field of this data extension)"))
            select_widget(self.fields["field"], choices)


class CustomActivityForm(ActivityForm):
    url = ExactTextField(
        label="Execute URL",
        required=False,
        validators=[URLValidator(schemes=["https", "http"])],
        help_text="Journey Builder calls this for every contact.",
    )
    verb = forms.ChoiceField(label="HTTP method", choices=VERBS, required=False)
    timeout = forms.IntegerField(
        label="Timeout (ms)",
        required=False,
        min_value=1000,
        max_value=100000,
        help_text="How long to wait for the service: 1000 to 100000 ms (10000 if empty).",
    )
    inArguments = JsonTextField(
        label="Input arguments (JSON)",
        section="inArguments",
        expect=list,
        help_text='A list of objects, e.g. [{"discount": "15"}].',
    )
    paths = {
        **ActivityForm.paths,
        **{name: (*EXECUTE, name) for name in ("url", "verb", "timeout", "inArguments")},
    }
    configuring_fields = ("url",)


class UpdateContactForm(ActivityForm):
    dataExtensionId = _short_text("Data extension ID", "The data extension whose fields are set.")
    updateContactFields = RowsField(
        label="Fields to set",
        help_text="One per line: field = value. The field is the data extension field's id; "
        "the value may be personalization such as {{DateTime.Now}}.",
    )
    ROWS: ClassVar[FieldPath] = ("arguments", "activityData", "updateContactFields")

    def use_catalog(self, catalog: Any) -> None:
        super().use_catalog(catalog)
        use_data_extension_picker(self, catalog)
        fields = catalog.data_extension_fields(self.initial.get("dataExtensionId"))
        if fields:  # each row's field by name (field_rows.py); the text form stays for others
            rows = self.fields["updateContactFields"]
            rows.widget = FieldRowsWidget(fields)
            rows.help_text = (
                "Choose a field of this data extension for each row, and its value (text or "
                "personalization such as {{DateTime.Now}}). Empty a row's field and value to "
                "remove it."
            )

    def __init__(
        self, document: Document, target: Target, data: Mapping[str, Any] | None = None
    ) -> None:
        super().__init__(document, target, data)
        rows = self._rows(self.item)
        self.set_initial("dataExtensionId", rows[0].get("dataExtensionId") if rows else "")
        self.set_initial("updateContactFields", [_row_pair(row) for row in rows])

    def check_together(self) -> None:
        if self.cleaned_data.get("updateContactFields") and not self.cleaned_data.get(
            "dataExtensionId"
        ):
            self.add_error("dataExtensionId", "Say which data extension these fields belong to.")

    def edit(self, document: Document) -> Document:
        document = super().edit(document)
        if not {"dataExtensionId", "updateContactFields"} & set(self.changed_data):
            return document
        item_path = self.activity_path(document)
        rows = self._new_rows(self._rows(value_at(document, item_path)))
        document = set_field(document, (*item_path, *self.ROWS), rows)
        return mark_configured(document, item_path, bool(rows))

    def _rows(self, activity: Any) -> list[dict[str, Any]]:
        rows = value_at(activity, self.ROWS)
        return [row for row in rows if isinstance(row, dict)] if isinstance(rows, list) else []

    def _new_rows(self, old_rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        # A line left as it was keeps its row, extra keys and value type (0 stays a number);
        # so does a row whose field alone was changed (chosen anew by name).
        unused = list(old_rows)
        data_extension = self.cleaned_data["dataExtensionId"]
        rows = []
        for field, text in self.cleaned_data["updateContactFields"]:
            old = next((row for row in unused if _row_pair(row) == (field, text)), None)
            old = old or next((row for row in unused if _row_pair(row)[1] == text), None)
            if old is not None:
                unused.remove(old)
            new = {"dataExtensionId": "", "field": field, "value": text}
            row = {**old, "field": field} if old else new
            rows.append({**row, "dataExtensionId": data_extension})
        return rows


def use_data_extension_picker(form: ActivityForm, catalog: Any) -> None:
    field = form.fields["dataExtensionId"]
    field.label = "Data extension"
    field.picker = catalog.picker("data_extension", form.initial.get("dataExtensionId"))  # type: ignore[attr-defined]


def _row_pair(row: dict[str, Any]) -> tuple[str, str]:
    value = row.get("value")
    return str(row.get("field") or ""), "" if value is None else str(value)
