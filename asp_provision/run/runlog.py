"""A run's log, ``ansible.log``: Ansible's output of every job of the run, in one file.

A run streamed to several workers writes each worker's lines with its name in front,
and each job keeps the tail it would report if it failed.
"""

from __future__ import annotations

import threading
from collections import deque
from typing import Any, TextIO

ERROR_PREFIXES = ("[ERROR]", "ERROR!")
"""How Ansible's error lines start (ansible-core 2.19, and earlier releases)."""

HEADER = "# asp-provision:"
_TAIL = 15


class RunLog:
    """One job's lines in the run's log file."""

    def __init__(self, file: TextIO, lock: threading.Lock, prefix: str = "") -> None:
        self.file = file
        self.lock = lock
        self.prefix = prefix
        self.last: deque[str] = deque(maxlen=_TAIL)
        self.error: list[str] = []  # from Ansible's first error on

    def header(self, text: str) -> None:
        """A line of our own about the run (never reported as its error)."""
        with self.lock:
            self.file.write(f"{self.prefix}{HEADER} {text}\n")

    def event(self, event: dict[str, Any]) -> None:
        """What Ansible printed for ``event``."""
        text = event.get("stdout")
        if not text:
            return
        lines = text.rstrip("\n").split("\n")
        for line in lines:
            if (self.error and len(self.error) < _TAIL) or (
                not self.error and line.startswith(ERROR_PREFIXES)
            ):
                self.error.append(line)
            self.last.append(line)
        with self.lock:
            self.file.write("".join(f"{self.prefix}{line}\n" for line in lines))

    def tail(self) -> str:
        """Why the run failed: from Ansible's first error on, else its last lines."""
        return "\n".join(self.error or self.last) or "ansible-playbook failed"
