"""GPU power capping: run a job below its board's full power to fit more work under a site cap.

A GPU held to a fraction f of its busy board power draws `f x busy_w` instead of `busy_w`, and
runs slower. The throughput curve below is an assumption, shaped like published measurements of
training on H100/A100-class boards: the first 10-20% of power cost little speed, deeper caps
cost more. Caps come in steps of a tenth of full power, and never below the board's idle power.

    power fraction   1.0   0.9   0.8   0.7   0.6   0.5
    throughput       1.00  0.98  0.94  0.88  0.80  0.70
"""

from __future__ import annotations

import itertools
from typing import Final

CAP_STEP: Final = 0.1
"""Power caps are whole tenths of full board power."""

_CURVE: tuple[tuple[float, float], ...] = (
    (0.5, 0.70),
    (0.6, 0.80),
    (0.7, 0.88),
    (0.8, 0.94),
    (0.9, 0.98),
    (1.0, 1.00),
)


def throughput(power_fraction: float) -> float:
    """Relative speed of a GPU held to `power_fraction` of its full board power (linear between
    the points of the curve; 1 at or above full power)."""
    if power_fraction >= 1.0:
        return 1.0
    if power_fraction < _CURVE[0][0]:
        raise ValueError(f"no throughput known below {_CURVE[0][0]:.0%} of full power")
    for (p0, t0), (p1, t1) in itertools.pairwise(_CURVE):
        if p0 <= power_fraction <= p1:
            return t0 + (t1 - t0) * (power_fraction - p0) / (p1 - p0)
    return 1.0  # pragma: no cover - the curve covers [0.5, 1]


def fraction_of(cap_tenths: int) -> float:
    """The power fraction of a cap `cap_tenths` tenths below full power."""
    return 1.0 - cap_tenths * CAP_STEP


def tenths_of(power_fraction: float) -> int:
    """How many tenths below full power a `power_fraction` is (the inverse of `fraction_of`)."""
    return round((1.0 - power_fraction) / CAP_STEP)


def deepest_cap_tenths(busy_w: float, idle_w: float, min_fraction: float) -> int:
    """How many tenths below full power a board may be held: not below `min_fraction`, the
    curve, nor its idle power."""
    floor = max(min_fraction, idle_w / busy_w if busy_w > 0 else 1.0, _CURVE[0][0])
    tenths = 0
    while fraction_of(tenths + 1) >= floor - 1e-9:
        tenths += 1
    return tenths
