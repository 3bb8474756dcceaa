"""Test contacts on a draft: the services (sheet import all or nothing, permissions, carry-over
to the journey's next draft) and the editor's test contacts panel (errors in place, CSRF, the
path highlighted, failed expectations in the problem list, the stepper run once per request)."""

from __future__ import annotations

import json
import re

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from journeys import contact_display
from journeys.models import AuditEvent, TestContact
from journeys.services import test_contacts
from journeys.services.drafts import create_draft_from_upload, save_revision
from tests.factories import ConnectionFactory, UserFactory
from tests.test_contact_trace import ALICES_NODES

HTMX = {"HX-Request": "true"}
NURTURE = "14-coh-goal-and-exit-criteria.json"  # emails, decision splits, a goal, exit criteria
RANDOM = "10-coh-random-and-decision-split.json"  # a random split of five 20% branches
ALICE = "name,Converted,entered,expect\nAlice,false,2026-12-01 09:00,receives Screening\n"


@pytest.fixture
def connection(db):
    return ConnectionFactory()


def upload(user, connection, document):
    return create_draft_from_upload(user, connection, json.dumps(document).encode()).draft


@pytest.fixture
def nurture(editor, connection, real_fixtures_dir):
    return upload(editor, connection, json.loads((real_fixtures_dir / NURTURE).read_text()))


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


def names(draft):
    return list(draft.test_contacts.values_list("name", flat=True))


def url(name, draft):
    return reverse(f"journeys:{name}", args=[draft.pk])


# The services


def test_a_sheet_with_one_bad_row_stores_none_of_its_contacts(editor, nurture):
    test_contacts.import_test_contacts(editor, nurture, ALICE)
    sheet = (
        "name,Converted,Ghost column,expect\n"
        "Bob,true,x,receives Screening\n"
        "Carol,maybe,,gets a unicorn\n"
    )
    with pytest.raises(test_contacts.ContactRefused) as refused:
        test_contacts.import_test_contacts(editor, nurture, sheet)
    problems = refused.value.problems
    assert "rows 2 and 3: 'Ghost column' is not an attribute this journey uses" in problems
    assert any(p.startswith("row 3: Converted is compared with") for p in problems)
    assert any(p.startswith("row 3: 'gets a unicorn' is not an expectation") for p in problems)
    assert names(nurture) == ["Alice"]  # Bob, valid on his own, was not stored either


def test_an_imported_contact_named_like_one_on_the_draft_replaces_it_in_its_place(editor, nurture):
    test_contacts.import_test_contacts(editor, nurture, ALICE + "Bob,true,,\n")
    result = test_contacts.import_test_contacts(
        editor, nurture, "name,Converted\nAlice,true\nDora,false\n"
    )
    assert (result.added, result.replaced) == (["Dora"], ["Alice"])
    assert names(nurture) == ["Alice", "Bob", "Dora"]
    alice = nurture.test_contacts.get(name="Alice")
    assert alice.values == {"Converted": "true"}
    assert alice.expectations == []
    assert AuditEvent.objects.filter(action="test_contacts.imported").count() == 2


def test_a_contact_from_the_form_is_checked_like_a_sheet_row(editor, nurture):
    row = {
        "name": "Erin",
        "contact key": "",
        "entered": "2026-12-01 09:00",
        "values": {"Risk_Management_Info.Converted": "false"},
        "assume": {"EMAILV2-1": "opened"},
        "expect": ["receives Screening"],
    }
    saved = test_contacts.save_test_contact(editor, nurture, row)
    assert saved.entered_at.isoformat() == "2026-12-01T09:00:00+00:00"
    assert saved.assumptions == {"engagement": {"EMAILV2-1": ["opened"]}, "branches": {}}
    with pytest.raises(test_contacts.ContactRefused) as same_name:
        test_contacts.save_test_contact(editor, nurture, row)
    assert same_name.value.problems == ["There is already a test contact named 'Erin'."]
    wrong = {**row, "values": {"Risk_Management_Info.Converted": "perhaps"}}
    with pytest.raises(test_contacts.ContactRefused) as refused:
        test_contacts.save_test_contact(editor, nurture, wrong, contact_id=saved.pk)
    assert refused.value.problems[0].startswith(  # no "row 1:"
        "Risk_Management_Info.Converted is compared with"
    )
    changed = test_contacts.save_test_contact(
        editor, nurture, {**row, "name": "Erin B."}, contact_id=saved.pk
    )
    assert (changed.pk, names(nurture)) == (saved.pk, ["Erin B."])


@pytest.mark.parametrize("role", [None, "Approvers"])
def test_only_who_may_edit_the_draft_may_change_its_contacts(editor, nurture, role):
    test_contacts.import_test_contacts(editor, nurture, ALICE)
    alice = nurture.test_contacts.get()
    someone = UserFactory(roles=[role] if role else [])
    row = {"name": "Mallory", "entered": "2026-12-01 09:00"}
    for attempt in (
        lambda: test_contacts.import_test_contacts(someone, nurture, "name\nMallory\n"),
        lambda: test_contacts.save_test_contact(someone, nurture, row),
        lambda: test_contacts.save_test_contact(someone, nurture, row, contact_id=alice.pk),
        lambda: test_contacts.delete_test_contact(someone, nurture, alice.pk),
    ):
        with pytest.raises(PermissionDenied):
            attempt()
    assert names(nurture) == ["Alice"]
    assert nurture.test_contacts.get().values == {"Converted": "false"}


def test_contacts_carry_over_every_revision_and_into_the_journeys_next_draft(
    editor, connection, nurture
):
    test_contacts.import_test_contacts(editor, nurture, ALICE + "Bob,true,,\n")
    renamed = json.loads(json.dumps(nurture.document))
    renamed["activities"][0]["name"] = "Screening, renamed"
    save_revision(editor, nurture, renamed, expected_revision=1, summary="rename")
    nurture.refresh_from_db()
    assert names(nurture) == ["Alice", "Bob"]  # they hang on the draft, not on a revision
    [run, _] = contact_display.draft_contacts(nurture, contact_display.CatalogNames()).runs
    assert "email 'Screening, renamed' sent" in [step.words for step in run.paths[0].steps]

    following = upload(editor, connection, renamed)  # a new draft of the same journey
    assert following.pk != nurture.pk and following.journey_id == nurture.journey_id
    assert names(following) == ["Alice", "Bob"]
    copied = following.test_contacts.get(name="Alice")
    original = nurture.test_contacts.get(name="Alice")
    assert (copied.values, copied.entered_at, copied.expectations) == (
        original.values,
        original.entered_at,
        original.expectations,
    )
    test_contacts.delete_test_contact(editor, following, copied.pk)
    assert names(nurture) == ["Alice", "Bob"]  # a copy, not the same rows
    assert (
        AuditEvent.objects.get(draft=following, action="draft.uploaded").details[
            "test_contacts_copied"
        ]
        == 2
    )


def test_an_uploaded_sheet_is_bounded_like_a_journey_upload_and_must_be_utf8(settings):
    settings.JOURNEY_UPLOAD_MAX_BYTES = 1024
    with pytest.raises(test_contacts.ContactRefused) as too_large:
        test_contacts.sheet_text(b"x" * 2048)
    assert too_large.value.problems == ["The file is 2 KiB; the largest sheet accepted is 1 KiB."]
    with pytest.raises(test_contacts.ContactRefused) as binary:
        test_contacts.sheet_text(b"\xff\xfe\x00name")
    assert "not UTF-8" in binary.value.problems[0]
    assert test_contacts.sheet_text("\ufeffname\nZoë\n".encode()) == "name\nZoë\n"


# The editor's panel


def test_pasted_sheet_errors_are_listed_in_place_and_the_text_is_kept(editor_client, nurture):
    sheet = "name,Converted\nBob,maybe\n"
    response = editor_client.post(
        url("draft-contacts-import", nurture), {"text": sheet}, headers=HTMX
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Nothing was imported" in html
    assert "row 2: Converted is compared with" in html
    assert re.search(r'id="id_text">\s*name,Converted\nBob,maybe\s*</textarea>', html)  # kept
    assert names(nurture) == []


@pytest.mark.parametrize(
    "upload_bytes",
    [
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
        b'{"name": "not a list"}',
        b"[1, 2, 3]",
        b"",
        b"name,name\n,\n",
        b'"unclosed,quote\n',
        b"name\n" + b"x\n" * 600,
    ],
)
def test_garbage_uploads_are_refused_with_words_never_a_server_error(
    editor_client, nurture, upload_bytes
):
    file = SimpleUploadedFile("contacts.csv", upload_bytes, content_type="text/csv")
    response = editor_client.post(url("draft-contacts-import", nurture), {"file": file})
    assert response.status_code == 400
    assert "Nothing was imported" in response.content.decode()
    assert names(nurture) == []


def test_contact_writes_need_the_csrf_token(editor, nurture):
    client = Client(enforce_csrf_checks=True)
    client.force_login(editor)
    response = client.post(url("draft-contacts-import", nurture), {"text": ALICE}, headers=HTMX)
    assert response.status_code == 403
    assert names(nurture) == []
    page = client.get(url("draft-contacts", nurture)).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1]
    response = client.post(
        url("draft-contacts-import", nurture), {"text": ALICE, "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302
    assert names(nurture) == ["Alice"]


def test_the_form_adds_a_contact_from_the_journeys_attributes_and_assumptions(
    editor_client, nurture
):
    page = editor_client.get(url("draft-contacts", nurture), headers=HTMX).content.decode()
    # Attributes by name with the key on hover; each email by its name.
    assert 'title="Risk_Management_Info.Converted">Converted (Risk Management Info)</label>' in page
    assert 'title="EMAILV2-3">Healthy Lifestyle</label>' in page
    data = {
        "name": "Frank",
        "entered_at": "2026-12-01T09:00",
        "value:Risk_Management_Info.Converted": "true",
        "engagement:EMAILV2-1": "clicked",
        "expectations": "meets the goal\n\n",
    }
    for key in ("EMAILV2-2", "EMAILV2-3"):
        data[f"engagement:{key}"] = "none"
    response = editor_client.post(url("draft-contact-save", nurture), data, headers=HTMX)
    assert response.status_code == 200
    frank = nurture.test_contacts.get()
    assert frank.values == {"Risk_Management_Info.Converted": "true"}
    assert frank.assumptions["engagement"]["EMAILV2-1"] == ["clicked"]
    assert frank.expectations == ["meets the goal"]
    html = response.content.decode()
    assert "Saved the test contact &#x27;Frank&#x27;." in html
    assert 'class="contact-row selected' in html  # the new contact is shown with its path


def test_a_refused_form_shows_why_and_keeps_what_was_typed(editor_client, nurture):
    data = {
        "name": "Gina",
        "entered_at": "2026-12-01T09:00",
        "value:Risk_Management_Info.Converted": "maybe",
        "expectations": "gets a pony",
    }
    for key in ("EMAILV2-1", "EMAILV2-2", "EMAILV2-3"):
        data[f"engagement:{key}"] = "none"
    response = editor_client.post(url("draft-contact-save", nurture), data, headers=HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    # Each problem next to its field, the attribute by its name.
    assert re.search(
        r'<div class="field invalid">\s*<label [^>]*>Converted \(Risk Management Info\)</label>'
        r".*?Converted \(Risk Management Info\) is compared with “is”, which takes true or false",
        html,
        re.S,
    )
    assert re.search(
        r'id="id_expectations">\s*gets a pony</textarea>.*?&#x27;gets a pony&#x27; is not an '
        r"expectation",
        html,
        re.S,
    )
    assert 'value="maybe"' in html
    assert names(nurture) == []
    response = editor_client.post(url("draft-contact-save", nurture), {"name": "Gina"})
    assert response.status_code == 400  # without JavaScript: the page, with the errors
    assert "This field is required." in response.content.decode()


def on_path(html):
    nodes = set(re.findall(r'class="node [^"]*\bon-path\b[^"]*"[^>]*data-key="([^"]+)"', html))
    edges = len(re.findall(r'class="edge [^"]*\bon-path\b', html))
    return nodes, edges


def test_selecting_a_contact_highlights_its_path_and_shows_its_timeline(editor_client, nurture):
    test_contacts.import_test_contacts(nurture.author, nurture, ALICE)
    alice = nurture.test_contacts.get()
    response = editor_client.get(
        f"{url('draft-contacts', nurture)}?contact={alice.pk}", headers=HTMX
    )
    html = response.content.decode()
    assert '<div id="canvas" class="canvas tracing"' in html and 'hx-swap-oob="true"' in html
    nodes, edges = on_path(html)
    assert nodes == set(ALICES_NODES)
    assert edges == len(nodes)  # the entry, one link out of each activity, the last to its end
    assert '<rect class="end on-path"' in html
    assert "email &#x27;Healthy Lifestyle&#x27; sent" in html
    assert "&#x27;Converted (Risk Management Info) is false&#x27; matched" in html
    assert "ended after &#x27;Healthy Lifestyle&#x27;" in html
    plain = editor_client.get(url("draft-contacts", nurture))  # without htmx: the whole editor
    assert plain.status_code == 200 and b'id="palette"' in plain.content


def test_a_contact_down_every_branch_of_a_random_split_offers_each_path_with_its_share(
    editor, editor_client, connection, real_fixtures_dir
):
    draft = upload(editor, connection, json.loads((real_fixtures_dir / RANDOM).read_text()))
    test_contacts.import_test_contacts(editor, draft, "name\nHal\n")
    hal = draft.test_contacts.get()
    chosen = f"{url('draft-contacts', draft)}?contact={hal.pk}&path=1"
    html = editor_client.get(chosen, headers=HTMX).content.decode()
    assert "5 paths, one per branch followed" in html
    assert html.count("(20% of such contacts)") >= 5
    assert 'aria-current="true" class="current">Random Split: Path 2' in html
    nodes, _ = on_path(html)
    assert {"RANDOMSPLITV2-1", "WAITBYDURATION-1", "EMAILV2-1"} <= nodes
    assert not nodes & {"WAITBYDURATION-4", "WAITBYDURATION-5", "WAITBYDURATION-6"}


def test_failed_expectations_are_warnings_in_the_editors_problem_list(editor_client, nurture):
    sheet = "name,Converted,expect\nAlice,false,receives Welcome; reaches the end\n"
    test_contacts.import_test_contacts(nurture.author, nurture, sheet)
    html = editor_client.get(url("draft", nurture)).content.decode()
    assert (
        '<li class="problem warning">\n      Test contact &#x27;Alice&#x27;: expected to receive '
        "&#x27;Welcome&#x27; — received &#x27;Screening&#x27;"
    ) in html
    assert "expected to reach the end" not in html  # that one passed
    assert "No errors; needs approval before a push" in html  # a warning does not block


def test_the_stepper_runs_once_per_request_whatever_the_number_of_contacts(
    editor_client, nurture, monkeypatch, django_assert_max_num_queries
):
    rows = "".join(f"Contact {n},false,,receives Screening\n" for n in range(30))
    test_contacts.import_test_contacts(
        nurture.author, nurture, "name,Converted,entered,expect\n" + rows
    )
    calls = []
    real = contact_display.run_contacts
    monkeypatch.setattr(
        contact_display, "run_contacts", lambda *a, **k: calls.append(1) or real(*a, **k)
    )
    with django_assert_max_num_queries(19):  # 17 + the team rules + the unread count
        editor_client.get(url("draft", nurture))
    first = nurture.test_contacts.first()
    editor_client.get(f"{url('draft-contacts', nurture)}?contact={first.pk}", headers=HTMX)
    editor_client.post(url("draft-contact-delete", nurture), {"contact": first.pk}, headers=HTMX)
    assert len(calls) == 3
    assert TestContact.objects.filter(draft=nurture).count() == 29
