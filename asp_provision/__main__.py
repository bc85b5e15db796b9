"""Allow ``python -m asp_provision``."""

from asp_provision.cli import main

main()
