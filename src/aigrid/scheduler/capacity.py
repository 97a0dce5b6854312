"""Free capacity of one pool, as counts: which nodes have exactly k free GPUs.

A node is a row (an int index); `free[i]` is its number of free GPUs. For each k there is a heap
of node indices whose free count is k, kept lazily: an entry is valid only while
`free[node] == k`, and stale entries are skipped when they reach the top. Because every choice
takes the *lowest-index* valid node, what the pool hands out depends only on `free`, never on
the order of earlier operations. That is what lets the scheduler try an allocation on the real
structure and undo it, and still be a pure function of the state it was given.

Costs: best fit for a single-node request is O(gpus_per_node + log n); n whole nodes for a gang
are O(n log n); releasing is O(log n) per node.
"""

from __future__ import annotations

import heapq


class PoolCapacity:
    __slots__ = ("_heaps", "count", "free", "gpus_per_node", "nodes")

    def __init__(self, nodes: int, gpus_per_node: int) -> None:
        if nodes <= 0 or gpus_per_node <= 0:
            raise ValueError("a pool needs at least one node and one GPU per node")
        self.nodes = nodes
        self.gpus_per_node = gpus_per_node
        self.free: list[int] = [gpus_per_node] * nodes
        self.count: list[int] = [0] * (gpus_per_node + 1)
        self.count[gpus_per_node] = nodes
        self._heaps: list[list[int]] = [[] for _ in range(gpus_per_node + 1)]
        self._heaps[gpus_per_node] = list(range(nodes))  # sorted, hence already a heap

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

    def _set_free(self, node: int, old: int, new: int) -> None:
        self.free[node] = new
        self.count[old] -= 1
        self.count[new] += 1
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
        return node

    def take_whole_nodes(self, n: int, avoid: frozenset[int] = frozenset()) -> list[int]:
        """Take `n` fully free nodes (not in `avoid`), lowest indices first."""
        g = self.gpus_per_node
        nodes = []
        for _ in range(n):
            # Mark each node taken before popping the next: a node can sit twice in a heap.
            node = self._pop_valid(g, avoid)
            self._set_free(node, g, 0)
            nodes.append(node)
        return nodes

    def take_from(self, node: int, gpus: int) -> None:
        """Take `gpus` GPUs on a named node (to re-apply a placement decided elsewhere)."""
        old = self.free[node]
        if old < gpus:
            raise ValueError(f"node {node}: {gpus} GPUs asked, {old} free")
        self._set_free(node, old, old - gpus)

    def give_back(self, node: int, gpus: int) -> None:
        old = self.free[node]
        new = old + gpus
        if new > self.gpus_per_node:
            raise ValueError(f"node {node} would have {new} free GPUs of {self.gpus_per_node}")
        # The node's entry in bucket `old` goes stale and is skipped when it surfaces.
        self._set_free(node, old, new)

    def compact(self) -> None:
        """Drop stale heap entries. Optional housekeeping; choices do not depend on it."""
        for k in range(1, self.gpus_per_node + 1):
            self._compact(k)
