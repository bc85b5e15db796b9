"""The JSON Schema that editors use and `validate` give the same verdict on structure.

A JSON Schema validator (the ``jsonschema`` library, as editors use) runs over every
corpus case whose problem the schema can state: types, required and unknown fields,
bounds, patterns, enumerations and formats. Rules that need several fields, the catalog
or more than a pattern (a CIDR's host bits, a reserved e-mail domain, control
characters) are validate's alone, and their cases are left out.
"""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from asp_provision.spec.loader import load_file
from tests.cli.helpers import ROOT
from tests.spec.helpers import CORPUS, check
from tests.spec.test_corpus import expectations

STRUCTURAL_CODES = frozenset(
    {"unknown-field", "missing-field", "type-error", "yaml-type", "not-a-mapping"}
)
"""Problems of structure: the schema states each of them."""

STATED_BY_THE_SCHEMA = frozenset(
    {
        "bad-currency",  # enum
        "bad-domain",  # pattern
        "bad-email",  # format
        "cidr-without-prefix",  # pattern
        "cidr-scope-id",  # pattern
        "invalid-date",  # format
        "label-reserved-unsafe-key",  # propertyNames
        "label-reserved-vault-key",
        "literal-client-secret",  # pattern
        "literal-client-secret-number",  # type
        "records-beyond-bound",  # maximum
        "records-past-any-float",
        "response-minutes-beyond-bound",
    }
)
"""Invalid values whose rule the schema states as well."""


def _structural(path: Path) -> bool:
    expected = expectations(path)
    if path.stem in STATED_BY_THE_SCHEMA:
        return True
    errors = [e for e in expected if e.severity == "error"]
    return all(e.code in STRUCTURAL_CODES for e in errors)


CASES = [p for p in sorted(CORPUS.glob("*.yaml")) if load_file(p).data is not None]
STRUCTURAL = [p for p in CASES if _structural(p)]


@pytest.fixture(scope="module")
def validator() -> jsonschema.protocols.Validator:
    schema = json.loads((ROOT / "schema" / "subscription.schema.json").read_text())
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)  # type: ignore[no-any-return]


def test_the_structural_cases_cover_each_kind() -> None:
    names = {p.stem for p in STRUCTURAL}
    assert len(STRUCTURAL) >= 25
    assert names >= STATED_BY_THE_SCHEMA
    for wanted in ("bandwidth-as-text", "wrong-type-bandwidth", "valid-utf8-bom"):
        assert wanted in names


@pytest.mark.parametrize("path", STRUCTURAL, ids=[p.name for p in STRUCTURAL])
def test_the_schema_and_validate_agree(
    path: Path, validator: jsonschema.protocols.Validator
) -> None:
    ours = check(path).valid
    problems = [e.message for e in validator.iter_errors(load_file(path).data)]
    assert (not problems) == ours, (
        f"validate says {'valid' if ours else 'invalid'}, the schema says {problems or 'valid'}"
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [
        (("spec", "network", "bandwidth_mbps"), "100"),
        (("spec", "billing", "seats"), "50"),
        (("spec", "sla", "availability_pct"), "99.9"),
        (("spec", "security", "password_policy", "require_mfa"), "true"),
        (("spec", "servers", "pools", 0, "count"), 2.5),
    ],
)
def test_numbers_and_booleans_written_as_text_are_refused_by_both(
    field: tuple[str | int, ...], value: object, validator: jsonschema.protocols.Validator
) -> None:
    from asp_provision.spec.catalog import load_catalog
    from asp_provision.spec.check import check_document
    from asp_provision.spec.loader import Document

    data = load_file(ROOT / "specs" / "acme-corp.yaml").data
    node = data
    for part in field[:-1]:
        node = node[part]
    node[field[-1]] = value
    result = check_document(Document("<test>", data=data), load_catalog(None))
    assert [d.code for d in result.diagnostics] == ["type-error"]
    assert not validator.is_valid(data)
