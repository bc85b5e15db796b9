"""Deals to make specs from, and the built-in catalog and templates to make them with."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from asp_provision.scaffold.deal import OPTION_NAMES, Deal, read_deal
from asp_provision.scaffold.new import NewSpec, new_spec
from asp_provision.scaffold.templates import Templates
from asp_provision.spec.catalog import Catalog, load_catalog

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "templates"

COLUMNS = list(OPTION_NAMES)  # the CSV header names the options of `new`


def catalog() -> Catalog:
    return load_catalog()


def templates() -> Templates:
    return Templates(TEMPLATES)


def deal_values(**changes: Any) -> dict[str, Any]:
    """What a typical deal says; keyword arguments use '_' for '-' (contact_email=...)."""
    values: dict[str, Any] = {
        "customer": "acme-corp",
        "name": "ACME Corporation",
        "tier": "gold",
        "app": "hosted-email",
        "seats": "50",
        "bandwidth": "100",
        "domain": "mail.acme.example",
        "allow-from": ["203.0.113.0/24"],
        "contact-name": "Jane Doe",
        "contact-email": "billing@acme.example",
        "start-date": "2026-12-01",
        "country": "SE",
        "go-live": "2026-12-15",
        "admin": ["jdoe:jdoe@acme.example"],
        "service-manager": "Maria Lind:maria.lind@asp.example:+46 8 555 010 21",
    }
    if changes.get("tier") == "platinum":
        values["primary-engineer"] = "Sara Holm:sara.holm@asp.example:+46 70 555 01 32"
    for key, value in changes.items():
        option = key.replace("_", "-")
        if value is None:
            values.pop(option, None)
        else:
            values[option] = value
    return values


def read(values: Mapping[str, Any]) -> Deal:
    return read_deal(values, catalog())


def make(values: Mapping[str, Any], path: Path | None = None) -> NewSpec:
    """The checked spec of a deal, as `new` makes it."""
    deal = read(values)
    return new_spec(deal, catalog(), templates(), path or Path(f"{deal.customer}.yaml"))


def csv_row(index: int, **changes: str) -> dict[str, str]:
    """A valid CSV row, different for every index."""
    tiers = [("silver", "crm-suite"), ("gold", "hosted-email"), ("platinum", "erp-core")]
    tier, app = tiers[index % 3]
    customer = f"customer-{index:04d}"
    row = {
        "customer": customer,
        "name": f"Customer {index}",
        "tier": tier,
        "app": app,
        "version": "",
        "edition": "",
        "seats": str(5 + index * 7 % 500),
        "bandwidth": str(10 + index % 90),
        "connection": "internet",
        "provider": "",
        "domain": f"app.{customer}.example",
        "allow-from": f"10.{index % 250}.0.0/16",
        "contact-name": f"Contact {index}",
        "contact-email": f"billing@{customer}.example",
        "start-date": "2027-01-01",
        "country": "SE",
        "go-live": "",
        "admin": f"admin:admin@{customer}.example",
        "currency": "",
        "cycle": "",
        "timezone": "Europe/Stockholm",
        "holidays": "SE",
        "service-manager": f"Manager {index}:manager@{customer}.example:+46 8 555 {index:04d}"
        if tier != "silver"
        else "",
        "primary-engineer": f"Engineer {index}:engineer@{customer}.example:+46 70 555 {index:04d}"
        if tier == "platinum"
        else "",
    }
    row.update(changes)
    return row


def write_csv(path: Path, rows: Iterable[Mapping[str, str]], columns: list[str] = COLUMNS) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path
