"""The facade every command goes through: validate, schema, plan, apply, status.

Nothing here prints; each method returns a value for a renderer, or raises an error
from :mod:`asp_provision.errors`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from asp_provision.config import shown
from asp_provision.errors import SpecsInvalid, StalePlanError, UsageError, UserError
from asp_provision.now import today as _today
from asp_provision.operations.levels import ServiceLevelOperations
from asp_provision.operations.sales import SalesOperations
from asp_provision.spec.batch import (
    DuplicateCustomers,
    FileReport,
    ValidationReport,
    check_files,
)

if TYPE_CHECKING:
    from asp_provision.billing.books import Books, Commitment
    from asp_provision.lifecycle.export import Export
    from asp_provision.lifecycle.history import History
    from asp_provision.plan.model import Plan
    from asp_provision.plan.planner import Desired
    from asp_provision.run.apply import Runner
    from asp_provision.run.results import Progress, RunResult
    from asp_provision.run.targets import Inventory
    from asp_provision.scaffold.workspace import InitResult
    from asp_provision.signoff import Signed
    from asp_provision.site.serve import LocalSite
    from asp_provision.spec.catalog import Catalog
    from asp_provision.state.locks import Lock
    from asp_provision.state.phases import PhaseName
    from asp_provision.state.store import CustomerState, Snapshot
    from asp_provision.status import CustomerStatus

SCHEMA_ID = "urn:asp-provision:schema:subscription:v1"


class Service(SalesOperations, ServiceLevelOperations):
    """Operations on one workspace: its specs, plans, runs and customers' lifecycle.

    What sales ops do (specs from deals, service definitions) and the service levels
    (tickets, outages, reports) are operations of their own, in :mod:`asp_provision.operations`.
    """

    def desired(self, paths: list[Path]) -> Loaded:
        """Load and check specs; raise SpecsInvalid (with the report) if any is invalid."""
        from asp_provision.plan.planner import Desired, prepare
        from asp_provision.spec.across import check_across
        from asp_provision.spec.effective import effective_document

        catalog = self.catalog
        files = self.spec_paths(paths)
        dupes = DuplicateCustomers()
        checked = [
            dupes.check(result)
            for result in check_files(
                files,
                self.catalog_path,
                keep_models=True,
                prepare=prepare,
                workspace=self.workspace.root,
            )
        ]
        # customers recorded in the state whose spec is not among the files still hold
        # their domain and account
        snapshot = self.state_reader().snapshot()
        in_files = {r.customer for r in checked}
        recorded = {n: c.spec for n, c in snapshot.customers.items() if n not in in_files}
        state = f"the state {shown(self.workspace.state_path)}"
        reports: list[FileReport] = []
        desired: list[Desired] = []
        for result in check_across(checked, self._capacity(), recorded, state):
            reports.append(FileReport(result.path, result.customer, tuple(result.diagnostics)))
            if result.subscription is not None:  # checked here
                document = effective_document(result.subscription, catalog, self.workspace.root)
                desired.append(
                    Desired(result.path, result.content_hash or "", result.subscription, document)
                )
            elif result.data is not None:  # checked by a worker, with the plan's facts
                desired.append(
                    Desired(
                        result.path,
                        result.content_hash or "",
                        document=result.document,
                        facts=result.derived.get("facts"),
                        data=result.data,
                    )
                )
        report = ValidationReport(tuple(reports))
        if report.errors:
            raise SpecsInvalid(report)
        return Loaded(report, desired, snapshot)

    def plan(
        self,
        paths: list[Path],
        only: set[str] | None = None,
        exclude: set[str] | None = None,
        refresh: Progress | None = None,
    ) -> PlanResult:
        """Diff the specs against the state: steps, changes, estimate, sizing, charges.

        With ``refresh``, applied steps are first run in check mode and any that would
        change something is planned as drifted.
        """
        from asp_provision.plan.planner import make_plan
        from asp_provision.plan.schedule import with_projections
        from asp_provision.plan.select import select_steps

        loaded = self.desired(paths)
        snapshot = loaded.snapshot
        checked = self._secret_checks(loaded.desired)
        plan = make_plan(
            checked,
            snapshot,
            self.catalog,
            self.catalog_hash(),
            self.workspace.settings.address_request(),
        )
        if paths:
            plan = _orphans_within(plan, paths)
        drift: RunResult | None = None
        if refresh is not None:
            plan, drift = self._refresh(plan, loaded, refresh)
        if only or exclude:
            plan = select_steps(plan, only, exclude or set())
        plan = with_projections(plan, loaded.desired, self.catalog)
        return PlanResult(plan, loaded.report, snapshot, loaded.desired, drift)

    def _secret_checks(self, desired: list[Desired]) -> list[Desired]:
        """``desired``, each with the keyed fingerprints of its secrets (when at hand).

        Plan never makes the key: without one, nothing was fingerprinted with it yet.
        """
        import dataclasses

        from asp_provision.plan.planner import SecretCheck, document_and_facts
        from asp_provision.run import secrets

        key: bytes | None = None
        key_read = False
        out = []
        catalog = self.catalog
        for item in desired:
            doc, _ = document_and_facts(item, catalog)
            refs = secrets.references(doc)
            if not refs:
                out.append(item)
                continue
            if not key_read:
                key, key_read = secrets.load_key(self.workspace.asp_dir, create=False), True
            fingerprints: dict[str, str | None] = {}
            unknown: dict[str, str] = {}
            for dotted, ref in refs.items():
                fingerprints[dotted] = None
                if key is None:
                    unknown[dotted] = (
                        f"no secret key {shown(secrets.key_path(self.workspace.asp_dir))}"
                    )
                    continue
                try:
                    value = secrets.resolve(ref, "", Path(item.path).parent)
                except secrets.SecretError as exc:
                    unknown[dotted] = exc.reason
                    continue
                fingerprints[dotted] = secrets.fingerprint(value, key)
            out.append(dataclasses.replace(item, secrets=SecretCheck(fingerprints, unknown)))
        return out

    def _refresh(self, plan: Plan, loaded: Loaded, progress: Progress) -> tuple[Plan, RunResult]:
        from asp_provision.plan.planner import document_and_facts
        from asp_provision.plan.select import check_applied, with_drift

        probe = check_applied(plan)
        result = self.runner(progress, probe.changing).apply(
            probe,
            {d.customer: d for d in loaded.desired},
            check=True,
            forks=self.workspace.settings.forks,
        )
        drift = {c: r.drift for c, r in result.customers.items() if r.drift}
        failed: dict[str, tuple[str | None, str | None]] = {
            c: (r.failed, r.message) for c, r in result.customers.items() if r.failed
        }
        items = {d.customer: d for d in loaded.desired}

        def hours(customer: str, step: str) -> dict[str, float]:
            _, facts = document_and_facts(items[customer], self.catalog)
            return dict(facts["hours"][step])

        return with_drift(plan, drift, failed, hours), result

    def status(self, customer: str | None = None) -> list[CustomerStatus]:
        """Customers in the state or the specs: applied, pending, failed, last run."""
        from asp_provision import status
        from asp_provision.state.addresses import PoolExhausted

        snapshot = self.state_reader().snapshot()
        try:
            from asp_provision.plan.planner import make_plan

            loaded = self.desired([])
            plan: Plan | None = make_plan(
                loaded.desired,
                snapshot,
                self.catalog,
                self.catalog_hash(),
                self.workspace.settings.address_request(),
            )
        except (SpecsInvalid, UsageError, PoolExhausted):
            plan = None  # pending is unknown while specs are invalid; the state still shows
        from asp_provision.state.phases import went_live_at

        reader = self.state_reader()
        from asp_provision.state.workers import last_workers

        went: dict[str, float] = reader.query(went_live_at, {})
        workers: dict[str, str] = reader.query(last_workers, {})
        found = status.build(snapshot, reader.last_runs(), plan, went, _today(), workers)
        if customer is not None:
            found = [c for c in found if c.customer == customer]
            if not found:
                raise UsageError(f"no customer {customer} in the state or the specs")
            recorded = snapshot.customers.get(customer)
            if recorded is not None:
                found = [status.with_usage(found[0], recorded.spec, self.books, _today())]
        return found

    def history(self, customer: str) -> History:
        """One timeline, oldest first, of the runs, step results and ledger of ``customer``."""
        from asp_provision.lifecycle.history import workspace_history

        return workspace_history(self.workspace, self.state_reader(), customer)

    def sign_off(
        self, customer: str, gate: str, by: str, note: str | None = None, revoke: bool = False
    ) -> Signed:
        """Record a sign-off of ``customer``'s gate (or revoke it), bound to what it accepts."""
        from asp_provision.signoff import sign_off

        settings = self.workspace.settings
        state = self.workspace.state_path
        return sign_off(
            state, settings.state_timeout, self.catalog, customer, gate, by, note, revoke
        )

    def unlock(self, customer: str, force: bool = False) -> Lock:
        """Clear ``customer``'s lock when the run that held it is gone (or ``force``)."""
        from asp_provision.state.locks import unlock
        from asp_provision.state.store import StateStore

        with StateStore(self.workspace.state_path, self.workspace.settings.state_timeout) as store:
            return unlock(store, customer, force)

    def targets(self, customers: Iterable[str]) -> Inventory | None:
        """The inventory ``customers`` run through, once each is a host of it.

        None when they run on the local site. The inventory is read once per service;
        the addresses it sets by hand are checked against every customer's.
        """
        path = self.workspace.inventory_path
        if path is None:
            return None
        from dataclasses import replace

        from asp_provision.run.overrides import check_overlaps, read_overrides
        from asp_provision.run.targets import check_site_variables, read_inventory, require_hosts

        first = self._inventory is None
        inventory = self._inventory or read_inventory(path)
        customers = list(customers)
        require_hosts(path, inventory.hosts, customers)
        check_site_variables(path, inventory.hosts, customers)
        if first:  # the run's own hosts are named first, then every host's addresses
            overrides = read_overrides(path, inventory.hosts)
            if overrides:
                allocations = self.state_reader().snapshot().addresses
                check_overlaps(path, overrides, allocations)
            inventory = replace(inventory, overrides=overrides)
        self._inventory = inventory = inventory.with_tls(customers)
        return inventory

    def local_site(self) -> LocalSite:
        """The local site, as nginx serves it (``site serve``)."""
        from asp_provision.site.serve import LocalSite
        from asp_provision.site.tls import trust_root

        return LocalSite(self.workspace.site_path, trust_root(self.workspace.asp_dir))

    def runner(self, progress: Progress, customers: Iterable[str]) -> Runner:
        """The runner for this workspace."""
        from asp_provision.run.apply import Runner

        return Runner(self.workspace, self.catalog, progress, self.targets(customers))

    def saved_plan(self, path: Path) -> tuple[Plan, list[Desired]]:
        """Load a plan saved by ``plan --out``; refuse it if anything changed since."""
        from pydantic import ValidationError

        from asp_provision.plan.model import FORMAT_VERSION, Plan, plan_problems

        try:
            data = json.loads(path.read_bytes())
        except OSError as exc:
            raise UsageError(f"cannot read plan {path}: {exc.strerror}") from None
        except ValueError as exc:
            raise UserError(
                f"{path} is not a plan saved by `asp-provision plan --out`: not JSON ({exc})"
            ) from None
        version = data.get("format_version") if isinstance(data, dict) else None
        if version != FORMAT_VERSION:
            raise UserError(
                f"plan {path} has format_version {json.dumps(version)}; this asp-provision "
                f"applies plans of format_version {FORMAT_VERSION}: make it again with "
                "`asp-provision plan --out`"
            )
        try:
            plan = Plan.model_validate(data)
        except ValidationError as exc:
            err = exc.errors()[0]
            where = ".".join(str(p) for p in err["loc"])
            raise UserError(
                f"{path} is not a plan saved by `asp-provision plan --out`: {where}: {err['msg']}"
            ) from None
        problems = plan_problems(plan)
        if problems:
            raise UserError(f"plan {path} cannot be applied: " + "; ".join(problems))
        if plan.state_serial != self.state_reader().serial():
            raise StalePlanError(
                f"stale plan {path}: the state changed since it was made; run plan again"
            )
        if plan.catalog_hash != self.catalog_hash():
            raise StalePlanError(
                f"stale plan {path}: the catalog changed since it was made; run plan again"
            )
        gone = [c.path for c in plan.customers if not Path(c.path).is_file()]
        if gone:
            raise StalePlanError(
                f"stale plan {path}: {gone[0]} is gone since it was made; run plan again"
            )
        files = [Path(c.path) for c in plan.customers]
        desired = self.desired(files).desired if files else []  # no paths means specs/
        hashes = {d.path: d.content_hash for d in desired}
        names = {d.path: d.customer for d in desired}
        for customer in plan.customers:
            if hashes.get(customer.path) != customer.content_hash:
                raise StalePlanError(
                    f"stale plan {path}: {customer.path} changed since it was made; run plan again"
                )
            if names.get(customer.path) != customer.customer:
                raise UserError(
                    f"plan {path} cannot be applied: customer {customer.customer} is not in "
                    f"its spec {customer.path} (which is customer {names.get(customer.path)})"
                )
        return plan, desired

    def apply(
        self,
        plan: Plan,
        desired: list[Desired],
        progress: Progress,
        check: bool = False,
        parallel: int | None = None,
        effective: dt.date | None = None,
    ) -> RunResult:
        """Run the plan's steps through Ansible; record each finished step (unless check).

        The billed terms of each customer whose steps all succeeded are recorded, taking
        effect on ``effective`` (default: today).
        """
        runner = self.runner(progress, plan.changing)
        forks = parallel or self.workspace.settings.forks
        by_customer = {d.customer: d for d in desired}
        result = runner.apply(plan, by_customer, check=check, forks=forks)
        if not check:
            self._record_terms(result, by_customer, effective)
        return result

    @property
    def books(self) -> Books:
        """Billing: usage, invoices and the terms behind them."""
        from asp_provision.billing.books import Books

        return Books(self.workspace.state_path, self.catalog)

    def _record_terms(
        self, result: RunResult, desired: dict[str, Desired], effective: dt.date | None
    ) -> None:
        from asp_provision.billing.terms import Billed
        from asp_provision.state.store import StateStore

        done = [c for c, run in result.customers.items() if run.status == "succeeded"]
        terms = [Billed.of(desired[c].subscription) for c in done if c in desired]
        if not terms:
            return
        from asp_provision.billing.golive import started_days

        day = effective or _today()
        live = started_days(self.workspace.site_path, [t.customer for t in terms])
        with StateStore(self.workspace.state_path) as store:
            self.books.record_terms(store, terms, day, result.run_id, live)

    def destroy(
        self,
        customer: str,
        progress: Progress,
        parallel: int | None = None,
        export: Callable[[Export], None] | None = None,
    ) -> RunResult:
        """Offboard ``customer``: teardown of its applied steps in reverse order.

        With ``export``, :meth:`export` first (told where); if it fails, nothing is torn down.
        """
        item, recorded = self._recorded(customer)
        if export is not None:
            export(self.export(customer))
        forks = parallel or self.workspace.settings.forks
        result = self.runner(progress, [customer]).destroy(
            customer, item, list(recorded.steps), forks
        )
        if result.outcome == "succeeded":
            from asp_provision.state.store import StateStore

            with StateStore(self.workspace.state_path) as store:
                self.books.end_billing(store, customer, _today(), result.run_id)
        return result

    def _recorded(self, customer: str) -> tuple[Desired, CustomerState]:
        """``customer`` as the state holds it: its last applied spec, and what it recorded."""
        from pydantic import ValidationError

        from asp_provision.plan.planner import Desired
        from asp_provision.spec.models import Subscription

        snapshot = self.state_reader().snapshot()
        recorded = snapshot.customers.get(customer)
        if recorded is None:
            known = ", ".join(sorted(snapshot.customers)) or "none"
            gone = snapshot.phases.get(customer)
            was = " (it was offboarded)" if gone is not None else ""
            raise UsageError(f"customer {customer} is not in the state{was} (applied: {known})")
        try:
            sub = Subscription.model_validate(_with_country(recorded.spec, self.catalog))
        except ValidationError as exc:
            raise UserError(f"the recorded spec of {customer} cannot be read: {exc}") from None
        return Desired(recorded.spec_path or "<state>", "", sub), recorded

    def suspend(
        self, customer: str, reason: str, progress: Progress, parallel: int | None = None
    ) -> RunResult:
        """Close a live customer's service to its users, its data kept; billing pauses."""
        from asp_provision.signoff import one_line

        said = one_line("--reason", reason)
        assert said is not None
        return self._change_phase(customer, "suspended", said, progress, parallel)

    def resume(self, customer: str, progress: Progress, parallel: int | None = None) -> RunResult:
        """Open a suspended customer's service to its users again; billing resumes."""
        return self._change_phase(customer, "live", "resumed", progress, parallel)

    def _change_phase(
        self,
        customer: str,
        to: PhaseName,
        reason: str | None,
        progress: Progress,
        parallel: int | None,
    ) -> RunResult:
        item, _ = self._recorded(customer)
        forks = parallel or self.workspace.settings.forks
        return self.runner(progress, [customer]).change_phase(customer, item, to, reason, forks)

    def export(self, customer: str) -> Export:
        """Write ``customer``'s users, converted records and ledger to ``.asp/exports/``."""
        from asp_provision.lifecycle.export import export_from

        inventory = self.targets([customer])
        hosts = inventory.hosts if inventory else None
        return export_from(self.workspace, self.state_reader(), customer, hosts)

    def commitment(self, customer: str) -> Commitment | None:
        """The committed months that remain if ``customer`` is destroyed today."""
        from pydantic import ValidationError

        from asp_provision.billing.golive import billing_started, starting
        from asp_provision.billing.terms import Billed
        from asp_provision.spec.models import Subscription

        recorded = self.state_reader().snapshot().customers.get(customer)
        if recorded is None:
            return None
        try:
            terms = Billed.of(Subscription.model_validate(recorded.spec))
        except ValidationError:
            return None
        site = self.workspace.site_path / customer
        terms = starting(terms, billing_started(site, customer))  # the term runs from go-live
        return self.books.commitment(terms, _today())


def _with_country(spec: dict[str, Any], catalog: Catalog) -> dict[str, Any]:
    """A spec applied before billing.country existed, with the provider's country.

    Only for tearing it down: the teardown reads no billing value.
    """
    billing = spec.get("spec", {}).get("billing")
    if not isinstance(billing, dict) or "country" in billing:
        return spec
    return {
        **spec,
        "spec": {**spec["spec"], "billing": {**billing, "country": catalog.provider.country}},
    }


def _orphans_within(plan: Plan, paths: list[Path]) -> Plan:
    """The plan, listing as orphaned only customers whose spec was among ``paths``.

    Planning some specs says nothing of the others: a customer whose spec lies elsewhere
    is not orphaned by being left out. One whose spec's place is unknown is listed.
    """
    scope = [p.resolve() for p in paths]

    def within(spec_path: str | None) -> bool:
        if spec_path is None:
            return True
        where = Path(spec_path).resolve()
        return any(where == s or s in where.parents for s in scope)

    kept = [o for o in plan.orphaned if within(o.spec_path)]
    return plan if kept == plan.orphaned else plan.model_copy(update={"orphaned": kept})


@dataclass(frozen=True, slots=True)
class Loaded:
    """Specs that passed validation, with the report (warnings included)."""

    report: ValidationReport
    desired: list[Desired]
    snapshot: Snapshot  # the state they were checked against


@dataclass(frozen=True, slots=True)
class PlanResult:
    """A plan with the validation report and the state it was made against."""

    plan: Plan
    report: ValidationReport
    snapshot: Snapshot
    desired: list[Desired]  # the specs the plan was made from, for apply
    refresh: RunResult | None = None


def init_workspace(directory: Path, force: bool) -> InitResult:
    """A new workspace in ``directory``: catalog, templates, playbooks, schema, empty specs/."""
    import json

    from asp_provision.scaffold.workspace import init_workspace as init

    return init(directory, force, json.dumps(subscription_schema(), indent=2) + "\n")


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
