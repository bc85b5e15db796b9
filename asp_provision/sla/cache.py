"""Each spec's service-level terms, kept between runs by the file's path and bytes.

Working out a customer's terms means checking its whole spec, which is most of the time
a report of many customers takes. The terms of every file that checked clean are kept in
one JSON file (``.asp/cache/sla-terms.json``) under the sha256 of the file's path and
bytes; the whole cache holds for one catalog and one build of asp-provision only. A file
whose path, bytes or catalog changed is checked again. The cache is an aid only: a cache
that is missing, unreadable or from another build is ignored, and deleting it loses
nothing. It is written only where the workspace's ``.asp`` folder exists.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from pathlib import Path
from typing import Any

import asp_provision

FORMAT = 1


def _build() -> str:
    """The build of asp-provision: its version and the size and time of each module."""
    root = Path(asp_provision.__file__).parent
    digest = hashlib.sha256(f"{asp_provision.__version__}/{FORMAT}".encode())
    for path in sorted(root.rglob("*.py")):
        stat = path.stat()
        digest.update(f"{path.relative_to(root)}:{stat.st_size}:{stat.st_mtime_ns};".encode())
    return digest.hexdigest()


class TermsCache:
    """Terms by spec file, for one catalog (its sha256)."""

    def __init__(self, path: Path, catalog_hash: str) -> None:
        self.path = path
        self.stamp = f"{_build()}/{catalog_hash}"
        self.kept: dict[str, dict[str, Any]] = {}
        self.fresh: dict[str, dict[str, Any]] = {}
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return
        if isinstance(data, dict) and data.get("stamp") == self.stamp:
            files = data.get("files")
            if isinstance(files, dict):
                self.kept = files

    @staticmethod
    def key(spec: Path, content_hash: str | None = None) -> str | None:
        """The file's key, from its path and the sha256 of its bytes.

        The bytes are read when their hash is not given; None when they cannot be.
        """
        if content_hash is None:
            try:
                content_hash = hashlib.sha256(spec.read_bytes()).hexdigest()
            except OSError:
                return None
        return hashlib.sha256(f"{spec.resolve()}\0{content_hash}".encode()).hexdigest()

    def get(self, key: str | None) -> dict[str, Any] | None:
        """The terms kept under ``key`` (as Terms.as_data gives them), if any."""
        if key is None:
            return None
        found = self.kept.get(key)
        if isinstance(found, dict):
            self.fresh[key] = found
            return found
        return None

    def put(self, key: str | None, terms: dict[str, Any]) -> None:
        """Keep the terms of a file that checked clean."""
        if key is not None:
            self.fresh[key] = terms

    def save(self) -> None:
        """Write what this run used, when it differs from what was read (best effort)."""
        if self.fresh == self.kept:
            return
        text = json.dumps({"stamp": self.stamp, "files": self.fresh}, sort_keys=True)
        partial = self.path.with_name(f".{self.path.name}.{os.getpid()}")
        try:
            self.path.parent.mkdir(exist_ok=True)  # only in a workspace that has its .asp
            partial.write_text(text, encoding="utf-8")
            os.replace(partial, self.path)
        except OSError:
            with contextlib.suppress(OSError):
                partial.unlink(missing_ok=True)
