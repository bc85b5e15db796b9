"""Billed terms and catalogs for the billing tests."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

from asp_provision.billing.terms import Billed
from asp_provision.spec.catalog import Catalog, load_catalog


def catalog() -> Catalog:
    """The built-in catalog."""
    return load_catalog(None)


def billed(**changes: Any) -> Billed:
    """A gold subscription of 50 seats and 100 Mbps in USD, changed by ``changes``."""
    base = Billed(
        customer="acme-corp",
        name="ACME Corporation",
        tier="gold",
        seats=50,
        bandwidth_mbps=100,
        storage_gb=1000,
        currency="USD",
        cycle="monthly",
        account="ACME-0001",
        country="US",
        tax_id=None,
        start_date=dt.date(2026, 1, 1),
        term_months=12,
        contact_name="Jane Doe",
        contact_email="billing@acme.example",
        po_number="PO-4471",
    )
    return replace(base, **changes)
