"""The HTML report: self-contained, with its charts, looked at in a real headless browser."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.sla.helpers import OUTAGES, TICKETS, cli, make_workspace, write


def _report(tmp_path: Path) -> Path:
    ws = make_workspace(tmp_path)
    assert cli(ws, "tickets", "import", str(write(ws, "t.csv", TICKETS))).returncode == 0
    assert cli(ws, "outages", "import", str(write(ws, "o.csv", OUTAGES))).returncode == 0
    out = tmp_path / "reports"
    result = cli(ws, "sla", "report", "--all", "--period", "2026-10", "-f", "html", "-o", str(out))
    assert result.returncode == 0, result.stderr
    return out / "globex-bank-2026-10.html"


def test_the_page_is_self_contained_with_two_charts(tmp_path: Path) -> None:
    page = _report(tmp_path).read_text("utf-8")
    assert page.count("<svg") == 2
    assert "Response times against the targets" in page or page.count("<path") > 10
    # nothing is fetched: no scripts, stylesheets, images or fonts from elsewhere
    assert not re.search(r"<(script|link|img|iframe)\b", page)
    assert not re.search(r"(src|href)=\"(https?:)?//", page)
    assert "@font-face" not in page
    assert not re.search(r"url\((?!#)", page)  # only references within the page
    assert "Globex Bank plc" in page and "99.9105 %" in page


def test_the_page_renders_in_a_headless_browser(tmp_path: Path) -> None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("chromium is not installed (apt-get install -y chromium)")
    page = _report(tmp_path)
    shot = tmp_path / "sla-report.png"
    proc = subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--window-size=1200,1800",
            f"--screenshot={shot}",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    print(f"screenshot: {shot}")
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    # a page with tables and charts, not a blank one: the PNG compresses poorly
    assert len(data) > 50_000
    width = int.from_bytes(data[16:20], "big")
    height = int.from_bytes(data[20:24], "big")
    assert (width, height) == (1200, 1800)
