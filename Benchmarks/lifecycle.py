#!/usr/bin/env python3
"""Lifecycle figures for Benchmarks/run, on the embedded sample app, offline.

    lifecycle.py A0_BINARY WORK_DIR

Prints rows of: name, a0 seconds, reference seconds, target. Measured:
  - begin-staging against the sum of its raw steps run here (git clone
    --depth 1, venv + install with the same installer and flags into an
    empty cache, the sha256sum tree pipeline);
  - a second begin-staging (another version, same requirements, uv's cache
    warm, an earlier artifact with the same dependency inputs) against the
    first;
  - rollback time: from the journal's ROLLING_BACK transition (the health
    check has failed) to its IDLE transition (the previous version answers
    health again), against the time the app takes to restart and answer.
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SAMPLE = os.path.join(REPO, "Examples", "sample-app")
SERVICE = os.path.join(SAMPLE, "sample-service")
# Generated packages every sample release requires besides its own small
# one: 40 × 90 modules, 50 MiB installed, so that installing is a real part
# of a staging as it is for Agent Zero (BENCH_DEPENDENCIES to change it).
EXTRA_DEPENDENCIES = int(os.environ.get("BENCH_DEPENDENCIES", "40"))
# Whole scenarios (home, upstream, three stagings, a rollback) run per figure.
RUNS = int(os.environ.get("BENCH_LIFECYCLE_RUNS", "5"))


def run(command, check=True, env=None, cwd=None):
    return subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                          text=True, check=check, env=env, cwd=cwd)


def timed(command, **options):
    start = time.perf_counter()
    result = run(command, check=False, **options)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit("lifecycle.py: %s failed (%d): %s%s" % (" ".join(command), result.returncode, result.stdout,
                                                         result.stderr))
    return elapsed


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def answers(port):
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d/health" % port, timeout=1) as response:
            return response.status == 200
    except Exception:
        return False


def scenario(a0, work):
    # Start from clean page and buffer caches: what earlier runs or other
    # programs left to write back would otherwise be billed to whichever
    # command here happens to flush or create files first.
    os.sync()
    os.makedirs(work)
    run([sys.executable, os.path.join(SAMPLE, "make-upstream.py"), work, "--extra-dependencies",
         str(EXTRA_DEPENDENCIES)])
    upstream = os.path.join(work, "upstream", "a0", "sample-app.git")
    wheelhouse = os.path.join(work, "wheelhouse")
    home = os.path.join(work, "home")
    keys = os.path.join(work, "keys")
    os.makedirs(keys)
    run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "alice", "-f", os.path.join(keys, "alice")])
    with open(os.path.join(keys, "alice.pub")) as public, open(os.path.join(keys, "allowed_signers"), "w") as out:
        out.write('alice namespaces="a0" %s' % public.read())
    port = free_port()
    uv = shutil.which("uv")
    installer = "uv" if uv else "pip"

    def a0_run(*arguments, human=False):
        extra = ["--key", os.path.join(keys, "alice")] if human else ["--json"]
        return timed([a0, *arguments, "--home", home, *extra])

    run([a0, "init", "--upstream", upstream, "--name", "app", "--home", home])
    # The demo's configuration, with a health check that gives up sooner and no stability window.
    run([sys.executable, os.path.join(SAMPLE, "render-config.py"), os.path.join(home, ".billy", "config.toml"),
         "upstream=" + upstream, "installer=" + installer, "wheelhouse=" + wheelhouse, "service=" + SERVICE,
         "home=" + home, "port=%d" % port, "signers=" + os.path.join(keys, "allowed_signers"),
         "health_timeout=3", "stable_seconds=0"])
    if uv:
        # a0 looks for tools only on its own path: the system's directories, then uv's.
        with open(os.path.join(home, ".billy", "config.toml"), "a") as config:
            config.write('\n[tools]\npath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:%s"\n'
                         % os.path.dirname(uv))
    with open(os.path.join(home, ".env.seed"), "w") as seed:
        seed.write("GREETING=hello\n")

    rows = []
    try:
        # The raw steps of a staging, with the same installer and flags, into an empty cache.
        raw = os.path.join(work, "raw")
        clone = timed(["git", "clone", "--quiet", "--depth", "1", "--branch", "v1.0.0", "--single-branch", "--",
                       upstream, raw])
        venv = os.path.join(raw, ".venv")
        environment = dict(os.environ, UV_CACHE_DIR=os.path.join(work, "raw-cache"), UV_NO_PROGRESS="1")
        # The sample's policy: wheels only but its one source-only package, requirements2.txt winning.
        policy = ["--no-index", "--find-links", wheelhouse, "--only-binary", ":all:", "--no-binary", "a0-sample-plain"]
        first_pass, overrides = raw + "/requirements.txt", raw + "/requirements2.txt"
        if uv:
            install = timed([uv, "venv", "--quiet", "--no-config", "--relocatable", "--python", "python3", "--",
                             venv], env=environment)
            install += timed([uv, "pip", "install", "--quiet", "--no-config", "--python", venv + "/bin/python",
                              "--link-mode", "copy", "--compile-bytecode"] + policy
                             + ["-r", first_pass, "-r", overrides, "--overrides", overrides], env=environment)
        else:
            install = timed([sys.executable, "-m", "venv", "--", venv])
            for requirements in (first_pass, overrides):
                install += timed([venv + "/bin/python", "-m", "pip", "install", "--quiet",
                                  "--disable-pip-version-check", "--no-cache-dir"] + policy + ["-r", requirements])
        digest = timed(["bash", "-c", "cd \"$1\" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum"
                        " | sha256sum", "-", raw])
        reference = clone + install + digest

        a0_run("request-upgrade", "v1.0.0", "--reason", "benchmark")
        a0_run("approve", "v1.0.0", human=True)
        a0_run("grant", "executor", "--bootstrap", "--reason", "benchmark", human=True)
        first = a0_run("begin-staging", "v1.0.0")
        rows.append(("begin-staging (%s) vs raw steps" % installer, first, reference,
                     "<= raw x 1.10 + 0.1 s (%.3f s)" % (reference * 1.1 + 0.1)))
        a0_run("validate")
        a0_run("promote")
        a0_run("confirm", human=True)

        a0_run("request-upgrade", "v1.1.0", "--reason", "benchmark")
        a0_run("approve", "v1.1.0", human=True)
        second = a0_run("begin-staging", "v1.1.0")
        rows.append(("second begin-staging (warm cache) vs first", second, first, "<= 25 % of the first"))
        a0_run("validate")
        a0_run("promote")
        a0_run("confirm", human=True)

        # The app's own restart: from the restart command to a health answer.
        starts = []
        for _ in range(3):
            start = time.perf_counter()
            run([SERVICE, "restart", home, str(port)], env=dict(os.environ, A0_PRODUCTION_LINK="app"))
            while not answers(port):
                time.sleep(0.005)
            starts.append(time.perf_counter() - start)
        app_start = min(starts)

        # v1.3.0 fails its health check in production: a0 rolls back to v1.1.0.
        a0_run("request-upgrade", "v1.3.0", "--reason", "benchmark")
        a0_run("approve", "v1.3.0", human=True)
        result = run([a0, "upgrade", "v1.3.0", "--home", home, "--json"], check=False)
        if result.returncode != 1:
            sys.exit("lifecycle.py: the v1.3.0 upgrade should fail and roll back: %s" % result.stdout)
        moments = {}
        with open(os.path.join(home, ".billy", "upgrade_history.log")) as journal:
            for line in journal:
                event = json.loads(line)
                state = (event["details"].get("state_after") or {}).get("current_state")
                if state in ("ROLLING_BACK", "IDLE"):
                    moments[state] = event["timestamp"]
        from datetime import datetime

        def seconds(stamp):
            return datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").timestamp()

        rollback = seconds(moments["IDLE"]) - seconds(moments["ROLLING_BACK"])
        if not answers(port):
            sys.exit("lifecycle.py: production does not answer after the rollback")
        rows.append(("rollback: failed health to healthy again vs app start", rollback, app_start,
                     "<= app start + 0.3 s (%.3f s)" % (app_start + 0.3)))
    finally:
        run([SERVICE, "stop", home, str(port)], check=False)
    return rows


def main():
    a0, work = sys.argv[1], sys.argv[2]
    runs = [scenario(a0, os.path.join(work, "run%d" % index)) for index in range(RUNS)]
    # Best of RUNS for each side, as for every other figure.
    for index, (name, _, _, target) in enumerate(runs[0]):
        ours = min(rows[index][1] for rows in runs)
        reference = min(rows[index][2] for rows in runs)
        if "+" in target and "(" in target:
            target = target[:target.index("(")].strip()
        print("%s\t%.4f\t%.4f\t%s" % (name, ours, reference, target))


if __name__ == "__main__":
    main()
