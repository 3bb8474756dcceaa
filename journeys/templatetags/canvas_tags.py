"""The canvas's SVG parts in templates; the markup itself is `journeys/canvas_svg.py`."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.safestring import SafeString, mark_safe

from journeys import canvas_svg
from journeys.canvas import Canvas, CanvasNode
from journeys.canvas_parts import Part
from journeys.domain.layout import NodeBox

register = template.Library()


@register.simple_tag(takes_context=True)
def editor_parts(
    context: template.Context, canvas: Canvas, group: str, parts: list[Part] | None = None
) -> SafeString:
    """`{% editor_parts canvas "nodes" %}`: every part of a group of the editor's canvas, or
    only `parts` (a patch's). Needs `canvas_urls` and `target_param` in the context."""
    urls = context["canvas_urls"]
    traced = canvas.traced_nodes
    stop = canvas.trace.stop if canvas.trace else None
    selected = context.get("target_param")
    found = canvas.parts[group] if parts is None else parts
    if group == "nodes":
        html = (
            canvas_svg.editor_node(
                part,
                selected=part.item.select == selected,
                traced=part.key in traced,
                stop=part.key == stop,
                urls=urls,
            )
            for part in found
        )
    elif group == "edges":
        html = (canvas_svg.editor_edge(part) for part in found)
    elif group == "ends":
        html = (canvas_svg.end(part.item, part.key in traced, part) for part in found)
    else:
        html = (canvas_svg.editor_slot(part, canvas.start_slot, urls) for part in found)
    return mark_safe("".join(html))  # noqa: S308 - canvas_svg escapes every text


@register.simple_tag
def node_body(node: CanvasNode, show_problems: bool) -> SafeString:
    return mark_safe(canvas_svg.node_body(node, show_problems))  # noqa: S308 - escaped there


@register.simple_tag
def canvas_edge(drawn: tuple[Any, bool, str, str, bool], canvas_id: str) -> SafeString:
    return mark_safe(canvas_svg.edge(drawn, canvas_id))  # noqa: S308 - escaped there


@register.simple_tag
def canvas_end(end: NodeBox, rc: Canvas) -> SafeString:
    return mark_safe(canvas_svg.end(end, end.key in rc.traced_nodes))  # noqa: S308 - escaped there
