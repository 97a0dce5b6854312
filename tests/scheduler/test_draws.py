"""Keyed draws: the same key gives the same draw in any process, and draws look uniform."""

from __future__ import annotations

from collections import Counter

import pytest

from aigrid.scheduler.draws import keyed_bits, keyed_index, keyed_unit


def test_draws_are_fixed_functions_of_their_key() -> None:
    # Pinned: a change here would change every random placement of every recorded run.
    assert keyed_bits(1, 2, 3) == 15205877802699428709
    assert keyed_index(10, 1, 2, 3) == 9
    assert keyed_unit(1, 2, 3) == pytest.approx(0.8243122874117914)


def test_order_and_length_of_the_key_matter() -> None:
    assert len({keyed_bits(1, 2), keyed_bits(2, 1), keyed_bits(1, 2, 0), keyed_bits(1)}) == 4
    assert keyed_bits(-1) == keyed_bits((1 << 64) - 1)  # parts are taken modulo 2**64


def test_draws_are_uniform_enough() -> None:
    counts = Counter(keyed_index(7, 42, job) for job in range(70_000))
    assert set(counts) == set(range(7))
    assert all(abs(c - 10_000) < 400 for c in counts.values())
    units = [keyed_unit(42, job, 1) for job in range(10_000)]
    assert all(0.0 <= u < 1.0 for u in units)
    assert sum(units) / len(units) == pytest.approx(0.5, abs=0.01)


def test_nothing_to_draw_from() -> None:
    with pytest.raises(ValueError, match="nothing to draw from"):
        keyed_index(0, 1)
