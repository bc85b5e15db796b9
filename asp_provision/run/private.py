"""The private folders of runs: where a run's inventory (with its secrets) lives.

Each run gets ``.asp/private/run-XXXX/`` (0700, in a 0700 folder), next to a lock file
``run-XXXX.lock`` that the run holds (``flock``) while it is alive. The run removes its
folder when it ends; one killed with SIGKILL cannot, so every command starts by
removing the folders whose lock nobody holds any more (:func:`sweep`), unless the
ansible-playbook of that run is still alive (its pid is written in the lock file).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import shutil
import stat
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from asp_provision.errors import UserError
from asp_provision.state.process import alive

FOLDER = "private"
_PREFIX = "run-"
_LOCK = ".lock"


def root_of(asp_dir: Path) -> Path:
    """The folder of the private folders of runs."""
    return asp_dir / FOLDER


def private_folder(path: Path) -> None:
    """Make ``path`` (and its parents) if missing; ``path`` itself only for us (0700)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):
        path.mkdir(mode=0o700)
    info = path.lstat()
    if not stat.S_ISDIR(info.st_mode):
        raise OSError(errno.ENOTDIR, "not a folder", str(path))
    if stat.S_IMODE(info.st_mode) & 0o077:
        path.chmod(0o700)


@dataclass(slots=True)
class PrivateDir:
    """A run's private folder, held by its lock while the run lives."""

    path: Path
    lock: Path
    fd: int

    def note_pid(self, pid: int) -> None:
        """Remember the pid of the run's ansible-playbook, which may outlive us."""
        os.ftruncate(self.fd, 0)
        os.pwrite(self.fd, f"{pid}\n".encode(), 0)


def new_name() -> str:
    """A new name for a run's private folder."""
    return _PREFIX + os.urandom(6).hex()


def is_name(name: str) -> bool:
    """Whether ``name`` is one :func:`new_name` makes (nothing else is ever removed)."""
    rest = name.removeprefix(_PREFIX)
    return (
        name.startswith(_PREFIX) and len(rest) == 12 and all(c in "0123456789abcdef" for c in rest)
    )


@contextlib.contextmanager
def private_dir(asp_dir: Path, name: str | None = None) -> Iterator[PrivateDir]:
    """A new private folder for one run, removed when the run is over.

    ``name``: the folder's name, as :func:`new_name` made it (a worker's is named by its
    controller); a folder of that name that exists already is refused.
    """
    root = root_of(asp_dir)
    try:
        private_folder(root)
    except OSError as exc:
        raise UserError(f"cannot make the private folder of runs {root}: {exc.strerror}") from None
    name = name or new_name()
    lock = root / (name + _LOCK)
    # the lock exists (and is held) before the folder does: a folder without its lock
    # is one being removed
    fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        path = root / name
        path.mkdir(mode=0o700)
        try:
            yield PrivateDir(path, lock, fd)
        finally:
            shutil.rmtree(path, ignore_errors=True)
            with contextlib.suppress(OSError):
                lock.unlink()
    finally:
        os.close(fd)


def sweep(asp_dir: Path) -> list[Path]:
    """Remove the private folders of runs that are over; the folders removed."""
    root = root_of(asp_dir)
    try:
        names = sorted(os.listdir(root))
    except OSError:
        return []
    removed = []
    locks = {n.removesuffix(_LOCK) for n in names if n.endswith(_LOCK)}
    for name in names:
        if name.endswith(_LOCK) or name in locks:
            continue
        if name.startswith(_PREFIX):  # its lock is gone: it was being removed
            shutil.rmtree(root / name, ignore_errors=True)
            removed.append(root / name)
    for name in sorted(locks):
        if _remove_if_over(root, name):
            removed.append(root / name)
    return removed


def _remove_if_over(root: Path, name: str) -> bool:
    lock = root / (name + _LOCK)
    try:
        fd = os.open(lock, os.O_RDWR | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
        return False
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return False  # its run is alive
        if _alive(os.pread(fd, 32, 0)):
            return False  # its ansible-playbook outlived the run: leave it be
        for _ in range(3):  # a worker of the run may still be writing in it
            shutil.rmtree(root / name, ignore_errors=True)
            if not (root / name).exists():
                break
        with contextlib.suppress(OSError):
            lock.unlink()
        return True
    finally:
        os.close(fd)


def _alive(text: bytes) -> bool:
    try:
        pid = int(text.strip() or b"0")
    except ValueError:
        return False
    return pid > 0 and alive(pid)


def over(asp_dir: Path, name: str, timeout: float) -> bool:
    """Whether the run of private folder ``name`` is over, waiting up to ``timeout`` seconds.

    Over: nobody holds its lock and the ansible-playbook it noted has ended (a folder
    never made, or already removed, is over too).
    """
    lock = root_of(asp_dir) / (name + _LOCK)
    deadline = time.monotonic() + timeout
    while True:
        try:
            fd = os.open(lock, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
        except FileNotFoundError:
            return True
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
                if not _alive(os.pread(fd, 32, 0)):
                    return True
            except OSError:
                pass  # its run holds it
        finally:
            os.close(fd)
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.1)
