"""The canvas editor: the page, structural edits, the side panel, undo/redo and history.

Every edit is an htmx POST that returns the re-laid-out canvas plus out-of-band updates of the
editor bar, the panel and the notice; without JavaScript the same forms post and redirect back.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from journeys.canvas import build_canvas, palette
from journeys.canvas_parts import patch_for
from journeys.catalog_names import activity_details
from journeys.contact_display import draft_contacts
from journeys.domain.validate import values_unchanged
from journeys.forms import EditForm, RevisionForm
from journeys.models import Draft
from journeys.panel_forms import PanelForm, Target, panel_form_for
from journeys.panel_forms.catalog_pickers import PanelCatalog
from journeys.panel_forms.condition_field import ACTION, without_buttons
from journeys.permissions import can_edit_draft, require
from journeys.presentation.push import drift_panel, push_panel, readiness, remote_rejections
from journeys.services import catalog, editing, remote
from journeys.services.drafts import draft_problems
from journeys.services.limits import too_large_to_open
from journeys.services.review import open_comment_counts, sent_back_by
from journeys.team_rule_checks import rule_problems
from journeys.views.base import HtmxHttpRequest, get_draft_for_user
from journeys.views.panel import journey_items, panel_context, parse_target, target_param

EDITOR = "journeys/editor.html"
DRIFT = "journeys/_drift.html"
PANEL_MESSAGES = ["panel-errors", "panel-field-errors"]


def editor_context(
    request: HtmxHttpRequest,
    draft: Draft,
    target: Target | None,
    form: PanelForm | None = None,
    notice: str = "",
    offered: PanelCatalog | None = None,
) -> dict[str, Any]:
    """What the editor page and its partials draw; the test contacts are stepped here, once."""
    offered = offered or PanelCatalog(draft)
    contacts = draft_contacts(draft, offered.names)
    problems = (
        draft_problems(draft)
        + offered.names.problems()
        + remote_rejections(draft)
        + contacts.problems()
        + rule_problems(draft.journey.connection, draft.document, offered.names)
    )
    details = activity_details(draft.document, offered.names, offered.names.refs)
    error_count = sum(1 for p in problems if p.severity == "error")
    warning_count = sum(1 for p in problems if p.severity == "warning")
    return {
        "draft": draft,
        "canvas": build_canvas(
            draft.document, problems, comments=open_comment_counts(draft), details=details
        ),
        "problems": problems,
        "error_count": error_count,
        "readiness": readiness(draft, error_count, warning_count),
        # Lazy: worked out once, and only by the renders that draw the editor bar (not a panel's).
        "push": SimpleLazyObject(lambda: push_panel(request.user, draft)),
        "palette": palette(),
        "canvas_urls": _canvas_urls(draft),
        "can_edit": can_edit_draft(request.user, draft),
        "notice": notice,
        "has": journey_items(draft.document),
        **panel_context(draft, target, form, offered, problems),
        "catalog": offered,
        "contacts": contacts,
        "sent_back": sent_back_by(draft),
    }


def _canvas_urls(draft: Draft) -> dict[str, str]:
    # Reversed once, not for each of hundreds of nodes and slots.
    names = {"editor": "journeys:draft", "panel": "journeys:draft-panel"}
    names["insert"] = "journeys:draft-insert"
    return {part: reverse(name, args=[draft.pk]) for part, name in names.items()}


def _editor_url(draft: Draft, target: Target | None) -> str:
    url = reverse("journeys:draft", args=[draft.pk])
    return f"{url}?{urlencode({'select': target_param(target)})}" if target else url


def _workspace(
    request: HtmxHttpRequest,
    draft: Draft,
    target: Target | None,
    *,
    notice: str = "",
    form: PanelForm | None = None,
    status: int = 200,
    keep_panel: bool = False,
) -> HttpResponse:
    """After an edit: htmx gets the canvas (or the patch of what changed on it), plus the bar,
    panel and notice out of band.

    `keep_panel` leaves the panel the user is typing in alone (only its revision moves on), so
    auto-saving one field never steals the focus from the next. A plain POST is redirected.
    """
    if not request.htmx:
        if notice:
            messages.warning(request, notice)
        return redirect(_editor_url(draft, target))
    context = editor_context(request, draft, target, form, notice)
    # The browser says which parts of the canvas it holds (editor.js sends their fingerprints):
    # it gets only what changed, or the whole canvas when it says nothing or most changed.
    patch = patch_for(context["canvas"].parts, set(request.POST.get("drawn", "").split()))
    context["oob"] = True
    if patch:
        context["patch"] = patch
        html = [render_to_string(f"{EDITOR}#canvas-patch", context, request)]
    else:
        context["oob"] = False
        html = [render_to_string(f"{EDITOR}#canvas", context, request)]
        context["oob"] = True
    # A kept panel still gets what the edit may have changed around its fields, and its
    # messages afresh: a saved edit leaves none of a refused one's behind.
    kept = ["panel-revision", "panel-title", "panel-problems", "panel-removal", *PANEL_MESSAGES]
    panel = kept if keep_panel else []
    parts = ["editor-bar", "state-banner", "journey-tools", *panel, "notice"]
    html += [render_to_string(f"{EDITOR}#{part}", context, request) for part in parts]
    if not keep_panel:  # the whole panel out of band, its own parts in it (not out of band)
        whole = {**context, "oob": False, "panel_oob": True}
        html.append(render_to_string(f"{EDITOR}#panel", whole, request))
    response = HttpResponse("".join(html), status=status)
    if patch:
        response["HX-Reswap"] = "none"  # every part is out of band; editor.js applies the patch
    return response


@require_GET
@login_required
@values_unchanged()  # documents are values here: each is checked once
def editor(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    draft = get_draft_for_user(request, pk)
    too_large = too_large_to_open(draft.document)
    if too_large:  # drawing it would hold a worker for many seconds: offer its file instead
        return render(request, "journeys/too_large.html", {"draft": draft, "why": too_large})
    remote.request_remote_check(request.user, draft)  # in the background: never waits on SFMC
    target = parse_target(request.GET.get("select"), draft.document)
    context = editor_context(request, draft, target)
    if not context["catalog"].names.loaded:
        # The first need: load SFMC's catalog in the background, once; after a failure the
        # panel shows the error with its Retry instead of every visit asking SFMC again.
        catalog.request_refresh(draft.journey.connection, only_if_empty=True)
    return render(request, EDITOR, context)


@require_GET
@login_required
def drift(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The drift banner and the background check's state; polled while the check is pending."""
    draft = get_draft_for_user(request, pk)
    on = "review" if request.GET.get("on") == "review" else "editor"
    context = {"draft": draft, "on": on, "drift": drift_panel(request.user, draft)}
    return render(request, DRIFT, context)


@require_POST
@login_required
@values_unchanged()  # documents are values here: each is checked once
def edit(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    draft = get_draft_for_user(request, pk)
    require(can_edit_draft(request.user, draft))
    draft_problems(draft)  # known (the page checked it), so the edit is checked against it
    form = EditForm(request.POST)
    target = parse_target(request.POST.get("select"), draft.document)
    if not form.is_valid():
        return _workspace(request, draft, target, notice="That edit was incomplete.", status=400)
    data = form.cleaned_data
    try:
        result = editing.apply_edit(
            request.user,
            draft,
            editing.structural_edit(data["op"], data),
            expected_revision=data["revision"],
        )
    except editing.EditRefused as refused:
        draft.refresh_from_db()
        return _workspace(request, draft, target, notice=refused.message, status=409)
    selected = _selection_after(data, result.draft.document, target)
    notice = f"{result.summary} (merged with newer changes)." if result.merged else ""
    return _workspace(request, result.draft, selected, notice=notice)


def _selection_after(
    data: dict[str, Any], document: dict[str, Any], target: Target | None
) -> Target | None:
    op = data["op"]
    if op in ("delete", "remove-goal", "remove-exit"):
        return None
    if op == "add-goal":
        return Target("goal")  # its panel opens, to give it a condition
    if op == "add-exit":
        return Target("exit")
    return parse_target(target_param(target), document) if target else None


@require_GET
@login_required
def insert_chooser(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Without JavaScript: pick the type of activity to insert on one edge."""
    draft = get_draft_for_user(request, pk)
    require(can_edit_draft(request.user, draft))
    context = {
        "draft": draft,
        "palette": palette(),
        "canvas_urls": _canvas_urls(draft),
        "after": request.GET.get("after", ""),
        "outcome_key": request.GET.get("outcome_key", ""),
    }
    return render(request, "journeys/insert.html", context)


@require_http_methods(["GET", "POST"])
@login_required
@values_unchanged()  # documents are values here: each is checked once
def panel(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    draft = get_draft_for_user(request, pk)
    target = parse_target(request.GET.get("target"), draft.document)
    if request.method == "GET":
        if not request.htmx:
            return redirect(_editor_url(draft, target))
        context = {**editor_context(request, draft, target), "oob": False}
        return render(request, f"{EDITOR}#panel", context)
    require(can_edit_draft(request.user, draft) and target is not None)
    assert target is not None
    draft_problems(draft)  # known (the page checked it), so the edit is checked against it
    revision = RevisionForm(request.POST)
    if request.htmx:  # the builder's buttons post to their own view
        form = panel_form_for(
            draft.document, target, without_buttons(request.POST), PanelCatalog(draft)
        )
    else:
        form = panel_form_for(draft.document, target, request.POST, PanelCatalog(draft))
        if any(name.endswith(ACTION) for name in request.POST):
            # Without JavaScript, a condition builder's button re-draws the panel; Save saves.
            return render(request, EDITOR, editor_context(request, draft, target, form))
    if not revision.is_valid() or not form.is_valid():
        return _workspace(request, draft, target, form=form, notice="Check the highlighted fields.")
    try:
        result = editing.apply_edit(
            request.user,
            draft,
            form.apply,
            expected_revision=revision.cleaned_data["revision"],
        )
    except editing.EditRefused as refused:
        draft.refresh_from_db()
        kept = form if refused.keep_input else None  # what was typed stays in the panel
        return _workspace(request, draft, target, form=kept, notice=refused.message, status=409)
    notice = f"{result.summary} (merged with newer changes)." if result.merged else ""
    keep_panel = not form.reshapes_panel()
    return _workspace(request, result.draft, target, notice=notice, keep_panel=keep_panel)


@values_unchanged()  # documents are values here: each is checked once
def _travel(request: HtmxHttpRequest, pk: int, action: Any) -> HttpResponse:
    draft = get_draft_for_user(request, pk)
    form = RevisionForm(request.POST)
    target = parse_target(request.POST.get("select"), draft.document)
    if not form.is_valid():
        return _workspace(request, draft, target, notice="That request was incomplete.", status=400)
    try:
        result = action(request.user, draft, expected_revision=form.cleaned_data["revision"])
    except editing.EditRefused as refused:
        draft.refresh_from_db()
        return _workspace(request, draft, target, notice=refused.message, status=409)
    target = parse_target(target_param(target), result.draft.document)
    return _workspace(request, result.draft, target, notice=result.summary + ".")


@require_POST
@login_required
def undo(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    return _travel(request, pk, editing.undo)


@require_POST
@login_required
def redo(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    return _travel(request, pk, editing.redo)


@require_GET
@login_required
def history(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    draft = get_draft_for_user(request, pk)
    revisions = draft.revisions.select_related("author").only(
        "number", "summary", "created_at", "content_hash", "author__username"
    )[:200]
    context = {
        "draft": draft,
        "revisions": revisions,
        "can_edit": can_edit_draft(request.user, draft),
        "in_editor": bool(request.htmx),  # the panel of the editor, not the page of its own
    }
    template = "journeys/history.html"
    return render(request, f"{template}#history" if request.htmx else template, context)


@require_POST
@login_required
@values_unchanged()  # documents are values here: each is checked once
def restore(request: HtmxHttpRequest, pk: int, number: int) -> HttpResponse:
    draft = get_draft_for_user(request, pk)
    form = RevisionForm(request.POST)
    if not form.is_valid():
        return _workspace(request, draft, None, notice="That request was incomplete.", status=400)
    try:
        result = editing.restore_revision(
            request.user, draft, number, expected_revision=form.cleaned_data["revision"]
        )
    except editing.EditRefused as refused:
        draft.refresh_from_db()
        return _workspace(request, draft, None, notice=refused.message, status=409)
    if not request.htmx:  # the full-page history: back to the editor, told once
        messages.success(request, result.summary + ".")
        return redirect(_editor_url(result.draft, None))
    return _workspace(request, result.draft, None, notice=result.summary + ".")
