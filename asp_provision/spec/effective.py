"""The effective spec: what a spec means once the catalog's defaults are filled in."""

from __future__ import annotations

from typing import Any

from asp_provision.spec.catalog import Catalog
from asp_provision.spec.models import Subscription


def effective_document(sub: Subscription, catalog: Catalog) -> dict[str, Any]:
    """The spec as JSON data, with the SLA completed from the tier's promise."""
    doc: dict[str, Any] = sub.model_dump(mode="json", by_alias=True, exclude_none=True)
    tier = catalog.tiers.get(sub.spec.tier)
    if tier is not None:
        promised = {
            "availability_pct": tier.availability_pct,
            "response_minutes": tier.response_minutes,
            "resolution_hours": tier.resolution_hours,
            "support_hours": tier.support_hours,
            "channels": list(tier.channels),
        }
        doc["spec"]["sla"] = {**promised, **doc["spec"].get("sla", {})}
    return doc
