#!/usr/bin/env python3
"""What a person reads about one a0 notification.

a0 runs a [notify] command with the event's JSON on stdin. This turns it
into a title, a body (what happened and what to do next) and an ntfy-style
priority, for the scripts beside it:

    message.py title|body|priority < event.json
    message.py hmac SECRET_FILE < event.json    (hex HMAC-SHA256 of stdin)

Only the standard library: it runs wherever the app's Python does.
"""
import hashlib
import hmac
import json
import socket
import sys

# event: (priority 1-5, title, body); {version}, {production}, {expires_at},
# {error}, {home}, {host} are filled from the event.
TEXTS = {
    "upgrade_requested": (3, "Upgrade to {version} requested",
                          "The agent asks to upgrade {home} on {host} to {version}.\n"
                          "Approve: a0 --home {home} approve {version}   (or deny it)"),
    "update_available": (2, "{version} is available",
                         "{version} is out; production on {host} runs {production}.\n"
                         "Request it: a0 --home {home} request-upgrade {version}"),
    "staging_failed": (4, "Building {version} failed",
                       "Staging {version} on {host} failed; production is untouched.\n{error}\n"
                       "See: a0 --home {home} status, then clear-failure once fixed"),
    "validation_failed": (4, "{version} failed validation",
                          "{version} did not pass validation on {host}; production is untouched.\n"
                          "See: a0 --home {home} status"),
    "promotion_completed": (3, "{version} is in production",
                            "{version} runs on {host} and is healthy.\n"
                            "Accept it: a0 --home {home} confirm   (or reset and roll back)"),
    "rollback_completed": (4, "Production rolled back",
                           "a0 rolled production on {host} back to the release before.\n"
                           "See: a0 --home {home} status"),
    "failed_hard": (5, "a0 needs a human now: FAILED_HARD",
                    "a0 could not restore production on {host}; upgrades and rollbacks are locked.\n"
                    "See: a0 --home {home} explain-state, then a0 reset"),
    "approval_expiring": (3, "Approval of {version} expires unused",
                          "The approval of {version} on {host} expires at {expires_at} and was not used.\n"
                          "Approve it again later if it is still wanted."),
    "notify_failed": (4, "a0 notifications are failing",
                      "a0 on {host} could not deliver a notification: {error}"),
}


def fields(event):
    audit = event.get("audit") or {}
    details = audit.get("details") or {}
    last_failure = (details.get("state_after") or {}).get("last_failure") or {}
    return {
        "version": event.get("version") or details.get("target_version") or "a release",
        "production": details.get("production_version") or details.get("production") or "nothing",
        "expires_at": details.get("expires_at") or "soon",
        "error": details.get("error") or last_failure.get("error") or "",
        "home": event.get("home") or "",
        "host": socket.gethostname(),
    }


def main():
    raw = sys.stdin.buffer.read()
    if sys.argv[1:2] == ["hmac"]:
        with open(sys.argv[2], "rb") as secret:
            print(hmac.new(secret.read().strip(), raw, hashlib.sha256).hexdigest())
        return
    event = json.loads(raw)
    priority, title, body = TEXTS.get(
        event.get("event"), (3, "{event}", "a0 on {host}: {event}"))
    values = dict(fields(event), event=event.get("event"))
    what = sys.argv[1] if len(sys.argv) > 1 else "body"
    if what == "title":
        print("a0: " + title.format(**values))
    elif what == "priority":
        print(priority)
    else:
        print(body.format(**values))


if __name__ == "__main__":
    main()
