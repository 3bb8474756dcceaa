"""A small SFMC catalog server for tests and the benchmark: the token endpoint and the catalog
endpoints of the contract in HELPERS.md (Content Builder asset query, eventDefinitions,
attributeSetDefinitions, SOAP Retrieve with ContinueRequest paging, MobileConnect's legacy
listings in the envelope mcdev recorded), served over real HTTP.

It is deliberately independent of the simulator (which serves the same contract), so the
catalog client is checked against the documented shapes rather than against one implementation.
``faults`` maps a path ("/v2/token", "/Service.asmx", ...) to an HTTP status, "malformed"
(broken XML / not JSON) or "doctype" (an XML answer with an entity declaration).
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape

from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.wrappers import Request, Response

TOKEN = "fake-catalog-token"
MOBILE = "/legacy/v1/beta/mobile/"
SOAP_PAGE_SIZE = 2500


@dataclass
class CatalogData:
    emails: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    attribute_sets: list[dict[str, Any]] | None = field(default_factory=list)
    soap: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    # "message" / "keyword" / "code" -> entries; None: the tenant has no MobileConnect (404)
    mobile: dict[str, list[dict[str, Any]]] | None = field(default_factory=dict)


def email_item(legacy_id: int, name: str, subject: str = "", preheader: str = "") -> dict[str, Any]:
    return {
        "id": 100000 + legacy_id,
        "customerKey": f"email-{legacy_id}",
        "name": name,
        "assetType": {"id": 208, "name": "htmlemail"},
        "modifiedDate": "2026-01-05T10:00:00.000-06:00",
        "views": {"subjectline": {"content": subject}, "preheader": {"content": preheader}},
        "data": {"email": {"legacy": {"legacyId": legacy_id}}},
    }


def sms_code(code_id: str, number: str, short: bool = True) -> dict[str, Any]:
    return {"id": code_id, "code": number, "countryCode": "US", "isShortCode": short}


def sms_keyword(keyword_id: str, word: str, code: dict[str, Any]) -> dict[str, Any]:
    return {"id": keyword_id, "keyword": word, "code": code, "status": "Active"}


def sms_message(
    message_id: str, name: str, text: str, keyword: dict[str, Any], code: dict[str, Any]
) -> dict[str, Any]:
    """A MobileConnect message as mcdev recorded one: its keyword under ``nextKeyword``."""
    return {
        "id": message_id,
        "name": name,
        "text": text,
        "code": code,
        "nextKeyword": {"id": keyword["id"], "keyword": keyword["keyword"]},
        "messageObjectId": f"{message_id}-object",
    }


def generated(emails: int, data_extensions: int, fields_per_de: int = 5) -> CatalogData:
    """A large catalog for paging tests and the benchmark."""
    data = CatalogData(
        emails=[email_item(i, f"Email {i:05d}", f"Subject {i}") for i in range(1, emails + 1)]
    )
    des = [
        {"ObjectID": f"de-{i}", "CustomerKey": f"DE_{i}", "Name": f"Data extension {i:05d}"}
        for i in range(1, data_extensions + 1)
    ]
    data.soap["DataExtension"] = [{**de, "IsSendable": "true"} for de in des]
    data.soap["DataExtensionField"] = [
        {
            "ObjectID": f"{de['ObjectID']}-f{n}",
            "Name": f"Field{n}",
            "FieldType": "Text",
            "IsPrimaryKey": "true" if n == 1 else "false",
            "Ordinal": str(n),
            "DataExtension.CustomerKey": de["CustomerKey"],
        }
        for de in des
        for n in range(1, fields_per_de + 1)
    ]
    for kind in ("SenderProfile", "DeliveryProfile", "SendClassification"):
        data.soap[kind] = [
            {"ObjectID": f"{kind}-{i}", "CustomerKey": f"{kind}_{i}", "Name": f"{kind} {i}"}
            for i in range(1, 4)
        ]
    return data


class FakeCatalogServer:
    def __init__(self, data: CatalogData) -> None:
        self.data = data
        self.faults: dict[str, Any] = {}
        self.soap_url = ""  # what the token says, when not this server
        self.requests: list[tuple[str, str, bytes]] = []
        self._continuations: dict[str, tuple[str, int]] = {}
        self.server: BaseWSGIServer = make_server("127.0.0.1", 0, self.wsgi, threaded=True)
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.port}"

    @property
    def host_port(self) -> str:
        return f"127.0.0.1:{self.server.port}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    def wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        body = request.get_data()
        self.requests.append((request.method, request.path, body))
        return self._answer(request, body)(environ, start_response)

    def _answer(self, request: Request, body: bytes) -> Response:
        fault = self.faults.get(request.path)
        if isinstance(fault, int):
            return Response(json.dumps({"message": "fault", "errorcode": fault}), status=fault)
        if fault == "malformed":
            return Response("<not xml" if request.path == "/Service.asmx" else "not json")
        if fault == "doctype":
            return Response(DOCTYPE_ANSWER, content_type="text/xml")
        if request.path == "/v2/token":
            return _json(
                {
                    "access_token": TOKEN,
                    "expires_in": 1079,
                    "rest_instance_url": self.base_url + "/",
                    "soap_instance_url": self.soap_url or self.base_url + "/",
                }
            )
        if request.path == "/Service.asmx":
            return self._soap(body)
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return _json({"message": "Not Authorized", "errorcode": 0}, 401)
        if request.path == "/asset/v1/content/assets/query":
            page = json.loads(body)["page"]
            return _json(_paged(self.data.emails, page["page"], page["pageSize"]))
        args = request.args
        page, size = int(args.get("$page", 1)), int(args.get("$pageSize", 50))
        if request.path == "/interaction/v1/eventDefinitions":
            return _json(_paged(self.data.events, page, size))
        if request.path.startswith(MOBILE):
            if self.data.mobile is None:
                return _json({"message": "Not Found", "errorcode": 404}, 404)
            entries = self.data.mobile.get(request.path[len(MOBILE) :].strip("/"), [])
            start = (page - 1) * size
            listed = {"startIndex": start, "itemsPerPage": size, "totalResults": len(entries)}
            return _json({**listed, "entry": entries[start : start + size]})
        if request.path == "/contacts/v1/attributeSetDefinitions":
            if self.data.attribute_sets is None:
                return _json({"message": "Not Found", "errorcode": 404}, 404)
            return _json(_paged(self.data.attribute_sets, page, size))
        return _json({"message": "Not Found"}, 404)

    def _soap(self, body: bytes) -> Response:
        text = body.decode()
        if f'<fueloauth xmlns="http://exacttarget.com">{TOKEN}</fueloauth>' not in text:
            return Response(_fault("Login failed"), status=500, content_type="text/xml")
        continued = _tag(text, "ContinueRequest")
        if continued:
            object_type, start = self._continuations.pop(continued)
        else:
            object_type, start = _tag(text, "ObjectType"), 0
        rows = self.data.soap.get(object_type, [])
        chunk = rows[start : start + SOAP_PAGE_SIZE]
        more = start + SOAP_PAGE_SIZE < len(rows)
        request_id = f"req-{len(self.requests)}"
        if more:
            self._continuations[request_id] = (object_type, start + SOAP_PAGE_SIZE)
        results = "".join(_result(object_type, row) for row in chunk)
        status = "MoreDataAvailable" if more else "OK"
        return Response(
            SOAP_ANSWER.format(status=status, request_id=request_id, results=results),
            content_type="text/xml; charset=utf-8",
        )


def serve(data: CatalogData) -> Iterator[FakeCatalogServer]:
    server = FakeCatalogServer(data)
    try:
        yield server
    finally:
        server.stop()


def _paged(items: list[Any], page: int, size: int) -> dict[str, Any]:
    start = (page - 1) * size
    return {
        "count": len(items),
        "page": page,
        "pageSize": size,
        "items": items[start : start + size],
    }


def _json(payload: Any, status: int = 200) -> Response:
    return Response(json.dumps(payload), status=status, content_type="application/json")


def _tag(text: str, name: str) -> str:
    match = re.search(rf"<{name}>([^<]*)</{name}>", text)
    return match.group(1) if match else ""


def _result(object_type: str, row: dict[str, str]) -> str:
    parts = []
    for name, value in row.items():
        parent, _, child = name.rpartition(".")
        inner = f"<{child or name}>{escape(value)}</{child or name}>"
        parts.append(f"<{parent}>{inner}</{parent}>" if parent else inner)
    return (
        f'<Results xsi:type="{object_type}"><PartnerKey xsi:nil="true"/>{"".join(parts)}</Results>'
    )


def _fault(reason: str) -> str:
    return (
        '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
        f"<soap:Fault><faultcode>soap:Client</faultcode><faultstring>{reason}</faultstring>"
        "</soap:Fault></soap:Body></soap:Envelope>"
    )


SOAP_ANSWER = (
    '<?xml version="1.0" encoding="utf-8"?>'
    '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"'
    ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soap:Header/><soap:Body>'
    '<RetrieveResponseMsg xmlns="http://exacttarget.com/wsdl/partnerAPI">'
    "<OverallStatus>{status}</OverallStatus><RequestID>{request_id}</RequestID>{results}"
    "</RetrieveResponseMsg></soap:Body></soap:Envelope>"
)
DOCTYPE_ANSWER = (
    '<?xml version="1.0"?><!DOCTYPE e [<!ENTITY x "boom">]>'
    '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>&x;'
    "</soap:Body></soap:Envelope>"
)
