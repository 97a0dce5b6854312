"""Shares of a GPU, CPU and memory in the live service: the loop places them with the same
scheduler as the twin, runs shares of one GPU on its one device, charges a share its fraction
and rebuilds the same state after a restart (mock backend, SQLite and PostgreSQL)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import select

from aigrid.backends import BackendUnreachable, MockBackend, MockCall, RunState, RunStatus
from aigrid.live import loop as loop_module
from aigrid.live.errors import InvalidRequestError
from aigrid.live.fleet import local_fleet
from aigrid.live.history import load_history
from aigrid.live.loop import UNREACHABLE, SchedulingLoop
from aigrid.live.service import Principal, Role, ServiceContext, authenticate
from aigrid.live.service.admin import create_grant, create_org, create_program, issue_token
from aigrid.live.service.jobs import JobRequest, get_job, submit
from aigrid.live.store import Store
from aigrid.live.store.fleet import load_fleet, save_fleet
from aigrid.live.store.models import LedgerEntryRow
from aigrid.model import Fleet, TenantClass
from aigrid.scheduler import Policy
from aigrid.scheduler.reasons import Reason, ReasonCode
from aigrid.twin.recorded import RecordedWorld
from aigrid.twin.run import run_recorded

QUARTER = 250


def setup(store: Store, fleet: Fleet) -> tuple[ServiceContext, Principal]:
    """An admin, and org `o` with a grant of program `p` (quota of 8 GPUs, so that shares,
    each charged a whole GPU of quota, wait for room and not for quota), on `fleet` bound to
    the mock backend."""
    with store.write() as s:
        save_fleet(s, fleet, "mock")
    ctx = ServiceContext(store, clock=lambda: 1000.0)
    admin = authenticate(ctx, issue_token(store, 0.0, Role.ADMIN)[1].text)
    create_org(ctx, admin, "o", "O", TenantClass.SME)
    create_program(ctx, admin, "p", budget_krw=1e9, quota={"gpu": 8})
    create_grant(ctx, admin, "p", "o")
    return ctx, admin


def tracked(gpus: int, cpu_milli: int, memory_mib: int) -> Fleet:
    """The local fleet of one node of `gpus` GPUs, tracking that node's CPU and memory."""
    fleet = local_fleet(gpus)
    (pool,) = fleet.pools
    return replace(fleet, pools=(replace(pool, cpu_milli=cpu_milli, memory_mib=memory_mib),))


def ask(
    gpus: int = 1, gpu_share_milli: int = 0, cpu_milli: int = 0, memory_mib: int = 0
) -> JobRequest:
    """A job of org `o` for an hour, asking what is given."""
    return JobRequest(
        "o",
        "p",
        gpus,
        3600,
        ["x"],
        gpu_share_milli=gpu_share_milli,
        cpu_milli=cpu_milli,
        memory_mib=memory_mib,
    )


class Ends:
    """A mock handler: each run goes on until its key is in `done`, then completes having
    run half an hour."""

    def __init__(self) -> None:
        self.done: set[str] = set()

    def __call__(self, call: MockCall) -> RunStatus:
        if call.cancelled:
            return RunStatus(RunState.CANCELLED)
        if call.launch.key in self.done:
            return RunStatus(RunState.COMPLETED, 0, started_s=1001.0, ended_s=1001.0 + 1800)
        return RunStatus(RunState.RUNNING, started_s=1001.0)


def test_four_quarter_shares_run_on_one_gpu_and_a_fifth_waits(store: Store) -> None:
    ctx, admin = setup(store, local_fleet(1))
    ids = [submit(ctx, admin, ask(gpu_share_milli=QUARTER)).id for _ in range(5)]
    ends = Ends()
    backend = MockBackend(ends)
    loop = SchedulingLoop(store, backend, Policy(), clock=lambda: 1001.0)
    loop.cycle()
    assert [get_job(ctx, admin, i).state for i in ids] == ["running"] * 4 + ["pending"]
    assert get_job(ctx, admin, ids[4]).pending_reason == Reason(ReasonCode.NO_CAPACITY).message
    assert [backend.calls[str(i)].launch.devices for i in ids[:4]] == [((0,),)] * 4
    launch = backend.calls[str(ids[0])].launch
    assert (launch.gpu_share_milli, launch.env["AIGRID_GPU_SHARE"]) == (QUARTER, "0.25")
    placement = get_job(ctx, admin, ids[0]).placement
    assert placement is not None
    assert placement["gpu_share_milli"] == QUARTER and placement["devices"] == [[0]]
    ends.done.add(str(ids[0]))
    loop.cycle()  # the first share ends; the fifth takes its room on the same GPU
    assert get_job(ctx, admin, ids[0]).state == "completed"
    assert get_job(ctx, admin, ids[4]).state == "running"
    assert backend.calls[str(ids[4])].launch.devices == ((0,),)
    with store.read() as s:
        (spend,) = s.scalars(
            select(LedgerEntryRow).where(
                LedgerEntryRow.kind == "spend", LedgerEntryRow.job_id == ids[0]
            )
        ).all()
    assert spend.krw == 125  # a quarter of a GPU x 0.5 h x 1000 KRW
    assert spend.gpu_seconds == 0.25 * 1800


def test_shares_and_whole_gpus_run_on_different_devices(store: Store) -> None:
    """A whole-GPU job never gets the device shares sit on, and the shares' device is free for
    whole GPUs again once its last share leaves."""
    ctx, admin = setup(store, local_fleet(2))
    shares = [submit(ctx, admin, ask(gpu_share_milli=QUARTER)).id for _ in range(2)]
    whole = submit(ctx, admin, ask()).id
    ends = Ends()
    backend = MockBackend(ends)
    loop = SchedulingLoop(store, backend, Policy(), clock=lambda: 1001.0)
    loop.cycle()
    devices = {i: backend.calls[str(i)].launch.devices for i in (*shares, whole)}
    assert devices[shares[0]] == devices[shares[1]]
    assert devices[whole] != devices[shares[0]]
    ends.done.update({str(i) for i in (*shares, whole)})
    loop.cycle()
    again = submit(ctx, admin, ask(gpus=2)).id
    loop.cycle()
    assert backend.calls[str(again)].launch.devices == ((0, 1),)


def test_a_share_runs_on_a_free_device_whatever_its_gpu_index(store: Store) -> None:
    """The node model gives back any whole GPU (the lowest), not the device the job ended on:
    a share it then puts on "GPU 0" runs on the device that is free, not on the one a whole
    job still uses."""
    ctx, admin = setup(store, tracked(2, cpu_milli=8000, memory_mib=16384))
    a, b = (submit(ctx, admin, ask()).id for _ in range(2))
    ends = Ends()
    backend = MockBackend(ends)
    loop = SchedulingLoop(store, backend, Policy(), clock=lambda: 1001.0)
    loop.cycle()
    assert backend.calls[str(a)].launch.devices == ((0,),)
    assert backend.calls[str(b)].launch.devices == ((1,),)
    ends.done.add(str(b))
    loop.cycle()
    share = submit(ctx, admin, ask(gpu_share_milli=QUARTER)).id
    loop.cycle()
    placement = get_job(ctx, admin, share).placement
    assert placement is not None and placement["shared_gpu"] == 0  # the model's index
    assert backend.calls[str(share)].launch.devices == ((1,),)  # the free device


def test_no_share_goes_on_a_shared_gpu_of_an_unreachable_backend(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(loop_module, "PROBE_S", 0.0)  # ask again every cycle
    ctx, admin = setup(store, local_fleet(1))
    first = submit(ctx, admin, ask(gpu_share_milli=QUARTER)).id
    backend = MockBackend(Ends())
    loop = SchedulingLoop(store, backend, Policy(), clock=lambda: 1001.0)
    loop.cycle()
    backend.unreachable = BackendUnreachable("slurmctld does not answer", sent=False)
    second = submit(ctx, admin, ask(gpu_share_milli=QUARTER)).id
    loop.cycle()
    loop.cycle()
    row = get_job(ctx, admin, second)
    assert row.state == "pending"
    assert (row.pending_reason or "").startswith(UNREACHABLE)
    backend.unreachable = None
    loop.cycle()
    assert get_job(ctx, admin, second).state == "running"
    assert backend.calls[str(second)].launch.devices == backend.calls[str(first)].launch.devices
    assert not loop.fenced_shares


def test_the_twin_replays_shares_as_the_loop_ran_them(store: Store) -> None:
    """`aigrid twin replay --from-db`: the recorded run puts each share back on its GPU, with
    the CPU and memory it took, at the moment the loop started it."""
    ctx, admin = setup(store, tracked(1, cpu_milli=8000, memory_mib=16384))
    ids = [submit(ctx, admin, ask(gpu_share_milli=QUARTER, memory_mib=2048)).id for _ in range(5)]
    ends = Ends()
    loop = SchedulingLoop(store, MockBackend(ends), Policy(), clock=lambda: 1001.0)
    loop.cycle()
    ends.done.update(str(i) for i in ids)
    loop.cycle()  # four end, the fifth starts
    history = load_history(store)
    run = run_recorded(history.scenario, history.jobs, history.records, days=1.0)
    assert isinstance(run.world, RecordedWorld) and run.world.late_starts == 0
    placed = {j.id: j.placement for j in run.jobs if j.placement is not None}
    assert ids[4] in placed
    assert all(p.gpu_share_milli == QUARTER and p.memory_mib == 2048 for p in placed.values())


def test_a_job_waits_for_memory_and_starts_when_another_ends(store: Store) -> None:
    ctx, admin = setup(store, tracked(2, cpu_milli=8000, memory_mib=16384))
    first = submit(ctx, admin, ask(cpu_milli=2000, memory_mib=12288)).id
    second = submit(ctx, admin, ask(cpu_milli=2000, memory_mib=8192)).id
    ends = Ends()
    loop = SchedulingLoop(store, MockBackend(ends), Policy(), clock=lambda: 1001.0)
    loop.cycle()
    assert get_job(ctx, admin, first).state == "running"
    row = get_job(ctx, admin, second)
    assert row.state == "pending"
    assert row.pending_reason == Reason(ReasonCode.CPU_MEMORY).message
    assert loop.state.capacity[0].free_gpus == 1  # a GPU is free; the memory is not
    ends.done.add(str(first))
    loop.cycle()
    started = get_job(ctx, admin, second)
    assert started.state == "running"
    assert started.placement is not None
    assert (started.placement["cpu_milli"], started.placement["memory_mib"]) == (2000, 8192)


def test_the_fleet_keeps_its_cpu_and_memory_in_the_store(store: Store) -> None:
    fleet = tracked(4, cpu_milli=64000, memory_mib=512 * 1024)
    with store.write() as s:
        save_fleet(s, fleet, "mock")
    with store.read() as s:
        stored = load_fleet(s)
    assert stored is not None
    assert (stored.pools[0].cpu_milli, stored.pools[0].memory_mib) == (64000, 512 * 1024)


def _detail_of(loop: SchedulingLoop) -> tuple[object, ...]:
    cap = loop.state.capacity[0]
    detail = cap.detail
    assert detail is not None
    return (
        list(cap.free),
        cap.shared_gpus,
        sorted(detail.gpu_free[0].tolist()),
        detail.cpu_free.tolist(),
        detail.memory_free.tolist(),
        list(loop.state.busy_gpus),
        {k: sorted(v) for k, v in loop.devices_used.items()},
        sorted(v[0] for v in loop.shared_devices.values()),
        sorted(loop.running),
    )


def test_a_restart_with_shares_running_rebuilds_the_same_state(store: Store) -> None:
    """Shares on one GPU, a whole-GPU job and CPU and memory taken: a restarted loop holds
    the same, and a new share joins the shared device, not the whole job's."""
    ctx, admin = setup(store, tracked(2, cpu_milli=8000, memory_mib=16384))
    whole = submit(ctx, admin, ask(cpu_milli=1000, memory_mib=4096)).id
    shares = [submit(ctx, admin, ask(gpu_share_milli=300, memory_mib=1024)).id for _ in range(2)]
    backend = MockBackend(Ends())
    loop = SchedulingLoop(store, backend, Policy(), clock=lambda: 1001.0)
    loop.cycle()
    assert sorted(loop.running) == sorted([whole, *shares])
    again = SchedulingLoop(store, backend, Policy(), clock=lambda: 1002.0)
    again.rebuild()
    assert _detail_of(again) == _detail_of(loop)
    new = submit(ctx, admin, ask(gpu_share_milli=300)).id
    again.cycle()
    assert backend.calls[str(new)].launch.devices == backend.calls[str(shares[0])].launch.devices
    assert backend.calls[str(new)].launch.devices != backend.calls[str(whole)].launch.devices


@pytest.mark.parametrize(
    ("kw", "words"),
    [
        ({"gpu_share_milli": 1000}, "a share of a GPU is 1..999"),
        ({"gpu_share_milli": -5}, "a share of a GPU is 1..999"),
        ({"gpus": 2, "gpu_share_milli": 500}, "only a job of one GPU may ask a share"),
        ({"cpu_milli": -1}, "must not be negative"),
        ({"memory_mib": 1 << 40}, "memory_mib must be at most"),
    ],
)
def test_asks_no_node_could_give_are_refused(store: Store, kw: dict[str, int], words: str) -> None:
    ctx, admin = setup(store, local_fleet(1))
    with pytest.raises(InvalidRequestError, match=words):
        submit(ctx, admin, ask(**kw))
