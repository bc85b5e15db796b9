"""Work the command line does before anything else: keep pydantic from scanning for plugins.

On its first validator, pydantic looks for plugins: it imports ``importlib.metadata`` and
reads the entry points of every installed distribution. With Ansible installed that is
about 20 ms at every start, more than checking a spec takes. The command line uses no
pydantic plugins, so it puts a loader that finds none in place of pydantic's own. Only
the command line does this; code importing ``asp_provision`` as a library is left alone.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import Any

LOADER = "pydantic.plugin._loader"


class _NoPlugins(types.ModuleType):
    """pydantic's plugin loader, finding no plugins without looking.

    Any other name is taken from the real loader (imported then), so a pydantic release
    that wants more from this module keeps working.
    """

    @staticmethod
    def get_plugins() -> tuple[()]:
        return ()

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        if sys.modules.get(LOADER) is self:
            del sys.modules[LOADER]
        return getattr(importlib.import_module(LOADER), name)


def skip_pydantic_plugins() -> None:
    """Put the plugin-less loader in place, unless pydantic's own is already loaded."""
    sys.modules.setdefault(LOADER, _NoPlugins(LOADER))
