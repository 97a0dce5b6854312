"""Rows of the store to the API's public schemas."""

from __future__ import annotations

import math

from aigrid.live.api.schemas import (
    CohortPublic,
    GrantPublic,
    JobPublic,
    OrderFactorPublic,
    OrderPublic,
    OrgPublic,
    PlacementPublic,
    ProgramPublic,
    SharePublic,
    ShareTermPublic,
    TokenPublic,
    at,
)
from aigrid.live.service.admin import CohortView, ProgramView
from aigrid.live.service.auth import Role
from aigrid.live.store.models import GrantRow, JobRow, OrgRow, TokenRow
from aigrid.model import JobState, PriorityClass, TenantClass
from aigrid.scheduler import OrderBreakdown, ShareBreakdown


def org(row: OrgRow) -> OrgPublic:
    created = at(row.created_s)
    assert created is not None
    return OrgPublic(
        id=row.id, name=row.name, tenant_class=TenantClass(row.tenant_class), created_at=created
    )


def program(view: ProgramView) -> ProgramPublic:
    r = view.row
    return ProgramPublic(
        id=r.id,
        name=r.name,
        budget_krw=r.budget_krw,
        held_krw=r.held_krw,
        spent_krw=r.spent_krw,
        quota=view.quota,
        owners=list(r.owners),
        cohort=r.cohort,
        borrowing=r.borrowing,
        price_fraction=view.price_fraction,
        weight=r.weight,
        borrowing_limit=view.borrowing_limit,
        lending_limit=view.lending_limit,
    )


def cohort(view: CohortView) -> CohortPublic:
    c = view.cohort
    created = at(view.row.created_s)
    assert created is not None
    return CohortPublic(
        id=c.id,
        parent=c.parent,
        quota=dict(c.quota),
        borrowing_limit=dict(c.borrowing_limit),
        lending_limit=dict(c.lending_limit),
        weight=c.weight,
        created_at=created,
    )


def grant(row: GrantRow) -> GrantPublic:
    return GrantPublic(
        id=row.id,
        program=row.program,
        org=row.org,
        krw=row.krw,
        gpu_hours=row.gpu_hours,
        valid_from=at(row.valid_from_s),
        valid_to=at(row.valid_to_s),
        gpu_models=list(row.gpu_models),
    )


def token(row: TokenRow) -> TokenPublic:
    created = at(row.created_s)
    assert created is not None
    return TokenPublic(
        id=row.id,
        role=Role(row.role),
        org=row.org,
        program=row.program,
        name=row.name,
        created_at=created,
        revoked_at=at(row.revoked_s),
    )


def _finite(x: float) -> float | None:
    return x if math.isfinite(x) else None


def _share(share: ShareBreakdown | None) -> SharePublic | None:
    if share is None:
        return None
    return SharePublic(
        scope=share.scope,
        weight=share.weight,
        share=_finite(share.share),
        terms=[
            ShareTermPublic(
                gpu_model=t.gpu_model,
                decayed_gpus=t.decayed_gpus,
                held_gpus=t.held_gpus,
                nominal_gpus=t.nominal_gpus,
                share=t.share,
            )
            for t in share.terms
        ],
    )


def order(b: OrderBreakdown) -> OrderPublic:
    return OrderPublic(
        policy=b.policy,
        factors=[
            OrderFactorPublic(name=f.name, value=_finite(f.value), detail=f.detail)
            for f in b.factors
        ],
        total=[_finite(v) for v in b.key],
        weight=b.weight,
        half_life_s=b.half_life_s,
        program=_share(b.program),
        cohort=_share(b.cohort),
        cohorts=[s for s in map(_share, b.cohorts) if s is not None],
    )


def job(
    row: JobRow, pool_ids: tuple[str, ...], breakdown: OrderBreakdown | None = None
) -> JobPublic:
    placement = None
    if row.placement is not None and row.pool is not None:
        pool_id = pool_ids[row.pool] if row.pool < len(pool_ids) else str(row.pool)
        placement = PlacementPublic(
            pool=pool_id,
            nodes=[f"{pool_id}-{n:05d}" for n in row.placement["nodes"]],
            gpus_per_node=list(row.placement["gpus_per_node"]),
            devices=[list(d) for d in row.placement.get("devices", [])],
            gpu_share_milli=row.placement.get("gpu_share_milli", 0),
            cpu_milli=row.placement.get("cpu_milli", 0),
            memory_mib=row.placement.get("memory_mib", 0),
            backend=row.backend,
            backend_handle=row.backend_handle,
        )
    submitted = at(row.submit_s)
    assert submitted is not None
    return JobPublic(
        id=row.id,
        name=row.name,
        org=row.org,
        program=row.program,
        state=JobState(row.state),
        pending_reason=row.pending_reason,
        gpus=row.gpus,
        gpu_share_milli=row.gpu_share_milli,
        cpu_milli=row.cpu_milli,
        memory_mib=row.memory_mib,
        gpu_models=list(row.gpu_models),
        walltime_s=row.walltime_s,
        command=list(row.command),
        submitted_at=submitted,
        started_at=at(row.start_s),
        ended_at=at(row.end_s),
        exit_code=row.exit_code,
        attempt=row.attempt,
        placement=placement,
        price_krw_per_gpu_h=row.price_krw_per_gpu_h,
        hold_krw=row.hold_krw,
        cancel_requested=row.cancel_requested_s is not None,
        priority_class=PriorityClass(row.priority_class),
        order=None if breakdown is None else order(breakdown),
    )
