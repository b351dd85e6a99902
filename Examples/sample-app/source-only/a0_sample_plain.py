"""A dependency of the sample app published only as a source distribution,
as seven of Agent Zero's are: installing it means building it."""


def word():
    return "built from source"
