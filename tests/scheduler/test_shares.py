"""Shares of GPUs, CPU and memory in the main cycle: what is booked never exceeds what a node
has, releases wake the queues that wait for them, and a cycle leaves the detail as it found it."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aigrid.model import GPU_MILLI, Placement
from aigrid.scheduler import (
    Admit,
    ClusterState,
    Park,
    Policy,
    QueueSet,
    ReasonCode,
    Snapshot,
    commit,
    decide,
    wake_after_release,
)
from aigrid.scheduler.placement import Choice, choose, take
from aigrid.scheduler.policy import PLACEMENT_STRATEGIES
from tests.builders import fleet, job, pool, program, tenancy

NODES, GPN, CPU, MEMORY = 3, 4, 16_000, 65_536
TENANCY = tenancy(program("p1", {"H100": 10**6}))


def _state(tracked: bool, nodes: int = NODES, gpn: int = GPN) -> ClusterState:
    cpu, memory = (CPU, MEMORY) if tracked else (0, 0)
    return ClusterState(fleet([pool("a", nodes=nodes, gpn=gpn, cpu=cpu, memory=memory)]), TENANCY)


def _check(state: ClusterState, running: dict[int, Placement], tracked: bool) -> None:
    """What the running placements add up to, node by node, against what the pool books."""
    cap = state.capacity[0]
    whole = Counter[int]()
    share = Counter[tuple[int, int]]()
    cpu = Counter[int]()
    memory = Counter[int]()
    for p in running.values():
        for node, gpus in zip(p.nodes, p.gpus_per_node, strict=True):
            if p.gpu_share_milli:
                share[(node, p.shared_gpu)] += p.gpu_share_milli
            else:
                whole[node] += gpus
            cpu[node] += p.cpu_milli
            memory[node] += p.memory_mib
    assert all(0 < used <= GPU_MILLI for used in share.values())
    for node in range(NODES):
        shared = sum(1 for (n, _g) in share if n == node)
        assert whole[node] + shared <= GPN
        assert cap.free[node] == GPN - whole[node] - shared
        if tracked:
            assert cpu[node] <= CPU and memory[node] <= MEMORY
    assert cap.count == [sum(1 for f in cap.free if f == k) for k in range(GPN + 1)]
    assert cap.shared_gpus == len(share)
    assert state.busy_gpus[0] == sum(whole.values()) + len(share)
    detail = cap.detail
    if detail is not None:
        assert (detail.full == np.array(cap.free)).all()
        assert (detail.gpu_free >= 0).all() and (detail.gpu_free <= GPU_MILLI).all()
        for (node, gpu), used in share.items():
            assert detail.shared[node, gpu] == used
            assert detail.gpu_free[node, gpu] == GPU_MILLI - used
        if tracked:
            assert all(detail.cpu_free[n] == CPU - cpu[n] for n in range(NODES))
            assert all(detail.memory_free[n] == MEMORY - memory[n] for n in range(NODES))


asks = st.one_of(
    st.tuples(st.just(0), st.integers(1, GPN + 4)),  # whole GPUs, gangs included
    st.tuples(st.integers(1, GPU_MILLI - 1), st.just(1)),  # a share of one GPU
)
steps = st.lists(
    st.tuples(
        st.booleans(),  # start a job (else end one)
        asks,
        st.sampled_from([0, 1000, 6000, 16_000]),
        st.sampled_from([0, 4096, 40_000]),
        st.integers(0, 50),
    ),
    max_size=60,
)


@settings(max_examples=150, deadline=None)
@given(tracked=st.booleans(), strategy=st.sampled_from(PLACEMENT_STRATEGIES), script=steps)
def test_nothing_is_booked_beyond_what_a_node_has(
    tracked: bool,
    strategy: str,
    script: list[tuple[bool, tuple[int, int], int, int, int]],
) -> None:
    """Over any sequence of starts (placed by the cycle's own search) and ends, no GPU holds
    more than 1000 milli-GPUs, no node more CPU or memory than it has, and the counts, the
    detail and the state's busy GPUs agree."""
    state = _state(tracked)
    running: dict[int, Placement] = {}
    for start, (share, gpus), cpu, memory, pick in script:
        if start or not running:
            j = job(gpus, share=share, cpu=cpu, memory=memory, walltime=3600.0)
            fit = choose(state, j, (0,), 1e18, strategy=strategy)
            if isinstance(fit, Choice):
                running[j.id] = take(state, j, fit)
        else:
            job_id = sorted(running)[pick % len(running)]
            state.release("p1", running.pop(job_id), job_id=job_id)
        _check(state, running, tracked)
    for job_id in sorted(running):
        state.release("p1", running.pop(job_id), job_id=job_id)
    _check(state, running, tracked)
    assert state.capacity[0].free == [GPN] * NODES


def _commit_cycle(state: ClusterState, queues: QueueSet, now: float = 0.0) -> list[Admit]:
    snap = Snapshot(now, state, queues)
    decisions = decide(snap, Policy())
    commit(snap, decisions)
    return [d for d in decisions if isinstance(d, Admit)]


Ask = tuple[int, int, int]
"""(share, CPU, memory) a job asks with one GPU."""


@pytest.mark.parametrize(
    ("tracked", "first", "waiting", "reason"),
    [
        (False, [(600, 0, 0)], (500, 0, 0), ReasonCode.NO_CAPACITY),
        # the release leaves the GPU shared (300 stay): no GPU becomes wholly free
        (False, [(600, 0, 0), (300, 0, 0)], (500, 0, 0), ReasonCode.NO_CAPACITY),
        (True, [(100, CPU, 0)], (100, 1, 0), ReasonCode.CPU_MEMORY),
        (True, [(100, 0, MEMORY - 10), (100, 0, 0)], (100, 0, 100), ReasonCode.CPU_MEMORY),
    ],
)
def test_a_release_wakes_a_queue_waiting_for_a_share_cpu_or_memory(
    tracked: bool, first: list[Ask], waiting: Ask, reason: ReasonCode
) -> None:
    """One node of one GPU: the first jobs take what the last needs; it parks with `reason`,
    and the end of the first job wakes it and lets it start."""
    cpu, memory = (CPU, MEMORY) if tracked else (0, 0)
    state = ClusterState(fleet([pool("a", nodes=1, gpn=1, cpu=cpu, memory=memory)]), TENANCY)
    queues = QueueSet()
    for k, (share, c, m) in enumerate(first):
        queues.push(job(1, id=k, submit=k, share=share, cpu=c, memory=m))
    admitted = _commit_cycle(state, queues)
    assert len(admitted) == len(first)
    b = job(1, id=99, submit=10.0, share=waiting[0], cpu=waiting[1], memory=waiting[2])
    queues.push(b)
    snap = Snapshot(10.0, state, queues)
    decisions = decide(snap, Policy())
    assert [d.reason.code for d in decisions if isinstance(d, Park)] == [reason]
    commit(snap, decisions)
    assert not queues.active
    state.release("p1", admitted[0].placement, job_id=admitted[0].job.id)
    assert wake_after_release(queues, state, "p1", 0) >= 1
    assert [d.job.id for d in _commit_cycle(state, queues, 11.0)] == [99]


def test_a_cycle_leaves_the_detail_as_it_found_it() -> None:
    """The cycle takes shares, CPU and memory as it admits and gives them all back."""
    state = _state(tracked=True)
    state.allocate("p1", Placement(0, (0,), (1,), 300, 2, 1000, 100), job_id=-1)
    queues = QueueSet()
    for i in range(12):
        queues.push(job(1, id=i, share=200 + 50 * i, cpu=3000, memory=1000, submit=i))
    detail = state.capacity[0].detail
    assert detail is not None
    before = (detail.gpu_free.copy(), detail.cpu_free.copy(), detail.shared.copy())
    decisions = decide(Snapshot(0.0, state, queues), Policy())
    assert sum(isinstance(d, Admit) for d in decisions) == 12
    assert (detail.gpu_free == before[0]).all()
    assert (detail.cpu_free == before[1]).all()
    assert (detail.shared == before[2]).all()


wake_steps = st.lists(
    st.tuples(
        st.booleans(),  # submit a job (else end one)
        st.one_of(
            st.tuples(st.just(0), st.just(1)),
            st.tuples(st.sampled_from([300, 500, 600, 700]), st.just(1)),
            st.tuples(st.sampled_from([300, 500, 600, 700]), st.just(1)),
        ),
        st.sampled_from([0, 1000, 6000, 16_000]),
        st.sampled_from([0, 4096, 40_000]),
        st.integers(0, 50),
    ),
    max_size=50,
)


@settings(max_examples=150, deadline=None)
@given(tracked=st.booleans(), script=wake_steps)
def test_no_release_leaves_a_queue_parked_that_could_start(
    tracked: bool, script: list[tuple[bool, tuple[int, int], int, int, int]]
) -> None:
    """Jobs arrive and end, a cycle runs after each; after every end, each queue still parked
    is one whose head could not start now: the release woke every queue it could help. (Two
    nodes of one GPU, so that shares, CPU and memory run out often.)"""
    state = _state(tracked, nodes=2, gpn=1)
    queues = QueueSet()
    running: dict[int, Placement] = {}
    now = 0.0
    for submit, (share, gpus), cpu, memory, pick in script:
        now += 1.0
        if submit or not running:
            queues.push(job(gpus, share=share, cpu=cpu, memory=memory, submit=now))
        else:
            job_id = sorted(running)[pick % len(running)]
            state.release("p1", running.pop(job_id), job_id=job_id)
            wake_after_release(queues, state, "p1", 0)
            for q in queues.queues.values():
                if q.parked:
                    head = q.at(0)
                    fit = choose(state, head, (0,), 1e18, now, state.reservations)
                    assert not isinstance(fit, Choice), f"job {head.id} could start, not woken"
        for admit in _commit_cycle(state, queues, now):
            running[admit.job.id] = admit.placement
