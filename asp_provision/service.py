"""The facade every command goes through: validate, schema, plan, apply, status.

Nothing here prints; each method returns a value for a renderer, or raises an error
from :mod:`asp_provision.errors`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from asp_provision.config import Workspace
from asp_provision.errors import SpecsInvalid
from asp_provision.spec.batch import (
    DuplicateCustomers,
    FileReport,
    ValidationReport,
    check_files,
    spec_files,
    validate_files,
)

if TYPE_CHECKING:
    from asp_provision.plan.model import Plan
    from asp_provision.plan.planner import Desired
    from asp_provision.spec.catalog import Catalog
    from asp_provision.state.store import Snapshot, StateReader

SCHEMA_ID = "urn:asp-provision:schema:subscription:v1"


class Service:
    """Operations on one workspace."""

    def __init__(self, workspace: Workspace, catalog: Path | None = None) -> None:
        self.workspace = workspace
        self.catalog_path = catalog or workspace.catalog_path

    def spec_paths(self, paths: list[Path]) -> list[Path]:
        """The spec files for ``paths``, or the workspace's specs folder when empty."""
        return spec_files(paths or [_relative(self.workspace.specs_dir)])

    def validate(self, paths: list[Path]) -> ValidationReport:
        """Check every spec in ``paths`` against the models and the catalog."""
        return validate_files(self.spec_paths(paths), self.catalog_path)

    @property
    def catalog(self) -> Catalog:
        """The catalog in use."""
        from asp_provision.spec.catalog import load_catalog

        return load_catalog(self.catalog_path)

    def catalog_hash(self) -> str:
        """A hash of the catalog's text, recorded in plans."""
        from asp_provision.spec.catalog import default_catalog_text

        path = self.catalog_path
        data = path.read_bytes() if path else default_catalog_text().encode()
        return hashlib.sha256(data).hexdigest()

    def state_reader(self) -> StateReader:
        """Read-only access to the state."""
        from asp_provision.state.store import StateReader

        return StateReader(self.workspace.state_path)

    def desired(self, paths: list[Path]) -> Loaded:
        """Load and check specs; raise SpecsInvalid (with the report) if any is invalid."""
        from asp_provision.plan.planner import Desired

        files = self.spec_paths(paths)
        dupes = DuplicateCustomers()
        reports: list[FileReport] = []
        desired: list[Desired] = []
        for result in check_files(files, self.catalog_path, keep_models=True):
            result = dupes.check(result)
            reports.append(FileReport(result.path, result.customer, tuple(result.diagnostics)))
            if result.subscription is not None:
                content = hashlib.sha256(Path(result.path).read_bytes()).hexdigest()
                desired.append(Desired(result.path, content, result.subscription))
        report = ValidationReport(tuple(reports))
        if report.errors:
            raise SpecsInvalid(report)
        return Loaded(report, desired)

    def plan(self, paths: list[Path]) -> PlanResult:
        """Diff the specs against the state: steps, changes, estimate, sizing, charges."""
        from asp_provision.plan.planner import make_plan

        loaded = self.desired(paths)
        snapshot = self.state_reader().snapshot()
        plan = make_plan(loaded.desired, snapshot, self.catalog, self.catalog_hash())
        return PlanResult(plan, loaded.report, snapshot)


@dataclass(frozen=True, slots=True)
class Loaded:
    """Specs that passed validation, with the report (warnings included)."""

    report: ValidationReport
    desired: list[Desired]


@dataclass(frozen=True, slots=True)
class PlanResult:
    """A plan with the validation report and the state it was made against."""

    plan: Plan
    report: ValidationReport
    snapshot: Snapshot


def _relative(path: Path) -> Path:
    """``path`` relative to the current folder when it is below it, for shorter messages."""
    try:
        return path.relative_to(Path.cwd())
    except ValueError:
        return path


def subscription_schema() -> dict[str, Any]:
    """The JSON Schema of a spec, generated from the models."""
    from asp_provision.spec.models import Subscription

    schema = Subscription.model_json_schema(by_alias=True, mode="validation")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "asp-provision Subscription (apiVersion asp-provision/v1)",
        **{k: v for k, v in schema.items() if k != "title"},
    }
