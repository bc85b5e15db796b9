"""``validate`` of a workspace's specs: what the command needs, and nothing more.

The service facade (:mod:`asp_provision.service`) knows every operation and its imports;
validate is the command run most often (by editors, pre-commit hooks and CI), so it is
composed here from the spec checks, the workspace's subnet size and the go-live rule.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from asp_provision.config import Workspace, shown
from asp_provision.spec.batch import spec_files, validate_files
from asp_provision.state.pool import server_capacity

if TYPE_CHECKING:
    from asp_provision.spec.batch import ValidationReport


def workspace_specs(workspace: Workspace, paths: list[Path]) -> list[Path]:
    """The spec files for ``paths``, or the workspace's specs folder when empty."""
    return spec_files(paths or [shown(workspace.specs_dir)])


def validate_workspace(
    workspace: Workspace, catalog: Path | None, paths: list[Path]
) -> ValidationReport:
    """Check every spec in ``paths`` against the models and the catalog.

    ``paths`` empty: the specs folder; ``catalog`` None: the workspace's, else the built-in.
    """
    from asp_provision.plan.schedule import go_live_rule

    return validate_files(
        workspace_specs(workspace, paths),
        catalog or workspace.catalog_path,
        server_capacity(workspace.settings.subnet_prefix),
        workspace.root,
        (go_live_rule,),
    )
