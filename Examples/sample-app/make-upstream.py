#!/usr/bin/env python3
"""Publishes the sample app as a local bare git repository with release tags,
and its dependencies in a local wheelhouse: one as wheels (1.0.0, which
requirements.txt pins, and 1.0.1, which requirements2.txt pins over it, as
Agent Zero's requirements2.txt overrides its requirements.txt), one as a
source distribution only (built at install time when [python] source_builds
names it). Offline and deterministic.

    make-upstream.py DEST [--extra-dependencies N]

creates DEST/upstream/a0/sample-app.git and DEST/wheelhouse/. With
--extra-dependencies, every release also requires N generated pure-Python
packages (about 90 modules and 1.3 MiB installed each, like a mid-sized
library), so that installing is a real part of a staging, as it is for
Agent Zero; the benchmarks use it. The releases:
  v1.0.0, v1.1.0  good
  v1.2.0          imports a module that does not exist: validation rejects it
  v1.3.0          passes validation, but in production migrates the user's
                  notes in place and then reports unhealthy: a0 rolls it back
"""
import base64
import hashlib
import io
import json
import os
import random
import shutil
import subprocess
import sys
import tarfile
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


def build_wheel(wheelhouse, name="a0_sample_dep", version="1.0.0", modules=None):
    dist = f"{name}-{version}.dist-info"
    files = modules or {f"{name}.py": open(os.path.join(HERE, "dependency", f"{name}.py"), "rb").read()}
    project = name.replace("_", "-")
    files.update({
        f"{dist}/METADATA": f"Metadata-Version: 2.1\nName: {project}\nVersion: {version}\n".encode(),
        f"{dist}/WHEEL": b"Wheel-Version: 1.0\nGenerator: a0-sample\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    })
    record = []
    for path, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(data)}")
    record.append(f"{dist}/RECORD,,")
    files[f"{dist}/RECORD"] = ("\n".join(record) + "\n").encode()
    os.makedirs(wheelhouse, exist_ok=True)
    with zipfile.ZipFile(os.path.join(wheelhouse, f"{name}-{version}-py3-none-any.whl"), "w",
                         zipfile.ZIP_DEFLATED) as archive:
        for path, data in files.items():
            info = zipfile.ZipInfo(path, date_time=(2026, 1, 1, 0, 0, 0))
            archive.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)


def build_sdist(wheelhouse):
    """a0-sample-plain as a source distribution only: no wheel of it exists."""
    root = "a0_sample_plain-1.0.0"
    source = os.path.join(HERE, "source-only")
    files = {
        "pyproject.toml": b'[build-system]\nrequires = []\nbuild-backend = "backend"\nbackend-path = ["."]\n\n'
                          b'[project]\nname = "a0-sample-plain"\nversion = "1.0.0"\n',
        "PKG-INFO": b"Metadata-Version: 2.1\nName: a0-sample-plain\nVersion: 1.0.0\n",
        "backend.py": open(os.path.join(source, "backend.py"), "rb").read(),
        "a0_sample_plain.py": open(os.path.join(source, "a0_sample_plain.py"), "rb").read(),
    }
    os.makedirs(wheelhouse, exist_ok=True)
    with tarfile.open(os.path.join(wheelhouse, root + ".tar.gz"), "w:gz", format=tarfile.PAX_FORMAT) as archive:
        for path, data in sorted(files.items()):
            info = tarfile.TarInfo(root + "/" + path)
            info.size, info.mtime, info.mode = len(data), 1767225600, 0o644
            archive.addfile(info, io.BytesIO(data))


def extra_dependencies(wheelhouse, count):
    """Deterministic packages of Python-like source; returns their requirement lines."""
    rng = random.Random(1)
    words = ["def", "return", "self", "value", "import", "class", "None", "for", "in", "if", "else", "data"]
    lines = []
    for index in range(count):
        name, version = "a0_extra_dep%02d" % index, "1.0.%d" % index
        modules = {f"{name}/__init__.py": b""}
        for module in range(90):
            body = ["    " + " ".join(rng.choice(words) for _ in range(8)) for _ in range(rng.randint(50, 600))]
            modules[f"{name}/m{module:03d}.py"] = ("# generated\n" + "\n".join(body) + "\n").encode()
        build_wheel(wheelhouse, name, version, modules)
        lines.append("%s==%s" % (name.replace("_", "-"), version))
    return lines


def main():
    dest = os.path.abspath(sys.argv[1])
    extra = int(sys.argv[3]) if len(sys.argv) == 4 and sys.argv[2] == "--extra-dependencies" else 0
    wheelhouse = os.path.join(dest, "wheelhouse")
    extra_lines = extra_dependencies(wheelhouse, extra)
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
        shutil.copy(os.path.join(HERE, "src", "requirements2.txt"), work)
        if extra_lines:
            with open(os.path.join(work, "requirements.txt"), "a") as handle:
                handle.write("".join(line + "\n" for line in extra_lines))
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
    build_wheel(wheelhouse)
    # What requirements2.txt pins over requirements.txt's 1.0.0.
    build_wheel(wheelhouse, version="1.0.1", modules={
        "a0_sample_dep.py": b'def greeting():\n    return "hello from a0-sample-dep 1.0.1"\n'})
    build_sdist(wheelhouse)
    print(bare)


if __name__ == "__main__":
    main()
