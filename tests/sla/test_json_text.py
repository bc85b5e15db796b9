"""The report's JSON writer writes what ``json.dumps(data, indent=2)`` writes, byte for byte."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from asp_provision.render.json_text import dumps
from asp_provision.render.sla import report_data
from asp_provision.sla.workflow import load_customers, sla_report
from asp_provision.spec.catalog import load_catalog
from tests.sla.test_report_figures import NOW, SPECS, _random_tickets, _state

_TEXT = ["", "a", "é", "\u2028", '"quoted"', "back\\slash", "tab\tnew\nline", "\x00", "😀", "日本"]
_FLOATS = [0.0, -0.0, 1e-310, 1e300, 0.1, float("nan"), float("inf"), -float("inf")]


def _scalar(rng: random.Random) -> Any:
    kind = rng.randrange(9)
    if kind == 0:
        return None
    if kind == 1:
        return rng.random() < 0.5
    if kind == 2:
        return rng.randint(-(10**20), 10**20)
    if kind == 3:
        return rng.choice(_FLOATS)
    if kind == 4:
        return rng.uniform(-1e6, 1e6)
    if kind == 5:
        return round(rng.uniform(0, 1000), 1)
    return "".join(rng.choice(_TEXT) for _ in range(rng.randrange(4)))


def _value(rng: random.Random, depth: int) -> Any:
    kind = rng.randrange(6) if depth < 5 else 0
    if kind <= 2:
        return _scalar(rng)
    if kind == 3:
        return [_value(rng, depth + 1) for _ in range(rng.randrange(5))]
    if kind == 4:
        return tuple(_value(rng, depth + 1) for _ in range(rng.randrange(3)))
    keys: list[Any] = [rng.choice(_TEXT) + str(i) for i in range(rng.randrange(6))]
    if rng.random() < 0.2:
        keys += [7, 2.5, True, None]
    return {k: _value(rng, depth + 1) for k in keys}


@pytest.mark.parametrize("seed", range(300))
def test_random_data_is_written_as_json_dumps_writes_it(seed: int) -> None:
    data = _value(random.Random(seed), 0)
    assert dumps(data) == json.dumps(data, indent=2)


def test_a_month_s_report_is_written_as_json_dumps_writes_it(tmp_path: Path) -> None:
    store = _state(tmp_path, _random_tickets(600))
    with store:
        customers = load_customers(SPECS, load_catalog(), None)
        chosen = [customers.terms[c] for c in sorted(customers.terms)]
        reports = sla_report(chosen, "2026-10", store, store, NOW)
    data = {"format_version": 1, "customers": [report_data(r, 1) for r in reports]}
    assert dumps(data) == json.dumps(data, indent=2)


def test_what_json_cannot_write_is_refused() -> None:
    with pytest.raises(TypeError):
        dumps({"a": {1, 2}})
    with pytest.raises(TypeError):
        dumps({(1, 2): "a"})
