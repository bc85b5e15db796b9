"""Where the state is: a SQLite file, or a PostgreSQL database named by a URL.

This module is light on purpose (settings import it on validate's start-up): the driver is
loaded only when a PostgreSQL state is opened.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

SCHEMES = ("postgresql://", "postgres://")

_PASSWORD = re.compile(r"(postgres(?:ql)?://[^:/@\s?#]*:)([^@\s/]*)(@)", re.IGNORECASE)


def is_url(value: object) -> bool:
    """True when ``value`` names a PostgreSQL database rather than a file."""
    return isinstance(value, str | PgUrl) and str.lower(str(_raw(value))).startswith(SCHEMES)


def _raw(value: object) -> object:
    return value.url if isinstance(value, PgUrl) else value


def mask(text: str) -> str:
    """``text`` with the password of every PostgreSQL URL in it replaced by ``***``."""
    return _PASSWORD.sub(r"\1***\3", text)


class PgUrl:
    """A PostgreSQL state's URL; shown (str, repr, messages) with its password masked."""

    __slots__ = ("url",)

    def __init__(self, url: str) -> None:
        if not url.lower().startswith(SCHEMES):
            raise ValueError("a PostgreSQL state is named by a postgresql:// URL")
        try:
            parts = urlsplit(url)
            parts.port  # noqa: B018  (a bad port raises here)
        except ValueError as exc:
            raise ValueError(f"not a PostgreSQL URL: {mask(url)} ({exc})") from None
        if not parts.hostname and "host=" not in parts.query:
            raise ValueError(
                f"the PostgreSQL URL {mask(url)} names no host: give one, such as "
                "postgresql://asp@db.example.net/asp, or a socket folder with ?host=/run/postgresql"
            )
        self.url = url

    def __str__(self) -> str:
        return mask(self.url)

    def __repr__(self) -> str:
        return f"PgUrl({mask(self.url)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PgUrl) and other.url == self.url

    def __hash__(self) -> int:
        return hash(self.url)


StateLocation = Path | PgUrl
"""A SQLite state's file, or a PostgreSQL state's URL."""


def location(value: str | Path | PgUrl) -> StateLocation:
    """The state named by ``value``: a URL for PostgreSQL, else a file path."""
    if isinstance(value, PgUrl | Path):
        return value
    return PgUrl(value) if is_url(value) else Path(value)
