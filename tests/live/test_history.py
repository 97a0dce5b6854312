"""What-if on real history: the live store's jobs, as they ran and under another policy."""

from __future__ import annotations

import tempfile

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console
from sqlalchemy import select

from aigrid.backends import MockBackend, MockCall, RunState, RunStatus
from aigrid.cli.history import replay_history
from aigrid.live.history import load_history
from aigrid.live.loop import SchedulingLoop
from aigrid.live.service.jobs import JobRequest, submit
from aigrid.live.store import Store, upgrade
from aigrid.live.store.models import JobRow
from aigrid.report.i18n import Lang
from aigrid.scheduler import Policy
from aigrid.twin.recorded import RecordedWorld
from aigrid.twin.run import run_recorded
from tests.cli import run_aigrid
from tests.live.test_loop import setup


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def _history(store: Store) -> str:
    """Two 4-GPU jobs submitted at 1000 s on a 4-GPU fleet, each running 1,800 s. The loop
    looks at 1001 s (A starts), 2801 s (A has ended, B starts) and 4601 s (B has ended): the
    record says A waited 1 s and B 1,801 s."""
    ctx, admin = setup(store)
    for _ in range(2):
        submit(ctx, admin, JobRequest("o", "p", 4, 3600, ["x"]))
    clock = Clock(1001.0)
    started: dict[str, float] = {}

    def runs_half_an_hour(call: MockCall) -> RunStatus:
        t0 = started.setdefault(call.launch.key, clock.now)
        if clock.now >= t0 + 1800.0:
            return RunStatus(RunState.COMPLETED, 0, started_s=t0, ended_s=t0 + 1800.0)
        return RunStatus(RunState.RUNNING, started_s=t0)

    loop = SchedulingLoop(store, MockBackend(runs_half_an_hour), Policy(), clock=clock)
    for now in (1001.0, 1001.0, 2801.0, 2801.0, 4601.0):
        clock.now = now
        loop.cycle()
    return str(store.engine.url.render_as_string(hide_password=False))


def test_the_record_is_replayed_as_it_ran_and_the_policy_as_it_would_have(store: Store) -> None:
    url = _history(store)
    live, fifo = replay_history(
        url, Policy.parse("fifo"), out=None, lang=Lang.EN, console=Console(width=200)
    )
    assert live["policy"] == "live" and fifo["policy"] == "fifo"
    assert live["recorded"] == {
        "jobs": 2,
        "started": 2,
        "cancelled_before_start_left_out": 0,
        "late_starts": 0,
    }
    live_wait = live["wait_hours"]["by_tenant_class"]["sme"]
    fifo_wait = fifo["wait_hours"]["by_tenant_class"]["sme"]
    # As recorded: 1 s and 1,801 s. Under FIFO from submission: 0 s and 1,800 s.
    assert live_wait["jobs"] == fifo_wait["jobs"] == 2
    assert live_wait["mean"] == pytest.approx((1 + 1801) / 2 / 3600, abs=1e-4)
    assert fifo_wait["mean"] == pytest.approx((0 + 1800) / 2 / 3600, abs=1e-4)
    # Both ran the same work: two jobs of 4 GPUs for half an hour.
    for s in (live, fifo):
        assert s["gpu_hours"]["by_tenant_class"]["sme"]["served"] == pytest.approx(4.0)
        assert s["jobs"]["completed"] == 2


def test_cli_prints_both_scorecards_side_by_side(
    store: Store, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    url = _history(store)
    r = run_aigrid(capsys, monkeypatch, "twin", "replay", "--from-db", url, "--policy", "fifo")
    assert r.exit_code == 0, r.err
    assert "2 live jobs replayed" in r.out
    assert "median wait live 901.0 s, under fifo 900.0 s" in r.out
    assert "live (seed 0)" in r.out and "fifo (seed 0)" in r.out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from-db", "x.db", "trace.csv"], "not both"),
        (["trace.csv"], "--format"),
    ],
)
def test_replay_needs_a_trace_or_a_store(
    args: list[str],
    message: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    r = run_aigrid(capsys, monkeypatch, "twin", "replay", *args)
    assert r.exit_code == 2
    assert message in r.err


@settings(max_examples=12, deadline=None)
@given(
    jobs=st.lists(
        st.tuples(
            st.sampled_from([1, 2, 3, 4]),  # GPUs
            st.integers(0, 3),  # submitted before the k-th look of the loop
            st.integers(1, 4),  # runs for this many looks
        ),
        min_size=1,
        max_size=8,
    )
)
def test_the_record_replays_exactly_what_the_live_loop_did(
    jobs: list[tuple[int, int, int]],
) -> None:
    """Whatever the live loop did with a handful of jobs, the recorded run starts and ends each
    job at the same moments, on the same GPUs, and so reports the same waits."""
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(f"{tmp}/h.db")
        upgrade(store.engine)
        try:
            _random_history(store, jobs)
            history = load_history(store)
            with store.read() as s:
                rows = {r.id: r for r in s.scalars(select(JobRow)).all()}
        finally:
            store.close()
    days = history.span_s / 86400.0 + 1.0
    run = run_recorded(history.scenario, history.jobs, history.records, days=days)
    assert isinstance(run.world, RecordedWorld) and run.world.late_starts == 0
    t0 = min(r.submit_s for r in rows.values())
    for job in run.jobs:
        row = rows[job.id]
        if row.first_start_s is None:
            assert job.first_start_s is None
            continue
        assert job.first_start_s == pytest.approx(row.first_start_s - t0)
        assert job.placement is not None and row.placement is not None
        assert list(job.placement.nodes) == row.placement["nodes"]
        if row.end_s is not None:
            assert job.end_s == pytest.approx(row.end_s - t0)


def _random_history(store: Store, jobs: list[tuple[int, int, int]]) -> None:
    """Jobs submitted between the looks of a live loop (one look every 100 s) on 4 GPUs; each
    runs for a whole number of looks once the backend has it."""
    ctx, admin = setup(store)
    clock = Clock(1000.0)
    ctx.clock = clock
    looks = {str(k): n for k, (_g, _at, n) in enumerate(jobs)}
    started: dict[str, int] = {}
    look = 0

    def runs_for_some_looks(call: MockCall) -> RunStatus:
        first = started.setdefault(call.launch.key, look)
        if look - first >= looks_of[call.launch.key]:
            return RunStatus(RunState.COMPLETED, 0)
        return RunStatus(RunState.RUNNING)

    looks_of: dict[str, int] = {}
    loop = SchedulingLoop(store, MockBackend(runs_for_some_looks), Policy(), clock=clock)
    for look in range(12):
        clock.now = 1000.0 + 100.0 * look
        for k, (gpus, at, _n) in enumerate(jobs):
            if at == look:
                jid = submit(ctx, admin, JobRequest("o", "p", gpus, 3600, ["x"])).id
                looks_of[str(jid)] = looks[str(k)]
        loop.cycle()
