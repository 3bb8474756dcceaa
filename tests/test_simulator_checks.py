"""The simulator's own save and publish rules (journeys/sfmc/simulator/checks*.py), over real HTTP,
and how they compare with the editor's validator."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from journeys.domain.validate import ERROR, validate
from journeys.sfmc.simulator import demo
from tests.broken_journeys import ACCEPTED, EDITOR_ONLY, PUBLISH_FAILURES, SAVE_REFUSALS
from tests.sfmc_server import ApiSession
from tests.test_simulator_conformance import documents

API = "/interaction/v1/interactions"
FIXTURE_NUMBERS = [f"{n:02d}" for n in range(1, 22)]


@pytest.fixture
def api(simulator):
    simulator.configure(publish_delay=0)
    with ApiSession(simulator) as session:
        yield session


def publish(api, journey_id):
    started = api.post(f"{API}/publishAsync/{journey_id}", json={})
    assert started.status_code == 200, started.text
    return api.get(f"{API}/publishStatus/{started.json()['statusId']}").json()


def created(api, journey):
    response = api.post(API, json=journey)
    assert response.status_code == 200, response.text
    return response.json()


def activity_keys(journey):
    return [step["key"] for step in journey.get("activities") or []]


def error_keys(status):
    return [
        (error["errorCode"], error["additionalInfo"].get("activityKey", ""))
        for error in status["errors"]
    ]


# save rules


@pytest.mark.parametrize("case", SAVE_REFUSALS)
def test_a_post_that_breaks_a_save_rule_is_refused_and_stores_nothing(api, case):
    rule = SAVE_REFUSALS[case]

    response = api.post(API, json=rule.build())

    body = response.json()
    assert (response.status_code, body["errorcode"]) == (400, 10006), body
    [item] = [item for item in body["validationErrors"] if rule.says in item["message"]]
    assert item["errorcode"] == rule.errorcode
    assert item.get("additionalInfo", {}).get("activityKey") == rule.activity_key
    assert api.get(API).json()["count"] == 0


def test_a_body_that_is_not_an_object_is_malformed(api):
    response = api.post(API, json=[{"key": "a-list"}])

    assert (response.status_code, response.json()["errorcode"]) == (400, 400)
    assert response.json()["message"].endswith("The body must be a JSON object.")
    assert api.get(API).json()["count"] == 0


def test_a_put_is_held_to_the_same_rules_and_leaves_the_draft_as_it_was(api):
    draft = created(api, demo.welcome_series())
    looping = SAVE_REFUSALS["a loop"].build()["activities"]

    loop = api.put(f"{API}/key:{draft['key']}", json={**draft, "activities": looping})
    text_version = api.put(f"{API}/key:{draft['key']}", json={**draft, "version": "1"})

    assert "form a loop" in loop.json()["validationErrors"][0]["message"]
    assert text_version.json()["validationErrors"] == [
        {"message": "version must be an integer.", "errorcode": 121003}
    ]
    after = api.get(f"{API}/key:{draft['key']}", params={"extras": "all"}).json()
    assert (after["modifiedDate"], after["activities"]) == (
        draft["modifiedDate"],
        draft["activities"],
    )


def test_the_start_may_be_anywhere_in_the_list_when_configured(simulator, api):
    journey = SAVE_REFUSALS["the start is not first"].build()
    simulator.configure(root_must_be_first=False)

    saved = created(api, journey)

    assert [step["key"] for step in saved["activities"]][-1] == "EMAILV2-1"
    assert publish(api, saved["id"])["status"] == "PublishCompleted"


def test_which_characters_a_name_may_not_hold_is_configurable(simulator, api):
    simulator.configure(illegal_name_characters="")
    allowed = api.post(API, json=SAVE_REFUSALS["illegal characters in the name"].build())
    simulator.configure(illegal_name_characters="#")
    refused = api.post(API, json=demo.welcome_series() | {"key": "other", "name": "No #1"})

    assert allowed.status_code == 200, allowed.text
    assert refused.json()["validationErrors"] == [
        {"message": "Interaction Name contains illegal characters: #", "errorcode": 121072}
    ]


# publish rules


@pytest.mark.parametrize("case", PUBLISH_FAILURES)
def test_an_incomplete_journey_saves_but_its_publish_fails_per_activity(api, case):
    build, expected = PUBLISH_FAILURES[case]
    journey = created(api, build())

    status = publish(api, journey["id"])

    assert status["status"] == "Error"
    assert error_keys(status) == expected
    assert api.get(f"{API}/{journey['id']}").json()["status"] == "Draft"


def test_a_publish_error_names_the_activity_as_stored(api):
    build, _ = PUBLISH_FAILURES["a wait without duration"]
    journey = created(api, build())

    [error] = publish(api, journey["id"])["errors"]

    [wait] = [step for step in journey["activities"] if step["key"] == "WAITBYDURATION-1"]
    assert error["additionalInfo"] == {
        "activityKey": "WAITBYDURATION-1",
        "activityId": wait["id"],
        "activityType": "WAIT",
        "definitionId": journey["definitionId"],
    }
    assert error["errorDetail"] == "Activity WAITBYDURATION-1 is not configured: no duration."


def test_default_addresses_are_only_checked_when_configured(simulator, api):
    build, _ = PUBLISH_FAILURES["default email of another event"]
    simulator.configure(check_default_addresses=False)

    status = publish(api, created(api, build())["id"])

    assert status["status"] == "PublishCompleted"


@pytest.mark.parametrize("case", ACCEPTED)
def test_shapes_of_real_journeys_save_and_publish(api, case):
    journey = created(api, ACCEPTED[case]())

    assert publish(api, journey["id"])["status"] == "PublishCompleted"


# the real journeys

REAL_PUBLISH_ERRORS = {
    "03": [("121500", "")],  # a transactional journey: no event definition
    "16": [("121500", "")]
    + [
        ("121000", key)
        for key in (
            "EMAILV2-1",
            "EMAILV2-2",
            "MULTICRITERIADECISIONV2-2",
            "EMAILV2-3",
            "MULTICRITERIADECISIONV2-1",
        )
    ],
    "17": [("121226", "")],  # defaults.email names another event than the entry source's
}


@pytest.mark.parametrize("number", FIXTURE_NUMBERS)
def test_every_real_journey_is_accepted_by_a_post(simulator, api, real_fixtures_dir, number):
    [path] = real_fixtures_dir.glob(f"{number}-*.json")
    simulator.configure(post_existing_draft="new-version")  # fixture 06: 3 versions of one key
    for document in documents(path):
        response = api.post(API, json=document)

        assert response.status_code == 200, response.text
        stored = api.get(f"{API}/{response.json()['id']}", params={"extras": "all"}).json()
        assert (stored["name"], activity_keys(stored)) == (
            document["name"],
            activity_keys(document),
        )


@pytest.mark.parametrize("number", [n for n in FIXTURE_NUMBERS if n not in ("05", "06")])
def test_real_journeys_publish_unless_they_lack_configuration(api, real_fixtures_dir, number):
    [path] = real_fixtures_dir.glob(f"{number}-*.json")
    [document] = documents(path)

    status = publish(api, created(api, document)["id"])

    assert error_keys(status) == REAL_PUBLISH_ERRORS.get(number, [])


# the editor's validator and the simulator

EDITOR_WANTS_IT_CONFIGURED = (
    "the editor pushes only a journey that can go live; SFMC saves a draft whose activities are "
    "not configured yet and fails its publish (121000)"
)
NOT_A_DOCUMENTED_RULE = (
    "outcome counts per activity type are what real journeys show (API notes §5.3), not a "
    "documented rule; the simulator does not check outcomes beyond their shape"
)
EDITOR_LEAVES_IT_TO_SFMC = (
    "the editor only warns (or says nothing) and lets SFMC's publishStatus report it"
)
# Journeys the editor would push but SFMC refuses to save: each may be a bug in the editor.
EDITOR_PUSHES_WHAT_SFMC_REFUSES = {
    "an empty next": "the notes end a path on an absent or null next; the editor also takes "
    '"" as the end, the simulator as a key no activity has (UNVERIFIED)',
    "the start is not first": "the docs say 'generally' activities[0]; the editor only warns, "
    "the simulator refuses (config root_must_be_first, every real journey has it first)",
}
SAVE_DIFFERENCES = {
    **EDITOR_PUSHES_WHAT_SFMC_REFUSES,
    **dict.fromkeys(
        [
            "an email without triggeredSend",
            "two emails without an email",
            "a wait without duration",
            "a wait in an unknown unit",
            "an engagement split naming no email",
            "a wait by attribute without the attribute",
            "a contact update that updates nothing",
            "random split percentages of 110",
            "a random split path without percentage",
            "a REST activity without its URL",
        ],
        EDITOR_WANTS_IT_CONFIGURED,
    ),
    **dict.fromkeys(EDITOR_ONLY, NOT_A_DOCUMENTED_RULE),
}
LIVE_DIFFERENCES = {
    **EDITOR_PUSHES_WHAT_SFMC_REFUSES,
    **dict.fromkeys(
        [
            "no event definition key",
            "no entry source",
            "no activities",
            "a decision path without criteria",
            "a decision path with blank criteria",
            "fixture 03",
            "fixture 16",
            # list items (a list without extras) carry no trigger nor activity
            *["fixture 05"] + [f"fixture 05 #{n}" for n in range(1, 6)],
            *["fixture 06", "fixture 06 #1", "fixture 06 #2"],
        ],
        EDITOR_LEAVES_IT_TO_SFMC,
    ),
    "a wait of zero days": "the editor accepts a wait of 0; SFMC's waits are positive (§5.3)",
    "a wait in months": "the notes list MINUTES, HOURS, DAYS, WEEKS (§5.3); the editor accepts "
    "MONTHS (UNVERIFIED which side is right)",
    "default email of another event": "121226 (§1.6) as the simulator models it; the editor "
    "does not compare defaults with the entry source",
    "fixture 17": "as 'default email of another event' (a real Draft)",
    **dict.fromkeys(EDITOR_ONLY, NOT_A_DOCUMENTED_RULE),
}


def cross_check_journeys(fixtures_dir):
    journeys = {name: rule.build() for name, rule in SAVE_REFUSALS.items()}
    journeys |= {name: build() for name, (build, _) in PUBLISH_FAILURES.items()}
    journeys |= {name: build() for name, build in {**ACCEPTED, **EDITOR_ONLY}.items()}
    for path in sorted(fixtures_dir.glob("[0-9][0-9]-*.json")):
        for index, document in enumerate(documents(path)):
            journeys[f"fixture {path.name[:2]}" + (f" #{index}" if index else "")] = document
    return journeys


def simulator_answers(api, journey):
    """(saved, went live) for one journey, which is deleted again to leave its key free."""
    response = api.post(API, json=journey)
    if response.status_code != 200:
        return False, False
    journey_id = response.json()["id"]
    live = publish(api, journey_id)["status"] == "PublishCompleted"
    assert api.delete(f"{API}/{quote(journey_id)}").status_code == 200
    return True, live


def editor_pushes(journey):
    """The editor pushes a draft only when its validator reports no error (services/push.py)."""
    return not any(problem.severity == ERROR for problem in validate(journey))


def test_the_editor_and_the_simulator_agree_on_what_saves_except_where_listed(
    api, real_fixtures_dir
):
    journeys = cross_check_journeys(real_fixtures_dir)
    saves, lives = {}, {}
    for name, journey in journeys.items():
        saves[name], lives[name] = simulator_answers(api, journey)
    pushes = {name: editor_pushes(journey) for name, journey in journeys.items()}

    save_differences = {name for name in journeys if pushes[name] != saves[name]}
    live_differences = {name for name in journeys if pushes[name] != lives[name]}

    assert len(journeys) > 70
    assert save_differences == set(SAVE_DIFFERENCES)
    assert live_differences == set(LIVE_DIFFERENCES)
