"""Programs and orgs as the scheduler sees them, read from the store."""

from __future__ import annotations

import math

from sqlalchemy import select
from sqlalchemy.orm import Session

from aigrid.live.store.models import OrgRow, PriceFractionRow, ProgramRow, QuotaRow
from aigrid.model import Org, Program, Tenancy, TenantClass


def load_tenancy(s: Session) -> tuple[Tenancy, dict[str, float]]:
    """The programs and orgs as the scheduler sees them, and what each program may still hold
    (its budget less what it has spent; holds are added back by the running jobs)."""
    quotas: dict[str, dict[str, int]] = {}
    for q in s.scalars(select(QuotaRow)):
        quotas.setdefault(q.program, {})[q.gpu_model] = q.gpus
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
        )
        budgets[p.id] = budget - p.spent_krw
    orgs = {
        o.id: Org(o.id, o.name, TenantClass(o.tenant_class))
        for o in s.scalars(select(OrgRow).order_by(OrgRow.id))
    }
    return Tenancy(programs, orgs), budgets
