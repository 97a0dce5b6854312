"""Grants: credit in KRW or GPU-hours, held at admission and charged at the end."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aigrid.ledger import GrantLedger, balances_from_entries
from tests.builders import grant


def test_a_krw_grant_is_charged_what_the_job_cost() -> None:
    book = GrantLedger([grant("g", krw=100_000)])
    assert book.hold(1, "g", 36_000, 0.0)
    assert book.available("g") == 64_000
    assert book.settle(1, krw=18_000.4, gpu_s=14_400, at_s=1800.0) == 18_000
    b = book.balance("g")
    assert (b.spent_krw, b.held_krw, b.available_krw) == (18_000, 0, 82_000)


def test_a_gpu_hour_grant_is_charged_gpu_seconds() -> None:
    book = GrantLedger([grant("g", gpu_hours=10)])
    assert book.budgets == {"g": 36_000}
    assert book.hold(1, "g", 28_800, 0.0)  # 4 GPUs x 2 h walltime
    assert not book.hold(2, "g", 7_201, 0.0)  # 2 h left, and a second more is refused
    assert book.settle(1, krw=99_999.0, gpu_s=14_400.0, at_s=3600.0) == 14_400  # 4 GPUs x 1 h
    assert book.available("g") == 21_600


def test_release_gives_the_hold_back_and_both_are_idempotent() -> None:
    book = GrantLedger([grant("g", krw=1_000)])
    assert book.hold(1, "g", 1_000, 0.0)
    assert book.release(1, 1.0) == 1_000
    assert book.release(1, 2.0) is None
    assert book.settle(1, 5.0, 5.0, 3.0) is None
    assert book.available("g") == 1_000


def test_a_grant_gives_krw_or_gpu_hours() -> None:
    with pytest.raises(ValueError, match="not both or neither"):
        grant("g", krw=1.0, gpu_hours=1.0)
    with pytest.raises(ValueError, match="not both or neither"):
        grant("g")


GRANTS = [grant("k", krw=50_000), grant("h", gpu_hours=2), grant("z", krw=0)]
OPS = st.lists(
    st.tuples(
        st.sampled_from(["hold", "settle", "release"]),
        st.integers(0, 5),  # job
        st.sampled_from([g.id for g in GRANTS]),
        st.integers(0, 30_000),  # amount held
        st.floats(0.0, 1.0),  # share of the hold used
    ),
    max_size=50,
)


@settings(max_examples=300)
@given(ops=OPS)
def test_no_grant_ever_goes_below_zero_and_every_balance_is_the_sum_of_its_entries(
    ops: list[tuple[str, int, str, int, float]],
) -> None:
    book = GrantLedger(GRANTS)
    credit = {g.id: g.amount for g in GRANTS}
    for step, (op, job, g, amount, used) in enumerate(ops):
        t = float(step)
        held = book.held_by(job)
        if op == "hold" and held is None:
            could = amount <= book.available(g)
            assert book.hold(job, g, amount, t) is could
        elif op == "settle" and held is not None:
            # A job uses at most what it held: its walltime's worth.
            book.settle(job, held[1] * used, held[1] * used, t)
            assert book.held_by(job) is None
        elif op == "release":
            assert book.release(job, t) == (None if held is None else held[1])
        for gid, b in book.balances().items():
            assert b.held_krw >= 0 and b.spent_krw >= 0
            assert b.spent_krw + b.held_krw <= credit[gid]
        assert balances_from_entries(book.entries, book.budgets) == book.balances()
