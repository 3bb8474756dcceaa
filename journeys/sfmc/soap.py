"""SFMC's SOAP API, only as far as the catalog needs it: ``Retrieve`` with ``ContinueRequest``.

Why not a SOAP library: zeep would fetch and compile SFMC's 1 MB WSDL for the five objects we
read, and FuelSDK-Python is unmaintained. A Retrieve is one fixed envelope, so a small builder
and a parser that reads only what we use are easier to check. The parser is expat through our own
handlers: a DOCTYPE (and so any entity declaration) is refused before anything is read, nothing
external is ever fetched, and an answer larger than ``MAX_ANSWER_BYTES`` is refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from xml.parsers import expat
from xml.sax.saxutils import escape

SOAP_PATH = "/Service.asmx"
PARTNER_NS = "http://exacttarget.com/wsdl/partnerAPI"
MAX_ANSWER_BYTES = 64 * 1024 * 1024
MORE_DATA = "MoreDataAvailable"


class SoapError(ValueError):
    """An answer that is not a readable Retrieve response, or a SOAP fault."""


@dataclass(frozen=True)
class RetrieveFilter:
    """A ``SimpleFilterPart``: ``property`` ``operator`` ``value`` (e.g. equals)."""

    property: str
    value: str
    operator: str = "equals"


@dataclass(frozen=True)
class RetrievePage:
    """One answer: the objects (flattened, ``DataExtension.CustomerKey`` style keys), SFMC's
    ``OverallStatus`` and the ``RequestID`` to continue from when there is more."""

    results: list[dict[str, str]]
    status: str
    request_id: str

    @property
    def more(self) -> bool:
        return self.status == MORE_DATA


def retrieve_envelope(
    token: str,
    url: str,
    object_type: str,
    properties: Sequence[str],
    *,
    filter: RetrieveFilter | None = None,
    continue_from: str | None = None,
) -> bytes:
    """A ``RetrieveRequestMsg`` with the token in ``fueloauth``, as FuelSDK and sfmc-sdk send."""
    parts = [f"<ObjectType>{escape(object_type)}</ObjectType>"]
    parts += [f"<Properties>{escape(name)}</Properties>" for name in properties]
    if filter is not None:
        parts.append(
            '<Filter xsi:type="SimpleFilterPart">'
            f"<Property>{escape(filter.property)}</Property>"
            f"<SimpleOperator>{escape(filter.operator)}</SimpleOperator>"
            f"<Value>{escape(filter.value)}</Value></Filter>"
        )
    if continue_from:
        parts.append(f"<ContinueRequest>{escape(continue_from)}</ContinueRequest>")
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"'
        ' xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing"'
        ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        "<s:Header>"
        '<a:Action s:mustUnderstand="1">Retrieve</a:Action>'
        f'<a:To s:mustUnderstand="1">{escape(url)}</a:To>'
        f'<fueloauth xmlns="http://exacttarget.com">{escape(token)}</fueloauth>'
        "</s:Header><s:Body>"
        f'<RetrieveRequestMsg xmlns="{PARTNER_NS}"><RetrieveRequest>'
        f"{''.join(parts)}"
        "</RetrieveRequest></RetrieveRequestMsg>"
        "</s:Body></s:Envelope>"
    ).encode()


@dataclass
class _Node:
    name: str
    children: list[_Node] = field(default_factory=list)
    text: list[str] = field(default_factory=list)

    def child(self, name: str) -> _Node | None:
        return next((c for c in self.children if c.name == name), None)

    def value(self) -> str:
        return "".join(self.text).strip()


def parse_xml(body: bytes) -> _Node:
    """The document as a tree of local names; raises SoapError on a DOCTYPE or bad XML."""
    if len(body) > MAX_ANSWER_BYTES:
        raise SoapError("the SOAP answer is larger than the catalog reads")
    parser = expat.ParserCreate(namespace_separator=" ")
    root = _Node("#document")
    stack = [root]

    def refuse(*_: object) -> int:
        raise SoapError("the SOAP answer declares a DOCTYPE or entities, which are refused")

    def start(name: str, _attrs: object) -> None:
        node = _Node(name.rpartition(" ")[2])
        stack[-1].children.append(node)
        stack.append(node)

    def end(_name: str) -> None:
        stack.pop()

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = lambda data: stack[-1].text.append(data)
    try:
        parser.Parse(body, True)
    except expat.ExpatError as exc:
        raise SoapError(f"the SOAP answer is not well-formed XML ({exc})") from None
    if not root.children:
        raise SoapError("the SOAP answer is empty")
    return root.children[0]


def parse_retrieve_response(body: bytes) -> RetrievePage:
    """The objects of a ``RetrieveResponseMsg``; a fault or an ``Error`` status is a SoapError."""
    envelope = parse_xml(body)
    soap_body = envelope.child("Body") if envelope.name == "Envelope" else None
    if soap_body is None:
        raise SoapError("the answer is not a SOAP envelope")
    fault = soap_body.child("Fault")
    if fault is not None:
        raise SoapError(f"SFMC answered with a SOAP fault: {_fault_text(fault)}")
    message = soap_body.child("RetrieveResponseMsg")
    if message is None:
        raise SoapError("the SOAP answer has no RetrieveResponseMsg")
    status = (message.child("OverallStatus") or _Node("")).value()
    if status not in ("OK", MORE_DATA):
        raise SoapError(f"SFMC's Retrieve failed: {status or 'no OverallStatus'}"[:300])
    request_id = (message.child("RequestID") or _Node("")).value()
    results = [_flatten(node) for node in message.children if node.name == "Results"]
    return RetrievePage(results, status, request_id)


def _flatten(node: _Node, prefix: str = "") -> dict[str, str]:
    """``<DataExtension><CustomerKey>k</CustomerKey></DataExtension>``: DataExtension.CustomerKey"""
    found: dict[str, str] = {}
    for child in node.children:
        name = prefix + child.name
        if child.children:
            found.update(_flatten(child, name + "."))
        else:
            found[name] = child.value()
    return found


def _fault_text(fault: _Node) -> str:
    for path in (("faultstring",), ("Reason", "Text")):
        node: _Node | None = fault
        for name in path:
            node = node.child(name) if node else None
        if node is not None and node.value():
            return node.value()[:300]
    return "no reason given"
