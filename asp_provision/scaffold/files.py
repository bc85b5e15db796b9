"""Writing new specs safely: whole or not at all, only over regular files, one per customer.

A spec is written to a temporary file in its folder, flushed to disk, then linked (new)
or renamed (``--force``) into place, so a full disk or a crash leaves either the old file
or the new one, never half of one. A path that exists and is not a regular file (a
device, a FIFO, a folder, a symbolic link) is never replaced, whatever the flags.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Iterable
from contextlib import suppress
from pathlib import Path

from asp_provision.config import shown
from asp_provision.errors import UsageError, UserError
from asp_provision.spec.batch import spec_files
from asp_provision.spec.loader import load_file


def exists_message(path: Path) -> str:
    """Why a spec is not written over an existing file."""
    return f"{shown(path)} already exists; pass --force to replace it"


def special_file(path: Path) -> str | None:
    """What ``path`` is when it exists and is not a regular file (None otherwise)."""
    try:
        mode = path.lstat().st_mode
    except FileNotFoundError:
        return None
    except OSError as exc:
        return f"unreadable ({exc.strerror})"
    if stat.S_ISREG(mode):
        return None
    kinds = {
        stat.S_ISLNK: "a symbolic link",
        stat.S_ISDIR: "a folder",
        stat.S_ISCHR: "a character device",
        stat.S_ISBLK: "a block device",
        stat.S_ISFIFO: "a FIFO",
        stat.S_ISSOCK: "a socket",
    }
    return next((name for test, name in kinds.items() if test(mode)), "not a regular file")


def refuse_overwrite(path: Path, force: bool) -> None:
    """Raise UsageError when ``path`` exists and ``force`` is not given, or is not a file."""
    kind = special_file(path)
    if kind is not None:
        raise UsageError(
            f"{shown(path)} is {kind}, not a regular file: a spec is never written over it, "
            "even with --force"
        )
    if not force and path.exists():
        raise UsageError(exists_message(path))


def write_text(path: Path, text: str, replace: bool) -> None:
    """Write ``path`` whole and durably; never over anything but a regular file.

    Without ``replace`` an existing file is never overwritten, even by a race: the new
    file is linked into place, which fails when the name is taken.
    """
    refuse_overwrite(path, replace)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
        partial = Path(name)
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
                fh.write(text)
                fh.flush()
                os.fsync(fh.fileno())
            partial.chmod(0o666 & ~_umask())  # as a plainly created file would be
            if replace:
                refuse_overwrite(path, replace)  # it may have changed meanwhile
                os.replace(partial, path)
            else:
                _link(partial, path)
        finally:
            partial.unlink(missing_ok=True)
        _sync_folder(path.parent)
    except FileExistsError:
        raise UsageError(exists_message(path)) from None
    except OSError as exc:
        raise UserError(
            f"cannot write {shown(path)}: {exc.strerror or exc}; nothing was written there"
        ) from None


def _link(partial: Path, path: Path) -> None:
    try:
        os.link(partial, path)
    except FileExistsError:
        raise
    except OSError:
        # a file system without hard links: rename, after a last look
        if path.exists() or path.is_symlink():
            raise FileExistsError(path) from None
        os.rename(partial, path)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _sync_folder(folder: Path) -> None:
    """Make the new name itself durable (where the platform allows)."""
    with suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def existing_customers(specs_dir: Path) -> dict[str, Path]:
    """The customer of each spec already in ``specs_dir`` (unreadable specs are skipped)."""
    if not specs_dir.is_dir():
        return {}
    found: dict[str, Path] = {}
    for path in spec_files([specs_dir]):
        data = load_file(path).data
        metadata = data.get("metadata") if isinstance(data, dict) else None
        customer = metadata.get("customer") if isinstance(metadata, dict) else None
        if isinstance(customer, str):
            found.setdefault(customer, path)
    return found


def elsewhere(customer: str, path: Path, existing: dict[str, Path], specs_dir: Path) -> str | None:
    """Why ``customer`` may not be written to ``path``: its spec is another file of specs/."""
    other = existing.get(customer)
    if (
        other is None
        or _same(other, path)
        or not path.resolve().is_relative_to(specs_dir.resolve())
    ):
        return None
    return (
        f"customer {customer} already has a spec, {shown(other)}: edit that one, or remove "
        "it first (a customer has one spec)"
    )


def _same(a: Path, b: Path) -> bool:
    return a.resolve() == b.resolve()


def remove_created(paths: Iterable[Path]) -> None:
    """Remove files this command created, after a later one could not be written."""
    for path in paths:
        with suppress(OSError):
            path.unlink()
