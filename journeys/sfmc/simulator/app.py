"""The simulator's WSGI application: the token endpoint and ``/interaction/v1/interactions``.

UNVERIFIED: DELETE answers the bare journey id as ``text/plain`` (mcdev's delete mocks hold the
bare id; the real Content-Type is unknown). The "no change" 304 carries its envelope on the wire
(envelopes.BodyOn304Response), though HTTP clients such as requests never read it.

It never imports Django and keeps its own SQLite file, so it cannot share state with the product
it is used to test. ``/_sim/`` serves the controls (see controls.py); those need no token, so the
simulator must only ever listen on a loopback address and never be exposed. Each token is bound
to one business unit (business_units.py): a request sees only that unit's data.
"""

from __future__ import annotations

import hmac
import json
import logging
import secrets
import time
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import quote, unquote

from werkzeug.wrappers import Request, Response

from .business_units import BusinessUnits, UnknownAccount
from .catalog_api import CATALOG_SCOPES, SOAP_PATH, CatalogApi, soap_fault
from .clock import NEVER_PUBLISHED
from .config import SimConfig
from .controls import Controls
from .envelopes import (
    DOCUMENTATION,
    ApiError,
    json_response,
    malformed,
    no_change_response,
    server_error,
    text_response,
)
from .faults import (
    TokenBucket,
    drop_connection,
    matching_fault,
    rate_limited_response,
    short_circuit_response,
)
from .interactions import Interactions, JourneyRef
from .lifecycle import ACCEPTED, Lifecycle
from .requestlog import LogEntry, RequestLog
from .soap import SoapFault
from .store import ORDER_FIELDS, JourneyVersion, ListQuery, PublishRequest, Store
from .transactional_api import TransactionalApi

logger = logging.getLogger(__name__)

API_PREFIX = "/interaction/v1/interactions"
CONTROLS_PREFIX = "/_sim"
JOURNEY_SCOPES = ("journeys_read", "journeys_write", "journeys_execute", "journeys_delete")
DEFAULT_SCOPE = " ".join(JOURNEY_SCOPES + CATALOG_SCOPES)
NO_CHANGE = "No change has been processed, supplied data matches that on the server."
INVALID_CLIENT = {
    "error": "invalid_client",
    "error_description": (
        "Client authentication failed. Make sure that the client ID and client secret are valid "
        "and that the package is installed and enabled."
    ),
    "error_uri": "https://developer.salesforce.com/docs",
}
STEP_EXTRAS = {"all", "activities", "outcome", "outcomes"}

Handler = Callable[[Request, str, LogEntry], Response]


class SimulatorApp:
    """A faithful fake of the SFMC Interaction API over HTTP (a WSGI callable)."""

    def __init__(self, store: Store, config: SimConfig | None = None) -> None:
        self.store = store
        self.base_config = config or SimConfig()
        self.base_config.check()
        self.business_units = BusinessUnits(store, self.base_config)
        self.request_log = RequestLog()
        self.controls = Controls(self)
        self.catalog_api = CatalogApi(self)
        self.transactional_api = TransactionalApi(self)
        self.interactions.email_dates = self.catalog_api.catalog.email_modified_date
        self.lifecycle = Lifecycle(self.interactions)
        self._bucket: TokenBucket | None = None
        self.set_config(self.base_config)

    @property
    def interactions(self) -> Interactions:
        """The journeys of the business unit being served (the parent outside a request)."""
        return self.business_units.current().interactions

    @property
    def config(self) -> SimConfig:
        return self.business_units.parent.interactions.config

    def set_config(self, config: SimConfig) -> None:
        """Switch settings at run time (a new rate limiter starts full)."""
        self.business_units.set_config(config)
        capacity = config.rate_limit_capacity
        self._bucket = TokenBucket(capacity, config.rate_limit_per_second) if capacity else None

    def reset(self) -> None:
        """Wipe all state and return to the settings the simulator started with."""
        self.store.wipe()
        self.request_log.clear()
        self.business_units.reset_catalogs()
        self.set_config(self.base_config)

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        request = Request(environ)
        path = _raw_path(environ)
        if path == CONTROLS_PREFIX or path.startswith(CONTROLS_PREFIX + "/"):
            response = self.controls.handle(request, path[len(CONTROLS_PREFIX) :] or "/")
        else:
            response = self._handle_api(request, path)
        result: Iterable[bytes] = response(environ, start_response)
        return result

    def _handle_api(self, request: Request, path: str) -> Response:
        entry = self.request_log.start(request.method, path, request.query_string.decode())
        response = self._apply_faults_and_dispatch(request, path, entry)
        entry.status = response.status_code
        entry.outcome = "ok" if response.status_code < 400 else "error"
        return response

    def _apply_faults_and_dispatch(self, request: Request, path: str, entry: LogEntry) -> Response:
        fault = matching_fault(self.store.faults(), request.method, path)
        if fault is not None:
            self.store.consume_fault(fault.id)
            entry.fault = fault.kind
            if fault.kind == "latency":
                time.sleep(float(fault.params["seconds"]))
            elif fault.kind == "drop":
                # Logged before the drop: the client may look at the log as soon as it notices.
                entry.outcome = "dropped"
                drop_connection(request.environ)
            elif (short := short_circuit_response(fault)) is not None:
                if path == SOAP_PATH and short.status_code >= 500:
                    return soap_fault(
                        SoapFault("soap:Server", "Server unavailable", short.status_code)
                    )
                return short
        if self._bucket is not None and (wait := self._bucket.take()) > 0:
            return rate_limited_response(wait)
        response = self._dispatch(request, path, entry)
        if fault is not None and fault.kind == "lost_response":
            entry.status, entry.outcome = response.status_code, "lost_response"
            time.sleep(float(fault.params["seconds"]))
            drop_connection(request.environ)
        return response

    def _dispatch(self, request: Request, path: str, entry: LogEntry) -> Response:
        try:
            handler, segment = self._route(request.method, path)
            business_unit = None
            if handler not in (self._token, self.catalog_api.soap):
                business_unit = self._authenticate(request)
                self.business_units.settle_due_publishes()
            with self.business_units.serving(business_unit):
                return handler(request, segment, entry)
        except ApiError as error:
            return error.response()
        except Exception:
            logger.exception("simulator failed on %s %s", request.method, path)
            return server_error(500).response()

    def _route(self, method: str, path: str) -> tuple[Handler, str]:
        routes: dict[str, Handler]
        segment = ""
        catalog_routes = self.catalog_api.route(method, path)
        if catalog_routes is None:
            catalog_routes = self.transactional_api.route(method, path)
        if catalog_routes is not None:
            routes, segment = catalog_routes
        elif path == "/v2/token":
            routes = {"POST": self._token}
        elif path in (API_PREFIX, API_PREFIX + "/"):
            routes = {"GET": self._list, "POST": self._create, "PUT": self._put}
        elif path.startswith(API_PREFIX + "/"):
            parts = path[len(API_PREFIX) + 1 :].split("/")
            segment = unquote(parts[-1])
            actions: dict[tuple[str, ...], dict[str, Handler]] = {
                ("publishAsync",): {"POST": self._publish},
                ("publishStatus",): {"GET": self._publish_status},
                ("validateAsync",): {"POST": self._validate},
                ("validateStatus",): {"GET": self._validate_status},
                ("stop",): {"POST": self._stop},
                ("pause",): {"POST": self._pause},
                ("resume",): {"POST": self._resume},
                (): {"GET": self._get, "PUT": self._put, "DELETE": self._delete},
            }
            if len(parts) == 3 and parts[1] == "audit":  # {id}/audit/{action}
                routes, segment = {"GET": self._audit}, unquote(parts[0])
            else:
                routes = actions.get(tuple(parts[:-1]), {}) if segment else {}
        else:
            routes = {}
        if not routes:
            raise ApiError(404, "Not Found", 404, documentation=DOCUMENTATION)
        if method not in routes:
            raise ApiError(405, "Method Not Allowed", 405)
        return routes[method], segment

    def _authenticate(self, request: Request) -> int:
        """The MID of the business unit the bearer token is bound to; 401 without a valid one."""
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        unit = self.business_units.for_token(token.strip()) if scheme.lower() == "bearer" else None
        if unit is None:
            raise ApiError(401, "Not Authorized", 0, documentation=DOCUMENTATION)
        return unit.mid

    # handlers

    def _token(self, request: Request, segment: str, entry: LogEntry) -> Response:
        body = _json_body(request, token_endpoint=True)
        if body.get("grant_type") != "client_credentials":
            return json_response({"error": "unsupported_grant_type"}, 400)
        config = self.config
        client_ok = _same_text(body.get("client_id"), config.client_id)
        secret_ok = _same_text(body.get("client_secret"), config.client_secret)
        if not (client_ok and secret_ok):
            return json_response(INVALID_CLIENT, 401)
        try:
            unit = self.business_units.for_account_id(body.get("account_id"))
        except UnknownAccount as unknown:
            return json_response(unknown.answer(), config.unknown_account_status)
        token = secrets.token_urlsafe(32)
        unit.store.add_token(token, config.client_id, config.token_lifetime)
        requested = str(body.get("scope") or DEFAULT_SCOPE).split()
        granted = [scope for scope in requested if scope not in config.missing_scope_set()]
        return json_response(
            {
                "access_token": token,
                "token_type": "Bearer",
                "expires_in": config.token_lifetime,
                "scope": " ".join(granted),
                "soap_instance_url": config.soap_instance_url or request.host_url,
                "rest_instance_url": config.rest_instance_url or request.host_url,
            }
        )

    def _list(self, request: Request, segment: str, entry: LogEntry) -> Response:
        args = request.args
        config = self.config
        page = _int_arg(args.get("$page"), "$page", 1)
        size = min(
            _int_arg(args.get("$pageSize"), "$pageSize", config.default_page_size),
            config.max_page_size,
        )
        order_field, descending = _order_by(args.get("$orderBy", "ModifiedDate DESC"))
        journey_id = args.get("id") or None
        query = ListQuery(
            page=page,
            page_size=size,
            order_field=order_field,
            descending=descending,
            status=args.get("status") or None,
            name_or_description=args.get("nameOrDescription") or None,
            journey_id=journey_id,
            key=args.get("key") or None,
            version=_optional_int(args.get("versionNumber"), "versionNumber"),
            most_recent_only=_bool_arg(
                args.get("mostRecentVersionOnly"), journey_id is None, "mostRecentVersionOnly"
            ),
        )
        count, items = self.interactions.list_versions(query)
        envelope: dict[str, Any] = {"count": count, "page": page, "pageSize": size, "links": {}}
        if items:
            with_steps = _wants_steps(args.get("extras"))
            envelope["items"] = [
                self.interactions.document(i, with_steps=with_steps) for i in items
            ]
        return json_response(envelope)

    def _get(self, request: Request, segment: str, entry: LogEntry) -> Response:
        version = _optional_int(request.args.get("versionNumber"), "versionNumber")
        item = self.interactions.get(JourneyRef.from_segment(segment), version)
        with_steps = _wants_steps(request.args.get("extras"))
        return json_response(self.interactions.document(item, with_steps=with_steps))

    def _create(self, request: Request, segment: str, entry: LogEntry) -> Response:
        item = self.interactions.create(_json_body(request))
        _record_write(entry, item)
        return json_response(self.interactions.document(item, with_steps=True))

    def _put(self, request: Request, segment: str, entry: LogEntry) -> Response:
        ref = JourneyRef.from_segment(segment) if segment else None
        item = self.interactions.update(ref, _json_body(request))
        if item is None:
            return no_change_response(NO_CHANGE)
        _record_write(entry, item)
        document = self.interactions.document(item, with_steps=True)
        if self.config.put_bogus_created_date:
            document["createdDate"] = NEVER_PUBLISHED
        return json_response(document)

    def _delete(self, request: Request, segment: str, entry: LogEntry) -> Response:
        version = _optional_int(request.args.get("versionNumber"), "versionNumber")
        journey_id = self.interactions.delete(JourneyRef.from_segment(segment), version)
        entry.applied, entry.journey_id, entry.version = True, journey_id, version
        return text_response(journey_id)

    def _publish(self, request: Request, segment: str, entry: LogEntry) -> Response:
        return _queued(request, segment, entry, self.interactions.publish, "publishStatus")

    def _publish_status(self, request: Request, segment: str, entry: LogEntry) -> Response:
        return json_response(self.interactions.publish_status(segment))

    def _validate(self, request: Request, segment: str, entry: LogEntry) -> Response:
        return _queued(request, segment, entry, self.lifecycle.validate, "validateStatus")

    def _validate_status(self, request: Request, segment: str, entry: LogEntry) -> Response:
        return json_response(self.lifecycle.validate_status(segment))

    def _pause(self, request: Request, segment: str, entry: LogEntry) -> Response:
        version, all_versions = _version_choice(request)
        options = _json_body(request) if request.get_data() else {}
        ref = JourneyRef.from_segment(segment)
        self.lifecycle.pause(ref, version, all_versions, options)
        entry.applied, entry.version = True, version
        return json_response(ACCEPTED)

    def _resume(self, request: Request, segment: str, entry: LogEntry) -> Response:
        version, all_versions = _version_choice(request)
        self.lifecycle.resume(JourneyRef.from_segment(segment), version, all_versions)
        entry.applied, entry.version = True, version
        return json_response(ACCEPTED)

    def _audit(self, request: Request, segment: str, entry: LogEntry) -> Response:
        args = request.args
        page = _int_arg(args.get("$page"), "$page", 1)
        size = min(
            _int_arg(args.get("$pageSize"), "$pageSize", self.config.default_page_size),
            self.config.max_page_size,
        )
        version = _optional_int(args.get("versionNumber"), "versionNumber")
        action = request.path.rsplit("/", 1)[-1]
        ref = JourneyRef.from_segment(segment)
        return json_response(self.lifecycle.audit(ref, action, version, page, size))

    def _stop(self, request: Request, segment: str, entry: LogEntry) -> Response:
        version = _optional_int(request.args.get("versionNumber"), "versionNumber")
        self.interactions.stop(JourneyRef.from_segment(segment), version)
        entry.applied, entry.version = True, version
        return Response("", status=200)


def _queued(
    request: Request,
    segment: str,
    entry: LogEntry,
    start: Callable[[JourneyRef, int | None], PublishRequest],
    status_path: str,
) -> Response:
    """publishAsync/validateAsync: start the request, answer where to poll its status."""
    version = _optional_int(request.args.get("versionNumber"), "versionNumber")
    queued = start(JourneyRef.from_segment(segment), version)
    entry.applied, entry.journey_id, entry.version = True, queued.journey_id, queued.version
    status_url = f"{API_PREFIX}/{status_path}/{queued.status_id}"
    return json_response({"statusUrl": status_url, "statusId": queued.status_id})


def _version_choice(request: Request) -> tuple[int | None, bool]:
    """versionNumber and allVersions of pause and resume."""
    version = _optional_int(request.args.get("versionNumber"), "versionNumber")
    return version, _bool_arg(request.args.get("allVersions"), False, "allVersions")


def _record_write(entry: LogEntry, item: JourneyVersion) -> None:
    entry.wrote(item)


def _same_text(sent: Any, expected: str) -> bool:
    """Constant-time comparison of credentials (bytes, so any text is accepted)."""
    return hmac.compare_digest(str(sent or "").encode(), expected.encode())


def _raw_path(environ: dict[str, Any]) -> str:
    """The undecoded path, so a key containing %2F stays one segment."""
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if isinstance(raw, str) and raw.startswith("/"):
        return raw.split("?", 1)[0]
    return quote(str(environ.get("PATH_INFO", "/")), safe="/:")


def _json_body(request: Request, *, token_endpoint: bool = False) -> dict[str, Any]:
    try:
        body = json.loads(request.get_data() or b"null")
    except ValueError:
        body = None
    if isinstance(body, dict):
        return body
    if token_endpoint:
        raise ApiError(400, "The request body must be a JSON object.", 400, error="invalid_request")
    raise malformed("The body must be a JSON object.")


def _int_arg(value: str | None, name: str, default: int) -> int:
    number = _optional_int(value, name)
    if number is None:
        return default
    if number < 1:
        raise malformed(f"{name} must be at least 1.")
    return number


def _optional_int(value: str | None, name: str) -> int | None:
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        raise malformed(f"{name} must be an integer.") from None


def _bool_arg(value: str | None, default: bool, name: str) -> bool:
    if not value:
        return default
    if value.lower() not in ("true", "false"):
        raise malformed(f"{name} must be true or false.")
    return value.lower() == "true"


def _order_by(value: str) -> tuple[str, bool]:
    field, _, direction = value.strip().partition(" ")
    field, direction = field.lower(), direction.strip().upper()
    if field not in ORDER_FIELDS or direction not in ("", "ASC", "DESC"):
        raise malformed("$orderBy must be ModifiedDate, Name or Performance, then ASC or DESC.")
    if not direction:
        return field, field != "name"
    return field, direction == "DESC"


def _wants_steps(extras: str | None) -> bool:
    return bool(STEP_EXTRAS & {part.strip().lower() for part in (extras or "").split(",")})
