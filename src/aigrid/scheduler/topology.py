"""Racks and blocks: the network above the NVLink domain, and keeping large gangs close.

A pool may say how its nodes sit in the data centre: racks of `rack_nodes` consecutive nodes
(each a whole number of NVLink domains) and blocks of `block_racks` consecutive racks (the racks
under one spine or scalable unit). GPUs in one rack talk over one leaf switch, racks of a block
over one spine; a gang's all-reduce is as slow as its slowest hop, so a gang should span as few
racks, then blocks, as it can (Slurm's topology/tree plugin, Kubernetes' topology-aware
scheduling in Kueue, the SuperPOD's scalable units).

`RackedCapacity` is a `PoolCapacity` that also counts the wholly free nodes of each rack and
block, updated as nodes change (O(1) a change), and places a gang of whole nodes that does not
fit in one NVLink domain:

1. inside one rack if any rack has enough wholly free nodes: the rack with the fewest that
   suffice (best fit, lowest index on ties), so that emptier racks stay whole for larger gangs;
2. else inside one block, the same way (the tightest block that holds it);
3. else over as few blocks as possible: the blocks with the most wholly free nodes first;

and inside the rack, block or blocks chosen, the racks with the most wholly free nodes first,
then the NVLink domains with the most, then the lowest-index nodes: so it spans as few of each
as it can. A gang that fits in one NVLink domain is placed as `PoolCapacity` places it.

Closeness is a preference, never a reason to wait: a gang that finds no rack or block to hold it
spills over several (as Slurm does without `--switches`). Waiting a while for a closer place
(Slurm's `--switches=N@max-time`) would be a policy option, not built yet. Pools that declare no
racks are plain `PoolCapacity` objects and pay nothing for this.
"""

from __future__ import annotations

from collections.abc import Iterator

from aigrid.model import Pool
from aigrid.scheduler.capacity import PoolCapacity


def pool_capacity(pool: Pool) -> PoolCapacity:
    """The capacity structure of `pool`: with racks (and blocks) where it declares them."""
    domain_nodes = max(pool.nvlink_domain // pool.gpus_per_node, 1)
    resources = {"cpu_milli": pool.cpu_milli, "memory_mib": pool.memory_mib}
    if pool.rack_nodes:
        return RackedCapacity(
            pool.nodes,
            pool.gpus_per_node,
            domain_nodes,
            pool.rack_nodes,
            pool.block_racks,
            **resources,
        )
    if pool.block_racks:
        raise ValueError(f"pool {pool.id}: blocks of racks need racks (rack_nodes)")
    return PoolCapacity(pool.nodes, pool.gpus_per_node, domain_nodes, **resources)


class RackedCapacity(PoolCapacity):
    """A pool's free capacity with racks and blocks (see the module's docstring).

    `rack_whole[r]` and `block_whole[b]` are the wholly free nodes of rack r and block b; a pool
    without blocks has one block of every rack (`block_racks` is then the number of racks).
    """

    __slots__ = ("block_racks", "block_whole", "rack_nodes", "rack_whole")

    def __init__(
        self,
        nodes: int,
        gpus_per_node: int,
        domain_nodes: int = 1,
        rack_nodes: int = 1,
        block_racks: int = 0,
        *,
        cpu_milli: int = 0,
        memory_mib: int = 0,
    ) -> None:
        super().__init__(
            nodes, gpus_per_node, domain_nodes, cpu_milli=cpu_milli, memory_mib=memory_mib
        )
        if rack_nodes < 1 or rack_nodes % domain_nodes:
            raise ValueError(
                f"a rack of {rack_nodes} nodes is not a whole number of"
                f" {domain_nodes}-node NVLink domains"
            )
        if nodes % rack_nodes:
            raise ValueError(f"{nodes} nodes are not a whole number of {rack_nodes}-node racks")
        racks = nodes // rack_nodes
        if block_racks < 0 or (block_racks and racks % block_racks):
            raise ValueError(f"{racks} racks are not a whole number of {block_racks}-rack blocks")
        self.rack_nodes = rack_nodes
        self.block_racks = block_racks or racks
        self.rack_whole: list[int] = [rack_nodes] * racks
        self.block_whole: list[int] = [rack_nodes * self.block_racks] * (racks // self.block_racks)

    def _set_free(self, node: int, old: int, new: int) -> None:
        _plain_set_free(self, node, old, new)
        g = self.gpus_per_node
        if new == g != old:
            r = node // self.rack_nodes
            self.rack_whole[r] += 1
            self.block_whole[r // self.block_racks] += 1
        elif old == g != new:
            r = node // self.rack_nodes
            self.rack_whole[r] -= 1
            self.block_whole[r // self.block_racks] -= 1

    def _take_whole(self, n: int, avoid: frozenset[int]) -> list[int]:
        """Take `n` wholly free nodes (not in `avoid`): inside one NVLink domain if the gang
        fits in one, else as close together as racks and blocks allow."""
        if n <= self.domain_nodes and self.domain_whole:
            return super()._take_whole(n, avoid)
        g = self.gpus_per_node
        free = self.free
        nodes: list[int] = []
        for node in self.gang_order(n, avoid):
            if free[node] == g and node not in avoid:
                self._set_free(node, g, 0)
                nodes.append(node)
                if len(nodes) == n:
                    return nodes
        # Give back what was taken: the caller checked that enough nodes were free.
        for node in nodes:
            self._set_free(node, 0, g)
        raise ValueError(f"fewer than {n} wholly free nodes")

    def gang_order(self, n: int, avoid: frozenset[int] = frozenset()) -> Iterator[int]:
        """The nodes, in the order a gang of `n` whole nodes takes the free ones among them."""
        racks = self._whole(self.rack_whole, self.rack_nodes, avoid)
        rack = _tightest(racks, n)
        if rack is not None:
            order = [rack]
        else:
            blocks = self._whole(self.block_whole, self.rack_nodes * self.block_racks, avoid)
            block = _tightest(blocks, n)
            chosen = [block] if block is not None else _emptiest_first(blocks)
            br = self.block_racks
            order = []
            for b in chosen:
                in_block = range(b * br, (b + 1) * br)
                order.extend(sorted(in_block, key=lambda r: (-racks[r], r)))
        rn = self.rack_nodes
        dn = self.domain_nodes
        domains = self._whole_by_domain(avoid) if self.domain_whole else []
        for r in order:
            if not domains:
                yield from range(r * rn, (r + 1) * rn)
                continue
            in_rack = range(r * rn // dn, (r + 1) * rn // dn)
            for d in sorted(in_rack, key=lambda d: (-domains[d], d)):
                yield from range(d * dn, (d + 1) * dn)

    def _whole(self, whole: list[int], size: int, avoid: frozenset[int]) -> list[int]:
        """Wholly free nodes per rack (`size` = rack_nodes) or block, leaving out `avoid`."""
        if not avoid:
            return whole
        out = list(whole)
        g = self.gpus_per_node
        for node in avoid:
            if self.free[node] == g:
                out[node // size] -= 1
        return out


_plain_set_free = PoolCapacity._set_free
"""The base class's update, called directly: cheaper than `super()` on the hot path."""


def _tightest(whole: list[int], n: int) -> int | None:
    """The index of the fewest wholly free nodes that are at least `n` (lowest on ties)."""
    best: int | None = None
    for i, w in enumerate(whole):
        if w >= n and (best is None or w < whole[best]):
            best = i
    return best


def _emptiest_first(whole: list[int]) -> list[int]:
    """Indices by wholly free nodes, most first (lowest index on ties)."""
    return sorted(range(len(whole)), key=lambda i: (-whole[i], i))


__all__ = ["RackedCapacity", "pool_capacity"]
