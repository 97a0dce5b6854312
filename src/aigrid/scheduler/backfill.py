"""EASY backfill: when could a waiting job start, and which nodes should be kept for it.

A job that waits for free GPUs gets a reservation on one pool: the nodes that, going by the
walltime limits of the jobs on them now, will first be free enough for it, and the time they
will be (its *shadow time*). Later jobs may still start on those nodes if they will end, by
their own walltime limits, before the shadow time; anywhere else they start freely. Because
walltime limits bound when jobs end, the reserved job starts no later than its shadow time.

One reservation per pool, held by the first job that claimed it until it starts or stops waiting
for capacity (EASY, per pool).
"""

from __future__ import annotations

import math

import numpy as np

from aigrid.scheduler.state import ClusterState, Reservation


def shadow(
    state: ClusterState, pool: int, gpus: int, now: float, job_id: int
) -> Reservation | None:
    """The earliest reservation for a job of `gpus` GPUs on `pool`, or None if none can be
    promised (the GPUs are held by jobs without a walltime limit).

    A node counts as available when it is wholly free: for a job of one node this can be later
    than the moment enough of its GPUs free up, so the promise is kept, only sometimes later
    than it had to be. O(nodes) in numpy.
    """
    cap = state.capacity[pool]
    gpn = cap.gpus_per_node
    # A node held only by jobs we do not track (no id) is as good as never free.
    free, until = state.node_arrays(pool)
    times = np.maximum(until, now)
    untracked = (free < gpn) & (until == -np.inf)
    if untracked.any():
        times = np.where(untracked, np.inf, times)
    need = 1 if gpus <= gpn else -(-gpus // gpn)
    if need > len(times):
        return None
    dn = cap.domain_nodes
    if need > 1 and dn > 1 and need <= dn:
        # The gang must sit in one NVLink domain: the domain whose `need`-th node frees first.
        by_domain = times.reshape(-1, dn)
        rows = np.partition(by_domain, need - 1, axis=1)[:, need - 1]
        d = int(np.argmin(rows))  # lowest index on ties
        order = d * dn + np.argsort(by_domain[d], kind="stable")[:need]
        start = float(times[order[-1]])
    elif need == 1:
        order = np.argmin(times, keepdims=True)  # the first of the earliest: lowest index
        start = float(times[order[0]])
    else:
        # The `need` earliest nodes, the lowest indices among those freed at the last of them:
        # what a stable sort would take first, found in linear time.
        start = float(np.partition(times, need - 1)[need - 1])
        before = np.flatnonzero(times < start)
        at = np.flatnonzero(times == start)[: need - len(before)]
        order = np.concatenate((before, at))
    if math.isinf(start):
        return None
    return Reservation(job_id, pool, start, frozenset(order.tolist()))
