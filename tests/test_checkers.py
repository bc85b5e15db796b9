"""The real tools that check the site and the documents: required in CI, named when absent.

``verify`` runs each checker it finds on the generated files (and skips one that is not
installed); the HTML reports are looked at in a headless browser. CI installs them all and
sets ASP_REQUIRE_CHECKERS, so there a missing tool fails instead of silently checking less.
"""

from __future__ import annotations

import os
import shutil

import pytest

CHECKERS = {
    "nft": "the firewall ruleset (nft -c)",
    "nginx": "the web server configuration (nginx -t)",
    "named-checkzone": "the DNS zone (named-checkzone)",
    "promtool": "the Prometheus alert rules (promtool check rules)",
    "chromium": "the HTML reports, in a headless browser",
}


@pytest.mark.parametrize("tool", sorted(CHECKERS))
def test_the_checker_is_installed(tool: str) -> None:
    if shutil.which(tool) is not None:
        return
    message = f"{tool} is not installed: nothing checks {CHECKERS[tool]}"
    if os.environ.get("ASP_REQUIRE_CHECKERS"):
        pytest.fail(message + " (CI requires every checker)")
    pytest.skip(message)
