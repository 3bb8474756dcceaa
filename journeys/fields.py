"""DocumentField: a JSON value stored as JSON text, so it comes back exactly as it was saved.

PostgreSQL's jsonb (what Django's JSONField uses there) sorts object keys and rewrites numbers
(`1e20` comes back as `100000000000000000000`, `-0.0` as `0.0`), so a journey would be pushed and
exported in another order than SFMC sent it, and its content hash could change on a save. A text
column keeps what `json.dumps` wrote on every engine: keys in their order, floats by their repr
(which reads back to the same float), integers to the last digit. Non-ASCII text is escaped, so
anything Python's JSON reads is storable, a lone surrogate included (UTF-8 cannot carry one).

The price: nothing can query inside the value (no `document__key` lookups); whatever needs
querying gets its own column.
"""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.db import models


class _Written(str):
    """A DocumentField value's JSON text, written by the caller (see with_text)."""


def with_text(instance: models.Model, name: str, value: Any, text: str) -> None:
    """Set the DocumentField `name` of `instance` to `value`, whose text as get_prep_value
    writes it the caller has written already: the next save stores `text` rather than writing
    the document out again (as long as the field still holds that very `value`)."""
    setattr(instance, name, value)
    instance.__dict__.setdefault("_written_texts", {})[name] = (value, _Written(text))


class DocumentField(models.TextField):  # type: ignore[type-arg]
    """A dict or list kept as compact JSON text (a `text` column on every engine)."""

    # For django-stubs: the attribute takes and gives JSON values (as a JSONField's does).
    _pyi_private_set_type: Any
    _pyi_private_get_type: Any

    description = "A JSON value kept as text, key order and numbers unchanged"
    empty_strings_allowed = False

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> Any:
        return None if value is None else json.loads(value)

    def to_python(self, value: Any) -> Any:
        return value

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        value = super().pre_save(model_instance, add)
        written = model_instance.__dict__.get("_written_texts", {}).pop(self.attname, None)
        return written[1] if written is not None and written[0] is value else value

    def get_prep_value(self, value: Any) -> str | None:
        if isinstance(value, _Written):
            return str(value)
        if value is None:
            return None
        return json.dumps(value, separators=(",", ":"), allow_nan=False)

    def value_to_string(self, obj: models.Model) -> Any:
        # Serialisers (dumpdata) write the value itself, as they do for a JSONField.
        return self.value_from_object(obj)

    def formfield(
        self,
        form_class: type[forms.Field] | None = None,
        choices_form_class: type[forms.ChoiceField] | None = None,
        **kwargs: Any,
    ) -> forms.Field | None:
        return super().formfield(
            form_class=form_class or forms.JSONField,
            choices_form_class=choices_form_class,
            **kwargs,
        )
