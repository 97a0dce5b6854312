"""/programs: funded access programs with quota, limits, budget and prices."""

from __future__ import annotations

from fastapi import APIRouter, status

from aigrid.live.api import convert
from aigrid.live.api.deps import Caller, Context
from aigrid.live.api.schemas import ProgramCreate, ProgramPublic
from aigrid.live.service import admin

router = APIRouter(prefix="/programs", tags=["programs"])


@router.post("", operation_id="programs_create", status_code=status.HTTP_201_CREATED)
def create(body: ProgramCreate, ctx: Context, who: Caller) -> ProgramPublic:
    view = admin.create_program(
        ctx,
        who,
        body.id,
        name=body.name,
        budget_krw=body.budget_krw,
        quota=body.quota,
        owners=body.owners,
        cohort=body.cohort,
        borrowing=body.borrowing,
        price_fraction=body.price_fraction,
        weight=body.weight,
        borrowing_limit=body.borrowing_limit,
        lending_limit=body.lending_limit,
    )
    return convert.program(view)


@router.get("", operation_id="programs_list")
def list_programs(ctx: Context, who: Caller) -> list[ProgramPublic]:
    return [convert.program(v) for v in admin.list_programs(ctx, who)]


@router.get("/{program_id}", operation_id="programs_get")
def get(program_id: str, ctx: Context, who: Caller) -> ProgramPublic:
    return convert.program(admin.get_program(ctx, who, program_id))
