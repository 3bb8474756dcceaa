"""Panel feedback that cannot mislead: messages that go with their cause, refusals that say what
is stored, the bar's readiness and warnings, and the poll that tells a tab of newer revisions."""

from __future__ import annotations

import copy
import re

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from journeys.services.drafts import create_new_journey, save_revision
from tests.factories import ConnectionFactory
from tests.test_views_editor import HTMX, build

SPLIT = "activity:RANDOMSPLITV2-1"


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


@pytest.fixture
def split_draft(editor_client, editor, db):
    draft = create_new_journey(editor, ConnectionFactory(), "Split")
    return build(editor_client, draft, {"op": "insert", "type_id": "RANDOMSPLITV2", "after": ""})


def panel_url(draft, target):
    return reverse("journeys:draft-panel", args=[draft.pk]) + f"?target={target}"


def post_shares(client, draft, first, second):
    draft.refresh_from_db()
    data = {
        "revision": draft.revision_number,
        "name": "Random Split 1",
        "description": "",
        "path_1_name": "Path 1",
        "path_2_name": "Path 2",
        "path_1_percentage": first,
        "path_2_percentage": second,
    }
    return client.post(panel_url(draft, SPLIT), data, headers=HTMX).content.decode()


def test_a_refused_total_says_so_and_what_is_kept_and_the_next_save_clears_it(
    editor_client, split_draft
):
    refused = post_shares(editor_client, split_draft, "70", "40")
    assert "The percentages add up to 110" in refused
    assert "Not saved: the journey still has “50”." in refused

    saved = post_shares(editor_client, split_draft, "70", "30")
    # The panel is kept (the focus stays), but its messages come afresh and empty.
    errors = re.search(r'<div id="panel-errors"[^>]*hx-swap-oob[^>]*>(.*?)</div>', saved, re.S)
    assert errors is not None and errors[1].strip() == ""
    field = re.search(
        r'<div class="field-errors" id="id_path_1_percentage-errors" hx-swap-oob="true"[^>]*>'
        r"(.*?)</div>",
        saved,
        re.S,
    )
    assert field is not None and field[1].strip() == ""
    assert "add up to 110" not in saved and "Not saved" not in saved
    split_draft.refresh_from_db()
    outcomes = split_draft.document["activities"][0]["outcomes"]
    assert [o["arguments"]["percentage"] for o in outcomes] == [70, 30]


def test_a_negative_wait_is_refused_by_the_server_with_its_message(editor_client, editor, db):
    draft = create_new_journey(editor, ConnectionFactory(), "Wait")
    draft = build(editor_client, draft, {"op": "insert", "type_id": "WAITBYDURATION", "after": ""})
    url = panel_url(draft, "activity:WAITBYDURATION-1")
    page = editor_client.get(url, headers=HTMX).content.decode()
    # The browser's own check (min="1") used to stop the save without a word: the server speaks.
    assert re.search(r'<form class="panel-form"[^>]* novalidate', page)
    data = {"revision": draft.revision_number, "name": "Wait 1 day", "description": ""}
    data |= {"waitDuration": "-3", "waitUnit": "DAYS", "specifiedTime": "", "timeZone": ""}
    refused = editor_client.post(url, data, headers=HTMX).content.decode()
    assert "greater than or equal to 1" in refused
    assert "Not saved: the journey still has “1”." in refused
    draft.refresh_from_db()
    assert draft.document["activities"][0]["configurationArguments"]["waitDuration"] == 1


def bar(client, draft):
    page = client.get(reverse("journeys:draft", args=[draft.pk])).content.decode()
    validity = re.search(r'class="validity (\w+)" id="validity">\s*(.*?)\s*</p>', page, re.S)
    warnings = re.search(r'id="warning-count"[^>]*>(.*?)</p>', page)
    return validity[1], validity[2], warnings[1] if warnings else ""


def test_warnings_are_counted_apart_from_errors_in_amber_words(editor_client, editor, db):
    draft = create_new_journey(editor, ConnectionFactory(), "Warned")
    draft = build(editor_client, draft, {"op": "insert", "type_id": "EMAILV2", "after": ""})
    assert bar(editor_client, draft) == (
        "waiting",
        "No errors; needs approval before a push",
        "2 warnings",  # the entry source and the email, not configured yet
    )
    document = copy.deepcopy(draft.document)
    document["activities"][0]["outcomes"] = []  # an email needs its one outcome: an error
    draft = save_revision(editor, draft, document, expected_revision=2, summary="broken")
    look, text, warnings = bar(editor_client, draft)
    assert (look, text, warnings) == ("blocked", "1 error", "2 warnings")


def poll(client, draft, **headers):
    return client.get(reverse("journeys:draft-revision", args=[draft.pk]), headers=headers)


def test_the_poll_answers_the_revision_and_who_made_it_in_one_query(
    editor_client, editor, split_draft, django_assert_num_queries
):
    editor_client.get("/")  # the session and user are loaded by every request alike
    with django_assert_num_queries(3):  # the session, the user, and the draft with its author
        answer = poll(editor_client, split_draft)
    assert answer.json() == {"revision": 2, "by": editor.username, "mine": True}
    assert poll(editor_client, split_draft, **{"If-None-Match": answer["ETag"]}).status_code == 304

    other = User.objects.create_user("colleague", password="pw-for-tests-1")
    other.groups.add(*editor.groups.all())
    split_draft.refresh_from_db()
    renamed = {**split_draft.document, "name": "Renamed by a colleague"}
    save_revision(other, split_draft, renamed, expected_revision=2, summary="renamed")
    answer = poll(editor_client, split_draft, **{"If-None-Match": answer["ETag"]})
    assert answer.status_code == 200
    assert answer.json() == {"revision": 3, "by": "colleague", "mine": False}


def test_the_poll_tells_nothing_to_whoever_may_not_see_the_draft(client, split_draft, db):
    nobody = User.objects.create_user("no-role", password="pw-for-tests-1")
    client.force_login(nobody)
    assert poll(client, split_draft).status_code == 404


def test_a_refresh_while_typing_keeps_the_panel_and_its_revision(
    editor_client, editor, split_draft
):
    url = reverse("journeys:draft-refresh", args=[split_draft.pk])
    typing = {"select": SPLIT, "typing": "1", "since": "2"}
    kept = editor_client.get(url, typing, headers=HTMX).content.decode()
    assert 'id="canvas"' in kept and 'id="editor-bar"' in kept
    assert 'id="panel-title"' in kept
    assert 'id="panel-revision"' not in kept and '<form class="panel-form"' not in kept
    assert "The panel keeps what you typed; saving it merges with the newer changes." in kept
    whole = editor_client.get(url, {"select": SPLIT}, headers=HTMX).content.decode()
    assert '<aside id="panel"' in whole and 'id="panel-revision"' in whole

    # The split itself changed since the panel was opened at revision 2: the user is told.
    document = copy.deepcopy(split_draft.document)
    document["activities"][0]["name"] = "Renamed elsewhere"
    save_revision(editor, split_draft, document, expected_revision=2, summary="renamed")
    told = editor_client.get(url, typing, headers=HTMX).content.decode()
    assert "“Random Split · Renamed elsewhere” was changed there too" in told


def test_a_refresh_asked_for_without_htmx_is_the_editor_page(editor_client, split_draft):
    url = reverse("journeys:draft-refresh", args=[split_draft.pk])
    response = editor_client.get(url, {"select": SPLIT})
    assert response.status_code == 302
    assert response["Location"].endswith(f"/drafts/{split_draft.pk}/?select={SPLIT}")
