"""Execution backends behind one small protocol: `submit`, `cancel`, `poll`.

Optional capabilities are protocols of their own (`SupportsLogs`, `SupportsPollMany`,
`SupportsPing`). `LocalExecutor` runs jobs as processes on this machine; `SlurmBackend` submits
them to a Slurm partition with `sbatch`; `RayBackend` submits them to a Ray cluster's Jobs API;
`MockBackend` takes a handler function and is for tests.
"""

from aigrid.backends.base import (
    Backend,
    BackendError,
    BackendUnreachable,
    Launch,
    RunState,
    RunStatus,
    Submitted,
    SupportsLogs,
    SupportsNotice,
    SupportsPing,
    SupportsPollMany,
)
from aigrid.backends.local import LocalExecutor
from aigrid.backends.mock import MockBackend, MockCall
from aigrid.backends.ray import RayBackend
from aigrid.backends.slurm import SlurmBackend

__all__ = [
    "Backend",
    "BackendError",
    "BackendUnreachable",
    "Launch",
    "LocalExecutor",
    "MockBackend",
    "MockCall",
    "RayBackend",
    "RunState",
    "RunStatus",
    "SlurmBackend",
    "Submitted",
    "SupportsLogs",
    "SupportsNotice",
    "SupportsPing",
    "SupportsPollMany",
]
