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
    the queues parked on what that frees — capacity in the pool, power at its site, quota in
    the program's quota tree, the program's budget, and the grant credit of its account.
    Returns how many queues woke; if any, the caller owes them a scheduling pass."""
    cap = state.capacity[pool]
    woken = queues.wake_pool(pool, cap.largest_free(), cap.free_nodes)
    site = state.pool_site[pool]
    woken += queues.wake_site(site, state.site_cap_mw[site] - state.site_mw[site])
    woken += _wake_quota(queues, state, state.tree.root(program), state.pool_key[pool])
    woken += queues.wake(("budget", program))
    if account is not None:
        woken += queues.wake(grant_token(program, account))
    return woken


def wake_after_quota_growth(queues: QueueSet, state: ClusterState, key: str) -> int:
    """Quotas of `key` grew back (failed GPUs returned to service): wake the queues parked on
    quota of it, in every tree, that now have room."""
    return sum(_wake_quota(queues, state, root, key) for root in state.tree.roots)


def _wake_quota(queues: QueueSet, state: ClusterState, root: int, key: str) -> int:
    tree = state.tree
    return queues.wake_quota(root, key, lambda program: tree.available(program, key))
