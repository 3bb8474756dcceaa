"""The catalog cache: a refresh over real HTTP into the real database, its errors in plain
words, one refresh at a time, and names and warnings for the ids a journey holds."""

from __future__ import annotations

import copy

import pytest
from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext

from journeys.catalog_models import CatalogEmail, CatalogKind, CatalogRefresh
from journeys.catalog_names import activity_details, catalog_names
from journeys.services.catalog import catalog_status, refresh_catalog, request_refresh
from tests.catalog_fake import email_item, generated, serve, sms_code, sms_keyword, sms_message
from tests.factories import ConnectionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def data():
    data = generated(emails=30, data_extensions=4, fields_per_de=2)
    data.emails[0] = email_item(808714, "Welcome", "Hello there")
    data.events = [
        {
            "id": "e1",
            "eventDefinitionKey": "APIEvent-1",
            "name": "Signup event",
            "type": "APIEvent",
            "schema": {"fields": [{"name": "Tier", "type": "Text"}]},
        }
    ]
    code = sms_code("code-1", "55123")
    keyword = sms_keyword("kw-1", "JOIN", code)
    data.mobile = {
        "message": [sms_message("msg-1", "Spring promo", "Reply JOIN for 20% off", keyword, code)],
        "keyword": [keyword],
        "code": [code],
    }
    return data


@pytest.fixture
def fake(data, settings):
    for server in serve(data):
        settings.SFMC_SIMULATOR_ENABLED = True
        settings.SFMC_SIMULATOR_URL = server.base_url
        settings.SFMC_MAX_RETRIES = 0
        yield server


@pytest.fixture
def conn(fake):
    return ConnectionFactory(auth_base_url=fake.base_url, rest_base_url=fake.base_url)


def journey(email_id=808714, de="de-1", event="APIEvent-1"):
    return {
        "triggers": [{"key": "TRIGGER", "metaData": {"eventDefinitionKey": event}}],
        "activities": [
            {
                "key": "EMAILV2-1",
                "type": "EMAILV2",
                "configurationArguments": {
                    "triggeredSend": {"emailId": email_id, "senderProfileId": "SenderProfile-1"}
                },
            },
            {
                "key": "UPDATECONTACTDATA-1",
                "type": "UPDATECONTACTDATA",
                "arguments": {
                    "activityData": {
                        "updateContactFields": [{"dataExtensionId": de, "field": "f", "value": 1}]
                    }
                },
            },
        ],
    }


def test_a_refresh_fills_every_kind_and_says_when(conn):
    assert catalog_status(conn).empty

    assert refresh_catalog(conn.pk) == ""

    status = catalog_status(conn)
    assert not status.empty and status.refreshed_at and not status.error
    counts = dict(CatalogKind.objects.filter(connection=conn).values_list("kind", "count"))
    assert counts == {
        "emails": 30,
        "events": 1,
        "data_extensions": 4,
        "attribute_sets": 0,
        "profiles": 9,
        "sms": 3,
    }


def test_a_second_refresh_replaces_instead_of_adding(conn, data):
    refresh_catalog(conn.pk)
    data.emails = data.emails[:5]
    refresh_catalog(conn.pk)
    assert CatalogEmail.objects.filter(connection=conn).count() == 5


def test_names_and_card_details_come_from_the_cache(conn):
    refresh_catalog(conn.pk)
    with CaptureQueriesContext(db_connection) as queries:
        names = catalog_names(conn, journey())
    assert len(queries) <= 6  # refreshed kinds + one per kind referred to

    assert names.label("email", 808714) == "Welcome"
    assert names.label("sender", "SenderProfile-1") == "SenderProfile 1"
    assert names.label("data_extension", "de-1") == "Data extension 00001"
    assert names.label("event", "APIEvent-1") == "Signup event"
    assert names.problems() == []
    assert activity_details(journey(), names)["EMAILV2-1"] == (
        "Welcome",
        "Welcome · Subject: Hello there (email 808714)",
    )


def test_ids_a_refreshed_catalog_lacks_are_warnings(conn):
    before = catalog_names(conn, journey(email_id=1, de="gone"))
    assert before.problems() == []  # nothing refreshed: nothing judged

    refresh_catalog(conn.pk)
    problems = catalog_names(conn, journey(email_id=999999, de="gone")).problems()

    assert [(p.severity, p.activity_key) for p in problems] == [
        ("warning", "EMAILV2-1"),
        ("warning", "UPDATECONTACTDATA-1"),
    ]
    assert "email 999999 is not in SFMC's catalog" in problems[0].message


def sms_journey(message="msg-1", keyword="kw-1", code="code-1"):
    config = {"messageId": message, "keywordId": keyword, "codeId": code}
    return {
        "activities": [{"key": "SMSSYNC-1", "type": "SMSSYNC", "configurationArguments": config}]
    }


def test_sms_message_keyword_and_code_are_named_and_the_card_shows_the_message(conn):
    refresh_catalog(conn.pk)
    with CaptureQueriesContext(db_connection) as queries:
        names = catalog_names(conn, sms_journey())
    assert len(queries) == 2  # refreshed kinds + the three SMS kinds at once

    assert names.label("sms_message", "msg-1") == "Spring promo"
    assert names.label("sms_keyword", "kw-1") == "JOIN"
    assert names.label("sms_code", "code-1") == "55123"
    assert names.problems() == []
    assert activity_details(sms_journey(), names)["SMSSYNC-1"] == (
        "Spring promo",
        "Spring promo · Text: Reply JOIN for 20% off (SMS message msg-1)",
    )
    # A newer activity's messageId of the message's other form (fetch_mobile's alias).
    assert catalog_names(conn, sms_journey("msg-1-object")).label(
        "sms_message", "msg-1-object"
    ) == ("Spring promo")


def test_sms_ids_a_refreshed_catalog_lacks_are_warnings(conn):
    refresh_catalog(conn.pk)

    problems = catalog_names(conn, sms_journey(message="gone", code="gone-too")).problems()

    assert [(p.severity, p.code, p.path) for p in problems] == [
        ("warning", "catalog-missing", "$.activities[0].configurationArguments.messageId"),
        ("warning", "catalog-missing", "$.activities[0].configurationArguments.codeId"),
    ]
    assert problems[0].message.startswith("The SMS message gone is not in SFMC's catalog")
    assert "short or long code gone-too" in problems[1].message


def test_without_mobile_connect_no_sms_id_is_judged(conn, data):
    data.mobile = None  # a tenant whose MobileConnect listings answer 404

    assert refresh_catalog(conn.pk) == ""

    sms = CatalogKind.objects.get(connection=conn, kind="sms")
    assert (sms.available, sms.refreshed_at is not None) == (False, True)
    names = catalog_names(conn, sms_journey(message="anything"))
    assert names.loaded and names.problems() == []
    assert names.label("sms_message", "anything") == "SMS message anything"


@pytest.mark.parametrize(
    ("path", "fault", "words"),
    [
        ("/v2/token", 401, "refused the connection's credentials"),
        ("/asset/v1/content/assets/query", 403, "needs that permission (scope)"),
        ("/Service.asmx", 500, "Could not read data extensions"),
        ("/Service.asmx", "malformed", "not well-formed"),
    ],
)
def test_refresh_errors_are_kept_in_plain_words_and_what_was_cached_stays(
    conn, fake, path, fault, words
):
    refresh_catalog(conn.pk)
    fake.faults[path] = fault
    if path == "/v2/token":  # the cached token is refused first, then a new one is refused
        fake.faults["/asset/v1/content/assets/query"] = 401

    error = refresh_catalog(conn.pk)

    assert words in error and words in catalog_status(conn).error
    assert CatalogEmail.objects.filter(connection=conn).count() == 30


def test_only_one_refresh_is_queued_at_a_time(conn, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        assert request_refresh(conn) is True
        assert request_refresh(conn) is False
    assert len(callbacks) == 1
    assert catalog_status(conn).running

    refresh_catalog(conn.pk)
    CatalogRefresh.objects.filter(connection=conn).update(finished_at=None)  # keep it "running"
    assert request_refresh(conn) is False


def test_first_need_refreshes_only_a_never_refreshed_catalog(
    conn, django_capture_on_commit_callbacks
):
    refresh_catalog(conn.pk)
    with django_capture_on_commit_callbacks() as callbacks:
        assert request_refresh(conn, only_if_empty=True) is False
    assert callbacks == []


def test_unchanged_document_is_not_touched(conn):
    document = journey()
    kept = copy.deepcopy(document)
    refresh_catalog(conn.pk)
    catalog_names(conn, document)
    assert document == kept


def test_the_simulators_catalog_names_every_id_of_the_demo_journeys(sim_connection):
    from journeys.sfmc.simulator import demo

    assert refresh_catalog(sim_connection.pk) == ""

    for build in demo.DEMO_JOURNEYS:
        names = catalog_names(sim_connection, build())
        assert names.problems() == [], build.__name__
        assert names.refs and all(names.get(r.kind, r.value) for r in names.refs), build.__name__
