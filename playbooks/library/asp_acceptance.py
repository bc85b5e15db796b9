#!/usr/bin/python
# Copyright: asp-provision contributors
# Apache License 2.0 (see the project's pyproject.toml)
"""Check a customer's service as its users would see it; write a report and JUnit XML."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: asp_acceptance
short_description: Check a customer's service as its users would see it
description:
  - Runs the acceptance checks on the site's files (C(module_utils/asp_acceptance.py)):
    C(service-answers) (where I(served) is given, a real HTTPS request for the domain to
    the served local site, trusting only its authority; else a server block for the
    domain that C(nginx -t) accepts),
    C(configs) (the firewall, the DNS zone and the alert rules pass C(nft -c),
    C(named-checkzone) and C(promtool check rules) where installed), C(users) (every
    user with its role in C(application/users.db)), C(conversion) (the converted
    records agree with C(reconciliation.json) of the current source), C(backups) and
    C(report-schedule) (the cron lines), C(alerts) (the SLA's thresholds).
  - Writes C(report.json) and C(junit.xml) in I(folder), and fails naming each check
    that failed. A check whose tool is not installed is skipped, not failed.
  - Supports check mode (runs the checks, writes nothing).
options:
  site: {description: The customer's site folder., type: path, required: true}
  folder: {description: Where the report goes., type: path, required: true}
  customer: {description: Customer slug., type: str, required: true}
  domain: {description: The service's domain., type: str, required: true}
  users: {description: "The spec's users: username and role.", type: list, elements: dict, required: true}
  conversion: {description: "C({sha256}) of the source loaded, when records came from a file.", type: dict}
  backup_cron: {description: The backup's cron schedule (five fields)., type: str, required: true}
  report_cron: {description: The report's cron schedule (five fields)., type: str, required: true}
  alerts: {description: "availability_pct, response_seconds, resolution_seconds.", type: dict, required: true}
  served: {description: "The served local site: C(port) (HTTPS on 127.0.0.1) and C(trust) (the authority's certificate).", type: dict}
author:
  - asp-provision contributors
"""

RETURN = r"""
checks:
  description: Each check with C(name), C(ok) (true, false, or null when skipped) and C(message).
  returned: always
  type: list
  elements: dict
failed_checks:
  description: The names of the checks that failed.
  returned: always
  type: list
  elements: str
"""

from dataclasses import asdict

from ansible.module_utils.asp_acceptance import Expected, accept
from ansible.module_utils.basic import AnsibleModule


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "site": {"type": "path", "required": True},
            "folder": {"type": "path", "required": True},
            "customer": {"type": "str", "required": True},
            "domain": {"type": "str", "required": True},
            "users": {"type": "list", "elements": "dict", "required": True},
            "conversion": {"type": "dict"},
            "backup_cron": {"type": "str", "required": True},
            "report_cron": {"type": "str", "required": True},
            "alerts": {"type": "dict", "required": True},
            "served": {"type": "dict"},
        },
        supports_check_mode=True,
    )
    params = module.params
    expected = Expected(
        customer=params["customer"],
        domain=params["domain"],
        users=[{"username": str(u["username"]), "role": str(u["role"])} for u in params["users"]],
        conversion=params["conversion"],
        backup_cron=params["backup_cron"],
        report_cron=params["report_cron"],
        alerts=params["alerts"],
        served=params["served"],
    )

    def run(argv: list[str]) -> tuple[int, str, str]:
        return module.run_command(argv, environ_update={"LC_ALL": "C"})

    try:
        results, changed = accept(
            params["site"], params["folder"], expected, run, check_mode=module.check_mode
        )
    except OSError as exc:
        module.fail_json(msg=f"cannot write the acceptance report in {params['folder']}: {exc}")
    checks = [asdict(r) for r in results]
    failed = [r for r in results if r.ok is False]
    if failed:
        module.fail_json(
            msg="acceptance failed: " + "; ".join(f"{r.name}: {r.message}" for r in failed),
            changed=changed,
            checks=checks,
            failed_checks=[r.name for r in failed],
        )
    module.exit_json(changed=changed, checks=checks, failed_checks=[])


if __name__ == "__main__":
    main()
