#!/usr/bin/python
# Copyright: asp-provision contributors
# Apache License 2.0 (see the project's pyproject.toml)
"""Write a customer's DNS zone with a serial that only goes up; remove former domains' zones."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: asp_zone
short_description: Write a customer's DNS zone with a serial that only goes up
description:
  - Writes C(<dir>/<domain>.zone) with the SOA, NS and A records of the customer's service.
  - The zone notes a hash of its records. While they are unchanged the serial is kept, so
    a second run changes nothing; when they change the serial goes up, to today's
    C(YYYYMMDD00) or by one when the serial is already past that, so secondaries always
    transfer the new zone.
  - Zone files of other domains in C(dir) (a domain the customer no longer uses) are removed.
  - Supports check mode and diff mode.
version_added: "0.1.0"
options:
  dir:
    description: Folder of the customer's zone files; created when missing.
    type: path
    required: true
  domain:
    description: The service's domain, without the final dot.
    type: str
    required: true
  address:
    description: The IPv4 address of the service (the A record).
    type: str
    required: true
  nameservers:
    description: The zone's name servers, fully qualified with the final dot; the first is the SOA's.
    type: list
    elements: str
    required: true
  customer:
    description: Customer slug, for the header comment.
    type: str
    required: true
extends_documentation_fragment:
  - files
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
author:
  - asp-provision contributors
"""

EXAMPLES = r"""
- name: Write the DNS zone
  asp_zone:
    dir: /srv/asp/site/acme-corp/network/dns
    domain: mail.acme.example
    address: 10.42.7.10
    nameservers: [ns1.asp.example., ns2.asp.example.]
    customer: acme-corp
    mode: "0644"
"""

RETURN = r"""
serial:
  description: The zone's serial after the run (or as it would be in check mode).
  returned: always
  type: int
  sample: 2026112400
removed:
  description: Zone files of former domains that were removed.
  returned: always
  type: list
  elements: str
"""

import datetime
import glob
import hashlib
import json
import os
import re
from typing import Any

from ansible.module_utils.basic import AnsibleModule

SERIAL = re.compile(r"^\s*(\d+)\s*; serial$", re.M)
RECORDS = re.compile(r"^; records ([0-9a-f]+)$", re.M)

TEMPLATE = """\
; Managed by asp-provision: zone of customer {customer}.
; records {records}
$ORIGIN {domain}.
$TTL 3600
@\tIN\tSOA\t{primary} hostmaster.{domain}. (
\t\t{serial}\t; serial
\t\t3600\t\t; refresh
\t\t900\t\t; retry
\t\t1209600\t\t; expire
\t\t300 )\t\t; negative caching TTL
{ns}@\tIN\tA\t{address}
"""


def read(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as fh:
            return fh.read()
    except FileNotFoundError:
        return ""


def next_serial(before: str, records: str) -> int:
    """The serial kept while the records are unchanged, else a greater one."""
    serial = SERIAL.search(before)
    current = int(serial.group(1)) if serial else 0
    noted = RECORDS.search(before)
    if serial and noted and noted.group(1) == records:
        return current
    today = int(datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%d")) * 100
    return max(current + 1, today)


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "dir": {"type": "path", "required": True},
            "domain": {"type": "str", "required": True},
            "address": {"type": "str", "required": True},
            "nameservers": {"type": "list", "elements": "str", "required": True},
            "customer": {"type": "str", "required": True},
        },
        add_file_common_args=True,
        supports_check_mode=True,
    )
    p = module.params
    if not p["nameservers"]:
        module.fail_json(msg="a zone needs at least one name server")
    folder: str = p["dir"]
    path = os.path.join(folder, p["domain"] + ".zone")
    records = hashlib.sha1(
        json.dumps([p["domain"], p["address"], p["nameservers"]]).encode()
    ).hexdigest()
    before = read(path)
    serial = next_serial(before, records)
    after = TEMPLATE.format(
        customer=p["customer"],
        records=records,
        domain=p["domain"],
        primary=p["nameservers"][0],
        serial=serial,
        ns="".join(f"@\tIN\tNS\t{server}\n" for server in p["nameservers"]),
        address=p["address"],
    )
    former = sorted(z for z in glob.glob(os.path.join(glob.escape(folder), "*.zone")) if z != path)
    changed = before != after or bool(former)

    if changed and not module.check_mode:
        try:
            os.makedirs(folder, exist_ok=True)
            if before != after:
                tmp = path + ".asp-tmp"
                with open(tmp, "w", encoding="utf-8") as fh:
                    fh.write(after)
                module.atomic_move(tmp, path)
            for zone in former:
                os.remove(zone)
        except OSError as exc:
            module.fail_json(msg=f"cannot write the zone {path}: {exc}")

    result: dict[str, Any] = {
        "changed": changed,
        "serial": serial,
        "removed": [os.path.basename(z) for z in former],
    }
    if module._diff and before != after:
        result["diff"] = {"before_header": path, "after_header": path, "before": before, "after": after}
    if os.path.exists(path):
        file_args = module.load_file_common_arguments(module.params, path=path)
        result["changed"] = module.set_fs_attributes_if_different(file_args, result["changed"])
    module.exit_json(**result)


if __name__ == "__main__":
    main()
