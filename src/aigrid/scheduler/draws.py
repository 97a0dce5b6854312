"""Random choices that are pure functions of what they choose for: keyed draws.

The scheduler reads no random generator (DESIGN: the scheduler is a pure function of its
snapshot), yet a `random` placement strategy must look random. A keyed draw is a hash of a key
-- the run's seed, the job, the pool -- mixed into a number that is uniform for practical
purposes: the same key always gives the same draw, whatever was drawn before, in whatever
order the cycle met its jobs, in the twin and live alike. A twin run is thus reproducible from
its scenario and seed, and a decision can be replayed from the snapshot alone.

The mixer is SplitMix64's finaliser (Steele, Lea and Flood, "Fast splittable pseudorandom number
generators", OOPSLA 2014), applied once per key part, so keys of different lengths or orders
give unrelated draws. Python's `hash` is not used: it is salted per process for strings and
would make runs differ between processes.
"""

from __future__ import annotations

from typing import Final

_MASK: Final = (1 << 64) - 1
_GOLDEN: Final = 0x9E3779B97F4A7C15


def _mix(z: int) -> int:
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9 & _MASK
    z = (z ^ (z >> 27)) * 0x94D049BB133111EB & _MASK
    return z ^ (z >> 31)


def keyed_bits(*key: int) -> int:
    """64 well-mixed bits of `key` (integers of any sign and size, taken modulo 2**64)."""
    h = _GOLDEN
    for part in key:
        h = _mix((h + _GOLDEN + (part & _MASK)) & _MASK)
    return h


def keyed_unit(*key: int) -> float:
    """A draw in [0, 1) for `key`, with 53 bits of precision (a double's mantissa)."""
    return (keyed_bits(*key) >> 11) * (1.0 / (1 << 53))


def keyed_index(n: int, *key: int) -> int:
    """A draw in range(n) for `key`, uniform but for a bias below n / 2**64."""
    if n <= 0:
        raise ValueError(f"nothing to draw from: n = {n}")
    return keyed_bits(*key) % n


__all__ = ["keyed_bits", "keyed_index", "keyed_unit"]
