"""Edits answer with what changed on the canvas, not the whole canvas.

The browser sends the fingerprints (`data-fp`) of the canvas parts it holds; the answer brings
only the nodes, edges, ends and slots whose fingerprint is new (journeys.canvas_parts).
"""

from __future__ import annotations

import json
import re

import pytest
from django.urls import reverse

from bench.journeys_gen import generate_journey
from journeys.canvas import build_canvas
from journeys.canvas_parts import patch_for
from journeys.domain.graph import set_field
from journeys.domain.validate import WARNING, Problem, validate
from journeys.models import Draft
from journeys.panel_forms import Target, panel_form_for
from journeys.services.drafts import create_draft_from_upload
from tests.factories import ConnectionFactory

HTMX = {"HX-Request": "true"}
FINGERPRINT = re.compile(r'data-fp="([0-9a-f]+)"')
NODE = re.compile(r'<a class="node [^>]*data-key="([^"]+)"')


@pytest.fixture
def draft(editor, db) -> Draft:
    document = generate_journey(60, seed=7)
    raw = json.dumps(document).encode()
    return create_draft_from_upload(editor, ConnectionFactory(), raw).draft


def waits(document):
    return [a["key"] for a in document["activities"] if a["type"] == "WAIT"]


def canvas_of(document):
    return build_canvas(document, validate(document))


def drawn(canvas) -> set[str]:
    return {part.fp for parts in canvas.parts.values() for part in parts}


def patch_of(before, after):
    return patch_for(after.parts, drawn(before))


def with_duration(document, key, duration):
    index = next(i for i, a in enumerate(document["activities"]) if a["key"] == key)
    path = ("activities", index, "configurationArguments", "waitDuration")
    return set_field(document, path, duration)


def test_a_field_edit_patches_only_its_own_node(draft):
    before = canvas_of(draft.document)
    key = waits(draft.document)[3]
    after = canvas_of(with_duration(draft.document, key, 9))
    patch = patch_of(before, after)
    assert patch is not None
    assert [part.key for part in patch.nodes] == [key]
    assert patch.edges == patch.ends == patch.slots == []
    (old,) = [part.fp for part in before.parts["nodes"] if part.key == key]
    assert patch.remove == old  # the browser drops the node's old drawing


def test_a_node_whose_problems_change_is_patched_though_its_activity_is_not(draft):
    # A rule about one activity can flag another (an engagement split's email, a team rule).
    key = waits(draft.document)[3]
    flagged = [Problem(WARNING, "team-rule", "$.activities[0]", "Name says 4 days.", key)]
    clean = build_canvas(draft.document, [])
    with_badge = build_canvas(draft.document, flagged)
    patch = patch_of(clean, with_badge)
    assert patch is not None and [part.key for part in patch.nodes] == [key]
    cleared = patch_of(with_badge, clean)  # and the badge goes when the problem does
    assert cleared is not None and [part.key for part in cleared.nodes] == [key]


def test_fingerprints_are_the_same_in_every_process_and_for_equal_canvases(draft):
    # Any web worker may answer the next edit: no per-process hash() in a fingerprint.
    first, second = canvas_of(draft.document), canvas_of(json.loads(json.dumps(draft.document)))
    assert first.parts == second.parts
    assert all(re.fullmatch(r"[0-9a-f]{16}", fp) for fp in drawn(first))
    keys = [(group, part.key) for group, parts in first.parts.items() for part in parts]
    assert len(keys) == len(set(keys))  # a part is found by its key


def test_nothing_held_or_most_changed_means_the_whole_canvas(draft):
    canvas = canvas_of(draft.document)
    assert patch_for(canvas.parts, set()) is None
    one_node = {canvas.parts["nodes"][0].fp}
    assert patch_for(canvas.parts, one_node) is None


def panel_save(client, draft, key, duration, held):
    url = reverse("journeys:draft-panel", args=[draft.pk]) + f"?target=activity:{key}"
    form = panel_form_for(draft.document, Target("activity", key))
    data = {k: v for k, v in form.initial.items() if v not in (None, False)}
    data.update(waitDuration=duration, revision=draft.revision_number, drawn=" ".join(held))
    return client.post(url, data, headers=HTMX)


def test_a_panel_save_answers_with_the_changed_node_and_the_bar_out_of_band(client, editor, draft):
    client.force_login(editor)
    page = client.get(reverse("journeys:draft", args=[draft.pk])).content.decode()
    key = waits(draft.document)[2]
    response = panel_save(client, draft, key, 5, FINGERPRINT.findall(page))
    assert response.status_code == 200
    assert response["HX-Reswap"] == "none"
    content = response.content.decode()
    assert 'id="canvas-patch"' in content and 'id="canvas"' not in content
    assert NODE.findall(content) == [key]
    assert "Wait 5 days" in content or "5 days" in content  # the card says the new duration
    assert 'id="editor-bar"' in content and 'id="panel-revision"' in content
    assert len(content) * 20 < len(page)
    draft.refresh_from_db()
    assert f'data-revision="{draft.revision_number}"' in content


def test_without_fingerprints_a_panel_save_answers_with_the_whole_canvas(client, editor, draft):
    client.force_login(editor)
    key = waits(draft.document)[2]
    response = panel_save(client, draft, key, 5, [])
    assert response.status_code == 200
    assert "HX-Reswap" not in response
    content = response.content.decode()
    assert 'id="canvas"' in content and "hx-swap-oob" not in content.split('id="canvas"')[1][:200]
    assert len(NODE.findall(content)) > 60


def test_an_insert_answers_with_new_nodes_moved_ones_and_the_new_flow(client, editor, draft):
    client.force_login(editor)
    page = client.get(reverse("journeys:draft", args=[draft.pk])).content.decode()
    held = FINGERPRINT.findall(page)
    last = draft.document["activities"][-1]["key"]
    data = {"op": "insert", "type_id": "WAITBYDURATION", "after": last}
    data.update(revision=draft.revision_number, drawn=" ".join(held))
    response = client.post(reverse("journeys:draft-edit", args=[draft.pk]), data, headers=HTMX)
    assert response.status_code == 200
    content = response.content.decode()
    draft.refresh_from_db()
    new_keys = {a["key"] for a in draft.document["activities"]} - set(NODE.findall(page))
    assert len(new_keys) == 1
    # At the end of a path nothing else moves: the new node, its edge, end and slot.
    assert response["HX-Reswap"] == "none"
    assert set(NODE.findall(content)) == new_keys
    assert content.count('class="edge-part"') <= 2 and content.count('class="slot"') <= 2
    assert len(content) * 10 < len(page)  # the bar and panel are most of it at 60 activities


def test_a_group_that_is_empty_before_or_after_patches_too(draft):
    # The first goal: the canvas had no side boxes and no ends of theirs; nothing fails.
    without = {**draft.document, "goals": [], "exits": []}
    patch = patch_of(canvas_of(without), canvas_of(draft.document))
    assert patch is None or all(part.key for part in patch.nodes)
    empty = build_canvas({"activities": []}, [])
    assert empty.parts["edges"] == []
    assert patch_for(empty.parts, drawn(empty)) is not None  # nothing to send: an empty patch
