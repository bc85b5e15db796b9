"""A validated catalog kept between runs, so that a command does not check it again.

Checking a catalog (parsing its YAML, then building and running its validators) costs
as much as checking a spec, and the catalog rarely changes. A validated catalog is kept
in the user's cache folder (``$XDG_CACHE_HOME/asp-provision``, else
``~/.cache/asp-provision``) under a name made of the SHA-256 of the catalog's text, of
the catalog models' source and of the versions that shape it; any change to one is a
new name, so an entry is never stale, only unused.

An entry is a pickle, read only when the folder and the file belong to the user and no
one else may write them; anything else (a missing folder, a foreign or group-writable
file, a damaged entry) is a miss, and the catalog is checked as if there were no cache.
Writing is best effort: a read-only home still validates, only slower.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import stat
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from asp_provision.spec.catalog import Catalog

FOLDER_NAME = "asp-provision"
_PREFIX = "catalog-"


def folder() -> Path:
    """Where entries are kept."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / FOLDER_NAME


def _shape() -> bytes:
    """What, besides the catalog's text, decides the validated result."""
    import pydantic

    from asp_provision import __version__
    from asp_provision.spec import catalog

    source = Path(catalog.__file__).read_bytes()
    versions = f"{__version__}|{pydantic.VERSION}|{sys.version_info[:2]}|{pickle.HIGHEST_PROTOCOL}"
    return versions.encode() + b"\0" + source


def entry(text: str) -> Path:
    """The cache file for a catalog of ``text``."""
    digest = hashlib.sha256(_shape() + b"\0" + text.encode("utf-8")).hexdigest()
    return folder() / f"{_PREFIX}{digest}.pickle"


def _owned(path: Path, kind: int) -> bool:
    """``path`` is a ``kind`` (a file, a folder) of the user's that no one else may write."""
    info = path.lstat()
    return (
        stat.S_IFMT(info.st_mode) == kind
        and info.st_uid == os.getuid()
        and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
    )


def load(text: str) -> Catalog | None:
    """The catalog validated from ``text`` by an earlier run, if one was kept."""
    from asp_provision.spec.catalog import Catalog

    path = entry(text)
    try:
        if not (_owned(path.parent, stat.S_IFDIR) and _owned(path, stat.S_IFREG)):
            return None
        with path.open("rb") as fh:
            found = pickle.load(fh)
    except Exception:  # a missing, unreadable or damaged entry is a miss, never an error
        return None
    return found if isinstance(found, Catalog) else None


def store(text: str, catalog: Catalog) -> None:
    """Keep ``catalog`` (validated from ``text``) for later runs; best effort."""
    write_private(entry(text), pickle.dumps(catalog, protocol=pickle.HIGHEST_PROTOCOL))


def write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` whole (mode 0600), in a folder of the user's own; best effort.

    A folder another user owns or can write to is left alone: nothing is written.
    """
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not _owned(path.parent, stat.S_IFDIR):
            return
    except OSError:
        return
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except OSError:
        tmp.unlink(missing_ok=True)
