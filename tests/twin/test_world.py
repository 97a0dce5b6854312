"""The twin's world on small cases: the event log of a run, and invariants as properties."""

from __future__ import annotations

import copy
import dataclasses
from collections import defaultdict
from collections.abc import Sequence
from itertools import pairwise

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from aigrid.model import (
    GPU_MILLI,
    Cohort,
    Grant,
    Job,
    JobState,
    PriorityClass,
    Program,
    Reliability,
    Scenario,
    Tenancy,
    Zone,
)
from aigrid.report.summary import summarize
from aigrid.scheduler import (
    Admit,
    Policy,
    PolicyName,
    QueueKey,
    Reason,
    ReasonCode,
    Snapshot,
    decide,
)
from aigrid.scheduler.placement import allocation_gpus, eligibility
from aigrid.twin.run import TwinRun, run_twin
from aigrid.twin.world import World
from tests.builders import cohort, fleet, grant, job, pool, program, scenario, site, tenancy


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


def check_invariants(w: World, *, settled: bool = False) -> None:
    state = w.state
    fl = w.scenario.fleet
    used: dict[tuple[int, int], int] = defaultdict(int)
    shared: dict[tuple[int, int, int], int] = defaultdict(int)
    cpu: dict[tuple[int, int], int] = defaultdict(int)
    memory: dict[tuple[int, int], int] = defaultdict(int)
    usage: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for j in w.jobs:
        if j.state is JobState.RUNNING:
            p = j.placement
            assert p is not None
            for node, g in zip(p.nodes, p.gpus_per_node, strict=True):
                if p.gpu_share_milli:
                    shared[(p.pool, node, p.shared_gpu)] += p.gpu_share_milli
                else:
                    used[(p.pool, node)] += g
                cpu[(p.pool, node)] += p.cpu_milli
                memory[(p.pool, node)] += p.memory_mib
            usage[j.program][fl.pools[p.pool].gpu_model] += p.gpus
    # A GPU that shares hold counts once, and holds at most all of itself.
    assert all(0 < milli <= GPU_MILLI for milli in shared.values())
    for pool_index, node, _gpu in shared:
        used[(pool_index, node)] += 1
    # No GPU is given to two jobs: what running jobs hold is exactly what the pools miss
    # (a node that is down after a failure holds all its GPUs itself, and runs no job); no node
    # gives more CPU or memory than it has.
    for i, cap in enumerate(state.capacity):
        for node, free in enumerate(cap.free):
            assert 0 <= free <= cap.gpus_per_node
            if (i, node) in w.down:
                assert free == 0 and used[(i, node)] == 0
            else:
                assert cap.gpus_per_node - free == used[(i, node)]
            if cap.cpu_milli:
                assert cpu[(i, node)] <= cap.cpu_milli
            if cap.memory_mib:
                assert memory[(i, node)] <= cap.memory_mib
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
    for pid in w.scenario.tenancy.programs:
        for model, g in usage[pid].items():
            assert state.usage[pid][model] == g
    check_quota_tree(w, usage, settled=settled)
    # The usage history was told of every change: what it counts as held is what is held.
    history = state.history
    if history is not None:
        tree = _tree(w.scenario.tenancy)
        for tree_node in tree:
            name, kind = _split(tree_node)
            for model in fl.gpu_models:
                in_use = sum(usage[p][model] for p in _programs_under(tree, name, kind))
                scope = (name, model) if kind == "program" else ("cohort", name, model)
                assert history.held(scope) == in_use


_Tree = dict[str, tuple[str, list[str]]]
"""Node name -> (program or cohort, its children): the quota tree, built here from the
tenancy alone, so that the checks do not lean on the scheduler's own tree."""


def _tree(ten: Tenancy) -> _Tree:
    tree: _Tree = {f"c:{c}": ("cohort", []) for c in ten.cohorts}
    for p in ten.programs.values():
        tree[f"p:{p.id}"] = ("program", [])
        if p.cohort is not None:
            tree.setdefault(f"c:{p.cohort}", ("cohort", []))[1].append(f"p:{p.id}")
    for c in ten.cohorts.values():
        if c.parent is not None:
            tree[f"c:{c.parent}"][1].append(f"c:{c.id}")
    return tree


def _programs_under(tree: _Tree, name: str, kind: str) -> list[str]:
    node = f"{kind[0]}:{name}"
    if kind == "program":
        return [name]
    return [p for child in tree[node][1] for p in _programs_under(tree, *_split(child))]


def _split(node: str) -> tuple[str, str]:
    kind, _, name = node.partition(":")
    return name, "program" if kind == "p" else "cohort"


def check_quota_tree(w: World, usage: dict[str, dict[str, int]], *, settled: bool = False) -> None:
    """Quota is never exceeded except by declared borrowing, and lending limits hold.

    With S(n), a node's nominal subtree quota (its own quota and, from each child, all of the
    child's S or at most its lending limit): no node uses more than S(n) plus its borrowing
    limit; no root uses more than S(root); and a job waits for quota only if its program's
    use would pass what it does not lend (its guaranteed part, S minus its lending limit).
    That last holds once the scheduling passes of the instant have run (`settled`): between a
    release and the pass it wakes, a job may still carry the reason of before."""
    ten = w.scenario.tenancy
    tree = _tree(ten)
    parents = {child: node for node, (_k, children) in tree.items() for child in children}

    def spec(node: str) -> Program | Cohort | None:
        name, kind = _split(node)
        return ten.programs[name] if kind == "program" else ten.cohorts.get(name)

    def own(node: str, key: str) -> int:
        s = spec(node)
        return 0 if s is None else s.quota.get(key, 0)

    def lending(node: str, key: str) -> int | None:
        s = spec(node)
        return None if s is None else s.lending_limit.get(key)

    def borrowing(node: str, key: str) -> int | None:
        s = spec(node)
        if s is None:
            return None
        if isinstance(s, Program) and not s.borrowing:
            return 0
        return s.borrowing_limit.get(key)

    def subtree(node: str, key: str) -> int:
        total = own(node, key)
        for child in tree[node][1]:
            lend = lending(child, key)
            s = subtree(child, key)
            total += s if lend is None else min(s, lend)
        return total

    def used(node: str, key: str) -> int:
        name, kind = _split(node)
        return sum(usage[p].get(key, 0) for p in _programs_under(tree, name, kind))

    def nominal(node: str, key: str) -> int:
        return own(node, key) + sum(nominal(child, key) for child in tree[node][1])

    def root(node: str) -> str:
        while node in parents:
            node = parents[node]
        return node

    for key in w.scenario.fleet.gpu_models:
        for node in tree:
            u = used(node, key)
            top = root(node)
            # What a subtree uses beyond all the quota in it, it borrowed: at most its limit,
            # and nothing at all at a root.
            limit = borrowing(node, key) if node != top else 0
            if limit is not None:
                assert u <= nominal(node, key) + limit, (node, key, "borrowing")
            # What the rest of the tree uses beyond all the quota in it, it took from this
            # subtree: at most its lending limit.
            lend = lending(node, key)
            if lend is not None and node != top:
                others = used(top, key) - u
                assert others <= nominal(top, key) - nominal(node, key) + lend, (node, key)
    if not settled or w.down or w.node_failures:
        return  # quotas shrank for a while: the guarantee is of what is in service
    waiting_for_quota = {
        Reason(ReasonCode.QUOTA).message,
        Reason(ReasonCode.BORROWING_LIMIT).message,
    }
    for j in w.jobs:
        if j.state is not JobState.PENDING or j.pending_reason not in waiting_for_quota:
            continue
        node = f"p:{j.program}"
        for i in eligibility(w.state, QueueKey.of(j)).pools:
            key = w.scenario.fleet.pools[i].gpu_model
            lend = lending(node, key)
            guaranteed = 0 if lend is None else max(0, subtree(node, key) - lend)
            alloc = allocation_gpus(j.gpus, w.scenario.fleet.pools[i].gpus_per_node)
            assert usage[j.program].get(key, 0) + alloc > guaranteed, (j.id, key)


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
    shape=st.sampled_from(["none", "flat", "nested"]),
    limits=st.lists(
        st.tuples(st.sampled_from([None, None, 0, 4, 8]), st.sampled_from([None, None, 0, 4, 8])),
        min_size=5,
        max_size=5,
    ),
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
            "fair+fairshare",
            "fair+reclaim+fairshare+priority+grace=5m",
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
    shape: str,
    limits: list[tuple[int | None, int | None]],
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
    # The quota tree: no cohort; one cohort of all three; or p1 in cohort a, p2 and p3 in b,
    # both under root r. Borrowing and lending limits (on H100 only) drawn per node.
    shapes: dict[str, list[str | None]] = {
        "none": [None, None, None],
        "flat": ["c", "c", "c"],
        "nested": ["a", "b", "b"],
    }
    cohort_of = shapes[shape]

    def lim(value: int | None) -> dict[str, int]:
        return {} if value is None else {"H100": value}

    progs = [
        program(
            f"p{k + 1}",
            {"H100": q, "B200": q},
            cohort=cohort_of[k],
            budget=5e6,
            weight=weights[k],
            borrowing_limit=lim(limits[k][0]),
            lending_limit=lim(limits[k][1]),
        )
        for k, q in enumerate(quotas)
    ]
    cohorts: list[Cohort] = []
    if shape == "nested":
        cohorts = [
            cohort("r"),
            cohort(
                "a", parent="r", borrowing_limit=lim(limits[3][0]), lending_limit=lim(limits[3][1])
            ),
            cohort(
                "b", parent="r", borrowing_limit=lim(limits[4][0]), lending_limit=lim(limits[4][1])
            ),
        ]
    sc = scenario(fleet(pools, sites=sites), tenancy(*progs, grants=grants or (), cohorts=cohorts))
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
    if "reclaim" in policy or "priority" in policy or "fairshare" in policy:
        for j in jobs:
            j.preemptible = True
            j.checkpoint_interval_s = 600.0
    jobs.sort(key=lambda j: (j.submit_s, j.id))
    # Half an hour before a job may be preempted (not 2 h), so that preemption happens within
    # runs this short.
    rules = dataclasses.replace(Policy.parse(policy), min_runtime_s=1800.0)
    fresh = [copy.copy(j) for j in jobs]
    w = World(sc, jobs, rules, 30_000, seed=len(specs))
    event(f"quota tree: {shape}")
    w.start()
    step_checking_backfill_promises(w)
    assert_the_fused_cycle_changes_nothing(w, fresh, seed=len(specs))
    borrowing_waits = Reason(ReasonCode.BORROWING_LIMIT).message
    event(f"waits to borrow: {any(j.pending_reason == borrowing_waits for j in jobs)}")
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


@settings(max_examples=200, deadline=None)
@given(
    specs=st.lists(
        st.tuples(
            st.sampled_from([2, 4, 8, 16]),
            st.integers(0, 6_000),  # submit
            st.integers(1_000, 15_000),  # runtime
            st.sampled_from(["p1", "p2", "p3"]),
            st.sampled_from(PriorityClass),
        ),
        min_size=6,
        max_size=30,
    ),
    nodes=st.integers(2, 4),
    shape=st.sampled_from(["flat", "nested"]),
    lends=st.lists(st.sampled_from([None, 0, 4, 8]), min_size=3, max_size=3),
    borrows=st.lists(st.sampled_from([None, 0, 8, 16]), min_size=3, max_size=3),
    weights=st.lists(st.sampled_from([1.0, 2.0]), min_size=3, max_size=3),
    policy=st.sampled_from(
        [
            "fair+reclaim",
            "fair+fairshare",
            "fair+reclaim+fairshare",
            "fair+reclaim+fairshare+priority+grace=10m",
            "fair+fairshare+priority+decay=1h",
        ]
    ),
)
def test_preemption_in_a_crowded_tree_keeps_the_invariants(
    specs: list[tuple[int, int, int, str, PriorityClass]],
    nodes: int,
    shape: str,
    lends: list[int | None],
    borrows: list[int | None],
    weights: list[float],
    policy: str,
) -> None:
    """Quotas that add up to the fleet, every job preemptible: borrowing, reclaim, fair-share
    and priority preemption all happen, and no invariant (no loop, limits, no GPU twice)
    breaks."""
    gpus = nodes * 8
    cohorts_of = {"flat": ("c", "c", "c"), "nested": ("a", "b", "b")}[shape]
    quotas = (gpus // 4, gpus // 4, gpus - 2 * (gpus // 4))
    progs = [
        program(
            f"p{k + 1}",
            {"H100": quotas[k]},
            cohort=cohorts_of[k],
            budget=1e9,
            weight=weights[k],
            lending_limit=_limit(lends[k]),
            borrowing_limit=_limit(borrows[k]),
        )
        for k in range(3)
    ]
    cohorts = [cohort("r"), cohort("a", parent="r"), cohort("b", parent="r")]
    sc = scenario(
        fleet([pool("a", model="H100", nodes=nodes)]),
        tenancy(*progs, cohorts=cohorts if shape == "nested" else ()),
    )
    jobs = [
        job(g, submit=float(t), runtime=float(r), program=p, id=i, priority=prio)
        for i, (g, t, r, p, prio) in enumerate(specs)
    ]
    for j in jobs:
        j.preemptible = True
        j.checkpoint_interval_s = 600.0
    jobs.sort(key=lambda j: (j.submit_s, j.id))
    rules = dataclasses.replace(Policy.parse(policy), min_runtime_s=600.0)
    fresh = [copy.copy(j) for j in jobs]
    w = World(sc, jobs, rules, 40_000, seed=len(specs))
    w.start()
    step_checking_backfill_promises(w)
    assert_the_fused_cycle_changes_nothing(w, fresh, seed=len(specs))
    w.check_limits()
    # Every preemption came after the victim's minimum runtime.
    starts: dict[int, float] = {}
    for j in w.jobs:
        if j.first_start_s is not None:
            starts[j.id] = j.first_start_s
    for t, victim, _by, _cause in w.preemption_log:
        assert t - starts[victim] >= rules.min_runtime_s - 1e-9


def _limit(gpus: int | None) -> dict[str, int]:
    return {} if gpus is None else {"H100": gpus}


share_specs = st.lists(
    st.tuples(
        st.sampled_from([0, 0, 100, 250, 500, 700, 999]),  # share (0: whole GPUs)
        st.sampled_from([1, 2, 4, 8, 16]),  # GPUs, for whole-GPU jobs
        st.sampled_from([0, 2000, 8000, 30_000]),  # CPU of each node
        st.sampled_from([0, 16_384, 200_000]),  # memory of each node
        st.integers(0, 20_000),  # submit
        st.integers(1, 20_000),  # runtime
    ),
    min_size=1,
    max_size=25,
)


@settings(max_examples=60, deadline=None)
@given(
    specs=share_specs,
    tracked=st.booleans(),
    policy=st.sampled_from(
        ["fifo", "fair", "fair+place=spread", "fair+place=frag-aware", "fair+place=random"]
    ),
    failures=st.booleans(),
    racks=st.booleans(),
)
def test_invariants_hold_with_shares_cpu_and_memory(
    specs: list[tuple[int, int, int, int, int, int]],
    tracked: bool,
    policy: str,
    failures: bool,
    racks: bool,
) -> None:
    """Jobs that share GPUs and ask CPU and memory, beside whole-GPU jobs: after every event no
    GPU is booked beyond itself, no node beyond its CPU and memory, and at the end no waiting
    job could have started (no release failed to wake it)."""
    cpu, memory = (32_000, 262_144) if tracked else (0, 0)
    pools = [
        pool("a", gpn=4, nodes=2, cpu=cpu, memory=memory),
        pool("b", gpn=8, nodes=1, model="B200", cpu=cpu, memory=memory),
    ]
    if racks:  # every node a rack, all racks one block: gangs go through the racked search
        pools = [dataclasses.replace(p, rack_nodes=1, block_racks=p.nodes) for p in pools]
    sc = scenario(fleet(pools), tenancy(program("p1", {"H100": 64, "B200": 64})))
    jobs = [
        job(
            1 if share else gpus,
            share=share,
            cpu=c,
            memory=m,
            submit=float(t),
            runtime=float(r),
            id=i,
        )
        for i, (share, gpus, c, m, t, r) in enumerate(specs)
    ]
    if failures:
        sc = dataclasses.replace(
            sc, reliability=Reliability(interruptions_per_gpu_day=3.0, repair_h=0.5)
        )
        for j in jobs:
            j.checkpoint_interval_s = 600.0
    jobs.sort(key=lambda j: (j.submit_s, j.id))
    fresh = [copy.copy(j) for j in jobs]
    w = World(sc, jobs, Policy.parse(policy), 30_000, seed=len(specs))
    w.start()
    step_checking_backfill_promises(w)
    assert_the_fused_cycle_changes_nothing(w, fresh, seed=len(specs))
    w.check_limits()
    event(f"two jobs shared a GPU at once: {_shared_at_once(w)}")


def _shared_at_once(w: World) -> bool:
    """Whether the last attempts of two jobs overlapped on one GPU (a smoke check that the
    property test sees GPUs shared)."""
    spans: dict[tuple[int, int, int], list[tuple[float, float]]] = defaultdict(list)
    for j in w.jobs:
        p = j.placement
        if p is not None and p.gpu_share_milli and j.start_s is not None:
            end = j.end_s if j.end_s is not None else w.horizon_s
            spans[(p.pool, p.nodes[0], p.shared_gpu)].append((j.start_s, end))
    for on_gpu in spans.values():
        on_gpu.sort()
        if any(b[0] < a[1] for a, b in pairwise(on_gpu)):
            return True
    return False


def _outcome(jobs: Sequence[Job]) -> list[tuple[object, ...]]:
    return [
        (
            j.id,
            j.state,
            j.start_s,
            j.end_s,
            j.first_start_s,
            j.placement,
            j.attempt,
            j.preemptions,
            j.pending_reason,
        )
        for j in sorted(jobs, key=lambda j: j.id)
    ]


def assert_the_fused_cycle_changes_nothing(w: World, fresh: list[Job], seed: int) -> None:
    """`w` ran with the twin's fused cycle (`decide_and_commit`); the same run with `decide`
    then `commit`, as the live service does, ends every job the same way."""
    other = World(w.scenario, fresh, w.policy, w.horizon_s, seed=seed, fused_cycle=False)
    other.run()
    assert _outcome(w.jobs) == _outcome(other.jobs)
    assert w.preemption_log == other.preemption_log
    assert w.state.usage == other.state.usage


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
    check_invariants(w, settled=True)
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
    for cause in sorted({c for _t, _v, _by, c in w.preemption_log}):
        event(f"preempted for {cause}")
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
    # Reclaim and fair-share preemption take jobs of other programs of the same quota tree.
    for _t, victim, by, cause in w.preemption_log:
        if cause in ("reclaim", "fairshare"):
            v, b = w.jobs_by_id[victim], w.jobs_by_id[by]
            assert v.program != b.program
            assert w.state.tree.root(v.program) == w.state.tree.root(b.program)
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
