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

from aigrid.scheduler.state import ClusterState, Reservation


def shadow(
    state: ClusterState, pool: int, gpus: int, now: float, job_id: int
) -> Reservation | None:
    """The earliest reservation for a job of `gpus` GPUs on `pool`, or None if none can be
    promised (GPUs held by jobs without a walltime limit)."""
    cap = state.capacity[pool]
    gpn = cap.gpus_per_node
    running = state.running[pool]
    free = cap.free
    if gpus <= gpn:
        best_t = math.inf
        best_node = -1
        for node in range(cap.nodes):
            have = free[node]
            if have >= gpus:
                t = now
            else:
                t = math.inf
                for end, held in sorted(running.get(node, {}).values()):
                    have += held
                    if have >= gpus:
                        t = max(end, now)
                        break
            if t < best_t:
                best_t, best_node = t, node
                if t <= now:
                    break
        if best_node < 0 or math.isinf(best_t):
            return None
        return Reservation(job_id, pool, best_t, frozenset({best_node}))
    need = -(-gpus // gpn)
    whole_at: list[tuple[float, int]] = []
    for node in range(cap.nodes):
        jobs = running.get(node)
        if jobs:
            whole_at.append((max(now, *(end for end, _ in jobs.values())), node))
        elif free[node] == gpn:
            whole_at.append((now, node))
    if len(whole_at) < need:
        return None
    whole_at.sort()
    chosen = whole_at[:need]
    t = chosen[-1][0]
    if math.isinf(t):
        return None
    return Reservation(job_id, pool, t, frozenset(n for _, n in chosen))
