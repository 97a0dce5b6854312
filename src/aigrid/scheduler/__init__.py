"""The pure scheduling core shared by the twin and the live service.

`decide(snapshot, policy)` reads a `Snapshot` (the time, a `ClusterState` and a `QueueSet`) and
returns decisions (`Admit`, `Park`, `Reject`); whoever owns the state applies them.
`explain_order(state, job, policy, now)` shows a job's place in the order, factor by factor.
"""

from aigrid.scheduler.capacity import PoolCapacity
from aigrid.scheduler.commit import commit, decide_and_commit
from aigrid.scheduler.cycle import Snapshot, decide
from aigrid.scheduler.decisions import (
    Admit,
    Decision,
    Park,
    Preempt,
    Reject,
    Reserve,
    Unreserve,
)
from aigrid.scheduler.explain import (
    Factor,
    OrderBreakdown,
    ShareBreakdown,
    ShareTerm,
    explain_order,
)
from aigrid.scheduler.grants import GrantPick, grant_token, pick_grant
from aigrid.scheduler.policy import Policy, PolicyName, dominant_share
from aigrid.scheduler.queues import (
    PoolNeed,
    Queue,
    QueueKey,
    QueueObserver,
    QueueSet,
    WakeToken,
)
from aigrid.scheduler.reasons import Reason, ReasonCode
from aigrid.scheduler.state import ClusterState, Reservation, RunningJob
from aigrid.scheduler.wake import wake_after_quota_growth, wake_after_release

__all__ = [
    "Admit",
    "ClusterState",
    "Decision",
    "Factor",
    "GrantPick",
    "OrderBreakdown",
    "Park",
    "Policy",
    "PolicyName",
    "PoolCapacity",
    "PoolNeed",
    "Preempt",
    "Queue",
    "QueueKey",
    "QueueObserver",
    "QueueSet",
    "Reason",
    "ReasonCode",
    "Reject",
    "Reservation",
    "Reserve",
    "RunningJob",
    "ShareBreakdown",
    "ShareTerm",
    "Snapshot",
    "Unreserve",
    "WakeToken",
    "commit",
    "decide",
    "decide_and_commit",
    "dominant_share",
    "explain_order",
    "grant_token",
    "pick_grant",
    "wake_after_quota_growth",
    "wake_after_release",
]
