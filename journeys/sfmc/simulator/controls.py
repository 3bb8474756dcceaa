"""``/_sim/``: the simulator's controls, as a JSON API and a small HTML page of plain forms.

JSON API (send and receive ``application/json``; a form post gets a 303 back to the page):

* ``GET /_sim/journeys``: one summary per journey.
* ``GET|POST /_sim/config``: read or change settings (see config.py).
* ``GET|POST|DELETE /_sim/faults`` (``POST /_sim/faults/clear`` for forms): the fault queue.
* ``GET|DELETE /_sim/requests`` (``?method=PUT&applied=true``): the request log.
* ``POST /_sim/reset``, ``/_sim/seed-demo``, ``/_sim/expire-tokens``.
* ``GET /_sim/catalog``: how many emails, events, data extensions... the catalog holds.
  ``POST /_sim/catalog/bulk`` ``{emails, data_extensions, fields?}`` appends generated emails and
  data extensions (for benchmarks); a reset returns to the demo catalog.
* ``POST /_sim/remote-edit`` ``{key | id, action: rename | change-wait | add-activity |
  remove-activity, name?, activity_key?, duration?, after?}``: "another user" edits the latest
  Draft and bumps its modifiedDate.
* ``POST /_sim/publish`` and ``/_sim/stop`` ``{key | id, version?}``: as the API would, no token.
* ``GET /_sim/journeys`` lists every business unit's journeys (``businessUnit``: its MID); any
  control acts on the parent business unit unless the payload names another by ``account_id``.
* ``POST /_sim/seed-demo`` seeds the parent's demo journeys and the first child's.

They need no token, which is why the simulator must never listen beyond the loopback interface.
A cross-site form post (an ``Origin`` naming another host) is refused.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit

from werkzeug.wrappers import Request, Response

from .audit import ANOTHER_USER
from .business_units import UnknownAccount
from .catalog_api import bulk_control
from .controls_page import render_page
from .envelopes import ApiError, json_response
from .faults import parse_fault_spec
from .interactions import JourneyRef
from .store import Store

if TYPE_CHECKING:
    from .app import SimulatorApp

Action = Callable[[dict[str, Any]], Any]
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class Controls:
    """Serves ``/_sim/``; every action goes through the same objects as the API."""

    def __init__(self, app: SimulatorApp) -> None:
        self.app = app

    def handle(self, request: Request, path: str) -> Response:
        """Answer one control request; ``path`` is relative to ``/_sim``."""
        if request.method == "GET" and path == "/":
            return Response(render_page(self.app, request.args), content_type="text/html")
        if request.method not in ("GET", "HEAD") and not _same_origin(request):
            return json_response({"message": "Cross-site requests are refused."}, 403)
        is_form = request.method == "POST" and request.mimetype in _FORM_TYPES
        action = self._actions(request.method).get(path.rstrip("/"))
        if action is None:
            return json_response({"message": "Unknown control."}, 404)
        try:
            payload = self._payload(request, is_form)
            unit = self.app.business_units.for_account_id(payload.pop("account_id", None))
            with self.app.business_units.serving(unit.mid):
                result = action(payload)
        except UnknownAccount as exc:
            return self._answer(is_form, {"message": f"Refused: unknown account_id {exc}"}, 400)
        except (ValueError, KeyError, TypeError) as exc:
            return self._answer(is_form, {"message": f"Refused: {exc}"}, 400)
        except ApiError as exc:
            return self._answer(is_form, exc.body, exc.status)
        return self._answer(is_form, result, 200)

    def _actions(self, method: str) -> dict[str, Action]:
        app = self.app
        table: dict[str, dict[str, Action]] = {
            "GET": {
                "/journeys": lambda _: self.journey_summaries(),
                "/config": lambda _: app.config.public(),
                "/faults": lambda _: [vars(f) for f in app.store.faults()],
                "/requests": self._requests,
                "/catalog": lambda _: app.catalog_api.catalog.counts(),
            },
            "POST": {
                "/config": self._set_config,
                "/faults": self._add_fault,
                "/faults/clear": lambda _: app.store.clear_faults(),
                "/reset": lambda _: app.reset(),
                "/seed-demo": lambda _: {"created": app.business_units.seed_demo()},
                "/expire-tokens": lambda _: app.store.expire_tokens(),
                "/remote-edit": self._remote_edit,
                "/publish": self._publish,
                "/stop": self._stop,
                "/catalog/bulk": lambda p: bulk_control(app.catalog_api.catalog, p),
            },
            "DELETE": {
                "/faults": lambda _: app.store.clear_faults(),
                "/requests": lambda _: app.request_log.clear(),
            },
        }
        return table.get(method, {})

    def journey_summaries(self) -> list[dict[str, Any]]:
        """Latest version of every journey of every business unit, with its version count
        (Deleted ones included); the parent's first."""
        return [
            summary
            for unit in self.app.business_units
            for summary in self._unit_journey_summaries(unit.store)
        ]

    def _unit_journey_summaries(self, store: Store) -> list[dict[str, Any]]:
        summaries = []
        for journey_id in store.journey_ids():
            versions = store.versions(journey_id)
            live = [v for v in versions if v.status != "Deleted"] or versions
            latest = live[-1]
            summaries.append(
                {
                    "businessUnit": store.business_unit,
                    "id": journey_id,
                    "key": latest.key,
                    "name": latest.body.get("name", ""),
                    "version": latest.version,
                    "versions": len(versions),
                    "status": latest.status,
                    "modifiedDate": latest.modified_date,
                    "activities": len(latest.body.get("activities") or []),
                }
            )
        return summaries

    def _requests(self, payload: dict[str, Any]) -> list[dict[str, Any]]:
        applied = payload.get("applied")
        entries = self.app.request_log.entries(
            method=payload.get("method") or None,
            applied=None if applied in (None, "") else str(applied).lower() == "true",
        )
        return [entry.as_json() for entry in entries]

    def _set_config(self, payload: dict[str, Any]) -> dict[str, Any]:
        self.app.set_config(self.app.config.updated(payload))
        return self.app.config.public()

    def _add_fault(self, payload: dict[str, Any]) -> dict[str, Any]:
        spec = parse_fault_spec(payload)
        return vars(
            self.app.store.add_fault(spec.kind, spec.method, spec.path, spec.count, spec.params)
        )

    def _remote_edit(self, payload: dict[str, Any]) -> dict[str, Any]:
        params = {name: value for name, value in payload.items() if name not in ("key", "id")}
        item = self.app.interactions.remote_edit(_ref(payload), str(payload.get("action")), params)
        return self.app.interactions.document(item, with_steps=True)

    def _publish(self, payload: dict[str, Any]) -> dict[str, Any]:
        request = self.app.interactions.publish(_ref(payload), _version(payload), ANOTHER_USER)
        return {"statusId": request.status_id}

    def _stop(self, payload: dict[str, Any]) -> dict[str, Any]:
        stopped = self.app.interactions.stop(_ref(payload), _version(payload), ANOTHER_USER)
        return {"stopped": stopped}

    def _payload(self, request: Request, is_form: bool) -> dict[str, Any]:
        if request.method == "GET":
            return request.args.to_dict()
        if is_form:
            return {name: value for name, value in request.form.items() if value != ""}
        body = json.loads(request.get_data() or b"{}")
        if not isinstance(body, dict):
            raise ValueError("the body must be a JSON object")
        return body

    def _answer(self, is_form: bool, result: Any, status: int) -> Response:
        if not is_form:
            return json_response({"ok": True} if result is None else result, status)
        if status >= 400 and isinstance(result, dict):
            query = {"error": str(result.get("message", "Refused"))}
        else:
            query = {"done": "1"}
        return Response("", status=303, headers={"Location": "/_sim/?" + urlencode(query)})


def _ref(payload: dict[str, Any]) -> JourneyRef:
    if payload.get("key"):
        return JourneyRef(key=str(payload["key"]))
    if payload.get("id"):
        return JourneyRef(journey_id=str(payload["id"]))
    raise ValueError("name the journey with key or id")


def _version(payload: dict[str, Any]) -> int | None:
    version = payload.get("version")
    return None if version is None or version == "" else int(version)


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("Origin")
    if not origin or origin == "null":
        return origin is None
    return urlsplit(origin).netloc == request.host
