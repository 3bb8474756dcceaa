from __future__ import annotations

import copy
import hashlib
import json

import pytest

from journeys.domain.document import (
    DocumentError,
    JourneyDocument,
    canonical_json,
    check_storable,
    content_hash,
    create_body,
    load_journeys,
    minimal_journey,
    parse_journey_json,
    put_body,
)
from journeys.domain.validate import has_errors, validate

ENVELOPES = ("05-mcdev-api-collection-page.json", "06-mcdev-api-collection-all-versions.json")


def real_journeys(fixtures_dir):
    """(file name, journey) for every journey in the real fixtures, envelopes unpacked."""
    for path in sorted(fixtures_dir.glob("*.json")):
        for journey in load_journeys(json.loads(path.read_text(encoding="utf-8"))):
            yield path.name, journey


def single_journeys(fixtures_dir):
    return [
        (path.name, json.loads(path.read_text(encoding="utf-8")))
        for path in sorted(fixtures_dir.glob("*.json"))
        if path.name not in ENVELOPES
    ]


def expected_put_body(journey, version, modified_date):
    """The PUT body written out by hand from the API notes' strip list (§1.4)."""
    body = copy.deepcopy(journey)
    for field in (
        "id",
        "createdDate",
        "lastPublishedDate",
        "definitionId",
        "stats",
        "healthStats",
        "r__folder_Path",
    ):
        body.pop(field, None)
    for trigger in body.get("triggers", []):
        trigger.pop("id", None)
    for activity in body.get("activities", []):
        activity.pop("id", None)
        activity.get("arguments", {}).pop("waitDefinitionId", None)
    body.update(version=version, modifiedDate=modified_date, status="Draft")
    return body


def test_every_real_journey_survives_canonical_json_unchanged(real_fixtures_dir):
    journeys = list(real_journeys(real_fixtures_dir))
    assert len(journeys) >= 19 + 6 + 3
    for name, journey in journeys:
        assert json.loads(canonical_json(journey)) == journey, name


def test_load_journeys_returns_the_very_same_dicts_in_order(real_fixtures_dir):
    envelope = json.loads((real_fixtures_dir / ENVELOPES[1]).read_text(encoding="utf-8"))
    loaded = load_journeys(envelope)
    assert [journey["version"] for journey in loaded] == [1, 2, 3]
    assert all(a is b for a, b in zip(loaded, envelope["items"], strict=True))
    single = {"key": "k", "name": "n"}
    assert load_journeys(single)[0] is single


def test_load_journeys_accepts_an_empty_list_page_without_items():
    assert load_journeys({"count": 0, "page": 1, "pageSize": 50, "links": {}}) == []


def test_load_journeys_rejects_what_is_neither_journey_nor_list_page():
    with pytest.raises(DocumentError, match="not a list"):
        load_journeys([{"key": "k"}])
    with pytest.raises(DocumentError, match="'items'"):
        load_journeys({"count": 1, "page": 1, "pageSize": 50, "items": "oops"})


def test_put_body_of_an_unedited_real_journey_only_drops_the_read_only_fields(
    real_fixtures_dir,
):
    for name, journey in single_journeys(real_fixtures_dir):
        original = copy.deepcopy(journey)
        version, modified = journey.get("version", 1), journey.get("modifiedDate", "")
        body = put_body(journey, version=version, modified_date=modified)
        assert body == expected_put_body(original, version, modified), name
        assert journey == original, name


def test_put_body_keeps_the_concurrency_fields_and_the_ids_of_goals_and_exits(real_fixtures_dir):
    journey = json.loads(
        (real_fixtures_dir / "14-coh-goal-and-exit-criteria.json").read_text(encoding="utf-8")
    )
    body = put_body(journey, version=7, modified_date="2024-05-04T17:25:57.9")
    assert body["modifiedDate"] == "2024-05-04T17:25:57.9"
    assert body["version"] == 7
    assert body["status"] == "Draft"
    assert body["key"] == journey["key"]
    assert body["goals"][0]["id"] == journey["goals"][0]["id"]
    assert body["exits"][0]["id"] == journey["exits"][0]["id"]
    assert body["metaData"] == journey["metaData"]
    assert "r__folder_Path" not in body


def test_put_body_strips_activity_ids_and_wait_definition_ids(real_fixtures_dir):
    journey = json.loads(
        (real_fixtures_dir / "02-mcdev-api-apievent-deupdate-sms-waits.json").read_text("utf-8")
    )
    assert journey["activities"][0]["arguments"]["waitDefinitionId"]
    body = put_body(journey, version=1, modified_date=journey["modifiedDate"])
    assert all("id" not in activity for activity in body["activities"])
    assert all("id" not in trigger for trigger in body["triggers"])
    assert "waitDefinitionId" not in body["activities"][0]["arguments"]
    assert body["activities"][0]["arguments"]["waitQueueId"] == "{{Context.WaitQueueId}}"
    assert "healthStats" not in body and "stats" not in body and "id" not in body


def test_create_body_also_drops_version_date_status_and_triggered_send_ids(real_fixtures_dir):
    journey = json.loads(
        (real_fixtures_dir / "01-mcdev-api-multistep-decision-email-waits.json").read_text("utf-8")
    )
    original = copy.deepcopy(journey)
    body = create_body(journey)
    for field in ("version", "modifiedDate", "status", "id", "definitionId", "createdDate"):
        assert field not in body
    email = next(a for a in body["activities"] if a["type"] == "EMAILV2")
    assert "triggeredSendId" not in email["configurationArguments"]
    assert "triggeredSendKey" not in email["configurationArguments"]
    assert email["configurationArguments"]["triggeredSend"]["emailId"] == 808714
    assert body["key"] == journey["key"] and body["name"] == journey["name"]
    assert journey == original


def test_canonical_json_sorts_keys_and_keeps_non_ascii_text():
    assert canonical_json({"b": 1, "a": ["é", {"d": None, "c": 2.5}]}) == (
        '{"a":["é",{"c":2.5,"d":null}],"b":1}'
    )


def test_content_hash_ignores_key_order_but_not_content():
    first = {"name": "Été", "activities": [{"key": "A", "type": "WAIT"}]}
    reordered = {"activities": [{"type": "WAIT", "key": "A"}], "name": "Été"}
    assert content_hash(first) == content_hash(reordered)
    expected = hashlib.sha256(canonical_json(first).encode("utf-8")).hexdigest()
    assert content_hash(first) == expected
    assert content_hash({**first, "name": "Ete"}) != content_hash(first)


def test_content_hash_of_text_with_a_lone_surrogate_does_not_fail():
    journey = json.loads('{"name": "broken \\ud800 emoji"}')
    assert len(content_hash(journey)) == 64


def test_parse_journey_json_reports_the_line_and_column_of_broken_json():
    with pytest.raises(DocumentError) as caught:
        parse_journey_json('{\n  "name": "x",\n  "key": \n}')
    assert "line 4, column 1" in caught.value.message


def test_parse_journey_json_refuses_a_list_a_scalar_and_a_list_page():
    with pytest.raises(DocumentError, match="not a list"):
        parse_journey_json("[]")
    with pytest.raises(DocumentError, match="text value"):
        parse_journey_json('"journey"')
    with pytest.raises(DocumentError, match="list of 2 journeys"):
        parse_journey_json('{"count": 2, "page": 1, "pageSize": 50, "items": [{}, {}]}')


def test_parse_journey_json_refuses_nan_and_undecodable_bytes():
    with pytest.raises(DocumentError, match="NaN"):
        parse_journey_json('{"key": NaN}')
    with pytest.raises(DocumentError, match="UTF-8"):
        parse_journey_json(b'{"name": "\xff\xfe\xfa"}')


def test_parse_journey_json_accepts_bytes_and_keeps_field_order():
    journey = parse_journey_json(b'{"z": 1, "a": 2, "key": "k"}')
    assert list(journey) == ["z", "a", "key"]


def test_journey_document_reads_a_real_journey_without_changing_it(real_fixtures_dir):
    data = json.loads(
        (real_fixtures_dir / "13-coh-engagement-decision-goal.json").read_text(encoding="utf-8")
    )
    original = copy.deepcopy(data)
    journey = JourneyDocument(data)
    assert journey.key == "518dc1fd-e7c3-e810-ee14-338e3fb68414"
    assert journey.trigger is not None and journey.trigger["type"] == "AutomationAudience"
    assert journey.root_key == "EMAILV2-1"
    assert [goal["key"] for goal in journey.goals] == ["GOAL"]
    assert journey.exits == []
    assert journey.activity("ENGAGEMENTSPLITV2-1")["type"] == "ENGAGEMENTDECISION"
    assert [o["arguments"]["when"] for o in journey.outcomes("ENGAGEMENTSPLITV2-1")] == [
        True,
        False,
    ]
    assert journey.settings["entryMode"] == "SingleEntryAcrossAllVersions"
    assert journey.settings["name"] == journey.name
    assert "activities" not in journey.settings
    assert data == original


def test_journey_document_tolerates_a_list_item_without_activities_or_triggers():
    journey = JourneyDocument({"key": "k", "name": 5, "activities": "x"})
    assert journey.name == ""
    assert journey.activities == []
    assert journey.trigger is None
    assert journey.activity("A") is None
    assert journey.outcomes("A") == []
    assert journey.root_key is None


def test_minimal_journey_is_a_valid_empty_multistep_journey():
    journey = minimal_journey("Welcome series", key="welcome")
    assert journey["key"] == "welcome"
    assert journey["definitionType"] == "Multistep"
    assert journey["entryMode"] == "OnceAndDone"
    assert journey["workflowApiVersion"] == 1.0
    assert journey["channel"] == ""
    assert journey["activities"] == []
    assert journey["triggers"][0]["key"] == "TRIGGER"
    assert journey["triggers"][0]["outcomes"] == []
    problems = validate(journey)
    assert not has_errors(problems)
    assert [problem.code for problem in problems] == ["trigger-not-configured"]


def test_minimal_journeys_get_distinct_generated_keys():
    assert minimal_journey("a")["key"] != minimal_journey("a")["key"]


def _walked(text: str | bytes) -> str:
    """What the full check_storable walk says of `text`: its refusal, or "" if it is storable."""
    try:
        check_storable(json.loads(text))
    except DocumentError as error:
        return error.message
    return ""


def _parsed(text: str | bytes) -> str:
    try:
        parse_journey_json(text)
    except DocumentError as error:
        return error.message
    return ""


def _nested(levels: int, innermost: str) -> str:
    return '{"key": "k", "x": ' + "[" * (levels - 1) + innermost + "]" * (levels - 1) + "}"


EDGES = {
    "100 levels, the innermost empty": _nested(100, ""),
    "100 levels holding a value": _nested(100, "1"),
    "99 levels holding a value": _nested(99, "1"),
    "101 levels": _nested(101, ""),
    "an object at level 100": _nested(99, "{}"),
    "an object holding a value at level 101": _nested(99, '{"a": 1}'),
    "1e400": '{"key": "k", "x": [1, -1e400]}',
    "400 digits before the point": '{"key": "k", "x": ' + "9" * 400 + ".5}",
    "400 digits, an integer": '{"key": "k", "x": ' + "9" * 400 + "}",
    "1e-400 is zero": '{"key": "k", "x": 1e-400}',
    "an escaped NUL in a key": '{"key": "k", "a\\u0000": 1}',
    "an escaped NUL in a value": '{"key": "k", "a": ["\\u0000"]}',
    "an escaped backslash before u0000": '{"key": "k", "a": "\\\\u0000"}',
    "an escaped lone surrogate": '{"key": "k", "a": "\\uDBFF"}',
    "an escaped surrogate pair": '{"key": "k", "a": "\\ud83d\\ude80"}',
    "a raw lone surrogate": '{"key": "k", "a": "\ud800"}',
    "non-ASCII text": '{"key": "k", "a": "Ünïcødé – 日本語 🚀"}',
}


@pytest.mark.parametrize("text", EDGES.values(), ids=EDGES.keys())
def test_loading_refuses_exactly_what_the_storability_walk_refuses(text):
    assert _parsed(text) == _walked(text)
    encoded = text.encode("utf-8", "surrogatepass")
    assert _parsed(encoded) == _walked(encoded)
    wide = text.encode("utf-16", "surrogatepass")
    assert _parsed(wide) == _walked(wide)


def test_every_real_journey_loads_as_json_loads_reads_it(real_fixtures_dir):
    for name, journey in single_journeys(real_fixtures_dir):
        text = (real_fixtures_dir / name).read_bytes()
        assert json.dumps(parse_journey_json(text)) == json.dumps(journey), name


def test_a_text_starting_with_a_byte_order_mark_is_refused_as_json_loads_refuses_it():
    with pytest.raises(DocumentError, match="BOM"):
        parse_journey_json('\ufeff{"key": "k"}')
    assert parse_journey_json(b'\xef\xbb\xbf{"key": "k"}') == {"key": "k"}
