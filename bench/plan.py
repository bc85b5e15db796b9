"""Time `plan` of N customers, half already applied with one field changed since, against
`validate` of the same specs.

    python -m bench.plan [N] [--runs R]

Target at N=1000: plan <= 2x validate.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from asp_provision.config import Workspace
from asp_provision.plan.diff import digest, step_inputs
from asp_provision.plan.steps import STEPS
from asp_provision.service import Service
from asp_provision.spec.effective import effective_document
from asp_provision.state.addresses import plan_allocations, record_allocations
from asp_provision.state.store import StateStore
from bench.common import CLI, paired, report, write_specs


def applied_state(folder: Path) -> None:
    """Record every other customer as fully applied, then change one field of theirs."""
    service = Service(Workspace(folder))
    loaded = service.desired([])
    store = StateStore(service.workspace.state_path).open()
    conn = store.connection
    conn.execute("BEGIN")
    applied = tuple(item.customer for index, item in enumerate(loaded.desired) if not index % 2)
    wanted = service.workspace.settings.address_request(applied)
    record_allocations(conn, plan_allocations({}, wanted)[1])
    for index, item in enumerate(loaded.desired):
        if index % 2:
            continue
        sub = item.subscription
        doc = effective_document(sub, service.catalog)
        spec = sub.model_dump(mode="json", by_alias=True, exclude_none=True)
        conn.execute(
            "INSERT INTO customers (customer, spec_json, spec_path, updated_at) "
            "VALUES (?, json(?), ?, 0)",
            (sub.customer, json.dumps(spec), item.path),
        )
        for name, step in STEPS.items():
            inputs = step_inputs(doc, step)
            conn.execute(
                "INSERT INTO steps (customer, step, status, input_hash, inputs_json, updated_at,"
                " run_id) VALUES (?, ?, 'applied', ?, json(?), 0, 'bench')",
                (sub.customer, name, digest(inputs), json.dumps(inputs)),
            )
        path = Path(item.path)
        path.write_text(path.read_text().replace("bandwidth_mbps: ", "bandwidth_mbps: 1"))
    conn.execute("COMMIT")
    store.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("n", type=int, nargs="?", default=1000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_specs(folder / "specs", args.n)
        applied_state(folder)
        a, b, ratio = paired(
            [*CLI, "-C", str(folder), "plan"],
            [*CLI, "-C", str(folder), "validate"],
            args.runs,
        )
        print(f"{args.n} customers, half applied with one field changed")
        report("plan vs validate", a, b, ratio, 2.0)


if __name__ == "__main__":
    main()
