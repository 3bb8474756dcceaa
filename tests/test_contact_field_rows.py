"""An update-contact activity's rows choose each data extension field by name (a select of the
chosen data extension's fields from the catalog cache); the field's id is what is stored."""

from __future__ import annotations

import json
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from journeys.catalog_models import CatalogDataExtension, CatalogKind
from journeys.services.drafts import create_draft_from_upload
from tests.factories import ConnectionFactory

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
KEY = "UPDATECONTACTDATAV2-2"  # fixture 08: two rows of one data extension
DE = "cb5f84a6-bdf0-ea11-b83f-b883035b89e1"
OPENS, UPDATED = "9c41cddc-6367-4f3a-ac3b-a2d74d34d56e", "1dc9b260-fcb1-41f6-bbe7-b11bb93f6412"
STATUS = "5d7f8a1e-0000-4000-8000-000000000003"


def cached_engagement(connection):
    """Fixture 08's data extension in the connection's catalog, as a refresh leaves it."""
    fields = [(OPENS, "Opens"), (UPDATED, "Last update"), (STATUS, "Status")]
    CatalogDataExtension.objects.create(
        connection=connection,
        object_id=DE,
        customer_key="Engagement",
        name="Engagement",
        fields=[{"object_id": object_id, "name": name} for object_id, name in fields],
    )
    CatalogKind.objects.create(
        connection=connection, kind="data_extensions", refreshed_at=timezone.now()
    )


@pytest.fixture
def draft(editor, real_fixtures_dir):
    connection = ConnectionFactory()
    cached_engagement(connection)
    document = json.loads(
        (
            real_fixtures_dir / "08-greenpeace-automation-audience-stowait-updatecontact.json"
        ).read_text()
    )
    return create_draft_from_upload(editor, connection, json.dumps(document).encode()).draft


def panel_url(draft):
    return reverse("journeys:draft-panel", args=[draft.pk]) + f"?target=activity:{KEY}"


def rows_of(draft):
    draft.refresh_from_db()
    activity = next(a for a in draft.document["activities"] if a["key"] == KEY)
    return activity["arguments"]["activityData"]["updateContactFields"]


def posted(client, draft, rows):
    """The panel as the browser sends it: its inputs as shown, with the rows given."""
    html = client.get(panel_url(draft), headers=HTMX).content.decode()
    data = dict(
        re.findall(r'<input type="(?:text|hidden)"[^>]*name="(\w+)"[^>]*value="([^"]*)"', html)
    )
    data.pop("csrfmiddlewaretoken", None)
    data.update({"revision": str(draft.revision_number), "updateContactFields-rows": len(rows)})
    for index, (field, value) in enumerate(rows):
        data[f"updateContactFields-field-{index}"] = field
        data[f"updateContactFields-value-{index}"] = value
    return client.post(panel_url(draft), data, headers=HTMX)


def test_each_row_shows_its_field_by_name_in_a_select_of_the_data_extensions_fields(
    client, editor, draft
):
    client.force_login(editor)

    html = client.get(panel_url(draft), headers=HTMX).content.decode()

    first = '<select id="id_updateContactFields-field-0" name="updateContactFields-field-0">'
    select = re.search(re.escape(first) + "(.*?)</select>", html)
    assert select, html[:2000]
    assert f'<option value="{OPENS}" selected>Opens</option>' in select.group(1)
    assert f'<option value="{STATUS}">Status</option>' in select.group(1)
    second = re.search(r'name="updateContactFields-field-1">(.*?)</select>', html).group(1)
    assert f'<option value="{UPDATED}" selected>Last update</option>' in second
    assert 'name="updateContactFields-value-1" value="{{DateTime.Now}}"' in html
    assert 'name="updateContactFields-rows" value="4"' in html  # two rows, two empty to add
    assert "field id = value" not in html


def test_choosing_a_field_by_name_stores_its_id_and_keeps_the_untouched_row(client, editor, draft):
    client.force_login(editor)
    before = rows_of(draft)

    response = posted(
        client, draft, [(OPENS, "0"), (UPDATED, "{{DateTime.Now}}"), (STATUS, "Lapsed"), ("", "")]
    )

    assert response.status_code == 200
    assert rows_of(draft) == [
        *before,
        {"dataExtensionId": DE, "field": STATUS, "value": "Lapsed"},
    ]
    assert before[0]["value"] == 0  # the number stayed a number


def test_a_value_without_a_field_is_refused_and_shown_again(client, editor, draft):
    client.force_login(editor)
    before = rows_of(draft)

    response = posted(client, draft, [(OPENS, "0"), ("", "Lapsed")])

    html = response.content.decode()
    assert "Row 2: choose a field." in html
    assert 'name="updateContactFields-value-1" value="Lapsed"' in html  # nothing lost
    assert rows_of(draft) == before
