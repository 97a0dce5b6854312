"""Grants: credit of a program to an org, held at admission and charged at the end.

A grant is an account of its own, in its own unit: whole KRW, or GPU-seconds for a grant given
in GPU-hours. The bookkeeping is the program budgets' (`ProgramAccounts`: append-only entries,
holds, idempotent settle and release), keyed by grant id instead of program, so the same rules
hold and the same audit applies:

    spent + held <= credit, for every grant, at every moment

A job's charge to a KRW grant is what it costs at its price; to a GPU-hour grant, the GPU-seconds
it held its GPUs. Either is at most its hold, which covered its walltime (stretched for a job
held below full power), so a settlement never needs more than the job held.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from aigrid.ledger.budget import Balance, Entry, ProgramAccounts
from aigrid.model import Grant


class GrantLedger:
    """Every grant's credit, holds and charges, with O(1) operations."""

    __slots__ = ("_accounts", "grants")

    def __init__(self, grants: Iterable[Grant], *, keep_entries: bool = True) -> None:
        self.grants = {g.id: g for g in grants}
        self._accounts = ProgramAccounts(
            {g.id: g.amount for g in self.grants.values()}, keep_entries=keep_entries
        )

    def hold(self, job_id: int, grant: str, amount: float, at_s: float) -> bool:
        """Hold `amount` of `grant` (in its unit) for `job_id`; False, recording nothing, if its
        credit cannot cover it."""
        return self._accounts.hold(job_id, grant, amount, at_s)

    def settle(self, job_id: int, krw: float, gpu_s: float, at_s: float) -> int | None:
        """Release the job's hold and charge what it used: `krw` to a KRW grant, `gpu_s` to a
        GPU-hour grant. None (a no-op) if the job holds nothing."""
        held = self._accounts.held_by(job_id)
        if held is None:
            return None
        grant = self.grants[held[0]]
        used = math.ceil(gpu_s - 1e-6) if grant.in_gpu_hours else krw
        return self._accounts.settle(job_id, used, at_s)

    def release(self, job_id: int, at_s: float) -> int | None:
        """Drop the job's hold without charge (cancel, failure before start)."""
        return self._accounts.release(job_id, at_s)

    def available(self, grant: str) -> float:
        """Credit a new hold on `grant` may take, in its unit."""
        return self._accounts.available_krw(grant)

    def held_by(self, job_id: int) -> tuple[str, int] | None:
        """The grant and amount of the job's open hold, or None."""
        return self._accounts.held_by(job_id)

    def balance(self, grant: str) -> Balance:
        """The grant's credit, spent and held, in its unit (`Balance.program` is the grant id)."""
        return self._accounts.balance(grant)

    def balances(self) -> dict[str, Balance]:
        return self._accounts.balances()

    @property
    def entries(self) -> Sequence[Entry]:
        """Every entry, in order (`Entry.program` is the grant id, amounts in its unit)."""
        return self._accounts.entries

    @property
    def budgets(self) -> dict[str, int | None]:
        return self._accounts.budgets
