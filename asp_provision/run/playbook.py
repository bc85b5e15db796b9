"""The playbook of a run, generated from the step registry: one play per step.

Each play runs over the step's inventory group and imports the step's role statically
(``import_role``), so a run costs what the roles' tasks cost and no more.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from asp_provision.plan.steps import APPLY, CHECKS, SITE_VARS, STEPS, TEARDOWN, Step, checked_by
from asp_provision.run.inventory import unsafe

MARKER = "asp-provision step "
"""Name prefix of each step's play: a step's events begin with its play."""


def role_tasks(
    step: str, teardown: bool = False, tasks: str | None = None
) -> list[tuple[Step, str]]:
    """The role task files a run imports for ``step``, in order.

    Applying a step runs its role's ``main``, then, for a step that verifies others, the
    checks of each (its own first); a teardown runs the role's ``teardown``; ``tasks``
    names one other task file of the role to run instead (go_live's ``suspend``).
    """
    if tasks is not None:
        return [(STEPS[step], tasks)]
    if teardown:
        return [(STEPS[step], TEARDOWN)]
    return [(STEPS[step], APPLY), *((s, CHECKS) for s in checked_by(step))]


def needed_files(steps: list[str], teardown: bool = False, tasks: str | None = None) -> list[Path]:
    """The files of the playbooks folder a run of ``steps`` reads, relative to it."""
    files = [Path(SITE_VARS)]
    for step in steps:
        files += [Path(role.tasks_file(which)) for role, which in role_tasks(step, teardown, tasks)]
    return list(dict.fromkeys(files))


def entry_playbook(
    steps: list[str], playbooks: Path, teardown: bool = False, tasks: str | None = None
) -> list[Any]:
    """The run's playbook: a play per step of ``steps`` (in run order) over its group.

    The site values file is the workspace's, whose path may hold ``{{``: it is marked as
    data.
    """
    site_vars = unsafe(str(playbooks / SITE_VARS))
    return [
        {
            "name": MARKER + step,
            "hosts": STEPS[step].group,
            "gather_facts": False,
            "vars_files": [site_vars],
            "tasks": [
                {"ansible.builtin.import_role": {"name": role.role, "tasks_from": which}}
                for role, which in role_tasks(step, teardown, tasks)
            ],
        }
        for step in steps
    ]
