"""The user-facing error family: each message is written for the person who typed the input."""

from __future__ import annotations


class BythandError(Exception):
    """An error the user can fix; the CLI prints it as one `Error:` line with exit code 2."""


class ProblemError(BythandError):
    """A problem file, inline matrix or option that cannot be used, with where it went wrong."""
