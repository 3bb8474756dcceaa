from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from journeys.domain.conditions import (
    DEFAULT_GROUP_NAME,
    OPERATORS,
    AttributeWords,
    Condition,
    ConditionGroup,
    TreeError,
    Unknown,
    attribute_label,
    explain_filter,
    filter_from_tree,
    filter_issues,
    filter_to_tree,
    filter_words,
    parse_filter,
    serialize_filter,
    summarize_filter,
    words_text,
)
from journeys.domain.operators import MANY


def fixture_filters(real_fixtures_dir):
    """Every criteria string of every shared fixture, with where it is."""
    found = []

    def visit(node, path):
        if isinstance(node, dict):
            for key, value in node.items():
                visit(value, (*path, key))
        elif isinstance(node, list):
            for index, value in enumerate(node):
                visit(value, (*path, index))
        elif isinstance(node, str) and (_is_criteria(path) or node.startswith("<FilterDef")):
            found.append(("/".join(map(str, path)), node))

    for fixture in sorted(real_fixtures_dir.glob("*.json")):
        visit(json.loads(fixture.read_text()), (fixture.name,))
    return found


def _is_criteria(path):
    return "criteria" in path and path[path.index("criteria") - 1] == "configurationArguments"


def f(*conditions, operator="AND"):
    body = "".join(conditions)
    return (
        f'<FilterDefinition><ConditionSet Operator="{operator}" '
        f'ConditionSetName="Individual Filter Grouping">{body}</ConditionSet></FilterDefinition>'
    )


def cond(key, operator, value="", **extra):
    attributes = "".join(f' {name}="{text}"' for name, text in extra.items())
    return (
        f'<Condition Key="{key}" Operator="{operator}"{attributes} UiMetaData="{{}}">'
        f"<Value><![CDATA[{value}]]></Value></Condition>"
    )


TIER = "Event.DEAudience-2e3c73b6-48cc-2ec0-5522-48636e1a236e.Tier"
POINTS = "Event.DEAudience-2e3c73b6-48cc-2ec0-5522-48636e1a236e.Points"
NESTED = (
    '<FilterDefinition><ConditionSet Operator="OR" ConditionSetName="Individual Filter Grouping">'
    '<ConditionSet Operator="AND" ConditionSetName="Individual Filter Grouping">'
    '<Condition Key="Donation__c_Salesforce_1.Date__c" Operator="AtOrAfter" UiMetaData="{&quot;'
    'groupToSetRelationshipId&quot;:&quot;fe96&quot;}"><AttributePath RelationshipID="cc9b">'
    "<Value><![CDATA[;-;14;days]]></Value></AttributePath></Condition>"
    '<Condition Key="Donation__c_Salesforce_1.Status__c" Operator="Equal" UiMetaData="{&quot;'
    'groupToSetRelationshipId&quot;:&quot;fe96&quot;}"><AttributePath RelationshipID="cc9b">'
    "<Value><![CDATA[Processed]]></Value></AttributePath></Condition></ConditionSet>"
    '<ConditionSet Operator="AND" ConditionSetName="Individual Filter Grouping">'
    '<Condition Key="Donation__c_Salesforce_1.Payment_Method__c" Operator="Equal" UiMetaData="{'
    '&quot;groupToSetRelationshipId&quot;:&quot;fe96&quot;}"><AttributePath RelationshipID="cc9b">'
    "<Value><![CDATA[Direct Debit]]></Value></AttributePath></Condition></ConditionSet>"
    "</ConditionSet></FilterDefinition>"
)


def test_every_fixture_filter_round_trips_byte_for_byte(real_fixtures_dir):
    filters = fixture_filters(real_fixtures_dir)
    assert len(filters) >= 30
    for where, text in filters:
        parsed = parse_filter(text)
        assert parsed.error is None, where
        assert serialize_filter(parsed) == text, where
        assert serialize_filter(filter_from_tree(filter_to_tree(parsed), parsed)) == text, where


def test_every_fixture_filter_is_understood_and_explained_without_xml(real_fixtures_dir):
    for where, text in fixture_filters(real_fixtures_dir):
        parsed = parse_filter(text)
        explained = explain_filter(parsed)
        assert "not understood" not in explained, where
        assert "<" not in explained and "Event." not in explained, where
        assert not [i for i in filter_issues(parsed) if "Not understood" in i.message], where


def test_fixture_operators_are_all_in_the_table(real_fixtures_dir):
    seen = set()
    for _, text in fixture_filters(real_fixtures_dir):
        seen |= {c.operator for _, c in _conditions(parse_filter(text))}
    expected = {"Equal", "NotEqual", "Contains", "NotContains", "Is", "IsNull", "IsNotNull"}
    assert expected | {"AtOrAfter", "AtOrBefore", "LessThanOrEqual"} >= seen >= {"Is", "IsNull"}
    assert seen <= set(OPERATORS)


def _conditions(parsed):
    from journeys.domain.conditions import walk

    return [(path, item) for path, item in walk(parsed) if isinstance(item, Condition)]


def test_a_condition_keeps_its_attribute_path_and_reference_flag():
    parsed = parse_filter(NESTED)
    (path, first), *_ = _conditions(parsed)
    assert path == "0.0.0"
    assert (first.key, first.operator, first.value) == (
        "Donation__c_Salesforce_1.Date__c",
        "AtOrAfter",
        ";-;14;days",
    )
    assert first.relationship_id == "cc9b"
    assert first.attribute("UiMetaData") == '{"groupToSetRelationshipId":"fe96"}'
    reference = parse_filter(f(cond(TIER, "Equal", "Members.Tier", ValueIsReference="true")))
    assert _conditions(reference)[0][1].value_is_reference


def test_editing_one_condition_rewrites_only_that_condition():
    parsed = parse_filter(NESTED)
    tree = filter_to_tree(parsed)
    tree["items"][0]["items"][1]["value"] = "Refunded"
    edited = serialize_filter(filter_from_tree(tree, parsed))
    assert edited == NESTED.replace("[Processed]", "[Refunded]")


def test_changing_an_operator_rewrites_only_the_operator_attribute():
    parsed = parse_filter(NESTED)
    tree = filter_to_tree(parsed)
    tree["items"][1]["items"][0]["operator"] = "NotEqual"
    edited = serialize_filter(filter_from_tree(tree, parsed))
    assert edited == NESTED.replace(
        'Payment_Method__c" Operator="Equal"', 'Payment_Method__c" Operator="NotEqual"'
    )


def test_removing_and_reordering_keep_the_other_conditions_verbatim():
    parsed = parse_filter(NESTED)
    tree = filter_to_tree(parsed)
    first, second = tree["items"]
    tree["items"] = [second, first]
    first["items"].pop(0)
    edited = filter_from_tree(tree, parsed)
    kept = [c.raw for _, c in _conditions(edited)]
    original = {c.key: c.raw for _, c in _conditions(parsed)}
    assert kept == [
        original[k]
        for k in (
            "Donation__c_Salesforce_1.Payment_Method__c",
            "Donation__c_Salesforce_1.Status__c",
        )
    ]


def test_a_new_condition_on_a_related_source_borrows_its_relationship():
    parsed = parse_filter(NESTED)
    tree = filter_to_tree(parsed)
    new = {
        "type": "condition",
        "key": "Donation__c_Salesforce_1.Amount__c",
        "operator": "GreaterThanOrEqual",
        "value": "500",
    }
    tree["items"][1]["items"].append(new)
    edited = filter_from_tree(tree, parsed)
    added = _conditions(edited)[-1][1]
    assert (added.key, added.operator, added.value) == (new["key"], "GreaterThanOrEqual", "500")
    assert added.relationship_id == "cc9b"
    assert added.attribute("UiMetaData") == '{"groupToSetRelationshipId":"fe96"}'


def test_a_new_condition_is_spelled_as_sfmc_writes_it():
    tree = {
        "type": "group",
        "operator": "AND",
        "name": None,
        "items": [
            {"type": "condition", "key": TIER, "operator": "Equal", "value": "Gold"},
            {"type": "condition", "key": "Contact.Email", "operator": "IsNull", "value": None},
        ],
    }
    assert serialize_filter(filter_from_tree(tree)) == (
        '<FilterDefinition><ConditionSet Operator="AND" ConditionSetName="Individual Filter '
        f'Grouping"><Condition IsEphemeralAttribute="true" Key="{TIER}" Operator="Equal" '
        'UiMetaData="{}"><Value><![CDATA[Gold]]></Value></Condition><Condition Key="Contact.Email"'
        ' Operator="IsNull" UiMetaData="{}"><Value><![CDATA[]]></Value></Condition>'
        "</ConditionSet></FilterDefinition>"
    )


def test_an_empty_filter_stays_empty_and_takes_a_first_condition():
    blank = parse_filter("")
    assert blank.error is None and explain_filter(blank) == "no conditions (everyone)"
    tree = filter_to_tree(blank)
    assert filter_from_tree(tree, blank).source == ""
    tree["items"].append({"type": "condition", "key": TIER, "operator": "Equal", "value": "Gold"})
    assert explain_filter(filter_from_tree(tree, blank)) == "Tier (entry data) equals Gold"


def test_unknown_parts_are_kept_verbatim_and_said_so():
    odd = '<Condition Key="X.Tier" Operator="Resembles"><Value>Gold</Value></Condition>'
    text = f(odd, "<Frobnicate a='1'/>", cond(TIER, "Equal", "Gold"))
    parsed = parse_filter(text)
    group = parsed.groups[0]
    assert isinstance(group, ConditionGroup)
    first, second, _ = group.items
    assert first == Unknown(odd, "the operator “Resembles” is not known")
    assert isinstance(second, Unknown) and second.raw == "<Frobnicate a='1'/>"
    assert serialize_filter(parsed) == text
    assert explain_filter(parsed).startswith("(not understood: the operator “Resembles” is not")
    tree = filter_to_tree(parsed)
    tree["items"][2]["value"] = "Silver"
    assert serialize_filter(filter_from_tree(tree, parsed)) == text.replace("[Gold]", "[Silver]")


BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
    '<FilterDefinition><ConditionSet Operator="AND" ConditionSetName="x">'
    '<Condition Key="A.B" Operator="Equal"><Value>&lol2;</Value></Condition>'
    "</ConditionSet></FilterDefinition>"
)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("<FilterDefinition><ConditionSet>", "not well-formed XML"),
        ("<FilterDefinition><ConditionSet></Condition></FilterDefinition>", "closed by something"),
        ("<Filter/>", "must be a <FilterDefinition>"),
        (BILLION_LAUGHS, "DOCTYPE"),
        (f(cond("A.B", "Equal", "]]>&bogus;")), "not well-formed"),
        ('<FilterDefinition a="&xxe;"/>', "never expanded"),
        ("<FilterDefinition>" + "x" * 1_048_576 + "</FilterDefinition>", "larger than 256 KiB"),
        ("<FilterDefinition>" + "<ConditionSet Operator='AND'>" * 60, "nested more than"),
    ],
)
def test_malformed_filters_get_a_clear_error_and_keep_their_source(text, message):
    parsed = parse_filter(text)
    assert message in parsed.error
    assert serialize_filter(parsed) == text
    assert explain_filter(parsed).startswith("(not understood: ")
    assert filter_issues(parsed)[0].message == parsed.error
    assert filter_from_tree(filter_to_tree(parsed), parsed) is parsed


def test_a_malformed_filter_replaced_in_the_builder_becomes_a_real_one():
    broken = parse_filter("<FilterDefinition><oops")
    tree = filter_to_tree(broken)
    tree["items"] = [{"type": "condition", "key": TIER, "operator": "Equal", "value": "Gold"}]
    assert explain_filter(filter_from_tree(tree, broken)) == "Tier (entry data) equals Gold"


def test_a_malformed_tree_is_refused_with_a_reason():
    with pytest.raises(TreeError, match="AND or OR"):
        filter_from_tree({"type": "group", "operator": "XOR", "items": []})
    with pytest.raises(TreeError, match="attribute"):
        filter_from_tree(
            {
                "type": "group",
                "items": [{"type": "condition", "key": "", "operator": "Equal", "value": "x"}],
            }
        )


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (
            f(cond(TIER, "Equal", "Gold"), cond(POINTS, "LessThanOrEqual", "500")),
            "Tier (entry data) equals Gold and Points (entry data) is at most 500",
        ),
        (
            f(cond("Appointments.Appointment date", "AtOrAfter", ";+;3;days")),
            "Appointment date (Appointments) is on or after today + 3 days",
        ),
        (
            f(cond("Contact_Salesforce_1.Email address", "IsNull")),
            "Email address (Contact) is empty",
        ),
        (
            f(cond(TIER, "Equal", "Gold"), cond(TIER, "Equal", "Platinum"), operator="OR"),
            "Tier (entry data) equals Gold or Tier (entry data) equals Platinum",
        ),
        (
            NESTED,
            "(Date__c (Donation) is on or after today - 14 days and Status__c (Donation) "
            "equals Processed) or Payment_Method__c (Donation) equals Direct Debit",
        ),
        (f(cond("A.Due", "AtOrBefore", ";-;1;days")), "Due (A) is on or before today - 1 day"),
    ],
)
def test_explain_says_it_in_plain_words(text, words):
    assert explain_filter(parse_filter(text)) == words


def test_explain_takes_another_attribute_namer():
    parsed = parse_filter(f(cond(TIER, "Equal", "Gold")))
    assert explain_filter(parsed, attribute_name=lambda key: "Tier") == "Tier equals Gold"


@pytest.mark.parametrize(
    ("text", "summary"),
    [
        (
            NESTED,
            "Date__c is on or after today - 14 days and Status__c equals Processed, "
            "or Payment_Method__c equals Direct Debit",
        ),
        (
            f(cond(TIER, "Equal", "Gold"), cond(POINTS, "LessThanOrEqual", "500")),
            "Tier equals Gold and Points is at most 500",
        ),
        (f(), "no conditions (everyone)"),
    ],
)
def test_a_summary_is_short_and_starts_with_what_it_is_about(text, summary):
    """A canvas label: field names without their source, no leading parenthesis."""
    assert summarize_filter(parse_filter(text)) == summary


def test_explanations_in_parts_carry_each_attributes_key():
    parsed = parse_filter(f(cond(TIER, "Equal", "Gold"), cond(POINTS, "IsNull")))
    words = filter_words(parsed)
    assert words_text(words) == explain_filter(parsed)
    assert [part for part in words if isinstance(part, AttributeWords)] == [
        AttributeWords("Tier (entry data)", TIER),
        AttributeWords("Points (entry data)", POINTS),
    ]


@pytest.mark.parametrize(
    ("key", "label"),
    [
        ("Event.DEAudience-abc.Tier", "Tier (entry data)"),
        (
            "Event.SalesforceObj09b1.Recurring_Donation__c:Contact__r:MobilePhone",
            "MobilePhone (entry data)",
        ),
        ("Contact_Salesforce_1.MobilePhone", "MobilePhone (Contact)"),
        ("Risk_Management_Info.Converted", "Converted (Risk Management Info)"),
        ("Tier", "Tier"),
    ],
)
def test_attribute_labels_show_the_field_and_its_source(key, label):
    assert attribute_label(key) == label


def test_filter_issues_name_what_is_wrong():
    text = (
        '<FilterDefinition><ConditionSet Operator="AND" ConditionSetName="x">'
        + cond(TIER, "Equal", "")
        + cond(POINTS, "Is", "maybe")
        + cond("A.When", "AtOrAfter", "soon")
        + '<ConditionSet Operator="OR" ConditionSetName="x"></ConditionSet>'
        + '<Condition Key="A.B" Operator="Nope"/>'
        + cond(POINTS, "Contains", "5")
        + "</ConditionSet></FilterDefinition>"
    )
    issues = filter_issues(parse_filter(text), attribute_types={POINTS: "number"})
    assert [(i.path, i.message) for i in issues] == [
        ("0.0", "Tier (entry data) equals: give a value."),
        ("0.1", "“is” does not fit Points (entry data), which is a number."),
        ("0.2", "When (A) is compared as a date, but “soon” is not a date."),
        ("0.3", "This group has no conditions."),
        ("0.4", "Not understood: the operator “Nope” is not known."),
        ("0.5", "“contains” does not fit Points (entry data), which is a number."),
    ]
    assert filter_issues(parse_filter(f(cond(TIER, "Is", "true")))) == []
    assert filter_issues(parse_filter(f())) == []


# Property tests: generated condition trees survive serialise -> parse unchanged.
texts = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
keys = st.one_of(
    st.sampled_from([TIER, POINTS, "Contact_Salesforce_1.Email", "A.B"]),
    st.builds(lambda s, k: f"{s}.{k}", texts.filter(bool), texts.filter(bool)),
)


@st.composite
def conditions(draw):
    operator = draw(st.sampled_from(sorted(OPERATORS)))
    node = {"type": "condition", "key": draw(keys), "operator": operator}
    if OPERATORS[operator].arity in (2, MANY):
        node["values"] = draw(st.lists(texts, min_size=1, max_size=3))
    else:
        node["value"] = draw(texts)
    return node


def groups(children):
    return st.fixed_dictionaries(
        {
            "type": st.just("group"),
            "operator": st.sampled_from(["AND", "OR"]),
            "name": st.sampled_from([DEFAULT_GROUP_NAME, "Gold & <Platinum>", "ß"]),
            "items": st.lists(children, max_size=4),
        }
    )


trees = groups(st.recursive(conditions(), groups, max_leaves=12))


def comparable(tree):
    if tree["type"] == "condition":
        values = tree.get("values") or [tree.get("value")]
        return (tree["key"], tree["operator"], tuple(values))
    return (tree["operator"], tree["name"], [comparable(child) for child in tree["items"]])


@settings(max_examples=150, deadline=None)
@given(trees)
def test_generated_trees_serialise_and_parse_back_to_the_same_tree(tree):
    text = serialize_filter(filter_from_tree(tree))
    parsed = parse_filter(text)
    assert parsed.error is None
    assert comparable(filter_to_tree(parsed)) == comparable(tree)
    assert serialize_filter(parsed) == text


spaces = st.sampled_from(["", " ", "\n  ", "<!-- note -->", "\t\n"])


@settings(max_examples=150, deadline=None)
@given(trees, st.lists(spaces, min_size=1))
def test_parsing_then_serialising_keeps_any_spacing(tree, gaps):
    text = serialize_filter(filter_from_tree(tree))
    spaced = ""
    for index, part in enumerate(text.split("><")):
        spaced += (">" + gaps[index % len(gaps)] + "<" if index else "") + part
    parsed = parse_filter(spaced)
    assert serialize_filter(parsed) == spaced
    assert serialize_filter(filter_from_tree(filter_to_tree(parsed), parsed)) == spaced
