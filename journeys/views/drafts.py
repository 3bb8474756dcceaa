"""The journeys list, creating and uploading drafts, downloads and the health check."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import connection as db_connection
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.templatetags.static import static
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_http_methods

from journeys.domain.document import DocumentError
from journeys.forms import DraftFilterForm, NewJourneyForm, UploadJourneyForm
from journeys.models import Connection, Draft, RemoteSnapshot
from journeys.permissions import NOT_AN_EDITOR, can_create_drafts, can_view_journey, require
from journeys.services.drafts import create_draft_from_upload, create_new_journey
from journeys.services.limits import LimitRefused
from journeys.uploads import received_files
from journeys.views.base import HtmxHttpRequest, get_draft_for_user


def _json_download(document: object, filename: str) -> HttpResponse:
    response = HttpResponse(
        json.dumps(document, indent=2, ensure_ascii=False), content_type="application/json"
    )
    # The name holds the journey's key, any text: quoted and escaped, or RFC 6266 filename*.
    response["Content-Disposition"] = content_disposition_header(True, filename) or "attachment"
    return response


@require_GET
@login_required
def home(request: HtmxHttpRequest) -> HttpResponse:
    form = DraftFilterForm(request.GET or None)
    drafts = Draft.objects.visible_to(request.user).select_related(
        "journey__connection", "author", "base_snapshot"
    )
    if form.is_valid():
        drafts = drafts.matching(
            request.user,
            text=form.cleaned_data["q"],
            state=form.cleaned_data["state"],
            mine=form.cleaned_data["mine"],
        )
    context = {
        "drafts": drafts[:200],
        "form": form,
        "connections": Connection.objects.usable_by(request.user),
        "can_create": can_create_drafts(request.user),
    }
    template = "journeys/home.html"
    return render(request, f"{template}#draft-list" if request.htmx else template, context)


@require_http_methods(["GET", "POST"])
@login_required
def draft_new(request: HtmxHttpRequest) -> HttpResponse:
    require(can_create_drafts(request.user), NOT_AN_EDITOR)  # said before the form, not after
    connections = Connection.objects.usable_by(request.user)
    form = NewJourneyForm(request.POST or None, connections=connections)
    if request.method == "POST" and form.is_valid():
        try:
            draft = create_new_journey(
                request.user, form.cleaned_data["connection"], form.cleaned_data["name"]
            )
        except LimitRefused as refused:
            form.add_error(None, refused.message)
        else:
            return redirect("journeys:draft", pk=draft.pk)
    return render(request, "journeys/draft_new.html", {"form": form})


@require_http_methods(["GET", "POST"])
@login_required
def draft_upload(request: HtmxHttpRequest) -> HttpResponse:
    require(can_create_drafts(request.user), NOT_AN_EDITOR)
    connections = Connection.objects.usable_by(request.user)
    files = received_files(request) or None
    form = UploadJourneyForm(request.POST or None, files, connections=connections)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            result = create_draft_from_upload(
                request.user, form.cleaned_data["connection"], upload.read()
            )
        except (DocumentError, LimitRefused) as error:
            form.add_error("file", error.message)
        else:
            errors = sum(1 for p in result.problems if p.severity == "error")
            messages.info(request, f"Uploaded as a new draft with {errors} validation error(s).")
            return redirect("journeys:draft", pk=result.draft.pk)
    return render(request, "journeys/draft_upload.html", {"form": form})


@require_GET
@login_required
def draft_download(request: HttpRequest, pk: int) -> HttpResponse:
    draft = get_draft_for_user(request, pk)
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


@require_GET
def favicon(request: HttpRequest) -> HttpResponse:
    # Resolved per request: the manifest of collected static files exists only after a build.
    return redirect(static("journeys/favicon.svg"), permanent=True)
