from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET
from django_htmx.middleware import HtmxDetails

from journeys.models import Draft


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


@require_GET
@login_required
def home(request: HtmxHttpRequest) -> HttpResponse:
    drafts = Draft.objects.visible_to(request.user).select_related("journey", "author")[:200]
    return render(request, "journeys/home.html", {"drafts": drafts})


@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness for the container: the process answers and the database is reachable."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok", content_type="text/plain")
