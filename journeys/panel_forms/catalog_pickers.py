"""What the side panel offers from SFMC's catalog (the connection's cache, never SFMC itself).

One ``PanelCatalog`` per request: it reads the names of the ids the journey holds, the short
lists (profiles, classifications, entry events, SMS keywords and codes) once, and builds the
pickers that search the long ones (emails, data extensions, SMS messages) over htmx. Forms
receive it through ``use_catalog``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.urls import reverse

from journeys.catalog_models import (
    CatalogAttributeSet,
    CatalogDataExtension,
    CatalogEvent,
    CatalogMobile,
    CatalogProfile,
)
from journeys.catalog_names import CARD_KINDS, CatalogNames, catalog_names
from journeys.domain.catalog_refs import KIND_WORDS
from journeys.domain.conditions import attribute_label
from journeys.domain.journey_filters import entry_event_keys
from journeys.services.catalog import CatalogStatus, catalog_status

# Fields a condition builder offers at most from the catalog (an attribute list stays usable).
MAX_ATTRIBUTES = 400
# MobileConnect kinds offered in selects (messages, being many, are searched by name).
SMS_LISTED = ("sms_keyword", "sms_code")


@dataclass(frozen=True)
class Picker:
    """A search-by-name picker for one id field (emails, data extensions)."""

    kind: str
    value: str
    name: str
    detail: str  # said whole: "Subject: …" of an email, "Text: …" of an SMS message
    missing: bool
    search_url: str

    @property
    def words(self) -> str:
        return KIND_WORDS[self.kind]


class PanelCatalog:
    def __init__(self, draft: Any) -> None:
        self.draft = draft
        self.connection = draft.journey.connection

    @cached_property
    def names(self) -> CatalogNames:
        return catalog_names(self.connection, self.draft.document)

    @cached_property
    def status(self) -> CatalogStatus:
        return catalog_status(self.connection)

    @cached_property
    def _profiles(self) -> dict[str, list[tuple[str, str]]]:
        rows = CatalogProfile.objects.filter(connection=self.connection).order_by("name")
        return _by_kind(rows.values_list("kind", "object_id", "name", "customer_key"))

    @cached_property
    def _sms_lists(self) -> dict[str, list[tuple[str, str]]]:
        """SMS keywords and codes, each named with what tells it apart ("JOIN (on 12345)")."""
        rows = CatalogMobile.objects.filter(connection=self.connection, kind__in=SMS_LISTED)
        listed = rows.order_by("name").values_list("kind", "object_id", "name", "detail")
        return _by_kind(listed, with_detail=True)

    @cached_property
    def events(self) -> list[tuple[str, str]]:
        rows = CatalogEvent.objects.filter(connection=self.connection).order_by("name")
        return list(rows.values_list("key", "name"))

    def choices(self, kind: str, current: Any) -> list[tuple[str, str]] | None:
        """Select choices by name for a short list, the current id kept; None when uncached."""
        if kind == "event":
            options = self.events
        else:
            options = (self._sms_lists if kind in SMS_LISTED else self._profiles).get(kind, [])
        if not options:
            return None
        current = "" if current in (None, "") else str(current)
        choices = [("", f"— choose a {KIND_WORDS[kind]} —"), *options]
        if current and current not in {value for value, _ in options}:
            choices.append((current, f"{current} (not in SFMC's catalog)"))
        return choices

    def picker(self, kind: str, value: Any) -> Picker:
        value = "" if value in (None, "") else str(value)
        named = self.names.get(kind, value) if value else None
        query = urlencode({"kind": kind})
        said = CARD_KINDS.get(kind)  # what a detail is called, where the picker shows it
        return Picker(
            kind=kind,
            value=value,
            name=named.name if named else "",
            detail=f"{said}: {named.detail}" if said and named and named.detail else "",
            missing=bool(value) and named is None and kind in self.names.refreshed,
            search_url=f"{reverse('journeys:draft-catalog-search', args=[self.draft.pk])}?{query}",
        )

    def data_extension_fields(self, value: Any) -> list[tuple[str, str]]:
        """(field object id, field name) of the data extension named by ObjectID or key."""
        if value in (None, ""):
            return []
        de = (
            CatalogDataExtension.objects.filter(connection=self.connection)
            .filter(_named_or_used(set(), {str(value)}))
            .first()
        )
        return [(str(f.get("object_id")), str(f.get("name"))) for f in de.fields] if de else []

    def attributes(self, document: Any) -> dict[str, str]:
        """Condition attributes from the catalog: the entry event's fields, its data extension's,
        those of data extensions the journey uses and Contact Builder's attribute sets."""
        found: dict[str, str] = {}
        keys = entry_event_keys(document)
        events = CatalogEvent.objects.filter(connection=self.connection, key__in=keys)
        de_names = set()
        for event in events:
            de_names.add(event.data_extension_name)
            for field in event.fields:
                key = f"Event.{event.key}.{field.get('name')}"
                found[key] = attribute_label(key)
        used = {ref.value for ref in self.names.refs if ref.kind == "data_extension"}
        des = CatalogDataExtension.objects.filter(connection=self.connection).filter(
            _named_or_used(de_names, used)
        )[:50]
        for de in des:
            for field in de.fields:
                key = f"{de.name}.{field.get('name')}"
                found.setdefault(key, attribute_label(key))
        for attribute_set in CatalogAttributeSet.objects.filter(connection=self.connection)[:50]:
            for field in attribute_set.fields:
                key = f"{attribute_set.name}.{field.get('name')}"
                found.setdefault(key, attribute_label(key))
        return dict(list(found.items())[:MAX_ATTRIBUTES])


def _by_kind(rows: Any, *, with_detail: bool = False) -> dict[str, list[tuple[str, str]]]:
    """(kind, id, name, detail) rows as select choices by kind: (id, name[ (detail)])."""
    found: dict[str, list[tuple[str, str]]] = {}
    for kind, object_id, name, detail in rows:
        label = f"{name} ({detail})" if with_detail and detail else name
        found.setdefault(kind, []).append((object_id, label))
    return found


def _named_or_used(names: set[str], used: set[str]) -> Any:
    from django.db.models import Q

    return Q(name__in=names) | Q(object_id__in=used) | Q(customer_key__in=used)


def select_widget(field: forms.Field, choices: list[tuple[str, str]]) -> None:
    """Show a text id field as a select by name (the id stays what is posted and stored)."""
    field.widget = forms.Select(choices=choices)


def use_selects(form: forms.Form, catalog: PanelCatalog, fields: dict[str, str]) -> None:
    """Each id field (name -> catalog kind) as a select by name where the catalog lists that
    kind; its label loses " ID". Elsewhere the free id field stays."""
    for name, kind in fields.items():
        choices = catalog.choices(kind, form.initial.get(name))
        if choices is not None:
            form.fields[name].label = str(form.fields[name].label).removesuffix(" ID")
            select_widget(form.fields[name], choices)
