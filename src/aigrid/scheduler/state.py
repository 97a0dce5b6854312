"""What the scheduler reads about the world: free capacity, site power, quota use and budgets.

Its owner (the twin's world, or the live control loop) keeps it up to date incrementally through
`allocate` and `release`; the scheduler reads it, and may try an allocation and undo it, but
leaves it as it found it.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

from aigrid.energy import SitePower
from aigrid.ledger.prices import PriceList
from aigrid.model import Fleet, Grant, Placement, PriorityClass, Tenancy
from aigrid.scheduler.capacity import PoolCapacity
from aigrid.scheduler.quota import QuotaTree, quota_keys
from aigrid.scheduler.topology import pool_capacity
from aigrid.scheduler.usage import DecayedUsage

_NEVER: Final = -math.inf
"""`node_until` of a node no job holds."""


@dataclass(frozen=True, slots=True, init=False)
class RunningJob:
    """What preemption needs to know of a running job."""

    job_id: int
    program: str
    pool: int
    gpus: int
    start_s: float
    preemptible: bool
    priority: PriorityClass = PriorityClass.NORMAL

    def __init__(
        self,
        job_id: int,
        program: str,
        pool: int,
        gpus: int,
        start_s: float,
        preemptible: bool,
        priority: PriorityClass = PriorityClass.NORMAL,
    ) -> None:
        # Written out, as `Placement`'s is: one is built for every job started.
        object.__setattr__(self, "job_id", job_id)
        object.__setattr__(self, "program", program)
        object.__setattr__(self, "pool", pool)
        object.__setattr__(self, "gpus", gpus)
        object.__setattr__(self, "start_s", start_s)
        object.__setattr__(self, "preemptible", preemptible)
        object.__setattr__(self, "priority", priority)


@dataclass(frozen=True, slots=True)
class Reservation:
    """Backfill's promise to a waiting job: `nodes` of `pool` are kept for it from `start_s`
    (when, by the walltime limits of what runs there now, they will be free enough). Other jobs
    may use those nodes only if they end before then."""

    job_id: int
    pool: int
    start_s: float
    nodes: frozenset[int]


class ClusterState:
    """`half_life_s`: keep each program's and each cohort's usage history, decayed with this
    half-life, for fair sharing (0: keep none). Owners give the time of every change they make
    (`at`), so that running jobs accrue; the scheduler's own what-ifs, undone at the same
    instant, give none."""

    def __init__(self, fleet: Fleet, tenancy: Tenancy, *, half_life_s: float = 0.0) -> None:
        self.fleet = fleet
        self.tenancy = tenancy
        self.capacity: list[PoolCapacity] = [pool_capacity(p) for p in fleet.pools]
        self.power = power = SitePower.from_fleet(fleet)
        self.site_ids: list[str] = list(power.site_ids)
        self.pool_site = list(power.pool_site)
        self.pool_model = [p.gpu_model for p in fleet.pools]
        self.pool_gpus = [p.gpus for p in fleet.pools]
        self._by_model: dict[tuple[int, ...], dict[str, tuple[list[int], int]]] = {}
        self.site_cap_mw = list(power.cap_mw)
        self.busy_gpus = [0] * len(fleet.pools)
        """Per pool: GPUs that jobs run on, a GPU that shares hold counting once (what the site
        draws power for)."""
        self._shared_gpus = [0] * len(fleet.pools)
        """Per pool: the shared GPUs `busy_gpus` counts (the capacity's count when last seen)."""
        self.cap_tenths = [0] * len(fleet.pools)
        """Per pool: sum over its busy GPUs of the tenths of full board power they are held
        below (power capping)."""
        self._job_cap: dict[int, int] = {}
        self.running: list[list[dict[int, float] | None]] = [[None] * p.nodes for p in fleet.pools]
        """Per pool, per node: job id -> the time by which it ends at the latest, for the jobs
        on it (None when it has none). What backfill needs to know when a reserved job could
        start, and a failure which jobs it stops (`jobs_on`)."""
        self.node_until: list[list[float]] = [[_NEVER] * p.nodes for p in fleet.pools]
        """Per pool, per node: when its last job ends at the latest (-inf when it has none).
        Lists, not arrays: each start and end sets a few of them; backfill, which reads a
        whole pool's at once, reads arrays kept in step with them (`node_arrays`)."""
        self._arrays: list[tuple[NDArray[np.int64], NDArray[np.float64]] | None] = [
            None for _ in fleet.pools
        ]
        """Per pool: copies of its nodes' free GPUs and `node_until` as arrays, brought up to
        date from the nodes the pool's `changed` names; None until backfill first reads them."""
        self.reservations: dict[int, Reservation] = {}
        self.running_jobs: dict[int, RunningJob] = {}
        """Running jobs by id, for preemption (those taken with a `start`)."""
        self.stopping: dict[int, float] = {}
        """Preempted jobs that run on in their grace period: job id -> when they stop. Their
        owner keeps it; the scheduler counts their GPUs as being freed."""
        """Per pool: the backfill reservation held there, if any."""
        self.site_mw = list(power.idle_mw)
        self.usage: dict[str, defaultdict[str, int]] = {
            pid: defaultdict(int) for pid in tenancy.programs
        }
        """GPUs held per program and quota key."""
        self.pool_key = quota_keys(fleet, tenancy)
        """Per pool: the quota key its GPUs count against (`aigrid.scheduler.quota`)."""
        self.tree = tree = QuotaTree(tenancy, self.usage)
        """The quota tree of programs and cohorts, with its quotas and usage."""
        self.quota: dict[str, dict[str, int]] = {
            pid: tree.own_quota[tree.index[pid]] for pid in tenancy.programs
        }
        """Quota per program and key as admission counts it: the nominal quota, shrunk in
        proportion while some of the key's GPUs are out (failed nodes), so that a failure
        takes its share from every program instead of stalling whoever comes last."""
        self.key_gpus: dict[str, int] = defaultdict(int)
        for i, p in enumerate(fleet.pools):
            self.key_gpus[self.pool_key[i]] += p.gpus
        self.key_out: dict[str, int] = defaultdict(int)
        """GPUs of each quota key out of service (on failed nodes)."""
        self.half_life_s = half_life_s
        self.history = DecayedUsage(half_life_s) if half_life_s > 0 else None
        """Decayed GPU-seconds per (program, GPU model) and per ("cohort", cohort, GPU model);
        None when no history is kept."""
        self.eligibility_cache: dict[Any, Any] = {}
        """Static eligibility per queue key, filled by the placement filters (a pure memo)."""
        self.budget_available: dict[str, float] = {
            pid: p.budget_krw for pid, p in tenancy.programs.items()
        }
        self.size_mix: defaultdict[int, int] = defaultdict(int)
        """Running jobs by the GPUs they hold: the job-size mix fragmentation-aware placement
        weighs a choice by."""
        self.prices = PriceList(fleet, tenancy.programs)
        """Price per GPU-hour by pool, program and tenant class."""
        self.grants_of: dict[tuple[str, str], tuple[Grant, ...]] = {}
        """(program, org) -> its grants, the soonest to expire first (so credit that would
        lapse is used before credit that would keep)."""
        for g in sorted(tenancy.grants, key=lambda g: (g.valid_to_h, g.valid_from_h, g.id)):
            self.grants_of[(g.program, g.org)] = (*self.grants_of.get((g.program, g.org), ()), g)
        self.grant_available: dict[str, float] = {g.id: g.amount for g in tenancy.grants}
        """Grant id -> credit a new hold may take, in the grant's unit (KRW or GPU-seconds);
        kept by whoever owns the grant ledger, as `budget_available` is."""

    # -- reading -----------------------------------------------------------------------------

    def power_fits(self, pool: int, gpus: int, cap_tenths: int = 0) -> bool:
        """Whether the pool's site stays within its grid connection with `gpus` more busy, each
        held `cap_tenths` tenths below full board power."""
        site = self.pool_site[pool]
        added = self.power.added_mw(pool, gpus)
        if cap_tenths:
            added -= self.power.cap_saving_mw(pool, gpus * cap_tenths)
        return self.site_mw[site] + added <= self.site_cap_mw[site]

    def decayed_gpus(self, scope: str, model: str, now: float, *, cohort: bool = False) -> float:
        """The decayed mean number of GPUs of `model` a program (or, with `cohort`, a cohort)
        held up to `now` (0 when no history is kept; see `aigrid.scheduler.usage`)."""
        if self.history is None:
            return 0.0
        key = ("cohort", scope, model) if cohort else (scope, model)
        return self.history.mean_gpus(key, now)

    def quota_available(self, program: str, key: str) -> int | float:
        """GPUs of quota `key` a job of `program` may take now, borrowing included."""
        return self.tree.available(program, key)

    def node_arrays(self, pool: int) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
        """The pool's free GPUs per node and `node_until`, as arrays (read-only: copies kept in
        step with the lists). Brought up to date from the nodes changed since the last call:
        backfill reads a pool whole whenever a job waits for capacity there, and copying
        thousands of nodes each time cost more than all the rest of its work."""
        cap = self.capacity[pool]
        changed = cap.drain_changed()
        arrays = self._arrays[pool]
        if arrays is None or changed is None or 4 * len(changed) > cap.nodes:
            arrays = (
                np.array(cap.free, dtype=np.int64),
                np.array(self.node_until[pool], dtype=np.float64),
            )
            self._arrays[pool] = arrays
        elif changed:
            free, until = arrays
            nodes = sorted(set(changed))
            free[nodes] = [cap.free[n] for n in nodes]
            node_until = self.node_until[pool]
            until[nodes] = [node_until[n] for n in nodes]
        return arrays

    def jobs_on(self, pool: int, node: int) -> list[int]:
        """The ids of the jobs on a node, in order."""
        jobs = self.running[pool][node]
        return sorted(jobs) if jobs is not None else []

    # -- changing ----------------------------------------------------------------------------

    def set_out(self, key: str, gpus: int) -> None:
        """`gpus` more GPUs of quota `key` went out of service (negative: came back). Quotas
        of the key, throughout the tree, shrink (or grow back) in proportion to the share still
        in service, rounded down."""
        self.key_out[key] += gpus
        self.tree.set_quota({key: 1.0 - self.key_out[key] / self.key_gpus[key]})

    def _recompute_site(self, site: int) -> None:
        # From integer counts, so that no rounding drift builds up over a long run.
        mw = self.power.site_mw(site, self.busy_gpus)
        for pool in self.power.site_pools[site]:
            if self.cap_tenths[pool]:
                mw -= self.power.cap_saving_mw(pool, self.cap_tenths[pool])
        self.site_mw[site] = mw

    def charge_quota(self, program: str, key: str, gpus: int, at: float | None = None) -> None:
        """`program` holds `gpus` more GPUs of quota `key` (negative: fewer)."""
        self.tree.charge(program, key, gpus)
        if at is not None:
            self._note_use(program, key, gpus, at)

    def _note_use(self, program: str, key: str, gpus: int, at: float) -> None:
        history = self.history
        if history is not None:
            history.change((program, key), gpus, at)
            for cohort in self.tree.ancestors(program):
                history.change(("cohort", cohort, key), gpus, at)

    def note_taken(self, program: str, placement: Placement, at: float) -> None:
        """Enter in the usage history, at `at`, a placement already taken without a time (by
        a cycle whose admissions stay taken): what `allocate(..., at=at)` adds to a `take`."""
        self._note_use(program, self.pool_key[placement.pool], placement.gpus, at)

    def add_past_use(self, program: str, key: str, gpus: int, start: float, end: float) -> None:
        """Count use the history did not see happen: `gpus` of quota `key` held by `program` from
        `start` to `end` (the live loop's jobs of before a restart)."""
        history = self.history
        if history is None:
            return
        history.add((program, key), gpus, start, end)
        for cohort in self.tree.ancestors(program):
            history.add(("cohort", cohort, key), gpus, start, end)

    def allocate(
        self,
        program: str,
        placement: Placement,
        *,
        job_id: int | None = None,
        until: float = math.inf,
        cap_tenths: int = 0,
        start: float | None = None,
        preemptible: bool = False,
        at: float | None = None,
        priority: PriorityClass = PriorityClass.NORMAL,
    ) -> None:
        """Take the placement's GPUs, quota and power. The nodes must be free as named.

        `until` is when the job ends at the latest (its start plus its walltime limit); backfill
        uses it to tell when a reserved job could start. A job with no id or no limit is taken
        to hold its GPUs for ever. `at`: when, for the usage history (see the class).
        """
        cap = self.capacity[placement.pool]
        if placement.gpu_share_milli or placement.cpu_milli or placement.memory_mib:
            cap.take_placement(placement)
        else:
            nodes, per_node = placement.nodes, placement.gpus_per_node
            for k in range(len(nodes)):
                cap.take_from(nodes[k], per_node[k])
        self.take(
            program,
            placement,
            job_id=job_id,
            until=until,
            cap_tenths=cap_tenths,
            start=start,
            preemptible=preemptible,
            at=at,
            priority=priority,
        )

    def take(
        self,
        program: str,
        placement: Placement,
        *,
        job_id: int | None = None,
        until: float = math.inf,
        cap_tenths: int = 0,
        start: float | None = None,
        preemptible: bool = False,
        at: float | None = None,
        priority: PriorityClass = PriorityClass.NORMAL,
    ) -> None:
        """Account for GPUs already taken from `capacity` by the placement search.

        `cap_tenths`: the job's GPUs are held that many tenths below full board power (power
        capping; needs a `job_id`, so that its release gives the saving back). `start` and
        `preemptible` (with a `job_id`) make the job a candidate for preemption, of its
        `priority` class."""
        self.size_mix[placement.gpus] += 1
        if job_id is not None:
            running = self.running[placement.pool]
            node_until = self.node_until[placement.pool]
            nodes = placement.nodes
            self.capacity[placement.pool].note_changed(nodes)
            for node in nodes:
                jobs = running[node]
                if jobs is None:
                    running[node] = {job_id: until}
                    node_until[node] = until
                else:
                    jobs[job_id] = until
                    node_until[node] = max(node_until[node], until)
            if cap_tenths:
                self._job_cap[job_id] = cap_tenths
                self.cap_tenths[placement.pool] += placement.gpus * cap_tenths
            if start is not None:
                self.running_jobs[job_id] = RunningJob(
                    job_id, program, placement.pool, placement.gpus, start, preemptible, priority
                )
        self._account(program, placement, +1, at)

    def release(
        self,
        program: str,
        placement: Placement,
        *,
        job_id: int | None = None,
        at: float | None = None,
    ) -> None:
        cap = self.capacity[placement.pool]
        nodes, per_node = placement.nodes, placement.gpus_per_node
        if placement.gpu_share_milli or placement.cpu_milli or placement.memory_mib:
            cap.give_back_placement(placement)
        else:
            for k in range(len(nodes)):
                cap.give_back(nodes[k], per_node[k])
        self.size_mix[placement.gpus] -= 1
        if job_id is not None:
            running = self.running[placement.pool]
            node_until = self.node_until[placement.pool]
            cap.note_changed(nodes)
            for node in nodes:
                jobs = running[node]
                assert jobs is not None, f"node {node} of pool {placement.pool} runs no job"
                del jobs[job_id]
                if jobs:
                    latest = _NEVER
                    for end in jobs.values():  # not max(jobs.values()), a call out of C
                        latest = max(latest, end)
                    node_until[node] = latest
                else:
                    running[node] = None
                    node_until[node] = _NEVER
            self.running_jobs.pop(job_id, None)
            # Both are empty unless jobs are in their grace or power-capped: skip the look-ups.
            if self.stopping:
                self.stopping.pop(job_id, None)
            if self._job_cap:
                cap_tenths = self._job_cap.pop(job_id, 0)
                if cap_tenths:
                    self.cap_tenths[placement.pool] -= placement.gpus * cap_tenths
        self._account(program, placement, -1, at)

    def reservation_of(self, job_id: int) -> Reservation | None:
        for r in self.reservations.values():
            if r.job_id == job_id:
                return r
        return None

    def set_reservation(self, reservation: Reservation) -> None:
        """Give `reservation.pool` to the reservation, dropping any other its job held."""
        old = self.reservation_of(reservation.job_id)
        if old is not None:
            del self.reservations[old.pool]
        self.reservations[reservation.pool] = reservation

    def drop_reservation(self, job_id: int) -> Reservation | None:
        """Drop the reservation `job_id` holds, if any, and return it."""
        old = self.reservation_of(job_id)
        if old is not None:
            del self.reservations[old.pool]
        return old

    def pools_by_model(self, pools: tuple[int, ...]) -> dict[str, tuple[list[int], int]]:
        """The pools of `pools` by GPU model, each model with the GPUs of its pools in all.
        Fixed for a fleet, so worked out once per tuple of pools (a queue's eligible pools)."""
        groups = self._by_model.get(pools)
        if groups is None:
            groups = {}
            for i in pools:
                members, total = groups.get(self.pool_model[i], ([], 0))
                members.append(i)
                groups[self.pool_model[i]] = (members, total + self.pool_gpus[i])
            self._by_model[pools] = groups
        return groups

    def _account(self, program: str, placement: Placement, sign: int, at: float | None) -> None:
        gpus = placement.gpus
        pool = placement.pool
        if placement.gpu_share_milli:
            # A share makes its GPU busy only if it was the first on it (or idle if the last):
            # the capacity counts the GPUs shares hold, already changed by this placement.
            shared = self.capacity[pool].shared_gpus
            self.busy_gpus[pool] += shared - self._shared_gpus[pool]
            self._shared_gpus[pool] = shared
        else:
            self.busy_gpus[pool] += sign * gpus
        self._recompute_site(self.pool_site[pool])
        self.charge_quota(program, self.pool_key[pool], sign * gpus, at)
