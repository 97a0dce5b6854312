"""The fragmentation experiment: how much of a GPU cluster each placement strategy fills.

The experiment of the FGD paper (Weng et al., USENIX ATC'23, on Alibaba's openb trace), done
with `aigrid.scheduler.fragmentation`:

* The cluster is the GPU nodes of an openb node list. CPU-only nodes are left out (counted in
  `Cluster.cpu_only_nodes`): the experiment measures GPU allocation, and the node lists the
  paper replays on are the GPU nodes.
* Pods arrive one by one, without departures, in a seeded shuffled order of the pod list: a
  permutation of the whole list, then, if the list asks for fewer GPUs than the experiment
  needs, another permutation, and so on (each pod once before any twice). Pods that ask for no
  GPU arrive too and are placed like the others: they take CPU and memory on GPU nodes, which
  can leave GPUs there unusable; they add nothing to the arrived GPU load.
* Arrived load = the GPU request of the pods arrived so far (a shared pod counts its share) /
  the cluster's GPUs. It runs until the arrived load reaches `until_pct` (130%).
* A pod that fits nowhere fails: counted, nothing allocated, never retried.
* At every `step_pct` (5%) of arrived load, from 0, the curve records the allocation ratio:
  allocated GPUs (shares by their fraction) / cluster GPUs, in percent. A step is recorded
  after the pod whose arrival reaches it (one big pod may reach two steps at once).
* The workload frag-aware scores against is the mix of pod shapes of the whole pod list, not
  of the pods seen so far: the arrivals are a shuffle of that list, so its mix is exactly what
  to expect, from the first pod on, and a fixed mix keeps every node's fragmentation valid
  until the node itself changes (the strategy only updates the one node each pod changes).

Every (policy, seed) run starts from the empty cluster. One seed gives every policy the same
arrival order; `random` takes the seed of its keyed draws from its own stream of the same seed.
"""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from statistics import fmean

import numpy as np

from aigrid.errors import UsageError
from aigrid.scheduler.fragmentation import (
    STRATEGIES,
    GpuNodes,
    Pod,
    Strategy,
    Workload,
    make_strategy,
    place,
)
from aigrid.traces import OpenbNode, OpenbPod, Records, read_openb_nodes, read_openb_pods

DEFAULT_UNTIL_PCT = 130
"""Arrived GPU load, in % of the cluster's GPUs, at which the experiment stops (as the paper)."""

DEFAULT_STEP_PCT = 5
"""Steps of arrived load, in %, at which allocation is recorded."""

CSV_COLUMNS = ("policy", "seed", "arrived_pct", "allocated_pct")


@dataclass(frozen=True, slots=True)
class Cluster:
    """The GPU nodes of a node list, as an empty `GpuNodes` (copy it for each run)."""

    source: str
    nodes: GpuNodes
    cpu_only_nodes: int
    """Nodes of the list without GPUs, left out."""

    @property
    def gpus(self) -> int:
        return int(self.nodes.gpu_count.sum())


@dataclass(frozen=True, slots=True)
class PodList:
    source: str
    pods: tuple[Pod, ...]

    @property
    def gpu_pods(self) -> int:
        return sum(1 for p in self.pods if p.num_gpu > 0)

    @property
    def gpu_request(self) -> int:
        """The list's GPU request in milli-GPUs."""
        return sum(p.gpu_request for p in self.pods)


def cluster_of(records: Records[OpenbNode]) -> Cluster:
    """The cluster of an openb node list's GPU nodes."""
    gpu = [n for n in records.records if n.gpus > 0 and n.gpu_model is not None]
    if not gpu:
        raise UsageError(f"{records.source}: no node with GPUs, nothing to place pods on")
    nodes = GpuNodes(
        cpu_milli=[n.cpu_milli for n in gpu],
        memory_mib=[n.memory_mib for n in gpu],
        gpus=[n.gpus for n in gpu],
        models=[n.gpu_model or "" for n in gpu],
    )
    return Cluster(records.source, nodes, len(records) - len(gpu))


def pod_list_of(records: Records[OpenbPod]) -> PodList:
    """The pods of an openb pod list."""
    pods: list[Pod] = []
    for r in records.records:
        try:
            pods.append(Pod(r.cpu_milli, r.memory_mib, r.num_gpu, r.gpu_milli, r.gpu_spec))
        except ValueError as exc:
            raise UsageError(f"{records.source}: pod {r.name}: {exc}") from None
    listed = PodList(records.source, tuple(pods))
    if listed.gpu_pods == 0:
        raise UsageError(f"{records.source}: no pod asks for a GPU, nothing to measure")
    return listed


def load_cluster(path: str | Path) -> Cluster:
    return cluster_of(read_openb_nodes(path))


def load_pod_list(path: str | Path) -> PodList:
    return pod_list_of(read_openb_pods(path))


@dataclass(frozen=True, slots=True)
class Curve:
    """Allocation against arrived load for one run."""

    arrived_pct: tuple[int, ...]
    allocated_pct: tuple[float, ...]
    pods: int
    """Pods arrived."""
    failed: int
    """Pods that fit nowhere."""
    failed_gpu_request: int
    """Their GPU request, in milli-GPUs."""

    def at(self, arrived_pct: int) -> float | None:
        """The allocation recorded at `arrived_pct`, None if the run did not reach it."""
        for a, v in zip(self.arrived_pct, self.allocated_pct, strict=True):
            if a == arrived_pct:
                return v
        return None


def replay_pods(
    nodes: GpuNodes,
    pods: Sequence[Pod],
    order: Iterable[int],
    strategy: Strategy,
    *,
    until_pct: int = DEFAULT_UNTIL_PCT,
    step_pct: int = DEFAULT_STEP_PCT,
) -> Curve:
    """Place `pods[i]` for i in `order` on `nodes` (changed in place) until the arrived GPU
    load reaches `until_pct`, recording the allocation at every `step_pct` from 0."""
    if step_pct <= 0 or until_pct < 0:
        raise ValueError("step_pct must be > 0 and until_pct >= 0")
    capacity = int(nodes.gpu_capacity.sum())
    steps = list(range(0, until_pct + 1, step_pct))
    arrived_pct: list[int] = []
    allocated_pct: list[float] = []
    arrived = allocated = count = failed = failed_request = 0

    def record() -> None:
        # a step is reached when arrived / capacity >= step / 100, in integers
        while len(arrived_pct) < len(steps) and arrived * 100 >= steps[len(arrived_pct)] * capacity:
            arrived_pct.append(steps[len(arrived_pct)])
            allocated_pct.append(100.0 * allocated / capacity)

    record()
    for i in order:
        if len(arrived_pct) == len(steps):
            break
        pod = pods[i]
        count += 1
        arrived += pod.gpu_request
        placement = place(nodes, pod, strategy)
        if placement is None:
            failed += 1
            failed_request += pod.gpu_request
        else:
            nodes.allocate(pod, placement)
            allocated += pod.gpu_request
        record()
    return Curve(tuple(arrived_pct), tuple(allocated_pct), count, failed, failed_request)


def _streams(seed: int) -> tuple[np.random.Generator, np.random.Generator]:
    """The generators of a seed: the arrival order's, and random's."""
    order, choice = np.random.SeedSequence(seed).spawn(2)
    return np.random.default_rng(order), np.random.default_rng(choice)


def arrival_order(pods: Sequence[Pod], rng: np.random.Generator) -> Iterator[int]:
    """Indices of `pods` in shuffled order: a permutation of all, then another, without end."""
    if not any(p.gpu_request for p in pods):
        raise ValueError("no pod asks for a GPU: the arrived load would never grow")
    while True:
        yield from (int(i) for i in rng.permutation(len(pods)))


@dataclass(frozen=True, slots=True)
class RunResult:
    policy: str
    seed: int
    curve: Curve
    seconds: float


def parse_policies(text: str) -> tuple[str, ...]:
    """Comma-separated strategy names, e.g. `random,frag-aware`."""
    names = tuple(dict.fromkeys(p.strip() for p in text.split(",") if p.strip()))
    if not names:
        raise UsageError(f"no policy given; known: {', '.join(STRATEGIES)}")
    unknown = [n for n in names if n not in STRATEGIES]
    if unknown:
        raise UsageError(
            f"unknown policy {', '.join(repr(n) for n in unknown)}; known: {', '.join(STRATEGIES)}"
        )
    return names


def parse_seeds(text: str) -> tuple[int, ...]:
    """Seeds as a range `42..51` (both ends included), a comma list `1,5,9`, or both mixed."""
    seeds: list[int] = []
    for part in (p.strip() for p in text.split(",")):
        try:
            if ".." in part:
                lo_text, hi_text = part.split("..", 1)
                lo, hi = int(lo_text), int(hi_text)
                if lo > hi:
                    raise UsageError(f"seed range {part!r} runs backwards; write {hi}..{lo}")
                seeds.extend(range(lo, hi + 1))
            else:
                seeds.append(int(part))
        except ValueError:
            raise UsageError(
                f"bad seeds {text!r}: expected a range like 42..51 or a list like 1,2,3"
            ) from None
    if any(s < 0 for s in seeds):
        raise UsageError(f"bad seeds {text!r}: seeds are integers >= 0")
    return tuple(dict.fromkeys(seeds))


def run_one(
    cluster: Cluster,
    pod_list: PodList,
    workload: Workload,
    policy: str,
    seed: int,
    *,
    until_pct: int = DEFAULT_UNTIL_PCT,
    step_pct: int = DEFAULT_STEP_PCT,
) -> RunResult:
    """One run: `policy` on the empty cluster, pods in the order of `seed`."""
    order_rng, choice_rng = _streams(seed)
    strategy = make_strategy(policy, workload=workload, rng=choice_rng)
    started = time.perf_counter()
    curve = replay_pods(
        cluster.nodes.copy(),
        pod_list.pods,
        arrival_order(pod_list.pods, order_rng),
        strategy,
        until_pct=until_pct,
        step_pct=step_pct,
    )
    return RunResult(policy, seed, curve, time.perf_counter() - started)


def run_experiment(
    cluster: Cluster,
    pod_list: PodList,
    *,
    policies: Sequence[str] = STRATEGIES,
    seeds: Sequence[int] = (42,),
    until_pct: int = DEFAULT_UNTIL_PCT,
    step_pct: int = DEFAULT_STEP_PCT,
    workers: int = 1,
    progress: Callable[[RunResult], None] | None = None,
) -> list[RunResult]:
    """One run per (seed, policy); `progress` is called after each run as it ends. The result
    is in (seed, policy) order and the same for any number of `workers` (processes)."""
    workload = Workload.of(pod_list.pods)
    runs = [(policy, seed) for seed in seeds for policy in policies]
    done: dict[tuple[str, int], RunResult] = {}
    if workers <= 1 or len(runs) <= 1:
        for policy, seed in runs:
            result = run_one(
                cluster, pod_list, workload, policy, seed, until_pct=until_pct, step_pct=step_pct
            )
            done[(policy, seed)] = result
            if progress is not None:
                progress(result)
    else:
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(min(workers, len(runs)), mp_context=context) as pool:
            futures = [
                pool.submit(
                    run_one,
                    cluster,
                    pod_list,
                    workload,
                    policy,
                    seed,
                    until_pct=until_pct,
                    step_pct=step_pct,
                )
                for policy, seed in runs
            ]
            for future in as_completed(futures):
                result = future.result()
                done[(result.policy, result.seed)] = result
                if progress is not None:
                    progress(result)
    return [done[run] for run in runs]


@dataclass(frozen=True, slots=True)
class Band:
    """Allocation at one arrived load over seeds: mean, min, max (%)."""

    mean: float
    low: float
    high: float


def bands(results: Sequence[RunResult], policy: str) -> dict[int, Band]:
    """Per arrived step, the allocation of `policy` over its seeds (steps every seed reached)."""
    curves = [r.curve for r in results if r.policy == policy]
    out: dict[int, Band] = {}
    if not curves:
        return out
    for step in curves[0].arrived_pct:
        values = [c.at(step) for c in curves]
        reached = [v for v in values if v is not None]
        if len(reached) == len(values):
            out[step] = Band(fmean(reached), min(reached), max(reached))
    return out


def policy_seconds(results: Sequence[RunResult]) -> dict[str, float]:
    """Total seconds per policy over its runs."""
    out: dict[str, float] = {}
    for r in results:
        out[r.policy] = out.get(r.policy, 0.0) + r.seconds
    return out


__all__ = [
    "CSV_COLUMNS",
    "DEFAULT_STEP_PCT",
    "DEFAULT_UNTIL_PCT",
    "Band",
    "Cluster",
    "Curve",
    "PodList",
    "RunResult",
    "arrival_order",
    "bands",
    "cluster_of",
    "load_cluster",
    "load_pod_list",
    "parse_policies",
    "parse_seeds",
    "pod_list_of",
    "policy_seconds",
    "replay_pods",
    "run_experiment",
    "run_one",
]
