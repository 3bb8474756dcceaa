"""The canvas editor's endpoints: full page and htmx partial paths."""

from __future__ import annotations

import json
import re

import pytest
from django.urls import reverse

from bench.journeys_gen import generate_journey
from journeys.models import Draft
from journeys.services.drafts import create_draft_from_upload, create_new_journey, save_revision
from tests.factories import ConnectionFactory

HTMX = {"HX-Request": "true"}


@pytest.fixture
def connection(db):
    return ConnectionFactory()


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


def upload(user, connection, document):
    return create_draft_from_upload(user, connection, json.dumps(document).encode()).draft


@pytest.fixture
def real_draft(editor, connection, real_fixtures_dir):
    path = real_fixtures_dir / "10-coh-random-and-decision-split.json"
    return upload(editor, connection, json.loads(path.read_text()))


def edit_url(draft):
    return reverse("journeys:draft-edit", args=[draft.pk])


def node_keys(content: bytes) -> set[str]:
    return set(re.findall(r'data-key="([^"]+)"', content.decode()))


def test_editor_draws_every_activity_trigger_and_edge_of_a_real_journey(editor_client, real_draft):
    response = editor_client.get(reverse("journeys:draft", args=[real_draft.pk]))
    assert response.status_code == 200
    keys = {a["key"] for a in real_draft.document["activities"]}
    assert keys | {"TRIGGER"} <= node_keys(response.content) | {"TRIGGER"}
    assert keys <= node_keys(response.content)
    assert response.content.count(b'class="edge edge-') >= len(keys)
    assert b'id="palette"' in response.content
    assert b"Random Split" in response.content  # palette and type labels


@pytest.mark.parametrize("size", [10, 120])
def test_editor_page_queries_do_not_grow_with_activities(
    editor_client, editor, connection, django_assert_max_num_queries, size
):
    draft = upload(editor, connection, generate_journey(size, seed=3))
    # 12, plus the draft's test contacts (1, however many), plus the connection's team rules
    # (1), plus the catalog's: which kinds are cached (1) and, on the first visit of a
    # connection whose catalog was never asked for, the claim of its first refresh (3), plus
    # the top bar's unread notifications (1).
    with django_assert_max_num_queries(19):
        response = editor_client.get(reverse("journeys:draft", args=[draft.pk]))
    assert len(node_keys(response.content)) >= size


def test_inserting_on_an_edge_returns_the_new_canvas_and_saves_a_revision(
    editor_client, editor, connection
):
    draft = create_new_journey(editor, connection, "Fresh")
    response = editor_client.post(
        edit_url(draft),
        {"op": "insert", "type_id": "WAITBYDURATION", "after": "", "revision": 1},
        headers=HTMX,
    )
    assert response.status_code == 200
    assert b'id="canvas"' in response.content
    assert b'id="editor-bar" class="editor-bar" hx-swap-oob="true"' in response.content
    assert "WAITBYDURATION-1" in node_keys(response.content)
    draft.refresh_from_db()
    assert draft.revision_number == 2
    assert [a["key"] for a in draft.document["activities"]] == ["WAITBYDURATION-1"]
    assert draft.revisions.get(number=2).summary.startswith("Added Wait by Duration")


def test_an_edit_without_javascript_redirects_back_to_the_editor(editor_client, editor, connection):
    draft = create_new_journey(editor, connection, "Fresh")
    response = editor_client.post(
        edit_url(draft), {"op": "insert", "type_id": "EMAILV2", "after": "", "revision": 1}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("journeys:draft", args=[draft.pk])
    draft.refresh_from_db()
    assert draft.document["activities"][0]["key"] == "EMAILV2-1"


def build(editor_client, draft, *steps):
    """Apply structural edits one after another, each on the latest revision."""
    for step in steps:
        draft.refresh_from_db()
        response = editor_client.post(
            edit_url(draft), {**step, "revision": draft.revision_number}, headers=HTMX
        )
        assert response.status_code == 200, response.content.decode()[:500]
    draft.refresh_from_db()
    return draft


def test_a_stale_edit_that_does_not_overlap_is_merged(editor_client, editor, connection):
    draft = create_new_journey(editor, connection, "Fresh")
    draft = build(editor_client, draft, {"op": "insert", "type_id": "WAITBYDURATION", "after": ""})
    stale = draft.revision_number
    renamed = {**draft.document, "name": "Renamed in the other tab"}
    save_revision(editor, draft, renamed, expected_revision=stale, summary="other tab")
    response = editor_client.post(
        edit_url(draft),
        {"op": "insert", "type_id": "EMAILV2", "after": "WAITBYDURATION-1", "revision": stale},
        headers=HTMX,
    )
    assert response.status_code == 200
    assert b"merged with newer changes" in response.content
    draft.refresh_from_db()
    assert draft.document["name"] == "Renamed in the other tab"
    assert [a["key"] for a in draft.document["activities"]] == ["WAITBYDURATION-1", "EMAILV2-1"]


def test_a_stale_edit_that_overlaps_is_refused_with_a_message_and_a_fresh_canvas(
    editor_client, editor, connection
):
    draft = create_new_journey(editor, connection, "Fresh")
    draft = build(editor_client, draft, {"op": "insert", "type_id": "WAITBYDURATION", "after": ""})
    stale = draft.revision_number
    other = build(
        editor_client, draft, {"op": "insert", "type_id": "SMSSYNC", "after": "WAITBYDURATION-1"}
    )
    response = editor_client.post(
        edit_url(draft),
        {"op": "insert", "type_id": "EMAILV2", "after": "WAITBYDURATION-1", "revision": stale},
        headers=HTMX,
    )
    assert response.status_code == 409
    assert b"Someone changed this draft since you loaded it" in response.content
    assert "SMSSYNC-1" in node_keys(response.content)
    draft.refresh_from_db()
    assert draft.revision_number == other.revision_number
    assert "EMAILV2-1" not in {a["key"] for a in draft.document["activities"]}


def test_split_branches_can_be_added_relinked_and_removed(editor_client, editor, connection):
    draft = create_new_journey(editor, connection, "Splits")
    draft = build(
        editor_client,
        draft,
        {"op": "insert", "type_id": "RANDOMSPLITV2", "after": ""},
        {"op": "add-branch", "key": "RANDOMSPLITV2-1"},
    )
    outcomes = draft.document["activities"][0]["outcomes"]
    assert len(outcomes) == 3
    assert sum(o["arguments"]["percentage"] for o in outcomes) == 100
    first, last = outcomes[0]["key"], outcomes[-1]["key"]
    draft = build(
        editor_client,
        draft,
        {"op": "insert", "type_id": "EMAILV2", "after": "RANDOMSPLITV2-1", "outcome_key": first},
        {"op": "relink", "key": "RANDOMSPLITV2-1", "outcome_key": last, "target": "EMAILV2-1"},
        {"op": "remove-branch", "key": "RANDOMSPLITV2-1", "outcome_key": outcomes[1]["key"]},
    )
    split = draft.document["activities"][0]
    assert [o.get("next") for o in split["outcomes"]] == ["EMAILV2-1", "EMAILV2-1"]


def test_deleting_a_split_keeps_the_chosen_branch(editor_client, editor, connection):
    draft = create_new_journey(editor, connection, "Delete")
    draft = build(
        editor_client,
        draft,
        {"op": "insert", "type_id": "ENGAGEMENTSPLITV2", "after": ""},
    )
    split = draft.document["activities"][0]
    yes, no = (o["key"] for o in split["outcomes"])
    draft = build(
        editor_client,
        draft,
        {"op": "insert", "type_id": "WAITBYDURATION", "after": split["key"], "outcome_key": yes},
        {"op": "insert", "type_id": "SMSSYNC", "after": split["key"], "outcome_key": no},
        {"op": "delete", "key": split["key"], "keep_branch": yes},
    )
    assert [a["key"] for a in draft.document["activities"]] == ["WAITBYDURATION-1"]


def test_a_refused_edit_explains_itself_and_changes_nothing(editor_client, editor, connection):
    draft = create_new_journey(editor, connection, "Nope")
    response = editor_client.post(
        edit_url(draft), {"op": "delete", "key": "NOT-THERE-1", "revision": 1}, headers=HTMX
    )
    assert response.status_code == 409
    assert b'id="notice"' in response.content
    draft.refresh_from_db()
    assert draft.revision_number == 1


def test_undo_and_redo_survive_a_reload(editor_client, editor, connection):
    draft = create_new_journey(editor, connection, "Undo")
    draft = build(
        editor_client,
        draft,
        {"op": "insert", "type_id": "WAITBYDURATION", "after": ""},
        {"op": "insert", "type_id": "EMAILV2", "after": "WAITBYDURATION-1"},
    )
    undo = reverse("journeys:draft-undo", args=[draft.pk])
    redo = reverse("journeys:draft-redo", args=[draft.pk])
    assert editor_client.post(undo, {"revision": 3}, headers=HTMX).status_code == 200
    draft.refresh_from_db()
    assert [a["key"] for a in draft.document["activities"]] == ["WAITBYDURATION-1"]
    page = editor_client.get(reverse("journeys:draft", args=[draft.pk]))  # a reload
    assert re.search(rb'id="redo-button"[^>]*>', page.content).group(0).find(b"disabled") == -1
    assert editor_client.post(redo, {"revision": 4}, headers=HTMX).status_code == 200
    draft.refresh_from_db()
    assert [a["key"] for a in draft.document["activities"]] == ["WAITBYDURATION-1", "EMAILV2-1"]
    assert draft.revision_number == 5
    assert draft.redo_stack == []


def test_undo_on_a_stale_revision_is_refused(editor_client, editor, connection):
    draft = create_new_journey(editor, connection, "Undo")
    draft = build(editor_client, draft, {"op": "insert", "type_id": "WAITBYDURATION", "after": ""})
    response = editor_client.post(
        reverse("journeys:draft-undo", args=[draft.pk]), {"revision": 1}, headers=HTMX
    )
    assert response.status_code == 409
    draft.refresh_from_db()
    assert draft.revision_number == 2


def test_history_lists_revisions_and_restores_one(editor_client, editor, connection):
    draft = create_new_journey(editor, connection, "History")
    draft = build(editor_client, draft, {"op": "insert", "type_id": "WAITBYDURATION", "after": ""})
    history = editor_client.get(reverse("journeys:draft-history", args=[draft.pk]), headers=HTMX)
    assert b"Revision 2" in history.content and b"Revision 1" in history.content
    assert b"edna" in history.content
    restore = reverse("journeys:draft-restore", args=[draft.pk, 1])
    assert editor_client.post(restore, {"revision": 2}, headers=HTMX).status_code == 200
    draft.refresh_from_db()
    assert draft.document["activities"] == []
    assert draft.revision_number == 3
    assert draft.revisions.get(number=3).summary == "Restored revision 1"


def test_the_full_page_history_restores_with_a_plain_post_back_to_the_editor(
    editor_client, editor, connection
):
    draft = create_new_journey(editor, connection, "History")
    draft = build(editor_client, draft, {"op": "insert", "type_id": "WAITBYDURATION", "after": ""})
    page = editor_client.get(reverse("journeys:draft-history", args=[draft.pk])).content.decode()
    restore = reverse("journeys:draft-restore", args=[draft.pk, 1])
    assert f'action="{restore}"' in page
    assert 'hx-target="#canvas"' not in page  # the full page has no canvas to swap
    panel = editor_client.get(reverse("journeys:draft-history", args=[draft.pk]), headers=HTMX)
    assert 'hx-target="#canvas"' in panel.content.decode()  # the editor's panel still swaps it

    response = editor_client.post(restore, {"revision": 2}, follow=True)

    assert response.redirect_chain == [(reverse("journeys:draft", args=[draft.pk]), 302)]
    assert response.content.decode().count("Restored revision 1.") == 1
    draft.refresh_from_db()
    assert draft.revision_number == 3 and draft.document["activities"] == []


def test_approver_cannot_edit_even_by_posting_directly(client, approver, editor, connection):
    draft = create_new_journey(editor, connection, "Mine")
    client.force_login(approver)
    response = client.post(
        edit_url(draft), {"op": "insert", "type_id": "EMAILV2", "after": "", "revision": 1}
    )
    assert response.status_code == 403
    page = client.get(reverse("journeys:draft", args=[draft.pk]))
    assert page.status_code == 200
    assert b'id="palette"' not in page.content


def test_edits_without_a_csrf_token_are_refused(editor, connection):
    from django.test import Client

    draft = create_new_journey(editor, connection, "CSRF")
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(editor)
    response = strict.post(
        edit_url(draft), {"op": "insert", "type_id": "EMAILV2", "after": "", "revision": 1}
    )
    assert response.status_code == 403
    assert Draft.objects.get().revision_number == 1


def test_insert_chooser_offers_every_palette_type_without_javascript(
    editor_client, editor, connection
):
    draft = create_new_journey(editor, connection, "Chooser")
    response = editor_client.get(reverse("journeys:draft-insert", args=[draft.pk]), {"after": ""})
    from journeys.domain.catalog import ENTRIES

    for entry in ENTRIES:
        if entry.palette_group:
            assert f'value="{entry.type_id}"'.encode() in response.content


def test_panel_opens_for_an_activity_and_saves_a_field(editor_client, editor, connection):
    draft = create_new_journey(editor, connection, "Panel")
    draft = build(editor_client, draft, {"op": "insert", "type_id": "WAITBYDURATION", "after": ""})
    url = reverse("journeys:draft-panel", args=[draft.pk]) + "?target=activity:WAITBYDURATION-1"
    panel = editor_client.get(url, headers=HTMX)
    assert panel.status_code == 200
    assert b'id="panel"' in panel.content and b"<html" not in panel.content
    form_fields = dict(re.findall(rb'name="(\w+)"[^>]*value="([^"]*)"', panel.content))
    assert b"waitDuration" in panel.content
    data = {k.decode(): v.decode() for k, v in form_fields.items() if k != b"csrfmiddlewaretoken"}
    data.update({"waitDuration": "3", "waitUnit": "DAYS", "revision": str(draft.revision_number)})
    response = editor_client.post(url, data, headers=HTMX)
    assert response.status_code == 200, response.content.decode()[:800]
    assert b'id="panel-revision"' in response.content
    draft.refresh_from_db()
    wait = draft.document["activities"][0]["configurationArguments"]
    assert (wait["waitDuration"], wait["waitUnit"]) == (3, "DAYS")


def test_a_wait_name_that_follows_its_duration_is_redrawn_so_the_next_save_keeps_it(
    editor_client, editor, connection
):
    draft = create_new_journey(editor, connection, "Panel")
    draft = build(editor_client, draft, {"op": "insert", "type_id": "WAITBYDURATION", "after": ""})
    url = reverse("journeys:draft-panel", args=[draft.pk]) + "?target=activity:WAITBYDURATION-1"
    fields = {"name": "Wait 1 day", "waitDuration": "3", "waitUnit": "DAYS"}

    response = editor_client.post(url, {**fields, "revision": 2}, headers=HTMX)

    html = response.content.decode()
    assert '<aside id="panel" class="panel"' in html  # the whole panel, not the kept one
    assert re.search(
        r'id="id_name"[^>]*value="Wait 3 days"|value="Wait 3 days"[^>]*id="id_name"', html
    )
    # The panel's next save (its description) carries the name it now shows: the name stays.
    editor_client.post(
        url,
        {**fields, "name": "Wait 3 days", "description": "Give them time", "revision": 3},
        headers=HTMX,
    )
    draft.refresh_from_db()
    assert draft.document["activities"][0]["name"] == "Wait 3 days"


def test_settings_panel_refuses_illegal_characters_in_the_name(editor_client, editor, connection):
    draft = create_new_journey(editor, connection, "Settings")
    url = reverse("journeys:draft-panel", args=[draft.pk]) + "?target=settings"
    response = editor_client.post(
        url, {"name": "Bad <name>", "entryMode": "OnceAndDone", "revision": 1}, headers=HTMX
    )
    assert response.status_code == 200
    assert b"errorlist" in response.content
    draft.refresh_from_db()
    assert draft.document["name"] == "Settings"


def test_untrusted_names_are_escaped_in_the_canvas_and_panel(editor_client, editor, connection):
    payload = "<script>alert(1)</script></svg><img src=x onerror=alert(2)>"
    document = generate_journey(3, seed=1)
    document["name"] = payload
    for activity in document["activities"]:
        activity["name"] = payload
    draft = upload(editor, connection, document)
    key = document["activities"][0]["key"]
    page = editor_client.get(
        reverse("journeys:draft", args=[draft.pk]), {"select": f"activity:{key}"}
    )
    assert page.status_code == 200
    assert b"<script>alert(1)" not in page.content
    assert b"<img src=x" not in page.content
    assert b"&lt;script&gt;" in page.content


def test_sfmc_rejections_of_the_current_revision_show_on_their_activity(
    editor_client, editor, connection
):
    from journeys.models import PushAttempt

    draft = create_new_journey(editor, connection, "Rejected")
    draft = build(editor_client, draft, {"op": "insert", "type_id": "WAITBYDURATION", "after": ""})
    problem = {"activity_key": "WAITBYDURATION-1", "message": "Wait too long", "errorcode": 121000}
    PushAttempt.objects.create(
        draft=draft,
        revision=draft.revisions.get(number=draft.revision_number),
        requested_by=editor,
        payload_hash=draft.content_hash,
        state=PushAttempt.State.FAILED,
        error_details={"problems": [problem]},
    )
    page = editor_client.get(reverse("journeys:draft", args=[draft.pk])).content.decode()
    node = re.search(r'<a class="node[^"]*"[^>]*data-key="WAITBYDURATION-1".*?</a>', page, re.S)
    assert "has-error" in node.group(0)
    assert "SFMC refused it: Wait too long" in node.group(0)
    name = draft.document["activities"][0]["name"]
    labels = re.findall(r'<a href="[^"]*select=activity:WAITBYDURATION-1">(.*?)</a>', page)
    assert labels  # the push status and the problem list link to the activity ...
    assert set(labels) == {f'<span class="activity-name" title="WAITBYDURATION-1">{name}</span>'}
    draft = build(
        editor_client, draft, {"op": "insert", "type_id": "EMAILV2", "after": "WAITBYDURATION-1"}
    )
    page = editor_client.get(reverse("journeys:draft", args=[draft.pk])).content.decode()
    assert "SFMC refused it" not in page  # a newer revision has not been pushed yet


def test_the_panel_names_a_path_and_its_targets_never_by_key(editor_client, editor, connection):
    draft = create_new_journey(editor, connection, "Paths")
    draft = build(editor_client, draft, {"op": "insert", "type_id": "WAITBYDURATION", "after": ""})
    draft = build(
        editor_client, draft, {"op": "insert", "type_id": "EMAILV2", "after": "WAITBYDURATION-1"}
    )
    outcome = draft.document["activities"][0]["outcomes"][0]["key"]
    url = reverse("journeys:draft-panel", args=[draft.pk]) + "?target=activity:WAITBYDURATION-1"
    panel = editor_client.get(url, headers=HTMX).content.decode()
    assert re.search(r'<label for="relink-1">The path goes to</label>', panel)
    assert f">{outcome} goes to" not in panel
    assert '<option value="EMAILV2-1" selected>Email 1</option>' in panel
