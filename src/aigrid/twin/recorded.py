"""The twin replaying a record instead of deciding: the live system's history as it happened.

A what-if compares a policy with what really happened. For the comparison to be fair, both sides
must be measured the same way: same fleet, same meters, same summary. So the history is not
summarised from the store directly; it is run through the twin's world with the scheduler taken
out. Each job starts when, and where, the record says it started, and runs as long as it ran.
Everything else — budgets held and settled, power and energy metered, waits and utilization
counted — is the world's own code, exactly as for a simulated policy.

Nobody decides in this world, so nobody gives reasons: recorded waits count under
`not_yet_considered`. A job whose recorded GPUs are still busy in the replay (a record that
does not add up, such as a job ended by hand in the store) starts as soon as they are free.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from aigrid.model import Job, JobState, Placement, Scenario
from aigrid.scheduler import Admit, Policy, PolicyName
from aigrid.twin.world import World

_PRIO_START = 2
"""After the endings and arrivals of the same instant, like the scheduling pass it replaces."""


@dataclass(frozen=True, slots=True)
class Recorded:
    """Where and when a job started in the live system, and what it was charged."""

    start_s: float
    placement: Placement
    price_krw_per_gpu_h: float
    hold_krw: float
    power_fraction: float = 1.0


RECORDED_POLICY = Policy(PolicyName.FIFO, backfill=False)
"""The policy a recorded world reports (its scheduler is never called)."""


class RecordedWorld(World):
    """A `World` whose jobs start as `records` say; jobs without a record never start."""

    def __init__(
        self,
        scenario: Scenario,
        jobs: Sequence[Job],
        records: Mapping[int, Recorded],
        horizon_s: float,
    ) -> None:
        super().__init__(scenario, jobs, RECORDED_POLICY, horizon_s)
        self.records = records
        self.START = self.engine.register(self._on_start)
        self._blocked: list[Job] = []
        self.late_starts = 0
        """Jobs that started later than recorded because their GPUs were still busy."""

    def start(self) -> None:
        super().start()
        for job in self.jobs:
            rec = self.records.get(job.id)
            if rec is not None and rec.start_s <= self.horizon_s:
                self.engine.schedule(max(rec.start_s, job.submit_s), self.START, job, _PRIO_START)

    def _request_pass(self) -> None:
        """Something was freed: jobs whose recorded GPUs were busy try again."""
        if self._blocked:
            blocked, self._blocked = self._blocked, []
            for job in blocked:
                self.engine.schedule(self.engine.now, self.START, job, _PRIO_START)

    def _on_start(self, t: float, job: Job) -> None:
        if job.state is not JobState.PENDING:
            return
        rec = self.records[job.id]
        placement = rec.placement
        cap = self.state.capacity[placement.pool]
        if any(
            cap.free[n] < g for n, g in zip(placement.nodes, placement.gpus_per_node, strict=True)
        ):
            self._blocked.append(job)
            return
        if t > rec.start_s:
            self.late_starts += 1
        self.queues.remove(job)
        self.state.allocate(
            job.program,
            placement,
            job_id=job.id,
            until=t + job.walltime_s,
            start=t,
            preemptible=job.preemptible,
            at=t,
            priority=job.priority_class,
        )
        # What was held in the live system, as far as the replayed budget still covers it.
        hold = min(rec.hold_krw, max(self.accounts.available_krw(job.program), 0.0))
        self.apply(
            t,
            [
                Admit(
                    job,
                    placement,
                    rec.price_krw_per_gpu_h,
                    hold,
                    borrowed=False,
                    power_fraction=rec.power_fraction,
                )
            ],
        )
