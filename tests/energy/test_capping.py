"""The power-capping curve and its limits."""

from __future__ import annotations

import pytest

from aigrid.energy import deepest_cap_tenths, fraction_of, throughput


@pytest.mark.parametrize(
    ("fraction", "speed"),
    [(1.0, 1.0), (1.2, 1.0), (0.9, 0.98), (0.8, 0.94), (0.75, 0.91), (0.7, 0.88), (0.5, 0.70)],
)
def test_throughput_follows_the_documented_curve(fraction: float, speed: float) -> None:
    assert throughput(fraction) == pytest.approx(speed)


def test_no_throughput_below_the_curve() -> None:
    with pytest.raises(ValueError, match="below 50%"):
        throughput(0.4)


def test_caps_stop_at_the_floor_and_at_idle_power() -> None:
    assert fraction_of(3) == pytest.approx(0.7)
    assert deepest_cap_tenths(1000, 150, 0.6) == 4  # down to 60%
    assert deepest_cap_tenths(1000, 150, 0.0) == 5  # the curve ends at 50%
    assert deepest_cap_tenths(600, 400, 0.5) == 3  # idle is 67% of busy: no lower than 70%
