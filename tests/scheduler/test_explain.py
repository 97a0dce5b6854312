"""A job's place in the order, factor by factor (`explain_order`, the analogue of `sprio`)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aigrid.model import Placement, PriorityClass
from aigrid.scheduler import (
    Admit,
    ClusterState,
    Park,
    Policy,
    QueueKey,
    QueueSet,
    Reject,
    Snapshot,
    decide,
    explain_order,
)
from tests.builders import cohort, fleet, job, pool, program, tenancy

HOUR = 3600.0


def test_a_deeper_tree_compares_one_share_per_level() -> None:
    """p1 sits in `academia` under `nation`; p3 in no cohort. Their keys have one share per
    level of the deepest path (nation, academia, program), p3's padded with its own share."""
    t = tenancy(
        program("p1", {"H100": 8}, cohort="academia"),
        program("p2", {"H100": 8}, cohort="industry"),
        program("p3", {"H100": 8}),
        cohorts=[
            cohort("nation", weight=2.0),
            cohort("academia", parent="nation"),
            cohort("industry", parent="nation"),
        ],
    )
    state = ClusterState(fleet([pool("h", nodes=4)]), t)
    state.allocate("p1", Placement(0, (0,), (4,)))
    state.allocate("p2", Placement(0, (1,), (8,)))
    b = explain_order(state, job(2, program="p1", id=1), Policy(), 0.0)
    assert [f.name for f in b.factors][2:5] == [
        "cohort share, level 1",
        "cohort share, level 2",
        "program share",
    ]
    # nation: 12 held of 16, weight 2; academia: 4 of 8; p1: 4 of 8.
    assert b.key[2:5] == pytest.approx((12 / 32, 4 / 8, 4 / 8))
    assert [c.scope for c in b.cohorts] == ["nation", "academia"]
    assert b.cohort is not None and b.cohort.scope == "academia"
    lone = explain_order(state, job(2, program="p3", id=2), Policy(), 0.0)
    assert lone.key[2:5] == (0.0, 0.0, 0.0)
    assert lone.factors[2].detail == "in no cohort at this level: its program's share"
    assert lone.cohorts == () and lone.cohort is None


def test_the_factors_of_a_fair_key_with_a_usage_history() -> None:
    t = tenancy(
        program("p1", {"H100": 16, "B200": 8}, cohort="c", weight=2.0),
        program("p2", {"H100": 16}, cohort="c"),
    )
    state = ClusterState(fleet([pool("h", nodes=4), pool("b", model="B200")]), t, half_life_s=HOUR)
    state.allocate("p1", Placement(0, (0,), (8,)), at=0.0)
    state.add_past_use("p2", "H100", 16, 0.0, HOUR)  # a decayed mean of 8 GPUs at 1 h
    j = job(4, program="p1", submit=100.0, id=7, priority=PriorityClass.HIGH)
    b = explain_order(state, j, Policy.parse("fair+decay=1h"), HOUR)
    assert [f.name for f in b.factors] == [
        "quota",
        "priority class",
        "cohort share",
        "program share",
        "submitted",
        "job id",
    ]
    # p1 held 8 H100 for one half-life: a decayed mean of 4, and 8 held now, over 2 x 16.
    assert b.program is not None
    h100 = b.program.terms[1]
    assert (h100.gpu_model, h100.held_gpus, h100.nominal_gpus) == ("H100", 8, 16)
    assert h100.decayed_gpus == pytest.approx(4.0)
    assert b.program.share == pytest.approx(12 / 32)
    # The cohort: (4 + 8 decayed + 8 held) / 32 H100.
    assert b.cohort is not None and b.cohort.share == pytest.approx(20 / 32)
    assert b.key == pytest.approx((0.0, -2.0, 20 / 32, 12 / 32, 100.0, 7.0))
    assert b.factors[1].detail == "high (priority 2)"
    assert b.factors[3].detail == "program p1: 0.375 = (4 decayed + 8 held) / (2 x 16 H100)"
    assert (b.weight, b.half_life_s, b.policy) == (2.0, HOUR, "fair+decay=1h")


def test_a_program_with_no_quota_has_an_infinite_share() -> None:
    state = ClusterState(fleet([pool("h")]), tenancy(program("p1", {})))
    b = explain_order(state, job(1, id=1), Policy(), 0.0)
    assert b.key[:4] == (1.0, -1.0, math.inf, math.inf)
    assert "no nominal quota" in b.factors[3].detail
    assert b.cohort is None


def test_fifo_has_two_factors() -> None:
    state = ClusterState(fleet([pool("h")]), tenancy(program("p1", {"H100": 8})))
    b = explain_order(state, job(1, submit=5.0, id=3), Policy.parse("fifo"), 10.0)
    assert [f.name for f in b.factors] == ["submitted", "job id"]
    assert b.key == (5.0, 3)


def test_the_state_must_keep_the_history_the_policy_reads() -> None:
    state = ClusterState(fleet([pool("h")]), tenancy(program("p1", {"H100": 8})))
    with pytest.raises(ValueError, match="half-life"):
        explain_order(state, job(1), Policy.parse("fair+decay"), 0.0)


# -- property: the breakdown is the order the cycle serves in -------------------------------------

PROGRAMS = ("p1", "p2", "p3")


@settings(max_examples=150, deadline=None)
@given(
    quotas=st.lists(st.sampled_from([0, 8, 16, 24]), min_size=3, max_size=3),
    weights=st.lists(st.sampled_from([0.5, 1.0, 2.0]), min_size=3, max_size=3),
    cohort=st.lists(st.booleans(), min_size=3, max_size=3),
    running=st.lists(st.tuples(st.sampled_from(PROGRAMS), st.integers(0, 3)), max_size=4),
    past=st.lists(
        st.tuples(st.sampled_from(PROGRAMS), st.integers(1, 16), st.floats(0, 9 * HOUR)),
        max_size=4,
    ),
    pending=st.lists(
        st.tuples(
            st.sampled_from(PROGRAMS),
            st.sampled_from([1, 2, 4, 8]),
            st.sampled_from(PriorityClass),
            st.integers(0, 100),
        ),
        min_size=1,
        max_size=8,
    ),
    decay=st.booleans(),
)
def test_the_first_job_served_has_the_least_total(
    quotas: list[int],
    weights: list[float],
    cohort: list[bool],
    running: list[tuple[str, int]],
    past: list[tuple[str, int, float]],
    pending: list[tuple[str, int, PriorityClass, int]],
    decay: bool,
) -> None:
    policy = Policy.parse("fair+decay=1h" if decay else "fair")
    t = tenancy(
        *(
            program(p, {"H100": q}, cohort="c" if c else None, weight=w)
            for p, q, w, c in zip(PROGRAMS, quotas, weights, cohort, strict=True)
        )
    )
    state = ClusterState(fleet([pool("a", nodes=4)]), t, half_life_s=policy.half_life_s)
    for prog, node in running:
        if state.capacity[0].free[node] == 8:
            state.allocate(prog, Placement(0, (node,), (8,)), at=9 * HOUR)
    for prog, gpus, start in past:
        state.add_past_use(prog, "H100", gpus, start, start + HOUR)
    queues = QueueSet()
    jobs = [
        job(g, program=p, submit=float(s), id=i, priority=c)
        for i, (p, g, c, s) in enumerate(pending)
    ]
    for j in sorted(jobs, key=lambda j: (j.submit_s, j.id)):
        queues.push(j)
    now = 10 * HOUR
    heads = {k: q.at(0) for k, q in queues.queues.items()}
    totals = {k: explain_order(state, j, policy, now) for k, j in heads.items()}
    for b in totals.values():
        assert b.program is not None
        assert b.factors[3].value == b.program.share
        assert b.factors[2].value == (b.cohort or b.program).share
    decisions = decide(Snapshot(now, state, queues), policy)
    first = decisions[0]
    served = (
        first.key
        if isinstance(first, Park)
        else QueueKey.of(first.job)
        if isinstance(first, Admit | Reject)
        else None
    )
    assert served is not None
    assert totals[served].key == min(b.key for b in totals.values())
