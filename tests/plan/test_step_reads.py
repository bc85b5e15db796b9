"""Each step declares everything its role and templates read of a customer.

A step runs again only when what it declares it reads changes, so a read it does not
declare leaves the site stale: a renamed customer would keep its old name in
``app.json``. The reads are found in the roles' own source (see ``reads.py``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from asp_provision.plan.steps import STEPS
from tests.plan.reads import Scan, Unfollowed, scan_playbook, scan_step, undeclared

ROOT = Path(__file__).resolve().parents[2]
PLAYBOOKS = ROOT / "playbooks"


def reads_of(step: str) -> set[str]:
    return scan_step(PLAYBOOKS, step).reads()


@pytest.mark.parametrize("step", list(STEPS))
def test_every_read_of_a_step_is_declared(step: str) -> None:
    missing = undeclared(reads_of(step), STEPS[step].reads)
    assert not missing, (
        f"the {step} step's role reads {', '.join(missing)}, which the {step} "
        "step does not declare in asp_provision/plan/steps.py"
    )


# Declared on purpose without a read: verify checks everything (onboarding too is part
# of going live), and a user's role is one of the spec's roles.
DECLARED_UNREAD = {"users": {"spec.security.roles"}}


@pytest.mark.parametrize("step", [s for s in STEPS if s != "verify"])
def test_every_declared_read_is_read(step: str) -> None:
    # a declaration nothing reads plans the step for changes that do not touch it
    reads = reads_of(step)
    unused = [
        d
        for d in STEPS[step].reads
        if not any(r == d or r.startswith(d + ".") or d.startswith(r + ".") for r in reads)
        and d not in DECLARED_UNREAD.get(step, set())
    ]
    assert not unused, f"the {step} step declares {unused} but its role never reads them"


def test_the_scan_sees_through_variables_and_templates() -> None:
    application = reads_of("application")
    # app.json: the customer's name, the tier and its support scope, the SLA in force
    assert {"metadata.name", "tier.name", "tier.support.included", "spec.sla"} <= application
    # nginx.conf through site_app_servers -> asp_network, laid out from spec.servers.pools
    assert "spec.servers.pools" in application
    # backup.cron.j2: {% set backups = asp_spec.platform.storage.backups %}, one of the
    # templates of a task that loops over several (src: "{{ item.src }}")
    assert "spec.platform.storage.backups.retention_days" in reads_of("platform")
    # the play's "security: {{ asp_spec.security }}" is an alias: only what is used counts
    security = reads_of("security")
    assert "spec.security.password_policy.min_length" in security
    assert "spec.security" not in security
    # asp_charges stands for what the charges are computed from
    assert {"tier.prices", "spec.network.bandwidth_mbps"} <= reads_of("billing")
    # verify runs every step's checks (their roles' tasks/verify.yml), and reads the site
    # as the roles ask (<role>_verify_reads, gathered by name): the middleware files
    verify = reads_of("verify")
    assert {"spec.billing.account_id", "spec.users", "spec.platform.middleware"} <= verify


def test_variables_gathered_by_name_pattern_count_as_used() -> None:
    scan = Scan()
    scan.define("a_verify_reads", "{{ asp_spec.network.domain }}", "t")
    scan.define("b_other", "{{ asp_spec.billing }}", "t")
    scan.define(
        "all_reads",
        "{{ query('ansible.builtin.vars', *query('ansible.builtin.varnames', '_verify_reads$')) }}",
        "t",
    )
    scan.uses.add(("all_reads", ()))
    assert scan.reads() == {"spec.network.domain"}


def test_a_read_left_undeclared_is_found() -> None:
    # the application step as it was declared before app.json's reads were
    before = (
        "spec.application",
        "spec.network.domain",
        "spec.network.allow_from",
        "spec.servers.pools",
        "spec.sla",
    )
    assert undeclared(reads_of("application"), before) == [
        "metadata.name",
        "tier.hsts",
        "tier.name",
        "tier.support.excluded",
        "tier.support.included",
    ]
    # and a tier read through the spec's tier name is not a read of the tier's values
    assert undeclared(reads_of("billing"), ("spec.billing", "spec.tier", "metadata")) == [
        "spec.network.bandwidth_mbps",
        "tier.name",
        "tier.prices",
    ]


@pytest.mark.parametrize(
    ("task", "why"),
    [
        ({"name": "x", "include_tasks": "more.yml"}, "include_tasks"),
        ({"name": "x", "debug": {"msg": "{{ hostvars[inventory_hostname].asp_spec }}"}}, "by name"),
        ({"name": "x", "debug": {"msg": "{{ lookup('vars', 'asp_' ~ 'spec') }}"}}, "lookup"),
        (
            {"name": "x", "debug": {"msg": "{{ lookup('ansible.builtin.vars', 'asp_spec') }}"}},
            "lookup",
        ),
        ({"name": "x", "template": {"src": "{{ which }}.j2", "dest": "/x"}}, "source"),
        (
            {
                "name": "x",
                "template": {"src": "{{ item.src }}", "dest": "/x"},
                "loop": "{{ files }}",  # items the scan cannot see
            },
            "source",
        ),
        (
            {
                "name": "x",
                "template": {"src": "{{ item.src }}", "dest": "/x"},
                "loop": [{"src": "{{ which }}.j2"}],
            },
            "source",
        ),
    ],
)
def test_what_the_scan_cannot_follow_is_refused(
    tmp_path: Path, task: dict[str, object], why: str
) -> None:
    import yaml

    playbook = tmp_path / "step.yml"
    playbook.write_text(yaml.safe_dump([{"hosts": "all", "tasks": [task]}]))
    with pytest.raises(Unfollowed, match=why):
        scan_playbook(playbook)


def test_an_alias_carries_its_chain_and_anything_else_reads_all() -> None:
    scan = Scan()
    scan.define("net", "{{ asp_spec.network }}", "t")
    scan.define("names", "{{ asp_spec.users | map(attribute='username') | list }}", "t")
    scan.define("other", "{{ net.domain ~ asp_metadata['name'] }}", "t")
    scan.uses |= {("net", ("qos",)), ("names", ()), ("other", ("upper",))}
    assert scan.reads() == {
        "spec.network.qos",
        "spec.users",
        "spec.network.domain",
        "metadata.name",
    }
