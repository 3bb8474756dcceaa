"""Word of newer revisions for an editor tab left open: a poll cheap enough to run every few
seconds, and the re-fetch of what the tab shows that keeps what the user is typing.

The poll answers the draft's revision number and who made it, in one query that also checks
the user may see the draft (the same rule as permissions.can_view_draft), with an ETag so an
unchanged draft costs a 304 and no body.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import Permission
from django.db.models import Exists, OuterRef, Q, Subquery
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_GET

from journeys.models import Connection, Draft, Revision
from journeys.panel_forms.base import Target, locate, value_at
from journeys.views.base import HtmxHttpRequest, get_draft_for_user
from journeys.views.editor import EDITOR, editor_context
from journeys.views.panel import parse_target, target_param


def _has_perm(user: Any, codename: str) -> Exists:
    granted = Permission.objects.filter(
        Q(user=user) | Q(group__user=user), codename=codename, content_type__app_label="journeys"
    )
    return Exists(granted)


def _visible_drafts(user: Any) -> Any:
    """Drafts `user` may see, as one SQL condition: can_view_draft's rule (the view_draft and
    view_connection permissions, and a connection open to all or to one of the user's groups)."""
    drafts = Draft.objects.all()
    if user.is_superuser:
        return drafts
    open_to_user = Connection.objects.filter(pk=OuterRef("journey__connection")).filter(
        Q(allowed_groups__isnull=True) | Q(allowed_groups__in=user.groups.all())
    )
    return drafts.filter(
        _has_perm(user, "view_draft"), _has_perm(user, "view_connection"), Exists(open_to_user)
    )


@require_GET
@login_required
def revision(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """{"revision": N, "by": who saved it, "mine": whether it was this user}; 304 if unchanged."""
    last_author = Revision.objects.filter(draft=OuterRef("pk")).order_by("-number")
    row = (
        _visible_drafts(request.user)
        .filter(pk=pk)
        .annotate(
            by=Subquery(last_author.values("author__username")[:1]),
            by_id=Subquery(last_author.values("author_id")[:1]),
        )
        .values("revision_number", "by", "by_id")
        .first()
    )
    if row is None:
        raise Http404("No such draft.")
    etag = f'"r{row["revision_number"]}"'
    if request.headers.get("If-None-Match") == etag:
        response = HttpResponse(status=304)
    else:
        mine = row["by_id"] == request.user.pk
        response = JsonResponse(
            {"revision": row["revision_number"], "by": row["by"] or "", "mine": mine}
        )
    response["ETag"] = etag
    response["Cache-Control"] = "private, no-cache"  # always asked again, answered by ETag
    return response


@require_GET
@login_required
def refresh(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The canvas, the bar and the panel as they are now, all out of band.

    With `typing=1` the panel the user is typing in stays: only what surrounds its fields is
    redrawn, and its revision stays the one it was opened at, so saving it merges with the
    newer changes (or says what conflicts) instead of silently overwriting them.
    """
    draft = get_draft_for_user(request, pk)
    target = parse_target(request.GET.get("select"), draft.document)
    if not request.htmx:  # only the bar's button asks for these parts; a person gets the page
        return redirect(f"{reverse('journeys:draft', args=[pk])}?select={target_param(target)}")
    typing = request.GET.get("typing") == "1" and target is not None
    context = editor_context(request, draft, target)
    context["oob"] = True
    shown = f"Now showing revision {draft.revision_number}."
    if typing:
        assert target is not None
        panel = ["panel-title", "panel-problems", "panel-removal"]
        since = request.GET.get("since", "")
        changed = _item_changed(draft, target, int(since) if since.isdigit() else None)
        context["notice"] = f"{shown} " + (
            f"“{context['panel_form'].title}” was changed there too: the panel keeps what you "
            "typed over the version you opened; saving it merges with the newer changes or "
            "says what conflicts. Select it again to see the new version (what you typed and "
            "did not save would go)."
            if changed
            else "The panel keeps what you typed; saving it merges with the newer changes."
        )
    else:
        panel = ["panel"]
        context["notice"] = shown
    parts = ["canvas", "editor-bar", "state-banner", "journey-tools", *panel, "notice"]
    html = [render_to_string(f"{EDITOR}#{part}", context, request) for part in parts]
    response = HttpResponse("".join(html))
    response["Cache-Control"] = "no-store"
    return response


def _item_changed(draft: Draft, target: Target, since: int | None) -> bool:
    """Whether the panel's item differs from what it was at revision `since` (the revision the
    panel was opened or last saved at); True when that cannot be told."""
    if since is None or target.kind == "settings":  # the settings are the whole journey
        return True
    opened = draft.revisions.filter(number=since).first()
    if opened is None:
        return True
    try:
        before = value_at(opened.document, locate(opened.document, target))
        now = value_at(draft.document, locate(draft.document, target))
    except LookupError:
        return True
    return bool(before != now)
