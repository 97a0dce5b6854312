"""The quota tree on its own: known answers for limits at several levels, and its incremental
usage against a count made from scratch."""

from __future__ import annotations

from collections import defaultdict

from hypothesis import given, settings
from hypothesis import strategies as st

from aigrid.model import Tenancy
from aigrid.scheduler.quota import QuotaTree
from tests.builders import cohort, program, tenancy


def _tree(t: Tenancy) -> tuple[QuotaTree, dict[str, defaultdict[str, int]]]:
    usage: dict[str, defaultdict[str, int]] = {p: defaultdict(int) for p in t.programs}
    return QuotaTree(t, usage), usage


NESTED = tenancy(
    # grid -> national (p1 lends at most 4 of its 8), industry (p2; lends at most 6)
    program("p1", {"H100": 8}, cohort="national", lending_limit={"H100": 4}),
    program("p3", {"H100": 4}, cohort="national", borrowing_limit={"H100": 2}),
    program("p2", {"H100": 16}, cohort="industry"),
    cohorts=[
        cohort("grid"),
        cohort("national", parent="grid"),
        cohort("industry", parent="grid", lending_limit={"H100": 6}),
    ],
)


FLAT = tenancy(
    # one cohort, programs right under it (the path `charge` and `available` take in one step)
    program("p1", {"H100": 8}, cohort="c", lending_limit={"H100": 4}),
    program("p2", {"H100": 16}, cohort="c"),
    program("p3", {"H100": 4}, cohort="c", borrowing_limit={"H100": 2}),
)


def test_subtree_guaranteed_and_available_with_limits_at_two_levels() -> None:
    tree, _ = _tree(NESTED)
    # national's subtree: p1 lends 4, p3 lends all 4; industry lends 6 of its 16 to grid.
    assert tree.subtree_quota("national", "H100") == 8
    assert tree.subtree_quota("industry", "H100") == 16
    assert tree.subtree_quota("grid", "H100") == 8 + 6
    # Idle tree: p1 has its 4 guaranteed plus all grid has idle (14); p3 its own 4 plus at
    # most 2 borrowed; p2 its 10 guaranteed plus grid's 14.
    assert tree.available("p1", "H100") == 4 + 14
    assert tree.available("p3", "H100") == 4 + 2
    assert tree.available("p2", "H100") == 10 + 14
    assert tree.ceiling("p1", "H100") == 18 and tree.ceiling("p3", "H100") == 6


def test_usage_beyond_a_guarantee_is_what_a_parent_counts() -> None:
    tree, _ = _tree(NESTED)
    tree.charge("p2", "H100", 12)  # 10 guaranteed, 2 beyond: used in grid
    assert tree.available("p1", "H100") == 4 + 12
    tree.charge("p1", "H100", 10)  # 4 guaranteed, 6 beyond: national uses 6 of grid
    # grid: 14 - (2 + 6) = 6 idle; p1 still has none of its guarantee idle.
    assert tree.available("p1", "H100") == 6
    assert tree.available("p2", "H100") == 0 + 6  # its guarantee is used up
    # p3 lends all it has, so none is guaranteed; it may take from national what it lent (4)
    # plus its borrowing limit (2), and the grid has 6 idle.
    assert tree.available("p3", "H100") == 6
    tree.charge("p1", "H100", -10)
    tree.charge("p2", "H100", -12)
    assert tree.available("p1", "H100") == 18  # as it was


def test_a_shrunk_quota_is_counted_anew() -> None:
    tree, _ = _tree(NESTED)
    tree.charge("p2", "H100", 12)
    tree.set_quota({"H100": 0.5})  # p1 4 (lends 4), p3 2, p2 8 (industry lends 6 of 8)
    assert tree.subtree_quota("grid", "H100") == (4 + 2) + 6
    # p2 holds 12 of industry's guarantee of 2: 10 count in grid, 4 more than industry lends,
    # so 2 of grid's 12 are idle.
    assert tree.available("p1", "H100") == 2
    tree.set_quota({"H100": 1.0})
    assert tree.available("p1", "H100") == 4 + 12


@settings(max_examples=200, deadline=None)
@given(
    changes=st.lists(
        st.tuples(st.sampled_from(["p1", "p2", "p3"]), st.integers(1, 8)), max_size=30
    ),
    share=st.sampled_from([1.0, 0.5, 0.25]),
    t=st.sampled_from([NESTED, FLAT]),
)
def test_the_incremental_counts_match_a_count_from_scratch(
    changes: list[tuple[str, int]], share: float, t: Tenancy
) -> None:
    """Start and end jobs in any order (and shrink quotas midway): what each cohort counts as
    used beyond its children's guarantees, and the totals, are what a fresh tree fed the same
    usage counts."""
    tree, usage = _tree(t)
    held: list[tuple[str, int]] = []
    for k, (program_id, gpus) in enumerate(changes):
        if k % 3 == 2 and held:
            p, g = held.pop(0)
            tree.charge(p, "H100", -g)
        else:
            tree.charge(program_id, "H100", gpus)
            held.append((program_id, gpus))
        if k == len(changes) // 2:
            tree.set_quota({"H100": share})
    if not changes:
        tree.set_quota({"H100": share})
    fresh, _ = _tree(t)
    fresh.set_quota({"H100": share})
    for p, by_key in usage.items():
        for key, g in by_key.items():
            if g:
                fresh.charge(p, key, g)
    assert _nonzero(tree.above) == _nonzero(fresh.above)
    assert _nonzero(tree.total) == _nonzero(fresh.total)
    for p in ("p1", "p2", "p3"):
        assert tree.available(p, "H100") == fresh.available(p, "H100")


def _nonzero(counts: list[defaultdict[str, int]]) -> list[dict[str, int]]:
    return [{k: v for k, v in c.items() if v} for c in counts]
