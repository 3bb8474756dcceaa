"""The SOAP objects the simulator's ``Retrieve`` answers, and the properties each may be asked for.

A property off this list gets SFMC's "The Request Property(s) … do not match with the fields of …
retrieve" error, as on a real tenant. The lists are the real objects' properties that tools ask
for: what the product's catalog client and mcdev 8.0.0 (its ``lib/metadataTypes/definitions``,
written against real tenants) request. Before they were added, the simulator refused mcdev's
folder, data extension, profile and triggered-send retrieves that SFMC answers, which stopped
``mcdev deploy`` before it reached a journey. A property the simulated rows do not hold is left
out of the answer, as SFMC leaves out empty values.

``Email`` (classic emails) and ``List`` exist so those retrieves answer ``OK``: the simulated
tenant's emails are Content Builder assets, and its only list is "All Subscribers".
"""

from __future__ import annotations


def _props(text: str) -> frozenset[str]:
    return frozenset(text.split())


SOAP_PROPERTIES: dict[str, frozenset[str]] = {
    "DataExtension": _props(
        "ObjectID CustomerKey Name Description IsSendable IsTestable CategoryID CreatedDate"
        " ModifiedDate Client.ID DataRetentionPeriodLength DataRetentionPeriodUnitOfMeasure"
        " DeleteAtEndOfRetentionPeriod ResetRetentionPeriodOnImport RetainUntil RowBasedRetention"
        " SendableDataExtensionField.Name SendableSubscriberField.Name Template.CustomerKey"
    ),
    "DataExtensionField": _props(
        "ObjectID CustomerKey Name FieldType IsPrimaryKey IsRequired MaxLength Ordinal Scale"
        " DefaultValue DataExtension.CustomerKey"
    ),
    "SenderProfile": _props(
        "ObjectID CustomerKey Name Description FromName FromAddress Client.ID Client.CreatedBy"
        " Client.ModifiedBy CreatedDate ModifiedDate AutoForwardToEmailAddress AutoForwardToName"
        " AutoForwardTriggeredSend.ObjectID AutoReply AutoReplyTriggeredSend.ObjectID"
        " DataRetentionPeriodLength DataRetentionPeriodUnitOfMeasure DirectForward"
        " FallbackFromAddress ReplyManagementRuleSet.ObjectID RMMRuleCollection.ObjectID"
        " SenderHeaderEmailAddress SenderHeaderName UseDefaultRMMRules"
    ),
    "DeliveryProfile": _props("ObjectID CustomerKey Name Description Client.ID"),
    "SendClassification": _props(
        "ObjectID CustomerKey Name Description SendClassificationType Client.ID CreatedDate"
        " ModifiedDate ArchiveEmail DeliveryProfile.CustomerKey DeliveryProfile.ObjectID"
        " SenderProfile.CustomerKey SenderProfile.ObjectID"
    ),
    "BusinessUnit": _props("ID Name ParentID"),
    "DataFolder": _props(
        "ID ObjectID CustomerKey Name ContentType ParentFolder.ID Client.ID Description"
        " CreatedDate ModifiedDate IsActive IsEditable AllowChildren ParentFolder.CustomerKey"
        " ParentFolder.Path"
    ),
    "TriggeredSendDefinition": _props(
        "ObjectID CustomerKey Name TriggeredSendStatus Email.ID AllowedSlots AutoAddSubscribers"
        " AutoUpdateSubscribers BatchInterval CategoryID CreatedDate DeliveryProfile.CustomerKey"
        " DeliveryProfile.ObjectID Description DynamicEmailSubject EmailSubject"
        " FooterContentArea.ID FromAddress FromName HeaderContentArea.ID IsMultipart"
        " IsPlatformObject IsWrapped Keyword List.ID ModifiedDate NewSlotTrigger Priority"
        " PrivateDomain.ObjectID PrivateIP.ID SendClassification.CustomerKey"
        " SendClassification.ObjectID SenderProfile.CustomerKey SenderProfile.ObjectID SendLimit"
        " SendWindowClose SendWindowOpen SuppressTracking TestEmailAddr TriggeredSendType"
    ),
    "Email": _props(
        "ID CustomerKey Name CategoryID CharacterSet Client.PartnerClientKey ClonedFromID"
        " ContentAreas ContentCheckStatus CreatedDate EmailType Folder HasDynamicSubjectLine"
        " HTMLBody IsActive IsHTMLPaste ModifiedDate PartnerKey PreHeader Status Subject TextBody"
    ),
    "List": _props(
        "ID ObjectID CustomerKey ListName Description Category Type ListClassification"
        " CreatedDate ModifiedDate AutomatedEmail.ID Client.PartnerClientKey"
    ),
}
