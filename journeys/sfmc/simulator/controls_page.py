"""The page at ``/_sim/``: journeys with remote-edit buttons, faults, settings, recent requests.

Plain forms that POST to the JSON API's URLs (controls.py answers them with a 303 back here).
Every value is escaped: journey names come from whoever created the journey.
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from typing import TYPE_CHECKING, Any

from .faults import ERROR_STATUSES, FAULT_KINDS

if TYPE_CHECKING:
    from .app import SimulatorApp

_STYLE = """
body{font:14px system-ui,sans-serif;margin:1.5rem;color:#16325c}
table{border-collapse:collapse;margin:.5rem 0 1.5rem}
td,th{border:1px solid #d8dde6;padding:.3rem .5rem;text-align:left;vertical-align:top}
form{display:inline-block;margin:0 .2rem .2rem 0}
.note{background:#fef3c7;padding:.5rem}.error{background:#fde2e1;padding:.5rem}input{width:8rem}
"""
_JOURNEY_ACTIONS = (
    ("rename", "Rename", '<input name="name" placeholder="new name">'),
    ("change-wait", "Change a wait", '<input name="duration" placeholder="days">'),
    ("add-activity", "Add a wait", ""),
    ("remove-activity", "Remove an activity", ""),
)
_SETTINGS = (
    "token_lifetime",
    "default_page_size",
    "max_page_size",
    "conflict_status",
    "conflict_errorcode",
    "not_draft_status",
    "not_draft_errorcode",
    "post_existing_draft",
    "put_bogus_created_date",
    "publish_delay",
    "rate_limit_capacity",
    "rate_limit_per_second",
    "illegal_name_characters",
    "root_must_be_first",
    "check_default_addresses",
)


def render_page(app: SimulatorApp, args: Mapping[str, str]) -> str:
    """The whole control page."""
    banner = ""
    if args.get("error"):
        banner = f'<p class="error">{escape(args["error"])}</p>'
    elif args.get("done"):
        banner = '<p class="note">Done.</p>'
    sections = [
        "<h1>SFMC simulator</h1>",
        '<p class="note">Development aid: never expose this server beyond 127.0.0.1.</p>',
        banner,
        _journeys(app),
        _buttons(),
        _faults(app),
        _settings(app),
        _recent_requests(app),
    ]
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>SFMC simulator</title>'
        f"<style>{_STYLE}</style></head><body>{''.join(sections)}</body></html>"
    )


def _form(
    action: str, label: str, fields: str = "", hidden: Mapping[str, Any] | None = None
) -> str:
    inputs = "".join(
        f'<input type="hidden" name="{escape(name)}" value="{escape(str(value))}">'
        for name, value in (hidden or {}).items()
    )
    return (
        f'<form method="post" action="/_sim/{action}">{inputs}{fields}'
        f'<button type="submit">{escape(label)}</button></form>'
    )


def _journeys(app: SimulatorApp) -> str:
    rows = []
    for journey in app.controls.journey_summaries():
        key = {"key": journey["key"], "account_id": journey["businessUnit"]}
        buttons = "".join(
            _form("remote-edit", label, fields, {**key, "action": action})
            for action, label, fields in _JOURNEY_ACTIONS
        )
        buttons += _form("publish", "Publish", hidden=key) + _form("stop", "Stop", hidden=key)
        cells = (
            journey["businessUnit"],
            journey["name"],
            journey["key"],
            f"v{journey['version']} of {journey['versions']}",
            journey["status"],
            journey["modifiedDate"],
            journey["activities"],
        )
        rows.append(
            "<tr>"
            + "".join(f"<td>{escape(str(c))}</td>" for c in cells)
            + f"<td>{buttons}</td></tr>"
        )
    header = "".join(
        f"<th>{h}</th>"
        for h in (
            "Business unit",
            "Name",
            "Key",
            "Version",
            "Status",
            "modifiedDate",
            "Activities",
            "Remote edit",
        )
    )
    body = "".join(rows) or '<tr><td colspan="8">No journeys yet.</td></tr>'
    return f"<h2>Journeys</h2><table><tr>{header}</tr>{body}</table>"


def _buttons() -> str:
    return (
        _form("seed-demo", "Seed demo journeys")
        + _form("expire-tokens", "Expire all tokens")
        + _form("reset", "Reset everything")
    )


def _faults(app: SimulatorApp) -> str:
    items = "".join(
        f"<li>{escape(f.kind)} {escape(f.method)} {escape(f.path)} ×{f.remaining} "
        f"{escape(str(f.params))}</li>"
        for f in app.store.faults()
    )
    kinds = "".join(f"<option>{kind}</option>" for kind in FAULT_KINDS)
    statuses = "".join(f"<option>{status}</option>" for status in ERROR_STATUSES)
    fields = (
        f'<select name="kind">{kinds}</select> <input name="method" placeholder="method, e.g. PUT">'
        ' <input name="path" placeholder="path glob"> <input name="count" placeholder="count">'
        ' <input name="seconds" placeholder="seconds"> '
        f'<select name="status">{statuses}</select>'
        ' <input name="location" placeholder="redirect to">'
    )
    return (
        f"<h2>Faults</h2><ul>{items or '<li>None queued.</li>'}</ul>"
        + _form("faults", "Queue fault", fields)
        + _form("faults/clear", "Clear faults")
    )


def _settings(app: SimulatorApp) -> str:
    values = app.config.public()
    fields = "".join(
        f'<label>{escape(name)} <input name="{escape(name)}" value="{escape(str(values[name]))}">'
        "</label><br>"
        for name in _SETTINGS
    )
    return "<h2>Settings</h2>" + _form("config", "Save settings", f"<p>{fields}</p>")


def _recent_requests(app: SimulatorApp) -> str:
    entries = app.request_log.entries()[-20:]
    rows = "".join(
        "<tr>"
        + "".join(
            f"<td>{escape(str(value))}</td>"
            for value in (e.method, e.path, e.status, e.outcome, e.fault or "", e.applied)
        )
        + "</tr>"
        for e in reversed(entries)
    )
    header = "".join(
        f"<th>{h}</th>" for h in ("Method", "Path", "Status", "Outcome", "Fault", "Applied")
    )
    return f"<h2>Recent API requests</h2><table><tr>{header}</tr>{rows}</table>"
