"""/cohorts: the quota tree above programs, with its own quota and borrowing and lending
limits."""

from __future__ import annotations

from fastapi import APIRouter, status

from aigrid.live.api import convert
from aigrid.live.api.deps import Caller, Context
from aigrid.live.api.schemas import CohortCreate, CohortPublic
from aigrid.live.service import admin

router = APIRouter(prefix="/cohorts", tags=["cohorts"])


@router.post("", operation_id="cohorts_create", status_code=status.HTTP_201_CREATED)
def create(body: CohortCreate, ctx: Context, who: Caller) -> CohortPublic:
    view = admin.create_cohort(
        ctx,
        who,
        body.id,
        parent=body.parent,
        quota=body.quota,
        borrowing_limit=body.borrowing_limit,
        lending_limit=body.lending_limit,
        weight=body.weight,
    )
    return convert.cohort(view)


@router.get("", operation_id="cohorts_list")
def list_cohorts(ctx: Context, who: Caller) -> list[CohortPublic]:
    return [convert.cohort(v) for v in admin.list_cohorts(ctx, who)]


@router.get("/{cohort_id}", operation_id="cohorts_get")
def get(cohort_id: str, ctx: Context, who: Caller) -> CohortPublic:
    return convert.cohort(admin.get_cohort(ctx, who, cohort_id))
