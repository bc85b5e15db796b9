"""What a step's role and templates read of a customer, found by reading their source.

The roles get a customer as four variables: ``asp_spec`` (the effective spec),
``asp_metadata``, ``asp_tier`` (the tier's name and promises) and ``asp_charges``, and
values computed from them, ``asp_network`` and ``asp_derived``, which stand for what
they are computed from. A read is a path into those, such as ``spec.network.domain`` or
``tier.support``: the longest chain of ``.name`` and ``['name']`` after the variable.
Variables defined in terms of them (a role's ``vars``/``defaults``, a play's or task's
``vars``, ``vars_files`` such as ``vars/site.yml``, ``set_fact``, ``{% set %}`` in a
template) are followed: an alias (``network_spec: "{{ asp_spec.network }}"``) carries
the chain on, anything else counts as reading all it reads. Ansible evaluates variables
lazily, so only the variables a step uses count. Variables gathered by name pattern
(``query('vars', *query('varnames', REGEX))``) count as using every definition whose
name matches.

A step is scanned as the run imports it (:func:`scan_step`): the task files of the roles
its play imports, with those roles' variables and templates. The scan is sound for what
it accepts and refuses the rest: includes, imports, roles, ``hostvars``/``vars`` and
other ``lookup('vars'|'template')``, whose reads it could not see, raise
:class:`Unfollowed`.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from jinja2 import Environment, TemplateSyntaxError, nodes

from asp_provision.plan import derived
from asp_provision.plan.addressing import NETWORK_READ
from asp_provision.plan.cost import CHARGES_READ
from asp_provision.plan.steps import SITE_VARS
from asp_provision.run.playbook import role_tasks

ROOTS = {"asp_spec": "spec", "asp_metadata": "metadata", "asp_tier": "tier"}
CHARGES = "asp_charges"
NETWORK = "asp_network"
DERIVED = "asp_derived"
# keys whose strings Ansible evaluates as bare expressions, without {{ }}
_BARE = frozenset({"when", "that", "failed_when", "changed_when", "until"})
_TASK_LISTS = ("pre_tasks", "tasks", "post_tasks", "handlers")
_BLOCKS = ("block", "rescue", "always")
_UNFOLLOWED_TASK = frozenset(
    {
        "include",
        "include_tasks",
        "import_tasks",
        "include_role",
        "import_role",
        "include_vars",
        "import_playbook",
        "ansible.builtin.include_tasks",
        "ansible.builtin.import_tasks",
        "ansible.builtin.include_role",
        "ansible.builtin.import_role",
        "ansible.builtin.include_vars",
        "ansible.builtin.import_playbook",
    }
)
_TEMPLATE_MODULES = frozenset({"template", "ansible.builtin.template"})
_SET_FACT = frozenset({"set_fact", "ansible.builtin.set_fact"})
_DYNAMIC_NAMES = frozenset({"hostvars", "vars"})
_LOOKUPS = frozenset({"lookup", "query", "q"})
_VARS = frozenset({"vars", "ansible.builtin.vars"})
_VARNAMES = frozenset({"varnames", "ansible.builtin.varnames"})
_BY_PATTERN = "(variables by name pattern)"  # a use whose chain is the pattern
_ENV = Environment(extensions=["jinja2.ext.loopcontrols", "jinja2.ext.do"])

Use = tuple[str, tuple[str, ...]]
"""A variable and the chain of attributes read after it."""


class Unfollowed(Exception):
    """The source does something the scan cannot see through."""


@dataclass
class _Definition:
    alias: Use | None = None  # the whole value is this chain
    uses: set[Use] = field(default_factory=set)


@dataclass
class Scan:
    """Everything one playbook uses, and every variable definition it can see."""

    uses: set[Use] = field(default_factory=set)
    definitions: dict[str, list[_Definition]] = field(default_factory=dict)

    def define(self, name: str, value: Any, where: str) -> None:
        definition = _Definition()
        if isinstance(value, str):
            definition.alias = _alias(value)
        for text, bare in _strings(value):
            definition.uses |= _template_uses(text, bare, where, self)
        self.definitions.setdefault(name, []).append(definition)

    def reads(self) -> set[str]:
        """The paths the playbook reads, every variable resolved."""
        out: set[str] = set()
        for name, chain in self.uses:
            out |= self._resolve(name, chain, frozenset())
        return out

    def _resolve(self, name: str, chain: tuple[str, ...], seen: frozenset[str]) -> set[str]:
        if name in ROOTS:
            return {".".join((ROOTS[name], *chain))}
        if name == CHARGES:
            return set(CHARGES_READ)
        if name == NETWORK:  # the subnet and service address are the allocation's alone
            return set() if chain[:1] in (("subnet",), ("service_address",)) else set(NETWORK_READ)
        if name == DERIVED:  # each value reads what it is computed from
            names = chain[:1] or tuple(derived.READS)
            return {r for n in names for r in derived.READS.get(n, ("(unknown derived value)",))}
        if name == _BY_PATTERN:
            out = set()
            for defined in self.definitions:
                if re.search(chain[0], defined):
                    out |= self._resolve(defined, (), seen)
            return out
        if name in seen or name not in self.definitions:
            return set()  # a loop variable, a registered result, or not from the spec
        seen = seen | {name}
        out: set[str] = set()
        for definition in self.definitions[name]:
            if definition.alias is not None:
                base, base_chain = definition.alias
                out |= self._resolve(base, base_chain + chain, seen)
            else:
                for used, used_chain in definition.uses:
                    out |= self._resolve(used, used_chain, seen)
        return out


def _strings(value: Any, bare: bool = False) -> Iterator[tuple[str, bool]]:
    """Every string in ``value`` (keys aside), with whether it is a bare expression."""
    if isinstance(value, str):
        yield value, bare
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, bare or key in _BARE)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item, bare)


def _alias(text: str) -> Use | None:
    stripped = text.strip()
    if not (stripped.startswith("{{") and stripped.endswith("}}")) or stripped.count("{{") != 1:
        return None
    expr = _ENV.parse(stripped)
    output = expr.body[0] if len(expr.body) == 1 else None
    if isinstance(output, nodes.Output) and len(output.nodes) == 1:
        return _chain(output.nodes[0])
    return None


def _chain(node: nodes.Node) -> Use | None:
    """``a.b['c']`` as ("a", ("b", "c")); None when it is not such a chain."""
    parts: list[str] = []
    while True:
        if isinstance(node, nodes.Getattr):
            parts.append(node.attr)
            node = node.node
        elif (
            isinstance(node, nodes.Getitem)
            and isinstance(node.arg, nodes.Const)
            and isinstance(node.arg.value, str)
        ):
            parts.append(node.arg.value)
            node = node.node
        elif isinstance(node, nodes.Name):
            return node.name, tuple(reversed(parts))
        else:
            return None


def _template_uses(text: str, bare: bool, where: str, scan: Scan) -> set[Use]:
    """The variables ``text`` uses; ``{% set %}`` inside it defines more in ``scan``."""
    if bare:
        text = "{{ " + text + " }}"
    elif "{{" not in text and "{%" not in text:
        return set()
    try:
        with warnings.catch_warnings():  # regular expressions in string literals
            warnings.simplefilter("ignore", DeprecationWarning)
            tree = _ENV.parse(text)
    except TemplateSyntaxError as exc:
        raise Unfollowed(f"{where}: cannot parse {text!r}: {exc}") from None
    uses: set[Use] = set()
    _walk(tree, uses, where, scan)
    return uses


def _walk(node: nodes.Node, uses: set[Use], where: str, scan: Scan) -> None:
    if isinstance(node, nodes.Include | nodes.Import | nodes.FromImport | nodes.Extends):
        raise Unfollowed(f"{where}: includes another template")
    if isinstance(node, nodes.Assign) and isinstance(node.target, nodes.Name):
        inner: set[Use] = set()
        _walk(node.node, inner, where, scan)
        scan.definitions.setdefault(node.target.name, []).append(
            _Definition(alias=_chain(node.node), uses=inner)
        )
        uses |= inner
        return
    if _is_lookup(node):
        assert isinstance(node, nodes.Call)
        first = node.args[0] if node.args else None
        pattern = _by_pattern(node)
        if pattern is not None:
            uses.add((_BY_PATTERN, (pattern,)))
            return
        if not isinstance(first, nodes.Const) or str(first.value).removeprefix(
            "ansible.builtin."
        ) in ("vars", "template"):
            raise Unfollowed(f"{where}: a lookup the scan cannot follow")
    found = _chain(node) if isinstance(node, nodes.Getattr | nodes.Getitem | nodes.Name) else None
    if found is not None:
        if found[0] in _DYNAMIC_NAMES:
            raise Unfollowed(f"{where}: reads variables by name ({found[0]})")
        uses.add(found)
        return
    for child in node.iter_child_nodes():
        _walk(child, uses, where, scan)


def _is_lookup(node: nodes.Node) -> bool:
    return (
        isinstance(node, nodes.Call)
        and isinstance(node.node, nodes.Name)
        and node.node.name in _LOOKUPS
    )


def _by_pattern(node: nodes.Call) -> str | None:
    """REGEX of ``query('vars', *query('varnames', REGEX))``, the only such use followed."""
    first = node.args[0] if node.args else None
    inner = node.dyn_args
    if not (
        isinstance(first, nodes.Const)
        and first.value in _VARS
        and len(node.args) == 1
        and inner is not None
        and _is_lookup(inner)
    ):
        return None
    assert isinstance(inner, nodes.Call)
    args = inner.args
    if (
        len(args) == 2
        and all(isinstance(a, nodes.Const) and isinstance(a.value, str) for a in args)
        and args[0].value in _VARNAMES  # type: ignore[attr-defined]
    ):
        return str(args[1].value)  # type: ignore[attr-defined]
    return None


def scan_step(playbooks: Path, step: str) -> Scan:
    """What applying ``step`` uses: the role task files its play imports, as the run does."""
    scan = Scan()
    _define_file(scan, playbooks / SITE_VARS)
    imported = role_tasks(step)
    for role in dict.fromkeys(r for r, _ in imported):
        for kind in ("defaults", "vars"):
            _define_file(scan, playbooks / "roles" / role.role / kind / "main.yml")
    for role, which in imported:
        path = playbooks / role.tasks_file(which)
        for task in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            _scan_task(task, path, scan, path.parent.parent / "templates")
    return scan


def _define_file(scan: Scan, source: Path) -> None:
    if not source.is_file():
        return
    for name, value in (yaml.safe_load(source.read_text(encoding="utf-8")) or {}).items():
        scan.define(name, value, f"{source}: {name}")


def scan_playbook(path: Path) -> Scan:
    """What the playbook at ``path`` uses, with the templates its tasks render."""
    scan = Scan()
    plays = yaml.safe_load(path.read_text(encoding="utf-8"))
    for play in plays:
        if "import_playbook" in play or "roles" in play:
            raise Unfollowed(f"{path}: imports or roles")
        for name, value in (play.get("vars") or {}).items():
            scan.define(name, value, f"{path}: vars.{name}")
        for vars_file in play.get("vars_files") or []:
            if "{{" in vars_file:
                raise Unfollowed(f"{path}: a templated vars_files entry")
            _define_file(scan, path.parent / vars_file)
        for key in ("hosts", "name"):
            for text, _ in _strings(play.get(key)):
                scan.uses |= _template_uses(text, False, f"{path}: {key}", scan)
        for key in _TASK_LISTS:
            for task in play.get(key) or []:
                _scan_task(task, path, scan)
    return scan


def _scan_task(task: dict[str, Any], path: Path, scan: Scan, templates: Path | None = None) -> None:
    """One task's uses; ``templates``: where its templates are (a role's), else beside it."""
    where = f"{path}: task {task.get('name', '?')!r}"
    unfollowed = _UNFOLLOWED_TASK & set(task)
    if unfollowed:
        raise Unfollowed(f"{where}: {', '.join(sorted(unfollowed))}")
    for key in _BLOCKS:
        for inner in task.get(key) or []:
            _scan_task(inner, path, scan, templates)
    for name, value in (task.get("vars") or {}).items():
        scan.define(name, value, f"{where}: vars.{name}")
    for module in _SET_FACT & set(task):
        for name, value in (task[module] or {}).items():
            scan.define(name, value, f"{where}: set_fact {name}")
    rest = {k: v for k, v in task.items() if k not in ("vars", *_BLOCKS, *_SET_FACT)}
    for text, bare in _strings(rest):
        scan.uses |= _template_uses(text, bare, where, scan)
    for module in _TEMPLATE_MODULES & set(task):
        for src in _template_sources(task, (task[module] or {}).get("src"), where):
            source = (templates or path.parent) / src
            if templates is not None and not source.is_file():
                # as Ansible does, a role's template is looked for in the role's own folder
                # too (a source such as ../network/templates/x.j2 names another role's)
                source = templates.parent / src
            text = source.read_text(encoding="utf-8")
            scan.uses |= _template_uses(text, False, str(source), scan)


def _template_sources(task: dict[str, Any], src: Any, where: str) -> list[str]:
    """The templates a task renders: its ``src``, or for ``src: "{{ item.src }}"`` the ``src``
    of each item of its loop, when the loop is a list written out in the task."""
    if isinstance(src, str) and "{{" not in src:
        return [src]
    loop = task.get("loop")
    if (
        isinstance(src, str)
        and _alias(src) == ("item", ("src",))
        and "loop_var" not in (task.get("loop_control") or {})
        and isinstance(loop, list)
        and all(
            isinstance(i, dict) and isinstance(i.get("src"), str) and "{{" not in i["src"]
            for i in loop
        )
    ):
        return [i["src"] for i in loop]
    raise Unfollowed(f"{where}: a template source the scan cannot name")


def undeclared(reads: set[str], declared: tuple[str, ...]) -> list[str]:
    """The reads no declared path covers (a declared path covers everything below it)."""
    return sorted(r for r in reads if not any(r == d or r.startswith(d + ".") for d in declared))
