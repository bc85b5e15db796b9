"""What each step reads from a spec, its hash, and field-level changes between two versions."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from asp_provision.plan.model import Change
from asp_provision.plan.steps import Step
from asp_provision.spec.models import secret_paths

SECRET_SHOWN = "(secret)"
SECRET_CHANGED = "(secret changed)"
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


def secret_fields(read: str) -> list[tuple[str, list[str]]]:
    """The secrets at or below the read path ``read``: (dotted path, path below ``read``)."""
    out: list[tuple[str, list[str]]] = []
    for dotted in sorted(_SECRETS):
        if dotted == read:
            out.append((dotted, []))
        elif dotted.startswith(read + "."):
            out.append((dotted, dotted[len(read) + 1 :].split(".")))
    return out


def unknown_secrets(doc: dict[str, Any]) -> dict[str, str | None]:
    """Each secret ``doc`` references, its fingerprint unknown (None)."""
    return {path: None for path in sorted(_SECRETS) if isinstance(_get(doc, path), str)}


def with_fingerprints(
    inputs: dict[str, Any],
    fingerprints: dict[str, str | None],
    before: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """``inputs`` with each secret reference as ``{"reference", "fingerprint"}``.

    ``fingerprints`` maps a secret's dotted path to the keyed fingerprint of its value,
    or to None when the value is not at hand: then the fingerprint recorded in
    ``before`` (the inputs last applied) stands, as long as the reference is the same.
    """
    out = inputs
    for read in inputs:
        for dotted, below in secret_fields(read):
            if dotted not in fingerprints:
                continue
            reference = _get_in(inputs[read], below)
            if not isinstance(reference, str):
                continue
            fingerprint = fingerprints[dotted]
            if fingerprint is None:
                old = _get_in((before or {}).get(read), below)
                if not (isinstance(old, dict) and old.get("reference") == reference):
                    continue
                fingerprint = old.get("fingerprint")
            value = {"reference": reference, "fingerprint": fingerprint}
            if out is inputs:
                out = dict(inputs)
            out[read] = _set_in(out[read], below, value)
    return out


def recorded_fingerprint(inputs: dict[str, Any] | None, dotted: str) -> str | None:
    """The fingerprint of the secret at ``dotted`` in inputs recorded by apply, if any."""
    for read, value in (inputs or {}).items():
        for path, below in secret_fields(read):
            if path == dotted:
                node = _get_in(value, below)
                if isinstance(node, dict) and isinstance(node.get("fingerprint"), str):
                    return str(node["fingerprint"])
    return None


def _get_in(node: Any, parts: list[str]) -> Any:
    for part in parts:
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    return node


def _set_in(node: Any, parts: list[str], value: Any) -> Any:
    """A copy of ``node`` (copied only along ``parts``) with ``value`` at ``parts``."""
    if not parts:
        return value
    copy = dict(node)
    copy[parts[0]] = _set_in(node[parts[0]], parts[1:], value)
    return copy


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
    if path in _SECRETS and old is not None and new is not None:
        out.append(Change(op="~", path=label, before=SECRET_SHOWN, after=_secret_after(old, new)))
    elif old is None:
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


def _secret_after(old: Any, new: Any) -> str:
    """``(secret changed)`` when the fingerprints say the value changed, else ``(secret)``."""
    fingerprints = [v.get("fingerprint") if isinstance(v, dict) else None for v in (old, new)]
    if None not in fingerprints and fingerprints[0] != fingerprints[1]:
        return SECRET_CHANGED
    return SECRET_SHOWN


def _keyed(items: list[Any]) -> bool:
    return bool(items) and all(isinstance(i, dict) for i in items) and _key_of(items) is not None


def _key_of(items: list[Any]) -> str | None:
    for key in _KEYS:
        if all(isinstance(i, dict) and key in i for i in items):
            return key
    return None
