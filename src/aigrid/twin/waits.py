"""Why jobs waited, and for how long: job-hours per pending reason, and each job's main reason.

A queue's jobs all wait for the same reason (the queue's), so the accounting follows queues,
not jobs: between two changes of a queue, `len(queue) x elapsed` job-seconds go to its reason.
For a job's own main reason, each queue keeps the segments of its history (from, to, reason)
that its waiting jobs still span; when a job leaves, its wait is split over them.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Final

from aigrid.model import Job
from aigrid.scheduler import Queue, QueueKey
from aigrid.scheduler.reasons import SLUGS
from aigrid.twin.engine import EventEngine

NOT_YET_CONSIDERED: Final = "not_yet_considered"
"""The reason of a queue the scheduler has not looked at yet (waits of zero length, normally)."""


def _slug(q: Queue) -> str:
    return SLUGS[q.reason.code] if q.reason is not None else NOT_YET_CONSIDERED


class WaitAccounting:
    def __init__(self, clock: EventEngine, measure_from_s: float) -> None:
        self._clock = clock
        """The engine whose `now` dates every change (an attribute read at each change, cheaper
        than calling a function for it)."""
        self.measure_from_s = measure_from_s
        self.job_seconds: defaultdict[str, float] = defaultdict(float)
        """Job-seconds of waiting per reason, within the measured window."""
        self.main_reason: dict[int, str] = {}
        """Job id -> the reason it waited under longest (only jobs that waited at all)."""
        self._since: dict[QueueKey, float] = {}
        self._segments: dict[QueueKey, list[tuple[float, float, str]]] = {}
        self._waited: dict[int, dict[str, float]] = {}

    def changing(self, q: Queue) -> None:
        now = self._clock.now
        since = self._since.get(q.key, now)
        if now > since and len(q):
            slug = _slug(q)
            counted_from = max(since, self.measure_from_s)
            if now > counted_from:
                self.job_seconds[slug] += len(q) * (now - counted_from)
            segs = self._segments.get(q.key)
            if segs is None:
                segs = self._segments[q.key] = []
            if segs and segs[-1][2] == slug and segs[-1][1] == since:
                segs[-1] = (segs[-1][0], now, slug)
            else:
                segs.append((since, now, slug))
        self._since[q.key] = now

    def leaving(self, q: Queue, job: Job) -> None:
        """`job` leaves `q` now (after `changing` closed the open segment)."""
        self._settle(q, job, self._clock.now)
        if len(q) <= 1:
            self._segments.pop(q.key, None)
            self._since.pop(q.key, None)
        else:
            self._prune(q)

    def _settle(self, q: Queue, job: Job, now: float) -> None:
        queued = job.queued_s if job.queued_s is not None else job.submit_s
        waited = self._waited.get(job.id, {})
        for start, end, slug in self._segments.get(q.key, ()):
            overlap = min(end, now) - max(start, queued)
            if overlap > 0:
                waited[slug] = waited.get(slug, 0.0) + overlap
        if waited:
            # Longest wait first; ties broken by name, so the answer is the same on every run.
            self.main_reason[job.id] = min(waited, key=lambda s: (-waited[s], s))
            if job.interruptions:
                self._waited[job.id] = waited  # a requeued job's waits add up

    def _prune(self, q: Queue) -> None:
        segs = self._segments.get(q.key)
        if segs is None or len(segs) < 64:
            return
        oldest = min(j.submit_s if j.queued_s is None else j.queued_s for j in q)
        self._segments[q.key] = [s for s in segs if s[1] > oldest]

    def finish(self, queues: dict[QueueKey, Queue]) -> None:
        """Close every queue's open interval now, and give still-waiting jobs their main reason."""
        now = self._clock.now
        for q in queues.values():
            self.changing(q)
            for job in q:
                self._settle(q, job, now)
