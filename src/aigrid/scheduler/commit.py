"""Apply a cycle's decisions to the scheduler's own structures: queues and cluster state.

This is the part of applying decisions that the twin and the live service share. What else a
decision means — a job's state, a completion event, a budget hold, a row in the store, a call
to a backend — stays with whoever owns those.
"""

from __future__ import annotations

from collections.abc import Iterable

from aigrid.energy import tenths_of, throughput
from aigrid.scheduler.cycle import Snapshot, _decide
from aigrid.scheduler.decisions import Admit, Decision, Park, Reject, Reserve, Unreserve
from aigrid.scheduler.policy import Policy


def decide_and_commit(snapshot: Snapshot, policy: Policy) -> tuple[list[Decision], int]:
    """`decisions = decide(snapshot, policy)`, then `commit(snapshot, decisions)`, for a caller
    that applies every decision at once (the twin): the same decisions and the same state
    after, but what the cycle admits stays taken instead of being given back and taken again.
    Returns the decisions and what `commit` returns."""
    decisions = _decide(snapshot, policy, keep=True)
    return decisions, _commit(snapshot, decisions, taken=True)


def commit(snapshot: Snapshot, decisions: Iterable[Decision]) -> int:
    """Admitted and rejected jobs leave their queues (admitted ones take their placement, held
    until `snapshot.now` plus their walltime limit); parked queues wait for their wake tokens;
    backfill reservations are set and dropped. Decisions must be applied in the order given.

    Returns how many parked queues a changed reservation woke: if any, the caller owes them
    another cycle.
    """
    return _commit(snapshot, decisions, taken=False)


def _commit(snapshot: Snapshot, decisions: Iterable[Decision], *, taken: bool) -> int:
    """`commit`; with `taken`, the admitted jobs' placements are already taken on the state
    (but not yet in its usage history)."""
    state = snapshot.state
    queues = snapshot.queues
    changed: set[int] = set()
    for d in decisions:
        if isinstance(d, Admit):
            job = d.job
            queues.consume(queues.key_of(job), 1)
            if taken:
                state.note_taken(job.program, d.placement, snapshot.now)
            else:
                speed = throughput(d.power_fraction)
                state.allocate(
                    job.program,
                    d.placement,
                    job_id=job.id,
                    until=snapshot.now + job.walltime_s / speed,
                    cap_tenths=tenths_of(d.power_fraction),
                    start=snapshot.now,
                    preemptible=job.preemptible,
                    at=snapshot.now,
                    priority=job.priority_class,
                )
            dropped = state.drop_reservation(job.id)
            if dropped is not None:
                changed.add(dropped.pool)
        elif isinstance(d, Park):
            queues.park(
                d.key, d.reason, d.tokens, d.needs, dict(d.power_needs), dict(d.quota_needs)
            )
        elif isinstance(d, Reserve):
            old = state.reservation_of(d.job.id)
            state.set_reservation(d.reservation)
            if old is not None:
                changed.add(old.pool)
            changed.add(d.reservation.pool)
        elif isinstance(d, Unreserve):
            if state.drop_reservation(d.job.id) is not None:
                changed.add(d.pool)
        elif isinstance(d, Reject):
            queues.consume(queues.key_of(d.job), 1)
    return sum(queues.wake(("reservation", pool)) for pool in sorted(changed))
