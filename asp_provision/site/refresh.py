"""Bring the served local site up to date: ``python -m asp_provision.site.refresh SITE``.

The acceptance step runs this on the controller before it asks the served site for the
customer's page, so a customer applied while the site is served is served too. It prints
the customers served, one a line; when the site is not served it prints nothing. A
configuration nginx refuses is exit code 1, with nginx's own message.
"""

from __future__ import annotations

import sys
from pathlib import Path

from asp_provision.site.nginxconf import SiteError
from asp_provision.site.serve import LocalSite


def refresh_site(site: Path) -> tuple[str, ...] | None:
    """Reload the served site at ``site``; the customers it now serves, None when not served."""
    served = LocalSite(site).refresh()
    return None if served is None else served.customers


def main(argv: list[str]) -> int:
    """The command line: one argument, the site's folder."""
    if len(argv) != 1:
        sys.stderr.write("usage: python -m asp_provision.site.refresh SITE\n")
        return 2
    try:
        customers = refresh_site(Path(argv[0]))
    except (SiteError, OSError) as exc:
        sys.stderr.write(f"the served site cannot be brought up to date: {exc}\n")
        return 1
    sys.stdout.write("".join(f"{c}\n" for c in customers or ()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
