"""What customers may not share, across the specs of a workspace and the state."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from asp_provision.state.store import StateStore
from tests.cli.helpers import ROOT, run_cli
from tests.spec.helpers import acme_workspace


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    return acme_workspace(tmp_path / "ws")


def twin(ws: Path, customer: str, **replace: str) -> Path:
    """acme-corp's spec as another customer, with some lines replaced."""
    text = (ROOT / "specs" / "acme-corp.yaml").read_text()
    text = text.replace("customer: acme-corp", f"customer: {customer}")
    text = text.replace("mail.acme.example", replace.pop("domain", f"mail.{customer}.example"))
    for old, new in replace.items():
        assert old.replace("_", " ") in text or old in text, old
        text = text.replace(old, new)
    path = ws / "specs" / f"{customer}.yaml"
    path.write_text(text)
    return path


def validate(ws: Path, *args: str) -> tuple[int, str, dict[str, object]]:
    text = run_cli("validate", *args, cwd=ws)
    data = run_cli("validate", "--format", "json", *args, cwd=ws)
    assert text.returncode == data.returncode, data.stderr
    return text.returncode, text.stdout, json.loads(data.stdout)


def diagnostics(report: dict[str, object], code: str) -> list[tuple[str, dict[str, object]]]:
    files = report["files"]
    assert isinstance(files, list)
    return [(f["path"], d) for f in files for d in f["diagnostics"] if d["code"] == code]


def test_two_customers_with_one_domain_locate_both_files(ws: Path) -> None:
    twin(ws, "acme-two", domain="mail.acme.example")
    code, text, report = validate(ws)
    assert code == 1
    assert (
        "specs/acme-two.yaml:25:5: error: spec.network.domain: domain 'mail.acme.example' is "
        "already acme-corp's (specs/acme-corp.yaml:25:5); a domain belongs to one customer"
    ) in text
    [(path, found)] = diagnostics(report, "duplicate-domain")
    assert path == "specs/acme-two.yaml"
    assert (found["field"], found["line"], found["column"]) == ("spec.network.domain", 25, 5)
    assert "specs/acme-corp.yaml:25:5" in str(found["message"])


def test_domains_differing_only_in_case_are_the_same(ws: Path) -> None:
    twin(ws, "acme-two", domain="Mail.ACME.example")
    _, _, report = validate(ws)
    assert len(diagnostics(report, "duplicate-domain")) == 1


def test_one_account_may_hold_subscriptions_on_the_same_terms(ws: Path) -> None:
    twin(ws, "acme-two")  # same account ACME-0001, currency, cycle and contact
    code, text, _ = validate(ws)
    assert code == 0, text


@pytest.mark.parametrize(
    ("replace", "differ"),
    [
        ({"currency: USD": "currency: EUR"}, "with currency USD"),
        ({"cycle: monthly": "cycle: annual"}, "with cycle monthly"),
        (
            {"email: billing@acme.example": "email: other@acme.example"},
            "with contact Jane Doe <billing@acme.example>",
        ),
    ],
)
def test_one_account_on_other_terms_is_a_conflict(
    ws: Path, replace: dict[str, str], differ: str
) -> None:
    twin(ws, "acme-two", **replace)
    code, text, report = validate(ws)
    assert code == 1
    assert (
        "specs/acme-two.yaml:51:5: error: spec.billing.account_id: billing account "
        f"'ACME-0001' is also acme-corp's (specs/acme-corp.yaml:51:5) {differ}; one account "
        "holds several subscriptions only with the same currency, cycle and contact"
    ) in text
    [(path, found)] = diagnostics(report, "account-conflict")
    assert path == "specs/acme-two.yaml"
    assert (found["line"], found["column"]) == (51, 5)


def test_servers_beyond_the_subnet_are_located_at_the_pools(ws: Path) -> None:
    (ws / "asp-provision.toml").write_text("subnet_prefix = 27\n")
    spec = ws / "specs" / "acme-corp.yaml"
    spec.write_text(spec.read_text().replace("role: app, count: 2", "role: app, count: 16"))
    code, text, report = validate(ws)
    assert code == 1
    assert (
        "specs/acme-corp.yaml:28:5: error: spec.servers.pools: the pools ask for 17 servers, "
        "but a customer's subnet holds at most 16 (subnet_prefix in asp-provision.toml)"
    ) in text
    assert len(diagnostics(report, "subnet-too-small")) == 1
    (ws / "asp-provision.toml").write_text("subnet_prefix = 26\n")
    assert validate(ws)[0] == 0


def test_plan_checks_against_customers_only_in_the_state(ws: Path) -> None:
    """A customer applied from elsewhere still holds its domain and account."""
    with StateStore(ws / ".asp" / "state.db") as store:
        store.record_spec(
            "old-acme",
            {
                "metadata": {"customer": "old-acme"},
                "spec": {
                    "network": {"domain": "mail.acme.example"},
                    "billing": {
                        "account_id": "ACME-0001",
                        "currency": "EUR",
                        "cycle": "monthly",
                        "contact": {"name": "Jane Doe", "email": "billing@acme.example"},
                    },
                },
            },
            "elsewhere/old-acme.yaml",
        )
    result = run_cli("plan", cwd=ws)
    assert result.returncode == 1
    assert (
        "specs/acme-corp.yaml:25:5: error: spec.network.domain: domain 'mail.acme.example' is "
        "already old-acme's (applied, in the state .asp/state.db)"
    ) in result.stdout + result.stderr
    assert "billing account 'ACME-0001' is also old-acme's (applied, in the state" in (
        result.stdout + result.stderr
    )
    assert "with currency EUR" in result.stdout + result.stderr
    # validate covers the workspace's specs only
    assert run_cli("validate", cwd=ws).returncode == 0
