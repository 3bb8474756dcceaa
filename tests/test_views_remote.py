"""Browsing and importing remote journeys, against the simulator over real HTTP."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.urls import reverse

from journeys.models import Draft, Journey, RemoteSnapshot
from journeys.services.remote import client_for


@pytest.fixture
def logged_in_editor(client, editor):
    client.force_login(editor)
    return client


def remote_items(connection):
    return list(client_for(connection).iter_journeys())


def test_remote_list_shows_the_simulators_journeys(logged_in_editor, sim_connection, demo_journeys):
    response = logged_in_editor.get(reverse("journeys:remote-list", args=[sim_connection.pk]))
    assert response.status_code == 200
    names = [item["name"] for item in remote_items(sim_connection)]
    assert len(names) >= 4
    for name in names:
        assert name.encode() in response.content


def test_remote_search_filters_by_name_and_htmx_gets_only_the_results(
    logged_in_editor, sim_connection, demo_journeys
):
    target = remote_items(sim_connection)[0]["name"]
    response = logged_in_editor.get(
        reverse("journeys:remote-list", args=[sim_connection.pk]),
        {"q": target},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert b"<html" not in response.content
    assert b'id="remote-results"' in response.content
    assert target.encode() in response.content
    others = [i["name"] for i in remote_items(sim_connection) if target not in i["name"]]
    assert not any(other.encode() in response.content for other in others)


def test_remote_list_reports_an_sfmc_failure_instead_of_a_500(
    logged_in_editor, sim_connection, simulator, settings
):
    settings.SFMC_MAX_RETRIES = 1
    simulator.add_fault("http_error", status=500, method="GET", count=2)
    response = logged_in_editor.get(reverse("journeys:remote-list", args=[sim_connection.pk]))
    assert response.status_code == 200
    assert b"SFMC did not answer as expected" in response.content


def test_import_creates_a_snapshot_and_a_draft_equal_to_the_remote_version(
    logged_in_editor, sim_connection, demo_journeys
):
    item = remote_items(sim_connection)[0]
    response = logged_in_editor.post(
        reverse("journeys:remote-import", args=[sim_connection.pk]),
        {"remote_id": item["id"], "version": item["version"]},
    )
    draft = Draft.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("journeys:draft", args=[draft.pk])
    remote = client_for(sim_connection).get_journey(item["id"])
    assert draft.document == remote
    assert draft.base_snapshot.document == remote
    assert draft.base_snapshot.modified_date == remote["modifiedDate"]
    assert draft.journey.remote_id == item["id"]


def test_reimport_never_overwrites_an_existing_draft(
    logged_in_editor, editor, sim_connection, demo_journeys
):
    item = remote_items(sim_connection)[0]
    url = reverse("journeys:remote-import", args=[sim_connection.pk])
    logged_in_editor.post(url, {"remote_id": item["id"]})
    draft = Draft.objects.get()
    from journeys.services.drafts import save_revision

    save_revision(
        editor, draft, {**draft.document, "name": "Local edit"}, expected_revision=1, summary="edit"
    )
    demo_journeys.control("POST", "remote-edit", {"id": item["id"], "action": "rename"})
    response = logged_in_editor.post(url, {"remote_id": item["id"]}, follow=True)
    assert b"already has a draft" in response.content
    draft.refresh_from_db()
    assert Draft.objects.count() == 1
    assert draft.document["name"] == "Local edit"
    assert RemoteSnapshot.objects.filter(journey=draft.journey).count() == 2


def test_import_of_an_unknown_journey_shows_the_remote_message(logged_in_editor, sim_connection):
    response = logged_in_editor.post(
        reverse("journeys:remote-import", args=[sim_connection.pk]),
        {"remote_id": "00000000-0000-0000-0000-000000000000"},
        follow=True,
    )
    assert response.status_code == 200
    assert b"The import failed" in response.content
    assert not Draft.objects.exists()


def test_versions_page_lists_every_version_of_a_journey(
    logged_in_editor, sim_connection, demo_journeys
):
    item = remote_items(sim_connection)[0]
    response = logged_in_editor.get(
        reverse("journeys:remote-versions", args=[sim_connection.pk, item["id"]])
    )
    assert response.status_code == 200
    assert f"v{item['version']}".encode() in response.content


def test_connection_restricted_to_another_group_is_invisible(
    logged_in_editor, sim_connection, demo_journeys
):
    sim_connection.allowed_groups.add(Group.objects.create(name="Other team"))
    url = reverse("journeys:remote-list", args=[sim_connection.pk])
    assert logged_in_editor.get(url).status_code == 404
    item_url = reverse("journeys:remote-import", args=[sim_connection.pk])
    assert logged_in_editor.post(item_url, {"remote_id": "x"}).status_code == 404


def test_approver_cannot_import(client, approver, sim_connection, demo_journeys):
    client.force_login(approver)
    item = remote_items(sim_connection)[0]
    response = client.post(
        reverse("journeys:remote-import", args=[sim_connection.pk]), {"remote_id": item["id"]}
    )
    assert response.status_code == 403
    assert not Draft.objects.exists()


def test_upload_view_shows_a_clear_error_for_malformed_json(logged_in_editor, sim_connection):
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = logged_in_editor.post(
        reverse("journeys:draft-upload"),
        {
            "connection": sim_connection.pk,
            "file": SimpleUploadedFile("j.json", b'{"key": ', content_type="application/json"),
        },
    )
    assert response.status_code == 200
    assert b"not valid JSON" in response.content
    assert not Draft.objects.exists()


def test_upload_then_download_round_trips_the_document(
    logged_in_editor, sim_connection, real_fixtures_dir
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    raw = (real_fixtures_dir / "09-sfmc-example-rest-custom-activity-split.json").read_bytes()
    response = logged_in_editor.post(
        reverse("journeys:draft-upload"),
        {"connection": sim_connection.pk, "file": SimpleUploadedFile("j.json", raw)},
    )
    draft = Draft.objects.get()
    assert response.status_code == 302
    download = logged_in_editor.get(reverse("journeys:draft-download", args=[draft.pk]))
    assert download["Content-Disposition"].startswith("attachment;")
    assert json.loads(download.content) == json.loads(raw)


def test_download_is_refused_to_users_without_access(client, editor, sim_connection):
    from journeys.services.drafts import create_new_journey
    from tests.factories import UserFactory

    draft = create_new_journey(editor, sim_connection, "Private")
    client.force_login(UserFactory(username="nobody"))
    assert client.get(reverse("journeys:draft-download", args=[draft.pk])).status_code == 403


def test_new_journey_view_creates_a_draft_and_opens_it(logged_in_editor, sim_connection):
    response = logged_in_editor.post(
        reverse("journeys:draft-new"), {"connection": sim_connection.pk, "name": "Onboarding"}
    )
    draft = Draft.objects.get()
    assert response["Location"] == reverse("journeys:draft", args=[draft.pk])
    page = logged_in_editor.get(response["Location"])
    assert b"Onboarding" in page.content


def test_admin_test_connection_action_reports_success_and_exact_failure(
    admin_client, sim_connection, demo_journeys
):
    url = reverse("admin:journeys_connection_changelist")
    data = {"action": "test_connections", "_selected_action": [sim_connection.pk]}
    ok = admin_client.post(url, data, follow=True)
    assert b"Connected to" in ok.content
    sim_connection.set_client_secret("wrong-secret")
    sim_connection.save()
    failed = admin_client.post(url, data, follow=True)
    assert b"Client authentication failed" in failed.content or b"invalid_client" in failed.content
    assert b"wrong-secret" not in failed.content


@pytest.mark.parametrize(
    "url",
    [
        "http://mc0123456789abcdefghijklmnop.rest.marketingcloudapis.com",
        "https://evil.example.com",
        "https://mc1.rest.marketingcloudapis.com.evil.com",
        "https://169.254.169.254",
    ],
)
def test_admin_refuses_a_connection_outside_the_host_allow_list(admin_client, db, url):
    response = admin_client.post(
        reverse("admin:journeys_connection_add"),
        {
            "name": "Bad",
            "auth_base_url": url,
            "rest_base_url": url,
            "client_id": "x",
            "client_secret": "y",
        },
    )
    assert response.status_code == 200
    assert b"errorlist" in response.content
    from journeys.models import Connection

    assert not Connection.objects.filter(name="Bad").exists()


def test_import_and_export_commands(editor, sim_connection, demo_journeys, tmp_path):
    item = remote_items(sim_connection)[0]
    call_command("import_journey", sim_connection.name, item["id"], "--as-user", editor.username)
    draft = Draft.objects.get()
    out = tmp_path / "exported.json"
    call_command("export_journey", "--draft", str(draft.pk), "-o", str(out))
    assert json.loads(out.read_text()) == draft.document
    assert Journey.objects.get().key == item["key"]


def test_journeys_list_filters_by_text_state_and_author(client, editor, sim_connection):
    from journeys.services.drafts import create_new_journey
    from journeys.services.review import submit_for_review
    from tests.factories import UserFactory

    other = UserFactory(username="otto", roles=["Editors"])
    create_new_journey(editor, sim_connection, "Welcome series")
    submitted = create_new_journey(other, sim_connection, "Birthday offer")
    submit_for_review(other, submitted, expected_revision=1, message="")
    client.force_login(editor)
    url = reverse("journeys:home")
    assert b"Birthday offer" not in client.get(url, {"q": "welcome"}).content
    by_state = client.get(url, {"state": "in_review"}, headers={"HX-Request": "true"})
    assert b"Birthday offer" in by_state.content and b"Welcome series" not in by_state.content
    assert b"<html" not in by_state.content
    mine = client.get(url, {"mine": "on"})
    assert b"Welcome series" in mine.content and b"Birthday offer" not in mine.content
