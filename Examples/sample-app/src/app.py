"""The a0 sample app: a tiny web service with a health endpoint.

It behaves like the apps a0 upgrades: code from a git tag, a dependency
from a wheel, and user data in data/ that a release may migrate.
"""
import argparse
import http.server
import importlib
import json
import os
import sys

import a0_sample_dep
import a0_sample_plain

HERE = os.path.dirname(os.path.abspath(__file__))
RELEASE = json.load(open(os.path.join(HERE, "release.json")))

# A release may depend on a module that does not exist (v1.2.0 does):
# importing this module then fails, which a0's import check must catch.
for name in RELEASE.get("extra_imports", []):
    importlib.import_module(name)

DATA = os.path.join(HERE, "data")
NOTES = os.path.join(DATA, "notes.json")
STATE = {"healthy": True, "detail": "ok"}


def migrate():
    """v1.3.0 rewrites the notes to a new format in place, one way, and then
    finds it cannot serve them: the kind of first start that must be rolled
    back with its data. It does so under the production setting its service
    manager gives it (SAMPLE_DATA_FORMAT=2, as a unit's Environment= line
    would), which a0's dry run cannot know: a failure only production shows,
    for the health gate and the rollback to catch."""
    if not RELEASE.get("migrates_notes") or os.environ.get("SAMPLE_DATA_FORMAT") != "2":
        return
    if not os.path.exists(NOTES):
        return
    with open(NOTES) as handle:
        notes = json.load(handle)
    with open(NOTES, "w") as handle:
        json.dump({"format": 2, "entries": notes.get("entries", [])}, handle)
    STATE.update(healthy=False, detail="notes migrated to format 2, which this release cannot read")


def record_start():
    os.makedirs(DATA, exist_ok=True)
    notes = {"format": 1, "entries": []}
    if os.path.exists(NOTES):
        with open(NOTES) as handle:
            notes = json.load(handle)
    if notes.get("format") == 1:
        notes["entries"].append("started " + RELEASE["version"])
        with open(NOTES, "w") as handle:
            json.dump(notes, handle)


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/health":
            status = 200 if STATE["healthy"] else 503
            body = {"status": "ok" if STATE["healthy"] else "error", "version": RELEASE["version"],
                    "detail": STATE["detail"], "greeting": a0_sample_dep.greeting()}
        else:
            status, body = 404, {"error": "not found"}
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args()
    migrate()
    if STATE["healthy"]:
        record_start()
    server = http.server.ThreadingHTTPServer((args.host, args.port), Handler)
    print("sample app", RELEASE["version"], "on", args.host, args.port, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
