# -*- coding: utf-8 -*-
# The table at the end of an a0 playbook run: where each host is, from
# the last a0 result Ansible saw for it, including the hosts a stopped
# rollout never reached.

from __future__ import annotations

DOCUMENTATION = r"""
name: a0_fleet
type: aggregate
short_description: A table of where each host is after an a0 playbook
description:
  - After the play recap, prints one row per host of the play, from the last
    result of the C(a0) module on that host (its state, production version
    and known-good), and what happened to the host in this run (ok, changed,
    failed, unreachable, or not started when a stopped rollout never reached it).
  - Loaded next to a0's playbooks; needs no configuration.
"""

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "a0_fleet"
    CALLBACK_NEEDS_ENABLED = False

    def __init__(self):
        super().__init__()
        self.hosts = []
        self.last = {}
        self.outcome = {}

    def v2_playbook_on_play_start(self, play):
        manager = play.get_variable_manager()
        inventory = getattr(manager, "_inventory", None)
        if inventory is None:
            return
        for host in inventory.get_hosts(play.hosts, ignore_restrictions=True):
            if host.name not in self.hosts:
                self.hosts.append(host.name)

    def remember(self, result, outcome):
        name = result._host.get_name()
        order = ["not started", "ok", "changed", "failed", "unreachable"]
        if order.index(outcome) > order.index(self.outcome.get(name, "not started")):
            self.outcome[name] = outcome
        if result._task.action in ("a0", "ansible.legacy.a0"):
            data = result._result.get("data")
            # A later result refines an earlier one: a confirm reports the
            # state, the status before it what production runs.
            if isinstance(data, dict) and "current_state" in data:
                self.last.setdefault(name, {}).update(data)

    def v2_runner_on_ok(self, result):
        self.remember(result, "changed" if result._result.get("changed") else "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self.remember(result, "ok" if ignore_errors else "failed")

    def v2_runner_on_unreachable(self, result):
        self.remember(result, "unreachable")

    def v2_playbook_on_stats(self, stats):
        if not self.hosts:
            return
        rows = [("HOST", "THIS RUN", "STATE", "PRODUCTION", "KNOWN-GOOD")]
        for name in self.hosts:
            data = self.last.get(name, {})
            rows.append(
                (
                    name,
                    self.outcome.get(name, "not started"),
                    data.get("current_state", "-"),
                    (data.get("production") or {}).get("version", "-"),
                    (data.get("known_good") or {}).get("version", "-"),
                )
            )
        widths = [max(len(row[index]) for row in rows) for index in range(len(rows[0]))]
        self._display.banner("A0 FLEET")
        for row in rows:
            line = "  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip()
            self._display.display("a0-fleet " + line)
