"""Check one loaded spec: types (pydantic), then the rules; every problem located."""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from asp_provision.spec import rules
from asp_provision.spec.across import Claims, claims_of
from asp_provision.spec.catalog import Catalog
from asp_provision.spec.diagnostics import Diagnostic, Path_, Tally
from asp_provision.spec.loader import Document, load_file
from asp_provision.spec.models import (
    SECRET_MESSAGE,
    SECTIONS,
    SESSIONS_TAGS,
    Metadata,
    Onboarding,
    Subscription,
    Support,
    User,
    secret_paths,
)
from asp_provision.spec.onboarding import check_source

_SECRETS = frozenset(secret_paths())
# text where a number or a boolean is expected: the wrong type, not a bad value
_PARSING = frozenset({"int_parsing", "float_parsing", "bool_parsing"})

_PATTERNS = {
    "customer": "a slug: 3 to 40 lowercase letters, digits or '-', starting with a letter",
    "username": "3 to 32 characters: lowercase letters, digits, '.', '_' or '-', "
    "starting with a letter",
    "account_id": "letters, digits, '.', '_' or '-' (at most 40)",
    "currency": "a three-letter ISO 4217 code such as USD",
    "holidays": "a two-letter ISO 3166 country code such as SE or US",
    "phone": "a telephone number such as +46 8 555 010 00",
    "country": "a two-letter ISO 3166 code such as SE",
    "tax_id": "2 to 30 letters, digits, spaces, '.' or '-'",
}


SpecRule = Callable[[Subscription, Catalog, rules.Report], None]
"""A rule a caller adds, run on each spec that is otherwise valid: a module-level function
(it travels to the processes that check many files at once)."""


@dataclass(slots=True)
class CheckedSpec(Tally):
    """The outcome of checking one file."""

    path: str
    customer: str | None = None
    customer_at: tuple[int | None, int | None] = (None, None)
    subscription: Subscription | None = None
    content_hash: str | None = None
    data: Any = None  # the loaded values, to rebuild the model after a trip between processes
    document: dict[str, Any] | None = None  # the effective spec, computed where it was checked
    derived: dict[str, Any] = field(default_factory=dict)  # what a caller's hook computed there
    claims: Claims | None = None  # what other customers may not share (domain, account)
    diagnostics: list[Diagnostic] = field(default_factory=list)


def check_file(
    path: Path,
    catalog: Catalog,
    digest: bool = False,
    workspace: Path | None = None,
    extra: tuple[SpecRule, ...] = (),
) -> CheckedSpec:
    """Load and check one spec file (``digest``: and hash its bytes).

    ``workspace``: the folder the spec's own files (a data conversion's source) are
    relative to; they are checked only when it is given. ``extra``: more rules, run on a
    spec that passed every other.
    """
    return check_document(load_file(path, digest), catalog, workspace, extra)


def check_document(
    doc: Document,
    catalog: Catalog,
    workspace: Path | None = None,
    extra: tuple[SpecRule, ...] = (),
) -> CheckedSpec:
    """Check a loaded document against the models and the catalog (and ``workspace``)."""
    result = CheckedSpec(doc.path, content_hash=doc.content_hash)
    data = doc.data
    if data is None:
        if not doc.diagnostics:
            doc.error("empty", (), "the file holds no spec")
        result.diagnostics = sorted(doc.diagnostics, key=Diagnostic.sort_key)
        return result
    if not isinstance(data, dict):
        doc.error("not-a-mapping", (), "a spec is a mapping with apiVersion, kind, metadata, spec")
        result.diagnostics = doc.diagnostics
        return result
    meta = data.get("metadata")
    if isinstance(meta, dict) and isinstance(meta.get("customer"), str):
        result.customer = meta["customer"]
        result.customer_at = doc.locate(("metadata", "customer"))

    result.claims = claims_of(data, doc.locate)

    def report(path: Path_, code: str, message: str, severity: str) -> None:
        doc.error(code, path, message, severity)

    if doc.scalars:
        _booleans_for_numbers(doc)
    try:
        sub = Subscription.model_validate(data)
    except ValidationError as exc:
        failed = _report_pydantic(exc, doc)
        parts = _partial(data, failed)
    else:
        result.subscription = sub
        s = sub.spec
        parts = rules.Parts(
            metadata=sub.metadata,
            tier=s.tier,
            application=s.application,
            sla=s.sla,
            network=s.network,
            servers=s.servers,
            platform=s.platform,
            security=s.security,
            users=s.users,
            billing=s.billing,
            support=s.support,
            support_given=True,
            onboarding=s.onboarding,
        )
    rules.check(parts, catalog, report)
    if workspace is not None:
        check_source(parts.onboarding, workspace, report)
    _check_file_name(doc, result.customer)
    if result.subscription is not None and any(d.severity == "error" for d in doc.diagnostics):
        result.subscription = None
    if result.subscription is not None:
        result.data = data
        for rule in extra:
            rule(result.subscription, catalog, report)
    result.diagnostics = sorted(doc.diagnostics, key=Diagnostic.sort_key)
    return result


def _check_file_name(doc: Document, customer: str | None) -> None:
    stem = Path(doc.path).stem
    if customer and stem != customer and not doc.path.startswith("<"):
        doc.error(
            "file-name",
            ("metadata", "customer"),
            f"the file is named {stem!r} but the customer is {customer!r}; name it {customer}.yaml",
            "warning",
        )


def _partial(data: dict[str, Any], failed: set[Path_]) -> rules.Parts:
    """Validate the sections that had no type errors, one by one, for the rules."""
    spec = data.get("spec")
    if not isinstance(spec, dict):
        return rules.Parts()
    found: dict[str, Any] = {}
    wanted = rules.Parts.__dataclass_fields__
    for name, model in SECTIONS.items():
        if name in wanted and name in spec and ("spec", name) not in failed:
            with suppress(ValidationError):
                found[name] = model.model_validate(spec[name])
    if "support" in spec and ("spec", "support") not in failed:
        with suppress(ValidationError):
            found["support"] = Support.model_validate(spec["support"])
    found["support_given"] = "support" not in spec or "support" in found
    if isinstance(spec.get("onboarding"), dict) and ("spec", "onboarding") not in failed:
        with suppress(ValidationError):
            found["onboarding"] = Onboarding.model_validate(spec["onboarding"])
    if "users" in spec and ("spec", "users") not in failed:
        with suppress(ValidationError):
            found["users"] = TypeAdapter(list[User]).validate_python(spec["users"])
    meta = data.get("metadata")
    if ("metadata",) not in failed and isinstance(meta, dict):
        with suppress(ValidationError):
            found["metadata"] = Metadata.model_validate(meta)
    tier = spec.get("tier")
    return rules.Parts(tier=tier if isinstance(tier, str) else None, **found)


def _report_pydantic(exc: ValidationError, doc: Document) -> set[Path_]:
    """Turn pydantic's errors into located diagnostics; return the failed sections."""
    failed: set[Path_] = set()
    # the loader already reported what it could not build (a refused tag, say)
    known = {d.path for d in doc.diagnostics}
    errors = exc.errors(include_url=False)
    # a misspelt key shows up twice: unknown here, missing there; say it once
    misspelt: set[Path_] = set()
    for err in errors:
        if err["type"] == "extra_forbidden":
            loc = tuple(part for part in err["loc"] if part not in SESSIONS_TAGS)
            close = difflib.get_close_matches(str(loc[-1]), allowed_keys(loc[:-1]), 1, 0.6)
            if close:
                misspelt.add((*loc[:-1], close[0]))
    for err in errors:
        loc = tuple(part for part in err["loc"] if part not in SESSIONS_TAGS)
        if loc and loc[-1] == "[key]":  # pydantic's marker for a bad mapping key
            loc = loc[:-1]
        failed.add(loc[:2])
        failed.add(loc[:1])
        if loc in known or (loc in misspelt and err["type"] == "missing"):
            continue
        code, message = _describe(err, loc, doc)
        doc.error(code, loc, message)
    return failed


def _describe(err: Any, loc: Path_, doc: Document) -> tuple[str, str]:
    kind: str = err["type"]
    key = loc[-1] if loc else ""
    scalar = doc.scalars.get(loc)
    if kind == "extra_forbidden":
        allowed = allowed_keys(loc[:-1])
        hint = ""
        if allowed:
            close = difflib.get_close_matches(str(key), allowed, n=1, cutoff=0.6)
            hint = f"; did you mean '{close[0]}'?" if close else f"; allowed: {', '.join(allowed)}"
        return "unknown-field", f"unknown field '{key}'{hint}"
    if kind == "missing" and loc == ("spec", "billing", "country"):
        return "missing-field", (
            "required field 'country' is missing: add the customer's country as an "
            "ISO 3166 code under billing (for example `country: SE`); it decides the tax"
        )
    if kind == "missing":
        return "missing-field", f"required field '{key}' is missing"
    if loc in _SECRETS:
        # whatever was written there, it is not a reference: never echo it
        return "invalid-value", SECRET_MESSAGE
    if scalar is not None and kind in ("string_type", "literal_error", "enum"):
        return "yaml-type", _quote_hint(scalar.text, scalar.kind, err["input"])
    if kind in _EXPECTED:
        return "type-error", _wrong_type(_EXPECTED[kind], err["input"])
    if kind == "string_pattern_mismatch":
        want = _PATTERNS.get(str(key))
        if want:
            return "invalid-value", f"'{err['input']}' must be {want}"
    message: str = err["msg"]
    if kind == "value_error":
        message = message.removeprefix("Value error, ")
    elif kind == "literal_error":
        expected = err.get("ctx", {}).get("expected", "")
        message = f"'{err['input']}' is not allowed; expected {expected}"
    else:
        message = message[:1].lower() + message[1:]
        if not isinstance(err["input"], dict | list):
            got = repr(err["input"])
            message += f" (got {got if len(got) <= 40 else got[:37] + '...'})"
    wrong_type = kind.endswith("_type") or kind in _PARSING
    return ("type-error" if wrong_type else "invalid-value"), message


_EXPECTED = {
    "int_type": "a whole number",
    "float_type": "a number",
    "bool_type": "true or false",
    "int_from_float": "a whole number",
}


def _wrong_type(wanted: str, value: Any) -> str:
    """Types are strict, as the schema says: say what was written and what is wanted."""
    if isinstance(value, str):
        shown = repr(value) if len(value) <= 40 else repr(value[:40] + "...")
        try:
            float(value)
        except ValueError:
            return f"{wanted} is expected here, not the text {shown}"
        return f"{wanted} is expected here, not the text {shown}: write it without quotes"
    if isinstance(value, dict | list):
        kind = "mapping" if isinstance(value, dict) else "list"
        return f"{wanted} is expected here, not a {kind}"
    return f"{wanted} is expected here, not {value!r}"


def _quote_hint(text: str, kind: str, value: Any) -> str:
    if kind == "boolean":
        shown = "true" if value else "false"
        return f'{text} is read by YAML as the boolean {shown}; quote it ("{text}") for the text'
    if kind == "null":
        return f'{text} is read by YAML as null; quote it ("{text}") for the text'
    if kind == "number":
        return f'{text} is read by YAML as the number {value!r}; quote it ("{text}")'
    return f'{text} is read by YAML as a {kind}; quote it ("{text}")'


def _type_at(path: Path_) -> Any:
    current: Any = Subscription
    for part in path:
        current = _step_into(current, part)
        if current is None:
            return None
    return _unwrap(current)


_TRUE = {"yes", "y", "true", "on"}


def _booleans_for_numbers(doc: Document) -> None:
    """``count: yes`` reads as 1 to pydantic: say that YAML made it a boolean."""
    for path, scalar in doc.scalars.items():
        if scalar.kind == "boolean" and _type_at(path) in (int, float):
            doc.error(
                "yaml-type",
                path,
                f"{scalar.text} is read by YAML as the boolean "
                f"{'true' if scalar.text.lower() in _TRUE else 'false'}, "
                "but a number is expected here",
            )


def allowed_keys(path: Path_) -> list[str]:
    """The keys a mapping at ``path`` accepts (empty when free-form or unknown)."""
    current = _type_at(path)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return [info.alias or name for name, info in current.model_fields.items()]
    return []


def _unwrap(tp: Any) -> Any:
    """Strip Optional and Annotated."""
    while True:
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            tp = typing.get_args(tp)[0]
            continue
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if origin in (typing.Union, types.UnionType) and len(args) == 1:
            tp = args[0]
            continue
        return tp


def _step_into(tp: Any, part: str | int) -> Any:
    tp = _unwrap(tp)
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        # one of several forms (training sessions: a count or a list): the first that has it
        found = (_step_into(arg, part) for arg in typing.get_args(tp))
        return next((f for f in found if f is not None), None)
    if isinstance(part, int):
        args = typing.get_args(tp)
        return args[0] if typing.get_origin(tp) is list and args else None
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        for name, info in tp.model_fields.items():
            if (info.alias or name) == part:
                return info.annotation
        return None
    if typing.get_origin(tp) is dict:
        return typing.get_args(tp)[1]
    return None
