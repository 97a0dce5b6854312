"""Backfill's shadow time against the plain rule: sort the nodes by when they are wholly free
(stably: the lowest index first on ties) and take the first that the job needs."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from aigrid.model import Placement
from aigrid.scheduler import ClusterState
from aigrid.scheduler.backfill import shadow
from tests.builders import fleet, pool, program, tenancy

FLEET = fleet([pool("a", nodes=12, gpn=4), pool("b", nodes=12, gpn=4, nvlink=12)])
"""Pool b has NVLink domains of three nodes."""
TENANCY = tenancy(program("p1", {"H100": 96}))


def plain_shadow(
    state: ClusterState, pool_i: int, gpus: int, now: float
) -> tuple[float, set[int]] | None:
    cap = state.capacity[pool_i]
    gpn, dn = cap.gpus_per_node, cap.domain_nodes
    times = [
        math.inf
        if cap.free[n] < gpn and state.node_until[pool_i][n] == -math.inf
        else max(state.node_until[pool_i][n], now)
        for n in range(cap.nodes)
    ]
    need = 1 if gpus <= gpn else -(-gpus // gpn)
    if need > len(times):
        return None
    if 1 < need <= dn and dn > 1:
        domains = [
            sorted(range(d * dn, (d + 1) * dn), key=lambda n: times[n])
            for d in range(cap.nodes // dn)
        ]
        best = min(range(len(domains)), key=lambda d: (times[domains[d][need - 1]], d))
        chosen = domains[best][:need]
    else:
        chosen = sorted(range(len(times)), key=lambda n: times[n])[:need]
    start = max(times[n] for n in chosen)
    return None if math.isinf(start) else (start, set(chosen))


@settings(max_examples=200, deadline=None)
@given(
    held=st.lists(
        st.tuples(
            st.integers(0, 1),
            st.integers(0, 11),
            st.integers(1, 4),
            st.sampled_from([10.0, 20.0, 20.0, 35.0, 50.0]),
        ),
        max_size=30,
    ),
    failed=st.lists(st.tuples(st.integers(0, 1), st.integers(0, 11)), max_size=2),
    gpus=st.integers(1, 48),
    now=st.sampled_from([0.0, 15.0, 20.0]),
)
def test_shadow_takes_the_nodes_a_stable_sort_takes_first(
    held: list[tuple[int, int, int, float]], failed: list[tuple[int, int]], gpus: int, now: float
) -> None:
    state = ClusterState(FLEET, TENANCY)
    for job_id, (pool_i, node, n, until) in enumerate(held, start=1):
        free = state.capacity[pool_i].free[node]
        if free:
            state.allocate(
                "p1", Placement(pool_i, (node,), (min(n, free),)), job_id=job_id, until=until
            )
    for pool_i, node in failed:  # held by nothing tracked: never free
        cap = state.capacity[pool_i]
        if cap.free[node]:
            cap.take_from(node, cap.free[node])
    for pool_i in (0, 1):
        got = shadow(state, pool_i, gpus, now, 7)
        want = plain_shadow(state, pool_i, gpus, now)
        if want is None:
            assert got is None
        else:
            assert got is not None
            assert (got.start_s, set(got.nodes)) == want
