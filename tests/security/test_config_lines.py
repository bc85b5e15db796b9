"""No value lands in a configuration line as a new line: specs, settings and inventories."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import cli, make_workspace


def _inventory(ws: Path, hosts: dict[str, dict[str, Any]]) -> None:
    (ws / "inventory").mkdir(exist_ok=True)
    (ws / "inventory" / "hosts.json").write_text(json.dumps({"all": {"hosts": hosts}}))


def _local(site: Path, **variables: Any) -> dict[str, Any]:
    return {
        "ansible_connection": "local",
        "ansible_python_interpreter": sys.executable,
        "asp_site": str(site),
        **variables,
    }


@pytest.mark.parametrize(
    ("field", "line", "value"),
    [
        ("spec.network.domain", "    domain: mail.acme.example\n", '"mail.acme.example\\n"'),
        ("spec.network.connection.provider", "      provider: Telia\n", '"Telia\\n}"'),
        ("metadata.name", "  name: ACME Corporation\n", '"ACME\\r\\nCorp"'),
        ("spec.reporting.recipients[0]", "    recipients: [it@acme.example]\n", None),
    ],
)
def test_a_spec_value_with_a_line_break_is_refused_and_nothing_is_written(
    tmp_path: Path, field: str, line: str, value: str | None
) -> None:
    ws = make_workspace(tmp_path / "ws")
    spec = ws / "specs" / "acme-corp.yaml"
    text = spec.read_text()
    assert line in text
    key = line.split(":")[0]
    new = f'{key}: ["it@acme.example\\n"]\n' if value is None else f"{key}: {value}\n"
    spec.write_text(text.replace(line, new))

    result = cli(ws, "validate", "--format", "json", "specs/acme-corp.yaml")
    assert result.returncode == 1
    (problem,) = json.loads(result.stdout)["files"][0]["diagnostics"]
    assert (problem["code"], problem["field"]) == ("control-character", field)
    assert problem["line"] is not None and problem["column"] is not None

    applied = cli(ws, "apply", "--yes", "specs/acme-corp.yaml")
    assert applied.returncode == 1
    assert not (ws / ".asp" / "site").exists()


@pytest.mark.parametrize("setting", ["site", "runs", "state", "playbooks"])
def test_a_path_setting_with_a_line_break_is_a_config_error(tmp_path: Path, setting: str) -> None:
    ws = make_workspace(tmp_path / "ws")
    (ws / "asp-provision.toml").write_text(f'{setting} = ".asp/x\\ny"\n')
    result = cli(ws, "plan")
    assert result.returncode == 1, result.stderr
    assert f"asp-provision.toml: {setting}: the path '.asp/x\\ny' contains a line break" in (
        result.stderr
    )
    assert "Traceback" not in result.stderr


def test_a_workspace_folder_whose_name_holds_a_line_break_is_refused_before_running(
    tmp_path: Path,
) -> None:
    ws = make_workspace(tmp_path / "ws\n* * * * * root evil")
    result = cli(ws, "apply", "--yes", "specs/acme-corp.yaml")
    assert result.returncode == 2, result.stderr
    assert "contains a line break (U+000A)" in result.stderr
    assert "written into the site's cron jobs" in result.stderr
    assert not (ws / ".asp" / "site").exists()
    assert not (ws / ".asp" / "state.db").exists()


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("asp_service_address", "10.0.0.10\n", "'10.0.0.10\\n' contains a line break"),
        ("asp_subnet", "10.42.7.0/24\r", "contains a carriage return"),
        ("asp_site", "/srv/asp\n/acme", "contains a line break"),
        ("asp_dns_nameservers", ["ns1.dc.example.", "ns2\n@ IN A 6.6.6.6"], "line break"),
        ("asp_dns_nameservers", "ns1.dc.example.", "is not a list of name servers"),
        ("asp_site_capacity_mbps", "lots", "is not a whole number of Mbps"),
        ("asp_service_address", "10.0.0.300", "is not an IPv4 address"),
        ("asp_site", "relative/site", "is not an absolute path"),
    ],
)
def test_an_inventory_site_variable_that_would_break_a_config_line_is_refused(
    tmp_path: Path, variable: str, value: Any, says: str
) -> None:
    ws = make_workspace(tmp_path / "ws")
    site = tmp_path / "dc" / "acme-corp"
    _inventory(ws, {"acme-corp": _local(site, **{variable: value})})
    result = cli(ws, "apply", "--yes", "specs/acme-corp.yaml")
    assert result.returncode == 2, result.stderr
    assert "error: the inventory inventory cannot be used: " in result.stderr
    assert f"host acme-corp, variable {variable}: " in result.stderr
    assert says in result.stderr
    assert "Traceback" not in result.stderr
    assert not (ws / ".asp").exists()
    assert not site.exists()


def test_each_bad_value_is_named_with_its_host(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws")
    _inventory(
        ws,
        {
            "acme-corp": _local(tmp_path / "dc" / "acme-corp"),
            "globex-bank": _local(tmp_path / "dc" / "globex-bank", asp_subnet="10.0.0.0/24\n"),
            "northwind-traders": _local(
                tmp_path / "dc" / "northwind-traders", asp_site_capacity_mbps=True
            ),
        },
    )
    result = cli(ws, "apply", "--yes")
    assert result.returncode == 2
    assert "host globex-bank, variable asp_subnet: '10.0.0.0/24\\n'" in result.stderr
    assert "host northwind-traders, variable asp_site_capacity_mbps: True" in result.stderr
    assert "host acme-corp" not in result.stderr


@pytest.mark.slow
def test_a_templated_inventory_value_is_checked_by_the_playbooks_after_evaluation(
    tmp_path: Path,
) -> None:
    ws = make_workspace(tmp_path / "ws")
    site = tmp_path / "dc" / "acme-corp"
    # a template cannot be checked before Ansible evaluates it: the playbook's guard does
    # (the subnet and service address are read by asp-provision itself, so a template there
    # is refused before the run: see test_addresses)
    servers = "{{ ['ns1.dc.example.' ~ '\\n@ IN A 6.6.6.6'] }}"
    _inventory(ws, {"acme-corp": _local(site, asp_dns_nameservers=servers)})
    result = cli(ws, "apply", "--yes", "--only", "network", "specs/acme-corp.yaml")
    assert result.returncode == 1, result.stderr
    assert "acme-corp: step network failed" in result.stderr
    assert "the name servers are malformed" in " ".join(result.stderr.split())  # wrapped
    assert not (site / "network" / "nftables.nft").exists()


def test_a_catalog_description_may_span_lines_but_a_tier_name_may_not(tmp_path: Path) -> None:
    from asp_provision.errors import CatalogError
    from asp_provision.spec.catalog import default_catalog_text, load_catalog

    text = default_catalog_text()
    line = "    description: Business-hours support for teams that can wait for an answer.\n"
    assert line in text
    folded = text.replace(
        line, "    description: >\n      Business-hours support,\n\n      by e-mail.\n"
    )
    path = tmp_path / "catalog.yaml"
    path.write_text(folded)
    assert load_catalog(path).tiers["silver"].description == "Business-hours support,\nby e-mail.\n"

    path = tmp_path / "bad.yaml"
    path.write_text(text.replace("  silver:\n", '  "silver\\n":\n', 1))
    with pytest.raises(CatalogError, match="contains a line break"):
        load_catalog(path)
