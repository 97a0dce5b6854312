"""Placement on node vectors: the filters, each strategy's choice on handmade node states, and
FGD's fragmentation measure worked out by hand."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from aigrid.model import GPU_MILLI
from aigrid.scheduler.fragmentation import (
    STRATEGIES,
    FragAware,
    GpuNodes,
    Pod,
    PodPlacement,
    Workload,
    candidates,
    feasible,
    fragmentation,
    make_strategy,
    place,
)
from tests.fragmentation.builders import NodeSpec, gpu_pod, state


def _at(nodes: GpuNodes, pod: Pod, strategy: str, workload: Workload) -> tuple[int, ...] | None:
    p = place(nodes, pod, make_strategy(strategy, workload=workload, rng=np.random.default_rng(0)))
    return None if p is None else (p.node, *p.gpus)


# --- filters and candidates ------------------------------------------------------------------


def test_filters_keep_nodes_with_cpu_memory_model_and_gpu_room() -> None:
    nodes = state(
        NodeSpec([1000, 1000], cpu_free=1000, cpu=8000),  # too little CPU
        NodeSpec([1000, 1000], model="P100"),  # wrong model
        NodeSpec([300, 200]),  # no GPU with 400 free
        NodeSpec([1000, 400]),  # fits
    )
    pod = Pod(2000, 10, 1, 400, ("T4", "A10"))
    assert feasible(nodes, pod).tolist() == [False, False, False, True]
    # two whole GPUs need two fully free GPUs: only nodes 0 and 1 have them, node 0 lacks CPU
    whole = Pod(2000, 10, 2, 1000)
    assert feasible(nodes, whole).tolist() == [False, True, False, False]
    # a CPU-only pod needs no GPU room and allows any model
    assert feasible(nodes, Pod(2000, 10)).tolist() == [False, True, True, True]


def test_candidates_count_gpus_of_equal_free_share_once() -> None:
    nodes = state(NodeSpec([500, 1000, 500, 1000, 200]), NodeSpec([1000, 1000]))
    c = candidates(nodes, gpu_pod(300))
    # node 0: GPU 0 (500) stands for GPU 2, GPU 1 (1000) for GPU 3, GPU 4 (200) is too small
    assert list(zip(c.node.tolist(), c.gpu.tolist(), strict=True)) == [(0, 0), (0, 1), (1, 0)]
    assert c.gpu_free.tolist() == [500, 1000, 1000]
    whole = candidates(nodes, gpu_pod(1000, gpus=2))
    assert whole.node.tolist() == [0, 1]
    assert whole.gpu.tolist() == [-1, -1]


def test_a_whole_gpu_pod_takes_the_lowest_fully_free_gpus() -> None:
    nodes = state(NodeSpec([1000, 300, 1000, 1000]))
    p = place(nodes, gpu_pod(1000, gpus=2), make_strategy("pack", workload=_mix(), rng=_rng()))
    assert p == PodPlacement(0, (0, 2), 1000)


def test_allocate_keeps_the_derived_arrays_and_refuses_what_does_not_fit() -> None:
    nodes = state(NodeSpec([1000, 1000, 1000]))
    nodes.allocate(gpu_pod(400), PodPlacement(0, (1,), 400))
    assert nodes.gpu_free[0].tolist() == [1000, 600, 1000]
    assert (nodes.full[0], nodes.widest[0], nodes.gpu_free_total[0]) == (2, 1000, 2600)
    assert nodes.first_of_level[0].tolist() == [True, True, False]
    with pytest.raises(ValueError, match="does not fit"):
        nodes.allocate(gpu_pod(700), PodPlacement(0, (1,), 700))
    with pytest.raises(ValueError, match="does not fit"):
        nodes.allocate(gpu_pod(1000, gpus=2), PodPlacement(0, (0, 1), 1000))
    assert nodes.gpu_free[0].tolist() == [1000, 600, 1000]  # nothing changed


@pytest.mark.parametrize(
    ("asks", "message"),
    [
        ((0, 0, 0, 500), "no GPU"),
        ((0, 0, 2, 500), "only a pod of one GPU"),
        ((0, 0, 1, 1200), "1..1000"),
        ((-1, 0, 0, 0), "negative"),
    ],
)
def test_a_pod_that_cannot_be_is_refused(asks: tuple[int, int, int, int], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Pod(*asks)


# --- each strategy on handmade states -------------------------------------------------------


def _mix(*pods: tuple[Pod, int]) -> Workload:
    """A workload of (pod, count) pairs; by default one 250-milli pod and one 1-GPU pod."""
    pods = pods or ((gpu_pod(250), 1), (gpu_pod(1000), 1))
    return Workload.of([p for p, n in pods for _ in range(n)])


def _rng() -> np.random.Generator:
    return np.random.default_rng(0)


@dataclass
class Case:
    name: str
    nodes: tuple[NodeSpec, ...]
    pod: Pod
    workload: Workload
    want: dict[str, tuple[int, ...] | None]
    """Per strategy (but random): (node, GPUs...) chosen, or None for no fit."""


CASES = [
    Case(
        # node 0 is empty; node 1 has GPUs free 600, 1000, 300, 0; node 2 has 250 and 1000.
        # best-fit: GPU left after, as a share of the node's GPUs (CPU, memory equal):
        #   node 0 3750/4000, node 1 1650/4000, node 2 1000/2000 -> node 1; its tightest GPU
        #   that fits is GPU 2 (300 -> 50).
        # pack: the least free GPU that fits anywhere: node 2 GPU 0 (250 -> 0).
        # spread: the least allocated node, node 0, its freest GPU (GPU 0).
        # frag-aware, workload {250: 1 pod, 1 GPU: 1 pod}; per candidate, expected usable
        #   capacity x 2 pods before -> after (usable: GPUs with >= 250 free for the 250 pod,
        #   1000 x fully free GPUs for the 1-GPU pod), increase = before - after - 250 x 2:
        #   node 0 GPU 0: 8000 -> 3750 + 3000 = 6750: +750
        #   node 1 GPU 0 (600 -> 350): 2900 -> 1650 + 1000 = 2650: -250
        #   node 1 GPU 1 (1000 -> 750): 2900 -> 1650 + 0 = 1650: +750
        #   node 1 GPU 2 (300 -> 50): 2900 -> 1600 + 1000 = 2600: -200 (50 is a fragment)
        #   node 2 GPU 0 (250 -> 0): 2250 -> 1000 + 1000 = 2000: -250
        #   node 2 GPU 1 (1000 -> 750): 2250 -> 1000 + 0 = 1000: +750
        #   -> the tie at -250 goes to the lower node: node 1 GPU 0.
        "shared pod: each strategy a different GPU",
        (NodeSpec([1000] * 4), NodeSpec([600, 1000, 300, 0]), NodeSpec([250, 1000])),
        gpu_pod(250),
        _mix(),
        {"best-fit": (1, 2), "pack": (2, 0), "spread": (0, 0), "frag-aware": (1, 0)},
    ),
    Case(
        # 2 whole GPUs: node 2 has one fully free GPU only. best-fit: GPU left 2000/4000 on
        # node 0, 600/4000 on node 1 -> node 1 (GPUs 1, 2). pack: node 1 is more allocated.
        # spread: node 0. frag-aware: node 0 0 -> 0 fragment; node 1 300 -> 300 (its 600 GPU
        # is a fragment for the 1-GPU pod, before and after): both +0, tie -> node 0.
        "two whole GPUs",
        (NodeSpec([1000] * 4), NodeSpec([600, 1000, 1000, 0]), NodeSpec([250, 1000])),
        gpu_pod(1000, gpus=2),
        _mix(),
        {"best-fit": (1, 1, 2), "pack": (1, 1, 2), "spread": (0, 0, 1), "frag-aware": (0, 0, 1)},
    ),
    Case(
        # A CPU-only pod of 4000 milli-cores. Node 1 has 6000 free: after it, 2000, too little
        # for the 1-GPU pod of the workload (4000), so node 1's fully free GPU becomes a
        # fragment: +1000 x 1 pod; node 2 (5000 -> 1000) strands all its GPUs: +2250; node 0
        # keeps room: +0 -> frag-aware takes node 0. best-fit: left CPU + GPU shares are
        # 0.875 + 1 (node 0), 0.0625 + 0.475 (node 1), 0.0625 + 0.625 (node 2) -> node 1;
        # pack: node 1 has the most GPU allocated; spread: node 0.
        "CPU-only pod: frag-aware avoids stranding GPUs",
        (
            NodeSpec([1000] * 4, cpu_free=32000, cpu=32000),
            NodeSpec([600, 1000, 300, 0], cpu_free=6000, cpu=32000),
            NodeSpec([250, 1000], cpu_free=5000, cpu=16000),
        ),
        Pod(4000, 0),
        _mix((gpu_pod(250, cpu=2000), 1), (gpu_pod(1000, cpu=4000), 1)),
        {"best-fit": (1,), "pack": (1,), "spread": (0,), "frag-aware": (0,)},
    ),
    Case(
        "no node fits",
        (NodeSpec([200, 1000], cpu_free=100, cpu=8000), NodeSpec([300])),
        gpu_pod(400, cpu=200),
        _mix(),
        {"best-fit": None, "pack": None, "spread": None, "frag-aware": None, "random": None},
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_each_strategy_chooses_as_worked_out(case: Case) -> None:
    for strategy, want in case.want.items():
        got = _at(state(*case.nodes), case.pod, strategy, case.workload)
        assert got == want, f"{strategy}: got {got}, want {want}"


def test_random_picks_a_candidate_reproducibly_for_a_seed() -> None:
    specs = (NodeSpec([1000] * 4), NodeSpec([600, 1000, 300, 0]), NodeSpec([250, 1000]))
    pod = gpu_pod(250)
    rows, gpus = np.nonzero(state(*specs).gpu_free >= 250)
    allowed = {(int(n), int(g)) for n, g in zip(rows, gpus, strict=True)}

    def draws(seed: int) -> list[tuple[int, ...]]:
        strategy = make_strategy("random", workload=_mix(), rng=np.random.default_rng(seed))
        out = []
        for _ in range(30):
            p = place(state(*specs), pod, strategy)
            assert p is not None
            out.append((p.node, *p.gpus))
        return out

    first = draws(7)
    assert first == draws(7)
    assert first != draws(8)
    assert set(first) <= allowed
    assert {n for n, _ in first} == {0, 1, 2}  # every node gets drawn


def test_unknown_strategy() -> None:
    with pytest.raises(ValueError, match="known: random, best-fit"):
        make_strategy("worst-fit", workload=_mix(), rng=_rng())
    assert STRATEGIES == ("random", "best-fit", "pack", "spread", "frag-aware")


# --- the fragmentation measure --------------------------------------------------------------


def test_fragmentation_of_handmade_nodes() -> None:
    # Workload of 4 pods: A = 250 milli with 2000 CPU (2 pods), B = 1 GPU with 4000 CPU,
    # C = 700 milli with 8000 CPU.
    workload = _mix(
        (gpu_pod(250, cpu=2000), 2), (gpu_pod(1000, cpu=4000), 1), (gpu_pod(700, cpu=8000), 1)
    )
    nodes = state(
        # GPUs free 600, 1000, 300, 0, 6000 CPU free (1900 milli-GPUs free):
        #   A fits; no GPU below 250 but the empty one -> fragment 0
        #   B fits (one fully free GPU); 600 + 300 + 0 are below 1000 -> fragment 900
        #   C needs 8000 CPU: cannot be placed -> all 1900 is a fragment
        #   expected: (2 x 0 + 900 + 1900) / 4 = 700
        NodeSpec([600, 1000, 300, 0], cpu_free=6000, cpu=32000),
        # empty, 10000 CPU: every shape fits, on any GPU -> 0
        NodeSpec([1000, 1000], cpu_free=10000, cpu=10000),
        # 500 and 500, 10000 CPU: A 0; B cannot be placed -> 1000; C: 500 < 700 -> 1000
        #   expected: (0 + 1000 + 1000) / 4 = 500
        NodeSpec([500, 500], cpu_free=10000, cpu=10000),
        # a node of another model that no shape may use... all shapes allow any model here,
        # so a full node: nothing free, nothing fragmented
        NodeSpec([0, 0], cpu_free=10000, cpu=10000),
    )
    assert fragmentation(nodes, workload).tolist() == [700.0, 0.0, 500.0, 0.0]


def test_fragmentation_counts_a_gpu_model_the_shape_may_not_use() -> None:
    workload = Workload.of([Pod(0, 0, 1, 500, ("V100M32",)), Pod(0, 0, 1, 500)])
    nodes = state(NodeSpec([1000, 300], model="T4"), NodeSpec([1000, 300], model="V100M32"))
    # T4: the V100M32 pod cannot be placed (1300 fragment), the other leaves 300 -> 800
    # V100M32: both pods fit, 300 is below 500 for each -> 300
    assert fragmentation(nodes, workload).tolist() == [800.0, 300.0]


def _plain_fragmentation(nodes: GpuNodes, pods: list[Pod]) -> list[float]:
    """The measure straight from its definition, one pod of the workload at a time."""
    out = []
    for n in range(len(nodes)):
        free = nodes.gpu_free[n, : nodes.gpu_count[n]].tolist()
        total = 0
        for pod in pods:
            fits = bool(feasible(nodes, pod)[n])
            need = pod.gpu_milli if pod.shared else 1000
            total += sum(f for f in free if f < need) if fits else sum(free)
        out.append(total / len(pods))
    return out


def _random_state(rng: np.random.Generator, count: int) -> GpuNodes:
    specs = []
    for _ in range(count):
        gpus = int(rng.choice([1, 2, 4, 8]))
        cpu = int(rng.integers(4, 17)) * 1000
        memory = int(rng.integers(4, 17)) * 1000
        specs.append(
            NodeSpec(
                [int(rng.choice([0, 100, 250, 300, 500, 750, 1000])) for _ in range(gpus)],
                cpu_free=int(rng.integers(0, cpu + 1)),
                cpu=cpu,
                memory_free=int(rng.integers(0, memory + 1)),
                memory=memory,
                model=str(rng.choice(["T4", "P100"])),
            )
        )
    return state(*specs)


def _random_pod(rng: np.random.Generator) -> Pod:
    cpu = int(rng.integers(0, 6)) * 1000
    memory = int(rng.integers(0, 6)) * 1000
    models = (("T4",), ("P100",), ("T4", "P100"), ())[int(rng.integers(4))]
    kind = int(rng.integers(3))
    if kind == 0:
        return Pod(cpu, memory)
    if kind == 1:
        return Pod(cpu, memory, 1, int(rng.choice([100, 250, 300, 500, 700])), models)
    return Pod(cpu, memory, int(rng.choice([1, 2, 4])), 1000, models)


def test_fragmentation_equals_its_definition_on_random_states() -> None:
    rng = np.random.default_rng(2023)
    for _ in range(30):
        nodes = _random_state(rng, 6)
        pods = [_random_pod(rng) for _ in range(12)]
        gpu_pods = [p for p in pods if p.num_gpu] or [gpu_pod(500)]
        got = fragmentation(nodes, Workload.of(gpu_pods))
        assert got.tolist() == pytest.approx(_plain_fragmentation(nodes, gpu_pods))


def test_frag_aware_chooses_the_least_increase_of_fragmentation_while_nodes_change() -> None:
    """The cached, incremental strategy against trying every candidate on a copy."""
    rng = np.random.default_rng(7)
    for _ in range(5):
        nodes = _random_state(rng, 8)
        pods = [_random_pod(rng) for _ in range(60)]
        workload = Workload.of([p for p in pods if p.num_gpu] or [gpu_pod(500)])
        strategy = FragAware(workload)
        for pod in pods:
            cands = candidates(nodes, pod)
            if len(cands) == 0:
                continue
            before = fragmentation(nodes, workload)
            increases = []
            for i in range(len(cands)):
                trial = nodes.copy()
                node = int(cands.node[i])
                if pod.shared:
                    gpus: tuple[int, ...] = (int(cands.gpu[i]),)
                else:
                    full = np.flatnonzero(trial.gpu_free[node] == 1000)[: pod.num_gpu]
                    gpus = tuple(int(g) for g in full)
                trial.allocate(pod, PodPlacement(node, gpus, pod.gpu_milli))
                increases.append(fragmentation(trial, workload)[node] - before[node])
            want = min(range(len(cands)), key=lambda i: (round(increases[i], 9), i))
            assert strategy.choose(nodes, pod, cands) == want
            placement = place(nodes, pod, strategy)
            assert placement is not None
            nodes.allocate(pod, placement)


def test_release_gives_back_exactly_what_allocate_took() -> None:
    """Shares and whole GPUs, CPU and memory come back; a GPU that shares filled is told from
    one held whole, and giving back what is not held raises."""
    nodes = GpuNodes([8000], [1024], [2], ["T4"])
    before = (nodes.gpu_free.copy(), nodes.cpu_free.copy(), nodes.memory_free.copy())
    quarter = Pod(1000, 100, 1, 250)
    whole = Pod(2000, 200, 1, GPU_MILLI)
    for _ in range(4):
        nodes.allocate(quarter, PodPlacement(0, (0,), 250))
    nodes.allocate(whole, PodPlacement(0, (1,), GPU_MILLI))
    assert nodes.full[0] == 0 and nodes.shared[0].tolist() == [1000, 0]
    assert nodes.whole_gpus_of(0, 1) == (1,)  # GPU 0 is full of shares, not held whole
    with pytest.raises(ValueError, match="does not hold"):
        nodes.release(whole, PodPlacement(0, (0,), GPU_MILLI))
    nodes.release(whole, PodPlacement(0, (1,), GPU_MILLI))
    for _ in range(4):
        nodes.release(quarter, PodPlacement(0, (0,), 250))
    with pytest.raises(ValueError, match="does not hold"):
        nodes.release(quarter, PodPlacement(0, (0,), 250))
    assert (nodes.gpu_free == before[0]).all() and (nodes.cpu_free == before[1]).all()
    assert (nodes.memory_free == before[2]).all() and nodes.full[0] == 2
