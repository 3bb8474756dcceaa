"""The simulator's SFMC catalog: Content Builder emails, event definitions, attribute sets,
MobileConnect's SMS listings, SOAP."""

from __future__ import annotations

import base64
import xml.etree.ElementTree as ET

import pytest
import requests

from journeys.sfmc.simulator import demo
from journeys.sfmc.simulator.soap import (
    ComplexFilter,
    SimpleFilter,
    SoapFault,
    parse_retrieve,
    retrieve_response,
)
from tests.sfmc_server import CLIENT_ID, CLIENT_SECRET, ApiSession

EMAIL_QUERY = {
    "page": {"page": 1, "pageSize": 50},
    "query": {
        "property": "assetType.name",
        "simpleOperator": "in",
        "value": ["htmlemail", "templatebasedemail", "textonlyemail"],
    },
}
NS = {"p": "http://exacttarget.com/wsdl/partnerAPI"}
SOAP_ENV = "{http://schemas.xmlsoap.org/soap/envelope/}"


@pytest.fixture
def api(simulator):
    with ApiSession(simulator) as session:
        yield session


def demo_steps(kind):
    return [
        (journey, step)
        for journey in (build() for build in demo.DEMO_JOURNEYS)
        for step in journey["activities"]
        if step["type"] == kind
    ]


def retrieve_envelope(token, object_type, properties, filter_xml="", continue_id=""):
    """The envelope sfmc-sdk builds: SOAP 1.1 in the default namespace, token in fueloauth."""
    props = "".join(f"<Properties>{name}</Properties>" for name in properties)
    inner = f"<ContinueRequest>{continue_id}</ContinueRequest>" if continue_id else ""
    return (
        '<Envelope xmlns="http://schemas.xmlsoap.org/soap/envelope/"'
        ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        f'<Header><fueloauth xmlns="http://exacttarget.com">{token}</fueloauth></Header>'
        '<Body><RetrieveRequestMsg xmlns="http://exacttarget.com/wsdl/partnerAPI">'
        f"<RetrieveRequest><ObjectType>{object_type}</ObjectType>{props}{filter_xml}{inner}"
        "</RetrieveRequest></RetrieveRequestMsg></Body></Envelope>"
    )


def soap_post(simulator, envelope, action="Retrieve"):
    return requests.post(
        f"{simulator.base_url}/Service.asmx",
        data=envelope.encode(),
        headers={"SOAPAction": action, "Content-Type": "text/xml"},
        timeout=10,
    )


def retrieve(simulator, object_type, properties, token=None, **kwargs):
    """(OverallStatus, RequestID, [row dicts]) of one Retrieve page."""
    envelope = retrieve_envelope(token or simulator.token(), object_type, properties, **kwargs)
    response = soap_post(simulator, envelope)
    assert response.status_code == 200, response.text
    message = ET.fromstring(response.content).find(f"{SOAP_ENV}Body/p:RetrieveResponseMsg", NS)
    assert message is not None
    rows = [
        {child.tag.split("}")[1]: child.text or _nested(child) for child in result}
        for result in message.findall("p:Results", NS)
    ]
    return (
        message.findtext("p:OverallStatus", "", NS),
        message.findtext("p:RequestID", "", NS),
        rows,
    )


def _nested(element):
    """``<DataExtension><CustomerKey>K</CustomerKey></DataExtension>`` as "CustomerKey=K"."""
    return ",".join(f"{child.tag.split('}')[1]}={child.text}" for child in element)


def key_filter(key):
    return (
        '<Filter xsi:type="SimpleFilterPart"><Property>DataExtension.CustomerKey</Property>'
        f"<SimpleOperator>equals</SimpleOperator><Value>{key}</Value></Filter>"
    )


# Content Builder


def test_every_demo_email_activity_names_an_email_asset_with_its_subject(api):
    response = api.post("/asset/v1/content/assets/query", json=EMAIL_QUERY)

    body = response.json()
    assert response.status_code == 200
    by_legacy_id = {item["data"]["email"]["legacy"]["legacyId"]: item for item in body["items"]}
    for _, step in demo_steps("EMAILV2"):
        send = step["configurationArguments"]["triggeredSend"]
        email = by_legacy_id[send["emailId"]]
        assert email["views"]["subjectline"]["content"] == send["emailSubject"]
        assert email["views"]["preheader"]["content"]
        assert email["name"] and email["customerKey"] and isinstance(email["id"], int)
    assert {item["assetType"]["name"] for item in body["items"]} <= set(
        EMAIL_QUERY["query"]["value"]
    )
    assert body["count"] == len(body["items"]) and (body["page"], body["pageSize"]) == (1, 50)


def test_asset_query_pages_and_leaves_out_fields_not_asked_for(simulator, api):
    simulator.control("POST", "catalog/bulk", {"emails": 120, "data_extensions": 0})
    query = {**EMAIL_QUERY, "fields": ["name", "views"]}

    pages = [
        api.post(
            "/asset/v1/content/assets/query", json={**query, "page": {"page": n, "pageSize": 50}}
        ).json()
        for n in (1, 2, 3, 4)
    ]

    ids = [item["id"] for page in pages for item in page["items"]]
    assert len(ids) == len(set(ids)) == pages[0]["count"]
    assert [len(page["items"]) for page in pages] == [50, 50, len(ids) - 100, 0]
    assert set(pages[0]["items"][0]) == {"id", "name", "views"}


def test_asset_query_refuses_a_malformed_body(api):
    not_json = api.post("/asset/v1/content/assets/query", data="{", headers={"Content-Type": "x"})
    bad_page = api.post("/asset/v1/content/assets/query", json={"page": {"pageSize": 0}})

    assert (not_json.status_code, not_json.json()["errorcode"]) == (400, 400)
    assert bad_page.status_code == 400 and "pageSize" in bad_page.json()["message"]


# event definitions and attribute sets


def test_the_demo_entry_event_exists_with_the_fields_the_demo_filters_use(api):
    response = api.get("/interaction/v1/eventDefinitions", params={"$page": 1, "$pageSize": 1})
    everything = api.get("/interaction/v1/eventDefinitions").json()

    assert response.json()["count"] == everything["count"] >= 2
    assert len(response.json()["items"]) == 1
    [event] = [e for e in everything["items"] if e["eventDefinitionKey"] == demo.EVENT_KEY]
    fields = {field["name"] for field in event["schema"]["fields"]}
    assert {"Email", "LoyaltyTier", "Points", "BirthDate"} <= fields
    assert event["dataExtensionName"] == "Members"
    by_key = api.get(f"/interaction/v1/eventDefinitions/key:{demo.EVENT_KEY}")
    by_id = api.get(f"/interaction/v1/eventDefinitions/{event['id']}")
    assert by_key.json()["id"] == event["id"]
    assert by_id.json()["eventDefinitionKey"] == demo.EVENT_KEY
    assert api.get("/interaction/v1/eventDefinitions/key:nope").status_code == 404


def test_attribute_sets_answer_or_are_absent_as_on_tenants_without_them(simulator, api):
    present = api.get("/contacts/v1/attributeSetDefinitions").json()
    simulator.configure(attribute_sets_available=False)
    absent = api.get("/contacts/v1/attributeSetDefinitions")

    [members] = present["items"]
    assert members["name"]["value"] == "Members"
    assert {"key", "name", "dataType"} <= set(members["attributes"][0])
    assert absent.status_code == 404


# MobileConnect


def test_the_demo_sms_names_a_listed_message_keyword_and_short_code(api):
    listed = {
        kind: api.get(f"/legacy/v1/beta/mobile/{kind}/").json()
        for kind in ("message", "keyword", "code")
    }

    [(_, step)] = demo_steps("SMSSYNC")
    config = step["configurationArguments"]
    [message] = [m for m in listed["message"]["entry"] if m["id"] == config["messageId"]]
    [keyword] = [k for k in listed["keyword"]["entry"] if k["id"] == config["keywordId"]]
    [code] = [c for c in listed["code"]["entry"] if c["id"] == config["codeId"]]
    assert message["name"] and message["text"]
    assert message["nextKeyword"]["id"] == keyword["id"] and message["code"]["id"] == code["id"]
    assert (keyword["keyword"], keyword["code"]["code"], code["isShortCode"]) == (
        "COMEBACK",
        "55123",
        True,
    )
    # The ids have SFMC's form: "<local>:<object type>:0" in base64 (78 message, 86 keyword).
    assert base64.b64decode(config["messageId"] + "==").endswith(b":78:0")
    assert base64.urlsafe_b64decode(config["keywordId"] + "==").endswith(b":86:0")
    assert listed["message"]["totalResults"] == len(listed["message"]["entry"]) == 3


def test_sms_listings_page_and_answer_404_or_403_as_configured(simulator, api):
    second = api.get("/legacy/v1/beta/mobile/message/", params={"$page": 2, "$pageSize": 2})
    simulator.configure(missing_scopes="sms_read")
    no_scope = api.get("/legacy/v1/beta/mobile/code/")
    simulator.configure(mobile_connect_available=False)
    absent = api.get("/legacy/v1/beta/mobile/keyword")

    assert {k: second.json()[k] for k in ("startIndex", "itemsPerPage", "totalResults")} == {
        "startIndex": 2,
        "itemsPerPage": 2,
        "totalResults": 3,
    }
    assert [m["name"] for m in second.json()["entry"]] == ["Order shipped"]
    assert no_scope.status_code == 403 and absent.status_code == 404


# SOAP Retrieve


def test_demo_data_extensions_profiles_and_classifications_match_the_demo_journeys(simulator):
    token = simulator.token()
    _, _, extensions = retrieve(
        simulator, "DataExtension", ["ObjectID", "CustomerKey", "Name"], token
    )
    _, _, fields = retrieve(
        simulator,
        "DataExtensionField",
        ["Name", "FieldType", "IsPrimaryKey", "DataExtension.CustomerKey"],
        token,
        filter_xml=key_filter("Members"),
    )
    profiles = {
        kind: {row["ObjectID"] for row in retrieve(simulator, kind, ["ObjectID", "Name"], token)[2]}
        for kind in ("SenderProfile", "DeliveryProfile", "SendClassification")
    }

    updated = {
        (item["dataExtensionId"], item["field"])
        for _, step in demo_steps("UPDATECONTACTDATA")
        for item in step["arguments"]["activityData"]["updateContactFields"]
    }
    members = next(row for row in extensions if row["Name"] == "Members")
    assert {de_id for de_id, _ in updated} == {members["ObjectID"]}
    assert {name for _, name in updated} <= {row["Name"] for row in fields}
    assert {row["DataExtension"] for row in fields} == {"CustomerKey=Members"}
    for _, step in demo_steps("EMAILV2"):
        send = step["configurationArguments"]["triggeredSend"]
        assert send["senderProfileId"] in profiles["SenderProfile"]
        assert send["deliveryProfileId"] in profiles["DeliveryProfile"]
        assert send["sendClassificationId"] in profiles["SendClassification"]


def test_soap_pages_with_more_data_available_and_continue_request(simulator):
    simulator.control("POST", "catalog/bulk", {"emails": 0, "data_extensions": 5})
    simulator.configure(soap_page_size=3)
    token = simulator.token()

    pages = [retrieve(simulator, "DataExtension", ["CustomerKey"], token)]
    while pages[-1][0] == "MoreDataAvailable":
        pages.append(
            retrieve(simulator, "DataExtension", ["CustomerKey"], token, continue_id=pages[-1][1])
        )
    stale = retrieve(simulator, "DataExtension", ["CustomerKey"], token, continue_id="no-such-id")

    keys = [row["CustomerKey"] for _, _, rows in pages for row in rows]
    assert [status for status, _, _ in pages] == ["MoreDataAvailable", "MoreDataAvailable", "OK"]
    assert len(keys) == len(set(keys)) == 7  # two demo data extensions and five generated
    assert stale[0].startswith("Error:")


def test_the_benchmark_catalog_is_generated_and_a_reset_returns_to_the_demo_one(simulator):
    counts = simulator.control("POST", "catalog/bulk", {"emails": 5000, "data_extensions": 2000})
    token = simulator.token()
    first = retrieve(simulator, "DataExtension", ["CustomerKey"], token)
    simulator.control("POST", "reset")

    assert counts["emails"] >= 5000 and counts["DataExtension"] >= 2000
    assert first[0] == "OK" and len(first[2]) == counts["DataExtension"]
    assert simulator.control("GET", "catalog")["DataExtension"] == 2


def test_soap_answers_unknown_properties_and_types_in_overall_status(simulator):
    token = simulator.token()

    bad_property = retrieve(simulator, "DataExtension", ["Name", "Colour"], token)
    bad_type = retrieve(simulator, "Spaceship", ["Name"], token)

    assert bad_property[0] == (
        "Error: The Request Property(s) Colour do not match with the fields of "
        "DataExtension retrieve"
    )
    assert bad_type[0].startswith("Error: ") and bad_type[2] == []


# What mcdev 8.0.0 asks for when it caches a journey's dependencies (the "retrieving" fields of
# its lib/metadataTypes/definitions): properties SFMC answers, so the simulator must too.
MCDEV_SOAP_PROPERTIES = {
    "DataFolder": (
        "ID Client.ID CustomerKey Description CreatedDate ModifiedDate ContentType IsActive"
        " IsEditable AllowChildren Name ParentFolder.CustomerKey ParentFolder.ID ParentFolder.Path"
    ),
    "DataExtension": (
        "CategoryID CreatedDate CustomerKey DataRetentionPeriodLength"
        " DataRetentionPeriodUnitOfMeasure DeleteAtEndOfRetentionPeriod Description IsSendable"
        " IsTestable ModifiedDate Name ObjectID ResetRetentionPeriodOnImport RetainUntil"
        " RowBasedRetention SendableDataExtensionField.Name SendableSubscriberField.Name"
        " Template.CustomerKey"
    ),
    "DataExtensionField": (
        "CustomerKey DataExtension.CustomerKey DefaultValue FieldType IsPrimaryKey IsRequired"
        " MaxLength Name Ordinal Scale ObjectID"
    ),
    "SendClassification": (
        "CreatedDate ModifiedDate CustomerKey ObjectID Name Description ArchiveEmail"
        " DeliveryProfile.CustomerKey DeliveryProfile.ObjectID SendClassificationType"
        " SenderProfile.CustomerKey SenderProfile.ObjectID"
    ),
    "SenderProfile": (
        "Client.CreatedBy Client.ModifiedBy CreatedDate ModifiedDate CustomerKey ObjectID Name"
        " Description AutoForwardToEmailAddress AutoForwardToName"
        " AutoForwardTriggeredSend.ObjectID AutoReply AutoReplyTriggeredSend.ObjectID"
        " DataRetentionPeriodLength DataRetentionPeriodUnitOfMeasure DirectForward"
        " FallbackFromAddress FromAddress FromName ReplyManagementRuleSet.ObjectID"
        " RMMRuleCollection.ObjectID SenderHeaderEmailAddress SenderHeaderName UseDefaultRMMRules"
    ),
    "TriggeredSendDefinition": (
        "AllowedSlots AutoAddSubscribers AutoUpdateSubscribers BatchInterval CategoryID"
        " CreatedDate CustomerKey DeliveryProfile.CustomerKey DeliveryProfile.ObjectID"
        " Description DynamicEmailSubject Email.ID EmailSubject FooterContentArea.ID FromAddress"
        " FromName HeaderContentArea.ID IsMultipart IsPlatformObject IsWrapped Keyword List.ID"
        " ModifiedDate Name NewSlotTrigger Priority PrivateDomain.ObjectID PrivateIP.ID"
        " SendClassification.CustomerKey SendClassification.ObjectID SenderProfile.CustomerKey"
        " SenderProfile.ObjectID SendLimit SendWindowClose SendWindowOpen SuppressTracking"
        " TestEmailAddr TriggeredSendStatus TriggeredSendType ObjectID"
    ),
    "Email": (
        "CategoryID CharacterSet Client.PartnerClientKey ClonedFromID ContentAreas"
        " ContentCheckStatus CreatedDate CustomerKey EmailType Folder HasDynamicSubjectLine"
        " HTMLBody ID IsActive IsHTMLPaste ModifiedDate Name PartnerKey PreHeader Status Subject"
        " TextBody"
    ),
    "List": (
        "AutomatedEmail.ID Category Client.PartnerClientKey CreatedDate CustomerKey Description"
        " ID ListClassification ListName ModifiedDate ObjectID Type"
    ),
}


def test_soap_answers_every_property_mcdev_asks_for(simulator):
    token = simulator.token()

    answers = {
        kind: retrieve(simulator, kind, properties.split(), token)
        for kind, properties in MCDEV_SOAP_PROPERTIES.items()
    }

    assert {kind: status for kind, (status, _, _) in answers.items()} == dict.fromkeys(
        MCDEV_SOAP_PROPERTIES, "OK"
    )
    folders = answers["DataFolder"][2]
    assert {"ID", "Name", "ContentType", "ParentFolder"} <= set(folders[0])
    assert "Description" not in folders[0]  # what the rows do not hold is left out


def test_the_demo_journeys_folder_and_publication_list_exist(simulator):
    token = simulator.token()
    folders = retrieve(simulator, "DataFolder", ["ID", "ContentType"], token)[2]
    lists = retrieve(simulator, "List", ["ID", "ListName"], token)[2]

    categories = {str(build()["categoryId"]) for build in demo.DEMO_JOURNEYS}
    publication_lists = {
        str(step["configurationArguments"]["triggeredSend"]["publicationListId"])
        for _, step in demo_steps("EMAILV2")
    }
    assert categories <= {row["ID"] for row in folders if row["ContentType"] == "journey"}
    assert publication_lists <= {row["ID"] for row in lists}


def test_delivery_profiles_are_listed_where_mcdev_reads_them(simulator, api):
    listed = api.get("/legacy/v1/beta/messaging/deliverypolicy/").json()
    _, _, profiles = retrieve(simulator, "DeliveryProfile", ["CustomerKey", "Name"])
    simulator.configure(missing_scopes="email_read")
    refused = api.get("/legacy/v1/beta/messaging/deliverypolicy/")

    assert [(entry["key"], entry["name"]) for entry in listed["entry"]] == [
        (row["CustomerKey"], row["Name"]) for row in profiles
    ]
    assert (listed["totalResults"], listed["startIndex"]) == (len(profiles), 0)
    assert refused.status_code == 403


# errors


def test_rest_catalog_needs_a_valid_token_and_the_scope(simulator, api):
    no_token = requests.get(f"{simulator.base_url}/interaction/v1/eventDefinitions", timeout=10)
    simulator.configure(missing_scopes="documents_and_images_read")
    credentials = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
    grant = {"grant_type": "client_credentials", **credentials}
    token = requests.post(f"{simulator.base_url}/v2/token", json=grant, timeout=10).json()
    no_scope = api.post("/asset/v1/content/assets/query", json=EMAIL_QUERY)

    assert (no_token.status_code, no_token.json()["message"]) == (401, "Not Authorized")
    assert "documents_and_images_read" not in token["scope"].split()
    assert no_scope.status_code == 403
    assert no_scope.json()["message"] == "Insufficient privileges to complete this action."


def test_soap_errors_are_faults_or_statuses_as_sfmc_answers_them(simulator):
    simulator.configure(missing_scopes="data_extensions_read")
    token = simulator.token()
    bad_token = soap_post(simulator, retrieve_envelope("nope", "DataExtension", ["Name"]))
    garbage = soap_post(simulator, "<Envelope><Body>")
    laughs = soap_post(
        simulator,
        '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><Envelope><Body/></Envelope>',
    )
    no_scope = retrieve(simulator, "DataExtension", ["Name"], token)
    simulator.add_fault("http_error", status=503, path="/Service.asmx")
    unavailable = soap_post(simulator, retrieve_envelope(token, "DataExtension", ["Name"]))

    def fault(response):
        body = ET.fromstring(response.content).find(f"{SOAP_ENV}Body/{SOAP_ENV}Fault")
        return response.status_code, body.findtext("faultstring") if body is not None else None

    assert fault(bad_token) == (500, "Token Expired")
    assert fault(garbage)[0] == 500 and "well-formed" in fault(garbage)[1]
    assert fault(laughs) == (500, "DTDs and entity declarations are not allowed.")
    assert no_scope[0] == "Error: API Permission Failed"
    assert fault(unavailable)[0] == 503


# the envelope reader and writer


def test_the_envelope_reader_takes_soap_11_prefixes_and_complex_filters():
    envelope = (
        '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"'
        ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soap:Header>'
        '<fueloauth xmlns="http://exacttarget.com">tok</fueloauth></soap:Header><soap:Body>'
        '<RetrieveRequestMsg xmlns="http://exacttarget.com/wsdl/partnerAPI"><RetrieveRequest>'
        "<ObjectType>DataExtensionField</ObjectType><Properties>Name</Properties>"
        '<Filter xsi:type="ComplexFilterPart"><LeftOperand xsi:type="SimpleFilterPart">'
        "<Property>Name</Property><SimpleOperator>like</SimpleOperator><Value>Tier</Value>"
        "</LeftOperand><LogicalOperator>OR</LogicalOperator><RightOperand>"
        "<Property>Ordinal</Property><SimpleOperator>in</SimpleOperator><Value>1</Value>"
        "<Value>2</Value></RightOperand></Filter></RetrieveRequest></RetrieveRequestMsg>"
        "</soap:Body></soap:Envelope>"
    )

    request = parse_retrieve(envelope.encode())

    assert (request.token, request.object_type, request.properties) == (
        "tok",
        "DataExtensionField",
        ("Name",),
    )
    assert request.filter == ComplexFilter(
        SimpleFilter("Name", "like", ("Tier",)), "OR", SimpleFilter("Ordinal", "in", ("1", "2"))
    )


def test_the_envelope_writer_escapes_values_and_nests_dotted_properties():
    text = retrieve_response(
        "OK", "r-1", "DataExtensionField", [{"Name": "A&B <x>", "DataExtension.CustomerKey": "K"}]
    )

    result = ET.fromstring(text).find(f"{SOAP_ENV}Body/p:RetrieveResponseMsg/p:Results", NS)
    assert result is not None
    assert result.findtext("p:Name", None, NS) == "A&B <x>"
    assert result.findtext("p:DataExtension/p:CustomerKey", None, NS) == "K"


@pytest.mark.parametrize(
    "text",
    [b"", b"not xml", b"<Envelope/>", b"<Envelope><Body><Other/></Body></Envelope>"],
)
def test_the_envelope_reader_refuses_what_is_not_a_retrieve(text):
    with pytest.raises(SoapFault):
        parse_retrieve(text)
