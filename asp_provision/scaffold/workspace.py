"""A new workspace: the default catalog, templates and playbooks, an empty specs folder.

Nothing that exists is ever overwritten: a file already there is kept as it is and
reported, so ``init --force`` on a folder in use only adds what is missing.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path

from asp_provision.errors import UsageError, UserError
from asp_provision.scaffold.templates import WORKSPACE_README_TEMPLATE, Templates
from asp_provision.spec.catalog import CATALOG_FILE, load_catalog

GITIGNORE = ".asp/\n"
SCHEMA_FILE = Path("schema") / "subscription.schema.json"
_SKIPPED = frozenset({"__pycache__", ".DS_Store"})


@dataclass(frozen=True, slots=True)
class InitResult:
    """What ``init`` did: the files it created and those it found and kept."""

    root: Path
    created: tuple[Path, ...]
    kept: tuple[Path, ...]


@dataclass(frozen=True, slots=True)
class _File:
    path: Path
    content: bytes | None = None
    link: str | None = None  # a relative symbolic link, kept as one


def init_workspace(root: Path, force: bool = False, schema: str | None = None) -> InitResult:
    """Create a workspace in ``root``; a non-empty folder needs ``force``.

    ``schema`` is the JSON Schema text written to ``schema/``, which the first line
    of every spec points editors to.
    """
    if root.exists() and not root.is_dir():
        raise UsageError(f"{root} is a file, not a folder")
    if root.is_dir() and any(root.iterdir()) and not force:
        raise UsageError(
            f"{root} is not empty; pass --force to add a workspace to it "
            "(files that exist are kept as they are)"
        )
    data = resources.files("asp_provision") / "data"
    files = [
        _File(Path(CATALOG_FILE), (data / CATALOG_FILE).read_bytes()),
        *_tree(data / "templates", Path("templates"), skip={WORKSPACE_README_TEMPLATE}),
        *_tree(data / "playbooks", Path("playbooks")),
        _File(Path(".gitignore"), GITIGNORE.encode()),
        _File(Path("README.md"), _readme(root).encode()),
    ]
    if schema is not None:
        files.append(_File(SCHEMA_FILE, schema.encode()))
    created: list[Path] = []
    kept: list[Path] = []
    try:
        root.mkdir(parents=True, exist_ok=True)
        (root / "specs").mkdir(exist_ok=True)
        for file in files:
            target = root / file.path
            if _create(target, file):
                created.append(file.path)
            else:
                kept.append(file.path)
    except OSError as exc:
        where = exc.filename or root
        raise UserError(f"cannot create the workspace: {where}: {exc.strerror or exc}") from None
    return InitResult(root, tuple(created), tuple(kept))


def _tree(
    folder: Traversable, into: Path, skip: frozenset[str] | set[str] = frozenset()
) -> Iterator[_File]:
    """Every file below ``folder``, keeping relative links that stay inside it."""
    for item in sorted(folder.iterdir(), key=lambda t: t.name):
        if item.name in _SKIPPED or item.name in skip or item.name.endswith(".pyc"):
            continue
        target = into / item.name
        if isinstance(item, Path) and item.is_symlink():
            link = os.readlink(item)
            # a link within the copied tree is kept a link; any other is copied
            if not os.path.isabs(link) and not os.path.normpath(into / link).startswith(".."):
                yield _File(target, link=link)
                continue
        if item.is_dir():
            yield from _tree(item, target)
        elif item.is_file():
            yield _File(target, item.read_bytes())


def _create(target: Path, file: _File) -> bool:
    """Create one file; False, touching nothing, when something is already there."""
    if target.exists() or target.is_symlink():
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    if file.link is not None:
        try:
            target.symlink_to(file.link)
            return True
        except OSError:  # no symbolic links here: copy what the link points to
            source = target.parent / file.link
            if not source.exists():
                raise
            return _copy_linked(source, target)
    try:
        with target.open("xb") as fh:
            fh.write(file.content or b"")
    except FileExistsError:
        return False
    return True


def _copy_linked(source: Path, target: Path) -> bool:
    import shutil

    if source.is_dir():
        shutil.copytree(source, target)
    else:
        shutil.copy2(source, target)
    return True


def _readme(root: Path) -> str:
    catalog = load_catalog()
    context = {
        "workspace": root.resolve().name or str(root),
        "tiers": [
            {"name": name, "description": catalog.tiers[name].description}
            for name in catalog.tier_names()
        ],
        "applications": [
            {"name": name, "description": offer.description}
            for name, offer in sorted(catalog.applications.items())
        ],
    }
    return Templates().markdown(WORKSPACE_README_TEMPLATE, context)
