"""Work the command line does before anything else.

It keeps pydantic from scanning for plugins, and builds only the command asked for.

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
from collections.abc import Iterator
from contextlib import contextmanager
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


# options of the root command that take a value: the word after them is not a command
_VALUE_OPTIONS = frozenset({"-C", "--workspace", "--state"})


def command_word(argv: list[str]) -> str | None:
    """The command a command line names (``plan`` in ``-C ws plan x.yaml``), if any."""
    words = iter(argv)
    for word in words:
        if word == "--":
            return next(words, None)
        if word in _VALUE_OPTIONS:
            next(words, None)
        elif not word.startswith("-"):
            return word
    return None


def _name(info: Any) -> str | None:
    """The name a registered command or sub-application is called by."""
    if info.name:
        return str(info.name)
    callback = getattr(info, "callback", None)
    if callback is not None and not hasattr(info, "typer_instance"):
        return str(callback.__name__).lower().replace("_", "-")
    instance = getattr(info, "typer_instance", None)
    name = getattr(getattr(instance, "info", None), "name", None)
    return name if isinstance(name, str) else None


@contextmanager
def only_command(app: Any, argv: list[str]) -> Iterator[None]:
    """Let ``app`` build the one command ``argv`` names, not every command it has.

    The command-line framework builds every command's parameters before it parses the
    line, and with a few dozen commands that is a good share of a short command's run.
    When ``argv`` names a command the application has, the others are left out for the
    call; otherwise (``--help``, a misspelt command) every command is kept, so that help
    lists them all and a misspelling gets its suggestion.
    """
    word = command_word(argv)
    commands = [c for c in app.registered_commands if _name(c) == word]
    groups = [g for g in app.registered_groups if _name(g) == word]
    if word is None or not (commands or groups):
        yield
        return
    saved = app.registered_commands, app.registered_groups
    app.registered_commands, app.registered_groups = commands, groups
    try:
        yield
    finally:
        app.registered_commands, app.registered_groups = saved
