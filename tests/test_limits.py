"""Bounds on what is written (services/limits.py): a journey's size at every entry, and what one
user may write per minute and one draft may keep. Each bound: at the limit accepted, one beyond
refused with its message, and nothing stored for the refused write."""

from __future__ import annotations

import html
import json
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from bench.journeys_gen import generate_journey
from journeys.domain.document import minimal_journey
from journeys.domain.limits import encoded_size, nesting_depth
from journeys.models import Draft, Journey, MergeSession, RemoteSnapshot, Revision, WriteQuota
from journeys.panel_forms import Target, panel_form_for
from journeys.services.drafts import create_draft_from_upload, create_new_journey
from journeys.services.limits import LimitRefused, guard_revision
from journeys.services.remote import client_for
from tests.factories import ConnectionFactory
from tests.test_views_editor import HTMX


@pytest.fixture
def connection(db):
    return ConnectionFactory()


def upload(client, connection, document):
    raw = json.dumps(document).encode()
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = {"connection": connection.pk, "file": SimpleUploadedFile("j.json", raw)}
    return client.post(reverse("journeys:draft-upload"), data)


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


def edit(client, draft, **data):
    draft.refresh_from_db()
    data["revision"] = draft.revision_number
    url = reverse("journeys:draft-edit", args=[draft.pk])
    return client.post(url, data, headers=HTMX)


def insert_wait(client, draft):
    return edit(client, draft, op="insert", type_id="WAITBYDURATION", after="")


def text(response) -> str:
    return response.content.decode().replace("&#x27;", "'")


def inserts_then_refused(client, draft, accepted: int) -> str:
    """`accepted` inserts go through, the next is refused: its message, the page's text."""
    for _ in range(accepted):
        assert insert_wait(client, draft).status_code == 200
    refused = insert_wait(client, draft)
    assert refused.status_code == 409
    return text(refused)


def nested(levels: int) -> dict:
    value: dict = {}
    for _ in range(levels):
        value = {"a": value}
    return value


# A journey's size, at each entry ------------------------------------------------------------


def test_upload_at_the_activity_limit_is_accepted_and_one_more_refused(
    editor_client, connection, settings
):
    settings.JOURNEY_MAX_ACTIVITIES = 5
    assert upload(editor_client, connection, generate_journey(5, seed=1)).status_code == 302
    refused = upload(editor_client, connection, generate_journey(6, seed=2))
    assert refused.status_code == 200
    assert "This journey has 6 activities; the editor keeps journeys of at most 5" in text(refused)
    assert Draft.objects.count() == 1 and Journey.objects.count() == 1


def test_upload_beyond_the_bytes_nesting_or_paths_limits_is_refused(editor, connection, settings):
    document = generate_journey(5, seed=3)
    settings.JOURNEY_MAX_DOCUMENT_BYTES = encoded_size(document)
    settings.JOURNEY_MAX_NESTING = nesting_depth(document)
    settings.JOURNEY_MAX_OUTCOMES = max(len(a["outcomes"]) for a in document["activities"])
    create_draft_from_upload(editor, connection, json.dumps(document).encode())  # at each limit
    bigger = {**document, "description": "x" * 2048}
    with pytest.raises(LimitRefused, match="KiB as JSON; the editor keeps journeys of at most"):
        create_draft_from_upload(editor, connection, json.dumps(bigger).encode())
    deeper = {**document, "metaData": nested(20)}  # 20 levels inside an object at level 2
    settings.JOURNEY_MAX_DOCUMENT_BYTES = encoded_size(deeper)
    with pytest.raises(LimitRefused, match="nested 22 levels deep; at most"):
        create_draft_from_upload(editor, connection, json.dumps(deeper).encode())
    settings.JOURNEY_MAX_OUTCOMES = 1
    with pytest.raises(LimitRefused, match="paths; an activity may have at most 1"):
        create_draft_from_upload(editor, connection, json.dumps(document).encode())
    assert Draft.objects.count() == 1


def test_import_from_sfmc_beyond_the_limit_stores_nothing(
    client, editor, sim_connection, simulator, settings
):
    client.force_login(editor)
    settings.JOURNEY_MAX_ACTIVITIES = 4
    ids = {}
    for n in (4, 5):
        body = generate_journey(n, seed=n)
        body.update(key=f"big-{n}", name=f"Journey of {n}")
        simulator.app.interactions.seed(body)
    for item in client_for(sim_connection).iter_journeys():
        ids[item["key"]] = item["id"]
    url = reverse("journeys:remote-import", args=[sim_connection.pk])
    assert client.post(url, {"remote_id": ids["big-4"]}).status_code == 302
    refused = client.post(url, {"remote_id": ids["big-5"]}, follow=True)
    assert "The import was refused: This journey has 5 activities" in text(refused)
    assert Draft.objects.count() == 1 and RemoteSnapshot.objects.count() == 1


@pytest.mark.parametrize(
    ("setting", "value", "accepted", "message"),
    [
        (
            "JOURNEY_MAX_ACTIVITIES",
            3,
            3,
            "This journey has 4 activities; the editor keeps journeys of at most 3. Split it",
        ),
        (
            "JOURNEY_REVISIONS_PER_USER_PER_WINDOW",
            4,
            3,  # creating the journey was the first write of the minute
            "You are saving faster than 4 changes a minute; this change was not saved. Wait ",
        ),
        (
            "JOURNEY_MAX_REVISIONS_PER_DRAFT",
            3,
            2,
            "This draft has 3 revisions, the most one draft keeps; this change was not saved. "
            "Download the journey and upload the file to go on in a new draft.",
        ),
    ],
)
def test_inserts_up_to_a_limit_are_accepted_and_the_next_refused_storing_nothing(
    editor_client, editor, connection, settings, setting, value, accepted, message
):
    setattr(settings, setting, value)
    draft = create_new_journey(editor, connection, "Growing")
    assert message in inserts_then_refused(editor_client, draft, accepted)
    draft.refresh_from_db()
    assert draft.revision_number == accepted + 1 == Revision.objects.count()
    assert len(draft.document["activities"]) == accepted


def test_add_branch_up_to_the_paths_limit_then_refused(editor_client, editor, connection, settings):
    settings.JOURNEY_MAX_OUTCOMES = 3
    draft = create_new_journey(editor, connection, "Branches")
    edit(editor_client, draft, op="insert", type_id="RANDOMSPLITV2", after="")
    assert edit(editor_client, draft, op="add-branch", key="RANDOMSPLITV2-1").status_code == 200
    refused = edit(editor_client, draft, op="add-branch", key="RANDOMSPLITV2-1")
    assert refused.status_code == 409
    assert "has 4 paths; an activity may have at most 3" in text(refused)
    draft.refresh_from_db()
    assert len(draft.document["activities"][0]["outcomes"]) == 3


def test_json_editor_save_up_to_the_nesting_limit_then_refused_keeping_what_was_typed(
    editor_client, editor, connection, settings
):
    document = minimal_journey("Custom")
    custom = {"key": "ODD-1", "name": "Custom", "type": "ODDACTIVITY", "outcomes": [{"key": "o1"}]}
    document["activities"] = [{**custom, "configurationArguments": {}}]
    draft = create_draft_from_upload(editor, connection, json.dumps(document).encode()).draft
    # configurationArguments is an object at level 4 (journey, activities, activity, it).
    settings.JOURNEY_MAX_NESTING = max(nesting_depth(document), 6)
    url = reverse("journeys:draft-panel", args=[draft.pk]) + "?target=activity:ODD-1"

    def save(levels: int):
        draft.refresh_from_db()
        form = panel_form_for(draft.document, Target("activity", "ODD-1"))
        data = {k: v for k, v in form.initial.items() if v not in (None, False)}
        typed = json.dumps(nested(levels))
        data.update(configurationArguments=typed, revision=draft.revision_number)
        return editor_client.post(url, data, headers=HTMX), typed

    accepted, _ = save(settings.JOURNEY_MAX_NESTING - 4)
    assert accepted.status_code == 200
    refused, typed = save(settings.JOURNEY_MAX_NESTING - 3)
    assert refused.status_code == 409
    limit = settings.JOURNEY_MAX_NESTING
    assert f"nested {limit + 1} levels deep; at most {limit} are kept" in text(refused)
    shown = re.search(r'name="configurationArguments"[^>]*>(.*?)</textarea>', text(refused), re.S)
    assert json.loads(html.unescape(shown.group(1))) == json.loads(typed)  # the panel keeps it
    draft.refresh_from_db()
    assert draft.revision_number == 2


def test_a_merge_result_beyond_the_limit_is_refused_and_the_merge_stays_open(
    client, editor, approver, sim_connection, demo_journeys, simulator, settings
):
    from tests.test_merge_resolvers import resolve_url
    from tests.test_push_service import approved_demo
    from tests.test_push_views import conflicted, remote_edit

    draft = approved_demo(editor, approver, sim_connection)
    remote_edit(simulator, "rename", name="Renamed in SFMC")
    session = conflicted(editor, draft)
    activities = len(draft.document["activities"])
    settings.JOURNEY_MAX_ACTIVITIES = activities - 1
    client.force_login(editor)
    refused = client.post(resolve_url(session), {"choice-0": "theirs"})
    assert refused.status_code == 409
    assert f"This journey has {activities} activities" in text(refused)
    assert MergeSession.objects.get(pk=session.pk).state == MergeSession.State.OPEN
    settings.JOURNEY_MAX_ACTIVITIES = activities
    assert client.post(resolve_url(session), {"choice-0": "theirs"}).status_code == 302
    assert MergeSession.objects.get(pk=session.pk).state == MergeSession.State.RESOLVED


# What one user may write in a window, what one draft keeps ------------------------------------


def test_the_refusal_says_how_long_to_wait_and_the_window_ends_a_minute_after_it_began(
    editor, settings
):
    settings.JOURNEY_REVISIONS_PER_USER_PER_WINDOW = 1
    document, start = minimal_journey("Timed"), timezone.now()
    guard_revision(editor, document, revisions=0, now=start)
    with pytest.raises(LimitRefused, match="not saved. Wait 45 s and save again."):
        guard_revision(editor, document, revisions=0, now=start + timedelta(seconds=15))
    guard_revision(editor, document, revisions=0, now=start + timedelta(seconds=60))
    assert WriteQuota.objects.get().window_start == start + timedelta(seconds=60)


def test_a_minute_after_the_first_write_the_user_may_save_again(
    editor_client, editor, connection, settings
):
    settings.JOURNEY_REVISIONS_PER_USER_PER_WINDOW = 1
    draft = create_new_journey(editor, connection, "Fast")
    assert insert_wait(editor_client, draft).status_code == 409
    # The window moved back a minute rather than waited for.
    WriteQuota.objects.update(window_start=WriteQuota.objects.get().window_start - timedelta(60))
    assert insert_wait(editor_client, draft).status_code == 200
    assert WriteQuota.objects.get().revisions == 1


def test_a_refused_panel_save_keeps_the_typed_value(editor_client, editor, connection, settings):
    settings.JOURNEY_REVISIONS_PER_USER_PER_WINDOW = 2
    draft = create_new_journey(editor, connection, "Typed")
    insert_wait(editor_client, draft)
    draft.refresh_from_db()
    form = panel_form_for(draft.document, Target("activity", "WAITBYDURATION-1"))
    data = {k: v for k, v in form.initial.items() if v not in (None, False)}
    data.update(waitDuration="417", waitUnit="DAYS", revision=draft.revision_number)
    url = reverse("journeys:draft-panel", args=[draft.pk]) + "?target=activity:WAITBYDURATION-1"
    refused = editor_client.post(url, data, headers=HTMX)
    assert refused.status_code == 409
    assert "You are saving faster than 2 changes a minute" in text(refused)
    assert 'value="417"' in refused.content.decode()
    draft.refresh_from_db()
    assert draft.document["activities"][0]["configurationArguments"]["waitDuration"] != 417


def test_the_user_limit_counts_every_draft_and_upload_of_that_user_only(
    editor_client, editor, approver, connection, settings
):
    settings.JOURNEY_REVISIONS_PER_USER_PER_WINDOW = 2
    create_new_journey(editor, connection, "One")
    create_new_journey(editor, connection, "Two")
    with pytest.raises(LimitRefused, match="faster than 2 changes a minute"):
        create_new_journey(editor, connection, "Three")
    refused = upload(editor_client, connection, generate_journey(2, seed=5))
    assert "You are saving faster than 2 changes a minute" in text(refused)
    new = editor_client.post(
        reverse("journeys:draft-new"), {"connection": connection.pk, "name": "Four"}
    )
    assert "You are saving faster than 2 changes a minute" in text(new)
    assert Draft.objects.count() == 2
    other = ConnectionFactory()
    from tests.factories import UserFactory

    create_new_journey(UserFactory(username="otto", roles=["Editors"]), other, "Someone else's")
    assert Draft.objects.count() == 3


def test_bytes_a_minute_are_bounded_too(editor, connection, settings):
    document = generate_journey(5, seed=7)
    size = encoded_size(document)
    settings.JOURNEY_BYTES_PER_USER_PER_WINDOW = 2 * size
    raw = json.dumps(document).encode()
    create_draft_from_upload(editor, connection, raw)
    create_draft_from_upload(editor, connection, raw)
    with pytest.raises(LimitRefused, match="You are saving more than .* MiB of journeys a minute"):
        create_draft_from_upload(editor, connection, raw)
    assert WriteQuota.objects.get().bytes == 2 * size and Draft.objects.count() == 2


def test_at_the_draft_bound_undo_is_refused_too_and_history_stays_whole(
    editor_client, editor, connection, settings
):
    draft = create_new_journey(editor, connection, "Long history")
    insert_wait(editor_client, draft)
    settings.JOURNEY_MAX_REVISIONS_PER_DRAFT = 2
    undo = reverse("journeys:draft-undo", args=[draft.pk])
    refused = editor_client.post(undo, {"revision": 2}, headers=HTMX)
    assert refused.status_code == 409 and "the most one draft keeps" in text(refused)
    assert sorted(draft.revisions.values_list("number", flat=True)) == [1, 2]


def test_a_draft_stored_beyond_the_limits_opens_as_its_download_not_its_canvas(
    editor_client, editor, connection, settings
):
    draft = create_new_journey(editor, connection, "Saved before the limit")
    insert_wait(editor_client, draft)
    insert_wait(editor_client, draft)
    settings.JOURNEY_MAX_ACTIVITIES = 1
    page = editor_client.get(reverse("journeys:draft", args=[draft.pk]))
    assert page.status_code == 200
    assert "This journey has 2 activities; the editor keeps journeys of at most 1" in text(page)
    assert reverse("journeys:draft-download", args=[draft.pk]) in text(page)
    assert 'id="canvas"' not in text(page)
