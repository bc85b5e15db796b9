"""Holds a state database's write lock, from a playbook task, until the run's Ansible ends.

``state_holder.py DB`` starts a holder in its own session and returns once the lock is
held; the holder keeps it until the ansible-playbook process recorded in the run's lock
is gone (at most two minutes), so every state write of the run meanwhile finds it busy.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[-1].split()[:1] != ["Z"]


def hold(db: str) -> None:
    conn = sqlite3.connect(db, isolation_level=None, timeout=30)
    conn.execute("BEGIN IMMEDIATE")
    (pid,) = conn.execute("SELECT runner_pid FROM locks WHERE runner_pid IS NOT NULL").fetchone()
    print("held", flush=True)
    deadline = time.monotonic() + 120
    while _alive(int(pid)) and time.monotonic() < deadline:
        time.sleep(0.05)
    conn.execute("ROLLBACK")
    conn.close()


def main() -> None:
    if sys.argv[1] == "--hold":
        hold(sys.argv[2])
        return
    holder = subprocess.Popen(
        [sys.executable, __file__, "--hold", sys.argv[1]],
        stdout=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
        text=True,
    )
    assert holder.stdout is not None
    if holder.stdout.readline().strip() != "held":
        sys.exit("the holder did not get the lock")


if __name__ == "__main__":
    main()
