"""The effective spec: what a spec means once its tier's promises are filled in.

A spec holds only what was negotiated; every service level and policy it leaves out
is its tier's. The effective document is the spec with those filled in, plus the tier
itself under ``tier`` (its name and every promise), so that whatever reads a tier's
value reads it from here, and a change of tier, or of the catalog's promise, shows as
a change of the document.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from asp_provision.spec.catalog import Catalog, Tier
from asp_provision.spec.models import Subscription

FROM_TIER: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    (("sla", "availability_pct"), ("availability_pct",)),
    (("sla", "response_minutes"), ("response_minutes",)),
    (("sla", "resolution_hours"), ("resolution_hours",)),
    (("sla", "support_hours"), ("support_hours",)),
    (("sla", "channels"), ("channels",)),
    (("security", "password_policy", "min_length"), ("password_policy", "min_length")),
    (("security", "password_policy", "require_mfa"), ("password_policy", "require_mfa")),
    (("security", "password_policy", "max_age_days"), ("password_policy", "max_age_days")),
    (("security", "session_timeout_minutes"), ("session_timeout_minutes",)),
    (("platform", "storage", "backups", "retention_days"), ("backup_retention_days",)),
)
"""Each field of ``spec`` that defaults to its tier's value: (spec path, tier path)."""


def tier_document(name: str, tier: Tier) -> dict[str, Any]:
    """The tier as JSON data: its name and every promise."""
    return {"name": name, **tier.model_dump(mode="json")}


def effective_document(
    sub: Subscription, catalog: Catalog, workspace: Path | None = None
) -> dict[str, Any]:
    """The spec as JSON data, its tier's values filled in, and the tier under ``tier``.

    ``workspace``: where a data conversion's source file is; its SHA-256 is then part of
    the conversion's values (``sha256``), so a changed file is a change of the spec.
    """
    doc: dict[str, Any] = sub.model_dump(mode="json", by_alias=True, exclude_none=True)
    conversion = sub.spec.onboarding.data_conversion if sub.spec.onboarding else None
    if workspace is not None and conversion is not None and conversion.file is not None:
        from asp_provision.spec.onboarding import source_digest

        found = source_digest(workspace, conversion)
        if found is not None:
            doc["spec"]["onboarding"]["data_conversion"]["sha256"] = found
    tier = catalog.tiers.get(sub.spec.tier)
    if tier is None:
        return doc
    promised = tier_document(sub.spec.tier, tier)
    for spec_path, tier_path in FROM_TIER:
        node = doc["spec"]
        for key in spec_path[:-1]:
            node = node.setdefault(key, {})
        if spec_path[-1] not in node:
            node[spec_path[-1]] = _get(promised, tier_path)
    doc["tier"] = promised
    return doc


def _get(data: dict[str, Any], path: tuple[str, ...]) -> Any:
    node: Any = data
    for key in path:
        node = node[key]
    return node
