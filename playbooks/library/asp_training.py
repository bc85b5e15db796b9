#!/usr/bin/python
# Copyright: asp-provision contributors
# Apache License 2.0 (see the project's pyproject.toml)
"""Write the training invitations (iCalendar, one per session) and the attendance sheet."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: asp_training
short_description: Write training invitations (iCalendar) and an attendance sheet
description:
  - Writes C(session-<n>.ics) in O(folder) for the n-th session (1-based, in the order
    given): an RFC 5545 all-day event with the session's attendees, method REQUEST.
  - UID and DTSTAMP are fixed by the customer, the session's number and its date, so the
    same sessions write the same bytes and a second run reports no change.
  - Writes C(attendance.csv) (session, date, topic, attendee, attended); a value already
    filled in the C(attended) column is kept.
  - Removes the invitations of sessions no longer listed; files are replaced atomically.
  - Supports check mode.
requirements:
  - icalendar
version_added: "0.1.0"
options:
  folder:
    description: Folder of the invitations and the sheet (created when missing).
    type: path
    required: true
  customer:
    description: The customer's slug; part of each invitation's UID.
    type: str
    required: true
  name:
    description: The customer's display name, in each invitation's summary.
    type: str
    required: true
  sessions:
    description: The sessions, each C({date, topic, attendees}) with attendees as e-mail addresses.
    type: list
    elements: dict
    required: true
  organizer:
    description: Who invites, C({name, email}); left out of the invitations when not given.
    type: dict
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
author:
  - asp-provision contributors
"""

EXAMPLES = r"""
- name: Write the training invitations
  asp_training:
    folder: /srv/asp/site/acme-corp/training
    customer: acme-corp
    name: ACME Corporation
    sessions:
      - {date: "2026-12-08", topic: Mailbox basics, attendees: [jdoe@acme.example]}
    organizer: {name: Maria Lind, email: maria.lind@nordic-hosted.example}
"""

RETURN = r"""
written:
  description: Files written (or, in check mode, that would be).
  returned: always
  type: list
  elements: str
removed:
  description: Invitations removed, of sessions no longer listed.
  returned: always
  type: list
  elements: str
sessions:
  description: Number of sessions.
  returned: always
  type: int
"""

import traceback

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

try:
    import icalendar  # noqa: F401 - what asp_training needs, checked here to say so
except ImportError:
    ICALENDAR_ERROR = traceback.format_exc()
else:
    ICALENDAR_ERROR = None

from ansible.module_utils.asp_training import TrainingError, write_training


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "folder": {"type": "path", "required": True},
            "customer": {"type": "str", "required": True},
            "name": {"type": "str", "required": True},
            "sessions": {"type": "list", "elements": "dict", "required": True},
            "organizer": {"type": "dict"},
        },
        supports_check_mode=True,
    )
    if ICALENDAR_ERROR is not None:
        module.fail_json(msg=missing_required_lib("icalendar"), exception=ICALENDAR_ERROR)
    params = module.params
    try:
        result = write_training(
            params["folder"],
            params["customer"],
            params["name"],
            params["sessions"],
            params["organizer"],
            check=module.check_mode,
        )
    except TrainingError as exc:
        module.fail_json(msg=str(exc))
    except OSError as exc:
        module.fail_json(msg=f"cannot write {params['folder']}: {exc}")
    module.exit_json(
        changed=bool(result["written"] or result["removed"]),
        sessions=len(params["sessions"]),
        **result,
    )


if __name__ == "__main__":
    main()
