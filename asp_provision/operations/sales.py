"""What sales ops ask of a workspace: specs from deals, and a customer's service definition."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from asp_provision.config import shown
from asp_provision.errors import UsageError
from asp_provision.operations.base import WorkspaceOperations

if TYPE_CHECKING:
    from asp_provision.scaffold.deal import Deal, DealOption
    from asp_provision.scaffold.deal import Values as DealValues
    from asp_provision.scaffold.deals import DealSpecs
    from asp_provision.scaffold.new import NewSpec
    from asp_provision.spec.across import Taken


class SalesOperations(WorkspaceOperations):
    """Specs from deals (one at a time or a CSV of them), and service definitions."""

    def next_question(self, values: DealValues) -> tuple[DealOption, list[str] | None] | None:
        """The first required deal value still missing, with its choices; None when complete."""
        from asp_provision.scaffold.deal import choices, missing

        wanted = missing(values, self.catalog)
        if not wanted:
            return None
        return wanted[0], choices(wanted[0].name, values, self.catalog)

    def answer_problems(self, values: DealValues, option: str) -> list[str]:
        """What is wrong with the answer just given for ``option`` (empty when it will do)."""
        from asp_provision.scaffold.deal import answer_problems

        return answer_problems(values, option, self.catalog)

    def new_spec(
        self, values: DealValues, out: str | None, force: bool, dry_run: bool
    ) -> tuple[Deal, NewSpec]:
        """A checked spec for one deal, written unless ``dry_run`` or ``out`` is ``-``."""
        from asp_provision.scaffold.deal import DealInvalid, read_deal
        from asp_provision.scaffold.files import elsewhere, existing_customers, refuse_overwrite
        from asp_provision.scaffold.new import conflicts, new_spec, spec_path, write_spec

        deal = read_deal(values, self.catalog)
        path: Path | None
        if out == "-":
            path = None
        elif out:
            path = Path(out)
        else:
            path = spec_path(self.workspace.specs_dir, deal.customer)
        if path is not None and not dry_run:
            refuse_overwrite(path, force)
            specs_dir = self.workspace.specs_dir
            why = elsewhere(deal.customer, path, existing_customers(specs_dir), specs_dir)
            if why is not None:
                raise UsageError(why)
        spec = new_spec(deal, self.catalog, self.templates(), path)
        problems = conflicts(spec, self._claims_held(but=deal.customer))
        if problems:
            raise DealInvalid(problems)
        if spec.path is not None and not dry_run:
            write_spec(spec, force)
        return deal, spec

    def _claims_held(self, but: str | None = None) -> Taken:
        """The domains and accounts the workspace's customers hold (``but``'s aside)."""
        from asp_provision.scaffold.new import workspace_claims

        snapshot = self.state_reader().snapshot()
        recorded = {n: c.spec for n, c in snapshot.customers.items() if n != but}
        state = f"the state {shown(self.workspace.state_path)}"
        return workspace_claims(shown(self.workspace.specs_dir), recorded, state)

    def new_from_csv(self, deals_csv: Path, force: bool, dry_run: bool) -> DealSpecs:
        """A checked spec for every row of a CSV of deals; all written, or none."""
        from asp_provision.scaffold.deals import make_specs, read_deals, write_specs

        workspace = self.workspace
        made = make_specs(
            read_deals(deals_csv),
            workspace.specs_dir,
            workspace.path(workspace.settings.templates),
            self.catalog_path,
            force,
            self._claims_held(),
        )
        if not dry_run:
            write_specs(made.specs, force)
        return made

    def service_definition(self, customer: str, fmt: str) -> str:
        """The customer's service definition (md or html), from its spec."""
        from asp_provision.scaffold.docs import find_spec, service_definition

        path = find_spec(customer, self.workspace.specs_dir)
        return service_definition(path, self.catalog, self.templates(), fmt)
