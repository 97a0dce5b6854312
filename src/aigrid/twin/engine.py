"""A small deterministic discrete-event core.

Events sit in one heap as `(time, priority, sequence, kind, payload)`. Time moves in exactly one
place (`step`). Ties at the same time are broken by priority (lower first), then by the order in
which events were scheduled, so a run is a pure function of its inputs. An exception in a
handler stops the run: a failure is never swallowed.

Handlers are registered per kind (a small int) so that dispatch is a list index, not a dict of
closures: the engine stays out of the way of a million-job run.

One event may wait beside the heap instead of in it (`schedule_now`): an event at the current
time, such as the twin's scheduling pass, which is asked for at most once an instant but at
nearly every instant. It keeps its place in the order above, so a run is the same event for
event; it only skips a push and a pop through a heap of every job's ending.
"""

from __future__ import annotations

import gc
import heapq
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

Handler = Callable[[float, Any], None]


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause Python's cycle collector for a run. A run makes almost no cyclic garbage, but
    each full collection walks every live job, queue and node record: a sixth of a national
    run's time. Nests; the collector is back as it was afterwards."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


class EventEngine:
    __slots__ = ("_handlers", "_heap", "_now_event", "_seq", "events", "log", "now")

    def __init__(self, *, log: bool = False) -> None:
        self.now = 0.0
        self.events = 0
        self._heap: list[tuple[float, int, int, int, Any]] = []
        self._seq = 0
        self._handlers: list[Handler] = []
        self.log: list[tuple[float, int, Any]] | None = [] if log else None
        self._now_event: tuple[int, int, int] | None = None
        """(priority, sequence, kind) of the event `schedule_now` keeps beside the heap, at
        time `now`; None when there is none."""

    def register(self, handler: Handler) -> int:
        """Register a handler and return the event kind that reaches it."""
        self._handlers.append(handler)
        return len(self._handlers) - 1

    def schedule(self, time: float, kind: int, payload: Any = None, priority: int = 0) -> None:
        if time < self.now:
            raise ValueError(f"cannot schedule an event at {time} before now ({self.now})")
        self._seq += 1
        heapq.heappush(self._heap, (time, priority, self._seq, kind, payload))

    def schedule_now(self, kind: int, priority: int = 0) -> None:
        """`schedule(now, kind, None, priority)`, the event held beside the heap (see the
        module's docstring). One such event waits at a time; another goes to the heap."""
        self._seq += 1
        if self._now_event is None:
            self._now_event = (priority, self._seq, kind)
        else:
            heapq.heappush(self._heap, (self.now, priority, self._seq, kind, None))

    def peek(self) -> float | None:
        """Time of the next event, or None if there is none."""
        if self._now_event is not None:
            return self.now
        return self._heap[0][0] if self._heap else None

    def step(self) -> None:
        waiting = self._now_event
        heap = self._heap
        if waiting is not None and (
            not heap or (heap[0][0], heap[0][1], heap[0][2]) > (self.now, waiting[0], waiting[1])
        ):
            self._now_event = None
            time, kind, payload = self.now, waiting[2], None
        else:
            time, _prio, _seq, kind, payload = heapq.heappop(heap)
            self.now = time
        self.events += 1
        if self.log is not None:
            self.log.append((time, kind, payload))
        self._handlers[kind](time, payload)

    def run(self, until: float | None = None) -> None:
        """Process events in order until none is left, or until the next is after `until`
        (then time is set to `until`)."""
        heap = self._heap
        while heap or self._now_event is not None:
            if until is not None and self._now_event is None and heap[0][0] > until:
                break
            self.step()
        if until is not None and until > self.now:
            self.now = until

    def __len__(self) -> int:
        return len(self._heap) + (self._now_event is not None)
