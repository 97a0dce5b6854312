"""ClusterState's own bookkeeping: the arrays backfill reads stay in step with the lists."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from aigrid.model import Placement
from aigrid.scheduler import ClusterState
from tests.builders import fleet, pool, program, tenancy

FLEET = fleet([pool("a", nodes=64, gpn=4), pool("b", nodes=40, gpn=8)])
"""Pools large enough that the arrays are mostly brought up to date, not rebuilt."""
TENANCY = tenancy(program("p1", {"H100": 576}))


@settings(max_examples=150, deadline=None)
@given(
    script=st.lists(
        st.tuples(
            st.sampled_from(["take", "share", "release", "fail", "look"]),
            st.integers(0, 1),
            st.integers(0, 63),
            st.integers(1, 8),
            st.floats(0, 1e6),
        ),
        max_size=120,
    )
)
def test_node_arrays_match_the_lists_whatever_changed_in_between(
    script: list[tuple[str, int, int, int, float]],
) -> None:
    state = ClusterState(FLEET, TENANCY)
    held: list[tuple[int, Placement]] = []
    next_id = 1
    for op, pool_i, node_pick, gpus, until in script:
        cap = state.capacity[pool_i]
        node = node_pick % cap.nodes
        if op == "take":
            n = min(gpus, cap.free[node])
            if n:
                placement = Placement(pool_i, (node,), (n,))
                state.allocate("p1", placement, job_id=next_id, until=until)
                held.append((next_id, placement))
                next_id += 1
        elif op == "share":
            # A quarter of a GPU: a second share on a GPU changes no free count, only (by its
            # walltime) when the node is free again.
            detail = cap.ensure_detail()
            gpu = gpus % cap.gpus_per_node
            if detail.gpu_free[node, gpu] >= 250:
                placement = Placement(pool_i, (node,), (1,), gpu_share_milli=250, shared_gpu=gpu)
                state.allocate("p1", placement, job_id=next_id, until=until)
                held.append((next_id, placement))
                next_id += 1
        elif op == "release" and held:
            job_id, placement = held.pop(node_pick % len(held))
            state.release("p1", placement, job_id=job_id)
        elif op == "fail" and cap.free[node]:
            cap.take_from(node, cap.free[node])  # held by nothing the state tracks
        elif op == "look":
            free, node_until = state.node_arrays(pool_i)
            assert free.tolist() == cap.free
            assert np.array_equal(node_until, np.array(state.node_until[pool_i]))
    for i in range(len(FLEET.pools)):
        free, node_until = state.node_arrays(i)
        assert free.tolist() == state.capacity[i].free
        assert np.array_equal(node_until, np.array(state.node_until[i]))


def test_a_second_share_of_a_gpu_moves_the_node_s_end_in_the_arrays() -> None:
    """The second share on a GPU changes no free count, only when the node is free again: the
    arrays must hear of it all the same (and of its release)."""
    state = ClusterState(FLEET, TENANCY)
    first = Placement(0, (5,), (1,), gpu_share_milli=250, shared_gpu=0)
    second = Placement(0, (5,), (1,), gpu_share_milli=250, shared_gpu=0)
    state.allocate("p1", first, job_id=1, until=100.0)
    assert state.node_arrays(0)[1][5] == 100.0
    state.allocate("p1", second, job_id=2, until=900.0)
    assert state.node_arrays(0)[1][5] == 900.0
    state.release("p1", second, job_id=2)
    assert state.node_arrays(0)[1][5] == 100.0
