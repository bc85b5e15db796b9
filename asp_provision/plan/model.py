"""The Plan: what will happen, per customer and step, with its cost. Frozen and saved as JSON."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field, model_validator

from asp_provision.plan.steps import PHASES, STEPS

FORMAT_VERSION = 1

Action = Literal["create", "update", "no-op", "destroy"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Change(_Frozen):
    """One field-level change: ``~ network.bandwidth_mbps: 100 -> 200``."""

    op: Literal["+", "-", "~"]
    path: str
    before: Any = None
    after: Any = None


class GateState(_Frozen):
    """The sign-off a step waits for: ``{"name": "uat", "signed": false}``.

    ``name`` is the first gate not signed (the first gate when all are), ``also`` the
    other gates not signed yet.
    """

    name: str
    signed: bool
    also: list[str] = Field(default_factory=list)

    @property
    def missing(self) -> list[str]:
        """Every gate whose sign-off the step waits for."""
        return [] if self.signed else [self.name, *self.also]


class StepPlan(_Frozen):
    """What happens to one step of one customer, and why."""

    step: str
    action: Action
    reason: str
    input_hash: str | None = None
    changes: list[Change] = Field(default_factory=list)
    hours: float = 0.0
    phases: dict[str, float] = Field(default_factory=dict)  # ``hours`` by onboarding phase
    gate: GateState | None = None  # the sign-off the step needs, for a gated step that runs

    @property
    def waiting(self) -> bool:
        """True when the step would run but waits for a sign-off."""
        return self.action != "no-op" and self.gate is not None and not self.gate.signed

    @property
    def runs(self) -> bool:
        """True when the step's role will run (a step waiting for a sign-off does not)."""
        return self.action != "no-op" and not self.waiting

    def with_hours(self, phases: dict[str, float]) -> StepPlan:
        """The step with its effort (hours by phase, as :func:`effort.phase_hours` gives)."""
        return self.model_copy(
            update={"hours": round(sum(phases.values()), 2), "phases": dict(phases)}
        )


def _without(data: Any, key: str) -> Any:
    """A saved plan's ``data`` without ``key``, a value derived on loading, never trusted."""
    if isinstance(data, dict) and key in data:
        return {k: v for k, v in data.items() if k != key}
    return data


def by_phase(steps: list[StepPlan]) -> dict[str, float]:
    """The hours of the work ahead, by onboarding phase, every phase in order.

    The work ahead: the steps that run and those that wait for a sign-off.
    """
    totals = dict.fromkeys(PHASES, 0.0)
    for step in steps:
        if not (step.runs or step.waiting):
            continue
        # a plan saved before steps carried phases counts a step in the registry's phase
        parts = step.phases or {_phase_of(step.step): step.hours}
        for phase, hours in parts.items():
            totals[phase] = totals.get(phase, 0.0) + hours
    return {phase: round(hours, 2) for phase, hours in totals.items()}


def _phase_of(step: str) -> str:
    found = STEPS.get(step)
    return found.phase if found else PHASES[0]


class PlanWarning(BaseModel):
    """Something about a customer the plan advises of: ``go-live-early`` and the like."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str
    field: str | None = None
    message: str


class Sizing(_Frozen):
    """Requested versus what the catalog recommends for the seats."""

    seats: int
    app_cores: int
    app_cores_recommended: int
    app_servers: int
    app_servers_minimum: int
    storage_gb: int
    storage_gb_recommended: int

    @property
    def under(self) -> list[str]:
        """What is below the recommendation."""
        out = []
        if self.app_cores < self.app_cores_recommended:
            out.append("app_cores")
        if self.app_servers < self.app_servers_minimum:
            out.append("app_servers")
        if self.storage_gb < self.storage_gb_recommended:
            out.append("storage_gb")
        return out


class Charges(_Frozen):
    """What the customer pays, in the spec's currency."""

    currency: str
    cycle: Literal["monthly", "annual"]
    base: float
    seats: float
    bandwidth: float
    discount: float = 0.0  # volume discount, promotion and bundle, as a negative amount
    monthly: float
    annual: float


class Address(_Frozen):
    """The customer's subnet and service address, recorded or to be allocated by apply."""

    subnet: str
    service_address: str
    allocated: bool  # False: apply records it before anything runs
    moved_from: str | None = None  # the subnet it used, when another customer keeps it
    note: str | None = None


class CustomerPlan(_Frozen):
    """Everything the plan says of one customer."""

    customer: str
    name: str
    path: str
    content_hash: str
    tier: str
    application: str
    go_live: str | None = None
    steps: list[StepPlan]
    estimate_hours: float
    sizing: Sizing
    charges: Charges
    notes: list[str] = Field(default_factory=list)  # what the plan could not tell
    address: Address | None = None
    go_live_projected: str | None = None  # YYYY-MM-DD: when the work planned can be done
    warnings: list[PlanWarning] = Field(default_factory=list)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def estimate_phases(self) -> dict[str, float]:
        """``estimate_hours`` by onboarding phase (every phase, in order)."""
        return by_phase(self.steps)

    @model_validator(mode="before")
    @classmethod
    def _derived(cls, data: Any) -> Any:
        """A saved plan's phase totals are recomputed from its steps, never trusted."""
        return _without(data, "estimate_phases")

    def count(self, action: Action) -> int:
        """How many steps have ``action`` (a step waiting for a sign-off aside)."""
        return sum(1 for s in self.steps if s.action == action and not s.waiting)

    @property
    def waiting(self) -> int:
        """How many steps wait for a sign-off."""
        return sum(1 for s in self.steps if s.waiting)

    @property
    def changed(self) -> bool:
        """True when any step will run."""
        return any(s.runs for s in self.steps)


class Orphan(_Frozen):
    """A customer in the state whose spec is gone."""

    customer: str
    spec_path: str | None
    applied_steps: list[str]


def plan_problems(plan: Plan) -> list[str]:
    """Why a saved plan cannot be applied as it stands (empty when it can).

    A plan is data from a file: its steps must be the registry's, each once, and each
    customer must appear once.
    """
    problems = []
    seen: set[str] = set()
    for customer in plan.customers:
        if customer.customer in seen:
            problems.append(f"customer {customer.customer} appears twice")
        seen.add(customer.customer)
        steps = [s.step for s in customer.steps]
        for step in dict.fromkeys(steps):
            if step not in STEPS:
                known = ", ".join(STEPS)
                problems.append(
                    f"customer {customer.customer} has an unknown step {step!r} (steps: {known})"
                )
            elif steps.count(step) > 1:
                problems.append(f"customer {customer.customer} has step {step} twice")
    return problems


class Plan(_Frozen):
    """The whole plan; saved with ``plan --out`` and applied exactly by ``apply PLAN``."""

    format_version: int = FORMAT_VERSION
    created_at: str
    state_serial: int
    catalog_hash: str
    customers: list[CustomerPlan]
    orphaned: list[Orphan] = Field(default_factory=list)

    def count(self, action: Action) -> int:
        """Steps with ``action`` across every customer (those waiting for a sign-off aside)."""
        return sum(c.count(action) for c in self.customers)

    @property
    def waiting(self) -> int:
        """Steps waiting for a sign-off, across every customer."""
        return sum(c.waiting for c in self.customers)

    @property
    def changed(self) -> bool:
        """True when anything will run."""
        return any(c.changed for c in self.customers)

    @property
    def changing(self) -> list[str]:
        """The customers with a step that will run."""
        return [c.customer for c in self.customers if c.changed]

    @property
    def estimate_hours(self) -> float:
        """Engineer-hours for every step that will run."""
        return round(sum(c.estimate_hours for c in self.customers), 2)

    @property
    def estimate_phases(self) -> dict[str, float]:
        """Engineer-hours for every step that will run, by onboarding phase."""
        totals = dict.fromkeys(PHASES, 0.0)
        for customer in self.customers:
            for phase, hours in customer.estimate_phases.items():
                totals[phase] = totals.get(phase, 0.0) + hours
        return {phase: round(hours, 2) for phase, hours in totals.items()}

    @computed_field  # type: ignore[prop-decorator]
    @property
    def summary(self) -> dict[str, Any]:
        """Plan-wide totals: steps by action, the estimate, monthly charges by currency."""
        monthly: dict[str, float] = {}
        for c in self.customers:
            currency = c.charges.currency
            monthly[currency] = round(monthly.get(currency, 0.0) + c.charges.monthly, 2)
        return {
            "customers": len(self.customers),
            "create": self.count("create"),
            "update": self.count("update"),
            "no-op": self.count("no-op"),
            "waiting": self.waiting,
            "estimate_hours": self.estimate_hours,
            "estimate_phases": self.estimate_phases,
            "monthly_charges": dict(sorted(monthly.items())),
        }

    @model_validator(mode="before")
    @classmethod
    def _derived(cls, data: Any) -> Any:
        """A saved plan's summary is recomputed from its customers, never trusted."""
        return _without(data, "summary")
