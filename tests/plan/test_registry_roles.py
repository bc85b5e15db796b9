"""The step registry and the playbooks agree: a step is one registry row plus one role.

Nothing but ``asp_provision/plan/steps.py`` lists the steps; these checks fail when a row
has no role, a role has no row, a name cannot be an Ansible group or role, or the
playbook fixture has fallen behind the registry.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from asp_provision.plan.steps import (
    APPLY,
    CHECKS,
    NAME,
    PHASES,
    ROLES,
    STEPS,
    TEARDOWN,
    VERIFY,
    Step,
    checked_by,
)
from asp_provision.run.inventory import build_inventory
from asp_provision.run.playbook import MARKER, entry_playbook

ROOT = Path(__file__).resolve().parents[2]
PLAYBOOKS = ROOT / "playbooks"
FIXTURE = ROOT / "tests" / "playbooks_fixture"

# Ansible's rules: group names are Python identifiers; the role-name lint rule wants
# lowercase letters, digits and underscores, starting with a letter.
GROUP_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
ROLE_NAME = re.compile(r"[a-z][a-z0-9_]*\Z")


@pytest.mark.parametrize("step", list(STEPS.values()), ids=list(STEPS))
def test_every_step_has_a_role_with_its_three_task_files(step: Step) -> None:
    for which in (APPLY, TEARDOWN, CHECKS):
        tasks = PLAYBOOKS / step.tasks_file(which)
        assert tasks.is_file(), f"the {step.name} step has no {tasks.relative_to(ROOT)}"
        assert isinstance(yaml.safe_load(tasks.read_text(encoding="utf-8")), list), tasks


@pytest.mark.parametrize("step", list(STEPS.values()), ids=list(STEPS))
def test_step_names_are_valid_ansible_names(step: Step) -> None:
    assert NAME.match(step.name), step.name
    assert GROUP_NAME.match(step.group), step.group
    assert ROLE_NAME.match(step.role), step.role


def test_every_step_counts_towards_a_phase_and_phases_run_in_order() -> None:
    order = [PHASES.index(step.phase) for step in STEPS.values()]
    assert order == sorted(order), [(s.name, s.phase) for s in STEPS.values()]


def test_a_name_ansible_would_refuse_is_not_a_step_name() -> None:
    for bad in ("data-conversion", "Network", "2fa", "go live", ""):
        assert not NAME.match(bad), bad


def test_every_role_is_a_step() -> None:
    roles = sorted(p.name for p in (PLAYBOOKS / ROLES).iterdir() if p.is_dir())
    assert roles == sorted(s.role for s in STEPS.values())


def test_every_steps_checks_are_run_by_a_step_that_verifies() -> None:
    checked = {s.name for v in STEPS for s in checked_by(v)}
    # the onboarding steps after verify have no checks of their own there: acceptance
    # checks the service they leave
    after_verify = list(STEPS)[list(STEPS).index(VERIFY) + 1 :]
    assert checked == set(STEPS) - set(after_verify)
    for name in after_verify:
        tasks = PLAYBOOKS / STEPS[name].check_tasks
        assert yaml.safe_load(tasks.read_text(encoding="utf-8")) == [], tasks
    # each after what it checks, so the site it reads is the one the run left
    for name in STEPS:
        for step in checked_by(name):
            assert step.name == name or list(STEPS).index(step.name) < list(STEPS).index(name)


def _plays(playbook: list[dict[str, Any]]) -> list[tuple[str, list[tuple[str, str]]]]:
    """Each play's hosts and the role task files it imports, in order."""
    out = []
    for play in playbook:
        imports = [t["ansible.builtin.import_role"] for t in play["tasks"]]
        out.append((play["hosts"], [(i["name"], i.get("tasks_from", APPLY)) for i in imports]))
    return out


def test_the_run_plays_each_step_from_the_registry() -> None:
    playbook = entry_playbook(list(STEPS), PLAYBOOKS)
    assert [p["name"] for p in playbook] == [MARKER + s for s in STEPS]
    assert _plays(playbook)[list(STEPS).index(VERIFY)] == (
        STEPS[VERIFY].group,
        [(VERIFY, APPLY), *((s.role, CHECKS) for s in checked_by(VERIFY))],
    )
    teardown = entry_playbook(list(reversed(STEPS)), PLAYBOOKS, teardown=True)
    assert _plays(teardown) == [(s.group, [(s.role, TEARDOWN)]) for s in reversed(STEPS.values())]


@pytest.mark.parametrize(("name", "teardown"), [("site.yml", False), ("teardown.yml", True)])
def test_the_playbook_fixture_plays_what_the_run_plays(name: str, teardown: bool) -> None:
    steps = list(reversed(STEPS)) if teardown else list(STEPS)
    fixture = yaml.safe_load((FIXTURE / name).read_text(encoding="utf-8"))
    assert _plays(fixture) == _plays(entry_playbook(steps, PLAYBOOKS, teardown))
    for play in fixture:
        assert [(FIXTURE / v).resolve() for v in play["vars_files"]] == [
            PLAYBOOKS / "vars" / "site.yml"
        ]


def test_the_fixture_inventory_has_every_step_group_with_both_customers() -> None:
    inventory = json.loads((FIXTURE / "inventory.json").read_text(encoding="utf-8"))
    hosts = sorted(inventory["all"]["hosts"])
    children = inventory["all"]["children"]
    made = build_inventory([], list(STEPS))["all"]["children"]
    assert set(children) == set(made)
    for group in children.values():
        assert sorted(group["hosts"]) == hosts
