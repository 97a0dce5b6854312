"""Placing pods that share GPUs, and the fragmentation of a node's free GPU capacity.

The model is the one of Alibaba's openb trace and of the FGD paper (Weng et al., "Beware of
Fragmentation: Scheduling GPU-Sharing Workloads with Fragmentation Gradient Descent", USENIX
ATC'23). A node has free CPU (milli-cores), free memory (MiB) and GPUs of one model, each with a
free share in milli-GPUs (0..1000). A pod asks CPU, memory and either no GPU, a share of one
GPU (`gpu_milli` < 1000) or a number of whole GPUs, optionally of some GPU models only.

Placement is filters, then one finalizer (STYLE principle 5):

* the filters (`FILTERS`) each return a boolean mask over the nodes: enough free CPU and
  memory, a GPU model the pod allows, and room on the GPUs (for a shared pod one GPU with at
  least its share free, for a whole-GPU pod that many fully free GPUs);
* `candidates` turns the feasible nodes into the placements to choose from: one per node for
  a whole-GPU or CPU-only pod (it takes the node's lowest-index fully free GPUs: they are all
  alike), one per (node, GPU) for a shared pod, where GPUs of one node with the same free share
  count once (they are interchangeable; the lowest index stands for them);
* a `Strategy` picks one candidate. Every strategy breaks its last tie by the candidate order,
  node index then GPU index, so a placement depends on the node state alone (and, for
  `random`, on the generator it was given).

Nodes are rows of numpy arrays (`GpuNodes`), never objects per GPU, and every filter and
strategy is a handful of vectorised operations over them. Nothing here reads a clock, a file or
an unseeded generator.

Fragmentation (`fragmentation`, `Workload`): for a pod shape m, the fragment of node n is the
part of n's free GPU capacity that m cannot use: all of it if m cannot be placed on n at all
(CPU, memory, GPU model or GPU room), else the free share of each GPU whose free share is below
what m needs of one GPU (its `gpu_milli`, or 1000 for whole GPUs). A node's fragmentation for a
workload is the expected fragment for a pod drawn from the workload's mix of GPU pod shapes,
in milli-GPUs. Pods that ask for no GPU are left out of the mix: they can use no GPU, so each
would add the same share of every node's free capacity to its fragmentation and change no
decision. `frag-aware` places a pod where its placement raises that expectation the least.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import numpy.typing as npt

GPU_MILLI = 1000
"""Milli-GPUs in one GPU: a whole GPU's free share."""

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Pod:
    """What a pod asks for. `gpu_milli` is per GPU: 1000 for whole GPUs, less for a shared one."""

    cpu_milli: int
    memory_mib: int
    num_gpu: int = 0
    gpu_milli: int = 0
    gpu_models: tuple[str, ...] = ()
    """GPU models the pod may run on; empty for any."""

    def __post_init__(self) -> None:
        if self.cpu_milli < 0 or self.memory_mib < 0 or self.num_gpu < 0:
            raise ValueError(f"a pod asks no negative amounts: {self}")
        if self.num_gpu == 0 and self.gpu_milli != 0:
            raise ValueError(f"gpu_milli {self.gpu_milli} for a pod of no GPU")
        if self.num_gpu > 0 and not 0 < self.gpu_milli <= GPU_MILLI:
            raise ValueError(f"gpu_milli must be 1..{GPU_MILLI} for a GPU pod, got {self}")
        if self.num_gpu > 1 and self.gpu_milli < GPU_MILLI:
            raise ValueError(f"only a pod of one GPU may share it, got {self}")

    @property
    def shared(self) -> bool:
        """True for a pod that asks a share (< 1000 milli) of one GPU."""
        return self.num_gpu == 1 and self.gpu_milli < GPU_MILLI

    @property
    def gpu_request(self) -> int:
        """The pod's GPU request in milli-GPUs (a shared pod counts its share)."""
        return self.num_gpu * self.gpu_milli


@dataclass(frozen=True, slots=True)
class PodPlacement:
    """Where a pod goes: a node and the GPUs on it it takes `gpu_milli` of each."""

    node: int
    gpus: tuple[int, ...]
    gpu_milli: int


class GpuNodes:
    """The free resources of a set of nodes, one row per node.

    `gpu_free[n, g]` is the free share of GPU g of node n in milli-GPUs; rows are padded to the
    largest node with GPUs that do not exist (free 0, never a candidate). Derived per row and
    kept up to date by `allocate`: `full` (fully free GPUs), `widest` (the largest free share of
    one GPU) and `first_of_level` (GPU g exists and no lower GPU of the node has the same free
    share). `version` counts allocations and `last_changed` is the node of the latest, so that
    a strategy with a cache can tell what changed since it last looked.
    """

    __slots__ = (
        "_model_masks",
        "cpu_capacity",
        "cpu_free",
        "first_of_level",
        "full",
        "gpu_count",
        "gpu_free",
        "last_changed",
        "memory_capacity",
        "memory_free",
        "model",
        "models",
        "version",
        "widest",
    )

    def __init__(
        self,
        cpu_milli: Sequence[int],
        memory_mib: Sequence[int],
        gpus: Sequence[int],
        models: Sequence[str],
    ) -> None:
        n = len(cpu_milli)
        if not n == len(memory_mib) == len(gpus) == len(models):
            raise ValueError("cpu_milli, memory_mib, gpus and models need one entry per node")
        if n == 0:
            raise ValueError("no node")
        if min(gpus) < 1 or min(cpu_milli) < 0 or min(memory_mib) < 0:
            raise ValueError("every node needs at least one GPU and no negative resources")
        self.models: tuple[str, ...] = tuple(sorted(set(models)))
        index = {m: i for i, m in enumerate(self.models)}
        self.model: IntArray = np.array([index[m] for m in models], dtype=np.int64)
        self.cpu_capacity: IntArray = np.array(cpu_milli, dtype=np.int64)
        self.memory_capacity: IntArray = np.array(memory_mib, dtype=np.int64)
        self.gpu_count: IntArray = np.array(gpus, dtype=np.int64)
        self.cpu_free: IntArray = self.cpu_capacity.copy()
        self.memory_free: IntArray = self.memory_capacity.copy()
        width = int(self.gpu_count.max())
        exists = np.arange(width)[None, :] < self.gpu_count[:, None]
        self.gpu_free: IntArray = np.where(exists, GPU_MILLI, 0).astype(np.int64)
        self.full: IntArray = self.gpu_count.copy()
        self.widest: IntArray = np.full(n, GPU_MILLI, dtype=np.int64)
        self.first_of_level: BoolArray = np.zeros((n, width), dtype=np.bool_)
        self.first_of_level[:, 0] = True
        self.version = 0
        self.last_changed = -1
        self._model_masks: dict[tuple[str, ...], BoolArray] = {}

    def __len__(self) -> int:
        return len(self.cpu_capacity)

    def copy(self) -> GpuNodes:
        """An independent copy of the state (a fresh run starts from a copy)."""
        other = GpuNodes.__new__(GpuNodes)
        for name in GpuNodes.__slots__:
            value = getattr(self, name)
            setattr(other, name, value.copy() if hasattr(value, "copy") else value)
        return other

    @property
    def gpu_capacity(self) -> IntArray:
        """Each node's GPUs in milli-GPUs."""
        return self.gpu_count * GPU_MILLI

    @property
    def gpu_allocated(self) -> IntArray:
        """Each node's allocated GPU capacity in milli-GPUs."""
        allocated: IntArray = self.gpu_capacity - self.gpu_free.sum(axis=1)
        return allocated

    def model_mask(self, allowed: tuple[str, ...]) -> BoolArray:
        """Nodes whose GPU model is one of `allowed` (every node for an empty tuple)."""
        mask = self._model_masks.get(allowed)
        if mask is None:
            if allowed:
                ok = np.array([m in allowed for m in self.models], dtype=np.bool_)
                mask = ok[self.model]
            else:
                mask = np.ones(len(self), dtype=np.bool_)
            self._model_masks[allowed] = mask
        return mask

    def allocate(self, pod: Pod, placement: PodPlacement) -> None:
        """Take what `pod` asks on the node and GPUs of `placement` (which must fit)."""
        n = placement.node
        row = self.gpu_free[n]
        gpus = list(placement.gpus)
        if (
            self.cpu_free[n] < pod.cpu_milli
            or self.memory_free[n] < pod.memory_mib
            or len(gpus) != pod.num_gpu
            or placement.gpu_milli != pod.gpu_milli
            or len(set(gpus)) != len(gpus)
            or not all(0 <= g < self.gpu_count[n] for g in gpus)
            or (row[gpus] < placement.gpu_milli).any()
        ):
            raise ValueError(f"{placement} does not fit {pod}")
        self.cpu_free[n] -= pod.cpu_milli
        self.memory_free[n] -= pod.memory_mib
        row[gpus] -= placement.gpu_milli
        exists = np.arange(len(row)) < self.gpu_count[n]
        self.full[n] = int((row == GPU_MILLI).sum())
        self.widest[n] = int(row.max())
        same_below = np.tril(row[:, None] == row[None, :], k=-1).any(axis=1)
        self.first_of_level[n] = exists & ~same_below
        self.version += 1
        self.last_changed = n


# --- filters ---------------------------------------------------------------------------------

Filter = Callable[[GpuNodes, Pod], BoolArray]


def fits_cpu_memory(nodes: GpuNodes, pod: Pod) -> BoolArray:
    """Nodes with at least the pod's CPU and memory free."""
    ok: BoolArray = (nodes.cpu_free >= pod.cpu_milli) & (nodes.memory_free >= pod.memory_mib)
    return ok


def allowed_model(nodes: GpuNodes, pod: Pod) -> BoolArray:
    """Nodes of a GPU model the pod allows (all nodes for a pod that names none)."""
    return nodes.model_mask(pod.gpu_models)


def fits_gpus(nodes: GpuNodes, pod: Pod) -> BoolArray:
    """Nodes with room on their GPUs: one GPU with the pod's share free (shared pod), or as many
    fully free GPUs as it asks (whole-GPU pod); every node for a CPU-only pod."""
    if pod.num_gpu == 0:
        return np.ones(len(nodes), dtype=np.bool_)
    if pod.shared:
        wide: BoolArray = nodes.widest >= pod.gpu_milli
        return wide
    enough: BoolArray = nodes.full >= pod.num_gpu
    return enough


FILTERS: tuple[Filter, ...] = (fits_cpu_memory, allowed_model, fits_gpus)
"""The filters every placement passes, in order."""


def feasible(nodes: GpuNodes, pod: Pod) -> BoolArray:
    """Nodes that pass every filter."""
    mask = FILTERS[0](nodes, pod)
    for f in FILTERS[1:]:
        mask = mask & f(nodes, pod)
    return mask


@dataclass(frozen=True, slots=True)
class Candidates:
    """The placements a strategy chooses from, ordered by node index, then GPU index.

    `node[i]` is the node of candidate i; `gpu[i]` its GPU for a shared pod, -1 otherwise;
    `gpu_free[i]` that GPU's free share before placement (0 when `gpu[i]` is -1); `row[i]` is
    the index of `node[i]` in `nodes` (the distinct candidate nodes, ascending).
    """

    nodes: IntArray
    node: IntArray
    gpu: IntArray
    gpu_free: IntArray
    row: IntArray

    def __len__(self) -> int:
        return len(self.node)


def candidates(nodes: GpuNodes, pod: Pod) -> Candidates:
    """The candidate placements of `pod`: see the module docstring."""
    where: IntArray = np.flatnonzero(feasible(nodes, pod)).astype(np.int64)
    if not pod.shared:
        zeros = np.zeros(len(where), dtype=np.int64)
        return Candidates(where, where, zeros - 1, zeros, np.arange(len(where), dtype=np.int64))
    free = nodes.gpu_free[where]
    ok = nodes.first_of_level[where] & (free >= pod.gpu_milli)
    rows, gpus = np.nonzero(ok)
    row = rows.astype(np.int64)
    gpu = gpus.astype(np.int64)
    return Candidates(where, where[row], gpu, free[row, gpu], row)


def _placement(nodes: GpuNodes, pod: Pod, cands: Candidates, i: int) -> PodPlacement:
    node = int(cands.node[i])
    if pod.num_gpu == 0:
        return PodPlacement(node, (), 0)
    if pod.shared:
        return PodPlacement(node, (int(cands.gpu[i]),), pod.gpu_milli)
    free = np.flatnonzero(nodes.gpu_free[node] == GPU_MILLI)[: pod.num_gpu]
    return PodPlacement(node, tuple(int(g) for g in free), GPU_MILLI)


class Strategy(Protocol):
    """The finalizer: picks one of the candidates (there is at least one) by its index."""

    name: str

    def choose(self, nodes: GpuNodes, pod: Pod, cands: Candidates) -> int: ...


def place(nodes: GpuNodes, pod: Pod, strategy: Strategy) -> PodPlacement | None:
    """Where `strategy` puts `pod` on `nodes`, or None if no node can take it. Changes nothing:
    apply the placement with `nodes.allocate`."""
    cands = candidates(nodes, pod)
    if len(cands) == 0:
        return None
    return _placement(nodes, pod, cands, strategy.choose(nodes, pod, cands))


def first_min(*keys: npt.NDArray[np.float64] | IntArray) -> int:
    """The index of the lexicographically smallest tuple of keys; on a tie, the lowest index."""
    alive: IntArray = np.arange(len(keys[0]), dtype=np.int64)
    for key in keys:
        values = key[alive]
        alive = alive[values == values.min()]
        if len(alive) == 1:
            break
    return int(alive[0])


def _share(part: IntArray, whole: IntArray) -> FloatArray:
    out: FloatArray = np.divide(
        part, whole, out=np.zeros(len(part), dtype=np.float64), where=whole > 0
    )
    return out


# --- strategies ------------------------------------------------------------------------------


@dataclass(slots=True)
class RandomFit:
    """A node uniformly among the feasible ones, then one of its candidate GPUs uniformly.

    The generator is passed in (seeded by the caller) and advances with every choice.
    """

    rng: np.random.Generator
    name: str = "random"

    def choose(self, nodes: GpuNodes, pod: Pod, cands: Candidates) -> int:
        row = int(self.rng.integers(len(cands.nodes)))
        lo, hi = np.searchsorted(cands.row, [row, row + 1])
        return int(lo) + int(self.rng.integers(int(hi - lo)))


@dataclass(slots=True)
class BestFit:
    """The node left with the least free resources, then the tightest GPU.

    Criteria, in order:
    1. the node's leftover after placement, least first: free CPU / CPU capacity + free memory
       / memory capacity + free GPU / GPU capacity, each a share in 0..1, so the sum is 0..3;
    2. for a shared pod, the chosen GPU's free share after placement, least first;
    3. node index, then GPU index.
    """

    name: str = "best-fit"

    def choose(self, nodes: GpuNodes, pod: Pod, cands: Candidates) -> int:
        n = cands.nodes
        leftover = (
            _share(nodes.cpu_free[n] - pod.cpu_milli, nodes.cpu_capacity[n])
            + _share(nodes.memory_free[n] - pod.memory_mib, nodes.memory_capacity[n])
            + _share(nodes.gpu_free[n].sum(axis=1) - pod.gpu_request, nodes.gpu_capacity[n])
        )
        return first_min(leftover[cands.row], cands.gpu_free)


def _allocated_shares(nodes: GpuNodes, n: IntArray) -> tuple[FloatArray, FloatArray]:
    capacity = nodes.gpu_count[n] * GPU_MILLI
    gpu = _share(capacity - nodes.gpu_free[n].sum(axis=1), capacity)
    cpu = _share(nodes.cpu_capacity[n] - nodes.cpu_free[n], nodes.cpu_capacity[n])
    return gpu, cpu


@dataclass(slots=True)
class Pack:
    """Most allocated first, GPU before node: fill partly used GPUs, then partly used nodes.

    Criteria, in order:
    1. for a shared pod, the chosen GPU's allocated share, most first (the least free GPU
       that fits);
    2. the node's allocated share of its GPU capacity, most first;
    3. the node's allocated share of its CPU, most first;
    4. node index, then GPU index.
    """

    name: str = "pack"

    def choose(self, nodes: GpuNodes, pod: Pod, cands: Candidates) -> int:
        gpu, cpu = _allocated_shares(nodes, cands.nodes)
        return first_min(cands.gpu_free, -gpu[cands.row], -cpu[cands.row])


@dataclass(slots=True)
class Spread:
    """Least allocated first, node before GPU: keep load even across nodes and GPUs.

    Criteria, in order:
    1. the node's allocated share of its GPU capacity, least first;
    2. the node's allocated share of its CPU, least first (spreads pods that ask no GPU);
    3. for a shared pod, the chosen GPU's allocated share, least first (the freest GPU);
    4. node index, then GPU index.
    """

    name: str = "spread"

    def choose(self, nodes: GpuNodes, pod: Pod, cands: Candidates) -> int:
        gpu, cpu = _allocated_shares(nodes, cands.nodes)
        return first_min(gpu[cands.row], cpu[cands.row], -cands.gpu_free)


# --- fragmentation ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Workload:
    """A mix of GPU pod shapes: distinct (CPU, memory, GPUs, share, models) with counts.

    Shapes are grouped in classes by (GPUs, share): what decides which GPUs a shape can use.
    `shape_class[m]` is the class of shape m; `class_gpus[j]` and `class_milli[j]` describe
    class j.
    """

    cpu_milli: IntArray
    memory_mib: IntArray
    gpu_models: tuple[tuple[str, ...], ...]
    count: IntArray
    shape_class: IntArray
    class_gpus: IntArray
    class_milli: IntArray
    _allowed: dict[tuple[str, ...], BoolArray] = field(default_factory=dict, repr=False)

    @classmethod
    def of(cls, pods: Iterable[Pod]) -> Workload:
        """The mix of the GPU pods among `pods` (pods that ask no GPU are left out)."""
        shapes = Counter(
            (p.cpu_milli, p.memory_mib, p.num_gpu, p.gpu_milli, p.gpu_models)
            for p in pods
            if p.num_gpu > 0
        )
        if not shapes:
            raise ValueError("a workload needs at least one pod that asks for a GPU")
        keys = sorted(shapes)
        classes = sorted({(k[2], k[3]) for k in keys})
        class_index = {c: j for j, c in enumerate(classes)}
        return cls(
            cpu_milli=np.array([k[0] for k in keys], dtype=np.int64),
            memory_mib=np.array([k[1] for k in keys], dtype=np.int64),
            gpu_models=tuple(k[4] for k in keys),
            count=np.array([shapes[k] for k in keys], dtype=np.int64),
            shape_class=np.array([class_index[(k[2], k[3])] for k in keys], dtype=np.int64),
            class_gpus=np.array([c[0] for c in classes], dtype=np.int64),
            class_milli=np.array([c[1] for c in classes], dtype=np.int64),
        )

    @property
    def total(self) -> int:
        """Pods in the mix."""
        return int(self.count.sum())

    def __len__(self) -> int:
        return len(self.count)

    def allowed(self, models: tuple[str, ...]) -> BoolArray:
        """allowed[k, m]: GPU model `models[k]` is one shape m may run on."""
        table = self._allowed.get(models)
        if table is None:
            table = np.array(
                [[not spec or model in spec for spec in self.gpu_models] for model in models],
                dtype=np.bool_,
            ).reshape(len(models), len(self))
            self._allowed[models] = table
        return table

    def class_counts(self) -> FloatArray:
        """counts[m, j]: the count of shape m if it is of class j, else 0 (a float for BLAS)."""
        out = np.zeros((len(self), len(self.class_gpus)), dtype=np.float64)
        out[np.arange(len(self)), self.shape_class] = self.count
        return out


@dataclass(frozen=True, slots=True)
class _Terms:
    """Per node (or per candidate) the terms of the usable capacity, one column per class.

    usable[i, j]: free capacity of GPUs with at least class j's share free (0 unless class j's
    GPU count fits); fitting[i, j]: pods of class j's shapes whose CPU, memory and model fit.
    Expected usable capacity x total = sum over j of usable * fitting.
    """

    usable: FloatArray
    fitting: FloatArray


class FragAware:
    """Fragmentation gradient descent: the placement that raises the node's expected
    fragmentation for `workload` the least.

    Criteria, in order:
    1. the increase of the chosen node's fragmentation (see `fragmentation`), least first
       (it may be negative: a pod that fills a fragment lowers it);
    2. node index, then GPU index.

    The increase is computed exactly, in integer milli-GPUs x pods of the workload. Per node
    the usable capacity of each class and the node's expected usable capacity are cached and
    brought up to date for the one node an allocation changed (`GpuNodes.version`).
    """

    name = "frag-aware"

    def __init__(self, workload: Workload) -> None:
        self.workload = workload
        self._counts = workload.class_counts()
        self._nodes: GpuNodes | None = None
        self._version = -1
        self._usable_sum: FloatArray = np.zeros(0)
        self._usable: FloatArray = np.zeros((0, 0))

    def choose(self, nodes: GpuNodes, pod: Pod, cands: Candidates) -> int:
        self._sync(nodes)
        w = self.workload
        rows = cands.nodes
        cpu = nodes.cpu_free[rows] - pod.cpu_milli
        mem = nodes.memory_free[rows] - pod.memory_mib
        fitting = _fitting(w, self._counts, nodes.models, nodes.model[rows], cpu, mem)
        node_usable = self._usable[rows][cands.row]
        full = nodes.full[rows][cands.row]
        if pod.shared:
            before = cands.gpu_free[:, None]
            after = before - pod.gpu_milli
            usable = (
                node_usable
                - np.where(before >= w.class_milli, before, 0)
                + np.where(after >= w.class_milli, after, 0)
            )
            full = full - (cands.gpu_free == GPU_MILLI)
        else:
            taken = pod.num_gpu * GPU_MILLI if pod.num_gpu else 0
            usable = node_usable - taken
            full = full - pod.num_gpu
        usable = np.where(_gpus_fit(w, full), usable, 0.0)
        usable_after = (usable * fitting[cands.row]).sum(axis=1)
        # fragmentation x total = free x total - usable sum; the free drop is the same for all
        increase = self._usable_sum[cands.node] - usable_after - pod.gpu_request * w.total
        return first_min(increase)

    def _sync(self, nodes: GpuNodes) -> None:
        if self._nodes is nodes and self._version == nodes.version:
            return
        if self._nodes is nodes and self._version == nodes.version - 1:
            n = nodes.last_changed
            terms = _terms(self.workload, self._counts, nodes, np.array([n], dtype=np.int64))
            self._usable[n] = terms.usable[0]
            self._usable_sum[n] = (terms.usable[0] * terms.fitting[0]).sum()
        else:
            terms = _terms(self.workload, self._counts, nodes, np.arange(len(nodes)))
            self._usable = terms.usable
            self._usable_sum = (terms.usable * terms.fitting).sum(axis=1)
            self._nodes = nodes
        self._version = nodes.version


def _fitting(
    w: Workload,
    counts: FloatArray,
    models: tuple[str, ...],
    model: IntArray,
    cpu: IntArray,
    mem: IntArray,
) -> FloatArray:
    ok = (
        (cpu[:, None] >= w.cpu_milli[None, :])
        & (mem[:, None] >= w.memory_mib[None, :])
        & w.allowed(models)[model]
    )
    fitting: FloatArray = ok.astype(np.float64) @ counts
    return fitting


def _gpus_fit(w: Workload, full: IntArray) -> BoolArray:
    """[i, j]: a whole-GPU class j fits the fully free GPUs `full[i]` (always for shares)."""
    whole = w.class_milli >= GPU_MILLI
    ok: BoolArray = ~whole[None, :] | (full[:, None] >= w.class_gpus[None, :])
    return ok


def _terms(w: Workload, counts: FloatArray, nodes: GpuNodes, rows: IntArray) -> _Terms:
    free = nodes.gpu_free[rows]
    milli = w.class_milli
    usable = np.where(free[:, :, None] >= milli[None, None, :], free[:, :, None], 0).sum(axis=1)
    usable = np.where(_gpus_fit(w, nodes.full[rows]), usable, 0).astype(np.float64)
    fitting = _fitting(
        w, counts, nodes.models, nodes.model[rows], nodes.cpu_free[rows], nodes.memory_free[rows]
    )
    return _Terms(usable, fitting)


def fragmentation(nodes: GpuNodes, workload: Workload) -> FloatArray:
    """Each node's expected fragment, in milli-GPUs, for a pod drawn from `workload`.

    For shape m and node n: all of n's free GPU capacity if m cannot be placed on n, else the
    free share of each GPU whose free share is below m's share of one GPU. The expectation
    weighs each shape by its count in the workload.
    """
    terms = _terms(workload, workload.class_counts(), nodes, np.arange(len(nodes)))
    free = nodes.gpu_free.sum(axis=1).astype(np.float64)
    frag: FloatArray = free - (terms.usable * terms.fitting).sum(axis=1) / workload.total
    return frag


STRATEGIES = ("random", "best-fit", "pack", "spread", "frag-aware")
"""The strategy names, in the order they are shown."""


def make_strategy(name: str, *, workload: Workload, rng: np.random.Generator) -> Strategy:
    """The strategy called `name`; `workload` is for frag-aware, `rng` for random."""
    match name:
        case "random":
            return RandomFit(rng)
        case "best-fit":
            return BestFit()
        case "pack":
            return Pack()
        case "spread":
            return Spread()
        case "frag-aware":
            return FragAware(workload)
    raise ValueError(f"unknown placement strategy {name!r}; known: {', '.join(STRATEGIES)}")


__all__ = [
    "FILTERS",
    "GPU_MILLI",
    "STRATEGIES",
    "BestFit",
    "Candidates",
    "FragAware",
    "GpuNodes",
    "Pack",
    "Pod",
    "PodPlacement",
    "RandomFit",
    "Spread",
    "Strategy",
    "Workload",
    "allowed_model",
    "candidates",
    "feasible",
    "first_min",
    "fits_cpu_memory",
    "fits_gpus",
    "fragmentation",
    "make_strategy",
    "place",
]
