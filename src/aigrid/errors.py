"""The error hierarchy. Every error a user can cause carries the exit code the CLI ends with."""

from __future__ import annotations


class AigridError(Exception):
    """Base of all errors aigrid raises on purpose. `exit_code` is what the CLI exits with."""

    exit_code: int = 1


class UsageError(AigridError):
    """Bad input from the user: a file, an option, a name that does not exist."""

    exit_code = 2


class InvalidTransitionError(RuntimeError):
    """A job was asked to move along an edge its state machine does not have (`aigrid.model`).

    A bug, not a user's error. It lives here rather than beside the job because the model is
    compiled (`aigrid.compiled`), and compiled classes cannot subclass built-in exceptions."""

    def __init__(self, job_id: int, src: str, dst: str) -> None:
        super().__init__(f"job {job_id}: cannot go from {src} to {dst}")
        self.job_id = job_id
        self.src = src
        self.dst = dst
