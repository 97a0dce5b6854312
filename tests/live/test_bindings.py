"""Pools bound to different backends under one scheduling loop, with mock backends: each job
runs on the backend of the pool it was placed on, is polled and cancelled through the backend
recorded on its row, and a backend that cannot be reached loses nothing and runs nothing twice."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import select

from aigrid.backends import BackendUnreachable, MockBackend, MockCall, RunState, RunStatus
from aigrid.backends.registry import BackendContext, make_backend
from aigrid.errors import UsageError
from aigrid.live import loop as loop_module
from aigrid.live.backends import Backends
from aigrid.live.fleet import local_fleet
from aigrid.live.loop import UNREACHABLE, SchedulingLoop
from aigrid.live.service import Principal, ServiceContext
from aigrid.live.service.jobs import JobRequest, cancel_job, get_job, submit
from aigrid.live.store import Store
from aigrid.live.store.fleet import load_fleet, save_fleet
from aigrid.live.store.models import JobRow
from aigrid.model import Binding, Fleet, GpuModel, Pool
from aigrid.scheduler import Policy
from tests.live.test_api import assert_ledger_consistent
from tests.live.test_loop import setup as setup_on

SLURM = Binding("slurm", "slurm:hpc/gpu", (("cluster", "hpc"), ("partition", "gpu")))


def two_pools() -> Fleet:
    """Pool `near` (GPU model `gpu`) on this machine, pool `far` (model `gb`) on Slurm."""
    base = local_fleet(4)
    near = replace(base.pools[0], id="near")
    far = Pool("far", near.site, "gb", 4, 1, 4, near.owner, SLURM)
    models = {**base.gpu_models, "gb": GpuModel("gb", 0, 0, 0, 0, 2000.0)}
    return replace(base, gpu_models=models, pools=(near, far))


def setup(store: Store) -> tuple[ServiceContext, Principal]:
    return setup_on(store, two_pools())


def job(gpus: int, *models: str) -> JobRequest:
    return JobRequest("o", "p", gpus, 3600, ["x"], gpu_models=models)


def running(call: MockCall) -> RunStatus:
    return RunStatus(RunState.CANCELLED if call.cancelled else RunState.RUNNING, started_s=1000.0)


def loop_on(store: Store, near: MockBackend, far: MockBackend) -> SchedulingLoop:
    backends = Backends({"local": near, SLURM.name: far})
    return SchedulingLoop(store, backends, Policy(), clock=lambda: 1000.0)


def test_bindings_are_stored_with_the_fleet(store: Store) -> None:
    with store.write() as s:
        assert save_fleet(s, two_pools())
    with store.write() as s:
        assert not save_fleet(s, two_pools())
    with store.read() as s:
        fleet = load_fleet(s)
    assert fleet is not None
    assert [p.backend for p in fleet.pools] == [Binding(), SLURM]


def test_racks_and_blocks_are_stored_with_the_fleet(store: Store) -> None:
    """The loop places gangs by the racks the scenario gave, as the twin does."""
    base = two_pools()
    racked = replace(
        base, pools=(replace(base.pools[0], rack_nodes=2, block_racks=2), base.pools[1])
    )
    with store.write() as s:
        assert save_fleet(s, racked)
    with store.write() as s:
        assert not save_fleet(s, racked)
    with store.read() as s:
        assert load_fleet(s) == racked


def test_each_job_runs_on_its_pools_backend_and_is_polled_there_after_a_restart(
    store: Store, db_url: str
) -> None:
    ctx, admin = setup(store)
    a = submit(ctx, admin, job(4, "gpu")).id
    b = submit(ctx, admin, job(4, "gb")).id
    near, far = MockBackend(), MockBackend()  # each job completes when first polled
    loop_on(store, near, far).cycle()
    assert list(near.calls) == [str(a)]
    assert list(far.calls) == [str(b)]
    with store.read() as s:
        recorded = {i: name for i, name in s.execute(select(JobRow.id, JobRow.backend))}
    assert recorded == {a: "local", b: SLURM.name}
    loop_on(store, near, far).cycle()  # a restarted server polls each through its row's backend
    assert get_job(ctx, admin, a).state == "completed"
    assert get_job(ctx, admin, b).state == "completed"
    assert_ledger_consistent(db_url)


def test_a_job_for_an_unreachable_backend_waits_and_runs_once_when_it_is_back(
    store: Store, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(loop_module, "PROBE_S", 0.0)  # ask again every cycle
    ctx, admin = setup(store)
    near, far = MockBackend(running), MockBackend(running)
    far.unreachable = BackendUnreachable("slurmctld does not answer", sent=False)
    j = submit(ctx, admin, job(2, "gb")).id
    k = submit(ctx, admin, job(2, "gpu")).id
    loop = loop_on(store, near, far)
    loop.cycle()  # j is placed on `far`, whose submit certainly failed: back in line
    row = get_job(ctx, admin, j)
    assert row.state == "pending"
    assert (row.pending_reason or "").startswith(f"{UNREACHABLE}: {SLURM.name}")
    assert get_job(ctx, admin, k).state == "running"
    assert loop.figures()["backends_unreachable"] == 1
    m = submit(ctx, admin, job(4)).id  # fits only on `far` (2 GPUs are free on `near`)
    loop.cycle()
    loop.cycle()
    assert get_job(ctx, admin, j).pending_reason == row.pending_reason
    assert get_job(ctx, admin, m).state == "pending"  # not placed on the unreachable pool
    assert far.submits == 0
    far.unreachable = None
    loop.cycle()  # back: j starts there, as a new run
    assert get_job(ctx, admin, j).state == "running"
    assert get_job(ctx, admin, j).pending_reason is None
    assert list(far.calls) == [f"{j}.2"]
    assert loop.figures()["backends_unreachable"] == 0
    assert_ledger_consistent(db_url)


def test_a_submit_that_may_have_reached_the_backend_stays_bound_to_it(store: Store) -> None:
    ctx, admin = setup(store)
    near, far = MockBackend(running), MockBackend(running)
    far.unreachable = BackendUnreachable("sbatch timed out", sent=True)
    j = submit(ctx, admin, job(4, "gb")).id
    loop = loop_on(store, near, far)
    loop.cycle()
    row = get_job(ctx, admin, j)
    assert row.backend_handle is None
    assert (row.pending_reason or "").startswith(UNREACHABLE)
    far.unreachable = None
    loop.outages[SLURM.name].retry_at = 0.0
    loop.cycle()  # dispatched again under the same key: the backend would know it
    assert list(far.calls) == [str(j)]
    row = get_job(ctx, admin, j)
    assert (row.state, row.attempt, row.pending_reason) == ("running", 1, None)


def test_running_jobs_keep_their_state_and_a_cancel_waits_for_the_backend(store: Store) -> None:
    ctx, admin = setup(store)
    near, far = MockBackend(running), MockBackend(running)
    j = submit(ctx, admin, job(4, "gb")).id
    loop = loop_on(store, near, far)
    loop.cycle()
    assert far.submits == 1
    far.unreachable = BackendUnreachable("slurmctld does not answer")
    loop.cycle()  # the poll finds it away: the job is left as it was
    cancel_job(ctx, admin, j)
    loop.cycle()
    assert get_job(ctx, admin, j).state == "running"
    assert not far.calls[str(j)].cancelled
    far.unreachable = None
    loop.outages[SLURM.name].retry_at = 0.0
    loop.cycle()  # back: the cancel goes out and the poll sees the job stopped
    assert far.calls[str(j)].cancelled
    assert get_job(ctx, admin, j).state == "cancelled"


def test_pools_on_one_backend_must_bind_it_alike() -> None:
    fleet = two_pools()
    other = replace(SLURM, options=(("cluster", "hpc"), ("partition", "other")))
    odd = replace(fleet, pools=(*fleet.pools, replace(fleet.pools[1], id="odd", backend=other)))
    with pytest.raises(UsageError, match="bound differently"):
        Backends.for_fleet(odd, lambda b: MockBackend())


def test_a_kind_without_a_factory_is_a_usage_error(tmp_path: Path) -> None:
    ctx = BackendContext(tmp_path)
    with pytest.raises(UsageError, match="no backend of kind 'sge'"):
        make_backend(Binding("sge", "sge:x"), ctx)
    built = make_backend(SLURM, ctx, {"slurm": lambda b, c: MockBackend()})
    assert isinstance(built, MockBackend)
