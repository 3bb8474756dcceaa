"""HTTP side of the catalog: Content Builder assets, event definitions, attribute sets,
MobileConnect's listings (messages, keywords, codes), delivery profiles (the legacy listing mcdev
reads), SOAP.

Errors as SFMC gives them (see README "SFMC simulator"):

* REST without a valid bearer token: 401 ``{"message": "Not Authorized", "errorcode": 0}`` (app.py).
* REST whose scope the installed package lacks (``missing_scopes`` setting): 403
  ``{"message": "Insufficient privileges to complete this action.", "errorcode": 0}``.
* ``/contacts/v1/attributeSetDefinitions`` with ``attribute_sets_available`` off: 404, as on
  tenants without Contact Builder access; ``/legacy/v1/beta/mobile/…`` with
  ``mobile_connect_available`` off: 404 (config.py says why).
* SOAP with an unknown or expired ``fueloauth`` token: HTTP 500 ``soap:Fault`` "Token Expired"
  (the text sfmc-sdk and FuelSDK refresh on); malformed XML or a DTD: HTTP 500 ``soap:Client``
  fault; a missing scope: HTTP 200 with ``OverallStatus`` "Error: API Permission Failed" (what
  SOAP retrieves answer without the permission); unknown ObjectType or property: HTTP 200 with
  an ``OverallStatus`` "Error: ..." text.
* Injected faults (5xx, latency, drops) apply to these paths like to any other (app.py).

Each business unit has its own catalog: a REST call sees its token's unit's (app.py makes it the
current one), a SOAP call the unit of the ``fueloauth`` token in its envelope.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from werkzeug.wrappers import Request, Response

from . import soap
from .catalog import Catalog, QueryError
from .envelopes import (
    DOCUMENTATION,
    ApiError,
    json_object_body,
    json_response,
    malformed,
    not_found,
)
from .requestlog import LogEntry

if TYPE_CHECKING:
    from .app import SimulatorApp

ASSETS_QUERY = "/asset/v1/content/assets/query"
EVENT_DEFINITIONS = "/interaction/v1/eventDefinitions"
ATTRIBUTE_SETS = "/contacts/v1/attributeSetDefinitions"
MOBILE_PREFIX = "/legacy/v1/beta/mobile/"
MOBILE_KINDS = ("message", "keyword", "code")
DELIVERY_POLICIES = "/legacy/v1/beta/messaging/deliverypolicy"
SOAP_PATH = "/Service.asmx"
INSUFFICIENT = "Insufficient privileges to complete this action."
# The scope each catalog request needs (names as in SFMC's installed-package permissions).
SOAP_SCOPES = {
    "DataExtension": "data_extensions_read",
    "DataExtensionField": "data_extensions_read",
    "SenderProfile": "email_read",
    "DeliveryProfile": "email_read",
    "SendClassification": "email_read",
    "TriggeredSendDefinition": "email_read",
    "DataFolder": "documents_and_images_read",
    "Email": "email_read",
    "List": "list_and_subscribers_read",
    "BusinessUnit": "accounts_read",
}
CATALOG_SCOPES = (
    "documents_and_images_read",
    "email_read",
    "data_extensions_read",
    "list_and_subscribers_read",
    "accounts_read",
    "sms_read",
)

Handler = Callable[[Request, str, LogEntry], Response]


class CatalogApi:
    """Routes and answers the catalog endpoints."""

    def __init__(self, app: SimulatorApp) -> None:
        self.app = app

    @property
    def catalog(self) -> Catalog:
        """The catalog of the business unit being served (the parent outside a request)."""
        return self.app.business_units.current().catalog

    def route(self, method: str, path: str) -> tuple[dict[str, Handler], str] | None:
        """The handlers for ``path`` by method (and the path segment they act on), or None."""
        if path == ASSETS_QUERY:
            return {"POST": self._assets}, ""
        if path == EVENT_DEFINITIONS:
            return {"GET": self._events}, ""
        if (
            path.startswith(EVENT_DEFINITIONS + "/")
            and "/" not in path[len(EVENT_DEFINITIONS) + 1 :]
        ):
            return {"GET": self._event}, path[len(EVENT_DEFINITIONS) + 1 :]
        if path == ATTRIBUTE_SETS:
            return {"GET": self._attribute_sets}, ""
        if path == SOAP_PATH:
            return {"POST": self.soap}, ""
        if path.rstrip("/") == DELIVERY_POLICIES:
            return {"GET": self._delivery_policies}, ""
        if path.startswith(MOBILE_PREFIX) and path[len(MOBILE_PREFIX) :].strip("/") in MOBILE_KINDS:
            return {"GET": self._mobile}, path[len(MOBILE_PREFIX) :].strip("/")
        return None

    def require_scope(self, scope: str) -> None:
        if scope in self.app.config.missing_scope_set():
            raise ApiError(403, INSUFFICIENT, 0, documentation=DOCUMENTATION)

    # REST handlers

    def _assets(self, request: Request, segment: str, entry: LogEntry) -> Response:
        self.require_scope("documents_and_images_read")
        body = json_object_body(request)
        try:
            return json_response(self.catalog.query_assets(body))
        except QueryError as exc:
            raise malformed(str(exc)) from None

    def _events(self, request: Request, segment: str, entry: LogEntry) -> Response:
        self.require_scope("journeys_read")
        page, size = self.paging(request)
        return json_response(self.catalog.events_page(page, size))

    def _event(self, request: Request, segment: str, entry: LogEntry) -> Response:
        self.require_scope("journeys_read")
        found = self.catalog.event(unquote(segment))
        if found is None:
            raise not_found("Event definition not found.")
        return json_response(found)

    def _attribute_sets(self, request: Request, segment: str, entry: LogEntry) -> Response:
        if not self.app.config.attribute_sets_available:
            raise ApiError(404, "Not Found", 404, documentation=DOCUMENTATION)
        self.require_scope("list_and_subscribers_read")
        page, size = self.paging(request)
        return json_response(self.catalog.attribute_sets_page(page, size))

    def _mobile(self, request: Request, segment: str, entry: LogEntry) -> Response:
        """``GET /legacy/v1/beta/mobile/{message,keyword,code}/`` (``segment``)."""
        if not self.app.config.mobile_connect_available:
            raise ApiError(404, "Not Found", 404, documentation=DOCUMENTATION)
        self.require_scope("sms_read")
        page, size = self.paging(request)
        return json_response(self.catalog.mobile_page(segment, page, size))

    def _delivery_policies(self, request: Request, segment: str, entry: LogEntry) -> Response:
        """The delivery profiles over REST, where mcdev reads them (``deliveryProfile``)."""
        self.require_scope("email_read")
        return json_response(self.catalog.delivery_policies())

    def paging(self, request: Request) -> tuple[int, int]:
        config = self.app.config
        try:
            page = int(request.args.get("$page") or 1)
            size = int(request.args.get("$pageSize") or config.default_page_size)
        except ValueError:
            raise malformed("$page and $pageSize must be integers.") from None
        if page < 1 or size < 1:
            raise malformed("$page and $pageSize must be at least 1.")
        return page, min(size, config.max_page_size)

    # SOAP

    def soap(self, request: Request, segment: str, entry: LogEntry) -> Response:
        """``POST /Service.asmx`` with ``SOAPAction: Retrieve``."""
        try:
            action = request.headers.get("SOAPAction", "").strip().strip('"')
            if not action:  # SOAP 1.2 carries the action in the content type
                action = request.mimetype_params.get("action", "").strip('"')
            retrieve = soap.parse_retrieve(request.get_data())
            if action.rsplit("/", 1)[-1] != "Retrieve":
                raise soap.SoapFault("soap:Client", f"SOAPAction {action!r} is not simulated.")
            unit = self.app.business_units.for_token(retrieve.token)
            if unit is None:
                raise soap.SoapFault("q0:Security", "Token Expired")
        except soap.SoapFault as fault:
            return soap_fault(fault)
        scope = SOAP_SCOPES.get(retrieve.object_type)
        if scope in self.app.config.missing_scope_set() and not retrieve.continue_request:
            page = soap.retrieve_response(
                "Error: API Permission Failed", "", retrieve.object_type, []
            )
            return _xml(page, 200)
        result = unit.catalog.retrieve(retrieve, self.app.config.soap_page_size)
        text = soap.retrieve_response(
            result.status, result.request_id, result.object_type, result.rows
        )
        return _xml(text, 200)


def soap_fault(fault: soap.SoapFault) -> Response:
    return _xml(soap.fault_response(fault.code, fault.message), fault.status)


def _xml(text: str, status: int) -> Response:
    return Response(text, status=status, content_type="text/xml; charset=utf-8")


def bulk_control(catalog: Catalog, payload: dict[str, Any]) -> dict[str, int]:
    """``POST /_sim/catalog/bulk {emails, data_extensions, fields?}``."""
    return catalog.add_bulk(
        int(payload.get("emails", 0)),
        int(payload.get("data_extensions", 0)),
        int(payload.get("fields", 8)),
    )
