"""The catalog: the ASP's tiers, applications, prices, sizing rules and effort table."""

from __future__ import annotations

import math
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator

from asp_provision.errors import CatalogError
from asp_provision.spec import catalog_cache
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
    "training_attendees",
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
    """The password policy a tier promises; a spec may only make it stricter."""

    min_length: int
    require_mfa: bool
    max_age_days: int


Priority = Literal["P1", "P2", "P3", "P4"]
PRIORITIES: tuple[Priority, ...] = ("P1", "P2", "P3", "P4")
"""Ticket priorities, from the most to the least urgent."""


class PriorityTarget(_Model):
    """How soon a ticket of one priority is answered and resolved."""

    response_minutes: Annotated[int, Field(gt=0)]
    resolution_hours: Annotated[int, Field(gt=0)]


class AvailabilityCredit(_Model):
    """A credit owed when availability falls more than ``points_below`` under the promise."""

    points_below: Annotated[Decimal, Field(ge=0)]
    pct: Annotated[Decimal, Field(gt=0, le=100)]


class TicketCredit(_Model):
    """A credit owed when too few tickets of some priorities meet their targets."""

    priorities: list[Priority] = Field(default_factory=lambda: list(PRIORITIES[:2]))
    met_below_pct: Annotated[Decimal, Field(gt=0, le=100)] = Decimal(95)
    pct: Annotated[Decimal, Field(gt=0, le=100)] = Decimal(5)


def _default_availability_credits() -> list[AvailabilityCredit]:
    return [
        AvailabilityCredit(points_below=Decimal(0), pct=Decimal(10)),
        AvailabilityCredit(points_below=Decimal("0.5"), pct=Decimal(25)),
        AvailabilityCredit(points_below=Decimal(1), pct=Decimal(50)),
    ]


class CreditSchedule(_Model):
    """Service credits, in percent of the month's charge.

    Availability under the promise owes the largest step it falls past (strictly under
    promise - points_below); tickets add theirs; the sum is capped at ``cap_pct``.
    """

    availability: list[AvailabilityCredit] = Field(default_factory=_default_availability_credits)
    tickets: TicketCredit | None = Field(default_factory=TicketCredit)
    cap_pct: Annotated[Decimal, Field(ge=0, le=100)] = Decimal(50)


DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def weekly_hours(text: str) -> tuple[frozenset[int], int, int]:
    """``Mon-Fri 08:00-18:00`` as (weekdays 0=Monday, start minute, end minute of the day)."""
    days, _, times = text.strip().partition(" ")
    first, _, last = days.partition("-")
    start, _, end = times.partition("-")
    try:
        a, b = DAYS.index(first), DAYS.index(last or first)
        begin, finish = _minute_of_day(start), _minute_of_day(end)
    except ValueError:
        raise ValueError(
            f"'{text}' is not weekly hours such as 'Mon-Fri 08:00-18:00' or 'Sun 02:00-06:00'"
        ) from None
    if finish <= begin:
        raise ValueError(f"'{text}': the hours must end after they start, on the same day")
    weekdays = range(a, b + 1) if a <= b else [*range(a, 7), *range(0, b + 1)]
    return frozenset(weekdays), begin, finish


def _minute_of_day(text: str) -> int:
    hours, _, minutes = text.partition(":")
    if len(hours) != 2 or len(minutes) != 2 or not (hours + minutes).isdigit():
        raise ValueError(text)
    value = int(hours) * 60 + int(minutes)
    if int(minutes) > 59 or value > 24 * 60:
        raise ValueError(text)
    return value


def _weekly(text: str) -> str:
    weekly_hours(text)
    return text


ZoneName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{0,31}$")]
"""A placement zone of the site: lowercase letters, digits and '-'."""

WeeklyHours = Annotated[str, AfterValidator(_weekly)]
"""Hours in a week, in the customer's time zone: ``Mon-Fri 08:00-18:00``, ``Sun 02:00-06:00``."""


class HighAvailability(_Model):
    """What a tier's servers must be to keep its availability promise."""

    min_app_servers: Annotated[int, Field(ge=1)] = 2
    min_db_servers: Annotated[int, Field(ge=1)] = 2
    min_zones: Annotated[int, Field(ge=1)] = 2


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
    session_timeout_minutes: Annotated[int, Field(ge=1, le=1440)] = 30
    priorities: dict[Priority, PriorityTarget] = Field(
        default_factory=dict,
        description="Targets by priority; P1's are the tier's response and resolution; "
        "a priority left out is 2, 4 or 8 times P1's.",
    )
    business_hours: WeeklyHours = Field(
        default="Mon-Fri 08:00-18:00",
        description="Support hours of a business-hours SLA, in the customer's time zone.",
    )
    maintenance_window: WeeklyHours = Field(
        default="Sun 02:00-06:00",
        description="When planned work may take the service down without counting against "
        "availability, in the customer's time zone.",
    )
    credits: CreditSchedule = Field(default_factory=CreditSchedule)
    named_contacts: list[Literal["service_manager", "primary_engineer"]] = Field(
        default_factory=list,
        description="The people a spec of this tier must name in spec.support.",
    )
    hsts: bool = Field(
        default=False,
        description="The customer's web front tells browsers to use HTTPS only "
        "(Strict-Transport-Security).",
    )
    high_availability: HighAvailability | None = Field(
        default=None,
        description="Servers a spec of this tier needs at least: application servers, "
        "database servers (a primary and replicas) and the placement zones each spans.",
    )

    @model_validator(mode="after")
    def _p1_is_the_promise(self) -> Tier:
        p1 = self.priorities.get("P1")
        if p1 is not None and (
            p1.response_minutes != self.response_minutes
            or p1.resolution_hours != self.resolution_hours
        ):
            raise ValueError(
                "priorities.P1 must be the tier's response_minutes and resolution_hours "
                f"({self.response_minutes} minutes, {self.resolution_hours} hours)"
            )
        return self

    def targets(self) -> dict[str, PriorityTarget]:
        """Every priority's targets: as listed, else 2, 4 or 8 times P1's."""
        out: dict[str, PriorityTarget] = {}
        for factor, name in zip((1, 2, 4, 8), PRIORITIES, strict=True):
            given = self.priorities.get(name)
            out[name] = given or PriorityTarget(
                response_minutes=self.response_minutes * factor,
                resolution_hours=self.resolution_hours * factor,
            )
        return out


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


GateName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{0,38}[a-z0-9]$")]


class Gate(_Model):
    """A sign-off the customer gives on one step's result before another step may run.

    ``signs`` is the step whose result is signed off, ``before`` the step the gate holds
    back. The gate applies to a spec only when its ``signs`` step runs for that spec (a
    gate on the data conversion, for a spec that converts data), and, when ``tiers`` is
    given, only to those tiers.
    """

    signs: str = Field(description="The step whose result the customer signs off.")
    before: str = Field(description="The step that waits for the sign-off.")
    tiers: list[str] | None = Field(
        default=None, description="The tiers the gate applies to (every tier when left out)."
    )
    description: str = ""


def _default_gates() -> dict[str, Gate]:
    return {
        "uat": Gate(signs="acceptance", before="go_live"),
        "data-conversion": Gate(signs="data_conversion", before="go_live"),
        "training": Gate(signs="training", before="go_live", tiers=["gold", "platinum"]),
    }


def _cidr(value: str) -> str:
    import ipaddress

    try:
        return str(ipaddress.ip_network(value, strict=True))
    except ValueError as exc:
        raise ValueError(f"{value!r} is not a network in CIDR form ({exc})") from None


Cidr = Annotated[str, AfterValidator(_cidr)]


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
    capacity_hours_per_day: Annotated[float, Field(gt=0, le=1000)] = Field(
        default=8,
        description="Engineer-hours the implementation team gives onboarding per working "
        "day (Monday to Friday); the plan projects a go-live date from it.",
    )
    pricing: Pricing = Field(default_factory=Pricing)
    zones: Annotated[list[ZoneName], Field(min_length=1)] = Field(
        default_factory=lambda: ["zone-a"],
        description="The site's placement zones; a pool's servers are spread over the ones "
        "it names, in turn.",
    )
    staging_networks: Annotated[list[Cidr], Field(min_length=1)] = Field(
        default_factory=lambda: ["10.255.0.0/16"],
        description="The ASP's own networks: the only ones the firewall admits to a "
        "customer's service until it goes live.",
    )
    gates: dict[GateName, Gate] = Field(
        default_factory=_default_gates,
        description="Sign-offs, by name, that hold a step back until the customer gives them.",
    )

    @model_validator(mode="after")
    def _gates_name_tiers(self) -> Catalog:
        for name, gate in self.gates.items():
            for tier in gate.tiers or ():
                if tier not in self.tiers:
                    raise ValueError(f"gates.{name}.tiers: no tier {tier!r} in the catalog")
        return self

    @model_validator(mode="after")
    def _zones_cover_high_availability(self) -> Catalog:
        if len(set(self.zones)) != len(self.zones):
            raise ValueError("zones: each zone is listed once")
        for name, tier in self.tiers.items():
            rule = tier.high_availability
            if rule is not None and rule.min_zones > len(self.zones):
                raise ValueError(
                    f"tiers.{name}.high_availability.min_zones is {rule.min_zones}, but the "
                    f"catalog has {len(self.zones)} zone(s)"
                )
        return self

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
        kept = catalog_cache.load(text)
        if kept is not None:
            _cache[key] = kept
            return kept
        # descriptions may span lines; what reaches a configuration line is matched by
        # a spec's value first, and a spec's values are one line each
        load_text(text, doc, one_line=False)
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
    if text is not None:
        catalog_cache.store(text, catalog)
    return catalog
