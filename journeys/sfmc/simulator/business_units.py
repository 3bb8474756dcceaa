"""The tenant's business units (MIDs): each has its own journeys, catalog and send definitions.

A token is bound to the business unit its request named (``account_id``; none names the parent,
the unit that owns the installed package). While the app serves a request made with that token,
``BusinessUnits.current()`` is that unit, so every handler that reaches for ``app.interactions``
or the catalog sees only that unit's data without being told which unit it is in. The
current unit lives in a context variable (one per request thread); outside a request (controls,
tests calling the app's objects directly) it is the parent.

The SOAP ``Retrieve`` of ``BusinessUnit`` lists the unit the token is bound to and its children
(the parent sees every unit, a child only itself). Whether SFMC lists more without
``QueryAllAccounts`` is UNVERIFIED.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from . import catalog_demo, demo
from .catalog import Catalog
from .catalog_demo import CatalogData
from .config import BusinessUnit, SimConfig
from .interactions import Interactions
from .store import Store

# The MID of the business unit whose request this thread is serving (None: the parent).
_SERVING: ContextVar[int | None] = ContextVar("sfmc_simulator_business_unit", default=None)


@dataclass(frozen=True)
class UnitState:
    """One business unit and its data."""

    unit: BusinessUnit
    store: Store
    interactions: Interactions
    catalog: Catalog

    @property
    def mid(self) -> int:
        return self.unit.mid


class UnknownAccount(ValueError):
    """An ``account_id`` that names none of the business units."""

    def answer(self) -> dict[str, str]:
        """The token endpoint's error body (its HTTP status is a setting, see config.py)."""
        return {
            "error": "unauthorized_client",
            "error_description": (
                f"The installed package has no access to account_id {str(self)[:40]!r}: it is "
                "not one of this tenant's business units."
            ),
            "error_uri": "https://developer.salesforce.com/docs",
        }


class BusinessUnits:
    """Every business unit of one simulator, the parent first."""

    def __init__(self, store: Store, config: SimConfig) -> None:
        units = config.business_units
        self.parent_mid = units[0].mid
        self._states: dict[int, UnitState] = {}
        for unit in units:
            view = store if unit.mid == store.business_unit else store.for_business_unit(unit.mid)
            catalog = Catalog(_catalog_builder(unit, units))
            self._states[unit.mid] = UnitState(unit, view, Interactions(view, config), catalog)

    def __iter__(self) -> Iterator[UnitState]:
        return iter(self._states.values())

    @property
    def parent(self) -> UnitState:
        return self._states[self.parent_mid]

    def get(self, mid: int) -> UnitState | None:
        return self._states.get(mid)

    def current(self) -> UnitState:
        """The business unit of the request being served (the parent outside one)."""
        mid = _SERVING.get()
        return self._states[self.parent_mid if mid is None else mid]

    def for_account_id(self, account_id: Any) -> UnitState:
        """The unit a token request's ``account_id`` names; absent or empty names the parent."""
        if account_id is None or account_id == "":
            return self.parent
        text = str(account_id).strip()
        found = self._states.get(int(text)) if text.isdigit() else None
        if found is None:
            raise UnknownAccount(text)
        return found

    def for_token(self, token: str) -> UnitState | None:
        """The unit a valid token is bound to (None for an unknown or expired token)."""
        mid = self.parent.store.token_business_unit(token)
        return None if mid is None else self._states.get(mid)

    @contextmanager
    def serving(self, mid: int | None) -> Iterator[UnitState]:
        """Make ``mid`` (None: the parent) the current unit until the block ends."""
        state = self.parent if mid is None else self._states[mid]
        reset_token = _SERVING.set(state.mid)
        try:
            yield state
        finally:
            _SERVING.reset(reset_token)

    def set_config(self, config: SimConfig) -> None:
        for state in self:
            state.interactions.config = config

    def settle_due_publishes(self) -> None:
        for state in self:
            state.interactions.settle_due_publishes()

    def reset_catalogs(self) -> None:
        for state in self:
            state.catalog.reset()

    def seed_demo(self) -> list[str]:
        """The demo journeys: the parent's, and the first child's small set ("MID:key" listed)."""
        created = demo.seed(self.parent.interactions)
        children = [state for state in self if state.mid != self.parent_mid]
        if children:
            child = children[0]
            keys = demo.seed(child.interactions, demo.CHILD_DEMO_JOURNEYS)
            created += [f"{child.mid}:{key}" for key in keys]
        return created


def _catalog_builder(
    unit: BusinessUnit, units: tuple[BusinessUnit, ...]
) -> Callable[[], CatalogData]:
    """The parent gets the demo catalog, a child the Outlet's; each lists its BusinessUnits."""

    def build() -> CatalogData:
        data = catalog_demo.outlet_catalog() if unit.parent_mid else catalog_demo.demo_catalog()
        for listed in units:
            if unit.mid in (listed.mid, listed.parent_mid):
                row = {"ID": listed.mid, "Name": listed.name, "ParentID": listed.parent_mid}
                data.add_soap("BusinessUnit", row)
        return data

    return build
