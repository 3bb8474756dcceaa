"""A small SOAP 1.1/1.2 envelope reader and SFMC-shaped response writer for ``/Service.asmx``.

Only what ``Retrieve`` needs: the ``fueloauth`` token, ``ObjectType``, ``Properties``,
``Filter`` (simple and complex parts) and ``ContinueRequest``. Elements are matched by local name,
so any prefix or default namespace a client picks (sfmc-sdk uses the default namespace, FuelSDK
uses ``soap:``) reads the same.

Parsing uses the standard library's expat parser after refusing any DOCTYPE: without a DTD, XML
has no entities beyond the five predefined ones, so nothing can be expanded (no billion laughs,
no external entity). defusedxml would do the same at the cost of a dependency for one check.
"""

from __future__ import annotations

import re
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from xml.sax.saxutils import escape

MAX_ENVELOPE_BYTES = 1_000_000
_DTD = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
PARTNER_NS = "http://exacttarget.com/wsdl/partnerAPI"


class SoapFault(Exception):
    """An answer as a ``soap:Fault`` (HTTP 500, as SOAP 1.1 services answer faults)."""

    def __init__(self, code: str, message: str, status: int = 500) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


@dataclass(frozen=True)
class SimpleFilter:
    prop: str
    operator: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class ComplexFilter:
    left: Filter
    operator: str  # AND | OR
    right: Filter


Filter = SimpleFilter | ComplexFilter


@dataclass(frozen=True)
class RetrieveRequest:
    token: str
    object_type: str = ""
    properties: tuple[str, ...] = ()
    filter: Filter | None = None
    continue_request: str | None = None


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child(element: ET.Element, name: str) -> ET.Element | None:
    for child in element:
        if _local(child.tag) == name:
            return child
    return None


def _children(element: ET.Element, name: str) -> list[ET.Element]:
    return [child for child in element if _local(child.tag) == name]


def _text(element: ET.Element | None) -> str:
    return "" if element is None else (element.text or "").strip()


def parse_envelope(data: bytes) -> ET.Element:
    """The Envelope element; raises SoapFault (Client) for anything that is not one."""
    if len(data) > MAX_ENVELOPE_BYTES:
        raise SoapFault("soap:Client", "The request is too large.")
    if _DTD.search(data):
        raise SoapFault("soap:Client", "DTDs and entity declarations are not allowed.")
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise SoapFault("soap:Client", f"The request is not well-formed XML ({exc}).") from None
    if _local(root.tag) != "Envelope" or _child(root, "Body") is None:
        raise SoapFault("soap:Client", "The request is not a SOAP envelope.")
    return root


def parse_retrieve(data: bytes) -> RetrieveRequest:
    """Read a ``RetrieveRequestMsg``; raises SoapFault for a malformed one."""
    root = parse_envelope(data)
    header = _child(root, "Header")
    token = _text(_child(header, "fueloauth")) if header is not None else ""
    body = _child(root, "Body")
    message = _child(body, "RetrieveRequestMsg") if body is not None else None
    request = _child(message, "RetrieveRequest") if message is not None else None
    if request is None:
        raise SoapFault("soap:Client", "The body holds no RetrieveRequestMsg/RetrieveRequest.")
    continue_request = _text(_child(request, "ContinueRequest")) or None
    filter_element = _child(request, "Filter")
    return RetrieveRequest(
        token=token,
        object_type=_text(_child(request, "ObjectType")),
        properties=tuple(_text(p) for p in _children(request, "Properties") if _text(p)),
        filter=None if filter_element is None else _parse_filter(filter_element),
        continue_request=continue_request,
    )


def _parse_filter(element: ET.Element) -> Filter:
    left, right = _child(element, "LeftOperand"), _child(element, "RightOperand")
    if left is not None and right is not None:
        operator = _text(_child(element, "LogicalOperator")).upper()
        if operator not in ("AND", "OR"):
            raise SoapFault("soap:Client", "LogicalOperator must be AND or OR.")
        return ComplexFilter(_parse_filter(left), operator, _parse_filter(right))
    prop = _text(_child(element, "Property"))
    operator = _text(_child(element, "SimpleOperator"))
    values = tuple(_text(v) for v in _children(element, "Value"))
    if not prop or not operator:
        raise SoapFault("soap:Client", "A filter part needs Property and SimpleOperator.")
    return SimpleFilter(prop, operator, values)


def matches(row: dict[str, str], part: Filter | None) -> bool:
    """Whether a row (property -> text) passes the filter; unknown operators raise ValueError."""
    if part is None:
        return True
    if isinstance(part, ComplexFilter):
        left, right = matches(row, part.left), matches(row, part.right)
        return left and right if part.operator == "AND" else left or right
    value = row.get(part.prop, "")
    wanted = part.values[0] if part.values else ""
    operator = part.operator.lower()
    if operator == "equals":
        return value == wanted
    if operator == "notequals":
        return value != wanted
    if operator == "in":
        return value in part.values
    if operator == "like":
        return wanted.strip("%").lower() in value.lower()
    if operator == "isnull":
        return value == ""
    if operator == "isnotnull":
        return value != ""
    raise ValueError(f"SimpleOperator {part.operator} is not supported")


def _envelope(action: str, body: str) -> str:
    now = datetime.now(UTC)
    created = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    expires = (now + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"'
        ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
        ' xmlns:xsd="http://www.w3.org/2001/XMLSchema"'
        ' xmlns:wsa="http://schemas.xmlsoap.org/ws/2004/08/addressing"'
        ' xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"'
        ' xmlns:wsu="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd">'
        f"<soap:Header><wsa:Action>{action}</wsa:Action>"
        f"<wsa:MessageID>urn:uuid:{uuid.uuid4()}</wsa:MessageID>"
        "<wsa:To>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</wsa:To>"
        f'<wsse:Security><wsu:Timestamp wsu:Id="Timestamp-{uuid.uuid4()}">'
        f"<wsu:Created>{created}</wsu:Created><wsu:Expires>{expires}</wsu:Expires>"
        "</wsu:Timestamp></wsse:Security></soap:Header>"
        f"<soap:Body>{body}</soap:Body></soap:Envelope>"
    )


def retrieve_response(
    status: str, request_id: str, object_type: str, rows: list[dict[str, Any]]
) -> str:
    """A ``RetrieveResponseMsg`` with one ``Results`` element per row."""
    results = "".join(_result(object_type, row) for row in rows)
    body = (
        f'<RetrieveResponseMsg xmlns="{PARTNER_NS}">'
        f"<OverallStatus>{escape(status)}</OverallStatus>"
        f"<RequestID>{escape(request_id)}</RequestID>{results}</RetrieveResponseMsg>"
    )
    return _envelope("RetrieveResponse", body)


def _result(object_type: str, row: dict[str, Any]) -> str:
    parts = ['<PartnerKey xsi:nil="true" />']
    nested: dict[str, dict[str, Any]] = {}
    for name, value in row.items():
        owner, _, inner = name.partition(".")
        if inner:
            nested.setdefault(owner, {})[inner] = value
        else:
            parts.append(f"<{name}>{escape(xml_value(value))}</{name}>")
    for owner, values in nested.items():
        inner_xml = "".join(f"<{k}>{escape(xml_value(v))}</{k}>" for k, v in values.items())
        parts.append(f"<{owner}>{inner_xml}</{owner}>")
    return f'<Results xsi:type="{object_type}">{"".join(parts)}</Results>'


def xml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def fault_response(code: str, message: str) -> str:
    """A ``soap:Fault`` envelope."""
    body = (
        f"<soap:Fault><faultcode>{escape(code)}</faultcode>"
        f"<faultstring>{escape(message)}</faultstring></soap:Fault>"
    )
    return _envelope("http://schemas.xmlsoap.org/ws/2004/08/addressing/fault", body)
