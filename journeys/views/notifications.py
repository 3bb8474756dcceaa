"""The inbox: the user's own notifications (newest first), opening one, marking all read, and
how the user wants to be told; the unread count every page shows in the top bar."""

from __future__ import annotations

from functools import cache
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from journeys.forms import NotificationSettingsForm
from journeys.models import Notification
from journeys.services import notifications
from journeys.views.base import HtmxHttpRequest

INBOX = "journeys/notifications.html"
PER_PAGE = 50


def unread_count(request: HttpRequest) -> dict[str, Any]:
    """Context processor: the top bar's unread count, counted only when a page shows it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notifications": cache(lambda: notifications.unread_count(user))}


def _inbox_context(request: HttpRequest) -> dict[str, Any]:
    rows = Notification.objects.filter(recipient_id=request.user.pk).select_related("journey")
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    return {"page": page, "unread": notifications.unread_count(request.user)}


@require_GET
@login_required
def inbox(request: HtmxHttpRequest) -> HttpResponse:
    return render(request, INBOX, _inbox_context(request))


@require_http_methods(["GET", "POST"])
@login_required
def open_notification(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Open one of my notifications: it is read, and the browser goes where it points.

    The inbox posts here. The link in the email is a GET, because a mail client can only
    follow a link; a GET that writes is acceptable here because this one is idempotent (the
    first open sets read_at, later ones change nothing) and harmless (it only marks the
    visitor's own notification read). A link scanner without the recipient's session gets the
    login page and changes nothing; anyone else's notification is a 404, as if it did not exist.
    """
    notification = get_object_or_404(Notification, pk=pk, recipient_id=request.user.pk)
    notifications.open_notification(request.user, notification)
    return redirect(_local(request, notification.url))


def _local(request: HttpRequest, url: str) -> str:
    """The stored path, only if it stays on this site (it always should); else the inbox."""
    allowed = url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()})
    return url if allowed and url.startswith("/") else reverse("journeys:notifications")


@require_POST
@login_required
def read_all(request: HtmxHttpRequest) -> HttpResponse:
    notifications.mark_all_read(request.user)
    if request.htmx:
        context = {**_inbox_context(request), "oob": True}
        return render(request, f"{INBOX}#inbox", context)
    messages.success(request, "All your notifications are marked read.")
    return redirect("journeys:notifications")


@require_http_methods(["GET", "POST"])
@login_required
def notification_settings(request: HtmxHttpRequest) -> HttpResponse:
    initial = {"delivery": notifications.delivery_of(request.user)}
    form = NotificationSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        notifications.set_delivery(request.user, form.cleaned_data["delivery"])
        messages.success(request, "Saved: you will be told as you chose.")
        return redirect("journeys:notification-settings")
    status = 400 if request.method == "POST" else 200
    context = {"form": form}
    return render(request, "journeys/notification_settings.html", context, status=status)


NOTIFICATION_URLS: list[URLPattern] = [
    path("notifications/", inbox, name="notifications"),
    path("notifications/<int:pk>/open/", open_notification, name="notification-open"),
    path("notifications/read-all/", read_all, name="notifications-read-all"),
    path("notifications/settings/", notification_settings, name="notification-settings"),
]
