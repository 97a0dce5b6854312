"""What every service needs: the store, a clock, a way to wake the scheduling loop, and where
to read job logs. Passed in explicitly; there is no module-level state."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from aigrid.live.store import Store
from aigrid.scheduler import OrderBreakdown


def _nothing() -> None:
    return None


@dataclass(slots=True)
class ServiceContext:
    store: Store
    clock: Callable[[], float] = time.time
    wake_loop: Callable[[], None] = field(default=_nothing)
    """Called after a change the scheduling loop should see soon (a submit, a cancel)."""
    read_logs: Callable[[str | None, str, int], str | None] | None = None
    """(backend name, backend handle, max bytes) -> the tail of the run's log, or None if there
    is none."""
    pool_ids: tuple[str, ...] = ()
    """The fleet's pool ids in fleet order (placements name pools by position)."""
    health: Callable[[], dict[str, int]] | None = None
    """Figures of the scheduling loop for /healthz and /metrics (pending, running, cycles ...)."""
    explain: Callable[[int], OrderBreakdown | None] | None = None
    """Job id -> its place in the scheduler's order now, factor by factor; None when the loop
    does not hold it pending."""
