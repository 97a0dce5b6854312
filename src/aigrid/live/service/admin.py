"""Orgs, programs, grants and tokens: the tenancy an admin (or a program's manager) sets up."""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, exists, or_, select, true, update
from sqlalchemy.orm import Session

from aigrid.live.errors import ConflictError, ForbiddenError, InvalidRequestError, NotFoundError
from aigrid.live.service.auth import NewToken, Principal, Role, new_token
from aigrid.live.service.context import ServiceContext
from aigrid.live.store.engine import Store
from aigrid.live.store.models import (
    BORROWING,
    LENDING,
    CohortLimitRow,
    CohortQuotaRow,
    CohortRow,
    GpuModelRow,
    GrantRow,
    Meta,
    OrgRow,
    OwnerRow,
    PoolRow,
    PriceFractionRow,
    ProgramLimitRow,
    ProgramRow,
    QuotaRow,
    TokenRow,
)
from aigrid.live.store.tenancy import load_cohorts, program_limits
from aigrid.model import Cohort, TenantClass

TENANCY_VERSION = "tenancy_version"


def bump_tenancy(session: Session) -> None:
    """Record that programs or cohorts changed, so the scheduling loop rebuilds its state."""
    row = session.get(Meta, TENANCY_VERSION)
    if row is None:
        session.add(Meta(key=TENANCY_VERSION, value="1"))
    else:
        row.value = str(int(row.value) + 1)


def tenancy_version(session: Session) -> int:
    row = session.get(Meta, TENANCY_VERSION)
    return 0 if row is None else int(row.value)


# -- orgs -------------------------------------------------------------------------------------


def create_org(
    ctx: ServiceContext, who: Principal, id: str, name: str, tenant_class: TenantClass
) -> OrgRow:
    who.require_admin()
    with ctx.store.write() as s:
        if s.get(OrgRow, id) is not None:
            raise ConflictError(f"org {id!r} exists already")
        row = OrgRow(id=id, name=name or id, tenant_class=tenant_class.value, created_s=ctx.clock())
        s.add(row)
    return row


def _org_visible(who: Principal) -> ColumnElement[bool]:
    if who.role is Role.MANAGER:
        return exists().where(GrantRow.org == OrgRow.id, GrantRow.program == who.program)
    return who.where(OrgRow.id)


def list_orgs(ctx: ServiceContext, who: Principal) -> Sequence[OrgRow]:
    with ctx.store.read() as s:
        q = select(OrgRow).where(_org_visible(who)).order_by(OrgRow.id)
        return s.scalars(q).all()


def get_org(ctx: ServiceContext, who: Principal, id: str) -> OrgRow:
    with ctx.store.read() as s:
        q = select(OrgRow).where(OrgRow.id == id, _org_visible(who))
        row = s.scalar(q)
    if row is None:
        raise NotFoundError(f"no org {id!r}")
    return row


# -- programs ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ProgramView:
    """A program with its quota, limits and price fractions."""

    row: ProgramRow
    quota: dict[str, int]
    price_fraction: dict[str, float]
    borrowing_limit: dict[str, int]
    lending_limit: dict[str, int]


def _program_view(s: Session, row: ProgramRow) -> ProgramView:
    quota = {
        q.quota_key: q.gpus for q in s.scalars(select(QuotaRow).where(QuotaRow.program == row.id))
    }
    fractions = {
        f.tenant_class: f.fraction
        for f in s.scalars(select(PriceFractionRow).where(PriceFractionRow.program == row.id))
    }
    limits = program_limits(s, row.id)
    return ProgramView(
        row,
        quota,
        fractions,
        borrowing_limit=limits[BORROWING].get(row.id, {}),
        lending_limit=limits[LENDING].get(row.id, {}),
    )


@dataclass(frozen=True, slots=True)
class FleetNames:
    """The GPU models and owners of the stored fleet: what a quota key may name."""

    models: frozenset[str]
    owners: frozenset[str]

    @classmethod
    def of(cls, s: Session) -> FleetNames:
        return cls(
            frozenset(s.scalars(select(GpuModelRow.name))),
            frozenset(s.scalars(select(OwnerRow.id))),
        )

    def check_key(self, what: str, key: str) -> None:
        """A quota key names a GPU model of the fleet, or `owner/model` with a known owner
        too; anything else would be a quota that no pool ever counts against."""
        owner, slash, model = key.rpartition("/")
        if slash and owner not in self.owners:
            raise InvalidRequestError(
                f"{what} names owner {owner!r} in key {key!r}, which the fleet does not have "
                f"(it has: {', '.join(sorted(self.owners)) or 'none'})"
            )
        if model not in self.models:
            raise InvalidRequestError(
                f"{what} names GPU model {model!r}, which the fleet does not have "
                f"(it has: {', '.join(sorted(self.models)) or 'none'})"
            )

    def check_amounts(self, what: str, amounts: Mapping[str, int]) -> None:
        """Every key known, every amount a whole number of GPUs >= 0."""
        for key, gpus in amounts.items():
            self.check_key(what, key)
            if gpus < 0:
                raise InvalidRequestError(f"{what} of {key} must be >= 0, got {gpus}")


def _check_weight(weight: float) -> None:
    if not 0 < weight < math.inf:
        raise InvalidRequestError(f"weight must be a finite number > 0, got {weight}")


def _limit_items(limits: Mapping[str, Mapping[str, int]]) -> Iterator[tuple[str, str, int]]:
    """(kind, quota key, GPUs) of limits given by kind (borrowing, lending) -> key -> GPUs."""
    for kind, amounts in limits.items():
        for key, gpus in amounts.items():
            yield kind, key, gpus


def create_program(
    ctx: ServiceContext,
    who: Principal,
    id: str,
    *,
    name: str = "",
    budget_krw: float | None = None,
    quota: Mapping[str, int] | None = None,
    owners: Sequence[str] = (),
    cohort: str | None = None,
    borrowing: bool = True,
    price_fraction: Mapping[TenantClass, float] | None = None,
    weight: float = 1.0,
    borrowing_limit: Mapping[str, int] | None = None,
    lending_limit: Mapping[str, int] | None = None,
) -> ProgramView:
    """A program. No quota means the whole fleet's GPUs of every model; no owners means every
    owner's pools; no budget means unlimited. `weight`: its weight in fair sharing. Quota and
    limits are per quota key, a GPU model or `owner/model`; `borrowing_limit` caps what it may
    take beyond its quota from its cohort, `lending_limit` what of its quota it lends (the
    rest is kept for its own jobs); a key not named has no limit."""
    who.require_admin()
    if budget_krw is not None and not 0 <= budget_krw < math.inf:
        raise InvalidRequestError(f"budget_krw must be a finite amount >= 0, got {budget_krw}")
    _check_weight(weight)
    limits = {BORROWING: borrowing_limit or {}, LENDING: lending_limit or {}}
    with ctx.store.write() as s:
        if s.get(ProgramRow, id) is not None:
            raise ConflictError(f"program {id!r} exists already")
        names = FleetNames.of(s)
        if quota is None:
            quota = {}
            for p in s.scalars(select(PoolRow)):
                quota[p.gpu_model] = quota.get(p.gpu_model, 0) + p.gpus_per_node * p.nodes
        names.check_amounts("quota", quota)
        for kind, amounts in limits.items():
            names.check_amounts(f"{kind}_limit", amounts)
        for owner in owners:
            if owner not in names.owners:
                raise InvalidRequestError(f"no owner {owner!r} in the fleet")
        for cls, fraction in (price_fraction or {}).items():
            if not 0 <= fraction < math.inf:
                raise InvalidRequestError(f"price fraction of {cls} must be >= 0")
        row = ProgramRow(
            id=id,
            name=name or id,
            budget_krw=None if budget_krw is None else math.floor(budget_krw),
            owners=sorted(owners or names.owners),
            cohort=cohort,
            borrowing=borrowing,
            weight=weight,
            held_krw=0,
            spent_krw=0,
            created_s=ctx.clock(),
        )
        s.add(row)
        s.flush()
        s.add_all(QuotaRow(program=id, quota_key=k, gpus=g) for k, g in quota.items())
        s.add_all(
            ProgramLimitRow(program=id, kind=kind, quota_key=key, gpus=gpus)
            for kind, key, gpus in _limit_items(limits)
        )
        s.add_all(
            PriceFractionRow(program=id, tenant_class=c.value, fraction=f)
            for c, f in (price_fraction or {}).items()
        )
        bump_tenancy(s)
        s.flush()
        return _program_view(s, row)


def _program_visible(who: Principal) -> ColumnElement[bool]:
    if who.role is Role.MEMBER:
        return exists().where(GrantRow.program == ProgramRow.id, GrantRow.org == who.org)
    if who.role is Role.MANAGER:
        return ProgramRow.id == who.program
    return true()


def list_programs(ctx: ServiceContext, who: Principal) -> list[ProgramView]:
    with ctx.store.read() as s:
        q = select(ProgramRow).where(_program_visible(who)).order_by(ProgramRow.id)
        return [_program_view(s, r) for r in s.scalars(q)]


def get_program(ctx: ServiceContext, who: Principal, id: str) -> ProgramView:
    with ctx.store.read() as s:
        q = select(ProgramRow).where(ProgramRow.id == id, _program_visible(who))
        row = s.scalar(q)
        if row is None:
            raise NotFoundError(f"no program {id!r}")
        return _program_view(s, row)


# -- cohorts ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CohortView:
    """A cohort with its own quota and its limits, per quota key."""

    row: CohortRow
    cohort: Cohort


def create_cohort(
    ctx: ServiceContext,
    who: Principal,
    id: str,
    *,
    parent: str | None = None,
    quota: Mapping[str, int] | None = None,
    borrowing_limit: Mapping[str, int] | None = None,
    lending_limit: Mapping[str, int] | None = None,
    weight: float = 1.0,
) -> CohortView:
    """A cohort of the quota tree, under `parent` (a cohort created before; none: a root).
    Programs join it by naming it as their cohort, cohorts by naming it as their parent.
    `quota` is its own, given to the cohort as a whole; `borrowing_limit` caps what the whole
    cohort takes beyond its subtree's quota from its parent, `lending_limit` what of it the
    cohort lends its siblings (the rest is kept for its members). A cohort that programs name
    before it is created was a root with nothing of its own; creating it gives it these."""
    who.require_admin()
    _check_weight(weight)
    limits = {BORROWING: borrowing_limit or {}, LENDING: lending_limit or {}}
    with ctx.store.write() as s:
        if s.get(CohortRow, id) is not None:
            raise ConflictError(f"cohort {id!r} exists already")
        if parent is not None and s.get(CohortRow, parent) is None:
            raise NotFoundError(f"no cohort {parent!r} to be the parent (create it first)")
        names = FleetNames.of(s)
        names.check_amounts("quota", quota or {})
        for kind, amounts in limits.items():
            names.check_amounts(f"{kind}_limit", amounts)
        row = CohortRow(id=id, parent=parent, weight=weight, created_s=ctx.clock())
        s.add(row)
        s.flush()
        s.add_all(CohortQuotaRow(cohort=id, quota_key=k, gpus=g) for k, g in (quota or {}).items())
        s.add_all(
            CohortLimitRow(cohort=id, kind=kind, quota_key=key, gpus=gpus)
            for kind, key, gpus in _limit_items(limits)
        )
        bump_tenancy(s)
        s.flush()
        return CohortView(row, load_cohorts(s)[id])


def list_cohorts(ctx: ServiceContext, who: Principal) -> list[CohortView]:
    """Every cohort, to anyone authenticated: cohorts name no org and no program, and a
    member needs them to understand why a job waits for a borrowing limit."""
    with ctx.store.read() as s:
        cohorts = load_cohorts(s)
        rows = s.scalars(select(CohortRow).order_by(CohortRow.id)).all()
        return [CohortView(r, cohorts[r.id]) for r in rows]


def get_cohort(ctx: ServiceContext, who: Principal, id: str) -> CohortView:
    with ctx.store.read() as s:
        row = s.get(CohortRow, id)
        if row is None:
            raise NotFoundError(f"no cohort {id!r}")
        return CohortView(row, load_cohorts(s)[id])


# -- grants -----------------------------------------------------------------------------------


def create_grant(
    ctx: ServiceContext,
    who: Principal,
    program: str,
    org: str,
    *,
    krw: float | None = None,
    gpu_hours: float | None = None,
    valid_from_s: float | None = None,
    valid_to_s: float | None = None,
    gpu_models: Sequence[str] = (),
) -> GrantRow:
    """Credit of `program` to `org`. An admin may grant from any program, a manager from its
    own; a member may not grant."""
    if who.role is Role.MEMBER:
        raise ForbiddenError("only an admin or the program's manager may grant")
    if who.role is Role.MANAGER and program != who.program:
        raise NotFoundError(f"no program {program!r}")
    for name, value in (("krw", krw), ("gpu_hours", gpu_hours)):
        if value is not None and not 0 <= value < math.inf:
            raise InvalidRequestError(f"{name} must be a finite amount >= 0, got {value}")
    if valid_from_s is not None and valid_to_s is not None and valid_to_s <= valid_from_s:
        raise InvalidRequestError("valid_to must come after valid_from")
    with ctx.store.write() as s:
        if s.get(ProgramRow, program) is None:
            raise NotFoundError(f"no program {program!r}")
        if s.get(OrgRow, org) is None:
            raise NotFoundError(f"no org {org!r}")
        models = set(s.scalars(select(GpuModelRow.name)))
        for m in gpu_models:
            if m not in models:
                raise InvalidRequestError(f"no GPU model {m!r} in the fleet")
        row = GrantRow(
            program=program,
            org=org,
            krw=None if krw is None else math.floor(krw),
            gpu_hours=gpu_hours,
            valid_from_s=valid_from_s,
            valid_to_s=valid_to_s,
            gpu_models=list(gpu_models),
            created_s=ctx.clock(),
        )
        s.add(row)
    return row


def list_grants(ctx: ServiceContext, who: Principal) -> Sequence[GrantRow]:
    with ctx.store.read() as s:
        q = select(GrantRow).where(who.where(GrantRow.org, GrantRow.program)).order_by(GrantRow.id)
        return s.scalars(q).all()


def active_grants(s: Session, org: str, program: str, now: float) -> Sequence[GrantRow]:
    q = select(GrantRow).where(
        GrantRow.org == org,
        GrantRow.program == program,
        or_(GrantRow.valid_from_s.is_(None), GrantRow.valid_from_s <= now),
        or_(GrantRow.valid_to_s.is_(None), GrantRow.valid_to_s > now),
    )
    return s.scalars(q).all()


# -- tokens -----------------------------------------------------------------------------------


def issue_token(
    store: Store,
    now: float,
    role: Role,
    *,
    org: str | None = None,
    program: str | None = None,
    name: str = "",
) -> tuple[TokenRow, NewToken]:
    """Make a token straight in the store (the bootstrap of the first admin uses this)."""
    if role is Role.MEMBER and (org is None or program is not None):
        raise InvalidRequestError("a member token names its org (and no program)")
    if role is Role.MANAGER and (program is None or org is not None):
        raise InvalidRequestError("a manager token names its program (and no org)")
    if role is Role.ADMIN and (org is not None or program is not None):
        raise InvalidRequestError("an admin token names no org and no program")
    token = new_token()
    with store.write() as s:
        if org is not None and s.get(OrgRow, org) is None:
            raise NotFoundError(f"no org {org!r}")
        if program is not None and s.get(ProgramRow, program) is None:
            raise NotFoundError(f"no program {program!r}")
        row = TokenRow(
            id=token.id,
            secret_sha256=token.sha256,
            role=role.value,
            org=org,
            program=program,
            name=name or role.value,
            created_s=now,
            revoked_s=None,
        )
        s.add(row)
    return row, token


def create_token(
    ctx: ServiceContext,
    who: Principal,
    role: Role,
    *,
    org: str | None = None,
    program: str | None = None,
    name: str = "",
) -> tuple[TokenRow, NewToken]:
    who.require_admin()
    return issue_token(ctx.store, ctx.clock(), role, org=org, program=program, name=name)


def list_tokens(ctx: ServiceContext, who: Principal) -> Sequence[TokenRow]:
    who.require_admin()
    with ctx.store.read() as s:
        return s.scalars(select(TokenRow).order_by(TokenRow.created_s, TokenRow.id)).all()


def revoke_token(ctx: ServiceContext, who: Principal, id: str) -> TokenRow:
    who.require_admin()
    with ctx.store.write() as s:
        row = s.get(TokenRow, id)
        if row is None:
            raise NotFoundError(f"no token {id!r}")
        if row.revoked_s is None:
            s.execute(update(TokenRow).where(TokenRow.id == id).values(revoked_s=ctx.clock()))
            s.refresh(row)
        return row
