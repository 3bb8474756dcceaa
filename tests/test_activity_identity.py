"""An activity keeps its identity: a new activity never takes an old key, and the merge and the
comparison never take a new activity for a deleted one.

The reported sequence, on the demo "Loyalty points sync" (REST-1 → WAITBYDURATION-1 (1 day) →
UPDATECONTACTDATAV2-1): one side deletes WAITBYDURATION-1 and inserts a new wait, the other
changes WAITBYDURATION-1 to 3 days. The new wait used to get the key WAITBYDURATION-1, and the
merge grafted the 3 days onto it ("Everything merged by itself").
"""

from __future__ import annotations

import copy

import pytest

from journeys.comparison import compare
from journeys.domain import graph
from journeys.domain.catalog import new_activity
from journeys.domain.diff import diff
from journeys.domain.merge import Take, merge, resolve
from journeys.models import ActivityKey, Draft, MergeSession
from journeys.services import push
from journeys.services.editing import EditRefused, apply_edit, structural_edit
from journeys.services.identity import lineage
from journeys.sfmc.simulator import demo
from tests.test_push_service import approved_now, import_demo

LOYALTY = "demo-loyalty-sync"
WAIT = "WAITBYDURATION-1"


def activity(doc, key):
    return next((a for a in doc["activities"] if a["key"] == key), None)


def keys(doc):
    return {a["key"] for a in doc["activities"]}


def with_ids(doc):
    """The demo journey as SFMC serves it: every activity carries SFMC's id."""
    doc = copy.deepcopy(doc)
    for item in doc["activities"]:
        item["id"] = f"sfmc-id-of-{item['key']}"
    return doc


def waited(doc, days, key=WAIT):
    doc = copy.deepcopy(doc)
    activity(doc, key)["configurationArguments"]["waitDuration"] = days
    return doc


def wait_days(doc, key):
    return activity(doc, key)["configurationArguments"]["waitDuration"]


# the domain


def test_a_deleted_key_is_not_handed_to_a_new_activity_and_the_merge_reports_delete_vs_modify():
    base = with_ids(demo.loyalty_sync())
    deleted = graph.delete_activity(base, WAIT)
    ours, new_key = graph.insert_activity(
        deleted, "WAITBYDURATION", after="REST-1", taken=keys(base)
    )
    theirs = waited(base, 3)

    result = merge(base, ours, theirs)

    [conflict] = result.conflicts
    assert (conflict.kind, conflict.path) == ("delete-vs-modify", ("activities", WAIT))
    assert "deleted" in conflict.description
    assert new_key == "WAITBYDURATION-2"
    assert wait_days(result.document, new_key) == 1  # the new wait keeps its own value
    assert activity(result.document, WAIT) is None


def test_a_new_activity_that_took_the_old_key_is_not_grafted_onto_in_either_direction():
    base = with_ids(demo.loyalty_sync())
    replacement = new_activity("WAITBYDURATION", WAIT)  # no SFMC id: another activity
    replacement["outcomes"][0]["next"] = "UPDATECONTACTDATAV2-1"
    ours = copy.deepcopy(base)
    ours["activities"][1] = replacement
    theirs = waited(base, 3)

    result = merge(base, ours, theirs, sfmc_keys={WAIT})

    [conflict] = result.conflicts
    assert (conflict.kind, conflict.path) == ("delete-vs-modify", ("activities", WAIT))
    assert wait_days(result.document, WAIT) == 1 and "id" not in activity(result.document, WAIT)
    assert wait_days(resolve(result, {conflict.id: Take.THEIRS}), WAIT) == 3
    assert resolve(result, {conflict.id: Take.OURS}) == result.document
    [swapped] = merge(base, theirs, ours, sfmc_keys={WAIT}).conflicts
    assert (swapped.kind, swapped.ours, swapped.theirs) == (
        "delete-vs-modify",
        activity(theirs, WAIT),
        replacement,
    )
    assert swapped.description == (
        "SFMC deleted Wait 'Wait 1 day' and added a new activity in its place; you changed it."
    )


def test_an_activity_the_editor_made_is_still_itself_once_sfmc_gave_it_an_id():
    """After a push SFMC's copy has an id the draft's lacks; that is no replacement."""
    base = with_ids(demo.loyalty_sync())  # as pushed: the draft's wait had no id
    ours = copy.deepcopy(base)
    del activity(ours, WAIT)["id"]
    activity(ours, WAIT)["name"] = "Wait a day"
    theirs = waited(base, 3)

    result = merge(base, ours, theirs, sfmc_keys={"REST-1", "UPDATECONTACTDATAV2-1"})

    assert result.conflicts == []
    assert wait_days(result.document, WAIT) == 3
    assert activity(result.document, WAIT)["name"] == "Wait a day"
    assert diff(base, ours, sfmc_keys=set()).activities_changed == (WAIT,)


def test_the_diff_shows_a_replaced_activity_as_removed_and_added():
    base = with_ids(demo.loyalty_sync())
    replaced = copy.deepcopy(base)
    replaced["activities"][1] = {**new_activity("WAITBYDURATION", WAIT), "name": "New wait"}
    replaced["activities"][1]["outcomes"][0]["next"] = "UPDATECONTACTDATAV2-1"

    found = diff(base, replaced, sfmc_keys={WAIT})
    shown = compare(base, replaced, sfmc_keys={WAIT})

    assert (found.activities_removed, found.activities_added) == ((WAIT,), (WAIT,))
    assert found.activities_changed == ()
    assert [(g.mark, g.title) for g in shown.groups] == [
        ("removed", "Wait 1 day"),
        ("added", "New wait"),
    ]


# through the editing service (a stale edit is merged onto the newer revisions)


def set_wait(days):
    def edit(document):
        index = next(i for i, a in enumerate(document["activities"]) if a["key"] == WAIT)
        path = ("activities", index, "configurationArguments", "waitDuration")
        return graph.set_field(document, path, days), f"Wait {days} days"

    return edit


def test_a_stale_edit_of_a_wait_someone_replaced_is_refused_not_grafted(
    editor, sim_connection, demo_journeys
):
    draft = import_demo(editor, sim_connection, LOYALTY)
    tab = apply_edit(editor, draft, structural_edit("delete", {"key": WAIT}), expected_revision=1)
    insert = structural_edit("insert", {"type_id": "WAITBYDURATION", "after": "REST-1"})
    tab = apply_edit(editor, tab.draft, insert, expected_revision=2)

    with pytest.raises(EditRefused) as refused:
        apply_edit(editor, draft, set_wait(3), expected_revision=1)

    assert activity(tab.draft.document, "WAITBYDURATION-2") is not None  # the new wait's key
    assert any("deleted" in text for text in refused.value.conflicts), refused.value.conflicts
    draft.refresh_from_db()
    assert draft.revision_number == 3
    assert wait_days(draft.document, "WAITBYDURATION-2") == 1
    assert activity(draft.document, WAIT) is None


def test_two_stale_inserts_of_the_same_type_in_different_places_both_land(
    editor, sim_connection, demo_journeys
):
    draft = import_demo(editor, sim_connection, LOYALTY)
    first = structural_edit("insert", {"type_id": "WAITBYDURATION", "after": "REST-1"})
    second = structural_edit(
        "insert", {"type_id": "WAITBYDURATION", "after": "UPDATECONTACTDATAV2-1"}
    )

    apply_edit(editor, draft, first, expected_revision=1)
    merged = apply_edit(editor, draft, second, expected_revision=1)  # made on revision 1

    assert merged.merged
    document = merged.draft.document
    assert {"WAITBYDURATION-2", "WAITBYDURATION-3"} <= keys(document)
    assert activity(document, "REST-1")["outcomes"][0]["next"] == "WAITBYDURATION-2"
    assert activity(document, "UPDATECONTACTDATAV2-1")["outcomes"][0]["next"] == (
        "WAITBYDURATION-3"
    )


def test_every_key_of_the_lineage_is_recorded_and_never_reused(
    editor, sim_connection, demo_journeys
):
    draft = import_demo(editor, sim_connection, LOYALTY)
    insert = structural_edit("insert", {"type_id": "WAITBYDURATION", "after": "REST-1"})
    draft = apply_edit(editor, draft, insert, expected_revision=1).draft
    draft = apply_edit(
        editor, draft, structural_edit("delete", {"key": "WAITBYDURATION-2"}), expected_revision=2
    ).draft

    again = apply_edit(editor, draft, insert, expected_revision=3)

    # WAITBYDURATION-2 lived in revision 2: the new wait takes the next key.
    assert activity(again.draft.document, "WAITBYDURATION-3") is not None
    assert activity(again.draft.document, "WAITBYDURATION-2") is None
    known = lineage(draft.journey)
    assert {WAIT, "WAITBYDURATION-2", "WAITBYDURATION-3"} <= known.taken
    assert WAIT in known.sfmc_keys and "WAITBYDURATION-2" not in known.sfmc_keys
    assert ActivityKey.objects.filter(journey=draft.journey, key=WAIT).count() == 1


def test_compare_shows_a_replaced_email_as_removed_and_added(editor, sim_connection, demo_journeys):
    draft = import_demo(editor, sim_connection, "demo-welcome-series")
    delete = structural_edit("delete", {"key": "EMAILV2-3"})
    draft = apply_edit(editor, draft, delete, expected_revision=1).draft
    insert = structural_edit(
        "insert",
        {"type_id": "EMAILV2", "after": "ENGAGEMENTSPLITV2-1", "outcome_key": "branchResult-2"},
    )
    draft = apply_edit(editor, draft, insert, expected_revision=2).draft

    shown = compare(
        draft.base_snapshot.document, draft.document, sfmc_keys=lineage(draft.journey).sfmc_keys
    )

    assert shown.diff.activities_removed == ("EMAILV2-3",)
    assert shown.diff.activities_added == ("EMAILV2-4",)
    assert "EMAILV2-3" not in shown.diff.activities_changed
    marks = {(g.key, g.mark) for g in shown.groups}
    assert {("EMAILV2-3", "removed"), ("EMAILV2-4", "added")} <= marks


# through the push merge (SFMC changed the wait meanwhile)


def test_a_push_after_replacing_a_wait_sfmc_changed_opens_a_conflict(
    editor, approver, simulator, sim_connection, demo_journeys
):
    draft = import_demo(editor, sim_connection, LOYALTY)
    draft = apply_edit(
        editor, draft, structural_edit("delete", {"key": WAIT}), expected_revision=1
    ).draft
    insert = structural_edit("insert", {"type_id": "WAITBYDURATION", "after": "REST-1"})
    draft = apply_edit(editor, draft, insert, expected_revision=2).draft
    draft = approved_now(editor, approver, draft)
    simulator.control(
        "POST",
        "remote-edit",
        {"key": LOYALTY, "action": "change-wait", "activity_key": WAIT, "duration": 3},
    )

    attempt = push.request_push(editor, draft)
    assert push.run_push(attempt.pk).state == push.State.CONFLICT

    session = MergeSession.objects.get(draft=draft)
    assert [c["id"] for c in session.conflicts] == [f"delete-vs-modify:/activities/{WAIT}"]
    merged = session.merged_document
    assert activity(merged, WAIT) is None
    assert wait_days(merged, "WAITBYDURATION-2") == 1
    assert Draft.objects.get(pk=draft.pk).state == Draft.State.APPROVED


@pytest.mark.django_db(transaction=True)
def test_the_migration_backfills_the_keys_of_existing_revisions_and_snapshots():
    """Run as a migration, on rows saved before it (revisions now keep their documents in
    parts, so 0008's backfill cannot read today's tables)."""
    from journeys.models import Journey
    from tests.test_document_storage import _migrate, legacy_journey

    sfmc = [{"key": key, "id": f"id-{key}"} for key in ("REST-1", WAIT, "UPDATECONTACTDATAV2-1")]
    edited = {"key": "j", "activities": [*sfmc, {"key": "WAITBYDURATION-2"}]}
    try:
        old = _migrate([("journeys", "0007_documents_as_text")])
        user, journey = legacy_journey(old)
        old.get_model("journeys", "RemoteSnapshot").objects.create(
            journey=journey,
            version=1,
            modified_date="d",
            status="Draft",
            document={"key": "j", "activities": sfmc},
        )
        draft = old.get_model("journeys", "Draft").objects.create(
            journey=journey, author=user, document=edited
        )
        revisions = old.get_model("journeys", "Revision").objects
        revisions.create(draft=draft, number=1, document={"activities": sfmc}, author=user)
        revisions.create(draft=draft, number=2, document=edited, author=user)
        _migrate([("journeys", "0008_activity_key")])
    finally:
        _migrate(None)

    recorded = lineage(Journey.objects.get())
    assert recorded.taken == {"REST-1", WAIT, "UPDATECONTACTDATAV2-1", "WAITBYDURATION-2"}
    assert recorded.sfmc_keys == {"REST-1", WAIT, "UPDATECONTACTDATAV2-1"}


def test_an_upload_without_sfmc_ids_of_a_known_journey_is_still_its_activities(
    editor, sim_connection, demo_journeys
):
    """mcdev strips activity ids; such a file must not read as every activity replaced."""
    import json

    from journeys.services.drafts import create_draft_from_upload

    imported = import_demo(editor, sim_connection, LOYALTY)
    stripped = copy.deepcopy(imported.document)
    for item in stripped["activities"]:
        del item["id"]
    waited_longer = waited(stripped, 5)

    upload = create_draft_from_upload(editor, sim_connection, json.dumps(waited_longer).encode())

    draft = upload.draft
    sfmc_keys = lineage(draft.journey).sfmc_keys
    shown = diff(draft.base_snapshot.document, draft.document, sfmc_keys=sfmc_keys)
    assert (shown.activities_added, shown.activities_removed) == ((), ())
    assert shown.activities_changed == (WAIT,)
    assert activity(draft.document, WAIT)["id"] == activity(imported.document, WAIT)["id"]
