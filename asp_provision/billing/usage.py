"""Metered usage: reading a CSV of samples, and the overage of a period.

Metrics: ``active_seats``, ``bandwidth_mbps`` (5-minute samples) and ``storage_gb``.
Overage: seats above those sold at the period's peak, the 95th percentile of bandwidth
(nearest rank) above what was sold, and peak storage above the size sold.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from asp_provision.billing.money import decimal, rounded
from asp_provision.billing.pricing import Line, rate
from asp_provision.billing.terms import Billed
from asp_provision.csvrows import CsvRows
from asp_provision.errors import SourceError, UserError
from asp_provision.spec.catalog import Catalog

COLUMNS = ("customer", "metric", "timestamp", "value")
LIMITS: dict[str, Decimal] = {
    "active_seats": Decimal(1_000_000),
    "bandwidth_mbps": Decimal(10_000_000),
    "storage_gb": Decimal(100_000_000),
}
"""Each metric, with the largest value a sample may have."""
MAX_ERRORS = 20


class UsageInvalid(UserError):
    """Rows of a usage file that cannot be recorded; nothing of the file was."""

    def __init__(self, path: Path, problems: list[SourceError]) -> None:
        self.problems = problems
        shown = [str(p) for p in problems[:MAX_ERRORS]]
        if len(problems) > MAX_ERRORS:
            shown.append(f"... and {len(problems) - MAX_ERRORS} more")
        shown.append(f"{path}: nothing was imported; fix the rows above and import it again")
        super().__init__("\n".join(shown))


@dataclass(frozen=True, slots=True)
class Sample:
    """One usage sample, ready for the state."""

    customer: str
    metric: str
    at: int  # UTC epoch seconds
    value: str


def read_usage(path: Path, customers: set[str], now: dt.datetime | None = None) -> list[Sample]:
    """Every sample of a usage CSV, or UsageInvalid naming each bad row and column."""
    moment = now or dt.datetime.now(dt.UTC)
    csv = CsvRows(path)
    if csv.empty:
        raise UserError(f"{path}: empty; expected the header {','.join(COLUMNS)}")
    header = [h.lower() for h in csv.header]
    if tuple(header) != COLUMNS:
        raise SourceError(
            f"the header must be {','.join(COLUMNS)} (found {','.join(header)})", path, 1, 1
        )
    problems: list[SourceError] = []

    def wrong_width(line: int, values: int) -> None:
        problems.append(SourceError(f"{values} values, expected {len(COLUMNS)}", path, line, 1))

    out: list[Sample] = []
    for row in csv.rows(wrong_width):
        sample, bad = _sample(row.cells, customers, moment)
        if bad is not None:
            index, message = bad
            problems.append(SourceError(message, path, row.line, row.column(index), COLUMNS[index]))
        elif sample is not None:
            out.append(sample)
    if problems:
        raise UsageInvalid(path, problems)
    return out


def _sample(
    cells: list[str], customers: set[str], now: dt.datetime
) -> tuple[Sample | None, tuple[int, str] | None]:
    customer, metric, stamp, value = (c.strip() for c in cells)
    if customer not in customers:
        return None, (0, f"unknown customer '{customer}' (not in the state: apply it first)")
    if metric not in LIMITS:
        return None, (1, f"unknown metric '{metric}'; expected {', '.join(LIMITS)}")
    try:
        at = dt.datetime.fromisoformat(stamp)
    except ValueError:
        return None, (2, f"'{stamp}' is not an ISO 8601 time such as 2026-12-01T10:05:00Z")
    if at.tzinfo is None:
        return None, (2, f"'{stamp}' has no UTC offset; add one (Z or +01:00)")
    if at > now:
        return None, (2, f"'{stamp}' is in the future")
    try:
        amount = Decimal(value)
    except InvalidOperation:
        return None, (3, f"'{value}' is not a number")
    if not amount.is_finite() or amount < 0:
        return None, (3, f"'{value}' must be zero or more")
    if amount > LIMITS[metric]:
        return None, (3, f"{value} is not a believable {metric} (at most {LIMITS[metric]})")
    if metric == "active_seats" and amount != amount.to_integral_value():
        return None, (3, f"{value} seats: a whole number is expected")
    return Sample(customer, metric, int(at.timestamp()), str(amount.normalize())), None


@dataclass(frozen=True, slots=True)
class Usage:
    """A period's usage: peaks and the 95th percentile of bandwidth (None: no samples)."""

    peak_seats: Decimal | None = None
    bandwidth_p95: Decimal | None = None
    peak_storage_gb: Decimal | None = None


def p95(values: list[Decimal]) -> Decimal | None:
    """The 95th percentile by nearest rank: the ceil(0.95 x n)-th smallest value."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[math.ceil(Decimal("0.95") * len(ordered)) - 1]


def summarise(samples: Iterable[tuple[str, str]]) -> Usage:
    """The usage of a period from its (metric, value) samples."""
    seats: Decimal | None = None
    storage: Decimal | None = None
    bandwidth: list[Decimal] = []
    for metric, text in samples:
        value = Decimal(text)
        if metric == "active_seats":
            seats = value if seats is None else max(seats, value)
        elif metric == "storage_gb":
            storage = value if storage is None else max(storage, value)
        elif metric == "bandwidth_mbps":
            bandwidth.append(value)
    return Usage(seats, p95(bandwidth), storage)


def overage(usage: Usage, terms: Billed, catalog: Catalog) -> list[Line]:
    """Overage lines of a period, by the catalog's rules, in the terms' currency."""
    rules = catalog.pricing.overage
    prices = catalog.tiers[terms.tier].prices
    cur = terms.currency
    fx = rate(catalog, cur)
    out: list[Line] = []

    def line(code: str, what: str, above: Decimal | None, unit: Decimal) -> None:
        if above is not None and above > 0:
            price = rounded(unit, cur)
            out.append(Line(code, what, above, price, rounded(above * unit, cur)))

    seats_above = usage.peak_seats - terms.seats if usage.peak_seats is not None else None
    line(
        "overage-seats",
        f"Seats above {terms.seats} at the peak ({usage.peak_seats})",
        seats_above,
        decimal(prices.per_seat) * fx * rules.seats_factor,
    )
    bw = usage.bandwidth_p95
    line(
        "overage-bandwidth",
        f"Bandwidth above {terms.bandwidth_mbps} Mbps at the 95th percentile ({bw} Mbps)",
        bw - terms.bandwidth_mbps if bw is not None else None,
        decimal(prices.per_mbps) * fx * rules.bandwidth_factor,
    )
    gb = usage.peak_storage_gb
    line(
        "overage-storage",
        f"Storage above {terms.storage_gb} GB at the peak ({gb} GB)",
        gb - terms.storage_gb if gb is not None else None,
        rules.storage_per_gb * fx,
    )
    return out
