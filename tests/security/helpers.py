"""A workspace with one customer whose OIDC secret is whatever a test says."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.cli.helpers import ROOT


def secret_workspace(folder: Path, reference: str) -> Path:
    """A workspace with only globex-bank, its client secret given as ``reference``."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "specs").mkdir()
    text = (ROOT / "specs" / "globex-bank.yaml").read_text(encoding="utf-8")
    assert "client_secret: env:GLOBEX_OIDC_SECRET" in text
    text = text.replace("client_secret: env:GLOBEX_OIDC_SECRET", f"client_secret: {reference}")
    (folder / "specs" / "globex-bank.yaml").write_text(text, encoding="utf-8")
    shutil.copy(ROOT / "catalog.yaml", folder / "catalog.yaml")
    (folder / "playbooks").symlink_to(ROOT / "playbooks")
    return folder
