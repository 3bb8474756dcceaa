"""The editor's test contacts panel: the table, one contact's path on the canvas, the forms.

htmx gets the panel plus the canvas out of band (the selected contact's path highlighted, or
no highlight); without JavaScript the same URLs render the whole editor with the panel open,
and a successful POST redirects back to it.
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
from django.views.decorators.http import require_GET, require_POST

from journeys.contact_display import timeline_rows, trace_of
from journeys.contact_forms import ContactForm, SheetForm, contact_initial, new_contact_initial
from journeys.models import Draft
from journeys.panel_forms.catalog_pickers import PanelCatalog
from journeys.permissions import can_edit_draft, require
from journeys.services import test_contacts
from journeys.uploads import received_files
from journeys.views.base import HtmxHttpRequest, get_draft_for_user
from journeys.views.editor import EDITOR, editor_context


def _number(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _contacts_url(draft: Draft, contact: int | None = None) -> str:
    url = reverse("journeys:draft-contacts", args=[draft.pk])
    return f"{url}?{urlencode({'contact': contact})}" if contact else url


def _render(
    request: HtmxHttpRequest,
    draft: Draft,
    *,
    selected: int | None = None,
    path: int = 0,
    form: ContactForm | None = None,
    sheet: SheetForm | None = None,
    notice: str = "",
    status: int = 200,
    offered: PanelCatalog | None = None,
) -> HttpResponse:
    context = editor_context(request, draft, None, notice=notice, offered=offered)
    run = context["contacts"].get(selected)
    path = path if run and 0 <= path < len(run.paths) else 0
    context["canvas"].trace = trace_of(draft.document, run, path)
    names = context["catalog"].names
    changing = form is not None and _number(form.data.get("contact")) is not None
    context.update(
        show_contacts=True,
        run=run,
        path_index=path,
        timeline=timeline_rows(run.paths[path]) if run and run.paths else [],
        contact_form=form if changing else _form(draft, names, run.row if run else None),
        new_form=form if form and not changing else _new_form(draft, names),
        sheet_form=sheet or SheetForm(),
    )
    if not request.htmx:
        return render(request, EDITOR, context, status=status)
    context["oob"] = True
    html = [render_to_string(f"{EDITOR}#panel", {**context, "oob": False}, request)]
    html += [
        render_to_string(f"{EDITOR}#{part}", context, request)
        for part in ("canvas", "editor-bar", "notice")
    ]
    return HttpResponse("".join(html), status=status)


def _form(draft: Draft, names: Any, row: Any) -> ContactForm | None:
    if row is None:
        return None
    return ContactForm(draft.document, names, initial=contact_initial(row, draft.document))


def _new_form(draft: Draft, names: Any) -> ContactForm:
    return ContactForm(draft.document, names, initial=new_contact_initial())


@require_GET
@login_required
def contacts(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    draft = get_draft_for_user(request, pk)
    selected = _number(request.GET.get("contact"))
    return _render(request, draft, selected=selected, path=_number(request.GET.get("path")) or 0)


@require_POST
@login_required
def contact_save(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    draft = get_draft_for_user(request, pk)
    require(can_edit_draft(request.user, draft))
    offered = PanelCatalog(draft)
    form = ContactForm(draft.document, offered.names, request.POST)
    changed = _number(request.POST.get("contact"))
    if form.is_valid():
        try:
            row = test_contacts.save_test_contact(
                request.user, draft, form.sheet_row(), contact_id=changed
            )
        except test_contacts.ContactRefused as refused:
            form.add_problems(refused.problems)
        else:
            return _done(request, draft, row.pk, f"Saved the test contact '{row.name}'.")
    return _render(
        request,
        draft,
        selected=changed,
        form=form,
        notice="The test contact was not saved: see why in the panel.",
        status=_refused(request),
        offered=offered,
    )


@require_POST
@login_required
def contacts_import(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    draft = get_draft_for_user(request, pk)
    require(can_edit_draft(request.user, draft))
    sheet = SheetForm(request.POST, received_files(request))
    if sheet.is_valid():
        upload = sheet.cleaned_data["file"]
        try:
            raw = upload.read() if upload else sheet.cleaned_data["text"].encode()
            text = test_contacts.sheet_text(raw)  # a pasted sheet is bounded like a file
            result = test_contacts.import_test_contacts(request.user, draft, text)
        except test_contacts.ContactRefused as refused:
            for problem in refused.problems:
                sheet.add_error(None, problem)
        else:
            replaced = f" ({len(result.replaced)} replaced)" if result.replaced else ""
            count = len(result.added) + len(result.replaced)
            return _done(request, draft, None, f"Imported {count} test contact(s){replaced}.")
    notice = "The sheet was not imported: see why in the panel."
    return _render(request, draft, sheet=sheet, notice=notice, status=_refused(request))


@require_POST
@login_required
def contact_delete(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    draft = get_draft_for_user(request, pk)
    try:
        name = test_contacts.delete_test_contact(
            request.user, draft, _number(request.POST.get("contact")) or 0
        )
    except test_contacts.ContactRefused as refused:
        return _render(request, draft, notice=refused.problems[0], status=409)
    return _done(request, draft, None, f"Deleted the test contact '{name}'.")


def _refused(request: HtmxHttpRequest) -> int:
    # htmx swaps the panel that says why; a plain form post gets the page with a 400.
    return 200 if request.htmx else 400


def _done(
    request: HtmxHttpRequest, draft: Draft, selected: int | None, notice: str
) -> HttpResponse:
    if not request.htmx:
        messages.success(request, notice)
        return redirect(_contacts_url(draft, selected))
    return _render(request, draft, selected=selected, notice=notice)
