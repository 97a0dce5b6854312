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
    woken += queues.wake_quota(program, model, state.idle_quota(program, model))
    cohort = state.tenancy.programs[program].cohort
    if cohort is not None:
        woken += queues.wake_quota(cohort, model, state.idle_cohort_quota(cohort, model))
    woken += queues.wake(("budget", program))
    if account is not None:
        woken += queues.wake(grant_token(program, account))
    return woken


def wake_after_quota_growth(queues: QueueSet, state: ClusterState, model: str) -> int:
    """Quotas of `model` grew back (failed GPUs returned to service): wake the queues parked on
    any program's or cohort's quota of it that now has room for them."""
    woken = 0
    cohorts: set[str] = set()
    for pid, prog in state.tenancy.programs.items():
        if model in prog.quota:
            woken += queues.wake_quota(pid, model, state.idle_quota(pid, model))
            if prog.cohort is not None:
                cohorts.add(prog.cohort)
    for cohort in sorted(cohorts):
        woken += queues.wake_quota(cohort, model, state.idle_cohort_quota(cohort, model))
    return woken
