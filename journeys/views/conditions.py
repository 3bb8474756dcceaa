"""The condition builder's re-draws: a button or a change in one builder of the side panel.

Nothing is saved here; the panel form saves. When a button (add, remove, move) leaves the
conditions finished and different from what is stored, the response asks the panel form to
save them (an htmx event after the swap), as any other change in the panel is saved at once.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST
from django_htmx.http import trigger_client_event

from journeys.panel_forms import panel_form_for
from journeys.panel_forms.catalog_pickers import PanelCatalog
from journeys.panel_forms.condition_field import ACTION, ConditionBoundField, without_buttons
from journeys.permissions import can_edit_draft, require
from journeys.views.base import HtmxHttpRequest, get_draft_for_user
from journeys.views.panel import conditions_url, parse_target


@require_POST
@login_required
def conditions(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    draft = get_draft_for_user(request, pk)
    require(can_edit_draft(request.user, draft))
    target = parse_target(request.GET.get("target"), draft.document)
    name = request.GET.get("field", "")
    data = without_buttons(request.POST, keep=request.htmx.trigger_name)
    form = panel_form_for(draft.document, target, data, PanelCatalog(draft)) if target else None
    bound = form[name] if form is not None and name in form.fields else None
    if target is None or not isinstance(bound, ConditionBoundField):
        raise Http404("This panel has no such condition builder.")
    builder = bound.builder
    context = {"builder": builder, "url": conditions_url(draft, target, name)}
    response = render(request, "journeys/_condition_builder.html", context)
    if data.get(name + ACTION) and builder.unsaved_change:
        trigger_client_event(
            response, "conditions-changed", {"target": "#panel .panel-form"}, after="swap"
        )
    return response
