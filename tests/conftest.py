"""Settings every test shares."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.postgres import Cluster, start_cluster, stop_cluster


@pytest.fixture(scope="session", autouse=True)
def _own_cache_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The tests, and the commands they run, keep their cache apart from the user's."""
    saved = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("cache"))
    yield
    if saved is None:
        os.environ.pop("XDG_CACHE_HOME", None)
    else:
        os.environ["XDG_CACHE_HOME"] = saved


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Cluster]:
    """A throwaway PostgreSQL cluster for the session (skipped without PostgreSQL, but in CI)."""
    cluster = start_cluster()
    yield cluster
    stop_cluster(cluster)


@pytest.fixture
def pg_url(pg_cluster: Cluster) -> str:
    """The URL of a new, empty PostgreSQL database."""
    return pg_cluster.create_database()
