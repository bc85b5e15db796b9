"""The catalog: the ASP's tiers, applications, prices, sizing rules and effort table."""

from __future__ import annotations

import math
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from asp_provision.errors import CatalogError
from asp_provision.spec.diagnostics import field_name

CATALOG_FILE = "catalog.yaml"

Unit = Literal[
    "users",
    "servers",
    "roles",
    "middleware",
    "metrics",
    "allow_from",
    "records_10k",
    "training_sessions",
    "sso",
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class Prices(_Model):
    """Monthly prices in the catalog's base currency."""

    base: Annotated[float, Field(ge=0)]
    per_seat: Annotated[float, Field(ge=0)]
    per_mbps: Annotated[float, Field(ge=0)]


class SupportScope(_Model):
    """What a tier's support covers, and what it does not, stated up front."""

    included: list[str]
    excluded: list[str]


class DefaultPasswordPolicy(_Model):
    """The password policy a new spec of this tier starts from."""

    min_length: int
    require_mfa: bool
    max_age_days: int


class Tier(_Model):
    """A support tier and its promises."""

    description: str = ""
    response_minutes: Annotated[int, Field(gt=0)]
    resolution_hours: Annotated[int, Field(gt=0)]
    support_hours: Literal["business", "24x7"]
    availability_pct: Annotated[float, Field(ge=90, le=100)]
    channels: list[Literal["phone", "email", "portal", "chat"]]
    tenancy: list[Literal["shared", "dedicated"]]
    prices: Prices
    support: SupportScope
    password_policy: DefaultPasswordPolicy
    backup_retention_days: Annotated[int, Field(ge=1)] = 30


class Sizing(_Model):
    """How much an application needs for a number of seats."""

    seats_per_app_core: Annotated[int, Field(gt=0)]
    memory_gb_per_app_core: Annotated[int, Field(gt=0)] = 4
    storage_gb_per_seat: Annotated[float, Field(gt=0)]
    min_app_servers: Annotated[int, Field(ge=1)] = 1
    db_cores: Annotated[int, Field(ge=0)] = 2

    def app_cores(self, seats: int) -> int:
        """App cores recommended for ``seats``."""
        return max(1, math.ceil(seats / self.seats_per_app_core))

    def storage_gb(self, seats: int) -> int:
        """Storage recommended for ``seats``."""
        return max(10, math.ceil(seats * self.storage_gb_per_seat))


class ApplicationOffer(_Model):
    """An application the ASP hosts."""

    description: str = ""
    versions: Annotated[list[str], Field(min_length=1)]
    editions: Annotated[list[str], Field(min_length=1)]
    middleware: list[str] = Field(default_factory=list)
    sizing: Sizing


class StepEffort(_Model):
    """Engineer-hours for a step: a base plus per-unit terms."""

    base: Annotated[float, Field(ge=0)]
    per: dict[Unit, Annotated[float, Field(ge=0)]] = Field(default_factory=dict)
    connection: dict[Literal["internet", "vpn", "mpls", "direct"], float] = Field(
        default_factory=dict
    )


class SupportContacts(_Model):
    """How a customer reaches the ASP's support desk."""

    phone: str
    email: str
    portal: str


class Provider(_Model):
    """The ASP itself: who signs the service definition and issues the invoices."""

    name: str
    address: list[str] = Field(description="Postal address, one line per item.")
    country: Annotated[str, Field(pattern=r"^[A-Z]{2}$")] = "SE"
    support: SupportContacts


Percent = Annotated[Decimal, Field(ge=0, le=100)]
Money = Annotated[Decimal, Field(ge=0)]


class VolumeDiscount(_Model):
    """A discount on the per-seat part from a number of seats on."""

    min_seats: Annotated[int, Field(ge=1)]
    pct: Percent


class Promotion(_Model):
    """A tier priced as another for customers who spend enough at that tier's prices."""

    tier: str
    priced_as: str
    min_monthly: Money


class Overage(_Model):
    """What usage above what was sold costs."""

    seats_factor: Annotated[Decimal, Field(ge=0)] = Decimal("1.25")
    bandwidth_factor: Annotated[Decimal, Field(ge=0)] = Decimal("1.5")
    storage_per_gb: Money = Decimal("0.10")


class Pricing(_Model):
    """Discounts, promotions, bundles, taxes and overage; amounts in the base currency."""

    volume_discounts: list[VolumeDiscount] = Field(default_factory=list)
    promotions: list[Promotion] = Field(default_factory=list)
    bundles: dict[Annotated[int, Field(ge=2)], Percent] = Field(
        default_factory=dict, description="Percent off each subscription, by subscriptions."
    )
    taxes: dict[Annotated[str, Field(pattern=r"^[A-Z]{2}$")], Percent] = Field(
        default_factory=dict, description="Tax percent by the customer's country."
    )
    overage: Overage = Field(default_factory=Overage)
    payment_days: Annotated[int, Field(ge=0, le=365)] = 30


class Catalog(_Model):
    """The ASP's offer; every spec is validated against exactly one."""

    api_version: Literal["asp-provision/v1"] = Field(alias="apiVersion")
    kind: Literal["Catalog"]
    provider: Provider = Field(
        default_factory=lambda: Provider(
            name="ASP",
            address=[],
            support=SupportContacts(phone="", email="", portal=""),
        )
    )
    currencies: dict[str, Annotated[float, Field(gt=0)]] = Field(
        description="Price multiplier per currency; the base currency has 1."
    )
    tiers: Annotated[dict[str, Tier], Field(min_length=1)]
    applications: Annotated[dict[str, ApplicationOffer], Field(min_length=1)]
    effort: dict[str, StepEffort]
    pricing: Pricing = Field(default_factory=Pricing)

    def tier_names(self) -> list[str]:
        """Tier names, from the least to the most promising."""
        return sorted(self.tiers, key=lambda t: self.tiers[t].response_minutes, reverse=True)


def default_catalog_text() -> str:
    """The built-in catalog shipped with the package."""
    from importlib import resources

    return (resources.files("asp_provision") / "data" / CATALOG_FILE).read_text("utf-8")


_cache: dict[str, Catalog] = {}


def load_catalog(path: Path | None = None) -> Catalog:
    """Load a catalog file, or the built-in default when ``path`` is None."""
    key = str(path) if path else ""
    if key in _cache:
        return _cache[key]
    from asp_provision.spec.loader import Document, load_text, read_text

    name = str(path) if path else f"<built-in {CATALOG_FILE}>"
    doc = Document(name)
    text = read_text(path, doc) if path else default_catalog_text()
    if text is not None:
        load_text(text, doc)
    if doc.diagnostics:
        first = doc.diagnostics[0]
        raise CatalogError(first.message, name, first.line, first.column, first.field)
    try:
        catalog = Catalog.model_validate(doc.data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = tuple(err["loc"])
        line, column = doc.locate(loc)
        raise CatalogError(err["msg"], name, line, column, field_name(loc)) from None
    _cache[key] = catalog
    return catalog
