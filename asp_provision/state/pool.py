"""The sizes of the address pool and its subnets: figures only, light enough for start-up.

Inside a subnet the service has the address at offset 10 and servers take offset 11
upwards; the network address, offsets 1 to 9 (gateways, infrastructure) and the top five
addresses are reserved.
"""

from __future__ import annotations

SERVICE_OFFSET = 10
FIRST_SERVER_OFFSET = 11
RESERVED_TOP = 5
MIN_SUBNET_PREFIX = 16
MAX_SUBNET_PREFIX = 27  # a /27 still holds its service and 16 servers
DEFAULT_POOL = "10.0.0.0/8"
DEFAULT_PREFIX = 24


def server_capacity(prefix: int) -> int:
    """How many servers a subnet of ``prefix`` holds after the reserved addresses."""
    size = 1 << (32 - prefix)
    return max(0, size - FIRST_SERVER_OFFSET - RESERVED_TOP)
