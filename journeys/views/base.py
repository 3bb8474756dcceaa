"""What every view module shares: the typed htmx request and object loading with access checks."""

from __future__ import annotations

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django_htmx.middleware import HtmxDetails

from journeys.models import Draft
from journeys.permissions import can_view_draft, require


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


def get_draft_for_user(request: HttpRequest, pk: int) -> Draft:
    """The draft, or 404 if it does not exist; 403 if the user may not see it."""
    draft = get_object_or_404(
        Draft.objects.select_related("journey__connection", "base_snapshot"), pk=pk
    )
    require(can_view_draft(request.user, draft))
    return draft
