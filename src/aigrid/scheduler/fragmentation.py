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
  `random`, on its seed and how many choices it made before: keyed draws, as the main cycle's).

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

from aigrid.model import GPU_MILLI
from aigrid.scheduler.draws import keyed_index

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
    largest node with GPUs that do not exist (free 0, never a candidate). `shared[n, g]` is
    the part of GPU g held by pods that share it, so that a GPU held whole (free 0, shared 0)
    is told from one that shares have filled. Derived per row and kept up to date by
    `allocate` and `release`: `gpu_free_total` (the row's sum), `full` (fully free GPUs),
    `widest` (the largest free share of one GPU) and `first_of_level` (GPU g exists and no
    lower GPU of the node has the same free share). `version` counts changes and
    `last_changed` is the node of the latest, so that a strategy with a cache can tell what
    changed since it last looked.

    The main scheduling cycle keeps one of these per pool where jobs share GPUs or ask CPU and
    memory (`aigrid.scheduler.capacity`), so that both use one node model and one set of
    filters.
    """

    __slots__ = (
        "_model_masks",
        "cpu_capacity",
        "cpu_free",
        "first_of_level",
        "full",
        "gpu_count",
        "gpu_free",
        "gpu_free_total",
        "last_changed",
        "memory_capacity",
        "memory_free",
        "model",
        "models",
        "shared",
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
        self.shared: IntArray = np.zeros((n, width), dtype=np.int64)
        self.gpu_free_total: IntArray = self.gpu_count * GPU_MILLI
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
        allocated: IntArray = self.gpu_capacity - self.gpu_free_total
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
        if pod.shared:
            self.shared[n, gpus] += placement.gpu_milli
        self._changed(n)

    def release(self, pod: Pod, placement: PodPlacement) -> None:
        """Give back what `allocate(pod, placement)` took."""
        n = placement.node
        row = self.gpu_free[n]
        gpus = list(placement.gpus)
        held = self.shared[n, gpus] if pod.shared else row[gpus]
        if (
            self.cpu_free[n] + pod.cpu_milli > self.cpu_capacity[n]
            or self.memory_free[n] + pod.memory_mib > self.memory_capacity[n]
            or len(gpus) != pod.num_gpu
            or placement.gpu_milli != pod.gpu_milli
            or not all(0 <= g < self.gpu_count[n] for g in gpus)
            or (held < placement.gpu_milli if pod.shared else held != 0).any()
            or (not pod.shared and (self.shared[n, gpus] != 0).any())
        ):
            raise ValueError(f"{placement} does not hold {pod}")
        self.cpu_free[n] += pod.cpu_milli
        self.memory_free[n] += pod.memory_mib
        row[gpus] += placement.gpu_milli
        if pod.shared:
            self.shared[n, gpus] -= placement.gpu_milli
        self._changed(n)

    def free_gpus_of(self, node: int, k: int) -> tuple[int, ...]:
        """The `k` lowest-index fully free GPUs of `node` (where whole GPUs are taken)."""
        free = np.flatnonzero(self.gpu_free[node] == GPU_MILLI)[:k]
        if len(free) < k:
            raise ValueError(f"node {node} has {len(free)} fully free GPUs, {k} asked")
        return tuple(int(g) for g in free)

    def whole_gpus_of(self, node: int, k: int) -> tuple[int, ...]:
        """`k` GPUs of `node` held whole (no free share, held by no share), the lowest-index
        first: whole GPUs are alike, so any `k` of them can be given back."""
        count = int(self.gpu_count[node])
        held = (self.gpu_free[node, :count] == 0) & (self.shared[node, :count] == 0)
        whole = np.flatnonzero(held)[:k]
        if len(whole) < k:
            raise ValueError(f"node {node} holds {len(whole)} GPUs whole, {k} given back")
        return tuple(int(g) for g in whole)

    def _changed(self, n: int) -> None:
        """Bring the row's derived values up to date after a change to node `n`."""
        free = self.gpu_free[n, : self.gpu_count[n]].tolist()
        self.gpu_free_total[n] = sum(free)
        self.full[n] = free.count(GPU_MILLI)
        self.widest[n] = max(free)
        self.first_of_level[n, : len(free)] = [v not in free[:g] for g, v in enumerate(free)]
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

    The same meaning, and the same keyed draws (`aigrid.scheduler.draws`), as the main cycle's
    `+place=random`: there the key is (seed, job, pool); here pods have no ids (a pod of the
    list may arrive twice), so it is (seed, how many choices came before), the choice's place
    in the run.
    """

    seed: int
    name: str = "random"
    choices: int = 0
    """Choices made so far: the second part of the next draw's key."""

    def choose(self, nodes: GpuNodes, pod: Pod, cands: Candidates) -> int:
        n = self.choices
        self.choices += 1
        row = keyed_index(len(cands.nodes), self.seed, n, 0)
        lo, hi = np.searchsorted(cands.row, [row, row + 1])
        return int(lo) + keyed_index(int(hi - lo), self.seed, n, 1)


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
            + _share(nodes.gpu_free_total[n] - pod.gpu_request, nodes.gpu_count[n] * GPU_MILLI)
        )
        return first_min(leftover[cands.row], cands.gpu_free)


def _allocated_shares(nodes: GpuNodes, n: IntArray) -> tuple[FloatArray, FloatArray]:
    capacity = nodes.gpu_count[n] * GPU_MILLI
    gpu = _share(capacity - nodes.gpu_free_total[n], capacity)
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

    Shapes are grouped in classes by (GPUs, share of each GPU), which decide the GPUs a shape
    can use: `shape_class[m]` is the class of shape m; class j asks `class_gpus[j]` GPUs of
    `class_milli[j]` each.
    """

    cpu_milli: IntArray
    memory_mib: IntArray
    gpu_models: tuple[tuple[str, ...], ...]
    count: IntArray
    shape_class: IntArray
    class_gpus: IntArray
    class_milli: IntArray
    _tables: dict[tuple[str, ...], _FitTable] = field(default_factory=dict, repr=False)

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

    def fit_table(self, models: tuple[str, ...]) -> _FitTable:
        """The pods of each class that fit a node of each of `models`, by its free CPU and
        memory (built once per tuple of models)."""
        table = self._tables.get(models)
        if table is None:
            table = _FitTable.build(self, models)
            self._tables[models] = table
        return table


@dataclass(frozen=True, slots=True)
class _FitTable:
    """How many pods of each class fit a node, by the node's GPU model, free CPU and memory.

    `table[k, a, b, j]`: pods of class j whose shapes may run on GPU model k and ask at most
    `cpu_steps[a - 1]` CPU and `memory_steps[b - 1]` memory (index 0: less than any shape
    asks). A 2-D prefix sum over the workload's distinct CPU and memory asks, so the pods that
    fit any (model, CPU, memory) are two binary searches and one lookup away, whatever the
    number of shapes. Counts are held as floats (exact: they are small integers).
    """

    cpu_steps: IntArray
    memory_steps: IntArray
    table: FloatArray

    @classmethod
    def build(cls, w: Workload, models: tuple[str, ...]) -> _FitTable:
        cpu_steps = np.unique(w.cpu_milli)
        memory_steps = np.unique(w.memory_mib)
        a = np.searchsorted(cpu_steps, w.cpu_milli) + 1
        b = np.searchsorted(memory_steps, w.memory_mib) + 1
        table = np.zeros(
            (len(models), len(cpu_steps) + 1, len(memory_steps) + 1, len(w.class_gpus)),
            dtype=np.float64,
        )
        for k, model in enumerate(models):
            runs = np.array([not spec or model in spec for spec in w.gpu_models], dtype=np.bool_)
            np.add.at(table[k], (a, b, w.shape_class), np.where(runs, w.count, 0))
        table = table.cumsum(axis=1).cumsum(axis=2)
        return cls(cpu_steps.astype(np.int64), memory_steps.astype(np.int64), table)

    def fitting(self, model: IntArray, cpu: IntArray, memory: IntArray) -> FloatArray:
        """[i, j]: pods of class j that fit a node of model index `model[i]` with `cpu[i]` and
        `memory[i]` free (GPU room aside)."""
        a = np.searchsorted(self.cpu_steps, cpu, side="right")
        b = np.searchsorted(self.memory_steps, memory, side="right")
        out: FloatArray = self.table[model, a, b]
        return out


def _gpus_fit(w: Workload, full: IntArray) -> BoolArray:
    """[i, j]: class j's GPU count fits: always for a share, else `full[i]` >= its count."""
    whole = w.class_milli >= GPU_MILLI
    ok: BoolArray = ~whole[None, :] | (full[:, None] >= w.class_gpus[None, :])
    return ok


def _usable(w: Workload, nodes: GpuNodes, rows: IntArray) -> FloatArray:
    """[i, j]: free capacity of node `rows[i]` that class j can use: the free shares of its
    GPUs with at least class j's share free, if class j's GPU count fits, else 0."""
    free = nodes.gpu_free[rows][:, :, None]
    usable = np.where(free >= w.class_milli[None, None, :], free, 0).sum(axis=1)
    out: FloatArray = np.where(_gpus_fit(w, nodes.full[rows]), usable, 0).astype(np.float64)
    return out


def _expected_usable(w: Workload, nodes: GpuNodes, rows: IntArray) -> FloatArray:
    """Per node of `rows`: its usable free capacity summed over the workload's pods
    (milli-GPUs x pods); fragmentation x total = free capacity x total - this."""
    fitting = w.fit_table(nodes.models).fitting(
        nodes.model[rows], nodes.cpu_free[rows], nodes.memory_free[rows]
    )
    out: FloatArray = (_usable(w, nodes, rows) * fitting).sum(axis=1)
    return out


def fragmentation(nodes: GpuNodes, workload: Workload) -> FloatArray:
    """Each node's expected fragment, in milli-GPUs, for a pod drawn from `workload`.

    For shape m and node n: all of n's free GPU capacity if m cannot be placed on n, else the
    free share of each GPU whose free share is below m's share of one GPU. The expectation
    weighs each shape by its count in the workload.
    """
    rows = np.arange(len(nodes), dtype=np.int64)
    usable = _expected_usable(workload, nodes, rows)
    frag: FloatArray = nodes.gpu_free_total - usable / workload.total
    return frag


class FragAware:
    """Fragmentation gradient descent: the placement that raises the node's expected
    fragmentation for `workload` the least.

    Criteria, in order:
    1. the increase of the chosen node's fragmentation (see `fragmentation`), least first
       (it may be negative: a pod that fills a fragment lowers it);
    2. node index, then GPU index.

    The increase is exact (integers held as floats: milli-GPUs x pods of the workload). The
    strategy caches, per node, the usable capacity of each class and its sum over the
    workload, and brings them up to date for the one node each allocation changed
    (`GpuNodes.version`), so a choice costs O(candidates x classes), whatever the nodes.
    """

    name = "frag-aware"

    def __init__(self, workload: Workload) -> None:
        self.workload = workload
        self._nodes: GpuNodes | None = None
        self._version = -1
        self._usable: FloatArray = np.zeros((0, 0))
        self._expected: FloatArray = np.zeros(0)

    def choose(self, nodes: GpuNodes, pod: Pod, cands: Candidates) -> int:
        self._sync(nodes)
        w = self.workload
        rows = cands.nodes
        fitting = w.fit_table(nodes.models).fitting(
            nodes.model[rows],
            nodes.cpu_free[rows] - pod.cpu_milli,
            nodes.memory_free[rows] - pod.memory_mib,
        )[cands.row]
        usable = self._usable[cands.node]
        full = nodes.full[cands.node]
        if pod.shared:
            before = cands.gpu_free[:, None]
            after = before - pod.gpu_milli
            usable = (
                usable
                - np.where(before >= w.class_milli, before, 0)
                + np.where(after >= w.class_milli, after, 0)
            )
            full = full - (cands.gpu_free == GPU_MILLI)
        elif pod.num_gpu:
            # the pod takes fully free GPUs, which every class could use
            usable = usable - pod.num_gpu * GPU_MILLI
            full = full - pod.num_gpu
        # a class that did not fit before does not fit after (it had 0): re-mask
        usable = np.where(_gpus_fit(w, full), usable, 0.0)
        expected_after = (usable * fitting).sum(axis=1)
        # x total: fragmentation = free - expected usable; free drops by the pod's request
        increase = self._expected[cands.node] - expected_after - pod.gpu_request * w.total
        return first_min(increase)

    def _sync(self, nodes: GpuNodes) -> None:
        if self._nodes is nodes and self._version == nodes.version:
            return
        w = self.workload
        if self._nodes is nodes and self._version == nodes.version - 1:
            rows = np.array([nodes.last_changed], dtype=np.int64)
            self._usable[rows] = _usable(w, nodes, rows)
            self._expected[rows] = _expected_usable(w, nodes, rows)
        else:
            rows = np.arange(len(nodes), dtype=np.int64)
            self._usable = _usable(w, nodes, rows)
            self._expected = _expected_usable(w, nodes, rows)
            self._nodes = nodes
        self._version = nodes.version


STRATEGIES = ("random", "best-fit", "pack", "spread", "frag-aware")
"""The strategy names, in the order they are shown."""


def make_strategy(name: str, *, workload: Workload, rng: np.random.Generator) -> Strategy:
    """The strategy called `name`; `workload` is for frag-aware, `rng` for random (it draws
    the seed of random's keyed draws)."""
    match name:
        case "random":
            return RandomFit(int(rng.integers(1 << 63)))
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
