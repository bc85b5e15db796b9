"""The Subscription spec (apiVersion asp-provision/v1) as pydantic models.

Types and single-field formats live here; rules that need several fields or the
catalog live in :mod:`asp_provision.spec.rules`, so that every problem is reported
with the field it belongs to.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    StringConstraints,
    Tag,
)

from asp_provision.spec.formats import COUNTRIES, CURRENCIES, check_email

API_VERSION = "asp-provision/v1"

SECRET: dict[str, Any] = {"secret": True, "writeOnly": True}
"""JSON Schema marker of a field that holds a secret reference."""

_SECRET_REF = re.compile(r"^(env:[A-Za-z_][A-Za-z0-9_]*|file:\S.*)$")
# \Z, not $: a value with a trailing line break is not a domain
_FQDN = re.compile(
    r"^(?=.{1,253}\Z)(?!-)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]\Z"
)
_LABEL_NAME = r"[A-Za-z0-9]([A-Za-z0-9._/-]{0,61}[A-Za-z0-9])?"


class Model(BaseModel):
    """Base of every spec model: unknown keys are errors, values are immutable.

    Types are strict, as the JSON Schema says: ``bandwidth_mbps: "100"`` is text, not a
    number, and ``count: 2.0`` is not an integer.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True, strict=True)


def _cidr(value: str) -> str:
    try:
        net = ipaddress.ip_network(value, strict=False)
    except ValueError:
        raise ValueError(f"'{value}' is not a CIDR such as 203.0.113.0/24") from None
    if "%" in value:
        # fe80::1%eth0/64: a scope id names an interface of one host, not a network
        raise ValueError(f"'{value}' has a scope id ('%...'); give the network without it")
    if "/" not in value:
        raise ValueError(f"'{value}' needs a prefix length, e.g. {value}/{net.max_prefixlen}")
    if str(net) != value.lower():
        raise ValueError(f"'{value}' has host bits set; did you mean {net}?")
    return value


def _fqdn(value: str) -> str:
    if not _FQDN.match(value):
        raise ValueError(f"'{value}' is not a fully qualified domain name such as app.example.com")
    return value


def _label_key(value: str) -> str:
    # a name such as __ansible_unsafe would be read by Ansible as a marker, not a label
    if not re.fullmatch(_LABEL_NAME, value):
        raise ValueError(
            f"label name '{value}' must be 1 to 63 letters, digits, '.', '_', '-' or '/', "
            "starting and ending with a letter or digit"
        )
    return value


def _email(value: str) -> str:
    check_email(value)
    return value


def _currency(value: str) -> str:
    if value not in CURRENCIES:
        raise ValueError(f"'{value}' is not an ISO 4217 currency code such as USD or EUR")
    return value


def _country(value: str) -> str:
    if value not in COUNTRIES:
        raise ValueError(f"'{value}' is not an ISO 3166 alpha-2 country code such as SE or US")
    return value


SECRET_MESSAGE = "a secret is never written in a spec: give a reference, env:NAME or file:PATH"


def _secret_ref(value: str) -> str:
    if not _SECRET_REF.match(value):
        raise ValueError(SECRET_MESSAGE)
    return value


Slug = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]{1,38}[a-z0-9]$")]
Name = Annotated[str, StringConstraints(min_length=1, max_length=200)]
# the schema states what it can of each format (a JSON Schema pattern has no \\Z)
Cidr = Annotated[
    str,
    AfterValidator(_cidr),
    Field(json_schema_extra={"format": "cidr", "pattern": r"^[0-9A-Fa-f.:]+/[0-9]{1,3}$"}),
]
Fqdn = Annotated[
    str,
    AfterValidator(_fqdn),
    Field(json_schema_extra={"format": "hostname", "pattern": _FQDN.pattern.replace(r"\Z", "$")}),
]
Email = Annotated[str, AfterValidator(_email), Field(json_schema_extra={"format": "email"})]
Currency = Annotated[
    str,
    AfterValidator(_currency),
    StringConstraints(pattern=r"^[A-Z]{3}$"),
    Field(json_schema_extra={"enum": sorted(CURRENCIES)}),
]
Country = Annotated[str, AfterValidator(_country), StringConstraints(pattern=r"^[A-Z]{2}$")]
SecretRef = Annotated[
    str, AfterValidator(_secret_ref), Field(json_schema_extra={"pattern": _SECRET_REF.pattern})
]
Username = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9._-]{1,31}$")]
RoleName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_-]{0,39}$")]
ZoneName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]{0,31}$")]
Url = Annotated[str, StringConstraints(pattern=r"^https://[^\s/$.?#][^\s]*$")]
Date = Annotated[dt.date, Field(strict=False)]  # written as text: YYYY-MM-DD
LabelKey = Annotated[str, AfterValidator(_label_key)]
LabelValue = Annotated[str, StringConstraints(max_length=200)]
Labels = Annotated[
    dict[LabelKey, LabelValue],
    Field(
        max_length=64,
        json_schema_extra={"propertyNames": {"pattern": f"^{_LABEL_NAME}$", "maxLength": 63}},
    ),
]


class Metadata(Model):
    """Who the subscription is for."""

    customer: Slug = Field(description="The customer's identity: a unique slug.")
    name: Name = Field(description="Display name.")
    labels: Labels = Field(
        default_factory=dict,
        description="Free-form tags: at most 64, names such as region or team/owner.",
    )


class Application(Model):
    """The hosted application, from the catalog."""

    name: str
    version: str
    edition: str


class Sla(Model):
    """Negotiated service levels; a field left out is the tier's promise."""

    availability_pct: Annotated[float, Field(ge=90, le=100)] | None = None
    response_minutes: Annotated[int, Field(ge=1, le=10_080)] | None = None  # a week
    resolution_hours: Annotated[int, Field(ge=1, le=8_760)] | None = None  # a year
    support_hours: Literal["business", "24x7"] | None = None
    channels: list[Literal["phone", "email", "portal", "chat"]] | None = None


class Connection(Model):
    """How the customer reaches the ASP."""

    type: Literal["internet", "vpn", "mpls", "direct"]
    provider: Name | None = None
    customer_cidrs: list[Cidr] = Field(default_factory=list)


class Network(Model):
    """Capacity, QoS, connection, allowlist and DNS."""

    bandwidth_mbps: Annotated[int, Field(gt=0, le=100_000)]
    qos: Literal["best-effort", "business", "premium"]
    connection: Connection
    allow_from: Annotated[list[Cidr], Field(min_length=1)]
    domain: Fqdn


class Pool(Model):
    """A group of identical servers."""

    role: RoleName
    count: Annotated[int, Field(ge=1, le=100)]
    cpu_cores: Annotated[int, Field(ge=1, le=256)]
    memory_gb: Annotated[int, Field(ge=1, le=4096)]
    disk_gb: Annotated[int, Field(ge=10, le=100_000)]
    zones: Annotated[list[ZoneName], Field(min_length=1, max_length=16)] | None = Field(
        default=None,
        description="Placement zones from the catalog; the servers are spread over them in "
        "turn (default: the catalog's first zone).",
    )


class Servers(Model):
    """Shared or dedicated servers, in pools."""

    tenancy: Literal["shared", "dedicated"]
    pools: Annotated[list[Pool], Field(min_length=1)]


class Backups(Model):
    """Backup schedule; the retention is the tier's unless negotiated."""

    schedule: Literal["daily", "weekly", "monthly"]
    retention_days: Annotated[int, Field(ge=1, le=3650)] | None = Field(
        default=None, description="Negotiated; defaults to the tier's backup retention."
    )


class Storage(Model):
    """Storage class, size and backups."""

    class_: Literal["hdd", "ssd", "nvme"] = Field(alias="class")
    size_gb: Annotated[int, Field(ge=10, le=1_000_000)]
    backups: Backups


class Client(Model):
    """How users reach the application."""

    delivery: Literal["web", "desktop", "both"]


class Platform(Model):
    """Storage, backups, middleware and client delivery."""

    storage: Storage
    middleware: list[Literal["postgresql", "redis", "mysql", "memcached", "rabbitmq"]]
    client: Client


class PasswordPolicy(Model):
    """Negotiated password rules; a field left out is the tier's policy."""

    min_length: Annotated[int, Field(ge=8, le=128)] | None = None
    require_mfa: bool | None = None
    max_age_days: Annotated[int, Field(ge=0, le=3650)] | None = Field(
        default=None, description="0: passwords never expire."
    )


class Sso(Model):
    """Single sign-on: SAML needs metadata_url; OIDC needs issuer, client_id, client_secret."""

    protocol: Literal["saml", "oidc"]
    metadata_url: Url | None = None
    issuer: Url | None = None
    client_id: Name | None = None
    client_secret: SecretRef | None = Field(default=None, json_schema_extra=SECRET)


class Security(Model):
    """Password policy, roles, SSO and sessions."""

    password_policy: PasswordPolicy = Field(default_factory=PasswordPolicy)
    roles: Annotated[dict[RoleName, list[RoleName]], Field(min_length=1)]
    sso: Sso | None = None
    session_timeout_minutes: Annotated[int, Field(ge=1, le=1440)] | None = Field(
        default=None, description="Negotiated; defaults to the tier's session timeout."
    )


class User(Model):
    """An application user account."""

    username: Username
    email: Email
    full_name: Name | None = None
    role: str


class Contact(Model):
    """A person to reach."""

    name: Name
    email: Email


class Billing(Model):
    """The billing account."""

    account_id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")]
    cycle: Literal["monthly", "annual"]
    currency: Currency
    seats: Annotated[int, Field(ge=1, le=1_000_000)]
    contact: Contact
    po_number: Name | None = None
    start_date: Date
    country: Country = Field(
        description="The customer's country (ISO 3166 alpha-2); it decides the tax."
    )
    tax_id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9 .-]{2,30}$")] | None = Field(
        default=None, description="The customer's VAT or tax number (reverse charge in the EU)."
    )
    term_months: Literal[1, 12, 24, 36] = Field(
        default=12, description="The contract's term from start_date, in months."
    )


class Reporting(Model):
    """Monitoring and the reports the customer receives."""

    mode: Literal["realtime", "historical", "both"]
    metrics: Annotated[
        list[Literal["availability", "response_time", "error_rate", "tickets", "storage_used"]],
        Field(min_length=1),
    ]
    recipients: Annotated[list[Email], Field(min_length=1)]
    schedule: Literal["daily", "weekly", "monthly"]


TYPES = ("string", "integer", "decimal", "date", "email")
"""The types a converted column may have."""
LOADER_FIELDS = ("format", "file", "key", "fields")
"""What a data conversion that loads a file gives, all together."""

ColumnName = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_. -]{0,63}$"),
    Field(description="A column of the source: letters, digits, '_', '.', '-' or spaces."),
]


WorkspacePath = Annotated[
    str,
    StringConstraints(min_length=1, max_length=1024),
    Field(
        json_schema_extra={"pattern": r"^(?![/\\~])(?![A-Za-z]:)(?!.*(^|[/\\])\.\.([/\\]|$)).+$"}
    ),
]


class DataConversion(Model):
    """Data brought over from the customer's old system.

    Either the estimate's figures (``source`` and ``records``), or the file to load:
    ``format``, ``file``, ``key`` and ``fields`` together (``records`` then optional, for
    the estimate).
    """

    model_config = Model.model_config | ConfigDict(
        json_schema_extra={
            "anyOf": [
                {
                    "required": ["source", "records"],
                    "not": {"anyOf": [{"required": [name]} for name in LOADER_FIELDS]},
                },
                {"required": list(LOADER_FIELDS), "not": {"required": ["source"]}},
            ]
        }
    )

    source: Literal["csv", "sql", "api", "none"] | None = Field(
        default=None, description="Where the records come from (estimate only)."
    )
    records: Annotated[int, Field(ge=0, le=1_000_000_000)] | None = Field(
        default=None, description="How many records, for the estimate."
    )
    format: Literal["csv", "jsonl"] | None = Field(
        default=None, description="How the file is written: CSV with a header, or JSON Lines."
    )
    file: WorkspacePath | None = Field(
        default=None, description="The source file, relative to the workspace."
    )
    key: ColumnName | None = Field(
        default=None, description="The column that identifies a record; one of fields."
    )
    fields: (
        Annotated[
            dict[ColumnName, Literal["string", "integer", "decimal", "date", "email"]],
            Field(min_length=1, max_length=500),
        ]
        | None
    ) = Field(default=None, description="The columns to load and the type of each.")

    @property
    def loads(self) -> bool:
        """True when the spec names a file to load (not only the estimate's figures)."""
        return self.file is not None


class TrainingSession(Model):
    """One training session: when, about what, and who is invited."""

    date: Date
    topic: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    attendees: Annotated[list[Email], Field(min_length=1, max_length=1000)]


def _sessions_form(value: Any) -> str:
    return "sessions-list" if isinstance(value, list) else "sessions-count"


SESSIONS_TAGS = frozenset({"sessions-count", "sessions-list"})
"""The names pydantic puts in an error's location for the two forms of sessions."""

Sessions = Annotated[
    Annotated[Annotated[int, Field(ge=0, le=100)], Tag("sessions-count")]
    | Annotated[
        Annotated[list[TrainingSession], Field(min_length=1, max_length=100)],
        Tag("sessions-list"),
    ],
    Discriminator(_sessions_form),
]


class Training(Model):
    """Training for the customer's staff: a count, or the sessions with their dates."""

    model_config = Model.model_config | ConfigDict(
        json_schema_extra={
            "anyOf": [
                {
                    "properties": {"sessions": {"type": "integer", "minimum": 0, "maximum": 100}},
                    "required": ["attendees"],
                },
                {"properties": {"sessions": {"type": "array"}}, "not": {"required": ["attendees"]}},
            ]
        }
    )

    sessions: Sessions = Field(
        description="How many sessions (with attendees, a count), or the sessions themselves."
    )
    attendees: Annotated[int, Field(ge=0, le=100_000)] | None = Field(
        default=None, description="How many people, when sessions is a count."
    )

    @property
    def session_count(self) -> int:
        """How many sessions, in either form."""
        return self.sessions if isinstance(self.sessions, int) else len(self.sessions)

    @property
    def attendee_count(self) -> int:
        """How many people: the count given, or the distinct attendees of the sessions."""
        if isinstance(self.sessions, int):
            return self.attendees or 0
        return len({a.lower() for s in self.sessions for a in s.attendees})


class Onboarding(Model):
    """The human side of going live."""

    go_live: Date | None = None
    data_conversion: DataConversion | None = None
    training: Training | None = None


def _timezone(value: str) -> str:
    from asp_provision.spec.calendars import check_timezone

    return check_timezone(value)


Phone = Annotated[
    str,
    StringConstraints(pattern=r"^\+?[0-9][0-9 ()./-]{4,30}$"),
    Field(description="A telephone number, international form preferred: +46 8 555 010 00"),
]
TimeZone = Annotated[
    str, AfterValidator(_timezone), Field(description="An IANA time zone: Europe/Stockholm.")
]


class Person(Model):
    """A named person and how to reach them."""

    name: Name
    email: Email
    phone: Phone


class Escalation(Model):
    """One level of the escalation matrix: who takes over after how long."""

    level: Annotated[int, Field(ge=1, le=10)]
    contact: Name = Field(description="Who is called at this level: a name or a role.")
    after_minutes: Annotated[int, Field(ge=0, le=10_080)] = Field(
        description="Minutes after the ticket was opened."
    )


class Support(Model):
    """The customer's support arrangements: clock, calendar and named people."""

    timezone: TimeZone = Field(description="The customer's time zone; business hours are in it.")
    holidays: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")] = Field(
        description="ISO 3166 country code whose public holidays are not business days."
    )
    service_manager: Person | None = None
    primary_engineer: Person | None = None
    escalation: list[Escalation] = Field(default_factory=list)


class SubscriptionSpec(Model):
    """What the customer bought."""

    application: Application
    tier: str = Field(description="A tier of the catalog: silver, gold or platinum by default.")
    sla: Sla = Field(default_factory=Sla)
    network: Network
    servers: Servers
    platform: Platform
    security: Security
    users: list[User] = Field(default_factory=list)
    billing: Billing
    reporting: Reporting
    onboarding: Onboarding | None = None
    support: Support | None = Field(
        default=None,
        description="Time zone, holiday calendar and named contacts; the catalog's tier says "
        "whom it must name (a service manager for gold and platinum by default).",
    )


class Subscription(Model):
    """A customer's subscription: one spec file."""

    api_version: Literal["asp-provision/v1"] = Field(alias="apiVersion")
    kind: Literal["Subscription"]
    metadata: Metadata
    spec: SubscriptionSpec

    @property
    def customer(self) -> str:
        """The customer's slug."""
        return self.metadata.customer


SECTIONS: dict[str, type[Model]] = {
    name: info.annotation
    for name, info in SubscriptionSpec.model_fields.items()
    if isinstance(info.annotation, type) and issubclass(info.annotation, Model)
}
"""The spec's sections that are models of their own, for validating them one by one."""


def secret_paths(model: type[BaseModel] = Subscription) -> list[tuple[str, ...]]:
    """Paths of every field the schema marks secret (spec.security.sso.client_secret)."""
    found: list[tuple[str, ...]] = []

    def walk(cls: type[BaseModel], prefix: tuple[str, ...]) -> None:
        for name, info in cls.model_fields.items():
            key = (*prefix, info.alias or name)
            if info.json_schema_extra == SECRET:
                found.append(key)
            for sub in _models_in(info.annotation):
                walk(sub, key)

    walk(model, ())
    return found


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    out: list[type[BaseModel]] = []
    for arg in getattr(annotation, "__args__", ()):
        out.extend(_models_in(arg))
    return out
