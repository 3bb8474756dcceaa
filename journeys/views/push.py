"""Pushing approved drafts to SFMC, the push status and the merge screen."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import URLPattern, path, reverse
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import (
    HttpResponseClientRedirect,
    HttpResponseClientRefresh,
    HttpResponseStopPolling,
)

from journeys.merge_forms import MergeForm, merge_choices_form
from journeys.models import Draft, MergeSession, PublishRequest, PushAttempt
from journeys.panel_forms.condition_field import ACTION, ConditionBoundField, without_buttons
from journeys.permissions import (
    MAY_NOT_RESOLVE,
    can_publish_draft,
    can_resolve_merge,
    can_view_draft,
    require,
)
from journeys.presentation.merge import merge_screen
from journeys.presentation.push import RunStatus, describe_attempt, describe_publish, push_panel
from journeys.services import merge_notices, merging, publish, push
from journeys.sfmc.errors import SFMCError
from journeys.views.base import HtmxHttpRequest, get_draft_for_user

ACTIONS = "journeys/_draft_actions.html"
MERGE = "journeys/merge.html"


def _attempt_for_user(request: HtmxHttpRequest, pk: int) -> PushAttempt:
    attempt = get_object_or_404(
        PushAttempt.objects.select_related("draft__journey__connection"), pk=pk
    )
    require(can_view_draft(request.user, attempt.draft))
    return attempt


def _session_for_user(request: HtmxHttpRequest, pk: int) -> MergeSession:
    session = get_object_or_404(
        MergeSession.objects.select_related(
            "draft__journey__connection", "base_snapshot", "theirs_snapshot", "ours_revision"
        ),
        pk=pk,
    )
    require(can_view_draft(request.user, session.draft))
    return session


def _editor_url(draft: Draft) -> str:
    return reverse("journeys:draft", args=[draft.pk])


def _actions(
    request: HtmxHttpRequest, draft: Draft, notice: str = "", status: int = 200
) -> HttpResponse:
    """htmx gets the push actions again; a plain POST goes back to the page it came from (the
    editor, or the review page when its forms say `on=review`)."""
    on = "review" if request.POST.get("on") == "review" else "editor"
    if not request.htmx:
        if notice:
            messages.warning(request, notice)
        page = "journeys:draft-review" if on == "review" else "journeys:draft"
        return redirect(reverse(page, args=[draft.pk]))
    draft.refresh_from_db()
    context = {
        "draft": draft,
        "push": push_panel(request.user, draft),
        "push_notice": notice,
        "push_refused": status >= 400,
        "on": on,
    }
    return render(request, ACTIONS, context, status=status)


@require_POST
@login_required
def push_request(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    draft = get_draft_for_user(request, pk)
    try:
        push.request_push(request.user, draft)
    except push.PushRefused as refused:
        return _actions(request, draft, refused.message, status=409)
    return _actions(request, draft)


@require_GET
@login_required
def push_status(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    attempt = _attempt_for_user(request, pk)
    status = describe_attempt(attempt)
    if attempt.state == PushAttempt.State.CONFLICT and status.merge_id:
        merge_url = reverse("journeys:merge", args=[status.merge_id])
        return HttpResponseClientRedirect(merge_url) if request.htmx else redirect(merge_url)
    # Once pushed, the whole editor bar changes: state, buttons.
    return _status(request, status, reload=attempt.state == PushAttempt.State.SUCCEEDED)


def _status(request: HtmxHttpRequest, status: RunStatus, *, reload: bool) -> HttpResponse:
    """The polled status partial (286 stops the polling once final), or its own page."""
    context = {"status": status, "draft": status.run.draft}
    if not request.htmx:
        return render(request, "journeys/run.html", context)
    if reload:
        return HttpResponseClientRefresh()
    fragment = render_to_string("journeys/run_status.html", context, request)
    return HttpResponseStopPolling(fragment) if status.final else HttpResponse(fragment)


@require_POST
@login_required
def push_retry(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    attempt = _attempt_for_user(request, pk)
    try:
        push.retry_push(request.user, attempt)
    except push.PushRefused as refused:
        return _actions(request, attempt.draft, refused.message, status=409)
    return _actions(request, attempt.draft)


@require_POST
@login_required
def check_sfmc(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    draft = get_draft_for_user(request, pk)
    try:
        snapshot = merging.check_remote(request.user, draft, interactive=True)
    except SFMCError as error:
        return _actions(request, draft, f"Could not check SFMC: {error.message}", status=409)
    notice = f"SFMC has version {snapshot.version} ({snapshot.status}, {snapshot.modified_date})."
    return _actions(request, draft, notice)


@require_POST
@login_required
def update_from_sfmc(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    draft = get_draft_for_user(request, pk)
    try:
        session = merging.start_update(request.user, draft, interactive=True)
    except merging.MergeRefused as refused:
        return _actions(request, draft, refused.message, status=409)
    except SFMCError as error:
        return _actions(request, draft, f"Could not fetch from SFMC: {error.message}", status=409)
    url = reverse("journeys:merge", args=[session.pk])
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


def _publish_request_for_user(request: HtmxHttpRequest, pk: int) -> PublishRequest:
    publish_request = get_object_or_404(
        PublishRequest.objects.select_related("draft__journey__connection"), pk=pk
    )
    require(can_view_draft(request.user, publish_request.draft))
    return publish_request


@require_POST
@login_required
def publish_request(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    draft = get_draft_for_user(request, pk)
    require(can_publish_draft(request.user, draft), "Only an approver may publish.")
    try:
        publish.request_publish(request.user, draft)
    except publish.PublishRefused as refused:
        return _actions(request, draft, refused.message, status=409)
    return _actions(request, draft)


@require_GET
@login_required
def publish_status(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The polled status: the whole editor reloads once SFMC has answered (the canvas then
    shows the journey as published, or SFMC's errors on their activities)."""
    publish_request = _publish_request_for_user(request, pk)
    status = describe_publish(publish_request)
    return _status(
        request,
        status,
        reload=status.final and bool(status.problems or status.state == "succeeded"),
    )


@require_POST
@login_required
def publish_retry(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    publish_request = _publish_request_for_user(request, pk)
    draft = publish_request.draft
    require(can_publish_draft(request.user, draft), "Only an approver may publish.")
    try:
        publish.retry_publish(request.user, publish_request)
    except publish.PublishRefused as refused:
        return _actions(request, draft, refused.message, status=409)
    return _actions(request, draft)


def _merge_page(
    request: HtmxHttpRequest,
    session: MergeSession,
    form: MergeForm,
    *,
    refusal: merging.MergeRefused | None = None,
    status: int = 200,
) -> HttpResponse:
    context = {
        "session": session,
        "draft": session.draft,
        "screen": merge_screen(session, form),
        "can_resolve": can_resolve_merge(request.user, session.draft),
        "editors_told": merge_notices.tell_editors_once(request.user, session),
        "refusal": refusal,
    }
    return render(request, MERGE, context, status=status)


@require_GET
@login_required
def merge_view(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    session = _session_for_user(request, pk)
    return _merge_page(request, session, merge_choices_form(session))


@require_POST
@login_required
def merge_resolve(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    session = _session_for_user(request, pk)
    require(can_resolve_merge(request.user, session.draft), MAY_NOT_RESOLVE)
    # Without JavaScript a condition builder's button (or Enter) re-draws the screen; the
    # "Apply" button applies.
    redraw = "redraw" in request.POST or any(name.endswith(ACTION) for name in request.POST)
    form = merge_choices_form(session, request.POST, redraw=redraw)
    if redraw:
        return _merge_page(request, session, form)
    if not form.is_valid():
        return _merge_page(request, session, form, status=400)
    try:
        resolution = merging.resolve_merge(request.user, session, form.choices())
    except merging.MergeRefused as refused:
        return _merge_page(request, session, form, refusal=refused, status=409)
    messages.success(request, resolution.message)
    return redirect(_editor_url(resolution.draft))


@require_POST
@login_required
def merge_conditions(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """A condition builder of the merge screen re-drawn after a button or a change; nothing
    is saved here (the merge form applies)."""
    session = _session_for_user(request, pk)
    require(can_resolve_merge(request.user, session.draft), MAY_NOT_RESOLVE)
    name = request.GET.get("field", "")
    data = without_buttons(request.POST, keep=request.htmx.trigger_name)
    form = merge_choices_form(session, data, redraw=True)
    bound = form[name] if name in form.fields else None
    if not isinstance(bound, ConditionBoundField):
        raise Http404("This merge has no such condition builder.")
    context = {"builder": bound.builder, "url": request.get_full_path()}
    return render(request, "journeys/_condition_builder.html", context)


PUSH_URLS: list[URLPattern] = [
    path("drafts/<int:pk>/push/", push_request, name="draft-push"),
    path("drafts/<int:pk>/check-sfmc/", check_sfmc, name="draft-check-sfmc"),
    path("drafts/<int:pk>/update-from-sfmc/", update_from_sfmc, name="draft-update-from-sfmc"),
    path("pushes/<int:pk>/", push_status, name="push-status"),
    path("pushes/<int:pk>/retry/", push_retry, name="push-retry"),
    path("drafts/<int:pk>/publish/", publish_request, name="draft-publish"),
    path("publishes/<int:pk>/", publish_status, name="publish-status"),
    path("publishes/<int:pk>/retry/", publish_retry, name="publish-retry"),
    path("merges/<int:pk>/", merge_view, name="merge"),
    path("merges/<int:pk>/resolve/", merge_resolve, name="merge-resolve"),
    path("merges/<int:pk>/conditions/", merge_conditions, name="merge-conditions"),
]
