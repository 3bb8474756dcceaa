"""Mail to users about their drafts, sent only once the change it reports is committed."""

from __future__ import annotations

from django.core.mail import send_mail
from django.db import transaction


def notify(recipients: list[str], subject: str, body: str) -> None:
    """Mail `recipients` after commit, so a rolled-back change never mails anyone."""
    if recipients:
        transaction.on_commit(lambda: send_mail(subject, body, None, recipients))
