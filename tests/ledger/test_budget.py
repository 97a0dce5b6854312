"""Program budgets: holds, settlement, release; invariants as properties."""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aigrid.ledger import (
    Balance,
    DuplicateHoldError,
    EntriesNotKeptError,
    EntryKind,
    OverspendError,
    ProgramAccounts,
    UnknownProgramError,
    balances_from_entries,
)
from aigrid.model import Program


def accounts(**budgets: float) -> ProgramAccounts:
    return ProgramAccounts(budgets)


def test_hold_is_the_admission_check() -> None:
    acc = accounts(sme=1000.0)
    assert acc.hold(1, "sme", 600.0, at_s=0.0)
    assert acc.available_krw("sme") == 400
    assert not acc.can_hold("sme", 401.0)
    assert not acc.hold(2, "sme", 401.0, at_s=1.0)  # refused, nothing recorded
    assert acc.held_by(2) is None
    assert acc.hold(2, "sme", 400.0, at_s=1.0)  # exactly fits
    assert acc.available_krw("sme") == 0
    assert [e.kind for e in acc.entries] == [EntryKind.HOLD, EntryKind.HOLD]


def test_settle_releases_the_hold_and_spends_the_actual() -> None:
    acc = accounts(sme=1000.0)
    acc.hold(1, "sme", 600.0, at_s=0.0)
    assert acc.settle(1, 250.0, at_s=3600.0) == 250
    assert acc.balance("sme") == Balance("sme", 1000, spent_krw=250, held_krw=0)
    assert [(e.kind, e.krw, e.at_s) for e in acc.entries] == [
        (EntryKind.HOLD, 600, 0.0),
        (EntryKind.RELEASE, 600, 3600.0),
        (EntryKind.SPEND, 250, 3600.0),
    ]


def test_release_drops_the_hold_without_spend() -> None:
    acc = accounts(sme=1000.0)
    acc.hold(1, "sme", 600.0, at_s=0.0)
    assert acc.release(1, at_s=5.0) == 600
    assert acc.balance("sme") == Balance("sme", 1000, spent_krw=0, held_krw=0)


def test_settle_and_release_are_idempotent() -> None:
    acc = accounts(sme=1000.0)
    acc.hold(1, "sme", 600.0, at_s=0.0)
    acc.settle(1, 100.0, at_s=1.0)
    n = len(acc.entries)
    assert acc.settle(1, 100.0, at_s=2.0) is None
    assert acc.release(1, at_s=2.0) is None
    assert acc.release(99, at_s=2.0) is None
    assert len(acc.entries) == n
    assert acc.balance("sme").spent_krw == 100


def test_a_second_open_hold_is_an_error_but_a_requeued_job_may_hold_again() -> None:
    acc = accounts(sme=1000.0)
    acc.hold(1, "sme", 100.0, at_s=0.0)
    with pytest.raises(DuplicateHoldError, match="job 1 already holds 100 KRW"):
        acc.hold(1, "sme", 100.0, at_s=1.0)
    acc.settle(1, 40.0, at_s=2.0)  # preempted after using 40
    assert acc.hold(1, "sme", 100.0, at_s=3.0)  # its next run
    assert acc.balance("sme") == Balance("sme", 1000, spent_krw=40, held_krw=100)


def test_amounts_are_whole_krw_hold_up_spend_nearest_budget_down() -> None:
    acc = accounts(sme=1000.9)
    assert acc.budgets == {"sme": 1000}
    acc.hold(1, "sme", 337.01, at_s=0.0)
    assert acc.held_by(1) == ("sme", 338)
    assert acc.settle(1, 337.4, at_s=1.0) == 337


def test_spend_above_the_hold_comes_from_free_budget_or_is_refused() -> None:
    acc = accounts(sme=1000.0)
    acc.hold(1, "sme", 500.0, at_s=0.0)
    acc.hold(2, "sme", 400.0, at_s=0.0)
    with pytest.raises(OverspendError, match="job 1"):
        acc.settle(1, 601.0, at_s=1.0)  # 101 over the hold, 100 free
    assert acc.held_by(1) == ("sme", 500)  # nothing changed
    assert acc.settle(1, 600.0, at_s=1.0) == 600
    assert acc.balance("sme") == Balance("sme", 1000, spent_krw=600, held_krw=400)


def test_unlimited_budget() -> None:
    acc = ProgramAccounts({"owner_alloc": math.inf})
    assert acc.hold(1, "owner_alloc", 1e15, at_s=0.0)
    assert acc.available_krw("owner_alloc") == math.inf
    assert acc.balance("owner_alloc").available_krw == math.inf


def test_from_programs_uses_their_budgets() -> None:
    program = Program("hpc", "HPC support", budget_krw=5e9, quota={}, owners=())
    acc = ProgramAccounts.from_programs({"hpc": program})
    assert acc.balance("hpc").budget_krw == 5_000_000_000


@pytest.mark.parametrize(
    ("call", "want_error"),
    [
        pytest.param(lambda a: a.hold(1, "nope", 1.0, 0.0), UnknownProgramError, id="program"),
        pytest.param(lambda a: a.hold(1, "sme", -1.0, 0.0), ValueError, id="negative"),
        pytest.param(lambda a: a.hold(1, "sme", math.nan, 0.0), ValueError, id="nan"),
        pytest.param(lambda a: a.hold(1, "sme", math.inf, 0.0), ValueError, id="inf"),
        pytest.param(lambda a: ProgramAccounts({"x": -5.0}), ValueError, id="budget"),
    ],
)
def test_bad_requests_are_refused(
    call: Callable[[ProgramAccounts], object], want_error: type[Exception]
) -> None:
    acc = accounts(sme=10.0)
    with pytest.raises(want_error):
        call(acc)


def test_entries_can_be_left_out_for_memory() -> None:
    acc = ProgramAccounts({"sme": 1000.0}, keep_entries=False)
    acc.hold(1, "sme", 600.0, at_s=0.0)
    acc.settle(1, 100.0, at_s=1.0)
    assert acc.balance("sme") == Balance("sme", 1000, spent_krw=100, held_krw=0)
    with pytest.raises(EntriesNotKeptError):
        _ = acc.entries


# -- properties ---------------------------------------------------------------------------------

PROGRAMS = {"sme": 10_000.0, "uni": 2_500.5, "free": math.inf}
JOBS = st.integers(0, 7)
KRW = st.floats(0.0, 6_000.0, allow_nan=False)
OPS = st.lists(
    st.one_of(
        st.tuples(st.just("hold"), JOBS, st.sampled_from(sorted(PROGRAMS)), KRW),
        st.tuples(st.just("settle"), JOBS, st.just(""), st.floats(0.0, 1.2)),
        st.tuples(st.just("release"), JOBS, st.just(""), st.just(0.0)),
    ),
    max_size=60,
)


def check_invariants(acc: ProgramAccounts) -> None:
    balances = acc.balances()
    for b in balances.values():
        assert b.held_krw >= 0
        assert b.spent_krw >= 0
        if b.budget_krw is not None:
            assert b.spent_krw + b.held_krw <= b.budget_krw
    # Every aggregate is the sum of its entries, exactly (whole KRW).
    assert balances_from_entries(acc.entries, acc.budgets) == balances
    held_by_program = dict.fromkeys(balances, 0)
    for program, krw in acc.open_holds.values():
        held_by_program[program] += krw
    assert held_by_program == {p: b.held_krw for p, b in balances.items()}
    assert [e.seq for e in acc.entries] == list(range(len(acc.entries)))


@settings(max_examples=300)
@given(ops=OPS)
def test_random_operations_never_breach_a_budget(ops: list[tuple[str, int, str, float]]) -> None:
    acc = ProgramAccounts(PROGRAMS)
    for step, (op, job, program, x) in enumerate(ops):
        t = float(step)
        held = acc.held_by(job)
        if op == "hold":
            if held is not None:
                with pytest.raises(DuplicateHoldError):
                    acc.hold(job, program, x, t)
            else:
                could = acc.can_hold(program, x)
                assert acc.hold(job, program, x, t) is could
        elif op == "settle":
            n = len(acc.entries)
            if held is None:
                assert acc.settle(job, 1.0, t) is None
                assert len(acc.entries) == n
            else:
                # Spend a fraction of the hold, up to 1.2x: the excess may be refused.
                try:
                    spent = acc.settle(job, held[1] * x, t)
                except OverspendError:
                    assert acc.held_by(job) == held
                    assert len(acc.entries) == n
                else:
                    assert spent == round(held[1] * x)
                    assert acc.settle(job, held[1] * x, t) is None  # idempotent
        else:
            released = acc.release(job, t)
            assert released == (None if held is None else held[1])
            assert acc.release(job, t) is None  # idempotent
        check_invariants(acc)
