"""What customers may not share, checked across the specs of a run (and the state's).

- a domain (``network.domain``) belongs to one customer: ``duplicate-domain``;
- a billing account (``billing.account_id``) may hold several subscriptions only with the
  same currency, cycle and contact: ``account-conflict``;
- the servers of a spec must fit a customer's subnet: ``subnet-too-small``.

The error goes on the later file, at its own field, and names the other file, line and
column (or the state, for a customer whose spec is not among the files).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any, NamedTuple

from asp_provision.errors import position
from asp_provision.spec.diagnostics import Diagnostic, Path_

# the records below are named tuples: immutable, and much cheaper to define at start-up
# than dataclasses, on the path of every validate

if TYPE_CHECKING:
    from asp_provision.spec.check import CheckedSpec

DOMAIN: Path_ = ("spec", "network", "domain")
ACCOUNT: Path_ = ("spec", "billing", "account_id")
POOLS: Path_ = ("spec", "servers", "pools")

Position = tuple[int | None, int | None]


class Terms(NamedTuple):
    """What one account's subscriptions must agree on."""

    currency: Any
    cycle: Any
    contact_name: Any
    contact_email: Any

    def differences(self, other: Terms) -> list[str]:
        """The terms that differ, as ``currency USD``-style phrases of ``other``."""
        out = []
        if self.currency != other.currency:
            out.append(f"currency {other.currency}")
        if self.cycle != other.cycle:
            out.append(f"cycle {other.cycle}")
        if (self.contact_name, self.contact_email) != (other.contact_name, other.contact_email):
            out.append(f"contact {other.contact_name} <{other.contact_email}>")
        return out


class Claims(NamedTuple):
    """What one spec claims that another may not, with where it says so."""

    domain: str | None = None
    domain_at: Position = (None, None)
    account: str | None = None
    account_at: Position = (None, None)
    terms: Terms | None = None
    servers: int | None = None
    pools_at: Position = (None, None)


def _get(data: Any, path: Path_) -> Any:
    for part in path:
        if not isinstance(data, dict):
            return None
        data = data.get(part)
    return data


def claims_of(data: Any, locate: Callable[[Path_], Position] | None = None) -> Claims:
    """The claims of a spec's values (as loaded, or as recorded in the state)."""

    def at(path: Path_) -> Position:
        return locate(path) if locate is not None else (None, None)

    domain = _get(data, DOMAIN)
    account = _get(data, ACCOUNT)
    billing = _get(data, ("spec", "billing"))
    terms = None
    if isinstance(account, str) and isinstance(billing, dict):
        contact = billing.get("contact")
        contact = contact if isinstance(contact, dict) else {}
        terms = Terms(
            billing.get("currency"), billing.get("cycle"), contact.get("name"), contact.get("email")
        )
    pools = _get(data, POOLS)
    servers = None
    if isinstance(pools, list):
        counts: list[Any] = [p.get("count") for p in pools if isinstance(p, dict)]
        if all(isinstance(c, int) and not isinstance(c, bool) for c in counts):
            servers = sum(counts)
    return Claims(
        domain=domain.lower().rstrip(".") if isinstance(domain, str) else None,
        domain_at=at(DOMAIN),
        account=account if isinstance(account, str) else None,
        account_at=at(ACCOUNT),
        terms=terms,
        servers=servers,
        pools_at=at(POOLS),
    )


class _Holder(NamedTuple):
    customer: str
    where: str  # "specs/a.yaml:12:13", or "the state .asp/state.db"
    claims: Claims


class Taken:
    """What customers already hold: each domain and billing account, with where it is said.

    The first to claim a domain or an account holds it; a later claim by another customer
    is a problem. ``check_across`` uses it over a run's files; ``new`` over a workspace.
    """

    def __init__(self) -> None:
        self.domains: dict[str, _Holder] = {}
        self.accounts: dict[str, _Holder] = {}

    def hold(self, customer: str, where: str, claims: Claims, account_where: str = "") -> None:
        """Record ``customer``'s claims, said at ``where`` (its account at ``account_where``)."""
        if claims.domain is not None:
            self.domains.setdefault(claims.domain, _Holder(customer, where, claims))
        if claims.account is not None and claims.terms is not None:
            holder = _Holder(customer, account_where or where, claims)
            self.accounts.setdefault(claims.account, holder)

    def hold_file(self, customer: str, path: str, claims: Claims) -> None:
        """Record the claims a spec file at ``path`` makes, each at its own line and column."""
        self.hold(
            customer,
            position(path, *claims.domain_at),
            claims,
            position(path, *claims.account_at),
        )

    def hold_recorded(
        self, recorded: Mapping[str, Any], state: str, but: Iterable[str] = ()
    ) -> None:
        """The claims of customers recorded in ``state`` (those in ``but`` aside)."""
        skip = set(but)
        for customer, spec in sorted(recorded.items()):
            if customer not in skip:
                self.hold(customer, f"applied, in {state}", claims_of(spec))

    def conflicts(
        self, customer: str, claims: Claims, capacity: int | None = None
    ) -> list[Diagnostic]:
        """What is wrong with ``customer`` claiming ``claims`` beside what is held."""
        return list(_problems(customer, claims, self.domains, self.accounts, capacity))


def check_across(
    results: list[CheckedSpec],
    capacity: int | None = None,
    recorded: Mapping[str, Any] | None = None,
    state: str = "the state",
) -> list[CheckedSpec]:
    """``results`` with the errors of what they share added.

    ``capacity``: servers a customer's subnet holds. ``recorded``: customer -> the spec
    recorded in ``state``, for customers whose spec is not among ``results``.
    """
    taken = Taken()
    taken.hold_recorded(recorded or {}, state, but=(r.customer for r in results if r.customer))
    out = []
    for result in results:
        claims = result.claims
        if claims is None or result.customer is None:
            out.append(result)
            continue
        found = taken.conflicts(result.customer, claims, capacity)
        taken.hold_file(result.customer, result.path, claims)
        if found:
            result = replace(
                result,
                subscription=None,
                data=None,
                diagnostics=sorted([*result.diagnostics, *found], key=Diagnostic.sort_key),
            )
        out.append(result)
    return out


def _problems(
    customer: str,
    claims: Claims,
    domains: Mapping[str, _Holder],
    accounts: Mapping[str, _Holder],
    capacity: int | None,
) -> Iterable[Diagnostic]:
    if claims.domain is not None:
        first = domains.get(claims.domain)
        if first is not None and first.customer != customer:
            yield Diagnostic(
                "error",
                "duplicate-domain",
                DOMAIN,
                *claims.domain_at,
                f"domain '{claims.domain}' is already {first.customer}'s ({first.where}); "
                "a domain belongs to one customer",
            )
    if claims.account is not None and claims.terms is not None:
        first = accounts.get(claims.account)
        if first is not None and first.customer != customer and first.claims.terms is not None:
            differ = claims.terms.differences(first.claims.terms)
            if differ:
                yield Diagnostic(
                    "error",
                    "account-conflict",
                    ACCOUNT,
                    *claims.account_at,
                    f"billing account '{claims.account}' is also {first.customer}'s "
                    f"({first.where}) with {', '.join(differ)}; one account holds several "
                    "subscriptions only with the same currency, cycle and contact",
                )
    if capacity is not None and claims.servers is not None and claims.servers > capacity:
        yield Diagnostic(
            "error",
            "subnet-too-small",
            POOLS,
            *claims.pools_at,
            f"the pools ask for {claims.servers} servers, but a customer's subnet holds "
            f"at most {capacity} (subnet_prefix in asp-provision.toml)",
        )
