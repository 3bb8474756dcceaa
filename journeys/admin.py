from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html

from journeys import models
from journeys.services.remote import check_connection_urls, verify_connection
from journeys.sfmc.errors import HostNotAllowed, SFMCError


def pretty_json(value: Any) -> str:
    """Read-only, escaped, indented JSON for admin detail pages."""
    return format_html(
        '<pre class="document-json">{}</pre>',
        json.dumps(value, indent=2, ensure_ascii=False, sort_keys=False),
    )


class NoAddAdmin:
    """Rows of this model are made by the product's services, never typed in admin."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


class ViewOnlyAdmin(NoAddAdmin):
    """Records (snapshots, revisions, audit, merges, publishes): shown, never edited."""

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ConnectionForm(forms.ModelForm[models.Connection]):
    """The client secret is write-only: never rendered back, kept when left blank."""

    auth_base_url = forms.URLField(assume_scheme="https", max_length=300)
    rest_base_url = forms.URLField(assume_scheme="https", max_length=300)
    client_secret = forms.CharField(
        widget=forms.PasswordInput(render_value=False),
        required=False,
        help_text="Write-only. Leave blank to keep the stored secret.",
    )

    class Meta:
        model = models.Connection
        fields = [
            "name",
            "auth_base_url",
            "rest_base_url",
            "client_id",
            "account_id",
            "allowed_groups",
            "require_passing_tests",
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for field in ("auth_base_url", "rest_base_url"):
            if cleaned.get(field):
                try:
                    check_connection_urls(cleaned[field])
                except HostNotAllowed as exc:
                    self.add_error(field, str(exc))
        if not cleaned.get("client_secret") and not self.instance.has_secret:
            self.add_error("client_secret", "A client secret is required for a new connection.")
        return cleaned

    def save(self, commit: bool = True) -> models.Connection:
        connection = super().save(commit=False)
        if self.cleaned_data.get("client_secret"):
            connection.set_client_secret(self.cleaned_data["client_secret"])
        if commit:
            connection.save()
            self.save_m2m()
        return connection


class TeamRuleInline(admin.TabularInline[models.TeamRule, models.Connection]):
    """The team's own rules for this connection's journeys; the parameters are checked (a bad
    pattern is a form error naming where it breaks)."""

    model = models.TeamRule
    fields = ("rule_id", "enabled", "severity", "parameters")
    extra = 0
    verbose_name = "team rule"
    verbose_name_plural = "team rules (errors block approval, warnings are shown)"


@admin.register(models.Connection)
class ConnectionAdmin(admin.ModelAdmin[models.Connection]):
    form = ConnectionForm
    inlines = [TeamRuleInline]
    list_display = [
        "name",
        "rest_base_url",
        "client_id",
        "account_id",
        "require_passing_tests",
        "secret_updated_at",
    ]
    search_fields = ["name", "client_id", "account_id", "rest_base_url"]
    readonly_fields = ["secret_status", "created_at", "updated_at"]
    actions = ["test_connections"]

    @admin.action(description="Test connection")
    def test_connections(self, request: HttpRequest, queryset: QuerySet[models.Connection]) -> None:
        for connection in queryset:
            try:
                result = verify_connection(request.user, connection)
            except SFMCError as exc:
                self.message_user(request, f"{connection}: {exc}", messages.ERROR)
            else:
                self.message_user(request, f"{connection}: {result}", messages.SUCCESS)

    @admin.display(description="client secret")
    def secret_status(self, obj: models.Connection) -> str:
        if not obj.has_secret:
            return "not set"
        return f"•••• set on {obj.secret_updated_at:%Y-%m-%d %H:%M}"


class RemoteSnapshotInline(admin.TabularInline[models.RemoteSnapshot, models.Journey]):
    model = models.RemoteSnapshot
    fields = readonly_fields = ("version", "status", "modified_date", "content_hash", "fetched_at")
    extra = 0
    can_delete = False
    show_change_link = True


@admin.register(models.Journey)
class JourneyAdmin(admin.ModelAdmin[models.Journey]):
    list_display = ["name", "key", "connection", "latest_remote_version", "latest_remote_status"]
    list_filter = ["connection", "latest_remote_status"]
    search_fields = ["name", "key", "remote_id"]
    readonly_fields = ["created_at", "updated_at"]
    inlines = [RemoteSnapshotInline]


class ReadOnlyDocumentAdmin(admin.ModelAdmin[Any]):
    """Documents are shown as pretty JSON and never edited raw in admin."""

    class Media:
        css = {"all": ["journeys/admin/admin.css"]}

    @admin.display(description="document")
    def document_json(self, obj: Any) -> str:
        return pretty_json(obj.document)


@admin.register(models.RemoteSnapshot)
class RemoteSnapshotAdmin(ViewOnlyAdmin, ReadOnlyDocumentAdmin):
    list_display = ["journey", "version", "status", "modified_date", "fetched_at"]
    list_filter = ["status", "journey__connection"]
    search_fields = ["journey__name", "journey__key", "content_hash"]
    exclude = ["document"]
    readonly_fields = [
        "journey",
        "version",
        "modified_date",
        "status",
        "content_hash",
        "fetched_at",
        "document_json",
    ]


class RevisionInline(admin.TabularInline[models.Revision, models.Draft]):
    model = models.Revision
    fields = readonly_fields = ("number", "author", "summary", "content_hash", "created_at")
    extra = 0
    can_delete = False
    show_change_link = True


@admin.register(models.Draft)
class DraftAdmin(NoAddAdmin, ReadOnlyDocumentAdmin):
    list_display = ["__str__", "journey", "author", "state", "revision_number", "updated_at"]
    list_filter = ["state", "journey__connection"]
    search_fields = ["journey__name", "journey__key", "author__username"]
    exclude = ["document"]
    readonly_fields = [
        "journey",
        "base_snapshot",
        "author",
        "state",
        "revision_number",
        "content_hash",
        "submitted_at",
        "created_at",
        "updated_at",
        "document_json",
    ]
    inlines = [RevisionInline]


@admin.register(models.Revision)
class RevisionAdmin(ViewOnlyAdmin, ReadOnlyDocumentAdmin):
    list_display = ["draft", "number", "author", "summary", "created_at"]
    search_fields = ["draft__journey__name", "summary", "content_hash"]
    exclude = ["skeleton", "layout"]
    readonly_fields = [
        "draft",
        "number",
        "author",
        "summary",
        "content_hash",
        "created_at",
        "document_json",
    ]


@admin.register(models.Approval)
class ApprovalAdmin(NoAddAdmin, admin.ModelAdmin[models.Approval]):
    list_display = ["draft", "decision", "reviewer", "content_hash", "created_at"]
    list_filter = ["decision"]
    search_fields = ["draft__journey__name", "reviewer__username", "comment"]
    readonly_fields = [
        "draft",
        "revision",
        "reviewer",
        "decision",
        "comment",
        "content_hash",
        "test_results",
        "created_at",
    ]


@admin.register(models.PushAttempt)
class PushAttemptAdmin(ViewOnlyAdmin, admin.ModelAdmin[models.PushAttempt]):
    """What was sent to SFMC, when and by whom: the worker and the Push button change these.

    Never deleted here either, so a draft that was pushed cannot be deleted in admin (its push
    attempts would go with it)."""

    list_display = ["__str__", "draft", "state", "tries", "requested_by", "created_at"]
    list_filter = ["state"]
    search_fields = ["draft__journey__name", "error_message", "payload_hash"]
    readonly_fields = [field.name for field in models.PushAttempt._meta.fields]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(models.AuditEvent)
class AuditEventAdmin(ViewOnlyAdmin, admin.ModelAdmin[models.AuditEvent]):
    class Media:
        css = {"all": ["journeys/admin/admin.css"]}

    list_display = ["created_at", "action", "actor", "journey", "draft", "revision_number"]
    list_filter = ["action"]
    search_fields = ["action", "actor__username", "journey__name", "content_hash"]
    readonly_fields = [
        "created_at",
        "action",
        "actor",
        "journey",
        "draft",
        "revision_number",
        "content_hash",
        "details_json",
    ]
    exclude = ["details"]

    @admin.display(description="details")
    def details_json(self, obj: models.AuditEvent) -> str:
        return pretty_json(obj.details)

    # The audit trail is append-only, for admins too.

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(models.MergeSession)
class MergeSessionAdmin(ViewOnlyAdmin, ReadOnlyDocumentAdmin):
    list_display = ["__str__", "draft", "origin", "state", "created_at"]
    list_filter = ["origin", "state"]
    search_fields = ["draft__journey__name", "draft__journey__key"]
    exclude = ["conflicts", "merged_document", "choices"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        fields = models.MergeSession._meta.fields
        shown = [field.name for field in fields if field.name not in self.exclude]
        return [*shown, "conflicts_json", "merged_document_json", "choices_json"]

    @admin.display(description="conflicts")
    def conflicts_json(self, obj: models.MergeSession) -> str:
        return pretty_json(obj.conflicts)

    @admin.display(description="merged document")
    def merged_document_json(self, obj: models.MergeSession) -> str:
        return pretty_json(obj.merged_document)

    @admin.display(description="choices")
    def choices_json(self, obj: models.MergeSession) -> str:
        return pretty_json(obj.choices)


@admin.register(models.Comment)
class CommentAdmin(admin.ModelAdmin[models.Comment]):
    list_display = ["__str__", "activity_key", "resolved", "created_at"]
    list_filter = ["resolved"]
    search_fields = ["body", "author__username", "draft__journey__name", "activity_key"]
    readonly_fields = ["draft", "author", "parent", "revision_number", "created_at"]


@admin.register(models.PublishRequest)
class PublishRequestAdmin(ViewOnlyAdmin, admin.ModelAdmin[models.PublishRequest]):
    """Publishes are read-only here: the worker and the Publish button change them."""

    list_display = ["__str__", "draft", "version", "state", "runs", "requested_by", "created_at"]
    list_filter = ["state"]
    search_fields = ["draft__journey__name", "draft__journey__key", "status_id", "error_message"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [field.name for field in models.PublishRequest._meta.fields]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(models.ActivityKey)
class ActivityKeyAdmin(ViewOnlyAdmin, admin.ModelAdmin[models.ActivityKey]):
    list_display = ["key", "journey", "from_sfmc"]
    list_filter = ["from_sfmc"]
    search_fields = ["key", "journey__name", "journey__key"]


@admin.register(models.TestContact)
class TestContactAdmin(ViewOnlyAdmin, admin.ModelAdmin[models.TestContact]):
    list_display = ["name", "draft", "entered_at", "updated_at"]
    search_fields = ["name", "contact_key", "draft__journey__name"]
    readonly_fields = [field.name for field in models.TestContact._meta.fields]


@admin.register(models.Notification)
class NotificationAdmin(ViewOnlyAdmin, admin.ModelAdmin[models.Notification]):
    """What each user was told: shown, never written here (the services make them)."""

    list_display = ["created_at", "recipient", "kind", "journey", "emailed", "read_at"]
    list_filter = ["kind", "emailed"]
    search_fields = ["recipient__username", "journey__name", "text"]
    readonly_fields = [field.name for field in models.Notification._meta.fields]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(models.NotificationPreference)
class NotificationPreferenceAdmin(ViewOnlyAdmin, admin.ModelAdmin[models.NotificationPreference]):
    """How each user chose to be told (they choose on their own settings page)."""

    list_display = ["user", "delivery", "updated_at"]
    readonly_fields = [field.name for field in models.NotificationPreference._meta.fields]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
