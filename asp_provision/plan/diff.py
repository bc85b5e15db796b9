"""What each step reads from a spec, its hash, and field-level changes between two versions."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from asp_provision.plan.model import Change
from asp_provision.plan.steps import Step
from asp_provision.spec.models import secret_paths

SECRET_SHOWN = "(secret)"
_SECRETS = {".".join(p) for p in secret_paths()}
_KEYS = ("username",)  # lists of mappings with one of these keys are compared by it


def _get(doc: dict[str, Any], dotted: str) -> Any:
    node: Any = doc
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def step_inputs(doc: dict[str, Any], step: Step) -> dict[str, Any]:
    """The parts of ``doc`` that ``step`` reads, keyed by their path."""
    return {path: _get(doc, path) for path in step.reads}


def digest(value: Any) -> str:
    """A stable hash of JSON data."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def _shown(path: str, value: Any) -> Any:
    """``value`` with every secret at or below ``path`` replaced by ``(secret)``."""
    if value is None:
        return None
    if path in _SECRETS:
        return SECRET_SHOWN
    if isinstance(value, dict):
        return {key: _shown(f"{path}.{key}", item) for key, item in value.items()}
    if isinstance(value, list):
        return [_shown(path, item) for item in value]
    return value


def _label(path: str) -> str:
    return path.removeprefix("spec.")


def changes(old: dict[str, Any] | None, new: dict[str, Any]) -> list[Change]:
    """Field-level changes from ``old`` inputs to ``new`` inputs (keyed by read path)."""
    out: list[Change] = []
    for path in sorted(new):
        _diff(path, path, (old or {}).get(path), new[path], out)
    return out


def _diff(path: str, label_path: str, old: Any, new: Any, out: list[Change]) -> None:
    if old == new:
        return
    label = _label(label_path)
    if old is None:
        out.append(Change(op="+", path=label, after=_shown(path, new)))
    elif new is None:
        out.append(Change(op="-", path=label, before=_shown(path, old)))
    elif isinstance(old, dict) and isinstance(new, dict):
        for key in sorted(set(old) | set(new), key=lambda k: (k not in old, k)):
            _diff(f"{path}.{key}", f"{label_path}.{key}", old.get(key), new.get(key), out)
    elif isinstance(old, list) and isinstance(new, list) and _keyed(old + new):
        key = _key_of(old + new)
        assert key is not None
        before = {item[key]: item for item in old}
        after = {item[key]: item for item in new}
        for name in [*before, *(n for n in after if n not in before)]:
            item_label = f"{label_path}[{name}]"
            if name not in after:
                out.append(Change(op="-", path=_label(item_label)))
            elif name not in before:
                out.append(Change(op="+", path=_label(item_label)))
            else:
                _diff(path, item_label, before[name], after[name], out)
    else:
        out.append(Change(op="~", path=label, before=_shown(path, old), after=_shown(path, new)))


def _keyed(items: list[Any]) -> bool:
    return bool(items) and all(isinstance(i, dict) for i in items) and _key_of(items) is not None


def _key_of(items: list[Any]) -> str | None:
    for key in _KEYS:
        if all(isinstance(i, dict) and key in i for i in items):
            return key
    return None
