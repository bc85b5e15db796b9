"""Shared pieces of the benchmark scripts: spec generation and paired timing."""

from __future__ import annotations

import copy
import datetime as dt
import functools
import statistics
import string
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
CLI = [sys.executable, "-m", "asp_provision"]

_TIERS = [
    ("silver", "shared", "crm-suite", "2024.2", ["postgresql"]),
    ("gold", "dedicated", "hosted-email", "4.3", ["postgresql", "redis"]),
    ("platinum", "dedicated", "erp-core", "11.0", ["postgresql", "redis"]),
]


_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


@functools.cache
def _base() -> dict[str, Any]:
    data: dict[str, Any] = yaml.load((ROOT / "specs" / "acme-corp.yaml").read_text(), _LOADER)
    return data


def spec_data(index: int, users: int = 20) -> dict[str, Any]:
    """A valid, varied spec: tier, application, sizes and users differ by index."""
    doc: dict[str, Any] = copy.deepcopy(_base())
    tier, tenancy, app, version, middleware = _TIERS[index % 3]
    name = f"customer-{index:05d}"
    spec = doc["spec"]
    doc["metadata"] = {"customer": name, "name": f"Customer {index}", "labels": {"n": str(index)}}
    spec["tier"] = tier
    # negotiated terms only: the SLA and policies are the tier's
    spec.pop("sla", None)
    spec["security"].pop("password_policy", None)
    spec["security"].pop("session_timeout_minutes", None)
    spec["platform"]["storage"]["backups"].pop("retention_days", None)
    spec["application"] = {"name": app, "version": version, "edition": "enterprise"}
    spec["servers"]["tenancy"] = tenancy
    spec["servers"]["pools"][0].update(count=4 + index % 3, cpu_cores=8)
    spec["platform"]["middleware"] = middleware
    spec["platform"]["storage"]["size_gb"] = 1000 + index
    spec["network"]["bandwidth_mbps"] = 50 + index % 200
    spec["network"]["domain"] = f"app.{name}.example"
    spec["network"]["connection"] = {
        "type": "mpls",
        "provider": "Telia",
        "customer_cidrs": [f"10.{index % 250}.0.0/16"],
    }
    spec["network"]["allow_from"] = [f"10.{index % 250}.0.0/16", "198.51.100.7/32"]
    if tier == "platinum":  # highly available: two of each role, over two zones
        for pool in spec["servers"]["pools"]:
            pool.update(count=max(pool["count"], 2), zones=["zone-a", "zone-b"])
        spec["support"]["primary_engineer"] = {
            "name": f"Engineer {index}",
            "email": f"engineer@{name}.example",
            "phone": "+46 70 555 01 32",
        }
    spec["billing"]["account_id"] = f"ACC-{index:05d}"
    spec["billing"]["seats"] = 60 + index % 40
    spec["users"] = [
        {
            "username": f"user{u:02d}",
            "email": f"user{u:02d}@{name}.example",
            "full_name": f"User {u} of {index}",
            "role": "admin" if u == 0 else "staff",
        }
        for u in range(users)
    ]
    return doc


def write_spec(folder: Path, data: dict[str, Any]) -> Path:
    """Write one spec as ``<customer>.yaml`` into ``folder``."""
    path = folder / f"{data['metadata']['customer']}.yaml"
    path.write_text(_dump(data))
    return path


def _dump(data: dict[str, Any]) -> str:
    return yaml.dump(data, Dumper=_DUMPER, sort_keys=False, width=120)


def spec_values(index: int) -> dict[str, str]:
    """What differs between the specs of :func:`spec_data`, as YAML text."""
    return {
        "slug": f"customer-{index:05d}",
        "index": str(index),
        "label": f"'{index}'",  # a string that reads as a number is quoted
        "count": str(4 + index % 3),
        "size": str(1000 + index),
        "mbps": str(50 + index % 200),
        "net": f"10.{index % 250}.0.0/16",
        "account": f"ACC-{index:05d}",
        "seats": str(60 + index % 40),
    }


class SpecTemplates:
    """The specs of :func:`spec_data` as text, from one template per tier.

    Each template is the YAML of a spec whose varying values are placeholders; a spec is
    the template with its index's values substituted. On construction each template is
    checked: substituted with the values of its own spec (whose data the models
    validate), it must give that spec's YAML byte for byte.
    """

    def __init__(self, users: int = 20, start_date: dt.date | None = None) -> None:
        self.users = users
        self.start_date = start_date
        self.samples = [self.data(k) for k in range(len(_TIERS))]
        self.templates = [string.Template(self._template(k)) for k in range(len(_TIERS))]
        for k, sample in enumerate(self.samples):
            if self.text(k) != _dump(sample):
                raise AssertionError(f"the spec template of {_TIERS[k][0]} differs from its spec")

    def data(self, index: int) -> dict[str, Any]:
        """The spec of ``index`` as data (slow: made and copied value by value)."""
        doc = spec_data(index, self.users)
        if self.start_date is not None:
            doc["spec"]["billing"]["start_date"] = self.start_date
        return doc

    def text(self, index: int) -> str:
        """The spec of ``index`` as YAML text."""
        return self.templates[index % len(_TIERS)].substitute(spec_values(index))

    def write(self, folder: Path, index: int) -> Path:
        """Write the spec of ``index`` as ``<customer>.yaml`` into ``folder``."""
        path = folder / f"customer-{index:05d}.yaml"
        path.write_text(self.text(index))
        return path

    def _template(self, k: int) -> str:
        doc = self.data(k)
        spec = doc["spec"]
        doc["metadata"] = {
            "customer": "$slug",
            "name": "Customer $index",
            "labels": {"n": "$label"},
        }
        spec["network"]["bandwidth_mbps"] = "$mbps"
        spec["network"]["domain"] = "app.$slug.example"
        spec["network"]["connection"]["customer_cidrs"] = ["$net"]
        spec["network"]["allow_from"] = ["$net", "198.51.100.7/32"]
        spec["servers"]["pools"][0]["count"] = "$count"
        spec["platform"]["storage"]["size_gb"] = "$size"
        if "primary_engineer" in spec["support"] and spec["tier"] == "platinum":
            spec["support"]["primary_engineer"].update(
                name="Engineer $index", email="engineer@$slug.example"
            )
        spec["billing"]["account_id"] = "$account"
        spec["billing"]["seats"] = "$seats"
        for user in spec["users"]:
            number = user["username"][len("user") :]
            user["email"] = f"user{number}@$slug.example"
            user["full_name"] = f"User {int(number)} of $index"
        return _dump(doc)


def write_specs(folder: Path, count: int, users: int = 20) -> list[Path]:
    """Write ``count`` specs into ``folder``; returns their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    templates = SpecTemplates(users)
    return [templates.write(folder, i) for i in range(count)]


def wall(cmd: Sequence[str], cwd: Path | None = None) -> float:
    """Seconds one run of ``cmd`` takes; its output is discarded."""
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - start


def paired(
    a: Sequence[str], b: Sequence[str], runs: int, cwd: Path | None = None
) -> tuple[float, float, float]:
    """Run a and b in turn (A B A B ...); medians of a, of b, and of the ratios a/b."""
    wall(a, cwd)
    wall(b, cwd)
    times_a, times_b, ratios = [], [], []
    for _ in range(runs):
        ta, tb = wall(a, cwd), wall(b, cwd)
        times_a.append(ta)
        times_b.append(tb)
        ratios.append(ta / tb)
    return statistics.median(times_a), statistics.median(times_b), statistics.median(ratios)


def report(label: str, a: float, b: float, ratio: float, target: float | None = None) -> None:
    """Print one comparison line."""
    verdict = "" if target is None else (" ok" if ratio <= target else f" OVER {target}x")
    print(f"{label}: {a:.3f}s vs {b:.3f}s  ratio {ratio:.2f}x{verdict}")
