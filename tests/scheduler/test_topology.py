"""Racks and blocks (`aigrid.scheduler.topology`): the counts, and where gangs go.

A plain-list oracle of the rule stands beside the incremental structure; hypothesis drives both
through random takes and give-backs and holds them to the same choices, the counts to the free
nodes, and every GPU to one holder at a time.
"""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aigrid.scheduler import PoolCapacity
from aigrid.scheduler.topology import RackedCapacity, pool_capacity
from tests.builders import pool


def oracle_gang(
    free: list[int], gpn: int, dn: int, rn: int, br: int, n: int, avoid: frozenset[int]
) -> list[int] | None:
    """The nodes a gang of `n` whole nodes takes by the rule in the module's docstring, on a
    plain list of free counts; None if it cannot be placed."""
    whole = [f == gpn and i not in avoid for i, f in enumerate(free)]
    if sum(whole) < n:
        return None
    if dn > 1 and n <= dn:
        domains = [sum(whole[d * dn : (d + 1) * dn]) for d in range(len(free) // dn)]
        fits = [(w, d) for d, w in enumerate(domains) if w >= n]
        if not fits:
            return None
        d = min(fits)[1]
        return [i for i in range(d * dn, (d + 1) * dn) if whole[i]][:n]
    racks = len(free) // rn
    br = br or racks
    rack_w = [sum(whole[r * rn : (r + 1) * rn]) for r in range(racks)]
    block_w = [sum(rack_w[b * br : (b + 1) * br]) for b in range(racks // br)]
    in_rack = [(w, r) for r, w in enumerate(rack_w) if w >= n]
    in_block = [(w, b) for b, w in enumerate(block_w) if w >= n]
    if in_rack:
        order = [min(in_rack)[1]]
    else:
        blocks = (
            [min(in_block)[1]]
            if in_block
            else sorted(range(len(block_w)), key=lambda b: (-block_w[b], b))
        )
        order = [
            r
            for b in blocks
            for r in sorted(range(b * br, (b + 1) * br), key=lambda r: (-rack_w[r], r))
        ]
    nodes: list[int] = []
    for r in order:
        if dn > 1:
            dw = {
                d: sum(whole[d * dn : (d + 1) * dn])
                for d in range(r * rn // dn, (r + 1) * rn // dn)
            }
            seq = [
                i for d in sorted(dw, key=lambda d: (-dw[d], d)) for i in range(d * dn, d * dn + dn)
            ]
        else:
            seq = list(range(r * rn, (r + 1) * rn))
        nodes.extend(i for i in seq if whole[i])
    return nodes[:n]


def _check_counts(cap: RackedCapacity, free: list[int]) -> None:
    g = cap.gpus_per_node
    rn, br = cap.rack_nodes, cap.block_racks
    whole = [f == g for f in free]
    racks = [sum(whole[r * rn : (r + 1) * rn]) for r in range(len(free) // rn)]
    assert cap.free == free
    assert cap.rack_whole == racks
    assert cap.block_whole == [sum(racks[b * br : (b + 1) * br]) for b in range(len(racks) // br)]
    assert cap.free_nodes == sum(whole)
    if cap.domain_whole:
        dn = cap.domain_nodes
        assert cap.domain_whole == [
            sum(whole[d * dn : (d + 1) * dn]) for d in range(len(free) // dn)
        ]


# (domain nodes, rack nodes, racks per block (0: none), racks)
shapes = st.sampled_from(
    [
        (1, 2, 0, 4),
        (1, 2, 2, 4),
        (1, 3, 2, 6),
        (1, 4, 3, 3),
        (2, 4, 2, 4),
        (2, 2, 3, 6),
        (3, 3, 2, 4),
    ]
)
ops = st.lists(
    st.tuples(
        st.sampled_from(["slot", "whole", "whole", "back", "avoid"]),
        st.integers(1, 14),
        st.integers(0, 60),
    ),
    max_size=80,
)


@settings(max_examples=250, deadline=None)
@given(shape=shapes, gpn=st.sampled_from([1, 4, 8]), script=ops)
def test_counts_agree_with_the_nodes_and_gangs_go_where_the_rule_says(
    shape: tuple[int, int, int, int], gpn: int, script: list[tuple[str, int, int]]
) -> None:
    dn, rn, br, racks = shape
    nodes = rn * racks
    cap = RackedCapacity(nodes, gpn, dn, rn, br)
    free = [gpn] * nodes
    held: dict[int, list[int]] = {i: [] for i in range(nodes)}
    """GPUs handed out per node, one entry per holder: never more than the node has."""
    for op, n, pick in script:
        if op == "slot":
            gpus = min(n, gpn)
            slot = cap.best_fit_slot(gpus)
            if slot:
                node = cap.take_slot(slot, gpus)
                assert free[node] == slot
                free[node] -= gpus
                held[node].append(gpus)
        elif op in ("whole", "avoid"):
            avoid = frozenset({pick % nodes, (pick + 1) % nodes} if op == "avoid" else ())
            want = oracle_gang(free, gpn, dn, rn, br, n, avoid)
            fits = cap.free_nodes_outside(avoid) >= n and cap.gang_fits(n, avoid)
            assert fits is (want is not None)
            if want is None:
                continue
            got = cap.take_whole_nodes(n, avoid)
            assert got == want
            assert len(set(got)) == n and not set(got) & avoid
            for node in got:
                assert free[node] == gpn  # wholly free before: nobody else holds a GPU there
                free[node] = 0
                held[node].append(gpn)
        else:
            node = pick % nodes
            if held[node]:
                gpus = held[node].pop()
                cap.give_back(node, gpus)
                free[node] += gpus
        for node, holders in held.items():
            assert sum(holders) + free[node] == gpn
        _check_counts(cap, free)


@settings(max_examples=150, deadline=None)
@given(shape=shapes, script=ops)
def test_a_gang_spans_as_few_racks_and_blocks_as_it_can(
    shape: tuple[int, int, int, int], script: list[tuple[str, int, int]]
) -> None:
    """Closeness checked from the outside, without the oracle: one rack if any rack holds the
    gang, else one block if any block does, else the fewest blocks that hold it."""
    dn, rn, br, racks = shape
    nodes, gpn = rn * racks, 4
    cap = RackedCapacity(nodes, gpn, dn, rn, br)
    bn = rn * (br or racks)
    for op, n, pick in script:
        if op == "back":
            node = pick % nodes
            if cap.free[node] < gpn:
                cap.give_back(node, gpn - cap.free[node])
            continue
        if op == "slot":
            slot = cap.best_fit_slot(1)
            if slot:
                cap.take_slot(slot, 1)
            continue
        if n <= dn or cap.free_nodes < n:
            continue
        rack_w = list(cap.rack_whole)
        block_w = list(cap.block_whole)
        got = cap.take_whole_nodes(n)
        used_racks = {i // rn for i in got}
        used_blocks = {i // bn for i in got}
        if n <= max(rack_w):
            assert len(used_racks) == 1
            assert rack_w[used_racks.pop()] == min(w for w in rack_w if w >= n)
        elif n <= max(block_w):
            assert len(used_blocks) == 1
            assert block_w[used_blocks.pop()] == min(w for w in block_w if w >= n)
        else:
            fewest, left = 0, n
            for w in sorted(block_w, reverse=True):
                if left <= 0:
                    break
                fewest, left = fewest + 1, left - w
            assert len(used_blocks) == fewest


def test_counts_start_whole_and_follow_takes() -> None:
    cap = RackedCapacity(12, 8, 1, 2, 3)  # 6 racks of 2 nodes, 2 blocks of 3 racks
    assert (cap.rack_whole, cap.block_whole) == ([2] * 6, [6, 6])
    cap.take_slot(8, 1)  # node 0 is no longer wholly free
    cap.take_from(7, 8)
    assert (cap.rack_whole, cap.block_whole) == ([1, 2, 2, 1, 2, 2], [5, 5])
    cap.give_back(0, 1)
    assert (cap.rack_whole, cap.block_whole) == ([2, 2, 2, 1, 2, 2], [6, 5])


def test_a_gang_takes_the_tightest_rack_then_the_tightest_block() -> None:
    cap = RackedCapacity(12, 8, 1, 2, 3)
    cap.take_from(0, 8)  # rack 0: 1 whole node left
    cap.take_from(6, 8)
    cap.take_from(8, 8)  # racks 3 and 4: 1 each; block 1: 4 whole nodes left
    assert cap.take_whole_nodes(2) == [2, 3]  # rack 1: the lowest of the racks with 2
    # 3 nodes fit in no rack; block 0 has 3 whole (1, 4, 5), block 1 has 4: the tighter
    assert cap.take_whole_nodes(3) == [4, 5, 1]
    # 4 nodes: block 1 holds exactly 4 (7, 9, 10, 11), rack 5 first as the emptiest
    assert cap.take_whole_nodes(4) == [10, 11, 7, 9]


def test_a_gang_too_large_for_a_block_spans_the_fewest_blocks() -> None:
    cap = RackedCapacity(12, 8, 1, 2, 2)  # 6 racks of 2, blocks of 2 racks (4 nodes)
    cap.take_from(0, 8)
    cap.take_from(1, 8)  # block 0: 2 whole; blocks 1 and 2: 4 each
    got = cap.take_whole_nodes(6)
    assert got == [4, 5, 6, 7, 8, 9]  # block 1 whole, then block 2 (lowest index on ties)


def test_a_gang_that_fits_an_nvlink_domain_keeps_the_domain_rule() -> None:
    plain = PoolCapacity(16, 4, 4)
    racked = RackedCapacity(16, 4, 4, 8, 0)  # 2 racks of 2 NVLink domains of 4 nodes
    for cap in (plain, racked):
        cap.take_from(0, 4)
        cap.take_from(12, 4)
    assert racked.take_whole_nodes(3) == plain.take_whole_nodes(3) == [1, 2, 3]
    # larger than a domain: rack 1 (domains 2, 3: 4 + 3 whole) holds 6; domain 2 first
    assert racked.take_whole_nodes(6) == [8, 9, 10, 11, 13, 14]


def test_an_unplaceable_gang_changes_nothing() -> None:
    cap = RackedCapacity(4, 8, 1, 2, 0)
    cap.take_from(0, 8)
    with pytest.raises(ValueError, match="fewer than 4"):
        cap.take_whole_nodes(4)
    assert cap.free == [0, 8, 8, 8]
    assert cap.rack_whole == [1, 2]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((12, 8, 2, 3, 0), "a rack of 3 nodes is not a whole number of 2-node NVLink domains"),
        ((10, 8, 1, 4, 0), "10 nodes are not a whole number of 4-node racks"),
        ((12, 8, 1, 2, 4), "6 racks are not a whole number of 4-rack blocks"),
    ],
)
def test_shapes_that_do_not_divide_are_refused(
    args: tuple[int, int, int, int, int], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        RackedCapacity(*args)


def test_only_pools_with_racks_pay_for_them() -> None:
    plain = pool("a", nodes=4)
    assert type(pool_capacity(plain)) is PoolCapacity
    racked = pool_capacity(dataclasses.replace(plain, rack_nodes=2, block_racks=2))
    assert isinstance(racked, RackedCapacity)
    assert (racked.rack_whole, racked.block_whole) == ([2, 2], [4])
    with pytest.raises(ValueError, match="blocks of racks need racks"):
        pool_capacity(dataclasses.replace(plain, block_racks=2))


def test_giving_back_nothing_changes_no_count() -> None:
    cap = RackedCapacity(4, 8, 1, 2, 0)
    cap.give_back(0, 0)
    cap.take_from(1, 0)
    assert (cap.rack_whole, cap.block_whole) == ([2, 2], [4])
