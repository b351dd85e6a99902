#!/usr/bin/env python3
"""Publishes the sample app as a local bare git repository with release tags,
and its dependency as a wheel in a local wheelhouse. Offline and deterministic.

    make-upstream.py DEST

creates DEST/upstream/a0/sample-app.git and DEST/wheelhouse/. The releases:
  v1.0.0, v1.1.0  good
  v1.2.0          imports a module that does not exist: validation rejects it
  v1.3.0          passes validation, but in production migrates the user's
                  notes in place and then reports unhealthy: a0 rolls it back
"""
import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))

RELEASES = [
    ("v1.0.0", {}),
    ("v1.1.0", {}),
    ("v1.2.0", {"extra_imports": ["a0_sample_plugins"]}),
    ("v1.3.0", {"migrates_notes": True}),
]


def git(*args, cwd=None):
    env = dict(os.environ, GIT_AUTHOR_DATE="2026-01-01T00:00:00Z", GIT_COMMITTER_DATE="2026-01-01T00:00:00Z")
    subprocess.run(["git", "-c", "user.name=a0 sample", "-c", "user.email=sample@a0.invalid",
                    "-c", "init.defaultBranch=main", *args], cwd=cwd, env=env, check=True,
                   stdout=subprocess.DEVNULL)


def build_wheel(wheelhouse):
    name, version = "a0_sample_dep", "1.0.0"
    dist = f"{name}-{version}.dist-info"
    files = {
        f"{name}.py": open(os.path.join(HERE, "dependency", f"{name}.py"), "rb").read(),
        f"{dist}/METADATA": f"Metadata-Version: 2.1\nName: a0-sample-dep\nVersion: {version}\n".encode(),
        f"{dist}/WHEEL": b"Wheel-Version: 1.0\nGenerator: a0-sample\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = []
    for path, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(data)}")
    record.append(f"{dist}/RECORD,,")
    files[f"{dist}/RECORD"] = ("\n".join(record) + "\n").encode()
    os.makedirs(wheelhouse, exist_ok=True)
    with zipfile.ZipFile(os.path.join(wheelhouse, f"{name}-{version}-py3-none-any.whl"), "w") as archive:
        for path, data in files.items():
            info = zipfile.ZipInfo(path, date_time=(2026, 1, 1, 0, 0, 0))
            archive.writestr(info, data)


def main():
    dest = os.path.abspath(sys.argv[1])
    bare = os.path.join(dest, "upstream", "a0", "sample-app.git")
    work = os.path.join(dest, "upstream", "work")
    for path in (bare, work):
        shutil.rmtree(path, ignore_errors=True)
    os.makedirs(os.path.dirname(bare), exist_ok=True)
    git("init", "-q", "--bare", bare)
    git("init", "-q", work)
    for version, features in RELEASES:
        shutil.copy(os.path.join(HERE, "src", "app.py"), work)
        shutil.copy(os.path.join(HERE, "src", "requirements.txt"), work)
        os.makedirs(os.path.join(work, "data"), exist_ok=True)
        open(os.path.join(work, "data", ".gitkeep"), "w").close()
        with open(os.path.join(work, "config.json"), "w") as handle:
            json.dump({"greeting": "hello", "version": version}, handle)
        with open(os.path.join(work, "release.json"), "w") as handle:
            json.dump({"version": version, **features}, handle, sort_keys=True)
        git("add", "-A", cwd=work)
        git("commit", "-q", "-m", f"release {version}", cwd=work)
        git("tag", "-a", version, "-m", f"sample app {version}", cwd=work)
    git("push", "-q", bare, "HEAD:refs/heads/main", "--tags", cwd=work)
    shutil.rmtree(work)
    build_wheel(os.path.join(dest, "wheelhouse"))
    print(bare)


if __name__ == "__main__":
    main()
