"""What every operation on a workspace stands on: its settings, catalog, specs and state."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from asp_provision.config import Workspace
from asp_provision.state.pool import server_capacity
from asp_provision.validation import validate_workspace, workspace_specs

if TYPE_CHECKING:
    from asp_provision.run.targets import Inventory
    from asp_provision.scaffold.templates import Templates
    from asp_provision.spec.batch import ValidationReport
    from asp_provision.spec.catalog import Catalog
    from asp_provision.state.store import StateReader


class WorkspaceOperations:
    """One workspace, with the catalog in use (``catalog``, else the workspace's)."""

    def __init__(self, workspace: Workspace, catalog: Path | None = None) -> None:
        self.workspace = workspace
        self.catalog_path = catalog or workspace.catalog_path
        self._inventory: Inventory | None = None
        # what a run killed by SIGKILL left of its secrets (its inventory) goes first; the
        # folder is looked at before its module is loaded, which start-up need not pay for
        if (workspace.asp_dir / "private").is_dir():  # run.private.FOLDER
            from asp_provision.run.private import sweep

            sweep(workspace.asp_dir)

    def spec_paths(self, paths: list[Path]) -> list[Path]:
        """The spec files for ``paths``, or the workspace's specs folder when empty."""
        return workspace_specs(self.workspace, paths)

    def validate(self, paths: list[Path]) -> ValidationReport:
        """Check every spec in ``paths`` against the models and the catalog."""
        return validate_workspace(self.workspace, self.catalog_path, paths)

    def _capacity(self) -> int:
        """How many servers a customer's subnet holds, with this workspace's settings."""
        return server_capacity(self.workspace.settings.subnet_prefix)

    @property
    def catalog(self) -> Catalog:
        """The catalog in use."""
        from asp_provision.spec.catalog import load_catalog

        return load_catalog(self.catalog_path)

    def catalog_hash(self) -> str:
        """A hash of the catalog's text, recorded in plans."""
        import hashlib

        from asp_provision.spec.catalog import default_catalog_text

        path = self.catalog_path
        data = path.read_bytes() if path else default_catalog_text().encode()
        return hashlib.sha256(data).hexdigest()

    def state_reader(self) -> StateReader:
        """Read-only access to the state."""
        from asp_provision.state.store import StateReader

        return StateReader(self.workspace.state_path, self.workspace.settings.state_timeout)

    def templates(self) -> Templates:
        """The workspace's Jinja2 templates."""
        from asp_provision.scaffold.templates import Templates

        workspace = self.workspace
        return Templates(workspace.path(workspace.settings.templates))
