"""Apply a plan (or tear customers down): locks, one Ansible run, state as it happens."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager, suppress
from dataclasses import replace
from pathlib import Path
from typing import Any

from asp_provision.config import Workspace, shown
from asp_provision.errors import StateError, UsageError, UserError
from asp_provision.plan.addressing import layout
from asp_provision.plan.diff import SECRET_SHOWN, digest, step_inputs, with_fingerprints
from asp_provision.plan.model import Plan
from asp_provision.plan.planner import Desired
from asp_provision.plan.steps import GO_LIVE, STEPS
from asp_provision.run import secrets
from asp_provision.run.events import Event, RunStarted, StepFinished, TaskResult
from asp_provision.run.executor import Executor
from asp_provision.run.inventory import Host
from asp_provision.run.overrides import Override
from asp_provision.run.playbook import needed_files
from asp_provision.run.recording import Recording, recording
from asp_provision.run.request import RunOutcome, RunRequest, StopRun
from asp_provision.run.results import CustomerRun, Progress, RunResult, new_run_id
from asp_provision.run.stream import forget_certificate
from asp_provision.run.targets import Inventory
from asp_provision.run.workers import LOCAL, Worker, WorkerSide, local_jobs, shard
from asp_provision.site import tls
from asp_provision.spec.catalog import Catalog
from asp_provision.spec.effective import effective_document
from asp_provision.spec.models import secret_paths
from asp_provision.state import locks, phases
from asp_provision.state.addresses import Allocation, legacy_allocation, plan_allocations
from asp_provision.state.phases import PhaseName
from asp_provision.state.store import Snapshot, StateReader, StateStore
from asp_provision.state.workers import last_workers, record_workers


def _secret_name(dotted: str) -> str:
    """The playbooks' name of a secret: ``sso_client_secret`` for its last two parts."""
    return "_".join(dotted.split(".")[-2:])


def _redacted(doc: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``doc`` with secret references replaced, for the playbooks."""
    out = dict(doc)
    for path in secret_paths():
        node: Any = out
        for part in path[:-1]:
            child = node.get(part) if isinstance(node, dict) else None
            if not isinstance(child, dict):
                break
            node[part] = node = dict(child)  # copy only along the secret's path
        else:
            if path[-1] in node:
                node[path[-1]] = SECRET_SHOWN
    return out


class Runner:
    """Runs plans and teardowns for one workspace, recording the state as it goes."""

    def __init__(
        self,
        workspace: Workspace,
        catalog: Catalog,
        progress: Progress,
        inventory: Inventory | None = None,
    ) -> None:
        self.workspace = workspace
        self.catalog = catalog
        self.progress = progress
        # the workspace's inventory of real hosts (None: the local site)
        self.inventory = inventory.path if inventory is not None else None
        # the addresses and certificates it sets by hand
        self.overrides: dict[str, Override] = inventory.overrides if inventory else {}
        self.own_tls: dict[str, tls.TlsFiles] = inventory.tls if inventory else {}
        settings = workspace.settings
        self.playbooks = workspace.path(settings.playbooks)
        self.site = workspace.site_path
        self.runs = workspace.path(settings.runs)
        self._key: bytes | None = None
        # customer -> secret's dotted path -> keyed fingerprint, for the state
        self.fingerprints: dict[str, dict[str, str | None]] = {}

    def document(self, item: Desired) -> dict[str, Any]:
        """The effective spec of ``item`` (computed once, where it was checked, if it was)."""
        if item.document is not None:
            return item.document
        return effective_document(item.subscription, self.catalog, self.workspace.root)

    def secret_key(self) -> bytes:
        """The workspace's fingerprint key, made on first need."""
        if self._key is None:
            self._key = secrets.load_key(self.workspace.asp_dir, create=True)
        assert self._key is not None
        return self._key

    def host(self, item: Desired, steps: list[str], with_secrets: bool, live: bool = False) -> Host:
        """The inventory host of one customer (the fingerprints of its secrets are kept).

        ``live``: the customer has gone live (its firewall admits its allowlist).
        """
        sub = item.subscription
        full = self.document(item)
        doc = _redacted(full)
        resolved: dict[str, str] = {}
        fingerprints: dict[str, str] = {}
        if with_secrets:
            base = Path(item.path).parent
            for dotted, ref in secrets.references(full).items():
                value = secrets.resolve(ref, f"{item.path}: {dotted}", base)
                resolved[_secret_name(dotted)] = value
                fingerprints[dotted] = secrets.fingerprint(value, self.secret_key())
            self.fingerprints[sub.customer] = dict(fingerprints)
        from asp_provision.plan import cost

        return Host(
            customer=sub.customer,
            site=self.site / sub.customer,
            document=doc,
            charges=cost.charges(sub, self.catalog),
            steps=steps,
            secrets=resolved,
            fingerprints={_secret_name(k): v for k, v in fingerprints.items()},
            zones=tuple(self.catalog.zones),
            live=live,
            staging=tuple(self.catalog.staging_networks),
            workspace=self.workspace.root,
        )

    def certify(self, hosts: list[Host], check: bool = False) -> None:
        """Give each host its certificate and key: the inventory's, or the site authority's.

        Issued (or renewed) before anything is locked or run; a domain that cannot take
        a certificate stops the run with nothing written. A check run issues nothing.
        """
        domains = {h.customer: str(h.document["spec"]["network"]["domain"]) for h in hosts}
        files = tls.issue(
            self.workspace.asp_dir, self.catalog.provider.name, domains, self.own_tls, not check
        )
        for host in hosts:
            host.tls = files[host.customer]

    def apply(self, plan: Plan, desired: dict[str, Desired], check: bool, forks: int) -> RunResult:
        """Run every step the plan says will run; record each as it finishes (not in check)."""
        run_id = new_run_id()
        log_dir = self.runs / run_id
        todo = {c.customer: [s.step for s in c.steps if s.runs] for c in plan.customers}
        todo = {c: steps for c, steps in todo.items() if steps}
        if not todo:
            return RunResult(run_id, log_dir, "nothing-to-do", {}, check=check)
        inputs = {c: self.document(desired[c]) for c in todo}
        hosts = [self.host(desired[c], steps, with_secrets=True) for c, steps in todo.items()]
        before = StateReader(self.workspace.state_path).snapshot()
        _phased(hosts, before)
        served = None if check else self.served_site()
        for host in hosts:
            host.served = served
        order = [s for s in STEPS if any(s in steps for steps in todo.values())]
        # the variables that held secrets: ansible-playbook does not inherit them
        hidden = secrets.env_names(
            [r for c in todo for r in secrets.references(inputs[c]).values()]
        )
        hours = {c.customer: c.estimate_hours for c in plan.customers}
        request = self._request(
            hosts, order, log_dir, forks, check=check, hidden_env=hidden, hours=hours
        )
        self.certify(hosts, check)  # once the run can start, before anything is locked
        results = {c: CustomerRun(c, steps) for c, steps in todo.items()}
        avoid = tuple(n for o in self.overrides.values() for n in o.avoided())
        wanted = self.workspace.settings.address_request(tuple(todo), avoid)
        if check:  # the addresses apply would allocate, recording nothing
            recorded = StateReader(self.workspace.state_path).snapshot().addresses
            self.place(hosts, plan_allocations(recorded, wanted)[0])
            return self._execute(request, run_id, results, None, None)

        def allocate(store: StateStore) -> None:
            self.place(hosts, store.allocate(wanted))
            # under the locks: a suspension meanwhile holds
            _phased(hosts, replace(before, phases=store.query(phases.current_phases, {})))

        with self._recording(run_id, "apply", list(todo), log_dir, plan, allocate) as recording:
            store = recording.store
            for customer in todo:
                item = desired[customer]
                store.record_spec(
                    customer,
                    item.subscription.model_dump(mode="json", by_alias=True, exclude_none=True),
                    item.path,
                )
            with store.transaction() as conn:
                phases.started_onboarding(conn, todo, run_id)

            def record(event: StepFinished) -> None:
                if not event.ok:
                    _record_failure(store, event, run_id)
                    return
                # what the step read, each secret by its keyed fingerprint only
                applied = with_fingerprints(
                    step_inputs(inputs[event.customer], STEPS[event.step]),
                    self.fingerprints.get(event.customer, {}),
                )
                store.record_step(
                    event.customer,
                    event.step,
                    run_id,
                    succeeded=True,
                    input_hash=digest(applied),
                    inputs=applied,
                )
                if event.step == GO_LIVE:
                    with store.transaction() as conn:
                        phases.went_live(conn, event.customer, run_id)

            result = self._execute(request, run_id, results, record, recording)
        return self.refresh_site(recording.conclude(result))

    def destroy(
        self, customer: str, recorded: Desired, applied: list[str], forks: int
    ) -> RunResult:
        """Tear ``customer`` down: the applied steps' teardowns in reverse order."""
        run_id = new_run_id()
        log_dir = self.runs / run_id
        order = [s for s in reversed(list(STEPS)) if s in applied]
        host = self.host(recorded, order, with_secrets=False)
        allocation = StateReader(self.workspace.state_path).snapshot().addresses.get(customer)
        self.place([host], {customer: allocation or legacy_allocation(customer)})
        request = self._request([host], order, log_dir, forks, teardown=True)
        results = {customer: CustomerRun(customer, order)}
        with self._recording(run_id, "destroy", [customer], log_dir, None) as recording:
            store = recording.store

            def record(event: StepFinished) -> None:
                if event.ok:
                    store.forget_step(event.customer, event.step, run_id)
                else:
                    _record_failure(store, event, run_id, "teardown: ")

            result = self._execute(request, run_id, results, record, recording)
            if result.outcome == "succeeded" and recording.failure is None:
                with suppress(StopRun):
                    recording.write(lambda: store.forget_customer(customer, run_id))
                tls.forget(self.workspace.asp_dir, customer)
                for worker, _ in request.shards:  # the copy its worker kept for the site
                    if worker.transport == LOCAL or request.side is None:
                        continue
                    if not forget_certificate(worker, request.side, customer):
                        result.message = (
                            f"the certificate and key of {customer} could not be removed "
                            f"from worker {worker.name}: remove "
                            f"{request.side.folder}/tls/{customer} there"
                        )
        return self.refresh_site(recording.conclude(result))

    def served_site(self) -> dict[str, Any] | None:
        """The served local site, as the acceptance step asks it for a customer's page.

        None when the customers run on the inventory's hosts or the site is not served.
        ``refresh`` is the command (argv, never a shell line) that brings it up to date.
        """
        if self.inventory is not None:
            return None
        from asp_provision.site.serve import LocalSite

        served = LocalSite(self.site).running()
        if served is None or not served.port:
            return None
        return {
            "port": served.port,
            "trust": str(tls.trust_root(self.workspace.asp_dir)),
            "refresh": [sys.executable, "-m", "asp_provision.site.refresh", str(self.site)],
        }

    def refresh_site(self, result: RunResult) -> RunResult:
        """Bring the served local site up to date after a run that changed the site."""
        if result.check or self.inventory is not None or result.outcome == "nothing-to-do":
            return result
        from asp_provision.site.nginxconf import SiteError
        from asp_provision.site.serve import LocalSite

        try:
            served = LocalSite(self.site).refresh()
        except SiteError as exc:
            result.site_note = f"The served site was not brought up to date: {exc}"
            return result
        if served is not None:
            result.site_note = (
                f"The served site now serves {len(served.customers)} customer(s) at {served.url}"
            )
        return result

    def change_phase(
        self, customer: str, recorded: Desired, to: PhaseName, reason: str | None, forks: int
    ) -> RunResult:
        """Suspend a live customer (``to`` suspended), or resume a suspended one (``to`` live).

        go_live's ``suspend`` or ``resume`` tasks run under the customer's lock, as a run of
        their own; the phase is recorded once they succeeded. A customer that is not in the
        phase it moves from is refused under the lock, before the run is recorded.
        """
        command, origin, only = (
            ("suspend", "live", "only a live customer can be suspended")
            if to == "suspended"
            else ("resume", "suspended", "only a suspended customer can be resumed")
        )
        run_id = new_run_id()
        log_dir = self.runs / run_id
        host = self.host(recorded, [GO_LIVE], with_secrets=False, live=True)
        host.suspended = to == "suspended"
        request = self._request([host], [GO_LIVE], log_dir, forks, tasks=command)
        results = {customer: CustomerRun(customer, [GO_LIVE])}

        def check(store: StateStore) -> None:
            snapshot = store.snapshot()
            found = snapshot.phases.get(customer)
            if found is None or found.phase != origin:
                now = found.phase if found else "without a phase"
                raise UserError(f"{customer} is {now}, not {origin}: {only}")
            allocation = snapshot.addresses.get(customer)
            self.place([host], {customer: allocation or legacy_allocation(customer)})

        with self._recording(run_id, command, [customer], log_dir, None, check) as recording:
            result = self._execute(request, run_id, results, None, recording)
            if result.outcome == "succeeded" and recording.failure is None:

                def moved() -> None:
                    with recording.store.transaction() as conn:
                        phases.record_phase(conn, customer, to, reason, run_id)

                with suppress(StopRun):
                    recording.write(moved)
        return recording.conclude(result)

    def place(self, hosts: list[Host], allocations: dict[str, Allocation]) -> None:
        """Give each host its subnet, service and server addresses."""
        for host in hosts:
            override = self.overrides.get(host.customer)
            allocation = allocations[host.customer]
            subnet, service = allocation.subnet, allocation.service_address
            if override is not None:
                subnet, service = override.effective(allocation) or (subnet, service)
            pools = host.document["spec"]["servers"]["pools"]
            try:
                host.network = layout(host.customer, pools, subnet, service)
            except ValueError as exc:
                raise UsageError(f"{host.customer}: {exc}") from None

    def _request(
        self,
        hosts: list[Host],
        steps: list[str],
        log_dir: Path,
        forks: int,
        check: bool = False,
        teardown: bool = False,
        hidden_env: set[str] | None = None,
        tasks: str | None = None,
        hours: Mapping[str, float] | None = None,
    ) -> RunRequest:
        """The run of ``steps`` (or their teardowns) for ``hosts``, with this workspace's settings.

        With workers, the customers are shared out among them (``hours``: the plan's
        estimate of each, to balance the shares). Refused, before anything is locked,
        when a role's task file is not there.
        """
        shards, side = self._shards([h.customer for h in hosts], hours or {})
        request = RunRequest(
            hosts=hosts,
            steps=steps,
            playbooks=self.playbooks,
            log_dir=log_dir,
            teardown=teardown,
            tasks=tasks,
            check=check,
            forks=forks,
            mitogen=self.workspace.settings.mitogen,
            inventory=self.inventory,
            asp_dir=self.workspace.asp_dir,
            hidden_env=frozenset(hidden_env or ()),
            shards=shards,
            side=side,
        )
        needed = needed_files(steps, teardown, tasks)
        missing = [shown(self.playbooks / f) for f in needed if not (self.playbooks / f).is_file()]
        if missing:
            raise UsageError(
                f"no role tasks {', '.join(map(str, missing))}; `asp-provision init` writes "
                "the default playbooks into a new workspace"
            )
        return request

    def _shards(
        self, customers: list[str], hours: Mapping[str, float]
    ) -> tuple[tuple[tuple[Worker, tuple[str, ...]], ...], WorkerSide | None]:
        """Each worker's share of ``customers`` (none without workers).

        A customer goes back to the worker that ran it last, while that worker is still
        named in the settings: its site is there.
        """
        workers, side = self.workspace.workers()
        if not workers:
            # here: one ansible-playbook per share, at once (its controller uses one core)
            count = min(self.workspace.settings.local_jobs(), len(customers))
            if count < 2:
                return (), None
            shares = shard(customers, hours, local_jobs(count))
            return tuple((w, tuple(cs)) for w, cs in shares.items()), None
        if self.inventory is not None:
            raise UsageError(
                "the settings name workers and the workspace has an inventory of real hosts: "
                "a run goes through one or the other; remove one of them"
            )
        nobody: dict[str, str] = {}
        placed = StateReader(self.workspace.state_path).query(
            lambda conn: last_workers(conn, customers), nobody
        )
        shares = shard(customers, hours, workers, placed)
        return tuple((w, tuple(cs)) for w, cs in shares.items()), side

    def _recording(
        self,
        run_id: str,
        command: str,
        customers: list[str],
        log_dir: Path,
        plan: Plan | None,
        prepare: Callable[[StateStore], None] | None = None,
    ) -> AbstractContextManager[Recording]:
        """The state of a run: its customers locked, the run begun, locks always freed.

        ``prepare`` runs under the locks before the run is recorded as begun.
        """
        store = StateStore(self.workspace.state_path, self.workspace.settings.state_timeout)
        return recording(store, run_id, command, customers, str(log_dir), plan, prepare)

    def _execute(
        self,
        request: RunRequest,
        run_id: str,
        results: dict[str, CustomerRun],
        record: Callable[[StepFinished], None] | None,
        recording: Recording | None,
    ) -> RunResult:
        def on_event(event: Event) -> None:
            if isinstance(event, RunStarted) and recording is not None:
                recording.write(
                    lambda: locks.set_runner(recording.store, run_id, event.pid, event.customers)
                )
            elif isinstance(event, StepFinished):
                run = results[event.customer]
                run.seconds += event.seconds
                run.changed += event.changed
                if event.ok:
                    run.ok.append(event.step)
                else:
                    run.failed, run.task, run.message = event.step, event.task, event.message
                if record is not None and recording is not None:
                    self.progress.event(event)
                    recording.write(lambda: record(event))  # may stop the run
                    return
            elif isinstance(event, TaskResult) and request.check and event.status == "changed":
                results[event.customer].drift.setdefault(event.step, []).append(event.what)
            self.progress.event(event)

        if any(w.transport != LOCAL for w, _ in request.shards) and recording is not None:
            names = {c: w.name for w, cs in request.shards for c in cs if w.transport != LOCAL}
            recording.write(lambda: _in_transaction(recording.store, record_workers, run_id, names))
        self.progress.start({c: r.planned for c, r in results.items()}, run_id)
        outcome: RunOutcome | None = None
        started = time.monotonic()
        try:
            outcome = Executor(on_event, self.progress.tick).run(request)
            if outcome.held and recording is not None:
                held = outcome.held
                recording.write(lambda: _keep_locks(recording.store, run_id, held))
        except StopRun:
            # the state failed after Ansible had ended, while its last events were handled
            outcome = RunOutcome("failed", None, None, time.monotonic() - started)
        finally:
            self.progress.stop()
            if recording is not None:
                ended = "failed" if recording.failure else _outcome_name(outcome)
                try:
                    recording.store.finish_run(run_id, ended)
                except StateError as exc:
                    recording.unfinished = exc
                recording.finished = True
        return RunResult(
            run_id=run_id,
            log_dir=request.log_dir,
            outcome=_outcome_name(outcome),
            customers=results,
            message=outcome.message,
            seconds=outcome.seconds,
            check=request.check,
        )


def _keep_locks(store: StateStore, run_id: str, held: dict[str, str]) -> None:
    locks.hand_over(store, run_id, held)


def _in_transaction(store: StateStore, write: Callable[..., None], *args: Any) -> None:
    with store.transaction() as conn:
        write(conn, *args)


def gone_live(snapshot: Snapshot) -> set[str]:
    """The customers that went live.

    Their go-live was applied (a later failed update leaves them live), or their phase
    says so (a customer in service before the onboarding steps existed).
    """
    return {
        name
        for name, customer in snapshot.customers.items()
        if (step := customer.steps.get(GO_LIVE)) is not None and step.input_hash is not None
    } | {name for name, found in snapshot.phases.items() if found.phase in ("live", "suspended")}


def _phased(hosts: list[Host], snapshot: Snapshot) -> None:
    """Give each host its phase: gone live, and suspended (its firewall closed)."""
    live = gone_live(snapshot)
    for host in hosts:
        host.live = host.customer in live
        found = snapshot.phases.get(host.customer)
        host.suspended = found is not None and found.phase == "suspended"


def _record_failure(store: StateStore, event: StepFinished, run_id: str, prefix: str = "") -> None:
    store.record_step(
        event.customer,
        event.step,
        run_id,
        succeeded=False,
        message=f"{prefix}{event.task}: {event.message}",
    )


def _outcome_name(outcome: RunOutcome | None) -> str:
    if outcome is None:
        return "error"
    return {"successful": "succeeded"}.get(outcome.status, outcome.status)
