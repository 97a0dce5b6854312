"""The fragmentation experiment: small replays worked out by hand, the seeded order, and the
published result on the real openb pod list."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

from aigrid.errors import UsageError
from aigrid.report.fragmentation import (
    allocation_figure,
)
from aigrid.scheduler.fragmentation import GpuNodes, Pod, Workload, make_strategy
from aigrid.twin.fragmentation import (
    Cluster,
    PodList,
    arrival_order,
    bands,
    load_cluster,
    load_pod_list,
    parse_policies,
    parse_seeds,
    replay_pods,
    run_experiment,
)
from tests.fragmentation.builders import OPENB, gpu_pod

STEPS = list(range(0, 101, 5))


def _curve(gpus_per_node: int, pods: list[Pod], policy: str) -> list[float]:
    """Allocation (%) at every 5% of arrived load up to 100%, pods in the given order, on two
    nodes of `gpus_per_node` GPUs; frag-aware scores against the mix of `pods`."""
    nodes = GpuNodes([10**6] * 2, [10**6] * 2, [gpus_per_node] * 2, ["T4"] * 2)
    strategy = make_strategy(policy, workload=Workload.of(pods), rng=np.random.default_rng(0))
    curve = replay_pods(nodes, pods, range(len(pods)), strategy, until_pct=100, step_pct=5)
    assert list(curve.arrived_pct) == STEPS
    return list(curve.allocated_pct)


def _steps(*segments: tuple[int, float]) -> list[float]:
    """Allocation per step from (last step of a segment, its allocation) pairs."""
    out: list[float] = [0.0]
    for last, value in segments:
        out += [value] * ((last - 5 * (len(out) - 1)) // 5)
    assert len(out) == len(STEPS)
    return out


def test_two_nodes_of_two_gpus_by_hand() -> None:
    # 4 GPUs; pods of 0.5, 0.5, 1, 1, 1 GPU arrive in that order: arrived 12.5%, 25%, 50%,
    # 75%, 100%. A step is recorded after the pod whose arrival reaches it: 5 and 10 after
    # the first pod, 15..25 after the second, 30..50 after the third, and so on.
    # pack: 0.5 -> node 0 GPU 0; 0.5 -> the same GPU (the most allocated that fits); then
    #   1 GPU -> node 0 GPU 1 (node 0 is the more allocated), node 1 GPU 0, node 1 GPU 1:
    #   everything fits.
    # best-fit: the same (node 0 is left with the least; GPU 0 is the tightest).
    # frag-aware (mix: 2 pods of 0.5, 3 of 1 GPU): the second 0.5 on node 0 GPU 0 fills the
    #   fragment (-300 milli-GPUs), anywhere else adds one (+300); the 1-GPU pods go to node
    #   0 first (0 either way, tie to the lower node), then node 1: everything fits.
    # spread: 0.5 -> node 0 GPU 0; 0.5 -> node 1 GPU 0 (the less allocated node); 1 GPU ->
    #   node 0 GPU 1 (both 25% allocated, tie to node 0), node 1 GPU 1; the last 1-GPU pod
    #   finds no fully free GPU: it fails, 75% allocated at 100% arrived.
    pods = [gpu_pod(500), gpu_pod(500), gpu_pod(1000), gpu_pod(1000), gpu_pod(1000)]
    everything = _steps((10, 12.5), (25, 25.0), (50, 50.0), (75, 75.0), (100, 100.0))
    assert _curve(2, pods, "pack") == everything
    assert _curve(2, pods, "best-fit") == everything
    assert _curve(2, pods, "frag-aware") == everything
    assert _curve(2, pods, "spread") == _steps(
        (10, 12.5), (25, 25.0), (50, 50.0), (75, 75.0), (100, 75.0)
    )


def test_two_nodes_of_one_gpu_where_only_frag_aware_fits_everything() -> None:
    # 2 GPUs; pods of 0.5, 0.3, 0.5, 0.7 GPU: arrived 25%, 40%, 65%, 100%.
    # best-fit and pack: 0.5 -> node 0; 0.3 -> node 0 too (tightest), leaving 0.2 there;
    #   0.5 -> node 1, leaving 0.5; 0.7 fits nowhere: 65% at 100% arrived.
    # spread: 0.5 -> node 0; 0.3 -> node 1; 0.5 -> node 1 (30% < 50% allocated), leaving 0.2;
    #   0.7 fits nowhere: 65%.
    # frag-aware (mix: 0.5 x 2, 0.3, 0.7; fragmentation x 4 pods): 0.3 on node 0 leaves 0.2,
    #   a fragment for every pod (from 500 to 800: +300); on node 1 it leaves 0.7, which every
    #   pod can use (+0) -> node 1. Then 0.5 -> node 0 (fills it: -500) rather than node 1
    #   (+800), and 0.7 -> node 1: everything fits, 100%.
    pods = [gpu_pod(500), gpu_pod(300), gpu_pod(500), gpu_pod(700)]
    stuck = _steps((25, 25.0), (40, 40.0), (65, 65.0), (100, 65.0))
    for policy in ("best-fit", "pack", "spread"):
        assert _curve(1, pods, policy) == stuck, policy
    assert _curve(1, pods, "frag-aware") == _steps((25, 25.0), (40, 40.0), (65, 65.0), (100, 100.0))


def test_a_run_stops_at_the_last_step_and_counts_failures() -> None:
    nodes = GpuNodes([10**6], [10**6], [1], ["T4"])
    pods = [gpu_pod(600), Pod(1000, 0)]
    strategy = make_strategy("pack", workload=Workload.of(pods), rng=np.random.default_rng(0))
    # 600, a CPU-only pod (no load), 600 (fails), 600 (fails, reaches 180%)
    curve = replay_pods(nodes, pods, [0, 1, 0, 0, 0, 0], strategy, until_pct=150, step_pct=50)
    assert curve.arrived_pct == (0, 50, 100, 150)
    assert curve.allocated_pct == (0.0, 60.0, 60.0, 60.0)
    assert (curve.pods, curve.failed, curve.failed_gpu_request) == (4, 2, 1200)
    assert curve.at(100) == 60.0
    assert curve.at(200) is None


def test_the_arrival_order_is_a_seeded_permutation_after_another() -> None:
    pods = [gpu_pod(500), Pod(100, 0), gpu_pod(1000)]
    order = list(itertools.islice(arrival_order(pods, np.random.default_rng(3)), 9))
    again = list(itertools.islice(arrival_order(pods, np.random.default_rng(3)), 9))
    assert order == again
    for k in range(3):
        assert sorted(order[3 * k : 3 * k + 3]) == [0, 1, 2]
    with pytest.raises(ValueError, match="no pod asks for a GPU"):
        next(arrival_order([Pod(100, 0)], np.random.default_rng(3)))


def _tiny() -> tuple[Cluster, PodList]:
    nodes = GpuNodes([8000] * 3, [64000] * 3, [2, 2, 4], ["T4", "T4", "P100"])
    pods = (
        [gpu_pod(500, cpu=1000)] * 4
        + [gpu_pod(250, cpu=500)] * 3
        + [gpu_pod(1000, cpu=2000)] * 3
        + [Pod(1000, 100)] * 2
        + [Pod(1000, 0, 1, 1000, ("P100",))]
    )
    return Cluster("tiny", nodes, 0), PodList("tiny", tuple(pods))


def test_a_seed_gives_the_same_result_and_every_policy_the_same_order() -> None:
    cluster, pod_list = _tiny()
    first = run_experiment(cluster, pod_list, seeds=(1, 2))
    again = run_experiment(cluster, pod_list, seeds=(1, 2))
    assert [(r.policy, r.seed, r.curve) for r in first] == [
        (r.policy, r.seed, r.curve) for r in again
    ]
    assert [(r.policy, r.seed) for r in first][:5] == [
        ("random", 1),
        ("best-fit", 1),
        ("pack", 1),
        ("spread", 1),
        ("frag-aware", 1),
    ]
    # same order for every policy of a seed: the same pods arrive, so the same count
    for seed in (1, 2):
        assert len({r.curve.pods for r in first if r.seed == seed}) == 1
    # the cluster it started from is untouched
    assert cluster.nodes.version == 0


def test_worker_processes_give_the_same_result() -> None:
    cluster, pod_list = _tiny()
    one = run_experiment(cluster, pod_list, policies=("random", "frag-aware"), seeds=(5, 6))
    two = run_experiment(
        cluster, pod_list, policies=("random", "frag-aware"), seeds=(5, 6), workers=2
    )
    assert [(r.policy, r.seed, r.curve) for r in one] == [(r.policy, r.seed, r.curve) for r in two]


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("42..51", tuple(range(42, 52))),
        ("7", (7,)),
        ("1,3,2", (1, 3, 2)),
        ("1..3,10", (1, 2, 3, 10)),
        (" 4 .. 5 , 4", (4, 5)),
    ],
)
def test_seeds(text: str, want: tuple[int, ...]) -> None:
    assert parse_seeds(text) == want


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("51..42", "runs backwards; write 42..51"),
        ("a..b", "expected a range like 42..51"),
        ("1,,2", "expected a range like 42..51"),
        ("", "expected a range like 42..51"),
        ("-3", "seeds are integers >= 0"),
    ],
)
def test_bad_seeds(text: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        parse_seeds(text)


def test_policies() -> None:
    assert parse_policies("pack, frag-aware,pack") == ("pack", "frag-aware")
    with pytest.raises(UsageError, match="unknown policy 'tetris'; known: random, best-fit"):
        parse_policies("pack,tetris")
    with pytest.raises(UsageError, match="no policy given"):
        parse_policies(" , ")


needs_openb = pytest.mark.skipif(
    not OPENB.is_dir(), reason=f"the openb trace is not at {OPENB} (shared/traces)"
)


@needs_openb
def test_on_openb_frag_aware_allocates_at_least_as_much_as_best_fit_at_high_load() -> None:
    # The FGD paper's finding, checked on the default pod list for two seeds (about 12 s).
    cluster = load_cluster(OPENB / "openb_node_list_gpu_node.csv")
    pod_list = load_pod_list(OPENB / "openb_pod_list_default.csv")
    assert (len(cluster.nodes), cluster.gpus, cluster.cpu_only_nodes) == (1213, 6212, 0)
    assert (len(pod_list.pods), pod_list.gpu_pods, pod_list.gpu_request) == (8152, 7064, 6086800)
    results = run_experiment(cluster, pod_list, policies=("best-fit", "frag-aware"), seeds=(1, 2))
    for seed in (1, 2):
        by = {r.policy: r.curve for r in results if r.seed == seed}
        for arrived in (100, 110, 120, 130):
            fgd, best = by["frag-aware"].at(arrived), by["best-fit"].at(arrived)
            assert fgd is not None and best is not None
            assert fgd >= best, (seed, arrived)
    assert bands(results, "frag-aware")[130].mean > bands(results, "best-fit")[130].mean + 2


def test_openb_files_not_found(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no such file"):
        load_cluster(tmp_path / "nodes.csv")
    (tmp_path / "pods.csv").write_text("name,cpu_milli,memory_mib,num_gpu,gpu_milli\n")
    with pytest.raises(UsageError, match="no pod asks for a GPU"):
        load_pod_list(tmp_path / "pods.csv")


def test_the_figure_draws_a_mean_and_a_band_per_policy_in_both_panels() -> None:
    cluster, pod_list = _tiny()
    results = run_experiment(cluster, pod_list, policies=("pack", "spread"), seeds=(1, 2, 3))
    fig = allocation_figure(results, "tiny")
    lines = [t for t in fig.data if t.mode in ("lines", "lines+markers") and t.name]
    assert sorted({t.name for t in lines}) == ["every pod placed", "pack", "spread"]
    assert [t.name for t in fig.data if t.showlegend is not False] == [
        "pack",
        "spread",
        "every pod placed",
    ]
    pack = bands(results, "pack")
    whole = next(t for t in lines if t.name == "pack" and t.xaxis == "x")
    assert list(whole.y) == [pack[s].mean for s in range(0, 131, 5)]
    zoom = next(t for t in lines if t.name == "pack" and t.xaxis == "x2")
    assert list(zoom.x) == list(range(80, 131, 5))
    low = min(b.low for p in ("pack", "spread") for s, b in bands(results, p).items() if s >= 80)
    assert fig.layout.yaxis2.range == (max(0.0, low - 2), 101)
