"""What is billed of a subscription: the values an invoice needs, kept in the ledger.

A change of any of them is recorded with the date it takes effect, so a period is
billed by what held on each of its days even after the spec has changed again.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass, fields
from typing import Any

from asp_provision.spec.models import Subscription


@dataclass(frozen=True, slots=True)
class Billed:
    """A subscription's billed terms, as of one day."""

    customer: str
    name: str
    tier: str
    seats: int
    bandwidth_mbps: int
    storage_gb: int
    currency: str
    cycle: str
    account: str
    country: str
    tax_id: str | None
    start_date: dt.date
    term_months: int
    contact_name: str
    contact_email: str
    po_number: str | None

    @classmethod
    def of(cls, sub: Subscription) -> Billed:
        """The billed terms of a spec."""
        s = sub.spec
        b = s.billing
        return cls(
            customer=sub.customer,
            name=sub.metadata.name,
            tier=s.tier,
            seats=b.seats,
            bandwidth_mbps=s.network.bandwidth_mbps,
            storage_gb=s.platform.storage.size_gb,
            currency=b.currency,
            cycle=b.cycle,
            account=b.account_id,
            country=b.country,
            tax_id=b.tax_id,
            start_date=b.start_date,
            term_months=b.term_months,
            contact_name=b.contact.name,
            contact_email=str(b.contact.email),
            po_number=b.po_number,
        )

    def to_json(self) -> str:
        """The terms as the ledger keeps them."""
        data = asdict(self)
        data["start_date"] = self.start_date.isoformat()
        return json.dumps(data, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Billed:
        """Terms read back from the ledger."""
        data: dict[str, Any] = json.loads(text)
        known = {f.name for f in fields(cls)}
        data = {k: v for k, v in data.items() if k in known}
        data["start_date"] = dt.date.fromisoformat(data["start_date"])
        return cls(**data)

    def charged_alike(self, other: Billed | None) -> bool:
        """True when ``other`` bills the same (a contact's new e-mail is no change)."""
        return other is not None and self == other

    def renewal(self) -> dt.date:
        """The end of the current term: start_date + whole terms, the first one still ahead."""
        return renewal_date(self.start_date, self.term_months, dt.date.today())


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` moved by ``months``, kept within the month (Jan 31 + 1 = Feb 28)."""
    import calendar

    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def renewal_date(start: dt.date, term_months: int, today: dt.date) -> dt.date:
    """The first end of a term after ``today`` (the contract renews for another term)."""
    terms = 1
    while add_months(start, terms * term_months) <= today:
        terms += 1
    return add_months(start, terms * term_months)


def months_remaining(start: dt.date, term_months: int, day: dt.date) -> int:
    """Whole and part months from ``day`` to the end of the term in which it falls."""
    end = renewal_date(start, term_months, day)
    months = 0
    while add_months(day, months) < end:
        months += 1
    return months
