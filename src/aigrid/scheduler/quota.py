"""The quota tree: programs are its leaves, cohorts nested to any depth are its inner nodes.

Every node has, per quota key (a GPU model, or `owner/model` for the pools of one owner; see
`quota_key`), a nominal quota, and may have a borrowing limit and a lending limit, with Kueue's
meaning:

* its *subtree quota* is its own nominal quota plus what its children can lend it, where a
  child lends all of its subtree quota, or at most its lending limit;
* what it does not lend is *guaranteed* to it: nobody outside its subtree can take that part,
  so the subtree's own jobs start there without waiting for a preemption;
* a node uses its guaranteed part first; what it uses beyond that counts as used in its
  parent, where it competes with its siblings, and beyond what it lent it borrows, at most its
  borrowing limit.

So a program may start a job needing `alloc` GPUs of a key when `available(program, key)`,
the idle guaranteed quota of the program plus what each ancestor has idle and lets it take, is
at least `alloc`. With no limits anywhere this is the flat rule: the program's cohort (the
root) must have `alloc` GPUs of quota idle.

Usage is kept as counts (`ClusterState.usage` per program; per cohort the total of its leaves,
and what its children use beyond their guarantees). A change at a leaf walks up its path only
as far as it changes anything: O(depth) per take or release.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from aigrid.model import Fleet, Tenancy


def quota_keys(fleet: Fleet, tenancy: Tenancy) -> list[str]:
    """Per pool, the key its GPUs count against: `owner/model` when any program or cohort
    names that key in a quota or limit (the owner's pools are then a flavour of their own,
    lent and reclaimed as such), else the GPU model."""
    named: set[str] = set()
    for p in tenancy.programs.values():
        named.update(p.quota, p.borrowing_limit, p.lending_limit)
    for c in tenancy.cohorts.values():
        named.update(c.quota, c.borrowing_limit, c.lending_limit)
    keys = []
    for pool in fleet.pools:
        flavour = f"{pool.owner}/{pool.gpu_model}"
        keys.append(flavour if flavour in named else pool.gpu_model)
    return keys


@dataclass(frozen=True, slots=True)
class _Node:
    name: str
    parent: int
    """Index of the parent node, -1 at a root."""
    is_program: bool
    borrowing_limit: Mapping[str, int]
    lending_limit: Mapping[str, int]
    weight: float
    borrows_nothing: bool = False
    """A program that may not borrow at all: a borrowing limit of 0 on every key."""

    def limit(self, key: str) -> int | None:
        if self.borrows_nothing:
            return 0
        return self.borrowing_limit.get(key) if self.borrowing_limit else None


class QuotaTree:
    """The tree of one tenancy, its quotas (shrunk by the owner as GPUs fail and come back,
    through `set_quota`) and its usage. Nodes are indices: cohorts first, then programs."""

    def __init__(
        self,
        tenancy: Tenancy,
        usage: Mapping[str, defaultdict[str, int]],
    ) -> None:
        self.tenancy = tenancy
        cohorts: dict[str, int] = {}
        nodes: list[_Node] = []
        for cid in tenancy.cohorts:
            cohorts[cid] = len(cohorts)
        for p in tenancy.programs.values():
            if p.cohort is not None and p.cohort not in cohorts:
                # A cohort only named by its members: a root with no quota and no limits.
                cohorts[p.cohort] = len(cohorts)
        for cid in cohorts:
            c = tenancy.cohorts.get(cid)
            if c is None:
                nodes.append(_Node(cid, -1, False, {}, {}, 1.0))
            else:
                nodes.append(
                    _Node(
                        cid,
                        cohorts[c.parent] if c.parent is not None else -1,
                        False,
                        dict(c.borrowing_limit),
                        dict(c.lending_limit),
                        c.weight,
                    )
                )
        programs: dict[str, int] = {}
        for pid, p in tenancy.programs.items():
            programs[pid] = len(nodes)
            nodes.append(
                _Node(
                    pid,
                    cohorts[p.cohort] if p.cohort is not None else -1,
                    True,
                    dict(p.borrowing_limit),
                    dict(p.lending_limit),
                    p.weight,
                    borrows_nothing=not p.borrowing,
                )
            )
        self.cohorts = cohorts
        """Cohort name -> its node. (Programs and cohorts have names of their own: a program
        may share its name with a cohort.)"""
        self.index = programs
        """Program name -> its node."""
        self.nodes = nodes
        all_paths: list[tuple[int, ...]] = []
        for i in range(len(nodes)):
            path = [i]
            while nodes[path[-1]].parent >= 0:
                path.append(nodes[path[-1]].parent)
                if len(path) > len(nodes):
                    raise ValueError(f"the cohorts above {nodes[i].name!r} form a cycle")
            all_paths.append(tuple(path))
        self.paths: dict[str, tuple[int, ...]] = {pid: all_paths[i] for pid, i in programs.items()}
        """Program -> the nodes from the program up to its root."""
        self._down = {pid: tuple(reversed(path[:-1])) for pid, path in self.paths.items()}
        """Program -> the nodes below its root down to it, top first."""
        self._flat = {
            pid: (path[1], path[0])
            for pid, path in self.paths.items()
            if len(path) == 2
            and not nodes[path[0]].borrowing_limit
            and not nodes[path[0]].borrows_nothing
        }
        """Program -> (its root, itself), for a program right under its root that has no
        borrowing limit: the common case, `available` in one step."""
        self._depth = [len(p) for p in all_paths]
        self.levels = max([2, *(len(path) for path in self.paths.values())])
        """How many shares fair sharing compares per job: one per level of the deepest path
        from a root down to a program, and at least two (cohort, program)."""
        self.children: list[list[int]] = [[] for _ in nodes]
        for i, n in enumerate(nodes):
            if n.parent >= 0:
                self.children[n.parent].append(i)
        # Post-order: every child before its parent.
        self._order = sorted(range(len(nodes)), key=lambda i: -self._depth[i])
        self.own_nominal: list[dict[str, int]] = []
        for n in nodes:
            src = tenancy.programs[n.name].quota if n.is_program else _cohort_quota(tenancy, n)
            self.own_nominal.append(dict(src))
        self.own_quota: list[dict[str, int]] = [dict(q) for q in self.own_nominal]
        """Per node: its own quota as admission counts it (shrunk while GPUs are out)."""
        self.nominal_total: list[defaultdict[str, int]] = self._totals(self.own_nominal)
        """Per node: the nominal quotas in its subtree added up, lending limits aside (what
        fair sharing weighs its use against)."""
        self.subtree: list[dict[str, int]] = []
        self.lendable: list[dict[str, int]] = []
        self.guaranteed: list[dict[str, int]] = []
        self._recompute()
        self._nominal = self._sums(self.own_nominal)
        """Subtree, lendable and guaranteed quota with every GPU in service."""
        self.leaf_usage = usage
        self.total: list[defaultdict[str, int]] = [defaultdict(int) for _ in nodes]
        """Per cohort: what its leaves use, added up (for fair sharing)."""
        self.above: list[defaultdict[str, int]] = [defaultdict(int) for _ in nodes]
        """Per cohort: what its children use beyond their guarantees, added up: its usage as
        the tree counts it."""

    # -- structure ---------------------------------------------------------------------------

    def _totals(self, own: list[dict[str, int]]) -> list[defaultdict[str, int]]:
        totals: list[defaultdict[str, int]] = [defaultdict(int, q) for q in own]
        for i in self._order:
            parent = self.nodes[i].parent
            if parent >= 0:
                for key, v in totals[i].items():
                    totals[parent][key] += v
        return totals

    def _sums(
        self, own: list[dict[str, int]]
    ) -> tuple[list[dict[str, int]], list[dict[str, int]], list[dict[str, int]]]:
        """Subtree quota, lendable and guaranteed part per node, from own quotas `own`."""
        subtree: list[dict[str, int]] = [dict(q) for q in own]
        lendable: list[dict[str, int]] = [{} for _ in own]
        guaranteed: list[dict[str, int]] = [{} for _ in own]
        for i in self._order:
            node = self.nodes[i]
            for key, total in subtree[i].items():
                if node.parent < 0:
                    lend = 0
                else:
                    limit = node.lending_limit.get(key)
                    lend = total if limit is None else min(total, limit)
                lendable[i][key] = lend
                guaranteed[i][key] = total - lend
                if node.parent >= 0 and lend:
                    subtree[node.parent][key] = subtree[node.parent].get(key, 0) + lend
        return subtree, lendable, guaranteed

    def _recompute(self) -> None:
        self.subtree, self.lendable, self.guaranteed = self._sums(self.own_quota)

    def set_quota(self, shares: Mapping[str, float]) -> None:
        """Shrink every node's own quota of each key in `shares` to that share of its nominal
        (rounded down), and recompute the tree; usage beyond a guarantee is counted anew."""
        for i, nominal in enumerate(self.own_nominal):
            for key, share in shares.items():
                if key in nominal:
                    self.own_quota[i][key] = math.floor(nominal[key] * share + 1e-9)
        self._recompute()
        for above in self.above:
            above.clear()
        for pid in self.tenancy.programs:
            for key, used in self.leaf_usage[pid].items():
                if used:
                    self._propagate(pid, key, 0, used, count_total=False)

    # -- usage -------------------------------------------------------------------------------

    def charge(self, program: str, key: str, gpus: int) -> None:
        """`program` holds `gpus` more GPUs of `key` (negative: fewer); its `leaf_usage` has
        not changed yet."""
        usage = self.leaf_usage[program]
        old = usage[key]
        new = usage[key] = old + gpus
        path = self.paths[program]
        if len(path) == 2:  # the common case, right under its root: one step up
            program_node, root = path
            self.total[root][key] += gpus
            g = self.guaranteed[program_node].get(key, 0)
            delta = gpus if not g else max(0, new - g) - max(0, old - g)
            if delta:
                self.above[root][key] += delta
        elif len(path) > 2:
            self._propagate(program, key, old, new, count_total=True)

    def _propagate(self, program: str, key: str, old: int, new: int, *, count_total: bool) -> None:
        nodes = self.nodes
        path = self.paths[program]
        g = self.guaranteed[path[0]].get(key, 0)
        delta = max(0, new - g) - max(0, old - g)
        gpus = new - old
        for c in path[1:]:
            if count_total:
                self.total[c][key] += gpus
            if delta:
                above = self.above[c]
                was = above[key]
                now = was + delta
                above[key] = now
                if nodes[c].parent >= 0:
                    gc = self.guaranteed[c].get(key, 0)
                    delta = max(0, now - gc) - max(0, was - gc)
                else:
                    delta = 0
            elif not count_total:
                break

    def available(self, program: str, key: str) -> int | float:
        """GPUs of `key` a job of `program` may take now (see the module). On the scheduler's
        hot path: one call per pool a job is tried on."""
        flat = self._flat.get(program)
        if flat is not None:  # right under its root, with no borrowing limit
            root, i = flat
            avail: int | float = self.subtree[root].get(key, 0) - self.above[root].get(key, 0)
            used = self.leaf_usage[program].get(key, 0)
            g = self.guaranteed[i].get(key, 0)
            return (g - used if g > used else 0) + (avail if avail > 0 else 0)
        path = self.paths[program]
        root = path[-1]
        if root == path[0]:  # a program in no cohort
            return self.subtree[root].get(key, 0) - self.leaf_usage[program].get(key, 0)
        avail = self.subtree[root].get(key, 0) - self.above[root].get(key, 0)
        nodes = self.nodes
        guaranteed = self.guaranteed
        above = self.above
        for i in self._down[program]:
            node = nodes[i]
            if node.is_program:
                used = self.leaf_usage[node.name].get(key, 0)
            else:
                used = above[i].get(key, 0)
            g = guaranteed[i].get(key, 0)
            from_parent = avail if avail > 0 else 0
            limit = node.limit(key)
            if limit is not None:
                beyond = used - g if used > g else 0
                from_parent = min(from_parent, self.lendable[i].get(key, 0) - beyond + limit)
            avail = (g - used if g > used else 0) + from_parent
        return avail

    def ceiling(self, program: str, key: str) -> int | float:
        """The most GPUs of `key` the program could hold with the whole tree idle and every
        GPU in service."""
        subtree, lendable, guaranteed = self._nominal
        path = self.paths[program]
        avail: int | float = subtree[path[-1]].get(key, 0)
        for i in reversed(path[:-1]):
            # With the tree idle, the parent's idle quota counts all this node lends.
            from_parent = avail
            limit = self.nodes[i].limit(key)
            if limit is not None:
                from_parent = min(from_parent, lendable[i].get(key, 0) + limit)
            avail = guaranteed[i].get(key, 0) + from_parent
        return avail

    def borrows(self, program: str, key: str) -> bool:
        """Whether the program holds more of `key` than its own quota."""
        i = self.index[program]
        return self.leaf_usage[program].get(key, 0) > self.own_quota[i].get(key, 0)

    def may_borrow(self, program: str, key: str) -> bool:
        """Whether the program could ever hold more of `key` than its own quota."""
        return self.ceiling(program, key) > self.own_nominal[self.index[program]].get(key, 0)

    def root(self, program: str) -> int:
        """The root node of the program's tree (the program itself when in no cohort)."""
        return self.paths[program][-1]

    @property
    def roots(self) -> list[int]:
        return [i for i, n in enumerate(self.nodes) if n.parent < 0]

    def ancestors(self, program: str) -> Iterable[str]:
        """The cohorts above `program`, nearest first."""
        return (self.nodes[i].name for i in self.paths[program][1:])

    def subtree_quota(self, cohort: str, key: str) -> int:
        """The quota of `key` of the subtree under `cohort` (its own and what its children
        lend it), as admission counts it now."""
        return self.subtree[self.cohorts[cohort]].get(key, 0)


def _cohort_quota(tenancy: Tenancy, node: _Node) -> Mapping[str, int]:
    c = tenancy.cohorts.get(node.name)
    return c.quota if c is not None else {}
