"""Secret references (``env:NAME``, ``file:PATH``), resolved only for the run.

A resolved secret is kept in memory. What the state and the site keep of it is a keyed
fingerprint: HMAC-SHA256 with a key of the workspace (``.asp/secret.key``, mode 0600),
so that a rotated secret shows as a change while its fingerprint tells nothing of it to
someone without the key.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import hmac
import os
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from asp_provision.errors import UserError
from asp_provision.spec import secretref
from asp_provision.spec.models import secret_paths

FILE_LIMIT = 64 * 1024
"""The largest ``file:`` secret, in bytes."""

KEY_BYTES = 32
FINGERPRINT_PREFIX = "hmac-sha256:"


class SecretError(UserError):
    """A secret reference that cannot be resolved; ``reason`` says why, without the field."""

    def __init__(self, where: str, reason: str) -> None:
        super().__init__(f"{where}: {reason}" if where else reason)
        self.reason = reason


def references(doc: dict[str, Any]) -> dict[str, str]:
    """Dotted path -> reference, for each secret a spec document references."""
    out: dict[str, str] = {}
    for path in secret_paths():
        node: Any = doc
        for part in path:
            node = node.get(part) if isinstance(node, dict) else None
        if isinstance(node, str):
            out[".".join(path)] = node
    return out


def resolve(
    reference: str, where: str, base: Path, environ: Mapping[str, str] | None = None
) -> str:
    """The value behind ``reference``; ``where`` names the spec field for errors.

    Reading it changes nothing: the environment is left as it was.
    """
    kind, name = secretref.parse(reference)
    if kind == "env":
        if secretref.reserved(name):
            raise SecretError(where, f"{secretref.reserved_message(name)}")
        value = (os.environ if environ is None else environ).get(name)
        if value is None:
            raise SecretError(where, f"environment variable {name} is not set")
        return value
    if kind == "file" and name:
        path = Path(name).expanduser()
        if not path.is_absolute():
            path = base / path
        return read_file(path, where)
    raise SecretError(where, "not a secret reference (env:NAME or file:PATH)")


def read_file(path: Path, where: str) -> str:
    """The text of a ``file:`` secret: a regular file of at most 64 KiB of UTF-8.

    The file is opened without blocking, so a FIFO never hangs the run, and checked
    before it is read, so a device such as /dev/zero is never read at all.
    """
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise SecretError(where, f"cannot read secret file {path}: {exc.strerror}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise SecretError(
                where, f"secret file {path} is {_kind(info.st_mode)}, not a regular file"
            )
        if info.st_size > FILE_LIMIT:
            raise SecretError(where, f"secret file {path} is larger than 64 KiB")
        data = _read_at_most(fd, FILE_LIMIT + 1)
    except OSError as exc:
        raise SecretError(where, f"cannot read secret file {path}: {exc.strerror}") from None
    finally:
        os.close(fd)
    if len(data) > FILE_LIMIT:
        raise SecretError(where, f"secret file {path} is larger than 64 KiB")
    if b"\0" in data:
        raise SecretError(where, f"secret file {path} holds binary data, not UTF-8 text")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise SecretError(where, f"secret file {path} is not UTF-8 text") from None
    value = text.removeprefix("\ufeff").rstrip("\r\n")
    if not value:
        raise SecretError(where, f"secret file {path} is empty")
    return value


def _read_at_most(fd: int, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while size < limit:
        chunk = os.read(fd, limit - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a file"


def env_names(references: list[str]) -> set[str]:
    """The environment variables named by the ``env:`` references among ``references``."""
    out = set()
    for reference in references:
        kind, name = secretref.parse(reference)
        if kind == "env":
            out.add(name)
    return out


# keyed fingerprints


def key_path(asp_dir: Path) -> Path:
    """Where the workspace's fingerprint key is kept."""
    return asp_dir / "secret.key"


def load_key(asp_dir: Path, create: bool) -> bytes | None:
    """The workspace's fingerprint key; made (0600) when missing and ``create``, else None.

    Refused when it is not a regular file of ours that only we can read and write.
    """
    path = key_path(asp_dir)
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        return _create_key(path) if create else None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise SecretError(str(path), "the secret key is a symbolic link; refusing it") from None
        raise SecretError(str(path), f"cannot read the secret key: {exc.strerror}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise SecretError(str(path), f"the secret key is {_kind(info.st_mode)}, not a file")
        if info.st_mode & 0o077:
            raise SecretError(
                str(path),
                f"the secret key is open to others (mode "
                f"{stat.S_IMODE(info.st_mode):04o}); make it private: chmod 600 {path}",
            )
        if info.st_uid != os.geteuid():
            raise SecretError(str(path), "the secret key belongs to another user")
        key = _read_at_most(fd, KEY_BYTES + 1)
    finally:
        os.close(fd)
    if len(key) != KEY_BYTES:
        raise SecretError(str(path), f"the secret key is damaged ({len(key)} bytes, not 32)")
    return key


def _create_key(path: Path) -> bytes:
    key = os.urandom(KEY_BYTES)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        try:
            os.write(fd, key)
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(tmp, path)  # never replaces a key made meanwhile by another command
        except FileExistsError:
            return load_key(path.parent, create=False) or key
        finally:
            with contextlib.suppress(OSError):
                tmp.unlink()
    except OSError as exc:
        raise SecretError(str(path), f"cannot create the secret key: {exc.strerror}") from None
    return key


def fingerprint(value: str, key: bytes) -> str:
    """The keyed fingerprint of a secret: ``hmac-sha256:<hex>``."""
    return FINGERPRINT_PREFIX + hmac.new(key, value.encode(), hashlib.sha256).hexdigest()
