"""`new`: a deal becomes a spec that validates, with everything else from the catalog."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml

from asp_provision.errors import SourceError, UsageError
from asp_provision.scaffold.deal import BY_NAME, DealInvalid, Problem, choices, missing
from asp_provision.scaffold.files import refuse_overwrite
from asp_provision.scaffold.new import new_spec, write_spec
from asp_provision.scaffold.templates import Templates
from asp_provision.spec.check import check_file
from asp_provision.spec.effective import effective_document
from tests.scaffold.helpers import TEMPLATES, catalog, deal_values, make, read

TIERS = ["silver", "gold", "platinum"]
APPS = ["hosted-email", "crm-suite", "erp-core"]
MODELINE = "# yaml-language-server: $schema=../schema/subscription.schema.json"


def problems(values: dict[str, object]) -> list[Problem]:
    with pytest.raises(DealInvalid) as caught:
        make(values)
    return list(caught.value.problems)


@pytest.mark.parametrize("app", APPS)
@pytest.mark.parametrize("tier", TIERS)
def test_a_spec_for_each_tier_and_application_validates(
    tmp_path: Path, tier: str, app: str
) -> None:
    spec = make(deal_values(tier=tier, app=app), tmp_path / "acme-corp.yaml")
    write_spec(spec)
    result = check_file(tmp_path / "acme-corp.yaml", catalog())
    assert result.diagnostics == []
    sub = result.subscription
    assert sub is not None
    assert sub.spec.tier == tier
    assert sub.spec.application.name == app
    assert sub.spec.application.version == catalog().applications[app].versions[-1]
    assert spec.warnings == ()


def test_the_spec_starts_with_the_schema_modeline() -> None:
    spec = make(deal_values())
    assert spec.text.splitlines()[0] == MODELINE


def test_what_the_deal_says_lands_in_the_spec() -> None:
    values = deal_values(
        version="4.2",
        edition="enterprise",
        connection="mpls",
        provider="Telia",
        admin=["jdoe:jdoe@acme.example", "bsmith:bsmith@acme.example"],
        currency="EUR",
        cycle="annual",
    )
    data = yaml.safe_load(make(values).text)
    assert data["metadata"] == {"customer": "acme-corp", "name": "ACME Corporation"}
    spec = data["spec"]
    assert spec["application"] == {
        "name": "hosted-email",
        "version": "4.2",
        "edition": "enterprise",
    }
    assert spec["network"]["bandwidth_mbps"] == 100
    assert spec["network"]["domain"] == "mail.acme.example"
    assert spec["network"]["connection"] == {
        "type": "mpls",
        "provider": "Telia",
        "customer_cidrs": ["203.0.113.0/24"],
    }
    assert spec["network"]["allow_from"] == ["203.0.113.0/24"]
    assert spec["users"] == [
        {"username": "jdoe", "email": "jdoe@acme.example", "role": "admin"},
        {"username": "bsmith", "email": "bsmith@acme.example", "role": "admin"},
    ]
    billing = spec["billing"]
    assert billing["seats"] == 50
    assert billing["contact"] == {"name": "Jane Doe", "email": "billing@acme.example"}
    assert billing["start_date"] == dt.date(2026, 12, 1)
    assert (billing["currency"], billing["cycle"]) == ("EUR", "annual")
    assert spec["onboarding"]["go_live"] == dt.date(2026, 12, 15)
    assert spec["reporting"]["recipients"] == ["billing@acme.example"]


def test_defaults_where_the_deal_is_silent() -> None:
    values = deal_values(admin=None, go_live=None, allow_from=None, tier="silver")
    spec = make(values)
    data = yaml.safe_load(spec.text)["spec"]
    assert data["application"]["edition"] == "standard"
    assert data["network"]["connection"] == {"type": "internet"}
    assert data["network"]["allow_from"] == ["0.0.0.0/0"]
    assert data["billing"]["currency"] == "USD"
    assert data["billing"]["cycle"] == "monthly"
    assert "users" not in data
    assert "go_live" not in data["onboarding"]
    # open to the internet is allowed for silver, and said so
    assert spec.warnings == (
        Problem(
            "allow-from",
            "0.0.0.0/0 allows the whole internet; list the customer's networks if you can",
        ),
    )


@pytest.mark.parametrize("tier", TIERS)
def test_only_negotiated_terms_are_written_and_the_tiers_are_in_comments(
    tmp_path: Path, tier: str
) -> None:
    offer = catalog().tiers[tier]
    made = make(deal_values(tier=tier), tmp_path / "acme-corp.yaml")
    spec = yaml.safe_load(made.text)["spec"]
    # the deal negotiated no service level or policy: the spec leaves them to the tier
    assert "sla" not in spec
    assert "password_policy" not in spec["security"]
    assert "session_timeout_minutes" not in spec["security"]
    assert "retention_days" not in spec["platform"]["storage"]["backups"]
    assert spec["security"]["roles"] == {
        "admin": ["manage-users", "manage-billing", "view-reports"],
        "staff": ["use-app"],
    }
    assert spec["servers"]["tenancy"] == offer.tenancy[0]
    # the tier's values are there for the reader, as comments
    policy = offer.password_policy
    hours = f"{offer.resolution_hours} hour{'s' if offer.resolution_hours != 1 else ''}"
    for comment in (
        f"# sla: from the {tier} tier: {offer.response_minutes}-minute response, "
        f"resolution within {hours}, {offer.support_hours} support, "
        f"{offer.availability_pct}% availability, by {', '.join(offer.channels)}",
        f"# backups kept {offer.backup_retention_days} days: from the {tier} tier",
        f"# password_policy: from the {tier} tier: at least {policy.min_length} characters",
        f"changed every {policy.max_age_days} days",
        f"# session_timeout_minutes: from the {tier} tier: {offer.session_timeout_minutes}",
    ):
        assert comment in made.text
    # and it validates, with the tier's promises in force
    write_spec(made)
    result = check_file(tmp_path / "acme-corp.yaml", catalog())
    assert result.diagnostics == []
    assert result.subscription is not None
    doc = effective_document(result.subscription, catalog())["spec"]
    assert doc["sla"]["response_minutes"] == offer.response_minutes
    assert doc["sla"]["channels"] == offer.channels
    assert doc["security"]["password_policy"] == policy.model_dump()
    assert doc["security"]["session_timeout_minutes"] == offer.session_timeout_minutes
    assert doc["platform"]["storage"]["backups"]["retention_days"] == offer.backup_retention_days


def test_a_tier_value_with_a_line_break_stays_inside_its_comment(tmp_path: Path) -> None:
    templates = Templates(tmp_path)
    (tmp_path / "spec.yaml.j2").write_text("a: 1\n# {{ text | comment }}\nb: 2\n")
    out = templates.spec({"text": "gold\nc: {{ 7*7 }}\u2028d: 3"})
    assert out == "a: 1\n# gold c: {{ 7*7 }} d: 3\nb: 2\n"
    assert yaml.safe_load(out) == {"a": 1, "b": 2}


def test_platinum_is_dedicated_and_gets_daily_backups_and_realtime_reports() -> None:
    spec = yaml.safe_load(make(deal_values(tier="platinum")).text)["spec"]
    assert spec["servers"]["tenancy"] == "dedicated"
    assert spec["platform"]["storage"]["backups"]["schedule"] == "daily"
    assert spec["reporting"]["mode"] == "both"
    assert spec["network"]["qos"] == "premium"


@pytest.mark.parametrize("app", ["hosted-email", "erp-core"])
def test_platinum_is_sized_to_its_availability_rule(app: str) -> None:
    # 10 seats need one app server by the sizing rules; platinum needs two of each role,
    # spread over two zones
    made = make(deal_values(tier="platinum", app=app, seats="10"))
    pools = {p["role"]: p for p in yaml.safe_load(made.text)["spec"]["servers"]["pools"]}
    assert pools["app"]["count"] == 2 and pools["app"]["zones"] == ["zone-a", "zone-b"]
    assert pools["db"]["count"] == 2 and pools["db"]["zones"] == ["zone-a", "zone-b"]
    gold = yaml.safe_load(make(deal_values(tier="gold", app=app, seats="10")).text)["spec"]
    assert all("zones" not in p for p in gold["servers"]["pools"])


def test_silver_gets_weekly_backups_and_historical_reports() -> None:
    spec = yaml.safe_load(make(deal_values(tier="silver")).text)["spec"]
    assert spec["servers"]["tenancy"] == "shared"
    assert spec["platform"]["storage"]["backups"]["schedule"] == "weekly"
    assert spec["reporting"]["mode"] == "historical"


@pytest.mark.parametrize("app", APPS)
def test_middleware_is_what_the_application_needs(app: str) -> None:
    spec = yaml.safe_load(make(deal_values(app=app)).text)["spec"]
    assert spec["platform"]["middleware"] == catalog().applications[app].middleware


# --- values are data, never templates, booleans or numbers --------------------------


@pytest.mark.parametrize(
    "name",
    [
        "{{ 7*7 }}",
        "{% raw %}x",
        "{# c #}",
        "yes",
        "NO",
        "on",
        "null",
        "~",
        "4.10",
        "0x1F",
        "2026-12-01",
        "12:30",
        "- item",
        "key: value",
        "a # comment",
        "'quoted'",
        '"double"',
        "back\\slash",
        "Ærø Fjord Ünïcode",
        "&anchor",
        "*alias",
        "!tag",
        "@at",
        "`tick`",
        "{flow: map}",
        "[flow, list]",
        "%percent",
        "\u00a0no-break\u00a0space",
        "emoji \U0001f600",
        "bom\ufeffinside",
    ],
)
def test_a_name_is_written_as_the_very_text(name: str) -> None:
    spec = make(deal_values(name=name))
    assert yaml.safe_load(spec.text)["metadata"]["name"] == name.strip()
    assert "49" not in spec.text


@pytest.mark.parametrize(
    ("name", "what"),
    [
        ("line\nbreak", "a line break (U+000A)"),
        ("tab\there", "a tab (U+0009)"),
        ("unicode line\u2028separator", "a line separator (U+2028)"),
        ("next\x85line", "a line break (U+0085)"),
        ("right\u202eto-left", "a bidirectional control character (U+202E)"),
    ],
)
def test_a_name_that_is_not_one_line_of_text_is_refused(name: str, what: str) -> None:
    (problem,) = problems(deal_values(name=name))
    assert problem.option == "name"
    assert problem.message == f"contains {what}; a value is one line of printable text"


def test_spaces_around_a_value_are_dropped() -> None:
    spec = make(deal_values(name="  ACME  ", tier=" gold "))
    data = yaml.safe_load(spec.text)
    assert (data["metadata"]["name"], data["spec"]["tier"]) == ("ACME", "gold")


def test_admin_and_provider_values_that_yaml_would_convert_stay_text() -> None:
    values = deal_values(
        admin=["null:null@acme.example", "yes:yes@acme.example"],
        connection="direct",
        provider="NO",
    )
    data = yaml.safe_load(make(values).text)["spec"]
    assert [u["username"] for u in data["users"]] == ["null", "yes"]
    assert data["network"]["connection"]["provider"] == "NO"


def test_a_version_like_a_number_stays_text() -> None:
    spec = make(deal_values(app="erp-core", version="11.0"))
    assert yaml.safe_load(spec.text)["spec"]["application"]["version"] == "11.0"


# --- missing and bad values ---------------------------------------------------------


def test_every_missing_required_value_names_its_option() -> None:
    found = problems({"customer": "acme-corp"})
    assert [p.option for p in found] == [
        "name",
        "tier",
        "app",
        "seats",
        "bandwidth",
        "domain",
        "contact-name",
        "contact-email",
        "start-date",
        "country",
    ]
    assert found[1].message == "required; one of silver, gold, platinum"
    assert str(DealInvalid(found)).splitlines()[0] == "--name: required"


def test_every_bad_value_is_reported_at_once() -> None:
    found = problems(
        deal_values(
            customer="Acme Corp",
            tier="bronze",
            seats="ten",
            bandwidth="0",
            domain="not a domain",
            contact_email="jane@acme.test",
            start_date="2026-13-01",
            admin=["jdoe"],
            allow_from=["10.0.0.1/8"],
            cycle="weekly",
        )
    )
    by_option = {p.option: p.message for p in found}
    assert by_option == {
        "customer": "'Acme Corp' must be a slug: 3 to 40 lowercase letters, digits or '-', "
        "starting with a letter",
        "tier": "unknown tier 'bronze'; the catalog offers silver, gold, platinum",
        "seats": "'ten' is not a whole number",
        "bandwidth": "must be at least 1 (got 0)",
        "domain": "'not a domain' is not a fully qualified domain name such as app.example.com",
        "contact-email": "'jane@acme.test' uses a reserved domain that can never receive mail",
        "start-date": "'2026-13-01' is not a date; write it as YYYY-MM-DD",
        "admin": "'jdoe' is not USER:EMAIL, e.g. jdoe:jdoe@acme.example",
        "allow-from": "'10.0.0.1/8' has host bits set; did you mean 10.0.0.0/8?",
        "cycle": "unknown billing cycle 'weekly'; expected monthly, annual",
    }


def test_unknown_application_version_and_edition_list_the_catalogs() -> None:
    found = problems(deal_values(app="hosted-mail"))
    assert found == [
        Problem(
            "app",
            "unknown application 'hosted-mail'; the catalog offers crm-suite, erp-core, "
            "hosted-email; did you mean 'hosted-email'?",
        )
    ]
    found = problems(deal_values(version="4.10", edition="premium"))
    assert found == [
        Problem("version", "unknown version '4.10'; the catalog's hosted-email offers 4.2, 4.3"),
        Problem(
            "edition",
            "unknown edition 'premium'; the catalog's hosted-email offers standard, enterprise",
        ),
    ]


def test_rules_across_values_are_reported_against_the_option() -> None:
    found = problems(
        deal_values(seats="1", admin=["jdoe:jdoe@acme.example", "jdoe:other@acme.example"])
    )
    assert found == [
        Problem("admin", "username 'jdoe' is already used by spec.users[0]"),
        Problem("seats", "1 seats is fewer than the 2 users listed"),
    ]


def test_a_connection_through_a_provider_needs_its_name() -> None:
    assert problems(deal_values(connection="direct")) == [
        Problem("provider", "required for a direct connection: the local provider's name")
    ]


def test_platinum_needs_the_customers_networks() -> None:
    assert problems(deal_values(tier="platinum", allow_from=None)) == [
        Problem(
            "allow-from",
            "required for the platinum tier, which does not allow access from anywhere: "
            "give the customer's networks as CIDRs",
        )
    ]
    assert problems(deal_values(tier="platinum", allow_from=["0.0.0.0/0"])) == [
        Problem(
            "allow-from",
            "0.0.0.0/0 allows the whole internet, which the platinum tier does not permit; "
            "list the customer's networks",
        )
    ]


def test_missing_lists_what_to_ask_for_in_order() -> None:
    values = {"tier": "platinum", "connection": "mpls"}
    names = [o.name for o in missing(values, catalog())]
    assert names == [
        "customer",
        "name",
        "app",
        "seats",
        "bandwidth",
        "domain",
        "contact-name",
        "contact-email",
        "start-date",
        "country",
        "allow-from",
        "provider",
        "service-manager",
        "primary-engineer",
    ]
    assert missing(deal_values(), catalog()) == []


def test_choices_come_from_the_catalog() -> None:
    assert choices("tier", {}, catalog()) == ["silver", "gold", "platinum"]
    assert choices("app", {}, catalog()) == ["crm-suite", "erp-core", "hosted-email"]
    assert choices("version", {"app": "erp-core"}, catalog()) == ["10.4", "11.0"]
    assert choices("edition", {"app": "erp-core"}, catalog()) == ["standard", "enterprise"]
    assert choices("connection", {}, catalog()) == ["internet", "vpn", "mpls", "direct"]
    assert choices("name", {}, catalog()) is None
    assert BY_NAME["admin"].multiple


def test_repeatable_values_may_share_one_text() -> None:
    deal = read(deal_values(admin=["a1:a1@acme.example; a2:a2@acme.example"]))
    assert [a.username for a in deal.admins] == ["a1", "a2"]
    deal = read(deal_values(allow_from="203.0.113.0/24, 198.51.100.7/32"))
    assert deal.allow_from == ("203.0.113.0/24", "198.51.100.7/32")


# --- writing ------------------------------------------------------------------------


def test_an_existing_spec_is_kept_without_force(tmp_path: Path) -> None:
    path = tmp_path / "acme-corp.yaml"
    path.write_text("mine\n")
    spec = make(deal_values(), path)
    with pytest.raises(UsageError, match="already exists; pass --force"):
        refuse_overwrite(path, force=False)
    with pytest.raises(UsageError, match="already exists; pass --force"):
        write_spec(spec)
    assert path.read_text() == "mine\n"
    write_spec(spec, force=True)
    assert path.read_text() == spec.text
    assert [p.name for p in tmp_path.iterdir()] == ["acme-corp.yaml"]


def test_a_spec_goes_into_a_specs_folder_that_does_not_exist_yet(tmp_path: Path) -> None:
    path = tmp_path / "specs" / "acme-corp.yaml"
    write_spec(make(deal_values(), path))
    assert check_file(path, catalog()).valid


# --- the template is the workspace's ------------------------------------------------


def test_a_workspace_template_changes_the_house_style(tmp_path: Path) -> None:
    text = (TEMPLATES / "spec.yaml.j2").read_text()
    (tmp_path / "spec.yaml.j2").write_text(
        text.replace("client: {delivery: web}", "client: {delivery: both}")
    )
    deal = read(deal_values())
    spec = new_spec(deal, catalog(), Templates(tmp_path), None)
    assert yaml.safe_load(spec.text)["spec"]["platform"]["client"]["delivery"] == "both"


def test_a_template_that_makes_an_invalid_spec_is_blamed(tmp_path: Path) -> None:
    text = (TEMPLATES / "spec.yaml.j2").read_text()
    (tmp_path / "spec.yaml.j2").write_text(
        text.replace("client: {delivery: web}", "client: {delivery: fax}")
    )
    with pytest.raises(DealInvalid) as caught:
        new_spec(read(deal_values()), catalog(), Templates(tmp_path), None)
    (problem,) = caught.value.problems
    assert problem.option is None
    assert problem.message == (
        f"{tmp_path / 'spec.yaml.j2'} made an invalid spec: spec.platform.client.delivery: "
        "'fax' is not allowed; expected 'web', 'desktop' or 'both'"
    )


def test_a_template_error_names_the_template_and_line(tmp_path: Path) -> None:
    (tmp_path / "spec.yaml.j2").write_text("apiVersion: asp-provision/v1\nname: {{ deal.nmae }}\n")
    with pytest.raises(SourceError) as caught:
        new_spec(read(deal_values()), catalog(), Templates(tmp_path), None)
    assert caught.value.path == str(tmp_path / "spec.yaml.j2")
    assert caught.value.line == 2
    assert "nmae" in caught.value.message


def test_a_template_syntax_error_names_the_template_and_line(tmp_path: Path) -> None:
    (tmp_path / "spec.yaml.j2").write_text("a: 1\n{% if %}\n")
    with pytest.raises(SourceError) as caught:
        new_spec(read(deal_values()), catalog(), Templates(tmp_path), None)
    assert (caught.value.path, caught.value.line) == (str(tmp_path / "spec.yaml.j2"), 2)


def test_the_sandbox_stops_a_template_reaching_python(tmp_path: Path) -> None:
    (tmp_path / "spec.yaml.j2").write_text("x: {{ deal.__class__.__mro__ }}\n")
    with pytest.raises(SourceError, match="the template failed"):
        new_spec(read(deal_values()), catalog(), Templates(tmp_path), None)
