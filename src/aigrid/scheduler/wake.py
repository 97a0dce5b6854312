"""What a release of GPUs may change: the parked queues it wakes.

Shared by the twin and the live loop, so both wake exactly the same queues after a job ends.
"""

from __future__ import annotations

from aigrid.scheduler.grants import grant_token
from aigrid.scheduler.queues import QueueSet
from aigrid.scheduler.state import ClusterState


def wake_after_release(
    queues: QueueSet, state: ClusterState, program: str, pool: int, account: str | None = None
) -> int:
    """A job of `program` gave back its GPUs in `pool` (already released from `state`): wake
    the queues parked on what that frees — capacity in the pool, power at its site, quota of
    the program and of its cohort, the program's budget, and the grant credit of its account.
    Returns how many queues woke; if any, the caller owes them a scheduling pass."""
    cap = state.capacity[pool]
    woken = queues.wake_pool(pool, cap.largest_free(), cap.free_nodes)
    site = state.pool_site[pool]
    woken += queues.wake_site(site, state.site_cap_mw[site] - state.site_mw[site])
    model = state.pool_model[pool]
    quota = state.tenancy.programs[program].quota.get(model, 0)
    woken += queues.wake_quota(program, model, quota - state.usage[program].get(model, 0))
    cohort = state.tenancy.programs[program].cohort
    if cohort is not None:
        idle = state.cohort_nominal[cohort].get(model, 0) - state.cohort_usage[cohort].get(model, 0)
        woken += queues.wake_quota(cohort, model, idle)
    woken += queues.wake(("budget", program))
    if account is not None:
        woken += queues.wake(grant_token(program, account))
    return woken
