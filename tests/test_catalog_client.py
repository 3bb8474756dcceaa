"""The catalog client over real HTTP to a small contract server (tests/catalog_fake.py), and the
SOAP envelope builder and parser on their own."""

from __future__ import annotations

import pytest

from journeys.sfmc import catalog
from journeys.sfmc.client import SFMCClient, TokenCache
from journeys.sfmc.errors import AuthError, HostNotAllowed, RemoteError
from journeys.sfmc.soap import (
    RetrieveFilter,
    SoapError,
    parse_retrieve_response,
    parse_xml,
    retrieve_envelope,
)
from tests.catalog_fake import (
    DOCTYPE_ANSWER,
    SOAP_ANSWER,
    CatalogData,
    email_item,
    generated,
    serve,
    sms_code,
    sms_keyword,
    sms_message,
)

SUFFIXES = (".auth.marketingcloudapis.com", ".rest.marketingcloudapis.com")


@pytest.fixture
def data():
    return generated(emails=1203, data_extensions=1001, fields_per_de=3)


@pytest.fixture
def fake(data):
    yield from serve(data)


def client_of(fake, **options):
    settings = {
        "allowed_host_suffixes": SUFFIXES,
        "allow_insecure_hosts": [fake.host_port],
        "token_cache": TokenCache(),
        "sleep": lambda _: None,
        "max_retries": 1,
    }
    settings.update(options)
    return SFMCClient(fake.base_url, fake.base_url, "id", "secret", **settings)


def test_emails_are_read_page_by_page_with_their_legacy_id_subject_and_preheader(fake, data):
    data.emails[0] = email_item(808714, "Welcome", "Hello {{FirstName}}", "Your first week")

    emails = catalog.fetch_emails(client_of(fake))

    assert len(emails) == 1203
    assert emails[0] == {
        "asset_id": 908714,
        "legacy_id": 808714,
        "customer_key": "email-808714",
        "name": "Welcome",
        "subject": "Hello {{FirstName}}",
        "preheader": "Your first week",
        "modified": "2026-01-05T10:00:00.000-06:00",
    }
    queries = [r for r in fake.requests if r[1] == catalog.ASSET_QUERY_PATH]
    assert len(queries) == 3  # 500 + 500 + 203
    assert b'"assetType.name"' in queries[0][2] and b"templatebasedemail" in queries[0][2]


def test_data_extensions_come_with_their_fields_across_soap_pages(fake):
    des = catalog.fetch_data_extensions(client_of(fake))

    assert len(des) == 1001
    assert des[0]["name"] == "Data extension 00001" and des[0]["customer_key"] == "DE_1"
    assert [f["name"] for f in des[0]["fields"]] == ["Field1", "Field2", "Field3"]
    assert des[0]["fields"][0]["primary_key"] is True
    soap = [body for method, path, body in fake.requests if path == "/Service.asmx"]
    # 3,003 fields = 2 pages (the second a ContinueRequest), 1,001 data extensions = 1 page
    assert len(soap) == 3 and b"<ContinueRequest>" in soap[1]


def test_profiles_and_classifications_by_object_id(fake):
    client = client_of(fake)
    for object_type in catalog.PROFILE_TYPES:
        found = catalog.fetch_profiles(client, object_type)
        assert found[0] == {
            "object_id": f"{object_type}-1",
            "customer_key": f"{object_type}_1",
            "name": f"{object_type} 1",
        }


def test_event_definitions_with_their_fields(fake, data):
    data.events = [
        {
            "id": "e1",
            "eventDefinitionKey": "APIEvent-1",
            "name": "Signup",
            "type": "APIEvent",
            "dataExtensionId": "de-1",
            "dataExtensionName": "Signups",
            "schema": {"fields": [{"name": "Email", "type": "EmailAddress"}]},
        },
        {"id": "e2", "eventDefinitionKey": "", "name": "no key"},
    ]

    events = catalog.fetch_event_definitions(client_of(fake))

    assert [(e["key"], e["name"], e["fields"]) for e in events] == [
        ("APIEvent-1", "Signup", [{"name": "Email", "type": "EmailAddress"}])
    ]


def test_a_missing_attribute_set_api_means_not_available(fake, data):
    data.attribute_sets = None
    assert catalog.fetch_attribute_sets(client_of(fake)) is None


@pytest.mark.parametrize(
    ("fault", "error", "words"),
    [
        (401, AuthError, "did not accept"),
        (403, Exception, "HTTP 403"),
        (503, RemoteError, "HTTP 503"),
        ("malformed", RemoteError, "not well-formed"),
        ("doctype", RemoteError, "DOCTYPE"),
    ],
)
def test_soap_failures_are_typed_errors_with_plain_words(fake, fault, error, words):
    fake.faults["/Service.asmx"] = fault
    with pytest.raises(error, match=words):
        catalog.fetch_profiles(client_of(fake), "SenderProfile")


def test_a_soap_fault_says_its_reason(fake):
    client = client_of(fake)
    client.get_token()
    fake.faults.clear()
    original = catalog.retrieve_envelope
    try:
        catalog.retrieve_envelope = lambda token, url, **kw: original("wrong", url, **kw)  # type: ignore[assignment]
        with pytest.raises(RemoteError, match="Login failed"):
            catalog.fetch_profiles(client, "SenderProfile")
    finally:
        catalog.retrieve_envelope = original  # type: ignore[assignment]


def test_a_soap_url_off_the_allow_list_is_refused(fake):
    fake.soap_url = "https://mc1.soap.evil.example.com/"
    with pytest.raises(HostNotAllowed, match="evil"):
        client_of(fake).get_token()
    fake.soap_url = "https://mc1.soap.marketingcloudapis.com/"
    allowed = client_of(fake, allowed_host_suffixes=(*SUFFIXES, ".soap.marketingcloudapis.com"))
    assert allowed.get_token()


def test_the_envelope_carries_token_object_properties_filter_and_continuation():
    body = retrieve_envelope(
        "tok<&>",
        "https://x.soap.marketingcloudapis.com/Service.asmx",
        "DataExtensionField",
        ["Name", "DataExtension.CustomerKey"],
        filter=RetrieveFilter("DataExtension.CustomerKey", "DE_1"),
        continue_from="req-9",
    )
    root = parse_xml(body)
    retrieve = root.child("Body").child("RetrieveRequestMsg").child("RetrieveRequest")
    header = root.child("Header")

    assert header.child("fueloauth").value() == "tok<&>"
    assert retrieve.child("ObjectType").value() == "DataExtensionField"
    assert [c.value() for c in retrieve.children if c.name == "Properties"] == [
        "Name",
        "DataExtension.CustomerKey",
    ]
    assert retrieve.child("Filter").child("Value").value() == "DE_1"
    assert retrieve.child("ContinueRequest").value() == "req-9"


def test_the_parser_reads_results_status_and_request_id():
    answer = SOAP_ANSWER.format(
        status="MoreDataAvailable",
        request_id="abc",
        results='<Results xsi:type="DataExtensionField"><Name>Tier</Name>'
        "<DataExtension><CustomerKey>DE_1</CustomerKey></DataExtension></Results>",
    ).encode()

    page = parse_retrieve_response(answer)

    assert page.more and page.request_id == "abc"
    assert page.results == [{"Name": "Tier", "DataExtension.CustomerKey": "DE_1"}]


@pytest.mark.parametrize(
    ("answer", "words"),
    [
        (DOCTYPE_ANSWER.encode(), "DOCTYPE"),
        (b"<a><b></a>", "not well-formed"),
        (b"<html>busy</html>", "not a SOAP envelope"),
        (SOAP_ANSWER.format(status="Error: bad", request_id="", results="").encode(), "Error"),
    ],
)
def test_the_parser_refuses_what_is_not_a_retrieve_answer(answer, words):
    with pytest.raises(SoapError, match=words):
        parse_retrieve_response(answer)


def test_an_empty_catalog_is_an_empty_list(fake):
    fake.data = CatalogData()
    assert catalog.fetch_emails(client_of(fake)) == []
    assert catalog.fetch_data_extensions(client_of(fake)) == []


def test_sms_messages_keywords_and_codes_are_read_page_by_page_with_what_they_belong_to(fake, data):
    short = sms_code("code-1", "55123")
    join = sms_keyword("kw-1", "JOIN", short)
    data.mobile = {
        "message": [
            sms_message(f"msg-{n}", f"Message {n:04d}", f"Text {n}", join, short)
            for n in range(1, 1204)
        ],
        "keyword": [join],
        "code": [short, sms_code("code-2", "447700900123", short=False)],
    }

    rows = catalog.fetch_mobile(client_of(fake))

    messages = [row for row in rows if row["kind"] == "sms_message"]
    assert len(messages) == 1203
    assert messages[0] == {
        "kind": "sms_message",
        "object_id": "msg-1",
        "alias": "msg-1-object",
        "name": "Message 0001",
        "detail": "Text 1",
        "code_id": "code-1",
        "keyword_id": "kw-1",  # mcdev's recording keeps it under nextKeyword
    }
    keyword = next(row for row in rows if row["kind"] == "sms_keyword")
    assert (keyword["name"], keyword["detail"], keyword["code_id"]) == (
        "JOIN",
        "on 55123",
        "code-1",
    )
    codes = [(r["name"], r["detail"]) for r in rows if r["kind"] == "sms_code"]
    assert codes == [("55123", "short code · US"), ("447700900123", "long code · US")]
    listed = [path for _, path, _ in fake.requests if path.startswith("/legacy/")]
    assert listed.count(catalog.MOBILE_PATHS["sms_message"]) == 3  # 500 + 500 + 203


def test_a_tenant_without_mobile_connect_has_no_sms_catalog(fake, data):
    data.mobile = None  # the listings answer 404

    assert catalog.fetch_mobile(client_of(fake)) is None
