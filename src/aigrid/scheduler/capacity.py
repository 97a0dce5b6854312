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
"""

from __future__ import annotations

import heapq


class PoolCapacity:
    __slots__ = (
        "_heaps",
        "count",
        "domain_hist",
        "domain_nodes",
        "domain_whole",
        "free",
        "gpus_per_node",
        "nodes",
    )

    def __init__(self, nodes: int, gpus_per_node: int, domain_nodes: int = 1) -> None:
        if nodes <= 0 or gpus_per_node <= 0:
            raise ValueError("a pool needs at least one node and one GPU per node")
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

    def _set_free(self, node: int, old: int, new: int) -> None:
        self.free[node] = new
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

    def take_whole_nodes(self, n: int, avoid: frozenset[int] = frozenset()) -> list[int]:
        """Take `n` fully free nodes (not in `avoid`): lowest indices first, or by NVLink domain
        (see the module's docstring) where domains span several nodes."""
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

    def _take_by_domain(self, n: int, avoid: frozenset[int]) -> list[int]:
        whole = self._whole_by_domain(avoid)
        dn = self.domain_nodes
        if n <= dn:
            fitting = [(w, d) for d, w in enumerate(whole) if w >= n]
            if not fitting:
                raise ValueError(f"no NVLink domain has {n} wholly free nodes")
            order = [min(fitting)[1]]
        else:
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
