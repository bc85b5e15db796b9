"""Secret references (``env:NAME``, ``file:PATH``): their parts, and the names a run needs."""

from __future__ import annotations

RESERVED_NAMES = frozenset(
    {
        "PATH", "HOME", "USER", "LOGNAME", "SHELL", "PWD", "OLDPWD", "LANG", "LANGUAGE",
        "TMPDIR", "TMP", "TEMP", "TERM", "TZ", "COLUMNS", "LINES", "NO_COLOR", "DISPLAY",
        "HOSTNAME", "MAIL", "IFS", "CDPATH", "ENV", "BASH_ENV", "VIRTUAL_ENV", "CONDA_PREFIX",
        "SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE",
        "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY", "FTP_PROXY",
    }
)  # fmt: skip
"""Environment variables a run relies on: never a secret's name."""

RESERVED_PREFIXES = (
    "LC_", "ANSIBLE_", "_ANSIBLE", "PYTHON", "LD_", "DYLD_", "SSH_", "ASP_", "XDG_",
    "MITOGEN_", "RUNNER_", "AWX_", "PIP_", "GIT_", "SUDO_",
)  # fmt: skip
"""Prefixes of the environment variables a run (or a tool it starts) relies on."""


def parse(reference: str) -> tuple[str, str]:
    """``(kind, name)`` of a reference: ``("env", "NAME")`` or ``("file", "PATH")``."""
    kind, _, name = reference.partition(":")
    return kind, name


def reserved(name: str) -> bool:
    """True when an ``env:`` secret may not use ``name``: the run needs that variable."""
    upper = name.upper()
    return upper in RESERVED_NAMES or upper.startswith(RESERVED_PREFIXES)


def reserved_message(name: str) -> str:
    """Why ``env:NAME`` is refused."""
    return (
        f"env:{name} names an environment variable that asp-provision, Ansible or the "
        "tools they start rely on; keep the secret in a variable of its own "
        "(such as CUSTOMER_OIDC_SECRET)"
    )
