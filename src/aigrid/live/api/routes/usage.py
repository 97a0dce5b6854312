"""/usage: program balances and what each org used, as far as the caller may see."""

from __future__ import annotations

from fastapi import APIRouter

from aigrid.live.api.deps import Caller, Context
from aigrid.live.api.schemas import OrgUsagePublic, ProgramBalancePublic, UsagePublic
from aigrid.live.service import usage as service

router = APIRouter(prefix="/usage", tags=["usage"])


@router.get("", operation_id="usage_get")
def get(ctx: Context, who: Caller) -> UsagePublic:
    u = service.usage(ctx, who)
    return UsagePublic(
        programs=[
            ProgramBalancePublic(
                program=p.program,
                budget_krw=p.budget_krw,
                held_krw=p.held_krw,
                spent_krw=p.spent_krw,
                available_krw=p.available_krw,
            )
            for p in u.programs
        ],
        orgs=[
            OrgUsagePublic(
                org=o.org,
                program=o.program,
                spent_krw=o.spent_krw,
                gpu_hours=o.gpu_hours,
                granted_krw=o.granted_krw,
            )
            for o in u.orgs
        ],
    )
