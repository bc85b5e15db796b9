"""`new` never makes a spec claiming another customer's domain or billing account."""

from __future__ import annotations

from pathlib import Path

import pytest

from asp_provision.state.store import StateStore
from tests.cli.helpers import run_cli
from tests.spec.helpers import acme_workspace

DEAL = [
    "--name", "Beta Ltd", "--tier", "silver", "--app", "hosted-email", "--seats", "20",
    "--bandwidth", "50", "--contact-name", "Ann Berg", "--contact-email", "ann@beta.example",
    "--start-date", "2027-01-01", "--country", "SE",
]  # fmt: skip
HEADER = (
    "customer,name,tier,app,seats,bandwidth,domain,contact-name,contact-email,start-date,country"
)


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    return acme_workspace(tmp_path / "ws")


def test_a_domain_another_spec_holds_is_refused_with_where(ws: Path) -> None:
    result = run_cli("new", "beta", "--domain", "mail.acme.example", *DEAL, cwd=ws)
    assert result.returncode == 2
    assert (
        "--domain: domain 'mail.acme.example' is already acme-corp's "
        "(specs/acme-corp.yaml:25:5); a domain belongs to one customer"
    ) in result.stderr
    assert sorted(p.name for p in (ws / "specs").iterdir()) == ["acme-corp.yaml"]
    assert run_cli("new", "beta", "--domain", "mail.beta.example", *DEAL, cwd=ws).returncode == 0


def test_a_domain_only_the_state_remembers_is_refused(ws: Path) -> None:
    (ws / "specs" / "acme-corp.yaml").unlink()  # its spec is gone; the applied customer stays
    with StateStore(ws / ".asp" / "state.db") as store:
        spec = {"spec": {"network": {"domain": "mail.acme.example"}}}
        store.record_spec("acme-corp", spec, "specs/acme-corp.yaml")
    result = run_cli("new", "beta", "--domain", "mail.acme.example", *DEAL, "-o", "-", cwd=ws)
    assert result.returncode == 2
    assert "is already acme-corp's (applied, in the state .asp/state.db)" in result.stderr
    assert result.stdout == ""


def test_replacing_a_customers_own_spec_keeps_its_domain(ws: Path) -> None:
    deal = [a.replace("Beta Ltd", "ACME Corporation") for a in DEAL]
    result = run_cli(
        "new", "acme-corp", "--domain", "mail.acme.example", *deal, "--dry-run", cwd=ws
    )
    assert result.returncode == 0, result.stderr


def test_deals_may_not_claim_a_held_domain_nor_one_an_earlier_row_claims(ws: Path) -> None:
    rows = [
        "gamma,Gamma,silver,hosted-email,20,50,mail.gamma.example,Ann,a@x.example,2027-01-01,SE",
        "delta,Delta,silver,hosted-email,20,50,mail.gamma.example,Ann,a@x.example,2027-01-01,SE",
        "eps,Eps,silver,hosted-email,20,50,mail.acme.example,Ann,a@x.example,2027-01-01,SE",
    ]
    (ws / "deals.csv").write_text("\n".join([HEADER, *rows]) + "\n")
    result = run_cli("new", "--from-csv", "deals.csv", cwd=ws)
    assert result.returncode == 1
    assert (
        "deals.csv:3: domain: domain 'mail.gamma.example' is already gamma's (deals.csv:2)"
    ) in result.stderr
    assert (
        "deals.csv:4: domain: domain 'mail.acme.example' is already acme-corp's "
        "(specs/acme-corp.yaml:25:5)"
    ) in result.stderr
    assert "2 of 3 deals in deals.csv are invalid; no spec was written" in result.stderr
    assert sorted(p.name for p in (ws / "specs").iterdir()) == ["acme-corp.yaml"]
