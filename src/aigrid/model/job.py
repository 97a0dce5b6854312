"""Jobs and their state machine.

A job is a gang: all of its GPUs start together or none do. Its state moves only along the edges
of `TRANSITIONS`; anything else is a bug in whoever asked, and raises `InvalidTransitionError`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final

from aigrid.errors import InvalidTransitionError
from aigrid.model.fleet import NodeRef
from aigrid.model.tenancy import TenantClass


class JobClass(StrEnum):
    TRAINING = "training"
    INFERENCE = "inference"
    BATCH = "batch"
    INTERACTIVE = "interactive"


class PriorityClass(StrEnum):
    """How urgent a job is, as its program's users say: higher classes are served first
    (under fair sharing; see `aigrid.scheduler.policy`)."""

    HIGH = "high"
    NORMAL = "normal"
    LOW = "low"

    @property
    def priority(self) -> int:
        """The class as a number: higher goes first."""
        return _PRIORITY[self]


_PRIORITY: Final = {PriorityClass.HIGH: 2, PriorityClass.NORMAL: 1, PriorityClass.LOW: 0}

GPU_MILLI: Final = 1000
"""Milli-GPUs in one GPU. Shares of a GPU are counted in whole milli-GPUs, so that any number of
them adds up exactly (no float drift), as the openb trace and Kubernetes GPU sharing count them."""


class JobState(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    COMPLETED = "completed"
    TIMED_OUT = "timed_out"
    FAILED = "failed"
    CANCELLED = "cancelled"
    REJECTED = "rejected"

    @property
    def terminal(self) -> bool:
        return self in _TERMINAL


_TERMINAL = frozenset(
    {JobState.COMPLETED, JobState.TIMED_OUT, JobState.FAILED, JobState.CANCELLED, JobState.REJECTED}
)

TRANSITIONS: dict[JobState, frozenset[JobState]] = {
    JobState.PENDING: frozenset({JobState.RUNNING, JobState.CANCELLED, JobState.REJECTED}),
    # RUNNING -> PENDING is a requeue: preemption or a node failure puts the job back in line.
    JobState.RUNNING: frozenset(
        {
            JobState.COMPLETED,
            JobState.TIMED_OUT,
            JobState.FAILED,
            JobState.CANCELLED,
            JobState.PENDING,
        }
    ),
    **{s: frozenset() for s in _TERMINAL},
}


@dataclass(frozen=True, slots=True, init=False)
class Placement:
    """Where a job runs: one pool, and for each node used, how many of its GPUs.

    A job that asks a share of one GPU (`Job.gpu_share_milli`) holds `gpus_per_node == (1,)`
    and says which GPU of its node it shares (`shared_gpu`) and how much of it. `cpu_milli` and
    `memory_mib` are what the job took of each of its nodes: 0 where the pool does not track
    them, so that giving the placement back returns exactly what was taken."""

    pool: int
    nodes: tuple[int, ...]
    gpus_per_node: tuple[int, ...]
    gpu_share_milli: int = 0
    """The share of one GPU held, in milli-GPUs (1..999); 0 for whole GPUs."""
    shared_gpu: int = -1
    """Which GPU of the node the share is on (its index in the node); -1 for whole GPUs."""
    cpu_milli: int = 0
    memory_mib: int = 0
    gpus: int = field(init=False, repr=False, compare=False)
    """Whole GPUs held, a shared GPU counting as one: what quota is charged (the conservative
    rule: a share is charged the GPU it lands on). The sum of `gpus_per_node`, kept."""

    def __init__(
        self,
        pool: int,
        nodes: tuple[int, ...],
        gpus_per_node: tuple[int, ...],
        gpu_share_milli: int = 0,
        shared_gpu: int = -1,
        cpu_milli: int = 0,
        memory_mib: int = 0,
    ) -> None:
        # Written out, not the dataclass's: compiled (`aigrid.compiled`), this builds the
        # record in a tenth of the time, and the twin builds one for every job it starts.
        object.__setattr__(self, "pool", pool)
        object.__setattr__(self, "nodes", nodes)
        object.__setattr__(self, "gpus_per_node", gpus_per_node)
        object.__setattr__(self, "gpu_share_milli", gpu_share_milli)
        object.__setattr__(self, "shared_gpu", shared_gpu)
        object.__setattr__(self, "cpu_milli", cpu_milli)
        object.__setattr__(self, "memory_mib", memory_mib)
        object.__setattr__(self, "gpus", sum(gpus_per_node))

    @property
    def gpu_amount(self) -> float:
        """GPUs used, a share counting as its fraction: what price and energy meter."""
        if self.gpu_share_milli:
            return self.gpu_share_milli / GPU_MILLI
        return float(self.gpus)

    def node_refs(self) -> tuple[NodeRef, ...]:
        return tuple(NodeRef(self.pool, n) for n in self.nodes)


@dataclass(slots=True, eq=False)
class Job:
    """A request for a gang of GPUs, and what became of it.

    `runtime_s` is how long the job truly runs; the twin knows it, the live system does not (it is
    `None` there). `walltime_s` is what the user asked for, and the job is ended when it runs out.
    `gpu_models` empty means any model the program may use.

    A job asks whole GPUs (`gpus`), or, with `gpu_share_milli` in 1..999 and `gpus == 1`, that
    share of one GPU, which it may share with other jobs. `cpu_milli` and `memory_mib` are what
    it asks of each node it runs on (as Slurm's `--mem` is per node); 0 asks nothing, and pools
    that track no CPU or memory ignore them.
    """

    id: int
    org: str
    program: str
    tenant_class: TenantClass
    job_class: JobClass
    gpus: int
    walltime_s: float
    submit_s: float
    runtime_s: float | None = None
    gpu_models: tuple[str, ...] = ()
    sovereign: bool = False
    preemptible: bool = False
    checkpoint_interval_s: float | None = None
    """How often the job saves its progress; None if it cannot resume (restarts from scratch)."""
    priority_class: PriorityClass = PriorityClass.NORMAL
    account: str | None = None
    """The org whose grants under `program` pay for the job; None when the program's budget
    pays directly. Jobs are queued per account, so one org's empty grant holds up no other."""
    gpu_share_milli: int = 0
    """A share of one GPU in milli-GPUs (1..999, with `gpus == 1`); 0 asks whole GPUs."""
    cpu_milli: int = 0
    """CPU asked on each node, in milli-cores (0: none)."""
    memory_mib: int = 0
    """Memory asked on each node, in MiB (0: none)."""
    state: JobState = JobState.PENDING
    start_s: float | None = None
    end_s: float | None = None
    placement: Placement | None = None
    first_start_s: float | None = None
    pending_reason: str | None = None
    queued_s: float | None = None
    """When the job last joined a queue: its submission, or its requeue after an interruption."""
    done_s: float = 0.0
    """Runtime saved by checkpoints before the current attempt."""
    lost_s: float = 0.0
    """Seconds of work thrown away by interruptions (since the last checkpoint, and restarts)."""
    restart_overhead_s: float = 0.0
    """Time the current (or next) attempt spends restarting before it makes progress."""
    speed: float = 1.0
    """Relative speed of the current attempt (below 1 when its GPUs are power-capped)."""
    power_fraction: float = 1.0
    """Fraction of full board power the current attempt's GPUs are held to."""
    rate: float = 1.0
    """Work done per second on the current attempt's GPU model, in seconds of `runtime_s`
    (the model's relative speed for the job's class; 1.0 without a throughput table)."""
    attempt: int = 0
    interruptions: int = 0
    preemptions: int = 0
    preempted: tuple[int, str, float] | None = None
    """The last preemption's cause: (the job it made room for, why, since when that job
    waited)."""
    preempted_by: frozenset[int] = frozenset()
    """Every job it was preempted to make room for: it never preempts one of them back."""

    def mark_preempted(self, by: int, cause: str, since: float) -> None:
        """Note that the job is preempted to make room for job `by`, for `cause`."""
        self.preemptions += 1
        self.preempted = (by, cause, since)
        self.preempted_by = self.preempted_by | {by}

    def __post_init__(self) -> None:
        if self.gpu_share_milli or self.cpu_milli or self.memory_mib:
            check_request(self.gpus, self.gpu_share_milli, self.cpu_milli, self.memory_mib)

    @property
    def gpu_amount(self) -> float:
        """GPUs asked, a share counting as its fraction."""
        if self.gpu_share_milli:
            return self.gpu_share_milli / GPU_MILLI
        return float(self.gpus)

    def transition(self, to: JobState, at: float) -> None:
        """Move to `to` at time `at`, or raise `InvalidTransitionError`."""
        if to not in TRANSITIONS[self.state]:
            raise InvalidTransitionError(self.id, self.state, to)
        self.state = to
        if to is JobState.RUNNING:
            self.start_s = at
            if self.first_start_s is None:
                self.first_start_s = at
            self.pending_reason = None
        elif to is JobState.PENDING:
            self.placement = None
        elif to.terminal:
            self.end_s = at

    @property
    def remaining_s(self) -> float | None:
        """How long the next (or current) attempt runs to finish, restart included; None when the
        true runtime is unknown (live)."""
        if self.runtime_s is None:
            return None
        return self.runtime_s - self.done_s + self.restart_overhead_s

    def interrupt(
        self, at: float, *, restart_overhead_s: float = 0.0, saved_at: float | None = None
    ) -> float:
        """Stop the running job at `at` (its node failed, or it was preempted) and put it back
        to pending. Progress up to its last checkpoint is kept; the rest is lost, and the next
        attempt first spends `restart_overhead_s` restarting. Returns the seconds lost.

        `saved_at`: the job was told at that time that it would be stopped, and had until `at`
        (a grace period) to save its progress: a job that can checkpoint keeps all it had done
        by then."""
        if self.state is not JobState.RUNNING or self.start_s is None:
            raise InvalidTransitionError(self.id, self.state, JobState.PENDING)
        elapsed = max(at - self.start_s, 0.0)
        useful = max(elapsed - self.restart_overhead_s, 0.0) * self.speed * self.rate
        saved = 0.0
        interval = self.checkpoint_interval_s
        if self.job_class is JobClass.INFERENCE:
            saved = useful  # a serving replica keeps no state to lose: it just serves elsewhere
        elif interval:
            saved = (useful // interval) * interval
            if saved_at is not None:
                told = max(min(saved_at, at) - self.start_s - self.restart_overhead_s, 0.0)
                saved = max(saved, told * self.speed * self.rate)
            if self.runtime_s is not None:
                saved = min(saved, self.runtime_s - self.done_s)
        self.done_s += saved
        lost = elapsed - saved / (self.speed * self.rate)
        self.lost_s += lost
        self.interruptions += 1
        self.attempt += 1
        self.restart_overhead_s = restart_overhead_s
        self.transition(JobState.PENDING, at)
        return lost

    @property
    def wait_s(self) -> float | None:
        """Time from submission to first start, or None if it never started."""
        return None if self.first_start_s is None else self.first_start_s - self.submit_s


def check_request(gpus: int, gpu_share_milli: int, cpu_milli: int, memory_mib: int) -> None:
    """Raise `ValueError` for a request no node could ever be asked for: a share outside
    1..999 milli-GPUs or of more than one GPU, negative CPU or memory."""
    if gpu_share_milli and not 0 < gpu_share_milli < GPU_MILLI:
        raise ValueError(
            f"a share of a GPU is 1..{GPU_MILLI - 1} milli-GPUs (0 for whole GPUs), "
            f"got {gpu_share_milli}"
        )
    if gpu_share_milli and gpus != 1:
        raise ValueError(f"only a job of one GPU may ask a share of it, got {gpus} GPUs")
    if cpu_milli < 0 or memory_mib < 0:
        raise ValueError(f"CPU and memory asked must not be negative: {cpu_milli}, {memory_mib}")
