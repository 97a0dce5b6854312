"""/jobs: submit, list, show, cancel, logs."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status
from fastapi.responses import PlainTextResponse

from aigrid.live.api import convert
from aigrid.live.api.deps import Caller, Context
from aigrid.live.api.schemas import JobCreate, JobPublic
from aigrid.live.service import jobs
from aigrid.model import JobState

router = APIRouter(prefix="/jobs", tags=["jobs"])


@router.post("", operation_id="jobs_submit", status_code=status.HTTP_201_CREATED)
def submit(body: JobCreate, ctx: Context, who: Caller) -> JobPublic:
    req = jobs.JobRequest(**body.model_dump())
    return convert.job(jobs.submit(ctx, who, req), ctx.pool_ids)


@router.get("", operation_id="jobs_list")
def list_jobs(
    ctx: Context,
    who: Caller,
    state: JobState | None = None,
    org: str | None = None,
    program: str | None = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 100,
) -> list[JobPublic]:
    rows = jobs.list_jobs(ctx, who, state=state, org=org, program=program, limit=limit)
    return [convert.job(r, ctx.pool_ids) for r in rows]


@router.get("/{job_id}", operation_id="jobs_get")
def get(job_id: int, ctx: Context, who: Caller) -> JobPublic:
    row = jobs.get_job(ctx, who, job_id)
    return convert.job(row, ctx.pool_ids, jobs.order_of(ctx, row))


@router.post("/{job_id}/cancel", operation_id="jobs_cancel", status_code=status.HTTP_202_ACCEPTED)
def cancel(job_id: int, ctx: Context, who: Caller) -> JobPublic:
    return convert.job(jobs.cancel_job(ctx, who, job_id), ctx.pool_ids)


@router.get("/{job_id}/logs", operation_id="jobs_logs", response_class=PlainTextResponse)
def logs(
    job_id: int,
    ctx: Context,
    who: Caller,
    max_bytes: Annotated[int, Query(ge=1, le=jobs.MAX_LOG_BYTES)] = 65536,
) -> str:
    return jobs.job_logs(ctx, who, job_id, max_bytes)
