"""Apply a cycle's decisions to the scheduler's own structures: queues and cluster state.

This is the part of applying decisions that the twin and the live service share. What else a
decision means — a job's state, a completion event, a budget hold, a row in the store, a call
to a backend — stays with whoever owns those.
"""

from __future__ import annotations

from collections.abc import Iterable

from aigrid.scheduler.cycle import Snapshot
from aigrid.scheduler.decisions import Admit, Decision, Park, Reject
from aigrid.scheduler.queues import QueueKey


def commit(snapshot: Snapshot, decisions: Iterable[Decision]) -> None:
    """Admitted and rejected jobs leave their queues (admitted ones take their placement);
    parked queues wait for their wake tokens. Decisions must be applied in the order given."""
    state = snapshot.state
    queues = snapshot.queues
    for d in decisions:
        if isinstance(d, Admit):
            queues.consume(QueueKey.of(d.job), 1)
            state.allocate(d.job.program, d.placement)
        elif isinstance(d, Park):
            queues.park(d.key, d.reason, d.tokens, d.needs)
        elif isinstance(d, Reject):
            queues.consume(QueueKey.of(d.job), 1)
