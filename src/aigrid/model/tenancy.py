"""Who uses the grid and who pays: tenant classes, programs, cohorts, orgs and grants."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from aigrid.model.fleet import Zone


class TenantClass(StrEnum):
    """The kinds of tenant whose access the public programs are meant to serve."""

    SME = "sme"
    UNIVERSITY = "university"
    RESEARCH = "research"
    PUBLIC = "public"
    ENTERPRISE = "enterprise"


@dataclass(frozen=True, slots=True)
class Program:
    """A funded access program, or an owner's own allocation of its pools.

    `quota` is the nominal number of GPUs per quota key (a GPU model, or `owner/model` for the
    pools of one owner) the program may hold at once. `owners` names whose pools its jobs may
    run on. Programs in the same `cohort` may borrow each other's unused quota: at most
    `borrowing_limit` GPUs of a key beyond their own (none at all without `borrowing`), and
    lend at most `lending_limit` of theirs, keeping the rest for themselves (a key not named
    has no limit; see `aigrid.scheduler.quota`). `price_fraction` is what the program charges
    per tenant class, as a fraction of the GPU model's list price at the site (0 for free
    academic access; 0.075 for the SME terms), after its `reserved_discount`.
    """

    id: str
    name: str
    budget_krw: float
    quota: Mapping[str, int]
    owners: tuple[str, ...]
    cohort: str | None = None
    price_fraction: Mapping[TenantClass, float] = field(default_factory=dict)
    borrowing: bool = True
    reserved_discount: float = 0.0
    """Share off the list price for capacity the program reserved ahead (scenario facts §4:
    35% for a one-year reservation); its price fractions apply to what is left."""
    weight: float = 1.0
    """Its weight in fair sharing: a program of weight 2 is served as if it used half of what
    it uses (Slurm's shares, Kueue's fair-sharing weight)."""
    borrowing_limit: Mapping[str, int] = field(default_factory=dict)
    lending_limit: Mapping[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _check_node("program", self.id, self.weight, self.borrowing_limit, self.lending_limit)

    def price_fraction_for(self, tenant_class: TenantClass) -> float:
        return self.price_fraction.get(tenant_class, 1.0)

    @property
    def quota_gpus(self) -> int:
        return sum(self.quota.values())


@dataclass(frozen=True, slots=True)
class Cohort:
    """A node of the quota tree above programs: programs and cohorts that name it as their
    cohort (or `parent`) share its quota, and may borrow each other's idle quota.

    `quota` is the cohort's own nominal quota per key, on top of what its members lend it
    (capacity given to the cohort as a whole). `borrowing_limit` and `lending_limit` bound what
    the whole cohort borrows from, and lends to, its `parent`'s other members (no parent: a
    root, which neither borrows nor lends). `weight` is its weight in fair sharing among its
    siblings. A cohort a program names but the tenancy does not declare is a root with no
    quota of its own and no limits."""

    id: str
    parent: str | None = None
    quota: Mapping[str, int] = field(default_factory=dict)
    borrowing_limit: Mapping[str, int] = field(default_factory=dict)
    lending_limit: Mapping[str, int] = field(default_factory=dict)
    weight: float = 1.0

    def __post_init__(self) -> None:
        _check_node("cohort", self.id, self.weight, self.borrowing_limit, self.lending_limit)


def _check_node(
    kind: str,
    id_: str,
    weight: float,
    borrowing_limit: Mapping[str, int],
    lending_limit: Mapping[str, int],
) -> None:
    if not weight > 0 or weight == float("inf"):
        raise ValueError(f"{kind} {id_!r}: weight must be positive, not {weight}")
    for name, limits in (("borrowing_limit", borrowing_limit), ("lending_limit", lending_limit)):
        for key, v in limits.items():
            if v < 0:
                raise ValueError(f"{kind} {id_!r}: {name} of {key} must be >= 0, not {v}")


@dataclass(frozen=True, slots=True)
class Org:
    """A tenant organisation."""

    id: str
    name: str
    tenant_class: TenantClass


@dataclass(frozen=True, slots=True)
class Grant:
    """Credit of a program to an org, in KRW or GPU-hours, for a time window (hours from start).

    A job of the org under the program starts only if one of its grants, valid at that moment
    and allowing the GPU model and zone, covers the job's walltime (in KRW at its price, or in
    GPU-hours); that much is held until the job ends and what it used is charged.
    """

    id: str
    program: str
    org: str
    krw: float | None = None
    gpu_hours: float | None = None
    valid_from_h: float = 0.0
    valid_to_h: float = float("inf")
    gpu_models: tuple[str, ...] = ()
    zones: tuple[Zone, ...] = ()

    def __post_init__(self) -> None:
        if (self.krw is None) == (self.gpu_hours is None):
            raise ValueError(f"grant {self.id!r}: give krw or gpu_hours, not both or neither")

    @property
    def in_gpu_hours(self) -> bool:
        return self.gpu_hours is not None

    @property
    def amount(self) -> int:
        """The credit in the ledger's unit for it: whole KRW, or GPU-seconds."""
        if self.gpu_hours is not None:
            return int(self.gpu_hours * 3600.0)
        assert self.krw is not None
        return int(self.krw)

    def valid_at(self, t_s: float) -> bool:
        """Whether the grant may pay for a start at `t_s` (seconds from the scenario's start)."""
        return self.valid_from_h * 3600.0 <= t_s < self.valid_to_h * 3600.0


@dataclass(frozen=True, slots=True)
class Tenancy:
    """Programs, cohorts and orgs of a scenario."""

    programs: Mapping[str, Program]
    orgs: Mapping[str, Org] = field(default_factory=dict)
    grants: tuple[Grant, ...] = ()
    cohorts: Mapping[str, Cohort] = field(default_factory=dict)
    """The cohorts declared with quota, limits or a parent; others are implicit roots."""

    def __post_init__(self) -> None:
        for c in self.cohorts.values():
            if c.parent is not None and c.parent not in self.cohorts:
                raise ValueError(f"cohort {c.id!r}: parent {c.parent!r} is not a declared cohort")
        for c in self.cohorts.values():
            seen = {c.id}
            up = c.parent
            while up is not None:
                if up in seen:
                    raise ValueError(f"cohort {c.id!r}: its parents form a cycle through {up!r}")
                seen.add(up)
                up = self.cohorts[up].parent

    def cohort_members(self, cohort: str) -> tuple[str, ...]:
        return tuple(p.id for p in self.programs.values() if p.cohort == cohort)

    @property
    def granted_programs(self) -> frozenset[str]:
        """Programs that pay through grants: their jobs need a grant of their org."""
        return frozenset(g.program for g in self.grants)
