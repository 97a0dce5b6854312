"""A small deterministic discrete-event core.

Events sit in one heap, ordered by `(time, priority, sequence)`. Time moves in exactly one
place (`step`). Ties at the same time are broken by priority (lower first), then by the order in
which events were scheduled, so a run is a pure function of its inputs. An exception in a
handler stops the run: a failure is never swallowed.

Handlers are registered per kind (a small int) so that dispatch is a list index, not a dict of
closures: the engine stays out of the way of a million-job run.

One event may wait beside the heap instead of in it (`schedule_now`): an event at the current
time, such as the twin's scheduling pass, which is asked for at most once an instant but at
nearly every instant. It keeps its place in the order above, so a run is the same event for
event; it only skips a push and a pop through a heap of every job's ending.

An event is a small object that orders itself (`Event.__lt__`), not a tuple: compiled, heapq
compares two of them in about a third of the time it takes for two tuples, which compare
element by element through the generic protocol.
"""

from __future__ import annotations

import gc
import heapq
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

Handler = Callable[[float, Any], None]


class Event:
    """One scheduled event: at `time`, `kind`'s handler gets `payload`. Ordered by time, then
    priority (lower first), then sequence (the order of scheduling)."""

    __slots__ = ("kind", "payload", "priority", "seq", "time")

    def __init__(self, time: float, priority: int, seq: int, kind: int, payload: Any) -> None:
        self.time = time
        self.priority = priority
        self.seq = seq
        self.kind = kind
        self.payload = payload

    def __lt__(self, other: Event) -> bool:
        if self.time != other.time:
            return self.time < other.time
        if self.priority != other.priority:
            return self.priority < other.priority
        return self.seq < other.seq


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
        self._heap: list[Event] = []
        self._seq = 0
        self._handlers: list[Handler] = []
        self.log: list[tuple[float, int, Any]] | None = [] if log else None
        self._now_event: Event | None = None
        """The event `schedule_now` keeps beside the heap, at time `now`; None when there is
        none."""

    def register(self, handler: Handler) -> int:
        """Register a handler and return the event kind that reaches it."""
        self._handlers.append(handler)
        return len(self._handlers) - 1

    def schedule(self, time: float, kind: int, payload: Any = None, priority: int = 0) -> None:
        if time < self.now:
            raise ValueError(f"cannot schedule an event at {time} before now ({self.now})")
        self._seq += 1
        heapq.heappush(self._heap, Event(time, priority, self._seq, kind, payload))

    def schedule_now(self, kind: int, priority: int = 0) -> None:
        """`schedule(now, kind, None, priority)`, the event held beside the heap (see the
        module's docstring). One such event waits at a time; another goes to the heap."""
        self._seq += 1
        event = Event(self.now, priority, self._seq, kind, None)
        if self._now_event is None:
            self._now_event = event
        else:
            heapq.heappush(self._heap, event)

    def peek(self) -> float | None:
        """Time of the next event, or None if there is none."""
        if self._now_event is not None:
            return self.now
        return self._heap[0].time if self._heap else None

    def step(self) -> None:
        event = self._now_event
        heap = self._heap
        if event is not None and (not heap or event < heap[0]):
            self._now_event = None
        else:
            event = heapq.heappop(heap)
            self.now = event.time
        self.events += 1
        if self.log is not None:
            self.log.append((event.time, event.kind, event.payload))
        self._handlers[event.kind](event.time, event.payload)

    def run(self, until: float | None = None) -> None:
        """Process events in order until none is left, or until the next is after `until`
        (then time is set to `until`)."""
        heap = self._heap
        while heap or self._now_event is not None:
            if until is not None and self._now_event is None and heap[0].time > until:
                break
            self.step()
        if until is not None and until > self.now:
            self.now = until

    def __len__(self) -> int:
        return len(self._heap) + (self._now_event is not None)
