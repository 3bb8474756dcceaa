"""What the condition builder template draws: one view per group, condition and unknown part.

Every control has a label and a stable id (`id_<field>-n0_1-key`), so htmx puts the focus back
where it was after re-drawing the builder; buttons have no id, and the one a button's action
points at (the new condition's attribute, the moved item's button) gets `autofocus` instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from journeys.domain.conditions import OPERATORS, attribute_label, operators_for
from journeys.domain.operators import BOOLEAN, DATE, MANY, NUMBER
from journeys.panel_forms.condition_builder import (
    ISO_DAY,
    NUMBER_TEXT,
    TYPES,
    UNITS,
    Path,
    Tree,
    relative_date,
    token,
)


@dataclass
class Control:
    """One input of a condition's value (or of its relative date)."""

    name: str
    label: str
    kind: str  # text | number | date | select | lines
    value: str
    choices: list[tuple[str, str]] = field(default_factory=list)
    redraw: bool = False  # a select whose change re-draws the condition (a new kind of input)

    @property
    def id(self) -> str:
        return f"id_{self.name}"


@dataclass
class NodeView:
    kind: str  # group | condition | unknown
    name: str  # the prefix of the node's inputs: "<field>-n0_1"
    number: str  # "2.1": what people read
    first: bool
    last: bool
    depth: int
    focus: str = ""  # the control that gets autofocus: key | add | up | down
    # a group
    join: str = "AND"
    can_join: bool = True
    children: list[NodeView] = field(default_factory=list)
    # a condition
    key_text: str = ""
    key_title: str = ""
    key_name: str = ""
    compare_as: str = ""
    type_choices: list[tuple[str, str]] = field(default_factory=list)
    operator: str = ""
    operator_choices: list[tuple[str, str]] = field(default_factory=list)
    values: list[Control] = field(default_factory=list)
    reference: bool = False
    # an unknown part
    raw: str = ""
    reason: str = ""

    @property
    def token(self) -> str:
        return self.name.rpartition("-")[2]

    @property
    def is_root(self) -> bool:
        return self.token == "n"

    @property
    def what(self) -> str:
        """How a button names the node: "condition 2.1", "group 2"."""
        noun = {"group": "group", "condition": "condition"}.get(self.kind, "part")
        return f"{noun} {self.number}" if self.number else "the conditions"


@dataclass
class Context:
    name: str
    attributes: dict[str, str]  # key -> label
    focus: tuple[Path, str] | None


def node_view(node: Tree, path: Path, context: Context, siblings: int = 1) -> NodeView:
    """The view of `node` at `path` (and of everything inside it)."""
    view = NodeView(
        kind=str(node.get("type")),
        name=f"{context.name}-{token(path)}",
        number=".".join(str(index + 1) for index in path),
        first=not path or path[-1] == 0,
        last=not path or path[-1] == siblings - 1,
        depth=len(path),
    )
    if context.focus and context.focus[0] == path:
        view.focus = context.focus[1]
        # A disabled button cannot take the focus: at the top, "Move down" takes it.
        if (view.focus, view.first) == ("up", True) or (view.focus, view.last) == ("down", True):
            view.focus = "down" if view.focus == "up" else "up"
    if view.kind == "group":
        items = node.get("items") or []
        view.join = str(node.get("operator") or "AND")
        view.can_join = not (node.get("synthetic") and any(i["type"] != "condition" for i in items))
        view.children = [
            node_view(child, (*path, index), context, len(items))
            for index, child in enumerate(items)
        ]
    elif view.kind == "condition":
        _dress_condition(view, node, context)
    else:
        view.raw, view.reason = str(node.get("raw") or ""), str(node.get("reason") or "")
    return view


def _dress_condition(view: NodeView, node: Tree, context: Context) -> None:
    key = str(node.get("key") or "")
    label = context.attributes.get(key)
    unique = label is not None and list(context.attributes.values()).count(label) == 1
    view.key_text = label if unique and label else key
    view.key_title = key
    view.key_name = attribute_label(key) if key else ""
    view.compare_as = str(node.get("as") or "text")
    view.type_choices = TYPES
    view.operator = str(node.get("operator"))
    view.operator_choices = operator_choices(view.compare_as, view.operator)
    view.reference = bool(node.get("reference"))
    view.values = value_controls(view.name, node, view.compare_as, view.reference)


def operator_choices(kind: str, current: str) -> list[tuple[str, str]]:
    """The operators that fit `kind`, each wording once (SFMC has two spellings of some)."""
    choices: dict[str, str] = {}
    for name in operators_for(kind):
        words = OPERATORS[name].words
        taken = next((other for other, said in choices.items() if said == words), None)
        if taken is not None and name == current:
            del choices[taken]
        if taken is None or name == current:
            choices[name] = words
    return list(choices.items())


def value_controls(name: str, node: Tree, kind: str, reference: bool) -> list[Control]:
    """The inputs of a condition's value(s), by operator arity and the type compared as."""
    arity = OPERATORS[str(node["operator"])].arity
    values = [str(v) for v in node.get("values") or [node.get("value") or ""]]
    if arity == 0:
        return []
    if arity == MANY:
        return [Control(f"{name}-values", "Values, one per line", "lines", "\n".join(values))]
    controls = []
    for index, part in enumerate(("value", "value2")[:arity]):
        value = values[index] if index < len(values) else ""
        label = ("From" if index == 0 else "To") if arity == 2 else "Value"
        if reference:
            label = "Compared with the attribute"
        controls += _one_value(f"{name}-{part}", label, value, kind, reference)
    return controls


def _one_value(name: str, label: str, value: str, kind: str, reference: bool) -> list[Control]:
    if kind == BOOLEAN and not reference:
        # The saved spelling ("False") is the option's value, so that it shows selected.
        spelled = {v.lower(): v for v in ("true", "false", value) if v}
        choices = [(spelled["true"], "yes (true)"), (spelled["false"], "no (false)")]
        if value.lower() not in ("true", "false"):
            choices.insert(0, (value, f"{value or 'not set'} (as saved)"))
        return [Control(name, label, "select", value, choices)]
    if kind == DATE and not reference:
        return _date_controls(name, label, value)
    looks_numeric = not value or NUMBER_TEXT.match(value)
    input_kind = "number" if kind == NUMBER and looks_numeric and not reference else "text"
    return [Control(name, label, input_kind, value)]


def _date_controls(name: str, label: str, value: str) -> list[Control]:
    relative = relative_date(value)
    when = [("date", "on a date"), ("relative", "relative to today")]
    controls = [Control(f"{name}-when", f"{label}: when", "select", "", when, redraw=True)]
    if relative is None:
        controls[0].value = "date"
        input_kind = "date" if not value or ISO_DAY.match(value) else "text"
        return [*controls, Control(name, label, input_kind, value)]
    controls[0].value = "relative"
    _, sign, amount, unit = relative
    units = [(u, u) for u in UNITS]
    if unit.lower() not in UNITS:
        units.append((unit, unit))
    shown_unit = unit if unit.lower() not in UNITS else unit.lower()
    return [
        *controls,
        Control(f"{name}-sign", "today plus or minus", "select", sign, [("+", "+"), ("-", "−")]),
        Control(f"{name}-amount", "how many", "number", str(amount)),
        Control(f"{name}-unit", "unit", "select", shown_unit, units),
    ]


def flatten(view: NodeView) -> list[NodeView]:
    """The node and everything inside it, in reading order."""
    return [view, *(n for child in view.children for n in flatten(child))]
