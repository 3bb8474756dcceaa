"""Only editors are offered to create journeys; anyone else is told why in plain words, never
given a button that ends in a bare 403."""

from __future__ import annotations

import pytest
from django.urls import reverse

from journeys.models import Draft
from journeys.permissions import NOT_AN_EDITOR
from tests.test_views_remote import remote_items

CREATE_BUTTONS = ("New journey</a>", "Upload JSON</a>", "Import from ")


def test_an_approver_gets_no_create_button_and_a_page_that_says_why(
    client, approver, sim_connection
):
    client.force_login(approver)
    home = client.get(reverse("journeys:home")).content.decode()
    assert not [button for button in CREATE_BUTTONS if button in home]

    for name in ("journeys:draft-new", "journeys:draft-upload"):
        response = client.get(reverse(name))
        html = response.content.decode()
        assert response.status_code == 403, name
        assert 'id="not-allowed"' in html and "Only editors create journeys" in html, name
        assert "<form" not in html.split('id="not-allowed"')[1], name  # no form to fill in vain
    refused = client.post(
        reverse("journeys:draft-new"), {"connection": sim_connection.pk, "name": "Mine"}
    )
    assert refused.status_code == 403 and NOT_AN_EDITOR in refused.content.decode()
    assert not Draft.objects.exists()


def test_an_editor_gets_the_create_buttons_and_the_form(client, editor, sim_connection):
    client.force_login(editor)
    home = client.get(reverse("journeys:home")).content.decode()
    assert [button for button in CREATE_BUTTONS if button in home] == list(CREATE_BUTTONS)
    assert 'name="name"' in client.get(reverse("journeys:draft-new")).content.decode()


@pytest.mark.parametrize(("role", "offered"), [("editor", True), ("approver", False)])
def test_sfmcs_journeys_offer_import_to_editors_only(
    client, request, role, offered, sim_connection, demo_journeys
):
    client.force_login(request.getfixturevalue(role))
    listing = client.get(reverse("journeys:remote-list", args=[sim_connection.pk]))
    remote_id = remote_items(sim_connection)[0]["id"]
    versions = client.get(reverse("journeys:remote-versions", args=[sim_connection.pk, remote_id]))
    assert listing.status_code == versions.status_code == 200
    assert (">Import</button>" in listing.content.decode()) is offered
    assert (">Import this version</button>" in versions.content.decode()) is offered
