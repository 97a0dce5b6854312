"""Why a job waits or is refused, in words a user understands.

A reason has a stable `code` (for metrics, the API and tests) and a `message` (for people). The
codes are ordered by how far a job got through the checks; when several pools refuse a job for
different reasons, the one that got furthest is the one worth telling (Kueue's flavor assigner
does the same with its fit modes).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Final


class ReasonCode(IntEnum):
    """Ordered: a higher code means the job passed more checks before it was stopped."""

    NO_ELIGIBLE_POOL = 0
    TOO_LARGE = 1
    QUOTA = 2
    BORROWING_LIMIT = 3
    BUDGET = 4
    GRANT = 5
    NO_CAPACITY = 6
    CPU_MEMORY = 7
    NVLINK_DOMAIN = 8
    RESERVED = 9
    POWER_CAP = 10
    DEFERRED = 11

    @property
    def slug(self) -> str:
        return SLUGS[self]


SLUGS: Final[dict[ReasonCode, str]] = {code: code.name.lower() for code in ReasonCode}
"""Each code's slug (`ReasonCode.slug`), looked up rather than made: the twin's wait accounting
asks for one at every change of a queue."""


_TEXT: Final = {
    ReasonCode.NO_ELIGIBLE_POOL: "no pool it may use has the GPU model, owner and zone it needs",
    ReasonCode.TOO_LARGE: "larger than any pool it may use, or than its program's quota",
    ReasonCode.QUOTA: "its program's quota for this GPU model is in use, or lent to its cohort",
    ReasonCode.BORROWING_LIMIT: "its program's quota is in use, and its cohorts have no idle "
    "quota it may borrow (none idle, or a borrowing limit reached)",
    ReasonCode.BUDGET: "its program's budget cannot cover the job's walltime at its price",
    ReasonCode.GRANT: "no grant of its org, valid now for this GPU model and zone, can cover "
    "the job's walltime",
    ReasonCode.NO_CAPACITY: "waiting for free GPUs in the pools it may use",
    ReasonCode.CPU_MEMORY: "no node with room on its GPUs has the CPU or memory it asks free",
    ReasonCode.NVLINK_DOMAIN: "no NVLink domain has enough free GPUs to hold the gang together",
    ReasonCode.RESERVED: "the free GPUs are held for a larger job's backfill reservation",
    ReasonCode.POWER_CAP: "the site's grid connection cannot take the extra power",
    ReasonCode.DEFERRED: "deferred to the light-load hours of the site's tariff",
}


@dataclass(frozen=True, slots=True, init=False)
class Reason:
    code: ReasonCode
    detail: str = ""

    def __init__(self, code: ReasonCode, detail: str = "") -> None:
        # Written out, as `Placement`'s is: one is built for every job that waits.
        object.__setattr__(self, "code", code)
        object.__setattr__(self, "detail", detail)

    @property
    def message(self) -> str:
        base = _TEXT[self.code]
        return f"{base} ({self.detail})" if self.detail else base

    def __str__(self) -> str:
        return self.message
