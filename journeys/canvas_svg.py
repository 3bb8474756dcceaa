"""The canvas's SVG markup: node cards, edges, end markers and insert slots.

Written here rather than in templates: the editor draws a 500-activity journey as some 1,600
parts, and Django's template engine spent most of the editor page's time on them (every
attribute a variable lookup). Every text goes through `escape`, attribute or content alike;
numbers are written as they are (never localised: SVG wants "1234.5"). The templates call these
through `templatetags/canvas_tags.py`.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from django.utils.html import escape

from journeys.canvas import LABEL_LINE_WIDTHS_PX, CanvasNode
from journeys.canvas_parts import Part
from journeys.domain.layout import NodeBox


def node_body(node: CanvasNode, show_problems: bool) -> str:
    """The card of one node; its problem badge only when `show_problems`."""
    box, text_x = node.box, node.text_x
    lines = "".join(
        f'<tspan x="{text_x}" y="{y}">{escape(line)}</tspan>' for y, line in node.label_rows
    )
    badge = f'x="{node.badge_x}" y="{node.center_y}"'
    html = [
        f'<rect class="card" x="{box.x}" y="{box.y}" width="{box.width}" height="{box.height}"'
        ' rx="8"></rect>',
        f'<circle class="badge" cx="{node.badge_x}" cy="{node.center_y}" r="16"></circle>',
        f'<text class="badge-text" {badge}>{escape(node.badge)}</text>',
        _whole_name(node),
        f'<text class="node-label">{lines}</text>',
        f'<text class="node-type" x="{text_x}" y="{node.type_y}">{escape(node.type_label)}</text>',
    ]
    if node.comments:
        said = f"{node.comments} open comment{'s' if node.comments != 1 else ''}"
        at = f'x="{node.comment_x}" y="{node.comment_y}"'
        html.append(
            f'<circle class="comment-dot" cx="{node.comment_x}" cy="{node.comment_y}" r="9">'
            f"<title>{said}</title></circle>"
        )
        html.append(f'<text class="problem-count" {at}>{node.comments}</text>')
    if show_problems and node.severity:
        html.append(
            f'<circle class="problem-dot {node.severity}" cx="{node.dot_x}" cy="{node.dot_y}"'
            ' r="9"></circle>'
        )
        html.append(
            f'<text class="problem-count" x="{node.dot_x}" y="{node.dot_y}">'
            f"{len(node.problems)}</text>"
        )
    return "".join(html)


def _whole_name(node: CanvasNode) -> str:
    """A name the card cuts short, whole but unseen, squeezed into the label's place: the
    browser's find (Ctrl+F) searches no <title> nor aria-label, but finds this."""
    if not node.name_cut:
        return ""
    return (
        f'<text class="node-name-whole" x="{node.text_x}" y="{node.center_y - 4}"'
        f' textLength="{LABEL_LINE_WIDTHS_PX[0]:g}" lengthAdjust="spacingAndGlyphs"'
        f' aria-hidden="true">{escape(node.title)}</text>'
    )


def edge(drawn: tuple[Any, bool, str, str, bool], canvas_id: str) -> str:
    """One edge and its label: (edge, re-linked, label as cut, whole label, traced)."""
    line, relinked, label, full, traced = drawn
    css = (
        f"edge edge-{line.kind}"
        + (" relinked" if relinked else "")
        + (" on-path" if traced else "")
    )
    html = f'<path class="{css}" d="{line.d}" marker-end="url(#arrow-{escape(canvas_id)})"></path>'
    if label:
        hover = f"<title>{escape(full)}</title>" if label != full else ""
        x, y = line.label_at
        html += f'<text class="edge-label" x="{x}" y="{y - 10}">{escape(label)}{hover}</text>'
    return html


def end(box: NodeBox, traced: bool, part: Part | None = None) -> str:
    """An end-of-path marker; with `part`, as the editor draws it (data-pk, data-fp)."""
    css = "end on-path" if traced else "end"
    return (
        f'<rect class="{css}" x="{box.x}" y="{box.y}" width="{box.width}" height="{box.height}"'
        f' rx="12"{_part_data(part)}><title>End of path</title></rect>'
    )


def editor_node(
    part: Part, *, selected: bool, traced: bool, stop: bool, urls: dict[str, str]
) -> str:
    """A node of the editor's canvas: a link that opens its panel (htmx) or the page with it."""
    node: CanvasNode = part.item
    css = f"node node-{node.kind} group-{node.css_class}"
    css += f" has-{node.severity}" if node.severity else ""
    css += " selected" if selected else ""
    css += (" on-path" + (" path-stop" if stop else "")) if traced else ""
    select = escape(_query(node.select))
    count = len(node.problems)
    spoken = f"{node.title}, {node.type_text}"
    spoken += f", {count} problem{'s' if count != 1 else ''}" if count else ""
    title = f"{node.title} · {node.type_text}" + "".join(
        f"\n{problem.severity}: {problem.message}" for problem in node.problems
    )
    return (
        f'<a class="{css}" href="{urls["editor"]}?select={select}"'
        f' hx-get="{urls["panel"]}?target={select}" hx-target="#panel" hx-swap="outerHTML"'
        f' data-select="{escape(node.select)}" data-key="{escape(node.key)}"{_part_data(part)}'
        f' data-search="{escape(node.search_text.lower())}" aria-label="{escape(spoken)}">'
        f"<title>{escape(title)}</title>{node_body(node, True)}</a>"
    )


def editor_edge(part: Part) -> str:
    return f'<g class="edge-part"{_part_data(part)}>{edge(part.item, "editor")}</g>'


def editor_slot(part: Part, start: tuple[int, int] | None, urls: dict[str, str]) -> str:
    """An insert slot on an edge ("Insert after 'Wait 2 days' on path 'Gold'"), or the start
    slot of a journey with no activity yet."""
    if part.item is None and start:
        return (
            f'<a class="slot start-slot" href="{urls["insert"]}" data-after="" data-outcome=""'
            f'{_part_data(part)} aria-label="Insert the first activity">'
            f'<circle cx="{start[0]}" cy="{start[1]}" r="14"></circle>'
            f'<text x="{start[0]}" y="{start[1]}">+</text></a>'
        )
    line, spoken = part.item
    after = line.source if line.kind != "entry" else ""
    outcome = line.outcome_key or ""
    x, y = line.drop_slot
    href = f"{urls['insert']}?after={_query(after)}&outcome_key={_query(outcome)}"
    return (
        f'<a class="slot" href="{escape(href)}" data-after="{escape(after)}"'
        f' data-outcome="{escape(outcome)}" data-before="{escape(line.target)}"{_part_data(part)}'
        f' aria-label="{escape(spoken)}"><circle cx="{x}" cy="{y}" r="11"></circle>'
        f'<text x="{x}" y="{y}">+</text></a>'
    )


def _part_data(part: Part | None) -> str:
    if part is None:
        return ""
    data = f' data-pk="{escape(part.key)}" data-fp="{part.fp}"'
    return data + (f' data-next="{escape(part.next)}"' if part.next else "")


def _query(value: str) -> str:
    return quote(value, safe="/")  # as the template filter `urlencode` does
