"""Program budgets: holds at admission, spend at settlement, in whole KRW.

A job is admitted only if its program can hold the job's worst-case charge (its walltime at its
price); when it ends the hold is released and what it used is spent; a cancelled or failed job
has its hold released and spends nothing. So at every moment, per program,

    spent + held <= budget

Every change is an append-only `Entry` (hold, release, spend); balances are derived from the
entries, and `ProgramAccounts` keeps running totals that always equal the sums of its entries
(`balances_from_entries` recomputes them for an audit).

Amounts are whole KRW (KRW has no minor unit), which keeps every sum exact: a hold is rounded up,
a spend to the nearest won (so a spend never exceeds a hold computed for a longer or equal time),
a budget down. A budget of infinity means unlimited (an owner's own allocation).

Per job, operations are idempotent: a settle or release without an open hold is a no-op (it
returns None). A job may hold again after its hold was settled or released (a requeued job's
next run); a second hold while one is open is a bug in the caller and raises.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple

from aigrid.model.tenancy import Program


class LedgerError(Exception):
    """A request the ledger must not carry out."""


class UnknownProgramError(LedgerError):
    """An operation named a program the accounts do not have."""


class DuplicateHoldError(LedgerError):
    """A job asked for a hold while it already holds one."""


class OverspendError(LedgerError):
    """A settlement exceeds its hold by more than the program has free."""


class EntriesNotKeptError(LedgerError):
    """The entries were asked for from accounts made with `keep_entries=False`."""


class EntryKind(StrEnum):
    HOLD = "hold"
    """KRW reserved for a job when it is admitted."""
    RELEASE = "release"
    """A hold given back, in full, when its job ends or is cancelled."""
    SPEND = "spend"
    """KRW charged for what a job used."""


class Entry(NamedTuple):
    """One ledger record. `seq` orders entries; `at_s` is simulated (or service) time.

    A named tuple, not a dataclass: one is made per hold, release and spend, on the hot path."""

    seq: int
    at_s: float
    job_id: int
    program: str
    kind: EntryKind
    krw: int


@dataclass(frozen=True, slots=True)
class Balance:
    """A program's budget and what is spent and held against it."""

    program: str
    budget_krw: int | None
    """None when unlimited."""
    spent_krw: int
    held_krw: int

    @property
    def available_krw(self) -> float:
        """What a new hold may take: budget - spent - held (infinity when unlimited)."""
        if self.budget_krw is None:
            return math.inf
        return self.budget_krw - self.spent_krw - self.held_krw


class _Account:
    __slots__ = ("budget", "held", "spent")

    def __init__(self, budget: int | None) -> None:
        self.budget = budget
        self.spent = 0
        self.held = 0


def _budget_krw(program: str, krw: float) -> int | None:
    if math.isnan(krw) or krw < 0:
        raise ValueError(f"program {program!r}: budget {krw} must be >= 0")
    return None if math.isinf(krw) else math.floor(krw)


def _amount(krw: float) -> float:
    if not 0 <= krw < math.inf:
        raise ValueError(f"amount {krw} KRW must be finite and >= 0")
    return krw


def balances_from_entries(
    entries: Iterable[Entry], budgets: Mapping[str, int | None]
) -> dict[str, Balance]:
    """Balances per program recomputed from entries alone: held = holds - releases, spent =
    spends. O(entries)."""
    held = dict.fromkeys(budgets, 0)
    spent = dict.fromkeys(budgets, 0)
    for e in entries:
        if e.kind is EntryKind.HOLD:
            held[e.program] += e.krw
        elif e.kind is EntryKind.RELEASE:
            held[e.program] -= e.krw
        else:
            spent[e.program] += e.krw
    return {p: Balance(p, b, spent[p], held[p]) for p, b in budgets.items()}


class ProgramAccounts:
    """Budget, holds and spend of every program, with O(1) operations.

    `keep_entries=False` keeps only the running totals and the open holds (memory bounded by
    the running jobs, not by all jobs ever): for a twin of a million jobs that needs balances
    but no audit trail. Asking such accounts for `entries` raises `EntriesNotKeptError`.
    """

    __slots__ = ("_accounts", "_entries", "_holds", "_seq", "keep_entries")

    def __init__(self, budgets_krw: Mapping[str, float], *, keep_entries: bool = True) -> None:
        self._accounts = {p: _Account(_budget_krw(p, krw)) for p, krw in budgets_krw.items()}
        self._holds: dict[int, tuple[str, int]] = {}
        self._entries: list[Entry] = []
        self._seq = 0
        self.keep_entries = keep_entries

    @classmethod
    def from_programs(
        cls, programs: Mapping[str, Program], *, keep_entries: bool = True
    ) -> ProgramAccounts:
        """Accounts for `Tenancy.programs`, each with its `budget_krw`."""
        return cls({p.id: p.budget_krw for p in programs.values()}, keep_entries=keep_entries)

    def _account(self, program: str) -> _Account:
        try:
            return self._accounts[program]
        except KeyError:
            raise UnknownProgramError(f"no account for program {program!r}") from None

    def _record(self, at_s: float, job_id: int, program: str, kind: EntryKind, krw: int) -> None:
        if self.keep_entries:
            self._entries.append(Entry(self._seq, at_s, job_id, program, kind, krw))
        self._seq += 1

    # -- the hot path ------------------------------------------------------------------------

    def hold(self, job_id: int, program: str, krw: float, at_s: float) -> bool:
        """Reserve `krw` (rounded up to whole KRW) of `program` for `job_id`.

        Returns False, recording nothing, if the program's budget minus spent minus open holds
        cannot cover it: the admission check. Raises `DuplicateHoldError` if the job already
        holds. O(1).
        """
        if job_id in self._holds:
            raise DuplicateHoldError(f"job {job_id} already holds {self._holds[job_id][1]} KRW")
        acct = self._account(program)
        amount = math.ceil(_amount(krw))
        if acct.budget is not None and amount > acct.budget - acct.spent - acct.held:
            return False
        acct.held += amount
        self._holds[job_id] = (program, amount)
        self._record(at_s, job_id, program, EntryKind.HOLD, amount)
        return True

    def settle(self, job_id: int, actual_krw: float, at_s: float) -> int | None:
        """Release the job's hold and spend `actual_krw` (rounded to whole KRW).

        Returns the KRW spent, or None (a no-op) if the job holds nothing. A spend above the
        hold takes the excess from the program's free budget, or raises `OverspendError` and
        changes nothing if it does not cover it. O(1).
        """
        held = self._holds.get(job_id)
        if held is None:
            return None
        program, held_krw = held
        amount = round(_amount(actual_krw))
        acct = self._accounts[program]
        if acct.budget is not None and amount - held_krw > acct.budget - acct.spent - acct.held:
            raise OverspendError(
                f"job {job_id}: spend of {amount} KRW exceeds its hold of {held_krw} KRW by more "
                f"than program {program!r} has free"
            )
        del self._holds[job_id]
        acct.held -= held_krw
        acct.spent += amount
        self._record(at_s, job_id, program, EntryKind.RELEASE, held_krw)
        self._record(at_s, job_id, program, EntryKind.SPEND, amount)
        return amount

    def release(self, job_id: int, at_s: float) -> int | None:
        """Drop the job's hold without spending (cancellation, failure, rejection).

        Returns the KRW released, or None (a no-op) if the job holds nothing. O(1).
        """
        held = self._holds.pop(job_id, None)
        if held is None:
            return None
        program, held_krw = held
        self._accounts[program].held -= held_krw
        self._record(at_s, job_id, program, EntryKind.RELEASE, held_krw)
        return held_krw

    def available_krw(self, program: str) -> float:
        """What a new hold of `program` may take (infinity when unlimited). O(1)."""
        acct = self._account(program)
        if acct.budget is None:
            return math.inf
        return acct.budget - acct.spent - acct.held

    def can_hold(self, program: str, krw: float) -> bool:
        """Whether `hold` would accept `krw` for `program` now, recording nothing. O(1)."""
        return math.ceil(_amount(krw)) <= self.available_krw(program)

    def held_by(self, job_id: int) -> tuple[str, int] | None:
        """The program and KRW of the job's open hold, or None. O(1)."""
        return self._holds.get(job_id)

    # -- views -------------------------------------------------------------------------------

    @property
    def budgets(self) -> dict[str, int | None]:
        """Budget per program in whole KRW (None when unlimited)."""
        return {p: a.budget for p, a in self._accounts.items()}

    def balance(self, program: str) -> Balance:
        acct = self._account(program)
        return Balance(program, acct.budget, acct.spent, acct.held)

    def balances(self) -> dict[str, Balance]:
        return {p: Balance(p, a.budget, a.spent, a.held) for p, a in self._accounts.items()}

    @property
    def open_holds(self) -> dict[int, tuple[str, int]]:
        """Job id -> (program, KRW) of every open hold (a copy)."""
        return dict(self._holds)

    @property
    def entries(self) -> Sequence[Entry]:
        """Every entry in the order recorded. Read-only; do not mutate."""
        if not self.keep_entries:
            raise EntriesNotKeptError("these accounts were made with keep_entries=False")
        return self._entries
