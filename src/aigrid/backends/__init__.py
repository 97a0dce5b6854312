"""Execution backends behind one small protocol: `submit`, `cancel`, `poll`.

Optional capabilities are protocols of their own (`SupportsLogs`, `SupportsPollMany`,
`SupportsPing`). `LocalExecutor` runs jobs as processes on this machine; `RayBackend` submits
them to a Ray cluster's Jobs API; `MockBackend` takes a handler function and is for tests.
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
    SupportsPing,
    SupportsPollMany,
)
from aigrid.backends.local import LocalExecutor
from aigrid.backends.mock import MockBackend, MockCall
from aigrid.backends.ray import RayBackend

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
    "Submitted",
    "SupportsLogs",
    "SupportsPing",
    "SupportsPollMany",
]
