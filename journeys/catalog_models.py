"""The cache of SFMC's catalog, one per Connection (filled by services/catalog.py).

Pickers and names read only these tables, never SFMC, so no page waits on SFMC. Each kind is
replaced whole by a refresh; ``CatalogKind`` says when each kind was last refreshed (or why not).
"""

from __future__ import annotations

from django.db import models


class CatalogKind(models.Model):
    """One kind of catalog object on one connection: when it was last refreshed, or the error."""

    KINDS = [
        ("emails", "emails"),
        ("events", "entry events"),
        ("data_extensions", "data extensions"),
        ("attribute_sets", "attribute sets"),
        ("profiles", "sender and delivery profiles, send classifications"),
        ("sms", "SMS messages, keywords and codes"),
    ]
    connection = models.ForeignKey(
        "journeys.Connection", on_delete=models.CASCADE, related_name="catalog_kinds"
    )
    kind = models.CharField(max_length=20, choices=KINDS)
    refreshed_at = models.DateTimeField(null=True, blank=True)
    available = models.BooleanField(default=True)  # False: the tenant has no such API (404)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["connection", "kind"], name="one_catalog_kind")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of {self.connection_id}"


class CatalogRefresh(models.Model):
    """The connection's catalog refresh: asked for (claimed by one conditional UPDATE), running,
    finished, and the last error in plain words (shown with a retry)."""

    connection = models.OneToOneField(
        "journeys.Connection", on_delete=models.CASCADE, related_name="catalog_refresh"
    )
    requested_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"Catalog refresh of connection {self.connection_id}"

    @property
    def running(self) -> bool:
        return self.requested_at is not None and (
            self.finished_at is None or self.finished_at < self.requested_at
        )


class CatalogEmail(models.Model):
    connection = models.ForeignKey(
        "journeys.Connection", on_delete=models.CASCADE, related_name="+"
    )
    legacy_id = models.BigIntegerField(null=True)  # what a journey's triggeredSend.emailId holds
    asset_id = models.BigIntegerField(null=True)
    customer_key = models.CharField(max_length=200, blank=True)
    name = models.CharField(max_length=400)
    subject = models.TextField(blank=True)
    preheader = models.TextField(blank=True)
    modified = models.CharField(max_length=40, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["connection", "legacy_id"]),
            models.Index(fields=["connection", "name"]),
        ]

    def __str__(self) -> str:
        return self.name


class CatalogEvent(models.Model):
    connection = models.ForeignKey(
        "journeys.Connection", on_delete=models.CASCADE, related_name="+"
    )
    key = models.CharField(max_length=200)
    event_id = models.CharField(max_length=64, blank=True)
    name = models.CharField(max_length=400)
    type = models.CharField(max_length=60, blank=True)
    data_extension_id = models.CharField(max_length=64, blank=True)
    data_extension_name = models.CharField(max_length=400, blank=True)
    fields = models.JSONField(default=list)  # [{"name", "type"}]

    class Meta:
        indexes = [models.Index(fields=["connection", "key"])]

    def __str__(self) -> str:
        return self.name


class CatalogDataExtension(models.Model):
    connection = models.ForeignKey(
        "journeys.Connection", on_delete=models.CASCADE, related_name="+"
    )
    object_id = models.CharField(max_length=64)
    customer_key = models.CharField(max_length=200, blank=True)
    name = models.CharField(max_length=400)
    sendable = models.BooleanField(default=False)
    fields = models.JSONField(default=list)  # [{"object_id", "name", "type", "primary_key"}]

    class Meta:
        indexes = [
            models.Index(fields=["connection", "object_id"]),
            models.Index(fields=["connection", "customer_key"]),
            models.Index(fields=["connection", "name"]),
        ]

    def __str__(self) -> str:
        return self.name


class CatalogAttributeSet(models.Model):
    connection = models.ForeignKey(
        "journeys.Connection", on_delete=models.CASCADE, related_name="+"
    )
    key = models.CharField(max_length=200)
    name = models.CharField(max_length=400)
    fields = models.JSONField(default=list)  # [{"name", "type"}]

    def __str__(self) -> str:
        return self.name


class CatalogProfile(models.Model):
    """A sender profile, delivery profile or send classification (named by ObjectID)."""

    KINDS = [
        ("sender", "sender profile"),
        ("delivery", "delivery profile"),
        ("classification", "send classification"),
    ]
    connection = models.ForeignKey(
        "journeys.Connection", on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=KINDS)
    object_id = models.CharField(max_length=64)
    customer_key = models.CharField(max_length=200, blank=True)
    name = models.CharField(max_length=400)

    class Meta:
        indexes = [models.Index(fields=["connection", "kind", "object_id"])]

    def __str__(self) -> str:
        return self.name


class CatalogMobile(models.Model):
    """A MobileConnect SMS message, keyword or short/long code (sfmc.catalog.fetch_mobile)."""

    KINDS = [
        ("sms_message", "SMS message"),
        ("sms_keyword", "SMS keyword"),
        ("sms_code", "short or long code"),
    ]
    connection = models.ForeignKey(
        "journeys.Connection", on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=KINDS)
    object_id = models.CharField(max_length=200)  # what an SMS activity's messageId etc. hold
    alias = models.CharField(max_length=200, blank=True)  # a message's messageObjectId
    name = models.CharField(max_length=400)
    detail = models.TextField(blank=True)  # a message's text, a keyword's code, a code's kind
    code_id = models.CharField(max_length=200, blank=True)  # the code a message/keyword is on
    keyword_id = models.CharField(max_length=200, blank=True)  # a message's keyword

    class Meta:
        indexes = [
            models.Index(fields=["connection", "kind", "object_id"]),
            models.Index(fields=["connection", "kind", "name"]),
        ]

    def __str__(self) -> str:
        return self.name
