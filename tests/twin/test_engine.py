"""The event core: order of events, ties, and time."""

from __future__ import annotations

import pytest

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
