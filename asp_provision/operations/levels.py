"""The service levels of a workspace's customers: tickets, outages and monthly reports."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from asp_provision.operations.base import WorkspaceOperations

if TYPE_CHECKING:
    from asp_provision.sla.report import CustomerReport
    from asp_provision.sla.workflow import Customers, Imported


class ServiceLevelOperations(WorkspaceOperations):
    """Tickets and outages imported into the state, and the month's report with credits."""

    def sla_customers(self) -> Customers:
        """The workspace's customers and their service-level terms, from their specs."""
        from asp_provision.sla.cache import TermsCache
        from asp_provision.sla.workflow import load_customers

        cache = TermsCache(self.workspace.asp_dir / "cache" / "sla-terms.json", self.catalog_hash())
        return load_customers(self.spec_paths([]), self.catalog, self.catalog_path, cache)

    def import_tickets(self, path: Path, fmt: str) -> Imported:
        """Import support tickets (all or nothing), keyed by id."""
        from asp_provision.sla.workflow import import_tickets
        from asp_provision.state.store import StateStore

        customers = self.sla_customers()
        with StateStore(self.workspace.state_path) as store:
            return import_tickets(store, path, fmt, customers)

    def import_outages(self, path: Path) -> Imported:
        """Import outages (all or nothing), keyed by customer and start."""
        from asp_provision.sla.workflow import import_outages
        from asp_provision.state.store import StateStore

        customers = self.sla_customers()
        with StateStore(self.workspace.state_path) as store:
            return import_outages(store, path, customers)

    def sla_report(
        self, customers: list[str], everyone: bool, period: str, charts: bool = True
    ) -> list[CustomerReport]:
        """Each customer's month; credits of an ended month are recorded once.

        ``charts``: keep each ticket's response time, which only the charts draw.
        """
        from asp_provision.sla.report import parse_period
        from asp_provision.sla.workflow import ranked, select, sla_report
        from asp_provision.state.store import StateStore

        parse_period(period)
        chosen = select(self.sla_customers(), customers, everyone)
        store = StateStore(self.workspace.state_path)  # opened only to record a credit
        try:
            reports = sla_report(chosen, period, store, store, charts=charts)
        finally:
            store.close()
        return ranked(reports) if everyone else reports
