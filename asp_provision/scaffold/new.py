"""A new spec from a deal: rendered from the template, checked like any spec, then written.

A spec that fails its checks is never written. Each problem is reported against the
deal's option it came from (``--contact-email``, or the CSV column of that name);
one that no option explains is the template's, and says so.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from asp_provision.errors import UsageError, UserError
from asp_provision.scaffold.deal import Deal, DealInvalid, Problem, spec_context
from asp_provision.scaffold.templates import Templates
from asp_provision.spec.catalog import Catalog
from asp_provision.spec.check import check_document
from asp_provision.spec.diagnostics import Diagnostic, Path_
from asp_provision.spec.loader import Document, load_text

_FIELD_OPTIONS: dict[Path_, str] = {
    ("metadata", "customer"): "customer",
    ("metadata", "name"): "name",
    ("spec", "tier"): "tier",
    ("spec", "sla"): "tier",
    ("spec", "application", "name"): "app",
    ("spec", "application", "version"): "version",
    ("spec", "application", "edition"): "edition",
    ("spec", "network", "bandwidth_mbps"): "bandwidth",
    ("spec", "network", "connection", "type"): "connection",
    ("spec", "network", "connection", "provider"): "provider",
    ("spec", "network", "connection", "customer_cidrs"): "allow-from",
    ("spec", "network", "allow_from"): "allow-from",
    ("spec", "network", "domain"): "domain",
    ("spec", "servers"): "seats",
    ("spec", "platform", "storage", "size_gb"): "seats",
    ("spec", "users"): "admin",
    ("spec", "billing", "account_id"): "customer",
    ("spec", "billing", "seats"): "seats",
    ("spec", "billing", "contact", "name"): "contact-name",
    ("spec", "billing", "contact", "email"): "contact-email",
    ("spec", "billing", "start_date"): "start-date",
    ("spec", "billing", "currency"): "currency",
    ("spec", "billing", "cycle"): "cycle",
    ("spec", "reporting", "recipients"): "contact-email",
    ("spec", "onboarding", "go_live"): "go-live",
}
"""Where each option lands in a spec; below these, a problem is the option's."""

# lists whose items are the option's own values: the message alone says which one
_OWN_ITEMS = frozenset(
    {
        ("spec", "network", "allow_from"),
        ("spec", "network", "connection", "customer_cidrs"),
        ("spec", "users"),
        ("spec", "reporting", "recipients"),
    }
)


@dataclass(frozen=True, slots=True)
class NewSpec:
    """A rendered spec that passed its checks; ``path`` is None when it goes to stdout."""

    customer: str
    path: Path | None
    text: str
    warnings: tuple[Problem, ...] = ()


def spec_path(specs_dir: Path, customer: str) -> Path:
    """Where a customer's spec lives: ``specs/<customer>.yaml``."""
    return specs_dir / f"{customer}.yaml"


def new_spec(deal: Deal, catalog: Catalog, templates: Templates, path: Path | None) -> NewSpec:
    """Render the spec for ``deal`` and check it; raise DealInvalid if it is not valid."""
    text = templates.spec(spec_context(deal, catalog))
    doc = Document(str(path) if path is not None else "<new spec>")
    load_text(text, doc)
    result = check_document(doc, catalog)
    errors: list[Problem] = []
    warnings: list[Problem] = []
    for diagnostic in result.diagnostics:
        problem = _problem(diagnostic, templates)
        (errors if diagnostic.severity == "error" else warnings).append(problem)
    if errors:
        raise DealInvalid(errors)
    return NewSpec(deal.customer, path, text, tuple(warnings))


def _problem(d: Diagnostic, templates: Templates) -> Problem:
    found = _option_of(d.path)
    if found is None:
        where = f"line {d.line}" if d.field is None else d.field
        return Problem(
            None, f"{templates.spec_source()} made an invalid spec: {where}: {d.message}"
        )
    prefix, option = found
    if d.path == prefix or prefix in _OWN_ITEMS:
        return Problem(option, d.message)
    return Problem(option, f"{d.field}: {d.message}")


def _option_of(path: Path_) -> tuple[Path_, str] | None:
    for end in range(len(path), 0, -1):
        option = _FIELD_OPTIONS.get(path[:end])
        if option is not None:
            return path[:end], option
    return None


def shown(path: Path) -> Path:
    """``path`` relative to the current folder when it is below it, for shorter messages."""
    try:
        return path.relative_to(Path.cwd())
    except ValueError:
        return path


def exists_message(path: Path) -> str:
    """Why a spec is not written over an existing file."""
    return f"{shown(path)} already exists; pass --force to replace it"


def refuse_overwrite(path: Path, force: bool) -> None:
    """Raise UsageError when ``path`` exists and ``force`` is not given."""
    if not force and (path.exists() or path.is_symlink()):
        raise UsageError(exists_message(path))


def write_spec(spec: NewSpec, force: bool = False) -> None:
    """Write ``spec`` to its path; an existing file is replaced only with ``force``."""
    if spec.path is None:
        raise ValueError("this spec goes to stdout")
    refuse_overwrite(spec.path, force)
    write_text(spec.path, spec.text, replace=force)


def write_text(path: Path, text: str, replace: bool) -> None:
    """Write a file whole: readers never see half of it, and nothing is overwritten unasked."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if not replace:
            with path.open("x", encoding="utf-8", newline="\n") as fh:
                fh.write(text)
            return
        partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
        try:
            partial.write_text(text, encoding="utf-8", newline="\n")
            os.replace(partial, path)
        finally:
            partial.unlink(missing_ok=True)
    except FileExistsError:
        raise UsageError(exists_message(path)) from None
    except OSError as exc:
        raise UserError(f"cannot write {path}: {exc.strerror or exc}") from None
