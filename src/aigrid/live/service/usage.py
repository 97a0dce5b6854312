"""Usage and balances: what each program has spent and holds, and what each org used.

Program balances are the running aggregates kept with the ledger; org usage is summed from the
ledger's spend entries. Each principal sees only its own part.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aigrid.live.service.auth import Principal, Role
from aigrid.live.service.context import ServiceContext
from aigrid.live.store.models import GrantRow, JobRow, LedgerEntryRow, ProgramRow


@dataclass(frozen=True, slots=True)
class ProgramBalance:
    program: str
    budget_krw: int | None
    held_krw: int
    spent_krw: int

    @property
    def available_krw(self) -> int | None:
        if self.budget_krw is None:
            return None
        return self.budget_krw - self.held_krw - self.spent_krw


@dataclass(frozen=True, slots=True)
class OrgUsage:
    org: str
    program: str
    spent_krw: int
    gpu_hours: float
    granted_krw: int | None
    """The sum of the org's grants from the program in KRW, None if any is unlimited."""


@dataclass(frozen=True, slots=True)
class Usage:
    programs: list[ProgramBalance]
    orgs: list[OrgUsage]


def usage(ctx: ServiceContext, who: Principal) -> Usage:
    with ctx.store.read() as s:
        programs: list[ProgramBalance] = []
        if who.role is not Role.MEMBER:
            q = select(ProgramRow).order_by(ProgramRow.id)
            if who.role is Role.MANAGER:
                q = q.where(ProgramRow.id == who.program)
            programs = [
                ProgramBalance(p.id, p.budget_krw, p.held_krw, p.spent_krw) for p in s.scalars(q)
            ]
        spend = (
            select(
                LedgerEntryRow.org,
                LedgerEntryRow.program,
                func.sum(LedgerEntryRow.krw),
                func.sum(LedgerEntryRow.gpu_seconds),
            )
            .where(
                LedgerEntryRow.kind == "spend",
                who.where(LedgerEntryRow.org, LedgerEntryRow.program),
            )
            .group_by(LedgerEntryRow.org, LedgerEntryRow.program)
        )
        used = {(o, p): (int(k or 0), float(g or 0.0) / 3600.0) for o, p, k, g in s.execute(spend)}
        granted: dict[tuple[str, str], int | None] = {}
        for g in s.scalars(select(GrantRow).where(who.where(GrantRow.org, GrantRow.program))):
            key = (g.org, g.program)
            before = granted.get(key, 0)
            granted[key] = None if before is None or g.krw is None else before + g.krw
        orgs = [
            OrgUsage(o, p, *used.get((o, p), (0, 0.0)), granted.get((o, p)))
            for o, p in sorted(set(used) | set(granted))
        ]
    return Usage(programs, orgs)


def jobs_by_state(ctx: ServiceContext) -> dict[str, int]:
    """How many jobs the store holds in each state (for operators' metrics; no org in it)."""
    with ctx.store.read() as s:
        rows = s.execute(select(JobRow.state, func.count()).group_by(JobRow.state)).all()
    return {state: int(n) for state, n in rows}


def org_used(s: Session, org: str, program: str) -> tuple[int, float]:
    """What `org` has used of `program`: KRW spent or held, and GPU-hours spent."""
    rows = s.execute(
        select(
            LedgerEntryRow.kind, func.sum(LedgerEntryRow.krw), func.sum(LedgerEntryRow.gpu_seconds)
        )
        .where(LedgerEntryRow.org == org, LedgerEntryRow.program == program)
        .group_by(LedgerEntryRow.kind)
    ).all()
    by_kind = {kind: (int(k or 0), float(g or 0.0)) for kind, k, g in rows}
    hold, release, spend = (by_kind.get(k, (0, 0.0)) for k in ("hold", "release", "spend"))
    return hold[0] - release[0] + spend[0], spend[1] / 3600.0


def ping(ctx: ServiceContext) -> None:
    """Raise if the store does not answer."""
    with ctx.store.read() as s:
        s.execute(select(1))


def program_balances(ctx: ServiceContext) -> list[ProgramBalance]:
    """Every program's budget, held and spent KRW (for operators' metrics)."""
    with ctx.store.read() as s:
        rows = s.scalars(select(ProgramRow).order_by(ProgramRow.id)).all()
    return [ProgramBalance(p.id, p.budget_krw, p.held_krw, p.spent_krw) for p in rows]
