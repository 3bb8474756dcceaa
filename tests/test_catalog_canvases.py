"""The read-only canvases (review, compare, merge screen) put catalog names on their cards exactly
as the editor's canvas does (an email's name, its subject and id on hover), at no query more:
the review page's queries do not grow with the journey, nor with its test contacts. The
simulator's demo catalog over HTTP."""

from __future__ import annotations

import json
import re

import pytest
from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from bench.journeys_gen import generate_journey
from journeys.services.catalog import refresh_catalog
from journeys.services.drafts import create_draft_from_upload
from journeys.services.test_contacts import import_test_contacts
from tests.test_catalog_review import GOLDEN, TIPS, WELCOME_ABOARD, merge_session, send_of
from tests.test_push_service import edited, import_demo

pytestmark = pytest.mark.django_db


def cards(html, canvas_label=None):
    """key -> (the line under the name, the card's hover text without its change mark) of one
    canvas on the page (the editor's one canvas when no label is given)."""
    if canvas_label:
        html = html.split(f'role="group" aria-label="{canvas_label}"', 1)[1].split("</svg>", 1)[0]
    else:
        html = html.split('id="canvas"', 1)[1]
    found = {}
    for part in html.split('data-key="')[1:]:
        key = part.split('"', 1)[0]
        shown = re.search(r'<text class="node-type"[^>]*>([^<]*)</text>', part)
        title = re.search(r"<title>([^<]*)</title>", part)
        if shown and title and key not in found:
            hover = re.sub(r" \((added|changed|removed|conflict)\)$", "", title.group(1))
            found[key] = (shown.group(1), hover)
    return found


@pytest.fixture
def draft(editor, sim_connection, demo_journeys):
    assert refresh_catalog(sim_connection.pk) == ""

    def change(document):
        send_of(document)["emailId"] = 1102
        # EMAILV2-2 goes (its path now ends at the split), so the base canvas is drawn too
        document["activities"] = [a for a in document["activities"] if a["key"] != "EMAILV2-2"]
        split = next(a for a in document["activities"] if a["type"] == "ENGAGEMENTDECISION")
        split["outcomes"][0].pop("next")

    return edited(editor, import_demo(editor, sim_connection), change)


def test_the_review_canvases_show_the_editors_card_names(client, editor, draft):
    client.force_login(editor)

    review = client.get(reverse("journeys:draft-review", args=[draft.pk])).content.decode()
    editor_cards = cards(client.get(reverse("journeys:draft", args=[draft.pk])).content.decode())

    after, base = cards(review, "This draft"), cards(review, "SFMC now")
    assert after["EMAILV2-1"] == (
        "Welcome series - …",
        f"Welcome aboard · Email · {TIPS} · Subject: Getting started tips (email 1102)",
    )
    assert {key: after[key] for key in editor_cards} == editor_cards  # exactly the editor's
    assert base["EMAILV2-1"][1].endswith(f"{WELCOME_ABOARD} · Subject: Welcome aboard (email 1101)")
    assert base["EMAILV2-2"][1].endswith(f"{TIPS} · Subject: Getting started tips (email 1102)")


def test_compare_names_the_cards_of_either_version(client, editor, draft):
    client.force_login(editor)
    url = reverse("journeys:draft-compare", args=[draft.pk])

    forward = client.get(url, {"a": "base", "b": "current"}).content.decode()
    backward = client.get(url, {"a": "current", "b": "base"}).content.decode()

    assert TIPS in cards(forward, "Revision 2 (current)")["EMAILV2-1"][1]
    assert "(email 1101)" in cards(backward, "SFMC version 1 (base)")["EMAILV2-1"][1]


def test_the_merge_screen_canvas_names_its_cards(
    client, editor, approver, sim_connection, demo_journeys
):
    session = merge_session(editor, approver, sim_connection, "EMAILV2-3")  # another email
    client.force_login(editor)

    html = client.get(reverse("journeys:merge", args=[session.pk])).content.decode()

    merged = cards(html, "The merged journey")
    assert merged["EMAILV2-1"][1].endswith(f"{TIPS} · Subject: Getting started tips (email 1102)")
    assert merged["EMAILV2-3"] == (
        "Birthday offer - A …",
        f"Did you see our welcome? · Email · {GOLDEN} · Subject: A golden birthday gift "
        "(email 1201)",
    )


def review_queries(client, editor, connection, size, contacts):
    document = generate_journey(size, seed=5)
    for activity in document["activities"]:
        if activity["type"] == "EMAILV2":  # emails the catalog names, so every card looks one up
            activity["configurationArguments"]["triggeredSend"]["emailId"] = 1101
    raw = json.dumps(document).encode()
    draft = create_draft_from_upload(editor, connection, raw).draft
    sheet = "name,expect\n" + "".join(f"Contact {n},reaches the end\n" for n in range(contacts))
    import_test_contacts(editor, draft, sheet)
    with CaptureQueriesContext(db_connection) as queries:
        html = client.get(reverse("journeys:draft-review", args=[draft.pk])).content.decode()
    assert html.count(f"{WELCOME_ABOARD} · Subject: Welcome aboard (email 1101)") >= size // 10
    assert html.count('<tr class="contact-row') == contacts  # each contact's row is there
    return len(queries)


def test_names_and_test_contacts_on_the_review_cost_no_query_per_activity_or_contact(
    client, editor, sim_connection, demo_journeys
):
    assert refresh_catalog(sim_connection.pk) == ""
    client.force_login(editor)

    small = review_queries(client, editor, sim_connection, 10, contacts=2)
    large = review_queries(client, editor, sim_connection, 120, contacts=25)

    assert small == large
