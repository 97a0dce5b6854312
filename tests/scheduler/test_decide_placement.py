"""Table cases of one scheduling cycle for random placement and for racks and blocks.

The cases are `test_decide.Case`s, checked by the same function as the main table; they live
here so that the placement rules read as one table.
"""

from __future__ import annotations

import dataclasses
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aigrid.model import Fleet, Job, Owner, Placement, Pool
from aigrid.scheduler import ClusterState
from aigrid.scheduler.placement import Choice, choose
from tests.builders import B200, H100, fleet, job, pool, program, site, tenancy
from tests.scheduler.test_decide import Case
from tests.scheduler.test_decide import test_decide as check_case
from tests.scheduler.test_decide import (
    test_decide_leaves_the_snapshot_as_it_found_it as check_pure,
)

P1 = tenancy(program("p1", {"H100": 256}))


def _racked(p: Pool, rack_nodes: int, block_racks: int = 0) -> Pool:
    return dataclasses.replace(p, rack_nodes=rack_nodes, block_racks=block_racks)


def _busy(*nodes: int, gpus: int = 8) -> list[tuple[str, Placement]]:
    return [("p1", Placement(0, (n,), (gpus,))) for n in nodes]


# One pool of four 8-GPU nodes with 8, 2, 5 and 3 GPUs free.
MIXED = fleet([pool("a", nodes=4)])
MIXED_RUNNING = [("p1", Placement(0, (1,), (6,))), ("p1", Placement(0, (2,), (3,)))]
MIXED_RUNNING += [("p1", Placement(0, (3,), (5,)))]
# 12 nodes of 8 GPUs in racks of 4, and the same nodes with no racks declared.
RACKS_OF_4 = fleet([_racked(pool("r", nodes=12), 4)])
NO_RACKS = fleet([pool("r", nodes=12)])
# 16 nodes in racks of 2 and blocks of 2 racks (4 blocks of 4 nodes).
BLOCKS = fleet([_racked(pool("b", nodes=16), 2, 2)])
# 4-GPU nodes in NVLink domains of 2 nodes, racks of 2 domains.
DOMAINS_IN_RACKS = fleet([_racked(pool("d", gpn=4, nodes=12, nvlink=8), 4)])

CASES = [
    # --- random placement: a keyed draw of (seed, job, pool)
    Case(
        "random draws among the nodes that fit, here not the best fit (seed 1)",
        MIXED,
        P1,
        [job(3, id=1)],
        running=MIXED_RUNNING,
        policy_name="fair+place=random+seed=1",
        want_admitted=[1],
        want_nodes={1: (0, (0,))},
    ),
    Case(
        "random with another seed draws again (seed 3)",
        MIXED,
        P1,
        [job(3, id=1)],
        running=MIXED_RUNNING,
        policy_name="fair+place=random+seed=3",
        want_admitted=[1],
        want_nodes={1: (0, (2,))},
    ),
    Case(
        "random draws for each job anew (seed 1, job 2)",
        MIXED,
        P1,
        [job(3, id=2)],
        running=MIXED_RUNNING,
        policy_name="fair+place=random+seed=1",
        want_admitted=[2],
        want_nodes={2: (0, (2,))},
    ),
    Case(
        "random takes the only node that fits, whatever the seed",
        MIXED,
        P1,
        [job(6, id=1)],
        running=MIXED_RUNNING,
        policy_name="fair+place=random+seed=3",
        want_admitted=[1],
        want_nodes={1: (0, (0,))},
    ),
    Case(
        "random places gangs as every strategy does: whole nodes, lowest first",
        MIXED,
        P1,
        [job(8, id=1), job(16, id=2)],
        policy_name="fair+place=random+seed=1",
        want_admitted=[1, 2],
        want_nodes={2: (0, (1, 2))},
    ),
    # --- racks and blocks: a gang larger than an NVLink domain is kept close
    Case(
        "a gang goes to the tightest rack that holds it",
        RACKS_OF_4,
        P1,
        [job(24, id=1)],
        running=_busy(0, 1, 8),  # whole nodes free: rack 0: 2, rack 1: 4, rack 2: 3
        want_admitted=[1],
        want_nodes={1: (0, (9, 10, 11))},
    ),
    Case(
        "without racks the same gang takes the lowest-index nodes, as before",
        NO_RACKS,
        P1,
        [job(24, id=1)],
        running=_busy(0, 1, 8),
        want_admitted=[1],
        want_nodes={1: (0, (2, 3, 4))},
    ),
    Case(
        "of two racks that hold the gang as tightly, the lower",
        RACKS_OF_4,
        P1,
        [job(24, id=1)],
        running=_busy(0, 4, 8),  # every rack has 3 whole nodes
        want_admitted=[1],
        want_nodes={1: (0, (1, 2, 3))},
    ),
    Case(
        "a gang too large for any rack goes to the tightest block, its emptiest rack first",
        BLOCKS,
        P1,
        [job(24, id=1)],
        running=_busy(4, 8, 9, 12, 13, 2, 3),  # blocks: 2, 3, 2, 2 whole nodes
        want_admitted=[1],
        want_nodes={1: (0, (6, 7, 5))},
    ),
    Case(
        "a gang too large for any block spreads over as few blocks as it can",
        BLOCKS,
        P1,
        [job(48, id=1)],
        running=_busy(0, 1, 15, 14, 12),  # blocks: 2, 4, 4, 1 whole nodes
        want_admitted=[1],
        want_nodes={1: (0, (4, 5, 6, 7, 8, 9))},
    ),
    Case(
        "closeness is a preference: a gang no rack or block holds still starts",
        BLOCKS,
        P1,
        [job(24, id=1)],
        running=_busy(0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13),  # blocks: 1, 1, 1, 2
        want_admitted=[1],
        want_nodes={1: (0, (14, 15, 3))},
    ),
    Case(
        "inside its rack a gang takes the emptiest NVLink domain first",
        DOMAINS_IN_RACKS,
        P1,
        [job(12, id=1)],
        running=_busy(0, 1, 4, 5, 6, gpus=4),  # rack 0: 2 whole (domain 1), rack 1: 1
        want_admitted=[1],
        want_nodes={1: (0, (8, 9, 10))},
    ),
    Case(
        "a gang that fits one NVLink domain keeps the domain rule in racks",
        DOMAINS_IN_RACKS,
        P1,
        [job(8, id=1)],
        running=_busy(0, 4, 5, 6, gpus=4),  # domains with 2 whole: 1, 4, 5; with 1: 0, 3
        want_admitted=[1],
        want_nodes={1: (0, (2, 3))},
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_placement_case(case: Case) -> None:
    check_case(case)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_placement_case_is_pure(case: Case) -> None:
    check_pure(case)


def _draws(
    f: Fleet, running: list[tuple[str, Placement]], gpus: int, n: int
) -> Counter[tuple[int, int]]:
    """Where `n` jobs of `gpus` GPUs (ids 0 .. n-1) would each go, one at a time, on one state."""
    state = ClusterState(f, P1)
    for prog, placement in running:
        state.allocate(prog, placement)
    out: Counter[tuple[int, int]] = Counter()
    pools = tuple(range(len(f.pools)))
    for jid in range(n):
        fit = choose(state, job(gpus, id=jid), pools, 1e18, strategy="random", seed=5)
        assert isinstance(fit, Choice)
        out[fit.pool, fit.slot] += 1
    return out


def test_random_is_uniform_over_the_nodes_that_fit() -> None:
    """Free 8, 2, 5, 3 and 8: a 3-GPU job fits four nodes, two of them wholly free (slot 8)."""
    f = fleet([pool("a", nodes=5)])
    running = MIXED_RUNNING
    got = _draws(f, running, 3, 8000)
    assert set(got) == {(0, 3), (0, 5), (0, 8)}
    share = {slot: c / 8000 for (_, slot), c in got.items()}
    assert share == pytest.approx({3: 0.25, 5: 0.25, 8: 0.5}, abs=0.03)


def test_random_across_pools_is_uniform_over_their_nodes() -> None:
    """Two pools alike but in size (1 and 3 free nodes): the job lands on each pool as often as
    its nodes are a share of all, not half the time each."""
    f = fleet([pool("small", nodes=1), pool("large", nodes=3)])
    got = _draws(f, [], 8, 8000)
    assert got[0, 8] / 8000 == pytest.approx(0.25, abs=0.03)
    assert got[1, 8] / 8000 == pytest.approx(0.75, abs=0.03)


def test_random_is_the_same_for_the_same_key_in_any_order() -> None:
    state = ClusterState(MIXED, P1)
    for prog, placement in MIXED_RUNNING:
        state.allocate(prog, placement)
    first = [choose(state, job(3, id=j), (0,), 1e18, strategy="random", seed=9) for j in range(40)]
    again = [
        choose(state, job(3, id=j), (0,), 1e18, strategy="random", seed=9)
        for j in reversed(range(40))
    ]
    assert first == list(reversed(again))
    other = [choose(state, job(3, id=j), (0,), 1e18, strategy="random", seed=10) for j in range(40)]
    assert first != other


# Two models alike in price and speed (so that pools of each tie up to the GPU model's
# scarcity), and a dearer one.
_TWIN = dataclasses.replace(H100, name="H100x")
SCARCITY = Fleet(
    gpu_models={"H100": H100, "H100x": _TWIN, "B200": B200},
    owners={"gov": Owner("gov", "gov")},
    sites={"s1": site("s1"), "s2": site("s2")},
    pools=(
        pool("a", nodes=3),
        pool("b", model="H100x", site="s2", nodes=4),
        pool("c", model="B200", nodes=2),
        pool("d", nodes=2, site="s2"),
        pool("e", model="H100x", gpn=4, nodes=4),
    ),
)
SCARCITY_TENANCY = tenancy(program("p1", {"H100": 40, "H100x": 24, "B200": 16}))


def _plain_choice(
    state: ClusterState, j: Job, pools: tuple[int, ...]
) -> tuple[int, int, int] | None:
    """The finalizer read straight off the module's docstring: each pool alone through the
    filters, then the least (borrowed, power held back, -speed, price, -free share of the
    model, GPUs or nodes left idle, pool)."""
    free: dict[str, int] = Counter()
    total: dict[str, int] = Counter()
    for i in pools:
        p = state.fleet.pools[i]
        free[p.gpu_model] += p.gpus - state.busy_gpus[i]
        total[p.gpu_model] += p.gpus
    scored = []
    for i in pools:
        c = choose(state, j, (i,), 1e18)
        if not isinstance(c, Choice):
            continue
        model = state.fleet.pools[i].gpu_model
        share = free[model] / total[model] if len(total) > 1 else 0.0
        left = c.slot - j.gpus if c.slot else state.capacity[i].free_nodes - c.nodes
        speed = state.fleet.gpu_models[model].speed_for(str(j.job_class))
        scored.append(
            (
                (int(c.borrowed), c.cap_tenths, -speed, c.price, -share, left, i),
                (i, c.slot, c.nodes),
            )
        )
    return min(scored)[1] if scored else None


@settings(max_examples=150, deadline=None)
@given(
    busy=st.lists(st.tuples(st.integers(0, 4), st.integers(0, 3), st.integers(1, 8)), max_size=14),
    gpus=st.sampled_from([1, 2, 3, 4, 6, 8, 12, 16]),
)
def test_choose_picks_what_the_plain_finalizer_picks(
    busy: list[tuple[int, int, int]], gpus: int
) -> None:
    state = ClusterState(SCARCITY, SCARCITY_TENANCY)
    for pool_i, pick, n in busy:
        cap = state.capacity[pool_i]
        node = pick % cap.nodes
        take = min(n, cap.free[node])
        if take:
            state.allocate("p1", Placement(pool_i, (node,), (take,)))
    pools = tuple(range(len(SCARCITY.pools)))
    got = choose(state, job(gpus), pools, 1e18)
    want = _plain_choice(state, job(gpus), pools)
    if want is None:
        assert not isinstance(got, Choice)
    else:
        assert isinstance(got, Choice)
        assert (got.pool, got.slot, got.nodes) == want
