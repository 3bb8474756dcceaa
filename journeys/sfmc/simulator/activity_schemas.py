"""The ``schema`` object SFMC adds to each activity it knows, per activity type.

Copied from the real documents in shared/fixtures/sfmc-real (every document of a type carries the
same schema; SALESCLOUDACTIVITY has two variants, this is the one 2 of 3 documents show). A REST
custom activity's schema comes from its own config.json and ABNTESTSTOP has none, so neither is
here: the simulator adds nothing for types it does not know.
"""

from __future__ import annotations

import copy
from typing import Any


def _schema(*arguments: str) -> dict[str, Any]:
    """``"name DataType In|Out [nullable] [readonly] [visible]"`` → SFMC's argument descriptors."""
    described = {}
    for spec in arguments:
        name, data_type, direction, *flags = spec.split()
        described[name] = {
            "dataType": data_type,
            "isNullable": "nullable" in flags,
            "direction": direction,
            "readOnly": "readonly" in flags,
            "access": "Visible" if "visible" in flags else "Hidden",
        }
    return {"arguments": described}


_SCHEMAS = {
    "MULTICRITERIADECISION": _schema(
        "actualChoice Number Out",
        "filterResult Text In readonly",
    ),
    "EMAILV2": _schema(
        "requestID Text Out nullable",
        "messageKey Text Out nullable",
        "activityId Text In nullable",
        "definitionId Text In nullable readonly",
        "emailSubjectDataBound Text In nullable readonly",
        "contactId Number In nullable",
        "contactKey Text In",
        "emailAddress Text In",
        "sourceCustomObjectId Text In nullable",
        "sourceCustomObjectKey LongNumber In nullable",
        "fieldType Text In nullable",
        "eventData Text In nullable",
        "obfuscationProperties Text In nullable",
        "customObjectKey LongNumber In nullable readonly",
        "definitionInstanceId Text In",
    ),
    "WAIT": _schema(
        "endDate Date Out",
        "waitEndDateAttributeDataBound Text In nullable",
        "waitDefinitionId Text In",
        "waitForEventId Text In nullable",
        "executionMode Text In",
        "startActivityKey Text In nullable",
        "waitQueueId LongNumber In nullable",
    ),
    "DATAEXTENSIONUPDATE": _schema(
        "contactKey Text In",
        "value Text In",
    ),
    "SMSSYNC": _schema(
        "smsJobId Text Out nullable",
        "isAddressCreated Boolean Out nullable",
        "isSubscriptionCreated Boolean Out nullable",
        "isTriggeredSend Boolean Out nullable",
        "isWithinBlackout Boolean Out nullable",
        "isValidMobileNumber Boolean Out nullable",
        "outMessageId Text Out nullable",
        "outKeywordId Text Out nullable",
        "outIsOptIn Boolean Out nullable",
        "outHonorBlackoutWindowEnum Number Out nullable",
        "outMobileBlackoutWindowStartTime Text Out nullable",
        "outMobileBlackoutWindowEndTime Text Out nullable",
        "outUtcOffset Text Out nullable",
        "outWindowStart Text Out nullable",
        "outWindowEnd Text Out nullable",
        "outTimeZoneId Number Out nullable",
        "outIsTZValid Boolean Out nullable",
        "outIsMobileBlackoutWindowEnabled Boolean Out nullable",
        "outIsUsingDEAttributesForPersonalization Boolean Out nullable",
        "outCountProcessedSingletonDuringBatchMethod LongNumber Out nullable",
        "contactKey Text In",
        "defaultSMSAddress Text In nullable",
        "mobileNumber Text In nullable",
        "contactId Text In",
        "definitionInstanceId Text In",
        "definitionId Text In",
        "eventData Text In nullable",
    ),
    "UPDATECONTACTDATA": _schema(
        "activityData Text In",
        "contactKey Text In",
    ),
    "SALESCLOUDACTIVITY": _schema(
        "salesforceObjectID Text Out nullable visible",
        "asyncDiscardDate Date Out visible",
        "objectMap Text In nullable",
        "version Text In nullable",
        "contactKey Text In nullable",
        "contactId Number In nullable",
        "definitionId Text In",
        "activityId Text In",
        "startActivityKey Text In nullable",
        "definitionInstanceId Text In",
        "requestObjectId LongNumber In nullable",
    ),
    "STOWAIT": _schema(
        "contactTagsOut Text Out nullable",
        "scheduledExpireTimeOut Date Out nullable",
        "endDate Date Out",
        "contactKey Text In",
        "contactTagsIn Text In nullable",
        "scheduledExpireTimeIn Date In nullable",
        "jbActivityId Text In nullable",
        "jbJourneyId Text In nullable",
        "jbJourneyVersion Number In nullable",
        "waitDefinitionId Text In",
        "waitForEventId Text In nullable",
        "executionMode Text In",
        "startActivityKey Text In nullable",
        "waitQueueId LongNumber In nullable",
    ),
    "RANDOMSPLIT": _schema(
        "randomNumber Number Out",
        "actualChoice Number Out",
    ),
    "ABNTEST": _schema(
        "randomNumber Number Out",
        "asyncDiscardDate Date Out",
        "actualChoice Number Out",
        "activityId Text In",
        "startActivityKey Text In nullable",
        "definitionInstanceId Text In",
        "requestObjectId LongNumber In nullable",
    ),
    "ENGAGEMENTDECISION": _schema(
        "conditionOutcome Boolean Out",
        "definitionId Text In",
        "contactKey Text In",
        "statsKey Text In",
        "requestId Text In nullable",
        "messageKey Text In nullable",
    ),
}


def schema_for(activity_type: object) -> dict[str, Any] | None:
    """A fresh copy of the schema SFMC gives activities of this type, or None when unknown."""
    schema = _SCHEMAS.get(activity_type) if isinstance(activity_type, str) else None
    return copy.deepcopy(schema) if schema is not None else None
