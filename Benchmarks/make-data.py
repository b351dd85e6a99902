#!/usr/bin/env python3
"""Deterministic benchmark data.

    make-data.py tree DIR TOTAL_MIB FILES   a tree of mixed file sizes
    make-data.py venv DIR FILES             many small files, like a virtualenv
    make-data.py home DIR EVENTS            an a0 home whose journal holds EVENTS events
"""
import hashlib
import json
import os
import random
import sys


def tree(root, total_mib, count):
    rng = random.Random(42)
    total = total_mib * 1024 * 1024
    # Mixed sizes, from bytes to a few MiB, no single file dominating (a
    # file is hashed on one core; a tree is hashed across all of them).
    weights = [min(rng.paretovariate(1.2), 200.0) for _ in range(count)]
    scale = total / sum(weights)
    block = hashlib.sha256(b"a0").digest() * 4096  # 128 KiB pattern
    for index, weight in enumerate(weights):
        size = max(1, int(weight * scale))
        directory = os.path.join(root, "d%03d" % (index % 200), "e%02d" % (index % 17))
        os.makedirs(directory, exist_ok=True)
        with open(os.path.join(directory, "f%05d.bin" % index), "wb") as handle:
            handle.write(index.to_bytes(8, "little"))
            remaining = size - 8
            while remaining > 0:
                chunk = block[: min(remaining, len(block))]
                handle.write(chunk)
                remaining -= len(chunk)


def venv(root, count):
    rng = random.Random(7)
    for index in range(count):
        directory = os.path.join(root, "lib", "python3", "site-packages", "pkg%03d" % (index % 300))
        os.makedirs(directory, exist_ok=True)
        with open(os.path.join(directory, "m%05d.py" % index), "w") as handle:
            handle.write("x = %d\n" % index * rng.randint(1, 60))


def canonical(value):
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def home(root, events):
    billy = os.path.join(root, ".billy")
    for name in ("approvals", "builds", "artifacts", "reports", "shared", "snapshots"):
        os.makedirs(os.path.join(billy, name), exist_ok=True)
    with open(os.path.join(billy, "config.toml"), "w") as handle:
        handle.write('[upstream]\nurl = "/srv/none.git"\n')
    state = {
        "active_operation": None, "authority_level": "observer", "current_state": "IDLE",
        "entered_at": "2026-01-01T00:00:00.000Z", "last_failure": None,
        "locks": {"lock_reason": None, "rollback_locked": False, "upgrade_locked": False},
        "observed_state": "UNKNOWN", "operation_id": None, "previous_state": None, "reason_code": None,
    }
    previous = "0" * 64
    last = None
    with open(os.path.join(billy, "upgrade_history.log"), "w") as handle:
        for seq in range(1, events + 1):
            details = {"n": seq, "notes": "benchmark event"}
            if seq == events:
                details["state_after"] = state
            event = {"actor": "system", "details": details, "event_type": "benchmark", "prev_hash": previous,
                     "seq": seq, "timestamp": "2026-01-01T00:00:00.000Z"}
            digest = hashlib.sha256(canonical(event).encode()).hexdigest()
            event["hash"] = digest
            handle.write(canonical(event) + "\n")
            previous, last = digest, event
    state.update(audit_seq=last["seq"], audit_hash=last["hash"])
    with open(os.path.join(billy, "state.json"), "w") as handle:
        json.dump(state, handle, sort_keys=True, indent=2)
    open(os.path.join(billy, "lock"), "w").close()


if __name__ == "__main__":
    kind = sys.argv[1]
    if kind == "tree":
        tree(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    elif kind == "venv":
        venv(sys.argv[2], int(sys.argv[3]))
    else:
        home(sys.argv[2], int(sys.argv[3]))
