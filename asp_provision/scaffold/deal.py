"""What a deal says: its options, and its values read and checked one by one.

A deal's values arrive as text, from command-line options or from a CSV row whose
columns have the options' names. What rendering needs (the tier, the application,
numbers and dates) is checked here; the formats of the rest (slugs, e-mails, domains,
CIDRs) and the rules across values are checked on the rendered spec, which reports
them all at once. When a deal cannot even be rendered, the formats are checked here
as well, so that one pass still reports every bad value.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, get_args

from pydantic import TypeAdapter, ValidationError

from asp_provision.errors import UsageError
from asp_provision.spec.catalog import Catalog, Tier
from asp_provision.spec.models import (
    Cidr,
    Connection,
    Country,
    Email,
    Fqdn,
    Name,
    Slug,
    Username,
)
from asp_provision.spec.rules import OPEN_NETWORKS, did_you_mean

Values = Mapping[str, str | Sequence[str] | None]
"""A deal as given: option name -> text, or several texts for a repeatable option."""

CONNECTIONS: tuple[str, ...] = get_args(Connection.model_fields["type"].annotation)
CYCLES = ("monthly", "annual")
DEFAULT_CURRENCY = "USD"
ANYWHERE = OPEN_NETWORKS[0]


@dataclass(frozen=True, slots=True)
class DealOption:
    """One thing a deal says: a command-line option and a CSV column of the same name."""

    name: str
    help: str
    required: bool = False
    multiple: bool = False
    ask: str = ""
    """The question that asks for it on a terminal, when its help does not read as one."""

    @property
    def flag(self) -> str:
        """The command-line form: ``--contact-email``, or ``CUSTOMER`` for the argument."""
        return "CUSTOMER" if self.name == "customer" else f"--{self.name}"

    @property
    def question(self) -> str:
        """How to ask for the value on a terminal."""
        return self.ask or self.help.removesuffix(".")


OPTIONS: tuple[DealOption, ...] = (
    DealOption("customer", "The customer's slug: the spec's identity and file name.", True),
    DealOption("name", "The customer's display name.", True),
    DealOption("tier", "Support tier, from the catalog.", True),
    DealOption("app", "Application, from the catalog.", True),
    DealOption("version", "Application version (default: the catalog's latest)."),
    DealOption("edition", "Application edition (default: the catalog's first)."),
    DealOption("seats", "Seats sold; server sizing and billing follow from it.", True),
    DealOption("bandwidth", "Bandwidth to the customer in Mbps.", True),
    DealOption("connection", "internet, vpn, mpls or direct (default: internet)."),
    DealOption("provider", "The local connection provider (needed for mpls and direct)."),
    DealOption("domain", "The service's domain name, e.g. mail.acme.example.", True),
    DealOption(
        "allow-from",
        "A customer network allowed in, as a CIDR (repeatable). Default: anywhere, "
        "for tiers that permit it.",
        multiple=True,
        ask="The customer's networks allowed in, as CIDRs separated by spaces",
    ),
    DealOption("contact-name", "The billing contact's name.", True),
    DealOption("contact-email", "The billing contact's e-mail; reports go there too.", True),
    DealOption("start-date", "Billing start date, YYYY-MM-DD.", True),
    DealOption("country", "The customer's country, ISO 3166 alpha-2 (it decides the tax).", True),
    DealOption("go-live", "Planned go-live date, YYYY-MM-DD."),
    DealOption(
        "admin",
        "An administrator account of the application, USER:EMAIL (repeatable).",
        multiple=True,
        ask="Administrators, as USER:EMAIL separated by spaces",
    ),
    DealOption("currency", "Billing currency, ISO 4217 (default: USD)."),
    DealOption("cycle", "Billing cycle: monthly or annual (default: monthly)."),
    DealOption("timezone", "The customer's IANA time zone, e.g. Europe/Stockholm (default: UTC)."),
    DealOption(
        "holidays",
        "Country whose public holidays the support calendar skips, ISO 3166 "
        "(default: the provider's).",
    ),
    DealOption(
        "service-manager",
        "The customer's service manager, NAME:EMAIL:PHONE (needed for gold and platinum).",
    ),
    DealOption(
        "primary-engineer",
        "The customer's primary engineer, NAME:EMAIL:PHONE (needed for platinum).",
    ),
)
"""Every option of a deal, in the order they are asked for and reported."""

OPTION_NAMES = tuple(o.name for o in OPTIONS)
BY_NAME = {o.name: o for o in OPTIONS}

_SEPARATORS = re.compile(r"[\s,;]+")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_WHOLE = re.compile(r"-?\d+", re.ASCII)


@dataclass(frozen=True, slots=True)
class Problem:
    """A value of a deal that cannot go into a spec; ``option`` is None for the template's."""

    option: str | None
    message: str


class DealInvalid(UsageError):
    """A deal given on the command line has missing or bad values."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(describe(p) for p in self.problems))


def describe(problem: Problem) -> str:
    """A problem as the command line reports it: ``--seats: 'ten' is not a whole number``."""
    if problem.option is None:
        return problem.message
    return f"{BY_NAME[problem.option].flag}: {problem.message}"


@dataclass(frozen=True, slots=True)
class Admin:
    """An administrator account named by the deal."""

    username: str
    email: str


@dataclass(frozen=True, slots=True)
class Contact:
    """A person named by the deal: a service manager or a primary engineer."""

    name: str
    email: str
    phone: str


@dataclass(frozen=True, slots=True)
class Deal:
    """A deal read from its values, ready to render; the spec's own checks come after."""

    customer: str
    name: str
    tier: str
    app: str
    version: str
    edition: str
    seats: int
    bandwidth_mbps: int
    connection: str
    provider: str | None
    domain: str
    allow_from: tuple[str, ...]
    contact_name: str
    contact_email: str
    start_date: dt.date
    country: str
    go_live: dt.date | None
    admins: tuple[Admin, ...]
    currency: str
    cycle: str
    timezone: str = "UTC"
    holidays: str = ""
    service_manager: Contact | None = None
    primary_engineer: Contact | None = None

    @property
    def account_id(self) -> str:
        """The billing account: the customer's slug in capitals."""
        return self.customer.upper()

    @property
    def customer_cidrs(self) -> tuple[str, ...]:
        """The customer's own networks, for connections that reach into them."""
        if self.connection == "internet":
            return ()
        return tuple(c for c in self.allow_from if c not in OPEN_NETWORKS)


class _Read(dict[str, list[str]]):
    """Values already split and stripped by :func:`read_values`."""


def read_values(values: Values) -> Values:
    """``values`` split and stripped once, for the many look-ups that follow."""
    if isinstance(values, _Read):
        return values
    return _Read((option, texts(values, option)) for option in OPTION_NAMES)


def texts(values: Values, option: str) -> list[str]:
    """The non-empty values given for ``option``; repeatable ones split on spaces, ',' or ';'."""
    if isinstance(values, _Read):
        return values[option]
    raw = values.get(option)
    if raw is None:
        return []
    items = [raw] if isinstance(raw, str) else list(raw)
    if BY_NAME[option].multiple:
        return [part for item in items for part in _SEPARATORS.split(item) if part]
    return [item.strip() for item in items if item.strip()]


def text(values: Values, option: str) -> str | None:
    """The value of a single-valued option, or None when it is not given."""
    found = texts(values, option)
    return found[-1] if found else None


def open_access_allowed(tier: Tier) -> bool:
    """Whether a tier lets a spec allow access from the whole internet."""
    return tier.tenancy != ["dedicated"]


def missing(values: Values, catalog: Catalog) -> list[DealOption]:
    """Required options with no value, in order; some depend on the tier or connection."""
    out = [o for o in OPTIONS if o.required and not texts(values, o.name)]
    tier = catalog.tiers.get(text(values, "tier") or "")
    if tier is not None and not open_access_allowed(tier) and not texts(values, "allow-from"):
        out.append(BY_NAME["allow-from"])
    if text(values, "connection") in ("mpls", "direct") and not text(values, "provider"):
        out.append(BY_NAME["provider"])
    for role in tier.named_contacts if tier is not None else ():
        option = role.replace("_", "-")
        if not text(values, option):
            out.append(BY_NAME[option])
    return out


def choices(option: str, values: Values, catalog: Catalog) -> list[str] | None:
    """What an option may be, where the catalog or the spec says so; None when free text."""
    if option == "tier":
        return catalog.tier_names()
    if option == "app":
        return sorted(catalog.applications)
    offer = catalog.applications.get(text(values, "app") or "")
    if option == "version" and offer is not None:
        return list(offer.versions)
    if option == "edition" and offer is not None:
        return list(offer.editions)
    if option == "connection":
        return list(CONNECTIONS)
    if option == "cycle":
        return list(CYCLES)
    if option == "currency":
        return sorted(catalog.currencies)
    return None


def _why_required(option: DealOption, values: Values, catalog: Catalog) -> str:
    if option.name == "allow-from":
        return (
            f"required for the {text(values, 'tier')} tier, which does not allow access from "
            "anywhere: give the customer's networks as CIDRs"
        )
    if option.name == "provider":
        return f"required for a {text(values, 'connection')} connection: the local provider's name"
    if option.name in ("service-manager", "primary-engineer"):
        who = option.name.replace("-", " ")
        return f"required for the {text(values, 'tier')} tier: the {who} as NAME:EMAIL:PHONE"
    options = choices(option.name, values, catalog)
    return "required" + (f"; one of {', '.join(options)}" if options else "")


_ADAPTERS: dict[str, TypeAdapter[Any]] = {
    "slug": TypeAdapter(Slug),
    "name": TypeAdapter(Name),
    "fqdn": TypeAdapter(Fqdn),
    "email": TypeAdapter(Email),
    "cidr": TypeAdapter(Cidr),
    "username": TypeAdapter(Username),
    "country": TypeAdapter(Country),
}

_PATTERNS = {
    "slug": "a slug: 3 to 40 lowercase letters, digits or '-', starting with a letter",
    "username": "3 to 32 characters: lowercase letters, digits, '.', '_' or '-', "
    "starting with a letter",
    "country": "a two-letter ISO 3166 code such as SE",
}


def _check(kind: str, value: str) -> str | None:
    """What is wrong with ``value`` as the spec's type ``kind``, or None."""
    try:
        _ADAPTERS[kind].validate_python(value)
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        if err["type"] == "value_error":
            return str(err["msg"]).removeprefix("Value error, ")
        if err["type"] == "string_pattern_mismatch" and kind in _PATTERNS:
            return f"'{value}' must be {_PATTERNS[kind]}"
        message = str(err["msg"])
        return message[:1].lower() + message[1:]
    return None


class _Reader:
    """Reads a deal's values one by one, noting every problem."""

    def __init__(self, values: Values) -> None:
        self.values = values
        self.problems: list[Problem] = []
        self.formats: list[tuple[str, str, str]] = []  # option, kind, value

    def fail(self, option: str, message: str) -> None:
        self.problems.append(Problem(option, message))

    def checked(self, option: str, kind: str) -> str:
        value = text(self.values, option) or ""
        if value:
            self.formats.append((option, kind, value))
        return value

    def check_formats(self) -> None:
        """Check the formats left to the spec, for a deal that will not get that far."""
        for option, kind, value in self.formats:
            wrong = _check(kind, value)
            if wrong:
                self.fail(option, wrong)

    def whole_number(self, option: str) -> int:
        value = text(self.values, option)
        if value is None:
            return 0
        if not _WHOLE.fullmatch(value):
            self.fail(option, f"'{value}' is not a whole number")
            return 0
        number = int(value)
        if number < 1:
            self.fail(option, f"must be at least 1 (got {number})")
        return number

    def date(self, option: str) -> dt.date | None:
        value = text(self.values, option)
        if value is None:
            return None
        try:
            if not _DATE.fullmatch(value):
                raise ValueError(value)
            return dt.date.fromisoformat(value)
        except ValueError:
            self.fail(option, f"'{value}' is not a date; write it as YYYY-MM-DD")
            return None

    def one_of(
        self, option: str, allowed: Sequence[str], what: str, default: str = "", offer: str = ""
    ) -> str:
        """A value from ``allowed``; ``offer`` says whose list it is (the catalog's)."""
        value = text(self.values, option)
        if value is None:
            return default
        if value not in allowed:
            listed = f"{offer} offers" if offer else "expected"
            self.fail(
                option,
                f"unknown {what} '{value}'; {listed} {', '.join(allowed)}"
                + did_you_mean(value, list(allowed)),
            )
        return value

    def admins(self) -> tuple[Admin, ...]:
        found = []
        for item in texts(self.values, "admin"):
            username, sep, email = item.partition(":")
            if not sep or not username or not email:
                self.fail("admin", f"'{item}' is not USER:EMAIL, e.g. jdoe:jdoe@acme.example")
                continue
            self.formats += [("admin", "username", username), ("admin", "email", email)]
            found.append(Admin(username, email))
        return tuple(found)

    def contact(self, option: str) -> Contact | None:
        item = text(self.values, option)
        if item is None:
            return None
        parts = item.rsplit(":", 2)
        if len(parts) != 3 or not all(p.strip() for p in parts):
            self.fail(
                option,
                f"'{item}' is not NAME:EMAIL:PHONE, e.g. "
                "'Maria Lind:maria@asp.example:+46 8 555 010 21'",
            )
            return None
        name, email, phone = (p.strip() for p in parts)
        self.formats += [(option, "name", name), (option, "email", email)]
        return Contact(name, email, phone)

    def networks(self) -> tuple[str, ...]:
        found = texts(self.values, "allow-from")
        self.formats += [("allow-from", "cidr", cidr) for cidr in found]
        return tuple(found) or (ANYWHERE,)


def read_deal(values: Values, catalog: Catalog) -> Deal:
    """Check every value of a deal; raise DealInvalid listing all the problems."""
    values = read_values(values)
    r = _Reader(values)
    for option in missing(values, catalog):
        r.fail(option.name, _why_required(option, values, catalog))
    customer = r.checked("customer", "slug")
    name = r.checked("name", "name")
    tier = r.one_of("tier", catalog.tier_names(), "tier", offer="the catalog")
    app = r.one_of("app", sorted(catalog.applications), "application", offer="the catalog")
    offer = catalog.applications.get(app)
    version = edition = ""
    if offer is not None:
        version = r.one_of(
            "version", offer.versions, "version", offer.versions[-1], offer=f"the catalog's {app}"
        )
        edition = r.one_of(
            "edition", offer.editions, "edition", offer.editions[0], offer=f"the catalog's {app}"
        )
    seats = r.whole_number("seats")
    bandwidth = r.whole_number("bandwidth")
    connection = r.one_of("connection", CONNECTIONS, "connection type", "internet")
    provider = r.checked("provider", "name") or None
    domain = r.checked("domain", "fqdn")
    allow_from = r.networks()
    contact_name = r.checked("contact-name", "name")
    contact_email = r.checked("contact-email", "email")
    start_date = r.date("start-date")
    country = r.checked("country", "country")
    go_live = r.date("go-live")
    admins = r.admins()
    currency = r.one_of(
        "currency", sorted(catalog.currencies), "currency", DEFAULT_CURRENCY, "the catalog"
    )
    cycle = r.one_of("cycle", CYCLES, "billing cycle", CYCLES[0])
    timezone = text(values, "timezone") or "UTC"
    holidays = (text(values, "holidays") or catalog.provider.country).upper()
    service_manager = r.contact("service-manager")
    primary_engineer = r.contact("primary-engineer")
    if r.problems or start_date is None:
        r.check_formats()
        order = {option: i for i, option in enumerate(OPTION_NAMES)}
        r.problems.sort(key=lambda p: order.get(p.option or "", len(order)))
        raise DealInvalid(_unique(r.problems))
    return Deal(
        customer=customer,
        name=name,
        tier=tier,
        app=app,
        version=version,
        edition=edition,
        seats=seats,
        bandwidth_mbps=bandwidth,
        connection=connection,
        provider=provider,
        domain=domain,
        allow_from=allow_from,
        contact_name=contact_name,
        contact_email=contact_email,
        start_date=start_date,
        country=country,
        go_live=go_live,
        admins=admins,
        currency=currency,
        cycle=cycle,
        timezone=timezone,
        holidays=holidays,
        service_manager=service_manager,
        primary_engineer=primary_engineer,
    )


def answer_problems(values: Values, option: str, catalog: Catalog) -> list[str]:
    """What is wrong with the value given for ``option``, the others being as they are."""
    try:
        read_deal(values, catalog)
    except DealInvalid as exc:
        return [p.message for p in exc.problems if p.option == option]
    return []


def _unique(problems: list[Problem]) -> list[Problem]:
    seen: set[Problem] = set()
    out = []
    for problem in problems:
        if problem not in seen:
            seen.add(problem)
            out.append(problem)
    return out
