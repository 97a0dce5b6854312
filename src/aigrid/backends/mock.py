"""A backend for tests, driven by a handler function (as httpx's MockTransport is).

The handler is called on every poll with a `MockCall` (the launch, how many polls came before,
whether a cancel was asked) and returns the status to report. Setting `unreachable` makes every
call raise that error, as a backend whose controller is down would. It says so: this is no
backend.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from aigrid.backends.base import (
    BackendError,
    BackendUnreachable,
    Launch,
    RunState,
    RunStatus,
    Submitted,
)


@dataclass(slots=True)
class MockCall:
    launch: Launch
    polls: int = 0
    cancelled: bool = False
    noticed: bool = False
    """Told it is about to be stopped (a preemption with a grace period)."""


def completes(call: MockCall) -> RunStatus:
    """The default handler: a job completes with exit code 0 at its first poll (or is cancelled)."""
    if call.cancelled:
        return RunStatus(RunState.CANCELLED)
    return RunStatus(RunState.COMPLETED, exit_code=0)


class MockBackend:
    name = "mock"

    def __init__(self, handler: Callable[[MockCall], RunStatus] = completes) -> None:
        self.handler = handler
        self.calls: dict[str, MockCall] = {}
        self.submits = 0
        """Every submit, duplicates included."""
        self.unreachable: BackendUnreachable | None = None
        """When set, every call raises it."""

    def ping(self) -> None:
        self._reach()

    def submit(self, launch: Launch) -> Submitted:
        self._reach()
        self.submits += 1
        if launch.key in self.calls:
            return Submitted(launch.key, duplicate=True)
        self.calls[launch.key] = MockCall(launch)
        return Submitted(launch.key)

    def cancel(self, handle: str) -> None:
        self._reach()
        self._call(handle).cancelled = True

    def notice(self, handle: str) -> None:
        self._reach()
        self._call(handle).noticed = True

    def poll(self, handle: str) -> RunStatus:
        self._reach()
        call = self._call(handle)
        status = self.handler(call)
        call.polls += 1
        return status

    def logs(self, handle: str, max_bytes: int) -> str | None:
        call = self.calls.get(handle)
        return None if call is None else f"mock run of {' '.join(call.launch.command)}\n"

    def _reach(self) -> None:
        if self.unreachable is not None:
            raise self.unreachable

    def _call(self, handle: str) -> MockCall:
        try:
            return self.calls[handle]
        except KeyError:
            raise BackendError(f"the mock backend has no job {handle!r}") from None
