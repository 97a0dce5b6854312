"""The node (and GPU) of a one-node job that shares a GPU or asks CPU and memory.

Whole-GPU jobs that ask nothing a pool tracks beyond GPUs are placed from counts
(`PoolCapacity.best_fit_slot` and friends), in O(GPUs per node). A job that asks a share of a
GPU, or CPU or memory of a pool that tracks them, needs to look at nodes one by one: it is
placed on the pool's detail (`GpuNodes`, the fragmentation experiment's node model) with that
module's filters (`candidates`: free CPU and memory, room on the GPUs) and its finalizer
(`first_min` over keys, ties to the lowest node, then GPU). The keys carry the main cycle's
placement strategies over, so that a job whose CPU and memory never bind lands where the counts
would have put it:

* `best-fit`, `pack`: a whole-GPU job takes the node with the fewest wholly free GPUs that
  suffice; a share takes the GPU with the least free share that holds it (a wholly free GPU
  only when no shared one does), on the node with the fewest wholly free GPUs;
* `spread`: the node with the most wholly free GPUs; a share takes the freest GPU;
* `frag-aware`: a whole-GPU job takes the node whose GPUs unusable by the running job-size
  mix grow least (`growth`, as for the counts); a share is packed as by `best-fit` (the FGD
  paper's observation: packing shares onto shared GPUs keeps whole GPUs whole);
* `random`: a node drawn uniformly among those that fit, then one of its candidate GPUs, by
  keyed draws (`aigrid.scheduler.draws`) of (seed, job, pool), as the counts draw.

O(nodes) in numpy per search; only such jobs pay it, only in the pools they may use.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from aigrid.model import GPU_MILLI
from aigrid.scheduler.capacity import PoolCapacity
from aigrid.scheduler.draws import keyed_index, keyed_unit
from aigrid.scheduler.fragmentation import IntArray, Pod, candidates, first_min, fits_gpus
from aigrid.scheduler.policy import FRAG_AWARE, RANDOM, SPREAD
from aigrid.scheduler.reasons import ReasonCode


@dataclass(frozen=True, slots=True)
class NodeAsk:
    """What a one-node job takes of one node of a pool: whole GPUs, or a share of one
    (`share` milli-GPUs), and the CPU and memory the pool tracks (0 for what it does not)."""

    gpus: int
    share: int
    cpu: int
    memory: int

    @property
    def pod(self) -> Pod:
        """The ask as the fragmentation model's pod (a whole GPU is 1000 milli-GPUs)."""
        return Pod(self.cpu, self.memory, self.gpus, self.share or GPU_MILLI)


@dataclass(frozen=True, slots=True)
class Spot:
    """Where a job goes: a node, and for a share the GPU of it (-1 for whole GPUs).
    `free` is what the job found there: the node's wholly free GPUs, or for a share the GPU's
    free share in milli-GPUs; `fit` is how tight a fit it is under the strategy, lower tighter
    (negate it for `spread`, as for the counts)."""

    node: int
    gpu: int
    free: int
    fit: float


def find_spot(
    cap: PoolCapacity,
    ask: NodeAsk,
    strategy: str,
    growth: Callable[[int], float] | None = None,
    avoid: frozenset[int] = frozenset(),
    draw: tuple[int, int, int] = (0, 0, 0),
) -> Spot | ReasonCode:
    """The node (and GPU) `strategy` gives the job in this pool, keeping off `avoid`; or why
    there is none: `NO_CAPACITY` when no node has room on its GPUs, `CPU_MEMORY` when those
    that have lack the CPU or memory. `growth(free)` is frag-aware's key for a node with that
    many wholly free GPUs; `draw` is random's key, (seed, job, pool)."""
    nodes = cap.ensure_detail()
    pod = ask.pod
    cands = candidates(nodes, pod)
    keep = None
    if avoid and len(cands):
        keep = ~np.isin(cands.node, np.fromiter(avoid, dtype=np.int64, count=len(avoid)))
    if keep is not None and not keep.all():
        node, gpu, gpu_free = cands.node[keep], cands.gpu[keep], cands.gpu_free[keep]
    else:
        node, gpu, gpu_free = cands.node, cands.gpu, cands.gpu_free
    if not len(node):
        room = fits_gpus(nodes, pod)
        for n in avoid:
            room[n] = False
        return ReasonCode.CPU_MEMORY if room.any() else ReasonCode.NO_CAPACITY
    full = nodes.full[node]
    if strategy == RANDOM:
        return _random_spot(node, gpu, gpu_free, full, ask, draw)
    spread = strategy == SPREAD
    if ask.share:
        i = first_min(-gpu_free, -full) if spread else first_min(gpu_free, full)
        free = int(gpu_free[i])
        return Spot(int(node[i]), int(gpu[i]), free, float(free - ask.share))
    if strategy == FRAG_AWARE and growth is not None:
        keys = {int(f): growth(int(f)) for f in np.unique(full)}
        i = first_min(np.array([keys[int(f)] for f in full], dtype=np.float64), full)
        return Spot(int(node[i]), -1, int(full[i]), keys[int(full[i])])
    i = first_min(-full) if spread else first_min(full)
    free = int(full[i])
    return Spot(int(node[i]), -1, free, float(free - ask.gpus))


def _random_spot(
    node: IntArray,
    gpu: IntArray,
    gpu_free: IntArray,
    full: IntArray,
    ask: NodeAsk,
    draw: tuple[int, int, int],
) -> Spot:
    """`random`: a node uniformly among the candidates' (they come in node order), then one of
    its candidates (GPUs, for a share) uniformly. Its `fit` is the exponential race of the
    counts' `random` (`placement._fit_score`), so that across pools the job lands on a node
    drawn uniformly from all of theirs."""
    starts = np.flatnonzero(np.r_[True, node[1:] != node[:-1]])
    ends = np.r_[starts[1:], len(node)]
    k = keyed_index(len(starts), *draw)
    i = int(starts[k]) + keyed_index(int(ends[k] - starts[k]), *draw, 2)
    fit = -math.log1p(-keyed_unit(*draw, 1)) / len(starts)
    free = int(gpu_free[i]) if ask.share else int(full[i])
    return Spot(int(node[i]), int(gpu[i]), free, fit)
