"""The live scheduling loop: the same scheduler as the twin, on jobs from the store.

The loop owns a `ClusterState` and a `QueueSet`, rebuilt from the store when it starts (running
jobs take their recorded placements again; pending jobs join their queues in submission order)
and whenever the programs change. It is the only writer of a job's state once submitted.

Each cycle is a table of contents (numbered phases, each one call):

  0. probe      — backends that could not be reached are asked again (after a back-off); one
                  that is back gets its pools' free GPUs back for the scheduler;
  1. intake     — jobs submitted since the last cycle join their queues;
  2. cancel     — cancel requests: pending jobs leave their queues, running ones are stopped;
  3. reconcile  — what the backends say became of running jobs: ended ones are written down,
                  charged from their actual runtime, their GPUs released and the queues that
                  release could help are woken (`wake_after_release`, as the twin does);
  4. schedule   — `decide` on a snapshot; every admit and reject is recorded in the store in one
                  transaction *before* anything acts on it; then `commit` and the budget holds;
  5. dispatch   — admitted jobs go to the backend of the pool they were placed on, under their
                  job id as key, so a repeated dispatch (after a crash between 4 and 5) is
                  recognised and starts nothing;
  6. reasons    — why each parked queue waits, written to its pending jobs.

Each pool is bound to a backend (`aigrid.live.backends.Backends`); a job's row records the name
of the backend it was dispatched to, and polls and cancels go there. A backend that cannot be
reached (`BackendUnreachable`) is left alone until it answers again: its running jobs keep their
state, the free GPUs of its pools are held out of the scheduler's snapshot (so jobs go to other
pools, or wait with the reason "backend unreachable"), and a job whose submit certainly did not
reach it goes back in line; one whose submit may have reached it stays bound to it and is
dispatched again, under the same key, once it is back.

Crash safety follows from the order: the store is written before memory is changed or the
backend is called, and every write is either idempotent (ledger entries are unique per job,
interval and kind) or guarded by a state the restart reads back.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, cast

import numpy as np
from sqlalchemy import CursorResult, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from aigrid.backends import (
    Backend,
    BackendError,
    BackendUnreachable,
    Launch,
    RunState,
    RunStatus,
    SupportsNotice,
    SupportsPing,
    SupportsPollMany,
)
from aigrid.energy import tenths_of, throughput
from aigrid.ledger import ProgramAccounts, charge_krw
from aigrid.live.backends import Backends
from aigrid.live.service.admin import tenancy_version
from aigrid.live.service.jobs import queue_key, queue_key_text, to_model
from aigrid.live.store import Store
from aigrid.live.store.fleet import load_fleet
from aigrid.live.store.models import (
    DecisionRow,
    JobRow,
    LedgerEntryRow,
    ProgramRow,
)
from aigrid.live.store.placements import is_share, placement_json, placement_of
from aigrid.live.store.tenancy import load_tenancy
from aigrid.model import Fleet, Job, JobState, Placement
from aigrid.model.job import GPU_MILLI
from aigrid.scheduler import (
    Admit,
    ClusterState,
    OrderBreakdown,
    Policy,
    Preempt,
    QueueKey,
    QueueSet,
    Reject,
    Snapshot,
    commit,
    decide,
    explain_order,
    wake_after_release,
)
from aigrid.scheduler.placement import eligibility
from aigrid.scheduler.reasons import ReasonCode

log = logging.getLogger("aigrid.live")

_ENDED = {
    RunState.COMPLETED: JobState.COMPLETED,
    RunState.FAILED: JobState.FAILED,
    RunState.TIMED_OUT: JobState.TIMED_OUT,
    RunState.CANCELLED: JobState.CANCELLED,
}
_UNSET = "\0unset"
PREEMPT_STOP_S = 120.0
"""How long a preempted job may take to stop before the loop decides again without it."""
PROBE_S = 1.0
"""How soon an unreachable backend is asked again; the wait doubles each time it still does not
answer, up to `PROBE_MAX_S`."""
PROBE_MAX_S = 15.0
UNREACHABLE = "backend unreachable"
"""The pending reason of a job whose backend cannot be reached (and the start of its text)."""
_CAPACITY_REASONS = (ReasonCode.NO_CAPACITY, ReasonCode.RESERVED)


@dataclass(slots=True)
class Running:
    """A job the loop admitted and has not seen end."""

    job: Job
    attempt: int
    hold_krw: int
    price_krw_per_gpu_h: float
    devices: tuple[tuple[int, ...], ...]
    handle: str | None
    cancelling: bool = False
    preempted_by: str | None = None
    """Why the scheduler preempted the job (set until it has stopped and is back in line)."""
    preempted_at: float = 0.0
    power_fraction: float = 1.0
    """Power capping: the fraction of full board power the job's GPUs are held to."""
    backend: str = ""
    """The name of the backend the run goes (or went) to: its pool's when it was admitted."""
    stop_sent: bool = False
    """Whether the backend took the request to stop it (cancel or preemption)."""
    grace_until: float | None = None
    """Preempted with a grace period and told so: when it is to be stopped (None: not in a
    grace period)."""
    noticed: bool = False
    """Told it is preempted: whatever it ends as, it stopped for that."""
    maybe_sent: bool = False
    """Not confirmed dispatched, but a submit may have reached the backend (before a restart,
    or a submit that timed out): it stays bound to that backend and is submitted again there."""

    @property
    def stopping(self) -> bool:
        return self.cancelling or self.preempted_by is not None

    @property
    def time_limit_s(self) -> float:
        """The walltime, stretched for a power-capped job as the scheduler planned it."""
        return self.job.walltime_s / throughput(self.power_fraction)


@dataclass(slots=True)
class LoopStats:
    """Counters for /metrics."""

    cycles: int = 0
    admitted: int = 0
    rejected: int = 0
    ended: dict[str, int] = field(default_factory=dict)
    dispatched: int = 0
    preempted: int = 0
    duplicates: int = 0
    rebuilds: int = 0
    errors: int = 0
    last_cycle_s: float = 0.0
    last_decide_s: float = 0.0


@dataclass(slots=True)
class Outage:
    """A backend that could not be reached: since when, why, and when to ask it again."""

    since_s: float
    detail: str
    retry_at: float
    """On the monotonic clock."""
    tries: int = 0

    def reason(self, name: str) -> str:
        detail = self.detail if len(self.detail) <= 300 else self.detail[:297] + "..."
        return f"{UNREACHABLE}: {name} ({detail})"


@dataclass(frozen=True, slots=True)
class Ending:
    """A run that ended: in a final `state`, or (PENDING) stopped to go back in line."""

    run: Running
    state: JobState
    exit_code: int | None
    runtime_s: float
    detail: str | None


class SchedulingLoop:
    def __init__(
        self,
        store: Store,
        backend: Backend | Backends,
        policy: Policy,
        *,
        clock: Callable[[], float] = time.time,
        interval_s: float = 0.5,
        batch_s: float = 0.05,
    ) -> None:
        self.store = store
        self.backends = backend if isinstance(backend, Backends) else Backends.single(backend)
        """The backend of each pool; with one backend given, every pool's."""
        self.policy = policy
        self.clock = clock
        self.interval_s = interval_s
        """Longest wait between cycles when nothing wakes the loop."""
        self.batch_s = min(batch_s, interval_s)
        """Shortest time from one cycle's start to the next's when woken early."""
        self.stats = LoopStats()
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._ready = False
        self.outages: dict[str, Outage] = {}
        """Backends that could not be reached, by name (kept across rebuilds)."""

    # -- running ---------------------------------------------------------------------------------

    def wake(self) -> None:
        """Run the next cycle now rather than after the interval."""
        self._wake.set()

    def run(self, stop: threading.Event) -> None:
        """Cycle until `stop` is set. An error in a cycle is logged, and the next cycle starts
        from a state rebuilt from the store."""
        while not stop.is_set():
            started = time.monotonic()
            try:
                self.cycle()
            except Exception:
                self.stats.errors += 1
                self._ready = False
                log.exception("scheduling cycle failed; rebuilding from the store")
                stop.wait(1.0)
            if self._wake.wait(self.interval_s):
                # Woken early (a submit, a cancel): let a burst gather into one cycle.
                stop.wait(max(0.0, started + self.batch_s - time.monotonic()))
            self._wake.clear()

    def cycle(self) -> None:
        with self._lock:
            t0 = time.perf_counter()
            if not self._ready or self._tenancy_changed():
                self.rebuild()
            now = self.clock()
            self.stats.cycles += 1
            self._probe()
            self._intake(now)
            self._cancel(now)
            self._end_graces(now)
            self._reconcile(now)
            if not self._preempting():
                # While preempted jobs are still stopping, their GPUs are not free yet: the
                # next decisions wait until they are (the twin stops them at once).
                self._schedule(now)
            self._dispatch(now)
            self._record_reasons()
            self.stats.last_cycle_s = time.perf_counter() - t0

    def _preempting(self) -> bool:
        """Whether a preempted job is still stopping (for at most `PREEMPT_STOP_S`: a job that
        does not stop then no longer holds back every other decision; it keeps its GPUs). A job
        in its grace period holds back nothing: the scheduler counts its GPUs as being freed
        (`ClusterState.stopping`), as the twin does."""
        now = time.monotonic()
        return any(
            r.preempted_by is not None
            and r.grace_until is None
            and now - r.preempted_at < PREEMPT_STOP_S
            for r in self.running.values()
        )

    def figures(self) -> dict[str, int]:
        """What /healthz and /metrics show of the loop (`*_total` are counters)."""
        st = self.stats
        out = {
            "pending": len(self.waiting) if self._ready else 0,
            "running": len(self.running) if self._ready else 0,
            "cycles_total": st.cycles,
            "admitted_total": st.admitted,
            "rejected_total": st.rejected,
            "dispatched_total": st.dispatched,
            "preempted_total": st.preempted,
            "duplicate_dispatches_total": st.duplicates,
            "rebuilds_total": st.rebuilds,
            "errors_total": st.errors,
            "backends_unreachable": len(self.outages),
            "last_cycle_microseconds": round(st.last_cycle_s * 1e6),
            "last_decide_microseconds": round(st.last_decide_s * 1e6),
        }
        for state, n in st.ended.items():
            out[f"ended_{state}_total"] = n
        return out

    def explain(self, job_id: int) -> OrderBreakdown | None:
        """A pending job's place in the order now, factor by factor (`explain_order`); None if
        the loop does not hold it pending. Waits for a cycle under way to finish."""
        with self._lock:
            job = self.waiting.get(job_id) if self._ready else None
            if job is None:
                return None
            return explain_order(self.state, job, self.policy, self.clock())

    # -- rebuilding from the store -----------------------------------------------------------------

    def rebuild(self) -> None:
        now = self.clock()
        with self.store.read() as s:
            fleet = load_fleet(s)
            if fleet is None:
                raise RuntimeError("the store has no fleet; start the server with --fleet")
            self.fleet: Fleet = fleet
            self._version = tenancy_version(s)
            tenancy, budgets = load_tenancy(s)
            running_rows = s.scalars(
                select(JobRow).where(JobRow.state == JobState.RUNNING.value).order_by(JobRow.id)
            ).all()
            preempted = {
                (job_id, attempt): reason
                for job_id, attempt, reason in s.execute(
                    select(DecisionRow.job_id, DecisionRow.attempt, DecisionRow.reason)
                    .join(JobRow, JobRow.id == DecisionRow.job_id)
                    .where(
                        DecisionRow.kind == "preempt",
                        JobRow.state == JobState.RUNNING.value,
                        DecisionRow.attempt == JobRow.attempt,
                    )
                )
            }
            pending_rows = s.scalars(
                select(JobRow)
                .where(JobRow.state == JobState.PENDING.value)
                .order_by(JobRow.submit_s, JobRow.id)
            ).all()
            past = _past_runs(s, now, self.policy.half_life_s)
        self.state = ClusterState(fleet, tenancy, half_life_s=self.policy.half_life_s)
        for program, pool, gpus, start, end in past:
            self.state.add_past_use(program, self.state.pool_key[pool], gpus, start, end)
        self.queues = QueueSet()
        self.accounts = ProgramAccounts(budgets, keep_entries=False)
        self.running: dict[int, Running] = {}
        self.waiting: dict[int, Job] = {}
        self.attempts: dict[int, int] = {}
        self.devices_used: dict[tuple[int, int], set[int]] = {}
        """Per node, the GPU indices a job holds whole or that shares sit on."""
        self.shared_devices: dict[tuple[int, int, int], list[int]] = {}
        """Per node and GPU of the scheduler's node model that holds shares: the device they
        run on and how many shares it holds (see `_take_devices`)."""
        self._node_names = [[f"{p.id}-{n:05d}" for n in range(p.nodes)] for p in fleet.pools]
        self._pool_backend = [self.backends.of_pool(p)[0] for p in fleet.pools]
        self.fenced: dict[int, dict[int, int]] = {}
        """Per pool of an unreachable backend: the free GPUs held out of the scheduler's view,
        per node."""
        self.fenced_shares: dict[int, list[tuple[int, int, int]]] = {}
        """Per pool of an unreachable backend: the free room of its shared GPUs held out of
        the scheduler's view, as (node, GPU, milli-GPUs)."""
        # Shares first: each goes back on the GPU it was recorded on, before whole-GPU jobs,
        # whose GPUs the node model picks anew (any wholly free ones; whole GPUs are alike).
        for row in sorted(running_rows, key=lambda r: not is_share(r.placement)):
            self._restore_running(row, now)
        for (job_id, _attempt), reason in preempted.items():
            # Preempted before the restart and not yet seen stopped: stop it (again).
            run = self.running[job_id]
            run.preempted_by = reason or "preempted"
            run.preempted_at = time.monotonic()
            self._stop(run)
        for pid in tenancy.programs:
            self.state.budget_available[pid] = self.accounts.available_krw(pid)
        moved: list[dict[str, Any]] = []
        for row in pending_rows:
            job = to_model(row)
            self.queues.push(job)
            self.waiting[job.id] = job
            self.attempts[job.id] = row.attempt
            text = queue_key(job)
            if text != row.queue_key or row.enqueued_s is None:
                moved.append({"id": job.id, "queue_key": text, "enqueued_s": row.enqueued_s or now})
        if moved:
            with self.store.write() as s:
                s.execute(update(JobRow), moved)
        self._reasons_written: dict[QueueKey, str | None] = {k: _UNSET for k in self.queues.queues}
        self._ready = True
        self.stats.rebuilds += 1
        log.info(
            "rebuilt from the store: %d running, %d pending", len(self.running), len(self.waiting)
        )

    def _restore_running(self, row: JobRow, now: float) -> None:
        job = to_model(row)
        assert row.placement is not None and row.pool is not None and row.start_s is not None
        placement = placement_of(row.pool, row.placement)
        job.transition(JobState.RUNNING, row.start_s)
        job.placement = placement
        power_fraction = float(row.placement.get("power_fraction", 1.0))
        # Its use so far, then its GPUs from now on, for the usage history.
        self.state.add_past_use(
            job.program, self.state.pool_key[row.pool], placement.gpus, row.start_s, now
        )
        # As `commit` took it when the job was admitted.
        self.state.allocate(
            job.program,
            placement,
            job_id=job.id,
            until=row.start_s + job.walltime_s / throughput(power_fraction),
            cap_tenths=tenths_of(power_fraction),
            start=row.start_s,
            preemptible=job.preemptible,
            at=now,
            priority=job.priority_class,
        )
        devices = tuple(tuple(d) for d in row.placement.get("devices", []))
        self._hold_devices(placement, devices)
        hold = row.hold_krw or 0
        if hold:
            self.accounts.hold(job.id, job.program, hold, row.start_s)
        backend = row.backend or self._pool_backend[placement.pool]
        if self.backends.named(backend) is None:
            log.warning("job %d: no backend %r here; using its pool's", job.id, backend)
            backend = self._pool_backend[placement.pool]
        self.running[job.id] = Running(
            job,
            row.attempt,
            hold,
            row.price_krw_per_gpu_h or 0.0,
            devices,
            row.backend_handle,
            cancelling=False,
            power_fraction=power_fraction,
            backend=backend,
            maybe_sent=row.backend_handle is None,
        )

    def _tenancy_changed(self) -> bool:
        with self.store.read() as s:
            return tenancy_version(s) != self._version

    # -- 1. intake -------------------------------------------------------------------------------

    def _intake(self, now: float) -> None:
        with self.store.read() as s:
            # Exactly the predicate of the partial index ix_jobs_not_enqueued.
            rows = s.scalars(
                select(JobRow).where(JobRow.enqueued_s.is_(None)).order_by(JobRow.id).limit(10_000)
            ).all()
        if not rows:
            return
        marks: list[dict[str, Any]] = []
        for row in rows:
            if row.state != JobState.PENDING.value or row.id in self.waiting:
                marks.append(
                    {"id": row.id, "enqueued_s": now, "pending_reason": row.pending_reason}
                )
                continue
            job = to_model(row)
            self.queues.push(job)
            self.waiting[job.id] = job
            self.attempts[job.id] = row.attempt
            marks.append({"id": job.id, "enqueued_s": now, "pending_reason": job.pending_reason})
        if marks:
            with self.store.write() as s:
                s.execute(update(JobRow), marks)
        if len(rows) == 10_000:
            self.wake()

    # -- 2. cancel -------------------------------------------------------------------------------

    def _cancel(self, now: float) -> None:
        with self.store.read() as s:
            asked = s.execute(
                # Exactly the predicate of the partial index ix_jobs_open_cancel.
                select(JobRow.id, JobRow.state).where(
                    JobRow.cancel_requested_s.is_not(None), JobRow.end_s.is_(None)
                )
            ).all()
        if not asked:
            self._retry_stops()
            return
        pending = [
            self.waiting[i] for i, st in asked if st == JobState.PENDING.value and i in self.waiting
        ]
        if pending:
            with self.store.write() as s:
                s.execute(
                    update(JobRow),
                    [
                        {"id": j.id, "state": JobState.CANCELLED.value, "end_s": now}
                        for j in pending
                    ],
                )
            for job in pending:
                self.queues.remove(job)
                job.transition(JobState.CANCELLED, now)
                del self.waiting[job.id]
        not_started: list[Ending] = []
        for job_id, st in asked:
            run = self.running.get(job_id)
            if st != JobState.RUNNING.value or run is None or run.cancelling:
                continue
            run.cancelling = True
            if run.handle is None:
                not_started.append(Ending(run, JobState.CANCELLED, None, 0.0, None))
            else:
                run.stop_sent = False
        self._retry_stops()
        if not_started:
            self._end(now, not_started)

    def _retry_stops(self) -> None:
        """Send the cancels and preemptions not yet taken (asked now, or their backend was
        away when they were asked)."""
        for run in self.running.values():
            if (
                run.stopping
                and not run.stop_sent
                and run.handle is not None
                and run.grace_until is None
            ):
                self._stop(run)

    def _end_graces(self, now: float) -> None:
        """Stop the preempted jobs whose grace period is over."""
        for run in self.running.values():
            if run.grace_until is not None and now >= run.grace_until:
                run.grace_until = None
                run.preempted_at = time.monotonic()
                run.stop_sent = False
                self._stop(run)

    def _stop(self, run: Running) -> None:
        """Ask the run's backend to stop it, unless the backend is away (asked again later)."""
        if run.handle is None or run.backend in self.outages:
            return
        try:
            self._backend(run).cancel(run.handle)
        except BackendUnreachable as exc:
            self._away(run.backend, exc)
            return
        except BackendError as exc:
            log.warning("job %d: stopping it failed: %s", run.job.id, exc)
        run.stop_sent = True

    # -- 3. reconcile ----------------------------------------------------------------------------

    def _reconcile(self, now: float) -> None:
        ended: list[Ending] = []
        for name, runs in self._by_backend(r for r in self.running.values() if r.handle).items():
            for run, status in self._poll(name, runs):
                if isinstance(status, BackendError):
                    ended.append(Ending(run, JobState.FAILED, None, 0.0, str(status)))
                else:
                    self._seen(run, status, now, ended)
        if ended:
            self._end(now, ended)

    def _poll(
        self, name: str, runs: Sequence[Running]
    ) -> Iterable[tuple[Running, RunStatus | BackendError]]:
        """The status of each run on backend `name` (none while the backend is away): one call
        for all where the backend can, else one per run. A run whose poll failed gets the error
        (it fails); a backend that cannot be reached gets no more calls this cycle."""
        backend = self.backends.named(name)
        if backend is None or name in self.outages:
            return
        if isinstance(backend, SupportsPollMany):
            try:
                statuses = backend.poll_many([r.handle or "" for r in runs])
            except BackendUnreachable as exc:
                self._away(name, exc)
                return
            except BackendError as exc:
                log.warning("backend %s: polling failed: %s", name, exc)
                return
            for run in runs:
                status = statuses.get(run.handle or "")
                if status is not None:
                    yield run, status
            return
        for run in runs:
            assert run.handle is not None
            try:
                yield run, backend.poll(run.handle)
            except BackendUnreachable as exc:
                self._away(name, exc)
                return
            except BackendError as exc:
                yield run, exc

    def _seen(self, run: Running, status: RunStatus, now: float, ended: list[Ending]) -> None:
        """What a poll said of a run: nothing to do yet, or its ending (appended to `ended`)."""
        if status.state is RunState.LOST:
            if run.cancelling:
                ended.append(Ending(run, JobState.CANCELLED, None, 0.0, None))
            elif run.preempted_by is not None:
                ended.append(Ending(run, JobState.PENDING, None, 0.0, run.preempted_by))
            else:
                run.handle = None  # never started: dispatch it again
        elif status.state.ended:
            ended.append(self._ending(run, status, now))

    def _ending(self, run: Running, status: RunStatus, now: float) -> Ending:
        job = run.job
        start = status.started_s if status.started_s is not None else job.start_s or now
        end = status.ended_s if status.ended_s is not None else now
        runtime = min(max(0.0, end - start), run.time_limit_s)
        if (
            run.preempted_by
            and not run.cancelling
            and (
                status.state is RunState.CANCELLED
                # Told it is preempted, it stops for that however it exits (as Slurm requeues).
                or (run.noticed and status.state is not RunState.TIMED_OUT)
            )
        ):
            return Ending(run, JobState.PENDING, None, runtime, run.preempted_by)
        # A cancel asked here needs no cause; one from the backend's side keeps what it said.
        detail = None if run.cancelling else status.detail or None
        return Ending(run, _ENDED[status.state], status.exit_code, runtime, detail)

    def _end(self, now: float, endings: Sequence[Ending]) -> None:
        """Write down that jobs ended and charge them (one transaction), then free their GPUs."""
        spends: dict[int, int] = {}
        with self.store.write() as s:
            for e in endings:
                job = e.run.job
                assert job.placement is not None
                # A share pays its fraction of the GPU, as its hold did (and as the twin meters).
                gpus = job.placement.gpu_amount
                spend = round(charge_krw(e.run.price_krw_per_gpu_h, gpus, e.runtime_s))
                spends[job.id] = spend
                if e.state is JobState.PENDING:
                    values: dict[str, Any] = {
                        "state": JobState.PENDING.value,
                        "enqueued_s": now,
                        "start_s": None,
                        "pool": None,
                        "placement": None,
                        "price_krw_per_gpu_h": None,
                        "hold_krw": None,
                        "backend_handle": None,
                        "dispatched_s": None,
                        "pending_reason": e.detail,
                    }
                else:
                    values = {
                        "state": e.state.value,
                        "end_s": now,
                        "exit_code": e.exit_code,
                        "pending_reason": e.detail,
                    }
                s.execute(update(JobRow).where(JobRow.id == job.id).values(**values))
                released = _append_entry(s, job, e.run.attempt, "release", e.run.hold_krw, 0.0, now)
                spent = _append_entry(
                    s, job, e.run.attempt, "spend", spend, gpus * e.runtime_s, now
                )
                delta_held = -e.run.hold_krw if released else 0
                delta_spent = spend if spent else 0
                if delta_held or delta_spent:
                    s.execute(
                        update(ProgramRow)
                        .where(ProgramRow.id == job.program)
                        .values(
                            held_krw=ProgramRow.held_krw + delta_held,
                            spent_krw=ProgramRow.spent_krw + delta_spent,
                        )
                    )
        for e in endings:
            job = e.run.job
            placement = job.placement
            assert placement is not None
            job.transition(e.state, now)
            if e.state is JobState.PENDING:  # preempted: back in line, to start afresh
                job.pending_reason = e.detail
                self.queues.push(job)
                self.waiting[job.id] = job
                self.attempts[job.id] = e.run.attempt
            self.state.release(job.program, placement, job_id=job.id, at=now)
            self._give_devices(placement, e.run.devices)
            self.accounts.settle(job.id, spends[job.id], now)
            self.state.budget_available[job.program] = self.accounts.available_krw(job.program)
            del self.running[job.id]
            if e.state is not JobState.PENDING:
                self.stats.ended[e.state.value] = self.stats.ended.get(e.state.value, 0) + 1
            wake_after_release(self.queues, self.state, job.program, placement.pool)

    # -- 4. schedule -----------------------------------------------------------------------------

    def _schedule(self, now: float) -> None:
        if not self.queues.active:
            return
        self._fence()
        snapshot = Snapshot(now, self.state, self.queues)
        t0 = time.perf_counter()
        decisions = decide(snapshot, self.policy)
        self.stats.last_decide_s = time.perf_counter() - t0
        admits = [d for d in decisions if isinstance(d, Admit)]
        rejects = [d for d in decisions if isinstance(d, Reject)]
        preempts = [
            d
            for d in decisions
            if isinstance(d, Preempt)
            and d.job_id in self.running
            and not self.running[d.job_id].cancelling
            and self.running[d.job_id].preempted_by is None
        ]
        devices = {d.job.id: self._take_devices(d.placement) for d in admits}
        try:
            if admits or rejects or preempts:
                self._record(now, admits, rejects, preempts, devices)
        except BaseException:
            for d in admits:
                self._give_devices(d.placement, devices[d.job.id])
            raise
        if commit(snapshot, decisions):
            self.wake()  # a changed reservation woke queues: they are owed a pass
        self._preempt(now, preempts)
        for d in admits:
            job = d.job
            job.transition(JobState.RUNNING, now)
            job.placement = d.placement
            hold = math.ceil(d.hold_krw)
            if not self.accounts.hold(job.id, job.program, hold, now):
                raise RuntimeError(f"job {job.id}: admitted without budget to hold")
            self.state.budget_available[job.program] = self.accounts.available_krw(job.program)
            del self.waiting[job.id]
            self.running[job.id] = Running(
                job,
                self.attempts.pop(job.id, 0) + 1,
                hold,
                d.price_krw_per_gpu_h,
                devices[job.id],
                None,
                power_fraction=d.power_fraction,
                backend=self._pool_backend[d.placement.pool],
            )
        for r in rejects:
            r.job.pending_reason = r.reason.message
            r.job.transition(JobState.REJECTED, now)
            del self.waiting[r.job.id]
            self.attempts.pop(r.job.id, None)
        self.stats.admitted += len(admits)
        self.stats.rejected += len(rejects)

    def _take_devices(self, placement: Placement) -> tuple[tuple[int, ...], ...]:
        """The GPU indices of each node of the placement (for CUDA_VISIBLE_DEVICES): the
        lowest ones neither held whole nor shared.

        A share runs on the device of the GPU the scheduler put it on (`shared_gpu`), so that
        the shares the scheduler stacks on one GPU run on one device. The scheduler's node
        model tells whole GPUs apart by count only (it gives back any of a node's whole GPUs),
        so its index of a shared GPU need not be the device's: the first share on a GPU takes
        the lowest device free, and the GPU's later shares follow it there until the last
        leaves. Counts agree (the model's wholly free GPUs are the devices free here), so a
        device is always free for what the scheduler placed."""
        gpn = self.fleet.pools[placement.pool].gpus_per_node
        out = []
        for node, gpus in zip(placement.nodes, placement.gpus_per_node, strict=True):
            used = self.devices_used.setdefault((placement.pool, node), set())
            free = tuple(i for i in range(gpn) if i not in used)
            if placement.gpu_share_milli:
                shared = self.shared_devices.get((placement.pool, node, placement.shared_gpu))
                picked = (shared[0],) if shared is not None else free[:1]
            else:
                picked = free[:gpus]
            out.append(picked)
        devices = tuple(out)
        self._hold_devices(placement, devices)
        return devices

    def _hold_devices(self, placement: Placement, devices: Sequence[tuple[int, ...]]) -> None:
        """Mark `devices` taken by the placement (a share: one more on its GPU's device)."""
        if placement.gpu_share_milli:
            (node,) = placement.nodes
            ((device,),) = devices
            key = (placement.pool, node, placement.shared_gpu)
            shared = self.shared_devices.setdefault(key, [device, 0])
            if shared[0] != device:
                log.warning("GPU %s holds shares on devices %d and %d", key, shared[0], device)
            shared[1] += 1
            self.devices_used.setdefault((placement.pool, node), set()).add(device)
            return
        for node, used in zip(placement.nodes, devices, strict=False):
            self.devices_used.setdefault((placement.pool, node), set()).update(used)

    def _give_devices(self, placement: Placement, devices: Iterable[tuple[int, ...]]) -> None:
        """Give back what `_take_devices` took: a shared device only with its last share."""
        if placement.gpu_share_milli:
            (node,) = placement.nodes
            key = (placement.pool, node, placement.shared_gpu)
            shared = self.shared_devices[key]
            shared[1] -= 1
            if shared[1] == 0:
                del self.shared_devices[key]
                self.devices_used[(placement.pool, node)].discard(shared[0])
            return
        for node, used in zip(placement.nodes, devices, strict=False):
            self.devices_used[(placement.pool, node)].difference_update(used)

    def _record(
        self,
        now: float,
        admits: Sequence[Admit],
        rejects: Sequence[Reject],
        preempts: Sequence[Preempt],
        devices: dict[int, tuple[tuple[int, ...], ...]],
    ) -> None:
        """Every admit and reject of a cycle, with the job rows and holds they imply, in one
        transaction."""
        cycle = self.stats.cycles
        decision_rows: list[dict[str, Any]] = []
        job_updates: list[dict[str, Any]] = []
        reject_updates: list[dict[str, Any]] = []
        held: dict[str, int] = {}
        with self.store.write() as s:
            for d in admits:
                job = d.job
                attempt = self.attempts.get(job.id, 0) + 1
                hold = math.ceil(d.hold_krw)
                placement = placement_json(d.placement, devices[job.id], d.power_fraction)
                decision_rows.append(
                    {
                        "job_id": job.id,
                        "attempt": attempt,
                        "kind": "admit",
                        "at_s": now,
                        "cycle": cycle,
                        "pool": d.placement.pool,
                        "placement": placement,
                        "price_krw_per_gpu_h": d.price_krw_per_gpu_h,
                        "hold_krw": hold,
                        "borrowed": d.borrowed,
                        "reason_code": None,
                        "reason": None,
                    }
                )
                job_updates.append(
                    {
                        "id": job.id,
                        "state": JobState.RUNNING.value,
                        "start_s": now,
                        "first_start_s": job.first_start_s if job.first_start_s else now,
                        "attempt": attempt,
                        "pool": d.placement.pool,
                        "placement": placement,
                        "price_krw_per_gpu_h": d.price_krw_per_gpu_h,
                        "hold_krw": hold,
                        "backend": self._pool_backend[d.placement.pool],
                        "backend_handle": None,
                        "dispatched_s": None,
                        "pending_reason": None,
                    }
                )
                if _append_entry(s, job, attempt, "hold", hold, 0.0, now):
                    held[job.program] = held.get(job.program, 0) + hold
            for r in rejects:
                attempt = self.attempts.get(r.job.id, 0) + 1
                decision_rows.append(
                    {
                        "job_id": r.job.id,
                        "attempt": attempt,
                        "kind": "reject",
                        "at_s": now,
                        "cycle": cycle,
                        "pool": None,
                        "placement": None,
                        "price_krw_per_gpu_h": None,
                        "hold_krw": None,
                        "borrowed": None,
                        "reason_code": r.reason.code.slug,
                        "reason": r.reason.message,
                    }
                )
                reject_updates.append(
                    {
                        "id": r.job.id,
                        "state": JobState.REJECTED.value,
                        "end_s": now,
                        "pending_reason": r.reason.message,
                    }
                )
            for p in preempts:
                decision_rows.append(
                    {
                        "job_id": p.job_id,
                        "attempt": self.running[p.job_id].attempt,
                        "kind": "preempt",
                        "at_s": now,
                        "cycle": cycle,
                        "pool": None,
                        "placement": None,
                        "price_krw_per_gpu_h": None,
                        "hold_krw": None,
                        "borrowed": None,
                        "reason_code": p.cause,
                        "reason": _preempt_reason(p.cause, p.by.id),
                    }
                )
            s.execute(_insert(s, DecisionRow), decision_rows)
            if job_updates:
                s.execute(update(JobRow), job_updates)
            if reject_updates:
                s.execute(update(JobRow), reject_updates)
            for program, krw in held.items():
                s.execute(
                    update(ProgramRow)
                    .where(ProgramRow.id == program)
                    .values(held_krw=ProgramRow.held_krw + krw)
                )

    def _preempt(self, now: float, preempts: Sequence[Preempt]) -> None:
        """Stop preempted jobs; they go back in line once their backend says they stopped."""
        not_started: list[Ending] = []
        for p in preempts:
            run = self.running[p.job_id]
            run.preempted_by = _preempt_reason(p.cause, p.by.id)
            run.job.mark_preempted(p.by.id, p.cause, p.since)
            run.preempted_at = time.monotonic()
            self.stats.preempted += 1
            if run.handle is None:
                not_started.append(Ending(run, JobState.PENDING, None, 0.0, run.preempted_by))
                continue
            if p.grace_s > 0 and self._notice(run):
                run.grace_until = now + p.grace_s
                self.state.stopping[p.job_id] = run.grace_until
                continue
            self._stop(run)
        if not_started:
            self._end(now, not_started)

    def _notice(self, run: Running) -> bool:
        """Tell a preempted run it will be stopped, where its backend can (see
        `SupportsNotice`); False if it cannot be told (it is then stopped at once)."""
        backend = self._backend(run)
        if run.handle is None or run.backend in self.outages:
            return False
        if not isinstance(backend, SupportsNotice):
            return False
        try:
            backend.notice(run.handle)
        except BackendUnreachable as exc:
            self._away(run.backend, exc)
            return False
        except BackendError as exc:
            log.warning("job %d: telling it of its preemption failed: %s", run.job.id, exc)
            return False
        run.noticed = True
        return True

    # -- 5. dispatch -----------------------------------------------------------------------------

    def _dispatch(self, now: float) -> None:
        todo = [r for r in self.running.values() if r.handle is None and not r.cancelling]
        if not todo:
            return
        with self.store.read() as s:
            specs = {
                i: (c, e, w)
                for i, c, e, w in s.execute(
                    select(JobRow.id, JobRow.command, JobRow.env, JobRow.workdir).where(
                        JobRow.id.in_([r.job.id for r in todo])
                    )
                )
            }
        confirmed: list[dict[str, Any]] = []
        failed: list[Ending] = []
        waiting: list[dict[str, Any]] = []
        for run in todo:
            job = run.job
            assert job.placement is not None
            outage = self.outages.get(run.backend)
            if outage is not None:
                if run.maybe_sent:  # bound to its backend: wait for it
                    waiting.append({"id": job.id, "pending_reason": outage.reason(run.backend)})
                else:  # never sent: back in line, for any pool
                    failed.append(
                        Ending(run, JobState.PENDING, None, 0.0, outage.reason(run.backend))
                    )
                continue
            command, env, workdir = specs[job.id]
            if run.power_fraction < 1.0:
                env = {**env, "AIGRID_POWER_FRACTION": f"{run.power_fraction:g}"}
            share = job.placement.gpu_share_milli
            if share:
                # Nothing stops a share from using all of its GPU: the job is told how much
                # it holds, to keep itself to it (a framework's memory fraction, MPS).
                env = {**env, "AIGRID_GPU_SHARE": share_text(share)}
            launch = Launch(
                key=backend_key(job.id, run.attempt),
                command=tuple(command),
                walltime_s=run.time_limit_s,
                env=dict(env),
                nodes=tuple(self._node_names[job.placement.pool][n] for n in job.placement.nodes),
                devices=run.devices,
                workdir=workdir,
                gpu_share_milli=share,
            )
            try:
                submitted = self._backend(run).submit(launch)
            except BackendUnreachable as exc:
                outage = self._away(run.backend, exc)
                run.maybe_sent = run.maybe_sent or exc.sent
                if run.maybe_sent:
                    waiting.append({"id": job.id, "pending_reason": outage.reason(run.backend)})
                else:
                    failed.append(
                        Ending(run, JobState.PENDING, None, 0.0, outage.reason(run.backend))
                    )
                continue
            except BackendError as exc:
                failed.append(Ending(run, JobState.FAILED, None, 0.0, str(exc)))
                continue
            run.handle = submitted.handle
            run.maybe_sent = False
            self.stats.dispatched += 1
            self.stats.duplicates += submitted.duplicate
            confirmed.append(
                {
                    "id": job.id,
                    "backend_handle": submitted.handle,
                    "dispatched_s": now,
                    "pending_reason": None,
                }
            )
        if confirmed or waiting:
            with self.store.write() as s:
                s.execute(update(JobRow), confirmed + waiting)
        if failed:
            self._end(now, failed)
            for e in failed:
                if e.state is JobState.PENDING:
                    # Keep the reason `_end` wrote until the next pass says why it waits.
                    self._reasons_written[QueueKey.of(e.run.job)] = None

    # -- 6. reasons ------------------------------------------------------------------------------

    def _record_reasons(self) -> None:
        changed: list[tuple[str, str | None]] = []
        written: dict[QueueKey, str | None] = {}
        away = self._pools_away()
        for key, q in self.queues.queues.items():
            message = q.reason.message if q.reason is not None else None
            if away and q.reason is not None and q.reason.code in _CAPACITY_REASONS:
                message = self._away_reason(key, away) or message
            if self._reasons_written.get(key, _UNSET) != message:
                changed.append((queue_key_text(key), message))
            written[key] = message
        self._reasons_written = written
        if not changed:
            return
        with self.store.write() as s:
            for text, message in changed:
                s.execute(
                    update(JobRow)
                    .where(JobRow.queue_key == text, JobRow.state == JobState.PENDING.value)
                    .values(pending_reason=message)
                    .execution_options(synchronize_session=False)
                )

    # -- backends, and their outages ---------------------------------------------------------------

    def _backend(self, run: Running) -> Backend:
        backend = self.backends.named(run.backend)
        assert backend is not None, run.backend  # checked when the run was restored
        return backend

    @staticmethod
    def _by_backend(runs: Iterable[Running]) -> dict[str, list[Running]]:
        out: dict[str, list[Running]] = {}
        for run in runs:
            out.setdefault(run.backend, []).append(run)
        return out

    def _away(self, name: str, exc: BackendUnreachable) -> Outage:
        """Backend `name` could not be reached: no more calls to it until it is probed."""
        outage = self.outages.get(name)
        if outage is None:
            log.warning("backend %s is unreachable: %s", name, exc)
            outage = self.outages[name] = Outage(self.clock(), str(exc), time.monotonic() + PROBE_S)
        else:
            outage.detail = str(exc)
        return outage

    def _probe(self) -> None:
        """Ask each unreachable backend whose back-off has run out whether it is back (with
        `ping` where it has one; else the next real call will tell)."""
        for name, outage in list(self.outages.items()):
            if time.monotonic() < outage.retry_at:
                continue
            backend = self.backends.named(name)
            if isinstance(backend, SupportsPing):
                try:
                    backend.ping()
                except BackendError as exc:
                    outage.detail = str(exc)
                    outage.tries += 1
                    outage.retry_at = time.monotonic() + min(PROBE_MAX_S, PROBE_S * 2**outage.tries)
                    continue
            log.info("backend %s answers again", name)
            del self.outages[name]
            self._unfence(name)

    def _pools_away(self) -> frozenset[int]:
        if not self.outages:
            return frozenset()
        return frozenset(i for i, n in enumerate(self._pool_backend) if n in self.outages)

    def _fence(self) -> None:
        """Hold the free GPUs of unreachable backends' pools out of the scheduler's view (as
        if their nodes were down), so that nothing is placed there until they are back."""
        for pool in self._pools_away():
            cap = self.state.capacity[pool]
            taken = self.fenced.setdefault(pool, {})
            for node, free in enumerate(cap.free):
                if free:
                    cap.take_from(node, free)
                    taken[node] = taken.get(node, 0) + free
            self._fence_shares(pool)

    def _fence_shares(self, pool: int) -> None:
        """Hold out the room left on a pool's shared GPUs too, or shares would still go there
        (a GPU that holds shares does not count as wholly free, so `_fence` leaves it)."""
        cap = self.state.capacity[pool]
        if not cap.shared_gpus or cap.detail is None:
            return
        taken = self.fenced_shares.setdefault(pool, [])
        for node, gpu in zip(*np.nonzero(cap.detail.shared), strict=True):
            room = int(cap.detail.gpu_free[node, gpu])
            if room:
                cap.take_share(int(node), int(gpu), room)
                taken.append((int(node), int(gpu), room))

    def _unfence(self, name: str) -> None:
        """Give the scheduler back the GPUs held out of backend `name`'s pools, and wake the
        queues they could serve."""
        for pool, taken in list(self.fenced.items()):
            if self._pool_backend[pool] != name:
                continue
            cap = self.state.capacity[pool]
            for node, gpus in taken.items():
                cap.give_back(node, gpus)
            for node, gpu, milli in self.fenced_shares.pop(pool, ()):
                cap.give_back_share(node, gpu, milli)
            del self.fenced[pool]
            if self.queues.wake_pool(pool, cap.largest_free(), cap.free_nodes):
                self.wake()

    def _away_reason(self, key: QueueKey, away: frozenset[int]) -> str | None:
        """Why a queue waits when every pool it could use is on an unreachable backend."""
        pools = eligibility(self.state, key).pools
        if not pools or not all(p in away for p in pools):
            return None
        name = self._pool_backend[pools[0]]
        return self.outages[name].reason(name)


def share_text(milli: int) -> str:
    """A share of a GPU as an exact decimal: 250 -> '0.25'."""
    return str(Decimal(milli) / GPU_MILLI)


def backend_key(job_id: int, attempt: int) -> str:
    """The key a job's run has on its backend: its id, and after a preemption its attempt."""
    return str(job_id) if attempt <= 1 else f"{job_id}.{attempt}"


def _preempt_reason(cause: str, by: int) -> str:
    return f"preempted ({cause}) to make room for job {by}; waiting to start again"


def _insert(s: Session, table: type[DecisionRow] | type[LedgerEntryRow]) -> Any:
    dialect = s.get_bind().dialect.name
    return (pg_insert if dialect == "postgresql" else sqlite_insert)(table)


HISTORY_HALF_LIVES = 30
"""How far back a rebuild reads past runs for the usage history, in half-lives (what is older
counts less than a billionth)."""


def _past_runs(
    s: Session, now: float, half_life_s: float
) -> list[tuple[str, int, int, float, float]]:
    """The runs that ended, for the usage history: (program, pool, GPUs, admitted, ended), from
    each admission and the charge of the same attempt — the times at which the loop took and
    gave back the GPUs. Empty when no history is kept."""
    if half_life_s <= 0:
        return []
    rows = s.execute(
        select(
            LedgerEntryRow.program,
            DecisionRow.pool,
            DecisionRow.placement,
            DecisionRow.at_s,
            LedgerEntryRow.at_s,
        )
        .join(
            LedgerEntryRow,
            (LedgerEntryRow.job_id == DecisionRow.job_id)
            & (LedgerEntryRow.interval == DecisionRow.attempt)
            & (LedgerEntryRow.kind == "spend"),
        )
        .where(
            DecisionRow.kind == "admit",
            LedgerEntryRow.at_s >= now - HISTORY_HALF_LIVES * half_life_s,
        )
    ).all()
    return [
        (program, pool, sum(placement["gpus_per_node"]), start, end)
        for program, pool, placement, start, end in rows
        if pool is not None and placement is not None
    ]


def _append_entry(
    s: Session, job: Job, interval: int, kind: str, krw: int, gpu_seconds: float, now: float
) -> bool:
    """Append a ledger entry unless (job, interval, kind) has one. Returns whether it did."""
    stmt = (
        _insert(s, LedgerEntryRow)
        .values(
            job_id=job.id,
            interval=interval,
            kind=kind,
            program=job.program,
            org=job.org,
            krw=krw,
            gpu_seconds=gpu_seconds,
            at_s=now,
        )
        .on_conflict_do_nothing(index_elements=["job_id", "interval", "kind"])
    )
    return bool(cast(CursorResult[Any], s.execute(stmt)).rowcount)
