"""The event core: order of events, ties, and time."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aigrid.twin.engine import EventEngine


def test_events_run_in_time_then_priority_then_schedule_order() -> None:
    e = EventEngine(log=True)
    seen: list[str] = []
    k = e.register(lambda t, p: seen.append(f"{t:g}:{p}"))
    e.schedule(2.0, k, "late")
    e.schedule(1.0, k, "second-at-1", priority=1)
    e.schedule(1.0, k, "first-at-1", priority=0)
    e.schedule(1.0, k, "third-at-1", priority=1)
    e.run()
    assert seen == ["1:first-at-1", "1:second-at-1", "1:third-at-1", "2:late"]
    assert e.log is not None
    assert [(t, p) for t, _k, p in e.log] == [
        (1.0, "first-at-1"),
        (1.0, "second-at-1"),
        (1.0, "third-at-1"),
        (2.0, "late"),
    ]
    assert e.events == 4


def test_handlers_may_schedule_more_and_run_stops_at_until() -> None:
    e = EventEngine()
    ticks: list[float] = []

    def tick(t: float, _p: object) -> None:
        ticks.append(t)
        e.schedule(t + 10, k)

    k = e.register(tick)
    e.schedule(0.0, k)
    e.run(until=35)
    assert ticks == [0, 10, 20, 30]
    assert e.now == 35
    assert e.peek() == 40


def test_scheduling_in_the_past_is_an_error() -> None:
    e = EventEngine()
    k = e.register(lambda t, p: None)
    e.schedule(5.0, k)
    e.run()
    with pytest.raises(ValueError, match="before now"):
        e.schedule(4.0, k)


def test_a_failing_handler_stops_the_run() -> None:
    e = EventEngine()

    def boom(t: float, _p: object) -> None:
        raise RuntimeError("boom")

    k = e.register(boom)
    e.schedule(1.0, k)
    with pytest.raises(RuntimeError, match="boom"):
        e.run()


def _replay(script: list[tuple[int, int, int]], beside: bool) -> list[tuple[float, int, object]]:
    """Run a script of events whose handlers schedule more, some at the current time; with
    `beside`, those go through `schedule_now`, else through `schedule(now, ...)`."""
    e = EventEngine(log=True)
    kinds: list[int] = []

    def handler(t: float, payload: object) -> None:
        step = int(payload) if isinstance(payload, int) else len(e.log or ())
        if step >= len(script):
            return
        delay, prio, action = script[step]
        if action == 0:
            e.schedule(t + delay, kinds[prio % 3], step + 1, priority=prio)
        elif beside:
            e.schedule_now(kinds[prio % 3], priority=prio)
        else:
            e.schedule(t, kinds[prio % 3], None, priority=prio)
        if action == 2:  # and one more for the same instant, through the heap
            e.schedule(t, kinds[(prio + 1) % 3], step + 1, priority=(prio + 1) % 4)

    kinds.extend(e.register(handler) for _ in range(3))
    for i, (delay, prio, _action) in enumerate(script[:4]):
        e.schedule(float(delay), kinds[prio % 3], i, priority=prio)
    e.run(until=100.0)
    assert e.log is not None
    return e.log


@settings(max_examples=200, deadline=None)
@given(
    script=st.lists(
        st.tuples(st.integers(0, 5), st.integers(0, 3), st.integers(0, 2)), min_size=1, max_size=40
    )
)
def test_an_event_beside_the_heap_keeps_its_place_in_the_order(
    script: list[tuple[int, int, int]],
) -> None:
    assert _replay(script, beside=True) == _replay(script, beside=False)


def test_peek_and_len_count_the_event_beside_the_heap() -> None:
    e = EventEngine()
    seen: list[str] = []
    now_kind = e.register(lambda t, p: seen.append(f"now@{t:g}"))

    def event(t: float, p: object) -> None:
        seen.append(f"{p}@{t:g}")
        e.schedule_now(now_kind, 5)

    k = e.register(event)
    e.schedule(3.0, k, "a")
    e.schedule(3.0, k, "b", priority=9)
    e.step()
    assert (e.peek(), len(e)) == (3.0, 2)
    e.run()
    assert seen == ["a@3", "now@3", "b@3", "now@3"]
    assert e.events == 4
