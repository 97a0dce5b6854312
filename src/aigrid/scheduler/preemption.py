"""Preemption: which running jobs to stop so that a waiting job can start.

Three causes, each for a job that waits for quota of one key (`aigrid.scheduler.quota`):

* `reclaim`: the job is within its program's own quota, but its quota tree lent that quota
  out; jobs of other programs of the tree that borrow the key are stopped, each only while
  its program still borrows it.
* `priority`: running jobs of the job's own program in a lower priority class are stopped.
* `fairshare`: the job would borrow; jobs of other programs of the tree that borrow the key
  are stopped, taken from the program with the largest weighted share first, each only if the
  waiting job's program would, with the job started, hold no larger share than the victim's
  program has once the victim stops (`share`; Kueue's "less than or equal to final share").
  That rules out loops: for the victim's program to take the GPUs back it would need
  share_victim_after + r <= share_preemptor_after - j, with r and j the positive shares of the
  two jobs, while share_preemptor_after <= share_victim_after. A program with no nominal quota
  (an infinite share) never preempts this way.

Either way a candidate is preemptible, has run at least `Policy.min_runtime_s`, is not
already being stopped (in its grace period, or chosen earlier in the cycle) and is not a job
that once preempted the waiting one (`Job.preempted_by`): two jobs never take the same GPUs
back and forth, even where the quota that changed hands since would allow it (a lender's job
that reclaimed from a borrower may later be all its program has left to give back; the live
loop remembers this until it restarts); candidates are
taken in the order of `victim_key`, and only all together: the preemption is tried on the quota
tree, victim by victim, until the job's program has the quota it needs; if all of them cannot
free enough, nobody is preempted. A preempted job gets `Policy.grace_s` to save its progress
before it stops. GPUs of jobs being stopped count as freed: while they free enough, nobody more
is preempted.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from aigrid.model import Job
from aigrid.scheduler.decisions import Preempt
from aigrid.scheduler.placement import Refusal
from aigrid.scheduler.policy import Policy, weighted_dominant
from aigrid.scheduler.state import ClusterState, RunningJob


def victim_key(r: RunningJob) -> tuple[int, float, int, int]:
    """The order candidates are preempted in: the lowest priority class first, then the most
    recently started (the least work lost), then the larger, then by id."""
    return (r.priority.priority, -r.start_s, -r.gpus, r.job_id)


def share(state: ClusterState, program: str, extra: Mapping[str, int] | None = None) -> float:
    """The program's weighted dominant share now: over the keys it has nominal quota of, the
    largest of GPUs held (plus `extra`) / (weight x nominal quota); infinite with no nominal
    quota. Fair-share preemption compares this, not the decayed share the order uses, so
    that whether a job may preempt depends on what runs now only."""
    p = state.tenancy.programs[program]
    held: Mapping[str, int] = state.usage[program]
    if extra:
        held = {k: held.get(k, 0) + extra.get(k, 0) for k in held.keys() | extra.keys()}
    return weighted_dominant(p.quota, held, {}, p.weight)


_Room = list[int] | None
"""Victims that make room (empty: room is already being made, so wait), or None: no set of
candidates makes enough."""


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
        """Preempt borrowers so that `job`'s quota tree gives its program the quota it lent,
        for the first key where enough can be freed (see the module)."""
        tree = self.state.tree
        root = tree.root(job.program)
        for key, alloc in refusal.reclaim:

            def other(r: RunningJob) -> bool:
                return r.program != job.program and tree.root(r.program) == root

            def borrows(r: RunningJob, key: str = key) -> bool:
                return tree.borrows(r.program, key)

            room = self._room(job, key, alloc, other, borrows)
            if room is not None:
                return self._preempt(room, job, "reclaim")
        return []

    def lower(self, job: Job, refusal: Refusal) -> list[Preempt]:
        """Preempt jobs of `job`'s own program in lower priority classes so that it fits its
        quota, for the first key where enough can be freed (see the module)."""
        rank = job.priority_class.priority
        for (_program, key), alloc in sorted(refusal.quota_needs.items()):
            room = self._room(
                job,
                key,
                alloc,
                lambda r: r.program == job.program and r.priority.priority < rank,
                lambda _r: True,
            )
            if room is not None:
                return self._preempt(room, job, "priority")
        return []

    def fair(self, job: Job, refusal: Refusal) -> list[Preempt]:
        """Preempt borrowers of other programs with larger shares so that `job`, which would
        borrow, fits, for the first key where enough can be freed (see the module)."""
        state = self.state
        tree = state.tree
        root = tree.root(job.program)
        for (_program, key), alloc in sorted(refusal.quota_needs.items()):
            if key in (k for k, _ in refusal.reclaim):
                continue  # within its own quota there: reclaim's case

            def other(r: RunningJob) -> bool:
                return r.program != job.program and tree.root(r.program) == root

            def fairer(r: RunningJob, key: str = key, alloc: int = alloc) -> bool:
                if not tree.borrows(r.program, key):
                    return False
                mine = share(state, job.program, {key: alloc})
                return mine != float("inf") and mine <= share(state, r.program, {key: -r.gpus})

            room = self._room(job, key, alloc, other, fairer, by_share=True)
            if room is not None:
                return self._preempt(room, job, "fairshare")
        return []

    def _room(
        self,
        job: Job,
        key: str,
        alloc: int,
        where: Callable[[RunningJob], bool],
        still: Callable[[RunningJob], bool],
        *,
        by_share: bool = False,
    ) -> _Room:
        """Try the preemption on the quota tree: take out the jobs being stopped, then the
        candidates `where` holds for, in order, each if `still` holds for it at that point,
        until `job`'s program has `alloc` GPUs of `key` available. The tree is left as it was.
        `by_share`: take the next candidate from the program with the largest share."""
        state = self.state
        tree = state.tree
        pool_key = state.pool_key
        undo: list[RunningJob] = []

        def drop(r: RunningJob) -> None:
            tree.charge(r.program, key, -r.gpus)
            undo.append(r)

        try:
            for r in self._running():
                if pool_key[r.pool] == key:
                    drop(r)
            if tree.available(job.program, key) >= alloc:
                return []  # room is already being made; wait for it
            candidates = [
                r for r in self._candidates(key, where) if r.job_id not in job.preempted_by
            ]
            victims: list[int] = []
            while candidates:
                if by_share:
                    # Sorted first, so that a tie goes to the same program in every process.
                    programs = sorted({r.program for r in candidates})
                    top = max(programs, key=lambda p: share(state, p))
                    r = next(r for r in candidates if r.program == top)
                else:
                    r = candidates[0]
                candidates.remove(r)
                if not still(r):
                    continue
                drop(r)
                victims.append(r.job_id)
                if tree.available(job.program, key) >= alloc:
                    return victims
            return None
        finally:
            for r in reversed(undo):
                tree.charge(r.program, key, r.gpus)

    def _running(self) -> list[RunningJob]:
        return [self.state.running_jobs[j] for j in self.ids]

    def _candidates(self, key: str, where: Callable[[RunningJob], bool]) -> list[RunningJob]:
        """Running jobs of quota `key` that may be preempted and `where` holds for, in the
        order of `victim_key`."""
        state = self.state
        taken = set(self.ids)
        return sorted(
            (
                r
                for r in state.running_jobs.values()
                if r.job_id not in taken
                and r.preemptible
                and self.now - r.start_s >= self.policy.min_runtime_s
                and state.pool_key[r.pool] == key
                and where(r)
            ),
            key=victim_key,
        )

    def _preempt(self, victims: list[int], job: Job, cause: str) -> list[Preempt]:
        self.ids.extend(victims)
        return [Preempt(v, job, cause, job.submit_s, self.policy.grace_s) for v in victims]
