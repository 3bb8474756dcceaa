"""The review, compare and merge screens say catalog ids by name (the id on hover), and the
review warns about ids a refreshed catalog lacks. The simulator's demo catalog over real HTTP."""

from __future__ import annotations

import pytest
from django.urls import reverse

from journeys.domain.document import put_body
from journeys.services.catalog import refresh_catalog
from journeys.services.remote import client_for
from tests.test_push_service import approved_now, edited, import_demo, remote_doc
from tests.test_push_views import conflicted

pytestmark = pytest.mark.django_db

WELCOME_ABOARD = "Welcome series - Welcome aboard"  # email 1101 of the demo catalog
TIPS = "Welcome series - Getting started tips"  # 1102
GOLDEN = "Birthday offer - A golden birthday gift"  # 1201
SUPPORT = "3410da6a-ee34-58d9-a732-d0a331ae1208"  # sender profile "Northwind Support"
MARKETING = "7cfb9343-5920-5dfa-8240-d7de2d9ba7f8"  # "Northwind Marketing"


def send_of(document, key="EMAILV2-1"):
    activity = next(a for a in document["activities"] if a["key"] == key)
    return activity["configurationArguments"]["triggeredSend"]


def span(name, hover):
    return f'<span class="catalog-name" title="{hover}">{name}</span>'


@pytest.fixture
def draft(editor, sim_connection, demo_journeys):
    assert refresh_catalog(sim_connection.pk) == ""

    def change(document):
        send_of(document).update(emailId=1102, senderProfileId=SUPPORT)
        send_of(document, "EMAILV2-3")["emailId"] = 999999  # not in SFMC's catalog

    return edited(editor, import_demo(editor, sim_connection), change)


def test_the_review_says_changed_emails_and_profiles_by_name_with_the_id_on_hover(
    client, editor, draft
):
    client.force_login(editor)

    html = client.get(reverse("journeys:draft-review", args=[draft.pk])).content.decode()

    assert f"Email &#x27;{span(WELCOME_ABOARD, 'email 1101')}&#x27; → &#x27;" in html
    assert span(TIPS, "email 1102") in html
    assert span("Northwind Marketing", f"sender profile {MARKETING}") in html
    assert span("Northwind Support", f"sender profile {SUPPORT}") in html
    assert "triggeredSend › senderProfileId" not in html and "Email changed" not in html


def test_the_review_warns_about_an_id_the_refreshed_catalog_lacks(client, editor, draft):
    client.force_login(editor)

    html = client.get(reverse("journeys:draft-review", args=[draft.pk])).content.decode()

    warnings = html.split('id="catalog-warnings"', 1)[1].split("</div>", 1)[0]
    assert "This draft uses 1 id SFMC's catalog does not have" in warnings
    assert 'data-key="EMAILV2-3"' in warnings
    assert "The email 999999 is not in SFMC&#x27;s catalog" in warnings
    assert "1102" not in warnings  # a known id is no warning
    old = span("Welcome series - Did you see our welcome?", "email 1103")
    assert f"Email &#x27;{old}&#x27; → 999999" in html  # the old one named, the new one as is


def test_compare_names_catalog_ids_on_both_sides(client, editor, draft):
    client.force_login(editor)
    url = reverse("journeys:draft-compare", args=[draft.pk])

    html = client.get(url, {"a": "base", "b": "current"}).content.decode()

    assert span(WELCOME_ABOARD, "email 1101") in html and span(TIPS, "email 1102") in html
    assert "{#" not in html  # a template comment over two lines would be shown as text


def merge_session(editor, approver, sim_connection, theirs_key):
    """The merge after a push: the approved draft sends email 1102 from EMAILV2-1, and someone
    changed `theirs_key`'s email to 1201 in SFMC meanwhile."""
    assert refresh_catalog(sim_connection.pk) == ""
    draft = import_demo(editor, sim_connection)
    draft = approved_now(
        editor, approver, edited(editor, draft, lambda d: send_of(d).update(emailId=1102))
    )
    theirs = remote_doc(sim_connection)
    send_of(theirs, theirs_key)["emailId"] = 1201
    body = put_body(theirs, version=theirs["version"], modified_date=theirs["modifiedDate"])
    client_for(sim_connection).put_journey(body)
    return conflicted(editor, draft)


def test_the_merge_screen_names_the_email_both_sides_changed(
    client, editor, approver, sim_connection, demo_journeys
):
    session = merge_session(editor, approver, sim_connection, "EMAILV2-1")
    client.force_login(editor)

    html = client.get(reverse("journeys:merge", args=[session.pk])).content.decode()

    legend = html.split("<legend", 1)[1].split("</legend>", 1)[0]
    assert legend.endswith(">1. Email &#x27;Welcome aboard&#x27; — email")
    sides = html.split('class="conflict-sides"', 1)[1]
    assert f'<p class="value">&#x27;{span(GOLDEN, "email 1201")}&#x27;</p>' in sides
    assert "<summary>ID</summary><pre>1201</pre>" in sides
