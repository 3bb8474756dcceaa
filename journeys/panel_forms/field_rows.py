"""Update-contact rows with each data extension field chosen by name.

When the catalog knows the chosen data extension's fields, the rows field (``RowsField``: pairs
of field id and value) is shown as one row per pair: a select of the fields by name (the field's
ObjectID is what is posted and stored) and the value, plus empty rows to add more. The text
form ("field id = value" lines) still works: a post without the rows (no catalog, an old page)
is read as text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django import forms
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

EMPTY_ROWS = 2


class FieldRowsWidget(forms.Widget):
    """Rows of (field select, value input) for a list of (field id, value) pairs."""

    def __init__(self, fields: Sequence[tuple[str, str]], attrs: Any = None) -> None:
        super().__init__(attrs)
        self.field_choices = list(fields)  # (field object id, field name)

    def value_from_datadict(self, data: Mapping[str, Any], files: Any, name: str) -> Any:
        count = data.get(f"{name}-rows")
        if count is None or not str(count).isdigit():
            return data.get(name)  # posted as text ("field = value" lines)
        rows = []
        for index in range(min(int(count), 500)):
            field = str(data.get(f"{name}-field-{index}") or "").strip()
            value = str(data.get(f"{name}-value-{index}") or "").strip()
            if field or value:
                rows.append((field, value))
        return rows

    def value_omitted_from_data(self, data: Mapping[str, Any], files: Any, name: str) -> bool:
        return f"{name}-rows" not in data and name not in data

    def id_for_label(self, id_: str) -> str:
        return f"{id_}-field-0" if id_ else id_

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        pairs = [*_pairs(value), *[("", "")] * EMPTY_ROWS]
        base = (attrs or {}).get("id") or f"id_{name}"
        rows = format_html_join(
            "",
            '<div class="field-row">'
            '<label class="visually-hidden" for="{0}-field-{1}">Field {2}</label>'
            '<select id="{0}-field-{1}" name="{3}-field-{1}">{4}</select>'
            '<span aria-hidden="true"> = </span>'
            '<label class="visually-hidden" for="{0}-value-{1}">Value of field {2}</label>'
            '<input type="text" id="{0}-value-{1}" name="{3}-value-{1}" value="{5}">'
            "</div>",
            (
                (base, index, index + 1, name, self._options(field), value)
                for index, (field, value) in enumerate(pairs)
            ),
        )
        return format_html(
            '<div class="field-rows" id="{}"><input type="hidden" name="{}-rows" value="{}">{}'
            "</div>",
            base,
            name,
            len(pairs),
            rows,
        )

    def _options(self, current: str) -> SafeString:
        choices = [("", "— field —"), *self.field_choices]
        if current and current not in {object_id for object_id, _ in self.field_choices}:
            choices.append((current, f"{current} (not a field of this data extension)"))
        return format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            ((value, " selected" if value == current else "", label) for value, label in choices),
        )


def _pairs(value: Any) -> list[tuple[str, str]]:
    """The rows to show: pairs, or "field = value" lines posted as text (kept, not lost)."""
    if isinstance(value, list):
        return [(str(field), str(text)) for field, text in value]
    lines = (line.partition("=") for line in str(value or "").splitlines() if line.strip())
    return [(field.strip(), text.strip()) for field, _, text in lines]
