from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import reverse

from journeys import models, services
from tests.factories import ConnectionFactory

ADMIN_MODELS = [
    models.Connection,
    models.Journey,
    models.RemoteSnapshot,
    models.Draft,
    models.Revision,
    models.Approval,
    models.PushAttempt,
    models.AuditEvent,
]
ALL_MODELS = [
    *ADMIN_MODELS,
    models.Comment,
    models.MergeSession,
    models.PublishRequest,
    models.ActivityKey,
]


@pytest.fixture
def populated(db, editor, approver):
    conn = ConnectionFactory()
    journey = models.Journey.objects.create(connection=conn, key="welcome", name="Welcome <b>")
    doc = {"key": "welcome", "name": "Welcome <b>", "activities": []}
    snapshot = models.RemoteSnapshot.objects.create(
        journey=journey,
        version=1,
        modified_date="2026-01-01T10:00:00.5",
        status="Draft",
        document=doc,
        content_hash="a" * 64,
    )
    draft = models.Draft.objects.create(
        journey=journey, base_snapshot=snapshot, author=editor, document=doc, content_hash="a" * 64
    )
    revision = models.Revision.objects.create(
        draft=draft, number=1, document=doc, content_hash="a" * 64, author=editor, summary="Created"
    )
    approval = models.Approval.objects.create(
        draft=draft,
        revision=revision,
        reviewer=approver,
        decision="approved",
        content_hash="a" * 64,
    )
    models.PushAttempt.objects.create(
        draft=draft,
        revision=revision,
        approval=approval,
        requested_by=approver,
        payload_hash="a" * 64,
    )
    services.record_event("draft.created", actor=editor, draft=draft)
    return {"draft": draft}


@pytest.mark.parametrize("model", ALL_MODELS, ids=lambda m: m.__name__)
def test_every_model_has_an_admin_with_list_filters_or_search(model):
    model_admin = admin.site._registry[model]
    assert model_admin.list_display != ("__str__",)
    assert model_admin.search_fields


@pytest.mark.parametrize("model", ADMIN_MODELS, ids=lambda m: m.__name__)
def test_admin_changelist_and_detail_pages_render(admin_client, populated, model):
    opts = model._meta
    changelist = admin_client.get(reverse(f"admin:journeys_{opts.model_name}_changelist"))
    assert changelist.status_code == 200
    obj = model.objects.first()
    detail = admin_client.get(reverse(f"admin:journeys_{opts.model_name}_change", args=[obj.pk]))
    assert detail.status_code == 200
    assert b"Welcome <b>" not in detail.content  # user data is escaped everywhere


def test_documents_are_shown_as_escaped_pretty_json(admin_client, populated):
    draft = populated["draft"]
    page = admin_client.get(reverse("admin:journeys_draft_change", args=[draft.pk]))
    assert b"<pre" in page.content
    assert b"&quot;name&quot;: &quot;Welcome &lt;b&gt;&quot;" in page.content


def test_a_merge_session_shows_its_documents_as_json(admin_client, populated):
    draft = populated["draft"]
    revision = draft.revisions.get()
    doc = {"key": "welcome", "activities": [], "negative": -0.0, "on": True}
    merge = models.MergeSession.objects.create(
        draft=draft,
        origin="update",
        theirs_snapshot=draft.base_snapshot,
        ours_revision=revision,
        ours_hash="a" * 64,
        merged_document=doc,
        conflicts=[{"id": "c1", "ours": {"present": True, "value": None}}],
        choices={"c1": {"take": "theirs"}},
    )
    page = admin_client.get(reverse("admin:journeys_mergesession_change", args=[merge.pk]))
    assert page.status_code == 200
    assert b"&quot;negative&quot;: -0.0,\n  &quot;on&quot;: true" in page.content
    assert b"&quot;value&quot;: null" in page.content
    assert b"&quot;take&quot;: &quot;theirs&quot;" in page.content


def test_audit_events_cannot_be_changed_or_deleted_even_by_a_superuser(admin_client, populated):
    event = models.AuditEvent.objects.get()
    url = reverse("admin:journeys_auditevent_delete", args=[event.pk])
    assert admin_client.post(url, {"post": "yes"}).status_code == 403
    assert models.AuditEvent.objects.filter(pk=event.pk).exists()
    change = admin_client.post(
        reverse("admin:journeys_auditevent_change", args=[event.pk]), {"action": "tampered"}
    )
    assert change.status_code == 403
    event.refresh_from_db()
    assert event.action == "draft.created"


@pytest.mark.parametrize("model", [models.PushAttempt, models.AuditEvent], ids=lambda m: m.__name__)
def test_records_are_shown_without_save_or_delete_and_refuse_both(admin_client, populated, model):
    row = model.objects.get()
    name = model._meta.model_name
    page = admin_client.get(reverse(f"admin:journeys_{name}_change", args=[row.pk]))
    html = page.content.decode()
    assert page.status_code == 200 and 'class="readonly"' in html  # shown
    assert 'name="_save"' not in html and 'name="_continue"' not in html
    assert "deletelink" not in html
    delete = reverse(f"admin:journeys_{name}_delete", args=[row.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    change = reverse(f"admin:journeys_{name}_change", args=[row.pk])
    assert admin_client.post(change, {"state": "failed", "action": "x"}).status_code == 403
    assert model.objects.filter(pk=row.pk).exists()


def test_non_staff_editor_cannot_open_admin(client, editor):
    client.force_login(editor)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
