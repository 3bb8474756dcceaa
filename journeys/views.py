from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import connection as db_connection
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.middleware import HtmxDetails

from journeys.domain.document import DocumentError
from journeys.domain.validate import validate
from journeys.forms import ImportForm, NewJourneyForm, RemoteSearchForm, UploadJourneyForm
from journeys.models import Connection, Draft, RemoteSnapshot
from journeys.permissions import can_view_draft, can_view_journey, require
from journeys.services.drafts import create_draft_from_upload, create_new_journey
from journeys.services.remote import client_for, import_journey
from journeys.sfmc.client import Page
from journeys.sfmc.errors import SFMCError


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


def _get_draft_for_user(request: HttpRequest, pk: int) -> Draft:
    draft = get_object_or_404(Draft.objects.select_related("journey__connection"), pk=pk)
    require(can_view_draft(request.user, draft))
    return draft


def _json_download(document: object, filename: str) -> HttpResponse:
    response = HttpResponse(
        json.dumps(document, indent=2, ensure_ascii=False), content_type="application/json"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_GET
@login_required
def home(request: HtmxHttpRequest) -> HttpResponse:
    drafts = Draft.objects.visible_to(request.user).select_related(
        "journey__connection", "author", "base_snapshot"
    )[:200]
    connections = Connection.objects.usable_by(request.user)
    return render(request, "journeys/home.html", {"drafts": drafts, "connections": connections})


@require_http_methods(["GET", "POST"])
@login_required
def draft_new(request: HtmxHttpRequest) -> HttpResponse:
    connections = Connection.objects.usable_by(request.user)
    form = NewJourneyForm(request.POST or None, connections=connections)
    if request.method == "POST" and form.is_valid():
        draft = create_new_journey(
            request.user, form.cleaned_data["connection"], form.cleaned_data["name"]
        )
        return redirect("journeys:draft", pk=draft.pk)
    return render(request, "journeys/draft_new.html", {"form": form})


@require_http_methods(["GET", "POST"])
@login_required
def draft_upload(request: HtmxHttpRequest) -> HttpResponse:
    connections = Connection.objects.usable_by(request.user)
    form = UploadJourneyForm(request.POST or None, request.FILES or None, connections=connections)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            result = create_draft_from_upload(
                request.user, form.cleaned_data["connection"], upload.read()
            )
        except DocumentError as error:
            form.add_error("file", error.message)
        else:
            errors = sum(1 for p in result.problems if p.severity == "error")
            messages.info(request, f"Uploaded as a new draft with {errors} validation error(s).")
            return redirect("journeys:draft", pk=result.draft.pk)
    return render(request, "journeys/draft_upload.html", {"form": form})


@require_GET
@login_required
def draft_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    draft = _get_draft_for_user(request, pk)
    problems = validate(draft.document)
    return render(request, "journeys/draft.html", {"draft": draft, "problems": problems})


@require_GET
@login_required
def draft_download(request: HttpRequest, pk: int) -> HttpResponse:
    draft = _get_draft_for_user(request, pk)
    filename = f"{draft.journey.key}-draft{draft.pk}-r{draft.revision_number}.json"
    return _json_download(draft.document, filename)


@require_GET
@login_required
def snapshot_download(request: HttpRequest, pk: int) -> HttpResponse:
    snapshot = get_object_or_404(RemoteSnapshot.objects.select_related("journey"), pk=pk)
    require(can_view_journey(request.user, snapshot.journey))
    return _json_download(snapshot.document, f"{snapshot.journey.key}-v{snapshot.version}.json")


@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness for the container: the process answers and the database is reachable."""
    with db_connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok", content_type="text/plain")


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
        page = client_for(connection).list_journeys(
            page=query.get("page") or 1,
            page_size=REMOTE_PAGE_SIZE,
            status=query.get("status") or None,
            name_or_description=query.get("q") or None,
        )
    except SFMCError as exc:
        error = str(exc)
    context = {"connection": connection, "form": form, "page": page, "error": error}
    context["pages"] = _page_links(page, REMOTE_PAGE_SIZE) if page else None
    template = "journeys/remote_list.html#remote-results" if request.htmx else "journeys/remote_list.html"
    return render(request, template, context)


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
        versions = client_for(connection).list_versions(remote_id)
    except SFMCError as exc:
        error = str(exc)
    context = {"connection": connection, "remote_id": remote_id, "versions": versions}
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
        )
    except SFMCError as exc:
        messages.error(request, f"The import failed: {exc}")
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
