"""The rules beyond types, one at a time: the field, the line and what the user reads.

Each test edits one of the example specs, writes it as YAML and checks it; the line and
column expected are where the field stands in the file written.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from asp_provision.spec.catalog import load_catalog
from asp_provision.spec.check import CheckedSpec
from asp_provision.spec.diagnostics import Diagnostic
from tests.spec.helpers import check, example, only, position_of, shown, write_spec

Edit = Callable[[dict[str, Any]], object]


def checked(tmp_path: Path, edit: Edit, source: str = "acme-corp") -> tuple[Path, CheckedSpec]:
    path = write_spec(tmp_path, example(source), edit)
    return path, check(path)


def spec(data: dict[str, Any]) -> dict[str, Any]:
    section: dict[str, Any] = data["spec"]
    return section


def assert_at(d: Diagnostic, path: Path, needle: str, nth: int = 1) -> None:
    """``d`` is reported where ``needle`` stands in the file."""
    assert (d.line, d.column) == position_of(path, needle, nth), shown([d])


@pytest.mark.parametrize("name", ["acme-corp", "globex-bank", "northwind-traders"])
def test_the_examples_pass_every_rule(tmp_path: Path, name: str) -> None:
    _, result = checked(tmp_path, lambda d: None, name)
    assert result.diagnostics == [], shown(result.diagnostics)
    assert result.subscription is not None


# tier -------------------------------------------------------------------------------


def test_unknown_tier(tmp_path: Path) -> None:
    path, result = checked(tmp_path, lambda d: spec(d).update(tier="golden"))
    d = only(result)
    assert (d.severity, d.code, d.field) == ("error", "unknown-tier", "spec.tier")
    assert_at(d, path, "tier: golden")
    assert d.message == (
        "unknown tier 'golden'; the catalog offers silver, gold, platinum; did you mean 'gold'?"
    )


# sla --------------------------------------------------------------------------------


def _silver_sla(**sla: Any) -> Edit:
    return lambda d: spec(d).update(sla=sla)


def test_sla_response_faster_than_the_tier_names_its_best(tmp_path: Path) -> None:
    path, result = checked(tmp_path, _silver_sla(response_minutes=5), "northwind-traders")
    d = only(result)
    assert (d.code, d.field) == ("sla-exceeds-tier", "spec.sla.response_minutes")
    assert_at(d, path, "response_minutes:")
    assert d.message == (
        "a 5-minute response is more than the silver tier offers (its best is 240 minutes); "
        "the platinum tier offers it"
    )


def test_sla_resolution_faster_than_the_tier(tmp_path: Path) -> None:
    path, result = checked(tmp_path, _silver_sla(resolution_hours=4), "northwind-traders")
    d = only(result)
    assert (d.code, d.field) == ("sla-exceeds-tier", "spec.sla.resolution_hours")
    assert_at(d, path, "resolution_hours:")
    assert d.message == (
        "resolution within 4 hours is more than the silver tier offers (its best is 24 hours); "
        "the gold tier offers it"
    )


def test_sla_availability_above_the_tier(tmp_path: Path) -> None:
    path, result = checked(tmp_path, lambda d: spec(d)["sla"].update(availability_pct=99.95))
    d = only(result)
    assert (d.code, d.field) == ("sla-exceeds-tier", "spec.sla.availability_pct")
    assert_at(d, path, "availability_pct:")
    assert d.message == (
        "99.95% availability is more than the gold tier offers (its best is 99.9%); "
        "the platinum tier offers it"
    )


def test_sla_beyond_every_tier_says_no_tier_offers_it(tmp_path: Path) -> None:
    _, result = checked(tmp_path, lambda d: spec(d)["sla"].update(response_minutes=1))
    d = only(result)
    assert d.message.endswith("(its best is 30 minutes); no tier offers it")


def test_sla_24x7_on_a_business_hours_tier(tmp_path: Path) -> None:
    path, result = checked(tmp_path, _silver_sla(support_hours="24x7"), "northwind-traders")
    d = only(result)
    assert (d.code, d.field) == ("sla-exceeds-tier", "spec.sla.support_hours")
    assert_at(d, path, "support_hours:")
    assert d.message == (
        "the silver tier offers business hours support, not 24x7; the gold tier offers it"
    )


def test_sla_channel_the_tier_does_not_offer(tmp_path: Path) -> None:
    path, result = checked(tmp_path, lambda d: spec(d)["sla"]["channels"].append("chat"))
    d = only(result)
    assert (d.code, d.field) == ("sla-exceeds-tier", "spec.sla.channels[3]")
    assert_at(d, path, "chat")  # the item itself, after its '- '
    assert d.message == (
        "the gold tier offers support by phone, email, portal, not chat; "
        "the platinum tier offers it"
    )


@pytest.mark.parametrize("tier", ["silver", "gold", "platinum"])
def test_sla_equal_to_the_tier_promise_is_accepted(tmp_path: Path, tier: str) -> None:
    offer = load_catalog().tiers[tier]

    def edit(d: dict[str, Any]) -> None:
        spec(d).update(
            tier=tier,
            sla={
                "availability_pct": offer.availability_pct,
                "response_minutes": offer.response_minutes,
                "resolution_hours": offer.resolution_hours,
                "support_hours": offer.support_hours,
                "channels": list(offer.channels),
            },
        )
        spec(d)["servers"]["tenancy"] = offer.tenancy[0]
        # the tier's own policy, restated
        spec(d)["security"]["password_policy"] = offer.password_policy.model_dump()
        spec(d)["security"]["session_timeout_minutes"] = offer.session_timeout_minutes
        spec(d)["platform"]["storage"]["backups"]["retention_days"] = offer.backup_retention_days
        spec(d)["support"]["primary_engineer"] = {
            "name": "Sara Holm",
            "email": "sara.holm@example.com",
            "phone": "+46 70 555 01 32",
        }
        if offer.high_availability is not None:  # its servers, too
            for pool in spec(d)["servers"]["pools"]:
                pool.update(count=max(pool["count"], 2), zones=["zone-a", "zone-b"])

    _, result = checked(tmp_path, edit)
    assert result.diagnostics == [], shown(result.diagnostics)


# tenancy ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "tenancy", "message"),
    [
        ("globex-bank", "shared", "the platinum tier is dedicated only, not shared"),
        ("northwind-traders", "dedicated", "the silver tier is shared only, not dedicated"),
    ],
)
def test_tenancy_the_tier_does_not_allow(
    tmp_path: Path, source: str, tenancy: str, message: str
) -> None:
    path, result = checked(tmp_path, lambda d: spec(d)["servers"].update(tenancy=tenancy), source)
    d = only(result)
    assert (d.severity, d.code, d.field) == ("error", "tenancy-not-offered", "spec.servers.tenancy")
    assert_at(d, path, "tenancy:")
    assert d.message == message


def test_gold_allows_both_tenancies(tmp_path: Path) -> None:
    _, result = checked(tmp_path, lambda d: spec(d)["servers"].update(tenancy="shared"))
    assert result.diagnostics == [], shown(result.diagnostics)


# application ------------------------------------------------------------------------


def test_unknown_application_stops_there(tmp_path: Path) -> None:
    path, result = checked(tmp_path, lambda d: spec(d)["application"].update(name="hosted-mail"))
    d = only(result)
    assert (d.code, d.field) == ("unknown-application", "spec.application.name")
    assert_at(d, path, "name: hosted-mail")
    assert d.message == (
        "unknown application 'hosted-mail'; the catalog offers crm-suite, erp-core, "
        "hosted-email; did you mean 'hosted-email'?"
    )


def test_unknown_version(tmp_path: Path) -> None:
    path, result = checked(tmp_path, lambda d: spec(d)["application"].update(version="4.1"))
    d = only(result)
    assert (d.code, d.field) == ("unknown-version", "spec.application.version")
    assert_at(d, path, "version:")
    assert d.message == "hosted-email has no version '4.1'; available: 4.2, 4.3"


def test_unknown_edition(tmp_path: Path) -> None:
    path, result = checked(tmp_path, lambda d: spec(d)["application"].update(edition="premium"))
    d = only(result)
    assert (d.code, d.field) == ("unknown-edition", "spec.application.edition")
    assert_at(d, path, "edition:")
    assert d.message == "hosted-email has no edition 'premium'; available: standard, enterprise"


@pytest.mark.parametrize(
    ("middleware", "message"),
    [
        (["postgresql"], "hosted-email needs redis; add it"),
        (["mysql"], "hosted-email needs postgresql, redis; add them"),
    ],
)
def test_middleware_the_application_needs(
    tmp_path: Path, middleware: list[str], message: str
) -> None:
    path, result = checked(tmp_path, lambda d: spec(d)["platform"].update(middleware=middleware))
    d = only(result)
    assert (d.code, d.field) == ("middleware-missing", "spec.platform.middleware")
    assert_at(d, path, "middleware:")
    assert d.message == message


# network ----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["mpls", "direct"])
def test_provider_required_for_mpls_and_direct(tmp_path: Path, kind: str) -> None:
    def edit(d: dict[str, Any]) -> None:
        connection = spec(d)["network"]["connection"]
        connection["type"] = kind
        del connection["provider"]

    path, result = checked(tmp_path, edit)
    d = only(result)
    assert (d.code, d.field) == ("provider-required", "spec.network.connection.provider")
    assert_at(d, path, "connection:")  # the field is absent: its parent
    assert d.message.endswith(f"{kind} connection needs the local provider's name (provider)")


@pytest.mark.parametrize("kind", ["internet", "vpn"])
def test_no_provider_needed_for_internet_and_vpn(tmp_path: Path, kind: str) -> None:
    def edit(d: dict[str, Any]) -> None:
        connection = spec(d)["network"]["connection"]
        connection["type"] = kind
        del connection["provider"]

    _, result = checked(tmp_path, edit)
    assert result.diagnostics == [], shown(result.diagnostics)


@pytest.mark.parametrize(
    ("source", "cidr", "severity", "message"),
    [
        (
            "acme-corp",
            "0.0.0.0/0",
            "warning",
            "0.0.0.0/0 allows the whole internet; list the customer's networks if you can",
        ),
        (
            "northwind-traders",
            "::/0",
            "warning",
            "::/0 allows the whole internet; list the customer's networks if you can",
        ),
        (
            "globex-bank",
            "0.0.0.0/0",
            "error",
            "0.0.0.0/0 allows the whole internet, which the platinum tier does not permit; "
            "list the customer's networks",
        ),
    ],
)
def test_open_allowlist(
    tmp_path: Path, source: str, cidr: str, severity: str, message: str
) -> None:
    path, result = checked(
        tmp_path, lambda d: spec(d)["network"]["allow_from"].append(cidr), source
    )
    d = only(result)
    index = len(example(source)["spec"]["network"]["allow_from"])
    assert (d.severity, d.code, d.field) == (
        severity,
        "open-allowlist",
        f"spec.network.allow_from[{index}]",
    )
    assert_at(d, path, cidr)
    assert d.message == message
    assert result.valid is (severity == "warning")


# security ---------------------------------------------------------------------------


def test_saml_needs_metadata_url(tmp_path: Path) -> None:
    path, result = checked(tmp_path, lambda d: spec(d)["security"]["sso"].pop("metadata_url"))
    d = only(result)
    assert (d.code, d.field) == ("sso-field-missing", "spec.security.sso.metadata_url")
    assert_at(d, path, "sso:")
    assert d.message == "saml single sign-on needs metadata_url"


def test_oidc_needs_issuer_client_id_and_secret(tmp_path: Path) -> None:
    path, result = checked(tmp_path, lambda d: spec(d)["security"].update(sso={"protocol": "oidc"}))
    assert [(d.code, d.field, d.message) for d in result.diagnostics] == [
        (
            "sso-field-missing",
            f"spec.security.sso.{key}",
            f"oidc single sign-on needs {key}",
        )
        # all three stand at the same place (sso:), so they are in the order of their text
        for key in ("client_id", "client_secret", "issuer")
    ]
    for d in result.diagnostics:
        assert_at(d, path, "sso:")


def test_a_field_of_the_other_protocol(tmp_path: Path) -> None:
    path, result = checked(
        tmp_path,
        lambda d: spec(d)["security"]["sso"].update(issuer="https://login.acme.example"),
    )
    d = only(result)
    assert (d.code, d.field) == ("sso-field-unused", "spec.security.sso.issuer")
    assert_at(d, path, "issuer:")
    assert d.message == "issuer belongs to oidc, but the protocol is saml"


@pytest.mark.parametrize("secret", ["hunter2", "s3cr3t value", "env:", "env:1BAD", "file:"])
def test_a_literal_secret_is_an_error_that_does_not_repeat_it(tmp_path: Path, secret: str) -> None:
    path, result = checked(
        tmp_path,
        lambda d: spec(d)["security"]["sso"].update(client_secret=secret),
        "globex-bank",
    )
    d = only(result)
    assert (d.code, d.field) == ("invalid-value", "spec.security.sso.client_secret")
    assert_at(d, path, "client_secret:")
    assert d.message == (
        "a secret is never written in a spec: give a reference, env:NAME or file:PATH"
    )


@pytest.mark.parametrize("secret", [31337421, True, ["hunter2"]])
def test_a_secret_that_is_not_text_is_not_repeated_either(tmp_path: Path, secret: Any) -> None:
    _, result = checked(
        tmp_path,
        lambda d: spec(d)["security"]["sso"].update(client_secret=secret),
        "globex-bank",
    )
    d = only(result)
    assert d.field == "spec.security.sso.client_secret"
    assert d.message == (
        "a secret is never written in a spec: give a reference, env:NAME or file:PATH"
    )
    assert str(secret).strip("[]'") not in d.message


@pytest.mark.parametrize("reference", ["env:GLOBEX_OIDC_SECRET", "file:/run/secrets/oidc"])
def test_secret_references_are_accepted(tmp_path: Path, reference: str) -> None:
    _, result = checked(
        tmp_path,
        lambda d: spec(d)["security"]["sso"].update(client_secret=reference),
        "globex-bank",
    )
    assert result.diagnostics == [], shown(result.diagnostics)


# users ------------------------------------------------------------------------------


def test_unknown_role(tmp_path: Path) -> None:
    path, result = checked(tmp_path, lambda d: spec(d)["users"][1].update(role="stuff"))
    d = only(result)
    assert (d.code, d.field) == ("unknown-role", "spec.users[1].role")
    assert_at(d, path, "role: stuff")
    assert d.message == (
        "role 'stuff' is not defined in spec.security.roles (defined: admin, staff); "
        "did you mean 'staff'?"
    )


def test_duplicate_username(tmp_path: Path) -> None:
    path, result = checked(tmp_path, lambda d: spec(d)["users"][1].update(username="jdoe"))
    d = only(result)
    assert (d.code, d.field) == ("duplicate-user", "spec.users[1].username")
    assert_at(d, path, "username: jdoe", nth=2)
    assert d.message == "username 'jdoe' is already used by spec.users[0]"


def test_duplicate_email_ignores_case(tmp_path: Path) -> None:
    path, result = checked(
        tmp_path, lambda d: spec(d)["users"][1].update(email="JDOE@acme.example")
    )
    d = only(result)
    assert (d.code, d.field) == ("duplicate-email", "spec.users[1].email")
    assert_at(d, path, "email: JDOE@acme.example")
    assert d.message == "e-mail 'JDOE@acme.example' is already used by spec.users[0]"


def test_seats_below_the_number_of_users(tmp_path: Path) -> None:
    path, result = checked(tmp_path, lambda d: spec(d)["billing"].update(seats=1))
    d = only(result)
    assert (d.code, d.field) == ("seats-below-users", "spec.billing.seats")
    assert_at(d, path, "seats:")
    assert "is fewer than the 2 users listed" in d.message
    assert d.message.startswith("1 seat")


def test_seats_equal_to_users_is_enough(tmp_path: Path) -> None:
    def edit(d: dict[str, Any]) -> None:
        spec(d)["billing"]["seats"] = 2
        spec(d)["platform"]["storage"]["size_gb"] = 10

    _, result = checked(tmp_path, edit)
    assert result.diagnostics == [], shown(result.diagnostics)


# sizing -----------------------------------------------------------------------------


def test_too_few_app_cores_is_a_warning_with_the_recommendation(tmp_path: Path) -> None:
    path, result = checked(tmp_path, lambda d: spec(d)["servers"]["pools"][0].update(cpu_cores=2))
    d = only(result)
    assert (d.severity, d.code, d.field) == ("warning", "undersized", "spec.servers.pools[0]")
    assert_at(d, path, "role: app")
    assert d.message == (
        "4 app cores for 50 seats; the catalog recommends at least 5 (10 seats per core)"
    )
    assert result.valid


def test_too_few_app_servers_for_the_application(tmp_path: Path) -> None:
    path, result = checked(
        tmp_path,
        lambda d: spec(d)["servers"]["pools"][0].update(count=1, cpu_cores=32),
        "globex-bank",
    )
    d, ha = result.diagnostics
    assert (d.severity, d.code, d.field) == ("warning", "undersized", "spec.servers.pools[0]")
    assert_at(d, path, "role: app")
    assert d.message == "1 app servers; erp-core needs at least 2"
    # and below what the platinum tier's availability needs
    assert (ha.severity, ha.code, ha.field) == ("error", "ha-required", "spec.servers.pools[0]")
    assert ha.message.startswith(
        "the platinum tier is highly available: it needs at least 2 app servers (it has 1) "
        "and app servers in at least 2 zones (they are in 1)"
    )


def test_no_app_pool_at_all(tmp_path: Path) -> None:
    path, result = checked(
        tmp_path, lambda d: spec(d)["servers"].update(pools=spec(d)["servers"]["pools"][1:])
    )
    assert [(d.severity, d.code, d.field) for d in result.diagnostics] == [
        ("warning", "undersized", "spec.servers.pools"),
        ("warning", "undersized", "spec.servers.pools"),
    ]
    assert [d.message for d in result.diagnostics] == [
        "0 app cores for 50 seats; the catalog recommends at least 5 (10 seats per core)",
        "0 app servers; hosted-email needs at least 1",
    ]
    assert_at(result.diagnostics[0], path, "pools:")


def test_too_little_storage(tmp_path: Path) -> None:
    path, result = checked(tmp_path, lambda d: spec(d)["platform"]["storage"].update(size_gb=200))
    d = only(result)
    assert (d.severity, d.code, d.field) == (
        "warning",
        "undersized",
        "spec.platform.storage.size_gb",
    )
    assert_at(d, path, "size_gb:")
    assert d.message == (
        "200 GB for 50 seats; the catalog recommends at least 250 GB (5 GB per seat)"
    )


# billing ----------------------------------------------------------------------------


def test_currency_the_catalog_has_no_prices_in(tmp_path: Path) -> None:
    path, result = checked(tmp_path, lambda d: spec(d)["billing"].update(currency="BRL"))
    d = only(result)
    assert (d.code, d.field) == ("currency-not-priced", "spec.billing.currency")
    assert_at(d, path, "currency:")
    assert d.message == (
        "the catalog has no prices in BRL; "
        "it prices in AUD, CAD, CHF, DKK, EUR, GBP, JPY, NOK, SEK, USD"
    )


# across sections --------------------------------------------------------------------


def test_a_broken_section_does_not_hide_the_rules_of_the_others(tmp_path: Path) -> None:
    def edit(d: dict[str, Any]) -> None:
        spec(d)["network"]["bandwidth_mbps"] = "fast"
        spec(d)["users"][1]["role"] = "stuff"
        spec(d)["billing"]["currency"] = "BRL"

    _, result = checked(tmp_path, edit)
    assert [(d.code, d.field) for d in result.diagnostics] == [
        ("type-error", "spec.network.bandwidth_mbps"),
        ("unknown-role", "spec.users[1].role"),
        ("currency-not-priced", "spec.billing.currency"),
    ]


def test_the_file_name_should_be_the_customer(tmp_path: Path) -> None:
    path = write_spec(tmp_path, example())
    renamed = path.rename(tmp_path / "acme.yaml")
    result = check(renamed)
    d = only(result)
    assert (d.severity, d.code, d.field) == ("warning", "file-name", "metadata.customer")
    assert_at(d, renamed, "customer:")
    assert d.message == (
        "the file is named 'acme' but the customer is 'acme-corp'; name it acme-corp.yaml"
    )


@pytest.mark.parametrize("word", ["yes", "on", "no"])
def test_a_boolean_where_a_number_is_expected_is_an_error(tmp_path: Path, word: str) -> None:
    text = (write_spec(tmp_path, example())).read_text()
    path = tmp_path / "acme-corp.yaml"
    path.write_text(text.replace("count: 1\n", f"count: {word}\n", 1))
    assert f"count: {word}" in path.read_text()
    d = only(check(path))
    assert (d.code, d.field) == ("yaml-type", "spec.servers.pools[1].count")
    assert d.message.startswith(f"{word} is read by YAML as the boolean")
