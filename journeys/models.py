"""The product's state: connections, journeys, remote snapshots, drafts and their history.

Documents are stored whole, as SFMC serves them, as JSON text (journeys.fields.DocumentField, key
order and numbers kept on every engine): one row read renders a journey whatever its size.
Revisions, many per draft, keep each unchanged part once (Revision.document, DocumentPart).
Every state change goes through `journeys.services`, which also writes the
AuditEvent in the same transaction.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import models
from django.db.models import Q

from journeys.domain.contact_records import record_summary
from journeys.domain.document_parts import Parts
from journeys.fields import DocumentField
from journeys.revision_store import read_document, write_document
from journeys.secrets import decrypt_secret, encrypt_secret


class ConnectionQuerySet(models.QuerySet["Connection"]):
    def usable_by(self, user: Any) -> ConnectionQuerySet:
        """Connections whose journeys `user` may see: unrestricted ones and their groups' ones.

        Only for users with a role: "unrestricted" means everyone with a role, not every login.
        """
        if not user.is_authenticated or not user.has_perm("journeys.view_connection"):
            return self.none()
        if user.is_superuser:
            return self
        return self.filter(
            Q(allowed_groups__isnull=True) | Q(allowed_groups__in=user.groups.all())
        ).distinct()


class Connection(models.Model):
    """One SFMC business unit: where to authenticate and call, and with which installed package."""

    name = models.CharField(max_length=100, unique=True)
    auth_base_url = models.URLField(
        help_text="e.g. https://mcxxxxxxxx.auth.marketingcloudapis.com", max_length=300
    )
    rest_base_url = models.URLField(
        help_text="e.g. https://mcxxxxxxxx.rest.marketingcloudapis.com", max_length=300
    )
    client_id = models.CharField(max_length=200)
    client_secret_encrypted = models.TextField(editable=False, default="")
    secret_updated_at = models.DateTimeField(null=True, editable=False)
    account_id = models.CharField("account id (MID)", max_length=40, blank=True)
    allowed_groups = models.ManyToManyField(
        Group,
        blank=True,
        help_text="Only members of these groups see this connection's journeys. Empty: everyone.",
    )
    require_passing_tests = models.BooleanField(
        "require passing test contacts",
        default=False,
        help_text="Approve only drafts with at least one test contact whose expectations all "
        "pass; the push checks them again on the approved revision.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ConnectionQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def set_client_secret(self, plaintext: str) -> None:
        from django.utils import timezone

        self.client_secret_encrypted = encrypt_secret(plaintext)
        self.secret_updated_at = timezone.now()

    def get_client_secret(self) -> str:
        return decrypt_secret(self.client_secret_encrypted)

    @property
    def has_secret(self) -> bool:
        return bool(self.client_secret_encrypted)


class JourneyQuerySet(models.QuerySet["Journey"]):
    def visible_to(self, user: Any) -> JourneyQuerySet:
        return self.filter(connection__in=Connection.objects.usable_by(user))


class Journey(models.Model):
    """A journey's remote identity: its key (and id once SFMC assigned one) on one connection."""

    connection = models.ForeignKey(Connection, on_delete=models.PROTECT, related_name="journeys")
    key = models.CharField(max_length=200)
    remote_id = models.CharField("SFMC id", max_length=64, blank=True)
    name = models.CharField(max_length=400)
    latest_remote_version = models.PositiveIntegerField(null=True, blank=True)
    latest_remote_status = models.CharField(max_length=40, blank=True)
    latest_remote_modified_date = models.CharField(max_length=40, blank=True)
    # The background check of SFMC's latest version (services.remote.request_remote_check):
    # when one was last asked for (at most one per freshness window), when the last one ended,
    # and why it failed ("" when it got an answer).
    remote_check_requested_at = models.DateTimeField(null=True, blank=True, editable=False)
    remote_checked_at = models.DateTimeField(null=True, blank=True, editable=False)
    remote_check_error = models.CharField(max_length=500, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = JourneyQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["connection", "key"], name="unique_journey_key"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.key})"


class RemoteSnapshot(models.Model):
    """An immutable copy of one remote version, exactly as fetched (modifiedDate kept verbatim)."""

    journey = models.ForeignKey(Journey, on_delete=models.CASCADE, related_name="snapshots")
    version = models.PositiveIntegerField()
    modified_date = models.CharField(max_length=40)
    status = models.CharField(max_length=40)
    document = DocumentField()
    content_hash = models.CharField(max_length=64)
    fetched_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-fetched_at"]
        get_latest_by = "fetched_at"

    def __str__(self) -> str:
        return f"{self.journey.key} v{self.version} @ {self.modified_date}"


class ActivityKey(models.Model):
    """An activity key the journey's lineage has used: in any revision of its drafts or any
    remote version fetched. The editor never hands it to a new activity (catalog.next_key).

    Kept as rows (filled when snapshots and revisions are saved) rather than computed from the
    documents: one indexed query instead of reading every revision of a draft on each insert,
    and the unique constraint makes concurrent recording safe. `from_sfmc`: the key was first
    seen carrying an SFMC activity id (SFMC made it), not made by the editor (diff.is_replaced).
    """

    journey = models.ForeignKey(Journey, on_delete=models.CASCADE, related_name="activity_keys")
    key = models.CharField(max_length=200)
    from_sfmc = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["journey", "key"], name="unique_activity_key"),
        ]

    def __str__(self) -> str:
        return f"{self.key} in {self.journey_id}"


class DraftQuerySet(models.QuerySet["Draft"]):
    def visible_to(self, user: Any) -> DraftQuerySet:
        return self.filter(journey__in=Journey.objects.visible_to(user))

    def matching(self, user: Any, *, text: str, state: str, mine: bool) -> DraftQuerySet:
        """The journeys list's filters: name or key contains `text`, a state, the user's own."""
        drafts = self
        if text:
            drafts = drafts.filter(
                Q(journey__name__icontains=text) | Q(journey__key__icontains=text)
            )
        if state:
            drafts = drafts.filter(state=state)
        if mine:
            drafts = drafts.filter(author=user)
        return drafts

    def awaiting_review(self) -> DraftQuerySet:
        return self.filter(state=Draft.State.IN_REVIEW).order_by("submitted_at")


class Draft(models.Model):
    """The working copy of a journey; `revision_number` is the optimistic lock every save quotes."""

    class State(models.TextChoices):
        EDITING = "editing", "Editing"
        IN_REVIEW = "in_review", "In review"
        # Sent back by an approver: kept through the author's edits until resubmitted, so the
        # list, the editor and the review keep saying what the author has to do next.
        CHANGES_REQUESTED = "changes_requested", "Changes requested"
        APPROVED = "approved", "Approved"
        PUSHED = "pushed", "Pushed"

    journey = models.ForeignKey(Journey, on_delete=models.CASCADE, related_name="drafts")
    base_snapshot = models.ForeignKey(
        RemoteSnapshot,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="drafts",
        help_text="The remote version this draft started from; empty for a journey new to SFMC.",
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    state = models.CharField(max_length=20, choices=State.choices, default=State.EDITING)
    document = DocumentField()
    content_hash = models.CharField(max_length=64)
    revision_number = models.PositiveIntegerField(default=1)
    # Revision numbers whose content undo and redo bring back; kept here so they survive reloads.
    undo_stack = models.JSONField(default=list, blank=True)
    redo_stack = models.JSONField(default=list, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = DraftQuerySet.as_manager()

    class Meta:
        ordering = ["-updated_at"]
        permissions = [
            ("approve_draft", "Can approve or request changes on drafts"),
            ("push_draft", "Can push approved drafts to SFMC"),
        ]

    def __str__(self) -> str:
        return f"Draft #{self.pk} of {self.journey.name}"


class RevisionManager(models.Manager["Revision"]):
    def add(
        self, document: Any, *, split: tuple[object, Parts] | None = None, **fields: Any
    ) -> Revision:
        """Save a new revision of `document` (`create(document=...)` as typed code can say it:
        `document` is a property, not a column). `split`: document_parts.split(document), when
        the caller has it."""
        revision = self.model(**fields)
        revision.document = document
        revision.__dict__["_split"] = split
        revision.save(force_insert=True, using=self.db)
        return revision


class Revision(models.Model):
    """One saved state of a draft; append-only, numbered from 1.

    `document` reads and sets the whole document as before; it is stored as a `skeleton` and
    the DocumentPart rows its `layout` names (journeys.revision_store), so a one-field edit adds
    one activity's text, not the whole journey's. Set it before the row is first saved.
    """

    draft = models.ForeignKey(Draft, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    skeleton = DocumentField()
    layout = DocumentField(default=dict, blank=True)
    content_hash = models.CharField(max_length=64)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    summary = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = RevisionManager()

    class Meta:
        ordering = ["draft", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["draft", "number"], name="unique_revision_number"),
        ]

    def __str__(self) -> str:
        return f"Revision {self.number} of draft #{self.draft_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.__dict__.pop("_document_unsaved", False):
            split = self.__dict__.pop("_split", None)
            self.skeleton, self.layout = write_document(
                DocumentPart, self.draft_id, self.document, split
            )
        super().save(*args, **kwargs)

    @property
    def document(self) -> Any:
        """The document exactly as it was saved; its parts are read (one query) on first use."""
        if "_document" not in self.__dict__:
            self.__dict__["_document"] = (
                None
                if self.skeleton is None
                else read_document(DocumentPart, self.draft_id, self.skeleton, self.layout)
            )
        return self.__dict__["_document"]

    @document.setter
    def document(self, value: Any) -> None:
        self.__dict__["_document"] = value
        self.__dict__["_document_unsaved"] = True


class DocumentPart(models.Model):
    """A part of a draft's revisions (journeys.domain.document_parts): an activity, a trigger,
    a large setting, as JSON text named by its SHA-256; stored once, whatever uses it."""

    draft = models.ForeignKey(Draft, on_delete=models.CASCADE, related_name="+")
    digest = models.CharField(max_length=64)
    text = models.TextField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["draft", "digest"], name="unique_document_part"),
        ]

    def __str__(self) -> str:
        return f"Part {self.digest[:12]} of draft #{self.draft_id}"


class Approval(models.Model):
    """A reviewer's decision on one exact content hash; approving binds the push to that hash."""

    class Decision(models.TextChoices):
        APPROVED = "approved", "Approved"
        CHANGES_REQUESTED = "changes_requested", "Changes requested"

    draft = models.ForeignKey(Draft, on_delete=models.CASCADE, related_name="approvals")
    revision = models.ForeignKey(Revision, on_delete=models.PROTECT, related_name="approvals")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    decision = models.CharField(max_length=20, choices=Decision.choices)
    comment = models.TextField(blank=True)
    content_hash = models.CharField(max_length=64)
    # The test contacts and their results when approved (domain/contact_records.py); {} for a
    # request for changes.
    test_results = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_decision_display()} by {self.reviewer} on draft #{self.draft_id}"

    @property
    def tests_summary(self) -> str:
        """ "5 test contacts, all expectations met" (approvals only)."""
        if self.decision != self.Decision.APPROVED:
            return ""
        return record_summary(self.test_results)


class Comment(models.Model):
    """A review comment on a draft, optionally pinned to an activity (by key, so it stays
    attached across revisions); replies point at their thread's first comment."""

    draft = models.ForeignKey(Draft, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    activity_key = models.CharField(max_length=200, blank=True)
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="replies"
    )
    body = models.TextField()
    revision_number = models.PositiveIntegerField()
    resolved = models.BooleanField(default=False)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"Comment by {self.author} on draft #{self.draft_id}"


class PushAttempt(models.Model):
    """One push of an approved revision; the row is the source of truth the UI polls."""

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Sending"
        RETRYING = "retrying", "Retrying"
        SUCCEEDED = "succeeded", "Succeeded"
        CONFLICT = "conflict", "Conflict"
        FAILED = "failed", "Failed"

    FINAL_STATES = (State.SUCCEEDED, State.CONFLICT, State.FAILED)

    draft = models.ForeignKey(Draft, on_delete=models.CASCADE, related_name="push_attempts")
    revision = models.ForeignKey(Revision, on_delete=models.PROTECT, related_name="push_attempts")
    approval = models.ForeignKey(Approval, on_delete=models.PROTECT, null=True, blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    payload_hash = models.CharField(max_length=64)
    state = models.CharField(max_length=20, choices=State.choices, default=State.QUEUED)
    tries = models.PositiveIntegerField(default=0)
    remote_version_before = models.PositiveIntegerField(null=True, blank=True)
    remote_modified_before = models.CharField(max_length=40, blank=True)
    remote_version_after = models.PositiveIntegerField(null=True, blank=True)
    remote_modified_after = models.CharField(max_length=40, blank=True)
    error_code = models.CharField(max_length=40, blank=True)
    error_message = models.TextField(blank=True)
    error_details = models.JSONField(default=dict, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    next_retry_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # Two pushes of one draft at once: the database refuses the second active attempt.
            models.UniqueConstraint(
                fields=["draft"],
                condition=Q(state__in=["queued", "running", "retrying"]),
                name="one_active_push_per_draft",
            ),
        ]

    def __str__(self) -> str:
        return f"Push #{self.pk} of draft #{self.draft_id}: {self.state}"

    @property
    def is_final(self) -> bool:
        return self.state in self.FINAL_STATES


class AuditEvent(models.Model):
    """Append-only record of every state change: who, what, when, on which revision and hash."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    action = models.CharField(max_length=60)
    journey = models.ForeignKey(
        Journey, on_delete=models.SET_NULL, null=True, blank=True, related_name="audit_events"
    )
    draft = models.ForeignKey(
        Draft, on_delete=models.SET_NULL, null=True, blank=True, related_name="audit_events"
    )
    revision_number = models.PositiveIntegerField(null=True, blank=True)
    content_hash = models.CharField(max_length=64, blank=True)
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.action} by {self.actor or 'system'} at {self.created_at:%Y-%m-%d %H:%M}"


class MergeSession(models.Model):
    """One three-way merge offered to the user: base (what the draft started from), ours (the
    approved revision, or the draft's current one) and theirs (SFMC as fetched).

    The documents stay in their snapshots and revision; `conflicts` (Conflict.as_dict) and
    `merged_document` (the provisional result, ours' value where there is a conflict) are what
    the merge screen shows, and `choices` ({conflict id: {"take": side} | {"custom": value}})
    what was picked, carried into the next round if SFMC changes again.
    """

    class Origin(models.TextChoices):
        PUSH = "push", "Push rejected by SFMC"
        UPDATE = "update", "Update from SFMC"

    class State(models.TextChoices):
        OPEN = "open", "Open"
        RESOLVED = "resolved", "Resolved"
        SUPERSEDED = "superseded", "Superseded"

    draft = models.ForeignKey(Draft, on_delete=models.CASCADE, related_name="merge_sessions")
    attempt = models.ForeignKey(
        PushAttempt, on_delete=models.CASCADE, null=True, blank=True, related_name="merges"
    )
    origin = models.CharField(max_length=10, choices=Origin.choices)
    state = models.CharField(max_length=12, choices=State.choices, default=State.OPEN)
    base_snapshot = models.ForeignKey(
        RemoteSnapshot, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    theirs_snapshot = models.ForeignKey(RemoteSnapshot, on_delete=models.PROTECT, related_name="+")
    ours_revision = models.ForeignKey(Revision, on_delete=models.PROTECT, related_name="+")
    ours_hash = models.CharField(max_length=64)
    conflicts = DocumentField(default=list, blank=True)
    merged_document = DocumentField()
    choices = DocumentField(default=dict, blank=True)
    result_revision = models.ForeignKey(
        Revision, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    kept_approval = models.BooleanField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Merge #{self.pk} of draft #{self.draft_id}: {self.state}"


class PublishRequest(models.Model):
    """One publish (activation) of the SFMC version a successful push created; the UI polls it.

    `unconfirmed_send_at` is set just before a publishAsync goes out and cleared when SFMC's
    answer says what happened: while it is set, the next run looks at the version before it
    asks again, so a publish whose answer was lost (or whose worker died) is never sent twice.
    """

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Working"
        WAITING = "waiting", "Publishing"
        RETRYING = "retrying", "Retrying"
        SUCCEEDED = "succeeded", "Published"
        FAILED = "failed", "Failed"

    ACTIVE_STATES = (State.QUEUED, State.RUNNING, State.WAITING, State.RETRYING)
    FINAL_STATES = (State.SUCCEEDED, State.FAILED)

    draft = models.ForeignKey(Draft, on_delete=models.CASCADE, related_name="publish_requests")
    push_attempt = models.ForeignKey(
        PushAttempt, on_delete=models.PROTECT, related_name="publish_requests"
    )
    revision = models.ForeignKey(
        Revision, on_delete=models.PROTECT, related_name="publish_requests"
    )
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    remote_id = models.CharField("SFMC id", max_length=64, blank=True)
    version = models.PositiveIntegerField()
    state = models.CharField(max_length=20, choices=State.choices, default=State.QUEUED)
    status_id = models.CharField("publish status id", max_length=64, blank=True)
    remote_status = models.CharField(max_length=40, blank=True)
    runs = models.PositiveIntegerField(default=0)
    polls = models.PositiveIntegerField(default=0)
    sends = models.PositiveIntegerField(default=0)
    failures = models.PositiveIntegerField(default=0)
    unconfirmed_send_at = models.DateTimeField(null=True, blank=True)
    errors = models.JSONField(default=list, blank=True)
    warnings = models.JSONField(default=list, blank=True)
    notes = models.JSONField(default=list, blank=True)
    error_code = models.CharField(max_length=40, blank=True)
    error_message = models.TextField(blank=True)
    last_published_date = models.CharField(max_length=40, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    next_poll_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["draft"],
                condition=Q(state__in=["queued", "running", "waiting", "retrying"]),
                name="one_active_publish_per_draft",
            ),
        ]

    def __str__(self) -> str:
        return f"Publish #{self.pk} of draft #{self.draft_id}, version {self.version}: {self.state}"

    @property
    def is_final(self) -> bool:
        return self.state in self.FINAL_STATES


# The catalog cache lives in its own module; imported here so Django registers its models.
from journeys.catalog_models import (  # noqa: E402, F401
    CatalogAttributeSet,
    CatalogDataExtension,
    CatalogEmail,
    CatalogEvent,
    CatalogKind,
    CatalogProfile,
    CatalogRefresh,
)

# Test contacts hang on drafts; their module is imported here for the same reason.
from journeys.contact_models import TestContact as TestContact  # noqa: E402

# What users are told (the inbox) and how they want to be told; imported for the same reason.
from journeys.notification_models import Notification as Notification  # noqa: E402
from journeys.notification_models import (  # noqa: E402
    NotificationPreference as NotificationPreference,
)

# What each user wrote in the current minute (services/limits.py); imported for the same reason.
from journeys.quota_models import WriteQuota as WriteQuota  # noqa: E402

# The team's own rules hang on connections; imported here for the same reason.
from journeys.team_rule_models import TeamRule as TeamRule  # noqa: E402
