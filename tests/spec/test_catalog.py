"""The catalog: the default's numbers are part of the contract; a broken file says where."""

from __future__ import annotations

from pathlib import Path

import pytest

from asp_provision.errors import CatalogError
from asp_provision.plan.steps import STEPS
from asp_provision.spec.catalog import Catalog, default_catalog_text, load_catalog
from tests.spec.helpers import ROOT

# DESIGN.md section 4, row by row:
# tier, response min, resolution h, hours, availability, channels, tenancy, base, seat, Mbps
TIERS = [
    ("silver", 240, 24, "business", 99.5, ["email", "portal"], ["shared"], 500, 12, 2),
    (
        "gold",
        30,
        4,
        "24x7",
        99.9,
        ["phone", "email", "portal"],
        ["shared", "dedicated"],
        1500,
        20,
        3,
    ),
    (
        "platinum",
        5,
        1,
        "24x7",
        99.95,
        ["phone", "email", "portal", "chat"],
        ["dedicated"],
        4000,
        35,
        4,
    ),
]

APPLICATIONS = {
    "hosted-email": (["4.2", "4.3"], ["standard", "enterprise"], ["postgresql", "redis"]),
    "crm-suite": (["2024.1", "2024.2"], ["standard", "enterprise"], ["postgresql"]),
    "erp-core": (["10.4", "11.0"], ["standard", "enterprise"], ["postgresql", "redis"]),
}

CATALOGS = {
    "built-in": None,
    "workspace": ROOT / "catalog.yaml",
}


@pytest.fixture(params=sorted(CATALOGS), ids=sorted(CATALOGS))
def catalog(request: pytest.FixtureRequest) -> Catalog:
    """The catalog shipped in the package, and the one at the root of this workspace."""
    return load_catalog(CATALOGS[request.param])


@pytest.mark.parametrize("row", TIERS, ids=[row[0] for row in TIERS])
def test_tier_numbers_match_the_design(catalog: Catalog, row: tuple[object, ...]) -> None:
    name, response, resolution, hours, availability, channels, tenancy, base, seat, mbps = row
    tier = catalog.tiers[str(name)]
    assert tier.response_minutes == response
    assert tier.resolution_hours == resolution
    assert tier.support_hours == hours
    assert tier.availability_pct == availability
    assert tier.channels == channels
    assert tier.tenancy == tenancy
    assert (tier.prices.base, tier.prices.per_seat, tier.prices.per_mbps) == (base, seat, mbps)


def test_exactly_the_designed_tiers_from_least_to_most_promising(catalog: Catalog) -> None:
    assert catalog.tier_names() == ["silver", "gold", "platinum"]


@pytest.mark.parametrize("name", [row[0] for row in TIERS])
def test_every_tier_states_what_support_includes_and_excludes(catalog: Catalog, name: str) -> None:
    scope = catalog.tiers[name].support
    assert scope.included
    assert scope.excluded
    for item in [*scope.included, *scope.excluded]:
        assert item.strip(), f"{name} has an empty support line"
    assert not set(scope.included) & set(scope.excluded)


def test_applications_match_the_design(catalog: Catalog) -> None:
    assert set(catalog.applications) == set(APPLICATIONS)
    for name, (versions, editions, middleware) in APPLICATIONS.items():
        offer = catalog.applications[name]
        assert offer.versions == versions, name
        assert offer.editions == editions, name
        assert offer.middleware == middleware, name


def test_every_application_has_sizing_rules(catalog: Catalog) -> None:
    for name, offer in catalog.applications.items():
        sizing = offer.sizing
        assert sizing.seats_per_app_core > 0, name
        assert sizing.storage_gb_per_seat > 0, name
        assert sizing.min_app_servers >= 1, name


def test_the_base_currency_is_usd(catalog: Catalog) -> None:
    assert catalog.currencies["USD"] == 1


def test_every_step_has_an_effort(catalog: Catalog) -> None:
    assert set(catalog.effort) == set(STEPS)


def test_the_workspace_catalog_is_the_built_in_one() -> None:
    # `init` copies the built-in catalog; this repository is a workspace made that way
    assert (ROOT / "catalog.yaml").read_text(encoding="utf-8") == default_catalog_text()


# A broken catalog file ----------------------------------------------------------------


def _broken(tmp_path: Path, old: str, new: str) -> Path:
    text = default_catalog_text()
    assert old in text
    path = tmp_path / "catalog.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def _line_of(path: Path, needle: str) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if needle in line:
            return number
    raise AssertionError(needle)


def test_a_wrong_value_names_the_file_line_and_field(tmp_path: Path) -> None:
    path = _broken(tmp_path, "response_minutes: 30", "response_minutes: soon")
    with pytest.raises(CatalogError) as caught:
        load_catalog(path)
    err = caught.value
    line = _line_of(path, "response_minutes: soon")
    assert (err.path, err.line, err.column) == (str(path), line, 5)
    assert err.field == "tiers.gold.response_minutes"
    assert str(err).startswith(f"{path}:{line}:5: tiers.gold.response_minutes: ")
    assert "integer" in err.message


def test_a_missing_field_points_at_its_parent(tmp_path: Path) -> None:
    path = _broken(tmp_path, "    resolution_hours: 1\n", "")
    with pytest.raises(CatalogError) as caught:
        load_catalog(path)
    err = caught.value
    assert err.field == "tiers.platinum.resolution_hours"
    assert err.line == _line_of(path, "  platinum:")
    assert err.message == "Field required"


def test_an_unknown_key_is_refused(tmp_path: Path) -> None:
    path = _broken(tmp_path, "    response_minutes: 240", "    respones_minutes: 240")
    with pytest.raises(CatalogError) as caught:
        load_catalog(path)
    err = caught.value
    assert err.path == str(path)
    assert err.line is not None
    assert err.field is not None and err.field.startswith("tiers.silver.")


def test_a_yaml_error_names_the_file_and_line(tmp_path: Path) -> None:
    path = _broken(tmp_path, "    support_hours: 24x7\n", "    support_hours: 24x7\n\tbad: tab\n")
    with pytest.raises(CatalogError) as caught:
        load_catalog(path)
    err = caught.value
    assert (err.path, err.line) == (str(path), _line_of(path, "\tbad: tab"))
    assert str(err).startswith(f"{path}:{err.line}:")


def test_a_duplicate_key_names_the_second_one(tmp_path: Path) -> None:
    path = _broken(tmp_path, "  gold:\n", "  silver: {}\n  gold:\n")
    with pytest.raises(CatalogError) as caught:
        load_catalog(path)
    err = caught.value
    assert (err.line, err.field) == (_line_of(path, "  silver: {}"), "tiers.silver")
    assert "duplicate key 'silver'" in err.message


def test_a_missing_catalog_file_is_a_catalog_error(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.yaml"
    with pytest.raises(CatalogError) as caught:
        load_catalog(path)
    assert caught.value.path == str(path)
    assert caught.value.message.startswith("cannot read the file")


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "zones: [zone-a, zone-b, zone-c]",
            "zones: [zone-a]",
            "tiers.platinum.high_availability.min_zones is 2, but the catalog has 1 zone(s)",
        ),
        ("zones: [zone-a, zone-b, zone-c]", "zones: [zone-a, zone-a]", "each zone is listed once"),
        ("zones: [zone-a, zone-b, zone-c]", "zones: [Zone A, zone-b]", "should match pattern"),
    ],
)
def test_zones_that_cannot_hold_a_tiers_rule_are_refused(
    tmp_path: Path, old: str, new: str, message: str
) -> None:
    path = _broken(tmp_path, old, new)
    with pytest.raises(CatalogError) as caught:
        load_catalog(path)
    assert message in str(caught.value)
    assert caught.value.line is not None
