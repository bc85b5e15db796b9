"""The environment ansible-playbook runs with, here and on a worker (stdlib only).

The same settings hold wherever a run happens; only the paths differ: this host's for a
run here, the worker's own for a run streamed to it.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path, PurePath


def ansible_settings(playbooks: PurePath, roles: PurePath, tmp: str) -> dict[str, str]:
    """Ansible's settings for a run: its plugins and roles, its temporary folder, no noise."""
    return {
        "ANSIBLE_LIBRARY": str(playbooks / "library"),
        "ANSIBLE_MODULE_UTILS": str(playbooks / "module_utils"),
        "ANSIBLE_ROLES_PATH": str(roles),
        "ANSIBLE_RETRY_FILES_ENABLED": "False",
        "ANSIBLE_HOST_KEY_CHECKING": "False",
        "ANSIBLE_NOCOLOR": "True",
        "ANSIBLE_LOCAL_TEMP": tmp,
        "ANSIBLE_REMOTE_TEMP": tmp,
        "ANSIBLE_LOCALHOST_WARNING": "False",
        "ANSIBLE_INVENTORY_UNPARSED_WARNING": "False",
    }


def mitogen_strategy_dir() -> str | None:
    """Where mitogen's strategy plugins are, or None when mitogen is not installed."""
    try:
        import ansible_mitogen
    except ImportError:
        return None
    return str(Path(ansible_mitogen.__file__).parent / "plugins" / "strategy")


def own_tools(mitogen: bool) -> dict[str, str]:
    """The running Python's tools first on the path, and mitogen's strategy when asked.

    Without mitogen installed, Ansible's own strategy runs: slower, the same results.
    """
    env = {"PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")}
    strategy = mitogen_strategy_dir() if mitogen else None
    if strategy:
        env["ANSIBLE_STRATEGY_PLUGINS"] = strategy
        env["ANSIBLE_STRATEGY"] = "mitogen_linear"
    return env
