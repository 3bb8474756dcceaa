"""Names for the catalog ids a journey holds, read from the connection's cache (never SFMC).

``catalog_names(connection, document)`` costs one query per kind the journey refers to, whatever
the size of the catalog: it reads only the ids the journey uses.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q

from journeys.catalog_models import (
    CatalogDataExtension,
    CatalogEmail,
    CatalogEvent,
    CatalogKind,
    CatalogMobile,
    CatalogProfile,
)
from journeys.domain.catalog_refs import KIND_WORDS, Ref, catalog_refs, missing_refs
from journeys.domain.validate import Problem

# Ref kind -> the cache kind that answers it.
CACHE_KIND = {
    "email": "emails",
    "sender": "profiles",
    "delivery": "profiles",
    "classification": "profiles",
    "data_extension": "data_extensions",
    "event": "events",
    "sms_message": "sms",
    "sms_keyword": "sms",
    "sms_code": "sms",
}
# Cache kinds kept as one table of several ref kinds by ObjectID: the table, and the column that
# tells an object apart (a profile's key, an SMS message's text, a keyword's code).
BY_KIND: dict[str, tuple[Any, str]] = {
    "profiles": (CatalogProfile, "customer_key"),
    "sms": (CatalogMobile, "detail"),
}
# What the cards show an activity by (activity_details), and what its detail is called.
CARD_KINDS = {"email": "Subject", "data_extension": "", "sms_message": "Text"}


@dataclass(frozen=True)
class Named:
    """A catalog object as a person knows it: its name, and a detail (an email's subject)."""

    name: str
    detail: str = ""


@dataclass
class CatalogNames:
    refs: list[Ref] = field(default_factory=list)
    found: dict[str, dict[str, Named]] = field(default_factory=dict)  # kind -> id -> name
    refreshed: frozenset[str] = frozenset()  # ref kinds whose cache was refreshed
    loaded: bool = False  # any kind was ever refreshed (else the editor asks for a first load)

    def get(self, kind: str, value: Any) -> Named | None:
        return self.found.get(kind, {}).get(str(value).strip()) if value not in (None, "") else None

    def label(self, kind: str, value: Any) -> str:
        """The name, else the id (said as such when the catalog lacks it)."""
        named = self.get(kind, value)
        if named:
            return named.name
        return f"{KIND_WORDS[kind]} {value}" if value not in (None, "") else ""

    def id_names(self) -> dict[str, dict[str, str]]:
        """kind -> id -> name, as the domain's words take them (domain.catalog_changes)."""
        return {kind: {k: v.name for k, v in ids.items()} for kind, ids in self.found.items()}

    def problems(self) -> list[Problem]:
        """A warning per id a refreshed catalog does not have."""
        known = {kind: self.found.get(kind, {}).keys() for kind in self.refreshed}
        return missing_refs(self.refs, known)


def catalog_names(connection: Any, document: Any, also: Iterable[Any] = ()) -> CatalogNames:
    """Names of the ids `document` holds: one query for what was refreshed, then one per cache
    kind the journey refers to (none while the catalog was never loaded).

    The ids of the documents in `also` (the other side of a comparison) are named too; only
    `document`'s are judged by `problems()`."""
    refs = catalog_refs(document)
    names = CatalogNames(refs=refs)
    if connection is None:
        return names
    refreshed = CatalogKind.objects.filter(connection=connection, refreshed_at__isnull=False)
    kinds = list(refreshed.values_list("kind", "available"))
    names.loaded = bool(kinds)
    # A kind the tenant has no API for (a 404) knows no names, so it judges no id missing.
    refreshed_kinds = {kind for kind, available in kinds if available}
    wanted: dict[str, set[str]] = {}
    for ref in [*refs, *(ref for other in also for ref in catalog_refs(other))]:
        if CACHE_KIND[ref.kind] in refreshed_kinds:
            wanted.setdefault(ref.kind, set()).add(ref.value)
    names.refreshed = frozenset(wanted)
    for cache_kind in BY_KIND:
        group = {k: v for k, v in wanted.items() if CACHE_KIND[k] == cache_kind}
        if group:
            names.found.update(_by_kind(connection, cache_kind, group))
    for kind, values in wanted.items():
        if kind == "data_extension":
            names.found[kind], names.found["field"] = _data_extensions(connection, values)
        elif CACHE_KIND[kind] not in BY_KIND:
            names.found[kind] = _lookup(connection, kind, values)
    return names


def _by_kind(
    connection: Any, cache_kind: str, wanted: dict[str, set[str]]
) -> dict[str, dict[str, Named]]:
    """One query for the wanted kinds of a BY_KIND table, by ObjectID (an SMS message also by
    its messageObjectId, sfmc.catalog.fetch_mobile)."""
    model, detail = BY_KIND[cache_kind]
    found: dict[str, dict[str, Named]] = {kind: {} for kind in wanted}
    values = set().union(*wanted.values())
    ids = Q(object_id__in=values)
    if cache_kind == "sms":
        ids |= Q(alias__in=values)
    for row in model.objects.filter(ids, connection=connection, kind__in=list(wanted)):
        named = Named(row.name, getattr(row, detail))
        for value in (row.object_id, getattr(row, "alias", "")):
            if value in values:
                found[row.kind][value] = named
    return found


def _lookup(connection: Any, kind: str, values: set[str]) -> dict[str, Named]:
    if kind == "email":
        ids = [int(v) for v in values if v.isdigit()]
        rows = CatalogEmail.objects.filter(connection=connection, legacy_id__in=ids)
        return {str(e.legacy_id): Named(e.name, e.subject) for e in rows}
    if kind == "event":
        events = CatalogEvent.objects.filter(connection=connection, key__in=values)
        return {e.key: Named(e.name, e.type) for e in events}
    raise ValueError(f"no lookup of {kind}")


def _data_extensions(
    connection: Any, values: set[str]
) -> tuple[dict[str, Named], dict[str, Named]]:
    """The data extensions named by ObjectID or key, and their fields by field ObjectID."""
    des = CatalogDataExtension.objects.filter(
        Q(object_id__in=values) | Q(customer_key__in=values), connection=connection
    ).only("object_id", "customer_key", "name", "fields")
    found, fields = {}, {}
    for de in des:
        for value in (de.object_id, de.customer_key):
            if value in values:
                found[value] = Named(de.name, de.customer_key)
        for column in de.fields:
            if isinstance(column, dict) and column.get("object_id"):
                fields[str(column["object_id"])] = Named(str(column.get("name")), de.name)
    return found, fields


def activity_details(
    document: Any, names: CatalogNames, refs: list[Ref] | None = None
) -> dict[str, tuple[str, str]]:
    """For cards: activity key -> (what the card shows, the whole of it for hover): the email,
    data extension or SMS message an activity uses, by name. ``names`` must have named the ids
    of ``document`` (as its document or one of its ``also``); pure, no query. ``refs`` are
    ``document``'s catalog_refs when the caller has them (``names.refs`` when it is its own)."""
    details: dict[str, tuple[str, str]] = {}
    for ref in catalog_refs(document) if refs is None else refs:
        if ref.activity_key is None or ref.kind not in CARD_KINDS:
            continue
        named = names.get(ref.kind, ref.value)
        if named is None or ref.activity_key in details:
            continue
        said = CARD_KINDS[ref.kind]
        detail = f" · {said}: {named.detail}" if said and named.detail else ""
        whole = f"{named.name}{detail} ({KIND_WORDS[ref.kind]} {ref.value})"
        details[ref.activity_key] = (named.name, whole)
    return details
