"""A PEP 517 build backend inside the source distribution, so that building
it needs nothing from a package index (the sample's install is offline)."""
import base64
import hashlib
import os
import zipfile

NAME, VERSION = "a0_sample_plain", "1.0.0"
HERE = os.path.dirname(os.path.abspath(__file__))


def get_requires_for_build_wheel(config_settings=None):
    return []


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    dist = "%s-%s.dist-info" % (NAME, VERSION)
    files = {
        NAME + ".py": open(os.path.join(HERE, NAME + ".py"), "rb").read(),
        dist + "/METADATA": ("Metadata-Version: 2.1\nName: a0-sample-plain\nVersion: %s\n" % VERSION).encode(),
        dist + "/WHEEL": b"Wheel-Version: 1.0\nGenerator: a0-sample\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = []
    for path, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append("%s,sha256=%s,%d" % (path, digest, len(data)))
    record.append(dist + "/RECORD,,")
    files[dist + "/RECORD"] = ("\n".join(record) + "\n").encode()
    name = "%s-%s-py3-none-any.whl" % (NAME, VERSION)
    with zipfile.ZipFile(os.path.join(wheel_directory, name), "w", zipfile.ZIP_DEFLATED) as archive:
        for path, data in files.items():
            archive.writestr(zipfile.ZipInfo(path, date_time=(2026, 1, 1, 0, 0, 0)), data)
    return name
