"""Racks and blocks in a scenario file: optional, read into the fleet, and what the scheduler
builds from them."""

from __future__ import annotations

from aigrid.scenario import parse_scenario
from aigrid.scheduler import ClusterState, PoolCapacity
from aigrid.scheduler.topology import RackedCapacity
from tests.scenario.helpers import builtin_text, edit

TINY = builtin_text("tiny")
POOL = "nodes: 24, nvlink_domain: 8, owner: gov}"


def test_racks_and_blocks_reach_the_fleet_and_the_scheduler() -> None:
    racks = "nodes: 24, nvlink_domain: 8, rack_nodes: 4, block_racks: 3, owner: gov}"
    text = edit(TINY, POOL, racks)
    sc = parse_scenario(text, "tiny.yaml")
    racked, *others = sc.fleet.pools
    assert (racked.rack_nodes, racked.block_racks) == (4, 3)
    assert all((p.rack_nodes, p.block_racks) == (0, 0) for p in others)
    state = ClusterState(sc.fleet, sc.tenancy)
    cap = state.capacity[0]
    assert isinstance(cap, RackedCapacity)
    assert (cap.rack_whole, cap.block_whole) == ([4] * 6, [12, 12])
    assert all(type(c) is PoolCapacity for c in state.capacity[1:])


def test_racks_alone_make_one_block_of_the_pool() -> None:
    text = edit(TINY, POOL, "nodes: 24, nvlink_domain: 8, rack_nodes: 8, owner: gov}")
    sc = parse_scenario(text, "tiny.yaml")
    cap = ClusterState(sc.fleet, sc.tenancy).capacity[0]
    assert isinstance(cap, RackedCapacity)
    assert (cap.rack_whole, cap.block_whole) == ([8, 8, 8], [24])
