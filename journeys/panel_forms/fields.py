"""Form fields that show a journey value as the marketer edits it and give back what SFMC stores.

Every field here round-trips: an untouched field cleans to exactly the value it was given as
initial, so `Form.changed_data` lists only what the user really changed and nothing else is
written (text is not stripped, browser line endings are normalised, lists compare as lists).
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterable
from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator

from journeys.domain.document import TOO_DEEP, check_storable

HOUR_MINUTE = RegexValidator(
    r"^([01][0-9]|2[0-3]):[0-5][0-9]$", "Enter a time as HH:MM on a 24-hour clock, e.g. 09:00."
)
DIGITS = RegexValidator(r"^[0-9]+$", "Enter a whole number, e.g. 10.")
_FILTER_ROOT = "FilterDefinition"


class ExactTextField(forms.CharField):
    """Text kept as typed: no stripping, and the browser's CRLF line endings made LF."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("strip", False)
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> str:
        text = super().to_python(value) or ""
        return text.replace("\r\n", "\n")

    def has_changed(self, initial: Any, data: Any) -> bool:
        # Browsers send CRLF whatever the document held, so compare the normalised texts.
        return not self.disabled and self.to_python(initial) != self.to_python(data)


class FilterXmlField(ExactTextField):
    """A filter definition (decision path, goal, exit, entry criteria): well-formed XML or empty."""

    widget = forms.Textarea(attrs={"rows": 4})

    def validate(self, value: Any) -> None:
        super().validate(value)
        if value.strip():
            check_filter_xml(value)


def check_filter_xml(text: str) -> None:
    """Raise ValidationError unless `text` is a well-formed <FilterDefinition> document."""
    try:
        root = ElementTree.fromstring(text)
    except ElementTree.ParseError as error:
        raise ValidationError(
            f"This filter is not well-formed XML: {error}.", code="xml"
        ) from error
    if root.tag != _FILTER_ROOT:
        raise ValidationError(
            f"A filter must be a <{_FILTER_ROOT}> element, not <{root.tag}>.", code="xml"
        )


class LinesField(forms.Field):
    """A list of texts, edited one per line (or separated by `separator`); blanks are dropped."""

    widget = forms.Textarea(attrs={"rows": 3})

    def __init__(self, *, separator: str = "\n", **kwargs: Any) -> None:
        self.separator = separator
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> list[str]:
        if isinstance(value, list):
            return [str(item) for item in value]
        text = str(value or "").replace("\r\n", "\n")
        return [part.strip() for part in text.split(self.separator) if part.strip()]

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list) and not getattr(self.widget, "field_choices", None):
            joiner = "\n" if self.separator == "\n" else f"{self.separator} "
            return joiner.join(str(item) for item in value)
        return value

    def has_changed(self, initial: Any, data: Any) -> bool:
        if self.disabled:
            return False
        return self.to_python(initial or []) != self.to_python(data)


class RowsField(forms.Field):
    """Pairs edited as "name = value" lines (the value may itself contain "=")."""

    widget = forms.Textarea(attrs={"rows": 4})

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> list[tuple[str, str]]:
        if isinstance(value, list):  # from the initial value, or rows chosen by name
            pairs = [(str(name), str(text)) for name, text in value]
            for number, (name, _) in enumerate(pairs, start=1):
                if not name.strip():
                    raise ValidationError(f"Row {number}: choose a field.", code="invalid")
            return pairs
        pairs = []
        lines = str(value or "").replace("\r\n", "\n").split("\n")
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            name, equals, text = line.partition("=")
            if not equals or not name.strip():
                raise ValidationError(f"Line {number}: write it as field = value.", code="invalid")
            pairs.append((name.strip(), text.strip()))
        return pairs

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list) and not getattr(self.widget, "field_choices", None):
            return "\n".join(f"{name} = {text}" for name, text in value)
        return value

    def has_changed(self, initial: Any, data: Any) -> bool:
        if self.disabled:
            return False
        try:
            return self.to_python(initial or []) != self.to_python(data)
        except ValidationError:
            return True


class JsonTextField(forms.JSONField):
    """JSON edited in a textarea, indented; a parse error names the section, line and column.

    `expect` (dict or list) is the kind of value the section must hold; empty means absent.
    """

    def __init__(
        self, *, section: str, expect: type[dict[str, Any]] | type[list[Any]] | None, **kwargs: Any
    ) -> None:
        self.section = section
        self.expect = expect
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 8, "spellcheck": "false"}))
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str) and value.strip() and not self.disabled:
            try:
                check_storable(json.loads(value, parse_constant=_refuse_constant))
            except json.JSONDecodeError as error:
                raise ValidationError(
                    f"{self.section}: {error.msg} at line {error.lineno}, column {error.colno}",
                    code="invalid",
                ) from error
            except ValueError as error:  # NaN, 1e400, a lone surrogate, too many digits
                raise ValidationError(f"{self.section}: {error}", code="invalid") from error
            except RecursionError as error:
                raise ValidationError(f"{self.section}: {TOO_DEEP}", code="invalid") from error
        return super().to_python(value)

    def bound_data(self, data: Any, initial: Any) -> Any:
        # Shown back as typed whenever it is not a usable value (Django only does so for a
        # syntax error): a lone surrogate would not encode, deep nesting would not parse.
        try:
            value = super().bound_data(data, initial)
            check_storable(value)
        except (ValueError, RecursionError):
            return forms.fields.InvalidJSONInput(data)
        return value

    def has_changed(self, initial: Any, data: Any) -> bool:
        # Shown read-only (an entry source the editor keeps as imported): never written.
        return not self.disabled and super().has_changed(initial, data)

    def validate(self, value: Any) -> None:
        super().validate(value)
        if value is None or self.expect is None or isinstance(value, self.expect):
            return
        kind = "an object ({...})" if self.expect is dict else "a list ([...])"
        raise ValidationError(f"{self.section}: this must be {kind}.", code="invalid")

    def prepare_value(self, value: Any) -> Any:
        if value is None:
            return ""
        if isinstance(value, forms.fields.InvalidJSONInput):
            return value
        return json.dumps(value, ensure_ascii=False, indent=2)


def _refuse_constant(name: str) -> Any:
    # json accepts NaN and Infinity, but the journey's canonical JSON (and SFMC) do not.
    raise ValueError(f"{name} is not a number JSON allows.")


def fit_to_current(field: forms.Field, current: Any) -> None:
    """Make a field accept the document's current value, so a panel submitted unchanged is
    always valid and never rewrites it.

    A field the document leaves empty is optional (validate() reports what is missing, as
    "not configured yet" or as an error); it becomes required once it has a value. A choice
    SFMC saved that the form does not know is offered as "(as saved)", a missing one as
    "Not set".
    """
    if current is None or current == "" or current == []:
        field.required = False
    if not isinstance(field, forms.ChoiceField):
        return
    choices = list(cast(Iterable[tuple[Any, Any]], field.choices))
    known = {str(value) for value, _ in choices}
    if current is None or current == "":
        if "" not in known:
            field.choices = [("", "Not set"), *choices]
    elif str(current) not in known:
        field.choices = [*choices, (current, f"{current} (as saved)")]


def whole_number(value: object) -> int | None:
    """An int, or a digit string as some real documents store numbers ("3"), else None."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and re.fullmatch(r"-?[0-9]+", value):
        return int(value)
    return None
