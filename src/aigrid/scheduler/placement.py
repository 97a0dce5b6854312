"""Where a job may go and where it should go: filters, then one finalizer.

Filters are static (owner, GPU model, zone: computed once per queue key and remembered) and
dynamic (quota, budget, free capacity, site power: checked against the current state, in that
order). Among the pools that pass every filter the finalizer prefers, in order: a pool the
program need not borrow for; full board power; the GPU model on which the job's class runs
fastest, where the scenario gives a throughput table (`GpuModel.relative_speed`, Gavel's idea);
the lower price; the GPU model with the larger share of its GPUs free (the less scarce); the
best fit (the chosen slot leaves the fewest GPUs idle); the pool listed first.

A job up to one node's size goes on one node (the free slot closest to its size); a larger gang
takes whole nodes. A job that asks a share of a GPU, or CPU or memory of a pool that tracks
them, has its node (and GPU) found node by node (`aigrid.scheduler.node_fit`); a gang's CPU and
memory are asked of each of its whole nodes, which have all of theirs free.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from aigrid.energy import deepest_cap_tenths, fraction_of, throughput
from aigrid.model import Job, JobClass, Placement, Zone
from aigrid.scheduler.capacity import PoolCapacity
from aigrid.scheduler.draws import keyed_index, keyed_unit
from aigrid.scheduler.grants import GrantPick, grant_token, pick_grant
from aigrid.scheduler.node_fit import NodeAsk, Spot, find_spot
from aigrid.scheduler.policy import FRAG_AWARE, PLACEMENT_STRATEGIES, RANDOM, SPREAD
from aigrid.scheduler.queues import PoolNeed, QueueKey, WakeToken
from aigrid.scheduler.reasons import Reason, ReasonCode
from aigrid.scheduler.state import ClusterState, Reservation


@dataclass(frozen=True, slots=True)
class Eligibility:
    """The pools a queue's jobs may ever use, or why there are none that could hold them."""

    pools: tuple[int, ...]
    never: Reason | None


def eligibility(state: ClusterState, key: QueueKey) -> Eligibility:
    cache = state.eligibility_cache
    hit = cache.get(key)
    if hit is None:
        hit = cache[key] = _eligibility(state, key)
    return hit


def _eligibility(state: ClusterState, key: QueueKey) -> Eligibility:
    fleet = state.fleet
    program = state.tenancy.programs.get(key.program)
    if program is None:
        return Eligibility(
            (), Reason(ReasonCode.NO_ELIGIBLE_POOL, f"unknown program {key.program}")
        )
    owners = set(program.owners)
    pools: list[int] = []
    for i, pool in enumerate(fleet.pools):
        if pool.owner not in owners:
            continue
        if key.gpu_models and pool.gpu_model not in key.gpu_models:
            continue
        if key.sovereign and fleet.sites[pool.site].zone is not Zone.SOVEREIGN:
            continue
        if quota_ceiling(state, key.program, state.pool_key[i]) <= 0:
            continue
        pools.append(i)
    if not pools:
        detail = "sovereign data needs a sovereign-zone pool" if key.sovereign else ""
        return Eligibility((), Reason(ReasonCode.NO_ELIGIBLE_POOL, detail))
    if key.account and (key.program, key.account) not in state.grants_of:
        detail = f"{key.account} has no grant of {key.program}"
        return Eligibility((), Reason(ReasonCode.GRANT, detail))
    fitting = []
    for i in pools:
        pool = fleet.pools[i]
        alloc = allocation_gpus(key.gpus, pool.gpus_per_node)
        if (
            alloc <= pool.gpus
            and alloc <= quota_ceiling(state, key.program, state.pool_key[i])
            and (not pool.cpu_milli or key.cpu_milli <= pool.cpu_milli)
            and (not pool.memory_mib or key.memory_mib <= pool.memory_mib)
        ):
            fitting.append(i)
    if not fitting:
        return Eligibility((), Reason(ReasonCode.TOO_LARGE, _size(key)))
    return Eligibility(tuple(fitting), None)


def _size(key: QueueKey) -> str:
    """What a queue's jobs ask, in words: `8 GPUs`, `250 milli-GPUs of one GPU; 9000
    milli-cores and 2048 MiB of a node`."""
    if key.gpu_share_milli:
        size = f"{key.gpu_share_milli} milli-GPUs of one GPU"
    else:
        size = f"{key.gpus} GPUs"
    node = [f"{key.cpu_milli} milli-cores"] if key.cpu_milli else []
    node += [f"{key.memory_mib} MiB"] if key.memory_mib else []
    return f"{size}; {' and '.join(node)} of a node" if node else size


def quota_ceiling(state: ClusterState, program_id: str, key: str) -> int | float:
    """The most GPUs of quota `key` the program could ever hold: its nominal quota, and what
    it could borrow in its quota tree with the tree idle."""
    return state.tree.ceiling(program_id, key)


def allocation_gpus(gpus: int, gpus_per_node: int) -> int:
    """GPUs a job holds on a pool: its own count on one node, or whole nodes for a gang."""
    if gpus <= gpus_per_node:
        return gpus
    return -(-gpus // gpus_per_node) * gpus_per_node


@dataclass(slots=True, init=False)
class Refusal:
    """Why no pool took a job now: the furthest reason, and every token that could change it."""

    reason: Reason
    tokens: list[WakeToken]
    needs: list[PoolNeed]
    capacity_pools: list[int]
    """Pools where the job passed every check but free capacity: where a reservation helps."""
    reclaim: list[tuple[str, int]]
    """(quota key, GPUs) where the job is within its program's quota but the tree has lent
    that quota out: where preemption of borrowers would make room."""
    power_needs: dict[int, float]
    """Site -> the MW of headroom the job needs there (where the power cap stopped it)."""
    quota_needs: dict[tuple[str, str], int]
    """(program, quota key) -> the GPUs of that key the program's available quota must
    reach (where quota stopped the job)."""

    def __init__(
        self,
        reason: Reason,
        tokens: list[WakeToken],
        needs: list[PoolNeed],
        capacity_pools: list[int],
        reclaim: list[tuple[str, int]],
        power_needs: dict[int, float],
        quota_needs: dict[tuple[str, str], int],
    ) -> None:
        # Written out, as `Placement`'s is: one is built for every job that waits.
        self.reason = reason
        self.tokens = tokens
        self.needs = needs
        self.capacity_pools = capacity_pools
        self.reclaim = reclaim
        self.power_needs = power_needs
        self.quota_needs = quota_needs


@dataclass(frozen=True, slots=True, init=False)
class Choice:
    pool: int
    slot: int
    """Free count of the node to use (single node), or 0 for whole nodes."""
    nodes: int
    alloc: int
    borrowed: bool
    price: float
    hold: float
    avoid: frozenset[int] = frozenset()
    """Nodes reserved for another job, to keep off."""
    cap_tenths: int = 0
    """Tenths of full board power the job's GPUs are held below (power capping)."""
    grant: GrantPick | None = None
    """The org's grant that pays, and what to hold on it (jobs with an account)."""
    spot: Spot | None = None
    """The node (and shared GPU) of a job placed node by node; None when placed by counts."""
    cpu_milli: int = 0
    """CPU and memory taken on each node (what the pool tracks of the job's ask)."""
    memory_mib: int = 0

    def __init__(
        self,
        pool: int,
        slot: int,
        nodes: int,
        alloc: int,
        borrowed: bool,
        price: float,
        hold: float,
        avoid: frozenset[int] = frozenset(),
        cap_tenths: int = 0,
        grant: GrantPick | None = None,
        spot: Spot | None = None,
        cpu_milli: int = 0,
        memory_mib: int = 0,
    ) -> None:
        # Written out, as `Placement`'s is: one is built for every job started.
        object.__setattr__(self, "pool", pool)
        object.__setattr__(self, "slot", slot)
        object.__setattr__(self, "nodes", nodes)
        object.__setattr__(self, "alloc", alloc)
        object.__setattr__(self, "borrowed", borrowed)
        object.__setattr__(self, "price", price)
        object.__setattr__(self, "hold", hold)
        object.__setattr__(self, "avoid", avoid)
        object.__setattr__(self, "cap_tenths", cap_tenths)
        object.__setattr__(self, "grant", grant)
        object.__setattr__(self, "spot", spot)
        object.__setattr__(self, "cpu_milli", cpu_milli)
        object.__setattr__(self, "memory_mib", memory_mib)


def choose(
    state: ClusterState,
    job: Job,
    pools: tuple[int, ...],
    budget_left: float,
    now: float = 0.0,
    reservations: Mapping[int, Reservation] | None = None,
    min_power_fraction: float | None = None,
    light_sites: frozenset[int] | None = None,
    grant_held: Mapping[str, float] | None = None,
    strategy: str = "best-fit",
    seed: int = 0,
) -> Choice | Refusal:
    """Run the dynamic filters over `pools` and pick the best one, or say why none fits.

    `reservations` (by pool) are backfill's: on a pool reserved for another job, this job may use
    the reserved nodes only if its walltime limit ends before the reservation starts.

    With `min_power_fraction`, a job that would take its site over its grid cap may instead run
    held below full board power, in tenths, down to that fraction (power capping); a pool where
    it runs at full power is preferred.

    With `light_sites` (deferral), a batch job starts only at a site whose tariff is in its
    light-load hours now.

    A job with an account needs a grant of its org that covers it (`aigrid.scheduler.grants`);
    `grant_held` is credit already promised in this cycle, by grant id.

    `strategy` places a job of one node (`STRATEGIES`); `seed` keys `random`'s draws.
    """
    if reservations is None:
        reservations = state.reservations
    fleet = state.fleet
    tree = state.tree
    pool_key = state.pool_key
    usage = state.usage[job.program]
    quota = state.quota[job.program]
    prices = state.prices
    best: Choice | None = None
    best_first: tuple[int, int, float, float] = (0, 0, 0.0, 0.0)
    best_fit = 0.0
    best_leftover = 0
    best_model = ""
    job_class = str(job.job_class)  # the value, without the enum's Python-level property
    share = job.gpu_share_milli
    asks_resources = bool(job.cpu_milli or job.memory_mib)
    worst = ReasonCode.NO_ELIGIBLE_POOL
    tokens: list[WakeToken] = []
    needs: list[PoolNeed] = []
    capacity_pools: list[int] = []
    reclaim: list[tuple[str, int]] = []
    power_needs: dict[int, float] = {}
    quota_needs: dict[tuple[str, str], int] = {}
    for i in pools:
        pool = fleet.pools[i]
        model = pool.gpu_model
        gpn = pool.gpus_per_node
        gpus = job.gpus
        single = gpus <= gpn
        alloc = gpus if single else -(-gpus // gpn) * gpn
        # quota, over the program's path in the quota tree. A program within its own quota
        # may still wait while the tree has lent that quota out (reclaiming it takes a
        # preemption), unless a lending limit kept it guaranteed.
        key = pool_key[i]
        within = usage.get(key, 0) + alloc <= quota.get(key, 0)
        if tree.available(job.program, key) < alloc:
            if within:
                worst = max(worst, ReasonCode.QUOTA)
                reclaim.append((key, alloc))
            elif tree.may_borrow(job.program, key):
                worst = max(worst, ReasonCode.BORROWING_LIMIT)
            else:
                worst = max(worst, ReasonCode.QUOTA)
            tokens.append(("quota", tree.root(job.program)))
            _need(quota_needs, (job.program, key), alloc)
            continue
        borrowed = not within
        # budget (a share pays for its share of the GPU)
        price = prices.krw_per_gpu_h(i, job.program, job.tenant_class)
        paid_gpus = job.gpu_amount if share else alloc
        paid = _payment(state, job, i, paid_gpus, price, 1.0, budget_left, now, grant_held)
        if isinstance(paid, ReasonCode):
            worst = max(worst, paid)
            tokens.append(_payment_token(job, paid))
            continue
        hold, grant = paid
        # capacity
        cap = state.capacity[i]
        draw = (seed, job.id, i) if strategy == RANDOM else NO_DRAW
        cpu = memory = 0
        if asks_resources and cap.tracks_resources:
            cpu, memory = cap.ask(job.cpu_milli, job.memory_mib)
        ask = NodeAsk(gpus, share, cpu, memory) if single and (share or cpu or memory) else None
        spot: Spot | None = None
        if ask is not None:
            found = _spot(cap, ask, strategy, state.size_mix, draw=draw)
            if isinstance(found, ReasonCode):
                worst = max(worst, found)
                wait_gpus = gpus if found is ReasonCode.NO_CAPACITY and not share else 0
                needs.append(PoolNeed(i, wait_gpus, 0))
                capacity_pools.append(i)
                continue
            spot = found
            slot = spot.free
            nodes = 1
        elif single:
            slot = _slot(cap, gpus, strategy, state.size_mix, draw=draw)
            if not slot:
                worst = max(worst, ReasonCode.NO_CAPACITY)
                needs.append(PoolNeed(i, gpus, 0))
                capacity_pools.append(i)
                continue
            nodes = 1
        else:
            nodes = alloc // gpn
            if cap.free_nodes < nodes:
                worst = max(worst, ReasonCode.NO_CAPACITY)
                needs.append(PoolNeed(i, 0, nodes))
                capacity_pools.append(i)
                continue
            if not cap.gang_fits(nodes):
                # Enough whole nodes, but no NVLink domain holds the gang: it waits for one.
                worst = max(worst, ReasonCode.NVLINK_DOMAIN)
                needs.append(PoolNeed(i, 0, nodes))
                capacity_pools.append(i)
                continue
            slot = 0
        # backfill: keep off nodes reserved for another job unless done before they are needed
        avoid: frozenset[int] = frozenset()
        held = reservations.get(i)
        if held is not None and held.job_id != job.id and now + job.walltime_s > held.start_s:
            avoid = held.nodes
            if ask is not None:
                found = _spot(cap, ask, strategy, state.size_mix, avoid, draw)
                ok = not isinstance(found, ReasonCode)
                if not isinstance(found, ReasonCode):
                    spot = found
                    slot = spot.free
            elif single:
                slot = _slot(cap, gpus, strategy, state.size_mix, avoid, draw)
                ok = slot != 0
            else:
                ok = cap.free_nodes_outside(avoid) >= nodes and cap.gang_fits(nodes, avoid)
            if not ok:
                worst = max(worst, ReasonCode.RESERVED)
                tokens.append(("reservation", i))
                if ask is not None:
                    needs.append(PoolNeed(i, 0 if share else gpus, 0))
                else:
                    needs.append(PoolNeed(i, gpus, 0) if single else PoolNeed(i, 0, nodes))
                continue
        if spot is not None:
            leftover = spot.free - (share or gpus)
            fit = spot.fit
        else:
            leftover = slot - gpus if single else cap.free_nodes - nodes
            fit = (
                _fit_score(cap, slot, gpus, strategy, state.size_mix, avoid, draw)
                if single
                else float(leftover)
            )
        if strategy == SPREAD:
            fit = -fit
        # power, at full board power or (power capping) held below it; a share is never held
        # below full power (the GPU it shares runs for others too)
        cap_tenths = 0
        if not state.power_fits(i, alloc):
            deepest = 0
            if min_power_fraction is not None and not share:
                board = state.power.pool_board_w[i]
                deepest = deepest_cap_tenths(board[0], board[1], min_power_fraction)
            cap_tenths = next(
                (k for k in range(1, deepest + 1) if state.power_fits(i, alloc, k)), 0
            )
            if not cap_tenths:
                worst = max(worst, ReasonCode.POWER_CAP)
                site = state.pool_site[i]
                tokens.append(("site", site))
                # The least headroom at the site that would let it start here.
                need_mw = state.power.added_mw(i, alloc)
                if deepest:
                    need_mw -= state.power.cap_saving_mw(i, alloc * deepest)
                power_needs[site] = min(power_needs.get(site, need_mw), need_mw)
                continue
            # Held below full power, it runs slower and may keep its GPUs for walltime / speed:
            # what it holds must cover that.
            stretch = 1.0 / throughput(fraction_of(cap_tenths))
            paid = _payment(state, job, i, paid_gpus, price, stretch, budget_left, now, grant_held)
            if isinstance(paid, ReasonCode):
                worst = max(worst, paid)
                tokens.append(_payment_token(job, paid))
                continue
            hold, grant = paid
        # deferral of batch work to light-load hours
        if (
            light_sites is not None
            and job.job_class is JobClass.BATCH
            and state.pool_site[i] not in light_sites
        ):
            worst = max(worst, ReasonCode.DEFERRED)
            tokens.append(("light", state.pool_site[i]))
            continue
        # The finalizer's order (the module's docstring), in two parts: the scarcity of the
        # GPU model is looked up only between pools that tie on everything before it.
        speed = fleet.gpu_models[model].speed_for(job_class)
        first = (1 if borrowed else 0, cap_tenths, -speed, price)
        if best is not None:
            if first > best_first:
                continue
            if first == best_first:
                scarce = best_scarce = 0.0
                if model != best_model:
                    scarce = -_free_share(state, pools, model)
                    best_scarce = -_free_share(state, pools, best_model)
                if (scarce, fit, leftover, i) >= (best_scarce, best_fit, best_leftover, best.pool):
                    continue
        best_first = first
        best_fit = fit
        best_leftover = leftover
        best_model = model
        best = Choice(
            i,
            slot,
            nodes,
            alloc,
            borrowed,
            price,
            hold,
            avoid,
            cap_tenths,
            grant,
            spot,
            cpu,
            memory,
        )
    if best is not None:
        return best
    return Refusal(Reason(worst), tokens, needs, capacity_pools, reclaim, power_needs, quota_needs)


STRATEGIES: Final = PLACEMENT_STRATEGIES
"""Where a job of one node goes within a pool: `best-fit` (the node with the fewest free GPUs
that suffice; with whole GPUs `pack` is the same rule), `spread` (the node with the most free
GPUs), `frag-aware` (the node whose loss of usable GPUs, weighed by the sizes of the jobs now
running, grows least: the idea of FGD, USENIX ATC'23, for whole GPUs) or `random` (a node drawn
uniformly among those that fit, by a keyed draw: see `_random_slot`)."""

DrawKey = tuple[int, int, int]
"""(seed, job id, pool): what a `random` draw is a function of."""

NO_DRAW: Final[DrawKey] = (0, 0, 0)
"""The key passed where the strategy draws nothing (built once, not per pool)."""


def _slot(
    cap: PoolCapacity,
    gpus: int,
    strategy: str,
    mix: Mapping[int, int],
    avoid: frozenset[int] = frozenset(),
    draw: DrawKey = NO_DRAW,
) -> int:
    """The free count of the node the job takes under `strategy`, or 0 if none fits."""
    if strategy == SPREAD:
        return cap.worst_fit_slot(gpus, avoid)
    if strategy == RANDOM:
        return _random_slot(cap, gpus, avoid, draw)[0]
    if strategy == FRAG_AWARE:
        slots = cap.fitting_slots(gpus, avoid)
        if not slots:
            return 0
        return min(slots, key=lambda k: (_frag_growth(k, gpus, cap.gpus_per_node, mix), k))
    return cap.best_fit_slot(gpus, avoid)


def _spot(
    cap: PoolCapacity,
    ask: NodeAsk,
    strategy: str,
    mix: Mapping[int, int],
    avoid: frozenset[int] = frozenset(),
    draw: DrawKey = NO_DRAW,
) -> Spot | ReasonCode:
    """`find_spot` with frag-aware's growth of unusable GPUs for this job's size, and
    random's keyed draw."""
    gpus, per_node = ask.gpus, cap.gpus_per_node

    def growth(free: int) -> float:
        return _frag_growth(free, gpus, per_node, mix)

    return find_spot(cap, ask, strategy, growth, avoid, draw)


def _fit_score(
    cap: PoolCapacity,
    slot: int,
    gpus: int,
    strategy: str,
    mix: Mapping[int, int],
    avoid: frozenset[int] = frozenset(),
    draw: DrawKey = NO_DRAW,
) -> float:
    """How good a single-node slot is across pools (lower is better): GPUs left idle on the
    node, for `frag-aware` the growth of unusable GPUs, for `random` a keyed race (below)."""
    if strategy == FRAG_AWARE:
        return _frag_growth(slot, gpus, cap.gpus_per_node, mix)
    if strategy == RANDOM:
        # An exponential race: each pool draws Exp(rate = its fitting nodes) and the least
        # wins, which happens with probability (its fitting nodes) / (all pools' fitting
        # nodes). Among the pools that tie on every criterion before the fit, the job so lands
        # on a node drawn uniformly from all of theirs, not on a pool drawn first.
        fitting = _random_slot(cap, gpus, avoid, draw)[1]
        return -math.log1p(-keyed_unit(*draw, 1)) / fitting
    return float(slot - gpus)


def _random_slot(
    cap: PoolCapacity, gpus: int, avoid: frozenset[int], draw: DrawKey
) -> tuple[int, int]:
    """`random` within a pool: (the free count of the node the job takes, how many nodes fit).

    The node is drawn uniformly among the pool's nodes with at least `gpus` free (and not kept
    for a reservation): a free count k is drawn with the weight of the nodes that have k free,
    and the lowest-index node of that count is taken, as every strategy takes it. Nodes of one
    free count are alike to the job and to what later jobs can use, so this is a uniform draw
    over the nodes up to which of the alike ones gets the job, and costs O(GPUs per node)
    instead of a scan of the nodes. The draw is keyed by (seed, job, pool): the same snapshot
    and job always give the same node, so the scheduler stays a pure function of its snapshot.
    """
    counts = cap.fitting_counts(gpus, avoid)
    fitting = sum(counts)
    if not fitting:
        return 0, 0
    target = keyed_index(fitting, *draw)
    for k, c in enumerate(counts, start=gpus):
        if target < c:
            return k, fitting
        target -= c
    raise AssertionError("a draw below the total falls in some count")


def _frag_growth(free: int, gpus: int, per_node: int, mix: Mapping[int, int]) -> float:
    """How many more of the node's free GPUs a job of the running mix could not use after
    `gpus` of its `free` ones are taken: F(free - gpus) - F(free), where F(f) = f x the share
    of jobs larger than f (a wholly free node serves gangs too, so F(per_node) = 0)."""
    return _unusable(free - gpus, per_node, mix) - _unusable(free, per_node, mix)


def _unusable(f: int, per_node: int, mix: Mapping[int, int]) -> float:
    if f in (0, per_node):
        return 0.0
    total = sum(c for c in mix.values() if c > 0)
    if not total:
        return 0.0
    larger = sum(c for size, c in mix.items() if size > f and c > 0)
    return f * larger / total


def _free_share(state: ClusterState, pools: tuple[int, ...], model: str) -> float:
    """The share of the GPUs of `model` in `pools` that are free: how scarce the model is for
    this job right now. Only the model's own pools are read (`ClusterState.pools_by_model`)."""
    members, total = state.pools_by_model(pools)[model]
    if not total:
        return 0.0
    busy = state.busy_gpus
    used = 0
    for i in members:
        used += busy[i]
    return (total - used) / total


def _payment(
    state: ClusterState,
    job: Job,
    pool: int,
    alloc: float,
    price: float,
    stretch: float,
    budget_left: float,
    now: float,
    grant_held: Mapping[str, float] | None,
) -> tuple[float, GrantPick | None] | ReasonCode:
    """What the job holds of its program's budget (whole KRW, rounded up, as the ledger holds
    it) and of its org's grant, for `alloc` GPUs over its walltime times `stretch`; or the
    reason it cannot pay."""
    hold = float(math.ceil(alloc * job.walltime_s / 3600.0 * stretch * price))
    if hold > budget_left:
        return ReasonCode.BUDGET
    if job.account is None:
        return hold, None
    p = state.fleet.pools[pool]
    zone = state.fleet.sites[p.site].zone
    gpu_s = math.ceil(alloc * job.walltime_s * stretch)
    grant = pick_grant(state, job, p.gpu_model, zone, hold, gpu_s, now, grant_held or {})
    if grant is None:
        return ReasonCode.GRANT
    return hold, grant


def _payment_token(job: Job, code: ReasonCode) -> WakeToken:
    if code is ReasonCode.GRANT:
        assert job.account is not None
        return grant_token(job.program, job.account)
    return ("budget", job.program)


def _need(needs: dict[tuple[str, str], int], where: tuple[str, str], gpus: int) -> None:
    needs[where] = min(needs.get(where, gpus), gpus)


def take(state: ClusterState, job: Job, choice: Choice, now: float = 0.0) -> Placement:
    """Take the chosen GPUs from the pool's capacity and account for them in the state."""
    cap = state.capacity[choice.pool]
    spot = choice.spot
    cpu, memory = choice.cpu_milli, choice.memory_mib
    if spot is not None:
        share = job.gpu_share_milli
        if share:
            cap.take_share(spot.node, spot.gpu, share, cpu, memory)
        else:
            cap.take_node(spot.node, job.gpus, cpu, memory)
        placement = Placement(choice.pool, (spot.node,), (job.gpus,), share, spot.gpu, cpu, memory)
    elif choice.slot:
        node = cap.take_slot(choice.slot, job.gpus, choice.avoid)
        placement = Placement(choice.pool, (node,), (job.gpus,))
    else:
        nodes = cap.take_whole_nodes(choice.nodes, choice.avoid, cpu, memory)
        gpn = cap.gpus_per_node
        placement = Placement(
            choice.pool, tuple(nodes), (gpn,) * len(nodes), cpu_milli=cpu, memory_mib=memory
        )
    until = now + job.walltime_s / throughput(fraction_of(choice.cap_tenths))
    state.take(
        job.program,
        placement,
        job_id=job.id,
        until=until,
        cap_tenths=choice.cap_tenths,
        start=now,
        preemptible=job.preemptible,
        priority=job.priority_class,
    )
    return placement
