"""Programs, cohorts and orgs as the scheduler sees them, read from the store."""

from __future__ import annotations

import math
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from aigrid.live.store.models import (
    BORROWING,
    LENDING,
    CohortLimitRow,
    CohortQuotaRow,
    CohortRow,
    OrgRow,
    PriceFractionRow,
    ProgramLimitRow,
    ProgramRow,
    QuotaRow,
)
from aigrid.model import Cohort, Org, Program, Tenancy, TenantClass

Amounts = dict[str, dict[str, int]]
"""Owner (a program or a cohort) -> quota key -> GPUs."""


def _amounts(rows: Iterable[tuple[str, str, int]]) -> Amounts:
    out: Amounts = {}
    for owner, key, gpus in rows:
        out.setdefault(owner, {})[key] = gpus
    return out


def program_limits(s: Session, program: str | None = None) -> dict[str, Amounts]:
    """Per kind (borrowing, lending): program -> quota key -> GPUs; of one program, or all."""
    q = select(ProgramLimitRow)
    if program is not None:
        q = q.where(ProgramLimitRow.program == program)
    rows = s.scalars(q).all()
    return {
        kind: _amounts((r.program, r.quota_key, r.gpus) for r in rows if r.kind == kind)
        for kind in (BORROWING, LENDING)
    }


def load_cohorts(s: Session) -> dict[str, Cohort]:
    """The declared cohorts, by id, each with its quota and limits."""
    quotas = _amounts((q.cohort, q.quota_key, q.gpus) for q in s.scalars(select(CohortQuotaRow)))
    limits = s.scalars(select(CohortLimitRow)).all()
    by_kind = {
        kind: _amounts((r.cohort, r.quota_key, r.gpus) for r in limits if r.kind == kind)
        for kind in (BORROWING, LENDING)
    }
    return {
        c.id: Cohort(
            id=c.id,
            parent=c.parent,
            quota=quotas.get(c.id, {}),
            borrowing_limit=by_kind[BORROWING].get(c.id, {}),
            lending_limit=by_kind[LENDING].get(c.id, {}),
            weight=c.weight,
        )
        for c in s.scalars(select(CohortRow).order_by(CohortRow.id))
    }


def load_tenancy(s: Session) -> tuple[Tenancy, dict[str, float]]:
    """The programs, cohorts and orgs as the scheduler sees them, and what each program may
    still hold (its budget less what it has spent; holds are added back by the running jobs)."""
    quotas = _amounts((q.program, q.quota_key, q.gpus) for q in s.scalars(select(QuotaRow)))
    limits = program_limits(s)
    fractions: dict[str, dict[TenantClass, float]] = {}
    for f in s.scalars(select(PriceFractionRow)):
        fractions.setdefault(f.program, {})[TenantClass(f.tenant_class)] = f.fraction
    programs: dict[str, Program] = {}
    budgets: dict[str, float] = {}
    for p in s.scalars(select(ProgramRow).order_by(ProgramRow.id)):
        budget = math.inf if p.budget_krw is None else float(p.budget_krw)
        programs[p.id] = Program(
            id=p.id,
            name=p.name,
            budget_krw=budget,
            quota=quotas.get(p.id, {}),
            owners=tuple(p.owners),
            cohort=p.cohort,
            price_fraction=fractions.get(p.id, {}),
            borrowing=p.borrowing,
            weight=p.weight,
            borrowing_limit=limits[BORROWING].get(p.id, {}),
            lending_limit=limits[LENDING].get(p.id, {}),
        )
        budgets[p.id] = budget - p.spent_krw
    orgs = {
        o.id: Org(o.id, o.name, TenantClass(o.tenant_class))
        for o in s.scalars(select(OrgRow).order_by(OrgRow.id))
    }
    return Tenancy(programs, orgs, cohorts=load_cohorts(s)), budgets
