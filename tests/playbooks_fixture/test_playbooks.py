"""The step playbooks against the two fixture customers, with real Ansible.

Each scenario runs ansible-playbook on a fresh site under a temporary folder: apply,
re-apply (nothing changes), check mode (nothing changes; a hand edit shows), teardown
(the ledger is kept, closed). Both Ansible's own strategy and mitogen's are covered.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from asp_provision.plan.steps import STEPS
from asp_provision.site.ca import CertificateAuthority

pytestmark = pytest.mark.slow

HERE = Path(__file__).resolve().parent
PLAYBOOKS = HERE.parents[1] / "playbooks"
CUSTOMERS = ("acme-corp", "globex-industries")
OIDC_SECRET = "gx-oidc-9f2c7d4e1b"  # the fixture's asp_secrets.sso_client_secret
# and its keyed fingerprint, asp_secret_fingerprints.sso_client_secret
OIDC_FINGERPRINT = "hmac-sha256:6b1c0e4ad3f1b0f0c4e8a0d2b7c9e1f3a5b7c9d1e3f5a7b9c1d3e5f7a9b1c3d5"
PWNED = Path("/tmp/asp-pwned")  # what the hostile full_name would create if templated
RECAP = re.compile(
    r"^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M
)


def _ansible_playbook() -> str:
    beside = Path(sys.executable).parent / "ansible-playbook"
    found = str(beside) if beside.exists() else shutil.which("ansible-playbook")
    if not found:
        pytest.skip("ansible-playbook is not installed")
    return found


def _mitogen_strategy_dir() -> str | None:
    try:
        import ansible_mitogen  # type: ignore[import-not-found]
    except ImportError:
        return None
    return str(Path(ansible_mitogen.__file__).parent / "plugins" / "strategy")


class Site:
    """A fresh local site for the fixture inventory, and a way to run playbooks on it."""

    def __init__(self, root: Path, strategy: str) -> None:
        self.root = root / "site"
        self.inventory = root / "inventory.json"
        text = (HERE / "inventory.json").read_text(encoding="utf-8")
        tls = root / "tls"
        self.inventory.write_text(
            text.replace("__SITE__", str(self.root)).replace("__TLS__", str(tls)),
            encoding="utf-8",
        )
        # each customer's certificate, as asp-provision issues it before a run
        authority = CertificateAuthority.open(root / "ca", "fixture")
        for customer in json.loads(text)["all"]["hosts"]:
            domain = json.loads(text)["all"]["hosts"][customer]["asp_spec"]["network"]["domain"]
            authority.issue(domain["__ansible_unsafe"], tls / customer)
        self.env = {
            **os.environ,
            "ANSIBLE_LIBRARY": str(PLAYBOOKS / "library"),
            "ANSIBLE_MODULE_UTILS": str(PLAYBOOKS / "module_utils"),
            "ANSIBLE_ROLES_PATH": str(PLAYBOOKS / "roles"),
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_RETRY_FILES_ENABLED": "0",
            "ANSIBLE_LOCAL_TEMP": str(root / "tmp"),
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        }
        if strategy == "mitogen":
            strategy_dir = _mitogen_strategy_dir()
            if strategy_dir is None:
                pytest.skip("mitogen is not installed")
            self.env |= {
                "ANSIBLE_STRATEGY_PLUGINS": strategy_dir,
                "ANSIBLE_STRATEGY": "mitogen_linear",
            }

    def run(
        self, playbook: str, *args: str, inventory: Path | None = None
    ) -> tuple[dict[str, dict[str, int]], str]:
        proc = subprocess.run(
            [
                _ansible_playbook(),
                "-i",
                str(inventory or self.inventory),
                str(HERE / playbook),
                *args,
            ],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        out = proc.stdout + proc.stderr
        recap = {
            m[0]: {
                "ok": int(m[1]),
                "changed": int(m[2]),
                "unreachable": int(m[3]),
                "failed": int(m[4]),
            }
            for m in RECAP.findall(out)
        }
        return recap, out

    def step(self, name: str) -> str:
        """A playbook of the fixture's play for one step alone (written next to the site)."""
        plays = yaml.safe_load((HERE / "site.yml").read_text(encoding="utf-8"))
        chosen = [p for p in plays if p["hosts"] == STEPS[name].group]
        for play in chosen:
            play["vars_files"] = [str(HERE / v) for v in play["vars_files"]]
        path = self.root.parent / f"{name}.yml"
        path.write_text(yaml.safe_dump(chosen), encoding="utf-8")
        return str(path)

    def path(self, customer: str, relative: str) -> Path:
        return self.root / customer / relative

    def json(self, customer: str, relative: str) -> object:
        return json.loads(self.path(customer, relative).read_text(encoding="utf-8"))

    def rows(self, customer: str, relative: str, query: str) -> list[tuple[object, ...]]:
        conn = sqlite3.connect(self.path(customer, relative))
        try:
            return conn.execute(query).fetchall()
        finally:
            conn.close()


def _assert_clean(recap: dict[str, dict[str, int]], out: str, changed: bool | None) -> None:
    assert set(recap) == set(CUSTOMERS), out[-3000:]
    for host, counts in recap.items():
        assert counts["failed"] == 0 and counts["unreachable"] == 0, f"{host}: {out[-3000:]}"
        if changed is False:
            assert counts["changed"] == 0, f"{host} changed on a converged site:\n{out[-6000:]}"
        if changed is True:
            assert counts["changed"] > 0, f"{host} did not change:\n{out[-3000:]}"


def _check_artifacts(site: Site) -> None:
    acme, globex = CUSTOMERS
    # network
    nft = site.path(acme, "network/nftables.nft").read_text()
    assert "elements = { 203.0.113.0/24, 198.51.100.7/32 }" in nft
    assert "tcp dport { 80, 443 } ip saddr @allow_from_v4 accept" in nft
    assert "2001:db8:42::/48" in site.path(globex, "network/nftables.nft").read_text()
    zone = site.path(acme, "network/dns/mail.acme.example.zone").read_text()
    assert "$ORIGIN mail.acme.example." in zone and "IN\tSOA\t" in zone and "IN\tA\t" in zone
    assert "ceil_mbit = 100" in site.path(acme, "network/qos.conf").read_text()
    assert site.json(globex, "network/connection.json") == {
        "bandwidth_mbps": 500,
        "customer": globex,
        "customer_cidrs": ["192.0.2.0/24"],
        "provider": "Orange Business",
        "type": "mpls",
    }
    assert site.json(acme, "network/connection.json")["provider"] == "Telia"
    # servers
    allocation = site.json(acme, "servers/allocation.json")
    assert [s["name"] for s in allocation["servers"]] == [
        "acme-corp-app-1",
        "acme-corp-app-2",
        "acme-corp-db-1",
    ]
    assert allocation["tenancy"] == "dedicated"
    # platform
    assert sorted(p.name for p in site.path(acme, "platform/middleware").iterdir()) == [
        "postgresql.conf",
        "redis.conf",
    ]
    assert "--retention-days 30" in site.path(acme, "platform/backup.cron").read_text()
    assert site.json(globex, "platform/storage.json")["class"] == "nvme"
    # security: the OIDC secret only as its fingerprint
    sso = site.json(globex, "security/sso.json")
    assert sso["client_secret_fingerprint"] == OIDC_FINGERPRINT
    assert hashlib.sha256(OIDC_SECRET.encode()).hexdigest() not in json.dumps(sso)
    assert site.json(acme, "security/sso.json")["protocol"] == "saml"
    for path in site.root.rglob("*"):
        if path.is_file():
            assert OIDC_SECRET.encode() not in path.read_bytes(), path
    # application
    nginx = site.path(acme, "application/nginx.conf").read_text()
    assert "server_name mail.acme.example;" in nginx and "deny all;" in nginx
    assert (
        nginx.index("allow 203.0.113.0/24;")
        < nginx.index("allow 198.51.100.7/32;")
        < nginx.index("deny all;")
    )
    assert site.json(globex, "application/app.json")["customer_name"] == "{{ 7*7 }}"
    # users: stored literally, nothing executed
    users = site.rows(
        globex, "application/users.db", "SELECT username, full_name FROM users ORDER BY username"
    )
    assert users == [
        ("hgruber", "{{ lookup('pipe','touch /tmp/asp-pwned') }}"),
        ("k.tanaka", "Kenji Tanaka"),
        ("mrossi", "Maria Rossi"),
    ]
    assert not PWNED.exists()
    # billing
    ledger = site.rows(
        acme,
        "billing/ledger.db",
        "SELECT account_id, status, seats, monthly_charge, po_number FROM accounts",
    )
    assert ledger == [("ACME-0001", "open", 50, 2800.0, "PO-4471")]
    assert site.rows(globex, "billing/ledger.db", "SELECT name, po_number FROM accounts") == [
        ("{{ 7*7 }}", None)
    ]
    # reporting
    alerts = site.path(globex, "monitoring/prometheus/alerts.yml").read_text()
    assert "* 100 < 99.95" in alerts and "> 300" in alerts
    assert "asp_ticket_oldest_unresolved_seconds" in alerts and "> 3600" in alerts
    _promtool_check(site.path(globex, "monitoring/prometheus/alerts.yml"))
    targets = site.json(acme, "monitoring/prometheus/targets.json")
    assert all(
        group["labels"]["customer"] == acme and group["labels"]["tier"] == "gold"
        for group in targets
    )
    assert site.json(acme, "reporting/schedule.json")["schedule"] == "weekly"


def _promtool_check(rules: Path) -> None:
    """promtool's own check of the rule file, where Prometheus is installed."""
    promtool = shutil.which("promtool")
    if promtool is None:
        print("promtool is not installed (apt-get install -y prometheus): rules not checked by it")
        return
    proc = subprocess.run(
        [promtool, "check", "rules", str(rules)], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "SUCCESS: 4 rules found" in proc.stdout


@pytest.mark.parametrize("strategy", ["linear", "mitogen"])
def test_lifecycle(tmp_path: Path, strategy: str) -> None:
    site = Site(tmp_path, strategy)
    if PWNED.exists():
        PWNED.unlink()

    recap, out = site.run("site.yml")
    _assert_clean(recap, out, changed=True)
    assert OIDC_SECRET not in out
    _check_artifacts(site)

    recap, out = site.run("site.yml")
    _assert_clean(recap, out, changed=False)

    recap, out = site.run("site.yml", "--check", "--diff")
    _assert_clean(recap, out, changed=False)
    assert OIDC_SECRET not in out

    # A hand edit is drift: check mode reports it and writes nothing.
    qos = site.path("acme-corp", "network/qos.conf")
    qos.write_text(qos.read_text().replace("ceil_mbit = 100", "ceil_mbit = 1000"))
    recap, out = site.run("site.yml", "--check", "--diff")
    assert recap["acme-corp"]["changed"] >= 1 and "+ceil_mbit = 100" in out, out[-3000:]
    assert recap["globex-industries"]["changed"] == 0
    assert "ceil_mbit = 1000" in qos.read_text()
    recap, out = site.run("site.yml")
    assert recap["acme-corp"]["changed"] == 1 and recap["acme-corp"]["failed"] == 0, out[-3000:]

    recap, out = site.run("teardown.yml")
    _assert_clean(recap, out, changed=True)
    recap, out = site.run("teardown.yml")
    _assert_clean(recap, out, changed=False)
    for customer in CUSTOMERS:
        assert sorted(p.name for p in site.path(customer, ".").iterdir()) == ["billing"]
        ((status, closed_at),) = site.rows(
            customer, "billing/ledger.db", "SELECT status, closed_at FROM accounts"
        )
        assert status == "closed" and closed_at


def test_verify_reports_drift(tmp_path: Path) -> None:
    site = Site(tmp_path, "linear")
    recap, out = site.run("site.yml")
    _assert_clean(recap, out, changed=True)
    nginx = site.path("acme-corp", "application/nginx.conf")
    nginx.write_text(nginx.read_text().replace("allow 198.51.100.7/32;", "allow 0.0.0.0/0;"))
    recap, out = site.run(site.step("verify"), "--check")
    assert recap["acme-corp"]["failed"] == 1 and recap["globex-industries"]["failed"] == 0
    assert "nginx allows ['0.0.0.0/0', '203.0.113.0/24']" in out
    assert nginx.read_text().count("0.0.0.0/0") == 1  # verify never writes


def test_verify_reports_a_stale_application_definition(tmp_path: Path) -> None:
    site = Site(tmp_path, "linear")
    recap, out = site.run("site.yml")
    _assert_clean(recap, out, changed=True)
    app = site.path("acme-corp", "application/app.json")
    stale = json.loads(app.read_text())
    stale["customer_name"] = "ACME Corp (old name)"
    app.write_text(json.dumps(stale))
    recap, out = site.run(site.step("verify"), "--check")
    assert recap["acme-corp"]["failed"] == 1 and recap["globex-industries"]["failed"] == 0
    assert "application/app.json does not name ACME Corporation and the gold tier's support" in out


def test_bandwidth_over_site_capacity_fails(tmp_path: Path) -> None:
    site = Site(tmp_path, "linear")
    inventory = json.loads(site.inventory.read_text())
    inventory["all"]["hosts"]["globex-industries"]["asp_site_capacity_mbps"] = 200
    limited = tmp_path / "limited.json"
    limited.write_text(json.dumps(inventory))
    recap, out = site.run(site.step("network"), inventory=limited)
    assert recap["globex-industries"]["failed"] == 1
    assert recap["acme-corp"]["failed"] == 0
    assert "network.bandwidth_mbps is 500 Mbps but this site can deliver at most 200 Mbps" in out
    assert not site.path("globex-industries", "network").exists()


def test_a_new_billing_account_closes_the_one_it_replaces(tmp_path: Path) -> None:
    site = Site(tmp_path, "linear")
    recap, out = site.run(site.step("billing"))
    _assert_clean(recap, out, changed=True)
    inventory = json.loads(site.inventory.read_text())
    billing = inventory["all"]["hosts"]["acme-corp"]["asp_spec"]["billing"]
    billing["account_id"] = {"__ansible_unsafe": "ACME-0002"}
    moved = tmp_path / "moved.json"
    moved.write_text(json.dumps(inventory))

    recap, out = site.run(site.step("billing"), "--check", "--diff", inventory=moved)
    assert recap["acme-corp"]["changed"] == 1 and recap["globex-industries"]["changed"] == 0
    accounts = "SELECT account_id, status, closed_at IS NOT NULL FROM accounts ORDER BY 1"
    assert site.rows("acme-corp", "billing/ledger.db", accounts) == [("ACME-0001", "open", 0)]

    recap, out = site.run(site.step("billing"), inventory=moved)
    assert recap["acme-corp"]["changed"] == 1 and recap["acme-corp"]["failed"] == 0, out[-3000:]
    assert site.rows("acme-corp", "billing/ledger.db", accounts) == [
        ("ACME-0001", "closed", 1),
        ("ACME-0002", "open", 0),
    ]
    events = "SELECT account_id, event, detail FROM events ORDER BY id"
    assert site.rows("acme-corp", "billing/ledger.db", events) == [
        ("ACME-0001", "opened", None),
        ("ACME-0002", "opened", None),
        ("ACME-0001", "closed", '{"superseded_by": "ACME-0002"}'),
    ]
    recap, out = site.run(site.step("billing"), inventory=moved)
    _assert_clean(recap, out, changed=False)


def _serial(zone: Path) -> int:
    match = re.search(r"(\d+)\s*; serial", zone.read_text())
    assert match, zone.read_text()
    return int(match.group(1))


def test_a_changed_zone_gets_a_greater_serial(tmp_path: Path) -> None:
    site = Site(tmp_path, "linear")
    recap, out = site.run(site.step("network"))
    _assert_clean(recap, out, changed=True)
    zone = site.path("acme-corp", "network/dns/mail.acme.example.zone")
    first = _serial(zone)
    assert str(first)[:8].isdigit() and len(str(first)) == 10  # YYYYMMDDnn
    assert str(first).endswith("00")

    recap, out = site.run(site.step("network"))
    _assert_clean(recap, out, changed=False)
    assert _serial(zone) == first

    inventory = json.loads(site.inventory.read_text())
    inventory["all"]["hosts"]["acme-corp"]["asp_dns_nameservers"] = ["ns1.dc.example."]
    moved = tmp_path / "moved.json"
    moved.write_text(json.dumps(inventory))
    recap, out = site.run(site.step("network"), inventory=moved)
    assert recap["acme-corp"]["changed"] == 1 and recap["acme-corp"]["failed"] == 0, out[-3000:]
    assert _serial(zone) == first + 1
    assert "IN\tNS\tns1.dc.example." in zone.read_text()
    recap, out = site.run(site.step("network"), inventory=moved)
    _assert_clean(recap, out, changed=False)

    # a serial from the future (or another scheme) only ever goes up
    zone.write_text(zone.read_text().replace(str(first + 1), "9000000000"))
    zone.write_text(re.sub(r"; records [0-9a-f]+", "; records 0", zone.read_text()))
    recap, out = site.run(site.step("network"), inventory=moved)
    assert _serial(zone) == 9000000001

    # a new domain: its zone is written, the former domain's is removed
    network = inventory["all"]["hosts"]["acme-corp"]["asp_spec"]["network"]
    network["domain"] = {"__ansible_unsafe": "crm.acme.example"}
    moved.write_text(json.dumps(inventory))
    recap, out = site.run(site.step("network"), inventory=moved)
    assert recap["acme-corp"]["failed"] == 0, out[-3000:]
    assert sorted(p.name for p in zone.parent.iterdir()) == ["crm.acme.example.zone"]
    assert "$ORIGIN crm.acme.example." in (zone.parent / "crm.acme.example.zone").read_text()
