"""Browsing and importing the journeys of a connection."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from journeys.forms import ImportForm, RemoteSearchForm
from journeys.models import Connection
from journeys.permissions import can_create_draft
from journeys.services.limits import LimitRefused
from journeys.services.remote import client_for, import_journey
from journeys.sfmc.client import Page
from journeys.sfmc.errors import SFMCError
from journeys.views.base import HtmxHttpRequest


def _get_connection_for_user(request: HttpRequest, pk: int) -> Connection:
    return get_object_or_404(Connection.objects.usable_by(request.user), pk=pk)


REMOTE_PAGE_SIZE = 25


@require_GET
@login_required
def remote_list(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    connection = _get_connection_for_user(request, pk)
    form = RemoteSearchForm(request.GET or None)
    query = form.cleaned_data if form.is_valid() else {}
    page, error = None, None
    try:
        page = client_for(connection, interactive=True).list_journeys(
            page=query.get("page") or 1,
            page_size=REMOTE_PAGE_SIZE,
            status=query.get("status") or None,
            name_or_description=query.get("q") or None,
        )
    except SFMCError as exc:
        error = str(exc)
    context = {"connection": connection, "form": form, "page": page, "error": error}
    context["can_import"] = can_create_draft(request.user, connection)
    context["pages"] = _page_links(page, REMOTE_PAGE_SIZE) if page else None
    template = "journeys/remote_list.html"
    return render(request, f"{template}#remote-results" if request.htmx else template, context)


def _page_links(page: Page, page_size: int) -> dict[str, int | None]:
    last = max(1, -(-page.count // page_size))
    return {
        "number": page.page,
        "last": last,
        "previous": page.page - 1 if page.page > 1 else None,
        "next": page.page + 1 if page.page < last else None,
    }


@require_GET
@login_required
def remote_versions(request: HtmxHttpRequest, pk: int, remote_id: str) -> HttpResponse:
    connection = _get_connection_for_user(request, pk)
    versions, error = [], None
    try:
        versions = client_for(connection, interactive=True).list_versions(remote_id)
    except SFMCError as exc:
        error = str(exc)
    context = {"connection": connection, "remote_id": remote_id, "versions": versions}
    context["can_import"] = can_create_draft(request.user, connection)
    return render(request, "journeys/remote_versions.html", {**context, "error": error})


@require_POST
@login_required
def remote_import(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    connection = _get_connection_for_user(request, pk)
    form = ImportForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a journey to import.")
        return redirect("journeys:remote-list", pk=connection.pk)
    try:
        result = import_journey(
            request.user,
            connection,
            form.cleaned_data["remote_id"],
            version=form.cleaned_data["version"],
            interactive=True,
        )
    except SFMCError as exc:
        messages.error(request, f"The import failed: {exc}")
        return redirect("journeys:remote-list", pk=connection.pk)
    except LimitRefused as refused:
        messages.error(request, f"The import was refused: {refused.message}")
        return redirect("journeys:remote-list", pk=connection.pk)
    if result.created:
        messages.success(request, "Imported as a new draft.")
    else:
        messages.warning(
            request,
            "This journey already has a draft; it was kept as it is. The SFMC version you "
            "fetched is stored as a snapshot.",
        )
    return redirect("journeys:draft", pk=result.draft.pk)
