"""Preemption: which running jobs to stop so that a waiting job can start.

Two causes:

* `reclaim`: a job within its program's nominal quota waits because its cohort lent that quota
  out; borrowers of other programs of the cohort are stopped, only while their program still
  borrows the GPU model.
* `priority`: a job waits for its program's quota (or its cohort's); running jobs of its own
  program in a lower priority class are stopped.

Either way a candidate is preemptible, has run at least `Policy.min_runtime_s` and is not
already being stopped (in its grace period, or chosen earlier in the cycle); candidates are
taken in the order of `victim_key`, and only all together: if they cannot free enough, nobody
is preempted. A preempted job gets `Policy.grace_s` to save its progress before it stops.
"""

from __future__ import annotations

from collections.abc import Callable

from aigrid.model import Job
from aigrid.scheduler.decisions import Preempt
from aigrid.scheduler.placement import Refusal
from aigrid.scheduler.policy import Policy
from aigrid.scheduler.state import ClusterState, RunningJob


def victim_key(r: RunningJob) -> tuple[int, float, int, int]:
    """The order candidates are preempted in: the lowest priority class first, then the most
    recently started (the least work lost), then the larger, then by id."""
    return (r.priority.priority, -r.start_s, -r.gpus, r.job_id)


class Preemptor:
    """Chooses the jobs to preempt during one cycle, at `now` under `policy`.

    It remembers the jobs being stopped — in their grace period (`ClusterState.stopping`) or
    preempted earlier in this cycle: they are not candidates again, and their GPUs count as
    freed."""

    def __init__(self, state: ClusterState, now: float, policy: Policy) -> None:
        self.state = state
        self.now = now
        self.policy = policy
        self.ids: list[int] = [j for j in state.stopping if j in state.running_jobs]

    def reclaim(self, job: Job, refusal: Refusal) -> list[Preempt]:
        """Preempt borrowers so that `job`'s cohort can give its program the quota it lent,
        for the first GPU model where enough can be freed (see the module)."""
        state = self.state
        programs = state.tenancy.programs
        cohort = programs[job.program].cohort
        if cohort is None:
            return []

        def in_cohort(r: RunningJob) -> bool:
            return programs[r.program].cohort == cohort

        for model, alloc in refusal.reclaim:
            need = (
                state.cohort_usage[cohort].get(model, 0)
                - self._freed(model, in_cohort)
                + alloc
                - state.cohort_quota[cohort].get(model, 0)
            )
            if need <= 0:
                return []  # room is already being made; wait for it
            candidates = self._candidates(
                model, lambda r: r.program != job.program and in_cohort(r)
            )
            borrowed = {
                p: state.usage[p].get(model, 0) - state.quota[p].get(model, 0)
                for p in {r.program for r in candidates}
            }
            for r in self._running():
                if r.program in borrowed and state.pool_model[r.pool] == model:
                    borrowed[r.program] -= r.gpus
            victims: list[int] = []
            freed = 0
            for r in candidates:
                if freed >= need:
                    break
                if borrowed[r.program] <= 0:
                    continue  # its program no longer borrows: it keeps its own quota
                borrowed[r.program] -= r.gpus
                victims.append(r.job_id)
                freed += r.gpus
            if freed >= need:
                return self._preempt(victims, job, "reclaim")
        return []

    def lower(self, job: Job, refusal: Refusal) -> list[Preempt]:
        """Preempt jobs of `job`'s own program in lower priority classes so that it fits its
        program's (or its cohort's) quota, for the first GPU model where enough can be freed
        (see the module)."""
        state = self.state
        programs = state.tenancy.programs
        program = programs[job.program]
        rank = job.priority_class.priority
        for (scope, model), alloc in sorted(refusal.quota_needs.items()):
            if scope == job.program:
                over = (
                    state.usage[scope].get(model, 0)
                    + alloc
                    - state.quota[scope].get(model, 0)
                    - self._freed(model, lambda r: r.program == job.program)
                )
            elif scope == program.cohort:
                over = (
                    state.cohort_usage[scope].get(model, 0)
                    + alloc
                    - state.cohort_quota[scope].get(model, 0)
                    - self._freed(model, lambda r: programs[r.program].cohort == program.cohort)
                )
            else:
                continue
            if over <= 0:
                return []  # room is already being made; wait for it
            victims: list[int] = []
            freed = 0
            for r in self._candidates(
                model, lambda r: r.program == job.program and r.priority.priority < rank
            ):
                if freed >= over:
                    break
                victims.append(r.job_id)
                freed += r.gpus
            if freed >= over:
                return self._preempt(victims, job, "priority")
        return []

    def _running(self) -> list[RunningJob]:
        return [self.state.running_jobs[j] for j in self.ids]

    def _freed(self, model: str, where: Callable[[RunningJob], bool]) -> int:
        """GPUs of `model` being freed by the jobs `where` holds for."""
        pool_model = self.state.pool_model
        return sum(r.gpus for r in self._running() if pool_model[r.pool] == model and where(r))

    def _candidates(self, model: str, where: Callable[[RunningJob], bool]) -> list[RunningJob]:
        """Running jobs of `model` that may be preempted and `where` holds for, in the order of
        `victim_key`."""
        state = self.state
        taken = set(self.ids)
        return sorted(
            (
                r
                for r in state.running_jobs.values()
                if r.job_id not in taken
                and r.preemptible
                and self.now - r.start_s >= self.policy.min_runtime_s
                and state.pool_model[r.pool] == model
                and where(r)
            ),
            key=victim_key,
        )

    def _preempt(self, victims: list[int], job: Job, cause: str) -> list[Preempt]:
        self.ids.extend(victims)
        return [Preempt(v, job, cause, job.submit_s, self.policy.grace_s) for v in victims]
