"""Money: prices per GPU-hour, program budgets and grants (holds, spend), append-only and
idempotent.

Pure bookkeeping over `aigrid.model`; no clock, no I/O. Times are passed in.
"""

from aigrid.ledger.budget import (
    Balance,
    DuplicateHoldError,
    EntriesNotKeptError,
    Entry,
    EntryKind,
    LedgerError,
    OverspendError,
    ProgramAccounts,
    UnknownProgramError,
    balances_from_entries,
)
from aigrid.ledger.grants import GrantLedger
from aigrid.ledger.prices import GpuHourPrice, PriceList, charge_krw, gpu_hour_price

__all__ = [
    "Balance",
    "DuplicateHoldError",
    "EntriesNotKeptError",
    "Entry",
    "EntryKind",
    "GpuHourPrice",
    "GrantLedger",
    "LedgerError",
    "OverspendError",
    "PriceList",
    "ProgramAccounts",
    "UnknownProgramError",
    "balances_from_entries",
    "charge_krw",
    "gpu_hour_price",
]
