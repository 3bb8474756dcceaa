"""The JSON editor: the panel for activities without a dedicated form.

Sales Cloud activities, Path Optimizer steps, push notifications and any type the catalogue does
not know are edited section by section as JSON (arguments, configurationArguments, metaData),
plus the path names of a split. A section is only written when what the user submitted parses to
something different, so an activity submitted unchanged stays byte-identical, whatever it holds.
The result is checked with validate(): errors it would add are shown as form errors.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from journeys.domain.graph import set_field
from journeys.panel_forms.base import Document, Target
from journeys.panel_forms.fields import JsonTextField
from journeys.panel_forms.splits import SplitForm

# Section → (label, help text).
SECTIONS = {
    "arguments": ("Arguments (JSON)", "Data passed to the activity for each contact."),
    "configurationArguments": ("Configuration arguments (JSON)", "How the activity is set up."),
    "metaData": ("Metadata (JSON)", "What Journey Builder keeps for display."),
}


class JsonActivityForm(SplitForm):
    """Name, description, each section as a JSON object, and a name per path of a split."""

    def __init__(
        self, document: Document, target: Target, data: Mapping[str, Any] | None = None
    ) -> None:
        super().__init__(document, target, data)
        for section, (label, help_text) in SECTIONS.items():
            current = self.item.get(section)
            # A section saved as something other than an object may be submitted back as is.
            expect: type[dict[str, Any]] | None = None
            if current is None or isinstance(current, dict):
                expect = dict
            self.fields[section] = JsonTextField(
                label=label, section=section, expect=expect, help_text=help_text
            )
            self.set_initial(section, current)
        self.groups = [("", list(self.fields))]
        if len(self.outcomes) > 1:
            for number, outcome in enumerate(self.outcomes, start=1):
                self.add_label_field(f"path_{number}_label", f"Path {number} name", outcome)
            self.groups.append(("Paths", list(self.labels)))

    def edit(self, document: Document) -> Document:
        document = self.relabel(super().edit(document))
        item_path = self.activity_path(document)
        for section in SECTIONS:
            if section in self.changed_data:
                value = self.cleaned_data[section]
                # An emptied section becomes {}: real activities always have all three.
                document = set_field(
                    document, (*item_path, section), {} if value is None else value
                )
        return document
