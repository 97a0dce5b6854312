"""Pool capacity against a plain list: same choices, whatever the history of operations."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from aigrid.scheduler import PoolCapacity


def oracle_best_fit(free: list[int], gpus: int) -> int | None:
    """The lowest-index node among those with the fewest free GPUs that suffice."""
    fits = [(f, i) for i, f in enumerate(free) if f >= gpus]
    return min(fits)[1] if fits else None


ops = st.lists(
    st.tuples(st.sampled_from(["slot", "whole", "back"]), st.integers(1, 8), st.integers(0, 30)),
    max_size=120,
)


@settings(max_examples=200, deadline=None)
@given(nodes=st.integers(1, 12), gpn=st.sampled_from([1, 2, 4, 8]), script=ops)
def test_choices_match_a_plain_list(
    nodes: int, gpn: int, script: list[tuple[str, int, int]]
) -> None:
    cap = PoolCapacity(nodes, gpn)
    free = [gpn] * nodes
    for op, n, pick in script:
        if op == "slot":
            gpus = min(n, gpn)
            want = oracle_best_fit(free, gpus)
            slot = cap.best_fit_slot(gpus)
            if want is None:
                assert slot == 0
                continue
            node = cap.take_slot(slot, gpus)
            assert node == want
            free[node] -= gpus
        elif op == "whole":
            count = min(n, nodes)
            whole = [i for i, f in enumerate(free) if f == gpn]
            assert cap.free_nodes == len(whole)
            if len(whole) < count:
                continue
            taken = cap.take_whole_nodes(count)
            assert taken == whole[:count]
            for i in taken:
                free[i] = 0
        else:
            node = pick % nodes
            gpus = min(n, gpn - free[node])
            if gpus:
                cap.give_back(node, gpus)
                free[node] += gpus
        assert cap.free == free
        assert cap.free_gpus == sum(free)
        assert cap.largest_free() == max(free)
