"""Pool capacity against a plain list: same choices, whatever the history of operations."""

from __future__ import annotations

import random

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


def oracle_domain_take(free: list[int], gpn: int, dn: int, n: int) -> list[int] | None:
    """A gang of `n` whole nodes with NVLink domains of `dn` nodes, by the plain rule: inside
    the fitting domain with the fewest wholly free nodes (lowest index on ties) if `n` fits in
    one; else domains with the most wholly free nodes first; lowest nodes first within each."""
    whole = [
        sum(1 for x in free[d * dn : (d + 1) * dn] if x == gpn) for d in range(len(free) // dn)
    ]
    if n <= dn:
        fitting = [(w, d) for d, w in enumerate(whole) if w >= n]
        if not fitting:
            return None
        order = [min(fitting)[1]]
    else:
        if sum(whole) < n:
            return None
        order = sorted(range(len(whole)), key=lambda d: (-whole[d], d))
    nodes = [i for d in order for i in range(d * dn, (d + 1) * dn) if free[i] == gpn]
    return nodes[:n]


@settings(max_examples=200, deadline=None)
@given(
    domains=st.integers(1, 4),
    dn=st.sampled_from([2, 3, 4]),
    script=st.lists(
        st.tuples(
            st.sampled_from(["slot", "whole", "back"]), st.integers(1, 9), st.integers(0, 30)
        ),
        max_size=80,
    ),
)
def test_gangs_stay_inside_an_nvlink_domain_when_they_fit_in_one(
    domains: int, dn: int, script: list[tuple[str, int, int]]
) -> None:
    gpn = 4
    cap = PoolCapacity(domains * dn, gpn, dn)
    free = [gpn] * (domains * dn)
    for op, n, pick in script:
        if op == "slot":
            want = oracle_best_fit(free, min(n, gpn))
            slot = cap.best_fit_slot(min(n, gpn))
            if want is not None:
                node = cap.take_slot(slot, min(n, gpn))
                assert node == want
                free[node] -= min(n, gpn)
        elif op == "whole":
            want_nodes = oracle_domain_take(free, gpn, dn, n)
            assert cap.gang_fits(n) is (n > dn or want_nodes is not None)
            if want_nodes is None or cap.free_nodes < n:
                continue
            assert cap.take_whole_nodes(n) == want_nodes
            for node in want_nodes:
                free[node] = 0
        else:
            node = pick % len(free)
            back = gpn - free[node]
            if back:
                cap.give_back(node, back)
                free[node] = gpn
        assert cap.free == free
        whole = [sum(1 for x in free[d * dn : (d + 1) * dn] if x == gpn) for d in range(domains)]
        assert cap.domain_whole == whole
        assert cap.domain_hist == [whole.count(k) for k in range(dn + 1)]


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), domains=st.integers(1, 4), dn=st.sampled_from([2, 4]))
def test_domain_choices_hold_over_a_long_run(seed: int, domains: int, dn: int) -> None:
    """Thousands of changes, so that the lazy heaps of domains go stale and are compacted
    many times over, and every gang still lands where the plain rule puts it."""
    gpn = 4
    rng = random.Random(seed)
    cap = PoolCapacity(domains * dn, gpn, dn)
    free = [gpn] * (domains * dn)
    for _ in range(3000):
        node = rng.randrange(len(free))
        if rng.random() < 0.5:
            # Mostly gangs that fit in a domain; some that span several.
            n = rng.randint(1, dn) if rng.random() < 0.7 else rng.randint(1, domains * dn)
            want_nodes = oracle_domain_take(free, gpn, dn, n)
            if want_nodes is not None:
                assert cap.take_whole_nodes(n) == want_nodes
                for taken in want_nodes:
                    free[taken] = 0
        elif free[node] < gpn:
            cap.give_back(node, gpn - free[node])
            free[node] = gpn
        else:
            cap.take_from(node, rng.randint(1, gpn))
            free[node] = cap.free[node]
    assert cap.free == free
