"""The scheduling loop in process, with the mock backend: admits recorded before dispatch,
re-dispatch after a crash between the two, rebuild from the store, charges on end."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from aigrid.backends import MockBackend, MockCall, RunState, RunStatus
from aigrid.live.errors import ForbiddenError
from aigrid.live.fleet import local_fleet
from aigrid.live.loop import SchedulingLoop
from aigrid.live.service import Principal, Role, ServiceContext, authenticate
from aigrid.live.service.admin import (
    create_cohort,
    create_grant,
    create_org,
    create_program,
    issue_token,
)
from aigrid.live.service.jobs import JobRequest, get_job, submit
from aigrid.live.store import Store
from aigrid.live.store.fleet import save_fleet
from aigrid.live.store.models import DecisionRow, LedgerEntryRow
from aigrid.model import Fleet, PriorityClass, TenantClass
from aigrid.scenario import load_scenario
from aigrid.scheduler import Policy

KEY = "local/gpu"
"""The local fleet's GPUs as a quota key of their owner (owner/model)."""


def setup(store: Store, fleet: Fleet | None = None) -> tuple[ServiceContext, Principal]:
    """An admin, and org `o` with a grant of program `p`, on `fleet` with its own bindings
    (default: 4 GPUs on the mock backend)."""
    with store.write() as s:
        if fleet is None:
            save_fleet(s, local_fleet(4), "mock")
        else:
            save_fleet(s, fleet)
    ctx = ServiceContext(store, clock=lambda: 1000.0)
    admin = authenticate(ctx, issue_token(store, 0.0, Role.ADMIN)[1].text)
    create_org(ctx, admin, "o", "O", TenantClass.SME)
    create_program(ctx, admin, "p", budget_krw=1e6)
    create_grant(ctx, admin, "p", "o")
    return ctx, admin


def running(call: MockCall) -> RunStatus:
    return RunStatus(RunState.CANCELLED if call.cancelled else RunState.RUNNING)


def test_admits_are_recorded_then_dispatched_once_across_a_crash(store: Store) -> None:
    ctx, admin = setup(store)
    ids = [submit(ctx, admin, JobRequest("o", "p", 2, 3600, ["x"])).id for _ in range(3)]
    backend = MockBackend(running)
    first = SchedulingLoop(store, backend, Policy(), clock=lambda: 1001.0)
    first.rebuild()
    first._intake(1001.0)
    first._schedule(1001.0)  # the "crash" comes before dispatch
    with store.read() as s:
        admits = s.scalars(select(DecisionRow).where(DecisionRow.kind == "admit")).all()
    assert sorted(d.job_id for d in admits) == ids[:2]
    assert backend.submits == 0
    second = SchedulingLoop(store, backend, Policy(), clock=lambda: 1002.0)
    second.cycle()
    assert sorted(backend.calls) == [str(i) for i in ids[:2]]
    third = SchedulingLoop(store, backend, Policy(), clock=lambda: 1003.0)
    third.cycle()
    assert backend.submits == 2  # confirmed dispatches are not repeated
    assert get_job(ctx, admin, ids[2]).state == "pending"
    assert third.figures()["running"] == 2
    assert third.figures()["pending"] == 1


def test_an_ended_job_is_charged_its_runtime_and_the_next_one_starts(store: Store) -> None:
    ctx, admin = setup(store)
    a = submit(ctx, admin, JobRequest("o", "p", 4, 3600, ["x"])).id
    b = submit(ctx, admin, JobRequest("o", "p", 4, 3600, ["x"])).id
    now = [1001.0]

    def ends_after_a_while(call: MockCall) -> RunStatus:
        if call.polls < 1:
            return RunStatus(RunState.RUNNING, started_s=1001.0)
        return RunStatus(RunState.COMPLETED, 0, started_s=1001.0, ended_s=1001.0 + 1800)

    loop = SchedulingLoop(store, MockBackend(ends_after_a_while), Policy(), clock=lambda: now[0])
    loop.cycle()
    assert get_job(ctx, admin, a).state == "running"
    assert "quota" in (get_job(ctx, admin, b).pending_reason or "")
    now[0] = 3000.0
    loop.cycle()  # polls once: still running
    loop.cycle()  # a ends; b starts in the same cycle
    assert get_job(ctx, admin, a).state == "completed"
    assert get_job(ctx, admin, b).state == "running"
    with store.read() as s:
        spends = s.scalars(
            select(LedgerEntryRow).where(LedgerEntryRow.kind == "spend", LedgerEntryRow.job_id == a)
        ).all()
    assert [e.krw for e in spends] == [2000]  # 4 GPUs x 0.5 h x 1000 KRW
    assert [e.gpu_seconds for e in spends] == [4 * 1800.0]


def test_a_grant_used_up_refuses_new_jobs(store: Store) -> None:
    ctx, admin = setup(store)
    create_org(ctx, admin, "small", "Small", TenantClass.SME)
    create_grant(ctx, admin, "p", "small", krw=1000)
    submit(ctx, admin, JobRequest("small", "p", 1, 3600, ["x"]))
    SchedulingLoop(store, MockBackend(running), Policy(), clock=lambda: 1001.0).cycle()
    with pytest.raises(ForbiddenError, match="used up its 1,000 KRW"):
        submit(ctx, admin, JobRequest("small", "p", 1, 3600, ["x"]))
    submit(ctx, admin, JobRequest("o", "p", 1, 3600, ["x"]))  # another org's grant is unlimited


def _state_of(loop: SchedulingLoop) -> tuple[object, ...]:
    st = loop.state
    return (
        [list(c.free) for c in st.capacity],
        list(st.busy_gpus),
        [round(mw, 9) for mw in st.site_mw],
        {p: dict(u) for p, u in st.usage.items()},
        {p: round(v, 6) for p, v in st.budget_available.items()},
        sorted(loop.running),
        sorted(loop.waiting),
    )


def test_a_rebuild_from_the_store_gives_the_state_the_loop_built(store: Store) -> None:
    """On a fleet whose site cap binds (tiny's Daejeon), under power capping: what a restart
    rebuilds is exactly what the running loop holds."""
    with store.write() as s:
        save_fleet(s, load_scenario("tiny").fleet, "mock")
    ctx = ServiceContext(store, clock=lambda: 1000.0)
    admin = authenticate(ctx, issue_token(store, 0.0, Role.ADMIN)[1].text)
    create_org(ctx, admin, "o", "O", TenantClass.SME)
    create_program(ctx, admin, "p", budget_krw=1e12, owners=["gov"])
    create_grant(ctx, admin, "p", "o")
    for i in range(60):
        submit(ctx, admin, JobRequest("o", "p", (1, 2, 8, 16)[i % 4], 3600 * (1 + i % 3), ["x"]))
    loop = SchedulingLoop(store, MockBackend(running), Policy.parse("fair+powercap"))
    loop.cycle()
    capped = [r for r in loop.running.values() if r.power_fraction < 1.0]
    assert loop.running and loop.waiting
    again = SchedulingLoop(store, MockBackend(running), Policy.parse("fair+powercap"))
    again.rebuild()
    assert _state_of(again) == _state_of(loop)
    assert {i: r.power_fraction for i, r in again.running.items()} == {
        i: r.power_fraction for i, r in loop.running.items()
    }
    assert capped, "the tiny fleet's cap should make the scheduler cap some jobs"


def _programs_of_their_own(
    store: Store, now: list[float], names: tuple[str, ...], *, gpus: int, cohort: str | None = None
) -> tuple[ServiceContext, Principal]:
    """4 GPUs on the mock backend, a clock reading `now[0]`, an admin, and per name an org and
    a program of that name with a quota of `gpus` and a grant from one to the other."""
    with store.write() as s:
        save_fleet(s, local_fleet(4), "mock")
    ctx = ServiceContext(store, clock=lambda: now[0])
    admin = authenticate(ctx, issue_token(store, 0.0, Role.ADMIN)[1].text)
    for name in names:
        create_org(ctx, admin, name, name, TenantClass.RESEARCH)
        create_program(ctx, admin, name, budget_krw=1e9, quota={"gpu": gpus}, cohort=cohort)
        create_grant(ctx, admin, name, name)
    return ctx, admin


def test_reclaim_preempts_a_borrower_which_waits_and_starts_again(store: Store) -> None:
    """Program `lend` lent its quota to `borrow` (same cohort); when `lend` needs it back, the
    borrower's job is preempted (recorded first), stopped, charged for its run, and goes back
    in line; it starts again, as a new run on the backend, once there is room."""
    now = [1000.0]
    ctx, admin = _programs_of_their_own(store, now, ("lend", "borrow"), gpus=2, cohort="c")
    big = submit(ctx, admin, JobRequest("borrow", "borrow", 4, 86400, ["x"], preemptible=True)).id

    def handler(call: MockCall) -> RunStatus:
        if call.cancelled:
            return RunStatus(RunState.CANCELLED, started_s=1000.0, ended_s=now[0])
        return RunStatus(RunState.RUNNING, started_s=1000.0)

    backend = MockBackend(handler)
    policy = Policy.parse("fair+reclaim")
    SchedulingLoop(store, backend, policy, clock=lambda: now[0]).cycle()
    assert get_job(ctx, admin, big).state == "running"
    now[0] = 1000.0 + 3 * 3600  # past the 2 h a job runs before it may be preempted
    small = submit(ctx, admin, JobRequest("lend", "lend", 2, 3600, ["x"])).id
    loop = SchedulingLoop(store, backend, policy, clock=lambda: now[0])
    loop.cycle()  # decides: preempt `big`; `small` waits
    with store.read() as s:
        kinds = {(d.job_id, d.kind): d.reason for d in s.scalars(select(DecisionRow))}
    assert f"preempted (reclaim) to make room for job {small}" in (kinds[(big, "preempt")] or "")
    assert backend.calls[str(big)].cancelled
    # A restart now still knows the preemption is under way, and does not decide meanwhile.
    loop = SchedulingLoop(store, backend, policy, clock=lambda: now[0])
    loop.cycle()  # `big` stopped: back in line; `small` starts
    row = get_job(ctx, admin, big)
    assert row.state == "pending"
    assert "quota" in (row.pending_reason or "")  # why it waits now
    assert get_job(ctx, admin, small).state == "running"
    with store.read() as s:
        entries = {
            (e.interval, e.kind): e.krw
            for e in s.scalars(select(LedgerEntryRow).where(LedgerEntryRow.job_id == big))
        }
    assert set(entries) == {(1, "hold"), (1, "release"), (1, "spend")}
    assert entries[(1, "spend")] == 4 * 3 * 1000  # 4 GPUs for 3 h at 1000 KRW
    assert loop.figures()["preempted_total"] == 0  # this loop preempted nobody itself
    # Once `small` ends, `big` starts again, as a new run on the backend.
    backend.calls[str(small)].cancelled = True
    loop.cycle()
    loop.cycle()
    assert get_job(ctx, admin, big).state == "running"
    assert get_job(ctx, admin, big).attempt == 2
    assert f"{big}.2" in backend.calls


def test_a_preempted_job_that_does_not_stop_holds_back_decisions_only_for_a_while(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    with store.write() as s:
        save_fleet(s, local_fleet(8), "mock")
    now = [1000.0]
    ctx = ServiceContext(store, clock=lambda: now[0])
    admin = authenticate(ctx, issue_token(store, 0.0, Role.ADMIN)[1].text)
    for name, cohort in (("lend", "c"), ("borrow", "c"), ("other", None)):
        create_org(ctx, admin, name, name, TenantClass.RESEARCH)
        create_program(ctx, admin, name, budget_krw=1e9, quota={"gpu": 2}, cohort=cohort)
        create_grant(ctx, admin, name, name)
    submit(ctx, admin, JobRequest("borrow", "borrow", 4, 86400, ["x"], preemptible=True))
    stubborn = MockBackend(lambda call: RunStatus(RunState.RUNNING, started_s=1000.0))
    loop = SchedulingLoop(store, stubborn, Policy.parse("fair+reclaim"), clock=lambda: now[0])
    loop.cycle()
    now[0] += 3 * 3600
    submit(ctx, admin, JobRequest("lend", "lend", 2, 3600, ["x"]))
    loop.cycle()  # preempts the borrower, which will not stop
    other = submit(ctx, admin, JobRequest("other", "other", 1, 3600, ["x"])).id
    loop.cycle()
    assert get_job(ctx, admin, other).state == "pending"  # held back while it stops
    monkeypatch.setattr("aigrid.live.loop.PREEMPT_STOP_S", 0.0)
    loop.cycle()
    assert get_job(ctx, admin, other).state == "running"


def test_the_usage_history_survives_a_restart_and_orders_who_goes_first(store: Store) -> None:
    """Under `fair+decay`, the program that ran for the last hour waits behind one that did
    not; a loop rebuilt from the store counts the same history (from admissions and charges)
    and shows the waiting job's order key."""
    now = [1000.0]
    ctx, admin = _programs_of_their_own(store, now, ("busy", "idle"), gpus=4)
    ends: dict[str, float] = {}

    def handler(call: MockCall) -> RunStatus:
        end = ends.get(call.launch.key)
        if end is not None and now[0] >= end:
            return RunStatus(RunState.COMPLETED, 0, started_s=1000.0, ended_s=end)
        return RunStatus(RunState.RUNNING, started_s=1000.0)

    policy = Policy.parse("fair+decay=1h")
    first = submit(ctx, admin, JobRequest("busy", "busy", 4, 7200, ["x"])).id
    ends[str(first)] = 1000.0 + 3600
    loop = SchedulingLoop(store, MockBackend(handler), policy, clock=lambda: now[0])
    loop.cycle()
    now[0] = 1000.0 + 3600
    # Both programs want the 4 GPUs once `first` ends; `busy` asked first.
    again = submit(ctx, admin, JobRequest("busy", "busy", 4, 3600, ["x"])).id
    now[0] += 1
    fresh = submit(ctx, admin, JobRequest("idle", "idle", 4, 3600, ["x"])).id
    loop.cycle()  # `first` ends: 4 GPUs for one half-life, a decayed mean of 2
    assert get_job(ctx, admin, fresh).state == "running"
    assert get_job(ctx, admin, again).state == "pending"
    held = loop.state.decayed_gpus("busy", "gpu", now[0])
    assert held == pytest.approx(2.0, rel=1e-3)
    rebuilt = SchedulingLoop(store, MockBackend(handler), policy, clock=lambda: now[0])
    rebuilt.rebuild()
    assert rebuilt.state.decayed_gpus("busy", "gpu", now[0]) == pytest.approx(held)
    assert rebuilt.state.decayed_gpus("idle", "gpu", now[0]) == pytest.approx(
        loop.state.decayed_gpus("idle", "gpu", now[0])
    )
    order = rebuilt.explain(again)
    assert order is not None
    assert order.program is not None and order.program.share == pytest.approx(2.0 / 4, rel=1e-3)
    assert rebuilt.explain(fresh) is None  # it runs


def test_a_high_job_preempts_a_low_one_of_its_program(store: Store) -> None:
    now = [1000.0]
    ctx, admin = _programs_of_their_own(store, now, ("p",), gpus=4)
    low = JobRequest("p", "p", 4, 86400, ["x"], preemptible=True, priority_class=PriorityClass.LOW)
    low_id = submit(ctx, admin, low).id
    backend = MockBackend(running)
    policy = Policy.parse("fair+priority")
    loop = SchedulingLoop(store, backend, policy, clock=lambda: now[0])
    loop.cycle()
    now[0] += 3 * 3600
    high = JobRequest("p", "p", 2, 3600, ["x"], priority_class=PriorityClass.HIGH)
    high_id = submit(ctx, admin, high).id
    loop.cycle()  # decides: preempt the low job; the high one waits for it to stop
    assert backend.calls[str(low_id)].cancelled
    loop.cycle()
    assert get_job(ctx, admin, high_id).state == "running"
    assert get_job(ctx, admin, low_id).state == "pending"
    with store.read() as s:
        why = s.scalar(select(DecisionRow.reason).where(DecisionRow.kind == "preempt"))
    assert f"preempted (priority) to make room for job {high_id}" in (why or "")


def test_a_grace_period_tells_the_job_and_stops_it_when_it_ends(store: Store) -> None:
    """Under `+grace=5m` the low job is told first and runs on; the loop keeps deciding
    meanwhile (another program's job starts), preempts nobody else for the same room, and stops
    the job when the grace period ends; told, it goes back in line though it exited 0."""
    now = [1000.0]
    with store.write() as s:
        save_fleet(s, local_fleet(8), "mock")
    ctx = ServiceContext(store, clock=lambda: now[0])
    admin = authenticate(ctx, issue_token(store, 0.0, Role.ADMIN)[1].text)
    for name, gpus in (("p", 4), ("q", 4)):
        create_org(ctx, admin, name, name, TenantClass.RESEARCH)
        create_program(ctx, admin, name, budget_krw=1e9, quota={"gpu": gpus})
        create_grant(ctx, admin, name, name)
    low = JobRequest("p", "p", 4, 86400, ["x"], preemptible=True, priority_class=PriorityClass.LOW)
    low_id = submit(ctx, admin, low).id

    def handler(call: MockCall) -> RunStatus:
        if call.cancelled:  # it saved its work when told, and exits 0
            return RunStatus(RunState.COMPLETED, 0, started_s=1000.0, ended_s=now[0])
        return RunStatus(RunState.RUNNING, started_s=1000.0)

    backend = MockBackend(handler)
    loop = SchedulingLoop(
        store, backend, Policy.parse("fair+priority+grace=5m"), clock=lambda: now[0]
    )
    loop.cycle()
    now[0] += 3 * 3600
    high = JobRequest("p", "p", 2, 3600, ["x"], priority_class=PriorityClass.HIGH)
    high_id = submit(ctx, admin, high).id
    loop.cycle()  # preempts the low job, with notice
    call = backend.calls[str(low_id)]
    assert call.noticed and not call.cancelled
    other = submit(ctx, admin, JobRequest("q", "q", 2, 3600, ["x"])).id
    high2 = submit(ctx, admin, high).id
    now[0] += 60
    loop.cycle()
    assert get_job(ctx, admin, other).state == "running"  # not held back by the grace
    assert get_job(ctx, admin, high_id).state == "pending"
    assert get_job(ctx, admin, high2).state == "pending"
    assert loop.figures()["preempted_total"] == 1  # the room being made counts for both
    assert not call.cancelled
    now[0] += 240  # the 5 minutes are over
    loop.cycle()  # stops it
    assert call.cancelled
    loop.cycle()  # it stopped: back in line; the high jobs start
    assert get_job(ctx, admin, low_id).state == "pending"
    assert get_job(ctx, admin, high_id).state == "running"
    assert get_job(ctx, admin, high2).state == "running"


def test_cohorts_and_limits_set_live_shape_who_may_borrow(store: Store) -> None:
    """A quota tree set up through the service, keyed `local/gpu` (owner/model), on 8 GPUs:
    cohorts `industry` and `national` under `grid`. `lender` (industry, 6 GPUs) lends at most
    2, so while `borrower` (national, 2) borrows those, 4 stay kept and a job of `lender`
    starts at once, with no preemption. A program created while the loop runs (the loop
    rebuilds) with a borrowing limit of 1 waits for that limit with GPUs still idle."""
    now = [1000.0]
    with store.write() as s:
        save_fleet(s, local_fleet(8), "mock")
    ctx = ServiceContext(store, clock=lambda: now[0])
    admin = authenticate(ctx, issue_token(store, 0.0, Role.ADMIN)[1].text)
    create_cohort(ctx, admin, "grid")
    create_cohort(ctx, admin, "industry", parent="grid")
    create_cohort(ctx, admin, "national", parent="grid")

    def program(
        name: str, cohort: str, gpus: int, *, borrows: int | None = None, lends: int | None = None
    ) -> None:
        create_org(ctx, admin, name, name, TenantClass.RESEARCH)
        create_program(
            ctx,
            admin,
            name,
            budget_krw=1e9,
            quota={KEY: gpus},
            cohort=cohort,
            borrowing_limit={} if borrows is None else {KEY: borrows},
            lending_limit={} if lends is None else {KEY: lends},
        )
        create_grant(ctx, admin, name, name)

    program("lender", "industry", 6, lends=2)
    program("borrower", "national", 2)
    ends: set[str] = set()

    def handler(call: MockCall) -> RunStatus:
        if call.launch.key in ends:
            return RunStatus(RunState.COMPLETED, 0, started_s=1000.0, ended_s=now[0])
        return RunStatus(RunState.RUNNING, started_s=1000.0)

    loop = SchedulingLoop(store, MockBackend(handler), Policy(), clock=lambda: now[0])
    borrowed = submit(ctx, admin, JobRequest("borrower", "borrower", 4, 3600, ["x"])).id
    loop.cycle()
    assert get_job(ctx, admin, borrowed).state == "running"  # its 2 and the 2 lent
    more = submit(ctx, admin, JobRequest("borrower", "borrower", 2, 3600, ["x"])).id
    loop.cycle()
    waits = get_job(ctx, admin, more)
    assert waits.state == "pending"  # 4 GPUs idle, but kept for `lender`
    assert "borrowing limit" in (waits.pending_reason or "")
    kept = submit(ctx, admin, JobRequest("lender", "lender", 4, 3600, ["x"])).id
    loop.cycle()
    assert get_job(ctx, admin, kept).state == "running"
    with store.read() as s:
        assert s.scalar(select(DecisionRow).where(DecisionRow.kind == "preempt")) is None
    # `borrowed` ends: `more` starts within its program's own quota; 2 lent GPUs stay idle.
    ends.add(str(borrowed))
    loop.cycle()
    assert get_job(ctx, admin, more).state == "running"
    program("capped", "national", 0, borrows=1)
    first = submit(ctx, admin, JobRequest("capped", "capped", 1, 3600, ["x"])).id
    second = submit(ctx, admin, JobRequest("capped", "capped", 1, 3600, ["x"])).id
    loop.cycle()
    assert get_job(ctx, admin, first).state == "running"
    capped = get_job(ctx, admin, second)
    assert capped.state == "pending"  # 1 lent GPU idle, but `capped` may borrow only 1
    assert "borrowing limit" in (capped.pending_reason or "")
    assert loop.stats.rebuilds >= 2  # it saw the new program
