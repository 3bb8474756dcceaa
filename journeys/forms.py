from __future__ import annotations

from typing import Any

from django import forms

from journeys.lengths import journey_name_limit, length_refusal, max_length
from journeys.models import Comment, Connection, Draft, NotificationPreference
from journeys.uploads import UploadField


class ConnectionChoiceForm(forms.Form):
    connection = forms.ModelChoiceField(queryset=Connection.objects.none(), empty_label=None)

    def __init__(self, *args: Any, connections: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["connection"].queryset = connections  # type: ignore[attr-defined]


class NewJourneyForm(ConnectionChoiceForm):
    name = forms.CharField()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["name"].widget.attrs["maxlength"] = str(journey_name_limit())

    def clean_name(self) -> str:
        name: str = self.cleaned_data["name"]
        refusal = length_refusal("The name", name, journey_name_limit())
        if refusal:
            raise forms.ValidationError(refusal, code="max_length")
        return name


class UploadJourneyForm(ConnectionChoiceForm):
    file = UploadField(help_text="A journey as JSON, as SFMC or mcdev exports it.")


class RemoteSearchForm(forms.Form):
    STATUSES = ["", "Draft", "Published", "ScheduledToPublish", "Stopped", "Unpublished", "Paused"]

    q = forms.CharField(required=False, max_length=200, label="Name or description")
    status = forms.ChoiceField(required=False, choices=[(s, s or "Any status") for s in STATUSES])
    page = forms.IntegerField(required=False, min_value=1, max_value=10_000)


class ImportForm(forms.Form):
    remote_id = forms.CharField(max_length=200)
    version = forms.IntegerField(required=False, min_value=1)


class RevisionForm(forms.Form):
    """The draft revision an edit was made on: the optimistic lock every edit quotes."""

    revision = forms.IntegerField(min_value=1, widget=forms.HiddenInput)


class EditForm(RevisionForm):
    OPS = [
        "insert",
        "delete",
        "add-branch",
        "remove-branch",
        "relink",
        "add-goal",
        "add-exit",
        "remove-goal",
        "remove-exit",
    ]

    op = forms.ChoiceField(choices=[(op, op) for op in OPS])
    type_id = forms.CharField(required=False, max_length=60)
    after = forms.CharField(required=False, max_length=200)
    key = forms.CharField(required=False, max_length=200)
    outcome_key = forms.CharField(required=False, max_length=200)
    keep_branch = forms.CharField(required=False, max_length=200)
    target = forms.CharField(required=False, max_length=200)
    label = forms.CharField(required=False, max_length=200)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        needs = {
            "insert": ["type_id"],
            "delete": ["key"],
            "add-branch": ["key"],
            "remove-branch": ["key", "outcome_key"],
            "relink": ["key", "outcome_key"],
        }.get(cleaned.get("op", ""), [])
        for name in needs:
            if not cleaned.get(name):
                self.add_error(name, "Required for this edit.")
        return cleaned


class SubmitForm(RevisionForm):
    message = forms.CharField(
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Message to the approvers",
    )


class DecisionForm(RevisionForm):
    decision = forms.ChoiceField(choices=[("approve", "Approve"), ("changes", "Request changes")])
    comment = forms.CharField(
        required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )
    # "Approve anyway": the newer SFMC version (its snapshot) the approver was warned about.
    stale_base_confirmed = forms.IntegerField(required=False, min_value=1)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("decision") == "changes" and not cleaned.get("comment", "").strip():
            self.add_error("comment", "Say what needs to change: a comment is required.")
        return cleaned


class CommentForm(forms.Form):
    body = forms.CharField(
        max_length=4000, widget=forms.Textarea(attrs={"rows": 3}), label="Comment"
    )
    activity_key = forms.CharField(
        required=False, max_length=max_length(Comment, "activity_key"), widget=forms.HiddenInput
    )
    parent = forms.IntegerField(required=False, widget=forms.HiddenInput)


class DraftFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=200, label="Search")
    state = forms.ChoiceField(
        required=False, choices=[("", "Any state"), *Draft.State.choices], label="State"
    )
    mine = forms.BooleanField(required=False, label="Only my drafts")


class NotificationSettingsForm(forms.Form):
    delivery = forms.ChoiceField(
        choices=NotificationPreference.Delivery.choices,
        widget=forms.RadioSelect,
        label="How do you want to be told about your drafts and reviews?",
    )
