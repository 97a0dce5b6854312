"""A pool's per-node CPU and memory in a scenario file: optional (not tracked when left out),
whole positive numbers, and mistakes are one located line like every other scenario error."""

from __future__ import annotations

import pytest

from aigrid.scenario import ScenarioError, parse_scenario
from tests.scenario.helpers import builtin_text, edit, line_of

TINY = builtin_text("tiny")
POOL = "nodes: 24, nvlink_domain: 8, owner: gov}"


def _first_pool(extra: str) -> str:
    return edit(TINY, POOL, f"nodes: 24, nvlink_domain: 8, owner: gov, {extra}}}")


def test_pools_track_no_cpu_or_memory_unless_given() -> None:
    fleet = parse_scenario(TINY, "tiny.yaml").fleet
    assert {(p.cpu_milli, p.memory_mib) for p in fleet.pools} == {(0, 0)}
    text = _first_pool("cpu_milli_per_node: 224000, memory_mib_per_node: 2097152")
    fleet = parse_scenario(text, "tiny.yaml").fleet
    assert (fleet.pools[0].cpu_milli, fleet.pools[0].memory_mib) == (224000, 2097152)
    assert (fleet.pools[1].cpu_milli, fleet.pools[1].memory_mib) == (0, 0)


@pytest.mark.parametrize(
    ("extra", "want"),
    [
        ("cpu_milli_per_node: 0", "cpu_milli_per_node: expected a number > 0, got 0"),
        ("memory_mib_per_node: -5", "memory_mib_per_node: expected a number > 0, got -5"),
        ("cpu_milli_per_node: 8 cores", "cpu_milli_per_node: expected a whole number"),
        ("cpu_per_node: 8000", "unknown key 'cpu_per_node'"),
    ],
)
def test_a_wrong_cpu_or_memory_is_one_located_line(extra: str, want: str) -> None:
    text = _first_pool(extra)
    with pytest.raises(ScenarioError) as info:
        parse_scenario(text, "tiny.yaml")
    message = str(info.value)
    assert message.startswith(f"tiny.yaml:{line_of(text, extra)}: sites[0].pools[0].")
    assert want in message
    assert "\n" not in message
