"""What users are told about the drafts they work on (their in-app inbox), and how each wants to
be told (`services/notifications.py` makes both)."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Notification(models.Model):
    """One thing one user was told: a line naming the journey and the people, and where to go."""

    class Kind(models.TextChoices):
        REVIEW_REQUESTED = "review_requested", "Review requested"
        DECIDED = "decided", "Decision made"
        COMMENT = "comment", "Comment or reply"
        APPROVAL_VOIDED = "approval_voided", "Approval voided by an edit"
        PUSH_SUCCEEDED = "push_succeeded", "Push succeeded"
        PUSH_FAILED = "push_failed", "Push failed"
        PUSH_CONFLICT = "push_conflict", "Push met a conflict"
        MERGE_WAITING = "merge_waiting", "Merge waiting"
        PUBLISH_SUCCEEDED = "publish_succeeded", "Publish finished"
        PUBLISH_FAILED = "publish_failed", "Publish failed"

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=30, choices=Kind.choices)
    journey = models.ForeignKey(
        "journeys.Journey", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    draft = models.ForeignKey(
        "journeys.Draft", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    text = models.CharField(max_length=1000)
    # The page to open, as a path of this site (made absolute with SITE_URL where shown).
    url = models.CharField(max_length=500)
    emailed = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at"], name="notification_unread")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.recipient}: {self.text[:60]}"

    @property
    def absolute_url(self) -> str:
        return settings.SITE_URL.rstrip("/") + self.url


class NotificationPreference(models.Model):
    """How one user wants to be told; without a row, by email and in the app."""

    class Delivery(models.TextChoices):
        EMAIL = "email", "By email and in the app"
        IN_APP = "in_app", "In the app only"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference"
    )
    delivery = models.CharField(max_length=10, choices=Delivery.choices, default=Delivery.EMAIL)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.user}: {self.get_delivery_display()}"
