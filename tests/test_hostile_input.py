"""Hostile input, fuzzed with Hypothesis (bounded, so the file runs in well under a minute).

- Journey JSON upload: random bytes, random JSON values, journey-shaped garbage (wrong types in
  every field), huge strings, deep nesting, unicode edge cases, NaN, huge numbers, duplicate keys.
  Never a 500; a refusal says why in the form and stores nothing; an accepted file is stored
  exactly as uploaded.
- Every editor form: structural edits, each kind of side panel, undo/redo/restore, submit,
  decide, comments, the merge screen's resolve. Only 200/302/400/403/404/409 ever, and the
  draft's history stays consistent: revision_number is the last Revision's number, the numbers
  run 1..n, content_hash is the hash of the document, and a refusal changes nothing.
- Every URL of the URL conf with out-of-range, zero and unknown ids: 404, never a 500.

Every example runs in a savepoint that is rolled back, so each one starts from the same draft.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlencode

import pytest
from django import forms
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context

from journeys.domain.catalog import ENTRIES
from journeys.domain.document import canonical_json, content_hash
from journeys.models import (
    AuditEvent,
    Comment,
    Draft,
    Journey,
    MergeSession,
    PushAttempt,
    Revision,
)
from journeys.panel_forms import Target, panel_form_for
from journeys.services import editing, push, review
from journeys.services.drafts import create_new_journey
from tests.factories import ConnectionFactory
from tests.test_access import ID_NAMES, ROUTES, concrete, request
from tests.test_push_service import WELCOME, approved_demo, approved_now, edited

FUZZ = settings(
    max_examples=25,
    deadline=None,
    database=None,  # nothing written into the repository; a failure prints its blob
    print_blob=True,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
ANSWERS = {200, 302, 400, 403, 404, 409}
REFUSALS = {400, 403, 404, 409}
HTMX = {"HX-Request": "true"}


# --- strategies --------------------------------------------------------------------------

# Text a browser can send: any unicode but lone surrogates (which UTF-8 cannot carry).
EDGE_TEXT = st.sampled_from(
    [
        "",
        " ",
        "\x00",
        "\u202e\u0635\u0648\u0631\u0629",  # right-to-left override, Arabic
        "e\u0301\u0301\u0301",  # combining marks
        "\U0001f4a9\U0001f3f3\ufe0f\u200d\U0001f308",  # emoji, ZWJ sequence
        "\ufeff\u200b\u2028\u2029",  # BOM, zero width space, line/paragraph separators
        "<script>alert(1)</script>",
        "{{ 7*7 }}{% now 'Y' %}",
        "' OR 1=1 --",
        "../../etc/passwd",
        "a" * 5000,
    ]
)
TEXT = st.one_of(EDGE_TEXT, st.text(max_size=40))
NUMBER_TEXT = st.one_of(
    st.integers(min_value=-(10**25), max_value=10**25).map(str),
    st.sampled_from(["0", "-1", "1e400", "NaN", "Infinity", "1.5", "9" * 40, " 3 ", "0x10"]),
)
FIELD_VALUE = st.one_of(TEXT, NUMBER_TEXT)
JSON_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    # Every finite float, -0.0 and 1e16 included: documents are stored as JSON text.
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=30),
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=15,
)
JOURNEY_FIELDS = [
    "id",
    "key",
    "name",
    "description",
    "version",
    "workflowApiVersion",
    "status",
    "modifiedDate",
    "entryMode",
    "definitionType",
    "activities",
    "triggers",
    "goals",
    "exits",
    "notifiers",
    "stats",
    "metaData",
    "defaults",
]
ACTIVITY_FIELDS = [
    "id",
    "key",
    "name",
    "description",
    "type",
    "outcomes",
    "arguments",
    "configurationArguments",
    "metaData",
    "schema",
]


@st.composite
def journey_shaped(draw: st.DrawFn) -> dict[str, Any]:
    """Something that looks like a journey, with a wrong type or odd value anywhere."""
    activities = draw(
        st.lists(
            st.one_of(
                JSON_VALUES,
                st.fixed_dictionaries(
                    {},
                    optional=dict.fromkeys(ACTIVITY_FIELDS, JSON_VALUES)
                    | {
                        "key": st.one_of(TEXT, JSON_VALUES),
                        "outcomes": st.lists(
                            st.fixed_dictionaries(
                                {},
                                optional={
                                    "key": JSON_VALUES,
                                    "next": st.one_of(TEXT, JSON_VALUES),
                                    "arguments": JSON_VALUES,
                                    "metaData": JSON_VALUES,
                                },
                            ),
                            max_size=3,
                        ),
                    },
                ),
            ),
            max_size=4,
        )
    )
    document = draw(
        st.fixed_dictionaries(
            {"key": st.one_of(TEXT.filter(bool), JSON_VALUES)},
            optional=dict.fromkeys(JOURNEY_FIELDS[:1] + JOURNEY_FIELDS[2:], JSON_VALUES)
            | {"name": st.one_of(TEXT, JSON_VALUES)},
        )
    )
    if draw(st.booleans()):
        document["activities"] = activities
    return document


def _dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass")


UPLOADS = st.one_of(
    st.binary(max_size=300),
    JSON_VALUES.map(_dumps),
    journey_shaped().map(_dumps),
    journey_shaped().map(lambda d: json.dumps(d).encode("utf-16")),
    journey_shaped().map(lambda d: b"\xef\xbb\xbf" + _dumps(d)),  # UTF-8 with a BOM
)

DEEP = 100_000
HOSTILE_FILES = {
    "empty": b"",
    "NaN": b'{"key": "k", "name": NaN, "activities": []}',
    "Infinity": b'{"key": "k", "activities": [], "x": -Infinity}',
    "a number too big for a float": b'{"key": "k", "activities": [], "x": 1e400}',
    "a number with 5000 digits": b'{"key": "k", "activities": [], "x": ' + b"9" * 5000 + b"}",
    "a deeply nested list": b"[" * DEEP + b"]" * DEEP,
    "a deeply nested journey": (
        b'{"key": "k", "activities": [], "x": ' + b'{"a": ' * DEEP + b"1" + b"}" * DEEP + b"}"
    ),
    "nesting just under the parser's limit": (
        b'{"key": "k", "activities": [], "x": ' + b"[" * 900 + b"]" * 900 + b"}"
    ),
    "duplicate keys": b'{"key": "a", "key": "b", "name": "x", "name": "y", "activities": []}',
    "a lone surrogate": b'{"key": "k", "name": "\\ud800", "activities": []}',
    "a NUL character": b'{"key": "k\\u0000", "name": "a\\u0000b", "activities": []}',
    "a huge name": b'{"key": "k", "activities": [], "name": "' + b"n" * 1_000_000 + b'"}',
    "a huge key": b'{"activities": [], "key": "' + b"k" * 100_000 + b'"}',
    "not UTF-8": b'{"key": "\xff\xfe\xfa", "activities": []}',
    "a JSON list of journeys": b'[{"key": "k", "activities": []}]',
    "the list API's envelope": b'{"count": 1, "page": 1, "pageSize": 50, "items": [{}]}',
    "an object key that is a number in disguise": b'{"key": 1e5, "activities": []}',
    "key true": b'{"key": true, "activities": []}',
    "activities an object": b'{"key": "k", "activities": {"a": 1}}',
    "a trailing garbage byte": b'{"key": "k", "activities": []}x',
}


def _event(text: str) -> None:
    """Counted by --hypothesis-show-statistics: shows what the fuzzing reached."""
    if currently_in_test_context():
        event(text)


# --- fixtures ----------------------------------------------------------------------------


@pytest.fixture
def connection(db):
    return ConnectionFactory()


@pytest.fixture
def editor_client(editor):
    client = Client()
    client.force_login(editor)
    return client


def _counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (Draft, Journey, Revision, AuditEvent, Comment)
    }


def _upload(client: Client, connection: Any, raw: bytes) -> tuple[Any, list[Draft], dict]:
    """POST the file in a rolled-back savepoint: the answer, the drafts it made, what changed."""
    with transaction.atomic():
        before = _counts()
        known = set(Draft.objects.values_list("pk", flat=True))
        response = client.post(
            reverse("journeys:draft-upload"),
            {"connection": connection.pk, "file": SimpleUploadedFile("journey.json", raw)},
        )
        made = list(Draft.objects.exclude(pk__in=known).prefetch_related("revisions"))
        for draft in made:
            draft.saved_revisions = list(draft.revisions.all())
            for revision in draft.saved_revisions:
                revision.saved_document = revision.document  # its parts, read before the rollback
        after = _counts()
        transaction.set_rollback(True)
    changed = {name: after[name] - before[name] for name in before if after[name] != before[name]}
    return response, made, changed


def check_upload(client: Client, connection: Any, raw: bytes) -> None:
    response, made, changed = _upload(client, connection, raw)
    _event("stored" if made else "refused")
    assert response.status_code in (200, 302), response.status_code
    if response.status_code == 200:
        html = response.content.decode()
        errors = re.findall(r'<ul class="errorlist"[^>]*>\s*<li>(.*?)</li>', html, re.S)
        assert errors and all(e.strip() for e in errors), "a refusal says why, next to the file"
        assert "Traceback" not in html
        assert changed == {}, f"a refused upload stored {changed}"
        return
    [draft] = made
    assert response["Location"] == reverse("journeys:draft", args=[draft.pk])
    expected = json.loads(raw)  # as uploaded (a duplicate key keeps its last value)
    assert canonical_json(draft.document) == canonical_json(expected)  # as read back
    assert draft.content_hash == content_hash(expected) == content_hash(draft.document)
    [revision] = draft.saved_revisions
    assert revision.number == draft.revision_number == 1
    assert revision.saved_document == expected
    assert changed["Draft"] == 1 and changed["Revision"] == 1


# --- upload ------------------------------------------------------------------------------


@pytest.mark.parametrize("raw", HOSTILE_FILES.values(), ids=HOSTILE_FILES.keys())
def test_a_hostile_upload_is_refused_with_a_message_or_stored_exactly(
    editor_client, connection, raw
):
    check_upload(editor_client, connection, raw)


def test_a_file_over_the_size_limit_is_refused_before_it_is_parsed(
    editor_client, connection, settings
):
    settings.JOURNEY_UPLOAD_MAX_BYTES = 1024
    response, made, changed = _upload(
        editor_client, connection, b'{"key": "k", "activities": [], "x": "' + b"x" * 2000 + b'"}'
    )
    assert response.status_code == 200 and made == [] and changed == {}
    assert "The file is larger than 1 KB, the largest accepted." in response.content.decode()


@FUZZ
@given(raw=UPLOADS)
@example(raw=b'{"key": "k", "activities": [], "x": 1e400}')
@example(raw=b'{"key": "k", "activities": [], "n": 1.5e-7, "f": 123456789.125, "i": 1e3}')
def test_fuzzed_uploads_never_fail_and_store_exactly_what_was_accepted(
    editor_client, connection, raw
):
    check_upload(editor_client, connection, raw)


# --- the editor's forms ------------------------------------------------------------------


def _every_activity_type(editor, connection) -> Draft:
    """A draft holding one activity of every type in the catalogue, plus a goal and an exit."""
    draft = create_new_journey(editor, connection, "Every type")
    for entry in ENTRIES:
        result = editing.apply_edit(
            editor,
            draft,
            editing.structural_edit("insert", {"type_id": entry.type_id, "after": ""}),
            expected_revision=draft.revision_number,
        )
        draft = result.draft
    return draft


@pytest.fixture
def busy_draft(editor, connection):
    return _every_activity_type(editor, connection)


def assert_history_consistent(pk: int) -> None:
    """revision_number == max(Revision.number), numbers 1..n, hashes match documents."""
    draft = Draft.objects.get(pk=pk)
    revisions = list(draft.revisions.order_by("number"))
    assert [r.number for r in revisions] == list(range(1, len(revisions) + 1))
    assert draft.revision_number == revisions[-1].number
    assert draft.content_hash == content_hash(draft.document)
    assert revisions[-1].document == draft.document
    assert revisions[-1].content_hash == draft.content_hash
    for revision in revisions:
        assert revision.content_hash == content_hash(revision.document), revision.number


def _snapshot(pk: int) -> tuple[Any, ...]:
    draft = Draft.objects.get(pk=pk)
    return (
        draft.revision_number,
        draft.content_hash,
        draft.state,
        Revision.objects.filter(draft=draft).count(),
    )


def post_and_check(client: Client, url: str, data: dict[str, Any], pk: int, htmx: bool) -> int:
    """POST in a rolled-back savepoint; check the answer and the draft's history."""
    with transaction.atomic():
        before = _snapshot(pk)
        response = client.post(url, data, headers=HTMX if htmx else {})
        status = response.status_code
        _event(f"answered {status}")
        assert status in ANSWERS, (status, url, data)
        assert_history_consistent(pk)
        after = _snapshot(pk)
        _event("saved a revision" if after[0] > before[0] else "saved nothing")
        if status in REFUSALS:
            assert after == before, f"refused with {status} but the draft changed"
        transaction.set_rollback(True)
    return status


def _revision_value(current: int) -> st.SearchStrategy[Any]:
    stale_or_junk = st.one_of(st.just(current - 1), NUMBER_TEXT, TEXT)
    return st.one_of(st.just(current), st.just(current), st.just(current), stale_or_junk)


def _keys(draft: Draft) -> list[str]:
    return [a["key"] for a in draft.document["activities"]]


def _corrupt(data: st.DataObject, form: dict[str, Any], hostile: st.SearchStrategy[Any]) -> None:
    """Replace or drop a few of a plausible form's fields: mostly valid, sometimes not."""
    names = data.draw(st.lists(st.sampled_from(sorted(form)), max_size=3, unique=True))
    for name in names:
        if data.draw(st.integers(0, 3)):
            form[name] = data.draw(hostile)
        else:
            del form[name]


@FUZZ
@given(data=st.data())
def test_fuzzed_structural_edits_answer_cleanly_and_keep_the_history_consistent(
    editor_client, busy_draft, data
):
    activities = busy_draft.document["activities"]
    activity = data.draw(st.sampled_from(activities))
    other = data.draw(st.sampled_from(activities))
    outcomes = [o.get("key") for o in activity.get("outcomes", [])] or [""]
    form: dict[str, Any] = {
        "op": data.draw(
            st.sampled_from(["insert", "delete", "add-branch", "remove-branch", "relink"])
        ),
        "revision": busy_draft.revision_number,
        "type_id": data.draw(st.sampled_from([e.type_id for e in ENTRIES])),
        "after": data.draw(st.sampled_from(["", activity["key"]])),
        "key": activity["key"],
        "outcome_key": data.draw(st.sampled_from(outcomes)),
        "keep_branch": data.draw(st.sampled_from(outcomes)),
        "target": other["key"],
        "label": data.draw(TEXT),
        "select": data.draw(st.sampled_from(["", f"activity:{other['key']}", "goal", "settings"])),
    }
    _corrupt(data, form, st.one_of(TEXT, NUMBER_TEXT, st.just(busy_draft.revision_number - 1)))
    url = reverse("journeys:draft-edit", args=[busy_draft.pk])
    post_and_check(editor_client, url, form, busy_draft.pk, data.draw(st.booleans()))


def _targets(draft: Draft) -> list[str]:
    return [f"activity:{key}" for key in _keys(draft)] + ["trigger", "goal", "exit", "settings"]


def _as_posted(form: Any) -> dict[str, Any]:
    """What a browser posts back for the form as rendered (checkboxes only when ticked)."""
    posted: dict[str, Any] = {}
    for name, field in form.fields.items():
        value = field.prepare_value(form.initial.get(name))
        if isinstance(field, forms.BooleanField):
            if value:
                posted[name] = "on"
        elif value is not None:
            posted[name] = value if isinstance(value, list) else str(value)
    return posted


def _hostile_value(field: forms.Field) -> st.SearchStrategy[Any]:
    """A value for one panel field: a valid one of its kind, or hostile text."""
    if isinstance(field, forms.JSONField):
        kind = st.one_of(JSON_VALUES.map(json.dumps), st.sampled_from(["1e400", "[" * 2000]))
    elif isinstance(field, forms.ChoiceField):
        kind = st.sampled_from([str(value) for value, _ in field.choices] or [""])
    elif isinstance(field, forms.IntegerField):
        kind = st.integers(min_value=-(10**6), max_value=10**6).map(str)
    elif isinstance(field, forms.BooleanField):
        kind = st.sampled_from(["on", "", "false"])
    else:
        kind = TEXT
    return st.one_of(kind, kind, FIELD_VALUE)


@pytest.mark.parametrize("index", range(len(ENTRIES) + 4))
@settings(FUZZ, max_examples=6)
@given(data=st.data())
def test_fuzzed_panel_forms_of_every_target_answer_cleanly_and_keep_the_history_consistent(
    editor_client, busy_draft, index, data
):
    target = _targets(busy_draft)[index]
    kind, _, key = target.partition(":")
    panel = panel_form_for(busy_draft.document, Target(kind, key or None))  # type: ignore[arg-type]
    form = _as_posted(panel)
    for name in data.draw(st.lists(st.sampled_from(list(panel.fields)), max_size=3, unique=True)):
        form[name] = data.draw(_hostile_value(panel.fields[name]))
    form["revision"] = data.draw(_revision_value(busy_draft.revision_number))
    url = reverse("journeys:draft-panel", args=[busy_draft.pk])
    post_and_check(
        editor_client, f"{url}?target={target}", form, busy_draft.pk, data.draw(st.booleans())
    )


@FUZZ
@given(data=st.data())
def test_fuzzed_panel_targets_and_history_travel_answer_cleanly(editor_client, busy_draft, data):
    pk = busy_draft.pk
    revision = data.draw(_revision_value(busy_draft.revision_number))
    action = data.draw(st.sampled_from(["panel", "undo", "redo", "restore"]))
    if action == "panel":
        target = data.draw(st.one_of(TEXT, st.sampled_from(["activity:", "goal:x", "activity"])))
        url = reverse("journeys:draft-panel", args=[pk]) + "?" + urlencode({"target": target})
    elif action == "restore":
        number = data.draw(st.integers(min_value=0, max_value=10**30))
        url = reverse("journeys:draft-restore", args=[pk, number])
    else:
        url = reverse(f"journeys:draft-{action}", args=[pk])
    post_and_check(editor_client, url, {"revision": revision}, pk, data.draw(st.booleans()))


@pytest.fixture
def approver_client(approver):
    client = Client()
    client.force_login(approver)
    return client


@FUZZ
@given(data=st.data())
def test_fuzzed_review_forms_answer_cleanly_and_keep_the_history_consistent(
    editor_client, approver_client, approver, busy_draft, data
):
    pk = busy_draft.pk
    thread = review.add_comment(approver, busy_draft, "First")
    which = data.draw(st.sampled_from(["submit", "decide", "comment", "resolve"]))
    revision = data.draw(_revision_value(busy_draft.revision_number))
    if which == "submit":
        url, client = reverse("journeys:draft-submit", args=[pk]), editor_client
        form = {"revision": revision, "message": data.draw(TEXT)}
    elif which == "decide":
        url, client = reverse("journeys:draft-decide", args=[pk]), approver_client
        decision = st.one_of(st.sampled_from(["approve", "changes"]), TEXT)
        form = {"revision": revision, "decision": data.draw(decision), "comment": data.draw(TEXT)}
    elif which == "comment":
        url, client = reverse("journeys:comment-add", args=[pk]), approver_client
        parent = st.one_of(st.just(str(thread.pk)), NUMBER_TEXT, st.just(""))
        key = st.one_of(st.sampled_from(_keys(busy_draft)), TEXT)
        form = {
            "body": data.draw(TEXT),
            "activity_key": data.draw(key),
            "parent": data.draw(parent),
        }
    else:
        url = reverse("journeys:comment-resolve", args=[pk, thread.pk])
        client = data.draw(st.sampled_from([editor_client, approver_client]))
        form = {"resolved": data.draw(st.one_of(st.sampled_from(["0", "1"]), TEXT))}
    post_and_check(client, url, form, pk, data.draw(st.booleans()))


# --- the merge screen --------------------------------------------------------------------


def _wait_nine_days(document: dict[str, Any]) -> None:
    for activity in document["activities"]:
        if activity["key"] == "WAITBYDURATION-1":
            activity["configurationArguments"]["waitDuration"] = 9


@pytest.fixture
def open_merge(editor, approver, sim_connection, demo_journeys, simulator) -> MergeSession:
    """The demo journey renamed and its wait changed both here and in SFMC: two conflicts."""
    draft = approved_demo(editor, approver, sim_connection)
    for action, params in (
        ("rename", {"name": "Renamed in SFMC"}),
        ("change-wait", {"activity_key": "WAITBYDURATION-1", "duration": 5}),
    ):
        simulator.control("POST", "remote-edit", {"key": WELCOME, "action": action, **params})
    draft = approved_now(editor, approver, edited(editor, draft, _wait_nine_days))
    attempt = push.request_push(editor, draft)
    push.run_push(attempt.pk)
    assert PushAttempt.objects.get(pk=attempt.pk).state == PushAttempt.State.CONFLICT
    session = MergeSession.objects.get(attempt=attempt)
    assert len(session.conflicts) >= 2
    return session


@FUZZ
@given(data=st.data())
def test_fuzzed_merge_choices_answer_cleanly_and_keep_the_history_consistent(
    editor_client, open_merge, data
):
    form: dict[str, Any] = {}
    for index in range(len(open_merge.conflicts)):
        side = data.draw(st.sampled_from(["ours", "theirs", "custom"]))
        form[f"choice-{index}"] = side
        if side == "custom" or data.draw(st.booleans()):
            form[f"custom-{index}"] = data.draw(JSON_VALUES.map(json.dumps))
    hostile = st.one_of(
        TEXT,
        st.sampled_from(["NaN", "1e400", "[" * 5000, '"' + "x" * 10_000 + '"', "choice-99"]),
    )
    _corrupt(data, form, hostile)
    if data.draw(st.booleans()):
        form[f"choice-{len(open_merge.conflicts)}"] = data.draw(TEXT)
    url = reverse("journeys:merge-resolve", args=[open_merge.pk])
    post_and_check(editor_client, url, form, open_merge.draft_id, False)


HOSTILE_JSON_VALUES = {
    "NaN": "NaN",
    "1e400": "1e400",
    "5000 digits": "9" * 5000,
    "deep nesting": "[" * 5000 + "]" * 5000,
    "nesting the stack survives": "[" * 500 + "]" * 500,
    "a lone surrogate": '"\\ud800"',
}


@pytest.mark.parametrize("value", HOSTILE_JSON_VALUES.values(), ids=HOSTILE_JSON_VALUES.keys())
def test_a_hostile_edited_value_on_the_merge_screen_is_refused_with_a_message(
    editor_client, open_merge, value
):
    form = {}
    for index in range(len(open_merge.conflicts)):
        form[f"choice-{index}"] = "custom"
        form[f"custom-{index}"] = value
    url = reverse("journeys:merge-resolve", args=[open_merge.pk])
    with transaction.atomic():
        response = editor_client.post(url, form)
        transaction.set_rollback(True)
    assert response.status_code in (400, 409)
    html = response.content.decode()
    assert 'id="merge-form-errors"' in html or 'id="merge-refusal"' in html
    assert_history_consistent(open_merge.draft_id)
    assert MergeSession.objects.get(pk=open_merge.pk).state == MergeSession.State.OPEN


@pytest.mark.parametrize("value", HOSTILE_JSON_VALUES.values(), ids=HOSTILE_JSON_VALUES.keys())
def test_a_hostile_json_section_in_the_panel_is_refused_with_a_message(
    editor_client, busy_draft, value
):
    json_target = next(
        f"activity:{a['key']}"
        for a in busy_draft.document["activities"]
        if a["type"] == "SALESCLOUDACTIVITY"
    )
    url = reverse("journeys:draft-panel", args=[busy_draft.pk]) + f"?target={json_target}"
    before = _snapshot(busy_draft.pk)
    response = editor_client.post(
        url, {"revision": busy_draft.revision_number, "arguments": value}, headers=HTMX
    )
    assert response.status_code == 200
    assert "arguments: " in response.content.decode()
    assert _snapshot(busy_draft.pk) == before


# --- ids in URLs -------------------------------------------------------------------------


@pytest.mark.parametrize("value", [0, 2**63, 10**30, 999_999])
def test_every_url_with_an_unknown_or_out_of_range_id_answers_404_never_500(
    admin_client, busy_draft, value
):
    failures = []
    for route in ROUTES:
        if not any(f"{name}>" in route.route for name in ID_NAMES):
            continue
        url = concrete(route, None, any_id=value)
        for method in ("get", "post"):
            answer = request(admin_client, method, url)
            if answer.error or answer.status not in (301, 302, 400, 403, 404, 405):
                failures.append(f"{method.upper()} {url}: {answer.status} {answer.error}")
    assert failures == [], "\n".join(failures)
