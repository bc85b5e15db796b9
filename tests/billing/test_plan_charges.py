"""The plan's monthly charge follows the pricing rules, bundles included."""

from __future__ import annotations

import shutil
from pathlib import Path

from asp_provision.config import Workspace
from asp_provision.service import Service
from tests.cli.helpers import ROOT


def workspace(tmp_path: Path, copies: int) -> Path:
    specs = tmp_path / "specs"
    specs.mkdir(parents=True)
    text = (ROOT / "specs" / "acme-corp.yaml").read_text()
    for i in range(copies):
        name = "acme-corp" if i == 0 else f"acme-corp-{i}"
        body = text.replace("customer: acme-corp", f"customer: {name}").replace(
            "mail.acme.example", f"mail{i}.acme.example"
        )
        (specs / f"{name}.yaml").write_text(body)
    shutil.copy(ROOT / "catalog.yaml", tmp_path / "catalog.yaml")
    return tmp_path


def charges(tmp_path: Path, copies: int) -> dict[str, tuple[float, float]]:
    plan = Service(Workspace(workspace(tmp_path, copies))).plan([]).plan
    return {c.customer: (c.charges.discount, c.charges.monthly) for c in plan.customers}


def test_one_subscription_on_an_account_pays_the_full_charge(tmp_path: Path) -> None:
    assert charges(tmp_path, 1) == {"acme-corp": (0.0, 2800.0)}


def test_two_and_three_subscriptions_on_one_account_are_a_bundle(tmp_path: Path) -> None:
    two = charges(tmp_path / "2", 2)
    assert set(two.values()) == {(-280.0, 2520.0)}
    three = charges(tmp_path / "3", 3)
    assert set(three.values()) == {(-420.0, 2380.0)}
