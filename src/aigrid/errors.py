"""The error hierarchy. Every error a user can cause carries the exit code the CLI ends with."""

from __future__ import annotations


class AigridError(Exception):
    """Base of all errors aigrid raises on purpose. `exit_code` is what the CLI exits with."""

    exit_code: int = 1


class UsageError(AigridError):
    """Bad input from the user: a file, an option, a name that does not exist."""

    exit_code = 2
