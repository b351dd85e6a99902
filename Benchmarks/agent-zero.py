#!/usr/bin/env python3
"""The real Agent Zero's staging, timed. Opt-in: it needs the package index,
about 30 GB of disk and a quarter of an hour, so Benchmarks/run leaves it out.

    Benchmarks/agent-zero.py UPSTREAM [FIRST] [SECOND]    (default v1.7 v1.6)

UPSTREAM is a URL or a local mirror of agent0ai/agent-zero; PYTHON=path
names the interpreter when python3.12 is not on PATH. Rows, each against a
reference measured in the same run with uv's cache in the same state:
  - begin-staging FIRST (no earlier artifact) against Agent Zero's recipe by
    hand: git clone --depth 1, uv venv, one uv pip install with the flags
    a0's policy gives (wheels only but the listed source builds,
    requirements2.txt winning, --link-mode copy, --compile-bytecode), and the
    sha256sum pipeline over the tree. The recipe runs once untimed first, so
    both find every package in the cache;
  - begin-staging SECOND after it (another version whose requirements
    resolve to the same set, so a0 copies the verified venv) against the
    first.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(command, env=None, cwd=None):
    result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            text=True, env=env, cwd=cwd)
    if result.returncode != 0:
        sys.exit("agent-zero.py: %s failed (%d):\n%s" % (" ".join(command), result.returncode, result.stdout[-3000:]))
    return result.stdout


def timed(command, **options):
    start = time.perf_counter()
    run(command, **options)
    return time.perf_counter() - start


def build_a0():
    build = ["swift", "build", "-c", "release", "--static-swift-stdlib", "--product", "a0", "--scratch-path",
             ".build-release"]
    run(build, cwd=REPO)
    return os.path.join(run(build + ["--show-bin-path"], cwd=REPO).strip(), "a0")


def configure(config, python, signers):
    with open(config) as handle:
        text = handle.read()
    for key, value in (("interpreter", python), ("installer", "uv"), ("proof", "ssh-signature"),
                       ("allowed_signers", signers)):
        text = re.sub(r"(?m)^%s = .*$" % key, '%s = "%s"' % (key, value), text, count=1)
    # A check that fails: the way back from VALIDATING to IDLE without a promotion.
    text = re.sub(r"(?m)^custom_checks = .*$", 'custom_checks = [["false"]]', text, count=1)
    with open(config, "w") as handle:
        handle.write(text)
    return text


def recipe(upstream, version, work, python, policy, uv_environment):
    """Agent Zero's install, by hand, with a0's policy: clone, venv, install, hash."""
    tree = os.path.join(work, "recipe")
    shutil.rmtree(tree, ignore_errors=True)
    seconds = timed(["git", "clone", "--quiet", "--depth", "1", "--branch", version, "--single-branch", "--",
                     upstream, tree])
    venv = os.path.join(tree, ".venv")
    seconds += timed(["uv", "venv", "--quiet", "--no-config", "--relocatable", "--python", python, "--", venv],
                     env=uv_environment)
    seconds += timed(["uv", "pip", "install", "--quiet", "--no-config", "--python", venv + "/bin/python",
                      "--link-mode", "copy", "--compile-bytecode"] + policy
                     + ["-r", tree + "/requirements.txt", "-r", tree + "/requirements2.txt",
                        "--overrides", tree + "/requirements2.txt"], env=uv_environment, cwd=tree)
    seconds += timed(["bash", "-c", "cd \"$1\" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum"
                      " | sha256sum", "-", tree])
    shutil.rmtree(tree)
    return seconds


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    upstream = sys.argv[1]
    first = sys.argv[2] if len(sys.argv) > 2 else "v1.7"
    second = sys.argv[3] if len(sys.argv) > 3 else "v1.6"
    python = os.environ.get("PYTHON", "python3.12")
    a0 = build_a0()
    work = tempfile.mkdtemp(prefix="a0-bench-agent-zero.")
    try:
        home = os.path.join(work, "home")
        keys = os.path.join(work, "keys")
        os.makedirs(keys)
        run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "alice", "-f", os.path.join(keys, "alice")])
        with open(os.path.join(keys, "alice.pub")) as public, \
                open(os.path.join(keys, "allowed_signers"), "w") as out:
            out.write('alice namespaces="a0" %s' % public.read())
        run([a0, "init", "--upstream", upstream, "--home", home])
        config = configure(os.path.join(home, ".billy", "config.toml"), python,
                           os.path.join(keys, "allowed_signers"))
        builds = re.search(r"(?m)^source_builds = \[(.*?)\]", config).group(1)
        policy = ["--only-binary", ":all:"]
        for name in re.findall(r'"([^"]+)"', builds):
            policy += ["--no-binary", name]
        # The recipe shares a0's uv cache, so both see the same cache state.
        uv_environment = dict(os.environ, UV_CACHE_DIR=os.path.join(home, ".billy", "cache", "uv"),
                              UV_NO_PROGRESS="1")

        def a0_run(*arguments, human=False):
            extra = ["--key", os.path.join(keys, "alice")] if human else ["--json"]
            return timed([a0, *arguments, "--home", home, *extra])

        print("warming uv's cache with %s's recipe" % first, file=sys.stderr)
        recipe(upstream, first, work, python, policy, uv_environment)
        reference = recipe(upstream, first, work, python, policy, uv_environment)

        a0_run("request-upgrade", first, "--reason", "benchmark")
        a0_run("approve", first, human=True)
        a0_run("grant", "executor", "--bootstrap", "--reason", "benchmark", human=True)
        staged_first = a0_run("begin-staging", first)
        subprocess.run([a0, "validate", "--only", "custom", "--home", home, "--json"], stdout=subprocess.DEVNULL)
        a0_run("clear-failure", "--reason", "benchmark", human=True)
        a0_run("request-upgrade", second, "--reason", "benchmark")
        a0_run("approve", second, human=True)
        staged_second = a0_run("begin-staging", second)

        print("\n%-52s %12s %12s %9s   %s" % ("figure", "a0", "reference", "ratio", "target"))
        print("%-52s %10.1f s %10.1f s %8.2fx   %s" % (
            "begin-staging %s vs Agent Zero's recipe by hand" % first, staged_first, reference,
            staged_first / reference, "<= recipe x 1.10 + 2 s (%.1f s)" % (reference * 1.1 + 2)))
        print("%-52s %10.1f s %10.1f s %8.1f%%   %s" % (
            "begin-staging %s after %s vs the first" % (second, first), staged_second, staged_first,
            100 * staged_second / staged_first, "<= 35 % of the first"))
    finally:
        if os.environ.get("BENCH_KEEP") != "1":
            shutil.rmtree(work, ignore_errors=True)
        else:
            print("kept in %s" % work, file=sys.stderr)


if __name__ == "__main__":
    main()
