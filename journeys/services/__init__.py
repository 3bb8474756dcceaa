"""Every state change of the product, one function each, grouped by area.

Each function checks permission and precondition, writes, and records an AuditEvent in the same
transaction. Views, tasks, admin actions and management commands all call these; none of them
writes models directly.
"""

from __future__ import annotations

from journeys.services.audit import record_event

__all__ = ["record_event"]
