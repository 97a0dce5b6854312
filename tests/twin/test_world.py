"""The twin's world on small cases: the event log of a run, and invariants as properties."""

from __future__ import annotations

import dataclasses
from collections import defaultdict

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from aigrid.model import Grant, Job, JobState, PriorityClass, Reliability, Scenario, Zone
from aigrid.report.summary import summarize
from aigrid.scheduler import Admit, Policy, PolicyName, Reason, ReasonCode, Snapshot, decide
from aigrid.twin.run import TwinRun, run_twin
from aigrid.twin.world import World
from tests.builders import fleet, grant, job, pool, program, scenario, site, tenancy


def _world(
    sc_jobs: list[Job],
    sc: Scenario | None = None,
    policy: PolicyName = PolicyName.FAIR,
    horizon: float = 86400.0,
) -> World:
    if sc is None:
        sc = scenario(fleet([pool("a", nodes=1)]), tenancy(program("p1", {"H100": 8})))
    return World(sc, sorted(sc_jobs, key=lambda j: (j.submit_s, j.id)), Policy(policy), horizon)


def test_a_job_starts_the_instant_the_one_before_it_ends() -> None:
    a = job(8, submit=0, runtime=3600, id=1)
    b = job(8, submit=10, runtime=1800, id=2)
    w = _world([a, b])
    w.run()
    assert (a.first_start_s, a.end_s, a.state) == (0, 3600, JobState.COMPLETED)
    assert (b.first_start_s, b.end_s, b.state) == (3600, 5400, JobState.COMPLETED)
    assert b.wait_s == 3590
    assert w.accounts.balance("p1").held_krw == 0


def test_waiting_jobs_carry_the_reason_of_their_queue() -> None:
    a = job(8, submit=0, runtime=7200, id=1)
    b = job(4, submit=1, runtime=60, id=2)
    c = job(4, submit=2, runtime=60, id=3)
    w = _world([a, b, c], horizon=3600)
    w.run()
    assert a.state is JobState.RUNNING
    assert b.state is c.state is JobState.PENDING
    assert b.pending_reason is not None and "quota" in b.pending_reason
    assert c.pending_reason == b.pending_reason


def test_a_job_that_could_never_run_is_rejected_with_its_reason() -> None:
    sc = scenario(
        fleet([pool("a", nodes=1)], sites=[site("s1", zone=Zone.COMMERCIAL)]),
        tenancy(program("p1", {"H100": 8})),
    )
    j = job(1, sovereign=True)
    w = _world([j], sc)
    w.run()
    assert j.state is JobState.REJECTED
    assert j.pending_reason is not None and "sovereign" in j.pending_reason


def test_energy_of_an_idle_and_a_busy_hour() -> None:
    # One node of 8 H100 at PUE 1.0: idle 8 x 700 W; busy +8 x 600 W.
    j = job(8, submit=0, runtime=3600, id=1)
    w = _world([j], horizon=7200)
    w.run()
    busy_mwh = 8 * 1300 / 1e6
    idle_mwh = 8 * 700 / 1e6
    assert abs(sum(w.meters.mwh) - (busy_mwh + idle_mwh)) < 1e-9
    assert abs(sum(w.meters.krw) - (busy_mwh + idle_mwh) * 1000 * 100.0) < 1e-6


# -- invariants, as properties ------------------------------------------------------------------


def check_invariants(w: World) -> None:
    state = w.state
    fl = w.scenario.fleet
    used: dict[tuple[int, int], int] = defaultdict(int)
    usage: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for j in w.jobs:
        if j.state is JobState.RUNNING:
            assert j.placement is not None
            for node, g in zip(j.placement.nodes, j.placement.gpus_per_node, strict=True):
                used[(j.placement.pool, node)] += g
            usage[j.program][fl.pools[j.placement.pool].gpu_model] += j.placement.gpus
    # No GPU is given to two jobs: what running jobs hold is exactly what the pools miss
    # (a node that is down after a failure holds all its GPUs itself, and runs no job).
    for i, cap in enumerate(state.capacity):
        for node, free in enumerate(cap.free):
            assert 0 <= free <= cap.gpus_per_node
            if (i, node) in w.down:
                assert free == 0 and used[(i, node)] == 0
            else:
                assert cap.gpus_per_node - free == used[(i, node)]
    # No site exceeds its cap.
    for s, mw in enumerate(state.site_mw):
        assert mw <= state.site_cap_mw[s] + 1e-9
    # No grant goes below zero, and what the scheduler reads of each is what its ledger says.
    for gid, b in w.grants.balances().items():
        assert b.spent_krw + b.held_krw <= w.grants.grants[gid].amount
        assert state.grant_available[gid] == w.grants.available(gid)
    # A job paid by a grant holds on one grant of its own org and program.
    for j in w.jobs:
        held = w.grants.held_by(j.id)
        if j.state is JobState.RUNNING and j.account is not None:
            assert held is not None
            paid_by = w.grants.grants[held[0]]
            assert (paid_by.program, paid_by.org) == (j.program, j.account)
        elif j.state is not JobState.RUNNING:
            assert held is None
    # Quota: within nominal, or borrowed from what is idle in the cohort.
    cohort_use: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for pid, prog in w.scenario.tenancy.programs.items():
        for model, g in usage[pid].items():
            assert state.usage[pid][model] == g
            if prog.cohort is None or not prog.borrowing:
                assert g <= prog.quota.get(model, 0)
            if prog.cohort is not None:
                cohort_use[prog.cohort][model] += g
    for cohort, by_model in cohort_use.items():
        for model, g in by_model.items():
            assert g <= state.cohort_nominal[cohort][model]
    # The usage history was told of every change: what it counts as held is what is held.
    history = state.history
    if history is not None:
        for pid, prog in w.scenario.tenancy.programs.items():
            for model in fl.gpu_models:
                assert history.held((pid, model)) == usage[pid][model]
                if prog.cohort is not None:
                    assert history.held(("cohort", prog.cohort, model)) == sum(
                        usage[p][model]
                        for p, q in w.scenario.tenancy.programs.items()
                        if q.cohort == prog.cohort
                    )


GRANT_REASON = Reason(ReasonCode.GRANT).message

# Grants of p1 and p2 to the orgs o0..o2: small enough to run out, some opening late, some for
# one GPU model only; p3 pays from its budget. Org o2 may have none (its jobs are refused).
GRANTS = st.lists(
    st.builds(
        lambda k, prog, org, krw, gpu_h, opens, model: grant(
            f"g{k}-{prog}-{org}",
            program=prog,
            org=org,
            krw=None if gpu_h else krw,
            gpu_hours=gpu_h,
            valid_from_h=opens,
            models=(model,) if model else (),
        ),
        st.integers(0, 3),
        st.sampled_from(["p1", "p2"]),
        st.sampled_from(["o0", "o1", "o2"]),
        st.sampled_from([0.0, 50_000.0, 400_000.0, 5e6]),
        st.sampled_from([None, None, 5.0, 40.0]),
        st.sampled_from([0.0, 0.0, 2.0]),
        st.sampled_from([None, None, "H100"]),
    ),
    min_size=1,
    max_size=6,
    unique_by=lambda g: g.id,
)


job_specs = st.lists(
    st.tuples(
        st.sampled_from([1, 2, 3, 4, 8, 12, 16, 24]),  # gpus
        st.integers(0, 20_000),  # submit
        st.integers(1, 20_000),  # runtime
        st.sampled_from(["p1", "p2", "p3"]),
        st.booleans(),  # sovereign
        st.sampled_from(PriorityClass),
    ),
    min_size=1,
    max_size=25,
)


@settings(max_examples=100, deadline=None)
@given(
    specs=job_specs,
    nodes=st.lists(st.integers(1, 3), min_size=1, max_size=3),
    gpn=st.sampled_from([4, 8]),
    quotas=st.lists(st.integers(0, 24), min_size=3, max_size=3),
    weights=st.lists(st.sampled_from([1.0, 0.5, 3.0]), min_size=3, max_size=3),
    cohort=st.booleans(),
    cap_mw=st.sampled_from([0.02, 0.03, 0.05, 0.1, 1.0]),
    policy=st.sampled_from(
        [
            "fifo",
            "fair",
            "fair+powercap",
            "fair+reclaim",
            "fair+decay=1h",
            "fair+reclaim+decay",
            "fair+priority+grace=10m",
            "fair+reclaim+priority+decay=2h",
            "fair+place=frag-aware",
            "fifo+place=spread",
            "fair+place=random",
        ]
    ),
    failures=st.booleans(),
    grants=st.one_of(st.none(), GRANTS),
    racks=st.booleans(),
)
def test_invariants_hold_after_every_event(
    specs: list[tuple[int, int, int, str, bool, PriorityClass]],
    nodes: list[int],
    gpn: int,
    quotas: list[int],
    weights: list[float],
    cohort: bool,
    cap_mw: float,
    policy: str,
    failures: bool,
    grants: list[Grant] | None,
    racks: bool,
) -> None:
    # With `racks`, pools are pairs of nodes joined in one NVLink domain (as NVL72 racks are),
    # each pair a rack of its own, and the racks of a pool one block.
    k = 2 if racks else 1
    pools = [
        dataclasses.replace(
            pool(
                f"p{i}",
                site=f"s{i % 2}",
                gpn=gpn,
                nodes=n * k,
                nvlink=gpn * k,
                model="H100" if i % 2 else "B200",
            ),
            rack_nodes=k if racks else 0,
            block_racks=n if racks else 0,
        )
        for i, n in enumerate(nodes)
    ]
    sites = [site("s0", cap_mw=cap_mw), site("s1", cap_mw=cap_mw, zone=Zone.COMMERCIAL)]
    sites = [s for s in sites if any(p.site == s.id for p in pools)]
    progs = [
        program(
            f"p{k + 1}",
            {"H100": q, "B200": q},
            cohort="c" if cohort else None,
            budget=5e6,
            weight=weights[k],
        )
        for k, q in enumerate(quotas)
    ]
    sc = scenario(fleet(pools, sites=sites), tenancy(*progs, grants=grants or ()))
    # Idle power alone must fit (a scenario file would be refused otherwise).
    if any(sc.fleet.site_power_mw(s.id, busy=False) > s.grid_cap_mw for s in sites):
        return
    jobs = [
        job(
            g,
            submit=float(t),
            runtime=float(r),
            program=p,
            sovereign=sov,
            id=i,
            org=f"o{i % 3}",
            priority=prio,
        )
        for i, (g, t, r, p, sov, prio) in enumerate(specs)
    ]
    if failures:
        # A hazard high enough that nodes fail within the run; jobs checkpoint every 10 min.
        sc = dataclasses.replace(
            sc, reliability=Reliability(interruptions_per_gpu_day=3.0, repair_h=0.5)
        )
        for j in jobs:
            j.checkpoint_interval_s = 600.0
    if "reclaim" in policy or "priority" in policy:
        for j in jobs:
            j.preemptible = True
            j.checkpoint_interval_s = 600.0
    jobs.sort(key=lambda j: (j.submit_s, j.id))
    w = World(sc, jobs, Policy.parse(policy), 30_000, seed=len(specs))
    w.start()
    step_checking_backfill_promises(w)
    w.check_limits()
    if grants:
        event(f"grant-paid starts: {any(j.account and j.first_start_s is not None for j in jobs)}")
        event(f"waits for a grant: {any(j.pending_reason == GRANT_REASON for j in jobs)}")
    for j in w.jobs:
        assert (
            j.state.terminal
            or j.state is JobState.RUNNING
            or (j.state is JobState.PENDING and j.pending_reason)
        ), (j.id, j.state, j.pending_reason)
    for j in w.jobs:
        if j.state.terminal and j.state is not JobState.REJECTED:
            assert w.accounts.held_by(j.id) is None
    for pid in sc.tenancy.programs:
        b = w.accounts.balance(pid)
        assert b.spent_krw + b.held_krw <= 5e6


def step_checking_backfill_promises(w: World) -> None:
    """Run `w` event by event, checking the invariants after each, and at the end that no job
    that got a backfill reservation started later than the reservation promised."""
    promised: dict[int, float] = {}  # job id -> start of its first backfill reservation
    broken: set[int] = set()  # reservations dropped while the job still waited
    while w.engine.peek() is not None and (w.engine.peek() or 0) <= w.horizon_s:
        w.engine.step()
        check_invariants(w)
        holders = {r.job_id for r in w.state.reservations.values()}
        for r in w.state.reservations.values():
            promised.setdefault(r.job_id, r.start_s)
        for jid in promised.keys() - holders:
            if w.jobs_by_id[jid].state is JobState.PENDING:
                broken.add(jid)
    # No job waits while it could start: waking every parked queue changes no answer (the wake
    # tokens and needs missed nothing).
    snapshot = Snapshot(w.engine.now, w.state, w.queues, w.light_sites)
    w.queues.wake_all()
    late = [d for d in decide(snapshot, w.policy) if isinstance(d, Admit)]
    assert not late, f"{len(late)} jobs could have started but were not woken"
    event(f"backfill reservations kept: {len(promised) - len(broken) > 0}")
    event(f"node failures: {getattr(w, 'node_failures', 0) > 0}")
    event(f"power-capped starts: {getattr(w, 'capped_jobs', 0) > 0}")
    event(f"preemptions: {bool(w.preemption_log)}")
    # No preemption loop: two jobs never preempt each other.
    pairs = {(victim, by) for _t, victim, by, _cause in w.preemption_log}
    assert not any((by, victim) in pairs for victim, by in pairs)
    # A job is preempted only after it ran the minimum runtime.
    for _t, victim, _by, _cause in w.preemption_log:
        assert w.jobs_by_id[victim].preemptions >= 1
    # Priority preemption stays within a program, and takes only lower classes.
    for _t, victim, by, cause in w.preemption_log:
        if cause == "priority":
            v, b = w.jobs_by_id[victim], w.jobs_by_id[by]
            assert v.program == b.program
            assert v.priority_class.priority < b.priority_class.priority
    for jid, start in promised.items():
        j = w.jobs_by_id[jid]
        if jid not in broken and j.first_start_s is not None:
            assert j.first_start_s <= start + 1e-9, (jid, j.first_start_s, start)


@settings(max_examples=100, deadline=None)
@given(
    specs=st.lists(
        st.tuples(
            st.sampled_from([1, 2, 4, 8, 16, 24]),
            st.integers(0, 5_000),
            st.integers(60, 5_000),
            st.floats(1.0, 3.0),
        ),
        min_size=5,
        max_size=30,
    ),
    nodes=st.integers(2, 4),
)
def test_backfill_never_delays_a_reserved_job(
    specs: list[tuple[int, int, int, float]], nodes: int
) -> None:
    # Quota above the hardware, so that capacity, not quota, is what jobs wait for.
    sc = scenario(fleet([pool("a", nodes=nodes)]), tenancy(program("p1", {"H100": 16 * nodes})))
    jobs = [
        job(g, submit=float(t), runtime=float(r), walltime=float(r) * over, id=i)
        for i, (g, t, r, over) in enumerate(specs)
    ]
    w = _world(jobs, sc, PolicyName.FAIR, horizon=100_000)
    w.engine.schedule(0.0, w.SAMPLE, None, 9)
    w.engine.schedule(w.jobs[0].submit_s, w.ARRIVAL, None, 1)
    step_checking_backfill_promises(w)


def test_the_warm_up_is_left_out_of_the_figures() -> None:
    sc = scenario(fleet([pool("a", nodes=1)]), tenancy(program("p1", {"H100": 8})))
    carried = job(8, submit=0, runtime=7200, id=0)
    late = job(8, submit=9000, runtime=600, id=1)
    run = run_twin(
        sc,
        days=7200 / 86400,
        warmup_days=3600 / 86400,
        seed=0,
        policy=Policy(PolicyName.FAIR),
        jobs=[carried, late],
    )
    s = summarize(run)
    assert s["jobs"]["submitted"] == 1
    assert s["jobs"]["completed"] == 1
    # In the window [1 h, 3 h]: 8 GPUs busy for 1 h (carried in) + 600 s (late job).
    busy_h = 8 * 1.0 + 8 * 600 / 3600
    assert abs(s["utilization"]["fleet"] - busy_h / 16) < 1e-4
    # Energy: 2 h of idle draw plus the busy extra for the busy GPU-hours (PUE 1).
    want_mwh = (8 * 700 * 2 + 600 * busy_h) / 1e6
    mwh, _krw, _tco2 = run.world.meters.window()
    assert abs(sum(mwh) - want_mwh) < 1e-12
    assert s["wait_hours"]["by_tenant_class"]["university"]["jobs"] == 1


def test_waits_are_accounted_to_their_reasons() -> None:
    # One node and a quota of 8 GPUs. Job 1 runs 0-3600; job 2 waits for the quota 0-3600;
    # job 3 arrives at 1800 and waits for the quota until job 2 ends at 7200.
    a = job(8, submit=0, runtime=3600, id=1)
    b = job(8, submit=0, runtime=3600, id=2)
    c = job(8, submit=1800, runtime=60, id=3)
    w = _world([a, b, c], horizon=10_000)
    w.run()
    assert (b.first_start_s, c.first_start_s) == (3600, 7200)
    # b waited 1 h; c waited 1.5 h; all on quota (the program's quota is the whole node).
    assert w.waits.job_seconds == {"quota": 3600 + 5400}
    assert w.waits.main_reason == {2: "quota", 3: "quota"}
    s = summarize(run_twin_result(w))
    assert s["pending_reasons"] == {"quota": 2.5}


def run_twin_result(w: World) -> TwinRun:
    return TwinRun(w.scenario, 0, w.policy, w.horizon_s / 86400, 0.0, w, 0.0, 0.0)


def test_a_power_capped_job_runs_slower_and_keeps_the_site_under_its_cap() -> None:
    sc = scenario(
        fleet([pool("a", nodes=2)], sites=[site("s1", cap_mw=0.015)]),
        tenancy(program("p1", {"H100": 16})),
    )
    j = job(8, submit=0, runtime=3600, walltime=7200, id=1)
    w = World(sc, [j], Policy.parse("fair+powercap"), 86_400)
    w.run()
    # Held to 80% of full power, it runs at 94% speed: 3,600 s of work take 3,829.8 s.
    assert j.speed == pytest.approx(0.94)
    assert j.end_s == pytest.approx(3600 / 0.94)
    assert j.state is JobState.COMPLETED
    assert max(w.meters.peak_mw) <= 0.015
    assert w.capped_jobs == 1
    assert w.capped_gpu_s == pytest.approx(8 * 3600 / 0.94)


def test_a_lender_reclaims_its_quota_and_the_borrower_resumes_from_its_checkpoint() -> None:
    sc = scenario(
        fleet([pool("a", nodes=2)]),
        tenancy(program("p1", {"H100": 8}, cohort="c"), program("p2", {"H100": 8}, cohort="c")),
    )
    borrower = job(16, program="p1", submit=0, runtime=36_000, walltime=72_000, id=1)
    borrower.preemptible = True
    borrower.checkpoint_interval_s = 3600
    lender = job(8, program="p2", submit=3 * 3600 + 600, runtime=3600, id=2)
    w = World(sc, [borrower, lender], Policy.parse("fair+reclaim"), 86_400)
    w.run()
    # The lender's job starts the moment it arrives: the borrower (16 GPUs, 8 of them borrowed)
    # is preempted, keeps 3 h of checkpoints and loses 600 s.
    assert lender.first_start_s == 3 * 3600 + 600
    assert borrower.preemptions == 1 and borrower.preempted == (2, "reclaim", 3 * 3600 + 600)
    assert (borrower.done_s, borrower.lost_s) == (3 * 3600, 600)
    assert w.preemptions == {"reclaim": 1}
    # It waits for its 16 GPUs until the lender's job ends, then runs what it has left.
    assert borrower.start_s == 3 * 3600 + 600 + 3600
    assert borrower.end_s == borrower.start_s + 36_000 - 3 * 3600
    assert borrower.state is JobState.COMPLETED


def test_a_high_job_preempts_a_low_one_of_its_program_which_saves_its_work_in_its_grace() -> None:
    sc = scenario(fleet([pool("a", nodes=2)]), tenancy(program("p1", {"H100": 8})))
    low = job(8, submit=0, runtime=36_000, walltime=72_000, id=1, priority=PriorityClass.LOW)
    low.preemptible = True
    low.checkpoint_interval_s = 3600
    high = job(8, submit=3 * 3600 + 600, runtime=3600, id=2, priority=PriorityClass.HIGH)
    w = World(sc, [low, high], Policy.parse("fair+priority+grace=5m"), 86_400)
    w.run()
    told = 3 * 3600 + 600
    # Told when the high job arrives, the low one runs 5 more minutes to save all it did by
    # then (not just its hourly checkpoints), and loses only those 5 minutes.
    assert low.preemptions == 1 and low.preempted == (2, "priority", told)
    assert (low.done_s, low.lost_s) == (told, 300)
    assert high.first_start_s == told + 300
    assert w.preemptions == {"priority": 1}
    assert low.start_s == told + 300 + 3600  # back once the high job is done
    assert low.end_s == low.start_s + 36_000 - told
    assert low.state is JobState.COMPLETED
