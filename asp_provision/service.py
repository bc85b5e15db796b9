"""The facade every command goes through: validate, schema, plan, apply, status.

Nothing here prints; each method returns a value for a renderer, or raises an error
from :mod:`asp_provision.errors`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from asp_provision.config import Workspace
from asp_provision.spec.batch import ValidationReport, spec_files, validate_files

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
