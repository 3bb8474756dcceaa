"""What each user wrote in their current window (see services/limits.py): one row per user.

A fixed window that starts at the user's first write after the previous one ended; the row is
locked for the count and the increment, in the transaction that writes the revision, so two
concurrent saves cannot both pass the last free place, and a save that fails counts nothing.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class WriteQuota(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="write_quota"
    )
    window_start = models.DateTimeField()
    revisions = models.PositiveIntegerField(default=0)
    bytes = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.user}: {self.revisions} revisions, {self.bytes} bytes in this window"
