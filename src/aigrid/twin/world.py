"""The twin's world: jobs arriving and ending on the event engine, and the scheduler's decisions
applied to the fleet's state.

The world owns the `ClusterState` and the `QueueSet`. At every instant at which something
changed (an arrival joined an active queue, or an ending job freed something a parked queue was
waiting for), it schedules exactly one scheduling pass, which runs after every other event of
that instant. The pass hands a snapshot to `decide` and applies what comes back.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Final

from aigrid.energy import tenths_of, throughput
from aigrid.ledger import GrantLedger, ProgramAccounts
from aigrid.model import Grant, Job, JobState, LoadPeriod, Scenario, TenantClass
from aigrid.scheduler import (
    Admit,
    ClusterState,
    Decision,
    Policy,
    Preempt,
    QueueSet,
    ReasonCode,
    Reject,
    Snapshot,
    commit,
    decide,
    decide_and_commit,
    grant_token,
    wake_after_quota_growth,
    wake_after_release,
)
from aigrid.twin.engine import EventEngine, gc_paused
from aigrid.twin.failures import FailureProcess, Failures
from aigrid.twin.meters import SiteMeters
from aigrid.twin.waits import WaitAccounting

# Event priorities within one instant: endings free capacity before arrivals are queued; the
# scheduling pass runs after both; the sampler reads the state the pass left.
_PRIO_MEASURE: Final = -1
_PRIO_END: Final = 0
_PRIO_ARRIVAL: Final = 1
_PRIO_PASS: Final = 8
_PRIO_SAMPLE: Final = 9

SAMPLE_EVERY_S: Final = 3600.0


@dataclass(slots=True)
class Samples:
    """The fleet sampled on the hour: for the report's time series."""

    t: list[float] = field(default_factory=list)
    busy_by_owner: dict[str, list[int]] = field(default_factory=dict)
    mw_by_site: dict[str, list[float]] = field(default_factory=dict)
    busy_by_tenant_class: dict[str, list[int]] = field(default_factory=dict)
    pending: list[int] = field(default_factory=list)
    pending_by_reason: dict[str, list[int]] = field(default_factory=dict)
    """Pending jobs by the code of the reason they wait (`ReasonCode.slug`)."""
    running: list[int] = field(default_factory=list)
    spent_krw_by_program: dict[str, list[float]] = field(default_factory=dict)
    """Spent since the start of the measured window, settled jobs only."""


@dataclass(slots=True, init=False)
class Charges:
    price: float
    hold: float
    alloc: float
    """GPUs paid for: a share of a GPU pays its fraction."""
    borrowed: bool

    def __init__(self, price: float, hold: float, alloc: float, borrowed: bool) -> None:
        # Written out, as `Placement`'s is: one is built for every job started.
        self.price = price
        self.hold = hold
        self.alloc = alloc
        self.borrowed = borrowed


class World:
    def __init__(
        self,
        scenario: Scenario,
        jobs: Sequence[Job],
        policy: Policy,
        horizon_s: float,
        *,
        seed: int | None = None,
        measure_from_s: float = 0.0,
        log_events: bool = False,
        on_progress: Callable[[float, int], None] | None = None,
        fused_cycle: bool = True,
    ) -> None:
        self.scenario = scenario
        self.fused_cycle = fused_cycle
        """Each pass decides and commits at once (`decide_and_commit`); False: `decide`, then
        `commit`, as the live service does (what the fused cycle is tested against)."""
        self.jobs = jobs
        self.jobs_by_id = {j.id: j for j in jobs}
        if policy.placement == "random" and policy.seed is None and seed is not None:
            # Random placement draws from the run's seed unless the policy names its own: the
            # run stays reproducible from scenario and seed, and another seed draws anew.
            policy = dataclasses.replace(policy, seed=seed)
        self.policy = policy
        self.horizon_s = horizon_s
        if not 0.0 <= measure_from_s < horizon_s:
            raise ValueError("the measured window must start within the horizon")
        self.measure_from_s = measure_from_s
        """Start of the measured window; what comes before is warm-up, left out of figures."""
        self.spent_at_measure: dict[str, int] = {}
        self.state = ClusterState(scenario.fleet, scenario.tenancy, half_life_s=policy.half_life_s)
        self.queues = QueueSet()
        self.engine = EventEngine(log=log_events)
        self.waits = WaitAccounting(self.engine, measure_from_s)
        self.queues.observer = self.waits
        self.accounts = ProgramAccounts.from_programs(scenario.tenancy.programs, keep_entries=False)
        for pid in scenario.tenancy.programs:
            self.state.budget_available[pid] = self.accounts.available_krw(pid)
        self.grants = GrantLedger(scenario.tenancy.grants, keep_entries=False)
        granted = scenario.tenancy.granted_programs
        if granted:
            # Programs that fund orgs through grants: their jobs pay from their org's grants.
            for job in jobs:
                if job.program in granted:
                    job.account = job.org
        self.meters = SiteMeters(scenario, self.state, horizon_s)
        self.charges: dict[int, Charges] = {}
        self.running = 0
        self.passes = 0
        self.samples = Samples(
            busy_by_owner={o: [] for o in scenario.fleet.owners},
            mw_by_site={s: [] for s in scenario.fleet.sites},
            busy_by_tenant_class={c.value: [] for c in TenantClass},
            pending_by_reason={r.slug: [] for r in ReasonCode},
            spent_krw_by_program={p: [] for p in scenario.tenancy.programs},
        )
        self._busy_by_class: dict[str, int] = {c.value: 0 for c in TenantClass}
        self._pool_owner = [p.owner for p in scenario.fleet.pools]
        self._pool_speed = [
            scenario.fleet.gpu_models[p.gpu_model].relative_speed for p in scenario.fleet.pools
        ]
        self._next_arrival = 0
        self._pass_pending = False
        self._on_progress = on_progress
        e = self.engine
        self.ARRIVAL = e.register(self._on_arrival)
        self.END = e.register(self._on_end)
        self.PASS = e.register(self._on_pass)
        self.SAMPLE = e.register(self._on_sample)
        self.TARIFF_HOUR = e.register(self._on_tariff_hour)
        self.light_sites: frozenset[int] = frozenset()
        """Sites whose tariff is in its light-load hours now."""
        self.MEASURE = e.register(self._on_measure)
        self.FAIL = e.register(self._on_failure)
        self.REPAIR = e.register(self._on_repair)
        self.GRANT_OPEN = e.register(self._on_grant_open)
        self.STOP = e.register(self._on_stop)
        self.failures: Failures | None = None
        if scenario.reliability is not None and seed is not None:
            self.failures = FailureProcess(scenario.fleet, scenario.reliability, seed)
        self.down: set[tuple[int, int]] = set()
        self.capped_gpu_s = 0.0
        """GPU-seconds run below full power in the measured window (power capping)."""
        self.capped_lost_gpu_s = 0.0
        """What those GPU-seconds lost in speed, in GPU-seconds of full-power work."""
        self.capped_jobs = 0
        self.busy_gpu_s: defaultdict[tuple[str, str, str], float] = defaultdict(float)
        self.preemptions: defaultdict[str, int] = defaultdict(int)
        """Preemptions in the measured window, by cause."""
        self.preemption_log: list[tuple[float, int, int, str]] = []
        """Every preemption: (time, job preempted, job it made room for, cause)."""
        self.busy_krw_by_class: defaultdict[str, float] = defaultdict(float)
        """Electricity cost of running jobs' draw above idle, by job class, in the window."""
        self.busy_tco2_by_class: defaultdict[str, float] = defaultdict(float)
        """GPU-seconds busy in the measured window, by (owner, tenant class, program)."""
        self.node_failures = 0
        self.lost_gpu_s = 0.0

    # -- running --------------------------------------------------------------------------------

    def run(self) -> None:
        """Run from the start to the horizon (with the cycle collector paused: `gc_paused`)."""
        with gc_paused():
            self.start()
            self.engine.run(until=self.horizon_s)
            self.finish()

    def start(self) -> None:
        """Schedule the first events: arrivals, the clocks, failures, grants opening."""
        if self.jobs:
            self.engine.schedule(self.jobs[0].submit_s, self.ARRIVAL, None, _PRIO_ARRIVAL)
        self.engine.schedule(self.measure_from_s, self.MEASURE, None, _PRIO_MEASURE)
        self.engine.schedule(0.0, self.SAMPLE, None, _PRIO_SAMPLE)
        if self.policy.defer_batch:
            self.engine.schedule(0.0, self.TARIFF_HOUR, None, _PRIO_MEASURE)
        if self.failures is not None:
            self.engine.schedule(self.failures.next_after(0.0), self.FAIL, None, _PRIO_END)
        for g in self.scenario.tenancy.grants:
            if 0.0 < g.valid_from_h * 3600.0 <= self.horizon_s:
                self.engine.schedule(g.valid_from_h * 3600.0, self.GRANT_OPEN, g, _PRIO_END)

    # -- event handlers ---------------------------------------------------------------------------

    def _on_arrival(self, t: float, _payload: object) -> None:
        jobs = self.jobs
        i = self._next_arrival
        n = len(jobs)
        queues = self.queues
        # Every job submitted at this instant joins in one go.
        while i < n and jobs[i].submit_s == t:
            job = jobs[i]
            job.queued_s = t
            if queues.push(job) in queues.active:
                self._request_pass()
            i += 1
        self._next_arrival = i
        if i < n and jobs[i].submit_s <= self.horizon_s:
            self.engine.schedule(jobs[i].submit_s, self.ARRIVAL, None, _PRIO_ARRIVAL)

    def _on_end(self, t: float, payload: tuple[Job, int]) -> None:
        job, attempt = payload
        if job.attempt != attempt or job.state is not JobState.RUNNING:
            return  # an attempt that an interruption already ended
        remaining = job.remaining_s if job.remaining_s is not None else job.walltime_s
        self._stop(
            t,
            job,
            JobState.COMPLETED if remaining / job.rate <= job.walltime_s else JobState.TIMED_OUT,
        )

    def _stop(
        self, t: float, job: Job, final: JobState | None, saved_at: float | None = None
    ) -> None:
        """The running job stops at `t`: it ends in `final`, or (None) it is interrupted and
        goes back in line to resume from its last checkpoint (or, told at `saved_at` that it
        would be stopped, from what it had done by then)."""
        placement = job.placement
        assert placement is not None
        state = self.state
        state.release(job.program, placement, job_id=job.id, at=t)
        self.running -= 1
        # str(c), not c.value: the same string, without the enum's Python-level property.
        self._busy_by_class[str(job.tenant_class)] -= placement.gpus
        self._count_busy(job, t)
        charge = self.charges.pop(job.id)
        start = job.start_s if job.start_s is not None else t
        actual = charge.alloc * (t - start) / 3600.0 * charge.price
        self.accounts.settle(job.id, actual, t)
        state.budget_available[job.program] = self.accounts.available_krw(job.program)
        held = self.grants.held_by(job.id)
        if held is not None:
            self.grants.settle(job.id, actual, charge.alloc * (t - start), t)
            state.grant_available[held[0]] = self.grants.available(held[0])
        if final is None:
            overhead = 0.0
            if self.scenario.reliability is not None:
                overhead = self.scenario.reliability.restart_overhead_min * 60.0
            lost = job.interrupt(t, restart_overhead_s=overhead, saved_at=saved_at)
            self.lost_gpu_s += placement.gpu_amount * lost
            job.queued_s = t
            self.queues.push(job)
            self._request_pass()
        else:
            job.transition(final, t)
        self.meters.update(state.pool_site[placement.pool], t)
        self._wake_after_release(job, placement.pool)

    def _count_busy(self, job: Job, t: float) -> None:
        """Add the GPU-seconds of the job's current attempt, up to `t`, that fall in the
        measured window."""
        placement = job.placement
        if placement is None or job.start_s is None:
            return
        t0 = max(job.start_s, self.measure_from_s)
        t1 = min(t, self.horizon_s)
        seconds = t1 - t0
        if seconds > 0:
            key = (self._pool_owner[placement.pool], str(job.tenant_class), job.program)
            self.busy_gpu_s[key] += placement.gpu_amount * seconds
            # What the job's GPUs drew over idle, priced and weighed by the hour; a share of a
            # GPU is charged its share of the GPU's draw.
            state = self.state
            mw = state.power.added_mw(placement.pool, placement.gpus)
            if placement.gpu_share_milli:
                mw *= placement.gpu_amount
            if job.speed < 1.0:
                mw -= state.power.cap_saving_mw(
                    placement.pool, placement.gpus * tenths_of(job.power_fraction)
                )
            site = state.pool_site[placement.pool]
            cls = str(job.job_class)
            self.busy_krw_by_class[cls] += self.meters.tariff[site].cost_krw(t0, t1, mw)
            self.busy_tco2_by_class[cls] += self.meters.carbon[site].tco2(t0, t1, mw)
            if job.speed < 1.0:
                self.capped_gpu_s += placement.gpus * seconds
                self.capped_lost_gpu_s += placement.gpus * seconds * (1.0 - job.speed)

    def finish(self) -> None:
        """Close the books at the horizon: meters, waits, and the attempts still running."""
        self.meters.finish(self.horizon_s)
        self.waits.finish(self.queues.queues)
        for job in self.jobs:
            if job.state is JobState.RUNNING:
                self._count_busy(job, self.horizon_s)
        self.check_limits()

    def check_limits(self) -> None:
        """Raise if the run broke a limit it must keep: a site over its grid cap, a program
        over its budget, a grant below zero. Cheap, so every run checks."""
        state = self.state
        for i, site in enumerate(state.site_ids):
            if self.meters.peak_mw[i] > state.site_cap_mw[i] * (1 + 1e-9):
                raise RuntimeError(
                    f"site {site} drew {self.meters.peak_mw[i]:.3f} MW, over its "
                    f"{state.site_cap_mw[i]:.3f} MW cap"
                )
        for name, books in (("program", self.accounts), ("grant", self.grants)):
            for key, b in books.balances().items():
                if b.available_krw < 0:
                    raise RuntimeError(f"{name} {key} went below zero: {b}")

    def _on_failure(self, t: float, _payload: object) -> None:
        """A node fails: its jobs are interrupted and requeued, and it is out for a while."""
        assert self.failures is not None
        self.engine.schedule(self.failures.next_after(t), self.FAIL, None, _PRIO_END)
        pool, node = self.failures.pick_node()
        if (pool, node) in self.down:
            return
        self.node_failures += 1
        state = self.state
        victims = state.jobs_on(pool, node)
        for job_id in victims:
            self._stop(t, self.jobs_by_id[job_id], None)
        cap = state.capacity[pool]
        cap.take_from(node, cap.free[node])
        self.down.add((pool, node))
        state.set_out(state.pool_key[pool], cap.gpus_per_node)
        held = state.reservations.get(pool)
        if held is not None and node in held.nodes:
            # The promise cannot be kept on a node that is out: the job must plan again.
            state.drop_reservation(held.job_id)
            self.queues.wake(("reservation", pool))
            holder = self.jobs_by_id.get(held.job_id)
            if holder is not None:
                self.queues.wake_pool(pool, holder.gpus, holder.gpus)
            self._request_pass()
        self.engine.schedule(t + self.failures.outage_s(), self.REPAIR, (pool, node), _PRIO_END)

    def _on_repair(self, t: float, payload: tuple[int, int]) -> None:
        pool, node = payload
        self.down.discard((pool, node))
        state = self.state
        cap = state.capacity[pool]
        cap.give_back(node, cap.gpus_per_node)
        key = state.pool_key[pool]
        state.set_out(key, -cap.gpus_per_node)
        woken = self.queues.wake_pool(pool, cap.largest_free(), cap.free_nodes)
        if woken + wake_after_quota_growth(self.queues, state, key):
            self._request_pass()

    def _wake_after_release(self, job: Job, pool: int) -> None:
        if wake_after_release(self.queues, self.state, job.program, pool, job.account):
            self._request_pass()

    def _on_stop(self, t: float, payload: tuple[Job, int, float]) -> None:
        """A preempted job's grace period ends: it stops, keeping what it had done when told."""
        job, attempt, told = payload
        if job.attempt != attempt or job.state is not JobState.RUNNING:
            return  # it ended, or a node failure stopped it, before its grace ran out
        self._stop(t, job, None, saved_at=told)

    def _on_grant_open(self, t: float, grant: Grant) -> None:
        """A grant's window opens: jobs its org has waiting may now be paid for."""
        if self.queues.wake(grant_token(grant.program, grant.org)):
            self._request_pass()

    def _request_pass(self) -> None:
        if not self._pass_pending:
            self._pass_pending = True
            self.engine.schedule_now(self.PASS, _PRIO_PASS)

    def _on_pass(self, t: float, _payload: object) -> None:
        self._pass_pending = False
        if not self.queues.active:
            return
        self.passes += 1
        snapshot = Snapshot(t, self.state, self.queues, self.light_sites)
        if self.fused_cycle:
            decisions, woke = decide_and_commit(snapshot, self.policy)
        else:
            decisions = decide(snapshot, self.policy)
            woke = commit(snapshot, decisions)
        if woke:
            self._request_pass()
        self.apply(t, decisions)

    def apply(self, t: float, decisions: Sequence[Decision]) -> None:
        """What the decisions of one cycle mean in the twin, once `commit` has updated the
        queues and the cluster state: job states, budget holds, completion events, meters."""
        state = self.state
        touched_sites: set[int] = set()
        for d in decisions:
            if isinstance(d, Admit):
                job = d.job
                job.transition(JobState.RUNNING, t)
                job.placement = d.placement
                job.speed = throughput(d.power_fraction)
                job.rate = self._pool_speed[d.placement.pool].get(str(job.job_class), 1.0)
                job.power_fraction = d.power_fraction
                if job.speed < 1.0 and t >= self.measure_from_s:
                    self.capped_jobs += 1
                if not self.accounts.hold(job.id, job.program, d.hold_krw, t):
                    raise RuntimeError(f"job {job.id}: admitted without budget to hold")
                state.budget_available[job.program] = self.accounts.available_krw(job.program)
                if d.grant is not None:
                    if not self.grants.hold(job.id, d.grant, d.grant_hold, t):
                        raise RuntimeError(f"job {job.id}: admitted without grant credit to hold")
                    state.grant_available[d.grant] = self.grants.available(d.grant)
                elif job.account is not None:
                    raise RuntimeError(f"job {job.id}: admitted without a grant to pay for it")
                self.charges[job.id] = Charges(
                    d.price_krw_per_gpu_h, d.hold_krw, d.placement.gpu_amount, d.borrowed
                )
                remaining = job.remaining_s if job.remaining_s is not None else job.walltime_s
                # A power-capped job runs slower, and its walltime limit stretches with it; a
                # faster GPU model gets through the job's work sooner.
                duration = min(remaining / job.rate, job.walltime_s) / job.speed
                self.engine.schedule(t + duration, self.END, (job, job.attempt), _PRIO_END)
                self.running += 1
                self._busy_by_class[str(job.tenant_class)] += d.placement.gpus
                touched_sites.add(state.pool_site[d.placement.pool])
            elif isinstance(d, Preempt):
                victim = self.jobs_by_id[d.job_id]
                if victim.state is JobState.RUNNING and victim.id not in state.stopping:
                    victim.mark_preempted(d.by.id, d.cause, d.since)
                    self.preemption_log.append((t, victim.id, d.by.id, d.cause))
                    if t >= self.measure_from_s:
                        self.preemptions[d.cause] += 1
                    if d.grace_s > 0:
                        # Told now, it saves its progress and is stopped when its grace ends.
                        state.stopping[victim.id] = t + d.grace_s
                        payload = (victim, victim.attempt, t)
                        self.engine.schedule(t + d.grace_s, self.STOP, payload, _PRIO_END)
                    else:
                        self._stop(t, victim, None)
            elif isinstance(d, Reject):
                d.job.pending_reason = d.reason.message
                d.job.transition(JobState.REJECTED, t)
        for site in sorted(touched_sites):
            self.meters.update(site, t)

    def _on_tariff_hour(self, t: float, _payload: object) -> None:
        """On each tariff hour: which sites are in light-load hours; wake work deferred to them."""
        clocks = self.meters.tariff
        light = frozenset(s for s, c in enumerate(clocks) if c.period_at(t) is LoadPeriod.LIGHT)
        woken = sum(self.queues.wake(("light", s)) for s in sorted(light - self.light_sites))
        self.light_sites = light
        if woken:
            self._request_pass()
        nxt = min(c.next_hour(t) for c in clocks)
        if nxt <= self.horizon_s:
            self.engine.schedule(nxt, self.TARIFF_HOUR, None, _PRIO_MEASURE)

    def _on_measure(self, t: float, _payload: object) -> None:
        """The warm-up is over: meters and budgets count from here."""
        self.meters.mark(t)
        self.spent_at_measure = {
            pid: self.accounts.balance(pid).spent_krw for pid in self.scenario.tenancy.programs
        }

    def _on_sample(self, t: float, _payload: object) -> None:
        """Every simulated hour: report progress, and in the measured window, sample."""
        if self._on_progress is not None:
            self._on_progress(t, self.engine.events)
        if t + SAMPLE_EVERY_S <= self.horizon_s:
            self.engine.schedule(t + SAMPLE_EVERY_S, self.SAMPLE, None, _PRIO_SAMPLE)
        if t < self.measure_from_s:
            return
        s = self.samples
        s.t.append(t)
        busy: dict[str, int] = dict.fromkeys(s.busy_by_owner, 0)
        for pool, gpus in enumerate(self.state.busy_gpus):
            busy[self._pool_owner[pool]] += gpus
        for owner, series in s.busy_by_owner.items():
            series.append(busy[owner])
        for i, site in enumerate(self.state.site_ids):
            s.mw_by_site[site].append(self.state.site_mw[i])
        for cls, series in s.busy_by_tenant_class.items():
            series.append(self._busy_by_class[cls])
        s.pending.append(len(self.queues))
        by_reason = dict.fromkeys(s.pending_by_reason, 0)
        for q in self.queues.queues.values():
            if q.reason is not None:
                by_reason[q.reason.code.slug] += len(q)
        for slug, series in s.pending_by_reason.items():
            series.append(by_reason[slug])
        s.running.append(self.running)
        for pid, spent_series in s.spent_krw_by_program.items():
            spent = self.accounts.balance(pid).spent_krw - self.spent_at_measure.get(pid, 0)
            spent_series.append(float(spent))
