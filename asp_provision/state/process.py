"""Whether the process that wrote a lock or a run is still there."""

from __future__ import annotations

import os
import socket
from pathlib import Path


def alive(pid: int) -> bool:
    """True while process ``pid`` of this host runs (a zombie has ended)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a process that ended but was never reaped (its parent was killed) is a zombie
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[-1].split()[:1] != ["Z"]


def gone(pid: int | None, host: str | None) -> bool:
    """True when ``pid`` on ``host`` is known to have ended (only this host can be asked)."""
    return pid is not None and host == socket.gethostname() and not alive(pid)
