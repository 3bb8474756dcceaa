"""The pickers' htmx parts: searching the cached catalog by name, and refreshing it.

Both read or queue only: a search answers from the database, a refresh is queued for the worker
and the status line polls until it is done. SFMC is never called while a page waits.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST

from journeys.catalog_models import CatalogDataExtension, CatalogEmail, CatalogMobile
from journeys.models import Draft
from journeys.permissions import can_edit_draft, require
from journeys.services.catalog import catalog_status, request_refresh
from journeys.views.base import HtmxHttpRequest, get_draft_for_user

RESULTS = "journeys/_picker_results.html"
STATUS = "journeys/_catalog_status.html"
LIMIT = 20


@require_GET
@login_required
def search(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    draft = get_draft_for_user(request, pk)
    connection = draft.journey.connection
    kind = request.GET.get("kind", "")
    query = request.GET.get("catalog_q", "").strip()[:100]
    request_refresh(connection, only_if_empty=True)
    found = SEARCHES.get(kind, _data_extensions)(connection, query)
    context = {
        "draft": draft,
        "results": found,
        "query": query,
        "field": request.GET.get("field", ""),
        "status": catalog_status(connection),
    }
    return render(request, RESULTS, context)


def _emails(connection: Any, query: str) -> list[dict[str, Any]]:
    rows = CatalogEmail.objects.filter(connection=connection, legacy_id__isnull=False)
    if query:
        by_id = Q(legacy_id=int(query)) if query.isdigit() else Q()
        rows = rows.filter(Q(name__icontains=query) | Q(subject__icontains=query) | by_id)
    return [
        {
            "value": str(e.legacy_id),
            "name": e.name,
            "detail": f"Subject: {e.subject}" if e.subject else "",
            "title": f"email {e.legacy_id}",
            "fill": json.dumps({"emailSubject": e.subject, "preHeader": e.preheader}),
        }
        for e in rows.order_by("name")[:LIMIT]
    ]


def _data_extensions(connection: Any, query: str) -> list[dict[str, Any]]:
    rows = CatalogDataExtension.objects.filter(connection=connection)
    if query:
        rows = rows.filter(Q(name__icontains=query) | Q(customer_key__icontains=query))
    return [
        {
            "value": de.object_id,
            "name": de.name,
            "detail": f"{len(de.fields)} fields",
            "title": f"data extension {de.object_id} (key {de.customer_key})",
            "fill": "{}",
        }
        for de in rows.order_by("name")[:LIMIT]
    ]


def _sms_messages(connection: Any, query: str) -> list[dict[str, Any]]:
    """MobileConnect messages by name or text; choosing one fills in its keyword and code."""
    rows = CatalogMobile.objects.filter(connection=connection, kind="sms_message")
    if query:
        rows = rows.filter(Q(name__icontains=query) | Q(detail__icontains=query))
    return [
        {
            "value": m.object_id,
            "name": m.name,
            "detail": f"Text: {m.detail}" if m.detail else "",
            "title": f"SMS message {m.object_id}",
            "fill": json.dumps({"keywordId": m.keyword_id, "codeId": m.code_id}),
        }
        for m in rows.order_by("name")[:LIMIT]
    ]


SEARCHES = {"email": _emails, "data_extension": _data_extensions, "sms_message": _sms_messages}


@require_POST
@login_required
def refresh(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    draft = get_draft_for_user(request, pk)
    require(can_edit_draft(request.user, draft))
    request_refresh(draft.journey.connection)
    return _status(request, draft)


@require_GET
@login_required
def status(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    return _status(request, get_draft_for_user(request, pk))


def _status(request: HtmxHttpRequest, draft: Draft) -> HttpResponse:
    context = {"draft": draft, "status": catalog_status(draft.journey.connection)}
    return render(request, STATUS, context)
