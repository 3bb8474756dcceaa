"""A small XML tokenizer that remembers where everything is, for the lossless filter model.

ElementTree would do the parsing, but it forgets the source (attribute quotes, spacing, CDATA
versus escaped text) and expands entities. This reads the tiny subset of XML that SFMC filters
use into elements with source offsets, so `conditions.py` can hand every untouched part back
byte for byte. It never expands anything: a DOCTYPE or any entity beyond XML's five predefined
ones (and character references) is an error, which is what defuses billion-laughs documents.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_NAME = r"[A-Za-z_][A-Za-z0-9_.:\-]*"
_START_TAG = re.compile(rf"<({_NAME})")
_ATTRIBUTE = re.compile(rf"\s+({_NAME})\s*=\s*(?:\"([^\"<]*)\"|'([^'<]*)')")
_TAG_CLOSE = re.compile(r"\s*(/?)>")
_END_TAG = re.compile(rf"</({_NAME})\s*>")
_REFERENCE = re.compile(r"&(#[0-9]{1,7};|#x[0-9A-Fa-f]{1,6};|[A-Za-z_][A-Za-z0-9_.\-]*;)?")
_PREDEFINED = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}
MAX_DEPTH = 40


class XmlError(ValueError):
    """The text is not the well-formed, entity-free XML a filter must be."""


@dataclass
class Attribute:
    name: str
    value: str  # decoded
    start: int  # span of the raw value, inside the quotes
    end: int


@dataclass
class Text:
    kind: str  # "text", "cdata", "comment" or "instruction"
    start: int
    end: int
    value: str  # decoded text, or the CDATA content


@dataclass
class Element:
    name: str
    start: int
    head_end: int  # just after the start tag
    end: int = 0  # just after the end tag
    tail_start: int = 0  # where the end tag begins (== end when self-closing)
    attributes: list[Attribute] = field(default_factory=list)
    children: list[Element | Text] = field(default_factory=list)

    def attribute(self, name: str) -> str | None:
        return next((a.value for a in self.attributes if a.name == name), None)


def decode(raw: str) -> str:
    """`raw` with its character and predefined entity references replaced; others are errors."""
    if "&" not in raw:
        return raw
    out: list[str] = []
    pos = 0
    for match in _REFERENCE.finditer(raw):
        out.append(raw[pos : match.start()])
        pos = match.end()
        reference = match.group(1)
        if reference is None:
            raise XmlError("a bare “&” that starts no entity reference")
        name = reference[:-1]
        if name.startswith("#"):
            out.append(_character(name))
        elif name in _PREDEFINED:
            out.append(_PREDEFINED[name])
        else:
            raise XmlError(f"the entity &{name}; is not standard XML (entities are never expanded)")
    out.append(raw[pos:])
    return "".join(out)


def _character(reference: str) -> str:
    code = int(reference[2:], 16) if reference.startswith("#x") else int(reference[1:])
    if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        raise XmlError(f"&{reference}; is not a character")
    return chr(code)


def parse_document(text: str) -> Element:
    """The root element of `text`; raises XmlError when it is not well-formed."""
    pos = _skip_misc(text, 0)
    if not _START_TAG.match(text, pos):
        raise XmlError("no XML element found")
    root = _element(text, pos, 0)
    if _skip_misc(text, root.end) != len(text):
        raise XmlError(f"text after the closing </{root.name}>")
    return root


def _skip_misc(text: str, pos: int) -> int:
    """Skip spaces, comments and processing instructions; refuse declarations (DOCTYPE)."""
    while True:
        while pos < len(text) and text[pos] in " \t\r\n":
            pos += 1
        if text.startswith("<?", pos):
            pos = _find(text, "?>", pos, "a processing instruction")
        elif text.startswith("<!--", pos):
            pos = _find(text, "-->", pos + 4, "a comment")
        elif text.startswith("<!", pos):
            raise XmlError("a DOCTYPE or entity declaration (not allowed in a filter)")
        else:
            return pos


def _find(text: str, closer: str, pos: int, what: str) -> int:
    found = text.find(closer, pos)
    if found == -1:
        raise XmlError(f"{what} that is never closed")
    return found + len(closer)


def _element(text: str, pos: int, depth: int) -> Element:
    if depth > MAX_DEPTH:
        raise XmlError(f"elements nested more than {MAX_DEPTH} deep")
    match = _START_TAG.match(text, pos)
    assert match is not None
    element = Element(match.group(1), pos, 0)
    pos = _attributes(text, match.end(), element)
    close = _TAG_CLOSE.match(text, pos)
    if close is None:
        raise XmlError(f"the start tag <{element.name}> is malformed")
    element.head_end = close.end()
    if close.group(1):
        element.end = element.tail_start = close.end()
        return element
    _content(text, element, depth)
    return element


def _attributes(text: str, pos: int, element: Element) -> int:
    while match := _ATTRIBUTE.match(text, pos):
        name = match.group(1)
        group = 2 if match.group(2) is not None else 3
        if element.attribute(name) is not None:
            raise XmlError(f"<{element.name}> has the attribute {name} twice")
        value = decode(match.group(group))
        element.attributes.append(Attribute(name, value, match.start(group), match.end(group)))
        pos = match.end()
    return pos


def _content(text: str, element: Element, depth: int) -> None:
    pos = element.head_end
    while True:
        lt = text.find("<", pos)
        if lt == -1:
            raise XmlError(f"<{element.name}> is never closed")
        if lt > pos:
            element.children.append(Text("text", pos, lt, decode(text[pos:lt])))
        if text.startswith("</", lt):
            end = _END_TAG.match(text, lt)
            if end is None or end.group(1) != element.name:
                raise XmlError(f"<{element.name}> is closed by something else")
            element.tail_start, element.end = lt, end.end()
            return
        pos = _special(text, lt, element) or _child(text, lt, element, depth)


def _special(text: str, lt: int, element: Element) -> int:
    """Read a CDATA section, comment or instruction at `lt`; 0 when there is none."""
    for opener, closer, kind in (
        ("<![CDATA[", "]]>", "cdata"),
        ("<!--", "-->", "comment"),
        ("<?", "?>", "instruction"),
    ):
        if text.startswith(opener, lt):
            end = _find(text, closer, lt + len(opener), f"a {kind} section")
            value = text[lt + len(opener) : end - len(closer)]
            element.children.append(Text(kind, lt, end, value))
            return end
    if text.startswith("<!", lt):
        raise XmlError("a DOCTYPE or entity declaration (not allowed in a filter)")
    return 0


def _child(text: str, lt: int, element: Element, depth: int) -> int:
    if not _START_TAG.match(text, lt):
        raise XmlError(f"a stray “<” inside <{element.name}>")
    child = _element(text, lt, depth + 1)
    element.children.append(child)
    return child.end
