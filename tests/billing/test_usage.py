"""Usage: reading samples (all or nothing, located errors), p95 and overage."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from asp_provision.billing.usage import Usage, UsageInvalid, overage, p95, read_usage
from tests.billing.helpers import billed, catalog

HEADER = "customer,metric,timestamp,value\n"


def write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "usage.csv"
    path.write_text(HEADER + body, "utf-8")
    return path


def test_p95_is_the_nearest_rank() -> None:
    values = [Decimal(v) for v in range(1, 101)]  # 1..100: rank ceil(95) = 95
    assert p95(values) == Decimal(95)
    assert p95([Decimal(v) for v in range(1, 21)]) == Decimal(19)  # rank ceil(19) = 19
    assert p95([Decimal(v) for v in range(1, 22)]) == Decimal(20)  # rank ceil(19.95) = 20
    assert p95([Decimal(5)]) == Decimal(5)
    assert p95([]) is None


def test_p95_with_ties_at_the_rank() -> None:
    # 18 samples of 100, then two of 300: rank ceil(0.95 x 20) = 19 -> 300
    values = [Decimal(100)] * 18 + [Decimal(300)] * 2
    assert p95(values) == Decimal(300)
    # 19 of 100 and one burst of 500: the burst is the top 5 % and is not billed
    assert p95([Decimal(100)] * 19 + [Decimal(500)]) == Decimal(100)


def test_overage_of_seats_bandwidth_and_storage() -> None:
    usage = Usage(peak_seats=Decimal(60), bandwidth_p95=Decimal(120), peak_storage_gb=Decimal(1100))
    lines = {x.code: x for x in overage(usage, billed(), catalog())}
    # 10 seats x 20 x 1.25; 20 Mbps x 3 x 1.5; 100 GB x 0.10
    assert lines["overage-seats"].amount == Decimal("250.00")
    assert lines["overage-bandwidth"].amount == Decimal("90.00")
    assert lines["overage-storage"].amount == Decimal("10.00")
    assert lines["overage-seats"].unit_price == Decimal("25.00")


def test_usage_within_what_was_sold_costs_nothing() -> None:
    usage = Usage(peak_seats=Decimal(50), bandwidth_p95=Decimal(100), peak_storage_gb=Decimal(10))
    assert overage(usage, billed(), catalog()) == []


def test_rows_are_read_with_their_times_in_utc(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "acme-corp,active_seats,2026-03-01T10:00:00+01:00,42\n"
        "acme-corp,bandwidth_mbps,2026-03-01T09:05:00Z,87.5\n",
    )
    rows = read_usage(path, {"acme-corp"})
    at = int(dt.datetime(2026, 3, 1, 9, tzinfo=dt.UTC).timestamp())
    assert [(r.metric, r.at, r.value) for r in rows] == [
        ("active_seats", at, "42"),
        ("bandwidth_mbps", at + 300, "87.5"),
    ]


@pytest.mark.parametrize(
    ("row", "column", "message"),
    [
        ("nobody,active_seats,2026-03-01T10:00:00Z,1", 1, "unknown customer 'nobody'"),
        ("acme-corp,cpu,2026-03-01T10:00:00Z,1", 11, "unknown metric 'cpu'"),
        ("acme-corp,active_seats,yesterday,1", 24, "'yesterday' is not an ISO 8601 time"),
        ("acme-corp,active_seats,2026-03-01T10:00:00,1", 24, "has no UTC offset"),
        ("acme-corp,active_seats,2999-03-01T10:00:00Z,1", 24, "is in the future"),
        ("acme-corp,active_seats,2026-03-01T10:00:00Z,-3", 45, "'-3' must be zero or more"),
        ("acme-corp,active_seats,2026-03-01T10:00:00Z,ten", 45, "'ten' is not a number"),
        ("acme-corp,storage_gb,2026-03-01T10:00:00Z,1e12", 43, "not a believable storage_gb"),
        ("acme-corp,active_seats,2026-03-01T10:00:00Z,2.5", 45, "a whole number is expected"),
    ],
)
def test_a_bad_row_is_located_by_line_and_column(
    tmp_path: Path, row: str, column: int, message: str
) -> None:
    path = write(tmp_path, "acme-corp,active_seats,2026-03-01T09:00:00Z,40\n" + row + "\n")
    with pytest.raises(UsageInvalid) as caught:
        read_usage(path, {"acme-corp"})
    (problem,) = caught.value.problems
    assert (problem.line, problem.column) == (3, column)
    assert message in problem.message
    assert str(caught.value).startswith(f"{path}:3:{column}: ")
    assert "nothing was imported" in str(caught.value)


def test_a_wrong_header_is_refused(tmp_path: Path) -> None:
    from asp_provision.errors import SourceError

    path = tmp_path / "usage.csv"
    path.write_text("customer,metric,time,value\n", "utf-8")
    with pytest.raises(SourceError, match="the header must be customer,metric,timestamp,value"):
        read_usage(path, {"acme-corp"})
