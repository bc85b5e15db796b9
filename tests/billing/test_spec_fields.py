"""The billing fields of a spec: country (required), tax_id, term_months."""

from __future__ import annotations

from pathlib import Path

from tests.spec.helpers import check, example, position_of, shown, write_spec


def test_a_spec_without_country_says_what_to_add(tmp_path: Path) -> None:
    path = write_spec(tmp_path, example("acme-corp"), lambda d: d["spec"]["billing"].pop("country"))
    (d,) = check(path).diagnostics
    assert (d.code, d.field) == ("missing-field", "spec.billing.country"), shown([d])
    assert "add the customer's country as an ISO 3166 code under billing" in d.message
    assert "country: SE" in d.message
    assert (d.line, d.column) == position_of(path, "billing:")


def test_an_unknown_country_code_is_refused(tmp_path: Path) -> None:
    path = write_spec(
        tmp_path, example("acme-corp"), lambda d: d["spec"]["billing"].update(country="XX")
    )
    (d,) = check(path).diagnostics
    assert (d.code, d.field) == ("invalid-value", "spec.billing.country"), shown([d])
    assert "'XX' is not an ISO 3166 alpha-2 country code" in d.message


def test_a_country_without_a_tax_rate_in_the_catalog_is_refused(tmp_path: Path) -> None:
    path = write_spec(
        tmp_path, example("acme-corp"), lambda d: d["spec"]["billing"].update(country="BR")
    )
    (d,) = check(path).diagnostics
    assert d.code == "country-not-taxed", shown([d])
    assert "no tax rate for BR" in d.message


def test_term_months_is_one_of_the_offered_terms(tmp_path: Path) -> None:
    path = write_spec(
        tmp_path, example("acme-corp"), lambda d: d["spec"]["billing"].update(term_months=6)
    )
    (d,) = check(path).diagnostics
    assert d.field == "spec.billing.term_months", shown([d])


def test_term_and_tax_id_are_optional(tmp_path: Path) -> None:
    path = write_spec(
        tmp_path,
        example("acme-corp"),
        lambda d: d["spec"]["billing"].update(term_months=36, tax_id="DE123456789"),
    )
    assert check(path).diagnostics == []
