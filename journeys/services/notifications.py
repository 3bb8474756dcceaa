"""Telling people what happened to the drafts they work on: `notify` is the one way, called by
the service function of each state change (submit, decide, comment, an edit that voids an
approval, the push's and the publish's outcomes, a merge that waits).

Each recipient gets a row in their inbox; those who want email (the default) also get a mail,
sent only once the change is committed, so a rolled-back change never tells anyone. Both carry
an absolute link (SITE_URL): the inbox to the page to open, the mail to the notification's open
page, which marks it read on the way there. Reading them is here too.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from journeys.models import Draft, Notification, NotificationPreference
from journeys.permissions import can_view_draft

logger = logging.getLogger(__name__)
Kind = Notification.Kind
Delivery = NotificationPreference.Delivery


def person(user: Any) -> str:
    """How a person is named to others: their full name, else their user name."""
    return str(user.get_full_name() or user.get_username())


def journey_name(draft: Draft) -> str:
    return str(draft.document.get("name") or draft.journey.name)


def absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def review_path(draft: Draft) -> str:
    return reverse("journeys:draft-review", args=[draft.pk])


def notify(
    kind: str,
    recipients: Iterable[Any],
    *,
    draft: Draft,
    text: str,
    path: str,
    subject: str,
    body: str = "",
    actor: Any = None,
) -> list[Notification]:
    """Tell `recipients` (users) what happened to `draft`: `text` names the journey and the
    people, `path` is the page to open. Nobody is told of their own action (`actor`), twice,
    or about a draft they may no longer see. Those who want email get `subject` and `text`,
    `body` (a comment, a reason) and the absolute link, after commit."""
    people = _deliverable(recipients, draft, actor)
    if not people:
        return []
    in_app_only = set(
        NotificationPreference.objects.filter(
            user__in=people, delivery=Delivery.IN_APP
        ).values_list("user_id", flat=True)
    )
    mailed = [u for u in people if u.email and u.pk not in in_app_only]
    rows = Notification.objects.bulk_create(
        Notification(
            recipient=user,
            kind=kind,
            journey_id=draft.journey_id,
            draft=draft,
            text=text[:1000],
            url=path,
            emailed=user in mailed,
        )
        for user in people
    )
    if mailed:
        # Each mail links to its own notification's open page: following it marks it read.
        mails = [
            (row.recipient.email, _email_body(text, body, absolute(open_path(row))))
            for row in rows
            if row.emailed
        ]
        transaction.on_commit(lambda: _send(subject, mails))
    return rows


def open_path(notification: Notification) -> str:
    """The path that marks `notification` read and goes on to its page (see the open view)."""
    return reverse("journeys:notification-open", args=[notification.pk])


def _deliverable(recipients: Iterable[Any], draft: Draft, actor: Any) -> list[Any]:
    people: dict[int, Any] = {}
    for user in recipients:
        if user is None or user.pk in people or (actor is not None and user.pk == actor.pk):
            continue
        if user.is_active and can_view_draft(user, draft):
            people[user.pk] = user
    return list(people.values())


def _email_body(text: str, body: str, link: str) -> str:
    settings_link = absolute(reverse("journeys:notification-settings"))
    parts = [text, body.strip(), f"Open it: {link}"]
    footer = f"You get these emails because of your notification settings: {settings_link}"
    return "\n\n".join(part for part in (*parts, "-- ", footer) if part)


def _send(subject: str, mails: list[tuple[str, str]]) -> None:
    """One mail (address, message) per person, each with their own link (nobody sees who else
    was told); a mail server that fails is logged, never turned into an error page: the inbox
    has it anyway."""
    for address, message in mails:
        try:
            send_mail(subject, message, None, [address])
        except OSError:  # smtplib.SMTPException is an OSError
            logger.exception("could not mail %s about: %s", address, subject)


# reading


def unread_count(user: Any) -> int:
    return Notification.objects.filter(recipient=user, read_at=None).count()


def open_notification(user: Any, notification: Notification) -> Notification:
    """`user` opens one of their notifications: it is read from now on."""
    if notification.recipient_id != user.pk:
        raise Notification.DoesNotExist
    if notification.read_at is None:
        notification.read_at = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at=None).update(
            read_at=notification.read_at
        )
    return notification


def mark_all_read(user: Any) -> int:
    """Every unread notification of `user` is read; how many were unread."""
    return Notification.objects.filter(recipient=user, read_at=None).update(read_at=timezone.now())


def delivery_of(user: Any) -> str:
    preference = NotificationPreference.objects.filter(user=user).first()
    return preference.delivery if preference else Delivery.EMAIL


def set_delivery(user: Any, delivery: str) -> None:
    """How `user` wants to be told from now on: by email and in the app, or in the app only."""
    NotificationPreference.objects.update_or_create(user=user, defaults={"delivery": delivery})


# what each event says, and to whom (the service of each state change calls these)


def approval_voided(user: Any, draft: Draft, why: str) -> None:
    """`user`'s change (`why`) voided the approval of the draft's content: its approver is told.
    Call before the draft's content changes."""
    approval = (
        draft.approvals.filter(decision="approved", content_hash=draft.content_hash)
        .select_related("reviewer")
        .order_by("-created_at", "-pk")
        .first()
    )
    if approval is None:
        return
    name = journey_name(draft)
    notify(
        Kind.APPROVAL_VOIDED,
        [approval.reviewer],
        draft=draft,
        actor=user,
        text=f"{person(user)} changed '{name}' after you approved it ({why}): your approval "
        "no longer holds and the draft needs review again.",
        path=review_path(draft),
        subject=f"Approval voided: {name}",
    )


def push_ended(attempt: Any, kind: str, said: str) -> None:
    """A push (PushAttempt) ended in `kind`: the draft's author and whoever pushed are told."""
    _run_ended(attempt, kind, f"The push of '{journey_name(attempt.draft)}'", said, "push-status")


def publish_ended(request: Any, kind: str, said: str) -> None:
    """A publish (PublishRequest) ended in `kind`: the draft's author and whoever asked are
    told."""
    what = f"The publish of '{journey_name(request.draft)}' (SFMC version {request.version})"
    _run_ended(request, kind, what, said, "publish-status")


def _run_ended(row: Any, kind: str, what: str, said: str, page: str) -> None:
    draft = row.draft
    notify(
        kind,
        [draft.author, row.requested_by],
        draft=draft,
        text=f"{what} by {person(row.requested_by)} {said}",
        path=reverse(f"journeys:{page}", args=[row.pk]),
        subject=f"{Kind(kind).label}: {journey_name(draft)}",
    )
