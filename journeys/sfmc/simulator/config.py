"""The simulator's knobs, including every behaviour the API notes mark UNVERIFIED.

Defaults and why:

* ``default_page_size`` 50 / ``max_page_size`` 500: the newer docs say "default and maximum
  50", but mcdev requests ``$pageSize=500`` and real responses echo 500, so 50 is the default and
  500 the cap; a larger request is clamped and the envelope reports the clamped size.
* ``conflict_status`` 400 / ``conflict_errorcode`` 30000: the modifiedDate rejection (§2.3).
* ``not_draft_status`` / ``not_draft_errorcode`` 409: a PUT to a non-Draft version gets the
  docs' 409 "would cause ... a running interaction to be changed" answer (§1.4 table).
* ``post_existing_draft`` "error": a POST whose key's latest version is a Draft is refused
  (400, errorcode 30000); "new-version" creates version N+1 anyway.
* ``put_bogus_created_date``: the PUT response carries createdDate "0001-01-01T00:00:00" like the
  real one (mcdev issue #2337).
* ``publish_delay`` seconds a publishAsync request stays PublishInProcess (a validateAsync
  request stays ValidateInProcess as long).
* ``long_wait_warning_minutes`` 43200 (30 days): a wait by duration longer than this earns a
  121547 "long wait" warning. UNVERIFIED: the only real sample warned about a 1-day wait and
  advised "under 4 minutes" (set 4 to copy it), which would flag nearly every journey.
* ``old_email_warning_days`` 183: an email activity whose email the catalog says was last
  modified longer ago earns a 121546 warning ("more then 6 months ago", SFMC's spelling).
* ``default_category_id`` 4242: the folder (categoryId) of a journey created without one,
  the simulator's "Journeys" folder.
* ``rest_instance_url`` "" makes the token point REST calls at the simulator itself; set it to
  serve another URL (e.g. to check that a client refuses a host off its allow-list).
* ``soap_instance_url`` "": the same for SOAP (``Service.asmx``). Both can be given on the
  command line (``--rest-instance-url``/``--soap-instance-url``), which makes them the values a
  reset returns to.
* ``missing_scopes`` "": space-separated scopes the installed package lacks; the token leaves
  them out and the catalog endpoints needing them answer 403 (SOAP: "API Permission Failed").
* ``attribute_sets_available`` True: False makes ``/contacts/v1/attributeSetDefinitions`` a 404,
  as on tenants without Contact Builder access.
* ``mobile_connect_available`` True: MobileConnect's listings
  (``/legacy/v1/beta/mobile/{message,keyword,code}/``) answer; False makes them 404, which the
  product reads as a tenant without MobileConnect. UNVERIFIED: the listings are undocumented
  (mcdev reads them), so what a tenant without MobileConnect answers is not known; a 404 is the
  default because it is how SFMC answers an API a tenant lacks (attribute sets, above).
* ``soap_page_size`` 2500: Results per SOAP Retrieve page, as SFMC's (smaller to test paging).
* ``rate_limit_capacity`` 0 turns the token bucket off; otherwise a burst of that many requests,
  refilled at ``rate_limit_per_second``.
* ``business_units``: the tenant's business units, the first being the parent (the BU that owns
  the installed package, which a token request without ``account_id`` gets); every other one is
  its child. Default: Northwind (510000123) and its child Northwind Outlet (510000456). A
  start-up setting (``--business-units "MID=Name,MID=Name"``): it cannot change at run time.
* ``unknown_account_status`` 400: the token answer to an ``account_id`` that is not one of the
  business units. What SFMC answers is UNVERIFIED; the simulator follows OAuth 2 (RFC 6749
  §5.2): ``{"error": "unauthorized_client", "error_description": ...}`` naming the account, so
  the caller learns the MID is wrong rather than its credentials (401 invalid_client).
* ``post_existing_transactional`` "update": a POST whose key names an existing transactional
  journey replaces its only version in place (transactional journeys have no versions, §1.3;
  what SFMC does is UNVERIFIED); "error" refuses it like a POST onto a Draft.
* ``illegal_name_characters`` ``&<>"'/``: characters a journey's name or description may not
  hold (400, sub-error 121072). Only third-party notes report the rule (API notes §1.3), but none
  of the real journeys breaks it, so it is on; "" turns it off.
* ``root_must_be_first`` True: the docs say the start activity is "generally" ``activities[0]``;
  every real journey has it there (§5.5), so a save that puts it elsewhere is refused, to catch an
  editor that reorders activities. False accepts the start anywhere in the list.
* ``check_default_addresses`` True: a publish fails with 121226 ("invalid default email/mobile
  address in journey settings", §1.6) when ``defaults.email``/``mobileNumber`` name an event other
  than the entry source's. What really triggers 121226 is not documented; this is the likely case
  (the entry source was changed afterwards, as in real fixture 17, a Draft).

Config lives in memory: a restart or a reset returns to the values the simulator was started with.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

POST_EXISTING_DRAFT_CHOICES = ("error", "new-version")
POST_EXISTING_TRANSACTIONAL_CHOICES = ("update", "error")
# Settings only the command line sets: changing them would need other state rebuilt.
START_UP_SETTINGS = frozenset({"business_units"})


@dataclass(frozen=True)
class BusinessUnit:
    """One business unit (MID) of the simulated tenant; ``parent_mid`` 0 marks the parent."""

    mid: int
    name: str
    parent_mid: int = 0


DEFAULT_BUSINESS_UNITS = (
    BusinessUnit(510000123, "Northwind"),
    BusinessUnit(510000456, "Northwind Outlet", parent_mid=510000123),
)


def parse_business_units(text: str) -> tuple[BusinessUnit, ...]:
    """``"MID=Name,MID=Name"``: the first is the parent, the others its children."""
    units: list[BusinessUnit] = []
    for part in text.split(","):
        mid_text, _, name = part.strip().partition("=")
        if not mid_text.strip().isdigit() or not name.strip():
            raise ValueError(f"business units are MID=Name pairs, not {part.strip()!r}")
        parent = units[0].mid if units else 0
        units.append(BusinessUnit(int(mid_text), name.strip(), parent_mid=parent))
    return tuple(units)


@dataclass(frozen=True)
class SimConfig:
    client_id: str = "sim-client-id"
    client_secret: str = "sim-client-secret"
    token_lifetime: int = 1079
    default_page_size: int = 50
    max_page_size: int = 500
    conflict_status: int = 400
    conflict_errorcode: int = 30000
    not_draft_status: int = 409
    not_draft_errorcode: int = 409
    post_existing_draft: str = "error"
    put_bogus_created_date: bool = True
    publish_delay: float = 1.0
    long_wait_warning_minutes: int = 43200
    old_email_warning_days: int = 183
    default_category_id: int = 4242
    rate_limit_capacity: int = 0
    rate_limit_per_second: float = 1.0
    rest_instance_url: str = ""
    soap_instance_url: str = ""
    missing_scopes: str = ""
    attribute_sets_available: bool = True
    mobile_connect_available: bool = True
    soap_page_size: int = 2500
    business_units: tuple[BusinessUnit, ...] = DEFAULT_BUSINESS_UNITS
    unknown_account_status: int = 400
    post_existing_transactional: str = "update"
    illegal_name_characters: str = "&<>\"'/"
    root_must_be_first: bool = True
    check_default_addresses: bool = True

    def updated(self, changes: Mapping[str, Any]) -> SimConfig:
        """A copy with ``changes`` applied; form strings are coerced. Raises ValueError."""
        current = dataclasses.asdict(self)
        coerced = {}
        for name, raw in changes.items():
            if name not in current:
                raise ValueError(f"unknown setting {name!r}")
            if name in START_UP_SETTINGS:
                raise ValueError(f"{name} is set when the simulator starts")
            coerced[name] = _coerce(name, raw, type(current[name]))
        result = dataclasses.replace(self, **coerced)
        result.check()
        return result

    def check(self) -> None:
        """Raise ValueError when the values cannot work together."""
        if self.post_existing_draft not in POST_EXISTING_DRAFT_CHOICES:
            raise ValueError(f"post_existing_draft must be one of {POST_EXISTING_DRAFT_CHOICES}")
        if not 1 <= self.default_page_size <= self.max_page_size:
            raise ValueError("need 1 <= default_page_size <= max_page_size")
        if self.token_lifetime < 1 or self.publish_delay < 0 or self.rate_limit_per_second <= 0:
            raise ValueError("token_lifetime >= 1, publish_delay >= 0, rate_limit_per_second > 0")
        if self.soap_page_size < 1:
            raise ValueError("soap_page_size must be at least 1")
        if self.post_existing_transactional not in POST_EXISTING_TRANSACTIONAL_CHOICES:
            choices = POST_EXISTING_TRANSACTIONAL_CHOICES
            raise ValueError(f"post_existing_transactional must be one of {choices}")
        _check_business_units(self.business_units)
        if min(self.long_wait_warning_minutes, self.old_email_warning_days) < 1:
            raise ValueError("long_wait_warning_minutes and old_email_warning_days must be >= 1")
        statuses = (self.conflict_status, self.not_draft_status, self.unknown_account_status)
        for status in statuses:
            if not 400 <= status <= 599:
                raise ValueError("error statuses must be 4xx or 5xx")

    def missing_scope_set(self) -> frozenset[str]:
        return frozenset(self.missing_scopes.split())

    def public(self) -> dict[str, Any]:
        """The settings as JSON, without the client secret."""
        values = dataclasses.asdict(self)
        values.pop("client_secret")
        return values


def _check_business_units(units: tuple[BusinessUnit, ...]) -> None:
    if not units or units[0].parent_mid != 0:
        raise ValueError("business_units needs a parent business unit first")
    mids = [unit.mid for unit in units]
    if len(set(mids)) != len(mids) or min(mids) < 1:
        raise ValueError("business unit MIDs must be positive and different")
    if any(unit.parent_mid not in mids for unit in units[1:]):
        raise ValueError("every child business unit needs its parent among business_units")


def _coerce(name: str, raw: Any, kind: type) -> Any:
    if kind is bool:
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and raw.lower() in ("true", "false", "on", "off", "1", "0"):
            return raw.lower() in ("true", "on", "1")
        raise ValueError(f"{name} must be true or false")
    if isinstance(raw, bool) or not isinstance(raw, str | int | float):
        raise ValueError(f"{name} must be a {kind.__name__}")
    try:
        return kind(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be a {kind.__name__}") from exc
