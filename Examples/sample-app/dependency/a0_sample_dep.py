"""A dependency of the sample app, shipped as a wheel in a local wheelhouse."""


def greeting():
    return "hello from a0-sample-dep 1.0.0"
