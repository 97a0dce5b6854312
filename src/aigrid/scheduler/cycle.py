"""One scheduling cycle: `decide(snapshot, policy) -> decisions`.

The cycle reads a snapshot and returns decisions; it reads no clock, no random generator, no
file and no backend. To see the effect of its own admissions while it goes, it takes GPUs on the
snapshot's state as it admits and gives every one of them back before it returns, so the
snapshot leaves the call as it came in (the what-if-and-undo of Kueue's snapshot).

Phases:
  1. order   — every active queue's head, in the policy's order (a heap);
  2. filter  — static eligibility of the queue (pools it may ever use), else reject;
  3. fit     — dynamic filters and the best-fit finalizer over the eligible pools;
  4. admit   — take the GPUs tentatively, record the decision, put the queue back in line;
     or park — record why the head waits and what would wake its queue, and if it waits for
     capacity, reserve the nodes it will get first (backfill); if it waits for quota, choose
     the running jobs to preempt for it (`aigrid.scheduler.preemption`);
  5. undo    — give back everything taken in phase 4.

Applying the decisions (`aigrid.scheduler.commit`) takes the admitted jobs' GPUs again, for
good. Where one caller decides and commits at once, `decide_and_commit` skips the undo and the
redo: the same decisions, the same state after, two fewer passes over each admission's nodes.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from typing import Final

from aigrid.energy import fraction_of
from aigrid.model import Job, Placement
from aigrid.scheduler.backfill import shadow
from aigrid.scheduler.decisions import (
    Admit,
    Decision,
    Park,
    Reject,
    Reserve,
    Unreserve,
)
from aigrid.scheduler.placement import Refusal, choose, eligibility, take
from aigrid.scheduler.policy import (
    FairOrder,
    OrderKey,
    Policy,
    PolicyName,
    check_history,
    fifo_key,
)
from aigrid.scheduler.preemption import Preemptor
from aigrid.scheduler.queues import QueueKey, QueueSet
from aigrid.scheduler.reasons import ReasonCode
from aigrid.scheduler.state import ClusterState, Reservation

_QUOTA_REASONS: Final = (ReasonCode.QUOTA, ReasonCode.BORROWING_LIMIT)


@dataclass(frozen=True, slots=True, init=False)
class Snapshot:
    """What one cycle sees: the time, the state of the fleet, and the pending jobs."""

    now: float
    state: ClusterState
    queues: QueueSet
    light_sites: frozenset[int] = frozenset()
    """Sites whose tariff is in its light-load hours now (for deferral of batch work)."""

    def __init__(
        self,
        now: float,
        state: ClusterState,
        queues: QueueSet,
        light_sites: frozenset[int] = frozenset(),
    ) -> None:
        # Written out, as `Placement`'s is: the twin builds one for every pass.
        object.__setattr__(self, "now", now)
        object.__setattr__(self, "state", state)
        object.__setattr__(self, "queues", queues)
        object.__setattr__(self, "light_sites", light_sites)


def decide(snapshot: Snapshot, policy: Policy) -> list[Decision]:
    return _decide(snapshot, policy, keep=False)


def _decide(snapshot: Snapshot, policy: Policy, *, keep: bool) -> list[Decision]:
    """`decide`; with `keep`, what the admissions took stays taken on the snapshot's state
    when the cycle returns (`aigrid.scheduler.commit.decide_and_commit`), but still comes back
    if the cycle fails."""
    state = snapshot.state
    check_history(policy, state)
    queues = snapshot.queues.queues
    now = snapshot.now
    fair = FairOrder(state, now) if policy.name is PolicyName.FAIR else None

    # With one active queue, the order only ever compares its own head with nothing: its jobs
    # go in turn whatever their keys, so none is worked out (most passes wake one queue).
    alone = len(snapshot.queues.active) == 1

    def order(state: ClusterState, job: Job) -> OrderKey:
        if alone:
            return ()
        return fifo_key(state, job) if fair is None else fair.key(job)

    # Only fair sharing's keys move during a cycle (shares grow as jobs are admitted).
    rekey = fair is not None and not alone

    decisions: list[Decision] = []
    taken: list[tuple[int, str, Placement]] = []
    held: dict[str, float] = {}
    grant_held: dict[str, float] = {}
    consumed: dict[QueueKey, int] = {}
    heap: list[tuple[OrderKey, QueueKey]] = []
    reservations = dict(state.reservations)  # this cycle's view: reservations made or dropped
    preemptor = Preemptor(state, now, policy)
    for key, q in snapshot.queues.active.items():
        heap.append((order(state, q.at(0)), key))
    heapq.heapify(heap)

    kept = False
    try:
        while heap:
            stored, key = heapq.heappop(heap)
            q = queues[key]
            i = consumed.get(key, 0)
            job = q.at(i)
            if rekey:
                current = order(state, job)
                if current > stored:
                    heapq.heappush(heap, (current, key))
                    continue
            elig = eligibility(state, key)
            if elig.never is not None:
                decisions.append(Reject(job, elig.never))
                outcome_next = True
            else:
                budget_left = state.budget_available[job.program] - held.get(job.program, 0.0)
                fit = choose(
                    state,
                    job,
                    elig.pools,
                    budget_left,
                    now,
                    reservations,
                    policy.min_power_fraction,
                    snapshot.light_sites if policy.defer_batch else None,
                    grant_held,
                    policy.placement,
                    policy.seed or 0,
                )
                if isinstance(fit, Refusal):
                    decisions.append(
                        Park(
                            key,
                            fit.reason,
                            tuple(fit.tokens),
                            tuple(fit.needs),
                            tuple(sorted(fit.power_needs.items())),
                            tuple(sorted(fit.quota_needs.items())),
                        )
                    )
                    if policy.backfill:
                        decisions.extend(_reserve(state, job, fit, now, reservations))
                    if policy.reclaim and fit.reclaim:
                        decisions.extend(preemptor.reclaim(job, fit))
                    preempted: list[Decision] = []
                    if policy.priority_preemption and fit.reason.code in _QUOTA_REASONS:
                        preempted = list(preemptor.lower(job, fit))
                        decisions.extend(preempted)
                    if (
                        policy.fair_preemption
                        and not preempted
                        and fit.reason.code in _QUOTA_REASONS
                    ):
                        decisions.extend(preemptor.fair(job, fit))
                    outcome_next = False
                else:
                    if job.id in (r.job_id for r in reservations.values()):
                        reservations = {p: r for p, r in reservations.items() if r.job_id != job.id}
                    placement = take(state, job, fit, now)
                    if fair is not None:
                        fair.admitted(job.program)
                    taken.append((job.id, job.program, placement))
                    held[job.program] = held.get(job.program, 0.0) + fit.hold
                    if fit.grant is not None:
                        g = fit.grant.grant
                        grant_held[g] = grant_held.get(g, 0.0) + fit.grant.amount
                    decisions.append(
                        Admit(
                            job,
                            placement,
                            fit.price,
                            fit.hold,
                            fit.borrowed,
                            fraction_of(fit.cap_tenths),
                            None if fit.grant is None else fit.grant.grant,
                            0.0 if fit.grant is None else fit.grant.amount,
                        )
                    )
                    outcome_next = True
            if outcome_next:
                consumed[key] = i + 1
                if i + 1 < len(q):
                    nxt = q.at(i + 1)
                    heapq.heappush(heap, (order(state, nxt), key))
        kept = keep
    finally:
        if not kept:
            for job_id, program, placement in reversed(taken):
                state.release(program, placement, job_id=job_id)
    return decisions


def _reserve(
    state: ClusterState,
    job: Job,
    refusal: Refusal,
    now: float,
    reservations: dict[int, Reservation],
) -> list[Decision]:
    """Backfill's part of a refusal: reserve for a job that waits for capacity, or drop the
    reservation of one that now waits for something else. Updates `reservations` in place."""
    mine = next((r for r in reservations.values() if r.job_id == job.id), None)
    if refusal.reason.code not in (
        ReasonCode.NO_CAPACITY,
        ReasonCode.CPU_MEMORY,
        ReasonCode.NVLINK_DOMAIN,
        ReasonCode.RESERVED,
    ):
        if mine is None:
            return []
        del reservations[mine.pool]
        return [Unreserve(job, mine.pool)]
    best: Reservation | None = None
    for pool in refusal.capacity_pools:
        holder = reservations.get(pool)
        if holder is not None and holder.job_id != job.id:
            continue
        r = shadow(state, pool, job.gpus, now, job.id)
        if r is not None and (best is None or (r.start_s, r.pool) < (best.start_s, best.pool)):
            best = r
    if best is None or best == mine:
        return []
    if mine is not None:
        del reservations[mine.pool]
    reservations[best.pool] = best
    return [Reserve(job, best)]
