#!/usr/bin/env python3
"""Writes a home's config.toml for the sample app from config.toml.in.

    render-config.py DEST name=value...

Names: upstream, installer, wheelhouse, service, home, port, signers,
health_timeout, stable_seconds. Values go into TOML strings, so they are
escaped as TOML basic strings need.
"""
import os
import string
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    dest, pairs = sys.argv[1], sys.argv[2:]
    values = dict(pair.split("=", 1) for pair in pairs)
    escaped = {key: value.replace("\\", "\\\\").replace('"', '\\"') for key, value in values.items()}
    with open(os.path.join(HERE, "config.toml.in")) as template:
        text = string.Template(template.read()).substitute(escaped)
    with open(dest, "w") as out:
        out.write(text)


if __name__ == "__main__":
    main()
