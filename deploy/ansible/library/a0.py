#!/usr/bin/python
# -*- coding: utf-8 -*-
# a0's Ansible module: one a0 command on the managed host, its JSON
# envelope mapped to Ansible's result. a0 stays the host's authority; the
# module only carries the command and reports what a0 said.

from __future__ import annotations

DOCUMENTATION = r"""
---
module: a0
short_description: Run one a0 lifecycle command on a host
description:
  - Runs C(a0 COMMAND --json --home HOME) on the managed host and maps a0's
    JSON envelope to the task result. a0 decides; the module never bypasses
    its state machine, its authority gate or its journal.
  - C(changed) says whether the command changed the host. Requesting a
    version that is already pending, upgrading to the version production
    already runs, and confirming an operation that is already confirmed
    are C(ok), not C(changed).
  - A failing command fails the task with a0's error C(code), its
    C(exit_code) (a0's exit-code table) and its message, reason and next step.
  - Human decisions (C(approve), C(deny), C(confirm), C(reset),
    C(clear-failure)) need a human's proof. Collect the payload with
    O(print_payload=true), sign it on the controller with
    C(ssh-keygen -Y sign -n a0), and pass the signature text in O(signature).
version_added: "0.9.0"
author:
  - a0 maintainers
options:
  command:
    description:
      - The a0 command to run.
    type: str
    required: true
    choices:
      - status
      - explain-state
      - pending-approvals
      - list-artifacts
      - check-updates
      - verify
      - request-upgrade
      - approve
      - deny
      - begin-staging
      - upgrade
      - rollback
      - confirm
      - clear-failure
      - reset
  home:
    description:
      - The host's a0 home (the directory that holds C(.billy/)).
    type: path
    required: true
  binary:
    description:
      - The a0 binary on the host, by name on the host's E(PATH) or as an absolute path.
    type: str
    default: a0
  version:
    description:
      - The release tag, for C(request-upgrade), C(approve), C(deny),
        C(begin-staging) and C(upgrade); for C(rollback), the version to roll
        back to (default the host's known-good).
    type: str
  reason:
    description:
      - Why; journaled on the host. Required by C(deny), C(clear-failure) and C(reset).
    type: str
  wait_seconds:
    description:
      - How long a0 waits for the home's lock when another a0 command holds it
        (C(--wait)); 0 fails at once with C(busy).
    type: int
    default: 0
  print_payload:
    description:
      - Print what a human must sign for this command and change nothing.
        The payload is returned in RV(payload).
    type: bool
    default: false
  signature:
    description:
      - An SSH signature (the armored text C(ssh-keygen -Y sign -n a0) writes)
        over this command's payload. It is written to a private temporary file
        on the host, passed to a0 with C(--signature), and removed.
    type: str
  dry_run:
    description:
      - For C(begin-staging), check the state, the authority and the approval,
        print the plan, change nothing.
    type: bool
    default: false
notes:
  - Check mode is supported. Read-only commands run; for the others the module
    reads the host's state and reports whether the command would change it,
    without running it.
requirements:
  - a0 on the managed host, and Python 3.
"""

EXAMPLES = r"""
- name: Where is this host?
  a0:
    command: status
    home: /srv/agent-zero
  register: host

- name: Ask a human for v1.7 (the agent's side)
  a0:
    command: request-upgrade
    version: v1.7
    home: /srv/agent-zero
    reason: nightly check found v1.7

- name: Upgrade (stages, validates, promotes, health-gates, rolls back on failure)
  a0:
    command: upgrade
    version: v1.7
    home: /srv/agent-zero
    binary: /usr/local/bin/a0
    wait_seconds: 60

- name: What a human signs to approve v1.7 here
  a0:
    command: approve
    version: v1.7
    home: /srv/agent-zero
    print_payload: true
  register: payload
"""

RETURN = r"""
data:
  description: The C(data) of a0's JSON envelope (for C(status), the state record with RV(production) and known-good).
  returned: success
  type: dict
payload:
  description: What a human signs, with O(print_payload=true).
  returned: when O(print_payload=true)
  type: str
exit_code:
  description: a0's exit code (0 success, 1 operation failed, 2 wrong state, 3 authority denied, 4 busy,
    5 integrity violation, 6 approval missing, 7 upstream unreachable, 64 usage, 65 bad input).
  returned: always, when a0 ran
  type: int
code:
  description: a0's error code, such as C(wrong_state) or C(approval_required).
  returned: failure
  type: str
why:
  description: a0's reason for the error.
  returned: failure, when a0 gave one
  type: str
next:
  description: What a0 says to do next.
  returned: failure, when a0 gave one
  type: str
cmd:
  description: The a0 command line that ran.
  returned: when a0 ran
  type: list
  elements: str
skipped_reason:
  description: Why the command did not run (nothing to do, or check mode).
  returned: when the command did not run
  type: str
"""

import json
import os
import tempfile

from ansible.module_utils.basic import AnsibleModule

READ_ONLY = {"status", "explain-state", "pending-approvals", "list-artifacts", "check-updates", "verify"}
TRANSITIONS = {"confirm", "clear-failure", "reset"}
TAKES_VERSION = {"request-upgrade", "approve", "deny", "begin-staging", "upgrade"}
NEEDS_REASON = {"deny", "clear-failure", "reset"}


class A0:
    """One host's a0, run with argument arrays only."""

    def __init__(self, module):
        self.module = module
        params = module.params
        binary = params["binary"]
        if os.path.isabs(binary):
            self.binary = binary
        else:
            self.binary = module.get_bin_path(binary, required=True)
        self.home = params["home"]

    def run(self, words, options=()):
        cmd = [self.binary] + list(words) + ["--home", self.home, "--json"] + list(options)
        rc, out, err = self.module.run_command(cmd, check_rc=False, environ_update={"LC_ALL": "C.UTF-8"})
        try:
            envelope = json.loads(out.strip().splitlines()[-1]) if out.strip() else None
        except (ValueError, IndexError):
            envelope = None
        if not isinstance(envelope, dict):
            self.module.fail_json(
                msg="a0 printed no JSON envelope", cmd=cmd, exit_code=rc, stdout=out, stderr=err)
        return cmd, rc, envelope

    def status(self):
        cmd, rc, envelope = self.run(["status"])
        if rc != 0:
            fail(self.module, cmd, rc, envelope)
        return envelope.get("data") or {}


def fail(module, cmd, rc, envelope):
    error = envelope.get("error") or {}
    result = dict(
        msg=error.get("message") or "a0 failed (exit %d)" % rc,
        cmd=cmd,
        exit_code=error.get("exit_code", rc),
        code=error.get("code"),
    )
    for key in ("why", "next", "authority_required"):
        if error.get(key) is not None:
            result[key] = error[key]
    module.fail_json(**result)


def production_version(status):
    production = status.get("production") or {}
    return production.get("version")


def nothing_to_do(params, status):
    """Why the command would not change the host, or None."""
    command, version = params["command"], params["version"]
    state = status.get("current_state")
    if command in ("upgrade", "request-upgrade") and version and production_version(status) == version:
        if command == "request-upgrade" or state in ("IDLE", "COMPLETE"):
            return "production already runs %s" % version
    if command == "confirm" and state == "IDLE" and status.get("reason_code") == "confirmation_received":
        return "already confirmed"
    return None


def command_line(params, signature_file):
    command = params["command"]
    words = command.split(" ")
    options = []
    if command in TAKES_VERSION:
        words.append("--")
        words.append(params["version"])
    if command == "rollback" and params["version"]:
        options.append("--to=" + params["version"])
    if params["reason"] is not None:
        options.append("--reason=" + params["reason"])
    if params["wait_seconds"]:
        options += ["--wait", str(params["wait_seconds"])]
    if params["print_payload"]:
        options.append("--print-payload")
    if signature_file:
        options += ["--signature", signature_file]
    if params["dry_run"]:
        options.append("--dry-run")
    # Options first, then `--` and the version: no value is ever read as an option.
    if "--" in words:
        split = words.index("--")
        return words[:split], options + words[split:]
    return words, options


def changed_by(command, data):
    if command in READ_ONLY:
        return False
    if command == "request-upgrade":
        return not data.get("existing", False)
    if command in TRANSITIONS:
        return not data.get("already_done", False)
    if command == "begin-staging":
        return not data.get("reused", False) and not data.get("dry_run", False)
    return True


def main():
    module = AnsibleModule(
        argument_spec=dict(
            command=dict(
                type="str",
                required=True,
                choices=sorted(READ_ONLY | TRANSITIONS | TAKES_VERSION | {"rollback"}),
            ),
            home=dict(type="path", required=True),
            binary=dict(type="str", default="a0"),
            version=dict(type="str"),
            reason=dict(type="str"),
            wait_seconds=dict(type="int", default=0),
            print_payload=dict(type="bool", default=False),
            signature=dict(type="str", no_log=False),
            dry_run=dict(type="bool", default=False),
        ),
        required_if=[
            ("command", "request-upgrade", ["version"]),
            ("command", "approve", ["version"]),
            ("command", "deny", ["version", "reason"]),
            ("command", "begin-staging", ["version"]),
            ("command", "upgrade", ["version"]),
            ("command", "clear-failure", ["reason"]),
            ("command", "reset", ["reason"]),
        ],
        mutually_exclusive=[("print_payload", "signature")],
        supports_check_mode=True,
    )
    params = module.params
    command = params["command"]
    if params["wait_seconds"] < 0:
        module.fail_json(msg="wait_seconds must be 0 or more")
    if params["dry_run"] and command != "begin-staging":
        module.fail_json(msg="dry_run is for begin-staging")
    a0 = A0(module)

    changes_nothing = command in READ_ONLY or params["print_payload"] or params["dry_run"]
    if not changes_nothing:
        reason = nothing_to_do(params, a0.status())
        if reason:
            module.exit_json(changed=False, skipped_reason=reason, exit_code=0)
        if module.check_mode:
            module.exit_json(changed=True, skipped_reason="check mode: a0 %s would run" % command)

    signature_file = None
    try:
        if params["signature"] is not None:
            descriptor, signature_file = tempfile.mkstemp(prefix="a0-signature-", suffix=".sig")
            with os.fdopen(descriptor, "w") as handle:
                handle.write(params["signature"].rstrip("\n") + "\n")
        words, options = command_line(params, signature_file)
        cmd, rc, envelope = a0.run(words, options)
    finally:
        if signature_file:
            os.unlink(signature_file)

    if rc != 0 or envelope.get("status") != "success":
        fail(module, cmd, rc, envelope)
    data = envelope.get("data") or {}
    if params["print_payload"]:
        module.exit_json(changed=False, payload=data.get("payload", ""), cmd=cmd, exit_code=rc)
    module.exit_json(changed=changed_by(command, data), data=data, cmd=cmd, exit_code=rc)


if __name__ == "__main__":
    main()
