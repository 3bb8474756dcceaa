"""The side-panel forms of the canvas editor: one plain Django form per thing a marketer edits.

    form = panel_form_for(document, Target("activity", "EMAILV2-1"), request.POST)
    if form.is_valid():
        document, summary = form.apply(document)

Every form reads its initial values from the document and writes only what the user changed,
through journeys.domain.graph, so whatever the panel does not show is kept verbatim.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from journeys.domain.catalog import type_of
from journeys.panel_forms.activities import (
    CustomActivityForm,
    DataExtensionUpdateForm,
    EmailForm,
    SendTimeForm,
    SmsForm,
    UpdateContactForm,
    WaitByAttributeForm,
    WaitByDurationForm,
)
from journeys.panel_forms.base import Document, PanelForm, Target, locate, value_at
from journeys.panel_forms.journey import ExitForm, GoalForm, SettingsForm, TriggerForm
from journeys.panel_forms.json_editor import JsonActivityForm
from journeys.panel_forms.splits import (
    CustomSplitForm,
    DecisionSplitForm,
    EngagementSplitForm,
    RandomSplitForm,
)

# By catalogue type id; any other activity (Sales Cloud, Path Optimizer, push, unknown types)
# gets the JSON editor.
ACTIVITY_FORMS: dict[str, type[PanelForm]] = {
    "WAITBYDURATION": WaitByDurationForm,
    "WAITBYATTRIBUTE": WaitByAttributeForm,
    "EMAILV2": EmailForm,
    "SMSSYNC": SmsForm,
    "MULTICRITERIADECISIONV2": DecisionSplitForm,
    "RANDOMSPLITV2": RandomSplitForm,
    "ENGAGEMENTSPLITV2": EngagementSplitForm,
    "UPDATECONTACTDATAV2": UpdateContactForm,
    "DATAEXTENSIONUPDATE": DataExtensionUpdateForm,
    "STOWAIT": SendTimeForm,
    "REST": CustomActivityForm,
    "RESTSPLIT": CustomSplitForm,
}
JOURNEY_FORMS: dict[str, type[PanelForm]] = {
    "trigger": TriggerForm,
    "goal": GoalForm,
    "exit": ExitForm,
    "settings": SettingsForm,
}


def panel_form_for(
    document: Document,
    target: Target,
    data: Mapping[str, Any] | None = None,
    catalog: Any = None,
) -> PanelForm:
    """The right form for the target, bound to `data` when given, initial values from the
    document, offering SFMC's `catalog` (catalog_pickers.PanelCatalog) when given. Raises
    LookupError if the target does not exist in the document."""
    if target.kind != "activity":
        form = JOURNEY_FORMS[target.kind](document, target, data)
    else:
        entry = type_of(value_at(document, locate(document, target)))
        form_class = ACTIVITY_FORMS.get(entry.type_id, JsonActivityForm) if entry else None
        form = (form_class or JsonActivityForm)(document, target, data)
    if catalog is not None:
        form.use_catalog(catalog)
    return form


__all__ = ["PanelForm", "Target", "panel_form_for"]
