"""The backend protocol: what the scheduling loop needs from whatever runs jobs.

A job's key is the aigrid job id (as text); submitting a key the backend has seen before must
not start it again (`Submitted.duplicate`), which is what makes a dispatch safe to repeat after a
restart of the server.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol, runtime_checkable

from aigrid.errors import AigridError


class BackendError(AigridError):
    """A backend could not do what was asked (the job fails with this message)."""


class BackendUnreachable(BackendError):  # noqa: N818 - the name the backends share
    """The backend did not answer (connection refused, timed out): nothing is known of what was
    asked, and asking again later is safe (submits are idempotent by key).

    The scheduling loop keeps the jobs bound for the backend waiting, leaves its running jobs as
    they were, and tries again later. `sent`: the request may have reached the backend (a call
    that timed out). A submit that may have been sent stays bound to the backend, to be looked up
    by its key when it is back; one that certainly was not (the connection was refused) goes back
    in line.
    """

    def __init__(self, message: str, *, sent: bool = True) -> None:
        super().__init__(message)
        self.sent = sent


class RunState(StrEnum):
    STARTING = "starting"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    TIMED_OUT = "timed_out"
    CANCELLED = "cancelled"
    LOST = "lost"
    """The backend never started the job (it may be submitted again, safely)."""

    @property
    def ended(self) -> bool:
        return self in (
            RunState.COMPLETED,
            RunState.FAILED,
            RunState.TIMED_OUT,
            RunState.CANCELLED,
        )


@dataclass(frozen=True, slots=True)
class Launch:
    """What to run: `devices` are the GPU indices on each node of the placement.

    `gpu_share_milli` (1..999) says the job holds that share of its one device, which other
    jobs' shares may use too; 0: its devices are its own."""

    key: str
    command: tuple[str, ...]
    walltime_s: float
    env: Mapping[str, str] = field(default_factory=dict)
    nodes: tuple[str, ...] = ()
    devices: tuple[tuple[int, ...], ...] = ()
    workdir: str | None = None
    gpu_share_milli: int = 0


@dataclass(frozen=True, slots=True)
class Submitted:
    handle: str
    duplicate: bool = False
    """The backend knew the key already and did not start the job again."""


@dataclass(frozen=True, slots=True)
class RunStatus:
    state: RunState
    exit_code: int | None = None
    started_s: float | None = None
    ended_s: float | None = None
    detail: str = ""


class Backend(Protocol):
    """What every backend does."""

    name: str

    def submit(self, launch: Launch) -> Submitted: ...

    def cancel(self, handle: str) -> None: ...

    def poll(self, handle: str) -> RunStatus: ...


@runtime_checkable
class SupportsLogs(Protocol):
    """A backend that keeps each job's output."""

    def logs(self, handle: str, max_bytes: int) -> str | None: ...


@runtime_checkable
class SupportsPollMany(Protocol):
    """A backend that tells the status of many runs in one call (one `squeue` for all)."""

    def poll_many(self, handles: Sequence[str]) -> dict[str, RunStatus]: ...


@runtime_checkable
class SupportsNotice(Protocol):
    """A backend that can tell a running job it is about to be stopped, and leave it running:
    SIGTERM to the job's processes, so that it saves its work in its grace period (Slurm's
    `GraceTime`). The loop stops it with `cancel` when the grace period ends."""

    def notice(self, handle: str) -> None: ...


@runtime_checkable
class SupportsPing(Protocol):
    """A backend that can tell cheaply whether it is reachable (raises `BackendUnreachable`)."""

    def ping(self) -> None: ...
