"""A pool's backend binding in a scenario file: `local` by default, or Slurm or Ray with what
they need; mistakes are one located line like every other scenario error."""

from __future__ import annotations

import pytest

from aigrid.model import Binding
from aigrid.scenario import ScenarioError, parse_scenario
from tests.scenario.helpers import builtin_text, edit

TINY = builtin_text("tiny")
POOL = "nodes: 24, nvlink_domain: 8, owner: gov}"


def first_pool_bound(backend: str) -> str:
    return edit(TINY, POOL, f"nodes: 24, nvlink_domain: 8, owner: gov, backend: {backend}}}")


def test_pools_run_locally_unless_bound() -> None:
    fleet = parse_scenario(TINY, "tiny.yaml").fleet
    assert {p.backend for p in fleet.pools} == {Binding()}


@pytest.mark.parametrize(
    ("backend", "want"),
    [
        ("local", Binding()),
        ("{kind: local}", Binding()),
        (
            "{kind: slurm, cluster: neuron, partition: b200}",
            Binding(
                "slurm",
                "slurm:neuron/b200",
                (("cluster", "neuron"), ("partition", "b200"), ("timeout_s", "30")),
            ),
        ),
        (
            "{kind: slurm, cluster: c, partition: p, slurm_conf: /etc/slurm/c.conf, timeout_s: 5}",
            Binding(
                "slurm",
                "slurm:c/p",
                (
                    ("cluster", "c"),
                    ("partition", "p"),
                    ("slurm_conf", "/etc/slurm/c.conf"),
                    ("timeout_s", "5"),
                ),
            ),
        ),
        (
            "{kind: ray, address: 'http://10.0.0.5:8265'}",
            Binding("ray", "ray:http://10.0.0.5:8265", (("address", "http://10.0.0.5:8265"),)),
        ),
    ],
)
def test_a_pool_names_its_backend(backend: str, want: Binding) -> None:
    fleet = parse_scenario(first_pool_bound(backend), "tiny.yaml").fleet
    assert fleet.pools[0].backend == want
    assert fleet.pools[1].backend == Binding()


@pytest.mark.parametrize(
    ("backend", "want"),
    [
        ("{kind: sge}", "backend: unknown kind 'sge': expected one of 'local', 'slurm', 'ray'"),
        ("{cluster: c}", "backend: required key 'kind' is missing"),
        ("{kind: slurm, cluster: c}", "backend.slurm.partition: required key is missing"),
        ("{kind: slurm, cluster: c, partition: p, nodes: 3}", "backend.slurm.nodes: unknown key"),
        ("{kind: ray, address: head}", "backend.ray.address: expected an address like"),
        ("3", "backend: expected a mapping"),
    ],
)
def test_a_wrong_binding_is_one_located_line(backend: str, want: str) -> None:
    with pytest.raises(ScenarioError) as info:
        parse_scenario(first_pool_bound(backend), "tiny.yaml")
    assert f": sites[0].pools[0].{want}" in str(info.value)
    assert "\n" not in str(info.value)
