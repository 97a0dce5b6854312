"""Jobs: submit, list, get (with state and pending reason), cancel, logs.

The service writes a new job as pending and wakes the scheduling loop; from then on the loop is
the only writer of a job's state. A cancel is a request the loop carries out (it may have to
stop a running job on its backend first).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from aigrid.live.errors import ConflictError, ForbiddenError, InvalidRequestError, NotFoundError
from aigrid.live.service.admin import active_grants
from aigrid.live.service.auth import Principal, Role
from aigrid.live.service.context import ServiceContext
from aigrid.live.service.usage import org_used
from aigrid.live.store.models import GpuModelRow, GrantRow, JobRow, OrgRow, ProgramRow
from aigrid.model import Job, JobClass, JobState, PriorityClass, TenantClass
from aigrid.model.job import check_request
from aigrid.scheduler import OrderBreakdown, QueueKey

MAX_WALLTIME_S = 14 * 86400.0
MAX_LOG_BYTES = 1 << 20
MAX_RESOURCE = (1 << 31) - 1
"""The most CPU (milli-cores) or memory (MiB) a job may ask of a node: what the store's
integer columns hold."""


@dataclass(frozen=True, slots=True)
class JobRequest:
    org: str
    program: str
    gpus: int
    walltime_s: float
    command: Sequence[str]
    env: Mapping[str, str] = field(default_factory=dict)
    gpu_models: Sequence[str] = ()
    sovereign: bool = False
    preemptible: bool = False
    job_class: JobClass = JobClass.BATCH
    name: str = ""
    workdir: str | None = None
    priority_class: PriorityClass = PriorityClass.NORMAL
    gpu_share_milli: int = 0
    """A share of one GPU in milli-GPUs (1..999, with `gpus == 1`); 0 asks whole GPUs."""
    cpu_milli: int = 0
    """CPU asked on each node, in milli-cores (0: none)."""
    memory_mib: int = 0
    """Memory asked on each node, in MiB (0: none)."""


def queue_key(job: Job) -> str:
    """The scheduler's queue key of a job, as text (jobs with equal keys wait together)."""
    return queue_key_text(QueueKey.of(job))


def queue_key_text(key: QueueKey) -> str:
    """A queue key as the store keeps it: its fields as a JSON list."""
    return json.dumps(key.astuple(), separators=(",", ":"))


def submit(ctx: ServiceContext, who: Principal, req: JobRequest) -> JobRow:
    if who.role is Role.MANAGER:
        raise ForbiddenError("a program manager's token may not submit jobs; use a member's")
    if not who.sees(req.org):
        raise NotFoundError(f"no org {req.org!r}")
    if req.gpus < 1:
        raise InvalidRequestError(f"gpus must be at least 1, got {req.gpus}")
    _check_resources(req)
    if not 0 < req.walltime_s <= MAX_WALLTIME_S or math.isnan(req.walltime_s):
        raise InvalidRequestError(
            f"walltime must be more than 0 and at most {MAX_WALLTIME_S / 86400:g} days"
        )
    if not req.command or not req.command[0]:
        raise InvalidRequestError("a job needs a command")
    now = ctx.clock()
    with ctx.store.write() as s:
        org = s.get(OrgRow, req.org)
        if org is None:
            raise NotFoundError(f"no org {req.org!r}")
        if s.get(ProgramRow, req.program) is None:
            raise NotFoundError(f"no program {req.program!r}")
        grants = active_grants(s, req.org, req.program, now)
        if not grants:
            if who.role is Role.MEMBER:
                # The program exists, but this org may not know that.
                raise NotFoundError(f"no program {req.program!r} with a grant to org {req.org!r}")
            raise ForbiddenError(f"org {req.org!r} has no valid grant from program {req.program!r}")
        _check_credit(s, req.org, req.program, grants)
        models = set(s.scalars(select(GpuModelRow.name))) if req.gpu_models else set()
        for m in req.gpu_models:
            if m not in models:
                raise InvalidRequestError(
                    f"no GPU model {m!r} in the fleet (it has: {', '.join(sorted(models))})"
                )
        # A grant naming GPU models limits the job to them, unless another grant names none.
        allowed = {m for g in grants for m in g.gpu_models}
        if allowed and all(g.gpu_models for g in grants):
            if not req.gpu_models:
                gpu_models = sorted(allowed)
            elif set(req.gpu_models) <= allowed:
                gpu_models = sorted(req.gpu_models)
            else:
                raise ForbiddenError(
                    f"the grant allows only GPU models {', '.join(sorted(allowed))}"
                )
        else:
            gpu_models = sorted(req.gpu_models)
        row = JobRow(
            org=req.org,
            program=req.program,
            tenant_class=org.tenant_class,
            job_class=req.job_class.value,
            gpus=req.gpus,
            gpu_share_milli=req.gpu_share_milli,
            cpu_milli=req.cpu_milli,
            memory_mib=req.memory_mib,
            gpu_models=gpu_models,
            sovereign=req.sovereign,
            preemptible=req.preemptible,
            priority_class=req.priority_class.value,
            walltime_s=req.walltime_s,
            name=req.name or req.command[0].rsplit("/", 1)[-1][:200],
            command=list(req.command),
            env=dict(req.env),
            workdir=req.workdir,
            state=JobState.PENDING.value,
            queue_key="",
            pending_reason=None,
            submitted_by=who.token,
            submit_s=now,
            attempt=0,
        )
        row.queue_key = queue_key(to_model(row, job_id=0))  # the key does not depend on the id
        s.add(row)
    ctx.wake_loop()
    return row


def _check_resources(req: JobRequest) -> None:
    """Refuse a share, CPU or memory ask no node could ever give (the scheduler's own rule,
    `aigrid.model.check_request`), with its words; and numbers beyond what the store keeps."""
    for name, value in (("cpu_milli", req.cpu_milli), ("memory_mib", req.memory_mib)):
        if value > MAX_RESOURCE:
            raise InvalidRequestError(f"{name} must be at most {MAX_RESOURCE}, got {value}")
    try:
        check_request(req.gpus, req.gpu_share_milli, req.cpu_milli, req.memory_mib)
    except ValueError as exc:
        raise InvalidRequestError(str(exc)) from None


def _check_credit(s: Session, org: str, program: str, grants: Sequence[GrantRow]) -> None:
    """Refuse a job once the org has used up its grants' credit (KRW spent or held, or
    GPU-hours spent). A grant without a limit of a kind leaves that kind unlimited."""
    krw = [g.krw for g in grants]
    hours = [g.gpu_hours for g in grants]
    limit_krw = None if any(k is None for k in krw) else sum(k for k in krw if k is not None)
    limit_h = None if any(h is None for h in hours) else sum(h for h in hours if h is not None)
    if limit_krw is None and limit_h is None:
        return
    used_krw, used_h = org_used(s, org, program)
    if limit_krw is not None and used_krw >= limit_krw:
        raise ForbiddenError(
            f"org {org!r} has used up its {limit_krw:,} KRW from program {program!r} "
            f"({used_krw:,} KRW spent or held)"
        )
    if limit_h is not None and used_h >= limit_h:
        raise ForbiddenError(
            f"org {org!r} has used up its {limit_h:g} GPU-hours from program {program!r}"
        )


def to_model(row: JobRow, *, job_id: int | None = None) -> Job:
    """The scheduler's view of a stored job (pending, as submitted). `job_id` stands in for
    the id of a row not yet stored, which has none."""
    return Job(
        id=row.id if job_id is None else job_id,
        org=row.org,
        program=row.program,
        tenant_class=TenantClass(row.tenant_class),
        job_class=JobClass(row.job_class),
        gpus=row.gpus,
        walltime_s=row.walltime_s,
        submit_s=row.submit_s,
        gpu_models=tuple(row.gpu_models),
        sovereign=row.sovereign,
        preemptible=row.preemptible,
        priority_class=PriorityClass(row.priority_class),
        gpu_share_milli=row.gpu_share_milli,
        cpu_milli=row.cpu_milli,
        memory_mib=row.memory_mib,
    )


def list_jobs(
    ctx: ServiceContext,
    who: Principal,
    *,
    state: JobState | None = None,
    org: str | None = None,
    program: str | None = None,
    limit: int = 100,
) -> Sequence[JobRow]:
    """The newest `limit` jobs the principal may see, newest first."""
    if not 1 <= limit <= 10_000:
        raise InvalidRequestError("limit must be between 1 and 10000")
    q = select(JobRow).where(who.where(JobRow.org, JobRow.program))
    if state is not None:
        q = q.where(JobRow.state == state.value)
    if org is not None:
        q = q.where(JobRow.org == org)
    if program is not None:
        q = q.where(JobRow.program == program)
    with ctx.store.read() as s:
        return s.scalars(q.order_by(JobRow.id.desc()).limit(limit)).all()


def get_job(ctx: ServiceContext, who: Principal, job_id: int) -> JobRow:
    with ctx.store.read() as s:
        row = s.get(JobRow, job_id)
    if row is None or not who.sees(row.org, row.program):
        raise NotFoundError(f"no job {job_id}")
    return row


def order_of(ctx: ServiceContext, row: JobRow) -> OrderBreakdown | None:
    """A pending job's place in the scheduler's order, factor by factor (Slurm's `sprio`);
    None for a job that does not wait, or that the loop has not taken in yet."""
    if row.state != JobState.PENDING.value or ctx.explain is None:
        return None
    return ctx.explain(row.id)


def cancel_job(ctx: ServiceContext, who: Principal, job_id: int) -> JobRow:
    """Ask the scheduling loop to cancel the job (idempotent while it has not ended)."""
    with ctx.store.write() as s:
        row = s.get(JobRow, job_id)
        if row is None or not who.sees(row.org, row.program):
            raise NotFoundError(f"no job {job_id}")
        if JobState(row.state).terminal:
            raise ConflictError(f"job {job_id} has already ended ({row.state})")
        if row.cancel_requested_s is None:
            s.execute(
                update(JobRow).where(JobRow.id == job_id).values(cancel_requested_s=ctx.clock())
            )
            s.refresh(row)
    ctx.wake_loop()
    return row


def job_logs(ctx: ServiceContext, who: Principal, job_id: int, max_bytes: int) -> str:
    """The last `max_bytes` of the job's output (stdout and stderr)."""
    row = get_job(ctx, who, job_id)
    if not 1 <= max_bytes <= MAX_LOG_BYTES:
        raise InvalidRequestError(f"max_bytes must be between 1 and {MAX_LOG_BYTES}")
    if ctx.read_logs is None:
        raise ConflictError("this server's backend keeps no logs")
    text = ctx.read_logs(row.backend, row.backend_handle or str(job_id), max_bytes)
    return "" if text is None else text
