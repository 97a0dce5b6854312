"""/grants: credit of a program to an org."""

from __future__ import annotations

from fastapi import APIRouter, status

from aigrid.live.api import convert
from aigrid.live.api.deps import Caller, Context
from aigrid.live.api.schemas import GrantCreate, GrantPublic, seconds
from aigrid.live.service import admin

router = APIRouter(prefix="/grants", tags=["grants"])


@router.post("", operation_id="grants_create", status_code=status.HTTP_201_CREATED)
def create(body: GrantCreate, ctx: Context, who: Caller) -> GrantPublic:
    row = admin.create_grant(
        ctx,
        who,
        body.program,
        body.org,
        krw=body.krw,
        gpu_hours=body.gpu_hours,
        valid_from_s=seconds(body.valid_from),
        valid_to_s=seconds(body.valid_to),
        gpu_models=body.gpu_models,
    )
    return convert.grant(row)


@router.get("", operation_id="grants_list")
def list_grants(ctx: Context, who: Caller) -> list[GrantPublic]:
    return [convert.grant(r) for r in admin.list_grants(ctx, who)]
