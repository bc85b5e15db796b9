"""A validated catalog is kept between runs, and an entry is never stale or foreign."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest

from asp_provision.spec import catalog_cache
from asp_provision.spec.catalog import load_catalog
from tests.cli.helpers import ROOT, run_cli


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty cache folder of this test's own, and no catalog kept in memory."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(folder))
    monkeypatch.setattr("asp_provision.spec.catalog._cache", {})
    return folder / catalog_cache.FOLDER_NAME


def _workspace(tmp_path: Path, catalog_text: str) -> Path:
    ws = tmp_path / "ws"
    (ws / "specs").mkdir(parents=True)
    (ws / "specs" / "acme-corp.yaml").write_text((ROOT / "specs" / "acme-corp.yaml").read_text())
    (ws / "catalog.yaml").write_text(catalog_text)
    return ws


def test_a_checked_catalog_is_kept_and_read_back(cache: Path) -> None:
    text = (ROOT / "catalog.yaml").read_text()
    first = load_catalog(ROOT / "catalog.yaml")
    kept = catalog_cache.entry(text)
    assert kept.parent == cache and kept.is_file()
    assert oct(kept.stat().st_mode & 0o777) == "0o600"
    assert oct(cache.stat().st_mode & 0o777) == "0o700"
    assert catalog_cache.load(text) == first


def test_a_changed_catalog_is_checked_again(tmp_path: Path, cache: Path) -> None:
    text = (ROOT / "catalog.yaml").read_text()
    ws = _workspace(tmp_path, text)
    env = {"XDG_CACHE_HOME": str(cache.parent)}
    assert run_cli("validate", cwd=ws, env=env).returncode == 0
    assert len(list(cache.glob("catalog-*.pickle"))) == 1
    # the same catalog, but gold's response promise is now a string: an error, not the
    # catalog of the previous run
    broken = text.replace("response_minutes: 60", 'response_minutes: "soon"', 1)
    assert broken != text
    (ws / "catalog.yaml").write_text(broken)
    result = run_cli("validate", cwd=ws, env=env)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "catalog.yaml:" in result.stderr and "response_minutes" in result.stderr


class _Planted:
    """What a pickle written by someone else could do when read: leave a mark."""

    def __init__(self, mark: Path) -> None:
        self.mark = mark

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (Path.touch, (str(self.mark),))  # type: ignore[return-value]


@pytest.mark.parametrize("mode", [0o620, 0o602])
def test_an_entry_others_may_write_is_never_read(tmp_path: Path, cache: Path, mode: int) -> None:
    text = (ROOT / "catalog.yaml").read_text()
    mark = tmp_path / "ran"
    cache.mkdir(parents=True, mode=0o700)
    entry = catalog_cache.entry(text)
    entry.write_bytes(pickle.dumps(_Planted(mark)))
    os.chmod(entry, mode)
    assert catalog_cache.load(text) is None
    assert not mark.exists()
    assert load_catalog(ROOT / "catalog.yaml").tiers  # checked from the text instead


def test_a_damaged_entry_or_no_cache_folder_only_costs_time(tmp_path: Path, cache: Path) -> None:
    text = (ROOT / "catalog.yaml").read_text()
    cache.mkdir(parents=True, mode=0o700)
    catalog_cache.entry(text).write_bytes(b"\x80\x05not a pickle")
    os.chmod(catalog_cache.entry(text), 0o600)
    assert load_catalog(ROOT / "catalog.yaml").tiers
    assert catalog_cache.load(text) is not None  # the damaged entry was replaced
    # a cache "folder" that is a file: nothing can be kept, everything still works
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("")
    ws = _workspace(tmp_path, text)
    result = run_cli("validate", cwd=ws, env={"XDG_CACHE_HOME": str(blocked)})
    assert result.returncode == 0, result.stdout + result.stderr
    assert blocked.read_text() == ""
