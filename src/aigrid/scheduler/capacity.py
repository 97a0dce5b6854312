"""Free capacity of one pool, as counts: which nodes have exactly k free GPUs.

A node is a row (an int index); `free[i]` is its number of free GPUs. For each k there is a heap
of node indices whose free count is k, kept lazily: an entry is valid only while
`free[node] == k`, and stale entries are skipped when they reach the top. Because every choice
takes the *lowest-index* valid node, what the pool hands out depends only on `free`, never on
the order of earlier operations. That is what lets the scheduler try an allocation on the real
structure and undo it, and still be a pure function of the state it was given.

Costs: best fit for a single-node request is O(gpus_per_node + log n); n whole nodes for a gang
are O(n log n); releasing is O(log n) per node.

NVLink domains of several nodes (an NVL72 rack is 18 nodes of 4 GPUs) are runs of
`domain_nodes` consecutive nodes. In such a pool a gang that fits in one domain takes its nodes
inside one (the domain with the fewest wholly free nodes that suffice: best fit, lowest index on
ties), and a larger gang takes the domains with the most wholly free nodes first, so that it
spans as few as it can. The count of wholly free nodes per domain is kept as nodes change.

Shares of GPUs, CPU and memory. `free[i]` counts *wholly* free GPUs, which is all that whole-GPU
jobs can use, so the counts above serve them unchanged. Where jobs share GPUs or the pool tracks
CPU and memory (`cpu_milli`, `memory_mib` per node, 0 for untracked), the pool also keeps
`detail`, the node model of the fragmentation experiment (`GpuNodes`: each GPU's free share in
milli-GPUs, each node's free CPU and memory), and every change is made to both. A GPU that a
share lands on stops counting as wholly free until its last share leaves. The detail is built
the first time a share is taken in a pool that tracks no CPU and memory, so pools that never
see one pay nothing for it. Whole GPUs stay anonymous: a whole-GPU job takes the lowest-index
fully free GPUs of its node and gives back any GPUs its node holds whole (they are alike).
"""

from __future__ import annotations

import heapq
from typing import Final

from aigrid.model import GPU_MILLI, Placement
from aigrid.scheduler.fragmentation import GpuNodes, Pod, PodPlacement

_MODEL: Final = "gpu"
"""The one GPU model of a pool's detail (a pool is homogeneous)."""


class PoolCapacity:
    __slots__ = (
        "_domain_heaps",
        "_heaps",
        "changed",
        "count",
        "cpu_milli",
        "detail",
        "domain_hist",
        "domain_nodes",
        "domain_whole",
        "free",
        "gpus_per_node",
        "memory_mib",
        "nodes",
        "shared_gpus",
    )

    def __init__(
        self,
        nodes: int,
        gpus_per_node: int,
        domain_nodes: int = 1,
        *,
        cpu_milli: int = 0,
        memory_mib: int = 0,
    ) -> None:
        if nodes <= 0 or gpus_per_node <= 0:
            raise ValueError("a pool needs at least one node and one GPU per node")
        if cpu_milli < 0 or memory_mib < 0:
            raise ValueError("a node's CPU and memory must not be negative (0: not tracked)")
        if domain_nodes < 1 or nodes % domain_nodes:
            raise ValueError(f"{nodes} nodes are not a whole number of {domain_nodes}-node domains")
        self.nodes = nodes
        self.gpus_per_node = gpus_per_node
        self.domain_nodes = domain_nodes
        """Nodes per NVLink domain (1: a domain is at most one node)."""
        self.domain_whole: list[int] = (
            [domain_nodes] * (nodes // domain_nodes) if domain_nodes > 1 else []
        )
        """Wholly free nodes per domain (empty when domains are single nodes)."""
        self.domain_hist: list[int] = [0] * (domain_nodes + 1)
        """How many domains have k wholly free nodes, for k = 0 .. domain_nodes."""
        if self.domain_whole:
            self.domain_hist[domain_nodes] = len(self.domain_whole)
        self._domain_heaps: list[list[int]] = [[] for _ in range(domain_nodes + 1)]
        """For each k >= 1, a lazy heap of the domains with k wholly free nodes (an entry is
        valid while `domain_whole[d] == k`), as `_heaps` is for nodes: a gang finds its
        best-fit domain without a scan of them all."""
        self._domain_heaps[domain_nodes] = list(range(len(self.domain_whole)))
        self.free: list[int] = [gpus_per_node] * nodes
        self.changed: list[int] | None = None
        """Nodes whose free count changed, for whoever keeps a copy of `free` to bring up to
        date (`ClusterState.node_arrays`); None while nobody does. Holds at most `nodes` + 1
        entries: past that, the copy is rebuilt whole."""
        self.count: list[int] = [0] * (gpus_per_node + 1)
        self.count[gpus_per_node] = nodes
        self._heaps: list[list[int]] = [[] for _ in range(gpus_per_node + 1)]
        self._heaps[gpus_per_node] = list(range(nodes))  # sorted, hence already a heap
        self.cpu_milli = cpu_milli
        """Each node's CPU in milli-cores; 0 when the pool does not track CPU."""
        self.memory_mib = memory_mib
        """Each node's memory in MiB; 0 when the pool does not track memory."""
        self.shared_gpus = 0
        """GPUs that hold shares (none of them counts as wholly free)."""
        self.detail: GpuNodes | None = None
        """Per node and GPU: free shares, CPU and memory (see the module docstring)."""
        if cpu_milli or memory_mib:
            self.ensure_detail()

    # -- shares, CPU and memory ----------------------------------------------------------------

    @property
    def tracks_resources(self) -> bool:
        """Whether nodes' CPU or memory can hold jobs up here."""
        return bool(self.cpu_milli or self.memory_mib)

    def ask(self, cpu_milli: int, memory_mib: int) -> tuple[int, int]:
        """What a job's CPU and memory ask takes here: nothing of what the pool does not track."""
        return (cpu_milli if self.cpu_milli else 0, memory_mib if self.memory_mib else 0)

    def ensure_detail(self) -> GpuNodes:
        """The pool's detail, built from the counts if it has none yet (every GPU taken so far
        was taken whole)."""
        detail = self.detail
        if detail is None:
            n, g = self.nodes, self.gpus_per_node
            detail = GpuNodes([self.cpu_milli] * n, [self.memory_mib] * n, [g] * n, [_MODEL] * n)
            whole = Pod(0, 0, 1, GPU_MILLI)
            for node, free in enumerate(self.free):
                for gpu in range(g - free):  # GPUs taken before the detail existed: whole
                    detail.allocate(whole, PodPlacement(node, (gpu,), GPU_MILLI))
            self.detail = detail
        return detail

    def _detail_take(self, node: int, gpus: int, cpu: int = 0, memory: int = 0) -> None:
        detail = self.detail
        if detail is not None and (gpus or cpu or memory):
            pod = Pod(cpu, memory, gpus, GPU_MILLI if gpus else 0)
            detail.allocate(pod, PodPlacement(node, detail.free_gpus_of(node, gpus), pod.gpu_milli))

    def _detail_give(self, node: int, gpus: int, cpu: int = 0, memory: int = 0) -> None:
        detail = self.detail
        if detail is not None and (gpus or cpu or memory):
            pod = Pod(cpu, memory, gpus, GPU_MILLI if gpus else 0)
            detail.release(pod, PodPlacement(node, detail.whole_gpus_of(node, gpus), pod.gpu_milli))

    def take_node(self, node: int, gpus: int, cpu: int = 0, memory: int = 0) -> None:
        """Take `gpus` wholly free GPUs, and CPU and memory, of a named node."""
        if cpu or memory:
            detail = self.ensure_detail()
            if detail.cpu_free[node] < cpu or detail.memory_free[node] < memory:
                raise ValueError(f"node {node}: {cpu} CPU and {memory} MiB asked, not free")
        self.take_from(node, gpus, cpu, memory)

    def take_share(self, node: int, gpu: int, milli: int, cpu: int = 0, memory: int = 0) -> None:
        """Take `milli` of GPU `gpu` of `node` (it must have that much free), and CPU and
        memory. A wholly free GPU it lands on stops counting as one."""
        detail = self.ensure_detail()
        was_whole = detail.gpu_free[node, gpu] == GPU_MILLI
        detail.allocate(Pod(cpu, memory, 1, milli), PodPlacement(node, (gpu,), milli))
        if was_whole:
            old = self.free[node]
            self._set_free(node, old, old - 1)
            self.shared_gpus += 1

    def give_back_share(
        self, node: int, gpu: int, milli: int, cpu: int = 0, memory: int = 0
    ) -> None:
        """Give back a share taken by `take_share`; a GPU whose last share leaves is wholly free
        again."""
        detail = self.detail
        if detail is None:
            raise ValueError(f"node {node}: no share of GPU {gpu} was taken")
        detail.release(Pod(cpu, memory, 1, milli), PodPlacement(node, (gpu,), milli))
        if detail.gpu_free[node, gpu] == GPU_MILLI:
            old = self.free[node]
            self._set_free(node, old, old + 1)
            self.shared_gpus -= 1

    def take_placement(self, placement: Placement) -> None:
        """Take what a placement holds (to re-apply a placement decided elsewhere)."""
        if placement.gpu_share_milli:
            (node,) = placement.nodes
            self.take_share(
                node,
                placement.shared_gpu,
                placement.gpu_share_milli,
                placement.cpu_milli,
                placement.memory_mib,
            )
            return
        for node, gpus in zip(placement.nodes, placement.gpus_per_node, strict=True):
            self.take_node(node, gpus, placement.cpu_milli, placement.memory_mib)

    def give_back_placement(self, placement: Placement) -> None:
        """Give back what `take_placement` (or a placement search) took."""
        if placement.gpu_share_milli:
            (node,) = placement.nodes
            self.give_back_share(
                node,
                placement.shared_gpu,
                placement.gpu_share_milli,
                placement.cpu_milli,
                placement.memory_mib,
            )
            return
        for node, gpus in zip(placement.nodes, placement.gpus_per_node, strict=True):
            self.give_back(node, gpus, placement.cpu_milli, placement.memory_mib)

    # -- whole GPUs ----------------------------------------------------------------------------

    @property
    def free_gpus(self) -> int:
        return sum(k * c for k, c in enumerate(self.count))

    @property
    def free_nodes(self) -> int:
        """Nodes with every GPU free, the unit a multi-node gang takes."""
        return self.count[self.gpus_per_node]

    def largest_free(self) -> int:
        """The most free GPUs on any one node (0 if the pool is full)."""
        for k in range(self.gpus_per_node, 0, -1):
            if self.count[k]:
                return k
        return 0

    def best_fit_slot(self, gpus: int, avoid: frozenset[int] = frozenset()) -> int:
        """The smallest free count >= gpus that some node (not in `avoid`) has, or 0 if none."""
        count = self.count
        if avoid:
            count = list(count)
            free = self.free
            for node in avoid:
                count[free[node]] -= 1
        for k in range(gpus, self.gpus_per_node + 1):
            if count[k]:
                return k
        return 0

    def worst_fit_slot(self, gpus: int, avoid: frozenset[int] = frozenset()) -> int:
        """The largest free count >= gpus that some node (not in `avoid`) has, or 0 if none."""
        count = self._counts(avoid)
        for k in range(self.gpus_per_node, gpus - 1, -1):
            if count[k]:
                return k
        return 0

    def fitting_slots(self, gpus: int, avoid: frozenset[int] = frozenset()) -> list[int]:
        """Every free count >= gpus that some node (not in `avoid`) has, smallest first."""
        count = self._counts(avoid)
        return [k for k in range(gpus, self.gpus_per_node + 1) if count[k]]

    def fitting_counts(self, gpus: int, avoid: frozenset[int] = frozenset()) -> list[int]:
        """How many nodes (not in `avoid`) have k free, for k = gpus .. gpus_per_node."""
        return self._counts(avoid)[gpus:]

    def _counts(self, avoid: frozenset[int]) -> list[int]:
        if not avoid:
            return self.count
        count = list(self.count)
        for node in avoid:
            count[self.free[node]] -= 1
        return count

    def free_nodes_outside(self, avoid: frozenset[int]) -> int:
        """Fully free nodes that are not in `avoid`."""
        g = self.gpus_per_node
        free = self.free
        return self.count[g] - sum(1 for node in avoid if free[node] == g)

    def _pop_valid(self, k: int, avoid: frozenset[int] = frozenset()) -> int:
        """Pop the lowest-index node with exactly `k` free that is not in `avoid`."""
        heap = self._heaps[k]
        free = self.free
        skipped: list[int] = []
        while True:
            node = heapq.heappop(heap)
            if free[node] != k:
                continue  # stale
            if node in avoid:
                skipped.append(node)
                continue
            for other in skipped:
                heapq.heappush(heap, other)
            return node

    def note_changed(self, nodes: tuple[int, ...]) -> None:
        """Name nodes in `changed` whose free count did not change but what a copy holder
        keeps beside it did (when they are free again, by the jobs on them)."""
        changed = self.changed
        if changed is not None and len(changed) <= self.nodes:
            changed.extend(nodes)

    def drain_changed(self) -> list[int] | None:
        """The nodes named in `changed` since the last call (None if nobody asked before),
        and `changed` started anew: the caller now keeps a copy."""
        changed = self.changed
        self.changed = []
        return changed

    def _set_free(self, node: int, old: int, new: int) -> None:
        self.free[node] = new
        changed = self.changed
        if changed is not None and len(changed) <= self.nodes:
            changed.append(node)
        self.count[old] -= 1
        self.count[new] += 1
        if self.domain_whole:
            g = self.gpus_per_node
            step = (new == g) - (old == g)
            if step:
                d = node // self.domain_nodes
                w = self.domain_whole[d]
                self.domain_hist[w] -= 1
                self.domain_hist[w + step] += 1
                self.domain_whole[d] = w + step
                if w + step:
                    dheap = self._domain_heaps[w + step]
                    heapq.heappush(dheap, d)
                    if len(dheap) > 2 * self.domain_hist[w + step] + 64:
                        whole = self.domain_whole
                        self._domain_heaps[w + step] = sorted(
                            {e for e in dheap if whole[e] == w + step}
                        )
        if new:
            heap = self._heaps[new]
            heapq.heappush(heap, node)
            if len(heap) > 2 * self.count[new] + 64:
                self._compact(new)

    def _compact(self, k: int) -> None:
        free = self.free
        self._heaps[k] = sorted({n for n in self._heaps[k] if free[n] == k})

    def take_slot(self, k: int, gpus: int, avoid: frozenset[int] = frozenset()) -> int:
        """Take `gpus` GPUs on the lowest-index node (not in `avoid`) that has exactly `k` free.
        Returns the node."""
        node = self._pop_valid(k, avoid)
        self._set_free(node, k, k - gpus)
        if self.detail is not None:
            self._detail_take(node, gpus)
        return node

    def _whole_by_domain(self, avoid: frozenset[int]) -> list[int]:
        whole = self.domain_whole
        if not avoid:
            return whole
        whole = list(whole)
        g = self.gpus_per_node
        for node in avoid:
            if self.free[node] == g:
                whole[node // self.domain_nodes] -= 1
        return whole

    def gang_fits(self, n: int, avoid: frozenset[int] = frozenset()) -> bool:
        """Whether `n` wholly free nodes (not in `avoid`) can be taken together: inside one
        NVLink domain if the gang fits in one, else anywhere."""
        if not self.domain_whole or n > self.domain_nodes:
            return True
        if not avoid:
            return any(self.domain_hist[n:])
        return max(self._whole_by_domain(avoid)) >= n

    def take_whole_nodes(
        self, n: int, avoid: frozenset[int] = frozenset(), cpu: int = 0, memory: int = 0
    ) -> list[int]:
        """Take `n` fully free nodes (not in `avoid`): lowest indices first, or by NVLink domain
        (see the module's docstring) where domains span several nodes. `cpu` and `memory` are
        taken on each (a wholly free node has all of its own free)."""
        nodes = self._take_whole(n, avoid)
        if self.detail is not None:
            for node in nodes:
                self._detail_take(node, self.gpus_per_node, cpu, memory)
        return nodes

    def _take_whole(self, n: int, avoid: frozenset[int]) -> list[int]:
        """Which `n` wholly free nodes a gang takes, taken in the counts (subclasses that know
        more of the network choose differently)."""
        if self.domain_whole:
            return self._take_by_domain(n, avoid)
        g = self.gpus_per_node
        nodes = []
        for _ in range(n):
            # Mark each node taken before popping the next: a node can sit twice in a heap.
            node = self._pop_valid(g, avoid)
            self._set_free(node, g, 0)
            nodes.append(node)
        return nodes

    def _best_domain(self, n: int) -> int:
        """The domain with the fewest wholly free nodes that are at least `n`, the lowest
        index on ties (no nodes avoided)."""
        whole = self.domain_whole
        for w in range(n, self.domain_nodes + 1):
            if self.domain_hist[w]:
                heap = self._domain_heaps[w]
                while whole[heap[0]] != w:
                    heapq.heappop(heap)  # stale
                return heap[0]
        raise ValueError(f"no NVLink domain has {n} wholly free nodes")

    def _take_emptiest_domains(self, n: int) -> list[int]:
        """Take `n` > `domain_nodes` wholly free nodes, from the domains with the most wholly
        free nodes first (the lowest index on ties), lowest nodes first within each (no nodes
        avoided). Only the last domain is left with some of its wholly free nodes, so the
        order of those before it does not change as they are taken: the domains are popped
        from their heaps one at a time instead of all being sorted."""
        whole = self.domain_whole
        free = self.free
        g = self.gpus_per_node
        dn = self.domain_nodes
        nodes: list[int] = []
        for w in range(dn, 0, -1):
            heap = self._domain_heaps[w]
            while self.domain_hist[w] and len(nodes) < n:
                d = heapq.heappop(heap)
                if whole[d] != w:
                    continue  # stale
                for node in range(d * dn, (d + 1) * dn):
                    if free[node] == g:
                        self._set_free(node, g, 0)
                        nodes.append(node)
                        if len(nodes) == n:
                            break
            if len(nodes) == n:
                return nodes
        for node in nodes:  # give back what was taken: too few wholly free nodes
            self._set_free(node, 0, g)
        raise ValueError(f"fewer than {n} wholly free nodes")

    def _take_by_domain(self, n: int, avoid: frozenset[int]) -> list[int]:
        dn = self.domain_nodes
        if n > dn and not avoid:
            return self._take_emptiest_domains(n)
        if n <= dn and not avoid:
            order = [self._best_domain(n)]
        elif n <= dn:
            whole = self._whole_by_domain(avoid)
            fitting = [(w, d) for d, w in enumerate(whole) if w >= n]
            if not fitting:
                raise ValueError(f"no NVLink domain has {n} wholly free nodes")
            order = [min(fitting)[1]]
        else:
            whole = self._whole_by_domain(avoid)
            order = sorted(range(len(whole)), key=lambda d: (-whole[d], d))
        g = self.gpus_per_node
        free = self.free
        nodes: list[int] = []
        for d in order:
            for node in range(d * dn, (d + 1) * dn):
                if len(nodes) == n:
                    break
                if free[node] == g and node not in avoid:
                    self._set_free(node, g, 0)
                    nodes.append(node)
            if len(nodes) == n:
                return nodes
        raise ValueError(f"fewer than {n} wholly free nodes")

    def take_from(self, node: int, gpus: int, cpu: int = 0, memory: int = 0) -> None:
        """Take `gpus` wholly free GPUs on a named node (to re-apply a placement decided
        elsewhere), and `cpu` and `memory` of it where the pool tracks them."""
        old = self.free[node]
        if old < gpus:
            raise ValueError(f"node {node}: {gpus} GPUs asked, {old} free")
        self._set_free(node, old, old - gpus)
        if self.detail is not None:
            self._detail_take(node, gpus, cpu, memory)

    def give_back(self, node: int, gpus: int, cpu: int = 0, memory: int = 0) -> None:
        old = self.free[node]
        new = old + gpus
        if new > self.gpus_per_node or (
            self.shared_gpus and new + self.shared_gpus_on(node) > self.gpus_per_node
        ):
            raise ValueError(f"node {node} would have {new} free GPUs of {self.gpus_per_node}")
        # The node's entry in bucket `old` goes stale and is skipped when it surfaces.
        self._set_free(node, old, new)
        if self.detail is not None:
            self._detail_give(node, gpus, cpu, memory)

    def shared_gpus_on(self, node: int) -> int:
        """GPUs of `node` that hold shares."""
        if not self.shared_gpus or self.detail is None:
            return 0
        return int((self.detail.shared[node] > 0).sum())

    def compact(self) -> None:
        """Drop stale heap entries. Optional housekeeping; choices do not depend on it."""
        for k in range(1, self.gpus_per_node + 1):
            self._compact(k)
