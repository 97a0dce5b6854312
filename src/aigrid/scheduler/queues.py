"""Pending jobs, grouped into queues keyed by everything that decides their answer.

All jobs in one queue ask for the same thing (program, GPU count or share of a GPU, CPU and
memory, GPU models, sovereignty, job class, the org whose grants pay, priority class, and a
walltime limit within the same power-of-two class), so if the head cannot start, the rest
cannot either — or, where the walltime matters (a budget hold, room before a backfill
reservation), only by a margin the class bounds: the queue is *parked* with the head's reason,
and its jobs are not looked at again until something that could change the answer happens.
Parking errs on the side of waiting: a job is never started where its head could not be.
What can change it is named by the wake tokens the scheduler gives with the park:

* `PoolNeed(i, gpus, nodes)`: GPUs freed in pool i; the need is what must be free for the head
  to fit (one node with `gpus` wholly free GPUs, or `nodes` whole free nodes), so a release
  wakes only the queues it could actually help. A head that waits for a share of a GPU, or
  for CPU or memory, needs neither (`PoolNeed(i, 0, 0)`): any release in the pool wakes it,
  since any release may free a share, CPU or memory on some node (no lost wake-ups).
* `("site", s)`: power freed at site s.
* `("quota", r)`: quota freed in the quota tree whose root is node r of
  `aigrid.scheduler.quota.QuotaTree` (a cohort, or a lone program).
* `("budget", p)`: money freed in program p.
* `("grant", "p/o")`: credit freed, or a grant opened, for org o under program p.

This is the queue manager shared by the twin and the live service; the scheduler only reads it.

Power and quota are freed at nearly every job's end, and the queues parked on them can number
hundreds late in a busy month, most of them needing more than one release frees. So those
parked on a site's power, or on quota with a need named, also wait in a heap by what they need
(`NeedHeap`): a release wakes the queues whose need it meets and looks at no others.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Protocol

from aigrid.model import Job, JobClass, PriorityClass
from aigrid.scheduler.reasons import Reason


class QueueKey:
    """What a queue's jobs all ask for (see the module's docstring): the key of their queue.

    A value, compared and ordered field by field, as a tuple of its fields would be. Its hash
    is worked out once: every waiting job's queue is found, parked and woken by its key in a
    dozen tables, and hashing eleven fields, one of them a tuple, each time was a twentieth of
    a national run."""

    __slots__ = (
        "_hash",
        "account",
        "cpu_milli",
        "gpu_models",
        "gpu_share_milli",
        "gpus",
        "job_class",
        "memory_mib",
        "priority_class",
        "program",
        "sovereign",
        "walltime_class",
    )

    def __init__(
        self,
        program: str,
        gpus: int,
        gpu_models: tuple[str, ...],
        sovereign: bool,
        walltime_class: int,
        job_class: JobClass,
        account: str = "",
        priority_class: PriorityClass = PriorityClass.NORMAL,
        gpu_share_milli: int = 0,
        cpu_milli: int = 0,
        memory_mib: int = 0,
    ) -> None:
        self.program = program
        self.gpus = gpus
        self.gpu_models = gpu_models
        self.sovereign = sovereign
        self.walltime_class = walltime_class
        """ceil(log2(walltime in minutes)): 0 for up to a minute, 1 for two, ... 14 for ~11
        days."""
        self.job_class = job_class
        """Policies treat classes differently (batch work may be deferred)."""
        self.account = account
        """The org whose grants pay (`Job.account`), or "" where the program pays directly."""
        self.priority_class = priority_class
        """Fair sharing serves higher classes first, so a queue holds one class."""
        self.gpu_share_milli = gpu_share_milli
        """The share of one GPU its jobs ask (`Job.gpu_share_milli`); 0 for whole GPUs."""
        self.cpu_milli = cpu_milli
        self.memory_mib = memory_mib
        self._hash = hash(self.astuple())

    @classmethod
    def of(cls, job: Job) -> QueueKey:
        minutes = max(job.walltime_s / 60.0, 1.0)
        # Named, not `cls(...)`: compiled, a direct call instead of a generic one.
        return QueueKey(
            job.program,
            job.gpus,
            job.gpu_models,
            job.sovereign,
            math.ceil(math.log2(minutes) - 1e-9),
            job.job_class,
            job.account or "",
            job.priority_class,
            job.gpu_share_milli,
            job.cpu_milli,
            job.memory_mib,
        )

    def astuple(
        self,
    ) -> tuple[str, int, tuple[str, ...], bool, int, JobClass, str, PriorityClass, int, int, int]:
        """The fields in order (what the live service writes as a job's queue key)."""
        return (
            self.program,
            self.gpus,
            self.gpu_models,
            self.sovereign,
            self.walltime_class,
            self.job_class,
            self.account,
            self.priority_class,
            self.gpu_share_milli,
            self.cpu_milli,
            self.memory_mib,
        )

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        if not isinstance(other, QueueKey):
            return False  # not NotImplemented: compiled, the result must be a bool
        return self._hash == other._hash and self.astuple() == other.astuple()

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    def __lt__(self, other: QueueKey) -> bool:
        return self.astuple() < other.astuple()

    def __le__(self, other: QueueKey) -> bool:
        return self.astuple() <= other.astuple()

    def __gt__(self, other: QueueKey) -> bool:
        return self.astuple() > other.astuple()

    def __ge__(self, other: QueueKey) -> bool:
        return self.astuple() >= other.astuple()

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in _KEY_FIELDS)
        return f"QueueKey({fields})"


_KEY_FIELDS = (
    "program",
    "gpus",
    "gpu_models",
    "sovereign",
    "walltime_class",
    "job_class",
    "account",
    "priority_class",
    "gpu_share_milli",
    "cpu_milli",
    "memory_mib",
)


@dataclass(frozen=True, slots=True, init=False)
class PoolNeed:
    """What a parked queue needs from one pool: one node with `gpus` wholly free GPUs, or
    `nodes` whole free nodes (at most one of the two is non-zero); both 0 for a head that waits
    for a share of a GPU, or CPU or memory, which any release in the pool may free."""

    pool: int
    gpus: int
    nodes: int

    def __init__(self, pool: int, gpus: int, nodes: int) -> None:
        # Written out, as `Placement`'s is: the scheduler builds one for every pool a waiting
        # job could not fit in.
        object.__setattr__(self, "pool", pool)
        object.__setattr__(self, "gpus", gpus)
        object.__setattr__(self, "nodes", nodes)


WakeToken = tuple[str, str | int]


class Queue:
    """The pending jobs of one key, in submission order."""

    __slots__ = (
        "_head",
        "jobs",
        "key",
        "needs",
        "park_seq",
        "power_needs",
        "quota_needs",
        "reason",
        "tokens",
    )

    def __init__(self, key: QueueKey) -> None:
        self.key = key
        self.jobs: list[Job] = []
        self._head = 0
        self.reason: Reason | None = None
        self.park_seq = 0
        """Which park of the QueueSet's parked it last (they are numbered): an entry of a
        `NeedHeap` counts only while the queue is still parked by the park that made it."""
        self.tokens: tuple[WakeToken, ...] = ()
        self.needs: tuple[PoolNeed, ...] = ()
        self.power_needs: dict[int, float] = {}
        self.quota_needs: dict[tuple[str, str], int] = {}

    def __len__(self) -> int:
        return len(self.jobs) - self._head

    def __iter__(self) -> Iterator[Job]:
        return iter(self.jobs[self._head :])

    def at(self, i: int) -> Job:
        return self.jobs[self._head + i]

    def drop_front(self, n: int) -> None:
        self._head += n
        if self._head > 64 and self._head * 2 > len(self.jobs):
            del self.jobs[: self._head]
            self._head = 0

    @property
    def parked(self) -> bool:
        return self.reason is not None


class NeedHeap:
    """Parked queues by what they need (MW of power headroom, or GPUs of quota), least
    first. Entries are not removed when their queue stops waiting: each names the park that
    made it (`Queue.park_seq`), and one whose queue has since left that park is dropped when it
    comes to the top, or when the heap is rebuilt without the stale ones as it outgrows them."""

    __slots__ = ("_limit", "entries")

    def __init__(self) -> None:
        self.entries: list[NeedEntry] = []
        self._limit = 64

    def push(self, need: float, q: Queue) -> None:
        entries = self.entries
        heapq.heappush(entries, NeedEntry(need, q.park_seq, q))
        if len(entries) > self._limit:
            entries = [e for e in entries if e.still_parked()]
            heapq.heapify(entries)
            self.entries = entries
            self._limit = 2 * len(entries) + 64

    def pop_met(self, have: float, into: dict[QueueKey, None]) -> None:
        """Take out every entry whose need `have` meets; add the keys of those still parked
        by the park that made them to `into`."""
        entries = self.entries
        while entries and entries[0].need <= have:
            entry = heapq.heappop(entries)
            if entry.still_parked():
                into[entry.queue.key] = None


class NeedEntry:
    """A queue in a `NeedHeap`: what it needs, and the park that put it there. Ordered by
    (need, park): an object that orders itself, not a tuple, which heapq compares (compiled)
    in a third of the time."""

    __slots__ = ("need", "park_seq", "queue")

    def __init__(self, need: float, park_seq: int, queue: Queue) -> None:
        self.need = need
        self.park_seq = park_seq
        self.queue = queue

    def __lt__(self, other: NeedEntry) -> bool:
        if self.need != other.need:
            return self.need < other.need
        return self.park_seq < other.park_seq

    def still_parked(self) -> bool:
        """Whether the queue still waits by the park that made this entry (a queue that left
        the set was unparked as it left, so it does not)."""
        q = self.queue
        return q.reason is not None and q.park_seq == self.park_seq


class QueueObserver(Protocol):
    """Told of every change to a queue, before it happens, so that its owner can account for
    how long jobs waited and why (the queue's reason is the one in force until the change)."""

    def changing(self, q: Queue) -> None: ...

    def leaving(self, q: Queue, job: Job) -> None: ...


class QueueSet:
    """All pending jobs: active queues (to be looked at in the next pass) and parked ones."""

    def __init__(self) -> None:
        self.observer: QueueObserver | None = None
        self.queues: dict[QueueKey, Queue] = {}
        self.active: dict[QueueKey, Queue] = {}
        self._by_token: dict[WakeToken, set[QueueKey]] = {}
        # pool -> (by free-GPUs-needed on one node, by whole-nodes-needed) -> keys
        self._slot_need: dict[int, dict[int, set[QueueKey]]] = {}
        self._node_need: dict[int, dict[int, set[QueueKey]]] = {}
        self._key_of: dict[int, QueueKey] = {}
        """Job id -> the key of the queue it waits in (a key is dearer to build than to look
        up, and every job that leaves needs its own)."""
        self._parks = 0
        self._site_needs: dict[int, NeedHeap] = {}
        """Site -> the queues parked on its power, by the MW of headroom they need."""
        self._quota_needs: dict[tuple[int, str], dict[str, NeedHeap]] = {}
        """(quota tree, quota key) -> program -> its queues parked on quota of that key in
        that tree, by the GPUs of it they need."""
        self._quota_any: dict[int, set[QueueKey]] = {}
        """Quota tree -> the queues parked on its quota that named no need (any release in
        the tree may help them)."""
        self.pending = 0

    def __len__(self) -> int:
        return self.pending

    def push(self, job: Job) -> QueueKey:
        """Put `job` at the back of its queue; returns the queue's key."""
        key = self._key_of[job.id] = QueueKey.of(job)
        q = self.queues.get(key)
        if q is None:
            q = self.queues[key] = Queue(key)
            self.active[key] = q
        if self.observer is not None:
            self.observer.changing(q)
        q.jobs.append(job)
        self.pending += 1
        if q.reason is not None:
            job.pending_reason = q.reason.message
        return key

    def key_of(self, job: Job) -> QueueKey:
        """The key of the queue `job` waits in (it must be waiting)."""
        return self._key_of[job.id]

    def jobs(self) -> Iterable[Job]:
        for q in self.queues.values():
            yield from q

    # -- what the applier does with the scheduler's answers ----------------------------------

    def consume(self, key: QueueKey, n: int) -> None:
        """The first `n` jobs of a queue left it (admitted or rejected)."""
        q = self.queues[key]
        if self.observer is not None:
            self.observer.changing(q)
            for i in range(n):
                self.observer.leaving(q, q.at(i))
        for i in range(n):
            del self._key_of[q.at(i).id]
        q.drop_front(n)
        self.pending -= n
        if not len(q):
            self._unpark(q)
            del self.queues[key]
            self.active.pop(key, None)

    def remove(self, job: Job) -> None:
        """Take one job out wherever it sits (a cancel, or a start that no scheduler chose)."""
        key = self._key_of.pop(job.id)
        q = self.queues[key]
        idx = q.jobs.index(job, q._head)
        if self.observer is not None:
            self.observer.changing(q)
            self.observer.leaving(q, job)
        del q.jobs[idx]
        self.pending -= 1
        if not len(q):
            self._unpark(q)
            del self.queues[key]
            self.active.pop(key, None)
        elif idx == q._head:
            # A new head may have a different answer (it cannot, same key; but keep it honest).
            self._activate(q)

    def park(
        self,
        key: QueueKey,
        reason: Reason,
        tokens: Iterable[WakeToken],
        needs: Iterable[PoolNeed] = (),
        power_needs: Mapping[int, float] | None = None,
        quota_needs: Mapping[tuple[str, str], int] | None = None,
    ) -> None:
        """Park the queue `key` with `reason` until a token fires. `power_needs` (site -> MW)
        lets a release at a site wake it only once the site has that much headroom;
        `quota_needs` ((program, quota key) -> GPUs) does the same for quota."""
        q = self.queues[key]
        if self.observer is not None:
            self.observer.changing(q)
        self._unpark(q)
        self.active.pop(key, None)
        q.reason = reason
        q.power_needs = dict(power_needs) if power_needs else {}
        q.quota_needs = dict(quota_needs) if quota_needs else {}
        q.tokens = tuple(dict.fromkeys(tokens))  # once each: pools at one site name it alike
        q.needs = tuple(needs)
        self._parks += 1
        q.park_seq = self._parks
        by_token = self._by_token
        for t in q.tokens:
            # Not setdefault(t, set()), which would build a set each time to throw it away.
            keys = by_token.get(t)
            if keys is None:
                keys = by_token[t] = set()
            keys.add(key)
            kind, where = t
            if kind == "site":
                assert isinstance(where, int)
                heap = self._site_needs.get(where)
                if heap is None:
                    heap = self._site_needs[where] = NeedHeap()
                heap.push(q.power_needs.get(where, 0.0), q)
            elif kind == "quota":
                assert isinstance(where, int)
                self._index_quota_need(q, where)
        for need in q.needs:
            table = self._node_need if need.nodes else self._slot_need
            by_size = table.get(need.pool)
            if by_size is None:
                by_size = table[need.pool] = {}
            size = need.nodes or need.gpus
            keys = by_size.get(size)
            if keys is None:
                keys = by_size[size] = set()
            keys.add(key)
        message = reason.message
        jobs = q.jobs
        for i in range(q._head, len(jobs)):  # not `for job in q`, which copies the list
            jobs[i].pending_reason = message

    def _index_quota_need(self, q: Queue, tree: int) -> None:
        if not q.quota_needs:
            parked = self._quota_any.get(tree)
            if parked is None:
                parked = self._quota_any[tree] = set()
            parked.add(q.key)
            return
        program = q.key.program
        for (who, key), need in q.quota_needs.items():
            if who != program:
                continue  # a cohort's need: only the program's own is waited on
            by_program = self._quota_needs.get((tree, key))
            if by_program is None:
                by_program = self._quota_needs[(tree, key)] = {}
            heap = by_program.get(program)
            if heap is None:
                heap = by_program[program] = NeedHeap()
            heap.push(need, q)

    # -- events that may change answers -------------------------------------------------------

    def wake(self, token: WakeToken) -> int:
        """Activate every queue parked on `token`. Returns how many were woken."""
        keys = self._by_token.get(token)
        if not keys:
            return 0
        woken = list(keys)
        for key in woken:
            self._activate(self.queues[key])
        return len(woken)

    def wake_quota(self, tree: int, key: str, available: Callable[[str], float]) -> int:
        """Quota of `key` was freed in the quota tree rooted at `tree`: activate the queues
        parked on it whose program now has the quota of `key` it needs (`available(program)`),
        or that said no need for a key. Returns how many were woken."""
        queues = self.queues
        woken: dict[QueueKey, None] = {}
        avail: dict[str, float] = {}
        for k in self._quota_any.get(tree, ()):
            have = avail.get(k.program)
            if have is None:
                have = avail[k.program] = available(k.program)
            if have >= 0:
                woken[k] = None
        by_program = self._quota_needs.get((tree, key))
        if by_program:
            for program, heap in by_program.items():
                if heap.entries:
                    have = avail.get(program)
                    if have is None:
                        have = avail[program] = available(program)
                    heap.pop_met(have, woken)
        for k in woken:
            self._activate(queues[k])
        return len(woken)

    def wake_site(self, site: int, headroom_mw: float) -> int:
        """Power was freed at `site`: activate the queues parked on it whose need there (if
        they gave one) the headroom now covers. Returns how many were woken."""
        heap = self._site_needs.get(site)
        if heap is None or not heap.entries:
            return 0
        queues = self.queues
        woken: dict[QueueKey, None] = {}
        heap.pop_met(headroom_mw + 1e-12, woken)
        for key in woken:
            self._activate(queues[key])
        return len(woken)

    def wake_all(self) -> int:
        """Activate every parked queue (after a change no token describes, or to check that no
        parked queue could start). Returns how many were woken."""
        parked = [q for q in self.queues.values() if q.reason is not None]
        for q in parked:
            self._activate(q)
        return len(parked)

    def wake_pool(self, pool: int, largest_free: int, free_nodes: int) -> int:
        """GPUs were freed in `pool`: activate the queues whose need there is now met."""
        woken: list[QueueKey] = []
        slots = self._slot_need.get(pool)
        if slots:
            for gpus, keys in slots.items():
                if gpus <= largest_free and keys:
                    woken.extend(keys)
        nodes = self._node_need.get(pool)
        if nodes:
            for n, keys in nodes.items():
                if n <= free_nodes and keys:
                    woken.extend(keys)
        for key in woken:
            q = self.queues.get(key)
            if q is not None and q.reason is not None:
                self._activate(q)
        return len(woken)

    def _activate(self, q: Queue) -> None:
        if self.observer is not None and q.reason is not None:
            self.observer.changing(q)
        self._unpark(q)
        self.active[q.key] = q

    def _unpark(self, q: Queue) -> None:
        if q.reason is None:
            return
        for t in q.tokens:
            keys = self._by_token.get(t)
            if keys is not None:
                keys.discard(q.key)
            if t[0] == "quota" and isinstance(t[1], int):
                parked = self._quota_any.get(t[1])
                if parked is not None:
                    parked.discard(q.key)
        for need in q.needs:
            table = self._node_need if need.nodes else self._slot_need
            keys = table[need.pool].get(need.nodes or need.gpus)
            if keys is not None:
                keys.discard(q.key)
        q.reason = None
        q.tokens = ()
        q.needs = ()
        q.power_needs = {}
        q.quota_needs = {}
