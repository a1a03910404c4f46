"""Errors the CLI turns into one clear line and a non-zero exit code."""


class AffectlabError(Exception):
    """A user-facing error: the message names the file or value and what was expected."""
