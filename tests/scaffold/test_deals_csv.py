"""`new --from-csv`: every row checked first; one bad row and nothing is written."""

from __future__ import annotations

from pathlib import Path

import pytest

from asp_provision.errors import SourceError, UserError
from asp_provision.scaffold.deals import (
    DealsInvalid,
    DealSpecs,
    column_name,
    make_specs,
    read_deals,
    write_specs,
)
from asp_provision.spec.batch import validate_files
from tests.scaffold.helpers import COLUMNS, TEMPLATES, csv_row, write_csv


def make(path: Path, specs: Path, force: bool = False) -> DealSpecs:
    return make_specs(read_deals(path), specs, TEMPLATES, None, force)


def invalid(path: Path, specs: Path, force: bool = False) -> DealsInvalid:
    with pytest.raises(DealsInvalid) as caught:
        make(path, specs, force)
    return caught.value


def test_200_deals_make_200_valid_specs(tmp_path: Path) -> None:
    deals = write_csv(tmp_path / "deals.csv", [csv_row(i) for i in range(200)])
    specs = tmp_path / "specs"
    made = make(deals, specs)
    assert made.warnings == ()
    write_specs(made.specs)
    files = sorted(specs.glob("*.yaml"))
    assert len(files) == 200
    report = validate_files(files, None)
    assert (report.errors, report.warnings) == (0, 0)
    assert [f.customer for f in report.files] == [f"customer-{i:04d}" for i in range(200)]


def test_three_bad_rows_write_nothing_and_are_all_reported(tmp_path: Path) -> None:
    rows = [csv_row(i) for i in range(200)]
    rows[9]["tier"] = "bronze"
    rows[99]["contact-email"] = "billing@example.invalid"
    rows[150]["seats"] = "many"
    deals = write_csv(tmp_path / "DEALS.csv", rows)
    specs = tmp_path / "specs"
    error = invalid(deals, specs)
    assert [str(p) for p in error.problems] == [
        f"{deals}:11: tier: unknown tier 'bronze'; the catalog offers silver, gold, platinum",
        f"{deals}:101: contact-email: 'billing@example.invalid' uses a reserved domain that "
        "can never receive mail",
        f"{deals}:152: seats: 'many' is not a whole number",
    ]
    assert error.summary == f"3 of 200 deals in {deals} are invalid; no spec was written"
    assert str(error).splitlines()[-1] == error.summary
    assert not specs.exists()


def test_every_problem_of_a_row_is_reported(tmp_path: Path) -> None:
    row = csv_row(1, tier="", seats="0", domain="-bad-", **{"start-date": "1/12/2026"})
    deals = write_csv(tmp_path / "deals.csv", [row])
    assert [(p.line, p.field) for p in invalid(deals, tmp_path).problems] == [
        (2, "tier"),
        (2, "seats"),
        (2, "domain"),
        (2, "start-date"),
    ]


def test_rules_across_columns_are_reported_against_a_column(tmp_path: Path) -> None:
    row = csv_row(0, seats="1", admin="ann:ann@x.example bob:bob@x.example")
    deals = write_csv(tmp_path / "deals.csv", [row])
    (problem,) = invalid(deals, tmp_path).problems
    assert str(problem) == f"{deals}:2: seats: 1 seats is fewer than the 2 users listed"


def test_the_same_customer_twice_is_an_error_on_the_second(tmp_path: Path) -> None:
    deals = write_csv(tmp_path / "deals.csv", [csv_row(1), csv_row(2), csv_row(1)])
    (problem,) = invalid(deals, tmp_path).problems
    assert str(problem) == f"{deals}:4: customer: 'customer-0001' is already the customer of line 2"


def test_existing_specs_are_kept_unless_forced(tmp_path: Path) -> None:
    specs = tmp_path / "specs"
    specs.mkdir()
    (specs / "customer-0001.yaml").write_text("mine\n")
    deals = write_csv(tmp_path / "deals.csv", [csv_row(0), csv_row(1)])
    (problem,) = invalid(deals, specs).problems
    assert (problem.line, problem.field) == (3, "customer")
    assert problem.message.endswith("customer-0001.yaml already exists; pass --force to replace it")
    assert (specs / "customer-0001.yaml").read_text() == "mine\n"
    assert not (specs / "customer-0000.yaml").exists()
    made = make(deals, specs, force=True)
    write_specs(made.specs, force=True)
    assert (specs / "customer-0001.yaml").read_text().startswith("# yaml-language-server")


def test_warnings_are_located_like_errors(tmp_path: Path) -> None:
    deals = write_csv(tmp_path / "deals.csv", [csv_row(1, **{"allow-from": ""})])
    made = make(deals, tmp_path)
    (warning,) = made.warnings
    assert (warning.path, warning.line, warning.field) == (str(deals), 2, "allow-from")
    assert "0.0.0.0/0 allows the whole internet" in warning.message


# --- the file itself ----------------------------------------------------------------


def test_header_names_are_forgiving_and_reported_as_written(tmp_path: Path) -> None:
    assert column_name(" Contact_Email ") == "contact-email"
    assert column_name("Start Date") == "start-date"
    columns = [c.upper().replace("-", "_") for c in COLUMNS]
    rows = [{c.upper().replace("-", "_"): v for c, v in csv_row(1, tier="gld").items()}]
    deals = write_csv(tmp_path / "deals.csv", rows, columns)
    (problem,) = invalid(deals, tmp_path).problems
    assert problem.field == "TIER"


def test_columns_may_be_in_any_order_and_optional_ones_left_out(tmp_path: Path) -> None:
    required = [
        "country",
        "start-date",
        "contact-email",
        "contact-name",
        "domain",
        "bandwidth",
        "seats",
        "app",
        "tier",
        "name",
        "customer",
        "service-manager",  # required for the gold tier of this row
    ]
    deals = write_csv(tmp_path / "deals.csv", [csv_row(1)], required)
    (spec,) = make(deals, tmp_path).specs
    assert spec.customer == "customer-0001"


def test_unknown_and_missing_columns_are_reported_on_the_header(tmp_path: Path) -> None:
    columns = [c for c in COLUMNS if c != "tier"] + ["bandwith"]
    path = tmp_path / "deals.csv"
    path.write_text(",".join(columns) + "\n" + ",".join("x" for _ in columns) + "\n")
    error = invalid(path, tmp_path)
    assert [str(p) for p in error.problems] == [
        f"{path}:1: bandwith: unknown column; did you mean 'bandwidth'?",
        f"{path}:1: tier: a required column is missing",
    ]
    assert error.summary == f"{path} cannot be read as deals; no spec was written"


def test_semicolons_a_bom_blank_lines_and_quoted_line_breaks(tmp_path: Path) -> None:
    rows = [csv_row(1, name="Line one\nline two"), csv_row(2, name="Semi; colon")]
    text = ";".join(COLUMNS) + "\r\n"
    for row in rows:
        cells = [row[c] for c in COLUMNS]
        text += ";".join(f'"{c}"' if ";" in c or "\n" in c else c for c in cells) + "\r\n\r\n"
    rows_bad = csv_row(3, seats="x")
    text += ";".join(rows_bad[c] for c in COLUMNS) + "\r\n"
    path = tmp_path / "deals.csv"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode())
    # the first deal spans lines 2-3, a blank line follows each: the bad one is on line 7;
    # a name is one line of text, so the first deal is refused too, at its first line
    problems = invalid(path, tmp_path).problems
    assert [(p.line, p.field) for p in problems] == [(2, "name"), (7, "seats")]
    assert "contains a line break" in str(problems[0])


def test_a_row_with_too_many_values(tmp_path: Path) -> None:
    path = tmp_path / "deals.csv"
    row = csv_row(1)
    path.write_text(",".join(COLUMNS) + "\n" + ",".join(row[c] for c in COLUMNS) + ",extra\n")
    (problem,) = invalid(path, tmp_path).problems
    assert str(problem) == f"{path}:2: 25 values, but the header has 24 columns"


def test_a_file_with_no_deals(tmp_path: Path) -> None:
    path = tmp_path / "deals.csv"
    path.write_text(",".join(COLUMNS) + "\n")
    with pytest.raises(UserError, match="has a header but no deals"):
        read_deals(path)
    path.write_text("")
    with pytest.raises(DealsInvalid):
        read_deals(path)


def test_a_file_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "deals.csv"
    path.write_bytes(",".join(COLUMNS).encode() + b"\n\xff\xfe\n")
    with pytest.raises(SourceError, match="not UTF-8"):
        read_deals(path)


def test_a_broken_template_stops_the_batch_with_its_location(tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "spec.yaml.j2").write_text("a: {{ deal.customer }}\nb: {{ deal.nope }}\n")
    deals = write_csv(tmp_path / "deals.csv", [csv_row(i) for i in range(60)])
    with pytest.raises(SourceError) as caught:
        make_specs(read_deals(deals), tmp_path / "specs", templates, None)
    assert (caught.value.path, caught.value.line) == (str(templates / "spec.yaml.j2"), 2)


def test_the_csv_columns_are_the_documented_ones() -> None:
    from asp_provision.scaffold.deal import OPTION_NAMES

    # the README lists these header names; a change here is a change of the file format
    assert OPTION_NAMES == (
        "customer", "name", "tier", "app", "version", "edition", "seats", "bandwidth",
        "connection", "provider", "domain", "allow-from", "contact-name", "contact-email",
        "start-date", "country", "go-live", "admin", "currency", "cycle", "timezone", "holidays",
        "service-manager", "primary-engineer",
    )  # fmt: skip
